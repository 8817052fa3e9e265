"""Edit > Undo and Redo: one place for every change the user can take back.

Organizing changes (favourites, ratings, albums, saved searches) are commands on a ``QUndoStack``:
each knows how to write itself and how to write back what it replaced. People changes keep their
own log in the catalog (it outlives the window, and the CLI's ``people undo`` reads it). Undo takes
back whichever came last: each command notes how far the people log went when it was written.

Writes run on a worker, one at a time and in the order they were asked for, so rating a photo 3 and
then 4 in quick succession can never leave it at 3; the window never waits on the catalog.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.people_views import last_undo_id
from photosorter.gui.workers import Tasks

Write = Callable[[], Any]


class Command(QUndoCommand):
    """A change as two writes: ``do`` (also its redo) and ``undo``, each run on a worker; ``show`` and
    ``unshow`` update what the window shows at once (``show`` gets what ``do`` returned, or None before
    it has run); ``unshown`` gets what ``undo`` returned, for a view that can only show the change once
    it is written; ``written`` runs after either write."""

    def __init__(
        self,
        place: UndoPlace,
        text: str,
        do: Write,
        undo: Write,
        show: Callable[[Any], None] | None = None,
        unshow: Callable[[], None] | None = None,
        written: Callable[[], None] | None = None,
        unshown: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(text)
        self.place = place
        self._do, self._undo = do, undo
        self._show, self._unshow, self._written_hook = show, unshow, written
        self._unshown = unshown
        self.people_mark = 0  # the people log's newest entry when this was written

    def redo(self) -> None:
        if self._show is not None:
            self._show(None)
        self.place.write(self._do, self._written, owner=self)

    def undo(self) -> None:
        if self._unshow is not None:
            self._unshow()
        self.place.write(self._undo, self._undone)

    def _undone(self, result: Any) -> None:
        if self._unshown is not None and result is not None:
            self._unshown(result)
        self._after()

    def _written(self, result: Any) -> None:
        if self._show is not None and result is not None:
            self._show(result)
        self._after()

    def _after(self) -> None:
        if self._written_hook is not None:
            self._written_hook()
        self.place.changed.emit()


class UndoPlace(QObject):
    changed = Signal()  # a change or its undo was written: views read the catalog again
    message = Signal(str)  # for the status bar: a write failed, or what was undone

    def __init__(
        self,
        catalog: Catalog,
        tasks: Tasks,
        people_undo: Callable[[], None],
        on_people_page: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.tasks = tasks
        self.stack = QUndoStack(self)
        self._people_undo = people_undo
        self._on_people_page = on_people_page
        self._writes: deque[tuple[Write, Callable[[Any], None]]] = deque()
        self._writing = False
        self._owners: dict[int, Command] = {}  # the command each pending write belongs to

    # -- changes ---------------------------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        """Does the change (QUndoStack calls ``redo``) and keeps it for Undo."""
        self.stack.push(command)

    def write(self, fn: Write, done: Callable[[Any], None], owner: Command | None = None) -> None:
        """Runs ``fn`` on a worker after every write asked for before it; ``done(result)`` on the GUI thread.
        A command's write also notes the people log's newest entry on the command (``owner``)."""

        def work() -> tuple[Any, int]:
            return fn(), last_undo_id(self.catalog)

        def finished(pair: tuple[Any, int]) -> None:
            result, mark = pair
            if owner is not None:
                owner.people_mark = mark
            done(result)

        if owner is not None:
            self._owners[id(work)] = owner
        self._writes.append((work, finished))
        if not self._writing:
            self._next()

    def _next(self) -> None:
        if not self._writes:
            self._writing = False
            return
        self._writing = True
        work, finished = self._writes.popleft()

        def ok(result: Any) -> None:
            self._owners.pop(id(work), None)
            finished(result)
            self._next()

        def failed(message: str) -> None:
            self.message.emit(message)
            owner = self._owners.pop(id(work), None)
            if (
                owner is not None
                and self.stack.index() > 0
                and self.stack.command(self.stack.index() - 1) is owner
            ):
                # a change that could not be made is not kept for Undo (an obsolete command leaves the
                # stack when undone); undoing it puts back what the window showed
                owner.setObsolete(True)
                self.stack.undo()
            self.changed.emit()  # show what the catalog holds
            self._next()

        self.tasks.run(work, ok, failed)

    def idle(self) -> bool:
        """No write is waiting or running (tests wait for this)."""
        return not self._writing and not self._writes

    # -- Edit menu -------------------------------------------------------------------------------------------
    def undo(self) -> None:
        """Takes back the last change: on the People page always a people change; elsewhere the newer of
        the last organizing change and the last people change."""
        if self._on_people_page() or not self.stack.canUndo():
            self._people_undo()
            return
        top = self.stack.command(self.stack.index() - 1)
        mark = top.people_mark if isinstance(top, Command) else 0
        catalog = self.catalog
        self.tasks.run(
            lambda: last_undo_id(catalog),
            lambda newest: self._undo_newer(newest > mark, top),
            self.message.emit,
        )

    def _undo_newer(self, people_newer: bool, top: QUndoCommand) -> None:
        if people_newer:
            self._people_undo()
        elif self.stack.canUndo() and self.stack.command(self.stack.index() - 1) is top:
            text = self.stack.undoText()
            self.stack.undo()
            self.message.emit(f"Undone: {text}")

    def redo(self) -> None:
        if self.stack.canRedo():
            text = self.stack.redoText()
            self.stack.redo()
            self.message.emit(f"Redone: {text}")
