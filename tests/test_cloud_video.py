"""Videos through the cloud library, desktop to function and back: the original file streamed to
``video/<hash>.<ext>``, the REAL function starting Rekognition Video jobs and collecting their Get* pages
(Rekognition through botocore's Stubber: neither moto nor the test server runs video jobs), the sync
storing what was seen and when exactly where a video analyzed here keeps it.

moto's server holds S3, DynamoDB and CloudFormation; the videos are made with OpenCV.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from cloud_world import REGION, CloudWorld, LambdaContext, analyze, device
from photosorter.cloud_function import calls, items
from photosorter.cloud_function.handler import handle
from photosorter.cloud_function.runtime import Runtime
from photosorter.core.analysis.types import Feature
from photosorter.core.analysis.video.timeline import TimeRange
from photosorter.core.catalog import cloud as cloud_rows
from photosorter.core.catalog import people as people_rows
from photosorter.core.catalog import video_analysis as video_rows
from photosorter.core.catalog.analysis import results_for
from photosorter.core.catalog.failures import analysis_failures, clear_failures
from photosorter.core.cloud.library import CloudLibrary
from photosorter.core.cloud.sync import sync
from photosorter.core.cloud.video import video_result
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library
from photosorter.core.search import search
from test_cloud_function import sns_event
from video_files import dog_video

DURATION_MS = 3500  # dog_video: half a second of black, then three seconds of the dog
BOX = {"Width": 0.25, "Height": 0.5, "Left": 0.25, "Top": 0.125}
MATCHED_FACE = "11111111-2222-3333-4444-555555555555"  # a face some photo indexed into the collection
JOBS = {"labels": "job-labels", "faces": "job-faces", "text": "job-text"}


@pytest.fixture
def cloud(aws) -> CloudWorld:
    return CloudWorld().create().create_collection()


def video_hash(library: Library) -> str:
    (found,) = library.catalog.connection().execute("SELECT hash FROM photos WHERE media = 'video'")
    return str(found[0])


# -- Rekognition Video, as Stubber answers for it ---------------------------------------------------------
def _metadata() -> dict[str, Any]:
    return {"Codec": "h264", "DurationMillis": DURATION_MS, "Format": "QuickTime / MOV", "FrameRate": 10.0}


def labels_pages() -> list[dict[str, Any]]:
    """GetLabelDetection in two pages: the dog from 0.5 s to the end, a ball once, at 1.5 s."""

    def label(t: int, name: str, confidence: float) -> dict[str, Any]:
        entry = {"Name": name, "Confidence": confidence, "Instances": [], "Parents": [], "Aliases": []}
        if name == "Dog":
            entry["Parents"] = [{"Name": "Animal"}]
        return {"Timestamp": t, "Label": entry}

    first = [label(t, "Dog", 90.0 + t / 1000) for t in (500, 1000, 1500)] + [label(1500, "Ball", 70.0)]
    second = [label(t, "Dog", 90.0) for t in (2000, 2500, 3000)]
    common = {"JobStatus": "SUCCEEDED", "VideoMetadata": _metadata(), "LabelModelVersion": "3.0"}
    return [{**common, "Labels": first, "NextToken": "page-2"}, {**common, "Labels": second}]


def faces_page() -> dict[str, Any]:
    """GetFaceSearch: one person (Index 0) from 1 s to 2 s, matching a face of the collection; a person
    seen from behind (no face) at 2.5 s."""

    def person(t: int) -> dict[str, Any]:
        face = {"BoundingBox": BOX, "Confidence": 99.5, "Pose": {"Yaw": 5.0, "Roll": 0.0, "Pitch": 0.0}}
        matches = [{"Similarity": 98.0, "Face": {"FaceId": MATCHED_FACE, "Confidence": 99.9}}]
        return {
            "Timestamp": t,
            "Person": {"Index": 0, "BoundingBox": BOX, "Face": face},
            "FaceMatches": matches,
        }

    persons = [person(t) for t in (1000, 1500, 2000)]
    persons.append({"Timestamp": 2500, "Person": {"Index": 1, "BoundingBox": BOX}})
    return {"JobStatus": "SUCCEEDED", "VideoMetadata": _metadata(), "Persons": persons}


def text_page() -> dict[str, Any]:
    """GetTextDetection: a line (with its words) at 0.5 s and 1 s."""

    def detections(t: int) -> list[dict[str, Any]]:
        geometry = {"BoundingBox": BOX}
        line = {
            "DetectedText": "GOOD  DOG",
            "Type": "LINE",
            "Id": 0,
            "Confidence": 97.0,
            "Geometry": geometry,
        }
        words = [
            {"DetectedText": word, "Type": "WORD", "Id": n + 1, "ParentId": 0, "Confidence": 97.0}
            for n, word in enumerate(("GOOD", "DOG"))
        ]
        return [{"Timestamp": t, "TextDetection": d} for d in (line, *words)]

    found = detections(500) + detections(1000)
    return {"JobStatus": "SUCCEEDED", "VideoMetadata": _metadata(), "TextDetections": found}


@dataclasses.dataclass
class VideoFunction:
    """The real handler, in-process, with a stubbed Rekognition: S3 events start jobs, SNS notices collect
    them. Every Rekognition call must be one the test expects (``stub``), so "no calls" is checked."""

    world: CloudWorld
    runtime: Runtime
    stub: Stubber

    @classmethod
    def of(cls, world: CloudWorld) -> VideoFunction:
        rekognition = boto3.client("rekognition", region_name=REGION)
        stub = Stubber(rekognition)
        stub.activate()
        topic, role = world.video_topic()
        runtime = dataclasses.replace(
            world.runtime(), rekognition=rekognition, video_topic_arn=topic, video_role_arn=role
        )
        return cls(world, runtime, stub)

    def expect_starts(self, key: str, content_hash: str, jobs: dict[str, str]) -> None:
        topic, role = self.world.video_topic()
        for feature in calls.VIDEO_FEATURES:  # the order the function starts them in
            if feature in jobs:
                operation = calls.video_operation(feature, self.world.collection)
                params = calls.video_request(
                    feature, self.world.bucket, key, content_hash, self.world.collection, topic, role, "t"
                )
                self.stub.add_response(
                    _method(operation.start), {"JobId": jobs[feature]}, {**params, "ClientRequestToken": ANY}
                )

    def uploads(self) -> int:
        """Delivers the S3 event of every upload not handled yet."""
        events = self.world.new_events()
        for event in events:
            handle(event, LambdaContext(), self.runtime)
        return len(events)

    def notice(self, key: str, content_hash: str, feature: str, status: str = "SUCCEEDED") -> None:
        operation = calls.video_operation(feature, self.world.collection)
        event = sns_event(
            JOBS[feature],
            operation.start,
            self.world.bucket,
            key,
            status,
            content_hash=content_hash,
            topic=self.world.video_topic()[0],
        )
        handle(event, LambdaContext(), self.runtime)

    def expect_results(self, features: tuple[str, ...] = tuple(JOBS)) -> None:
        """The Get* pages of the jobs of ``features``, in the order their notices come."""
        if "labels" in features:
            first, second = labels_pages()
            self.stub.add_response("get_label_detection", first, {"JobId": "job-labels", "MaxResults": 1000})
            self.stub.add_response(
                "get_label_detection",
                second,
                {"JobId": "job-labels", "MaxResults": 1000, "NextToken": "page-2"},
            )
        if "faces" in features:
            self.stub.add_response(
                "get_face_search", faces_page(), {"JobId": "job-faces", "MaxResults": 1000}
            )
        if "text" in features:
            self.stub.add_response(
                "get_text_detection", text_page(), {"JobId": "job-text", "MaxResults": 1000}
            )


def _method(operation: str) -> str:
    from botocore import xform_name

    return xform_name(operation)


def moments(library: Library, content_hash: str) -> dict[tuple[str, str], tuple[TimeRange, ...]]:
    return {(m.kind, m.key): m.ranges for m in video_rows.moments_for(library.catalog, content_hash)}


# -- the tests --------------------------------------------------------------------------------------------
def test_a_video_goes_up_whole_is_analyzed_by_jobs_and_syncs_into_the_timeline(tmp_path: Path, cloud, cli):
    (tmp_path / "a-videos").mkdir()
    dog_video(tmp_path / "a-videos" / "walk.mp4")
    a = device(tmp_path, "a", cloud, tmp_path / "a-videos")
    function = VideoFunction.of(cloud)
    try:
        content_hash = video_hash(a)
        key = items.video_key(content_hash, "mp4")
        first = analyze(a)
        assert (first.analyzed, first.waiting, first.failed) == (0, 1, [])
        uploaded = cloud.metadata(items.VIDEO_PREFIX)
        assert list(uploaded) == [key]
        assert uploaded[key][items.FEATURES_METADATA] == "faces,labels,text"
        assert uploaded[key][items.UPLOAD_METADATA]  # a retry is told from a duplicate event by it
        body = cloud.client("s3").get_object(Bucket=cloud.bucket, Key=key)["Body"].read()
        assert body == (tmp_path / "a-videos" / "walk.mp4").read_bytes()  # the original, not a keyframe
        assert cloud_rows.waiting_count(a.catalog) == 1
        # celebrities are not asked of videos: recorded, so the next run does not ask again
        assert analyze(a).waiting == 1 and len(cloud.objects(items.VIDEO_PREFIX)) == 1

        function.expect_starts(key, content_hash, JOBS)
        assert function.uploads() == 1
        function.expect_results()
        for feature in JOBS:
            function.notice(key, content_hash, feature)
        function.stub.assert_no_pending_responses()
        # a name given on another device, after the video was analyzed, to the face its person matches
        person = items.PersonItem("user-rex", "Rex's owner", (MATCHED_FACE,), items.now_us())
        cloud.put(items.encode_person(person))

        report = run_to_end(sync(a.catalog, CloudLibrary(a.settings)))
        assert (report.results, report.failures, report.people) == (1, 0, 1)
        assert cloud_rows.waiting_count(a.catalog) == 0
        seen = moments(a, content_hash)
        assert seen == {
            ("label", "Dog"): (TimeRange(500, 3500),),
            ("label", "Ball"): (TimeRange(1500, 2000),),
            ("face", "0"): (TimeRange(1000, 2500),),
            ("text", "good dog"): (TimeRange(500, 1500),),
        }
        stored = results_for(a.catalog, content_hash)
        assert [(x.name, round(x.confidence, 1)) for x in stored.labels] == [("Dog", 91.5), ("Ball", 70.0)]
        (face,) = stored.faces  # one appearance, not one per sampled time
        assert face.attributes["matched_face_id"] == MATCHED_FACE and face.attributes["similarity"] == 98.0
        assert face.person == "Rex's owner"
        assert people_rows.face(a.catalog, face.id).external_id is None  # the FaceId is the photo's own
        (hit,) = search(a.catalog, "person:Rex's owner")
        assert hit.why == ("person Rex's owner at 0:01–0:02",)
        assert [line.text for line in stored.text] == ["GOOD  DOG"]
        assert {(s.feature, s.model_version, s.status) for s in stored.states or ()} == {
            ("labels", "StartLabelDetection/2016-06-27", "done"),
            ("faces", f"StartFaceSearch/2016-06-27/{cloud.collection}", "done"),
            ("text", "StartTextDetection/2016-06-27", "done"),
        }

        # search, show and the player's timeline read it as they read a video analyzed here
        (hit,) = search(a.catalog, "dog")
        assert (
            hit.start_s == 0.5 and hit.why[0].startswith("label Dog") and hit.why[0].endswith("at 0:00–0:03")
        )
        shown = cli("--home", tmp_path / "a", "show", tmp_path / "a-videos" / "walk.mp4", "--json").json()
        dog = next(label for label in shown["labels"] if label["name"] == "Dog")
        assert dog["seen_at"] == [{"start_s": 0.5, "end_s": 3.5}]
        assert shown["text"][0]["seen_at"] == [{"start_s": 0.5, "end_s": 1.5}]

        assert analyze(a).analyzed == 0  # nothing is pending any more: no upload, no look-up
        assert len(cloud.objects(items.VIDEO_PREFIX)) == 1
    finally:
        a.close()


def test_a_second_device_gets_the_video_with_no_upload_and_no_call(
    tmp_path: Path, cloud, fake_rekognition
) -> None:
    for name in ("a-videos", "b-videos"):
        (tmp_path / name).mkdir()
        dog_video(tmp_path / name / "walk.mp4")  # the same bytes on two computers
    a = device(tmp_path, "a", cloud, tmp_path / "a-videos")
    b = device(tmp_path, "b", cloud, tmp_path / "b-videos")
    function = VideoFunction.of(cloud)
    try:
        content_hash = video_hash(a)
        key = items.video_key(content_hash, "mp4")
        analyze(a)
        function.expect_starts(key, content_hash, JOBS)
        function.uploads()
        function.expect_results()
        for feature in JOBS:
            function.notice(key, content_hash, feature)
        run_to_end(sync(a.catalog, CloudLibrary(a.settings)))

        objects = cloud.objects(items.VIDEO_PREFIX)
        calls_before = fake_rekognition.total_calls
        run = b.analysis_run(b.analyzer())  # the run alone (no sync first): the look-up finds it
        try:
            report = run_to_end(run.run())
        finally:
            run.analyzer.close()
        assert (report.analyzed, report.waiting, report.failed) == (1, 0, [])
        assert cloud.objects(items.VIDEO_PREFIX) == objects  # nothing uploaded
        assert function.uploads() == 0  # so no event, and the stub (no responses left) saw no call
        assert fake_rekognition.total_calls == calls_before  # nor did the desktop call Rekognition
        function.stub.assert_no_pending_responses()
        assert moments(b, content_hash) == moments(a, content_hash)
        assert cloud_rows.waiting_count(b.catalog) == 0
        # and B's own sync skips it: it is imported already
        assert run_to_end(sync(b.catalog, CloudLibrary(b.settings))).results == 0
    finally:
        a.close()
        b.close()


def test_a_failed_video_job_is_shown_and_retried_paying_only_for_the_failed_job(tmp_path: Path, cloud):
    (tmp_path / "videos").mkdir()
    dog_video(tmp_path / "videos" / "walk.mp4")
    library = device(tmp_path, "a", cloud, tmp_path / "videos")
    function = VideoFunction.of(cloud)
    try:
        content_hash = video_hash(library)
        key = items.video_key(content_hash, "mp4")
        analyze(library)
        function.expect_starts(key, content_hash, JOBS)
        function.uploads()
        function.expect_results(("faces", "text"))
        function.notice(key, content_hash, "labels", "FAILED")  # e.g. a codec Rekognition Video cannot read
        function.notice(key, content_hash, "faces")
        function.notice(key, content_hash, "text")

        report = run_to_end(sync(library.catalog, CloudLibrary(library.settings)))
        assert (report.results, report.failures) == (0, 1)
        (failure,) = analysis_failures(library.catalog)
        assert failure.hash == content_hash and failure.backend == "rekognition"
        assert "labels: Rekognition Video could not analyze it (job FAILED)" in failure.error
        assert "in the cloud" in failure.error
        assert cloud_rows.waiting_count(library.catalog) == 0
        again = analyze(library)  # a recorded failure is not tried again by itself
        assert (again.waiting, len(cloud.metadata(items.VIDEO_PREFIX))) == (0, 1)

        clear_failures(library.catalog)  # "Retry": the video goes up again
        retried = analyze(library)
        assert (retried.waiting, retried.failed) == (1, [])
        function.stub.assert_no_pending_responses()  # what follows is all the retry may call
        function.expect_starts(key, content_hash, {"labels": "job-labels"})
        assert function.uploads() == 1
        function.expect_results(("labels",))
        function.notice(key, content_hash, "labels")
        function.stub.assert_no_pending_responses()

        assert run_to_end(sync(library.catalog, CloudLibrary(library.settings))).results == 1
        assert analysis_failures(library.catalog) == []
        assert set(moments(library, content_hash)) == {
            ("label", "Dog"),
            ("label", "Ball"),
            ("face", "0"),
            ("text", "good dog"),
        }
    finally:
        library.close()


def test_a_video_rekognition_video_cannot_take_is_refused_before_any_upload(tmp_path: Path, cloud) -> None:
    (tmp_path / "videos").mkdir()
    dog_video(tmp_path / "videos" / "walk.avi", fourcc="MJPG")
    library = device(tmp_path, "a", cloud, tmp_path / "videos")
    try:
        report = analyze(library)
        (failed,) = report.failed
        assert "MP4 and MOV" in failed["error"] and ".avi" in failed["error"]
        assert cloud.objects(items.VIDEO_PREFIX) == []
        assert analyze(library).failed == []  # recorded: not refused again every run
    finally:
        library.close()


def test_things_seen_apart_are_two_ranges_not_one() -> None:
    """A Get* lists only the times something was seen: a gap is not bridged."""
    response = {
        "VideoMetadata": {"DurationMillis": 60_000},
        "Labels": [
            {"Timestamp": t, "Label": {"Name": "Dog", "Confidence": 90.0}} for t in (0, 500, 1000, 40_000)
        ]
        + [{"Timestamp": 20_000, "Label": {"Name": "Cat", "Confidence": 80.0}}],
    }
    found = video_result({Feature.LABELS: response})
    ranges = {m.key: m.ranges for m in found.moments}
    assert ranges == {
        "Dog": (TimeRange(0, 1500), TimeRange(40_000, 40_500)),
        "Cat": (TimeRange(20_000, 20_500),),
    }
    assert found.result.features == {Feature.LABELS}
    assert found.result.raw["labels"] == {"video": {"DurationMillis": 60_000}, "samples": 5}


def test_a_large_video_goes_up_in_parts_with_its_metadata(tmp_path: Path, cloud) -> None:
    """Above boto3's multipart threshold (8 MB) the file is streamed in parts; the object, its metadata
    (features, upload id) and its bytes are whole once the upload completes."""
    with Library.open(tmp_path / "a") as opened:
        settings = opened.settings.with_changes(backend="cloud", cloud_stack=cloud.stack, aws_region=REGION)
    content = bytes(range(256)) * (9 * 4096)  # 9 MB: two parts
    path = tmp_path / "big.mov"
    path.write_bytes(content)
    library = CloudLibrary(settings)
    content_hash = "ef" * 16
    try:
        with open(path, "rb") as video:
            library.upload_video(content_hash, ".mov", video, {Feature.LABELS, Feature.FACES})
    finally:
        library.close()
    key = items.video_key(content_hash, "mov")
    s3 = cloud.client("s3")
    head = s3.head_object(Bucket=cloud.bucket, Key=key)
    assert head["ETag"].strip('"').endswith("-2")  # a multipart upload's ETag counts its parts
    assert head["ContentType"] == "video/quicktime"
    assert head["Metadata"][items.FEATURES_METADATA] == "faces,labels"
    assert len(head["Metadata"][items.UPLOAD_METADATA]) == 32
    assert s3.get_object(Bucket=cloud.bucket, Key=key)["Body"].read() == content
