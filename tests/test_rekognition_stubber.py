"""RekognitionAnalyzer and the face collection against botocore's Stubber.

The Stubber checks every request and canned response against the real
Rekognition service model, so parameter names and shapes are those AWS expects.
"""

from __future__ import annotations

import io

import pytest
from botocore.stub import ANY, Stubber
from PIL import Image

from photosorter.core.analysis.pricing import (
    BudgetExceeded,
    CostMeter,
    Operation,
    estimate,
    operations_for,
)
from photosorter.core.analysis.rekognition import RekognitionAnalyzer, RekognitionRequestError
from photosorter.core.analysis.types import (
    AnalysisError,
    Box,
    FatalAnalysisError,
    Feature,
    TransientAnalysisError,
)

FACE_ID = "11111111-2222-3333-4444-555555555555"
OTHER_FACE_ID = "66666666-7777-8888-9999-000000000000"
BOX = {"Width": 0.25, "Height": 0.5, "Left": 0.25, "Top": 0.125}


def make_jpeg(size: tuple[int, int] = (200, 150)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


IMAGE = make_jpeg()


def analyzer(client, **kwargs) -> RekognitionAnalyzer:
    kwargs.setdefault("collection_id", "library")
    return RekognitionAnalyzer(client=client, rate_limit=0, **kwargs)


LABELS_RESPONSE = {
    "Labels": [
        {
            "Name": "Dog",
            "Confidence": 98.5,
            "Instances": [{"BoundingBox": BOX, "Confidence": 97.0}],
            "Parents": [{"Name": "Animal"}, {"Name": "Pet"}],
            "Aliases": [{"Name": "Canine"}],
            "Categories": [{"Name": "Animals and Pets"}],
        },
        {
            "Name": "Beach",
            "Confidence": 80.0,
            "Instances": [],
            "Parents": [],
            "Aliases": [],
            "Categories": [],
        },
    ],
    "LabelModelVersion": "3.0",
}
FACE_DETAIL = {
    "BoundingBox": {"Width": 0.5, "Height": 0.5, "Left": 0.75, "Top": -0.1},  # sticks out of the image
    "AgeRange": {"Low": 25, "High": 35},
    "Smile": {"Value": True, "Confidence": 96.0},
    "Eyeglasses": {"Value": False, "Confidence": 99.0},
    "Sunglasses": {"Value": False, "Confidence": 99.5},
    "Gender": {"Value": "Female", "Confidence": 99.0},
    "Beard": {"Value": False, "Confidence": 93.0},
    "Mustache": {"Value": False, "Confidence": 97.0},
    "EyesOpen": {"Value": True, "Confidence": 98.0},
    "MouthOpen": {"Value": True, "Confidence": 90.0},
    "Emotions": [{"Type": "CALM", "Confidence": 10.0}, {"Type": "HAPPY", "Confidence": 85.0}],
    "Landmarks": [{"Type": "nose", "X": 0.8, "Y": 0.2}],
    "Pose": {"Roll": 1.0, "Yaw": -5.0, "Pitch": 3.0},
    "Quality": {"Brightness": 70.0, "Sharpness": 85.0},
    "Confidence": 99.9,
    "FaceOccluded": {"Value": False, "Confidence": 99.0},
    "EyeDirection": {"Yaw": 2.0, "Pitch": -1.0, "Confidence": 98.0},
}
INDEX_RESPONSE = {
    "FaceRecords": [
        {
            "Face": {"FaceId": FACE_ID, "BoundingBox": BOX, "ImageId": FACE_ID, "Confidence": 99.9},
            "FaceDetail": FACE_DETAIL,
        }
    ],
    "FaceModelVersion": "7.0",
    "UnindexedFaces": [
        {"Reasons": ["LOW_SHARPNESS"], "FaceDetail": {"BoundingBox": BOX, "Confidence": 60.0}},
    ],
}
TEXT_RESPONSE = {
    "TextDetections": [
        {
            "DetectedText": "STOP HERE",
            "Type": "LINE",
            "Id": 0,
            "Confidence": 99.0,
            "Geometry": {"BoundingBox": BOX},
        },
        {"DetectedText": "STOP", "Type": "WORD", "Id": 1, "ParentId": 0, "Confidence": 99.0},
        {"DetectedText": "HERE", "Type": "WORD", "Id": 2, "ParentId": 0, "Confidence": 98.0},
    ],
    "TextModelVersion": "3.0",
}
MODERATION_RESPONSE = {
    "ModerationLabels": [
        {"Confidence": 90.0, "Name": "Swimwear or Underwear", "ParentName": ""},
        {"Confidence": 88.0, "Name": "Swimwear", "ParentName": "Swimwear or Underwear"},
    ],
    "ModerationModelVersion": "7.0",
}
CELEBRITY_RESPONSE = {
    "CelebrityFaces": [
        {
            "Urls": ["www.imdb.com/name/nm0000001"],
            "Name": "Famous Person",
            "Id": "abc123",
            "Face": {"BoundingBox": BOX, "Confidence": 99.0},
            "MatchConfidence": 97.0,
        }
    ],
    "UnrecognizedFaces": [],
}
LABELS_REQUEST = {"Image": {"Bytes": IMAGE}, "Features": ["GENERAL_LABELS"]}
INDEX_REQUEST = {"CollectionId": "library", "Image": {"Bytes": IMAGE}, "DetectionAttributes": ["ALL"]}


def test_every_feature_is_one_call_and_converted(client, stub: Stubber) -> None:
    stub.add_response("detect_labels", LABELS_RESPONSE, LABELS_REQUEST)
    stub.add_response("detect_text", TEXT_RESPONSE, {"Image": {"Bytes": IMAGE}})
    stub.add_response("detect_moderation_labels", MODERATION_RESPONSE, {"Image": {"Bytes": IMAGE}})
    stub.add_response("recognize_celebrities", CELEBRITY_RESPONSE, {"Image": {"Bytes": IMAGE}})
    stub.add_response("index_faces", INDEX_RESPONSE, INDEX_REQUEST)  # last: it stores faces
    rek = analyzer(client)
    result = rek.analyze(IMAGE, frozenset(Feature))

    assert result.backend == "rekognition" and result.features == frozenset(Feature)
    dog, beach = result.labels
    assert (dog.name, dog.confidence, dog.parents, dog.aliases) == (
        "Dog",
        98.5,
        ("Animal", "Pet"),
        ("Canine",),
    )
    assert dog.categories == ("Animals and Pets",)
    assert dog.instances == (Box(0.25, 0.125, 0.25, 0.5),)
    assert beach.instances == () and beach.parents == ()

    face, skipped = result.faces
    assert face.external_id == FACE_ID and face.confidence == 99.9
    assert face.box == Box(0.75, 0.0, 0.25, 0.4)  # clipped to the image
    assert face.landmarks == (("nose", 0.8, 0.2),)
    assert face.pose == {"roll": 1.0, "yaw": -5.0, "pitch": 3.0}
    assert face.quality == {"brightness": 70.0, "sharpness": 85.0}
    attributes = face.attributes
    assert attributes["age_range"] == {"low": 25, "high": 35}
    assert attributes["smile"] == {"value": True, "confidence": 96.0}
    assert attributes["gender"]["value"] == "Female"
    assert [e["type"] for e in attributes["emotions"]] == ["HAPPY", "CALM"]
    assert {"eyeglasses", "sunglasses", "beard", "mustache", "eyes_open", "mouth_open"} <= set(attributes)
    assert skipped.external_id is None and skipped.attributes["unindexed_reasons"] == ["LOW_SHARPNESS"]

    (line,) = result.text
    assert (line.text, line.words, line.box) == ("STOP HERE", ("STOP", "HERE"), Box(0.25, 0.125, 0.25, 0.5))
    assert [(m.name, m.parent) for m in result.moderation] == [
        ("Swimwear or Underwear", ""),
        ("Swimwear", "Swimwear or Underwear"),
    ]
    (celebrity,) = result.celebrities
    assert (celebrity.name, celebrity.external_id, celebrity.urls) == (
        "Famous Person",
        "abc123",
        ("www.imdb.com/name/nm0000001",),
    )
    assert result.raw["labels"]["LabelModelVersion"] == "3.0"
    assert result.raw["faces"]["FaceRecords"][0]["Face"]["FaceId"] == FACE_ID
    assert "ResponseMetadata" not in result.raw["text"]
    assert rek.meter.calls == {op: 1 for op in operations_for(Feature)}
    assert rek.meter.estimated_cost_usd == pytest.approx(0.005)


def test_default_features_and_model_versions(client, stub: Stubber) -> None:
    rek = analyzer(client)
    assert rek.name == "rekognition"
    assert rek.default_features == {Feature.LABELS, Feature.FACES, Feature.TEXT}
    assert rek.model_version(Feature.LABELS) == "DetectLabels/2016-06-27"
    assert rek.model_version(Feature.FACES) == "IndexFaces/2016-06-27/library"
    assert analyzer(client, collection_id=None).model_version(Feature.FACES) == "DetectFaces/2016-06-27"
    stub.add_response("detect_labels", LABELS_RESPONSE, LABELS_REQUEST)
    stub.add_response("detect_text", TEXT_RESPONSE, {"Image": {"Bytes": IMAGE}})
    stub.add_response("index_faces", INDEX_RESPONSE, INDEX_REQUEST)
    assert rek.analyze(IMAGE, None).features == rek.default_features


def test_without_a_collection_faces_are_detected(client, stub: Stubber) -> None:
    stub.add_response(
        "detect_faces", {"FaceDetails": [FACE_DETAIL]}, {"Image": {"Bytes": IMAGE}, "Attributes": ["ALL"]}
    )
    (face,) = analyzer(client, collection_id=None).analyze(IMAGE, frozenset({Feature.FACES})).faces
    assert face.external_id is None and face.attributes["smile"]["value"] is True


def test_label_options_are_sent(client, stub: Stubber) -> None:
    settings = {"LabelExclusionFilters": ["Text"]}
    request = {
        **LABELS_REQUEST,
        "MinConfidence": 70.0,
        "MaxLabels": 20,
        "Settings": {"GeneralLabels": settings},
    }
    stub.add_response("detect_labels", LABELS_RESPONSE, request)
    rek = analyzer(client, min_label_confidence=70.0, max_labels=20, label_settings=settings)
    assert len(rek.analyze(IMAGE, frozenset({Feature.LABELS})).labels) == 2


def test_missing_collection_is_created_then_indexing_retried(client, stub: Stubber) -> None:
    stub.add_client_error("index_faces", "ResourceNotFoundException", http_status_code=400)
    stub.add_response(
        "create_collection", {"StatusCode": 200, "FaceModelVersion": "7.0"}, {"CollectionId": "library"}
    )
    stub.add_response("index_faces", INDEX_RESPONSE, INDEX_REQUEST)
    rek = analyzer(client)
    assert rek.analyze(IMAGE, frozenset({Feature.FACES})).faces[0].external_id == FACE_ID
    assert rek.meter.calls == {Operation.INDEX_FACES: 1, Operation.CREATE_COLLECTION: 1}
    assert rek.meter.estimated_cost_usd == pytest.approx(0.001)


def test_collection_created_concurrently_elsewhere(client, stub: Stubber) -> None:
    stub.add_client_error("index_faces", "ResourceNotFoundException", http_status_code=400)
    stub.add_client_error("create_collection", "ResourceAlreadyExistsException", http_status_code=400)
    stub.add_response("index_faces", INDEX_RESPONSE, INDEX_REQUEST)
    assert analyzer(client).analyze(IMAGE, frozenset({Feature.FACES})).faces


@pytest.mark.parametrize(
    ("code", "status", "kind", "words"),
    [
        ("InvalidImageFormatException", 400, RekognitionRequestError, "cannot read the image"),
        ("ImageTooLargeException", 400, RekognitionRequestError, "too large"),
        ("InvalidParameterException", 400, RekognitionRequestError, "invalid"),
        ("ThrottlingException", 400, TransientAnalysisError, "pending"),
        ("ProvisionedThroughputExceededException", 400, TransientAnalysisError, "pending"),
        ("InternalServerError", 500, TransientAnalysisError, "pending"),
        ("UnrecognizedClientException", 400, FatalAnalysisError, "credentials were rejected"),
        ("InvalidSignatureException", 400, FatalAnalysisError, "clock"),
        ("ExpiredTokenException", 400, FatalAnalysisError, "expired"),
        ("AccessDeniedException", 400, FatalAnalysisError, "rekognition:DetectLabels"),
    ],
)
def test_error_mapping(client, stub: Stubber, code: str, status: int, kind: type, words: str) -> None:
    stub.add_client_error("detect_labels", code, f"{code} happened", http_status_code=status)
    rek = analyzer(client)
    with pytest.raises(kind, match=words) as caught:
        rek.analyze(IMAGE, frozenset({Feature.LABELS, Feature.TEXT}))
    assert code in str(caught.value)
    if kind is RekognitionRequestError:
        assert isinstance(caught.value, AnalysisError) and caught.value.code == code
    assert rek.meter.total_calls == 0
    assert rek.meter.remaining() is None


def test_failed_photo_gives_its_budget_back(client, stub: Stubber) -> None:
    stub.add_response("detect_labels", LABELS_RESPONSE, LABELS_REQUEST)
    stub.add_client_error("detect_text", "InvalidImageFormatException", http_status_code=400)
    rek = analyzer(client, budget=0.002)
    with pytest.raises(AnalysisError):
        rek.analyze(IMAGE, frozenset({Feature.LABELS, Feature.TEXT}))
    assert rek.meter.estimated_cost_usd == pytest.approx(0.001)
    assert rek.meter.remaining() == pytest.approx(0.001)


def test_budget_is_checked_before_any_call(client, stub: Stubber) -> None:
    rek = analyzer(client, budget=0.002)
    with pytest.raises(BudgetExceeded, match=r"budget of \$0\.00"):
        rek.analyze(IMAGE, frozenset({Feature.LABELS, Feature.FACES, Feature.TEXT}))
    assert rek.meter.total_calls == 0  # the Stubber would have failed on any call


def test_images_rekognition_cannot_take_are_refused_without_a_call(client, stub: Stubber) -> None:
    rek = analyzer(client)
    with pytest.raises(AnalysisError, match="at least 80 px"):
        rek.analyze(make_jpeg((300, 60)), frozenset({Feature.LABELS}))
    with pytest.raises(AnalysisError, match="empty"):
        rek.analyze(b"", frozenset({Feature.LABELS}))
    big = io.BytesIO()
    Image.effect_noise((1400, 1400), 100).convert("RGB").save(big, "PNG")
    big_png = big.getvalue() + b"\0" * (5 * 1024 * 1024)  # PNG goes unconverted, so stays too big
    with pytest.raises(AnalysisError, match="at most 5 MB"):
        rek.analyze(big_png, frozenset({Feature.LABELS}))


def test_other_formats_are_sent_as_jpeg(client, stub: Stubber) -> None:
    webp = io.BytesIO()
    Image.new("RGBA", (120, 90), (0, 0, 0, 0)).save(webp, "WEBP")
    stub.add_response("detect_text", TEXT_RESPONSE, {"Image": {"Bytes": ANY}})
    seen = []
    client.meta.events.register(
        "before-parameter-build.rekognition.DetectText", lambda params, **_: seen.append(params)
    )
    analyzer(client).analyze(webp.getvalue(), frozenset({Feature.TEXT}))
    assert [p["Image"]["Bytes"][:3] for p in seen] == [b"\xff\xd8\xff"]


def test_check_connection(client, stub: Stubber) -> None:
    stub.add_response("list_collections", {"CollectionIds": ["library"]}, {"MaxResults": 1})
    assert "Connected to Amazon Rekognition in us-east-1" in analyzer(client).check_connection()
    stub.add_client_error("list_collections", "UnrecognizedClientException", http_status_code=400)
    with pytest.raises(FatalAnalysisError, match="UnrecognizedClientException"):
        analyzer(client).check_connection()


def test_collection_helpers(client, stub: Stubber) -> None:
    rek = analyzer(client)
    people = rek.collection
    assert people is not None
    stub.add_response("create_user", {}, {"CollectionId": "library", "UserId": "person-1"})
    stub.add_client_error("create_user", "ConflictException", http_status_code=400)
    stub.add_response(
        "associate_faces",
        {
            "AssociatedFaces": [{"FaceId": FACE_ID}],
            "UnsuccessfulFaceAssociations": [{"FaceId": OTHER_FACE_ID, "Reasons": ["LOW_CONFIDENCE"]}],
            "UserStatus": "UPDATING",
        },
        {"CollectionId": "library", "UserId": "person-1", "FaceIds": [FACE_ID, OTHER_FACE_ID]},
    )
    stub.add_response(
        "search_users",
        {
            "UserMatches": [
                {"Similarity": 91.0, "User": {"UserId": "person-2", "UserStatus": "ACTIVE"}},
                {"Similarity": 99.0, "User": {"UserId": "person-1", "UserStatus": "ACTIVE"}},
            ]
        },
        {"CollectionId": "library", "FaceId": FACE_ID, "UserMatchThreshold": 80.0, "MaxUsers": 5},
    )
    stub.add_response(
        "search_faces",
        {"SearchedFaceId": FACE_ID, "FaceMatches": [{"Similarity": 97.0, "Face": {"FaceId": OTHER_FACE_ID}}]},
        {"CollectionId": "library", "FaceId": FACE_ID, "FaceMatchThreshold": 80.0, "MaxFaces": 100},
    )
    stub.add_response(
        "delete_faces",
        {"DeletedFaces": [FACE_ID]},
        {"CollectionId": "library", "FaceIds": [FACE_ID, OTHER_FACE_ID]},
    )
    stub.add_response("delete_collection", {"StatusCode": 200}, {"CollectionId": "library"})
    stub.add_client_error("delete_collection", "ResourceNotFoundException", http_status_code=400)

    assert people.create_user("person-1") is True
    assert people.create_user("person-1") is False
    associated = people.associate_faces("person-1", [FACE_ID, OTHER_FACE_ID, FACE_ID])
    assert associated.associated == (FACE_ID,)
    assert associated.failed == {OTHER_FACE_ID: ("LOW_CONFIDENCE",)}
    assert associated.user_status == "UPDATING"
    assert people.search_users(FACE_ID) == [("person-1", 99.0), ("person-2", 91.0)]
    assert people.search_faces(FACE_ID) == [(OTHER_FACE_ID, 97.0)]
    assert people.delete_faces([FACE_ID, OTHER_FACE_ID]) == [FACE_ID]
    assert people.delete_collection() is True
    assert people.delete_collection() is False
    assert rek.meter.calls[Operation.ASSOCIATE_FACES] == 1
    assert rek.meter.estimated_cost_usd == pytest.approx(0.003)  # AssociateFaces, SearchUsers, SearchFaces


def test_ids_are_checked_before_calling(client) -> None:
    with pytest.raises(ValueError, match="collection id"):
        analyzer(client, collection_id="no spaces allowed")
    people = analyzer(client).collection
    assert people is not None
    with pytest.raises(ValueError, match="user id"):
        people.create_user("a/b")


def test_estimate_and_meter() -> None:
    calls, usd = estimate(200, {Feature.LABELS, Feature.FACES, Feature.TEXT})
    assert calls == {Operation.DETECT_LABELS: 200, Operation.INDEX_FACES: 200, Operation.DETECT_TEXT: 200}
    assert usd == pytest.approx(0.6)
    assert estimate(10, ["faces"], use_collection=False)[0] == {Operation.DETECT_FACES: 10}
    meter = CostMeter(budget=0.0025)
    meter.reserve([Operation.DETECT_LABELS, Operation.DETECT_TEXT])
    with pytest.raises(BudgetExceeded):
        meter.reserve([Operation.INDEX_FACES])
    meter.record(Operation.DETECT_LABELS, reserved=True)
    meter.release(0.001)
    meter.record("ListCollections")
    assert meter.calls == {Operation.DETECT_LABELS: 1, Operation.LIST_COLLECTIONS: 1}
    assert meter.estimated_cost_usd == pytest.approx(0.001)
    assert meter.snapshot()["calls"] == {"DetectLabels": 1, "ListCollections": 1}
