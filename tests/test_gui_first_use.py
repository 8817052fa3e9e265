"""What a new user meets in the first minutes: settings that round-trip, search that explains itself,
People without stale state, a readable viewer, a grid that fills its width, focus back after dialogs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QDialog

from photosorter.core.library import Library
from photosorter.core.settings import Settings
from photosorter.gui.facade import Facade
from photosorter.gui.main_window import MainWindow
from photosorter.gui.workers import WorkerPool

WAIT = 30_000

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

# Every field differs from its default, so a field the dialog drops or resets shows up.
UNUSUAL = Settings(
    backend="rekognition",
    aws_profile="work",  # not in this machine's AWS config
    aws_region="eu-north-1",  # not in the dialog's list
    local_features=("labels", "text"),
    rekognition_features=("faces", "celebrities"),
    rate_limit=2.125,  # more decimals than the box shows
    budget_usd=12.5,
    collection_id="my-collection",
    thumbnail_size=220,
    analyze_after_scan=False,
    extra={"kept": True},
)


def make_window(qtbot, library: Library) -> MainWindow:
    window = MainWindow(Facade(library), WorkerPool())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot, library: Library):
    win = make_window(qtbot, library)
    yield win
    win.shutdown()


def close_next_dialog(qtbot, accept: bool) -> list[QDialog]:
    """Accepts or rejects the next modal dialog once it is shown (exec() blocks the test)."""
    seen: list[QDialog] = []

    def look(tries_left: int) -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog) and dialog.isVisible():
            seen.append(dialog)
            dialog.accept() if accept else dialog.reject()
        elif tries_left:  # looks for a few seconds, then stops (the test fails on ``seen``)
            QTimer.singleShot(10, lambda: look(tries_left - 1))

    QTimer.singleShot(0, lambda: look(500))
    return seen


# -- 1. settings round-trip ----------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["rekognition", "local", "cloud"])
def test_settings_ok_without_changes_saves_every_field_unchanged(qtbot, home: Path, backend: str) -> None:
    with Library.open(home) as library:
        library.save_settings(UNUSUAL.with_changes(backend=backend))
        before = library.paths.settings.read_bytes()
    library = Library.open(home)
    window = make_window(qtbot, library)
    try:
        seen = close_next_dialog(qtbot, accept=True)
        window.actions.open_settings()
        assert seen, "the settings dialog was not shown"
        after = library.paths.settings.read_bytes()
        assert json.loads(after) == json.loads(before)
        assert window.facade.library.settings == UNUSUAL.with_changes(backend=backend)
    finally:
        window.shutdown()
        library.close()


def test_settings_dialog_opens_with_the_saved_features_ticked(qtbot, window: MainWindow) -> None:
    from photosorter.gui.settings_dialog import SettingsDialog

    window.facade.library.save_settings(UNUSUAL.with_changes(backend="local"))
    dialog = SettingsDialog(window.facade, window.tasks, window)
    qtbot.addWidget(dialog)
    ticked = {name for name, box in dialog.feature_boxes.items() if box.isChecked()}
    assert ticked == {"labels", "text"}


def test_a_budget_under_a_cent_is_shown_as_it_is(qtbot, window: MainWindow) -> None:
    from photosorter.gui.settings_dialog import SettingsDialog

    # four Rekognition image calls
    window.facade.library.save_settings(UNUSUAL.with_changes(budget_usd=0.004))
    dialog = SettingsDialog(window.facade, window.tasks, window)
    qtbot.addWidget(dialog)
    assert dialog.budget.text() == "$ 0.004"  # with two decimals it read "no budget"
    assert dialog.current_settings().budget_usd == 0.004
    dialog.backend.setCurrentIndex(dialog.backend.findData("rekognition"))
    ticked = {name for name, box in dialog.feature_boxes.items() if box.isChecked()}
    assert ticked == {"faces", "celebrities"}


# -- 2, 3. search shows its results and says what they are ---------------------------------------------------
def scanned(qtbot, window: MainWindow, folder: Path, count: int) -> None:
    window.actions.add_folder(str(folder))
    qtbot.waitUntil(lambda: window.model.rowCount() == count and not window.jobs.busy, timeout=WAIT)


def label_cat_and_dog(library: Library, folder: Path) -> int:
    """Stores a local analysis (labels Cat and Dog) for cat_and_dog.jpeg; returns its photo id."""
    from photosorter.core.analysis.types import AnalysisResult, Feature, Label
    from photosorter.core.catalog.analysis import store_result

    photo = library.photo_by_path(str((folder / "cat_and_dog.jpeg").resolve()))
    result = AnalysisResult(
        "local",
        frozenset({Feature.LABELS}),
        labels=(
            Label("Cat", 97.0, ("Animal",), (), ("Animals and Pets",)),
            Label("Dog", 91.0, ("Animal",), (), ("Animals and Pets",)),
        ),
    )
    store_result(library.catalog, photo.hash, result, {Feature.LABELS: "1"})
    return photo.id


def search_for(qtbot, window: MainWindow, text: str) -> None:
    window.search.setFocus()
    window.search.selectAll()
    qtbot.keyClicks(window.search, text)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)


def test_searching_on_the_people_page_shows_the_results(qtbot, window, library, photo_folder) -> None:
    scanned(qtbot, window, photo_folder, 5)
    window.show_people()
    assert window.pages.currentWidget() is window.people
    search_for(qtbot, window, "golden")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    assert window.pages.currentWidget() is window.gallery_page


def test_search_results_say_what_they_are_and_why_each_matched(qtbot, window, library, photo_folder) -> None:
    scanned(qtbot, window, photo_folder, 5)
    cat = label_cat_and_dog(library, photo_folder)
    search_for(qtbot, window, "dog")
    qtbot.waitUntil(lambda: window.model.ids == [cat], timeout=WAIT)
    assert window.view_title.text() == "“dog” · 1 photo"
    index = window.model.index(0)
    tooltip = lambda: index.data(Qt.ItemDataRole.ToolTipRole) or ""  # noqa: E731
    qtbot.waitUntil(lambda: "Matched: label Dog 91%" in tooltip(), timeout=WAIT)
    reported: list[tuple[int, tuple]] = []
    window.why_matched.connect(lambda photo_id, why: reported.append((photo_id, why)))
    window.gallery.setCurrentIndex(index)
    window._current_changed(index, index)
    assert (cat, ("label Dog 91%",)) in reported
    search_for(qtbot, window, "golden")  # matched by its file name only, and says so
    qtbot.waitUntil(lambda: window.model.rowCount() == 1 and window.model.ids != [cat], timeout=WAIT)
    index = window.model.index(0)
    qtbot.waitUntil(lambda: "Matched: " in (index.data(Qt.ItemDataRole.ToolTipRole) or ""), timeout=WAIT)
    assert "label" not in tooltip() and "Matched: file name or folder “golden”" in tooltip()
    note = window.gallery_page.note
    qtbot.waitUntil(note.isVisible, timeout=WAIT)
    assert note.text() == "No photo is labelled “golden”; 1 has it in their file name"
    search_for(qtbot, window, "dog")  # answered by a label: no note
    qtbot.waitUntil(lambda: window.model.ids == [cat], timeout=WAIT)
    assert not note.isVisible()
    window.search.clear()
    window.refresh_gallery()
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=WAIT)
    assert window.view_title.text() == "All Photos"


def test_an_empty_search_says_why_and_offers_the_closest_labels(qtbot, window, library, photo_folder) -> None:
    scanned(qtbot, window, photo_folder, 5)
    label_cat_and_dog(library, photo_folder)
    search_for(qtbot, window, "dgo")
    qtbot.waitUntil(lambda: "Closest labels" in window.empty_state.text(), timeout=WAIT)
    assert window.model.rowCount() == 0
    assert window.empty_state.isVisible() and not window.gallery.isVisible()
    assert "No photo matches “dgo”" in window.empty_state.text()
    assert "href='search:label:Dog'" in window.empty_state.text()
    assert window.view_title.text() == "“dgo” · 0 photos"
    window.empty_state.linkActivated.emit("search:label:Dog")  # the link searches for that label
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)
    assert window.search.text() == "label:Dog"
    assert window.gallery.isVisible() and not window.empty_state.isVisible()


def test_closest_labels_are_ranked_by_likeness() -> None:
    from photosorter.core.search.engine import LabelCount
    from photosorter.core.search.suggest import closest_labels

    labels = [
        LabelCount("Dog", (), 12),
        LabelCount("Cat", (), 30),
        LabelCount("Suspension Bridge", (), 2),
        LabelCount("Tree", (), 9),
    ]
    assert [label.name for label in closest_labels(labels, ("dgo",))] == ["Dog"]
    assert [label.name for label in closest_labels(labels, ("bridge",))] == ["Suspension Bridge"]
    assert closest_labels(labels, ("xylophone",)) == []
    assert [label.name for label in closest_labels([LabelCount("Clothing", (), 14)], ("crossing",))] == []


def test_an_empty_person_search_offers_the_closest_names(home, photo_folder) -> None:
    from photosorter.core import faces
    from photosorter.core.jobs import run_to_end
    from photosorter.core.search.suggest import no_match_help

    with Library.open(home) as library:
        library.add_folder(str(photo_folder))
        run_to_end(library.scan())
        faces_in_three_photos(library, photo_folder)
        faces.name_cluster(library.catalog, faces.overview(library.catalog)[0].ref.cluster_id, "Alice Smith")
        found = no_match_help(library.catalog, "person:alise")
    assert [name for name, _count in found.closest_people] == ["Alice Smith"]


# -- 6. the viewer's caption is readable ---------------------------------------------------------------------
def _luminance(colour) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())


def contrast(a, b) -> float:
    """The WCAG contrast ratio of two colours (1 to 21; body text needs 4.5)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_viewer_caption_is_readable_on_black(qtbot, window, photo_folder, scheme) -> None:
    """The caption as painted, with the app's own style sheet and palette, against the viewer's black."""
    from photosorter.gui import theme

    app = QApplication.instance()
    old_palette, old_sheet = app.palette(), app.styleSheet()
    app.setPalette(theme.dark_palette() if scheme == "dark" else app.style().standardPalette())
    app.setStyleSheet(theme.STYLE)
    try:
        scanned(qtbot, window, photo_folder, 5)
        window.gallery.setCurrentIndex(window.model.index(1))
        window.open_viewer()
        qtbot.waitUntil(lambda: "·" in window.viewer.caption.text(), timeout=WAIT)
        caption = window.viewer.caption
        image = window.viewer.grab(caption.geometry()).toImage()  # as painted over the viewer
        background = image.pixelColor(0, 0)
        assert contrast(background, QColor("#111")) < 1.2  # the viewer's black behind the text
        colours = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
        best = max(contrast(colour, background) for colour in colours)
        assert best >= 4.5, f"caption text contrast {best:.1f}:1 on {background.name()}"
    finally:
        app.setStyleSheet(old_sheet)
        app.setPalette(old_palette)


# -- 7. nothing stale around People --------------------------------------------------------------------------
def test_the_people_page_shows_no_stale_gallery_state(qtbot, window, library, photo_folder) -> None:
    scanned(qtbot, window, photo_folder, 5)
    window.gallery.setCurrentIndex(window.model.index(0))
    qtbot.waitUntil(lambda: window.detail.title.text() != "", timeout=WAIT)
    assert window.count_label.text() == "5 photos"
    window.sidebar.setCurrentItem(window.sidebar.people_item)  # a click, or the arrow keys, on People
    assert window.pages.currentWidget() is window.people
    assert window.detail.title.text() == ""  # not the gallery's last photo
    qtbot.waitUntil(lambda: window.count_label.text() == "0 people", timeout=WAIT)
    window.ids_query.update()  # a change on disk refreshes the grid behind the page: the count stays
    qtbot.waitUntil(lambda: not window.ids_query.running, timeout=WAIT)
    assert window.count_label.text() == "0 people"
    window._sidebar_loaded(window.facade.sidebar())  # what naming a face refreshes
    assert window.sidebar.currentItem() is window.sidebar.people_item
    assert window.pages.currentWidget() is window.people
    window.sidebar.setCurrentItem(window.sidebar.all_item)  # back to the gallery: its state returns
    window.sidebar.reselected.emit(window.sidebar.current_filter())
    assert window.pages.currentWidget() is window.gallery_page
    assert window.count_label.text() == "5 photos"
    qtbot.waitUntil(lambda: window.detail.title.text() != "", timeout=WAIT)


# -- 8. an unnamed group's right-click menu offers what the page header promises ----------------------------
def faces_in_three_photos(library: Library, folder: Path) -> None:
    """One face, nearly the same embedding, in three photos: one unnamed group of three."""
    import numpy as np

    from photosorter.core import faces
    from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature
    from photosorter.core.catalog.analysis import store_result

    centre = np.random.default_rng(3).normal(size=128)
    centre /= np.linalg.norm(centre)
    names = ["cat_and_dog.jpeg", "golden_gate_bridge.webp", "exif_orientation6_obama.jpg"]
    for seed, name in enumerate(names):
        photo = library.photo_by_path(str((folder / name).resolve()))
        nudge = np.random.default_rng(seed).normal(size=128) * 0.002
        quality = {"size": 120.0, "sharpness": 90.0}
        face = Face(Box(0.3, 0.2, 0.3, 0.3), 99.0, quality=quality, embedding=tuple(centre + nudge))
        result = AnalysisResult("local", frozenset({Feature.FACES}), faces=(face,))
        store_result(library.catalog, photo.hash, result, {Feature.FACES: "test"})
    faces.cluster_new_faces(library.catalog)


def test_an_unnamed_group_can_be_split_moved_and_added_to_a_person(
    qtbot, window, library, photo_folder
) -> None:
    scanned(qtbot, window, photo_folder, 5)
    faces_in_three_photos(library, photo_folder)
    window.show_people()
    qtbot.waitUntil(lambda: window.people.list.count() == 1, timeout=WAIT)
    from photosorter.core.catalog.people_views import GroupKind

    group = window.people.list.entry(0).key  # a typed reference from the core, not a "c5" to parse
    assert group.kind is GroupKind.CLUSTER and window.people.list.entry(0).cluster_id == group.id
    index = window.people.tiles.index(0)
    menu = window.people.context_menu(index)
    titles = [action.text() for action in menu.actions()]
    assert titles[:4] == ["Name…", "Add to a person", "Take a face out (split)", "Move a face to…"]
    split = next(a for a in menu.actions() if a.text() == "Take a face out (split)").menu()
    assert len(split.actions()) == 3
    split.actions()[0].trigger()  # that face becomes a group of its own
    qtbot.waitUntil(lambda: window.people.list.count() == 2, timeout=WAIT)
    counts = sorted(window.people.list.entry(row).face_count for row in range(2))
    assert counts == [1, 2]
    window.people.undo()
    qtbot.waitUntil(lambda: window.people.list.count() == 1, timeout=WAIT)


def test_unnamed_faces_counts_the_photos_a_click_shows(qtbot, window, library, photo_folder) -> None:
    """Every sidebar count is photos; "Unnamed faces" counted faces (16 beside a 7-photo view)."""
    import numpy as np

    from photosorter.core import faces
    from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature
    from photosorter.core.browse import ViewFilter, ViewKind
    from photosorter.core.catalog.analysis import store_result

    scanned(qtbot, window, photo_folder, 5)
    rng = np.random.default_rng(7)
    for name, count in (("cat_and_dog.jpeg", 3), ("exif_orientation6_obama.jpg", 1)):
        photo = library.photo_by_path(str((photo_folder / name).resolve()))
        found = tuple(
            Face(Box(0.1 + 0.25 * i, 0.2, 0.2, 0.2), 99.0, embedding=tuple(rng.normal(size=128)))
            for i in range(count)
        )
        result = AnalysisResult("local", frozenset({Feature.FACES}), faces=found)
        store_result(library.catalog, photo.hash, result, {Feature.FACES: "test"})
    faces.cluster_new_faces(library.catalog)
    assert window.facade.sidebar().unnamed == 2  # four faces in two photos
    window.sidebar.select(ViewFilter(ViewKind.UNNAMED, "", "Unnamed faces"))
    qtbot.waitUntil(lambda: window.count_label.text() == "2 photos", timeout=WAIT)


# -- 11. the keyboard works again after a dialog closes ------------------------------------------------------
@pytest.mark.parametrize("accept", [True, False])
def test_shortcuts_work_after_a_dialog_closes(qtbot, window, accept: bool) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.gallery.setFocus()
    seen = close_next_dialog(qtbot, accept=accept)
    window.actions.open_settings()
    assert seen
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    focused = QApplication.focusWidget()
    assert focused is not None and focused.window() is window
    undone: list[bool] = []
    window.undo_action.triggered.connect(lambda: undone.append(True))
    qtbot.keyClick(focused, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert undone  # Ctrl+Z reached the window's Undo
    again = close_next_dialog(qtbot, accept=False)
    qtbot.keyClick(focused, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert again  # Ctrl+, opened Settings once more
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search.hasFocus()  # and Ctrl+F after that


# -- 9. the grid fills its width ----------------------------------------------------------------------------
def test_the_grid_fills_its_width_at_200_px(qtbot, window, tmp_path, photo_folder) -> None:
    """Whatever the window's width, the cells of a row span the viewport: what is left is a few pixels
    (or the scroll bar's width when there is no scroll bar), never most of a cell."""
    import shutil

    many = tmp_path / "many"
    for n in range(2):
        shutil.copytree(photo_folder, many / f"set{n}")
    scanned(qtbot, window, many, 10)
    window.actions.apply_settings(window.facade.library.settings.with_changes(thumbnail_size=200))
    view = window.gallery
    for width in range(900, 1700, 53):
        window.resize(width, 800)
        qtbot.waitUntil(lambda: view.viewport().width() >= view.grid_cell())
        columns = view.timeline_layout().columns
        strip = view.viewport().width() - columns * view.grid_cell()
        assert 0 <= strip <= columns + 1, (width, columns, view.grid_cell(), strip)
        assert 2 / 3 * 200 <= view.grid_cell() <= 1.5 * 200  # near the size asked for


# -- 9. a portrait photo leaves the detail pane's facts and text in view -------------------------------------
def test_a_portrait_photo_leaves_the_detail_panes_text_in_view(qtbot, window, photo_folder, tmp_path) -> None:
    import shutil

    from photosorter.core.jobs import run_to_end

    folder = tmp_path / "portrait"  # the only photo: whatever the gallery selects, the pane shows it
    folder.mkdir()
    shutil.copy(photo_folder / "exif_orientation6_obama.jpg", folder)  # 626 × 1200 once rotated
    library = window.facade.library
    library.add_folder(str(folder))
    run_to_end(library.scan())
    portrait = library.photo_by_path(str(folder / "exif_orientation6_obama.jpg"))
    window.resize(1280, 760)
    detail = window.detail
    window.refresh_gallery()  # as after a scan: the only photo is selected and shown
    qtbot.waitUntil(lambda: list(window.model.ids) == [portrait.id], timeout=WAIT)
    qtbot.waitUntil(lambda: detail.title.text() == "exif_orientation6_obama.jpg", timeout=WAIT)
    qtbot.waitUntil(detail.canvas.has_image, timeout=WAIT)
    qtbot.waitUntil(lambda: detail.canvas.height() < detail.canvas.width() * 1200 / 626 - 10, timeout=WAIT)
    visible = detail.viewport().height()
    text_top = detail.text.mapTo(detail.viewport(), detail.text.rect().topLeft()).y()
    assert detail.canvas.height() <= visible // 2  # before: as tall as the pane is wide × 1.9
    assert text_top + 40 < visible  # the text box starts on screen, without scrolling
