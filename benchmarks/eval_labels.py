"""Does searching a word a user would type find the photos that show it? Recall and precision per word.

Usage: python benchmarks/eval_labels.py [CORPUS] [--backend local] [-v] [--fold 1|2]
                                        [--record DIR | --replay DIR]
       (CORPUS defaults to ../shared/photos beside the repo; it needs a MANIFEST.csv)

``--record DIR`` keeps the local analyzer's raw evidence per photo in DIR; ``--replay DIR``
then measures the label rules of labels.py on it in seconds, without the models (see
label_evidence.py). ``--fold 1`` or ``2`` counts only half of the photos (alternate source
images, so a photo and its re-encoded copy fall in the same half): set a rule's threshold
on one half, measure it on the other.

The corpus is copied under anonymous file names (``0001.jpg`` …, in one folder named
``library``), so no file or folder name can match a query: only what the analyzer
found can. The copy is scanned and analyzed as a user's library would be, then every
word of the list below is searched with the app's own search (``search_ids``, what the
gallery and ``photosorter search`` run).

The words come from MANIFEST.csv's ``labels`` column: each manifest label is turned into
the word a person types for it (``trees`` → ``tree``, ``american_flag`` → ``flag``), and a
photo also counts as showing what its labels imply (a dog is an animal, a receipt is a
document). Labels no one would search for (``exif_rotated``, ``close_up``) are left out.
A photo is relevant for a word when its manifest labels give that word; a result is
right when it is relevant. Overall figures pool every (word, photo) pair (micro average),
so a word with many photos weighs more than a word with one.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

from label_evidence import Recorder, Replayer
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.imaging import UnreadablePhoto, analysis_jpeg
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library
from photosorter.core.search import search_ids

REPO = Path(__file__).resolve().parent.parent

# manifest label -> the word a user types for it (None: nobody searches for it)
TYPED = {
    "trees": "tree", "hills": "hill", "houses": "house", "curtains": "curtain", "bowls": "bowl",
    "boxes": "box", "shelves": "shelf", "leaves": "leaf", "children": "child", "american_flag": "flag",
    "suspension_bridge": "bridge", "pickup_truck": "truck", "street_sign": "sign", "road_sign": "sign",
    "signpost": "sign", "church_tower": "church", "space_shuttle_model": None, "logo_backdrop": None,
    "exif_rotated": None, "transparent_background": None, "tiny_image": None, "close_up": None,
    "printed_text": "text", "vehicle_part": None, "food_packaging": "package", "half_timbered": None,
    "reflecting_pool": "pool", "pet_bed": None, "wooden_deck": "deck", "brick_wall": "wall",
    "market_stall": "market", "red_carpet": None, "grayscale": "black and white", "taj_mahal": None,
    "license_plate": "license plate", "waving": None, "pointing": None, "speech": None, "event": None,
    "reflection": None, "studio": None, "streamers": None, "dirt": None, "fur": None, "label": None,
    "page": "document", "paper": None, "spacesuit": None, "armor": None, "costume": None,
}  # fmt: skip

# what a label also tells (a dachshund is a dog, a dog is an animal and a pet)
IMPLIES = {
    "dachshund": ("dog",), "dog": ("animal", "pet"), "cat": ("animal", "pet"), "horse": ("animal",),
    "fish": ("animal",), "truck": ("vehicle",), "pickup_truck": ("vehicle", "truck"), "car": ("vehicle",),
    "bus": ("vehicle",), "motorcycle": ("vehicle",), "bicycle": ("vehicle",), "train": ("vehicle",),
    "receipt": ("document",), "page": ("document",), "espresso": ("coffee",), "dahlia": ("flower",),
    "flower": ("plant", "nature"), "trees": ("plant", "nature"), "tree": ("plant", "nature"),
    "pagoda": ("temple",),
    "suspension_bridge": ("bridge",), "family": ("group", "people"), "crowd": ("people",),
    "group": ("people",), "couple": ("people",), "astronaut": ("person",), "woman": ("person",),
    "children": ("person", "people"), "street_sign": ("sign",), "road_sign": ("sign",),
    "fruit": ("food",), "coffee": ("drink",), "espresso_coffee": ("coffee",), "clouds": ("sky",),
    # nature as Rekognition and people use the word: the land, water and plants, not a city street
    "landscape": ("nature",), "mountain": ("nature",), "hills": ("nature",), "field": ("nature",),
    "grass": ("nature", "plant"), "lake": ("nature", "water"), "river": ("nature", "water"),
    "leaves": ("nature", "plant"), "bay": ("water",), "canal": ("water",),
}  # fmt: skip


def typed(label: str) -> str | None:
    label = label.strip().lower()
    if label in TYPED:
        return TYPED[label]
    return label.replace("_", " ")


def expected_words(labels: list[str]) -> set[str]:
    """Every word a person may type to find a photo with these manifest labels."""
    seen: set[str] = set()
    todo = list(labels)
    while todo:
        label = todo.pop()
        if label in seen:
            continue
        seen.add(label)
        todo.extend(IMPLIES.get(label, ()))
    return {word for word in map(typed, seen) if word}


def copy_anonymously(corpus: Path, rows: list[dict], into: Path) -> dict[str, str]:
    """Copies each photo as ``NNNN.ext``; returns anonymous path -> manifest path."""
    into.mkdir(parents=True)
    names = {}
    for n, row in enumerate(rows, 1):
        source = corpus / row["path"]
        target = into / f"{n:04d}{source.suffix.lower()}"
        shutil.copyfile(source, target)
        names[str(target)] = row["path"]
    return names


def folds(rows: list[dict]) -> dict[str, int]:
    """Manifest path -> 1 or 2: alternate source images in manifest order; copies of one source together."""
    sources: dict[tuple[str, str], int] = {}
    for row in rows:
        sources.setdefault((row["source_repo"], row["source_path"]), len(sources) % 2 + 1)
    return {row["path"]: sources[(row["source_repo"], row["source_path"])] for row in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", default=str(REPO.parent / "shared" / "photos"))
    parser.add_argument("--backend", default="local")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss and wrong result")
    parser.add_argument("--fold", type=int, choices=(1, 2), help="count only this half of the photos")
    evidence = parser.add_mutually_exclusive_group()
    evidence.add_argument("--record", type=Path, help="keep the local analyzer's evidence in this folder")
    evidence.add_argument("--replay", type=Path, help="the label rules on evidence kept by --record")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    rows = list(csv.DictReader((corpus / "MANIFEST.csv").open(encoding="utf-8")))
    if args.fold:
        fold_of = folds(rows)
        rows = [row for row in rows if fold_of[row["path"]] == args.fold]
    truth: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="eval-labels-") as tmp:
        names = copy_anonymously(corpus, rows, Path(tmp) / "library")
        for row in rows:
            labels = [x for x in row["labels"].split(";") if x]
            # legible text is searchable as "text" whether or not the labels say so
            truth[row["path"]] = expected_words(labels + (["printed_text"] if row["has_text"] == "y" else []))
        with Library.open(Path(tmp) / "home") as library:
            library.add_folder(Path(tmp) / "library")
            run_to_end(library.scan())
            if args.record:
                analyzer = Recorder()
            elif args.replay:
                analyzer = Replayer(args.replay)
            else:
                analyzer = library.analyzer(args.backend)
            run_to_end(library.analyze(library.analysis_run(analyzer)))
            if args.record:
                analyzer.save(args.record, _by_image(names))
            path_of = {p.id: names.get(p.path) for p in _photos(library)}
            words = sorted({w for expected in truth.values() for w in expected})
            relevant_total = found_total = right_total = 0
            print(f"{'word':<18} {'photos':>6} {'found':>6} {'right':>6} {'recall':>7} {'precision':>9}")
            for word in words:
                relevant = {p for p, expected in truth.items() if word in expected}
                query = f'"{word}"' if " " in word else word
                results = [path_of.get(i) for i in search_ids(library.catalog, query)]
                results = [r for r in results if r]
                right = [r for r in results if r in relevant]
                relevant_total += len(relevant)
                found_total += len(results)
                right_total += len(right)
                recall = len(right) / len(relevant)
                precision = len(right) / len(results) if results else 1.0
                print(
                    f"{word:<18} {len(relevant):>6} {len(results):>6} {len(right):>6} {recall:>7.2f}"
                    f" {precision:>9.2f}"
                )
                if args.verbose:
                    for miss in sorted(relevant - set(results)):
                        print(f"    missed {miss}")
                    for wrong in sorted(set(results) - relevant):
                        print(f"    wrong  {wrong}")
            recall = right_total / relevant_total if relevant_total else 0.0
            precision = right_total / found_total if found_total else 1.0
            print(
                f"\noverall: {len(words)} words, {relevant_total} (word, photo) pairs; recall {recall:.3f}, "
                f"precision {precision:.3f}  (target: recall >= 0.65 at precision >= 0.85)"
            )
    return 0


def _by_image(names: dict[str, str]) -> dict[str, str]:
    """SHA-256 of each photo's analysis image -> its manifest path (the key of the recorded evidence)."""
    out = {}
    for anonymous, path in names.items():
        try:
            out[hashlib.sha256(analysis_jpeg(anonymous)).hexdigest()] = path
        except (UnreadablePhoto, OSError):  # the analyzer got no image of it, so there is no evidence
            continue
    return out


def _photos(library: Library):
    return photo_rows.photos_by_ids(library.catalog, photo_rows.visible_photo_ids(library.catalog)).values()


if __name__ == "__main__":
    sys.exit(main())
