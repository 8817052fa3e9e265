"""The token bucket that paces Rekognition calls across worker threads."""

from __future__ import annotations

import threading

import pytest

from photosorter.core.analysis.ratelimit import TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)


def test_burst_then_paced_in_arrival_order() -> None:
    t = FakeTime()
    bucket = TokenBucket(5, clock=t.clock, sleep=t.sleep)
    for _ in range(5):
        bucket.acquire()
    assert t.slept == []
    for _ in range(3):
        bucket.acquire()
    assert t.slept == pytest.approx([0.2, 0.4, 0.6])  # each waiter queues behind the previous one


def test_refills_with_time_and_timeout() -> None:
    t = FakeTime()
    bucket = TokenBucket(2, burst=1, clock=t.clock, sleep=t.sleep)
    assert bucket.try_acquire() is True
    assert bucket.try_acquire() is False
    t.now += 0.5
    assert bucket.try_acquire() is True
    assert bucket.acquire(timeout=0.1) is False


def test_zero_rate_is_unlimited_and_bad_rates_are_refused() -> None:
    t = FakeTime()
    bucket = TokenBucket(0, clock=t.clock, sleep=t.sleep)
    for _ in range(100):
        bucket.acquire()
    assert bucket.unlimited and t.slept == []
    with pytest.raises(ValueError):
        TokenBucket(-1)


def test_threads_share_one_rate() -> None:
    t = FakeTime()
    bucket = TokenBucket(10, burst=1, clock=t.clock, sleep=t.sleep)
    threads = [threading.Thread(target=lambda: [bucket.acquire() for _ in range(5)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 20 tokens at 10/s with one saved: the waits are 0.1, 0.2, ... 1.9 s, each handed out once.
    assert sorted(t.slept) == pytest.approx([0.1 * k for k in range(1, 20)])
