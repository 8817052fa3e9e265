"""The command-line face of photosorter: the same core as the GUI, for scripts and headless machines."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from photosorter import __version__
from photosorter.cli import (
    analysis_commands,
    cloud_commands,
    cloud_sync_commands,
    export_commands,
    library_commands,
    organize_commands,
    people_commands,
    places_commands,
    search_commands,
    watch_commands,
    xmp_commands,
)
from photosorter.cli.common import EXIT_FAILURE, EXIT_USAGE, fail
from photosorter.core.errors import PhotosorterError

# Each module registers its own subcommands; adding a command never touches the others.
COMMAND_MODULES = [
    library_commands,
    analysis_commands,
    search_commands,
    people_commands,
    watch_commands,
    organize_commands,
    places_commands,
    export_commands,
    xmp_commands,
    cloud_commands,
    cloud_sync_commands,  # after the module that makes the `cloud` group: it adds `sync` to it
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors; keep that, minus the noise
        self.print_usage(sys.stderr)
        print(f"photosorter: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="photosorter", description=__doc__)
    parser.add_argument("--version", action="version", version=f"photosorter {__version__}")
    parser.add_argument(
        "--home", metavar="DIR", help="keep catalog, thumbnails and settings under DIR ($PHOTOSORTER_HOME)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(commands)
    gui = commands.add_parser("gui", help="open the desktop app (the default with no command)")
    gui.add_argument("folder", nargs="?", help="add this folder to the library first")
    gui.set_defaults(handler=_run_gui)
    return parser


def _run_gui(args: argparse.Namespace) -> int:
    from photosorter.gui.launch import launch

    return launch(args.home, getattr(args, "folder", None))


def main(argv: Sequence[str] | None = None) -> int:
    argv = search_commands.query_terms_first(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None) or _run_gui
    try:
        return int(handler(args) or 0)
    except PhotosorterError as error:
        return fail(str(error))
    except KeyboardInterrupt:
        print("photosorter: interrupted; everything finished so far is saved", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_FAILURE
