"""The sidebar keeps still under a pointer that is aiming at a row: a refill that would move the rows (the
first analysis adding a category every few seconds) waits until the pointer rests or leaves. Offscreen,
with real widgets and synthetic pointer events."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from photosorter.core.browse import CategoryGroup, LabelEntry, ViewFilter, ViewKind
from photosorter.gui.facade import SidebarData
from photosorter.gui.sidebar import AIM_SECONDS, Sidebar

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def data(*categories: str) -> SidebarData:
    groups = tuple(CategoryGroup(name, 3, (LabelEntry(name.split()[0], 3),)) for name in categories)
    return SidebarData(people=[], unnamed=0, categories=groups, text_count=0, folders=[])


def rows(sidebar: Sidebar) -> list[str]:
    scenes = sidebar.scenes_item
    return [scenes.child(row).text() for row in range(scenes.rowCount())]


def move_over(sidebar: Sidebar, y: int = 40) -> None:
    viewport = sidebar.viewport()
    point = QPointF(30, y)
    event = QMouseEvent(
        QMouseEvent.Type.MouseMove,
        point,
        viewport.mapToGlobal(point),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, event)


def leave(sidebar: Sidebar) -> None:
    QApplication.sendEvent(sidebar.viewport(), QEvent(QEvent.Type.Leave))


@pytest.fixture
def sidebar(qtbot) -> Sidebar:
    widget = Sidebar()
    qtbot.addWidget(widget)
    widget.resize(260, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_data(data("Nature and Outdoors"))
    return widget


def test_a_refill_lands_at_once_when_nobody_is_aiming(sidebar: Sidebar) -> None:
    sidebar.set_data(data("Animals and Pets", "Nature and Outdoors"))
    assert rows(sidebar) == ["Animals and Pets", "Nature and Outdoors"]


def test_a_refill_waits_while_the_pointer_aims_and_lands_when_it_leaves(qtbot, sidebar: Sidebar) -> None:
    target = sidebar.visualRect(sidebar.scenes_item.child(0).index()).center()
    move_over(sidebar, target.y())
    sidebar.set_data(data("Animals and Pets", "Nature and Outdoors"))
    assert rows(sidebar) == ["Nature and Outdoors"]  # the row under the pointer is still the one aimed at
    assert sidebar.indexAt(QPoint(30, target.y())).data() == "Nature and Outdoors"
    leave(sidebar)
    assert rows(sidebar) == ["Animals and Pets", "Nature and Outdoors"]


def test_a_held_refill_lands_once_the_pointer_rests(qtbot, sidebar: Sidebar) -> None:
    move_over(sidebar)
    sidebar.set_data(data("Animals and Pets", "Nature and Outdoors"))
    sidebar.set_data(data("Animals and Pets", "Food and Beverage", "Nature and Outdoors"))  # the newest wins
    assert rows(sidebar) == ["Nature and Outdoors"]
    qtbot.waitUntil(lambda: len(rows(sidebar)) == 3, timeout=round(AIM_SECONDS * 1000) * 10)
    assert rows(sidebar) == ["Animals and Pets", "Food and Beverage", "Nature and Outdoors"]


def test_a_view_asked_for_by_name_lands_a_held_refill_and_is_shown(sidebar: Sidebar) -> None:
    move_over(sidebar)
    sidebar.set_data(data("Animals and Pets", "Nature and Outdoors"))
    shown: list[ViewFilter] = []
    sidebar.filter_changed.connect(shown.append)
    wanted = ViewFilter(ViewKind.CATEGORY, "Animals and Pets", "Animals and Pets")
    sidebar.select(wanted)
    assert rows(sidebar) == ["Animals and Pets", "Nature and Outdoors"]
    assert sidebar.current_filter() == wanted and shown == [wanted]
