"""The search engine answers exactly what a plain evaluator over the rows answers (search_reference.py).

Catalogs are written through the real write paths (scanner rows, stored analysis results, people), and
changed between queries, so the stale marks, the in-memory derivation, segments and their merges are
all on the path being compared.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from photosorter.core.analysis.types import Label, TextLine
from photosorter.core.catalog import Catalog, search_store
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.records import VideoFacts
from photosorter.core.search import SearchError, search, search_ids
from search_reference import Reference
from test_search_catalog import add_photo, face, facts, store

LABELS = {
    "Dog": (("Animal", "Pet"), ("Puppy",), ("Animals and Pets",)),
    "Cat": (("Animal", "Pet"), ("Kitty",), ("Animals and Pets",)),
    "Beach": ((), ("Shore",), ("Travel",)),
    "Sea": (("Water",), (), ("Travel",)),
    "Golden Retriever": (("Dog", "Animal"), (), ()),
    "Tree": (("Plant",), (), ("Nature",)),
}
TEXTS = ["STOP", "Musée du LOUVRE", "stop here", "Happy Birthday", "dogs only"]
FOLDERS = ["trips", "home", "stop", "new york", "2019"]
PEOPLE = ["Alice Smith", "Bob", "Alice Jones"]
QUERIES = [
    "dog",
    "dogs",
    "animal",
    "puppy",
    "label:cat|dog",
    "dog beach",
    "animal -dog",
    "dog|cat beach -sea",
    "animal smiling",
    "label:cat|dog camera:canon",
    "camera:canon|nikon",
    'camera:"eos 5d"',
    "has:text dog",
    "stop",
    'text:"stop"',
    'text:"stop here"',
    "stop dog",
    "folder:trips",
    'folder:"new york"',
    "folder:trips dog",
    "trips",
    "beach -folder:trips",
    "dog -stop",
    "faces:>=2 person:alice",
    "faces:0",
    "-faces:0",
    "faces:<2|>=3",
    "is:unnamed|duplicate",
    "person:alice|bob animal",
    'person:"alice smith"',
    "alice",
    "smiling happy -is:unnamed",
    '"golden retriever"',
    "golden",
    "retrievers",
    "after:2020",
    "before:2020-02 dog",
    "date:2019|2021-03",
    "-dog -cat",
    "",
    "kitty|shore",
    "musee",
    "louvre du",
    "birthday -has:faces",
    "travel",
    "label:animals",
    "type:video",
    "type:photo dog",
    "-type:video",
    "type:video|photo",
    "duration:>30s",
    "duration:<=1m|>2m",
    "duration:0:30",
    "type:video -duration:<10s",
    "-duration:>=1.5m animal",
    "duration:>=1h",
]


def _build(path: Path, rng: random.Random, photos: int) -> Catalog:
    catalog = Catalog(path)
    folder = photo_rows.add_folder(catalog, "/lib")
    with catalog.transaction() as conn:
        conn.executemany("INSERT INTO people (name, created_at) VALUES (?, 'now')", [(p,) for p in PEOPLE])
    for i in range(photos):
        _photo(catalog, folder, rng, i)
    return catalog


def _photo(catalog: Catalog, folder, rng: random.Random, i: int) -> int:
    # few dates, few scores: many ties, so the date and id tie-breaks are exercised
    taken = None if rng.random() < 0.1 else f"20{rng.choice(('19', '20', '21'))}-0{rng.randint(1, 3)}-01"
    content = f"h{rng.randrange(max(1, i))}" if rng.random() < 0.15 else f"h{i}"
    camera = rng.choice(("Canon", "Nikon", None))
    where = rng.choice(FOLDERS)
    if rng.random() < 0.3:  # a video, of a length often at the filters' edges
        seconds = rng.choice((None, 0.4, 9.5, 10.0, 29.5, 30.0, 30.4, 60.0, 89.6, 125.0, 3600.0))
        photo_id = add_video(catalog, folder, f"/lib/{where}/VID_{i}.mp4", content, taken, seconds)
    else:
        photo_id = add_photo(catalog, folder, f"/lib/{where}/IMG_{i}.jpg", content, taken, camera)
    _analyse(catalog, rng, content)
    return photo_id


def add_video(catalog: Catalog, folder, path: str, content: str, taken: str | None, seconds) -> int:
    video = VideoFacts(duration_s=seconds, fps=30.0, codec="H.264", rotation=0)
    with catalog.transaction() as conn:
        return photo_rows.insert_photo(
            conn, folder.id, path, Path(path).name, replace(facts(content, taken), video=video)
        )


def _analyse(catalog: Catalog, rng: random.Random, content: str) -> None:
    labels = [
        Label(name, rng.choice((60.0, 75.5, 75.5, 90.0)), *LABELS[name])
        for name in rng.sample(sorted(LABELS), rng.randint(0, 3))
    ]
    text = [TextLine(rng.choice(TEXTS), rng.choice((80.0, 95.5))) for _ in range(rng.choice((0, 0, 1, 2)))]
    faces = [
        face(
            smile={"value": rng.random() < 0.5, "confidence": rng.choice((70.0, 93.0))},
            emotions=[{"type": rng.choice(("HAPPY", "CALM")), "confidence": rng.choice((40.0, 80.0))}],
        )
        for _ in range(rng.choice((0, 0, 1, 2, 3)))
    ]
    store(catalog, content, labels, text, faces)


def _change(catalog: Catalog, rng: random.Random) -> None:
    """One write of the kinds the app makes: re-analysis, naming faces, moving, hiding, deleting, adding."""
    ids = [r[0] for r in catalog.connection().execute("SELECT id FROM photos")]
    if not ids:
        _photo(catalog, photo_rows.folders(catalog)[0], rng, 10_000 + rng.randrange(10**9))
        return
    pick = rng.choice(ids)
    what = rng.randrange(8)
    with catalog.transaction() as conn:
        if what == 0:
            conn.execute(
                "UPDATE faces SET person_id = ? WHERE id IN (SELECT id FROM faces ORDER BY random() LIMIT 2)",
                (rng.randint(1, len(PEOPLE)),),
            )
        elif what == 1:
            photo_rows.move_photo(
                conn, pick, 1, f"/lib/{rng.choice(FOLDERS)}/moved_{pick}.jpg", f"moved_{pick}.jpg"
            )
        elif what == 2:
            photo_rows.mark_missing(conn, [pick])
        elif what == 3:
            photo_rows.delete_photo(conn, pick)
        elif what == 4:
            conn.execute(
                "UPDATE photos SET taken_at = ?, camera_make = ? WHERE id = ?", ("2021-03-01", "Nikon", pick)
            )
        elif what == 5:
            conn.execute("UPDATE people SET name = ? WHERE id = 2", (rng.choice(("Bob", "Robert Alice")),))
        elif what == 7:  # a rescan found the file's content is now a video (or another one)
            conn.execute(
                "UPDATE photos SET media = 'video', duration_s = ? WHERE id = ?",
                (rng.choice((5.0, 45.0)), pick),
            )
    if what == 6:
        content = catalog.connection().execute("SELECT hash FROM photos WHERE id = ?", (pick,)).fetchone()[0]
        _analyse(catalog, rng, content)


def _check(catalog: Catalog, query: str) -> None:
    expected = Reference(catalog.connection()).search(query)
    try:
        ids = search_ids(catalog, query)
    except SearchError:
        return
    assert ids == [photo_id for photo_id, _ in expected], query
    hits = search(catalog, query)
    assert [(h.photo_id, h.score) for h in hits] == expected, query
    if query.strip() and "-" not in query and "faces:" not in query:  # a hit always says why, if asked
        assert all(h.why for h in hits), query
    assert [h.photo_id for h in search(catalog, query, limit=3)] == ids[:3], query


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Catalog:
    catalog = _build(tmp_path_factory.mktemp("reference") / "catalog.db", random.Random(5), 60)
    yield catalog
    catalog.close()


@pytest.mark.parametrize("query", QUERIES)
def test_engine_answers_what_the_reference_answers(catalog, query) -> None:
    _check(catalog, query)


@pytest.mark.parametrize("flush_at", [1, 4, 100_000])
def test_after_every_kind_of_write(tmp_path: Path, monkeypatch, flush_at: int) -> None:
    monkeypatch.setattr(search_store, "FLUSH_MARKS", flush_at)
    rng = random.Random(flush_at)
    catalog = _build(tmp_path / "catalog.db", rng, 25)
    for step in range(40):
        _change(catalog, rng)
        if step % 4 == 0:
            _photo(catalog, photo_rows.folders(catalog)[0], rng, 100 + step)
        for query in rng.sample(QUERIES, 3):
            _check(catalog, query)
    catalog.close()


KEYS = st.sampled_from(["", "", "", "-", "label:", "person:", "text:", "folder:", "camera:", "-label:"])
VALUES = st.sampled_from(
    [
        "dog",
        "dogs",
        "animal",
        "cat",
        "stop",
        "alice",
        "smith",
        "trips",
        "canon",
        '"alice smith"',
        "kitty",
        "musee",
        '"stop here"',
        "beach",
        "happy",
        "smiling",
        "zebra",
        "2019",
        "retriever",
        '"new york"',
    ]
)
FILTER_TERMS = st.sampled_from(
    [
        "faces:0",
        "faces:>=2",
        "-faces:1",
        "has:text",
        "has:faces",
        "is:unnamed",
        "is:duplicate",
        "after:2020",
        "before:2021",
        "date:2019-02",
        "-has:text",
        "type:video",
        "-type:photo",
        "duration:>30s",
        "duration:<10s|>=1m",
    ]
)
TERM = st.one_of(
    st.builds(lambda k, v, w: k + v + ("|" + w if w else ""), KEYS, VALUES, st.one_of(st.just(""), VALUES)),
    FILTER_TERMS,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    flush_at=st.sampled_from([1, 3, 100_000]),
    queries=st.lists(st.lists(TERM, min_size=1, max_size=4).map(" ".join), min_size=1, max_size=6),
)
def test_random_catalogs_writes_and_queries(tmp_path_factory, seed: int, flush_at: int, queries) -> None:
    rng = random.Random(seed)
    original = search_store.FLUSH_MARKS
    search_store.FLUSH_MARKS = flush_at
    try:
        catalog = _build(tmp_path_factory.mktemp("random") / "catalog.db", rng, rng.randint(1, 15))
        for query in queries:
            _check(catalog, query)
            _change(catalog, rng)
            _check(catalog, query)
        catalog.close()
    finally:
        search_store.FLUSH_MARKS = original
