"""`cloud deploy|status|destroy`: the cloud library's AWS stack, made, inspected and removed.

The stack name, profile and region default to the settings (``cloud_stack``, ``aws_profile``,
``aws_region``); credentials come from the standard AWS chain and are never stored.
"""

from __future__ import annotations

import argparse

from photosorter.cli.common import EXIT_FAILURE, counted, echo, fail, print_json
from photosorter.core.cloud.deploy import DEFAULT_CONCURRENCY, DEFAULT_EXPIRE_DAYS, deploy
from photosorter.core.cloud.destroy import destroy
from photosorter.core.cloud.stack import StackEvent, Step
from photosorter.core.cloud.status import status, status_lines
from photosorter.core.paths import app_paths
from photosorter.core.settings import Settings, load_settings


def register(commands: argparse._SubParsersAction) -> None:
    cloud = commands.add_parser(
        "cloud", help="the cloud library: one AWS stack that analyzes once for every device"
    )
    sub = cloud.add_subparsers(dest="cloud_command", metavar="SUBCOMMAND", parser_class=type(cloud))
    sub.required = True  # `photosorter cloud` alone is a usage error that lists the subcommands

    def add(name: str, handler, help_: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_)
        parser.add_argument("--name", help="the stack's name (default: the cloud_stack setting, photosorter)")
        parser.add_argument("--profile", help="AWS profile (default: the aws_profile setting)")
        parser.add_argument("--region", help="AWS region (default: the aws_region setting or AWS's default)")
        parser.set_defaults(handler=handler)
        return parser

    deploy_ = add("deploy", run_deploy, "create the cloud library's stack, or bring it up to date")
    deploy_.add_argument(
        "--days",
        type=int,
        default=DEFAULT_EXPIRE_DAYS,
        metavar="N",
        help=f"delete uploaded analysis images and videos after N days (default {DEFAULT_EXPIRE_DAYS})",
    )
    deploy_.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"analyses at once, at most (default {DEFAULT_CONCURRENCY}: Rekognition's smallest rate "
        "quota; 0 reserves none, for accounts whose Lambda quota is too small)",
    )
    add("status", run_status, "the stack's state, results, failures, calls and cost").add_argument(
        "--json", action="store_true"
    )
    add("destroy", run_destroy, "delete the stack, its bucket, table and face collection").add_argument(
        "--yes", action="store_true", help="do not ask for confirmation (for scripts)"
    )


def _target(args: argparse.Namespace) -> tuple[str, str | None, str | None]:
    settings: Settings = load_settings(app_paths(args.home).settings)
    return (
        args.name or settings.cloud_stack,
        args.profile or settings.aws_profile,
        args.region or settings.aws_region,
    )


def _show(update: Step | StackEvent) -> None:
    echo(update.describe() if isinstance(update, StackEvent) else update.message)


def run_deploy(args: argparse.Namespace) -> int:
    name, profile, region = _target(args)
    result = deploy(name, profile, region, _show, expire_days=args.days, concurrency=args.concurrency)
    outputs = result.outputs
    verb = "Deployed" if result.changed else "Already up to date:"
    echo(f"{verb} the cloud library '{name}' in {result.region} ({result.status})")
    echo(f"  bucket      {outputs.bucket}")
    echo(f"  table       {outputs.table}")
    echo(f"  function    {outputs.function}")
    echo(f"  collection  {outputs.collection_id}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    name, profile, region = _target(args)
    result = status(name, profile, region)
    if args.json:
        print_json(result.as_json())
    else:
        for line in status_lines(result):
            echo(line)
    return 0


def run_destroy(args: argparse.Namespace) -> int:
    name, profile, region = _target(args)

    def confirm(summary: str) -> bool:
        echo(summary)
        if args.yes:
            return True
        try:
            answer = input(f"Delete the cloud library '{name}'? [y/N] ")
        except EOFError:
            return False
        return answer.strip().lower() in ("y", "yes")

    result = destroy(name, profile, region, _show, confirm=confirm)
    if result is None:
        return fail("nothing was deleted", EXIT_FAILURE)
    echo(
        f"Deleted the cloud library '{name}' in {result.region}: "
        f"{counted(result.objects_deleted, 'object')} removed from its bucket"
        + (" (the bucket was already gone)" if result.bucket_missing else "")
        + ("" if result.collection_deleted else "; there was no face collection")
    )
    return 0
