"""Worker processes that end with the process that started them, however it ends.

A pool worker blocks reading its task queue, and under ``spawn`` it holds both
ends of that pipe, so it never sees end-of-file when its parent dies: after a
``kill -TERM`` or ``kill -9`` of the desktop app its workers (and the
multiprocessing resource tracker, which waits for them) ran on with parent 1
for good, half a gigabyte each once models were loaded. So every worker
watches its parent from its first instruction: on Linux the kernel signals it
when the parent goes (``PR_SET_PDEATHSIG``); elsewhere a thread polls the
parent's pid. Ctrl-C and a closed terminal signal the whole process group;
those are the parent's to act on (it then stops its pools), so workers and
the resource tracker ignore them from the moment they exist.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import context, resource_tracker
from typing import Any

PARENT_POLL_SECONDS = 0.5  # the fallback's delay between a parent's death and its workers' end
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_DIED_EXIT = 70  # any non-zero status: nobody is left to read it
# Sent by the kernel when the thread that started the worker ends, which is not always the whole parent:
# a pool started from a short-lived thread would lose its workers with SIGTERM/SIGKILL. A signal of our
# own, on which the worker checks who its parent is now, ends it only when the parent is really gone.
PARENT_DEATH_SIGNAL = signal.SIGUSR1 if hasattr(signal, "SIGUSR1") else None
# Sent to the whole foreground process group by Ctrl-C (INT) and a closed terminal (HUP)
PARENT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def _parent_signals_blocked() -> Iterator[None]:
    """Blocks the group signals in this thread: a process started meanwhile inherits the block, so a
    Ctrl-C cannot interrupt its start-up (with a KeyboardInterrupt traceback) before it ignores them."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, PARENT_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _WorkerProcess(context.SpawnProcess):
    def start(self) -> None:
        with _parent_signals_blocked():
            super().start()


class _WorkerContext(context.SpawnContext):
    Process = _WorkerProcess


def process_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A process pool whose workers end when this process ends (then ``initializer(*initargs)``)."""
    if os.name == "posix":  # the tracker exists on POSIX only
        with _parent_signals_blocked():
            resource_tracker.ensure_running()  # started here (once) so it inherits the block too
    # spawn, not fork: the parent may be a Qt app with threads, which fork would copy half-way
    return ProcessPoolExecutor(
        workers,
        mp_context=_WorkerContext(),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )


def _start_worker(
    parent_pid: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    end_with_parent(parent_pid)
    for signum in PARENT_SIGNALS:  # ignored, and a Ctrl-C that came while starting is dropped
        signal.signal(signum, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, PARENT_SIGNALS)
    if initializer is not None:
        initializer(*initargs)


def end_with_parent(parent_pid: int, *, kernel_signal: bool = True) -> None:
    """Makes this process exit as soon as ``parent_pid`` is no longer its parent (the parent died).

    ``kernel_signal=False`` uses the portable polling thread even where the kernel could tell us.
    """
    if not (kernel_signal and _ask_kernel_for_parent_death_signal(parent_pid)):
        threading.Thread(target=_poll_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:  # it died before we were listening
        os._exit(PARENT_DIED_EXIT)


def _ask_kernel_for_parent_death_signal(parent_pid: int) -> bool:
    if not sys.platform.startswith("linux") or PARENT_DEATH_SIGNAL is None:
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False

    # Taken by a thread of its own, not a handler: a handler runs only when the main thread gets back to
    # Python, which a model load or an inference in C delays by seconds. Threads started later (the
    # runtime's own) inherit the block, so the waiting thread is the only one it reaches.
    signal.pthread_sigmask(signal.SIG_BLOCK, {PARENT_DEATH_SIGNAL})
    threading.Thread(
        target=_wait_for_death_signal, args=(parent_pid,), name="parent-death", daemon=True
    ).start()
    return libc.prctl(PR_SET_PDEATHSIG, int(PARENT_DEATH_SIGNAL), 0, 0, 0) == 0


def _wait_for_death_signal(parent_pid: int) -> None:
    while True:
        signal.sigwait({PARENT_DEATH_SIGNAL})
        if os.getppid() != parent_pid:  # not just the end of the parent thread that started us
            os._exit(PARENT_DIED_EXIT)


def _poll_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(PARENT_DIED_EXIT)


def worker_process(target: Callable[..., None], args: tuple[Any, ...] = ()) -> context.SpawnProcess:
    """One process (not a pool) running ``target(*args)``, ending with this process like a pool's workers.

    For work that can hang in C (a video decoder): the caller can kill this one process and start
    another, which a pool cannot do without breaking every task in it. Start it with ``start_lean``.
    """
    if os.name == "posix":
        with _parent_signals_blocked():
            resource_tracker.ensure_running()
    return _WorkerContext().Process(
        target=_run_worker, args=(os.getpid(), target, args), daemon=True, name="photosorter-worker"
    )


_main_swap = threading.Lock()


def start_lean(process: context.SpawnProcess) -> None:
    """Starts ``process`` without making it import this program's ``__main__`` first.

    spawn runs the parent's main script (or module) in every child before its target, so a worker of
    the app or the CLI imported the whole of ``photosorter.cli`` (a first decode waited 2.3 s instead
    of 1.3 s on a loaded machine). A worker whose target is a module-level function of photosorter
    needs none of it: for the moment of the start, ``__main__`` is a bare module.
    """
    bare = types.ModuleType("__main__")
    with _main_swap:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = bare
        try:
            process.start()
        finally:
            sys.modules["__main__"] = main


def _run_worker(parent_pid: int, target: Callable[..., None], args: tuple[Any, ...]) -> None:
    _start_worker(parent_pid, None, ())
    target(*args)
