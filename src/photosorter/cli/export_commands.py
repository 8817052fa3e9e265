"""`export`: copies of photos for sharing, the originals or resized JPEGs, with or without location."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from photosorter.cli.common import echo, print_json, run_job
from photosorter.core.errors import EnvironmentFault, PhotosorterError
from photosorter.core.export import QUALITY_RANGE, ExportOptions, export, items_for_paths
from photosorter.core.library import Library


def register(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "export",
        help="copy photos into a folder: the originals, or resized JPEGs (--long-side); never changes them",
    )
    command.add_argument("paths", nargs="+", metavar="PATH")
    command.add_argument("--to", required=True, metavar="DIR", help="the folder the copies go to")
    command.add_argument(
        "--long-side", type=int, metavar="N", help="resized JPEGs at most N px long (default: the originals)"
    )
    command.add_argument(
        "--quality",
        type=int,
        default=90,
        metavar="Q",
        help=f"JPEG quality of resized copies, {QUALITY_RANGE[0]}-{QUALITY_RANGE[1]} (default 90)",
    )
    command.add_argument(
        "--no-location", action="store_true", help="leave the GPS position out of the copies"
    )
    command.add_argument("--json", action="store_true", help="print what was written as JSON")
    command.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    missing = [path for path in args.paths if not Path(path).is_file()]
    if missing:
        raise PhotosorterError(
            f"not a file: {missing[0]}" + (f" (and {len(missing) - 1} more)" if missing[1:] else "")
        )
    options = ExportOptions(Path(args.to), args.long_side, args.quality, not args.no_location)
    with Library.open(args.home) as library:
        items = items_for_paths(library.catalog, args.paths)
    try:
        result = run_job(export(items, options), quiet=args.json)
    except KeyboardInterrupt:
        print("photosorter: export interrupted; the copies written so far are complete", file=sys.stderr)
        return 130
    except EnvironmentFault as fault:
        raise PhotosorterError(f"export stopped: {fault}") from None
    if args.json:
        print_json(
            {
                "written": [str(path) for path in result.written],
                "failed": [{"path": f.path, "reason": f.reason} for f in result.failed],
            }
        )
    else:
        for path in result.written:
            echo(path)
        for failure in result.failed:
            echo(f"not exported: {failure.path}: {failure.reason}")
        echo(result.summary())
    return 1 if result.failed else 0
