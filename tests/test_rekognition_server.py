"""The real boto3 client against the fake Rekognition server (tests/rekognition_server.py).

The client finds the server through boto3's own ``AWS_ENDPOINT_URL_REKOGNITION``,
so these tests cover signing, the JSON protocol, botocore's retries and our
error mapping end to end, without AWS.
"""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from photosorter.core.analysis.pricing import BudgetExceeded, Operation
from photosorter.core.analysis.rekognition import RekognitionAnalyzer, RekognitionRequestError
from photosorter.core.analysis.types import (
    AnalysisError,
    FatalAnalysisError,
    Feature,
    TransientAnalysisError,
)
from rekognition_server import FakeRekognition

ALL = frozenset(Feature)


def jpeg(seed: int, size: tuple[int, int] = (160, 120), fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (seed % 256, seed * 7 % 256, seed * 13 % 256)).save(out, fmt)
    return out.getvalue()


def analyzer(**kwargs) -> RekognitionAnalyzer:
    kwargs.setdefault("region", "us-east-1")
    kwargs.setdefault("rate_limit", 0)
    kwargs.setdefault("collection_id", "library")
    kwargs.setdefault("max_attempts", 3)
    return RekognitionAnalyzer(**kwargs)


def test_analyze_every_feature_end_to_end(fake_rekognition: FakeRekognition) -> None:
    rek = analyzer()
    seeds = range(8)
    results = [rek.analyze(jpeg(seed), ALL) for seed in seeds]

    assert fake_rekognition.regions == {"us-east-1"}
    assert all(r.features == ALL and set(r.raw) == {f.value for f in Feature} for r in results)
    assert all(r.labels for r in results)
    faces = [f for r in results for f in r.faces]
    assert faces and all(f.external_id in fake_rekognition.collections["library"].faces for f in faces)
    assert all(f.attributes["age_range"] and f.attributes["emotions"] for f in faces)
    lines = [line for r in results for line in r.text]
    assert lines and all(line.text == " ".join(line.words) for line in lines)
    # The collection was created once, on first use, then IndexFaces was retried.
    assert fake_rekognition.served["CreateCollection"] == 1
    assert fake_rekognition.calls["IndexFaces"] == len(seeds) + 1
    assert rek.meter.calls[Operation.INDEX_FACES] == len(seeds)
    assert rek.meter.estimated_cost_usd == pytest.approx(0.001 * 5 * len(seeds))


def test_answers_depend_on_the_image(fake_rekognition: FakeRekognition) -> None:
    rek = analyzer()
    a, b = (rek.analyze(jpeg(seed), frozenset({Feature.LABELS})) for seed in (1, 2))
    assert rek.analyze(jpeg(1), frozenset({Feature.LABELS})).labels == a.labels
    assert a.labels != b.labels


def test_throttling_is_retried(fake_rekognition: FakeRekognition) -> None:
    fake_rekognition.throttle_every = 3
    rek = analyzer(max_attempts=4)
    for seed in range(3):
        rek.analyze(jpeg(seed), frozenset({Feature.LABELS, Feature.TEXT}))
    assert rek.meter.total_calls == 6
    assert fake_rekognition.total_calls == 8  # two throttled attempts were retried, and not billed


@pytest.mark.parametrize("fault", [("InternalServerError", 500), ("ServiceUnavailable", 503), ("RESET", 0)])
def test_server_errors_and_resets_are_retried(
    fake_rekognition: FakeRekognition, fault: tuple[str, int]
) -> None:
    fake_rekognition.fail_next(fault[0], fault[1], times=2)
    result = analyzer().analyze(jpeg(3), frozenset({Feature.LABELS}))
    assert result.labels
    assert fake_rekognition.calls["DetectLabels"] == 3


@pytest.mark.parametrize("fault", [("InternalServerError", 500), ("ThrottlingException", 400), ("RESET", 0)])
def test_persistent_failures_leave_the_photo_pending(
    fake_rekognition: FakeRekognition, fault: tuple[str, int]
) -> None:
    fake_rekognition.fail_next(fault[0], fault[1], times=10)
    rek = analyzer(max_attempts=2)
    with pytest.raises(TransientAnalysisError, match="pending"):
        rek.analyze(jpeg(3), frozenset({Feature.LABELS}))
    assert fake_rekognition.calls["DetectLabels"] == 2
    assert rek.meter.total_calls == 0 and rek.meter.estimated_cost_usd == 0
    assert rek.meter.remaining() is None


def test_a_rejected_image_is_a_per_photo_error(fake_rekognition: FakeRekognition) -> None:
    fake_rekognition.fail_next("InvalidImageFormatException", operation="DetectText")
    rek = analyzer()
    with pytest.raises(AnalysisError, match="InvalidImageFormatException") as caught:
        rek.analyze(jpeg(1), frozenset({Feature.LABELS, Feature.TEXT}))
    assert isinstance(caught.value, RekognitionRequestError)
    assert rek.analyze(jpeg(2), frozenset({Feature.TEXT})).features == {Feature.TEXT}  # the run goes on


def test_rejected_credentials_are_fatal_with_one_clear_message(
    fake_rekognition: FakeRekognition, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text("[travel]\naws_access_key_id = AKIABAD\naws_secret_access_key = nope\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    fake_rekognition.reject_keys.add("AKIABAD")
    rek = analyzer(profile="travel")
    with pytest.raises(FatalAnalysisError) as caught:
        rek.analyze(jpeg(1), frozenset({Feature.LABELS}))
    message = str(caught.value)
    assert "AWS credentials were rejected (UnrecognizedClientException)" in message
    assert "profile 'travel'" in message and "aws sso login --profile travel" in message
    assert fake_rekognition.calls["DetectLabels"] == 1  # not retried


def test_access_denied_is_fatal(fake_rekognition: FakeRekognition) -> None:
    fake_rekognition.deny_keys.add("testing")
    with pytest.raises(FatalAnalysisError, match=r"rekognition:DetectText.*AmazonRekognitionFullAccess"):
        analyzer().analyze(jpeg(1), frozenset({Feature.TEXT}))


def test_missing_credentials_are_fatal(
    fake_rekognition: FakeRekognition, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(FatalAnalysisError, match="no usable AWS credentials"):
        analyzer().analyze(jpeg(1), frozenset({Feature.LABELS}))
    assert fake_rekognition.total_calls == 0


def test_unknown_profile_is_fatal(fake_rekognition: FakeRekognition) -> None:
    with pytest.raises(FatalAnalysisError, match="profile 'nobody' does not exist"):
        analyzer(profile="nobody").check_connection()


def test_unknown_region_is_fatal_without_a_call(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_REKOGNITION", raising=False)
    with pytest.raises(FatalAnalysisError, match=r"not available in region 'mars-north-1'.*us-east-1"):
        analyzer(region="mars-north-1").analyze(jpeg(1), frozenset({Feature.LABELS}))


def test_no_region_is_fatal(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(FatalAnalysisError, match="no AWS region"):
        analyzer(region=None).check_connection()


def test_check_connection(fake_rekognition: FakeRekognition) -> None:
    message = analyzer().check_connection()
    assert "us-east-1" in message and "'library'" in message
    assert fake_rekognition.requests[-1] == ("ListCollections", {"MaxResults": 1})
    fake_rekognition.deny_keys.add("testing")
    with pytest.raises(FatalAnalysisError, match="rekognition:ListCollections"):
        analyzer().check_connection()


def test_images_rekognition_cannot_take_cost_no_call(fake_rekognition: FakeRekognition) -> None:
    rek = analyzer()
    with pytest.raises(AnalysisError, match="at least 80 px"):
        rek.analyze(jpeg(1, size=(79, 200)), ALL)
    with pytest.raises(AnalysisError, match="cannot read"):
        rek.analyze(b"not an image", ALL)
    assert fake_rekognition.total_calls == 0
    # PNG goes as it is; other formats are converted to JPEG first.
    rek.analyze(jpeg(1, fmt="PNG"), frozenset({Feature.LABELS}))
    rek.analyze(jpeg(1, fmt="GIF"), frozenset({Feature.LABELS}))
    import base64

    sent = [base64.b64decode(body["Image"]["Bytes"])[:4] for op, body in fake_rekognition.requests]
    assert sent == [b"\x89PNG", b"\xff\xd8\xff\xe0"]


def test_budget_stops_the_run_before_it_is_exceeded(fake_rekognition: FakeRekognition) -> None:
    rek = analyzer(budget=0.005)
    rek.analyze(jpeg(1), frozenset({Feature.LABELS, Feature.TEXT}))
    rek.analyze(jpeg(2), frozenset({Feature.LABELS, Feature.TEXT}))
    calls = fake_rekognition.total_calls
    with pytest.raises(BudgetExceeded) as caught:
        rek.analyze(jpeg(3), frozenset({Feature.LABELS, Feature.TEXT}))
    assert isinstance(caught.value, FatalAnalysisError)
    assert fake_rekognition.total_calls == calls
    assert rek.meter.estimated_cost_usd == pytest.approx(0.004)
    rek.analyze(jpeg(3), frozenset({Feature.LABELS}))  # exactly the budget is allowed
    assert rek.meter.estimated_cost_usd == pytest.approx(0.005)


def test_rate_limit_holds_across_threads(fake_rekognition: FakeRekognition) -> None:
    fake_rekognition.latency = 0.02
    rek = analyzer(rate_limit=20)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda s: rek.analyze(jpeg(s), frozenset({Feature.LABELS})), range(40)))
    elapsed = time.monotonic() - started
    assert len(results) == 40
    # 20 calls may go at once (the burst), the other 20 at 20/s.
    assert elapsed >= 0.9
    assert threading.active_count() < 50


def test_people_helpers(fake_rekognition: FakeRekognition) -> None:
    rek = analyzer()
    face_ids = [
        f.external_id for s in range(12) for f in rek.analyze(jpeg(s), frozenset({Feature.FACES})).faces
    ]
    assert len(face_ids) >= 4
    people = rek.collection
    assert people is not None
    assert people.create_user("person-1") is True
    assert people.create_user("person-1") is False
    result = people.associate_faces("person-1", [*face_ids[:2], "00000000-0000-0000-0000-000000000000"])
    assert result.associated == tuple(face_ids[:2])
    assert result.failed == {"00000000-0000-0000-0000-000000000000": ("FACE_NOT_FOUND",)}
    users = people.search_users(face_ids[0])
    assert users[0].user_id == "person-1" and users[0].similarity > 90
    matches = people.search_faces(face_ids[0], threshold=0)
    assert all(m.face_id != face_ids[0] for m in matches)
    assert people.delete_faces(face_ids[:1]) == face_ids[:1]
    assert people.delete_collection() is True
    assert people.delete_collection() is False
    # Group 1 calls are billed; user and collection management is not.
    assert rek.meter.calls[Operation.SEARCH_USERS] == 1
    assert rek.meter.calls[Operation.CREATE_USER] == 1
