"""`duplicates` and `places`: the library's copies and near-copies, and where its photos were taken."""

from __future__ import annotations

import argparse

from photosorter.cli.common import echo, print_json
from photosorter.core.backfill import fill_perceptual_hashes, fill_places
from photosorter.core.catalog import places as place_rows
from photosorter.core.catalog.paths import display
from photosorter.core.duplicates import DuplicateCopy, DuplicateGroup, find_groups
from photosorter.core.headers import human_size
from photosorter.core.library import Library


def register(commands: argparse._SubParsersAction) -> None:
    duplicates = commands.add_parser(
        "duplicates", help="groups of exact copies and near-duplicates (resized, re-saved, edited)"
    )
    duplicates.add_argument("--json", action="store_true")
    duplicates.set_defaults(handler=run_duplicates)
    places = commands.add_parser("places", help="where the photos were taken: countries and towns, counted")
    places.add_argument("--json", action="store_true")
    places.set_defaults(handler=run_places)


def run_duplicates(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        # an older catalog's contents are hashed from their cached thumbnails first
        fill_perceptual_hashes(library.catalog, library.paths.thumbnails)
        groups = find_groups(library.catalog)
    if args.json:
        print_json([_group_json(g) for g in groups])
        return 0
    if not groups:
        echo("no duplicates")
    for number, group in enumerate(groups, 1):
        echo(
            f"group {number}: {len(group.copies)} files, {group.kind}, "
            f"{_size(group.reclaimable)} to gain by keeping the first ({group.keep_reason})"
        )
        for copy in group.copies:
            echo(f"  {_relation(group, copy):<13} {_facts(copy)}  {display(copy.path)}")
    return 0


def _relation(group: DuplicateGroup, copy: DuplicateCopy) -> str:
    if copy is group.copies[0]:
        return "first"
    return "exact" if copy.exact else f"near {copy.distance}/64"


def _facts(copy: DuplicateCopy) -> str:
    resolution = f"{copy.width}×{copy.height}" if copy.width and copy.height else "?"
    return f"{resolution:>11} {_size(copy.size):>9} {(copy.taken_at or '')[:10]:<10}"


def _size(size: int | None) -> str:
    return "?" if size is None else human_size(size)


def _group_json(group: DuplicateGroup) -> dict:
    return {
        "kind": group.kind,
        "reclaimable_bytes": group.reclaimable,
        "keep_reason": str(group.keep_reason),
        "files": [
            {
                "path": display(c.path),
                "photo_id": c.photo_id,
                "size": c.size,
                "width": c.width,
                "height": c.height,
                "taken_at": c.taken_at,
                "hash": c.content_hash,
                "match": "first" if i == 0 else "exact" if c.exact else "near",
                "distance": c.distance,
            }
            for i, c in enumerate(group.copies)
        ],
    }


def run_places(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        fill_places(library.catalog)
        counts = place_rows.counts(library.catalog)
    if args.json:
        print_json(
            [
                {
                    "city": c.place.city,
                    "region": c.place.region,
                    "country": c.place.country,
                    "country_code": c.place.country_code,
                    "photos": c.count,
                }
                for c in counts
            ]
        )
        return 0
    if not counts:
        echo("no photos with a place (photos need GPS positions)")
    country = None
    for entry in counts:
        if entry.place.country != country:
            country = entry.place.country
            total = sum(c.count for c in counts if c.place.country == country)
            echo(f"{country}  {total}")
        name = ", ".join(p for p in (entry.place.city, entry.place.region) if p) or "(no town near)"
        echo(f"  {name}  {entry.count}")
    return 0
