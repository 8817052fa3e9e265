"""How well People groups and finds faces on a corpus with a MANIFEST.csv (like ../shared/photos).

Usage: python benchmarks/eval_people.py CORPUS_DIR

Scans and analyzes CORPUS_DIR into a temporary home through the CLI (analysis groups
the new faces as it ends), then prints pairwise precision/recall of the clusters against the manifest's
identities; then names one face of each identity through the CLI and prints,
per identity, how many of its photos ``person:NAME`` finds and how many wrong
photos it returns. Targets: precision >= 0.98, recall >= 0.9, every identity
>= 90 % found with no wrong photo.

Which face is whom: the manifest names identities per photo, not per face. In a
photo with one identity it is the largest face; in a photo with several, faces
go to the identities whose faces elsewhere (single-identity photos) are closest.
Every other face is a stranger, unlike every other face.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from photosorter.core.catalog import people as rows
from photosorter.core.library import Library


def cli(home: str, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "photosorter", "--home", home, *args]
    return subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), check=False)


def must(result: subprocess.CompletedProcess) -> str:
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(result.args)}\n{result.stderr}")
    return result.stdout


def ground_truth(library: Library, corpus: Path, manifest: dict[str, list[str]]) -> dict[int, str]:
    """face id -> identity (strangers get a unique label)."""
    vectors = rows.face_set(library.catalog, "local")
    embedding = dict(zip(vectors.ids.tolist(), vectors.embeddings, strict=True))
    per_photo: dict[str, list[dict]] = {}
    for rel in manifest:
        photo = library.photo_by_path(str((corpus / rel).resolve()))
        if photo is not None:
            found = [f for f in library.analysis_of(photo)["faces"] if f["backend"] == "local"]
            per_photo[rel] = sorted(found, key=lambda f: (-round(f["box"]["width"], 2), -f["confidence"]))
    truth: dict[int, str] = {}
    for rel, found in per_photo.items():
        if len(manifest[rel]) == 1 and found:
            truth[found[0]["id"]] = manifest[rel][0]
    refs: dict[str, list[np.ndarray]] = {}
    for face_id, who in truth.items():
        if face_id in embedding:
            refs.setdefault(who, []).append(embedding[face_id])
    for rel, found in per_photo.items():
        names = manifest[rel]
        if len(names) < 2:
            continue
        costs = []
        for face in found:
            for who in names:
                if face["id"] in embedding and who in refs:
                    d = min(float(np.linalg.norm(embedding[face["id"]] - r)) for r in refs[who])
                    costs.append((d, face["id"], who))
        used_faces, used_names = set(), set()
        for _, face_id, who in sorted(costs):
            if face_id not in used_faces and who not in used_names:
                truth[face_id] = who
                used_faces.add(face_id)
                used_names.add(who)
        rest = [f["id"] for f in found if f["id"] not in used_faces]
        for face_id, who in zip(rest, [n for n in names if n not in used_names], strict=False):
            truth[face_id] = who
    for found in per_photo.values():
        for face in found:
            truth.setdefault(face["id"], f"stranger-{face['id']}")
    return truth


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
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    corpus = Path(sys.argv[1]).resolve()
    with open(corpus / "MANIFEST.csv", newline="") as handle:
        manifest = {r["path"]: [p for p in r["people"].split(";") if p] for r in csv.DictReader(handle)}
    with tempfile.TemporaryDirectory() as home:
        must(cli(home, "scan", str(corpus)))
        must(cli(home, "analyze", "--backend", "local", "--features", "faces"))
        listing = json.loads(must(cli(home, "people", "--json")))
        cluster_of = {face["id"]: entry["id"] for entry in listing for face in entry["faces"]}
        with Library.open(home) as library:
            truth = ground_truth(library, corpus, manifest)
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
                cli(home, "people", "name", str(faces_of[0]), who)
        print(f"{'identity':<20} {'photos':>6} {'found':>6} {'wrong':>6}")
        for who in identities:
            expected = {rel for rel, names in manifest.items() if who in names}
            found = json.loads(must(cli(home, "search", f'person:"{who}"', "--json", "--limit", "100000")))
            got = {os.path.relpath(Path(photo["path"]).resolve(), corpus) for photo in found}
            print(f"{who:<20} {len(expected):>6} {len(expected & got):>6} {len(got - expected):>6}")


if __name__ == "__main__":
    main()
