"""`analyze`: run every photo that lacks a result through the chosen backend, once."""

from __future__ import annotations

import argparse

from photosorter.cli.common import counted, echo, fail, print_json, run_job
from photosorter.core.analysis.backends import features_for
from photosorter.core.catalog.paths import display
from photosorter.core.jobs import Progress
from photosorter.core.library import Library
from photosorter.core.settings import BACKENDS


def register(commands: argparse._SubParsersAction) -> None:
    analyze = commands.add_parser(
        "analyze", help="analyze photos that have no result yet (labels, faces, text, moderation)"
    )
    analyze.add_argument("--backend", choices=BACKENDS, help="default: the one in settings (local)")
    analyze.add_argument(
        "--features", metavar="LIST", help="comma-separated: labels,faces,text,moderation,celebrities"
    )
    analyze.add_argument("--limit", type=int, metavar="N", help="analyze at most N distinct photos")
    analyze.add_argument(
        "--refresh", action="store_true", help="re-analyze results made by an older model version"
    )
    analyze.add_argument("--profile", help="AWS profile (Rekognition)")
    analyze.add_argument("--region", help="AWS region (Rekognition)")
    analyze.add_argument("--budget", type=float, metavar="USD", help="stop before spending more than this")
    analyze.add_argument(
        "--dry-run", action="store_true", help="print calls and estimated cost; send nothing"
    )
    analyze.add_argument("--json", action="store_true")
    analyze.set_defaults(handler=run_analyze)


# From this many photos on, the local analyzer runs in worker processes, one per core, as in the desktop
# app: the Python around each model call holds the GIL, so threads of one process leave part of the second
# core idle (benchmarks/bench_analyze.py --processes); starting the workers and loading their models
# costs a few seconds, which a small run does not win back.
PROCESSES_FROM = 100


def _describe(progress: Progress) -> str:
    return progress.detail


def run_analyze(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        args.limit = 0
    with Library.open(args.home) as library:
        backend = args.backend or library.settings.backend
        if args.dry_run:
            return _dry_run(library, backend, args)
        options = {}
        if backend == "rekognition":
            options = {"profile": args.profile, "region": args.region, "budget_usd": args.budget}
        elif backend == "cloud":
            options = {"profile": args.profile, "region": args.region}
        analyzer = library.analyzer(backend, **options)
        run = library.analysis_run(analyzer, args.features, limit=args.limit, refresh=args.refresh)
        if backend == "local" and len(run.pending()[0]) >= PROCESSES_FROM:
            analyzer = library.analyzer(backend, isolated=True)  # models load lazily: nothing to undo
            run = library.analysis_run(analyzer, args.features, limit=args.limit, refresh=args.refresh)
        try:
            report = run_job(library.analyze(run), quiet=args.json, describe=_describe)
        finally:
            close = getattr(analyzer, "close", None)  # worker processes end with the run
            if close is not None:
                close()
    data = report.to_dict()
    if args.json:
        print_json(
            {
                key: data[key]
                for key in (
                    "analyzed",
                    "skipped",
                    "failed",
                    "calls",
                    "estimated_cost_usd",
                    "pending",
                    "elsewhere",
                    "waiting",
                )
            }
        )
    else:
        echo(
            f"{data['analyzed']} analyzed, {data['skipped']} already done, {len(data['failed'])} failed"
            f" in {data['seconds']:.1f} s with {backend}"
        )
        if report.waiting:
            echo(
                f"{report.waiting} waiting for the cloud library (uploaded; `photosorter cloud sync`"
                " brings their results)"
            )
        if report.elsewhere:
            echo(f"{report.elsewhere} being analyzed by another photosorter at the same time")
        if data["calls"]:
            calls = ", ".join(f"{op} {n}" for op, n in sorted(data["calls"].items()))
            echo(f"calls: {calls}; estimated cost ${data['estimated_cost_usd']:.2f}")
        for failure in data["failed"]:
            echo(f"  {failure['path']}: {failure['error']}")
    if (
        report.failed and not report.analyzed and not report.waiting
    ):  # a run that only failed is not a success
        first = report.failed[0]
        reason = " ".join(f"{first['path']}: {first['error']}".split())  # one line
        return fail(f"no photo analyzed: {len(report.failed)} failed (first: {reason})")
    return 0


def _dry_run(library: Library, backend: str, args: argparse.Namespace) -> int:
    # only a dry run needs the price table
    from photosorter.core.analysis.pricing import VIDEO_PRICES_AS_OF, estimate, usd, video_estimate
    from photosorter.core.analysis.video.timeline import clock

    if args.refresh and backend == "local":
        # what --refresh would redo depends on the current model versions: the local analyzer names them
        # without loading a model (Rekognition's name its collection, so its dry run counts any as done)
        run = library.analysis_run(library.analyzer(backend), args.features, limit=args.limit, refresh=True)
        work, skipped = run.pending()
    else:
        work, skipped = library.pending_analysis(backend, args.features, limit=args.limit)
    features = features_for(backend, library.settings, args.features)
    photos = [item for item in work if item.video is None]
    calls, cost = estimate(len(photos), features)
    videos = []
    for item in work:
        if item.video is None:
            continue
        found = video_estimate(item.video.duration_s or 0.0, features)
        for op, n in found.calls.items():
            calls[op] = calls.get(op, 0) + n
        cost += found.images_usd
        videos.append((item, found))
    if backend == "local":
        calls, cost = {}, 0.0
    data = {
        "to_analyze": len(work),
        "skipped": skipped,
        "calls": calls,
        "estimated_cost_usd": round(cost, 4),
        "videos": [
            {
                "path": display(item.paths[0]),
                "duration_s": found.duration_s,
                "keyframes": found.keyframes,
                "estimated_cost_usd": round(found.images_usd if backend != "local" else 0.0, 4),
                "rekognition_video_usd": round(found.video_api_usd, 4),
            }
            for item, found in videos
        ],
    }
    if args.json:
        print_json(data)
    else:
        kinds = counted(len(photos), "photo") + (f" and {counted(len(videos), 'video')}" if videos else "")
        echo(f"{kinds} to analyze with {backend} ({skipped} already done); nothing sent")
        for op, n in sorted(calls.items()):
            echo(f"  {op}: {n} calls")
        echo(f"estimated cost: ${cost:.2f}")
        for item, found in videos:
            price = f"${usd(found.images_usd)}" if backend != "local" else "no charge"
            echo(
                f"  {display(item.paths[0])}: {clock(round(found.duration_s * 1000))}, about"
                f" {found.keyframes} keyframes ({price}); Rekognition Video would charge"
                f" ${usd(found.video_api_usd)} (list price per minute, {VIDEO_PRICES_AS_OF})"
            )
    return 0
