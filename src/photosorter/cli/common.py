"""What every command shares: output, exit codes, and driving a core job with a progress bar."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from photosorter.core.jobs import Job, Progress, run_to_end

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_FAILURE) -> int:
    print(f"photosorter: {message}", file=sys.stderr)
    return code


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
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
