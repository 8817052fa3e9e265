"""The main window's part of the live library: the bridge, the status-bar line, the queue panel and
what a change on disk refreshes (see gui/live.py for the design)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer

from photosorter.core.live import LiveStatus
from photosorter.gui.gc_pacer import GcPacer
from photosorter.gui.live import LiveBridge
from photosorter.gui.queue_panel import LiveStatusWidget, QueuePanel

if TYPE_CHECKING:
    from photosorter.gui.main_window import MainWindow

SIDEBAR_REFRESH_MS = 1500  # live changes refresh the sidebar's counts at most this often


class LiveWiring:
    """Mixed into MainWindow; ``_build_live`` runs once from its constructor."""

    def _build_live(self: MainWindow) -> None:
        """The live library (see gui/live.py), its status-bar line and its queue panel."""
        self.live = LiveBridge(self.facade, self.tasks, self)
        self.live_status = LiveStatusWidget(self)
        self.statusBar().addPermanentWidget(self.live_status)
        self.queue_panel = QueuePanel(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.queue_panel)
        self.queue_panel.hide()
        self.live_status.panel_toggled.connect(self.show_queue)
        self.queue_panel.visibilityChanged.connect(self._queue_visibility)
        self.queue_panel.retry_clicked.connect(self.live.retry_parked)
        self.queue_panel.rescan_clicked.connect(self.start_scan)
        self.queue_panel.retry_failures_clicked.connect(self.live.retry_failures)
        self.live_status.failures_clicked.connect(self.show_queue)
        self.live.status_changed.connect(self._live_status)
        self.live.photos_changed.connect(self._photos_changed)
        self.live.analysis_changed.connect(self._analysis_changed)
        self.live.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self._sidebar_timer = QTimer(self, singleShot=True, interval=SIDEBAR_REFRESH_MS)
        self._sidebar_timer.timeout.connect(self.refresh_sidebar)
        self.gc_pacer = GcPacer(self)  # full garbage collections wait until the grid is still
        self.gallery.verticalScrollBar().valueChanged.connect(self.gc_pacer.touch)
        self.gc_pacer.start()

    def show_queue(self: MainWindow, visible: bool = True) -> None:
        self.queue_panel.setVisible(visible)
        if visible:
            self.live.poll()

    def _queue_visibility(self: MainWindow, visible: bool) -> None:
        self.live_status.button.setChecked(visible)

    def _live_status(self: MainWindow, status: LiveStatus) -> None:
        self.live_status.update_status(status)
        self.queue_panel.update_status(status)
        live = self.live.live
        if live is not None and self.queue_panel.isVisible():
            self.tasks.run(lambda: self.facade.queue_entries(live), self.queue_panel.set_entries)
            if status.failures or self.queue_panel.failures_model.rowCount():
                self.tasks.run(live.failures, self.queue_panel.set_failures)

    def update_gallery(self: MainWindow) -> None:
        """Something changed on disk or in the analysis: at most one query runs, and one more follows it
        if changes came meanwhile. (Dropping the one in flight for each new change would show nothing
        until a steady stream of changes stopped.)"""
        if self._ids_running:
            self._ids_again = True
        else:
            self._query_ids()

    def _ids_done(self: MainWindow) -> None:
        self._ids_running -= 1
        if self._ids_again and not self._ids_running:
            self._ids_again = False
            self._query_ids()

    def _photos_changed(self: MainWindow, stale: set[str] | None) -> None:
        self.model.forget_rows(stale)  # only rows that changed: the rest stay cached and painted
        self.update_gallery()
        if not self._sidebar_timer.isActive():
            self._sidebar_timer.start()

    def _analysis_changed(self: MainWindow) -> None:
        view = self.sidebar.current_filter()
        if self.search.text().strip() or view.kind not in ("all", "folder"):
            self.update_gallery()  # a search or a label filter may match new photos
        self.detail.reload()
        if self.pages.currentWidget() is self.people:
            self.people.refresh()
        if not self._sidebar_timer.isActive():
            self._sidebar_timer.start()
