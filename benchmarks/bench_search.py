"""Search latency on a synthetic 100k-photo catalog, against a naive LIKE scan of the same data.

    python benchmarks/bench_search.py --photos 100000

First times the write paths with and without the index upkeep (``--writes``
photos scanned in batches of 200, then as many analysis results stored one per
transaction; the upkeep is the stale-mark triggers plus writing those photos as a
segment, ``search_store.flush``). Then builds the catalog in bulk (base tables first,
then the index through ``search_store.rebuild``, what the first search after schema
step v5 runs, timed on its own), and times ``search_ids`` (what the gallery calls:
every matching id, in order) for 20 query shapes, round-robin so that load from
elsewhere on the machine falls on all shapes alike; then ``search(limit=100)``; then
``search_ids`` right after an analysis result is stored (``cold``: the index derives
that photo again and every list it combined before is combined again); then the first
query of a new catalog object (``fresh``: as a new process, nothing read yet), and the
same queries as a naive LIKE scan. The ratio is pooled LIKE p50 over pooled ours p50,
and p95 over p95 (the slow tail against the slow tail). ``--catalog PATH`` keeps
the built catalog for the next run.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from itertools import accumulate
from pathlib import Path

from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature, Label, TextLine
from photosorter.core.catalog import Catalog, search_store
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.analysis import store_result
from photosorter.core.records import ImageFacts
from photosorter.core.search import label_counts, parse, search, search_ids

QUERIES = [
    "dog",
    "cat",
    "animal",
    "beach",
    "label:dog",
    'text:"stop"',
    "musee",
    'person:"Alice Smith"',
    "folder:trips",
    "camera:canon",
    "after:2020-01",
    "date:2019-07",
    "faces:>=3",
    "has:text",
    "is:unnamed",
    "smiling",
    "dog beach",
    "animal -dog",
    "label:cat|dog",
    "dog after:2020 person:alice",
]
REAL = [
    "Person",
    "Outdoors",
    "Nature",
    "Animal",
    "Dog",
    "Cat",
    "Beach",
    "Sea",
    "Tree",
    "Building",
    "Car",
    "Food",
    "Mountain",
    "Sky",
    "Water",
    "Plant",
    "Flower",
    "City",
    "Road",
    "Bird",
    "Horse",
    "Child",
]
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vi", "so", "pe", "da", "fu", "go", "hi", "ja", "ki"]
FIRST = ["Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Irene", "Jack"]
LAST = "Smith Jones Brown Garcia Miller Davis Lopez Wilson Moore Taylor Martin Lee Clark Hall Young Allen "
LAST = (LAST + "King Wright Scott Green").split()


def build(path: Path, photos: int, seed: int = 7) -> Catalog:
    rng = random.Random(seed)
    catalog = Catalog(path)
    names = REAL + [
        "".join(rng.choice(SYLLABLES) for _ in range(3)).title() + f" {i}" for i in range(1000 - len(REAL))
    ]
    weights = list(accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(names))))
    parents = {n: json.dumps(rng.sample(REAL[:4] + names[22:60], rng.randint(0, 2))) for n in names}
    parents["Dog"] = parents["Cat"] = json.dumps(["Animal", "Mammal", "Pet"])
    categories = {n: json.dumps([f"Category {rng.randrange(20)}"]) for n in names}
    cameras = [("Canon", "EOS 5D"), ("Apple", "iPhone 12"), ("NIKON", "D750"), ("SONY", "A7")]
    folders = ["trips", "family", "work", "2019", "misc", "phone", "party", "garden"]
    texts = [
        "STOP",
        "Musée du LOUVRE",
        "EXIT",
        "Happy Birthday",
        "Main Street",
        "OPEN 24 HOURS",
        "Café de Flore",
    ]
    people = [f"{FIRST[i % 10]} {LAST[i // 10]}" for i in range(200)]
    with catalog.transaction() as conn:
        conn.execute("INSERT INTO folders (id, path, added_at) VALUES (1, '/lib', 'now')")
        conn.executemany(
            "INSERT INTO people (id, name, created_at) VALUES (?, ?, 'now')", enumerate(people, start=1)
        )
        photo_rows, label_rows, text_rows, face_rows = [], [], [], []
        for i in range(1, photos + 1):
            content = f"h{i if rng.random() > 0.02 else rng.randint(1, i)}"
            taken = f"{rng.randint(2010, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T12:00:00"
            make, model = rng.choice(cameras)
            folder = f"/lib/{rng.choice(folders)}/{rng.randrange(300)}/"
            photo_rows.append((i, folder + f"IMG_{i}.jpg", f"IMG_{i}.jpg", content, taken, make, model))
            for name in set(rng.choices(names, cum_weights=weights, k=15)):
                conf = round(rng.uniform(55, 99.9), 1)
                label_rows.append((content, name, conf, parents[name], categories[name]))
            if rng.random() < 0.2:
                for line in range(rng.randint(1, 3)):
                    text_rows.append((content, line, rng.choice(texts), round(rng.uniform(70, 99), 1)))
            if rng.random() < 0.4:
                for idx in range(rng.choice((1, 1, 2, 3, 5))):
                    person = rng.randint(1, 200) if rng.random() < 0.5 else None
                    attrs = {
                        "smile": {"value": rng.random() < 0.5, "confidence": 90.0},
                        "emotions": [{"type": rng.choice(["HAPPY", "CALM", "SAD"]), "confidence": 80.0}],
                    }
                    face_rows.append((content, idx, json.dumps(attrs), person))
        conn.executemany(
            "INSERT INTO photos (id, folder_id, path, name, hash, taken_at, camera_make, camera_model, state,"
            " updated_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, 'ok', 'now')",
            photo_rows,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO labels (hash, backend, name, confidence, parents, categories)"
            " VALUES (?, 'local', ?, ?, ?, ?)",
            label_rows,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO text_lines (hash, backend, line, text, confidence)"
            " VALUES (?, 'local', ?, ?, ?)",
            text_rows,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO faces (hash, backend, idx, box_left, box_top, box_width, box_height,"
            " confidence, attributes, person_id) VALUES (?, 'local', ?, 0, 0, 0.1, 0.1, 99, ?, ?)",
            face_rows,
        )
    start = time.perf_counter()
    search_store.rebuild(catalog)
    print(f"index rebuild (what the first search after step v5 runs): {time.perf_counter() - start:.1f} s")
    catalog.connection().execute("ANALYZE")
    return catalog


def _like(value: str) -> str:
    return "%" + value.replace("%", "").replace("_", "") + "%"


def naive_sql(query: str) -> tuple[str, list[object]]:
    """The same query as a LIKE scan over the base tables, no index: the baseline."""
    label = "EXISTS (SELECT 1 FROM labels l WHERE l.hash = p.hash AND (l.name LIKE ? OR l.parents LIKE ?))"
    text = "EXISTS (SELECT 1 FROM text_lines t WHERE t.hash = p.hash AND t.text LIKE ?)"
    person = "EXISTS (SELECT 1 FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = p.hash AND pe.name LIKE ?)"  # noqa: E501
    smile = "EXISTS (SELECT 1 FROM faces f WHERE f.hash = p.hash AND f.attributes LIKE ?)"
    clauses, params = [], []
    for term in parse(query).terms:
        ors = []
        for value in term.values:
            v = _like(value.rstrip("s") if term.key is None else value)
            if term.key is None:
                ors.append(f"({label} OR {text} OR {person} OR {smile} OR p.path LIKE ?)")
                params += [v, v, v, v, "%smile%" if value == "smiling" else v, v]
            elif term.key == "label":
                ors.append(label)
                params += [v, v]
            elif term.key in ("text", "person"):
                ors.append(text if term.key == "text" else person)
                params.append(v)
            elif term.key in ("folder", "camera"):
                ors.append("p.path LIKE ?" if term.key == "folder" else "p.camera_make LIKE ?")
                params.append(v)
            elif term.key in ("after", "date"):
                ors.append("p.taken_at >= ?" if term.key == "after" else "p.taken_at LIKE ?")
                params.append(value if term.key == "after" else value + "%")
            elif term.key == "faces":
                ors.append("(SELECT count(*) FROM faces f WHERE f.hash = p.hash) >= ?")
                params.append(int(value.lstrip(">=")))
            elif term.key == "has":
                table = "text_lines" if value == "text" else "faces"
                ors.append(f"EXISTS (SELECT 1 FROM {table} x WHERE x.hash = p.hash)")
            elif term.key == "is":
                ors.append("EXISTS (SELECT 1 FROM faces f WHERE f.hash = p.hash AND f.person_id IS NULL)")
        clause = "(" + " OR ".join(ors) + ")"
        clauses.append(f"NOT {clause}" if term.negated else clause)
    where = " AND ".join(["p.state IN ('ok', 'offline')", *clauses])
    return f"SELECT p.id FROM photos p WHERE {where} ORDER BY p.taken_at DESC, p.id DESC", params


def timed(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def rounds(fn, repeats: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {query: [] for query in QUERIES}
    for _ in range(repeats):
        for query in QUERIES:
            times[query] += timed(lambda q=query: fn(q), 1)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _writes_catalog(path: Path, *, upkeep: bool) -> Catalog:
    catalog = Catalog(path)
    with catalog.transaction() as conn:
        if not upkeep:
            marks = conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'search_stale_%'")
            for (name,) in marks.fetchall():
                conn.execute(f"DROP TRIGGER {name}")
        conn.execute("INSERT INTO folders (id, path, added_at) VALUES (1, '/lib', 'now')")
    return catalog


def _flush_when_due(catalog: Catalog) -> None:
    """What a searching reader does: write a segment once ``FLUSH_MARKS`` stale rows have piled up."""
    if catalog.scalar("SELECT count(*) FROM search_stale") >= search_store.FLUSH_MARKS:
        search_store.flush(catalog)


def write_paths(photos: int) -> dict[str, list[float]]:
    """Seconds to scan ``photos`` new photos (batches of 200, as the scanner does) and to store as many
    analysis results (one transaction each, as the analyzer does), without and with the index upkeep
    (the stale-mark triggers, and ``flush`` writing what they marked as segments). The two catalogs are
    written side by side, a block at a time, so that load from elsewhere falls on both alike."""
    rng = random.Random(3)
    names = [f"Label {i}" for i in range(1000)]
    features = frozenset({Feature.LABELS, Feature.FACES, Feature.TEXT})
    versions = dict.fromkeys(Feature, "1")
    # wall and CPU seconds (this process's: SQLite runs in it): on a loaded machine the CPU says more
    times = {f"{what} {which}": [0.0, 0.0] for what in ("scan", "store") for which in ("bare", "kept")}
    with tempfile.TemporaryDirectory() as tmp:
        catalogs = {
            "bare": _writes_catalog(Path(tmp) / "bare.db", upkeep=False),
            "kept": _writes_catalog(Path(tmp) / "kept.db", upkeep=True),
        }
        for first in range(0, photos, 200):
            rows = []
            for i in range(first, min(photos, first + 200)):
                when = f"20{rng.randint(10, 24)}-01-01T00:00:00"
                facts = ImageFacts(1, 1, f"h{i}", "JPEG", 10, 10, when, "exif", "Canon", "EOS", None, None, 1)
                rows.append((f"/lib/a/IMG_{i}.jpg", f"IMG_{i}.jpg", facts))
            for which, catalog in catalogs.items():
                start, cpu = time.perf_counter(), time.process_time()
                with catalog.transaction() as conn:
                    for path, name, facts in rows:
                        photo_rows.insert_photo(conn, 1, path, name, facts)
                if which == "kept":
                    _flush_when_due(catalog)
                times[f"scan {which}"][0] += time.perf_counter() - start
                times[f"scan {which}"][1] += time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        search_store.flush(catalogs["kept"])
        times["scan kept"][0] += time.perf_counter() - start
        times["scan kept"][1] += time.process_time() - cpu
        for i in range(photos):
            labels = tuple(
                Label(
                    name, rng.uniform(55, 99), ("Animal",) if rng.random() < 0.3 else (), (), ("Category 1",)
                )
                for name in rng.sample(names, 15)
            )
            smile = {"smile": {"value": True, "confidence": 90.0}}
            faces = tuple(
                Face(Box(0, 0, 0.1, 0.1), 99.0, attributes=smile) for _ in range(rng.choice((0, 1, 2)))
            )
            text = (TextLine("STOP", 90.0),) if rng.random() < 0.2 else ()
            result = AnalysisResult("local", features, labels, faces, text)
            for which, catalog in catalogs.items():
                start, cpu = time.perf_counter(), time.process_time()
                store_result(catalog, f"h{i}", result, versions)
                if which == "kept":
                    _flush_when_due(catalog)
                times[f"store {which}"][0] += time.perf_counter() - start
                times[f"store {which}"][1] += time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        search_store.flush(catalogs["kept"])
        times["store kept"][0] += time.perf_counter() - start
        times["store kept"][1] += time.process_time() - cpu
        for catalog in catalogs.values():
            catalog.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--like-repeats", type=int, default=3)
    parser.add_argument("--catalog", type=Path, help="keep the built catalog here and reuse it next time")
    parser.add_argument(
        "--writes", type=int, default=10_000, help="photos for the write-path timing (0: skip)"
    )
    args = parser.parse_args()
    if args.writes:
        times = write_paths(args.writes)
        for what, key in (("scan", "scan"), ("store analysis of", "store")):
            (bare, bare_cpu), (kept, kept_cpu) = times[f"{key} bare"], times[f"{key} kept"]
            extra, extra_cpu = (1000 * (k - b) / args.writes for k, b in ((kept, bare), (kept_cpu, bare_cpu)))
            print(
                f"{what} {args.writes} photos: {bare:.2f} s without the index upkeep,"
                f" {kept:.2f} s with ({extra:.2f} ms more per photo); CPU {bare_cpu:.2f} s,"
                f" {kept_cpu:.2f} s ({extra_cpu:.2f} ms more per photo)"
            )
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        if args.catalog and args.catalog.exists():
            catalog = Catalog(args.catalog)
        else:
            catalog = build(args.catalog or Path(tmp) / "catalog.db", args.photos)
            print(f"built {args.photos} photos in {time.perf_counter() - start:.1f} s")
        conn = catalog.connection()
        hits = {query: len(search_ids(catalog, query)) for query in QUERIES}
        # round-robin over the shapes, so a burst of load from elsewhere lands on all of them alike
        ours_by = rounds(lambda q: search_ids(catalog, q), args.repeats)
        top_by = rounds(lambda q: search(catalog, q, limit=100), max(3, args.repeats // 4))
        # cold: an analysis result stored just before each query (what the gallery sees while analysis runs)
        rng = random.Random(11)
        total = conn.execute("SELECT count(*) FROM photos").fetchone()[0]
        versions = dict.fromkeys(Feature, "1")

        def store_one() -> None:
            content = f"h{rng.randint(1, total)}"
            labels = (Label("Dog", rng.uniform(55, 99), ("Animal", "Mammal", "Pet")), Label("Beach", 80.0))
            store_result(
                catalog, content, AnalysisResult("local", frozenset({Feature.LABELS}), labels), versions
            )

        cold_by = rounds(lambda q: (store_one(), search_ids(catalog, q)), max(3, args.repeats // 4))
        # fresh: the first query of a new catalog object, as a new process would run it
        path = Path(catalog.path)

        def fresh(q: str) -> None:
            with Catalog(path) as other:
                search_ids(other, q)

        fresh_by = rounds(fresh, max(3, args.repeats // 4))
        naive_sql_by = {query: naive_sql(query) for query in QUERIES}
        naive_by = rounds(lambda q: conn.execute(*naive_sql_by[q]).fetchall(), args.like_repeats)
        ours = [t for times in ours_by.values() for t in times]
        naive = [t for times in naive_by.values() for t in times]
        header = f"{'query':32} {'hits':>7} {'p50 ms':>8} {'p95 ms':>8} {'LIKE p50':>9} {'ratio':>6}"
        print(header + f" {'top-100 p50':>11} {'cold p50':>9} {'fresh p50':>9}")
        for query in QUERIES:
            times, like, top, ids = ours_by[query], naive_by[query], top_by[query], range(hits[query])
            cold, fresh_times = cold_by[query], fresh_by[query]
            print(
                f"{query:32} {len(ids):7d} {pct(times, 0.5):8.2f} {pct(times, 0.95):8.2f} "
                f"{pct(like, 0.5):9.1f} {pct(like, 0.5) / pct(times, 0.5):5.0f}x {pct(top, 0.5):11.2f}"
                f" {pct(cold, 0.5):9.2f} {pct(fresh_times, 0.5):9.2f}"
            )
        counts = timed(lambda: label_counts(catalog), 5)
        print(f"label_counts: p50 {pct(counts, 0.5):.2f} ms")
        print(f"search_ids over all 20 shapes: p50 {pct(ours, 0.5):.2f} ms, p95 {pct(ours, 0.95):.2f} ms")
        cold = [t for times in cold_by.values() for t in times]
        print(f"cold (after a stored result): p50 {pct(cold, 0.5):.2f} ms, p95 {pct(cold, 0.95):.2f} ms")
        fresh = [t for times in fresh_by.values() for t in times]
        print(f"fresh (new catalog object): p50 {pct(fresh, 0.5):.2f} ms, p95 {pct(fresh, 0.95):.2f} ms")
        print(f"naive LIKE scan:               p50 {pct(naive, 0.5):.1f} ms, p95 {pct(naive, 0.95):.1f} ms")
        # p50 over p50 and p95 over p95 of all samples pooled: the slow tail compared with the slow tail
        print(
            f"ratio (LIKE / search_ids): p50 {pct(naive, 0.5) / pct(ours, 0.5):.0f}x, "
            f"p95 {pct(naive, 0.95) / pct(ours, 0.95):.0f}x"
        )
        catalog.close()


if __name__ == "__main__":
    main()
