"""A big scan's XMP sidecars, parsed ahead of their photos in a helper process.

Parsing XML holds the GIL (expat building the tree, then Python picking the fields). In the scanner's
reading threads it ran one thread at a time while the decoders waited for it: a sidecar added 1.2x the
CPU of a 10,000-photo scan but 1.3x its wall time, and a reading thread spent 2.3 ms of wall time in
the 0.5 ms of CPU a sidecar took (2,000 photos, a shared 2-core machine). In a process of its own the
parse runs beside the decoders, and the readers only take the small frozen ``ParsedSidecar`` records.

The helper only saves time and is never waited for: a reader whose sidecars are not parsed yet (the
helper is still starting, or it is gone) parses them itself, exactly as a small scan does.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from photosorter.core.scan_walk import Candidate
from photosorter.core.worker_processes import lean_main, process_pool
from photosorter.core.xmp.sidecar import ParsedSidecar, parse_sidecar, parse_sidecars

# Photos with sidecars below which a scan parses them in its reading threads: starting a process costs
# about as much CPU as parsing a few hundred sidecars, and a watcher's small scans should not pay it.
HELPER_MIN_PHOTOS = 500
CHUNK = 50  # photos per task: one pickled task and one result per 50 photos, not per photo
AHEAD = 4  # chunks asked for beyond the one being read: results held stay few on any library size

Ticket = tuple[Future, int]  # a chunk's result and the photo's place in it


class SidecarPrefetch:
    """Parses the sidecars of ``candidates`` (in their order) a few chunks ahead of their reads."""

    def __init__(self, candidates: Sequence[Candidate]):
        self._groups = [c.sidecars for c in candidates]
        helped = sum(1 for group in self._groups if group) >= HELPER_MIN_PHOTOS
        self._pool: ProcessPoolExecutor | None = process_pool(1) if helped else None
        self._chunks: dict[int, Future] = {}
        self._asked = 0  # chunks submitted so far

    def ticket(self, index: int) -> Ticket | None:
        """Where the parsed sidecars of ``candidates[index]`` will be; called in order as reads are queued.
        None: the reader parses them itself (no helper, or no sidecars)."""
        if self._pool is None or not self._groups[index]:
            return None
        chunk = index // CHUNK
        while self._asked <= chunk + AHEAD and self._asked * CHUNK < len(self._groups):
            start = self._asked * CHUNK
            try:
                with lean_main():  # the helper starts at the first submit: without importing the app
                    task = self._pool.submit(parse_sidecars, self._groups[start : start + CHUNK])
            except (OSError, RuntimeError):  # no process could start, or it died: the readers parse
                self.close()
                return None
            self._chunks[self._asked] = task
            self._asked += 1
        for passed in [k for k in self._chunks if k < chunk]:
            del self._chunks[passed]  # its readers hold their tickets
        return self._chunks[chunk], index - chunk * CHUNK

    def close(self) -> None:
        """Ends the helper; run after every reader is done (none then waits for a cancelled chunk)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._chunks.clear()


def sidecars_for(candidate: Candidate, ticket: Ticket | None) -> tuple[ParsedSidecar, ...]:
    """The parsed sidecars of one photo, in its reading thread: the helper's when they are ready."""
    if ticket is not None:
        future, place = ticket
        if future.done() and not future.cancelled() and future.exception() is None:
            return future.result()[place]
    return tuple(parse_sidecar(path) for path in candidate.sidecars)
