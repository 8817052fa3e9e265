"""`search` and `labels`: the query language from the command line."""

from __future__ import annotations

import argparse

from photosorter.cli.common import EXIT_USAGE, echo, fail, print_json
from photosorter.core.catalog.paths import display
from photosorter.core.library import Library
from photosorter.core.search import SearchError, help_text, label_counts, search
from photosorter.core.search.suggest import no_match_help, unlabelled_words


def register(commands: argparse._SubParsersAction) -> None:
    find = commands.add_parser(
        "search",
        help='find photos: dog beach person:"Alice" text:stop after:2020-01 folder:trips -cat',
        description=help_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    find.add_argument(
        "query",
        metavar="QUERY",
        nargs="+",
        help="search terms (quote them for the shell); a term may start with - (search -dog cat)",
    )
    find.add_argument("--json", action="store_true")
    find.add_argument("--limit", type=int, metavar="N", help="at most N results, best first")
    find.set_defaults(handler=run_search)

    labels = commands.add_parser(
        "labels", help="labels found in the library, with photo counts and categories"
    )
    labels.add_argument("--json", action="store_true")
    labels.set_defaults(handler=run_labels)


SEARCH_OPTIONS = {"--json": 0, "--limit": 1, "-h": 0, "--help": 0}  # option: how many values follow


def query_terms_first(argv: list[str]) -> list[str]:
    """``argv`` with ``search``'s terms moved after a ``--``, so a term such as ``-dog`` (exclude dogs)
    is a term and not an unknown option; ``--json`` and ``--limit N`` keep working anywhere."""
    at = _command_index(argv, "search")
    if at is None or "--" in argv[at + 1 :]:
        return argv
    options: list[str] = []
    terms: list[str] = []
    rest = iter(argv[at + 1 :])
    for arg in rest:
        name = arg.split("=", 1)[0]
        if (name in SEARCH_OPTIONS and name.startswith("--")) or arg in SEARCH_OPTIONS:
            options.append(arg)
            for _value in range(0 if "=" in arg else SEARCH_OPTIONS[name]):
                options.extend(value for value in (next(rest, None),) if value is not None)
        else:
            terms.append(arg)
    return argv[: at + 1] + options + (["--", *terms] if terms else [])


def _command_index(argv: list[str], command: str) -> int | None:
    """Where ``command`` is in ``argv``: the first word that is not a global option or its value."""
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg == "--home":
            skip = True
        elif not arg.startswith("-"):
            return index if arg == command else None
    return None


def run_search(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    if not query.strip():
        return fail(
            "the search is empty: give at least one term, e.g. photosorter search dog "
            "(photosorter stats counts every photo)",
            EXIT_USAGE,
        )
    with Library.open(args.home) as library:
        try:
            hits = search(library.catalog, query, limit=args.limit)
        except SearchError as error:
            return fail(str(error).replace("\n", " "), EXIT_USAGE)
        # what the app shows above the results, or instead of an empty grid
        unlabelled = unlabelled_words(library.catalog, query) if not args.json else ()
        no_match = no_match_help(library.catalog, query).sentences() if not hits and not args.json else []
    data = [
        {
            "path": display(h.path),
            "taken_at": h.taken_at,
            "score": h.score,
            "why": list(h.why),
            # videos: when each reason is seen, in seconds (a player opens at the first start)
            "seen_at": [s.to_json() for s in h.seen_at],
        }
        for h in hits
    ]
    if args.json:
        print_json(data)
    else:
        for hit in data:
            why = f"  ({'; '.join(hit['why'])})" if hit["why"] else ""
            echo(f"{hit['score']:5.1f}  {hit['path']}{why}")
        echo("1 photo" if len(data) == 1 else f"{len(data)} photos")
        for word in unlabelled:
            echo(word.sentence())
        for line in no_match:
            echo(line)
    return 0


def run_labels(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        counts = label_counts(library.catalog)
    data = [{"name": c.name, "count": c.count, "categories": list(c.categories)} for c in counts]
    if args.json:
        print_json(data)
    else:
        for item in data:
            echo(f"{item['count']:7d}  {item['name']}  {', '.join(item['categories'])}")
    return 0
