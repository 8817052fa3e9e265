"""`watch` (the live library in the foreground) and `jobs` (its queue; `jobs retry` un-parks)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from photosorter.cli.common import print_json
from photosorter.core.catalog.paths import display
from photosorter.core.errors import PhotosorterError
from photosorter.core.library import Library
from photosorter.core.live import LiveEvent, LiveLibrary
from photosorter.core.live.queue import JobQueue, job_subject
from photosorter.core.settings import BACKENDS


def register(commands: argparse._SubParsersAction) -> None:
    watch = commands.add_parser(
        "watch", help="watch the library folders and keep the catalog in step until Ctrl-C"
    )
    watch.add_argument("--json", action="store_true", help="print one JSON object per change")
    watch.add_argument("--no-analyze", action="store_true", help="scan and thumbnail only")
    watch.add_argument("--backend", choices=BACKENDS, help="default: the one in settings (local)")
    watch.add_argument("--profile", help="AWS profile (Rekognition)")
    watch.add_argument("--region", help="AWS region (Rekognition)")
    watch.set_defaults(handler=run_watch)

    jobs = commands.add_parser("jobs", help="list queued, running and parked jobs; `jobs retry` un-parks")
    jobs.add_argument("action", nargs="?", choices=("list", "retry"), default="list")
    jobs.add_argument("ids", nargs="*", type=int, metavar="ID", help="with retry: only these jobs")
    jobs.add_argument("--json", action="store_true")
    jobs.set_defaults(handler=run_jobs)


class _Printer:
    """One line per change: on a terminal, or as JSON lines; silent when piped without --json."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.show = as_json or sys.stdout.isatty()
        self._lock = threading.Lock()

    def __call__(self, event: LiveEvent) -> None:
        if not self.show or event.kind == "status":
            return
        line = json.dumps(event.to_dict(), ensure_ascii=False) if self.as_json else display(event.message)
        with self._lock:
            print(line, flush=True)


# Ctrl-C (INT), a logout or system shutdown (TERM), the terminal closed (HUP): stop at a safe point
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def run_watch(args: argparse.Namespace) -> int:
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    with Library.open(args.home) as library:
        if not library.folders():
            raise PhotosorterError("the library has no folders yet: run `photosorter scan FOLDER`")
        backend = args.backend or library.settings.backend
        options: dict[str, Any] = {}
        if backend == "rekognition":
            options = {"profile": args.profile, "region": args.region}
        live = LiveLibrary(
            library,
            analyzer=lambda: library.analyzer(backend, **options),
            analyze=False if args.no_analyze else None,
            on_event=_Printer(args.json),
        )
        previous = {sig: signal.signal(sig, request_stop) for sig in STOP_SIGNALS}
        try:
            live.start()
            if sys.stderr.isatty():
                folders = ", ".join(display(f.path) for f in library.folders())
                print(f"watching {folders}; Ctrl-C to stop", file=sys.stderr)
            while not stop.wait(0.5):
                pass
        finally:
            live.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        status = live.status()
    if sys.stderr.isatty():
        print(f"stopped; {status.pending} jobs left for next time", file=sys.stderr)
    return 0


def run_jobs(args: argparse.Namespace) -> int:
    with Library.open(args.home) as library:
        queue = JobQueue(library.catalog)
        if args.action == "retry":
            count = queue.retry_parked(args.ids or None)
            if args.json:
                print_json({"retried": count})
            else:
                print(f"{count} parked job{'s' if count != 1 else ''} queued again")
            return 0
        folders = {f.id: f.path for f in library.folders()}
        rows = [
            {
                "id": job.id,
                "kind": job.kind,
                "state": job.state,
                "what": job_subject(job, folders),
                "attempts": job.attempts,
                "error": job.error,
                "created_at": job.created_at,
            }
            for job in queue.jobs()
        ]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no jobs: the library is up to date")
    for row in rows:
        line = f"{row['id']:>6}  {row['state']:<8} {row['kind']:<9} {row['what']}"
        if row["error"]:
            line += f"  ({row['attempts']} attempts: {row['error']})"
        print(line)
    return 0
