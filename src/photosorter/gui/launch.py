"""Starting the desktop app (placeholder until the GUI lands)."""

from __future__ import annotations

import sys


def launch(home: str | None, folder: str | None) -> int:
    print("photosorter: the desktop app is not built yet; use `photosorter scan|stats|show`", file=sys.stderr)
    return 1
