"""The settings dialog's "Cloud library" section: deploy, inspect and remove the cloud library's stack.

Deploying and destroying take minutes of CloudFormation work; they run on a worker (``Tasks``) and a
progress dialog shows each step and stack event as it arrives. The profile and region are the ones the
dialog shows for Rekognition; no credential is ever asked for or stored (boto3's chain provides them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photosorter.core.cloud.deploy import DeployResult, deploy
from photosorter.core.cloud.destroy import DestroyResult, destroy
from photosorter.core.cloud.stack import StackEvent, Step
from photosorter.core.cloud.status import CloudStatus, status, status_lines, status_summary
from photosorter.core.settings import STACK_NAME
from photosorter.gui.workers import Tasks

AwsTarget = Callable[[], tuple[str | None, str | None]]  # (profile, region) as the dialog shows them now


class _Relay(QObject):
    """Carries progress records from the worker thread to the GUI thread (a queued signal)."""

    update = Signal(object)


class CloudProgressDialog(QDialog):
    """A deploy's or destroy's steps and CloudFormation events, as they come. It cannot be closed while
    the work runs: CloudFormation would go on without anyone watching, and the result would be lost."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumSize(760, 360)
        layout = QVBoxLayout(self)
        self.headline = QLabel(f"{title}…", self)
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.headline)
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setAccessibleName("CloudFormation events")
        layout.addWidget(self.log, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)
        self.buttons.setEnabled(False)
        layout.addWidget(self.buttons)
        self.running = True

    def add(self, update: Step | StackEvent) -> None:
        self.log.appendPlainText(update.describe() if isinstance(update, StackEvent) else update.message)

    def finish(self, message: str, ok: bool) -> None:
        self.running = False
        self.headline.setText(("✓ " if ok else "✗ ") + message)
        self.buttons.setEnabled(True)

    def reject(self) -> None:  # Esc and the window's close button too
        if not self.running:
            super().reject()


class CloudSection(QGroupBox):
    def __init__(
        self, stack_name: str, tasks: Tasks, target: AwsTarget, parent: QWidget | None = None
    ) -> None:
        super().__init__("Cloud library", parent)
        self.tasks = tasks
        self.target = target
        self.progress_dialog: CloudProgressDialog | None = None
        self.status_box: QMessageBox | None = None  # the last status, in full
        form = QFormLayout(self)
        intro = QLabel(
            "One AWS stack analyzes each photo once for all your devices, with the profile and region "
            "above (costs: docs/cloud.md).",
            self,
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.name = QLineEdit(stack_name, self)
        self.name.setValidator(QRegularExpressionValidator(QRegularExpression(STACK_NAME.pattern), self))
        self.name.setAccessibleName("Stack name")
        form.addRow("Stack name:", self.name)
        row = QHBoxLayout()
        self.deploy_button = QPushButton("Deploy…", self)
        self.deploy_button.setToolTip("Create the stack, or bring it up to date (takes a few minutes)")
        self.deploy_button.clicked.connect(self._deploy)
        self.status_button = QPushButton("Status", self)
        self.status_button.setToolTip("The stack's state, photos analyzed, failures, calls and cost")
        self.status_button.clicked.connect(self._status)
        self.destroy_button = QPushButton("Destroy…", self)
        self.destroy_button.setToolTip("Delete the stack, its bucket, table and face collection")
        self.destroy_button.clicked.connect(self._destroy)
        for button in (self.deploy_button, self.status_button, self.destroy_button):
            row.addWidget(button)
        row.addStretch(1)
        form.addRow("", row)
        self.result = QLabel("", self)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setAccessibleName("Cloud library status")
        form.addRow("", self.result)
        self.name.textChanged.connect(self._name_changed)

    def stack_name(self) -> str | None:
        """The name typed, or None while it is not a valid stack name."""
        name = self.name.text().strip()
        return name if STACK_NAME.fullmatch(name) else None

    def _name_changed(self) -> None:
        valid = self.stack_name() is not None
        for button in (self.deploy_button, self.status_button, self.destroy_button):
            button.setEnabled(valid)

    def _busy(self, busy: bool) -> None:
        for button in (self.deploy_button, self.status_button, self.destroy_button):
            button.setEnabled(not busy)
        self.name.setEnabled(not busy)

    def _status(self) -> None:
        name = self.stack_name()
        if name is None:
            return
        profile, region = self.target()
        self._busy(True)
        self.result.setText("Asking AWS…")

        def done(result: CloudStatus) -> None:
            self._busy(False)
            self.result.setText(status_summary(result))
            # In full in its own window: the settings dialog has no room for ten lines.
            box = QMessageBox(QMessageBox.Icon.Information, f"Cloud library '{name}'", "", parent=self)
            box.setText("\n".join(status_lines(result)))
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.status_box = box
            box.open()

        def failed(message: str) -> None:
            self._busy(False)
            self.result.setText(f"✗ {message}")

        self.tasks.run(lambda: status(name, profile, region), done, failed, owner=self)

    def _deploy(self) -> None:
        name = self.stack_name()
        if name is None:
            return
        profile, region = self.target()

        def describe(result: DeployResult) -> str:
            verb = "Deployed" if result.changed else "Already up to date:"
            return f"{verb} the cloud library '{name}' in {result.region}"

        self._run(
            f"Deploying the cloud library '{name}'",
            lambda report: deploy(name, profile, region, report),
            describe,
        )

    def _destroy(self) -> None:
        name = self.stack_name()
        if name is None:
            return
        answer = QMessageBox.warning(
            self,
            "Destroy the cloud library",
            f"Delete the cloud library '{name}': its bucket and every image uploaded to it, every result "
            "and name in its table, and its face collection?\n\nThe photos and this computer's catalog "
            "are kept; other devices lose the cloud library. This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        profile, region = self.target()

        def describe(result: DestroyResult | None) -> str:
            removed = result.objects_deleted if result is not None else 0  # None: not confirmed (never here)
            objects = "1 object" if removed == 1 else f"{removed} objects"
            return f"Deleted the cloud library '{name}' ({objects} removed from its bucket)"

        self._run(
            f"Destroying the cloud library '{name}'",
            lambda report: destroy(name, profile, region, report, confirm=lambda _summary: True),
            describe,
        )

    def _run(
        self,
        title: str,
        work: Callable[[Callable[[Step | StackEvent], None]], object],
        describe: Callable[[Any], str],
    ) -> None:
        """Runs ``work(report)`` on a worker with a progress dialog that shows what ``report`` is given."""
        dialog = CloudProgressDialog(title, self)
        self.progress_dialog = dialog
        relay = _Relay()  # no parent: the worker may still report after the dialog is gone
        relay.update.connect(dialog.add)
        self._busy(True)

        def done(result) -> None:
            self._busy(False)
            message = describe(result)
            dialog.finish(message, True)
            self.result.setText(message)

        def failed(message: str) -> None:
            self._busy(False)
            dialog.finish(message, False)
            self.result.setText(f"✗ {message}")

        self.tasks.run(lambda: work(relay.update.emit), done, failed, owner=dialog)
        dialog.open()
