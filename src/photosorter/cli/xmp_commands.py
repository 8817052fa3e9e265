"""`xmp write`: XMP sidecars other tools read (digiKam, Lightroom, darktable, exiftool), only when asked."""

from __future__ import annotations

import argparse
import os

from photosorter.cli.common import echo, print_json, run_job
from photosorter.core.catalog import metadata as meta
from photosorter.core.errors import EnvironmentFault, PhotosorterError
from photosorter.core.library import Library
from photosorter.core.xmp.export import write_sidecars
from photosorter.core.xmp.write import LABELS, PARTS, PEOPLE, RATINGS


def register(commands: argparse._SubParsersAction) -> None:
    xmp = commands.add_parser("xmp", help="XMP sidecars: write what photosorter knows for other tools")
    actions = xmp.add_subparsers(dest="xmp_command", metavar="ACTION", required=True)
    write = actions.add_parser(
        "write",
        help="write (merge into) one .xmp sidecar per photo; the photos themselves are never changed",
        description="Writes keywords (dc:subject, lr:hierarchicalSubject), the rating (xmp:Rating) and named"
        " faces (MWG and Microsoft regions) into IMG.jpg.xmp, or into an existing IMG.xmp. Fields of other"
        " tools in an existing sidecar are kept as they are. Without --labels/--people/--ratings, all three.",
    )
    where = write.add_mutually_exclusive_group(required=True)
    where.add_argument("path", nargs="?", metavar="PATH", help="a photo, or a folder of the library")
    where.add_argument("--all", action="store_true", help="every photo of the library")
    write.add_argument("--labels", action="store_true", help="keywords: yours, and labels found")
    write.add_argument("--people", action="store_true", help="named faces as face regions")
    write.add_argument("--ratings", action="store_true", help="ratings (a favourite without stars: 5)")
    write.add_argument("--json", action="store_true", help="print the report as JSON")
    write.set_defaults(handler=run_write)


def run_write(args: argparse.Namespace) -> int:
    parts = tuple(
        p for p, chosen in ((LABELS, args.labels), (PEOPLE, args.people), (RATINGS, args.ratings)) if chosen
    )
    with Library.open(args.home) as library:
        photo_ids = None
        if not args.all:
            path = os.path.abspath(os.path.expanduser(args.path))
            photo_ids = meta.photo_ids_under(library.catalog, path)
            if not photo_ids:
                raise PhotosorterError(f"{path}: no photo of the library is there (scan it first)")
        try:
            report = run_job(write_sidecars(library.catalog, photo_ids, parts or PARTS), quiet=args.json)
        except EnvironmentFault as fault:
            raise PhotosorterError(
                f"writing sidecars stopped: {fault}; the ones written so far are complete"
            ) from None
    if args.json:
        print_json(report.to_dict())
        return 0
    skipped = len(report.skipped)
    echo(f"{report.written} sidecars written, {report.unchanged} already up to date, {skipped} skipped")
    for path, reason in report.skipped:
        echo(f"  skipped {path}: {reason}")
    return 0
