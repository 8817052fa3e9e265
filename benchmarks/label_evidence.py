"""The local analyzer's raw evidence per photo, recorded once so label rules re-run in seconds.

Usage: python benchmarks/eval_labels.py CORPUS --record DIR   (analyzes once, keeps the evidence in DIR)
       python benchmarks/eval_labels.py CORPUS --replay DIR   (the label rules of labels.py on it, no model)
       python benchmarks/label_evidence.py DIR [CORPUS]       (prints the evidence, photo by photo)
       python benchmarks/label_evidence.py DIR CORPUS --calibrate
                                   (each rule's threshold set on one half of the photos, tried on the other)

The models (classifier, face finder, OCR) are the slow part of the local analyzer; the
label rules in labels.py are cheap functions of what they return. ``Recorder`` wraps the
real analyzer and keeps, per analysis image (by its SHA-256), the classifier's 1000
probabilities, the faces and the text lines. ``Replayer`` is an analyzer that answers from
those records, computing the labels with labels.py's ``photo_labels`` as analyzer.py
does, so an experiment on the rules is measured by the same scan and search as the eval.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import threading
from pathlib import Path

import cv2
import numpy as np

from photosorter.core.analysis.local import LocalAnalyzer
from photosorter.core.analysis.local import labels as rules
from photosorter.core.analysis.local.analyzer import decode
from photosorter.core.analysis.local.labels import (
    LabelMap,
    SceneClassifier,
    direct_labels,
    photo_labels,
)
from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature, TextLine

EVIDENCE_FILE = "evidence.json"


def _box(box: Box | None) -> list[float] | None:
    return None if box is None else [box.left, box.top, box.width, box.height]


def _unbox(values: list[float] | None) -> Box | None:
    return None if values is None else Box(*values)


class Recorder:
    """The real local analyzer, keeping each image's evidence for ``save``."""

    name = "local"

    def __init__(self) -> None:
        self._analyzer = LocalAnalyzer()
        self._scenes = SceneClassifier(None)
        self.default_features = self._analyzer.default_features
        self._lock = threading.Lock()
        self.records: dict[str, dict] = {}

    def model_version(self, feature: Feature) -> str:
        return self._analyzer.model_version(feature)

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        result = self._analyzer.analyze(image, features)
        # the classifier runs again here (its probabilities are not in the result); it is deterministic
        probabilities = self._scenes.probabilities(cv2.cvtColor(decode(image), cv2.COLOR_BGR2RGB))
        record = {
            "image": hashlib.sha256(image).hexdigest() + ".jpg",
            "probabilities": [round(float(p), 7) for p in probabilities],
            "faces": [
                {
                    "box": _box(face.box),
                    "confidence": face.confidence,
                    "embedding": list(face.embedding) if face.embedding else None,
                }
                for face in result.faces
            ],
            "lines": [
                {"text": line.text, "confidence": line.confidence, "box": _box(line.box)}
                for line in result.text
            ],
            "labels": [[label.name, label.confidence] for label in result.labels],
        }
        with self._lock:
            self.records[hashlib.sha256(image).hexdigest()] = (record, image)
        return result

    def save(self, into: Path, names: dict[str, str]) -> None:
        """Writes the records and their analysis images to ``into``; ``names`` maps sha → manifest path."""
        into.mkdir(parents=True, exist_ok=True)
        out = {}
        for sha, (record, image) in self.records.items():
            (into / record["image"]).write_bytes(image)
            out[sha] = {"path": names.get(sha, ""), **record}
        (into / EVIDENCE_FILE).write_text(json.dumps(out), encoding="utf-8")


class Replayer:
    """An analyzer answering from recorded evidence, with the label rules of labels.py run live."""

    name = "local"

    def __init__(self, evidence: Path) -> None:
        self._records = load(evidence)
        self._label_map = LabelMap.load()
        self._versions = LocalAnalyzer()  # builds nothing until a model is used; only for version names
        self.default_features = self._versions.default_features

    def model_version(self, feature: Feature) -> str:
        return self._versions.model_version(feature)

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        record = self._records[hashlib.sha256(image).hexdigest()]
        faces = tuple(
            Face(
                _unbox(f["box"]), f["confidence"], embedding=tuple(f["embedding"]) if f["embedding"] else None
            )
            for f in record["faces"]
        )
        lines = tuple(TextLine(x["text"], x["confidence"], _unbox(x["box"])) for x in record["lines"])
        probabilities = np.asarray(record["probabilities"], dtype=np.float32)
        labels = photo_labels(self._label_map, probabilities, faces, lines, decode(image))
        wanted = frozenset(features) & self.default_features
        return AnalysisResult(
            backend=self.name,
            features=wanted,
            labels=labels if Feature.LABELS in wanted else (),
            faces=faces if Feature.FACES in wanted else (),
            text=lines if Feature.TEXT in wanted else (),
        )


def load(evidence: Path) -> dict[str, dict]:
    return json.loads((evidence / EVIDENCE_FILE).read_text(encoding="utf-8"))


def show(evidence: Path, corpus: Path | None) -> None:
    """Each photo's manifest labels, top-8 classes, faces, text lines, pixel stats and labels given."""
    label_map = LabelMap.load()
    manifest = {}
    if corpus is not None:
        manifest = {
            r["path"]: r["labels"] for r in csv.DictReader((corpus / "MANIFEST.csv").open(encoding="utf-8"))
        }
    for record in sorted(load(evidence).values(), key=lambda r: r["path"]):
        probabilities = np.asarray(record["probabilities"])
        top = np.argsort(-probabilities)[:8]
        bgr = cv2.imread(str(evidence / record["image"]))
        hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
        print(f"== {record['path']}  {bgr.shape[1]}x{bgr.shape[0]}")
        print(f"   truth:  {manifest.get(record['path'], '?')}")
        print("   top-8:  " + ", ".join(f"{label_map.imagenet_names[i]} {probabilities[i]:.3f}" for i in top))
        print(
            "   faces:  "
            + (", ".join(f"w{f['box'][2]:.2f}@{f['confidence']:.0f}" for f in record["faces"]) or "-")
        )
        for line in record["lines"][:8]:
            print(
                f"   text:   {line['text']!r} w{line['box'][2]:.2f}"
                if line["box"]
                else f"   text: {line['text']!r}"
            )
        if len(record["lines"]) > 8:
            print(f"   text:   … {len(record['lines'])} lines")
        print(
            f"   pixels: saturation {hsv[..., 1].mean():.0f}, value {hsv[..., 2].mean():.0f},"
            f" top-third value {hsv[: hsv.shape[0] // 3, :, 2].mean():.0f}"
        )
        print("   labels: " + ", ".join(f"{name} {confidence:.0f}" for name, confidence in record["labels"]))


def _close_face(faces: tuple[Face, ...]) -> bool:
    return any(face.box.width >= rules.TIE_FACE_WIDTH for face in faces)


# evidence rule: (its classes, the manifest word it must find, its threshold in labels.py, who it applies
# to: a function of the labels found without the scene rules and of the faces)
SCENE_RULES = {
    "Water": (rules.WATERSIDE, "water", rules.WATER_EVIDENCE, lambda names, faces: True),
    "Indoors": (
        rules.INDOOR_OBJECTS, "indoor", rules.INDOOR_EVIDENCE, lambda names, faces: "Outdoors" not in names,
    ),
    "Outdoors (street sign)": (
        rules.STREET_SIGN, "outdoor", rules.SIGN_EVIDENCE,
        lambda names, faces: "Outdoors" not in names and "License Plate" not in names,
    ),
    "Bridge": (rules.BRIDGES, "bridge", rules.BRIDGE_EVIDENCE, lambda names, faces: True),
    "Street": (rules.ROAD_VEHICLES, "street", rules.STREET_EVIDENCE, lambda names, faces: True),
    "City": (
        rules.URBAN, "city", rules.CITY_EVIDENCE, lambda names, faces: "License Plate" not in names,
    ),
    "House": (rules.DWELLINGS, "house", rules.HOUSE_EVIDENCE, lambda names, faces: True),
    "Tie (formal wear)": (
        rules.FORMAL_WEAR, "tie", rules.TIE_EVIDENCE, lambda names, faces: _close_face(faces),
    ),
}  # fmt: skip


def gap_threshold(scored: list[tuple[float, bool]]) -> float | None:
    """The middle (geometric) of the gap under the lowest score at which every photo above is right;
    None when no photo of the half shows the scene."""
    positives = [score for score, shows in scored if shows]
    if not positives:
        return None
    top_negative = max((score for score, shows in scored if not shows), default=0.0)
    above = [score for score in positives if score > top_negative]
    lowest = min(above) if above else max(positives)
    below = max((score for score, _ in scored if score < lowest), default=lowest / 4)
    return float(np.sqrt(max(below, 1e-4) * lowest))


def calibrate(evidence: Path, corpus: Path) -> None:
    """For each evidence rule: the threshold set on each half, its result on the other half, and the whole
    corpus at the threshold in labels.py."""
    from eval_labels import expected_words, folds  # here: eval_labels imports this module

    rows = list(csv.DictReader((corpus / "MANIFEST.csv").open(encoding="utf-8")))
    truth = {row["path"]: expected_words([x for x in row["labels"].split(";") if x]) for row in rows}
    fold_of = folds(rows)
    label_map = LabelMap.load()
    photos = []
    for record in load(evidence).values():
        probabilities = np.asarray(record["probabilities"], dtype=np.float32)
        faces = tuple(Face(_unbox(f["box"]), f["confidence"]) for f in record["faces"])
        lines = tuple(TextLine(x["text"], x["confidence"], _unbox(x["box"])) for x in record["lines"])
        bgr = cv2.imread(str(evidence / record["image"]))
        found = direct_labels(label_map, probabilities, faces, lines, bgr)
        photos.append((record["path"], probabilities, {label.name for label in found}, faces))
    print(
        f"{'rule':<24} {'set on':>6} {'threshold':>9} {'tried on':>8} {'right':>5} {'wrong':>5} {'missed':>6}"
    )
    for name, (classes, word, chosen, applies) in SCENE_RULES.items():
        scored = {
            path: (label_map.evidence(probabilities, classes), word in truth[path], fold_of[path])
            for path, probabilities, names, faces in photos
            if applies(names, faces)
        }
        for train, test in ((1, 2), (2, 1), (None, None)):
            if train is None:
                threshold, tried = chosen, [v for v in scored.values()]
            else:
                threshold = gap_threshold(
                    [(score, shows) for score, shows, f in scored.values() if f == train]
                )
                tried = [v for v in scored.values() if v[2] == test]
            if threshold is None:
                print(f"{name:<24} {train:>6} {'-':>9} {test:>8}   (no photo of the half shows it)")
                continue
            right = sum(1 for score, shows, _ in tried if score >= threshold and shows)
            wrong = sum(1 for score, shows, _ in tried if score >= threshold and not shows)
            missed = sum(1 for score, shows, _ in tried if score < threshold and shows)
            print(f"{name:<24} {train or 'all':>6} {threshold:>9.3f} {test or 'all':>8}", end="")
            print(f" {right:>5} {wrong:>5} {missed:>6}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if "--calibrate" in sys.argv:
        calibrate(Path(sys.argv[1]), Path(sys.argv[2]))
    else:
        show(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
