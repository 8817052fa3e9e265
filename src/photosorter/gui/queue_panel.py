"""The live library's queue, shown twice: one line in the status bar and a small panel of jobs."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photosorter.core.live import LiveStatus
from photosorter.gui.facade import QueueEntry
from photosorter.gui.live import status_text

KIND_NAMES = {"scan": "Scan", "thumbnail": "Thumbnails", "analyze": "Analyze"}


class LiveStatusWidget(QWidget):
    """Status-bar part: a busy bar while jobs run, the queue line, and a button for the panel."""

    panel_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)
        self.bar.setFixedWidth(70)
        self.bar.setMaximumHeight(12)
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName("Library update activity")
        self.bar.hide()
        self.label = QLabel(self)
        self.label.setAccessibleName("Queue state")
        self.button = QToolButton(self)
        self.button.setText("Queue")
        self.button.setCheckable(True)
        self.button.setToolTip("Show the queue of scan and analysis jobs")
        self.button.toggled.connect(self.panel_toggled.emit)
        for widget in (self.bar, self.label, self.button):
            layout.addWidget(widget)
        self.hide()

    def update_status(self, status: LiveStatus | None, paused: str | None) -> None:
        text = status_text(status, paused)
        self.label.setText(text)
        self.setVisible(bool(text))
        self.bar.setVisible(bool(status and status.running))
        warn = bool(status and (status.parked or status.paused_reason or status.offline))
        if self.label.property("warning") != warn:
            self.label.setProperty("warning", warn)
            self.label.style().polish(self.label)
        self.label.setToolTip((status.last_error or "") if status else "")


class JobsModel(QAbstractTableModel):
    """Pending, running and parked jobs; small (the queue merges work), so a reset per refresh is fine."""

    HEADERS = ("Job", "State", "Tries", "About", "Error")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.entries: list[QueueEntry] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.entries):
            return None
        entry = self.entries[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            values = (
                KIND_NAMES.get(entry.kind, entry.kind),
                entry.state,
                str(entry.attempts),
                entry.what,
                entry.error or "",
            )
            return values[index.column()] if 0 <= index.column() < len(values) else None
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def set_entries(self, entries: list[QueueEntry]) -> None:
        if entries == self.entries:
            return
        self.beginResetModel()
        self.entries = list(entries)
        self.endResetModel()

    def parked(self) -> int:
        return sum(1 for e in self.entries if e.state == "parked")


class QueuePanel(QDockWidget):
    """A dock with the queue: what waits, what runs, what failed and why, and "Retry parked"."""

    retry_clicked = Signal()
    rescan_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Queue", parent)
        self.setObjectName("queuePanel")
        self.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 4, 8, 8)
        self.summary = QLabel("The live library is not running.", body)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = JobsModel(self)
        self.table = QTableView(body)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(3, 320)
        header.setStretchLastSection(True)
        self.empty = QLabel("Nothing waiting: every photo is scanned and analyzed.", body)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        buttons = QHBoxLayout()
        self.rescan_button = QPushButton("Rescan folders", body)
        self.rescan_button.clicked.connect(self.rescan_clicked.emit)
        self.retry_button = QPushButton("Retry parked", body)
        self.retry_button.setEnabled(False)
        self.retry_button.clicked.connect(self.retry_clicked.emit)
        buttons.addStretch(1)
        buttons.addWidget(self.rescan_button)
        buttons.addWidget(self.retry_button)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        layout.addLayout(buttons)
        self.setWidget(body)
        self.set_entries([])

    def set_entries(self, entries: list[QueueEntry]) -> None:
        self.model.set_entries(entries)
        self.table.setVisible(bool(entries))
        self.empty.setVisible(not entries)
        self.retry_button.setEnabled(self.model.parked() > 0)

    def update_status(self, status: LiveStatus | None, paused: str | None) -> None:
        if status is None or not status.started:
            self.summary.setText("The live library is not running.")
            return
        lines = [status_text(status, paused)]
        if status.offline:
            lines.append(
                "Offline (photos kept, shown again when the folder returns): " + ", ".join(status.offline)
            )
        if status.last_error:
            lines.append(f"Last error: {status.last_error}")
        self.summary.setText("\n".join(lines))
