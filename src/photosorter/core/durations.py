"""A video's running time as people count and read it: whole seconds, written "0:42" or "1:02:03".

The gallery's badge, the detail pane, ``photosorter show`` and the ``duration:`` search filter use
these two functions, so a video shown as "0:30" is exactly the one ``duration:30s`` finds.
"""

from __future__ import annotations


def whole_seconds(duration_s: float) -> int:
    """Rounded to the nearest second (a 29.6 s clip is "0:30")."""
    return int(duration_s + 0.5)


def clock(duration_s: float) -> str:
    """``42.2`` → "0:42", ``3723`` → "1:02:03"."""
    total = whole_seconds(duration_s)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
