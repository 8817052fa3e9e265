"""The left sidebar: All Photos, People, Scenes & Things, Text and Folders, each a filter for the gallery."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from photosorter.gui.facade import SidebarData, ViewFilter

FilterRole = Qt.ItemDataRole.UserRole + 1


class Sidebar(QTreeWidget):
    filter_changed = Signal(object)  # ViewFilter
    people_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setColumnCount(2)
        self.setRootIsDecorated(True)
        self.setIndentation(14)
        self.setUniformRowHeights(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setMinimumWidth(200)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName("Sidebar")
        self.setObjectName("sidebar")
        self._filters: dict[tuple[str, str], QTreeWidgetItem] = {}
        self.all_item = self._entry(None, "All Photos", ViewFilter())
        self.people_item = self._section("People")
        self.scenes_item = self._section("Scenes & Things")
        self.text_item = self._entry(None, "Text", ViewFilter("text", "", "Photos with text"))
        self.folders_item = self._section("Folders")
        self.setCurrentItem(self.all_item)
        self.currentItemChanged.connect(self._current_changed)
        self.itemClicked.connect(self._clicked)

    def _section(self, title: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self, [title])
        font = QFont(item.font(0))
        font.setBold(True)
        item.setFont(0, font)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setExpanded(True)
        return item

    def _entry(self, parent: QTreeWidgetItem | None, text: str, view: ViewFilter, count: int | None = None):
        item = QTreeWidgetItem(
            parent if parent is not None else self, [text, "" if count is None else str(count)]
        )
        item.setData(0, FilterRole, view)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setForeground(1, self.palette().placeholderText())
        if parent is None:
            font = QFont(item.font(0))
            font.setBold(True)
            item.setFont(0, font)
        self._filters[(view.kind, view.value)] = item
        return item

    def _note(self, parent: QTreeWidgetItem, text: str) -> None:
        item = QTreeWidgetItem(parent, [text])
        item.setFlags(Qt.ItemFlag.NoItemFlags)

    # -- contents ----------------------------------------------------------------------------------------
    def set_data(self, data: SidebarData) -> None:
        """Rebuilds the dynamic sections, keeping the current selection when it still exists."""
        current = self.current_filter()
        self.blockSignals(True)
        try:
            for section in (self.people_item, self.scenes_item, self.folders_item):
                expanded = {
                    section.child(i).text(0)
                    for i in range(section.childCount())
                    if section.child(i).isExpanded()
                }
                section.takeChildren()
                section.setData(0, Qt.ItemDataRole.UserRole + 2, expanded)
            self._filters = {k: v for k, v in self._filters.items() if v in (self.all_item, self.text_item)}
            self._fill_people(data)
            self._fill_scenes(data)
            self._fill_folders(data)
            self.text_item.setText(1, "" if data.text_count is None else str(data.text_count))
            item = self._filters.get((current.kind, current.value), self.all_item)
            self.setCurrentItem(item)
        finally:
            self.blockSignals(False)

    def _fill_people(self, data: SidebarData) -> None:
        if data.people is None:
            self._note(self.people_item, "not available yet")
            return
        for person in data.people:
            if person.name:
                self._entry(
                    self.people_item,
                    person.name,
                    ViewFilter("person", person.name, person.name),
                    person.count,
                )
        if data.unnamed:
            self._entry(
                self.people_item, "Unnamed faces", ViewFilter("unnamed", "", "Unnamed faces"), data.unnamed
            )
        if not data.people and not data.unnamed:
            self._note(self.people_item, "no faces yet")

    def _fill_scenes(self, data: SidebarData) -> None:
        if data.categories is None:
            self._note(self.scenes_item, "not available yet")
            return
        if not data.categories:
            self._note(self.scenes_item, "nothing analyzed yet")
        expanded = self.scenes_item.data(0, Qt.ItemDataRole.UserRole + 2) or set()
        for category, count, labels in data.categories:
            parent = self._entry(
                self.scenes_item, category, ViewFilter("category", category, category), count
            )
            font = QFont(parent.font(0))
            font.setBold(False)
            parent.setFont(0, font)
            for label, label_count in labels:
                self._entry(parent, label, ViewFilter("label", label, label), label_count)
            parent.setExpanded(category in expanded)

    def _fill_folders(self, data: SidebarData) -> None:
        if not data.folders:
            self._note(self.folders_item, "no folders yet")
        for folder in data.folders:
            name = Path(folder.path).name or folder.path
            item = self._entry(self.folders_item, name, ViewFilter("folder", folder.path, name))
            item.setToolTip(0, folder.path + ("" if folder.online else " (offline)"))
            font = QFont(item.font(0))
            font.setBold(False)
            item.setFont(0, font)

    # -- selection ---------------------------------------------------------------------------------------
    def current_filter(self) -> ViewFilter:
        item = self.currentItem()
        view = item.data(0, FilterRole) if item is not None else None
        return view if isinstance(view, ViewFilter) else ViewFilter()

    def select(self, view: ViewFilter) -> None:
        item = self._filters.get((view.kind, view.value))
        if item is not None:
            self.setCurrentItem(item)

    def _current_changed(self, current: QTreeWidgetItem | None, _previous) -> None:
        if current is not None and isinstance(current.data(0, FilterRole), ViewFilter):
            self.filter_changed.emit(current.data(0, FilterRole))

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if item is self.people_item:
            self.people_requested.emit()
