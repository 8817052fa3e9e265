"""Search index rebuild time on a kept synthetic catalog (the one ``bench_search.py`` builds).

    python benchmarks/bench_rebuild.py --photos 1000000 --catalog /tmp/c1m.db --repeats 3

Builds the catalog once and keeps it at ``--catalog``; every later run reuses it. Beyond
``--base`` photos (100,000) it builds that many through ``bench_search.build`` and copies their rows
in SQL until there are ``--photos``, each copy with its own ids, file names and content hashes, so the
distribution of labels, text, faces, duplicates and dates stays the same as ``build``'s, without
``build``'s Python loop over every row (a quarter of an hour at a million photos on an idle machine).
Each round derives, packs and writes the whole index (``search_store.rebuild``) in its own
transaction, committed, and prints the time against a baseline measured in the same run: reading
every row the index is derived from once (photos, labels, text lines, faces), row by row, which is
what any rebuild has to do at least.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench_search import build
from photosorter.core.catalog import Catalog, search_store

_SOURCES = (
    "SELECT id, hash, state, path, name, camera_make, camera_model FROM photos",
    "SELECT hash, name, parents, aliases, categories, confidence FROM labels",
    "SELECT hash, text, confidence FROM text_lines",
    "SELECT hash, person_id, attributes, confidence FROM faces",
)


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
    """Seconds (wall, CPU) to read the rows the index derives from, each once."""
    start, cpu = time.perf_counter(), time.process_time()
    for sql in _SOURCES:
        cursor = catalog.connection().execute(sql)
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
            f"reading the rows once (baseline): {baseline:.1f} s ({baseline_cpu:.1f} s of CPU);"
            f" rebuild / baseline: {min(totals) / baseline:.1f}x, CPU {min(cpus) / baseline_cpu:.1f}x"
        )
        # CPU time too: on a loaded machine the wall time says more about the neighbours than the code
        print(
            f"index rebuild of {photos} photos: best {min(totals):.1f} s,"
            f" median {sorted(totals)[len(totals) // 2]:.1f} s; CPU best {min(cpus):.1f} s"
        )


if __name__ == "__main__":
    main()
