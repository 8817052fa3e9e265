"""The Export / Copy to Folder dialog: where the copies go, originals or resized JPEGs (long side and
quality), and whether they carry the GPS position. It only asks; core.export writes, on a worker."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from photosorter.core.export import LONG_SIDES, QUALITY_RANGE, ExportOptions


class ExportDialog(QDialog):
    # what the user chose last time in this session: the next export starts from it
    last: ExportOptions | None = None

    def __init__(self, count: int, resized: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Photos" if resized else "Copy to Folder")
        self.setObjectName("exportDialog")
        last = ExportDialog.last
        self.folder = QLineEdit(str(last.folder) if last else "", self)
        self.folder.setPlaceholderText("Choose a folder for the copies")
        self.folder.setAccessibleName("Export folder")
        self.folder.setMinimumWidth(340)
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._choose)
        where = QHBoxLayout()
        where.addWidget(self.folder, 1)
        where.addWidget(browse)

        self.originals = QRadioButton("Originals — exact copies of the files", self)
        self.resized = QRadioButton("Resized JPEG", self)
        kinds = QButtonGroup(self)
        kinds.addButton(self.originals)
        kinds.addButton(self.resized)
        (self.resized if resized else self.originals).setChecked(True)
        self.long_side = QComboBox(self)
        self.long_side.setEditable(True)  # any size may be typed
        for side in LONG_SIDES:
            self.long_side.addItem(f"{side}", side)
        self.long_side.setCurrentText(str(last.long_side if last and last.long_side else 2048))
        self.long_side.setAccessibleName("Long side in pixels")
        self.quality = QSpinBox(self)
        self.quality.setRange(*QUALITY_RANGE)
        self.quality.setValue(last.quality if last else 90)
        self.quality.setAccessibleName("JPEG quality")
        self.location = QCheckBox("Include the location (GPS position)", self)
        self.location.setChecked(last.keep_location if last else True)
        self.location.setToolTip(
            "Off: the copies carry no GPS position (the photos themselves keep theirs). "
            "Originals other than JPEG cannot be stripped and are reported."
        )
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self._count = count

        form = QFormLayout()
        form.addRow("Folder:", where)
        form.addRow("Copies:", self.originals)
        form.addRow("", self.resized)
        form.addRow("Long side (px):", self.long_side)
        form.addRow("JPEG quality:", self.quality)
        form.addRow("", self.location)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        for signal in (self.folder.textChanged, self.originals.toggled, self.long_side.currentTextChanged):
            signal.connect(self._update)
        self.location.toggled.connect(self._update)
        self._update()

    def _choose(self) -> None:
        start = self.folder.text() or str(Path.home())
        path = QFileDialog.getExistingDirectory(self, "Export to folder", start)
        if path:
            self.folder.setText(path)

    def _long_side(self) -> int | None:
        text = self.long_side.currentText().strip()
        return int(text) if text.isdigit() and int(text) >= 16 else None

    def _update(self) -> None:
        resized = self.resized.isChecked()
        self.long_side.setEnabled(resized)
        self.quality.setEnabled(resized)
        folder = self.folder.text().strip()
        problem = ""
        if not folder:
            problem = "Choose a folder."
        elif Path(folder).exists() and not Path(folder).is_dir():
            problem = "That is a file, not a folder."
        elif resized and self._long_side() is None:
            problem = "The long side is a number of pixels, 16 or more."
        photos = f"{self._count:,} photo{'s' if self._count != 1 else ''}"
        kind = f"resized to {self._long_side()} px" if resized else "as exact copies"
        where = "without their location" if not self.location.isChecked() else "with their location"
        self.summary.setText(problem or f"{photos} {kind}, {where}. The photos themselves are not changed.")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def options(self) -> ExportOptions:
        long_side = self._long_side() if self.resized.isChecked() else None
        options = ExportOptions(
            Path(self.folder.text().strip()), long_side, self.quality.value(), self.location.isChecked()
        )
        ExportDialog.last = options
        return options
