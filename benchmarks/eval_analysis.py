"""Compares the local analyzer with the corpus ground truth in MANIFEST.csv.

Usage: python benchmarks/eval_analysis.py [PHOTO_DIR] [-v]   (default: ../shared/photos beside the repo)

Prints face-count accuracy (exact and within one), OCR recall of the manifest's
``text_sample`` words, and label recall/precision against its ``labels`` column.
The manifest's labels are free-form snake_case words, so they are compared with
our label names and their parents after the small synonym table below.
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from pathlib import Path

from photosorter.core.analysis.local import LocalAnalyzer
from photosorter.core.analysis.types import AnalysisError, AnalysisResult
from photosorter.core.imaging import UnreadablePhoto, analysis_jpeg

REPO = Path(__file__).resolve().parent.parent
# manifest word -> our label name (lowercase, spaces as underscores)
SYNONYMS = {
    "indoor": "indoors", "outdoor": "outdoors", "pickup_truck": "truck", "suspension_bridge": "bridge",
    "street_sign": "road_sign", "road_sign": "road_sign", "espresso": "coffee", "drink": "beverage",
    "dachshund": "dog", "group": "people", "printed_text": "text", "plant": "plant", "signpost": "sign",
    "temple": "temple", "pagoda": "temple", "landmark": "monument", "car": "car", "vehicle_part": "vehicle",
}  # fmt: skip


def normalise(word: str) -> str:
    word = word.strip().lower().replace(" ", "_")
    return SYNONYMS.get(word, word)


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def evaluate(folder: Path, verbose: bool) -> None:
    rows = list(csv.DictReader((folder / "MANIFEST.csv").open(encoding="utf-8")))
    analyzer = LocalAnalyzer()
    face_exact = face_near = face_total = 0
    words_found = words_total = 0
    label_hits = label_total = emitted_hits = emitted_total = 0
    for row in rows:
        try:
            result: AnalysisResult = analyzer.analyze(
                analysis_jpeg(str(folder / row["path"])), analyzer.default_features
            )
        except (AnalysisError, UnreadablePhoto) as exc:
            print(f"{row['path']}: not analyzed ({exc})")
            continue
        expected_faces = int(row["face_count"] or 0)
        face_total += 1
        face_exact += len(result.faces) == expected_faces
        face_near += abs(len(result.faces) - expected_faces) <= 1

        read = {fold(word) for line in result.text for word in line.text.split()}
        expected_words = [fold(w) for part in row["text_sample"].split(" | ") for w in part.split() if w]
        found = [w for w in expected_words if w in read]
        words_found += len(found)
        words_total += len(expected_words)

        ours = {normalise(label.name) for label in result.labels}
        ours_with_parents = ours | {normalise(p) for label in result.labels for p in label.parents}
        truth = {normalise(word) for word in row["labels"].replace(",", ";").split(";") if word.strip()}
        hits = truth & ours_with_parents
        label_hits += len(hits)
        label_total += len(truth)
        emitted_hits += len(ours & truth)
        emitted_total += len(ours)
        if verbose:
            names = ", ".join(f"{label.name} {label.confidence:.0f}" for label in result.labels)
            print(
                f"{row['path']}: faces {len(result.faces)}/{expected_faces}, "
                f"words {len(found)}/{len(expected_words)}, labels hit {sorted(hits)}\n    ours: {names}"
            )
    print(f"photos: {face_total}")
    print(
        f"face count exact: {face_exact}/{face_total} = {face_exact / face_total:.0%}; "
        f"within one: {face_near / face_total:.0%}"
    )
    print(f"OCR word recall: {words_found}/{words_total} = {words_found / max(1, words_total):.0%}")
    print(
        f"label recall (ours incl. parents vs manifest): {label_hits}/{label_total} = "
        f"{label_hits / max(1, label_total):.0%}"
    )
    print(
        f"label precision (our names found in manifest): {emitted_hits}/{emitted_total} = "
        f"{emitted_hits / max(1, emitted_total):.0%}"
    )


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "-v"]
    folder = Path(args[0]) if args else REPO.parent / "shared" / "photos"
    evaluate(folder, "-v" in sys.argv)


if __name__ == "__main__":
    main()
