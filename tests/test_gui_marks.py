"""Favourites, ratings, albums and saved searches in the window: keys, clicks, drops, Undo and Redo."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from photosorter.core import faces
from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature
from photosorter.core.browse import ViewFilter, ViewKind
from photosorter.core.catalog import albums as album_rows
from photosorter.core.catalog.analysis import store_result
from photosorter.core.catalog.marks import PhotoMarks, all_marks, marks_of, set_rating
from photosorter.core.library import Library
from photosorter.gui.albums import PHOTO_IDS_MIME, dropped_ids, photo_mime
from photosorter.gui.facade import Facade
from photosorter.gui.gallery_paint import INSET
from photosorter.gui.main_window import MainWindow
from photosorter.gui.marks_paint import heart_rect
from photosorter.gui.shortcuts import menu_shortcuts
from photosorter.gui.workers import WorkerPool

WAIT = 30_000

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, library: Library, photo_folder: Path):
    win = MainWindow(Facade(library), WorkerPool())
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.actions.add_folder(str(photo_folder))
    qtbot.waitUntil(lambda: win.model.rowCount() == 5 and not win.jobs.busy, timeout=WAIT)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    yield win
    win.shutdown()
    assert win.pool.active() == 0


def select_rows(window: MainWindow, *rows: int) -> list[int]:
    gallery = window.gallery
    gallery.setCurrentIndex(window.model.index(rows[0]))
    selection = QItemSelection()
    for row in rows:
        selection.select(window.model.index(row), window.model.index(row))
    gallery.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    gallery.setFocus()
    return [window.model.ids[row] for row in rows]


def written(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(window.organize.place.idle, timeout=WAIT)


def catalog_marks(window: MainWindow) -> dict[int, PhotoMarks]:
    return all_marks(window.facade.catalog)


def test_keys_rate_and_favourite_the_selection_and_undo_redo_take_it_back(qtbot, window) -> None:
    first, second = select_rows(window, 0, 2)
    qtbot.keyClick(window.gallery, Qt.Key.Key_4)
    written(qtbot, window)
    assert catalog_marks(window) == {first: PhotoMarks(first, False, 4), second: PhotoMarks(second, False, 4)}
    qtbot.keyClick(window.gallery, Qt.Key.Key_Period)
    written(qtbot, window)
    assert catalog_marks(window) == {first: PhotoMarks(first, True, 4), second: PhotoMarks(second, True, 4)}
    # what the thumbnails and the detail pane paint follows once the write's result is back on the GUI thread
    qtbot.waitUntil(lambda: window.organize.marks.marks == catalog_marks(window), timeout=WAIT)
    qtbot.waitUntil(lambda: window.organize.marks.bar.describe() == "favourite, 4 stars", timeout=WAIT)

    qtbot.keyClick(window.gallery, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not any(m.favorite for m in catalog_marks(window).values()), timeout=WAIT)
    assert "Undone: Favourite 2 photos" in window.statusBar().currentMessage()
    window.undo_action.trigger()
    # the painted marks follow the catalog once the write's result is back on the GUI thread
    qtbot.waitUntil(lambda: catalog_marks(window) == {} and window.organize.marks.marks == {}, timeout=WAIT)
    assert window.organize.marks.marks == {}
    assert window.redo_action.isEnabled()
    qtbot.keyClick(
        window.gallery, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(lambda: len(catalog_marks(window)) == 2, timeout=WAIT)
    assert {m.rating for m in catalog_marks(window).values()} == {4}

    qtbot.keyClick(window.gallery, Qt.Key.Key_0)  # 0 clears the rating
    written(qtbot, window)
    assert catalog_marks(window) == {}

    # in the search field the same keys type text
    changes = window.organize.place.stack.count()
    window.search.setFocus()
    qtbot.keyClicks(window.search, "rating:5.")
    assert window.search.text() == "rating:5."
    assert window.organize.place.stack.count() == changes  # nothing was rated or favourited


def test_a_search_on_marks_follows_a_change_made_in_the_window(qtbot, window) -> None:
    window.search.setText("is:favorite")
    window.search.request()
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=WAIT)
    window.organize.marks.set_favorite(True, [window.facade.library.photo_by_path(_any_path(window)).id])
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)


def _any_path(window: MainWindow) -> str:
    return next(iter(window.facade.library.catalog.connection().execute("SELECT path FROM photos")))[0]


def test_the_detail_pane_heart_and_stars_and_the_thumbnail_heart(qtbot, window) -> None:
    (photo,) = select_rows(window, 1)
    bar = window.organize.marks.bar
    qtbot.waitUntil(lambda: bar.isEnabled() and window.organize.marks._bar_photo == photo, timeout=WAIT)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.slot_rect(3).center().toPoint())
    written(qtbot, window)
    assert catalog_marks(window) == {photo: PhotoMarks(photo, False, 3)}
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.slot_rect(0).center().toPoint())
    written(qtbot, window)
    assert catalog_marks(window) == {photo: PhotoMarks(photo, True, 3)}
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.slot_rect(3).center().toPoint())
    written(qtbot, window)  # its own star again clears the rating
    assert catalog_marks(window) == {photo: PhotoMarks(photo, True, 0)}

    # the heart on another thumbnail favourites that photo alone, and leaves the selection as it was
    gallery = window.gallery
    tile = gallery.visualRect(window.model.index(3)).adjusted(INSET, INSET, -INSET, -INSET)
    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=heart_rect(tile).center())
    written(qtbot, window)
    other = window.model.ids[3]
    assert catalog_marks(window)[other] == PhotoMarks(other, True, 0)
    assert gallery.currentIndex().row() == 1


def _sidebar_entry(window: MainWindow, kind: ViewKind, name: str):
    section = window.sidebar.albums_item if kind == ViewKind.ALBUM else window.sidebar.saved_item
    for row in range(section.rowCount()):
        item = section.child(row)
        if item.text() == name:
            return item, int(section.child(row, 1).text() or 0)
    return None, 0


def _drop(window: MainWindow, item, ids: list[int]) -> None:
    viewport = window.sidebar.viewport()
    point = QPointF(window.sidebar.visualRect(item.index()).center())
    mime = photo_mime(ids, [])
    for event in (
        QDragEnterEvent(
            point.toPoint(),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        ),
        QDragMoveEvent(
            point.toPoint(),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    ):
        QApplication.sendEvent(viewport, event)
        assert event.isAccepted()
    drop = QDropEvent(
        point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(viewport, drop)
    assert drop.isAccepted()


def test_albums_from_the_menu_a_drop_removal_order_and_undoing_a_delete(qtbot, window) -> None:
    catalog = window.facade.catalog
    first, second = select_rows(window, 0, 1)
    window.organize.albums.new_album("Trip")
    qtbot.waitUntil(lambda: _sidebar_entry(window, ViewKind.ALBUM, "Trip")[1] == 2, timeout=WAIT)
    album = album_rows.album_by_name(catalog, "Trip")
    window.organize.albums.new_album("trip")  # taken: said, and not kept for Undo
    qtbot.waitUntil(
        lambda: "already an album called 'Trip'" in window.statusBar().currentMessage(), timeout=WAIT
    )
    written(qtbot, window)
    assert window.organize.place.stack.undoText() == "New album Trip"

    # drag a third photo onto the album in the sidebar
    third = window.model.ids[4]
    item, _ = _sidebar_entry(window, ViewKind.ALBUM, "Trip")
    _drop(window, item, [third])
    qtbot.waitUntil(lambda: _sidebar_entry(window, ViewKind.ALBUM, "Trip")[1] == 3, timeout=WAIT)

    # open it: its photos by date; arranged, they keep the order given
    item, _ = _sidebar_entry(window, ViewKind.ALBUM, "Trip")
    window.sidebar.setCurrentItem(item)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=WAIT)
    assert window.organize.albums.remove_action.isEnabled()
    shown = list(window.model.ids)
    select_rows(window, 2)
    qtbot.keyClick(window.gallery, Qt.Key.Key_BracketLeft)  # move earlier
    qtbot.waitUntil(lambda: window.model.ids == [shown[0], shown[2], shown[1]], timeout=WAIT)
    assert album_rows.album_by_id(catalog, album.id).order.value == "manual"

    # Delete in an album takes the photo out of it, never out of the library
    select_rows(window, 0)
    qtbot.keyClick(window.gallery, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT)
    assert len(window.facade.library.catalog.connection().execute("SELECT id FROM photos").fetchall()) == 5

    window.organize.albums.delete_current()
    qtbot.waitUntil(lambda: _sidebar_entry(window, ViewKind.ALBUM, "Trip")[0] is None, timeout=WAIT)
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=WAIT)  # back on All Photos
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: _sidebar_entry(window, ViewKind.ALBUM, "Trip")[1] == 2, timeout=WAIT)
    assert album_rows.album_photo_ids(catalog, album.id) == [shown[2], shown[1]]
    assert {first, second, third} >= set(album_rows.album_photo_ids(catalog, album.id))


def test_a_saved_search_is_listed_and_stays_live(qtbot, window) -> None:
    window.search.setText("rating:>=4")
    window.search.request()
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=WAIT)
    window.organize.albums.save_search("Good ones")
    qtbot.waitUntil(lambda: _sidebar_entry(window, ViewKind.SAVED, "Good ones")[0] is not None, timeout=WAIT)
    window.search.setText("")
    window.search.request()
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=WAIT)
    item, _ = _sidebar_entry(window, ViewKind.SAVED, "Good ones")
    window.sidebar.setCurrentItem(item)
    saved = window.sidebar.current_filter()
    assert saved.kind == ViewKind.SAVED
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=WAIT)
    # a photo rated elsewhere (the CLI) shows up when the gallery next refreshes
    photo = window.facade.library.photo_by_path(_any_path(window)).id
    set_rating(window.facade.catalog, [photo], 5)
    window.ids_query.update()
    qtbot.waitUntil(lambda: window.model.ids == [photo], timeout=WAIT)
    qtbot.waitUntil(
        lambda: window.organize.marks.marks.get(photo) == PhotoMarks(photo, False, 5), timeout=WAIT
    )
    window.organize.albums.rename_current("Best")
    qtbot.waitUntil(lambda: _sidebar_entry(window, ViewKind.SAVED, "Best")[0] is not None, timeout=WAIT)
    assert window.sidebar.current_filter() == ViewFilter(ViewKind.SAVED, saved.value, "Best")


def test_drag_data_carries_ids_and_files_and_a_foreign_drop_is_refused(qtbot, window) -> None:
    mime = photo_mime([3, 1], ["/lib/a.jpg"])
    assert dropped_ids(mime) == [3, 1]
    assert [u.toLocalFile() for u in mime.urls()] == ["/lib/a.jpg"]
    mime.setData(PHOTO_IDS_MIME, b"not json")
    assert dropped_ids(mime) == []
    files_only = QMimeData()  # a drag from a file manager: no photo ids (kept alive while it is sent)
    files_only.setUrls([QUrl.fromLocalFile("/x.jpg")])
    enter = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        files_only,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window.sidebar.viewport(), enter)
    assert enter.type() == QEvent.Type.DragEnter and not enter.isAccepted()


def test_help_lists_the_keys_from_the_menus(window) -> None:
    window.organize.albums.add_menu.aboutToShow.emit()  # New Album is in Add to Album too: listed once
    listed = menu_shortcuts(window.menuBar())
    assert len(listed) == len({key for _menu, key, _entry in listed})  # no key does two things
    keys = {(key, entry) for _menu, key, entry in listed}
    assert {(".", "Favourite"), ("4", "4 Stars"), ("0", "No Rating"), ("Ctrl+Z", "Undo")} <= keys
    assert ("Ctrl+Shift+Z", "Redo") in keys
    assert ("F1", "Keyboard Shortcuts") in keys


def test_undo_takes_back_whichever_came_last_a_rating_or_a_naming(qtbot, window, photo_folder: Path) -> None:
    library = window.facade.library
    photo = library.photo_by_path(str((photo_folder / "exif_orientation6_obama.jpg").resolve()))
    face = Face(
        Box(0.3, 0.2, 0.3, 0.3), 99.5, quality={"size": 120.0, "sharpness": 90.0}, embedding=(1.0,) * 128
    )
    store_result(
        library.catalog,
        photo.hash,
        AnalysisResult(backend="local", features=frozenset({Feature.FACES}), faces=(face,)),
        {Feature.FACES: "test"},
    )
    faces.cluster_new_faces(library.catalog)
    window.organize.marks.rate(2, [photo.id])
    written(qtbot, window)
    cluster = next(e for e in window.facade.overview() if e.cluster_id is not None).cluster_id
    window.facade.name_cluster(cluster, "Barack")  # after the rating: the first Ctrl+Z takes it back

    def named() -> bool:
        return any(e.name == "Barack" for e in window.facade.overview())

    window.undo_action.trigger()
    qtbot.waitUntil(lambda: not named(), timeout=WAIT)
    assert marks_of(library.catalog, [photo.id]) == {photo.id: PhotoMarks(photo.id, False, 2)}
    window.undo_action.trigger()  # then the rating
    qtbot.waitUntil(lambda: marks_of(library.catalog, [photo.id]) == {}, timeout=WAIT)
    assert not named()


def _drop_on_gallery(window: MainWindow, point: QPoint, ids: list[int]) -> bool:
    """Drags these photos over the gallery and drops them at ``point``: whether the gallery took them."""
    viewport = window.gallery.viewport()
    mime = photo_mime(ids, [])  # kept alive: the events do not own it
    args = (Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(point, *args)
    QApplication.sendEvent(viewport, enter)
    if not enter.isAccepted():
        return False
    move = QDragMoveEvent(point, *args)
    QApplication.sendEvent(viewport, move)
    assert window.gallery.drop_row_at(point) >= 0 or not move.isAccepted()
    drop = QDropEvent(QPointF(point), *args)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def test_dropping_the_selection_between_an_albums_photos_arranges_it_undoably(qtbot, window) -> None:
    catalog = window.facade.catalog
    select_rows(window, 0, 1, 2, 3)
    window.organize.albums.new_album("Walk")
    qtbot.waitUntil(lambda: _sidebar_entry(window, ViewKind.ALBUM, "Walk")[1] == 4, timeout=WAIT)
    album = album_rows.album_by_name(catalog, "Walk")
    gallery = window.gallery
    last = gallery.visualRect(window.model.index(4))
    moved = select_rows(window, 0)
    # outside an album a drop arranges nothing
    assert not _drop_on_gallery(window, last.center() + QPoint(last.width() // 4, 0), moved)

    item, _ = _sidebar_entry(window, ViewKind.ALBUM, "Walk")
    window.sidebar.setCurrentItem(item)
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=WAIT)
    shown = list(window.model.ids)
    # photo 0 dropped on the right half of the third cell: it lands after the third photo
    moved = select_rows(window, 0)
    third = gallery.visualRect(window.model.index(2))
    assert gallery.drop_row_at(third.center() + QPoint(third.width() // 4, 0)) == 3
    assert gallery.drop_row_at(third.center() - QPoint(third.width() // 4, 0)) == 2
    assert _drop_on_gallery(window, third.center() + QPoint(third.width() // 4, 0), moved)
    arranged = [shown[1], shown[2], shown[0], shown[3]]
    qtbot.waitUntil(lambda: window.model.ids == arranged, timeout=WAIT)
    assert album_rows.album_photo_ids(catalog, album.id) == arranged
    assert album_rows.album_by_id(catalog, album.id).order.value == "manual"
    written(qtbot, window)
    assert window.organize.place.stack.undoText() == "Arrange Walk"

    # past the last photo: to the end
    moved = select_rows(window, 0)
    end = gallery.visualRect(window.model.index(3))
    _drop_on_gallery(window, QPoint(end.right() + 10, end.center().y()), moved)
    qtbot.waitUntil(lambda: window.model.ids == [shown[2], shown[0], shown[3], shown[1]], timeout=WAIT)
    written(qtbot, window)
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: window.model.ids == arranged, timeout=WAIT)
    window.undo_action.trigger()  # as it was: by date
    qtbot.waitUntil(lambda: album_rows.album_photo_ids(catalog, album.id) == shown, timeout=WAIT)
    assert album_rows.album_by_id(catalog, album.id).order.value == "date"
