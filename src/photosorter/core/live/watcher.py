"""Noticing changes in library folders: watchdog events → settled paths, in batches.

A photo being copied produces a stream of events; we wait until its events stop
and its size and mtime hold still before anyone opens it. Thousands of events
from a camera import collapse into one set of paths per folder.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

QUIET_SECONDS = 0.5  # no event for this long, and an unchanged stat, means a file is settled
OPEN_QUIET_SECONDS = 2.0  # a file opened for writing and not yet closed must be quiet this long
HOLD_SECONDS = 0.8  # longest a settled path waits for others still settling, to join their batch
_WANTED = {EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED, EVENT_TYPE_DELETED, EVENT_TYPE_CLOSED}


@dataclass(slots=True)
class _Pending:
    last_event: float
    writing: bool = False  # written to and not closed yet
    stat: tuple[int, int] | None = None  # (size, mtime_ns) at the previous check
    checked: bool = False


def _stat_key(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns) if not os.path.isdir(path) else (-1, 0)


@dataclass
class Debouncer:
    """Collects changed paths and hands them out once they have settled. Thread-safe."""

    quiet: float = QUIET_SECONDS
    open_quiet: float = OPEN_QUIET_SECONDS
    hold: float = HOLD_SECONDS
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _held: set[str] = field(default_factory=set)
    _held_since: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def touch(self, path: str, *, writing: bool | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            entry = self._pending.get(path)
            if entry is None:
                entry = self._pending[path] = _Pending(now)
            entry.last_event = now
            entry.checked = False
            if writing is not None:
                entry.writing = writing

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending) + len(self._held)

    def settled(self) -> list[str]:
        """Settled paths, handed out together: held while other paths are still settling (both ends of
        a move between two watched folders arrive apart), but never longer than ``hold`` seconds."""
        now = time.monotonic()
        ready = self._settled(now)
        with self._lock:
            if ready and not self._held:
                self._held_since = now
            self._held.update(ready)
            if not self._held or (self._pending and now - self._held_since < self.hold):
                return []
            out, self._held = sorted(self._held), set()
        return out

    def _settled(self, now: float) -> list[str]:
        """Paths whose events stopped and whose stat did not move since the previous call."""
        with self._lock:
            quiet = [(p, e) for p, e in self._pending.items() if now - e.last_event >= self.quiet]
        ready: list[str] = []
        for path, entry in quiet:
            if entry.writing and now - entry.last_event < self.open_quiet:
                continue
            key = _stat_key(path)  # outside the lock: a slow disk must not block the event thread
            if key == (-1, 0) and self._busy_below(path):
                continue  # a folder being filled (cp -r): wait for its files, or we read them half-written
            with self._lock:
                current = self._pending.get(path)
                if current is not entry or entry.last_event > now:
                    continue  # a new event arrived meanwhile
                # two looks a tick apart, even for a gone path: both ends of a move then settle together
                if entry.checked and entry.stat == key:
                    del self._pending[path]
                    ready.append(path)
                else:
                    entry.stat, entry.checked = key, True
        return ready

    def _busy_below(self, folder: str) -> bool:
        prefix = folder.rstrip(os.sep) + os.sep
        with self._lock:
            return any(p.startswith(prefix) for p in self._pending)


class _Handler(FileSystemEventHandler):
    def __init__(self, debouncer: Debouncer, ignore: tuple[str, ...]) -> None:
        self.debouncer = debouncer
        self.ignore = ignore

    def _ignored(self, path: str) -> bool:
        name = os.path.basename(path)
        return name.startswith(".") or any(path == i or path.startswith(i + os.sep) for i in self.ignore)

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind not in _WANTED:
            return  # opened / closed without writing: our own reads must not cause rescans
        paths = [os.fsdecode(event.src_path)]
        if kind == EVENT_TYPE_MOVED:
            paths.append(os.fsdecode(event.dest_path))
        if kind == EVENT_TYPE_MODIFIED and event.is_directory:
            return  # a folder's mtime changes with every file in it; its files report themselves
        writing: bool | None = None
        if kind == EVENT_TYPE_MODIFIED:  # not CREATED: a file moved in from elsewhere arrives complete
            writing = True
        elif kind == EVENT_TYPE_CLOSED:
            writing = False
        for path in paths:
            if not self._ignored(path):
                self.debouncer.touch(path, writing=writing if path == paths[0] else None)


class FolderWatcher:
    """Recursive watches on library folders, feeding one Debouncer."""

    def __init__(self, debouncer: Debouncer, ignore: tuple[Path, ...] = ()) -> None:
        self.debouncer = debouncer
        self._handler = _Handler(debouncer, tuple(os.path.realpath(p) for p in ignore))
        self._observer = Observer()
        self._watches: dict[str, ObservedWatch] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        self._observer.daemon = True
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(timeout=5)

    def watched(self) -> set[str]:
        with self._lock:
            return set(self._watches)

    def watch(self, folder: str) -> bool:
        """(Re)starts watching ``folder``; False if it is not there (offline)."""
        with self._lock:
            old = self._watches.pop(folder, None)
            if old is not None:
                self._unschedule(old)
            if not os.path.isdir(folder):
                return False
            try:
                self._watches[folder] = self._observer.schedule(self._handler, folder, recursive=True)
            except OSError:
                return False  # vanished between the check and the watch; the next check retries
            return True

    def unwatch(self, folder: str) -> None:
        with self._lock:
            old = self._watches.pop(folder, None)
            if old is not None:
                self._unschedule(old)

    def _unschedule(self, watch: ObservedWatch) -> None:
        with contextlib.suppress(KeyError, OSError):  # the watch died with its folder
            self._observer.unschedule(watch)
