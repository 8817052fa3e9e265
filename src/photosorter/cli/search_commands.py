"""`search` and `labels`: the query language from the command line."""

from __future__ import annotations

import argparse

from photosorter.cli.common import EXIT_USAGE, fail, print_json
from photosorter.core.catalog.paths import display
from photosorter.core.library import Library
from photosorter.core.search import SearchError, help_text, label_counts, search


def register(commands: argparse._SubParsersAction) -> None:
    find = commands.add_parser(
        "search",
        help='find photos: dog beach person:"Alice" text:stop after:2020-01 folder:trips -cat',
        description=help_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    find.add_argument("query", metavar="QUERY", nargs="+", help="search terms (quote them for the shell)")
    find.add_argument("--json", action="store_true")
    find.add_argument("--limit", type=int, metavar="N", help="at most N results, best first")
    find.set_defaults(handler=run_search)

    labels = commands.add_parser(
        "labels", help="labels found in the library, with photo counts and categories"
    )
    labels.add_argument("--json", action="store_true")
    labels.set_defaults(handler=run_labels)


def run_search(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    with Library.open(args.home) as library:
        try:
            hits = search(library.catalog, query, limit=args.limit)
        except SearchError as error:
            return fail(str(error).replace("\n", " "), EXIT_USAGE)
    data = [
        {"path": display(h.path), "taken_at": h.taken_at, "score": h.score, "why": list(h.why)} for h in hits
    ]
    if args.json:
        print_json(data)
    else:
        for hit in data:
            print(f"{hit['score']:5.1f}  {hit['path']}  ({'; '.join(hit['why'])})")
        print("1 photo" if len(data) == 1 else f"{len(data)} photos")
    return 0


def run_labels(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        counts = label_counts(library.catalog)
    data = [{"name": c.name, "count": c.count, "categories": list(c.categories)} for c in counts]
    if args.json:
        print_json(data)
    else:
        for item in data:
            print(f"{item['count']:7d}  {item['name']}  {', '.join(item['categories'])}")
    return 0
