"""The measurements behind core/faces/thresholds.py, on a corpus with a MANIFEST.csv.

Usage: python benchmarks/calibrate_faces.py CORPUS_DIR [--backend local|rekognition]

Scans and analyzes CORPUS_DIR (faces only) into a temporary home, works out
which face is whom (face_truth.py), and prints, in the backend's own measure
(local: embedding distance, lower is closer; rekognition: SearchFaces
similarity, higher is closer):

- per identity, the largest distance between two of its faces in different photos;
- the closest pairs of faces of different identities, across photos and within one photo
  (among the faces the quality gate lets into grouping);
- every detection with its confidence, width and sharpness, marking photos where
  the detector found more faces than the manifest counts (so the surplus is false).

Rerun it whenever the face models change, then revisit the thresholds' docstring.
"""

from __future__ import annotations

import itertools
import tempfile

from face_truth import (
    analyze_faces,
    arguments,
    distance_function,
    faces_per_photo,
    ground_truth,
    read_manifest,
)
from photosorter.core.catalog import people as rows
from photosorter.core.faces import thresholds
from photosorter.core.library import Library


def main() -> None:
    args = arguments(__doc__)
    corpus = args.corpus.resolve()
    manifest, expected_count = read_manifest(corpus)
    with tempfile.TemporaryDirectory() as home:
        analyze_faces(home, corpus, args.backend)
        with Library.open(home) as library:
            per_photo = faces_per_photo(library, corpus, manifest, args.backend)
            distance, comparable = distance_function(library, args.backend)
            truth = ground_truth(per_photo, manifest, distance, comparable)
            measured = rows.face_quality(library.catalog, args.backend)
    # Rekognition's similarity is shown as it is (higher is closer); distances stay internal.
    shown = (lambda d: d) if args.backend == "local" else (lambda d: 100.0 - d)
    detections = [(rel, len(found), face) for rel, found in per_photo.items() for face in found]
    photo_of = {face["id"]: rel for rel, _, face in detections}
    measures = {fid: quality for fid, _, _, quality in measured}
    # Distances only matter between faces the quality gate lets into grouping.
    grouped = {fid for fid, conf, width, quality in measured if thresholds.clusterable(conf, width, quality)}
    compared = sorted(grouped & comparable)
    named = {fid: truth[fid] for fid in compared if not truth[fid].startswith("stranger-")}

    print(f"{len(measured)} faces detected, {len(grouped)} pass the quality gate; between those:")
    print("same identity, different photos (closest-farthest):")
    for who in sorted(set(named.values())):
        ids = [fid for fid, w in named.items() if w == who]
        pairs = [distance(a, b) for a, b in itertools.combinations(ids, 2) if photo_of[a] != photo_of[b]]
        spread = f"{shown(min(pairs)):.2f}-{shown(max(pairs)):.2f}" if pairs else "(one photo)"
        print(f"  {who:<20} {len(ids)} faces  {spread}")
    across, within = [], []
    for a, b in itertools.combinations(compared, 2):
        if truth[a] != truth[b]:
            (within if photo_of[a] == photo_of[b] else across).append((distance(a, b), a, b))
    for title, pairs in (("different identities, different photos", across), ("same photo", within)):
        print(f"{title} (closest five):")
        for d, a, b in sorted(pairs)[:5]:
            print(f"  {shown(d):.2f}  {truth[a]} ({photo_of[a]})  {truth[b]} ({photo_of[b]})")
    print("detections (confidence, width, sharpness; '!' = photo has more detections than faces):")
    for rel, count, face in sorted(detections, key=lambda d: d[2]["confidence"]):
        quality = measures.get(face["id"], {})
        surplus = "!" if count > expected_count.get(rel, 0) else " "
        gate = "grouped" if face["id"] in grouped else "kept"
        size = quality.get("size")  # Rekognition gives no pixel size: show the width relative to the photo
        width = f"{size:5.0f}px" if size else f"{face['box']['width'] * 100:5.1f}%w"
        print(
            f"  {surplus} {face['confidence']:6.2f} {width}"
            f" {quality.get('sharpness', 0):6.1f}  {gate:<8} {truth.get(face['id'], '?'):<22} {rel}"
        )


if __name__ == "__main__":
    main()
