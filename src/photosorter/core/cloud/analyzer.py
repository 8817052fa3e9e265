"""The ``cloud`` backend: a photo's content hash is looked up in the cloud library before anything else.

* a result any device made (state ``done``) is imported at once: 0 Rekognition calls, stored as the
  ``rekognition`` backend's result with the item's model versions, so a photo analyzed directly never
  pays again through the cloud and the other way round;
* ``failed``: the reason is recorded against the photo like a direct rejection (clearing the failure
  gives it another try: the image is uploaded again);
* ``analyzing``: another device's upload is being analyzed; the photo waits for the sync;
* no item: the analysis JPEG (the same image the ``rekognition`` backend sends, never the original)
  goes to ``analysis/<hash>.jpg`` with the features in its metadata, and the photo waits for the cloud.

Videos go the same way, except what is uploaded: the original file (Rekognition Video reads the video
itself from S3; it cannot be shrunk like a photo), streamed in parts to ``video/<hash>.<ext>``. A video
Rekognition Video would refuse (not MP4/MOV, over 10 GB or 6 hours) is refused here with its reason,
before paying for an upload; celebrities, which Rekognition Video does not look for, are recorded as
not available for videos so they are not asked again.

A waiting photo is recorded in the catalog (``cloud_uploads``): it is neither failed nor uploaded again
by the next run; the sync that imports its result ends the wait.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass

from photosorter.cloud_function import items
from photosorter.core.analysis.pricing import operation_for
from photosorter.core.analysis.rekognition.analyzer import API_VERSION, RekognitionAnalyzer
from photosorter.core.analysis.rekognition.client import RekognitionClient
from photosorter.core.analysis.rekognition.collection import FaceCollection
from photosorter.core.analysis.rekognition.images import prepare_image
from photosorter.core.analysis.source import SourceUnavailable, environment_fault, unavailable_reason
from photosorter.core.analysis.types import (
    AnalysisError,
    AnalysisResult,
    FatalAnalysisError,
    Feature,
    TransientAnalysisError,
)
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import analysis as analysis_rows
from photosorter.core.catalog import cloud as cloud_rows
from photosorter.core.catalog.analysis import PendingContent
from photosorter.core.catalog.paths import display
from photosorter.core.cloud.library import CloudLibrary
from photosorter.core.cloud.results import change_of
from photosorter.core.cloud.session import CloudError, CloudUnavailable
from photosorter.core.cloud.video import VIDEO_FEATURES
from photosorter.core.jobs import Job
from photosorter.core.settings import Settings

# What Rekognition Video takes (stored videos): H.264 in an MPEG-4 or QuickTime container, up to 10 GB and
# 6 hours. A codec it cannot read is known only once it tries: the job FAILS, and that comes back by sync.
VIDEO_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov"})
MAX_VIDEO_BYTES = 10 * 1024**3
MAX_VIDEO_SECONDS = 6 * 3600
NOT_FOR_VIDEOS = "the cloud library does not look for this in videos (Rekognition Video has no such job)"


@dataclass(frozen=True, slots=True)
class Offloaded:
    """What the cloud backend did with one content (the run's writer stores it)."""

    content_hash: str
    change: cloud_rows.Outcome | None = None  # found in the library
    waiting: bool = False  # uploaded, or being analyzed for another device: the result comes by sync
    features: frozenset[Feature] = frozenset()
    error: str = ""  # the function could not analyze it: recorded like a direct rejection
    not_for_videos: frozenset[Feature] = frozenset()  # asked of a video, which the cloud cannot answer
    versions: dict[Feature, str] | None = None  # of ``not_for_videos``, as the run asked for them

    def store(self, catalog: Catalog) -> None:
        if self.change is not None:
            cloud_rows.record_result(catalog, self.change)
        if self.waiting:
            cloud_rows.mark_waiting(catalog, self.content_hash, self.features)
        if self.not_for_videos:
            analysis_rows.store_failure(
                catalog,
                self.content_hash,
                cloud_rows.BACKEND,
                self.not_for_videos,
                self.versions or {},
                NOT_FOR_VIDEOS,
            )


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
        raise AnalysisError("the cloud library analyzes uploaded photos and videos only")

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
        if item.video is not None:
            return self._offload_video(catalog, item)
        found = self._found(catalog, item)
        if found is not None:
            return found
        jpeg = prepare_image(load())  # the bytes the rekognition backend would send; AnalysisError: refused
        self.library.upload(item.hash, jpeg, item.features)
        return self._waiting(item)

    def _offload_video(self, catalog: Catalog, item: PendingContent) -> Offloaded:
        asked = item.features & VIDEO_FEATURES
        not_for_videos = item.features - asked
        versions = {f: self.model_version(f) for f in not_for_videos}
        if not asked:
            return Offloaded(item.hash, not_for_videos=not_for_videos, versions=versions)
        video = dataclasses.replace(item, features=asked)
        found = self._found(catalog, video)
        if found is None:
            self._upload_video(video)
            found = self._waiting(video)
        return dataclasses.replace(found, not_for_videos=not_for_videos, versions=versions)

    def _upload_video(self, item: PendingContent) -> None:
        """The first copy that opens, streamed to S3; refused (AnalysisError) when Rekognition Video would
        refuse it. SourceUnavailable when no copy can be read now (an unplugged disk): tried again later."""
        assert item.video is not None
        if (item.video.duration_s or 0) > MAX_VIDEO_SECONDS:
            hours = (item.video.duration_s or 0) / 3600
            raise AnalysisError(f"the video runs {hours:.1f} hours; Rekognition Video takes at most 6")
        copies = [p for p in item.paths if os.path.splitext(p)[1].lower() in VIDEO_EXTENSIONS]
        if not copies:
            extension = os.path.splitext(item.paths[0])[1].lower() if item.paths else ""
            raise AnalysisError(
                f"Rekognition Video takes MP4 and MOV (H.264) videos only, not {extension or 'this file'}"
            )
        unavailable: list[str] = []
        for path in copies:
            try:
                with open(path, "rb") as video:
                    size = os.fstat(video.fileno()).st_size
                    if size > MAX_VIDEO_BYTES:
                        gigabytes = size / 1024**3
                        raise AnalysisError(
                            f"the video is {gigabytes:.1f} GB; Rekognition Video takes at most 10"
                        )
                    extension = os.path.splitext(path)[1].lower()
                    self.library.upload_video(item.hash, extension, video, item.features)
                return
            except OSError as error:
                fault = environment_fault(error)
                if fault is None:
                    raise AnalysisError(f"cannot read the video: {error}") from error
                unavailable.append(f"{display(path)}: {unavailable_reason(fault)}")
        raise SourceUnavailable("; ".join(unavailable))

    def _found(self, catalog: Catalog, item: PendingContent) -> Offloaded | None:
        """What the library already says about this content, unless the user asked to try it again."""
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
        return None

    @staticmethod
    def _waiting(item: PendingContent) -> Offloaded:
        return Offloaded(item.hash, waiting=True, features=item.features)
