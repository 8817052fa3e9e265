"""The window's part of the live library: the bridge, the status-bar line, the queue panel and what a
change on disk refreshes (see gui/live.py for the design)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer

from photosorter.core.browse import ViewKind
from photosorter.core.live import LiveStatus
from photosorter.gui.gc_pacer import GcPacer
from photosorter.gui.live import LiveBridge
from photosorter.gui.queue_panel import LiveStatusWidget, QueuePanel

if TYPE_CHECKING:
    from photosorter.gui.main_window import MainWindow

SIDEBAR_REFRESH_MS = 1500  # live changes refresh the sidebar's counts at most this often


class LiveWiring(QObject):
    """Owned by the window: builds the live bridge, its status line and queue panel, and turns live
    changes into refreshes of the window's gallery, sidebar, detail pane and people page."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.bridge = LiveBridge(window.facade, window.tasks, window)
        self.status = LiveStatusWidget(window)
        window.statusBar().addPermanentWidget(self.status)
        self.queue_panel = QueuePanel(window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.queue_panel)
        self.queue_panel.hide()
        self.status.panel_toggled.connect(self.show_queue)
        self.queue_panel.visibilityChanged.connect(self.status.button.setChecked)
        self.queue_panel.retry_clicked.connect(self.bridge.retry_parked)
        self.queue_panel.rescan_clicked.connect(window.actions.start_scan)
        self.queue_panel.retry_failures_clicked.connect(self.bridge.retry_failures)
        self.status.failures_clicked.connect(self.show_queue)
        self.bridge.status_changed.connect(self._live_status)
        self.bridge.photos_changed.connect(self._photos_changed)
        self.bridge.analysis_changed.connect(self._analysis_changed)
        self.bridge.message.connect(lambda text: window.statusBar().showMessage(text, 10_000))
        self._sidebar_timer = QTimer(self, singleShot=True, interval=SIDEBAR_REFRESH_MS)
        self._sidebar_timer.timeout.connect(window.refresh_sidebar)
        self.gc_pacer = GcPacer(self)  # full garbage collections wait until the grid is still
        window.gallery.verticalScrollBar().valueChanged.connect(self.gc_pacer.touch)
        self.gc_pacer.start()

    def show_queue(self, visible: bool = True) -> None:
        self.queue_panel.setVisible(visible)
        if visible:
            self.bridge.poll()

    def _live_status(self, status: LiveStatus) -> None:
        self.status.update_status(status)
        self.queue_panel.update_status(status)
        live = self.bridge.live
        if live is not None and self.queue_panel.isVisible():
            self.window.tasks.run(
                lambda: self.window.facade.queue_entries(live), self.queue_panel.set_entries
            )
            if status.failures or self.queue_panel.failures_model.rowCount():
                self.window.tasks.run(live.failures, self.queue_panel.set_failures)

    def _photos_changed(self, stale: set[str] | None) -> None:
        self.window.model.forget_rows(stale)  # only rows that changed: the rest stay cached and painted
        self.window.ids_query.update()
        self._refresh_sidebar_soon()

    def _analysis_changed(self) -> None:
        window = self.window
        view = window.sidebar.current_filter()
        if window.search.text().strip() or view.kind not in (ViewKind.ALL, ViewKind.FOLDER):
            window.ids_query.update()  # a search or a label filter may match new photos
        window.detail.reload()
        if window.pages.currentWidget() is window.people:
            window.people.refresh()
        self._refresh_sidebar_soon()

    def _refresh_sidebar_soon(self) -> None:
        if not self._sidebar_timer.isActive():
            self._sidebar_timer.start()

    def stop(self) -> None:
        self._sidebar_timer.stop()
        self.gc_pacer.stop()
        self.bridge.stop()
