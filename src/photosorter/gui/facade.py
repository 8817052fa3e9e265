"""The GUI's bridge to one open library (no Qt here): it owns the library and its catalog, binds the
face services to each people change, builds the runs the window starts, and turns core records into
what the widgets list. Reads that need nothing bound (photos, analysis, browsing) go to core directly.
Every method may be called from a worker thread (the catalog keeps one connection per thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from photosorter.core import browse, faces
from photosorter.core.backfill import fill_perceptual_hashes, fill_places
from photosorter.core.browse import CategoryGroup, ViewFilter
from photosorter.core.catalog import albums as album_rows
from photosorter.core.catalog import places as place_rows
from photosorter.core.catalog import usage as usage_rows
from photosorter.core.catalog.albums import Album, SavedSearch
from photosorter.core.catalog.people_views import FaceTile, GroupRef
from photosorter.core.catalog.places import PlaceCount
from photosorter.core.duplicates import DuplicateGroup, TrashReport, find_groups, move_to_trash
from photosorter.core.imaging import thumbnail_file
from photosorter.core.jobs import Cancelled, CancelToken, Job
from photosorter.core.library import Library
from photosorter.core.live import LiveEvent, LiveLibrary
from photosorter.core.live.changes import Usage
from photosorter.core.live.queue import job_subject
from photosorter.core.live.usage import UsageRecorder, with_estimate
from photosorter.core.records import Folder
from photosorter.core.search import SearchError, completions, unnamed_count
from photosorter.core.settings import Settings

REASONS_SHOWN = 2000  # hits whose "why it matched" the gallery shows on hover (the best ones)


@dataclass(frozen=True, slots=True)
class PersonEntry:
    key: GroupRef  # the person or the unnamed cluster
    name: str | None
    count: int
    face: FaceTile | None = None  # the face to show for it
    person_id: int | None = None
    cluster_id: int | None = None
    face_count: int = 0
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class MatchReason:
    """Why a search hit matched; for a video, the second its first reason is seen (a click plays from it)."""

    why: tuple[str, ...]
    start_s: float | None = None


@dataclass(frozen=True, slots=True)
class SidebarData:
    people: list[PersonEntry]  # named people
    unnamed: int  # photos with a face nobody named
    categories: tuple[CategoryGroup, ...]
    text_count: int
    folders: list[Folder]
    places: tuple[PlaceCount, ...] = ()
    albums: list[Album] = field(default_factory=list)
    saved_searches: list[SavedSearch] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One row of the queue panel: a pending, running or parked job of the live library."""

    id: int
    kind: str  # scan, thumbnail, analyze
    state: str  # pending, running, parked
    attempts: int
    what: str
    error: str | None


class Facade:
    def __init__(self, library: Library) -> None:
        self.library = library
        self.catalog = library.catalog
        self._live: LiveLibrary | None = None  # the newest live library, for this session's spending
        self._thumb_dir = str(library.paths.thumbnails)

    # -- library -----------------------------------------------------------------------------------------
    def thumbnail_file(self, content_hash: str | None) -> str | None:
        if not content_hash:
            return None
        return thumbnail_file(self._thumb_dir, content_hash)

    # -- browsing ----------------------------------------------------------------------------------------
    def match_reasons(
        self, view: ViewFilter, query: str, limit: int = REASONS_SHOWN
    ) -> dict[int, MatchReason]:
        """Why each of the best ``limit`` hits of a search matched (``label Cat 97%``, ``text "STOP"``),
        and for a video the moment it is first seen; empty without a typed query (a sidebar selection
        alone needs no explaining)."""
        query = query.strip()
        if not query:
            return {}
        try:
            hits = browse.best_hits(self.catalog, view, query, limit)
        except SearchError:
            return {}
        return {hit.photo_id: MatchReason(tuple(hit.why), hit.start_s) for hit in hits}

    def completions(self, prefix: str) -> list[str]:
        """Whole search texts completing the last word of ``prefix`` (labels, people, keys)."""
        try:
            return completions(self.catalog, prefix)[:50]
        except Exception:  # completion must never break typing
            return []

    def sidebar(self) -> SidebarData:
        entries = self.overview()
        return SidebarData(
            people=[e for e in entries if e.person_id is not None],
            unnamed=unnamed_count(self.catalog),
            categories=browse.category_groups(self.catalog),
            text_count=browse.text_count(self.catalog),
            folders=self.library.folders(),
            places=tuple(place_rows.counts(self.catalog)),
            albums=album_rows.albums(self.catalog),
            saved_searches=album_rows.saved_searches(self.catalog),
        )

    # -- people ------------------------------------------------------------------------------------------
    def overview(self, include_hidden: bool = False) -> list[PersonEntry]:
        """Named people, then unnamed clusters, largest first."""
        entries = []
        for e in faces.overview(self.catalog, include_hidden=include_hidden, faces_per_entry=1):
            entries.append(
                PersonEntry(
                    key=e.ref,
                    name=e.name,
                    count=e.photo_count,
                    face=e.faces[0] if e.faces else None,
                    person_id=e.ref.person_id,
                    cluster_id=e.ref.cluster_id,
                    face_count=e.face_count,
                    hidden=e.hidden,
                )
            )
        return entries

    def people(self) -> list[PersonEntry]:
        return [e for e in self.overview() if e.person_id is not None]

    def faces_of(self, key: GroupRef, limit: int = 60) -> list[FaceTile]:
        """The faces of one person or cluster (a hidden one's too), most confident first."""
        return faces.faces_of_group(self.catalog, key, limit)

    def name_face(self, face_id: int, name: str) -> None:
        faces.name_face(self.catalog, face_id, name, services=self.library.face_services())
        self.library.share_people()  # with the cloud library, the other devices learn it

    def name_cluster(self, cluster_id: int, name: str) -> None:
        faces.name_cluster(self.catalog, cluster_id, name, services=self.library.face_services())
        self.library.share_people()  # with the cloud library, the other devices learn it

    def rename_person(self, person_id: int, name: str) -> None:
        faces.rename(self.catalog, person_id, name)
        self.library.share_people()  # with the cloud library, the other devices learn it

    def merge_people(self, source_id: int, target_id: int) -> None:
        faces.merge(self.catalog, source_id, target_id, services=self.library.face_services())
        self.library.share_people()  # with the cloud library, the other devices learn it

    def remove_face(self, face_id: int) -> None:
        faces.remove_face(self.catalog, face_id, services=self.library.face_services())
        self.library.share_people()  # with the cloud library, the other devices learn it

    def move_face(self, face_id: int, name: str) -> None:
        faces.move_face(self.catalog, face_id, name, services=self.library.face_services())
        self.library.share_people()  # with the cloud library, the other devices learn it

    def accept_suggestion(self, face_id: int) -> None:
        faces.accept(self.catalog, face_id, services=self.library.face_services())
        self.library.share_people()  # with the cloud library, the other devices learn it

    def undo_people_change(self) -> str:
        """Puts back the last naming, merge, split, move or hide; returns what was undone."""
        undone = faces.undo(self.catalog, services=self.library.face_services())
        self.library.share_people()  # with the cloud library, the other devices learn it
        self.library.keep_sidecars_current()
        return undone

    def forget_all_faces(self) -> str:
        """Deletes all face data (the Rekognition collection too); returns what was deleted."""
        forgotten = faces.forget_all(self.catalog, services=self.library.face_services())
        self.library.share_people()  # with the cloud library, the names go on every device
        return forgotten.describe()

    def regroup_faces(self) -> Any:
        """Groups every face again from scratch; faces named or confirmed by the user stay."""
        return faces.recluster(self.catalog, services=self.library.face_services())

    # -- jobs --------------------------------------------------------------------------------------------
    def analysis_job(self, cancel: CancelToken, backend: str | None = None) -> tuple[Job, str]:
        """The analysis run for the chosen backend; building the analyzer may be slow (call off the GUI)."""
        analyzer = self.library.analyzer(backend, isolated=True)
        run = self.library.analysis_run(analyzer)
        job = self.library.analyze(run, cancel)
        if analyzer.name == "rekognition":
            job = with_estimate(job, run.features)
        return _closing(job, analyzer, UsageRecorder(self.catalog)), analyzer.name

    def spending(self) -> tuple[Usage, Usage]:
        """Billable calls and their cost: this session's live analysis, and this month's (the catalog)."""
        session = self._live.session_usage if self._live is not None else Usage()
        return session, Usage(*usage_rows.month_total(self.catalog))

    def live_library(self, on_event: Any) -> LiveLibrary:
        """The watcher and job queue for this library; ``on_event`` is called from its threads."""
        self._live = LiveLibrary(
            self.library,
            analyzer=lambda: self.library.analyzer(isolated=True),
            on_event=on_event,
            scan_in_process=True,  # the walk and reads of a big folder would otherwise stall the window
            scan_workers=1,  # one reader: the other core stays with the window while files arrive
        )
        return self._live

    def queue_entries(self, live: LiveLibrary) -> list[QueueEntry]:
        folders = {f.id: f.path for f in self.library.folders()}
        return [
            QueueEntry(j.id, j.kind, j.state, j.attempts, job_subject(j, folders), j.error)
            for j in live.queue.jobs()
        ]

    @staticmethod
    def request_analysis(live: LiveLibrary) -> None:
        """Queues analysis of everything not analyzed yet (one job covers all; the lane polls each second)."""
        live.queue.analyze_pending()

    @staticmethod
    def changes_rows(event: LiveEvent) -> bool:
        """Whether an event changes which photos exist (the grid's ids), not only counts."""
        return event.kind in ("added", "updated", "moved", "removed", "offline", "online", "error")

    def test_connection(self, settings: Settings) -> str:
        """Asks Rekognition for one free call with these settings; raises with what is wrong."""
        from photosorter.core.analysis.backends import make_analyzer

        analyzer = make_analyzer("rekognition", settings, self.library.paths.models)
        try:
            return str(analyzer.check_connection())
        finally:
            close = getattr(analyzer, "close", None)
            if close:
                close()

    # -- places and duplicates ---------------------------------------------------------------------------
    def backfill(self, cancel: CancelToken | None = None) -> int:
        """What an older catalog lacks: places of photos with GPS, perceptual hashes from the cached
        thumbnails. Returns how many rows it filled (0 on every open after the first). Cancelled (the
        window closes), it stops between rows; what it stored stays, the next open goes on from there."""
        try:
            return fill_places(self.catalog, cancel) + fill_perceptual_hashes(
                self.catalog, self.library.paths.thumbnails, cancel
            )
        except Cancelled:
            return 0

    def duplicate_groups(self) -> list[DuplicateGroup]:
        fill_perceptual_hashes(self.catalog, self.library.paths.thumbnails)
        return find_groups(self.catalog)

    def move_to_trash(self, photo_ids: list[int]) -> TrashReport:
        return move_to_trash(self.catalog, photo_ids)

    @staticmethod
    def aws_profiles() -> list[str]:
        try:
            import boto3

            return sorted(boto3.Session().available_profiles)
        except Exception:  # a broken AWS config must not break the settings dialog
            return []


def _closing(job: Job, analyzer: Any, usage: UsageRecorder) -> Job:
    """Runs ``job``, then counts its billable calls for the month and releases the analyzer's worker
    processes, however the job ends."""
    try:
        return (yield from job)
    finally:
        usage.count(analyzer)
        close = getattr(analyzer, "close", None)
        if close is not None:
            close()
