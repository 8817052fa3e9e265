"""The cloud library's sync: incremental (O(changes)), idempotent, resumable after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cloud_world import REGION, CloudWorld, content_hash, hold
from photosorter.cloud_function import items
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import cloud as cloud_rows
from photosorter.core.cloud.library import CloudLibrary
from photosorter.core.cloud.session import CloudError
from photosorter.core.cloud.sync import sync
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library

LABELS = {"Labels": [{"Name": "Dog", "Confidence": 97.5, "Parents": [{"Name": "Animal"}], "Instances": []}]}
VERSIONS = {"labels": "DetectLabels/2016-06-27"}
HOUR_US = 3_600_000_000


@pytest.fixture
def cloud(aws) -> CloudWorld:
    return CloudWorld().create()


@pytest.fixture
def library(home: Path, cloud: CloudWorld):
    lib = Library.open(home)
    lib.save_settings(lib.settings.with_changes(backend="cloud", cloud_stack=cloud.stack, aws_region=REGION))
    yield lib
    lib.close()


def result(i: int, seq: int) -> dict:
    return items.encode_result(
        items.ResultItem(content_hash(i), "done", ("labels",), {"labels": LABELS}, VERSIONS, seq)
    )


def imported(catalog: Catalog) -> int:
    return int(catalog.scalar("SELECT count(*) FROM labels WHERE backend = 'rekognition'") or 0)


def test_sync_reads_only_what_changed_and_imports_each_item_once(library: Library, cloud: CloudWorld):
    hold(library.catalog, 40)
    step = 3 * 60_000_000  # three minutes between writes: more than the settle window
    long_ago = items.now_us() - 10 * HOUR_US
    cloud.put(*(result(i, long_ago + i * step) for i in range(30)))
    # 39: held here; 1000: a content this catalog does not hold (never stored, never recorded)
    cloud.put(result(39, long_ago + 30 * step), result(1000, long_ago + 31 * step))
    first = run_to_end(sync(library.catalog, CloudLibrary(library.settings), page_size=7))
    assert (first.read, first.results, first.pages) == (32, 31, 5)
    assert imported(library.catalog) == 31

    quiet = run_to_end(sync(library.catalog, CloudLibrary(library.settings)))
    assert (quiet.read, quiet.results) == (1, 0)  # only the settle window below the cursor is read again

    now = items.now_us()
    cloud.put(*(result(i, now + i) for i in range(30, 35)))
    changed = run_to_end(sync(library.catalog, CloudLibrary(library.settings)))
    assert (changed.read, changed.results) == (6, 5)
    settled = run_to_end(sync(library.catalog, CloudLibrary(library.settings)))
    assert (settled.read, settled.results) == (5, 0)  # the settle window is read again, imported once
    assert imported(library.catalog) == 36


def test_a_late_item_below_the_cursor_is_still_imported(library: Library, cloud: CloudWorld):
    """A writer whose clock lags (or the index's lag) makes an item appear below the cursor: within
    the settle window it is found by the next sync."""
    hold(library.catalog, 2)
    now = items.now_us()
    cloud.put(result(0, now))
    run_to_end(sync(library.catalog, CloudLibrary(library.settings)))
    cloud.put(result(1, now - 5_000_000))  # written 5 s "before" the one already read
    assert run_to_end(sync(library.catalog, CloudLibrary(library.settings))).results == 1


def test_kill_9_during_sync_resumes_without_losing_or_repeating(
    library: Library, cloud: CloudWorld, home: Path
):
    hold(library.catalog, 600)
    start = items.now_us() - HOUR_US
    cloud.put(*(result(i, start + i * 1000) for i in range(600)))
    script = textwrap.dedent(
        """
        import sys
        from photosorter.core.cloud.library import CloudLibrary
        from photosorter.core.cloud.sync import sync
        from photosorter.core.jobs import run_to_end
        from photosorter.core.library import Library

        def committed(page):
            print("committed", page.results, flush=True)
            sys.stdin.readline()  # hold here until killed: the first page is in the catalog

        with Library.open(sys.argv[1]) as library:
            cloud = CloudLibrary(library.settings)
            run_to_end(sync(library.catalog, cloud, page_size=100, on_page=committed))
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(home)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        line = child.stdout.readline()  # the observable point: the first page and its cursor committed
        assert line.split() == ["committed", "100"]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdin.close()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert imported(library.catalog) == 100
    assert cloud_rows.cursor(library.catalog, cloud.table) == start + 99 * 1000

    rerun = run_to_end(sync(library.catalog, CloudLibrary(library.settings), page_size=100))
    assert rerun.results == 500  # the rest, and not one of the first hundred again
    assert imported(library.catalog) == 600
    assert library.catalog.scalar("SELECT count(*) FROM cloud_items") == 600


def test_a_newer_schema_stops_the_sync_before_it(library: Library, cloud: CloudWorld):
    hold(library.catalog, 3)
    long_ago = items.now_us() - HOUR_US
    newer = result(1, long_ago + 2)
    newer["schema"] = {"N": str(items.SCHEMA + 1)}
    cloud.put(result(0, long_ago + 1), newer, result(2, long_ago + 3))
    with pytest.raises(CloudError, match=r"newer photosorter \(schema 2"):
        run_to_end(sync(library.catalog, CloudLibrary(library.settings), page_size=1))
    assert imported(library.catalog) == 1  # what came before it, and nothing misread
    with pytest.raises(CloudError):  # refused again next time: the cursor stays before it
        run_to_end(sync(library.catalog, CloudLibrary(library.settings), page_size=1))


def test_cloud_sync_command(library: Library, cloud: CloudWorld, cli, home: Path):
    hold(library.catalog, 2)
    cloud.put(result(0, items.now_us()), result(1, items.now_us()))
    out = cli("--home", home, "cloud", "sync", "--json")
    assert out.code == 0, out.err
    assert out.json()["results"] == 2
    text = cli("--home", home, "cloud", "sync")
    assert text.code == 0 and text.out.startswith("0 results imported")
