"""`cloud sync`: bring this catalog up to date with the cloud library (results, failures, people).

The `cloud` command group belongs to ``cloud_commands`` (deploy, status, destroy); this module adds
its ``sync`` to the group, making the group only when it is not there yet, so it registers after it.
"""

from __future__ import annotations

import argparse
import dataclasses

from photosorter.cli.common import echo, print_json, run_job
from photosorter.core.cloud.library import CloudLibrary
from photosorter.core.cloud.sync import SyncReport, sync
from photosorter.core.library import Library


def cloud_group(commands: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The subcommands of `photosorter cloud`, made here if no other module made them."""
    parser = commands.choices.get("cloud")
    if parser is None:
        parser = commands.add_parser("cloud", help="the cloud library shared by your devices")
        return parser.add_subparsers(dest="cloud_command", metavar="ACTION", parser_class=type(parser))
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if found:
        return found[0]
    return parser.add_subparsers(dest="cloud_command", metavar="ACTION", parser_class=type(parser))


def register(commands: argparse._SubParsersAction) -> None:
    command = cloud_group(commands).add_parser(
        "sync", help="import what other devices and the cloud function added; share your people"
    )
    command.add_argument("--profile", help="AWS profile (default: the one in settings)")
    command.add_argument("--region", help="AWS region (default: the one in settings)")
    command.add_argument("--json", action="store_true")
    command.set_defaults(handler=run_sync)


def run_sync(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        settings = library.settings.with_changes(
            aws_profile=args.profile or library.settings.aws_profile,
            aws_region=args.region or library.settings.aws_region,
        )
        cloud = CloudLibrary(settings)
        try:
            report: SyncReport = run_job(sync(library.catalog, cloud), quiet=args.json)  # type: ignore[assignment]
            if report.results or report.people:
                library.group_faces()
        finally:
            cloud.close()
    if args.json:
        print_json(dataclasses.asdict(report))
    else:
        echo(report.describe())
    return 0
