"""A thread-safe token bucket that paces calls to a metered service.

Every caller takes its token immediately and then sleeps until that token is
due, so waiting callers are served in arrival order and the long-run rate is
exact even with many threads. ``burst`` tokens may be spent back to back
after an idle period.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up (default: max(1, rate)).

    A rate of ``0`` or ``inf`` means "no limit": ``acquire`` never waits.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate < 0 or math.isnan(rate):
            raise ValueError(f"rate must be >= 0, got {rate!r}")
        if burst is not None and burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst!r}")
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._rate = float(rate)
        self._burst = float(burst) if burst is not None else max(1.0, float(rate))
        self._tokens = self._burst
        self._last = clock()

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def burst(self) -> float:
        return self._burst

    @property
    def unlimited(self) -> bool:
        return self._rate == 0 or math.isinf(self._rate)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(self._burst, self._tokens + elapsed * self._rate)

    def set_rate(self, rate: float, burst: float | None = None) -> None:
        """Changes the rate (and optionally the burst) from now on."""
        if rate < 0 or math.isnan(rate):
            raise ValueError(f"rate must be >= 0, got {rate!r}")
        with self._lock:
            self._refill(self._clock())
            self._rate = float(rate)
            if burst is not None:
                self._burst = float(burst)
            self._tokens = min(self._tokens, self._burst)

    def acquire(self, tokens: float = 1.0, timeout: float | None = None) -> bool:
        """Waits until ``tokens`` may be spent and spends them.

        Returns False without spending anything if that would take longer than
        ``timeout`` seconds; returns True otherwise.
        """
        if tokens <= 0 or self.unlimited:
            return True
        with self._lock:
            self._refill(self._clock())
            wait = max(0.0, (tokens - self._tokens) / self._rate)
            if timeout is not None and wait > timeout:
                return False
            # Take the tokens now (possibly going into debt) so that later
            # callers queue behind this one.
            self._tokens -= tokens
        if wait > 0:
            self._sleep(wait)
        return True

    def try_acquire(self, tokens: float = 1.0) -> bool:
        """Spends ``tokens`` only if they are available right now."""
        return self.acquire(tokens, timeout=0.0)
