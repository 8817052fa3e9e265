"""The cloud library's Lambda function, called in-process with S3 and SNS events of the documented shape.

S3 and DynamoDB are moto's, over HTTP (ThreadedMotoServer, reached through AWS_ENDPOINT_URL as the function's
own boto3 clients would reach AWS); Rekognition is botocore's Stubber, which holds exactly the responses a
test pays for: a call the function should not make finds no response and fails the test.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from PIL import Image

from cloud_world import create_table, s3_event
from photosorter.cloud_function import calls, handler, items, store
from photosorter.cloud_function.items import ResultItem
from photosorter.cloud_function.runtime import Runtime, Throttled

HASH = "ab" * 32
OTHER_HASH = "cd" * 32
COLLECTION = "library"
BOX = {"Width": 0.25, "Height": 0.5, "Left": 0.25, "Top": 0.125}
TOPIC = "arn:aws:sns:us-east-1:123456789012:photosorter-video"
ROLE = "arn:aws:iam::123456789012:role/photosorter-video"


def make_jpeg(size: tuple[int, int] = (200, 150)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


IMAGE = make_jpeg()
LABELS = {
    "Labels": [{"Name": "Dog", "Confidence": 98.5, "Instances": [{"BoundingBox": BOX, "Confidence": 97.0}]}],
    "LabelModelVersion": "3.0",
}
TEXT = {
    "TextDetections": [
        {
            "DetectedText": "STOP",
            "Type": "LINE",
            "Id": 0,
            "Confidence": 99.0,
            "Geometry": {"BoundingBox": BOX},
        }
    ],
    "TextModelVersion": "3.0",
}
FACES = {
    "FaceRecords": [
        {
            "Face": {
                "FaceId": "11111111-2222-3333-4444-555555555555",
                "BoundingBox": BOX,
                "Confidence": 99.9,
            },
            "FaceDetail": {"BoundingBox": BOX, "Confidence": 99.9, "AgeRange": {"Low": 25, "High": 35}},
        }
    ],
    "FaceModelVersion": "7.0",
    "UnindexedFaces": [],
}
MODERATION = {"ModerationLabels": [], "ModerationModelVersion": "7.0"}
CELEBRITIES = {"CelebrityFaces": [], "UnrecognizedFaces": []}
RESPONSES = {
    "DetectLabels": LABELS,
    "DetectText": TEXT,
    "IndexFaces": FACES,
    "DetectModerationLabels": MODERATION,
    "RecognizeCelebrities": CELEBRITIES,
}


class Context:
    """A Lambda context whose remaining time goes down as the function sleeps (no real sleeping)."""

    def __init__(self, budget_ms: int = 60_000) -> None:
        self.remaining_ms = budget_ms
        self.sleeps: list[float] = []

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.remaining_ms -= int(seconds * 1000)


@dataclass
class Cloud:
    s3: Any
    dynamodb: Any
    bucket: str
    table: str
    clients: list[Any] = field(default_factory=list)

    def runtime(
        self, context: Context | None = None, collection_id: str = COLLECTION
    ) -> tuple[Runtime, Stubber]:
        """A function runtime over the moto S3 and DynamoDB, with its own stubbed Rekognition client."""
        rekognition = boto3.client("rekognition")
        self.clients.append(rekognition)
        stub = Stubber(rekognition)
        stub.activate()
        context = context or Context()
        runtime = Runtime(
            s3=self.s3,
            dynamodb=self.dynamodb,
            rekognition=rekognition,
            table=self.table,
            bucket=self.bucket,
            collection_id=collection_id,
            video_topic_arn=TOPIC,
            video_role_arn=ROLE,
            sleep=context.sleep,
            jitter=lambda: 1.0,
        )
        return runtime, stub

    def upload(
        self, key: str, body: bytes = IMAGE, features: str = "labels,faces,text", upload: str = ""
    ) -> None:
        metadata = {items.FEATURES_METADATA: features, items.SCHEMA_METADATA: str(items.SCHEMA)}
        if upload:
            metadata[items.UPLOAD_METADATA] = upload
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, Metadata=metadata)

    def raw(self, content_hash: str = HASH) -> dict[str, Any] | None:
        response = self.dynamodb.get_item(
            TableName=self.table, Key={"pk": {"S": items.result_pk(content_hash)}}, ConsistentRead=True
        )
        return response.get("Item")

    def item(self, content_hash: str = HASH) -> ResultItem:
        raw = self.raw(content_hash)
        assert raw is not None
        decoded = items.decode(raw)
        assert isinstance(decoded, ResultItem)
        return decoded

    def usage(self) -> items.UsageItem:
        response = self.dynamodb.get_item(TableName=self.table, Key={"pk": {"S": items.USAGE_PK}})
        return items.decode_usage(response.get("Item"))

    def changes_since(self, seq: int) -> list[str]:
        response = self.dynamodb.query(
            TableName=self.table,
            IndexName=items.FEED_INDEX,
            KeyConditionExpression="feed = :feed AND seq > :seq",
            ExpressionAttributeValues={":feed": {"S": items.FEED}, ":seq": {"N": str(seq)}},
        )
        return [item["pk"]["S"] for item in response["Items"]]


@pytest.fixture
def cloud(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    name = f"photosorter-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3")
    dynamodb = boto3.client("dynamodb")
    s3.create_bucket(Bucket=name)
    create_table(dynamodb, name)
    result = Cloud(s3, dynamodb, bucket=name, table=name, clients=[s3, dynamodb])
    yield result
    for client in result.clients:
        client.close()  # the moto server keeps a thread per open connection


def sns_event(
    job_id: str,
    api: str,
    bucket: str,
    key: str,
    status: str = "SUCCEEDED",
    *,
    content_hash: str = HASH,
    topic: str = TOPIC,
) -> dict[str, Any]:
    """An SNS event wrapping Rekognition Video's completion notice."""
    message = {
        "JobId": job_id,
        "Status": status,
        "API": api,
        "JobTag": content_hash,
        "Timestamp": 1_764_763_200_000,
        "Video": {"S3ObjectName": key, "S3Bucket": bucket},
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": topic,
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": "2026-12-03T12:00:00.000Z",
                    "SignatureVersion": "1",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def expect_image_calls(stub: Stubber, operations: list[str], collection_id: str = COLLECTION) -> None:
    for operation in operations:
        stub.add_response(
            _method(operation), RESPONSES[operation], calls.image_request(operation, IMAGE, collection_id)
        )


def _method(operation: str) -> str:
    from botocore import xform_name

    return xform_name(operation)


# -- photos --


def test_one_photo_becomes_one_done_item_with_the_responses_versions_and_seq(cloud: Cloud) -> None:
    key = items.analysis_key(HASH)
    cloud.upload(key)
    runtime, stub = cloud.runtime()
    # Written out here rather than taken from calls: what AWS receives, and in what order (IndexFaces last).
    stub.add_response("detect_labels", LABELS, {"Image": {"Bytes": IMAGE}, "Features": ["GENERAL_LABELS"]})
    stub.add_response("detect_text", TEXT, {"Image": {"Bytes": IMAGE}})
    stub.add_response(
        "index_faces",
        FACES,
        {"CollectionId": COLLECTION, "Image": {"Bytes": IMAGE}, "DetectionAttributes": ["ALL"]},
    )
    before = items.now_us()

    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)

    stub.assert_no_pending_responses()
    item = cloud.item()
    assert item.state == "done"
    assert item.features == ("faces", "labels", "text")
    assert item.responses == {"labels": LABELS, "text": TEXT, "faces": FACES}
    assert item.versions == {
        "labels": "DetectLabels/2016-06-27",
        "text": "DetectText/2016-06-27",
        "faces": f"IndexFaces/2016-06-27/{COLLECTION}",
    }
    assert before < item.seq <= items.now_us()
    assert (item.error, item.claimed_until, item.retryable, item.stored) == ("", 0, False, {})
    raw = cloud.raw()
    assert raw is not None and "claim" not in raw
    assert cloud.changes_since(before) == [items.result_pk(HASH)]
    assert cloud.usage().calls == {"DetectLabels": 1, "DetectText": 1, "IndexFaces": 1}


def test_the_same_event_twice_calls_rekognition_once(cloud: Cloud) -> None:
    key = items.analysis_key(HASH)
    cloud.upload(key, features="labels")
    runtime, stub = cloud.runtime()
    expect_image_calls(stub, ["DetectLabels"])  # one set: a second analysis would find no response
    event = s3_event(cloud.bucket, key, len(IMAGE))

    handler.handle(event, Context(), runtime)
    first = cloud.raw()
    handler.handle(event, Context(), runtime)

    stub.assert_no_pending_responses()
    assert cloud.raw() == first  # not even rewritten
    assert cloud.item().state == "done"
    assert cloud.usage().calls == {"DetectLabels": 1}


def test_a_second_upload_while_the_first_holds_the_claim_analyzes_nothing(cloud: Cloud) -> None:
    """Two devices upload the same photo at once: the second event arrives while the first function is
    inside its Rekognition call, finds the live claim and leaves."""
    key = items.analysis_key(HASH)
    cloud.upload(key, features="labels")
    first, first_stub = cloud.runtime()
    expect_image_calls(first_stub, ["DetectLabels"])
    second, _ = cloud.runtime()  # no responses at all: any call fails the test
    seen: list[str] = []

    def second_event_arrives(**_: Any) -> None:
        seen.append(cloud.item().state)
        handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), second)

    first.rekognition.meta.events.register(
        "before-parameter-build.rekognition.DetectLabels", second_event_arrives
    )

    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), first)

    assert seen == ["analyzing"]
    first_stub.assert_no_pending_responses()
    assert cloud.item().state == "done"
    assert cloud.usage().calls == {"DetectLabels": 1}


def test_two_functions_reading_the_same_absent_item_claim_it_once(cloud: Cloud) -> None:
    """The race inside the claim: both read "no item", both write; the condition lets one through."""
    runtime, _ = cloud.runtime()
    results = []
    original_read = store.ResultStore.read

    def read_then_let_the_other_claim(self: store.ResultStore, content_hash: str) -> dict[str, Any] | None:
        raw = original_read(self, content_hash)
        if not results:
            results.append(store.ResultStore(runtime).claim(content_hash, frozenset({"labels"}), 90))
        return raw

    racing = store.ResultStore(runtime)
    racing.read = read_then_let_the_other_claim.__get__(racing)  # type: ignore[method-assign]
    assert racing.claim(HASH, frozenset({"labels"}), 90) is None
    assert results[0] is not None and cloud.item().state == "analyzing"


def test_throttling_backs_off_then_raises_and_gives_the_claim_back(cloud: Cloud) -> None:
    key = items.analysis_key(HASH)
    cloud.upload(key)
    context = Context(budget_ms=10_000)
    runtime, stub = cloud.runtime(context)
    expect_image_calls(stub, ["DetectLabels"])
    # Backoff 0.25, 0.5, 1, 2 s (jitter pinned at its top); the 5th wait (4 s) would leave under the
    # reserve of 5 s for giving the claim back, so the 5th throttle ends the invocation.
    for _ in range(5):
        stub.add_client_error("detect_text", "ThrottlingException", "Rate exceeded", http_status_code=400)

    with pytest.raises(Throttled):
        handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), context, runtime)

    stub.assert_no_pending_responses()
    assert context.sleeps == [0.25, 0.5, 1.0, 2.0]
    item = cloud.item()
    assert (item.state, item.retryable, item.claimed_until) == ("failed", True, 0)
    assert "throttled" in item.error
    assert item.responses == {"labels": LABELS}  # paid for: kept
    assert "claim" not in (cloud.raw() or {})
    assert cloud.usage().calls == {"DetectLabels": 1}  # throttled calls are not billed

    # Lambda's retry takes the item over and pays only for what is missing.
    retry, retry_stub = cloud.runtime()
    expect_image_calls(retry_stub, ["DetectText", "IndexFaces"])
    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), retry)
    retry_stub.assert_no_pending_responses()
    item = cloud.item()
    assert (item.state, item.error, item.retryable) == ("done", "", False)
    assert item.responses == {"labels": LABELS, "text": TEXT, "faces": FACES}
    assert cloud.usage().calls == {"DetectLabels": 1, "DetectText": 1, "IndexFaces": 1}


def test_an_image_rekognition_rejects_fails_with_a_reason_and_is_not_retried(cloud: Cloud) -> None:
    key = items.analysis_key(HASH)
    cloud.upload(key, body=b"\xff\xd8 not really a jpeg", features="labels,text")
    runtime, stub = cloud.runtime()
    stub.add_client_error(
        "detect_labels",
        "InvalidImageFormatException",
        "Request has invalid image format",
        http_status_code=400,
    )

    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)
    handler.handle(
        s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime
    )  # S3's duplicate: nothing more

    stub.assert_no_pending_responses()
    item = cloud.item()
    assert (item.state, item.retryable, item.claimed_until) == ("failed", False, 0)
    assert item.error.startswith("Rekognition cannot read this image")
    assert "InvalidImageFormatException" in item.error


def test_a_new_upload_after_a_rejection_is_analyzed_again_a_duplicate_event_not(cloud: Cloud) -> None:
    """The user's "Retry failed photos" uploads the same bytes again (same key, same ETag): the upload id
    in the object's metadata tells that new upload from S3 delivering the failed one's event twice."""
    key = items.analysis_key(HASH)
    cloud.upload(key, features="labels", upload="first")
    runtime, stub = cloud.runtime()
    stub.add_client_error("detect_labels", "InvalidImageFormatException", "bad", http_status_code=400)
    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)
    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)  # the duplicate: no call
    stub.assert_no_pending_responses()
    assert (cloud.item().state, cloud.item().upload) == ("failed", "first")

    cloud.upload(key, features="labels", upload="second")
    expect_image_calls(stub, ["DetectLabels"])
    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)
    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)  # its duplicate: no call
    stub.assert_no_pending_responses()
    item = cloud.item()
    assert (item.state, item.upload, item.error) == ("done", "second", "")
    assert set(item.responses) == {"labels"}


def test_an_empty_or_oversized_upload_fails_without_a_call(cloud: Cloud) -> None:
    runtime, _ = cloud.runtime()  # no responses: no call may be made
    cloud.upload(items.analysis_key(HASH), body=b"")
    cloud.upload(items.analysis_key(OTHER_HASH), body=b"\xff\xd8" + bytes(5 * 1024 * 1024))

    handler.handle(s3_event(cloud.bucket, items.analysis_key(HASH), len(IMAGE)), Context(), runtime)
    handler.handle(s3_event(cloud.bucket, items.analysis_key(OTHER_HASH), len(IMAGE)), Context(), runtime)

    empty, oversized = cloud.item(HASH), cloud.item(OTHER_HASH)
    assert (empty.state, empty.retryable) == ("failed", True) and "empty" in empty.error
    assert (oversized.state, oversized.retryable) == ("failed", False)
    assert oversized.error == "the image is 5,242,882 bytes; Rekognition takes at most 5 MB (5,242,880 bytes)"


def test_an_object_deleted_before_its_event_ran_leaves_no_item(cloud: Cloud) -> None:
    runtime, _ = cloud.runtime()  # no responses: no call may be made

    result = handler.handle(s3_event(cloud.bucket, items.analysis_key(HASH), len(IMAGE)), Context(), runtime)

    assert result == {"records": 1}
    assert cloud.raw() is None


def test_an_object_that_vanishes_after_the_claim_leaves_no_item_analyzing(cloud: Cloud) -> None:
    key = items.analysis_key(HASH)
    cloud.upload(key)
    runtime, _ = cloud.runtime()
    other = boto3.client("s3")
    cloud.clients.append(other)

    def deleted_just_before_the_read(**_: Any) -> None:
        other.delete_object(Bucket=cloud.bucket, Key=key)

    cloud.s3.meta.events.register("before-call.s3.GetObject", deleted_just_before_the_read)

    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)

    item = cloud.item()
    assert (item.state, item.retryable) == ("failed", True)
    assert "gone" in item.error


def test_an_item_of_a_newer_schema_is_left_alone(cloud: Cloud) -> None:
    key = items.analysis_key(HASH)
    cloud.upload(key)
    newer = items.encode_result(ResultItem(HASH, "failed", ("labels",), {}, {}, seq=5, retryable=True))
    newer["schema"] = {"N": str(items.SCHEMA + 1)}
    newer["future"] = {"S": "something this version cannot read"}
    cloud.dynamodb.put_item(TableName=cloud.table, Item=newer)
    runtime, _ = cloud.runtime()

    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)

    assert cloud.raw() == newer


def test_an_upload_from_a_newer_photosorter_asks_for_a_redeploy_and_stays_retryable(cloud: Cloud) -> None:
    key = items.analysis_key(HASH)
    cloud.s3.put_object(
        Bucket=cloud.bucket,
        Key=key,
        Body=IMAGE,
        Metadata={items.FEATURES_METADATA: "labels", items.SCHEMA_METADATA: str(items.SCHEMA + 1)},
    )
    runtime, _ = cloud.runtime()  # no responses: nothing is analyzed by a function that may misread it

    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)

    item = cloud.item()
    assert (item.state, item.retryable) == ("failed", True)
    assert "photosorter cloud deploy" in item.error


def test_records_that_are_not_ours_are_ignored(cloud: Cloud) -> None:
    runtime, _ = cloud.runtime()
    event = s3_event(cloud.bucket, "analysis/not-a-hash.jpg", len(IMAGE))
    event["Records"].append({"eventSource": "aws:sqs", "body": "{}"})

    assert handler.handle(event, Context(), runtime) == {"records": 1}
    assert cloud.dynamodb.scan(TableName=cloud.table)["Items"] == []


def test_a_photo_done_with_fewer_features_gets_only_the_missing_ones(cloud: Cloud) -> None:
    """A device asking for more than another did pays only for the difference."""
    key = items.analysis_key(HASH)
    cloud.upload(key, features="labels")
    runtime, stub = cloud.runtime()
    expect_image_calls(stub, ["DetectLabels"])
    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)
    cloud.upload(key, features="labels,text")
    expect_image_calls(stub, ["DetectText"])

    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)

    stub.assert_no_pending_responses()
    item = cloud.item()
    assert item.state == "done" and item.responses == {"labels": LABELS, "text": TEXT}
    assert item.features == ("labels", "text")


def test_a_missing_face_collection_is_made_and_indexing_retried(cloud: Cloud) -> None:
    key = items.analysis_key(HASH)
    cloud.upload(key, features="faces")
    runtime, stub = cloud.runtime()
    stub.add_client_error("index_faces", "ResourceNotFoundException", http_status_code=400)
    stub.add_response("create_collection", {"StatusCode": 200}, {"CollectionId": COLLECTION})
    expect_image_calls(stub, ["IndexFaces"])

    handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)

    stub.assert_no_pending_responses()
    assert cloud.item().responses == {"faces": FACES}
    assert cloud.usage().calls == {"IndexFaces": 1}


def test_the_function_and_the_desktop_analyzer_send_identical_requests(cloud: Cloud) -> None:
    """The function cannot import RekognitionAnalyzer; both must still send the same requests for every
    feature, or a photo analyzed one way would not count as analyzed the other way."""
    from photosorter.core.analysis.rekognition import RekognitionAnalyzer
    from photosorter.core.analysis.types import ALL_FEATURES, Feature

    every = ",".join(f.value for f in ALL_FEATURES)
    for collection_id in (COLLECTION, ""):
        operations = [op for _, op in calls.image_plan(frozenset(every.split(",")), collection_id)]
        assert operations[-1] == ("IndexFaces" if collection_id else "RecognizeCelebrities")
        responses = {**RESPONSES, "DetectFaces": {"FaceDetails": []}}

        desktop_client = boto3.client("rekognition")
        cloud.clients.append(desktop_client)
        desktop_stub = Stubber(desktop_client)
        for operation in operations:
            desktop_stub.add_response(
                _method(operation), responses[operation], calls.image_request(operation, IMAGE, collection_id)
            )
        with desktop_stub:
            analyzer = RekognitionAnalyzer(
                client=desktop_client, rate_limit=0, collection_id=collection_id or None
            )
            analyzer.analyze(IMAGE, frozenset(ALL_FEATURES))
        desktop_stub.assert_no_pending_responses()

        content_hash = HASH if collection_id else OTHER_HASH
        key = items.analysis_key(content_hash)
        cloud.upload(key, features=every)
        runtime, stub = cloud.runtime(collection_id=collection_id)
        for operation in operations:
            stub.add_response(
                _method(operation), responses[operation], calls.image_request(operation, IMAGE, collection_id)
            )
        handler.handle(s3_event(cloud.bucket, key, len(IMAGE)), Context(), runtime)
        stub.assert_no_pending_responses()

        item = cloud.item(content_hash)
        assert item.versions == {f.value: analyzer.model_version(f) for f in Feature}


# -- the contract --


def test_result_items_written_before_the_new_fields_still_decode() -> None:
    old = items.encode_result(ResultItem(HASH, "done", ("labels",), {"labels": LABELS}, {}, seq=7))
    assert not {"retryable", "stored", "jobs"} & set(old)
    decoded = items.decode(old)
    assert isinstance(decoded, ResultItem)
    assert (decoded.retryable, decoded.stored, decoded.jobs) == (False, {}, {})
    full = ResultItem(
        HASH,
        "failed",
        ("labels",),
        {},
        {},
        seq=8,
        retryable=True,
        stored={"labels": items.result_object_key(HASH, "labels")},
        jobs={"labels": "j"},
    )
    assert items.decode(items.encode_result(full)) == full


def test_usage_counters_add_up() -> None:
    update = items.usage_update({"DetectLabels": 2, "IndexFaces": 1}, 12.5)
    assert update["UpdateExpression"].startswith("ADD ")
    stored = {
        "pk": {"S": items.USAGE_PK},
        "calls_DetectLabels": {"N": "2"},
        "calls_IndexFaces": {"N": "1"},
        "video_seconds": {"N": "12.500"},
    }
    assert items.decode_usage(stored) == items.UsageItem({"DetectLabels": 2, "IndexFaces": 1}, 12.5)
    assert items.decode_usage(None) == items.UsageItem({}, 0.0)
    with pytest.raises(ValueError):
        items.usage_update({})


def test_the_function_runs_from_its_deployment_zip_alone(tmp_path) -> None:
    """The zip holds photosorter/cloud_function and an empty photosorter/__init__.py: importing the handler
    from exactly that (and boto3, which the Lambda runtime provides) works, and nothing else is reached."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import photosorter.cloud_function as package

    root = tmp_path / "zip"
    shutil.copytree(
        Path(package.__file__).parent,
        root / "photosorter" / "cloud_function",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (root / "photosorter" / "__init__.py").touch()
    site_packages = Path(boto3.__file__).parents[
        1
    ]  # boto3 and botocore; -S skips the editable install's .pth
    probe = (
        "import json, sys, photosorter.cloud_function.handler as h\n"
        "assert h.handle and h.handle_video_done\n"
        "print(json.dumps([h.__file__, sorted(m for m in sys.modules if m.startswith('photosorter'))]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        env={"PYTHONPATH": f"{root}:{site_packages}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    where, modules = json.loads(done.stdout)
    assert where.startswith(str(root))
    assert {name.split(".")[1] for name in modules if "." in name} == {"cloud_function"}
