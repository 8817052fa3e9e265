"""One open library: its paths, catalog and settings. The CLI and the GUI both start here."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from photosorter.core import faces
from photosorter.core.analysis.backends import features_for, make_analyzer
from photosorter.core.analysis.pipeline import AnalysisRun, AnalysisStopped
from photosorter.core.analysis.types import Analyzer, FatalAnalysisError, Feature, TransientAnalysisError
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import analysis as analysis_rows
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog import video_analysis as video_rows
from photosorter.core.catalog.people import face_backends
from photosorter.core.errors import PhotosorterError
from photosorter.core.faces import ClusterReport, FaceService
from photosorter.core.faces.regions import RegionReport, apply_regions
from photosorter.core.faces.services import face_services
from photosorter.core.jobs import Cancelled, CancelToken, Job, Progress, run_to_end
from photosorter.core.paths import AppPaths, app_paths
from photosorter.core.photo_analysis import PhotoAnalysis
from photosorter.core.records import Folder, MediaKind, Photo
from photosorter.core.scanner import Scanner
from photosorter.core.settings import Settings, load_settings, save_settings
from photosorter.core.xmp.export import XmpWriteReport, sync_sidecars


class Library:
    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths.ensure()
        self.catalog = Catalog(paths.catalog)
        self.settings: Settings = load_settings(paths.settings)

    @classmethod
    def open(cls, home: str | os.PathLike[str] | None = None) -> Library:
        return cls(app_paths(home))

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def save_settings(self, settings: Settings) -> None:
        save_settings(self.paths.settings, settings)
        self.settings = settings

    # -- folders -----------------------------------------------------------------------------------------
    def add_folder(self, path: str | os.PathLike[str]) -> Folder:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise PhotosorterError(f"{folder}: not a folder")
        resolved = str(folder.resolve())
        for own in self.paths.own_dirs():
            if Path(resolved).is_relative_to(own.resolve()):
                raise PhotosorterError(f"{resolved}: is inside photosorter's own data folder {own}")
        return photo_rows.add_folder(self.catalog, resolved)

    def folders(self) -> list[Folder]:
        return photo_rows.folders(self.catalog)

    def scanner(self, workers: int = 0) -> Scanner:
        return Scanner(self.catalog, self.paths.thumbnails, skip=self.paths.own_dirs(), workers=workers)

    def scan(self, folders: list[Folder] | None = None, cancel: CancelToken | None = None) -> Job:
        """Generator: scans, then names the faces other tools named in the photos read (XMP regions)."""
        report = yield from self.scanner().scan(folders if folders is not None else self.folders(), cancel)
        self.apply_face_regions()
        self.keep_sidecars_current()
        return report

    def keep_sidecars_current(self) -> XmpWriteReport | None:
        """With "Keep XMP sidecars up to date" on, rewrites the sidecars whose labels or people changed."""
        if not self.settings.keep_xmp_sidecars:
            return None
        return sync_sidecars(self.catalog)

    def apply_face_regions(self) -> RegionReport:
        return apply_regions(self.catalog, self.face_services, waiting=False)  # a scan analyzes nothing

    # -- photos ------------------------------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        return photo_rows.stats(self.catalog) | analysis_rows.analysis_counts(self.catalog)

    def photo_by_path(self, path: str) -> Photo | None:
        return photo_rows.photo_by_path(self.catalog, path)

    def analysis_of(self, photo: Photo) -> PhotoAnalysis:
        """What analysis learned about one photo (empty until it is analyzed)."""
        if not photo.hash:
            return PhotoAnalysis()
        found = analysis_rows.results_for(self.catalog, photo.hash)
        if photo.media is MediaKind.VIDEO:
            moments = video_rows.moments_for(self.catalog, photo.hash)
            found = found.with_times(
                moments, video_rows.face_moments(self.catalog, [f.id for f in found.faces])
            )
        return found

    # -- analysis ----------------------------------------------------------------------------------------
    def analyzer(self, backend: str | None = None, **options: Any) -> Analyzer:
        return make_analyzer(backend or self.settings.backend, self.settings, self.paths.models, **options)

    def pending_analysis(
        self, backend: str, features: str | None = None, *, limit: int | None = None
    ) -> tuple[list[analysis_rows.PendingContent], int]:
        """What a run would analyze, without building an analyzer (a dry run sends and loads nothing)."""
        chosen = features_for(backend, self.settings, features)
        stored_as = "rekognition" if backend == "cloud" else backend  # the cloud's results are Rekognition's
        # any model version counts as done here, as it does in a run without --refresh
        return analysis_rows.pending(self.catalog, stored_as, dict.fromkeys(chosen, ""), limit=limit)

    def analyze(self, run: AnalysisRun, cancel: CancelToken | None = None) -> Job:
        """Runs ``run`` and then groups the new faces, even when the run stops early (work done is kept).
        With the cloud library, the results other devices made are synced first, and what arrived
        meanwhile after."""
        sync = getattr(run.analyzer, "sync", None)
        if sync is not None:
            yield from sync(self.catalog)
        try:
            report = yield from run.run(cancel)
        except (Cancelled, AnalysisStopped):
            # the faces analyzed before the stop still get grouped; a second failure must not hide the first
            with contextlib.suppress(FatalAnalysisError, TransientAnalysisError, PhotosorterError):
                self.group_faces(run.analyzer)
            raise
        if sync is not None:
            yield from sync(self.catalog)
        if Feature.FACES in run.features:
            yield Progress(0, 0, "Grouping faces…")
            try:
                self.group_faces(run.analyzer)
            except FatalAnalysisError as error:
                raise AnalysisStopped(f"analysis finished, but grouping faces stopped: {error}") from error
            except TransientAnalysisError:
                pass  # the faces stay ungrouped and are grouped after the next run
        return report

    def face_services(self, analyzer: Analyzer | None = None) -> dict[str, FaceService]:
        """Who compares faces: local embeddings, plus the Rekognition collection when it holds any of ours."""
        holds_rekognition_faces = "rekognition" in face_backends(self.catalog)
        if analyzer is None and self.settings.backend == "cloud":
            analyzer = self.analyzer("cloud")  # its collection is the cloud library's shared one
        return face_services(self.settings, analyzer, rekognition=holds_rekognition_faces or None)

    def share_people(self) -> None:
        """With the cloud library, a change to people goes out at once: a sync reads the other devices'
        changes first, then writes this one's. Offline or not deployed, it goes out with the next sync,
        which says what is wrong; the change made here stands either way."""
        if self.settings.backend != "cloud":
            return
        from photosorter.core.cloud.library import CloudLibrary
        from photosorter.core.cloud.session import CloudError
        from photosorter.core.cloud.sync import sync

        cloud = CloudLibrary(self.settings)
        try:
            run_to_end(sync(self.catalog, cloud))
        except CloudError:  # CloudUnavailable too
            pass
        finally:
            cloud.close()

    def group_faces(self, analyzer: Analyzer | None = None) -> ClusterReport:
        """Groups new faces, then gives them the names XMP regions of their photos hold (grouping first,
        so a named face's group follows it)."""
        services = self.face_services(analyzer)
        report = faces.cluster_new_faces(self.catalog, services)
        apply_regions(self.catalog, services)
        self.keep_sidecars_current()
        return report

    def analysis_run(
        self,
        analyzer: Analyzer,
        features: str | None = None,
        *,
        limit: int | None = None,
        refresh: bool = False,
    ) -> AnalysisRun:
        chosen = features_for(analyzer.name, self.settings, features)
        return AnalysisRun(self.catalog, analyzer, chosen, limit=limit, refresh=refresh)
