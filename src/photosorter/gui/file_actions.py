"""What the File menu does to the library: add and remove folders, rescan, analyze (with the progress bar
when the live library cannot), and the settings dialog with what saving it changes at once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from photosorter.core.analysis.backends import analysis_settings
from photosorter.core.catalog.photos import remove_folder
from photosorter.core.jobs import Progress
from photosorter.core.settings import Settings
from photosorter.gui.settings_dialog import SettingsDialog

if TYPE_CHECKING:
    from photosorter.gui.main_window import MainWindow

GALLERY_REFRESH_MS = 1000  # while a scan runs, new photos appear this often
LIBRARY_JOBS = ("scan", "analyze")  # the jobs that change what the library knows


class FileActions(QObject):
    """Owned by the window; runs library changes on its workers and refreshes the window's views."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.facade = window.facade
        self.settings_dialog: SettingsDialog | None = None  # while open: added folders show in it at once
        self._scan_refresh = QTimer(self, interval=GALLERY_REFRESH_MS, timeout=window.ids_query.update)
        window.jobs.progress.connect(self._job_progress)
        window.jobs.finished.connect(self._job_finished)
        window.jobs.failed.connect(self._job_failed)

    def _message(self, text: str, ms: int) -> None:
        self.window.statusBar().showMessage(text, ms)

    # -- folders -----------------------------------------------------------------------------------------
    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self.window, "Add a folder of photos", str(Path.home()))
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        self.window.tasks.run(
            lambda: self.facade.library.add_folder(path),
            lambda folder: (self._message(f"Added {folder.path}", 5000), self._folders_changed()),
            lambda message: QMessageBox.warning(self.window, "Cannot add folder", message),
        )

    def remove_folder(self, folder_id: int) -> None:
        self.window.tasks.run(
            lambda: remove_folder(self.facade.catalog, folder_id),
            lambda _r: self._folders_changed(scan=False),
        )

    def _folders_changed(self, scan: bool = True) -> None:
        self.window.refresh_all()
        if self.settings_dialog is not None:
            self.settings_dialog.refresh_folders()
        if scan and self.window.live.failed is not None:
            self.start_scan()  # without the watcher; otherwise the live library scans the new folder

    # -- scanning and analysis ---------------------------------------------------------------------------
    def start_scan(self) -> None:
        """Rescan: the live library's pass over every folder (cheap: unchanged files are only stat'ed)."""
        live = self.window.live
        if live.running:
            live.rescan()
            return
        library = self.facade.library
        self.window.jobs.add("scan", "Scanning", lambda cancel: (library.scan(cancel=cancel), ""))
        if self.facade.library.settings.analyze_after_scan:
            self.start_analysis()

    def start_analysis(self) -> None:
        """Analyze new photos: in the live library's lane when it analyzes, else with the progress bar."""
        if self.window.live.analyzes:
            self.window.live.request_analysis()
            self._message("New photos are queued for analysis", 5000)
            return
        backend = self.facade.library.settings.backend
        self.window.jobs.add(
            "analyze", f"Analyzing ({backend})", lambda cancel: self.facade.analysis_job(cancel)
        )

    def _job_progress(self, kind: str, progress: Progress) -> None:
        if kind == "scan" and progress.total and not self._scan_refresh.isActive():
            self._scan_refresh.start()

    def _job_finished(self, kind: str, _result: object) -> None:
        if kind not in LIBRARY_JOBS:
            return  # an export: the selection actions report it
        self._scan_refresh.stop()
        if kind == "scan":
            self.window.model.forget_rows()
        self.window.refresh_all()
        self.window.detail.reload()
        self._message("Scan finished" if kind == "scan" else "Analysis finished", 5000)

    def _job_failed(self, kind: str, message: str) -> None:
        if kind not in LIBRARY_JOBS:
            return
        self._scan_refresh.stop()
        self.window.refresh_all()
        self._message(f"{'Scan' if kind == 'scan' else 'Analysis'} stopped: {message}", 15000)

    def stop(self) -> None:
        self._scan_refresh.stop()

    # -- settings ----------------------------------------------------------------------------------------
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.facade, self.window.tasks, self.window)
        self.settings_dialog = dialog
        dialog.folder_added.connect(self.add_folder)
        dialog.folder_removed.connect(self.remove_folder)
        dialog.faces_forgotten.connect(self.forget_faces)
        try:
            if dialog.exec() == SettingsDialog.DialogCode.Accepted:
                self.apply_settings(dialog.current_settings())
        finally:
            self.settings_dialog = None
            dialog.deleteLater()

    def apply_settings(self, settings: Settings) -> None:
        """Saves the settings and applies each at once: analysis settings reach the running live library
        (its analyzer and worker processes are rebuilt before the next photo, and work they make possible
        again starts now); turning automatic analysis on or off restarts it."""
        window = self.window
        old = self.facade.library.settings
        self.facade.library.save_settings(settings)
        window.welcome.set_backend(settings.backend)
        if settings.analyze_after_scan != old.analyze_after_scan:
            window.live.restart()
        elif analysis_settings(settings) != analysis_settings(old):
            window.live.settings_changed()
        if settings.thumbnail_size != old.thumbnail_size:
            window.gallery.set_cell(settings.thumbnail_size)
            window.model.invalidate_thumbnails()

    def forget_faces(self) -> None:
        self.window.tasks.run(
            self.facade.forget_all_faces,
            lambda deleted: (
                self._message(deleted, 15_000),
                self.window.refresh_all(),
                self.window.detail.reload(),
            ),
            lambda message: QMessageBox.warning(self.window, "Face data", message),
        )
