"""Running decoder calls in worker processes with a time limit: a decoder that hangs is killed.

OpenCV's FFmpeg can spin on a damaged stream and cannot be interrupted from Python, so each call runs
in a process of its own (reused for the next call), and a call that overruns its limit ends that
process. Workers start on first use and exit after IDLE_SECONDS without work, so the app keeps no
decoders it does not use; they also end with the process that started them (worker_processes).
A large scan reads its photos in a ``Workers`` of its own (scanner.py): there for the second core,
which Python code holding the GIL kept from the scan's threads, and closed when the scan ends.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe
from typing import Any

from photosorter.core.worker_processes import start_lean, worker_process

DECODE_SECONDS = 30.0  # one poster from a 10-hour 4K file takes ~1 s; a healthy decode is far below this
IDLE_SECONDS = 30.0
_REUSE_SECONDS = IDLE_SECONDS - 5.0  # an older idle worker may be exiting right now: start a new one


class DecodeTimeout(Exception):
    """The call ran over its time limit; its process was killed."""


class DecoderDied(Exception):
    """The worker process ended during the call (a crash in the decoder, killed, out of memory)."""


def _serve(conn: Connection) -> None:
    while conn.poll(IDLE_SECONDS):
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = (True, fn(*args))
        except Exception as error:  # the caller reports it; the worker stays for the next call
            reply = (False, f"{type(error).__name__}: {error}")
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return  # the caller is gone
        except Exception as error:  # a value that cannot be pickled: say so, and stay
            conn.send((False, f"the result cannot be sent back: {type(error).__name__}: {error}"))


@dataclass(slots=True)
class _Worker:
    process: Any
    conn: Connection
    used: float

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class Workers:
    """At most ``size`` calls at once, each in a worker process of its own."""

    def __init__(self, size: int) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        """``fn(*args)`` in a worker; raises DecodeTimeout, DecoderDied, or RuntimeError with the
        worker's error text. ``fn`` must be importable by name (a module-level function)."""
        limit = DECODE_SECONDS if timeout is None else timeout
        with self._slots:
            worker = self._take()
            try:
                worker.conn.send((fn, args))
                if not worker.conn.poll(limit):
                    worker.kill()
                    raise DecodeTimeout(f"took longer than {limit:g} s")
                ok, value = worker.conn.recv()
            except (EOFError, OSError) as error:
                worker.kill()
                code = worker.process.exitcode
                raise DecoderDied(f"the decoder process ended (exit status {code})") from error
            except BaseException:
                worker.kill()  # an interrupt mid-call: the worker's state is unknown
                raise
            worker.used = time.monotonic()
            with self._lock:
                if self._closed:
                    worker.kill()
                else:
                    self._idle.append(worker)
        if not ok:
            raise RuntimeError(value)
        return value

    def _take(self) -> _Worker:
        now = time.monotonic()
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if now - worker.used < _REUSE_SECONDS and worker.process.is_alive():
                    return worker
                worker.kill()
        ours, theirs = Pipe()
        process = worker_process(_serve, (theirs,))
        start_lean(process)
        theirs.close()
        return _Worker(process, ours, now)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_shared: Workers | None = None
_shared_lock = threading.Lock()


def shared_workers() -> Workers:
    """The process's decoder workers, one per core (the scanner's threads share them)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Workers(os.cpu_count() or 2)
        return _shared
