"""Albums and saved searches in the window: the Organize menu's album entries, dragging photos onto an
album in the sidebar, arranging an album, and renaming or deleting from the sidebar. Every change is
undoable (an album deleted by mistake comes back with its photos and order).

Each change is a command over snapshots: before it runs, the album (or saved search) as it was is
read; after, as it became. Undo writes the first back, redo the second, so one shape covers create,
rename, delete, add, remove and arrange.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QMimeData, QObject, QPoint, Qt, QUrl
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu

from photosorter.core import browse
from photosorter.core.browse import ViewFilter, ViewKind
from photosorter.core.catalog import albums as album_rows
from photosorter.core.catalog.albums import AlbumOrder, AlbumSnapshot, SavedSearch
from photosorter.gui.sidebar import FilterRole
from photosorter.gui.undo import Command, UndoPlace

if TYPE_CHECKING:
    from photosorter.gui.main_window import MainWindow

PHOTO_IDS_MIME = "application/x-photosorter-photo-ids"


def photo_mime(photo_ids: list[int], paths: list[str]) -> QMimeData:
    """What a drag of photos carries: their ids (for an album) and their files (for other apps)."""
    data = QMimeData()
    data.setData(PHOTO_IDS_MIME, QByteArray(json.dumps(photo_ids).encode()))
    data.setUrls([QUrl.fromLocalFile(path) for path in paths])
    return data


def dropped_ids(data: QMimeData) -> list[int]:
    if not data.hasFormat(PHOTO_IDS_MIME):
        return []
    try:
        found = json.loads(bytes(data.data(PHOTO_IDS_MIME).data()).decode())
    except ValueError:
        return []
    return [int(i) for i in found if isinstance(i, int)] if isinstance(found, list) else []


@dataclass(slots=True)
class _Snapshots:
    before: Any = None  # AlbumSnapshot | SavedSearch | None (None: it did not exist)
    after: Any = None
    ran: bool = False


class AlbumsController(QObject):
    def __init__(self, window: MainWindow, place: UndoPlace, targets: Callable[[], list[int]]) -> None:
        super().__init__(window)
        self.window = window
        self.place = place
        self.catalog = window.facade.catalog
        self.targets = targets  # the photos a menu entry applies to (the selection)
        self.albums: list[album_rows.Album] = []  # as the sidebar last listed them
        # kept: while the window is destroyed, events still arrive after the views are gone
        self._sidebar_viewport = window.sidebar.viewport()
        self._sidebar_viewport.setAcceptDrops(True)
        self._sidebar_viewport.installEventFilter(self)
        window.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        window.sidebar.customContextMenuRequested.connect(self._sidebar_menu)
        self.new_album_action = self._action("&New Album…", lambda: self.new_album(), "Ctrl+Shift+N")
        self.add_menu = QMenu("&Add to Album", window)
        self.add_menu.aboutToShow.connect(self._fill_add_menu)
        self.remove_action = self._action("Re&move from Album", lambda: self.remove_selection())
        self.earlier_action = self._action("Move &Earlier in Album", lambda: self.move_selection(-1), "[")
        self.later_action = self._action("Move &Later in Album", lambda: self.move_selection(1), "]")
        self.order_menu = QMenu("Album &Order", window)
        group = QActionGroup(self)
        self.order_actions: dict[AlbumOrder, QAction] = {}
        for order, text in ((AlbumOrder.DATE, "By &Date Taken"), (AlbumOrder.MANUAL, "&Manual")):
            act = QAction(text, window, checkable=True)
            act.triggered.connect(lambda _c=False, order=order: self.set_order(order))
            group.addAction(act)
            self.order_menu.addAction(act)
            self.order_actions[order] = act
        self.save_search_action = self._action("&Save Search…", lambda: self.save_search(), "Ctrl+S")
        self.rename_action = self._action("Rena&me Album or Search…", lambda: self.rename_current())
        self.delete_action = self._action("&Delete Album or Search…", lambda: self.delete_current())
        window.sidebar.filter_changed.connect(lambda _view: self.update_actions())
        window.gallery.arranged.connect(self.move_selection_to)  # the selection dropped between photos
        self.update_actions()

    def _action(self, text: str, slot: Callable[[], None], shortcut: str | None = None) -> QAction:
        act = QAction(text, self.window)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        return act

    def add_to_menu(self, menu: QMenu) -> None:
        menu.addAction(self.new_album_action)
        menu.addMenu(self.add_menu)
        menu.addAction(self.remove_action)
        menu.addAction(self.earlier_action)
        menu.addAction(self.later_action)
        menu.addMenu(self.order_menu)
        menu.addSeparator()
        menu.addAction(self.save_search_action)
        menu.addSeparator()
        menu.addAction(self.rename_action)
        menu.addAction(self.delete_action)
        menu.aboutToShow.connect(self.update_actions)

    # -- state -----------------------------------------------------------------------------------------------
    def set_albums(self, albums: list[album_rows.Album]) -> None:
        self.albums = albums
        self.update_actions()

    def current_album(self) -> album_rows.Album | None:
        view = self.window.sidebar.current_filter()
        if view.kind != ViewKind.ALBUM:
            return None
        return next((a for a in self.albums if str(a.id) == view.value), None)

    def update_actions(self) -> None:
        album = self.current_album()
        view = self.window.sidebar.current_filter()
        self.window.gallery.arrangeable = album is not None
        for act in (self.remove_action, self.earlier_action, self.later_action):
            act.setEnabled(album is not None)
        self.order_menu.setEnabled(album is not None)
        if album is not None:
            self.order_actions[album.order].setChecked(True)
        self.rename_action.setEnabled(view.kind in (ViewKind.ALBUM, ViewKind.SAVED))
        self.delete_action.setEnabled(view.kind in (ViewKind.ALBUM, ViewKind.SAVED))

    def _fill_add_menu(self) -> None:
        self.add_menu.clear()
        for album in self.albums:
            act = self.add_menu.addAction(album.name)
            act.triggered.connect(lambda _c=False, album_id=album.id: self.add(album_id, self.targets()))
        if self.albums:
            self.add_menu.addSeparator()
        self.add_menu.addAction(self.new_album_action)

    # -- album changes ---------------------------------------------------------------------------------------
    def _album_change(self, text: str, album_id: int | None, change: Callable[[], int]) -> None:
        """``change`` writes and returns the album's id; a deleted album's snapshot is None after."""
        catalog, state = self.catalog, _Snapshots()

        def do() -> None:
            if state.ran:  # redo: the album as the change left it
                _put_album(catalog, state.after, state.before)
                return
            state.before = album_rows.snapshot_album(catalog, album_id) if album_id is not None else None
            state.after = album_rows.snapshot_album(catalog, change())
            state.ran = True

        self._push(text, do, lambda: _put_album(catalog, state.before, state.after))

    def _push(self, text: str, do: Callable[[], None], undo: Callable[[], None]) -> None:
        self.place.push(Command(self.place, text, do, undo, written=self.window.refresh_sidebar))
        self.window.statusBar().showMessage(f"{text} (Ctrl+Z undoes)", 4000)

    def _ask(self, title: str, label: str, text: str = "") -> str | None:
        name, ok = QInputDialog.getText(self.window, title, label, QLineEdit.EchoMode.Normal, text)
        return name.strip() if ok and name.strip() else None

    def new_album(self, name: str | None = None, photo_ids: list[int] | None = None) -> None:
        """A new album, holding the selected photos (if any)."""
        ids = self.targets() if photo_ids is None else photo_ids
        name = name or self._ask("New Album", "Album name:")
        if not name:
            return
        catalog = self.catalog

        def create() -> int:
            album = album_rows.create_album(catalog, name)
            album_rows.add_to_album(catalog, album.id, ids)
            return album.id

        self._album_change(f"New album {name}", None, create)

    def add(self, album_id: int, photo_ids: list[int]) -> None:
        if not photo_ids:
            return
        catalog = self.catalog
        name = next((a.name for a in self.albums if a.id == album_id), "the album")

        def add() -> int:
            album_rows.add_to_album(catalog, album_id, photo_ids)
            return album_id

        self._album_change(f"Add {_count(photo_ids)} to {name}", album_id, add)

    def remove_selection(self) -> bool:
        """Takes the selected photos out of the album shown (never out of the library); False when no
        album is shown."""
        album = self.current_album()
        ids = self.targets()
        if album is None or not ids:
            return False
        catalog = self.catalog

        def remove() -> int:
            album_rows.remove_from_album(catalog, album.id, ids)
            return album.id

        self._album_change(f"Remove {_count(ids)} from {album.name}", album.id, remove)
        return True

    def move_selection(self, step: int) -> None:
        """Moves the selected photos one place earlier (-1) or later (+1) in the album, as one block."""
        shown = self.window.model.ids
        chosen = set(self.targets())
        rows = [row for row, photo_id in enumerate(shown) if photo_id in chosen]
        if not rows:
            return
        if step < 0:
            if rows[0] == 0:
                return
            self.move_selection_to(rows[0] - 1)  # before the photo just before the first of them
        elif rows[-1] + 1 < len(shown):
            self.move_selection_to(rows[-1] + 2)  # past the photo just after the last of them

    def move_selection_to(self, row: int) -> None:
        """Moves the selected photos, as one block in the order shown, to just before the photo at ``row``
        of the gallery (past the last row: to the end): dropping a drag of them there, or Earlier/Later."""
        album = self.current_album()
        shown = self.window.model.ids
        chosen = set(self.targets())
        moving = [photo_id for photo_id in shown if photo_id in chosen]
        if album is None or not moving:
            return
        before = shown[row] if 0 <= row < len(shown) else None  # None: the end
        while before is not None and before in chosen:  # dropped onto the block itself: after it
            row += 1
            before = shown[row] if row < len(shown) else None
        catalog = self.catalog

        def move() -> int:
            album_rows.move_in_album(catalog, album.id, moving, before)
            return album.id

        self._album_change(f"Arrange {album.name}", album.id, move)

    def set_order(self, order: AlbumOrder) -> None:
        album = self.current_album()
        if album is None or album.order == order:
            return
        catalog = self.catalog

        def change() -> int:
            album_rows.set_album_order(catalog, album.id, order)
            return album.id

        word = "by date" if order == AlbumOrder.DATE else "in manual order"
        self._album_change(f"Show {album.name} {word}", album.id, change)

    # -- saved searches --------------------------------------------------------------------------------------
    def _saved_change(self, text: str, saved_id: int | None, change: Callable[[], int | None]) -> None:
        catalog, state = self.catalog, _Snapshots()

        def do() -> None:
            if state.ran:
                _put_saved(catalog, state.after, state.before)
                return
            state.before = album_rows.saved_search_by_id(catalog, saved_id) if saved_id is not None else None
            found = change()
            state.after = album_rows.saved_search_by_id(catalog, found) if found is not None else None
            state.ran = True

        self._push(text, do, lambda: _put_saved(catalog, state.before, state.after))

    def save_search(self, name: str | None = None) -> None:
        """Keeps the search bar's query under a name, listed under Saved Searches."""
        query = self.window.search.text().strip()
        if not query:
            self.window.statusBar().showMessage("Type a search first, then save it.", 6000)
            return
        name = name or self._ask("Save Search", f"Name for “{query}”:", query)
        if not name:
            return
        catalog = self.catalog
        self._saved_change(f"Save search {name}", None, lambda: browse.save_search(catalog, name, query).id)

    # -- the album or saved search chosen in the sidebar -----------------------------------------------------
    def rename_current(self, name: str | None = None) -> None:
        view = self.window.sidebar.current_filter()
        if view.kind not in (ViewKind.ALBUM, ViewKind.SAVED):
            return
        kind = "Album" if view.kind == ViewKind.ALBUM else "Saved Search"
        name = name or self._ask(f"Rename {kind}", "New name:", view.title)
        if not name or name == view.title:
            return
        catalog, item_id = self.catalog, int(view.value)
        if view.kind == ViewKind.ALBUM:

            def rename_album() -> int:
                album_rows.rename_album(catalog, item_id, name)
                return item_id

            self._album_change(f"Rename {view.title} to {name}", item_id, rename_album)
        else:

            def rename_search() -> int:
                album_rows.rename_saved_search(catalog, item_id, name)
                return item_id

            self._saved_change(f"Rename {view.title} to {name}", item_id, rename_search)

    def delete_current(self) -> None:
        """Deletes the album (its photos stay in the library) or saved search; Ctrl+Z brings it back."""
        view = self.window.sidebar.current_filter()
        if view.kind not in (ViewKind.ALBUM, ViewKind.SAVED):
            return
        catalog, item_id = self.catalog, int(view.value)
        self.window.sidebar.setCurrentItem(self.window.sidebar.all_item)
        if view.kind == ViewKind.ALBUM:

            def delete_album() -> int:
                album_rows.delete_album(catalog, item_id)
                return item_id

            self._album_change(f"Delete album {view.title}", item_id, delete_album)
            self.window.statusBar().showMessage(
                f"Album {view.title} deleted; its photos are still in the library (Ctrl+Z undoes)", 8000
            )
        else:

            def delete_search() -> None:
                album_rows.delete_saved_search(catalog, item_id)

            self._saved_change(f"Delete saved search {view.title}", item_id, delete_search)

    def _sidebar_menu(self, pos: QPoint) -> None:
        index = self.window.sidebar.indexAt(pos)
        view = index.siblingAtColumn(0).data(FilterRole) if index.isValid() else None
        if not isinstance(view, ViewFilter) or view.kind not in (ViewKind.ALBUM, ViewKind.SAVED):
            return
        self.window.sidebar.setCurrentIndex(index.siblingAtColumn(0))
        menu = QMenu(self.window.sidebar)
        menu.addAction(self.rename_action)
        menu.addAction(self.delete_action)
        if view.kind == ViewKind.ALBUM:
            menu.addMenu(self.order_menu)
        self.update_actions()
        menu.exec(self.window.sidebar.viewport().mapToGlobal(pos))

    # -- dragging photos onto an album -----------------------------------------------------------------------
    def album_at(self, pos: QPoint) -> int | None:
        index = self.window.sidebar.indexAt(pos)
        view = index.siblingAtColumn(0).data(FilterRole) if index.isValid() else None
        return int(view.value) if isinstance(view, ViewFilter) and view.kind == ViewKind.ALBUM else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._sidebar_viewport:
            return self._sidebar_event(event)
        return False

    def _sidebar_event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            wanted = event.mimeData().hasFormat(PHOTO_IDS_MIME)
            if wanted and (kind == QEvent.Type.DragEnter or self.album_at(event.position().toPoint())):
                event.setDropAction(Qt.DropAction.CopyAction)
                event.accept()
            else:
                event.ignore()
            return wanted
        if kind == QEvent.Type.Drop and event.mimeData().hasFormat(PHOTO_IDS_MIME):
            album_id = self.album_at(event.position().toPoint())
            ids = dropped_ids(event.mimeData())
            if album_id is not None and ids:
                self.add(album_id, ids)
                event.setDropAction(Qt.DropAction.CopyAction)
                event.accept()
            else:
                event.ignore()
            return True
        return False


def _put_album(catalog, wanted: AlbumSnapshot | None, other: AlbumSnapshot | None) -> None:
    """Makes the album be ``wanted``; None means it should not exist (``other`` says which it was)."""
    if wanted is not None:
        album_rows.restore_album(catalog, wanted)
    elif other is not None:
        album_rows.delete_album(catalog, other.album.id)


def _put_saved(catalog, wanted: SavedSearch | None, other: SavedSearch | None) -> None:
    if wanted is not None:
        album_rows.restore_saved_search(catalog, wanted)
    elif other is not None:
        album_rows.delete_saved_search(catalog, other.id)


def _count(ids: list[int]) -> str:
    return "a photo" if len(ids) == 1 else f"{len(ids):,} photos"
