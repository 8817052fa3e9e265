"""The live library's queue, shown twice: one line in the status bar and a small panel of jobs."""

from __future__ import annotations

from typing import Any

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

from photosorter.core.catalog.failures import AnalysisFailure
from photosorter.core.catalog.paths import display
from photosorter.core.live import LiveStatus
from photosorter.gui.facade import QueueEntry
from photosorter.gui.live import estimate_text, status_text, usage_text

STATUS_WIDTH = 560  # the status-bar line is elided beyond this; the tooltip has all of it

KIND_NAMES = {"scan": "Scan", "thumbnail": "Thumbnails", "analyze": "Analyze"}


class LiveStatusWidget(QWidget):
    """Status-bar part: a busy bar while jobs run, the queue line, and a button for the panel."""

    panel_toggled = Signal(bool)
    failures_clicked = Signal()

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
        self.full_text = ""
        self.failures = QLabel(self)  # a link: failed photos are shown, and retried, in the queue panel
        self.failures.setAccessibleName("Photos not analyzed")
        self.failures.setTextFormat(Qt.TextFormat.RichText)
        self.failures.linkActivated.connect(lambda _link: self.failures_clicked.emit())
        self.failures.hide()
        self.button = QToolButton(self)
        self.button.setText("Queue")
        self.button.setCheckable(True)
        self.button.setToolTip("Show the queue of scan and analysis jobs")
        self.button.toggled.connect(self.panel_toggled.emit)
        for widget in (self.bar, self.label, self.failures, self.button):
            layout.addWidget(widget)
        self.hide()

    def update_status(self, status: LiveStatus | None) -> None:
        text = status_text(status)
        self.full_text = text
        metrics = self.label.fontMetrics()
        self.label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, STATUS_WIDTH))
        self.setVisible(bool(text))
        progress = status.progress if status else None
        if progress is not None and progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
        else:
            self.bar.setRange(0, 0)
        self.bar.setVisible(bool(status and status.running))
        warn = bool(status and (status.parked or status.pause or status.offline or status.failures))
        if self.label.property("warning") != warn:
            self.label.setProperty("warning", warn)
            self.label.style().polish(self.label)
        failed = status.failures if status else 0
        self.failures.setVisible(bool(failed))
        if failed:
            self.failures.setText(f'<a href="failures">Show {failed} not analyzed…</a>')
        tip = [text]
        if status is not None and (status.session.calls or status.month.calls):
            tip.append(
                f"Calls this session: {usage_text(status.session)}; this month: {usage_text(status.month)}"
            )
        if status is not None and status.last_error:
            tip.append(f"Last error: {status.last_error}")
        self.label.setToolTip("\n".join(t for t in tip if t))


class _RowsModel(QAbstractTableModel):
    """A read-only table of a few rows, reset as a whole on each refresh (the lists are short)."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def cells(self, row: Any) -> tuple[str, ...]:
        raise NotImplementedError

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            values = self.cells(self.rows[index.row()])
            return values[index.column()] if 0 <= index.column() < len(values) else None
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def set_rows(self, rows: list[Any]) -> None:
        if rows == self.rows:
            return
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()


class JobsModel(_RowsModel):
    """Pending, running and parked jobs; small (the queue merges work), so a reset per refresh is fine."""

    HEADERS = ("Job", "State", "Tries", "About", "Error")

    def cells(self, entry: QueueEntry) -> tuple[str, ...]:
        return (
            KIND_NAMES.get(entry.kind, entry.kind),
            entry.state,
            str(entry.attempts),
            entry.what,
            entry.error or "",
        )

    def parked(self) -> int:
        return sum(1 for e in self.rows if e.state == "parked")


class QueuePanel(QDockWidget):
    """A dock with the queue: what waits, what runs, what failed and why, and "Retry parked"."""

    retry_clicked = Signal()
    rescan_clicked = Signal()
    retry_failures_clicked = Signal()

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
        self.usage = QLabel(body)  # calls and cost: this run, this session, this month
        self.usage.setAccessibleName("Analysis cost")
        self.usage.setWordWrap(True)
        self.usage.hide()
        self.failures_title = QLabel(body)
        self.failures_model = FailuresModel(self)
        self.failures_table = QTableView(body)
        self.failures_table.setModel(self.failures_model)
        self.failures_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.failures_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.failures_table.verticalHeader().hide()
        self.failures_table.setWordWrap(False)
        self.failures_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # the file name stays in sight
        failures_header = self.failures_table.horizontalHeader()
        failures_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        failures_header.resizeSection(0, 320)
        failures_header.setStretchLastSection(True)
        self.retry_failures_button = QPushButton("Retry failed photos", body)
        self.retry_failures_button.setToolTip("Forget these failures and analyze the photos again")
        self.retry_failures_button.clicked.connect(self.retry_failures_clicked.emit)
        buttons = QHBoxLayout()
        self.rescan_button = QPushButton("Rescan folders", body)
        self.rescan_button.clicked.connect(self.rescan_clicked.emit)
        self.retry_button = QPushButton("Retry parked", body)
        self.retry_button.setEnabled(False)
        self.retry_button.clicked.connect(self.retry_clicked.emit)
        buttons.addStretch(1)
        buttons.addWidget(self.rescan_button)
        buttons.addWidget(self.retry_failures_button)
        buttons.addWidget(self.retry_button)
        layout.addWidget(self.summary)
        layout.addWidget(self.usage)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.failures_title)
        layout.addWidget(self.failures_table, 1)
        layout.addLayout(buttons)
        self.setWidget(body)
        self.set_entries([])
        self.set_failures([])

    def set_failures(self, failures: list[AnalysisFailure]) -> None:
        self.failures_model.set_rows(failures)
        count = len(failures)
        self.failures_title.setText(
            f"<b>{count} photo{'s' if count != 1 else ''} could not be analyzed</b> — retry after fixing "
            "the file, or leave them: they are never retried on their own."
        )
        for widget in (self.failures_title, self.failures_table, self.retry_failures_button):
            widget.setVisible(bool(failures))
        self._update_empty()

    def _update_empty(self) -> None:
        failed = self.failures_model.rowCount()
        self.empty.setText(
            "Nothing waiting." if failed else "Nothing waiting: every photo is scanned and analyzed."
        )

    def set_entries(self, entries: list[QueueEntry]) -> None:
        self.model.set_rows(entries)
        self.table.setVisible(bool(entries))
        self.empty.setVisible(not entries)
        self.retry_button.setEnabled(self.model.parked() > 0)
        self._update_empty()

    def update_status(self, status: LiveStatus | None) -> None:
        if status is None or not status.started:
            self.summary.setText("The live library is not running.")
            return
        self._show_usage(status)
        lines = [status_text(status)]
        if status.offline:
            lines.append(
                "Offline (photos kept, shown again when the folder returns): " + ", ".join(status.offline)
            )
        if status.last_error:
            lines.append(f"Last error: {status.last_error}")
        self.summary.setText("\n".join(lines))

    def _show_usage(self, status: LiveStatus) -> None:
        """Calls and cost: the run's estimate and spend, this session, and this month (from the catalog)."""
        parts = []
        progress = status.progress
        if progress is not None and progress.estimate_usd is not None:
            parts.append(f"This run: {usage_text(progress.usage)} so far, {estimate_text(progress)}")
        if status.session.calls or status.month.calls:
            parts.append(f"This session: {usage_text(status.session)}")
            parts.append(f"This month: {usage_text(status.month)} (list price, Rekognition)")
        self.usage.setText(" · ".join(parts))
        self.usage.setVisible(bool(parts))


class FailuresModel(_RowsModel):
    """Photos whose analysis failed, and why: the file's fault (too small, unreadable), not the network's."""

    HEADERS = ("Photo", "Backend", "Features", "Why")

    def cells(self, failure: AnalysisFailure) -> tuple[str, ...]:
        return (display(failure.path), failure.backend, ", ".join(failure.features), failure.error)
