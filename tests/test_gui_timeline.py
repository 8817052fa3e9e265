"""The timeline gallery with real widgets, offscreen: day headers, the sort menu, the date scrubber, and
what the selection leads to (slideshow, rotation for display, export, dragging files out)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import hashlib
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from photosorter.core.catalog.rotation import rotations
from photosorter.core.library import Library
from photosorter.core.settings import load_settings
from photosorter.core.timeline import DayGroup, SortKey
from photosorter.gui.detail import load_detail
from photosorter.gui.export_dialog import ExportDialog
from photosorter.gui.facade import Facade
from photosorter.gui.main_window import MainWindow
from photosorter.gui.timeline_layout import DAY_HEADER, MONTH_HEADER, TimelineLayout
from photosorter.gui.timeline_paint import FILE_DATE_TIP, header_tooltip
from photosorter.gui.workers import WorkerPool

WAIT = 30_000
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

# name: EXIF date taken (None: no date of its own, the file's modification time is used)
PHOTOS = {
    "beach_morning.jpg": "2023:07:14 09:00:00",
    "beach_evening.jpg": "2023:07:14 19:30:00",
    "city.jpg": "2023:06:02 12:00:00",
    "old_beach.jpg": "2015:01:20 08:00:00",
    "scan_of_print.jpg": None,
}
FILE_DATE = datetime(2019, 3, 5, 12, 0)


def make_photo(path: Path, taken: str | None, colour: tuple[int, int, int]) -> None:
    """A real JPEG, wider than tall (so a quarter turn shows), with its own date in EXIF when given."""
    image = Image.new("RGB", (240, 120), colour)
    image.paste((255, 255, 255), (0, 0, 60, 120))
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    image.save(path, "JPEG", exif=exif.tobytes())
    if taken is None:
        os.utime(path, (FILE_DATE.timestamp(), FILE_DATE.timestamp()))


@pytest.fixture
def dated_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dated"
    folder.mkdir()
    for n, (name, taken) in enumerate(PHOTOS.items()):
        make_photo(folder / name, taken, (40 * n, 90, 200 - 30 * n))
    return folder


@pytest.fixture
def library(home: Path):
    lib = Library.open(home)
    lib.save_settings(lib.settings.with_changes(analyze_after_scan=False, slideshow_seconds=30))
    yield lib
    lib.close()


@pytest.fixture
def window(qtbot, library: Library, dated_folder: Path):
    pool = WorkerPool()
    win = MainWindow(Facade(library), pool)
    qtbot.addWidget(win)
    win.resize(1100, 700)
    win.show()
    qtbot.waitExposed(win)
    win.actions.add_folder(str(dated_folder))
    qtbot.waitUntil(lambda: win.model.rowCount() == len(PHOTOS) and not win.jobs.busy, timeout=WAIT)
    qtbot.waitUntil(lambda: len(win.model.groups) == 4, timeout=WAIT)
    yield win
    if win.selection_actions.slideshow_window is not None:
        win.selection_actions.slideshow_window.close()
    win.shutdown()
    assert pool.active() == 0


def names(window: MainWindow) -> list[str]:
    return [p.name for p in window.model.photos_of(list(range(window.model.rowCount())))]


# -- the layout alone ----------------------------------------------------------------------------------------
def test_the_layout_starts_each_day_on_a_new_line_under_its_header() -> None:
    groups = (DayGroup(0, 5, 20240302, 0), DayGroup(5, 1, 20240301, 1), DayGroup(6, 2, 20231231, 0))
    layout = TimelineLayout(8, groups, columns=3, cell=100)
    top = MONTH_HEADER + DAY_HEADER
    assert layout.rect(0).topLeft().toTuple() == (0, top)
    assert layout.rect(4).topLeft().toTuple() == (100, top + 100)  # the second line of the first day
    second = layout.sections[1]
    assert not second.new_month and second.top == top + 200 + 6
    assert layout.rect(5).topLeft().toTuple() == (0, second.top + DAY_HEADER)
    assert layout.sections[2].new_month  # December 2023 after March 2024: a month title
    assert layout.row_at(150, top + 150) == 4 and layout.row_at(250, top + 150) == -1  # past a short line
    assert layout.row_at(50, 5) == -1  # a header is not a cell
    assert [row for row, _rect in layout.tiles(0, top + 50)] == [0, 1, 2]
    # the arrow keys go to the same column of the next or previous day's line
    assert [
        layout.step(1, 1),
        layout.step(4, 1),
        layout.step(5, 1),
        layout.step(6, -1),
        layout.step(0, -1),
    ] == [
        4,
        5,
        6,
        5,
        0,
    ]
    assert [m[1:] for m in layout.month_marks()] == [(2024, 3), (2023, 12)]
    assert TimelineLayout(8, groups[:2], 3, 100).grouped is False  # ids and groups disagree: no headers


def test_the_layout_sections_are_the_days_in_order_with_their_headers() -> None:
    """Sections are made when asked for (a 5,000-day layout is rebuilt at each live change): each is the
    same whichever order they are asked in, and the list reads as a whole."""
    groups = (DayGroup(0, 5, 20240302, 0), DayGroup(5, 1, 20240301, 1), DayGroup(6, 2, 20231231, 0))
    layout = TimelineLayout(8, groups, columns=3, cell=100)
    last = layout.sections[-1]
    assert len(layout.sections) == 3 and last is layout.sections[2]
    assert (last.first, last.count, last.group, last.new_month) == (6, 2, groups[2], True)
    assert last.header == MONTH_HEADER + DAY_HEADER and last.top + last.header == layout.rect(6).top()
    assert [s.group for s in layout.sections] == list(groups)
    assert [s.top for s in layout.sections[:2]] == [0, MONTH_HEADER + DAY_HEADER + 200 + 6]
    assert layout.headers(0, layout.height) == list(layout.sections)
    assert layout.height == last.top + last.header + 100 + 6
    with pytest.raises(IndexError):
        layout.sections[3]
    flat = TimelineLayout(8, (), columns=3, cell=100)  # another sort: one section, no header
    assert [(s.first, s.count, s.header, s.group) for s in flat.sections] == [(0, 8, 0, None)]
    assert flat.height == 300 and flat.headers(0, 300) == []


def test_a_header_line_is_drawn_once_and_then_blitted_looking_the_same(qapp) -> None:
    """The header painter keeps each line's text as a pixmap (glyphs cost more than the tiles): what it
    blits matches drawing the text there, and the kept lines stay bounded."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QImage, QPainter

    from photosorter.gui.timeline_paint import TEXT_CACHE, HeaderPainter

    headers = HeaderPainter()
    rect, align = QRect(8, 10, 400, DAY_HEADER), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    colour = QColor(20, 20, 20, 210)

    def drawn(by_painter: bool) -> QImage:
        image = QImage(420, 60, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor(240, 240, 240))
        painter = QPainter(image)
        if by_painter:
            headers._text(
                painter, rect, "Saturday, 2 March 2024  ·  12 photos", headers.day_font, colour, align
            )
        else:
            painter.setFont(headers.day_font)
            painter.setPen(colour)
            painter.drawText(rect, align, "Saturday, 2 March 2024  ·  12 photos")
        painter.end()
        return image

    direct, first, again = drawn(False), drawn(True), drawn(True)
    assert len(headers._text_art) == 1  # the second paint reused the first one's line
    assert first == again
    inked = 0
    for y in range(60):
        for x in range(420):
            a, b = direct.pixelColor(x, y), first.pixelColor(x, y)
            assert max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= 8
            inked += a.red() < 200
    assert inked > 100  # there is text to compare
    for n in range(TEXT_CACHE + 10):
        drawn_line = QImage(420, 60, QImage.Format.Format_ARGB32_Premultiplied)
        painter = QPainter(drawn_line)
        headers._text(painter, rect, f"line {n}", headers.day_font, colour, align)
        painter.end()
    assert len(headers._text_art) == TEXT_CACHE


def test_the_sticky_header_waits_until_the_day_line_under_a_month_title_scrolls_away(qapp) -> None:
    """The first day of a month has the month title above its day line. While that line is in view nothing
    is pinned (a pinned copy would cover the month title and show the day twice); once it scrolls away the
    day is pinned, and the next day's header pushes it up."""
    from PySide6.QtGui import QImage, QPainter

    from photosorter.gui.timeline_paint import HeaderPainter

    groups = (DayGroup(0, 5, 20240302, 0), DayGroup(5, 1, 20240301, 1), DayGroup(6, 2, 20231231, 0))
    layout = TimelineLayout(8, groups, columns=3, cell=100)
    headers, palette = HeaderPainter(), QPalette()
    image = QImage(400, 300, QImage.Format.Format_ARGB32_Premultiplied)

    def pinned(offset: int) -> int:
        painter = QPainter(image)
        try:
            return headers.paint_sticky(painter, layout, offset, 400, palette)
        finally:
            painter.end()

    first, second, third = layout.sections[0], layout.sections[1], layout.sections[2]
    assert first.new_month and not second.new_month and third.new_month
    assert pinned(0) == 0
    assert pinned(MONTH_HEADER // 2) == 0  # the month title half gone, the day line below it in view
    assert pinned(MONTH_HEADER) == 0  # the day line at the very top
    assert pinned(MONTH_HEADER + 1) == DAY_HEADER  # the day line starts to go: pinned
    assert pinned(second.top - DAY_HEADER // 2) == DAY_HEADER // 2  # pushed up by the next day's header
    assert pinned(second.top + 1) == DAY_HEADER  # a day without a month title pins as soon as it goes
    assert pinned(third.top + MONTH_HEADER // 2) == 0
    assert pinned(third.top + MONTH_HEADER + 1) == DAY_HEADER


# -- the window ---------------------------------------------------------------------------------------------
def test_days_are_headed_newest_first_and_a_file_date_is_marked(qtbot, window: MainWindow) -> None:
    assert names(window)[:3] == ["beach_evening.jpg", "beach_morning.jpg", "city.jpg"]
    assert [g.day for g in window.model.groups] == [20230714, 20230602, 20190305, 20150120]
    view = window.gallery
    layout = view.timeline_layout()
    file_dated = layout.sections[2]
    assert file_dated.group.file_dated and header_tooltip(file_dated) == FILE_DATE_TIP
    assert not layout.sections[0].group.file_dated
    first, third = view.visualRect(window.model.index(0)), view.visualRect(window.model.index(2))
    assert third.top() >= first.bottom() + DAY_HEADER  # another day: a new line under its own header
    assert first.top() >= MONTH_HEADER + DAY_HEADER
    image = view.viewport().grab().toImage()  # the header band is painted text, not empty
    band = [image.pixelColor(x, MONTH_HEADER + DAY_HEADER // 2).name() for x in range(8, 200)]
    assert len(set(band)) > 1


def test_the_sort_menu_orders_the_grid_and_is_kept_in_the_settings(qtbot, window, library) -> None:
    window.selection_actions.sort_actions[SortKey.NAME].trigger()
    window.selection_actions.ascending_action.trigger()
    expected = sorted(PHOTOS)
    qtbot.waitUntil(lambda: names(window) == expected, timeout=WAIT)
    assert window.model.groups == () and not window.gallery.timeline_layout().grouped
    assert window.selection_actions.sort_button.text() == "Name ↑"
    saved = load_settings(library.paths.settings)
    assert (saved.gallery_sort, saved.gallery_descending) == ("name", False)
    window.selection_actions.sort_actions[SortKey.TAKEN].trigger()
    qtbot.waitUntil(lambda: names(window)[0] == "old_beach.jpg", timeout=WAIT)  # oldest first
    assert len(window.model.groups) == 4


def test_search_results_keep_the_day_groups(qtbot, window: MainWindow) -> None:
    qtbot.keyClicks(window.search, "beach")
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=WAIT)
    assert names(window) == ["beach_evening.jpg", "beach_morning.jpg", "old_beach.jpg"]  # by date
    assert [(g.first, g.count) for g in window.model.groups] == [(0, 2), (2, 1)]


def tall_gallery(qtbot, window: MainWindow, library):
    """Big thumbnails in a small window, so the years scroll: the gallery, its scroll bar, its scrubber."""
    window.actions.apply_settings(library.settings.with_changes(thumbnail_size=320))
    window.resize(700, 420)
    view = window.gallery
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=WAIT)
    return view, bar, view.scrubber


def test_the_scrubber_jumps_to_a_year_and_shows_the_month(qtbot, window: MainWindow, library) -> None:
    view, bar, scrubber = tall_gallery(qtbot, window, library)
    marks = scrubber.year_marks()
    assert next(year for _y, year, _value in marks) == "2023"
    y, _year, value = next(mark for mark in marks if mark[1] == "2019")
    qtbot.mouseClick(scrubber, Qt.MouseButton.LeftButton, pos=QPoint(scrubber.width() // 2, y))
    assert bar.value() == value > 0
    assert scrubber.bubble.isVisible() and scrubber.bubble.text() == "March 2019"
    layout = view.timeline_layout()
    assert layout.sections[layout.section_at(bar.value())].group.day == 20190305  # its day at the top
    qtbot.mouseMove(scrubber, QPoint(scrubber.width() // 2, scrubber.height() - 1))  # the drag goes on
    qtbot.mousePress(scrubber, Qt.MouseButton.LeftButton, pos=QPoint(scrubber.width() // 2, 12))
    qtbot.mouseMove(scrubber, QPoint(scrubber.width() // 2, scrubber.height() - 1))
    qtbot.mouseRelease(
        scrubber, Qt.MouseButton.LeftButton, pos=QPoint(scrubber.width() // 2, scrubber.height() - 1)
    )
    assert bar.value() == bar.maximum()
    assert scrubber.bubble.text() == "January 2015"


def test_the_scrubber_handle_follows_the_view_over_drawn_years(qtbot, window: MainWindow, library) -> None:
    """The years are drawn once and reused; the handle is painted where the view is, and nowhere else."""
    _view, bar, scrubber = tall_gallery(qtbot, window, library)
    highlight = scrubber.palette().color(QPalette.ColorRole.Highlight)
    x = scrubber.width() - 3

    def handle_at(y: int) -> bool:
        return scrubber.grab().toImage().pixelColor(x, y) == highlight

    top = scrubber.y_of(0)
    assert handle_at(top)
    bar.setValue(bar.maximum())
    bottom = scrubber.y_of(bar.maximum())
    assert bottom - top > 40  # far enough apart that the two handles cannot overlap
    assert handle_at(bottom) and not handle_at(top)
    bar.setValue(0)
    assert handle_at(top) and not handle_at(bottom)


def test_the_slideshow_steps_pauses_changes_its_pace_and_ends_on_escape(qtbot, window, library) -> None:
    window.gallery.setCurrentIndex(window.model.index(1))
    qtbot.keyClick(window.gallery, Qt.Key.Key_F5)
    show = window.selection_actions.slideshow_window
    assert show is not None and show.isVisible() and show.isFullScreen()
    ids = window.model.ids
    qtbot.waitUntil(lambda: show.shown == ids[1], timeout=WAIT)  # from the current photo
    assert show.timer.isActive() and show.timer.interval() == 30_000
    qtbot.keyClick(show, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: show.shown == ids[2], timeout=WAIT)
    qtbot.keyClick(show, Qt.Key.Key_Left)
    qtbot.keyClick(show, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: show.shown == ids[0], timeout=WAIT)
    qtbot.keyClick(show, Qt.Key.Key_Space)
    assert show.paused and not show.timer.isActive() and "paused" in show.caption.text()
    qtbot.keyClick(show, Qt.Key.Key_Minus)
    assert load_settings(library.paths.settings).slideshow_seconds == 29
    with qtbot.waitSignal(show.ended) as ended:
        qtbot.keyClick(show, Qt.Key.Key_Escape)
    assert ended.args == [ids[0]]
    assert window.gallery.currentIndex().row() == 0  # the gallery follows the last photo shown


def test_rotating_for_display_turns_the_tile_and_the_detail_never_the_file(qtbot, window) -> None:
    model, facade = window.model, window.facade
    window.gallery.setCurrentIndex(model.index(0))
    photo = model.photos_of([0])[0]
    before = hashlib.sha256(Path(photo.path).read_bytes()).hexdigest()
    qtbot.waitUntil(lambda: model.pixmap_at(0) is not None, timeout=WAIT)
    tile = model.pixmap_at(0).toImage()
    detail = load_detail(facade, photo.id)
    window.selection_actions.rotate_right_action.trigger()
    qtbot.waitUntil(lambda: rotations(facade.catalog, [photo.id]) == {photo.id: 1}, timeout=WAIT)
    qtbot.waitUntil(
        lambda: model.pixmap_at(0) is not None and model.pixmap_at(0).toImage() != tile, timeout=WAIT
    )
    turned = load_detail(facade, photo.id)
    assert turned.image.size().transposed() == detail.image.size()
    # the white strip on the left of the photo is at its top once turned clockwise
    assert turned.image.pixelColor(turned.image.width() // 2, 5).lightness() > 240
    assert turned.image.pixelColor(turned.image.width() // 2, turned.image.height() - 5).lightness() < 240
    window.selection_actions.rotate_left_action.trigger()
    qtbot.waitUntil(lambda: rotations(facade.catalog, [photo.id]) == {}, timeout=WAIT)
    assert hashlib.sha256(Path(photo.path).read_bytes()).hexdigest() == before


def test_rotating_for_display_is_undone_and_redone_with_its_tile(qtbot, window) -> None:
    model, facade, place = window.model, window.facade, window.organize.place
    window.gallery.selectAll()
    ids = [model.ids[row] for row in range(model.rowCount())]
    qtbot.waitUntil(lambda: model.pixmap_at(0) is not None, timeout=WAIT)
    tile = model.pixmap_at(0).toImage()
    window.selection_actions.rotate_left_action.trigger()
    qtbot.waitUntil(lambda: rotations(facade.catalog, ids) == dict.fromkeys(ids, 3), timeout=WAIT)
    qtbot.waitUntil(lambda: place.idle(), timeout=WAIT)
    assert place.stack.undoText() == f"Rotate {len(ids)} Photos Left"
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: rotations(facade.catalog, ids) == {}, timeout=WAIT)
    qtbot.waitUntil(  # the tile is upright again, not only the catalog
        lambda: model.pixmap_at(0) is not None and model.pixmap_at(0).toImage() == tile, timeout=WAIT
    )
    window.redo_action.trigger()
    qtbot.waitUntil(lambda: rotations(facade.catalog, ids) == dict.fromkeys(ids, 3), timeout=WAIT)
    qtbot.waitUntil(lambda: place.idle(), timeout=WAIT)


def test_dragging_the_selection_out_carries_the_files(qtbot, window: MainWindow, monkeypatch) -> None:
    view, model = window.gallery, window.model
    view.setCurrentIndex(model.index(0))
    view.selectionModel().select(model.index(2), view.selectionModel().SelectionFlag.Select)
    mime = model.file_mime([0, 2])
    paths = [p.path for p in model.photos_of([0, 2])]
    assert [url.toLocalFile() for url in mime.urls()] == paths
    started = []
    monkeypatch.setattr(view, "drag_out", lambda: started.append(True))
    centre = view.visualRect(model.index(2)).center()
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(view.viewport(), centre + QPoint(40, 40))
    assert started == [True]
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=centre + QPoint(40, 40))
    assert len(view.selectionModel().selectedRows()) == 2  # the drag kept the selection


def test_export_writes_resized_copies_of_the_selection_off_the_gui_thread(qtbot, window, tmp_path) -> None:
    out = tmp_path / "exported"
    window.gallery.selectAll()

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ExportDialog)
        dialog.folder.setText(str(out))
        dialog.long_side.setCurrentText("100")
        dialog.location.setChecked(False)
        assert "5 photos resized to 100 px, without their location" in dialog.summary.text()
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(0, fill)
    window.selection_actions.export_action.trigger()
    qtbot.waitUntil(lambda: "Exported 5 photos" in window.statusBar().currentMessage(), timeout=WAIT)
    assert sorted(p.name for p in out.iterdir()) == sorted(PHOTOS)
    with Image.open(out / "city.jpg") as image:
        assert max(image.size) == 100


def test_a_query_does_not_wait_behind_a_screenful_of_thumbnails(qtbot, tmp_path: Path) -> None:
    """The loader shares the pool with the gallery's queries; while requests keep coming (scrolling), it
    hands its threads back between batches, so a query queued meanwhile runs long before the last tile."""
    from photosorter.gui.workers import Tasks, ThumbnailLoader

    thumb = tmp_path / "t.jpg"
    Image.new("RGB", (320, 240), (10, 120, 200)).save(thumb)
    pool = WorkerPool(2)
    loader = ThumbnailLoader(pool, 64, workers=2)
    tasks = Tasks(pool)
    try:
        for photo_id in range(200):
            loader.request(photo_id, str(thumb))
        with qtbot.waitSignal(tasks._finished, timeout=WAIT) as answered:
            tasks.run(loader.pending)  # counts, on a pool thread, the tiles still queued at its turn
        assert answered.args[1] > 0
    finally:
        loader.close()
        pool.shutdown()
