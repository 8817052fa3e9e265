"""Which FaceService answers for each backend's faces, from settings and the analyzer in use."""

from __future__ import annotations

from typing import Any

from photosorter.core.faces.service import FaceService, LocalFaceService
from photosorter.core.settings import Settings


def face_services(
    settings: Settings, analyzer: Any | None = None, *, rekognition: bool | None = None
) -> dict[str, FaceService]:
    """``{"local": ..., "rekognition": ...}``, or local only when no Rekognition collection is at hand.

    The collection is the analyzer's (``RekognitionAnalyzer.collection``) when it has one, with
    its calls counted in the analyzer's meter but not refused by its budget.
    Without such an analyzer, a client is built from ``settings`` (lazily: no call is made
    here) when ``rekognition`` is True, or when it is None and Rekognition is the chosen
    backend; pass True when the catalog holds Rekognition faces, so that forgetting reaches
    the collection even after the user switched back to the local backend.
    """
    services: dict[str, FaceService] = {"local": LocalFaceService()}
    collection = getattr(analyzer, "collection", None)
    if collection is not None:
        # Grouping the faces a run stored is not refused by that run's budget, or a run the budget
        # stopped would leave the faces it paid for off the People page; its searches are counted
        # in the run's calls and cost.
        collection = collection.outside_budget()
    if collection is None and (rekognition or (rekognition is None and settings.backend == "rekognition")):
        from photosorter.core.analysis.rekognition import FaceCollection, RekognitionClient

        client = RekognitionClient(settings.aws_profile, settings.aws_region, rate_limit=settings.rate_limit)
        collection = FaceCollection(client, settings.collection_id)
    if collection is not None and rekognition is not False:
        from photosorter.core.faces.rekognition_service import RekognitionFaceService

        services["rekognition"] = RekognitionFaceService(collection)
    return services
