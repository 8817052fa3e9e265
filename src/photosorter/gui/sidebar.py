"""The left sidebar: All Photos, People, Scenes & Things, Text, Folders and Places, each a filter for the
gallery, and the People and Duplicates pages.

While the first analysis runs, new people, categories and places arrive every few seconds and each
refill moves the rows below them. A refill that arrives while the pointer moves over the sidebar (the
user is aiming at a row) is held until the pointer rests or leaves, so the row under it stays the one
the user meant to click."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView, QWidget

from photosorter.core.browse import ViewFilter, ViewKind
from photosorter.gui.facade import SidebarData
from photosorter.gui.places_section import fill_places

FilterRole = Qt.ItemDataRole.UserRole + 1
ExpandedRole = Qt.ItemDataRole.UserRole + 2
# A pointer that has not moved for this long is resting, not aiming: a held refill lands then. Aiming and
# clicking take well under a second; longer would leave counts stale while someone reads the list.
AIM_SECONDS = 1.0


class Sidebar(QTreeView):
    """A two-column tree (name, count) over a QStandardItemModel, which passes Qt's model tester
    (QTreeWidget's own model does not: it reports children under the count column too)."""

    filter_changed = Signal(object)  # ViewFilter
    people_requested = Signal()
    duplicates_requested = Signal()
    reselected = Signal(object)  # a click on an entry, even the current one (leaves the people page)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QStandardItemModel(0, 2, self)
        self.setModel(self.tree)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        self.setIndentation(14)
        self.setUniformRowHeights(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setMinimumWidth(200)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAccessibleName("Sidebar")
        self.setObjectName("sidebar")
        self._filters: dict[tuple[str, str], QStandardItem] = {}
        self._rebuilding = False
        self._pending: ViewFilter | None = None  # asked for before the sidebar listed it
        self._held: SidebarData | None = None  # a refill waiting for the pointer to rest or leave
        self._aiming_since_move: float | None = None  # monotonic time of the last move over the rows
        self._land = QTimer(self, singleShot=True, interval=round(AIM_SECONDS * 1000))
        self._land.timeout.connect(self._land_held)
        self.viewport().setMouseTracking(True)  # moves without a button held are what aiming looks like
        self.all_item = self._entry(None, "All Photos", ViewFilter())
        self.people_item = self._section("People")
        self.people_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)  # the page
        self.scenes_item = self._section("Scenes & Things")
        self.text_item = self._entry(None, "Text", ViewFilter(ViewKind.TEXT, "", "Photos with text"))
        self.albums_item = self._section("Albums")
        self.saved_item = self._section("Saved Searches")
        self.folders_item = self._section("Folders")
        self.places_item = self._section("Places")
        self.duplicates_item = self._section("Duplicates")
        self.duplicates_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)  # a page
        # the sections refilled from SidebarData
        self.sections = (
            self.people_item,
            self.scenes_item,
            self.albums_item,
            self.saved_item,
            self.folders_item,
            self.places_item,
        )
        for section in self.sections:
            self.setExpanded(section.index(), True)
        self.setCurrentItem(self.all_item)
        self.selectionModel().currentRowChanged.connect(self._current_changed)
        self.clicked.connect(self._clicked)

    # -- items -------------------------------------------------------------------------------------------
    def setCurrentItem(self, item: QStandardItem) -> None:
        self.setCurrentIndex(item.index())

    def currentItem(self) -> QStandardItem | None:
        index = self.currentIndex()
        return self.tree.itemFromIndex(index.siblingAtColumn(0)) if index.isValid() else None

    def _section(self, title: str) -> QStandardItem:
        item = QStandardItem(title)
        font = QFont(item.font())
        font.setBold(True)
        item.setFont(font)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.tree.appendRow([item, self._count_item(None, False)])
        return item

    def _count_item(self, count: int | None, selectable: bool = True) -> QStandardItem:
        item = QStandardItem("" if count is None else str(count))
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setForeground(self.palette().placeholderText())
        item.setFlags(
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if selectable
            else Qt.ItemFlag.ItemIsEnabled
        )
        return item

    def _entry(self, parent: QStandardItem | None, text: str, view: ViewFilter, count: int | None = None):
        item = QStandardItem(text)
        item.setData(view, FilterRole)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        row = [item, self._count_item(count)]
        if parent is None:
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)
            self.tree.appendRow(row)
        else:
            parent.appendRow(row)
        self._filters[(view.kind, view.value)] = item
        return item

    def _note(self, parent: QStandardItem, text: str) -> None:
        item = QStandardItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        parent.appendRow([item, self._count_item(None, False)])

    # -- contents ----------------------------------------------------------------------------------------
    def set_data(self, data: SidebarData) -> None:
        """Rebuilds the dynamic sections, keeping the current selection when it still exists; held while
        the user aims at a row (see the module's docstring)."""
        if self._aiming():
            self._held = data
            self._land.start()
            return
        self._held = None
        self._fill(data)

    def _aiming(self) -> bool:
        moved = self._aiming_since_move
        return moved is not None and time.monotonic() - moved < AIM_SECONDS

    def _land_held(self) -> None:
        if self._held is None:
            return
        if self._aiming():  # moved again since the timer started
            self._land.start()
            return
        held, self._held = self._held, None
        self._fill(held)

    def viewportEvent(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            self._aiming_since_move = time.monotonic()
        elif kind == QEvent.Type.Leave:
            self._aiming_since_move = None
            self._land_held()
        return super().viewportEvent(event)

    def _fill(self, data: SidebarData) -> None:
        current = self.current_filter()
        shown = self.currentItem()
        on_page = shown if shown is self.people_item or shown is self.duplicates_item else None
        self._rebuilding = True  # the current row moves while sections refill; only the end result counts
        try:
            for section in self.sections:
                expanded = {
                    section.child(i).text()
                    for i in range(section.rowCount())
                    if self.isExpanded(section.child(i).index())
                }
                section.removeRows(0, section.rowCount())
                section.setData(expanded, ExpandedRole)
            self._filters = {k: v for k, v in self._filters.items() if v in (self.all_item, self.text_item)}
            self._fill_people(data)
            self._fill_scenes(data)
            self._fill_albums(data)
            self._fill_folders(data)
            fill_places(self, self.places_item, data.places, self.places_item.data(ExpandedRole) or set())
            count = self.tree.item(self.text_item.row(), 1)
            count.setText(str(data.text_count))
            wanted, pending, self._pending = current, self._pending, None
            if pending is not None and (pending.kind, pending.value) in self._filters:
                on_page, wanted = None, pending
            elif pending is not None:
                self._pending = pending  # still not listed: wait for the next read
            item = self._filters.get((wanted.kind, wanted.value), self.all_item)
            self.setCurrentItem(on_page or item)
        finally:
            self._rebuilding = False
        if self.current_filter() != current:
            self.filter_changed.emit(self.current_filter())

    def _fill_people(self, data: SidebarData) -> None:
        for person in data.people:
            if person.name:
                self._entry(
                    self.people_item,
                    person.name,
                    ViewFilter(ViewKind.PERSON, person.name, person.name),
                    person.count,
                )
        if data.unnamed:
            self._entry(
                self.people_item,
                "Unnamed faces",
                ViewFilter(ViewKind.UNNAMED, "", "Unnamed faces"),
                data.unnamed,
            )
        if not data.people and not data.unnamed:
            self._note(self.people_item, "no faces yet")

    def _fill_scenes(self, data: SidebarData) -> None:
        if not data.categories:
            self._note(self.scenes_item, "nothing analyzed yet")
        expanded = self.scenes_item.data(ExpandedRole) or set()
        for group in data.categories:
            parent = self._entry(
                self.scenes_item,
                group.name,
                ViewFilter(ViewKind.CATEGORY, group.name, group.name),
                group.count,
            )
            font = QFont(parent.font())
            font.setBold(False)
            parent.setFont(font)
            for label in group.labels:
                self._entry(
                    parent, label.name, ViewFilter(ViewKind.LABEL, label.name, label.name), label.count
                )
            self.setExpanded(parent.index(), group.name in expanded)

    def _fill_albums(self, data: SidebarData) -> None:
        if not data.albums:
            self._note(self.albums_item, "Organize > New Album…")
        for album in data.albums:
            self._plain(
                self._entry(
                    self.albums_item,
                    album.name,
                    ViewFilter(ViewKind.ALBUM, str(album.id), album.name),
                    album.count,
                )
            )
        if not data.saved_searches:
            self._note(self.saved_item, "Organize > Save Search…")
        for saved in data.saved_searches:
            item = self._entry(
                self.saved_item, saved.name, ViewFilter(ViewKind.SAVED, str(saved.id), saved.name)
            )
            item.setToolTip(saved.query)
            self._plain(item)

    @staticmethod
    def _plain(item: QStandardItem) -> None:
        font = QFont(item.font())
        font.setBold(False)
        item.setFont(font)

    def _fill_folders(self, data: SidebarData) -> None:
        if not data.folders:
            self._note(self.folders_item, "no folders yet")
        for folder in data.folders:
            name = Path(folder.path).name or folder.path
            item = self._entry(self.folders_item, name, ViewFilter(ViewKind.FOLDER, folder.path, name))
            item.setToolTip(folder.path + ("" if folder.online else " (offline)"))
            font = QFont(item.font())
            font.setBold(False)
            item.setFont(font)

    # -- selection ---------------------------------------------------------------------------------------
    def current_filter(self) -> ViewFilter:
        item = self.currentItem()
        view = item.data(FilterRole) if item is not None else None
        return view if isinstance(view, ViewFilter) else ViewFilter()

    def mark_people(self) -> None:
        """The people page is shown: People is the current entry (it filters nothing). Quietly: the page
        is already being shown."""
        self._rebuilding = True
        try:
            self.setCurrentItem(self.people_item)
        finally:
            self._rebuilding = False

    def mark_duplicates(self) -> None:
        """The duplicates page is shown: Duplicates is the current entry, quietly (as mark_people)."""
        self._rebuilding = True
        try:
            self.setCurrentItem(self.duplicates_item)
        finally:
            self._rebuilding = False

    def _page(self, index: QModelIndex) -> Signal | None:
        """The signal of a sidebar entry that is a page of its own (People, Duplicates), else None."""
        item = self.tree.itemFromIndex(index.siblingAtColumn(0))
        if item is self.people_item:
            return self.people_requested
        return self.duplicates_requested if item is self.duplicates_item else None

    def select(self, view: ViewFilter) -> None:
        """Shows ``view``; one the sidebar does not list yet (a person named a moment ago, whose sidebar
        read is still running) is shown as soon as it is listed, unless the user goes elsewhere first."""
        item = self._filters.get((view.kind, view.value))
        if item is None and self._held is not None:  # asked for by name: no row to keep still
            held, self._held = self._held, None
            self._fill(held)
            item = self._filters.get((view.kind, view.value))
        self._pending = None if item is not None else view
        if item is not None:
            self.setCurrentItem(item)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._rebuilding or not current.isValid():
            return
        self._pending = None  # the user went elsewhere: a view asked for earlier is no longer wanted
        if (page := self._page(current)) is not None:
            page.emit()  # reached with the arrow keys: People is a page, like a click
            return
        view = current.siblingAtColumn(0).data(FilterRole)
        if isinstance(view, ViewFilter):
            self.filter_changed.emit(view)

    def _clicked(self, index: QModelIndex) -> None:
        if index.isValid() and (page := self._page(index)) is not None:
            page.emit()
            return
        view = index.siblingAtColumn(0).data(FilterRole) if index.isValid() else None
        if isinstance(view, ViewFilter):
            self.reselected.emit(view)
