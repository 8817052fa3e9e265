"""Amazon Rekognition backend: labels, faces, text, moderation and celebrities.

``client`` (session, pacing, metering, error mapping), ``images`` (what may be
sent), ``convert`` (responses to records), ``collection`` (the face collection
and People helpers) and ``analyzer`` (the Analyzer protocol).
"""

from photosorter.core.analysis.rekognition.analyzer import API_VERSION, RekognitionAnalyzer
from photosorter.core.analysis.rekognition.client import (
    RekognitionClient,
    RekognitionRequestError,
    known_regions,
)
from photosorter.core.analysis.rekognition.collection import (
    AssociateResult,
    FaceCollection,
    FaceMatch,
    UserMatch,
)
from photosorter.core.analysis.rekognition.images import MAX_IMAGE_BYTES, MIN_IMAGE_SIDE, prepare_image

__all__ = [
    "API_VERSION",
    "MAX_IMAGE_BYTES",
    "MIN_IMAGE_SIDE",
    "AssociateResult",
    "FaceCollection",
    "FaceMatch",
    "RekognitionAnalyzer",
    "RekognitionClient",
    "RekognitionRequestError",
    "UserMatch",
    "known_regions",
    "prepare_image",
]
