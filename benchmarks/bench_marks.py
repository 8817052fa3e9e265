"""Favourites, ratings and albums at library scale, against the same catalog without them.

    python benchmarks/bench_marks.py --photos 100000

Builds bench_search's synthetic catalog, times the index rebuild, then marks 10% of the photos as
favourites and rates 30% (bulk writes timed), and times the rebuild again: the ratio is what
marks add to the index. Then the queries on marks next to ``has:text`` (a flag the index had
before), the query right after one rating changes (``cold``: that photo is derived again), what
the window reads to paint hearts and stars (every mark), and an album of 5% of the photos in
date and in manual order.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench_search import build
from photosorter.core.catalog import albums as album_rows
from photosorter.core.catalog import search_store
from photosorter.core.catalog.marks import all_marks, set_favorite, set_rating
from photosorter.core.search import search_ids


def p50(fn, repeats: int = 15) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def rebuild(catalog) -> float:
    start = time.perf_counter()
    search_store.rebuild(catalog)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        catalog = build(Path(tmp) / "catalog.db", args.photos)
        ids = list(range(1, args.photos + 1))
        rebuild(catalog)  # the first one after build reads a cold file: not counted
        base = rebuild(catalog)
        start = time.perf_counter()
        set_favorite(catalog, rng.sample(ids, len(ids) // 10), True)
        for stars in range(1, 6):
            set_rating(catalog, rng.sample(ids, len(ids) * 6 // 100), stars)
        writes = time.perf_counter() - start
        marked = rebuild(catalog)
        print(f"marks written in bulk ({len(all_marks(catalog)):,} photos): {writes:.2f} s")
        print(f"index rebuild: {base:.2f} s without marks, {marked:.2f} s with them ({marked / base:.2f}x)")
        search_ids(catalog, "")
        flag = p50(lambda: search_ids(catalog, "has:text"))
        for query in ("is:favorite", "rating:>=4", "rating:0", "dog is:favorite", "-is:favorite rating:5"):
            search_ids(catalog, query)
            ours = p50(lambda query=query: search_ids(catalog, query))
            print(f"search_ids {query!r}: p50 {ours:.1f} ms ({ours / flag:.2f}x has:text, {flag:.1f} ms)")

        def cold() -> None:
            set_rating(catalog, [rng.choice(ids)], rng.randint(0, 5))
            search_ids(catalog, "rating:>=4")

        print(f"rate one photo, then search rating:>=4: p50 {p50(cold):.1f} ms")
        print(
            f"every mark, for the window's hearts and stars: p50 {p50(lambda: all_marks(catalog), 5):.1f} ms"
        )
        album = album_rows.create_album(catalog, "Bench")
        album_rows.add_to_album(catalog, album.id, rng.sample(ids, len(ids) // 20))
        by_date = p50(lambda: album_rows.album_photo_ids(catalog, album.id))
        album_rows.move_in_album(catalog, album.id, [album_rows.album_photo_ids(catalog, album.id)[-1]], None)
        manual = p50(lambda: album_rows.album_photo_ids(catalog, album.id))
        search_ids(catalog, "album:bench")
        searched = p50(lambda: search_ids(catalog, "album:bench dog"))
        print(
            f"album of {album_rows.album_by_id(catalog, album.id).count:,}: by date p50 {by_date:.1f} ms,"
            f" manual p50 {manual:.1f} ms, 'album:bench dog' p50 {searched:.1f} ms"
        )
        catalog.close()


if __name__ == "__main__":
    main()
