"""Models are loaded on first use, once, however many worker threads ask for them at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LoadOnce(Generic[T]):
    """Calling it returns ``build()``'s value, built by the first caller while the others wait."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def __call__(self) -> T:
        if self._value is None:  # after the first load, no lock is taken
            with self._lock:
                if self._value is None:
                    self._value = self._build()
        return self._value
