"""Everything the GUI asks of the core, in one plain-Python adapter (no Qt here).

Search, people and the live watcher are optional modules: each is imported
defensively, so the app works before they exist and picks them up once they do.
Only this module changes when the core's API does. Every method may be called
from a worker thread (the catalog keeps one connection per thread).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog import usage as usage_rows
from photosorter.core.catalog.people_views import GroupRef
from photosorter.core.errors import PhotosorterError
from photosorter.core.imaging import thumbnail_path
from photosorter.core.jobs import CancelToken, Job
from photosorter.core.library import Library
from photosorter.core.live import LiveEvent, LiveLibrary
from photosorter.core.live.changes import Usage
from photosorter.core.live.usage import UsageRecorder, with_estimate
from photosorter.core.photo_analysis import PhotoAnalysis
from photosorter.core.records import Folder, Photo
from photosorter.core.settings import Settings


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


REASONS_SHOWN = 2000  # hits whose "why it matched" the gallery shows on hover (the best ones)


class QueryError(PhotosorterError):
    """A search the user typed that cannot be run; the message is shown under the search field."""


@dataclass(frozen=True, slots=True)
class ViewFilter:
    """What the sidebar selected: kind is all, person, unnamed, label, category, text or folder."""

    kind: str = "all"
    value: str = ""
    title: str = "All Photos"


@dataclass(frozen=True, slots=True)
class PersonEntry:
    key: GroupRef  # the person or the unnamed cluster
    name: str | None
    count: int
    face: dict[str, Any] | None = None  # {"id", "path", "box"} of a face to show
    person_id: int | None = None
    cluster_id: int | None = None
    face_count: int = 0
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class SidebarData:
    people: list[PersonEntry] | None  # None: the people module is not available yet
    unnamed: int
    categories: list[tuple[str, int, list[tuple[str, int]]]] | None  # (category, count, [(label, count)])
    text_count: int | None
    folders: list[Folder] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One row of the queue panel: a pending, running or parked job of the live library."""

    id: int
    kind: str  # scan, thumbnail, analyze
    state: str  # pending, running, parked
    attempts: int
    what: str
    error: str | None


def _job_subject(kind: str, payload: dict[str, Any], folders: dict[int, str]) -> str:
    if kind == "scan" and "folder_id" in payload:
        return folders.get(payload["folder_id"], "a removed folder")
    if kind == "scan":
        count = sum(len(paths) for paths in payload.get("paths", {}).values())
        return f"{count:,} changed file{'s' if count != 1 else ''}"
    if kind == "thumbnail":
        return f"{len(payload.get('hashes', [])):,} thumbnails"
    return "new photos"


def _quote(value: str) -> str:
    return '"' + value.replace('"', "") + '"'


class Facade:
    def __init__(self, library: Library) -> None:
        self.library = library
        self.catalog = library.catalog
        self._live: LiveLibrary | None = None  # the newest live library, for this session's spending
        self.refresh_modules()

    # -- optional core modules ---------------------------------------------------------------------------
    def refresh_modules(self) -> None:
        """Looks for core modules that other work may have added since the app started."""
        self.search_mod = _optional("photosorter.core.search")
        self.faces_mod = _optional("photosorter.core.faces")

    @property
    def has_search(self) -> bool:
        return self.search_mod is not None and hasattr(self.search_mod, "search_ids")

    @property
    def has_people(self) -> bool:
        return self.faces_mod is not None and hasattr(self.faces_mod, "overview")

    # -- library -----------------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.library.settings

    def save_settings(self, settings: Settings) -> None:
        self.library.save_settings(settings)

    def folders(self) -> list[Folder]:
        return self.library.folders()

    def add_folder(self, path: str) -> Folder:
        return self.library.add_folder(path)

    def remove_folder(self, folder_id: int) -> None:
        photo_rows.remove_folder(self.catalog, folder_id)

    def stats(self) -> dict[str, int]:
        return self.library.stats()

    def thumb_dir(self) -> Path:
        return self.library.paths.thumbnails

    def thumbnail_file(self, content_hash: str | None) -> str | None:
        if not content_hash:
            return None
        return str(thumbnail_path(self.library.paths.thumbnails, content_hash))

    # -- photos ------------------------------------------------------------------------------------------
    def photos(self, photo_ids: list[int]) -> dict[int, Photo]:
        return photo_rows.photos_by_ids(self.catalog, photo_ids)

    def photo(self, photo_id: int) -> Photo | None:
        return photo_rows.photo_by_id(self.catalog, photo_id)

    def analysis_of(self, photo: Photo) -> PhotoAnalysis:
        return self.library.analysis_of(photo)

    def photo_ids(self, view: ViewFilter, query: str = "") -> list[int]:
        """The gallery's ids for a sidebar selection combined with a search; raises QueryError."""
        query = query.strip()
        if not self.has_search:
            return self._fallback_ids(view, query)
        full = " ".join(t for t in (self._filter_term(view), query) if t)
        if not full:
            ids = photo_rows.visible_photo_ids(self.catalog)
        else:
            try:
                ids = list(self.search_mod.search_ids(self.catalog, full))
            except PhotosorterError as error:  # SearchError: a message for the search bar
                raise QueryError(str(error)) from None
        if view.kind == "folder":
            ids = self._in_folder(ids, view.value)
        return ids

    def match_reasons(
        self, view: ViewFilter, query: str, limit: int = REASONS_SHOWN
    ) -> dict[int, tuple[str, ...]]:
        """Why each of the best ``limit`` hits of a search matched (``label Cat 97%``, ``text "STOP"``);
        empty without a typed query (a sidebar selection alone needs no explaining)."""
        query = query.strip()
        if not query or not self.has_search or not hasattr(self.search_mod, "search"):
            return {}
        full = " ".join(t for t in (self._filter_term(view), query) if t)
        try:
            hits = self.search_mod.search(self.catalog, full, limit=limit)
        except PhotosorterError:
            return {}
        return {hit.photo_id: tuple(hit.why) for hit in hits}

    def no_match_help(self, query: str) -> Any:
        """Why a search found nothing and the closest labels (a ``NoMatchHelp``), or None."""
        suggest = _optional("photosorter.core.search.suggest")
        if suggest is None or not self.has_search:
            return None
        return suggest.no_match_help(self.catalog, query)

    def _in_folder(self, ids: list[int], folder: str) -> list[int]:
        prefix = folder.rstrip(os.sep) + os.sep
        rows = self.photos(ids)
        return [i for i in ids if (r := rows.get(i)) is not None and r.path.startswith(prefix)]

    def _filter_term(self, view: ViewFilter) -> str:
        if view.kind == "person":
            return f"person:{_quote(view.value)}"
        if view.kind == "unnamed":
            return "is:unnamed"
        if view.kind == "label":
            return f"label:{_quote(view.value)}"
        if view.kind == "category":
            labels = self._category_labels().get(view.value, [])
            return "label:" + "|".join(_quote(label) for label in labels) if labels else 'label:""'
        if view.kind == "text":
            return "has:text"
        return ""

    def _category_labels(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for entry in self.search_mod.label_counts(self.catalog):
            for category in list(entry.categories) or ["Other"]:
                groups.setdefault(category, []).append(entry.name)
        return groups

    def _fallback_ids(self, view: ViewFilter, query: str) -> list[int]:
        """Without the search module: folders and file names only."""
        if view.kind in ("person", "unnamed"):
            ids = self._people_ids(view)
            rows = self.photos(ids)
            return [i for i in ids if i in rows and query.lower() in rows[i].name.lower()]
        ids = photo_rows.visible_photo_ids(self.catalog)
        if view.kind not in ("all", "folder"):
            raise QueryError(f"{view.title}: needs the search engine, which is not available yet")
        if view.kind == "folder":
            ids = self._in_folder(ids, view.value)
        if query:
            rows, needle = self.photos(ids), query.lower()
            ids = [i for i in ids if (r := rows.get(i)) is not None and needle in r.name.lower()]
        return ids

    def completions(self, prefix: str) -> list[str]:
        """Whole search texts completing the last word of ``prefix`` (labels, people, keys)."""
        if self.search_mod is not None and hasattr(self.search_mod, "completions"):
            try:
                return list(self.search_mod.completions(self.catalog, prefix))[:50]
            except Exception:  # completion must never break typing
                return []
        return []

    # -- sidebar -----------------------------------------------------------------------------------------
    def sidebar(self) -> SidebarData:
        entries = self.overview() if self.has_people else None
        people = [e for e in entries if e.person_id is not None] if entries is not None else None
        unnamed = sum(e.face_count for e in entries or [] if e.cluster_id is not None)
        categories: list[tuple[str, int, list[tuple[str, int]]]] | None = None
        text_count: int | None = None
        mod = self.search_mod
        if mod is not None and hasattr(mod, "label_counts"):
            groups: dict[str, list[tuple[str, int]]] = {}
            for entry in mod.label_counts(self.catalog):
                for category in list(entry.categories) or ["Other"]:
                    groups.setdefault(category, []).append((entry.name, entry.count))
            totals = dict(mod.category_counts(self.catalog)) if hasattr(mod, "category_counts") else {}
            categories = [
                (cat, totals.get(cat, sum(n for _, n in labels)), sorted(labels, key=lambda x: (-x[1], x[0])))
                for cat, labels in sorted(groups.items())
            ]
        if self.has_search:
            try:
                text_count = len(self.photo_ids(ViewFilter("text")))
            except QueryError:
                text_count = None
        return SidebarData(people, unnamed, categories, text_count, self.folders())

    # -- people ------------------------------------------------------------------------------------------
    def overview(self, include_hidden: bool = False) -> list[PersonEntry]:
        """Named people, then unnamed clusters, largest first (empty until the people module exists)."""
        mod = self.faces_mod
        if mod is None or not hasattr(mod, "overview"):
            return []
        entries = []
        for e in mod.overview(self.catalog, include_hidden=include_hidden, faces_per_entry=1):
            ref: GroupRef = e["id"]
            face = e["faces"][0] if e.get("faces") else None
            entries.append(
                PersonEntry(
                    key=ref,
                    name=e.get("name"),
                    count=int(e.get("photo_count", 0)),
                    face=face,
                    person_id=ref.person_id,
                    cluster_id=ref.cluster_id,
                    face_count=int(e.get("face_count", 0)),
                    hidden=bool(e.get("hidden")),
                )
            )
        return entries

    def people(self) -> list[PersonEntry]:
        return [e for e in self.overview() if e.person_id is not None]

    def faces_of(self, key: GroupRef, limit: int = 60) -> list[dict[str, Any]]:
        """The faces of one person or cluster: id, path, box, assigned_by."""
        mod = self.faces_mod
        if mod is None or not hasattr(mod, "overview"):
            return []
        for e in mod.overview(self.catalog, include_hidden=True):  # a shown hidden person has faces too
            if e["id"] == key:
                return list(e["faces"])[:limit]
        return []

    def _faces(self) -> ModuleType:
        if self.faces_mod is None:
            raise PhotosorterError("people are not available yet in this version")
        return self.faces_mod

    def name_face(self, face_id: int, name: str) -> None:
        self._faces().name_face(self.catalog, face_id, name, services=self.library.face_services())

    def name_cluster(self, cluster_id: int, name: str) -> None:
        self._faces().name_cluster(self.catalog, cluster_id, name, services=self.library.face_services())

    def rename_person(self, person_id: int, name: str) -> None:
        self._faces().rename(self.catalog, person_id, name)

    def merge_people(self, source_id: int, target_id: int) -> None:
        self._faces().merge(self.catalog, source_id, target_id, services=self.library.face_services())

    def remove_face(self, face_id: int) -> None:
        self._faces().remove_face(self.catalog, face_id, services=self.library.face_services())

    def move_face(self, face_id: int, name: str) -> None:
        self._faces().move_face(self.catalog, face_id, name, services=self.library.face_services())

    def set_hidden(self, person_id: int, hidden: bool) -> None:
        self._faces().set_hidden(self.catalog, person_id, hidden)

    def suggestions(self) -> list[dict[str, Any]]:
        """Open "is this X?" questions, surest first: face, person, name, score, path, box."""
        mod = self.faces_mod
        if mod is None or not hasattr(mod, "suggestions"):
            return []
        return mod.suggestions(self.catalog)

    def accept_suggestion(self, face_id: int) -> None:
        self._faces().accept(self.catalog, face_id, services=self.library.face_services())

    def reject_suggestion(self, face_id: int) -> None:
        self._faces().reject(self.catalog, face_id)

    def undo_people_change(self) -> str:
        """Puts back the last naming, merge, split, move or hide; returns what was undone."""
        return self._faces().undo(self.catalog, services=self.library.face_services())

    def forget_all_faces(self) -> str:
        """Deletes all face data (the Rekognition collection too); returns what was deleted."""
        return self._faces().forget_all(self.catalog, services=self.library.face_services()).describe()

    def cluster_new_faces(self) -> None:
        self.library.group_faces()

    def regroup_faces(self) -> Any:
        """Groups every face again from scratch; faces named or confirmed by the user stay."""
        return self._faces().recluster(self.catalog, services=self.library.face_services())

    def _ids_of_paths(self, paths: list[str]) -> list[int]:
        found = [self.library.photo_by_path(p) for p in dict.fromkeys(paths) if p]
        photos = sorted(
            (p for p in found if p is not None), key=lambda p: (p.taken_at or "", p.id), reverse=True
        )
        return [p.id for p in photos]

    def _people_ids(self, view: ViewFilter) -> list[int]:
        """Photos of a person or of unnamed clusters, from the people module (search-free fallback)."""
        mod = self.faces_mod
        if mod is None:
            raise QueryError("people are not available yet in this version")
        if view.kind == "person":
            found = mod.person(self.catalog, view.value)
            return self._ids_of_paths(list(mod.photos_of_person(self.catalog, found.id)))
        paths = [f["path"] for e in mod.overview(self.catalog) if e["kind"] == "cluster" for f in e["faces"]]
        return self._ids_of_paths(paths)

    # -- jobs --------------------------------------------------------------------------------------------
    def scan_job(self, cancel: CancelToken) -> Job:
        return self.library.scan(cancel=cancel)

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
        folders = {f.id: f.path for f in self.folders()}
        return [
            QueueEntry(j.id, j.kind, j.state, j.attempts, _job_subject(j.kind, j.payload, folders), j.error)
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
