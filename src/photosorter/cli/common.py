"""What every command shares: output, exit codes, and driving a core job with a progress bar."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import Any

from photosorter.core.jobs import Job, Progress, run_to_end

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


# Characters a file name, label or person name may hold that a terminal would act on (or that cannot
# be written as UTF-8): C0/C1 controls and DEL, bidirectional overrides and isolates, lone surrogates
# (Python's stand-ins for bytes of a non-UTF-8 file name).
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\ud800-\\udfff{_BIDI}]")
_SURROGATE = re.compile("[\\ud800-\\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as surrogateescape keeps it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_safe(text: object) -> str:
    """``text`` for a terminal: control characters, bidi overrides and undecodable bytes escaped
    (``\\x1b``, ``\\u202e``, ``\\xff``), so a file name can neither move the cursor, recolour or rewrite
    the screen, nor stop the output with an encoding error."""
    return _UNSAFE.sub(_escape, str(text))


def echo(line: object = "") -> None:
    """Prints one line of text output, made terminal-safe. Every text line the commands print goes
    through here (names and paths come from the disk and from users)."""
    print(terminal_safe(line))


def fail(message: str, code: int = EXIT_FAILURE) -> int:
    print(f"photosorter: {terminal_safe(message)}", file=sys.stderr)
    return code


def json_text(data: Any) -> str:
    """``data`` as JSON that is always valid UTF-8: a lone surrogate (a byte of a non-UTF-8 file name
    or argument) is written as its ``\\udcXX`` escape, which ``json.loads`` reads back to the same str."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def counted(n: int, noun: str) -> str:
    """``1 photo``, ``2 photos``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def print_json(data: Any) -> None:
    sys.stdout.write(json_text(data))
    sys.stdout.write("\n")


def run_job(job: Job, *, quiet: bool = False, describe: Callable[[Progress], str] | None = None) -> Any:
    """Runs a core job to completion, with a rich progress bar (counts, ETA) only on a terminal."""
    show = not quiet and sys.stderr.isatty()
    if not show:
        return run_to_end(job)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import (
        Progress as Bar,
    )

    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[detail]}"),
        transient=True,
    ) as bar:
        task = bar.add_task("Starting…", total=None, detail="")
        try:
            while True:
                progress = next(job)
                text = describe(progress) if describe else progress.detail
                bar.update(
                    task,
                    description=progress.message,
                    completed=progress.done,
                    total=progress.total or None,
                    detail=text,
                )
        except StopIteration as stop:
            return stop.value
