"""The settings dialog: library folders, analysis backend and AWS, features, limits, thumbnails, face data,
the cloud library."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from photosorter.core.settings import Settings
from photosorter.gui.cloud_section import CloudSection
from photosorter.gui.facade import Facade
from photosorter.gui.workers import Tasks

FEATURES = ("labels", "faces", "text", "moderation", "celebrities")
REGIONS = (
    "us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
    "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ca-central-1",
)  # fmt: skip


class SettingsDialog(QDialog):
    folder_added = Signal(str)
    folder_removed = Signal(int)
    faces_forgotten = Signal()

    def __init__(self, facade: Facade, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facade = facade
        self.tasks = tasks
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        settings = facade.library.settings
        layout = QVBoxLayout(self)

        folders_box = QGroupBox("Library folders", self)
        folders_layout = QVBoxLayout(folders_box)
        self.folder_list = QListWidget(folders_box)
        self.folder_list.setMaximumHeight(120)
        folders_layout.addWidget(self.folder_list)
        row = QHBoxLayout()
        add = QPushButton("Add folder…", folders_box)
        add.clicked.connect(self._add_folder)
        self.remove_button = QPushButton("Remove", folders_box)
        self.remove_button.setToolTip(
            "Forget this folder's photos in the catalog (the files are not touched)"
        )
        self.remove_button.clicked.connect(self._remove_folder)
        row.addWidget(add)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        folders_layout.addLayout(row)
        layout.addWidget(folders_box)
        self.refresh_folders()

        analysis_box = QGroupBox("Analysis", self)
        form = QFormLayout(analysis_box)
        self.backend = QComboBox(analysis_box)
        self.backend.addItem("Local (on this computer, free)", "local")
        self.backend.addItem("AWS Rekognition (cloud, billed per photo)", "rekognition")
        self.backend.addItem("Cloud library (shared by your devices; AWS, billed per photo)", "cloud")
        self.backend.setCurrentIndex(max(0, self.backend.findData(settings.backend)))
        form.addRow("Backend:", self.backend)
        self.profile = QComboBox(analysis_box)
        self.profile.addItem("(default credentials)", None)
        for name in facade.aws_profiles():
            self.profile.addItem(name, name)
        if settings.aws_profile and self.profile.findData(settings.aws_profile) < 0:
            # kept as saved (OK must not drop it), though this machine's AWS config does not list it
            self.profile.addItem(f"{settings.aws_profile} (not in the AWS config)", settings.aws_profile)
        self.profile.setCurrentIndex(max(0, self.profile.findData(settings.aws_profile)))
        form.addRow("AWS profile:", self.profile)
        self.region = QComboBox(analysis_box)
        self.region.setEditable(True)
        self.region.addItem("(from the profile)", None)
        self.region.addItems(REGIONS)
        if settings.aws_region:
            index = self.region.findText(settings.aws_region)
            if index < 0:
                self.region.addItem(settings.aws_region)
                index = self.region.count() - 1
            self.region.setCurrentIndex(index)
        form.addRow("AWS region:", self.region)
        test_row = QHBoxLayout()
        self.test_button = QPushButton("Test connection", analysis_box)
        self.test_button.clicked.connect(self._test_connection)
        self.test_result = QLabel("", analysis_box)
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        form.addRow("", test_row)
        features_row = QHBoxLayout()
        self.feature_boxes: dict[str, QCheckBox] = {}
        for feature in FEATURES:
            box = QCheckBox(feature.capitalize(), analysis_box)
            features_row.addWidget(box)
            self.feature_boxes[feature] = box
        form.addRow("Features:", features_row)
        self.rate = QDoubleSpinBox(analysis_box)
        self.rate.setRange(0.1, 100)
        self.rate.setSuffix(" requests/s")
        self.rate.setValue(settings.rate_limit)
        form.addRow("Request rate:", self.rate)
        self.budget = QDoubleSpinBox(analysis_box)
        self.budget.setRange(0, 100_000)
        self.budget.setDecimals(3)  # a Rekognition image call costs $0.001: cents would hide small budgets
        self.budget.setPrefix("$ ")
        self.budget.setSpecialValueText("no budget")
        self.budget.setValue(settings.budget_usd or 0)
        form.addRow("Budget per run:", self.budget)
        # -- spending (read-only): calls and cost this session and this month ---------------------------
        from photosorter.gui.live import spending_text  # here: this hunk stands alone in the dialog

        self.spending = QLabel("—", analysis_box)
        self.spending.setAccessibleName("Calls and cost so far")
        self.spending.setWordWrap(True)
        form.addRow("Spent:", self.spending)
        self.tasks.run(
            self.facade.spending, lambda usage: self.spending.setText(spending_text(*usage)), owner=self
        )
        self.analyze_after_scan = QCheckBox("Analyze new photos after each scan", analysis_box)
        self.analyze_after_scan.setChecked(settings.analyze_after_scan)
        form.addRow("", self.analyze_after_scan)
        self.keep_xmp_sidecars = QCheckBox("Keep XMP sidecars up to date", analysis_box)
        self.keep_xmp_sidecars.setToolTip(
            "Writes each photo's labels, named faces and rating into a .xmp file beside it whenever they"
            " change, for digiKam, Lightroom and other tools. The photos themselves are never changed."
        )
        self.keep_xmp_sidecars.setChecked(settings.keep_xmp_sidecars)
        form.addRow("", self.keep_xmp_sidecars)
        layout.addWidget(analysis_box)
        self.backend.currentIndexChanged.connect(self._backend_changed)
        self._features = {
            "local": set(settings.local_features),
            "rekognition": set(settings.rekognition_features),
        }
        self._shown_backend = settings.backend
        self._show_backend(settings.backend)

        view_box = QGroupBox("Gallery and privacy", self)
        view_form = QFormLayout(view_box)
        self.thumb_size = QSpinBox(view_box)
        self.thumb_size.setRange(80, 320)
        self.thumb_size.setSingleStep(20)
        self.thumb_size.setSuffix(" px")
        self.thumb_size.setValue(settings.thumbnail_size)
        view_form.addRow("Thumbnail size:", self.thumb_size)
        forget = QPushButton("Forget all faces (delete face data)…", view_box)
        forget.setToolTip("Deletes face boxes, names and embeddings (and the Rekognition collection)")
        forget.clicked.connect(self._forget_faces)
        view_form.addRow("", forget)
        layout.addWidget(view_box)

        self.cloud = CloudSection(settings.cloud_stack, tasks, self._aws_target, self)
        layout.addWidget(self.cloud)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # -- folders -----------------------------------------------------------------------------------------
    def refresh_folders(self) -> None:
        self.folder_list.clear()
        for folder in self.facade.library.folders():
            item = QListWidgetItem(folder.path + ("" if folder.online else "  (offline)"))
            item.setData(Qt.ItemDataRole.UserRole, folder.id)
            self.folder_list.addItem(item)
        self.remove_button.setEnabled(self.folder_list.count() > 0)

    def _add_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a folder of photos")
        if path:
            self.folder_added.emit(path)

    def _remove_folder(self) -> None:
        item = self.folder_list.currentItem()
        if item is not None:
            self.folder_removed.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    # -- analysis ----------------------------------------------------------------------------------------
    def _backend_changed(self) -> None:
        """Keeps the boxes' ticks for the backend shown so far, then shows the new backend's features."""
        self._features[_features_of(self._shown_backend)] = {
            f for f, box in self.feature_boxes.items() if box.isChecked()
        }
        self._show_backend(self.backend.currentData())

    def _show_backend(self, backend: str) -> None:
        self._shown_backend = backend
        cloud = backend in ("rekognition", "cloud")
        # The profile and region stay editable: the cloud library section uses them whatever the backend.
        self.rate.setEnabled(cloud)  # the rate paces face searches too
        # with the cloud library this computer makes no analysis call: no budget to stop, nothing to test
        for widget in (self.test_button, self.budget):
            widget.setEnabled(backend == "rekognition")
        for feature, box in self.feature_boxes.items():
            box.setChecked(feature in self._features[_features_of(backend)])
            box.setEnabled(cloud or feature != "celebrities")

    def current_settings(self) -> Settings:
        self._features[_features_of(self._shown_backend)] = {
            f for f, box in self.feature_boxes.items() if box.isChecked()
        }
        profile, region = self._aws_target()
        settings = self.facade.library.settings
        return settings.with_changes(
            backend=self.backend.currentData(),
            aws_profile=profile,
            aws_region=region,
            local_features=tuple(f for f in FEATURES if f in self._features["local"]),
            rekognition_features=tuple(f for f in FEATURES if f in self._features["rekognition"]),
            rate_limit=_shown_or_kept(self.rate, settings.rate_limit),
            budget_usd=_shown_or_kept(self.budget, settings.budget_usd or 0.0) or None,
            thumbnail_size=int(self.thumb_size.value()),
            analyze_after_scan=self.analyze_after_scan.isChecked(),
            keep_xmp_sidecars=self.keep_xmp_sidecars.isChecked(),
            cloud_stack=self.cloud.stack_name() or settings.cloud_stack,
        )

    def _aws_target(self) -> tuple[str | None, str | None]:
        """The AWS profile and region shown now (the cloud library uses the same as Rekognition)."""
        region = self.region.currentText().strip()
        return self.profile.currentData(), None if not region or region.startswith("(") else region

    def _test_connection(self) -> None:
        settings = self.current_settings()
        self.test_button.setEnabled(False)
        self.test_result.setText("Testing…")

        def done(message: str) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText(f"✓ {message}")

        def failed(message: str) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText(f"✗ {message}")

        self.tasks.run(lambda: self.facade.test_connection(settings), done, failed, owner=self)

    def _forget_faces(self) -> None:
        answer = QMessageBox.warning(
            self,
            "Forget all faces",
            "Forget every detected face, every name you gave and the face data kept in Rekognition?\n"
            "Your photos are not touched. This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.faces_forgotten.emit()


def _shown_or_kept(box: QDoubleSpinBox, saved: float) -> float:
    """The box's value, or the saved one when the box shows it rounded (2.125 shown as 2.13)."""
    shown_as_saved = abs(box.value() - saved) <= 0.5 * 10 ** -box.decimals() + 1e-9
    return float(saved) if shown_as_saved else float(box.value())


def _features_of(backend: str) -> str:
    """Whose feature list a backend uses: the cloud library's function makes Rekognition's calls."""
    return "rekognition" if backend == "cloud" else backend
