"""When the GUI's garbage-collection pacer runs a full collection: in pauses of scrolling, not during it."""

from __future__ import annotations

import gc
import os

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
