"""The persistent job queue: order survives a restart, failures park, a dead process's jobs come back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from photosorter.core.catalog import Catalog
from photosorter.core.live.queue import ANALYSIS_KINDS, LOCAL_KINDS, JobQueue, job_subject

SRC = Path(__file__).parents[1] / "src"

CLAIM_AND_WAIT = """
import sys, time
from photosorter.core.catalog import Catalog
from photosorter.core.live.queue import JobQueue
queue = JobQueue(Catalog(sys.argv[1]))
job = queue.claim(("scan",))
print(job.id, flush=True)
time.sleep(60)
"""


def claim_in_other_process(catalog_path: Path) -> tuple[subprocess.Popen, int]:
    child = subprocess.Popen(
        [sys.executable, "-c", CLAIM_AND_WAIT, str(catalog_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(SRC)},
    )
    return child, int(child.stdout.readline())


def test_jobs_resume_in_order_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    with Catalog(path) as catalog:
        queue = JobQueue(catalog)
        ids = [queue.scan_paths({"1": [f"/p/{i}.jpg"]}) for i in range(5)]
        first = queue.claim(LOCAL_KINDS)
        assert first is not None and first.id == ids[0]
    # the process "dies" with job 0 running; the next one takes it back first, then the rest in order
    with Catalog(path) as catalog:
        queue = JobQueue(catalog)
        assert queue.reclaim_orphans() == 1
        order = []
        while (job := queue.claim(LOCAL_KINDS)) is not None:
            order.append(job.id)
            queue.finish(job)
        assert order == ids
        assert queue.counts().pending == 0


def test_analysis_and_local_work_are_separate_lanes(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite3") as catalog:
        queue = JobQueue(catalog)
        analyze = queue.analyze_pending()
        scan = queue.scan_folder(1)
        assert queue.analyze_pending() is None and queue.scan_folder(1) is None  # queued once
        assert queue.claim(LOCAL_KINDS).id == scan
        assert queue.claim(ANALYSIS_KINDS).id == analyze
        assert queue.analyze_pending() is not None  # while one runs, the next may wait behind it


def test_a_job_that_keeps_failing_is_parked_with_its_error_and_can_be_retried(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite3") as catalog:
        queue = JobQueue(catalog, max_attempts=3, retry_delay=0.0)
        job_id = queue.scan_folder(7)
        parked = []
        for attempt in range(1, 4):
            job = queue.claim(LOCAL_KINDS)
            assert job is not None and job.attempts == attempt
            parked.append(queue.fail(job, f"disk on fire ({attempt})"))
        assert parked == [False, False, True]
        assert queue.claim(LOCAL_KINDS) is None  # not retried forever
        [shown] = queue.jobs()
        assert (shown.id, shown.state, shown.attempts, shown.error) == (
            job_id,
            "parked",
            3,
            "disk on fire (3)",
        )
        assert queue.counts().parked == 1
        assert queue.retry_parked() == 1
        again = queue.claim(LOCAL_KINDS)
        assert again is not None and again.id == job_id and again.attempts == 1


def test_a_failed_job_waits_before_its_next_attempt(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite3") as catalog:
        queue = JobQueue(catalog, retry_delay=30.0)
        queue.scan_folder(1)
        queue.fail(queue.claim(LOCAL_KINDS), "locked")
        assert queue.claim(LOCAL_KINDS) is None
        assert 25 < queue.next_ready_in(LOCAL_KINDS) <= 30


def test_a_postponed_job_keeps_its_attempts(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite3") as catalog:
        queue = JobQueue(catalog)
        queue.analyze_pending()
        for _ in range(5):  # offline for a long time: paused, never parked
            queue.postpone(queue.claim(ANALYSIS_KINDS), 0.0, "no network")
        [job] = queue.jobs()
        assert (job.state, job.attempts, job.error) == ("pending", 0, "no network")


def test_jobs_of_a_killed_process_are_reclaimed_but_a_live_ones_are_not(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    with Catalog(path) as catalog:
        queue = JobQueue(catalog)
        job_id = queue.scan_folder(1)
        child, claimed = claim_in_other_process(path)
        try:
            assert claimed == job_id
            assert queue.reclaim_orphans() == 0  # its owner is alive and working
            assert queue.claim(LOCAL_KINDS) is None
        finally:
            child.kill()
            child.wait()
        assert queue.reclaim_orphans() == 1
        job = queue.claim(LOCAL_KINDS)
        assert job is not None and job.id == job_id and job.attempts == 2


def test_a_job_that_kills_its_process_every_time_is_parked(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    with Catalog(path) as catalog:
        queue = JobQueue(catalog, max_attempts=2)
        queue.scan_folder(1)
        for _ in range(2):
            child, _claimed = claim_in_other_process(path)
            child.kill()
            child.wait()
            queue.reclaim_orphans()
        [job] = queue.jobs()
        assert job.state == "parked" and "stopped 2 times" in job.error


def test_a_keyed_job_going_back_to_pending_merges_with_a_newer_equal_one(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    with Catalog(path) as catalog:
        queue = JobQueue(catalog)
        queue.analyze_pending()
        running = queue.claim(ANALYSIS_KINDS)
        newer = queue.analyze_pending()
        queue.postpone(running, 0.0, "no network")  # would be a second pending "analyze everything"
        assert [(j.id, j.state) for j in queue.jobs()] == [(newer, "pending")]
        queue.claim(ANALYSIS_KINDS)
        queue.analyze_pending()
    with Catalog(path) as catalog:  # the same after a crash: reclaimed into the pending one
        queue = JobQueue(catalog)
        assert queue.reclaim_orphans() == 1
        assert [j.state for j in queue.jobs()] == ["pending"]


def test_each_job_says_what_it_is_about_in_the_users_words(tmp_path: Path) -> None:
    """One description for the queue panel and ``photosorter jobs``: a folder's path (or that it was
    removed), how many changed files or thumbnails, or the new photos analysis looks for."""
    with Catalog(tmp_path / "catalog.sqlite3") as catalog:
        queue = JobQueue(catalog)
        queue.scan_folder(1)
        queue.scan_folder(2)
        queue.scan_paths({"1": ["/p/a.jpg", "/p/b.jpg"], "2": ["/q/c.jpg"]})
        queue.scan_paths({"1": ["/p/d.jpg"]})
        queue.thumbnails(["h1"])
        queue.thumbnails(["h1", "h2", "h3"])
        queue.analyze_pending()
        folders = {1: "/photos/2024"}
        assert [(job.kind, job_subject(job, folders)) for job in queue.jobs()] == [
            ("scan", "/photos/2024"),
            ("scan", "a removed folder"),
            ("scan", "3 changed files"),
            ("scan", "1 changed file"),
            ("thumbnail", "1 thumbnail"),
            ("thumbnail", "3 thumbnails"),
            ("analyze", "new photos"),
        ]
