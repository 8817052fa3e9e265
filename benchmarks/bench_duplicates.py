"""Grouping near-duplicates among 100,000 perceptual hashes: the quarter index against all pairs.

    python benchmarks/bench_duplicates.py --hashes 100000

The hashes are like a library's: most pictures unrelated (pHash sets 32 of 64 bits, so random
32-bit-weight values), and a fifth of them near copies of another (bursts, re-saves, edits: 0–10 bits
flipped, some beyond the limit). Times ``near_pairs`` plus the union into groups, and the all-pairs
loop (each hash against every later one, vectorised per row) on the same hashes in the same run, and
checks both found the same pairs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from photosorter.core.near_duplicates import NEAR_BITS, components, near_pairs, near_pairs_all


def _hashes(n: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.zeros((n, 64), dtype=bool)
    for row in range(n):
        bits[row, rng.choice(64, 32, replace=False)] = True
    copies = rng.random(n) < 0.2
    sources = rng.integers(0, n, int(copies.sum()))
    bits[copies] = bits[sources]
    for row in np.flatnonzero(copies):
        flip = rng.choice(64, int(rng.integers(0, 11)), replace=False)
        bits[row, flip] = ~bits[row, flip]
    return np.packbits(bits, axis=1).view(">u8").astype(np.uint64).view(np.int64).ravel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(2)
    hashes = _hashes(args.hashes, rng)
    started, cpu = time.perf_counter(), time.process_time()
    i, j = near_pairs(hashes)
    groups = components(hashes.size, i, j)
    indexed, indexed_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"index: {hashes.size:,} hashes, {i.size:,} pairs within {NEAR_BITS} bits, {len(groups):,} groups"
        f" in {indexed:.2f} s ({indexed_cpu:.2f} s CPU)"
    )
    started, cpu = time.perf_counter(), time.process_time()
    a, b = near_pairs_all(hashes)
    groups_all = components(hashes.size, a, b)
    every, every_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"all pairs: {len(groups_all):,} groups in {every:.2f} s ({every_cpu:.2f} s CPU)")
    same = set(zip(i.tolist(), j.tolist(), strict=True)) == set(zip(a.tolist(), b.tolist(), strict=True))
    print(
        f"same pairs: {same}; all pairs / index: {every / indexed:.1f}× ({every_cpu / indexed_cpu:.1f}× CPU)"
    )


if __name__ == "__main__":
    main()
