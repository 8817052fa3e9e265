"""When the GUI's garbage-collection pacer runs a full collection: in pauses of scrolling, not during it."""

from __future__ import annotations

import gc
import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from photosorter.gui.gc_pacer import FORCE_SECONDS, MAX_SECONDS, MIN_SECONDS, QUIET_SECONDS, GcPacer


@pytest.fixture
def pacer(qapp):
    pacer = GcPacer()
    yield pacer
    pacer.stop()


def scrolled(pacer: GcPacer, full_ago: float, touched_ago: float, now: float = 1000.0) -> bool:
    pacer._last_full, pacer._last_touch = now - full_ago, now - touched_ago
    return pacer.due(now)


def test_a_quiet_moment_after_a_while_collects(pacer) -> None:
    gc.collect(1)  # at least one young collection since the last full one: something to look at
    assert scrolled(pacer, MIN_SECONDS + 1, QUIET_SECONDS + 0.1)
    assert not scrolled(pacer, MIN_SECONDS - 1, QUIET_SECONDS + 0.1)  # one ran a moment ago
    assert not scrolled(pacer, MIN_SECONDS + 1, 0.1)  # the user is scrolling


def test_a_long_scroll_waits_for_a_short_pause_and_never_longer_than_the_limit(pacer) -> None:
    assert not scrolled(pacer, FORCE_SECONDS + 1, 0.05)  # mid-scroll: a stall the user would see
    assert scrolled(pacer, FORCE_SECONDS + 1, 0.6)  # half a second still: not seen
    assert scrolled(pacer, MAX_SECONDS + 1, 0.0)  # memory held by cycles stays bounded


def test_start_and_stop_keep_the_collector_as_it_was(pacer) -> None:
    before = gc.get_threshold()
    pacer.start()
    assert gc.get_threshold()[2] > before[2]  # no automatic full collection while it runs
    pacer.stop()
    assert gc.get_threshold() == before


def test_while_it_runs_no_thread_collects_by_itself_and_the_gui_thread_collects_as_often(pacer) -> None:
    """Young collections run on the GUI thread only: one on a lower-priority worker held the GIL while the
    worker waited for a core (see gc_pacer's docstring)."""
    collected_on: list[str] = []

    def note(phase: str, _info: dict) -> None:
        if phase == "start":
            collected_on.append(threading.current_thread().name)

    pacer.start()
    gc.callbacks.append(note)
    try:
        threshold0, threshold1, _ = gc.get_threshold()

        kept: list[list[int]] = []

        def allocate() -> None:  # containers kept alive: what the counts count (a freed one counts down)
            kept.extend([n] for n in range(threshold0 * 2))

        worker = threading.Thread(target=allocate, name="worker")
        worker.start()
        worker.join()
        assert collected_on == []
        assert gc.get_count()[0] >= threshold0
        assert pacer.collect_young() in (0, 1)
        assert collected_on == [threading.current_thread().name]
        assert gc.get_count()[0] < threshold0
        assert pacer.collect_young() is None  # nothing new since: nothing to do
        for _ in range(threshold1):  # every threshold1-th young collection takes generation 1 too
            allocate()
            if pacer.collect_young() == 1:
                break
        else:
            pytest.fail(f"no generation-1 collection in {threshold1} young ones")
    finally:
        gc.callbacks.remove(note)
        pacer.stop()
    assert gc.isenabled()
