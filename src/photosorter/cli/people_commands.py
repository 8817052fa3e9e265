"""`people` commands (being built)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Adds this module's subcommands; none yet."""
