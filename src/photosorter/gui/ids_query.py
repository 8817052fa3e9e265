"""Which photo ids the gallery shows: queries run on a worker, the newest one the user asked for wins,
and changes on disk are coalesced so at most one query runs with one more queued behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from photosorter.core import browse
from photosorter.core.browse import ViewFilter, ViewKind
from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.photos import photos_by_ids
from photosorter.core.catalog.rotation import rotations
from photosorter.core.timeline import Sort, SortKey, Timeline, first
from photosorter.gui.facade import Facade
from photosorter.gui.gallery import PAGE
from photosorter.gui.id_list import IdList, prepare_ids
from photosorter.gui.workers import Tasks

FIRST = 600  # photos of the whole library shown before the rest is read: many screens of the largest tiles


class IdsQuery(QObject):
    """Runs ``browse.timeline`` for what ``wanted()`` says (the sidebar's view and the search text) in the
    order the settings keep, and emits ``ready`` with ids and their day groups prepared against the list
    ``shown()`` returns, or ``failed`` with the search error; results of a query the user replaced since
    are dropped."""

    ready = Signal(int, object)  # generation, IdList
    failed = Signal(int, str)  # generation, message

    def __init__(
        self,
        facade: Facade,
        tasks: Tasks,
        wanted: Callable[[], tuple[ViewFilter, str]],
        shown: Callable[[], list[int]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.facade = facade
        self.tasks = tasks
        self._wanted = wanted
        self._shown = shown  # the model's list; never mutated: the model replaces it
        self.generation = 0
        self.running = 0  # queries in flight
        self._again = False  # a change arrived while one ran: query once more
        self._whole = -1  # the newest generation whose whole list arrived (a first part after it is late)

    def refresh(self) -> None:
        """The user changed what to show: the newest query wins, earlier ones are dropped."""
        self.generation += 1
        self._query()

    def update(self) -> None:
        """Something changed on disk or in the analysis: at most one query runs, and one more follows it
        if changes came meanwhile. (Dropping the one in flight for each new change would show nothing
        until a steady stream of changes stopped.)"""
        if self.running:
            self._again = True
        else:
            self._query()

    def is_current(self, generation: int) -> bool:
        return generation == self.generation

    def sort(self) -> Sort:
        settings = self.facade.library.settings
        return Sort(SortKey(settings.gallery_sort), settings.gallery_descending)

    def _query(self) -> None:
        generation, (view, query), base = self.generation, self._wanted(), self._shown()
        self.running += 1
        sort = self.sort()
        if not base and view.kind == ViewKind.ALL and not query.strip():
            # nothing shown yet (the window opens): the first screens from the order's index in a few ms,
            # while the whole list (a second at 100,000 photos) is read beside it
            self.tasks.run(
                lambda: _first(self.facade.catalog, base, sort),
                lambda ids: self._first_loaded(generation, ids),
            )
        self.tasks.run(
            lambda: _prepared(base, browse.timeline(self.facade.catalog, view, query, sort)),
            lambda ids: self._loaded(generation, ids),
            lambda message: self._failed(generation, message),
        )

    def _first_loaded(self, generation: int, prepared: IdList) -> None:
        if generation == self.generation and self._whole != generation and prepared.base is self._shown():
            self.ready.emit(generation, prepared)

    def _loaded(self, generation: int, prepared: IdList) -> None:
        if generation == self.generation and prepared.base is not self._shown():
            # the list changed since the query began: compare again on a worker, not here (100,000 ids)
            base, ids, groups = self._shown(), prepared.ids, prepared.groups
            self.tasks.run(
                lambda: prepare_ids(base, ids, groups),
                lambda again: self._loaded(generation, again),
                lambda message: self._failed(generation, message),
            )
            return
        self._done()
        if generation == self.generation:
            self._whole = generation
            self.ready.emit(generation, prepared)

    def _failed(self, generation: int, message: str) -> None:
        self._done()
        if generation == self.generation:
            self.failed.emit(generation, message)

    def _done(self) -> None:
        self.running -= 1
        if self._again and not self.running:
            self._again = False
            self._query()


def _prepared(base: list[int], timeline: Timeline) -> IdList:
    return prepare_ids(base, timeline.ids, timeline.groups)


def _first(catalog: Catalog, base: list[int], sort: Sort) -> IdList:
    """The first photos, with the rows of the first page: the first paint asks for thumbnails at once
    instead of asking for rows and waiting for them."""
    prepared = _prepared(base, first(catalog, sort, FIRST))
    page = prepared.ids[:PAGE]
    return replace(prepared, partial=True, rows=photos_by_ids(catalog, page), turns=rotations(catalog, page))
