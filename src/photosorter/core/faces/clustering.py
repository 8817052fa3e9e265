"""Grouping unknown faces, and matching faces to named people.

Incremental (``cluster_new_faces``, after every analysis run): faces that are in
no cluster and belong to no person are first matched to named people (auto-assign
or suggest), then join the nearest existing cluster, and only the rest are
grouped among themselves. ``recluster`` starts over, keeping everything a user
decided (manual and accepted faces, rejections).

Two faces of one photo are never put in one cluster or given to one person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from photosorter.core.catalog import people as rows
from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.people import FaceSet
from photosorter.core.faces import thresholds
from photosorter.core.faces.service import FaceService, LocalFaceService, Match


@dataclass(slots=True)
class ClusterReport:
    faces: int = 0  # faces looked at
    skipped_quality: int = 0  # kept, not clustered (tiny, blurry, unsure)
    auto_assigned: int = 0
    suggested: int = 0
    joined: int = 0  # joined an existing cluster
    new_clusters: int = 0
    skipped_backends: list[str] = field(default_factory=list)  # no service given for them

    def to_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}


def default_services() -> dict[str, FaceService]:
    return {"local": LocalFaceService()}


def cluster_new_faces(catalog: Catalog, services: Mapping[str, FaceService] | None = None) -> ClusterReport:
    """Clusters faces analysis added since the last call; cheap when there are none."""
    report = ClusterReport()
    services = default_services() if services is None else services
    for backend in rows.face_backends(catalog):
        service = services.get(backend)
        if service is None:
            report.skipped_backends.append(backend)
            continue
        _cluster_backend(catalog, service, report)
    return report


def recluster(catalog: Catalog, services: Mapping[str, FaceService] | None = None) -> ClusterReport:
    """Forgets clusters, open suggestions and automatic assignments, then clusters everything again."""
    services = default_services() if services is None else services
    for backend in rows.face_backends(catalog):
        if backend in services:
            with catalog.transaction() as conn:
                rows.reset_automatic(conn, backend)
    return cluster_new_faces(catalog, services)


def _cluster_backend(catalog: Catalog, service: FaceService, report: ClusterReport) -> None:
    candidates = rows.unclustered_quality(catalog, service.backend)
    if not candidates:
        return
    good = [fid for fid, conf, width, quality in candidates if thresholds.clusterable(conf, width, quality)]
    report.faces += len(candidates)
    report.skipped_quality += len(candidates) - len(good)
    if not good:
        return
    everyone = rows.face_set(catalog, service.backend)
    new = everyone.take(np.isin(everyone.ids, np.asarray(good, np.int64)))
    refs = everyone.take(everyone.person >= 0)
    chosen = choose_people(
        service.match_people(new, refs, rows.user_ids(catalog)),
        new,
        refs,
        rows.rejections(catalog),
        rows.hidden_people(catalog),
    )
    auto = {i: m for i, m in chosen.items() if m.band == "auto"}
    suggestions = [(int(new.ids[i]), m.person_id, m.score) for i, m in chosen.items() if m.band != "auto"]
    rest = new.take(np.asarray([i for i in range(len(new)) if i not in auto], np.int64))
    clustered = everyone.take((everyone.person < 0) & (everyone.cluster >= 0))
    labels = group(service, rest, clustered)
    with catalog.transaction() as conn:
        for match in auto.values():
            rows.assign(conn, [int(new.ids[match.index])], match.person_id, "auto")
        rows.put_suggestions(conn, suggestions)
        first = rows.next_cluster_id(conn)
        fresh = {
            label: first + n for n, label in enumerate(sorted({x for x in labels if x < 0}, reverse=True))
        }
        rows.set_clusters(
            conn, [(fresh.get(label, label), int(fid)) for fid, label in zip(rest.ids, labels, strict=True)]
        )
    report.auto_assigned += len(auto)
    report.suggested += len(suggestions)
    report.joined += sum(1 for label in labels if label >= 0)
    report.new_clusters += len(fresh)


def choose_people(
    matches: list[Match],
    faces: FaceSet,
    refs: FaceSet,
    rejected: set[tuple[int, int]],
    hidden: set[int],
) -> dict[int, Match]:
    """The best allowed person for each face: never a rejected pair, never a second face of a photo
    for one person, never a suggestion of a hidden person."""
    taken = set(zip(refs.photo.tolist(), refs.person.tolist(), strict=True))
    chosen: dict[int, Match] = {}
    for match in sorted(matches, key=lambda m: -m.score):
        face_id = int(faces.ids[match.index])
        photo = int(faces.photo[match.index])
        if (
            match.index in chosen
            or (face_id, match.person_id) in rejected
            or (photo, match.person_id) in taken
        ):
            continue
        if match.band != "auto" and match.person_id in hidden:
            continue
        chosen[match.index] = match
        if match.band == "auto":
            taken.add((photo, match.person_id))
    return chosen


def group(service: FaceService, faces: FaceSet, clustered: FaceSet) -> list[int]:
    """A label per face: an existing cluster id (>= 0) to join, or a negative label for a new group."""
    n = len(faces)
    if not n:
        return []
    labels = [0] * n
    occupied = set(zip(clustered.photo.tolist(), clustered.cluster.tolist(), strict=True))
    best: dict[int, tuple[float, int]] = {}
    for i, j, score in service.neighbours(faces, clustered):
        cluster = int(clustered.cluster[j])
        if (int(faces.photo[i]), cluster) in occupied:
            continue
        if i not in best or score > best[i][0]:
            best[i] = (score, cluster)
    joined: dict[int, int] = {}
    for i, (_, cluster) in sorted(best.items(), key=lambda item: -item[1][0]):
        key = (int(faces.photo[i]), cluster)
        if key not in occupied:  # two faces of one new photo may want the same cluster
            occupied.add(key)
            joined[i] = cluster
    rest = [i for i in range(n) if i not in joined]
    local = {i: k for k, i in enumerate(rest)}
    pairs = [
        (score, local[i], local[j])
        for i, j, score in service.neighbours(faces, faces, same=True)
        if i in local and j in local
    ]
    components = link([int(faces.photo[i]) for i in rest], pairs)
    for i, cluster in joined.items():
        labels[i] = cluster
    for k, i in enumerate(rest):
        labels[i] = -1 - components[k]
    return labels


def link(photos: list[int], pairs: list[tuple[float, int, int]]) -> list[int]:
    """Single-linkage groups, closest pairs first, never joining two groups that share a photo.

    Returns a component number per item.
    """
    parent = list(range(len(photos)))
    members: dict[int, set[int]] = {i: {p} for i, p in enumerate(photos)}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for _, a, b in sorted(pairs, key=lambda p: -p[0]):
        ra, rb = root(a), root(b)
        if ra == rb or not members[ra].isdisjoint(members[rb]):
            continue
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] |= members.pop(rb)
    roots: dict[int, int] = {}
    return [roots.setdefault(root(i), len(roots)) for i in range(len(photos))]
