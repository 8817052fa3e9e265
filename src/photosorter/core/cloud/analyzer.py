"""The ``cloud`` backend: a photo's content hash is looked up in the cloud library before anything else.

* a result any device made (state ``done``) is imported at once: 0 Rekognition calls, stored as the
  ``rekognition`` backend's result with the item's model versions, so a photo analyzed directly never
  pays again through the cloud and the other way round;
* ``failed``: the reason is recorded against the photo like a direct rejection (clearing the failure
  gives it another try: the image is uploaded again);
* ``analyzing``: another device's upload is being analyzed; the photo waits for the sync;
* no item: the analysis JPEG (the same image the ``rekognition`` backend sends, never the original)
  goes to ``analysis/<hash>.jpg`` with the features in its metadata, and the photo waits for the cloud.

A waiting photo is recorded in the catalog (``cloud_uploads``): it is neither failed nor uploaded again
by the next run; the sync that imports its result ends the wait.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from photosorter.cloud_function import items
from photosorter.core.analysis.pricing import operation_for
from photosorter.core.analysis.rekognition.analyzer import API_VERSION, RekognitionAnalyzer
from photosorter.core.analysis.rekognition.client import RekognitionClient
from photosorter.core.analysis.rekognition.collection import FaceCollection
from photosorter.core.analysis.rekognition.images import prepare_image
from photosorter.core.analysis.types import (
    AnalysisError,
    AnalysisResult,
    FatalAnalysisError,
    Feature,
    TransientAnalysisError,
)
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import cloud as cloud_rows
from photosorter.core.catalog.analysis import PendingContent
from photosorter.core.cloud.library import CloudLibrary
from photosorter.core.cloud.results import change_of
from photosorter.core.cloud.session import CloudError, CloudUnavailable
from photosorter.core.jobs import Job
from photosorter.core.settings import Settings


@dataclass(frozen=True, slots=True)
class Offloaded:
    """What the cloud backend did with one content (the run's writer stores it)."""

    content_hash: str
    change: cloud_rows.CloudResult | cloud_rows.CloudFailure | None = None  # found in the library
    waiting: bool = False  # uploaded, or being analyzed for another device: the result comes by sync
    features: frozenset[Feature] = frozenset()
    error: str = ""  # the function could not analyze it: recorded like a direct rejection

    def store(self, catalog: Catalog) -> None:
        if self.change is not None:
            cloud_rows.record_result(catalog, self.change)
        if self.waiting:
            cloud_rows.mark_waiting(catalog, self.content_hash, self.features)


class CloudAnalyzer:
    """The Analyzer of the cloud library; thread-safe (one instance per run)."""

    name = RekognitionAnalyzer.name  # its results are Rekognition's, stored as the direct backend's
    default_features = RekognitionAnalyzer.default_features
    preferred_workers = 8  # look-ups and uploads wait on the network

    def __init__(self, settings: Settings, library: CloudLibrary | None = None) -> None:
        self.settings = settings
        self.library = library or CloudLibrary(settings)
        self._collection: FaceCollection | None = None

    @property
    def collection(self) -> FaceCollection | None:
        """The library's shared face collection (the function indexes into it), for grouping and
        naming faces here; None while the library is not deployed or not reachable."""
        if self._collection is None:
            try:
                collection_id = self.library.outputs.collection_id
            except CloudError:  # CloudUnavailable too
                return None
            client = RekognitionClient(
                self.settings.aws_profile, self.settings.aws_region, rate_limit=self.settings.rate_limit
            )
            self._collection = FaceCollection(client, collection_id)
        return self._collection

    def close(self) -> None:
        self.library.close()
        if self._collection is not None:
            self._collection.client.close()

    def model_version(self, feature: Feature) -> str:
        """The versions the function's Rekognition calls carry (faces: IndexFaces into the library's
        collection); CloudError when the library is not deployed."""
        feature = Feature(feature)
        version = f"{operation_for(feature)}/{API_VERSION}"
        if feature is Feature.FACES:
            version += f"/{self.library.outputs.collection_id}"
        return version

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        raise AnalysisError("the cloud library analyzes uploaded photos only")  # videos: not yet

    # -- what the run calls --------------------------------------------------------------------------------

    def waiting(self, catalog: Catalog) -> set[str]:
        """Contents already handed to the cloud: the run leaves them to the sync."""
        return cloud_rows.waiting_hashes(catalog)

    def sync(self, catalog: Catalog) -> Job:
        from photosorter.core.cloud.sync import sync

        return sync(catalog, self.library)

    def offload(self, catalog: Catalog, item: PendingContent, load: Callable[[], bytes]) -> Offloaded:
        """Looks ``item`` up in the library, then imports it, records its failure, or uploads it.
        ``load`` makes the analysis image (SourceUnavailable / SourceUnusable, as for any backend)."""
        try:
            return self._offload(catalog, item, load)
        except CloudUnavailable as error:
            raise TransientAnalysisError(str(error)) from error
        except CloudError as error:
            raise FatalAnalysisError(str(error)) from error
        except items.NewerSchemaError as error:
            raise FatalAnalysisError(str(error)) from error

    def _offload(self, catalog: Catalog, item: PendingContent, load: Callable[[], bytes]) -> Offloaded:
        found = self.library.result(item.hash)
        if found is not None and found.state == "analyzing":
            return self._waiting(item)
        if found is not None:
            change = change_of(found)
            retried = (
                isinstance(change, cloud_rows.CloudFailure)
                and cloud_rows.imported_seq(catalog, change.pk) == change.seq
            )
            if change is not None and not retried:
                error = change.error if isinstance(change, cloud_rows.CloudFailure) else ""
                return Offloaded(item.hash, change, error=error)
            # a failure recorded here before and cleared since: the user asked for another try
        jpeg = prepare_image(load())  # the bytes the rekognition backend would send; AnalysisError: refused
        self.library.upload(item.hash, jpeg, item.features)
        return self._waiting(item)

    @staticmethod
    def _waiting(item: PendingContent) -> Offloaded:
        return Offloaded(item.hash, waiting=True, features=item.features)
