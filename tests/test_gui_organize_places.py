"""The desktop app's Places (sidebar countries and towns, the detail pane) and Duplicates page, offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from send2trash import plat_other

from photosorter.core import duplicates
from photosorter.core.browse import ViewKind
from photosorter.core.catalog.photos import photo_by_id
from photosorter.core.library import Library
from photosorter.gui.facade import Facade
from photosorter.gui.main_window import MainWindow
from photosorter.gui.workers import WorkerPool
from test_duplicates import make_shoot
from test_places import gps_photo

WAIT = 30_000
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, library: Library):
    pool = WorkerPool()
    win = MainWindow(Facade(library), pool)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.shutdown()
    assert pool.active() == 0


@pytest.fixture
def trip(tmp_path: Path) -> Path:
    folder = tmp_path / "trip"
    folder.mkdir()
    gps_photo(folder / "eiffel.jpg", 48.8584, 2.2945, (200, 60, 60))
    gps_photo(folder / "louvre.jpg", 48.8606, 2.3376, (200, 160, 60))
    gps_photo(folder / "texas.jpg", 33.6609, -95.5555, (60, 200, 60))
    gps_photo(folder / "bigben.jpg", 51.5007, -0.1246, (60, 60, 200))
    return folder


def _children(item) -> dict[str, object]:
    return {item.child(row).text(): item.child(row) for row in range(item.rowCount())}


def test_places_lists_countries_and_towns_and_a_town_filters_the_gallery(qtbot, window, trip) -> None:
    window.actions.add_folder(str(trip))
    qtbot.waitUntil(lambda: window.model.rowCount() == 4 and not window.jobs.busy, timeout=WAIT)
    places = window.sidebar.places_item
    qtbot.waitUntil(lambda: "France" in _children(places), timeout=WAIT)
    countries = _children(places)
    assert list(countries) == ["France", "United Kingdom", "United States"]
    count = window.sidebar.tree.itemFromIndex(countries["France"].index().siblingAtColumn(1))
    assert count.text() == "2"
    assert list(_children(countries["United States"])) == ["Paris, Texas"]  # not the Paris of France
    paris = _children(countries["France"])["Paris"]
    window.sidebar.setCurrentItem(paris)
    assert window.sidebar.current_filter().kind == ViewKind.PLACE
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT)
    names = {photo_by_id(window.facade.catalog, i).name for i in window.model.ids}
    assert names == {"eiffel.jpg", "louvre.jpg"}
    window.gallery.setCurrentIndex(window.model.index(0))
    qtbot.waitUntil(lambda: window.detail.fields["Place"].text() == "Paris, France", timeout=WAIT)
    assert window.detail.fields["Place"].toolTip().startswith("48.8")  # the position, on hover
    window.sidebar.setCurrentItem(countries["United States"])
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=WAIT)


def test_the_duplicates_page_groups_copies_side_by_side_and_trashes_only_when_confirmed(
    qtbot,
    window,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shoot = make_shoot(tmp_path)
    data_home = tmp_path / "xdg"  # a trash of our own: never the user's
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", str(data_home).encode())
    monkeypatch.setattr(plat_other, "HOMETRASH_B", str(data_home / "Trash").encode())
    monkeypatch.setattr(plat_other, "HOMETRASH", str(data_home / "Trash"))
    monkeypatch.setattr(duplicates, "send2trash", plat_other.send2trash)
    window.actions.add_folder(str(shoot))
    qtbot.waitUntil(lambda: window.model.rowCount() == 5 and not window.jobs.busy, timeout=WAIT)
    window.sidebar.setCurrentItem(window.sidebar.duplicates_item)
    view = window.duplicates
    qtbot.waitUntil(lambda: window.pages.currentWidget() is view and view.list.count() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: len(view.cards) == 4, timeout=WAIT)
    relations = [card.relation.text() for card in view.cards]
    assert "Best copy" in relations[0]
    assert any("Exact copy" in r for r in relations) and any("Near duplicate" in r for r in relations)
    qtbot.waitUntil(lambda: all(card.picture.pixmap() is not None for card in view.cards), timeout=WAIT)
    card = next(c for c in view.cards if c.copy.path.endswith("pets_small.jpg"))
    target = Path(card.copy.path)
    answers = iter([QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes])
    asked = []

    def question(*args, **_kwargs):
        asked.append(args[2])
        return next(answers)

    monkeypatch.setattr(QMessageBox, "question", question)
    card.trash_button.click()  # cancelled: the file stays, nothing is scheduled
    assert target.exists() and "restore it from the trash" in asked[0]
    with qtbot.waitSignal(view.changed, timeout=WAIT):
        card.trash_button.click()
    assert not target.exists()
    assert (data_home / "Trash" / "files" / target.name).exists()
    qtbot.waitUntil(lambda: len(view.cards) == 3, timeout=WAIT)
    # the gallery no longer shows the trashed file
    window.sidebar.setCurrentItem(window.sidebar.all_item)
    qtbot.waitUntil(
        lambda: window.pages.currentWidget() is window.gallery_page and window.model.rowCount() == 4,
        timeout=WAIT,
    )
