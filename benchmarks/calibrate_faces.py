"""The measurements behind core/faces/thresholds.py, on a corpus with a MANIFEST.csv.

Usage: python benchmarks/calibrate_faces.py CORPUS_DIR

Scans and analyzes CORPUS_DIR (faces, local backend) into a temporary home,
works out which face is whom as eval_people.py does, and prints:

- per identity, the largest distance between two of its faces in different photos;
- the closest pairs of faces of different identities, across photos and within one photo
  (among the faces the quality gate lets into grouping);
- every detection with its confidence, width and sharpness, marking photos where
  the detector found more faces than the manifest counts (so the surplus is false).

Rerun it whenever the face models change, then revisit the thresholds' docstring.
"""

from __future__ import annotations

import csv
import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np

from eval_people import cli, ground_truth, must
from photosorter.core.catalog import people as rows
from photosorter.core.faces import thresholds
from photosorter.core.library import Library


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    corpus = Path(sys.argv[1]).resolve()
    with open(corpus / "MANIFEST.csv", newline="") as handle:
        manifest_rows = list(csv.DictReader(handle))
    manifest = {r["path"]: [p for p in r["people"].split(";") if p] for r in manifest_rows}
    expected_count = {r["path"]: int(r["face_count"] or 0) for r in manifest_rows}
    with tempfile.TemporaryDirectory() as home:
        must(cli(home, "scan", str(corpus)))
        must(cli(home, "analyze", "--backend", "local", "--features", "faces"))
        with Library.open(home) as library:
            truth = ground_truth(library, corpus, manifest)
            vectors = rows.face_set(library.catalog, "local")
            embedding = dict(zip(vectors.ids.tolist(), vectors.embeddings, strict=True))
            measured = rows.face_quality(library.catalog, "local")
            detections = []
            for rel in manifest:
                photo = library.photo_by_path(str((corpus / rel).resolve()))
                if photo is None:
                    continue
                found = [f for f in library.analysis_of(photo)["faces"] if f["backend"] == "local"]
                for face in found:
                    detections.append((rel, len(found), face))
    photo_of = {face["id"]: rel for rel, _, face in detections}
    measures = {fid: quality for fid, _, _, quality in measured}
    # Distances only matter between faces the quality gate lets into grouping.
    grouped = {fid for fid, conf, width, quality in measured if thresholds.clusterable(conf, width, quality)}
    embedding = {fid: vector for fid, vector in embedding.items() if fid in grouped}
    named = {fid: who for fid, who in truth.items() if not who.startswith("stranger-") and fid in embedding}

    def distance(a: int, b: int) -> float:
        return float(np.linalg.norm(embedding[a] - embedding[b]))

    print(f"{len(measured)} faces detected, {len(grouped)} pass the quality gate; distances between those:")
    print("same identity, different photos (smallest-largest distance):")
    for who in sorted(set(named.values())):
        ids = [fid for fid, w in named.items() if w == who]
        pairs = [distance(a, b) for a, b in itertools.combinations(ids, 2) if photo_of[a] != photo_of[b]]
        spread = f"{min(pairs):.2f}-{max(pairs):.2f}" if pairs else "(one photo)"
        print(f"  {who:<20} {len(ids)} faces  {spread}")
    across, within = [], []
    for a, b in itertools.combinations(sorted(embedding), 2):
        if truth.get(a) == truth.get(b):
            continue
        (within if photo_of.get(a) == photo_of.get(b) else across).append((distance(a, b), a, b))
    for title, pairs in (("different identities, different photos", across), ("same photo", within)):
        print(f"{title} (closest five):")
        for d, a, b in sorted(pairs)[:5]:
            print(f"  {d:.2f}  {truth[a]} ({photo_of[a]})  {truth[b]} ({photo_of[b]})")
    print("detections (confidence, width px, sharpness; '!' = photo has more detections than faces):")
    for rel, count, face in sorted(detections, key=lambda d: d[2]["confidence"]):
        quality = measures.get(face["id"], {})
        surplus = "!" if count > expected_count.get(rel, 0) else " "
        gate = "grouped" if face["id"] in grouped else "kept"
        print(
            f"  {surplus} {face['confidence']:6.2f} {quality.get('size', 0):5.0f}px"
            f" {quality.get('sharpness', 0):6.1f}  {gate:<8} {truth.get(face['id'], '?'):<22} {rel}"
        )


if __name__ == "__main__":
    main()
