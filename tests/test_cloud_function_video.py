"""The cloud library's Lambda function with videos: Rekognition Video jobs started with the notification
channel, SNS completion notices of the documented shape, Get* pages collected once each.

The same world as test_cloud_function.py: moto's S3 and DynamoDB over HTTP, Rekognition through Stubber.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from cloud_world import s3_event
from photosorter.cloud_function import calls, handler, items, store, video
from photosorter.cloud_function.runtime import Runtime, Throttled
from test_cloud_function import (
    COLLECTION,
    HASH,
    IMAGE,
    ROLE,
    TOPIC,
    Cloud,
    Context,
    _method,
    cloud,
    sns_event,
)

__all__ = ["cloud"]  # the fixture, used by name


def video_page(labels: list[str], token: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "JobStatus": "SUCCEEDED",
        "VideoMetadata": {
            "Codec": "h264",
            "DurationMillis": 30_000,
            "Format": "QuickTime / MOV",
            "FrameRate": 30.0,
            "FrameHeight": 720,
            "FrameWidth": 1280,
        },
        "Labels": [
            {"Timestamp": 1000 * n, "Label": {"Name": name, "Confidence": 90.0}}
            for n, name in enumerate(labels)
        ],
        "LabelModelVersion": "3.0",
    }
    if token:
        page["NextToken"] = token
    return page


def expect_video_starts(stub: Stubber, bucket: str, key: str, jobs: dict[str, str]) -> None:
    for feature, job in jobs.items():
        operation = calls.video_operation(feature, COLLECTION)
        params = calls.video_request(feature, bucket, key, HASH, COLLECTION, TOPIC, ROLE, token="t")
        stub.add_response(_method(operation.start), {"JobId": job}, {**params, "ClientRequestToken": ANY})


def start_video(cloud: Cloud, features: str = "labels,faces") -> tuple[str, Runtime, Stubber]:
    key = items.video_key(HASH, "mp4")
    cloud.upload(key, body=b"not decoded by anyone here", features=features)
    runtime, stub = cloud.runtime()
    jobs = {"labels": "job-labels", "faces": "job-faces"}
    expect_video_starts(stub, cloud.bucket, key, {f: j for f, j in jobs.items() if f in features})
    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)
    return key, runtime, stub


def test_a_video_starts_its_jobs_with_the_notification_channel_and_waits(cloud: Cloud) -> None:
    key, runtime, stub = start_video(cloud)

    stub.assert_no_pending_responses()
    item = cloud.item()
    assert item.state == "analyzing"
    assert item.jobs == {"labels": "job-labels", "faces": "job-faces"}
    assert item.claimed_until > runtime.now() + items.CLAIM_SECONDS  # the long video claim
    assert calls.video_request("faces", "b", "k", HASH, COLLECTION, TOPIC, ROLE, token="c1") == {
        "Video": {"S3Object": {"Bucket": "b", "Name": "k"}},
        "ClientRequestToken": "faces-c1",
        "NotificationChannel": {"SNSTopicArn": TOPIC, "RoleArn": ROLE},
        "JobTag": HASH,
        "CollectionId": COLLECTION,
    }
    # S3 delivering the upload again starts nothing (the stub has no more responses).
    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)
    assert cloud.item().jobs == item.jobs


def test_video_notices_page_through_the_results_once_each_and_finish_the_item(cloud: Cloud) -> None:
    key, runtime, stub = start_video(cloud)
    stub.add_response(
        "get_label_detection",
        video_page(["Dog", "Beach"], token="page-2"),
        {"JobId": "job-labels", "MaxResults": 1000},
    )
    stub.add_response(
        "get_label_detection",
        video_page(["Cat"]),
        {"JobId": "job-labels", "MaxResults": 1000, "NextToken": "page-2"},
    )
    persons = {
        "JobStatus": "SUCCEEDED",
        "VideoMetadata": {"DurationMillis": 30_000},
        "Persons": [{"Timestamp": 4000, "Person": {"Index": 0}, "FaceMatches": []}],
    }
    stub.add_response("get_face_search", persons, {"JobId": "job-faces", "MaxResults": 1000})
    labels_done = sns_event("job-labels", "StartLabelDetection", cloud.bucket, key)
    before = items.now_us()

    handler.handle_video_done(labels_done, Context(), runtime)
    halfway = cloud.item()
    handler.handle_video_done(labels_done, Context(), runtime)  # SNS delivers it twice: nothing more
    assert cloud.item() == halfway
    handler.handle_video_done(
        sns_event("job-faces", "StartFaceSearch", cloud.bucket, key), Context(), runtime
    )

    stub.assert_no_pending_responses()
    assert halfway.state == "analyzing" and set(halfway.responses) == {"labels"}
    item = cloud.item()
    assert item.state == "done" and item.claimed_until == 0
    assert item.seq > halfway.seq > before
    labels = item.responses["labels"]
    assert [(entry["Timestamp"], entry["Label"]["Name"]) for entry in labels["Labels"]] == [
        (0, "Dog"),
        (1000, "Beach"),
        (0, "Cat"),
    ]
    assert "NextToken" not in labels
    assert item.responses["faces"] == persons
    assert item.versions == {
        "labels": "StartLabelDetection/2016-06-27",
        "faces": f"StartFaceSearch/2016-06-27/{COLLECTION}",
    }
    usage = cloud.usage()
    assert usage.calls == {"StartLabelDetection": 1, "StartFaceSearch": 1}
    assert usage.video_seconds == 60.0


def test_a_throttled_video_start_keeps_the_jobs_it_started_for_the_retry(cloud: Cloud) -> None:
    key = items.video_key(HASH, "mov")
    cloud.upload(key, body=b"video", features="labels,faces")
    context = Context(budget_ms=5_000)  # no time to back off: the first throttle ends the invocation
    runtime, stub = cloud.runtime(context)
    expect_video_starts(stub, cloud.bucket, key, {"labels": "job-labels"})
    stub.add_client_error("start_face_search", "LimitExceededException", http_status_code=400)

    with pytest.raises(Throttled):
        handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), context, runtime)
    item = cloud.item()
    assert (item.state, item.retryable, item.jobs) == ("failed", True, {"labels": "job-labels"})

    # The labels job reports while the item waits for its retry: recorded, the item not finished by it.
    stub.add_response("get_label_detection", video_page(["Dog"]), {"JobId": "job-labels", "MaxResults": 1000})
    handler.handle(sns_event("job-labels", "StartLabelDetection", cloud.bucket, key), Context(), runtime)
    assert (cloud.item().state, set(cloud.item().responses)) == ("failed", {"labels"})

    # Lambda's retry starts only the face search.
    retry, retry_stub = cloud.runtime()
    expect_video_starts(retry_stub, cloud.bucket, key, {"faces": "job-faces"})
    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), retry)
    retry_stub.assert_no_pending_responses()
    item = cloud.item()
    assert (item.state, item.error) == ("analyzing", "")
    assert item.jobs == {"faces": "job-faces"}  # the jobs still running
    assert set(item.responses) == {"labels"}
    assert cloud.usage().calls == {"StartLabelDetection": 1, "StartFaceSearch": 1}


def test_a_notice_that_arrives_while_its_jobs_are_still_being_started_is_retried(cloud: Cloud) -> None:
    """The labels job of a short video finishes while the function is still starting (or backing off) the
    face search: its notice must not be dropped for want of the JobId the item does not hold yet."""
    key = items.video_key(HASH, "mp4")
    cloud.upload(key, body=b"video", features="labels,faces")
    runtime, stub = cloud.runtime()
    expect_video_starts(stub, cloud.bucket, key, {"labels": "job-labels", "faces": "job-faces"})
    notice = sns_event("job-labels", "StartLabelDetection", cloud.bucket, key)
    early: list[Exception] = []

    def labels_notice_arrives(**_: Any) -> None:
        notified, _ = cloud.runtime()  # no responses: it must not fetch anything yet
        with pytest.raises(video.JobNotYetRecorded) as raised:
            handler.handle(notice, Context(), notified)
        early.append(raised.value)

    runtime.rekognition.meta.events.register(
        "before-parameter-build.rekognition.StartFaceSearch", labels_notice_arrives
    )
    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)
    assert len(early) == 1 and cloud.item().jobs == {"labels": "job-labels", "faces": "job-faces"}

    # Lambda's retry of the notice, once the ids are written:
    stub.add_response("get_label_detection", video_page(["Dog"]), {"JobId": "job-labels", "MaxResults": 1000})
    handler.handle(notice, Context(), runtime)
    stub.assert_no_pending_responses()
    assert set(cloud.item().responses) == {"labels"}


def test_a_failed_video_job_fails_the_item_when_all_have_reported(cloud: Cloud) -> None:
    key, runtime, stub = start_video(cloud)
    stub.add_response(
        "get_face_search",
        {"JobStatus": "SUCCEEDED", "Persons": []},
        {"JobId": "job-faces", "MaxResults": 1000},
    )

    handler.handle(
        sns_event("job-labels", "StartLabelDetection", cloud.bucket, key, "FAILED"), Context(), runtime
    )
    handler.handle(sns_event("job-faces", "StartFaceSearch", cloud.bucket, key), Context(), runtime)

    item = cloud.item()
    assert (item.state, item.retryable) == ("failed", True)
    assert item.error == "labels: Rekognition Video could not analyze it (job FAILED)"
    assert set(item.responses) == {"faces"}


def test_a_video_response_too_big_for_its_item_is_kept_in_s3(cloud: Cloud) -> None:
    key, runtime, stub = start_video(cloud, features="labels")
    # Random names do not compress: well over DynamoDB's 400 KB once gzip'd.
    names = [uuid.uuid4().hex + uuid.uuid4().hex for _ in range(12_000)]
    stub.add_response("get_label_detection", video_page(names), {"JobId": "job-labels", "MaxResults": 1000})

    handler.handle(sns_event("job-labels", "StartLabelDetection", cloud.bucket, key), Context(), runtime)

    item = cloud.item()
    assert item.state == "done" and item.responses == {}
    assert item.stored == {"labels": f"results/{HASH}/labels.json.gz"}
    body = cloud.s3.get_object(Bucket=cloud.bucket, Key=item.stored["labels"])["Body"].read()
    assert [entry["Label"]["Name"] for entry in items.gunzip_json(body)["Labels"]] == names
    assert item.analyzed == {"labels"}
    assert len(items.gzip_json(video_page(names))) > store.MAX_ITEM_BYTES
