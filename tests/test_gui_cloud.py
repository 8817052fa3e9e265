"""The settings dialog's Cloud library section: deploy, status and destroy off the GUI thread (moto)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import boto3
import pytest
from PySide6.QtWidgets import QMessageBox

from photosorter.core.library import Library
from photosorter.gui.facade import Facade
from photosorter.gui.settings_dialog import SettingsDialog
from photosorter.gui.workers import Tasks, WorkerPool

pytestmark = [
    pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning"),  # moto skips what it lacks
    # the offscreen platform cannot pass a message box's size hints to a window manager (there is none)
    pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def dialog(qtbot, library: Library):
    pool = WorkerPool()
    dialog = SettingsDialog(Facade(library), Tasks(pool))
    qtbot.addWidget(dialog)
    dialog.region.setCurrentText("us-east-1")
    dialog.cloud.name.setText("Photos-Gui")
    yield dialog
    pool.shutdown()  # joins the workers: a deploy may not outlive the test


def test_deploy_shows_cloudformation_events_then_status_then_destroy_asks_first(
    qtbot, aws, dialog: SettingsDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = dialog.cloud
    section.deploy_button.click()
    progress = section.progress_dialog
    assert progress is not None and progress.running and not progress.buttons.isEnabled()
    qtbot.waitUntil(lambda: not progress.running, timeout=60_000)
    log = progress.log.toPlainText()
    assert "Photos-Gui (AWS::CloudFormation::Stack)  CREATE_COMPLETE" in log  # moto: stack events only
    assert "Uploading the function's code" in log
    assert progress.headline.text().startswith("✓ Deployed the cloud library 'Photos-Gui'")
    assert progress.buttons.isEnabled()
    progress.reject()

    section.status_button.click()
    qtbot.waitUntil(lambda: section.status_box is not None, timeout=30_000)
    assert section.result.text() == (
        "UPDATE_COMPLETE: 0 analyzed, 0 pending, 0 failed, 0 dead letters; cost not recorded"
    )
    assert "Calls and cost: not recorded" in section.status_box.text()
    section.status_box.close()

    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: answers.pop(0))
    section.destroy_button.click()  # cancelled: nothing starts
    assert section.progress_dialog is progress
    section.destroy_button.click()
    destroying = section.progress_dialog
    assert destroying is not progress
    qtbot.waitUntil(lambda: not destroying.running, timeout=60_000)
    assert destroying.headline.text().startswith("✓ Deleted the cloud library 'Photos-Gui'")
    assert (
        boto3.client("cloudformation", region_name="us-east-1").list_stacks()["StackSummaries"][0][
            "StackStatus"
        ]
        == "DELETE_COMPLETE"
    )
    assert aws.collections == {}


def test_a_failure_is_shown_in_words_and_the_stack_name_is_kept(qtbot, aws, dialog: SettingsDialog) -> None:
    dialog.region.setCurrentText("xx-nowhere-1")
    dialog.cloud.deploy_button.click()
    progress = dialog.cloud.progress_dialog
    qtbot.waitUntil(lambda: not progress.running, timeout=30_000)
    assert progress.headline.text().startswith(
        "✗ Amazon Rekognition is not available in region 'xx-nowhere-1'"
    )
    assert dialog.cloud.deploy_button.isEnabled()
    progress.reject()
    assert dialog.current_settings().cloud_stack == "Photos-Gui"

    dialog.cloud.name.setText("")
    assert not dialog.cloud.deploy_button.isEnabled()
    assert dialog.current_settings().cloud_stack == "photosorter"  # the saved name, not an invalid one
