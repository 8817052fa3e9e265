"""Search over a real catalog, populated through the real write paths so the index triggers are exercised."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature, Label, TextLine
from photosorter.core.catalog import Catalog, search_store
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.analysis import store_result
from photosorter.core.catalog.search_index import snapshot
from photosorter.core.errors import CatalogError
from photosorter.core.records import Folder, ImageFacts
from photosorter.core.search import (
    SearchError,
    category_counts,
    completions,
    label_counts,
    search,
    search_ids,
)

VERSIONS = dict.fromkeys(Feature, "test-1")
BOX = Box(0.1, 0.1, 0.2, 0.2)


def facts(content_hash: str, taken_at: str | None, camera: str | None = None) -> ImageFacts:
    return ImageFacts(1, 1, content_hash, "JPEG", 10, 10, taken_at, "exif", camera, None, None, None, None)


def add_photo(
    catalog: Catalog, folder, path: str, content_hash: str, taken_at: str | None, camera=None
) -> int:
    with catalog.transaction() as conn:
        return photo_rows.insert_photo(
            conn, folder.id, path, Path(path).name, facts(content_hash, taken_at, camera)
        )


def store(catalog, content_hash, labels=(), text=(), faces=()):
    features = frozenset({Feature.LABELS, Feature.TEXT, Feature.FACES})
    result = AnalysisResult("local", features, labels=tuple(labels), text=tuple(text), faces=tuple(faces))
    store_result(catalog, content_hash, result, VERSIONS)


def face(**attributes) -> Face:
    return Face(BOX, 99.0, attributes=attributes)


@pytest.fixture
def catalog(tmp_path: Path):
    catalog = Catalog(tmp_path / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/lib")
    ids = {
        "cat": add_photo(
            catalog, folder, "/lib/trips/paris/cat.jpg", "h-cat", "2020-01-15T10:00:00", "Canon"
        ),
        "dog": add_photo(catalog, folder, "/lib/home/dog.jpg", "h-dog", "2021-03-02T08:00:00", "Apple"),
        "louvre": add_photo(
            catalog, folder, "/lib/trips/paris/louvre.jpg", "h-louvre", "2019-07-04T12:00:00"
        ),
        "party": add_photo(catalog, folder, "/lib/party/group.jpg", "h-party", "2019-12-31T23:00:00"),
        "copy": add_photo(catalog, folder, "/lib/backup/cat-copy.jpg", "h-cat", "2020-01-15T10:00:00"),
    }
    animal = ("Animal", "Mammal", "Pet")
    store(catalog, "h-cat", [Label("Cat", 97.2, animal, ("Kitty",), ("Animals and Pets",))])
    store(catalog, "h-dog", [Label("Dog", 88.0, animal, (), ("Animals and Pets",)), Label("Beach", 70.0)])
    store(
        catalog, "h-louvre", [Label("Museum", 80.0, ("Building",))], text=[TextLine("Musée du LOUVRE", 95.0)]
    )
    store(
        catalog,
        "h-party",
        [Label("Person", 99.0)],
        text=[TextLine("STOP", 90.0)],
        faces=[
            face(smile={"value": True, "confidence": 93.0}, emotions=[{"type": "HAPPY", "confidence": 90.0}]),
            face(eyeglasses={"value": True, "confidence": 80.0}),
            face(),
        ],
    )
    with catalog.transaction() as conn:
        conn.execute("INSERT INTO people (name, created_at) VALUES ('Alice Smith', 'now')")
        conn.execute("UPDATE faces SET person_id = 1 WHERE idx = 0 AND hash = 'h-party'")
    catalog.ids = ids
    yield catalog
    catalog.close()


def names(catalog, query) -> list[str]:
    by_id = {v: k for k, v in catalog.ids.items()}
    return [by_id[i] for i in search_ids(catalog, query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cat", ["copy", "cat"]),
        ("CATS", ["copy", "cat"]),
        ("kitty", ["copy", "cat"]),
        ("animal", ["copy", "cat", "dog"]),
        ("animals", ["copy", "cat", "dog"]),
        ("label:dog", ["dog"]),
        ("label:cat|dog", ["copy", "cat", "dog"]),
        ("dog beach", ["dog"]),
        ("animal -dog", ["copy", "cat"]),
        ("-label:animal", ["party", "louvre"]),
        ("musee", ["louvre"]),
        ("louvre", ["louvre"]),
        ('text:"musée du louvre"', ["louvre"]),
        ('text:"du musee"', []),
        ('text:"stop"', ["party"]),
        ('person:"Alice Smith"', ["party"]),
        ("person:alice", ["party"]),
        ("alice", ["party"]),
        ("folder:trips", ["cat", "louvre"]),
        ("folder:paris -musee", ["cat"]),
        ("camera:canon", ["cat"]),
        ("after:2020-01", ["dog", "copy", "cat"]),
        ("after:2020-02", ["dog"]),
        ("before:2020", ["party", "louvre"]),
        ("date:2019-07", ["louvre"]),
        ("date:2019-07-04", ["louvre"]),
        ("date:2019|2021", ["dog", "party", "louvre"]),
        ("faces:>=3", ["party"]),
        ("faces:3", ["party"]),
        ("faces:>3", []),
        ("faces:0", ["dog", "copy", "cat", "louvre"]),
        ("faces:<2", ["dog", "copy", "cat", "louvre"]),
        ("-faces:0", ["party"]),
        ("has:text", ["party", "louvre"]),
        ("has:faces", ["party"]),
        ("-has:text", ["dog", "copy", "cat"]),
        ("is:duplicate", ["copy", "cat"]),
        ("is:unnamed", ["party"]),
        ("smiling", ["party"]),
        ("happy", ["party"]),
        ("eyeglasses", ["party"]),
        ("sunglasses", []),
        ("zebra", []),
        ("!!!", ["dog", "copy", "cat", "party", "louvre"]),
        ("", ["dog", "copy", "cat", "party", "louvre"]),
    ],
)
def test_queries(catalog, query, expected) -> None:
    assert names(catalog, query) == expected


def test_ranking_and_why(catalog) -> None:
    hits = search(catalog, "animal")
    assert [h.photo_id for h in hits][:2] == [
        catalog.ids["copy"],
        catalog.ids["cat"],
    ]  # a tie: newest id first
    assert hits[0].score == pytest.approx(97.2)
    assert hits[0].why == ("label Cat 97%",)
    assert hits[-1].why == ("label Dog 88%",)
    (louvre,) = search(catalog, "musee")
    assert louvre.why == ('text "Musée du LOUVRE"',)
    assert louvre.path == "/lib/trips/paris/louvre.jpg"
    (party,) = search(catalog, "alice smiling has:text")
    assert party.why == ("person Alice Smith", "face smiling 93%", "has:text")
    assert search(catalog, "animal", limit=1)[0].photo_id == catalog.ids["copy"]


def test_invisible_photos_are_never_results(catalog) -> None:
    with catalog.transaction() as conn:
        photo_rows.mark_missing(conn, [catalog.ids["copy"]])
    assert names(catalog, "cat") == ["cat"]
    assert names(catalog, "is:duplicate") == []
    with catalog.transaction() as conn:
        conn.execute("UPDATE photos SET state = 'error' WHERE id = ?", (catalog.ids["dog"],))
    assert names(catalog, "animal") == ["cat"]


def test_index_follows_renames_moves_reanalysis_and_deletes(catalog) -> None:
    with catalog.transaction() as conn:
        conn.execute("UPDATE people SET name = 'Alicia Keys' WHERE id = 1")
    assert names(catalog, "alicia") == ["party"]
    assert names(catalog, "alice") == []
    with catalog.transaction() as conn:
        conn.execute("UPDATE faces SET person_id = NULL")
    assert names(catalog, "alicia") == []
    with catalog.transaction() as conn:
        photo_rows.move_photo(conn, catalog.ids["dog"], 1, "/lib/trips/dog.jpg", "dog.jpg")
    assert names(catalog, "folder:trips") == ["dog", "cat", "louvre"]
    store(catalog, "h-dog", [Label("Horse", 91.0)])
    assert names(catalog, "label:dog") == []
    assert names(catalog, "dog") == ["dog"]  # its file name still says so
    assert names(catalog, "horse") == ["dog"]
    with catalog.transaction() as conn:
        photo_rows.delete_photo(conn, catalog.ids["copy"])
    assert names(catalog, "cat") == ["cat"]
    assert names(catalog, "is:duplicate") == []


def test_counts_are_exact_and_follow_changes(catalog) -> None:
    counts = {c.name: (c.count, c.categories) for c in label_counts(catalog)}
    assert counts["Cat"] == (2, ("Animals and Pets",))
    assert counts["Animal"][0] == 3
    assert dict(category_counts(catalog)) == {"Animals and Pets": 3}
    with catalog.transaction() as conn:
        photo_rows.mark_missing(conn, [catalog.ids["copy"]])
    assert {c.name: c.count for c in label_counts(catalog)}["Cat"] == 1


def test_completions(catalog) -> None:
    assert completions(catalog, "ani")[:1] == ["Animal"]
    assert "label:" in completions(catalog, "la")
    assert completions(catalog, "dog person:al") == ['dog person:"Alice Smith"']
    assert completions(catalog, "has:t") == ["has:text"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("colour:red", "unknown search key 'colour:'"),
        ("after:2020-13", "bad date '2020-13'"),
        ("date:yesterday", "bad date"),
        ('text:"stop', "unbalanced quote"),
        ("faces:many", "bad count"),
        ("has:legs", "valid: has:text, has:faces"),
        ("label:", "label: needs a value"),
        ("label:!!!", "needs a word"),
    ],
)
def test_bad_queries(catalog, query, message) -> None:
    with pytest.raises(SearchError) as error:
        search(catalog, query)
    assert message in str(error.value)
    if "unknown" in message:
        assert "label:, text:, person:" in str(error.value)


def test_migration_indexes_existing_rows(tmp_path: Path) -> None:
    """A v1 catalog that already has analysis gets an index built for it when it is upgraded."""
    import sqlite3

    from photosorter.core.catalog import schema

    path = tmp_path / "v1.db"
    with sqlite3.connect(path, isolation_level=None) as conn:
        schema.STEPS[0](conn)
        conn.execute("PRAGMA user_version = 1")
        now = "2020-01-01T00:00:00"
        conn.execute("INSERT INTO folders (id, path, added_at) VALUES (1, '/lib', ?)", (now,))
        conn.execute(
            "INSERT INTO photos (id, folder_id, path, name, hash, taken_at, state, updated_at)"
            " VALUES (1, 1, '/lib/a.jpg', 'a.jpg', 'h-a', '2020-01-01', 'ok', ?),"
            " (2, 1, '/lib/b.jpg', 'b.jpg', 'h-b', '2020-01-02', 'ok', ?)",
            (now, now),
        )
        conn.execute(
            "INSERT INTO labels (hash, backend, name, confidence) VALUES ('h-a', 'local', 'Cat', 90)"
        )
        conn.execute(
            "INSERT INTO labels (hash, backend, name, confidence) VALUES ('h-b', 'local', 'Cat', 80)"
        )
        conn.execute(
            "INSERT INTO text_lines (hash, backend, line, text, confidence) VALUES (?, ?, ?, ?, ?)",
            ("h-a", "local", 0, "Café", 90.0),
        )
    conn.close()

    catalog = Catalog(path)
    assert catalog.scalar("PRAGMA user_version") == schema.SCHEMA_VERSION
    assert search_ids(catalog, "cafe cat") == [1]
    assert search_ids(catalog, "label:cat") == [1, 2]
    catalog.close()


def _rebuild(catalog) -> None:
    search_store.rebuild(catalog)


@pytest.mark.parametrize("flush_at", [1, 3, 100_000])
def test_upkeep_keeps_the_index_equal_to_a_rebuild(catalog, monkeypatch, flush_at) -> None:
    """Stale marks, in-memory derivation, segments and their merges answer what a rebuild answers.

    ``flush_at`` 1 writes a segment at every search (and merges them), 100,000 keeps it all in memory.
    """
    monkeypatch.setattr(search_store, "FLUSH_MARKS", flush_at)
    animal = ("Animal", "Pet")
    # two labels naming the same parent with different scores, then re-analysis dropping the better one
    store(catalog, "h-dog", [Label("Dog", 88.0, animal), Label("Corgi", 95.0, animal), Label("Beach", 70.0)])
    assert names(catalog, "corgi") == ["dog"]
    store(catalog, "h-dog", [Label("Dog", 60.0, animal), Label("Sand", 50.0, (), (), ("Nature",))])
    assert names(catalog, "corgi") == []
    # a backend naming one label twice: the table and the index must agree on the better score
    store(catalog, "h-louvre", [Label("Museum", 80.0, ("Building",)), Label("Museum", 40.0)], text=[])
    assert names(catalog, "musee") == []
    store(catalog, "h-party", [Label("Person", 99.0)], faces=[face(), face(smile={"value": True})])
    with catalog.transaction() as conn:
        conn.execute("UPDATE photos SET camera_make = 'Nikon', taken_at = '2018-01-01' WHERE id = ?", (2,))
        photo_rows.mark_missing(conn, [catalog.ids["copy"]])
    assert names(catalog, "camera:nikon") == ["dog"]
    catalog.ids["dog2"] = add_photo(
        catalog, Folder(1, "/lib", True), "/lib/new/dog2.jpg", "h-dog", "2022-01-01T00:00:00", "Canon"
    )
    with catalog.transaction() as conn:
        photo_rows.delete_photo(conn, catalog.ids["louvre"])
        conn.execute("UPDATE people SET name = 'Alicia' WHERE id = 1")
    before = snapshot(catalog)
    _rebuild(catalog)
    assert snapshot(catalog) == before
    assert names(catalog, "label:animal") == ["cat", "dog2", "dog"]
    assert search(catalog, "label:animal")[1].why == ("label Dog 60%",)
    assert names(catalog, "camera:nikon") == ["dog"]
    assert names(catalog, "camera:canon") == ["dog2", "cat"]
    assert names(catalog, "is:duplicate") == ["dog2", "dog"]
    assert names(catalog, "folder:new") == ["dog2"]
    assert search(catalog, "label:person")[0].why == ("label Person 99%",)


def test_a_second_process_sees_every_write(tmp_path: Path, monkeypatch) -> None:
    """Another catalog object (another process) writes and flushes: this one's arrays follow."""
    monkeypatch.setattr(search_store, "FLUSH_MARKS", 2)
    first = Catalog(tmp_path / "catalog.db")
    folder = photo_rows.add_folder(first, "/lib")
    a = add_photo(first, folder, "/lib/a.jpg", "h-a", "2020-01-01")
    store(first, "h-a", [Label("Dog", 80.0)])
    assert search_ids(first, "dog") == [a]
    other = Catalog(tmp_path / "catalog.db")
    b = add_photo(other, folder, "/lib/b.jpg", "h-b", "2021-01-01")
    store(other, "h-b", [Label("Dog", 90.0), Label("Beach", 50.0)])
    assert search_ids(other, "dog") == [b, a]  # flushed a segment
    store(other, "h-a", [Label("Dog", 95.0)])
    assert search_ids(first, "dog") == [a, b]
    assert search_ids(first, "dog -beach") == [a]
    other.close()
    first.close()


@pytest.mark.parametrize(
    "query",
    [
        "animal",
        "label:cat|dog",
        "animal -dog",
        "dog beach",
        "cat|louvre",
        "faces:<2",
        "-faces:0",
        "has:text|faces",
    ],
)
def test_ids_come_in_the_order_of_ranked_hits(catalog, query) -> None:
    ids = search_ids(catalog, query)
    assert ids == [hit.photo_id for hit in search(catalog, query)]
    assert [hit.photo_id for hit in search(catalog, query, limit=2)] == ids[:2]


def test_a_locked_catalog_keeps_the_stale_photos_in_memory(tmp_path: Path, monkeypatch) -> None:
    """Writing a segment is opportunistic: while another process writes, search answers from memory."""
    import sqlite3

    monkeypatch.setattr(search_store, "FLUSH_MARKS", 1)
    catalog = Catalog(tmp_path / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/lib")
    a = add_photo(catalog, folder, "/lib/a.jpg", "h-a", "2020-01-01")
    store(catalog, "h-a", [Label("Dog", 80.0)])
    other = sqlite3.connect(tmp_path / "catalog.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a scan holding the write lock
    assert search_ids(catalog, "dog") == [a]
    assert catalog.scalar("SELECT count(*) FROM search_segments") == 0
    assert catalog.scalar("SELECT count(*) FROM search_stale") > 0
    other.execute("ROLLBACK")
    other.close()
    store(catalog, "h-a", [Label("Dog", 90.0), Label("Cat", 70.0)])
    assert search_ids(catalog, "dog cat") == [a]
    assert catalog.scalar("SELECT count(*) FROM search_segments") == 1
    assert catalog.scalar("SELECT count(*) FROM search_stale") == 0
    catalog.close()


def test_a_dropped_catalog_takes_its_search_index_with_it(tmp_path: Path) -> None:
    import gc
    import weakref

    catalog = Catalog(tmp_path / "catalog.db")
    search_ids(catalog, "dog")
    gone = weakref.ref(catalog)
    catalog.close()
    del catalog
    gc.collect()
    assert gone() is None


def test_a_writer_commits_while_the_first_search_builds_the_index(tmp_path: Path, monkeypatch) -> None:
    """The first search after the upgrade derives every photo without holding the write lock.

    A scan and an analysis in another process commit in the middle of that build without waiting at
    all (busy timeout 0), and what they wrote is found once the build is written.
    """
    catalog = Catalog(tmp_path / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/lib")
    a = add_photo(catalog, folder, "/lib/a.jpg", "h-a", "2020-01-01")
    store(catalog, "h-a", [Label("Dog", 80.0)])
    other = Catalog(tmp_path / "catalog.db")
    other.connection().execute("PRAGMA busy_timeout = 0")
    written: list[int] = []
    refused: list[str] = []
    derive = search_store.derive

    def derive_then_write_elsewhere(conn, photos):
        found = derive(conn, photos)
        if photos is None and not written and not refused:  # the whole catalog: the first search's build
            try:
                written.append(add_photo(other, folder, "/lib/b.jpg", "h-b", "2021-01-01"))
                store(other, "h-b", [Label("Dog", 90.0)])
                store(other, "h-a", [Label("Dog", 70.0), Label("Cat", 60.0)])
            except CatalogError as error:
                refused.append(str(error))
        return found

    monkeypatch.setattr(search_store, "derive", derive_then_write_elsewhere)
    monkeypatch.setattr(search_store, "FLUSH_MARKS", 1)
    dogs = search_ids(catalog, "dog")
    assert refused == []
    assert dogs == [written[0], a]
    assert search_ids(catalog, "cat") == [a]
    assert catalog.scalar("SELECT count(*) FROM search_segments") >= 1
    before = snapshot(catalog)
    _rebuild(catalog)
    assert snapshot(catalog) == before
    other.close()
    catalog.close()


def test_a_write_between_the_two_readers_snapshots_is_indexed(tmp_path: Path, monkeypatch) -> None:
    """A whole derivation reads the label rows on a second connection whose snapshot begins after the
    first's: a write committed in between is in one and not the other. Its stale marks come after
    the first snapshot, so what it changed is derived again and found."""
    from photosorter.core.catalog import search_derive

    catalog = Catalog(tmp_path / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/lib")
    a = add_photo(catalog, folder, "/lib/a.jpg", "h-a", "2020-01-01")
    store(catalog, "h-a", [Label("Dog", 80.0)])
    other = Catalog(tmp_path / "catalog.db")
    written: list[int] = []
    usual_labels = search_derive._usual_labels

    def write_then_read_labels(conn):
        if not written:  # before the label reader's first read: its snapshot holds the write
            written.append(add_photo(other, folder, "/lib/b.jpg", "h-b", "2021-01-01"))
            store(other, "h-b", [Label("Dog", 90.0)])
            store(other, "h-a", [Label("Cat", 60.0)])
        return usual_labels(conn)

    monkeypatch.setattr(search_derive, "_usual_labels", write_then_read_labels)
    search_store.rebuild(catalog)
    assert catalog.scalar("SELECT count(*) FROM search_stale") > 0  # the write's marks stay
    assert search_ids(catalog, "dog") == [written[0]]
    assert search_ids(catalog, "cat") == [a]
    before = snapshot(catalog)
    _rebuild(catalog)
    assert snapshot(catalog) == before
    other.close()
    catalog.close()


def test_a_rebuild_derives_again_when_another_process_wrote_a_segment_meanwhile(
    tmp_path: Path, monkeypatch
) -> None:
    """Another process flushes a segment (and drops the marks it derived) while a rebuild derives in
    its snapshot: writing that older derivation would lose the other's writes. The rebuild derives
    again, holding the write lock."""
    catalog = Catalog(tmp_path / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/lib")
    a = add_photo(catalog, folder, "/lib/a.jpg", "h-a", "2020-01-01")
    store(catalog, "h-a", [Label("Dog", 80.0)])
    other = Catalog(tmp_path / "catalog.db")
    rebuilds = 0
    derive = search_store.derive

    def derive_while_another_flushes(conn, photos):
        nonlocal rebuilds
        found = derive(conn, photos)
        if photos is None and conn is catalog.connection():
            rebuilds += 1
            if rebuilds == 1:
                store(other, "h-a", [Label("Cat", 60.0)])
                assert search_store.flush(other)
                assert other.scalar("SELECT count(*) FROM search_stale") == 0
        return found

    monkeypatch.setattr(search_store, "derive", derive_while_another_flushes)
    search_store.rebuild(catalog)
    assert rebuilds == 2
    assert search_ids(catalog, "cat") == [a]
    assert catalog.scalar("SELECT count(*) FROM search_segments") == 1
    other.close()
    catalog.close()


def test_labels_holding_the_reading_separators_are_indexed(catalog) -> None:
    """A rebuild joins each content's label rows with control characters; a name holding one is read
    again row by row, and its neighbours keep their own photo and score."""
    store(catalog, "h-cat", [Label("Odd\x1fname", 90.0, ("Pa\x1ert",)), Label("Tabby", 80.0)])
    assert names(catalog, "tabby") == ["copy", "cat"]
    assert search(catalog, "tabby")[0].why == ("label Tabby 80%",)
    before = snapshot(catalog)
    _rebuild(catalog)
    assert snapshot(catalog) == before
    assert names(catalog, "tabby") == ["copy", "cat"]


def test_a_label_named_alike_with_other_parents_keeps_its_own_terms_in_a_rebuild(catalog) -> None:
    """A rebuild reads a label row as its name alone when its parents, aliases and categories are one
    row's of that name; the rows that differ (another backend's hierarchy, a name holding the field
    separator) keep their own terms, as photo by photo."""
    store(catalog, "h-dog", [Label("Cat", 60.0, ("Toy",), ("Plush",), ("Games",)), Label("A\x1eB", 50.0)])
    store(catalog, "h-louvre", [Label("Cat", 55.0, ("Animal",)), Label("A\x1eB", 40.0, ("Mammal",))])
    before = snapshot(catalog)
    _rebuild(catalog)
    assert snapshot(catalog) == before
    assert names(catalog, "label:toy") == names(catalog, "games") == ["dog"]
    assert names(catalog, "label:cat") == ["copy", "cat", "dog", "louvre"]
    # the name holding the separator is whole, and its parent is its own row's: the dog's row has none
    assert ("label", "a\x1eb") in {(kind, key) for kind, key, _, _ in snapshot(catalog)}
    assert names(catalog, "label:mammal") == ["copy", "cat", "louvre"]


def test_a_category_is_found_by_its_whole_name_not_by_one_of_its_words(catalog) -> None:
    # a category groups labels for the sidebar: one of its words ("and") must not bring all its photos
    assert names(catalog, '"animals and pets"') == names(catalog, "label:cat|dog")
    assert names(catalog, "and") == []
    assert names(catalog, '"and pets"') == []


def test_a_word_people_type_finds_the_label_it_stands_for(catalog) -> None:
    assert names(catalog, "puppy") == names(catalog, "dog") == ["dog"]
    assert names(catalog, "label:kittens") == names(catalog, "label:cat")
    assert names(catalog, '"puppy"') == []  # quoted: exactly as typed
    assert names(catalog, "cat -puppy") == names(catalog, "cat")


def test_a_word_no_label_answers_says_where_it_was_found(catalog) -> None:
    from photosorter.core.search.suggest import UnlabelledWord, unlabelled_words

    assert unlabelled_words(catalog, "paris") == (UnlabelledWord("paris", 0, 2),)
    assert unlabelled_words(catalog, "stop") == (UnlabelledWord("stop", 1, 0),)
    assert unlabelled_words(catalog, "stop").__getitem__(0).sentence() == (
        "no photo is labelled “stop”; 1 mentions it in their text"
    )
    assert unlabelled_words(catalog, "cat paris") == (UnlabelledWord("paris", 0, 2),)
    assert unlabelled_words(catalog, "cat") == ()
    assert unlabelled_words(catalog, "kitten") == ()  # a synonym of a label is answered by the label
    assert unlabelled_words(catalog, "-paris cat") == ()


@pytest.mark.parametrize("radix_terms", [0, 65_535], ids=["one sort of all", "by term, then by content"])
def test_a_rebuild_keeps_each_photo_once_per_label_at_its_best_score(
    catalog, monkeypatch, radix_terms
) -> None:
    """Several label rows of one content naming a term (its own name, a parent of others) give one posting
    at the best of their scores, whether the label postings are sorted by (term, content) or by term alone
    (then a content's rows must come together: contents are read in hash order, not in photo order)."""
    from photosorter.core.catalog import search_derive

    monkeypatch.setattr(search_derive, "RADIX_TERMS", radix_terms)
    animal = ("Animal",)
    # hashes in another order than the photos, so a content's rows are not in photo order
    store(catalog, "h-party", [Label("Dog", 61.0, animal), Label("Animal", 70.0), Label("Cat", 65.0, animal)])
    store(catalog, "h-cat", [Label("Animal", 90.0), Label("Cat", 80.0, animal)])
    store(catalog, "h-dog", [Label("Cat", 30.0, animal), Label("Dog", 95.0, animal), Label("Animal", 40.0)])
    _rebuild(catalog)
    with catalog.transaction() as conn:
        (ids, scores), *others = conn.execute(
            "SELECT l.ids, l.scores FROM search_lists l JOIN search_terms t ON t.id = l.term_id"
            " WHERE t.kind = 'label' AND t.key = 'animal'"
        ).fetchall()
    found = search_store.unpack(ids, scores)
    assert others == []
    assert sorted(zip(found[0].tolist(), found[1].tolist(), strict=True)) == sorted(
        [(catalog.ids[n], s) for n, s in (("party", 70.0), ("cat", 90.0), ("copy", 90.0), ("dog", 95.0))]
    )


def test_a_rebuild_keeps_every_confidence_exactly_as_stored(catalog) -> None:
    """A rebuild takes most confidences from SQLite as integers (c * 2**52, exact for c in [1, 2048))
    and reads the rest row by row: both give the stored value to the last bit, as photo by photo."""
    scores = {"Odd": 99.12345672607422, "Small": 0.3, "Zero": 0.0, "Huge": 5000.25, "Tiny": 1e-300}
    store(catalog, "h-dog", [Label(name, score) for name, score in scores.items()])
    before = snapshot(catalog)
    _rebuild(catalog)
    after = snapshot(catalog)
    assert after == before
    dog = catalog.ids["dog"]
    found = {key: score for kind, key, photo, score in after if kind == "label" and photo == dog}
    assert {name.lower(): score for name, score in scores.items()}.items() <= found.items()


@pytest.mark.parametrize("chunk_contents", [1, 3, 20_000])
def test_a_rebuild_reading_the_labels_in_chunks_gives_the_same_index(
    catalog, monkeypatch, chunk_contents
) -> None:
    """A rebuild reads the label rows in chunks split by content hash (a content's rows are never
    split): however small the chunks, the index is the one the photo by photo derivation gives."""
    from photosorter.core.catalog import search_derive

    store(catalog, "h-party", [Label("Dog", 61.0, ("Animal",)), Label("Animal", 70.0)])
    before = snapshot(catalog)
    monkeypatch.setattr(search_derive, "_CHUNK_CONTENTS", chunk_contents)
    with catalog.transaction() as conn:
        contents = conn.execute("SELECT count(DISTINCT hash) FROM photos").fetchone()[0]
        chunks = search_derive._label_chunks(conn)
    assert len(chunks) == 1 if chunk_contents == 20_000 else 1 < len(chunks) <= contents
    _rebuild(catalog)
    assert snapshot(catalog) == before


def test_a_rebuild_gives_each_photo_its_path_words_once(catalog) -> None:
    """A rebuild splits all file names at once (ASCII ones as bytes, the others one by one) and gives
    photos alike but for their name their folder's terms together: each photo is in each of its path
    words' lists once, though a word is both in its folder and twice in its name."""
    from photosorter.core.catalog.search_words import tokens

    folder = photo_rows.add_folder(catalog, "/beach")
    paths = ["/beach/Beach_beach 2.JPG", "/beach/Été à Paris.jpg", "/beach/two\nlines.jpg", "/beach/_.jpg"]
    ids = {add_photo(catalog, folder, path, f"h-beach-{i}", None): path for i, path in enumerate(paths)}
    _rebuild(catalog)
    found: dict[int, list[str]] = {photo: [] for photo in ids}
    with catalog.transaction() as conn:
        for key, blob, scores in conn.execute(
            "SELECT t.key, l.ids, l.scores FROM search_lists l JOIN search_terms t ON t.id = l.term_id"
            " WHERE t.kind = 'path'"
        ):
            for photo in search_store.unpack(blob, scores)[0].tolist():
                if photo in found:
                    found[photo].append(key)
    for photo, path in ids.items():
        assert sorted(found[photo]) == sorted(set(tokens(path))), path


_NAMES = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(["IMG_1.JPG", "a\nb", ""])


@given(st.lists(_NAMES))
def test_tokens_of_many_texts_are_the_tokens_of_each(texts) -> None:
    from photosorter.core.catalog.search_words import tokens, tokens_of

    words, text = tokens_of(texts)
    assert len(words) == text.size
    found: list[list[str]] = [[] for _ in texts]
    for word, at in zip(words, text.tolist(), strict=True):
        found[at].append(word)
    assert found == [tokens(t) for t in texts]


def test_a_rebuild_counts_the_faces_of_each_backend_apart(catalog) -> None:
    """``faces:N`` is the most faces one backend found: the rebuild counts faces per (content, backend)
    at once, as the photo by photo derivation counts them one content at a time."""
    features = frozenset({Feature.FACES})
    result = AnalysisResult("rekognition", features, faces=(face(), face(smile=True), face(), face()))
    store_result(catalog, "h-party", result, VERSIONS)
    store(catalog, "h-dog", faces=[face(beard=True)])
    before = snapshot(catalog)
    _rebuild(catalog)
    assert snapshot(catalog) == before
    assert names(catalog, "faces:4") == ["party"]
    assert names(catalog, "faces:1") == ["dog"]
    assert set(names(catalog, "beard")) == {"dog"}


def test_a_rebuild_names_no_person_whose_faces_no_visible_photo_holds(catalog) -> None:
    """The faces of a missing photo's content give it no postings, and their person no term of its own."""
    with catalog.transaction() as conn:
        photo_rows.mark_missing(conn, [catalog.ids["party"]])
    _rebuild(catalog)
    with catalog.transaction() as conn:
        kinds = {kind for (kind,) in conn.execute("SELECT DISTINCT kind FROM search_terms")}
    assert "person" not in kinds and "face" not in kinds
    assert names(catalog, "has:faces") == []
