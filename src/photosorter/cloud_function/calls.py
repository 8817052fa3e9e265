"""The Rekognition requests the function makes, in one place.

Images get exactly the calls the desktop's ``RekognitionAnalyzer`` makes with its default settings (a test
sends both through botocore's Stubber and compares), so a result made in the cloud is the same result, with
the same model version, as one made directly: a photo analyzed one way is never paid for again the other.
This module cannot import the analyzer (the Lambda zip holds this package alone), hence the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

API_VERSION = "2016-06-27"
DEFAULT_FEATURES = ("labels", "faces", "text")  # the analyzer's default_features

# feature -> image operation, in the analyzer's order (Feature enum order)
IMAGE_OPERATIONS = {
    "labels": "DetectLabels",
    "faces": "IndexFaces",
    "text": "DetectText",
    "moderation": "DetectModerationLabels",
    "celebrities": "RecognizeCelebrities",
}


def image_operation(feature: str, collection_id: str) -> str:
    """Faces are indexed into the library's collection; without one (a stack that has none) detected."""
    return "DetectFaces" if feature == "faces" and not collection_id else IMAGE_OPERATIONS[feature]


def image_plan(features: frozenset[str], collection_id: str) -> list[tuple[str, str]]:
    """(feature, operation) to call for ``features``. IndexFaces stores faces, so it goes last: if another
    call fails and the photo is retried, its faces are not indexed twice."""
    plan = [(f, image_operation(f, collection_id)) for f in IMAGE_OPERATIONS if f in features]
    return sorted(plan, key=lambda item: item[1] == "IndexFaces")


def image_request(operation: str, image: bytes, collection_id: str) -> dict[str, Any]:
    """The parameters of one image call (``RekognitionAnalyzer._run`` and ``FaceCollection.index_faces``)."""
    params: dict[str, Any] = {"Image": {"Bytes": image}}
    if operation == "DetectLabels":
        params["Features"] = ["GENERAL_LABELS"]
    elif operation == "DetectFaces":
        params["Attributes"] = ["ALL"]
    elif operation == "IndexFaces":
        params = {"CollectionId": collection_id, **params, "DetectionAttributes": ["ALL"]}
    return params


def image_version(feature: str, collection_id: str) -> str:
    """``RekognitionAnalyzer.model_version``: the operation and API version; indexed faces name their
    collection, because their FaceIds live there."""
    operation = image_operation(feature, collection_id)
    version = f"{operation}/{API_VERSION}"
    return f"{version}/{collection_id}" if operation == "IndexFaces" else version


@dataclass(frozen=True, slots=True)
class VideoOperation:
    start: str  # "StartLabelDetection"
    get: str  # "GetLabelDetection"
    items: str  # the list a Get* response pages through ("Labels")


VIDEO_OPERATIONS = {
    "labels": VideoOperation("StartLabelDetection", "GetLabelDetection", "Labels"),
    "text": VideoOperation("StartTextDetection", "GetTextDetection", "TextDetections"),
    "moderation": VideoOperation("StartContentModeration", "GetContentModeration", "ModerationLabels"),
}
FACE_SEARCH = VideoOperation("StartFaceSearch", "GetFaceSearch", "Persons")
FACE_DETECTION = VideoOperation("StartFaceDetection", "GetFaceDetection", "Faces")
VIDEO_FEATURES = ("labels", "faces", "text", "moderation")  # celebrities are not asked of videos
GET_PAGE_SIZE = 1000  # the largest MaxResults every Get* accepts


def video_operation(feature: str, collection_id: str) -> VideoOperation:
    if feature == "faces":
        return FACE_SEARCH if collection_id else FACE_DETECTION
    return VIDEO_OPERATIONS[feature]


def video_operation_by_start(start: str) -> VideoOperation | None:
    for operation in (*VIDEO_OPERATIONS.values(), FACE_SEARCH, FACE_DETECTION):
        if operation.start == start:
            return operation
    return None


def video_request(
    feature: str,
    bucket: str,
    key: str,
    content_hash: str,
    collection_id: str,
    topic_arn: str,
    role_arn: str,
    token: str,
) -> dict[str, Any]:
    """The parameters of one Start* call. ``token`` (one per claim) is the ``ClientRequestToken``: a Start*
    sent again after a throttle or timeout returns the job the first one may have started instead of paying
    for another. ``JobTag`` names the video in the completion notice."""
    params: dict[str, Any] = {
        "Video": {"S3Object": {"Bucket": bucket, "Name": key}},
        "ClientRequestToken": f"{feature}-{token}"[:64],
        "NotificationChannel": {"SNSTopicArn": topic_arn, "RoleArn": role_arn},
        "JobTag": content_hash,
    }
    operation = video_operation(feature, collection_id)
    if operation is FACE_SEARCH:
        params["CollectionId"] = collection_id
    elif operation is FACE_DETECTION:
        params["FaceAttributes"] = "ALL"
    elif feature == "labels":
        params["Features"] = ["GENERAL_LABELS"]
    return params


def video_version(feature: str, collection_id: str) -> str:
    """The Start* operation and API version; a face search names the collection its FaceIds live in."""
    operation = video_operation(feature, collection_id)
    version = f"{operation.start}/{API_VERSION}"
    return f"{version}/{collection_id}" if operation is FACE_SEARCH else version
