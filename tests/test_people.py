"""People: clustering, naming and propagation, suggestions, fixing mistakes, undo, forgetting, CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest

from photosorter.core import faces
from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature
from photosorter.core.catalog import Catalog
from photosorter.core.catalog.analysis import store_result
from photosorter.core.catalog.people_views import GroupKind
from photosorter.core.errors import PhotosorterError
from photosorter.core.faces import thresholds
from photosorter.core.library import Library

RNG = np.random.default_rng(7)
CENTRES = {name: RNG.normal(size=128) for name in ("alice", "bob", "carol")}


# Faces named in these tests lie 0.1 from their centre; another face this far from the centre,
# in a random (so nearly orthogonal) direction, is too far to be grouped or assigned with them,
# and close enough to be asked about.
_NOT_GROUPED = max(thresholds.AUTO_DISTANCE, thresholds.CLUSTER_DISTANCE)
MIDDLE_BAND = math.sqrt(((_NOT_GROUPED + thresholds.SUGGEST_DISTANCE) / 2) ** 2 - 0.1**2)


def vector(who: str, distance: float, seed: int) -> tuple[float, ...]:
    """A face ``distance`` away from ``who``'s centre, in a random direction."""
    direction = np.random.default_rng(seed).normal(size=128)
    direction /= np.linalg.norm(direction)
    centre = CENTRES[who] / np.linalg.norm(CENTRES[who])
    return tuple(float(v) for v in centre + direction * distance)


def add_photo(
    catalog: Catalog, content: str, *embeddings: tuple[float, ...], confidence: float = 99.0
) -> None:
    result = AnalysisResult(
        backend="local",
        features=frozenset({Feature.FACES}),
        faces=tuple(
            Face(
                Box(0.1 * i, 0.1, 0.1, 0.1),
                confidence,
                quality={"size": 120.0, "sharpness": 90.0},
                embedding=e,
            )
            for i, e in enumerate(embeddings)
        ),
    )
    store_result(catalog, content, result, {Feature.FACES: "test"})


def face_ids(catalog: Catalog, content: str) -> list[int]:
    return [f["id"] for f in _results(catalog, content)]


def _results(catalog: Catalog, content: str) -> list[dict]:
    """The faces of one content as ``show --json`` prints them."""
    from photosorter.core.catalog.analysis import results_for

    return [face.to_json() for face in results_for(catalog, content).faces]


@pytest.fixture
def catalog(home):
    with Library.open(home) as library:
        yield library.catalog


def test_faces_of_one_person_share_a_cluster_and_strangers_do_not(catalog: Catalog) -> None:
    for n in range(3):
        add_photo(catalog, f"a{n}", vector("alice", 0.15, n))
        add_photo(catalog, f"b{n}", vector("bob", 0.15, 10 + n))
    report = faces.cluster_new_faces(catalog)
    assert report.new_clusters == 2
    entries = faces.overview(catalog)
    assert sorted(e.face_count for e in entries) == [3, 3]
    # incremental: a new face joins the existing cluster
    add_photo(catalog, "a9", vector("alice", 0.15, 99))
    report = faces.cluster_new_faces(catalog)
    assert report.joined == 1 and report.new_clusters == 0
    assert faces.cluster_new_faces(catalog).faces == 0  # nothing new: nothing to do


def test_one_groups_faces_are_those_the_overview_lists_for_it(catalog: Catalog) -> None:
    for n in range(4):
        add_photo(catalog, f"a{n}", vector("alice", 0.15, n))
        add_photo(catalog, f"b{n}", vector("bob", 0.15, 10 + n))
    faces.cluster_new_faces(catalog)
    faces.name_face(catalog, face_ids(catalog, "a0")[0], "Alice")
    faces.set_hidden(catalog, "Alice")  # a hidden person's faces are still asked for by the page
    groups = faces.overview(catalog, include_hidden=True)
    assert sorted(g.kind.value for g in groups) == ["cluster", "person"]
    for group in groups:
        assert len(group.faces) == group.face_count == 4
        assert faces.faces_of_group(catalog, group.ref, 3) == list(group.faces[:3])
        assert faces.faces_of_group(catalog, group.ref, 10) == list(group.faces)
    person = next(g for g in groups if g.kind is GroupKind.PERSON)
    assert (
        person.to_json()["id"] == "p1" and person.faces[0].to_json()["box"] == person.faces[0].box.to_dict()
    )


def test_low_quality_faces_are_kept_but_not_clustered(catalog: Catalog) -> None:
    add_photo(catalog, "a0", vector("alice", 0.1, 1))
    add_photo(catalog, "a1", vector("alice", 0.1, 2), confidence=80.0)
    report = faces.cluster_new_faces(catalog)
    assert report.skipped_quality == 1
    assert [e.face_count for e in faces.overview(catalog)] == [1]
    assert len(face_ids(catalog, "a1")) == 1


def test_two_faces_of_one_photo_never_share_a_cluster(catalog: Catalog) -> None:
    add_photo(catalog, "twins", vector("alice", 0.1, 1), vector("alice", 0.1, 2))
    faces.cluster_new_faces(catalog)
    assert [e.face_count for e in faces.overview(catalog)] == [1, 1]


def test_naming_a_face_names_its_cluster_and_finds_new_faces(catalog: Catalog) -> None:
    for n in range(3):
        add_photo(catalog, f"a{n}", vector("alice", 0.15, n))
    faces.cluster_new_faces(catalog)
    first = face_ids(catalog, "a0")[0]
    result = faces.name_face(catalog, first, "Alice")
    assert result.named == 3
    by = {f["id"]: f["assigned_by"] for n in range(3) for f in _results(catalog, f"a{n}")}
    assert by[first] == "manual" and sorted(by.values()) == ["auto", "auto", "manual"]
    add_photo(catalog, "a_new", vector("alice", 0.15, 50))  # close: assigned automatically
    add_photo(catalog, "a_far", vector("alice", MIDDLE_BAND, 51))  # middle band: a suggestion
    report = faces.cluster_new_faces(catalog)
    assert report.auto_assigned == 1 and report.suggested == 1
    assert _results(catalog, "a_new")[0]["person"] == "Alice"
    assert [s.name for s in faces.suggestions(catalog)] == ["Alice"]


def test_a_rejected_suggestion_is_never_made_again(catalog: Catalog) -> None:
    add_photo(catalog, "a0", vector("alice", 0.1, 1))
    faces.cluster_new_faces(catalog)
    faces.name_face(catalog, face_ids(catalog, "a0")[0], "Alice")
    add_photo(catalog, "maybe", vector("alice", MIDDLE_BAND, 2))
    faces.cluster_new_faces(catalog)
    (suggestion,) = faces.suggestions(catalog)
    faces.reject(catalog, suggestion.face.id)
    assert faces.suggestions(catalog) == []
    faces.recluster(catalog)
    add_photo(catalog, "a1", vector("alice", 0.1, 3))
    faces.cluster_new_faces(catalog)
    faces.name_face(catalog, face_ids(catalog, "a1")[0], "Alice")
    assert faces.suggestions(catalog) == []


def test_accepting_a_suggestion_marks_the_face(catalog: Catalog) -> None:
    add_photo(catalog, "a0", vector("alice", 0.1, 1))
    add_photo(catalog, "maybe", vector("alice", MIDDLE_BAND, 2))
    faces.cluster_new_faces(catalog)
    faces.name_face(catalog, face_ids(catalog, "a0")[0], "Alice")
    (suggestion,) = faces.suggestions(catalog)
    faces.accept(catalog, suggestion.face.id)
    assert _results(catalog, "maybe")[0]["assigned_by"] == "suggestion"
    faces.recluster(catalog)
    assert _results(catalog, "maybe")[0]["assigned_by"] == "suggestion"


def test_manual_faces_are_never_changed_by_automation(catalog: Catalog) -> None:
    add_photo(catalog, "a0", vector("alice", 0.1, 1))
    add_photo(catalog, "b0", vector("bob", 0.1, 2))
    faces.cluster_new_faces(catalog)
    faces.name_face(catalog, face_ids(catalog, "a0")[0], "Alice")
    faces.name_face(catalog, face_ids(catalog, "b0")[0], "Alice")  # a user mistake, by hand
    faces.name_face(catalog, face_ids(catalog, "a0")[0], "Bob")
    faces.recluster(catalog)
    faces.cluster_new_faces(catalog)
    assert _results(catalog, "b0")[0] | {} and _results(catalog, "b0")[0]["person"] == "Alice"
    assert _results(catalog, "a0")[0]["person"] == "Bob"


def test_merge_split_move_hide_and_undo(catalog: Catalog) -> None:
    for n in range(2):
        add_photo(catalog, f"a{n}", vector("alice", 0.1, n))
        add_photo(catalog, f"b{n}", vector("bob", 0.1, 10 + n))
    faces.cluster_new_faces(catalog)
    faces.name_face(catalog, face_ids(catalog, "a0")[0], "Alice")
    faces.name_face(catalog, face_ids(catalog, "b0")[0], "Bob")
    faces.merge(catalog, "Bob", "Alice")
    people = [e for e in faces.overview(catalog) if e.kind is GroupKind.PERSON]
    assert [(p.name, p.face_count) for p in people] == [("Alice", 4)]
    faces.undo(catalog)
    people = {e.name: e.face_count for e in faces.overview(catalog) if e.kind is GroupKind.PERSON}
    assert people == {"Alice": 2, "Bob": 2}
    stray = face_ids(catalog, "b1")[0]
    faces.move_face(catalog, stray, "Alice")
    assert _results(catalog, "b1")[0]["person"] == "Alice"
    faces.remove_face(catalog, stray)  # split: it becomes its own cluster, never re-assigned to Alice
    faces.cluster_new_faces(catalog)
    faces.recluster(catalog)
    assert _results(catalog, "b1")[0]["person"] is None
    faces.undo(catalog)
    assert _results(catalog, "b1")[0]["person"] == "Alice"
    faces.rename(catalog, "Alice", "Alicia")
    faces.set_hidden(catalog, "Alicia")
    assert [e.name for e in faces.overview(catalog) if e.kind is GroupKind.PERSON] == ["Bob"]
    assert faces.undo(catalog) == "hide 'Alicia'"
    assert faces.undo(catalog) == "rename 'Alice'"
    assert faces.person(catalog, "alice").name == "Alice"
    with pytest.raises(PhotosorterError):
        faces.rename(catalog, "Alice", "bob")


def test_forget_a_person_and_everything(catalog: Catalog) -> None:
    add_photo(catalog, "a0", vector("alice", 0.1, 1))
    add_photo(catalog, "b0", vector("bob", 0.1, 2))
    faces.cluster_new_faces(catalog)
    faces.name_face(catalog, face_ids(catalog, "a0")[0], "Alice")
    faces.name_face(catalog, face_ids(catalog, "b0")[0], "Bob")
    assert faces.forget(catalog, "Alice") == 1
    conn = catalog.connection()
    assert conn.execute("SELECT embedding, person_id FROM faces WHERE hash = 'a0'").fetchall() == [
        (None, None)
    ]
    assert conn.execute("SELECT count(*) FROM people_undo").fetchone()[0] == 0
    with pytest.raises(PhotosorterError):
        faces.person(catalog, "Alice")
    faces.forget_all(catalog)
    assert conn.execute("SELECT count(*) FROM faces WHERE embedding IS NOT NULL").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM people").fetchone()[0] == 0
    assert faces.overview(catalog) == []


def test_cli_people_json_and_commands(cli, home) -> None:
    with Library.open(home) as library:
        for n in range(2):
            add_photo(library.catalog, f"a{n}", vector("alice", 0.1, n))
        add_photo(library.catalog, "maybe", vector("alice", MIDDLE_BAND, 5))
        faces.cluster_new_faces(library.catalog)
    listing = cli("people", "--json")
    assert listing.code == 0
    entry = listing.json()[0]
    assert set(entry) >= {"id", "name", "kind", "face_count", "photo_count", "faces"}
    assert entry["kind"] == "cluster" and entry["id"].startswith("c")
    assert set(entry["faces"][0]) >= {"id", "path", "box"}
    assert cli("people", "name", entry["id"], "Alice").code == 0
    person = cli("people", "--json").json()[0]
    assert (person["kind"], person["name"], person["id"]) == ("person", "Alice", "p1")
    suggestions = cli("people", "suggestions", "--json").json()
    assert [s["name"] for s in suggestions] == ["Alice"]
    assert cli("people", "reject", str(suggestions[0]["face"])).code == 0
    assert cli("people", "reject", str(suggestions[0]["face"])).code == 1
    assert cli("people", "rename", "p1", "Alicia").code == 0
    assert cli("people", "undo").code == 0
    assert cli("people", "hide", "Alice").code == 0
    assert cli("people", "--json").json()[0]["kind"] == "cluster"
    failed = cli("people", "move", "x1", "Alice")
    assert failed.code == 1 and failed.err.count("\n") == 1
    assert cli("people", "forget").code == 2
    assert cli("people", "merge").code == 2
    assert cli("people", "forget", "--all").code == 0
    assert cli("people", "--json").json() == []


def test_forget_all_faces_leaves_no_face_data_nor_search_term_and_no_rerun(home, photo_folder) -> None:
    from photosorter.core.catalog.analysis import pending, results_for
    from photosorter.core.jobs import run_to_end
    from photosorter.core.search.engine import search

    with Library.open(home) as library:
        library.add_folder(photo_folder)
        run_to_end(library.scan())
        catalog = library.catalog
        conn = catalog.connection()
        hashes = sorted({h for (h,) in conn.execute("SELECT hash FROM photos WHERE state = 'ok'")})
        attributes = {
            "gender": {"value": "Male", "confidence": 99.0},
            "smile": {"value": True, "confidence": 97.0},
            "age_range": {"low": 30, "high": 40},
            "emotions": [{"type": "HAPPY", "confidence": 95.0}],
        }
        for n, content in enumerate(hashes):
            face = Face(
                Box(0.1, 0.1, 0.2, 0.2), 99.0, attributes=attributes, embedding=vector("alice", 0.1, n)
            )
            result = AnalysisResult(
                "local", frozenset({Feature.FACES}), faces=(face,), raw={"faces": [{"x": 1}]}
            )
            store_result(catalog, content, result, {Feature.FACES: "test"})
        faces.cluster_new_faces(catalog)
        faces.name_face(catalog, face_ids(catalog, hashes[0])[0], "Alice")
        queries = ("male", "smiling", "happy", 'person:"Alice"', "faces:1")
        assert all(search(catalog, query) for query in queries)

        deleted = faces.forget_all(catalog)

        assert (deleted.faces, deleted.photos, deleted.people) == (len(hashes), len(hashes), 1)
        assert deleted.describe().startswith(
            f"Deleted {len(hashes)} faces on {len(hashes)} photos and 1 person"
        )
        for table in ("faces", "people", "face_suggestions", "face_rejections", "people_undo"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
        assert conn.execute(
            "SELECT count(*) FROM analyses WHERE raw IS NOT NULL AND feature = 'faces'"
        ).fetchone() == (0,)
        for query in queries:
            assert search(catalog, query) == [], query
        assert all(results_for(catalog, h).faces == () for h in hashes)
        # no automatic run finds them again: the faces analysis stays done until the user asks
        assert pending(catalog, "local", {Feature.FACES: "test"})[0] == []
        # ... until asked: `analyze --refresh` redoes them, as the message says
        again = pending(catalog, "local", {Feature.FACES: "test"}, refresh=True)[0]
        assert {p.hash for p in again} == set(hashes) and "--refresh" in deleted.describe()
        assert faces.analyze_faces_again(catalog) == len(hashes)
        assert {p.hash for p in pending(catalog, "local", {Feature.FACES: "test"})[0]} == set(hashes)
