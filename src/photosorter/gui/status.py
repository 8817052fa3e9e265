"""The status bar's job area: what runs, a progress bar with counts and ETA, pause and cancel."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from photosorter.core.jobs import CancelToken, Job, Progress
from photosorter.gui.workers import JobRunner

JobFactory = Callable[[CancelToken], tuple[Job, str]]


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s left"
    if seconds < 3600:
        return f"{seconds // 60} min left"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min left"


class JobStatus(QWidget):
    """Hidden while idle; ``pause_toggled`` and ``cancel_clicked`` go to whoever runs the job."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setFixedWidth(220)
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName("Job progress")
        self.detail = QLabel(self)
        self.pause_button = QToolButton(self)
        self.pause_button.setText("Pause")
        self.pause_button.setCheckable(True)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        for widget in (self.label, self.bar, self.detail, self.pause_button, self.cancel_button):
            layout.addWidget(widget)
        self.backend = ""
        self.hide()

    def start(self, title: str) -> None:
        self.label.setText(title)
        self.detail.setText("")
        self.bar.setRange(0, 0)
        self.pause_button.setChecked(False)
        self.pause_button.setText("Pause")
        self.pause_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.show()

    def update_progress(self, progress: Progress) -> None:
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
        else:
            self.bar.setRange(0, 0)
        title = progress.message or self.label.text()
        self.label.setText(title)
        parts = []
        if progress.total:
            parts.append(f"{progress.done:,} of {progress.total:,}")
        if self.backend and "Analyz" in title and self.backend not in title:
            parts.append(self.backend)
        if progress.detail:
            parts.append(progress.detail)
        eta = eta_text(progress.eta_seconds)
        if eta:
            parts.append(eta)
        if self.pause_button.isChecked():
            parts.append("paused")
        self.detail.setText(" · ".join(parts))

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")

    def finish(self) -> None:
        self.hide()


class JobQueue(QObject):
    """Runs scan and analysis jobs one after another, driving the status widget."""

    progress = Signal(str, object)  # kind, Progress
    finished = Signal(str, object)  # kind, the job's return value
    failed = Signal(str, str)  # kind, message
    idle = Signal()

    def __init__(self, status: JobStatus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status = status
        self._queue: list[tuple[str, str, JobFactory]] = []
        self.runner: JobRunner | None = None
        status.pause_button.toggled.connect(self._pause)
        status.cancel_button.clicked.connect(self.cancel)

    @property
    def busy(self) -> bool:
        return self.runner is not None

    def queued(self) -> list[str]:
        return [kind for kind, _, _ in self._queue]

    def add(self, kind: str, title: str, factory: JobFactory) -> None:
        if kind in self.queued():
            return
        self._queue.append((kind, title, factory))
        if self.runner is None:
            self._next()

    def cancel(self) -> None:
        """Cancels the running job and everything queued after it."""
        self._queue.clear()
        if self.runner is not None:
            self.status.cancel_button.setEnabled(False)
            self.status.label.setText("Stopping…")
            self.runner.cancel()

    def shutdown(self, timeout: float = 30.0) -> None:
        self.cancel()
        if self.runner is not None:
            self.runner.wait(timeout)

    def _pause(self, paused: bool) -> None:
        if self.runner is None:
            return
        if paused:
            self.runner.token.pause()
        else:
            self.runner.token.resume()
        self.status.set_paused(paused)

    def _next(self) -> None:
        if not self._queue:
            self.runner = None
            self.status.finish()
            self.idle.emit()
            return
        kind, title, factory = self._queue.pop(0)
        runner = JobRunner(kind, factory, self)
        self.runner = runner
        self.status.backend = ""
        self.status.start(title)
        # bound methods of this GUI-thread object: Qt queues the worker's signals to the GUI thread
        runner.progress.connect(self._progress)
        runner.succeeded.connect(self._succeeded)
        runner.failed.connect(self._failed)
        runner.done.connect(self._done)
        runner.start()

    def _progress(self, progress: Progress) -> None:
        runner = self.runner
        if runner is not None:
            self.status.backend = runner.backend
            self.status.update_progress(progress)
            self.progress.emit(runner.kind, progress)

    def _succeeded(self, value: object) -> None:
        if self.runner is not None:
            self.finished.emit(self.runner.kind, value)

    def _failed(self, message: str) -> None:
        if self.runner is not None:
            self.failed.emit(self.runner.kind, message)

    def _done(self) -> None:
        runner = self.runner
        if runner is not None:
            runner.wait()
            runner.deleteLater()
            self._next()
