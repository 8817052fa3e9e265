"""Favourites and ratings in the window: the keys and menu entries, the heart and stars on thumbnails
and in the detail pane, each change undoable.

What a key or click applies to: the photo in the viewer, else the gallery's selection (or its current
photo when nothing is selected). The window shows a change at once; the write follows on a worker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPainter
from PySide6.QtWidgets import QMenu

from photosorter.core.catalog.marks import (
    MAX_RATING,
    PhotoMarks,
    all_marks,
    restore_marks,
    set_favorite,
    set_rating,
)
from photosorter.gui.gallery_paint import INSET
from photosorter.gui.marks_paint import MarksBar, TileBadges, heart_rect
from photosorter.gui.undo import Command, UndoPlace

if TYPE_CHECKING:
    from photosorter.gui.main_window import MainWindow

FAVORITE_KEY = "."  # as in Apple Photos; F is the viewer's face boxes


def stars(rating: int) -> str:
    return "No Rating" if rating == 0 else f"{rating} Star{'s' if rating != 1 else ''}"


class MarksController(QObject):
    changed = Signal()  # the marks shown changed: repaint

    def __init__(self, window: MainWindow, place: UndoPlace) -> None:
        super().__init__(window)
        self.window = window
        self.place = place
        self.catalog = window.facade.catalog
        self.marks: dict[int, PhotoMarks] = {}
        self._stale = False  # a reload arrived while a write was pending: read again after it
        self.bar = MarksBar()
        self.bar.favorite_clicked.connect(lambda: self.toggle_favorite(self.bar_targets()))
        self.bar.rating_clicked.connect(lambda rating: self.rate(rating, self.bar_targets()))
        self._bar_photo: int | None = None
        self.changed.connect(self._repaint)
        place.changed.connect(self._written)
        self.favorite_action = QAction("&Favourite", window)
        self.favorite_action.setShortcut(QKeySequence(FAVORITE_KEY))
        self.favorite_action.triggered.connect(lambda: self.toggle_favorite())
        self.rating_actions = []
        for rating in range(MAX_RATING + 1):
            action = QAction(stars(rating), window)
            action.setShortcut(QKeySequence(str(rating)))
            action.triggered.connect(lambda _checked=False, rating=rating: self.rate(rating))
            self.rating_actions.append(action)
        self.badges = TileBadges()
        window.gallery.set_overlay(self._paint_tile)
        window.gallery.viewport().installEventFilter(self)

    def add_to_menu(self, menu: QMenu) -> None:
        menu.addAction(self.favorite_action)
        rate = menu.addMenu("&Rating")
        for action in self.rating_actions[1:] + self.rating_actions[:1]:
            rate.addAction(action)

    # -- what is marked --------------------------------------------------------------------------------------
    def of(self, photo_id: int) -> PhotoMarks:
        return self.marks.get(photo_id) or PhotoMarks(photo_id, False, 0)

    def reload(self) -> None:
        """Reads every photo's marks (only marked photos have any: a few thousand rows at most)."""
        catalog = self.catalog
        self.window.tasks.run(lambda: all_marks(catalog), self._loaded)

    def _loaded(self, marks: dict[int, PhotoMarks]) -> None:
        if not self.place.idle():  # older than a change still being written: it would undo it on screen
            self._stale = True
            return
        if marks != self.marks:
            self.marks = marks
            self.changed.emit()

    def _written(self) -> None:
        if self._stale and self.place.idle():
            self._stale = False
            self.reload()
        self.window.ids_query.update()  # a view or search on marks (is:favorite) shows the change

    # -- what a change applies to ---------------------------------------------------------------------------
    def targets(self) -> list[int]:
        window = self.window
        if window.central.currentWidget() is window.viewer:
            return [window.viewer.photo_id] if window.viewer.photo_id is not None else []
        if window.pages.currentWidget() is not window.gallery_page:
            return []
        ids = window.model.ids
        rows: list[int] = []
        selection = window.gallery.selectionModel()
        for part in selection.selection():  # ranges, not indexes: Ctrl+A over 100,000 photos is one
            rows.extend(range(part.top(), part.bottom() + 1))
        if not rows and window.gallery.currentIndex().isValid():
            rows = [window.gallery.currentIndex().row()]
        return [ids[row] for row in sorted(set(rows)) if row < len(ids)]

    def bar_targets(self) -> list[int]:
        """A click in the detail pane: the selection when it holds the photo shown, else that photo."""
        photo = self._bar_photo
        if photo is None:
            return []
        selected = self.targets()
        return selected if photo in selected else [photo]

    # -- changes ---------------------------------------------------------------------------------------------
    def rate(self, rating: int, ids: list[int] | None = None) -> None:
        ids = self.targets() if ids is None else ids
        if not ids:
            return
        catalog = self.catalog
        self._change(
            f"Rate {_count(ids)} {stars(rating).lower()}" if rating else f"Clear the rating of {_count(ids)}",
            ids,
            lambda m: PhotoMarks(m.photo_id, m.favorite, rating),
            lambda: set_rating(catalog, ids, rating),
        )

    def toggle_favorite(self, ids: list[int] | None = None) -> None:
        """Favourites the photos, or un-favourites them when every one already is."""
        ids = self.targets() if ids is None else ids
        if ids:
            self.set_favorite(not all(self.of(i).favorite for i in ids), ids)

    def set_favorite(self, favorite: bool, ids: list[int]) -> None:
        catalog = self.catalog
        self._change(
            f"{'Favourite' if favorite else 'Unfavourite'} {_count(ids)}",
            ids,
            lambda m: PhotoMarks(m.photo_id, favorite, m.rating),
            lambda: set_favorite(catalog, ids, favorite),
        )

    def _change(
        self,
        text: str,
        ids: list[int],
        new: Callable[[PhotoMarks], PhotoMarks],
        write: Callable[[], None],
    ) -> None:
        before = {i: self.marks[i] for i in ids if i in self.marks}
        after = {i: new(self.of(i)) for i in ids}
        catalog = self.catalog
        self.place.push(
            Command(
                self.place,
                text,
                write,
                lambda: restore_marks(catalog, ids, before),
                show=lambda _result: self._show(ids, after),
                unshow=lambda: self._show(ids, before),
            )
        )
        self.window.statusBar().showMessage(f"{text} (Ctrl+Z undoes)", 4000)

    def _show(self, ids: list[int], marks: Mapping[int, PhotoMarks]) -> None:
        for photo_id in ids:
            found = marks.get(photo_id)
            if found is not None and (found.favorite or found.rating):
                self.marks[photo_id] = found
            else:
                self.marks.pop(photo_id, None)
        self.changed.emit()

    # -- showing ---------------------------------------------------------------------------------------------
    def show_photo(self, photo_id: int | None) -> None:
        """The detail pane shows this photo (None: no photo)."""
        self._bar_photo = photo_id
        self.bar.set_marks(self.of(photo_id) if photo_id is not None else None, photo_id is not None)

    def _repaint(self) -> None:
        self.window.gallery.viewport().update()
        self.show_photo(self._bar_photo)

    def _paint_tile(self, painter: QPainter, rect: QRect, row: int, hovered: bool) -> None:
        ids = self.window.model.ids
        if row < len(ids):
            self.badges.paint(painter, rect, self.marks.get(ids[row]), hovered)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A click on a thumbnail's heart (shown under the mouse) favourites that photo alone."""
        if event.type() == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            gallery = self.window.gallery
            pos = event.position().toPoint()
            index = gallery.indexAt(pos)
            if index.isValid() and not event.modifiers():
                tile = gallery.visualRect(index).adjusted(INSET, INSET, -INSET, -INSET)
                if heart_rect(tile).adjusted(-3, -3, 3, 3).contains(pos):
                    self.toggle_favorite([self.window.model.ids[index.row()]])
                    return True
        return False


def _count(ids: list[int]) -> str:
    return "a photo" if len(ids) == 1 else f"{len(ids):,} photos"
