"""The duplicates page: groups of exact copies and near-duplicates, one group's files side by side with
what tells them apart (resolution, size, date, exact or near), to pick the one to keep.

Nothing is deleted here: "Show in Folder" opens the file manager, and "Move to Trash…" asks first and
hands the file to the platform trash, from which it can be restored.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from photosorter.core.duplicates import DuplicateCopy, DuplicateGroup, TrashReport
from photosorter.core.headers import human_size
from photosorter.gui.facade import Facade
from photosorter.gui.workers import Tasks, read_image

PREVIEW = 240
GroupRole = Qt.ItemDataRole.UserRole + 1


def size_text(size: int | None) -> str:
    return "—" if size is None else human_size(size)


def relation_text(group: DuplicateGroup, copy: DuplicateCopy) -> str:
    if copy is group.copies[0]:
        return f"Best copy ({group.keep_reason})"
    if copy.exact:
        return "Exact copy (same bytes)"
    if not copy.distance:
        return "Near duplicate (same picture, other file)"
    return f"Near duplicate ({copy.distance} of 64 bits differ)"


def group_text(group: DuplicateGroup) -> str:
    kind = {"exact": "exact copies", "near": "near duplicates", "exact+near": "exact and near"}[group.kind]
    return f"{Path(group.copies[0].path).name} — {len(group.copies)} files, {kind}"


class CopyCard(QFrame):
    """One file of the group: its picture and facts, and what can be done with it."""

    trash_requested = Signal(object)  # DuplicateCopy

    def __init__(self, group: DuplicateGroup, copy: DuplicateCopy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.copy = copy
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(PREVIEW + 24)
        layout = QVBoxLayout(self)
        self.picture = QLabel("Loading…", self)
        self.picture.setFixedSize(PREVIEW, PREVIEW)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.picture)
        self.relation = QLabel(f"<b>{relation_text(group, copy)}</b>", self)
        self.relation.setWordWrap(True)
        layout.addWidget(self.relation)
        resolution = f"{copy.width} × {copy.height}" if copy.width and copy.height else "—"
        facts = QLabel(
            f"{resolution} · {size_text(copy.size)}<br>{(copy.taken_at or '—').replace('T', ' ')}", self
        )
        layout.addWidget(facts)
        path = QLabel(copy.path, self)
        path.setWordWrap(True)
        path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        path.setStyleSheet("color: gray")
        layout.addWidget(path)
        buttons = QHBoxLayout()
        self.reveal_button = QPushButton("Show in Folder", self)
        self.reveal_button.clicked.connect(self.reveal)
        self.trash_button = QPushButton("Move to Trash…", self)
        self.trash_button.clicked.connect(lambda: self.trash_requested.emit(self.copy))
        exists = os.path.exists(copy.path)
        self.reveal_button.setEnabled(exists)
        self.trash_button.setEnabled(exists)
        buttons.addWidget(self.reveal_button)
        buttons.addWidget(self.trash_button)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def set_image(self, image: QImage) -> None:
        if image.isNull():
            self.picture.setText("No preview")
            return
        pixmap = QPixmap.fromImage(image).scaled(
            PREVIEW, PREVIEW, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.picture.setPixmap(pixmap)

    def reveal(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.copy.path).parent)))


class DuplicatesView(QWidget):
    """Groups on the left, the chosen group's files side by side on the right."""

    changed = Signal()  # files went to the trash: the gallery and sidebar count again
    message = Signal(str)

    def __init__(self, facade: Facade, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facade = facade
        self.tasks = tasks
        self.groups: list[DuplicateGroup] = []
        self.cards: list[CopyCard] = []
        layout = QVBoxLayout(self)
        self.title = QLabel("Duplicates", self)
        font = self.title.font()
        font.setPointSize(font.pointSize() + 4)
        font.setBold(True)
        self.title.setFont(font)
        layout.addWidget(self.title)
        self.summary = QLabel("", self)
        layout.addWidget(self.summary)
        splitter = QSplitter(self)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Duplicate groups")
        self.list.currentItemChanged.connect(self._group_chosen)
        splitter.addWidget(self.list)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.row = QWidget(self.scroll)
        self.row_layout = QHBoxLayout(self.row)
        self.row_layout.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.scroll.setWidget(self.row)
        splitter.addWidget(self.scroll)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 900])
        layout.addWidget(splitter, 1)

    def refresh(self) -> None:
        """Finds the groups again, off the GUI thread (hashes missing from an older catalog first)."""
        self.summary.setText("Looking for duplicates…")
        self.tasks.run(
            self.facade.duplicate_groups,
            self._loaded,
            lambda text: self.summary.setText(f"Could not look for duplicates: {text}"),
            owner=self,
            newest=self,
        )

    def _loaded(self, groups: list[DuplicateGroup]) -> None:
        current = self.list.currentRow()
        self.groups = groups
        self.list.clear()
        for group in groups:
            item = QListWidgetItem(group_text(group), self.list)
            item.setData(GroupRole, group)
            item.setToolTip(group.copies[0].path)
        gain = sum(g.reclaimable for g in groups)
        self.summary.setText(
            f"{len(groups):,} group{'s' if len(groups) != 1 else ''} · {size_text(gain)} to gain by keeping"
            " one file of each"
            if groups
            else "No duplicates: no two photos in the library are copies or near-copies of each other."
        )
        if groups:
            self.list.setCurrentRow(min(max(current, 0), len(groups) - 1))
        else:
            self._show(None)

    def _group_chosen(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self._show(item.data(GroupRole) if item is not None else None)

    def _show(self, group: DuplicateGroup | None) -> None:
        for card in self.cards:
            card.deleteLater()
        self.cards = []
        if group is None:
            return
        for copy in group.copies:
            card = CopyCard(group, copy, self.row)
            card.trash_requested.connect(self.confirm_trash)
            self.row_layout.addWidget(card)
            self.cards.append(card)
            thumb = self.facade.thumbnail_file(copy.content_hash)
            path = copy.path

            def load(thumb: str | None = thumb, path: str = path) -> QImage:
                source = thumb if thumb and os.path.exists(thumb) else path
                return read_image(source, QSize(PREVIEW, PREVIEW))

            self.tasks.run(load, card.set_image, owner=card)

    def confirm_trash(self, copy: DuplicateCopy) -> None:
        name = Path(copy.path).name
        answer = QMessageBox.question(
            self,
            "Move to Trash",
            f"Move “{name}” to the trash?\n\n{copy.path}\n\nYou can restore it from the trash.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.trash(copy)

    def trash(self, copy: DuplicateCopy) -> None:
        self.tasks.run(
            lambda: self.facade.move_to_trash([copy.photo_id]),
            self._trashed,
            lambda text: QMessageBox.warning(self, "Cannot move to trash", text),
            owner=self,
        )

    def _trashed(self, report: TrashReport) -> None:
        if report.failed:
            path, why = report.failed[0]
            QMessageBox.warning(
                self, "Cannot move to trash", f"{path}\n\n{why}\n\nThe file was left where it is."
            )
        if report.trashed:
            self.message.emit(f"Moved {Path(report.trashed[0]).name} to the trash")
            self.changed.emit()
        self.refresh()
