"""Search index rebuild time on a kept synthetic catalog (the one ``bench_search.py`` builds).

    python benchmarks/bench_rebuild.py --photos 1000000 --catalog /tmp/c1m.db --repeats 3

Builds the catalog once and keeps it at ``--catalog``; every later run reuses it. Beyond
``--base`` photos (100,000) it builds that many through ``bench_search.build`` and copies their rows
in SQL until there are ``--photos``, each copy with its own ids, file names and content hashes, so the
distribution of labels, text, faces, duplicates and dates stays the same as ``build``'s, without
``build``'s Python loop over every row (a quarter of an hour at a million photos on an idle machine).
Each round derives, packs, writes and commits the whole index (``search_store.rebuild``), and
prints the time against a baseline measured in the same run: SQLite reading every value the index
is derived from once (photos, marks, labels, text lines, faces) without handing them to Python,
which is what any rebuild has to do at least; and against fetching those rows into Python (the
baseline before: the rebuild reads the label rows, most of them, faster than that).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench_search import build
from photosorter.core.catalog import Catalog, search_store

# every column the index is derived from, by table
_SOURCES = {
    "photos": (
        "id",
        "hash",
        "state",
        "path",
        "name",
        "camera_make",
        "camera_model",
        "media",
        "duration_s",
        "place_city",
        "place_region",
        "place_country",
        "place_code",
    ),
    "photo_marks": ("photo_id", "favorite", "rating"),
    "labels": ("hash", "name", "parents", "aliases", "categories", "confidence"),
    "text_lines": ("hash", "text", "confidence"),
    "faces": ("hash", "backend", "person_id", "attributes", "confidence"),
}


def _copy_columns(conn, table: str, changed: dict[str, str]) -> str:
    """``INSERT INTO table SELECT ...`` of every row, with ``changed`` columns given by expressions."""
    columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    values = ", ".join(changed.get(column, column) for column in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM {table}"


def replicate(path: Path, photos: int, base: int) -> None:
    """A catalog of ``photos`` made of copies of a built one of ``base`` (see the module's text)."""
    build(path, min(photos, base)).close()
    copy_rows(path, photos, base)


def copy_rows(path: Path, photos: int, base: int) -> None:
    """Copies of the first ``base`` photos' rows until there are ``photos``, then the index rebuilt."""
    copies = -(-photos // base)
    with Catalog(path) as catalog, catalog.transaction() as conn:
        # the rows' stale marks would be thrown away by the rebuild below: the copy goes without them
        marks = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_stale_%_insert'"
        ).fetchall()
        for name, _ in marks:
            conn.execute(f"DROP TRIGGER {name}")
        for copy in range(1, copies):
            offset, count = copy * base, min(base, photos - copy * base)
            name = f"'IMG_' || (id + {offset}) || '.jpg'"
            own = f"hash || '.{copy}'"
            # the copy's content hashes hold only its own photos: a duplicate stays one within its copy
            conn.execute(
                _copy_columns(
                    conn,
                    "photos",
                    {
                        "id": f"id + {offset}",
                        "name": name,
                        "path": f"substr(path, 1, length(path) - length(name)) || {name}",
                        "hash": own,
                    },
                )
                + f" WHERE id <= {base} AND id <= {count}"
            )
            for table, extra in (("labels", {}), ("text_lines", {}), ("faces", {"id": "NULL"})):
                conn.execute(
                    _copy_columns(conn, table, {"hash": own, **extra})
                    + " WHERE hash IN (SELECT hash FROM photos WHERE id <= ?)",
                    (count,),
                )
        for _, sql in marks:
            conn.execute(sql)
    with Catalog(path) as catalog:
        search_store.rebuild(catalog)
        catalog.connection().execute("ANALYZE")


def read_rows(catalog: Catalog) -> tuple[float, float]:
    """Seconds (wall, CPU) for SQLite to read every value the index derives from, each once, handing
    none of them to Python: the least any rebuild has to do. (Fetching the rows into Python, a chunk
    of rows at a time, takes longer than the rebuild's own reading of the label rows: see
    ``fetch_rows``.)"""
    start, cpu = time.perf_counter(), time.process_time()
    for table, columns in _SOURCES.items():
        values = " + ".join(f"coalesce(length({column}), 0)" for column in columns)
        catalog.connection().execute(f"SELECT sum({values}) FROM {table}").fetchone()
    return time.perf_counter() - start, time.process_time() - cpu


def fetch_rows(catalog: Catalog) -> tuple[float, float]:
    """Seconds (wall, CPU) to fetch the same rows into Python, 20,000 at a time (the baseline before)."""
    start, cpu = time.perf_counter(), time.process_time()
    for table, columns in _SOURCES.items():
        cursor = catalog.connection().execute(f"SELECT {', '.join(columns)} FROM {table}")
        while cursor.fetchmany(20_000):
            pass
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--catalog", type=Path, required=True, help="built once, then reused")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--base", type=int, default=100_000, help="photos built, then copied")
    args = parser.parse_args()
    if not args.catalog.exists():
        start = time.perf_counter()
        replicate(args.catalog, args.photos, args.base)
        print(f"built {args.photos} photos in {time.perf_counter() - start:.1f} s")
    with Catalog(args.catalog) as catalog:
        photos = catalog.scalar("SELECT count(*) FROM photos")
        totals, cpus = [], []
        for round_ in range(args.repeats):
            start, cpu = time.perf_counter(), time.process_time()
            search_store.rebuild(catalog)
            totals.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            lists = catalog.scalar("SELECT count(*) FROM search_lists")
            print(
                f"round {round_ + 1}: index rebuild of {photos} photos: {totals[-1]:.1f} s"
                f" ({cpus[-1]:.1f} s of CPU, {lists} lists)"
            )
        baseline, baseline_cpu = read_rows(catalog)
        print(
            f"SQLite reading every value once (baseline): {baseline:.1f} s ({baseline_cpu:.1f} s of CPU);"
            f" rebuild / baseline: {min(totals) / baseline:.1f}x, CPU {min(cpus) / baseline_cpu:.1f}x"
        )
        fetched, fetched_cpu = fetch_rows(catalog)
        print(
            f"fetching the rows into Python: {fetched:.1f} s ({fetched_cpu:.1f} s of CPU);"
            f" rebuild / fetching: {min(totals) / fetched:.1f}x, CPU {min(cpus) / fetched_cpu:.1f}x"
        )
        # CPU time too: on a loaded machine the wall time says more about the neighbours than the code
        print(
            f"index rebuild of {photos} photos: best {min(totals):.1f} s,"
            f" median {sorted(totals)[len(totals) // 2]:.1f} s; CPU best {min(cpus):.1f} s"
        )


if __name__ == "__main__":
    main()
