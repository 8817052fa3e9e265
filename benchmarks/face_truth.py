"""Shared by eval_people.py and calibrate_faces.py: the corpus, the CLI, and which face is whom.

Which face is whom: the manifest names identities per photo, not per face. In a
photo with one identity it is the largest face; in a photo with several, faces
go to the identities whose faces elsewhere (single-identity photos) are closest.
Every other face is a stranger, unlike every other face.

"Closest" is the backend's own measure: euclidean distance between local
embeddings, or 100 - Rekognition's SearchFaces similarity (one SearchFaces call
per face, in the library's collection).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from photosorter.core.catalog import people as rows
from photosorter.core.faces.services import face_services
from photosorter.core.library import Library

NOT_SIMILAR = 100.0  # Rekognition returns no similarity below the threshold asked for


def arguments(doc: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="a folder with photos and a MANIFEST.csv")
    parser.add_argument(
        "--backend",
        choices=("local", "rekognition"),
        default="local",
        help="rekognition uses the AWS credentials of the environment (AWS_PROFILE, AWS_DEFAULT_REGION)"
        " and costs one IndexFaces per photo and one SearchFaces per face",
    )
    return parser.parse_args()


def cli(home: str, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "photosorter", "--home", home, *args]
    return subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), check=False)


def must(result: subprocess.CompletedProcess) -> str:
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(result.args)}\n{result.stderr}")
    return result.stdout


def read_manifest(corpus: Path) -> tuple[dict[str, list[str]], dict[str, int]]:
    """photo -> identities in it, and photo -> how many faces it shows."""
    with open(corpus / "MANIFEST.csv", newline="") as handle:
        manifest_rows = list(csv.DictReader(handle))
    people = {r["path"]: [p for p in r["people"].split(";") if p] for r in manifest_rows}
    counts = {r["path"]: int(r["face_count"] or 0) for r in manifest_rows}
    return people, counts


def analyze_faces(home: str, corpus: Path, backend: str) -> None:
    must(cli(home, "scan", str(corpus)))
    must(cli(home, "analyze", "--backend", backend, "--features", "faces"))


def faces_per_photo(library: Library, corpus: Path, manifest: dict[str, list[str]], backend: str) -> dict:
    """photo -> its faces (dicts with id, box, confidence), largest first."""
    per_photo: dict[str, list[dict]] = {}
    for rel in manifest:
        photo = library.photo_by_path(str((corpus / rel).resolve()))
        if photo is not None:
            found = [f.to_json() for f in library.analysis_of(photo).faces if f.backend == backend]
            per_photo[rel] = sorted(found, key=lambda f: (-round(f["box"]["width"], 2), -f["confidence"]))
    return per_photo


def distance_function(library: Library, backend: str) -> tuple[Callable[[int, int], float], set[int]]:
    """How far apart two faces are in the backend's own measure, and which faces it can compare."""
    faces = rows.face_set(library.catalog, backend)
    if backend == "local":
        embedding = dict(zip(faces.ids.tolist(), faces.embeddings, strict=True))
        return (lambda a, b: float(np.linalg.norm(embedding[a] - embedding[b]))), set(embedding)
    collection = face_services(library.settings, rekognition=True)["rekognition"].collection
    row_of = dict(zip(faces.external_ids, faces.ids.tolist(), strict=True))
    similarity: dict[tuple[int, int], float] = {}
    for external_id, face in row_of.items():
        for match in collection.search_faces(external_id, threshold=0.0, max_faces=4096):
            other = row_of.get(match.face_id)
            if other is not None:
                key = (min(face, other), max(face, other))
                similarity[key] = max(similarity.get(key, 0.0), match.similarity)
    return (lambda a, b: NOT_SIMILAR - similarity.get((min(a, b), max(a, b)), 0.0)), set(row_of.values())


def ground_truth(
    per_photo: dict[str, list[dict]],
    manifest: dict[str, list[str]],
    distance: Callable[[int, int], float],
    comparable: set[int],
) -> dict[int, str]:
    """face id -> identity (strangers get a unique label)."""
    truth: dict[int, str] = {}
    for rel, found in per_photo.items():
        if len(manifest[rel]) == 1 and found:
            truth[found[0]["id"]] = manifest[rel][0]
    refs: dict[str, list[int]] = {}
    for face_id, who in truth.items():
        if face_id in comparable:
            refs.setdefault(who, []).append(face_id)
    for rel, found in per_photo.items():
        names = manifest[rel]
        if len(names) < 2:
            continue
        costs = []
        for face in found:
            for who in names:
                if face["id"] in comparable and who in refs:
                    costs.append((min(distance(face["id"], r) for r in refs[who]), face["id"], who))
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
