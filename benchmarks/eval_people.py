"""How well People groups and finds faces on a corpus with a MANIFEST.csv (like ../shared/photos).

Usage: python benchmarks/eval_people.py CORPUS_DIR [--backend local|rekognition]

Scans and analyzes CORPUS_DIR into a temporary home through the CLI (analysis
groups the new faces as it ends), then prints pairwise precision/recall of the
clusters against the manifest's identities; then names one face of each identity through the CLI and prints,
per identity, how many of its photos ``person:NAME`` finds and how many wrong
photos it returns. Targets: precision >= 0.98, recall >= 0.9, every identity
>= 90 % found with no wrong photo.

Which face is whom: see face_truth.py.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from pathlib import Path

from face_truth import (
    analyze_faces,
    arguments,
    cli,
    distance_function,
    faces_per_photo,
    ground_truth,
    must,
    read_manifest,
)
from photosorter.core.library import Library


def pairwise(truth: dict[int, str], cluster_of: dict[int, str]) -> tuple[float, float, int, int]:
    same_pred = same_true = both = 0
    for a, b in itertools.combinations(sorted(truth), 2):
        pred = a in cluster_of and cluster_of.get(a) == cluster_of.get(b)
        real = truth[a] == truth[b]
        same_pred += pred
        same_true += real
        both += pred and real
    precision = both / same_pred if same_pred else 1.0
    recall = both / same_true if same_true else 1.0
    return precision, recall, same_pred, same_true


def main() -> None:
    args = arguments(__doc__)
    corpus = args.corpus.resolve()
    manifest, _ = read_manifest(corpus)
    with tempfile.TemporaryDirectory() as home:
        analyze_faces(home, corpus, args.backend)
        listing = json.loads(must(cli(home, "people", "--json")))
        cluster_of = {face["id"]: entry["id"] for entry in listing for face in entry["faces"]}
        with Library.open(home) as library:
            per_photo = faces_per_photo(library, corpus, manifest, args.backend)
            truth = ground_truth(per_photo, manifest, *distance_function(library, args.backend))
        precision, recall, predicted, real = pairwise(truth, cluster_of)
        print(f"faces: {len(truth)}, clustered: {len(cluster_of)}, clusters: {len(listing)}")
        print(
            f"pairwise precision {precision:.3f} ({predicted} pairs grouped)"
            f"  recall {recall:.3f} ({real} true)"
        )
        identities = sorted({n for names in manifest.values() for n in names})
        for who in identities:
            faces_of = sorted(
                (fid for fid, w in truth.items() if w == who), key=lambda f: f not in cluster_of
            )
            if faces_of:
                must(cli(home, "people", "name", str(faces_of[0]), who))
        print(f"{'identity':<20} {'photos':>6} {'found':>6} {'wrong':>6}")
        for who in identities:
            expected = {rel for rel, names in manifest.items() if who in names}
            found = json.loads(must(cli(home, "search", f'person:"{who}"', "--json", "--limit", "100000")))
            got = {os.path.relpath(Path(photo["path"]).resolve(), corpus) for photo in found}
            print(f"{who:<20} {len(expected):>6} {len(expected & got):>6} {len(got - expected):>6}")


if __name__ == "__main__":
    main()
