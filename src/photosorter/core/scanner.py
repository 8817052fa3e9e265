"""Finding photos in library folders and keeping the catalog in step with the disk.

Shape: a stat-only walk (scan_walk.py) decides what changed (unchanged files are never opened),
worker threads read the changed ones, and this generator is the catalog's single writer,
committing in short batches so a kill at any moment loses at most one batch.

A large scan's threads hand its photos, a few at a time, to reader processes (video.bounded's
Workers): Pillow releases the GIL while it decodes, but EXIF, XMP sidecars and the rest of a read are
Python that holds it, so three threads kept only about 1.6 of 2 cores busy, and on a busy machine a
thread holding the GIL and preempted stalls them all. A reader that crashes on a file costs that
file alone. A small scan (the watcher's few files) reads in the threads themselves, because starting
the processes costs more than it saves.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from photosorter.core.backfill import fill_places
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import duplicates as duplicate_rows
from photosorter.core.catalog import metadata as metadata_rows
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.paths import display
from photosorter.core.errors import EnvironmentFault, environment_fault
from photosorter.core.imaging import (
    ChangedWhileRead,
    NotAnImage,
    UnreadablePhoto,
    remove_stale_temp_files,
)
from photosorter.core.jobs import CancelToken, Job, Progress
from photosorter.core.media import has_media_extension, read_media, video_container
from photosorter.core.records import Folder, ImageFacts, PhotoMetadata
from photosorter.core.scan_walk import Candidate, WalkResult, under_any, walk_folder, walk_paths
from photosorter.core.video.bounded import DecoderDied, DecodeTimeout, Workers
from photosorter.core.video.reading import NotAVideo
from photosorter.core.xmp.read import ParsedSidecars, parse_sidecars

BATCH_SIZE = 200
BATCH_SECONDS = 1.0
# Files to read from which a scan reads in processes (benchmarks/bench_scan_readers.py): starting them
# costs about 0.6 s (1.2 s of CPU), so a smaller scan reads in threads; on an idle machine the two
# are even from a few thousand photos, on a busy one processes are a quarter faster
PROCESS_READS_FROM = 1000
# Photos a reader process reads per call: their sidecars are parsed one after another
# (xmp.read.parse_sidecars, half the CPU of parsing each between two images), and the round trip is
# paid once for all of them
READS_PER_CALL = 8
CALL_SECONDS = 600.0  # a reader process still busy after this is stuck (a hung network share)


@dataclass(slots=True)
class ScanReport:
    added: int = 0
    updated: int = 0
    moved: int = 0
    removed: int = 0
    unchanged: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)  # metadata dropped from photos it read
    skipped: list[dict[str, str]] = field(default_factory=list)  # media files that hold no photo or video
    offline_folders: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "moved": self.moved,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "warnings": self.warnings,
            "skipped": self.skipped,
            "offline_folders": self.offline_folders,
            "seconds": round(self.seconds, 3),
        }


def default_workers() -> int:
    # one more than the cores: while one thread waits on the disk the cores stay busy
    return (os.cpu_count() or 2) + 1


@dataclass(frozen=True, slots=True)
class ReadOutcome:
    candidate: Candidate
    facts: ImageFacts | None
    error: str | None  # None with facts None: not a photo, ignore it
    read_again: bool = False  # the error says nothing lasting about the file: keep no mtime for it
    skipped: str | None = None  # why a media file is not an item (an M4A song): reported, not stored


def read_candidate(
    candidate: Candidate,
    thumb_dir: Path,
    parsed_sidecars: ParsedSidecars | None = None,
) -> ReadOutcome:
    """Reads one file; raises EnvironmentFault (disk full, I/O error, no memory): never the file's fault."""
    if candidate.walk_error:
        return ReadOutcome(candidate, None, candidate.walk_error)
    try:
        facts = read_media(
            candidate.path, thumb_dir, candidate.sidecars, candidate.sidecar_sig, parsed_sidecars
        )
        return ReadOutcome(candidate, facts, None)
    except NotAVideo as problem:
        return ReadOutcome(candidate, None, None, skipped=str(problem))
    except NotAnImage as problem:
        if not has_media_extension(candidate.path):
            return ReadOutcome(candidate, None, None)  # a .txt or .pdf beside the photos: not ours to report
        return ReadOutcome(candidate, None, str(problem))
    except ChangedWhileRead as problem:
        return ReadOutcome(candidate, None, str(problem), read_again=True)
    except UnreadablePhoto as problem:
        return ReadOutcome(candidate, None, str(problem))
    except Exception as error:  # a decoder bug on one odd file must not end the scan; a full disk must
        if fault := environment_fault(error, display(candidate.path)):
            raise fault from error
        return ReadOutcome(
            candidate, None, f"unexpected error reading image: {type(error).__name__}: {error}"
        )


def read_in_reader(
    candidates: list[Candidate], thumb_dir: Path
) -> list[ReadOutcome | EnvironmentFault | None]:
    """``read_candidate`` of each, in a reader process, their sidecars parsed first, in a row.

    None for a video: the scan reads it in its own thread, because its decoders run in processes of
    their own, which a reader process (a daemon) cannot start. A fault is returned, not raised (a
    worker sends back values, and only the text of what it raises), and ends the list: the machine
    failed, and the rest is read by the next scan.
    """
    videos = [video_container(c.path) is not None for c in candidates]
    parsed = parse_sidecars(
        [p for c, video in zip(candidates, videos, strict=True) if not video for p in c.sidecars]
    )
    results: list[ReadOutcome | EnvironmentFault | None] = []
    for candidate, video in zip(candidates, videos, strict=True):
        if video:
            results.append(None)
            continue
        try:
            results.append(read_candidate(candidate, thumb_dir, parsed))
        except EnvironmentFault as fault:
            results.append(fault)
            break
    return results


def _store_fresh(conn, fresh: list[tuple[int, str, PhotoMetadata]]) -> None:
    """Stores the metadata waiting in ``fresh``: before any other metadata is stored, because that reads
    the rows of the content's other copies, which may be waiting here."""
    metadata_rows.store_new(conn, fresh)
    fresh.clear()


def _take_first(pending: deque[Future[list[ReadOutcome]]], batch: list[ReadOutcome]) -> None:
    """Moves the oldest read's outcomes to ``batch``, waiting for them. They leave ``pending`` only once
    they are in ``batch``: an interrupt during the wait must not lose a read that then finishes."""
    batch.extend(pending[0].result())
    pending.popleft()


def _finished(futures: deque[Future[list[ReadOutcome]]]) -> list[ReadOutcome]:
    """The outcomes of reads that ran to the end (not cancelled, not stopped by a fault)."""
    outcomes = []
    for future in futures:
        # exception() waits without raising what the read raised (the fault that stopped the scan, or the
        # same one met by another read), while a second Ctrl-C during the wait still ends it
        if not future.cancelled() and future.exception() is None:
            outcomes.extend(future.result())
    return outcomes


class Scanner:
    """Scans library folders into the catalog."""

    def __init__(
        self,
        catalog: Catalog,
        thumb_dir: Path,
        skip: tuple[Path, ...] = (),
        workers: int = 0,
        process_reads_from: int | None = None,
    ):
        self.catalog = catalog
        self.thumb_dir = thumb_dir
        self.skip = skip
        self.workers = workers or default_workers()
        self.process_reads_from = PROCESS_READS_FROM if process_reads_from is None else process_reads_from
        self._temp_files_checked = False

    def scan(self, folders: list[Folder], cancel: CancelToken | None = None) -> Job:
        """Generator: yields Progress, returns a ScanReport."""
        cancel = cancel or CancelToken()
        started = time.monotonic()
        report = ScanReport()
        yield Progress(0, 0, "Looking for photos…")
        walks: list[tuple[Folder, WalkResult, dict[str, photo_rows.KnownFile]]] = []
        for folder in folders:
            cancel.check()
            if not os.path.isdir(folder.path):
                # an unplugged disk or unmounted share: keep everything, show it as offline
                photo_rows.set_folder_online(self.catalog, folder.id, False)
                report.offline_folders.append(folder.path)
                continue
            if not folder.online:
                photo_rows.set_folder_online(self.catalog, folder.id, True)
            known = photo_rows.known_files(
                self.catalog, folder.id
            )  # after coming online: states are 'ok' again
            walk = walk_folder(folder, known, self.skip)
            report.unchanged += walk.unchanged
            walks.append((folder, walk, known))
            yield Progress(0, 0, f"Looking for photos… {sum(len(w.to_read) for _, w, _ in walks)} to read")

        to_read = [c for _, walk, _ in walks for c in walk.to_read]
        total = len(to_read)
        if to_read and not self._temp_files_checked:
            # thumbnails half-written by a process killed with -9; a no-change rescan writes none and
            # need not pay for listing the cache
            remove_stale_temp_files(self.thumb_dir)
            self._temp_files_checked = True
        yield Progress(0, total, "Reading photos")
        yield from self._read_and_write(to_read, total, cancel, report)

        gone: list[int] = []
        for _folder, walk, known in walks:
            for path, row in known.items():
                if path not in walk.seen and row.state != "missing" and not os.path.lexists(path):
                    gone.append(row.id)
        if gone:
            seen = set().union(*(walk.seen for _, walk, _ in walks))
            with self.catalog.transaction() as conn:
                # a row the writer re-pointed to a moved file's new path is not gone
                still_gone = [pid for pid in gone if photo_rows.path_of(conn, pid) not in seen]
                photo_rows.mark_missing(conn, still_gone)
            report.removed += len(still_gone)
        report.seconds = time.monotonic() - started
        return report

    def scan_paths(self, folder: Folder, paths: list[str], cancel: CancelToken | None = None) -> Job:
        """Generator: scans only ``paths`` (files or folders, present or gone) below ``folder``.

        The watcher's incremental pass: the same stat test, readers and writer as ``scan``,
        without walking the rest of the folder. Returns a ScanReport.
        """
        cancel = cancel or CancelToken()
        started = time.monotonic()
        report = ScanReport()
        if not os.path.isdir(folder.path):
            photo_rows.set_folder_online(self.catalog, folder.id, False)
            report.offline_folders.append(folder.path)
            return report
        if not folder.online:
            photo_rows.set_folder_online(self.catalog, folder.id, True)
        roots = {os.path.normpath(p) for p in paths}
        known = photo_rows.known_files_under(self.catalog, folder.id, roots)
        walk = walk_paths(folder, paths, known, self.skip)
        report.unchanged += walk.unchanged
        total = len(walk.to_read)
        yield Progress(0, total, "Reading photos")
        yield from self._read_and_write(walk.to_read, total, cancel, report)
        gone = [
            row.id
            for path, row in known.items()
            if path not in walk.seen
            and row.state != "missing"
            and under_any(path, walk.roots)
            and not os.path.lexists(path)
        ]
        if gone:
            with self.catalog.transaction() as conn:
                still_gone = [pid for pid in gone if photo_rows.path_of(conn, pid) not in walk.seen]
                photo_rows.mark_missing(conn, still_gone)
            report.removed += len(still_gone)
        report.seconds = time.monotonic() - started
        return report

    def _read_and_write(
        self, to_read: list[Candidate], total: int, cancel: CancelToken, report: ScanReport
    ) -> Iterator[Progress]:
        """Reads on worker threads with a bounded window (memory stays flat on any library size) and
        writes in short batches.

        However the reading stops (Ctrl-C, a cancel, a full disk), what was read is written first:
        an interrupted scan keeps its photos and the next one reads only the rest.
        """
        window = self.workers * 4
        pending: deque[Future[list[ReadOutcome]]] = deque()
        batch: list[ReadOutcome] = []
        done = 0
        last_flush = time.monotonic()
        # Every read that ran to the end, appended by the reading thread itself: a Ctrl-C can land after a
        # read was queued and before its future is in ``pending``, and that read must not be lost either.
        finished: list[ReadOutcome] = []
        written: set[int] = set()  # ids of the outcomes already in the catalog

        readers = Workers(self.workers) if total >= self.process_reads_from else None
        per_call = 1 if readers is None else READS_PER_CALL

        def read(candidates: list[Candidate]) -> list[ReadOutcome]:
            if readers is None:
                outcomes, fault = self._read_here(candidates)
            else:
                outcomes, fault = self._read_in_processes(readers, candidates)
            finished.extend(outcomes)  # one call under the GIL: never half done
            if fault is not None:
                raise fault
            return outcomes

        def write(batch: list[ReadOutcome]) -> None:
            self._write(batch, report)
            written.update(map(id, batch))

        with ThreadPoolExecutor(self.workers, thread_name_prefix="scan") as pool:
            try:
                for start in range(0, len(to_read), per_call):
                    cancel.check()
                    pending.append(pool.submit(read, to_read[start : start + per_call]))
                    while len(pending) >= window or (pending and pending[0].done()):
                        _take_first(pending, batch)
                    if len(batch) >= BATCH_SIZE or (batch and time.monotonic() - last_flush > BATCH_SECONDS):
                        write(batch)
                        done, batch, last_flush = done + len(batch), [], time.monotonic()
                        yield Progress(done, total, "Reading photos")
                while pending:
                    cancel.check()
                    _take_first(pending, batch)
                    if len(batch) >= BATCH_SIZE:
                        write(batch)
                        done, batch = done + len(batch), []
                        yield Progress(done, total, "Reading photos")
                if batch:
                    write(batch)
                    done, batch = done + len(batch), []
                    yield Progress(done, total, "Reading photos")
            except BaseException:
                for future in pending:
                    future.cancel()
                # reads already running finish (each is bounded: see headers.py); keep every good one
                _finished(pending)
                pool.shutdown(wait=True)  # and the ones whose future the interrupt kept from ``pending``
                rest = list({id(o): o for o in finished if id(o) not in written}.values())
                if rest:
                    self._write(rest, report)
                raise
            finally:
                if readers is not None:
                    pool.shutdown(wait=True)  # no read is still using a reader
                    readers.close()

    def _read_here(self, candidates: list[Candidate]) -> tuple[list[ReadOutcome], EnvironmentFault | None]:
        """The candidates read in this thread; stops at a fault, which it returns with what it read."""
        outcomes = []
        for candidate in candidates:
            try:
                outcomes.append(read_candidate(candidate, self.thumb_dir))
            except EnvironmentFault as fault:
                return outcomes, fault
        return outcomes, None

    def _read_in_processes(
        self, readers: Workers, candidates: list[Candidate]
    ) -> tuple[list[ReadOutcome], EnvironmentFault | None]:
        """The candidates read by a reader process (videos by this thread), as ``_read_here`` says them."""
        try:
            results = readers.call(read_in_reader, candidates, self.thumb_dir, timeout=CALL_SECONDS)
        except DecoderDied as problem:
            if len(candidates) > 1:
                # one file crashed the reader: each is read again on its own, so only that one fails
                outcomes: list[ReadOutcome] = []
                for candidate in candidates:
                    alone, fault = self._read_in_processes(readers, [candidate])
                    outcomes += alone
                    if fault is not None:
                        return outcomes, fault
                return outcomes, None
            # nothing lasting about the file (the reader may have been killed for the machine's memory):
            # no mtime is kept, and the next scan reads it again
            return [ReadOutcome(candidates[0], None, f"reading failed: {problem}", read_again=True)], None
        except DecodeTimeout as problem:  # a hung network share, or a decoder stuck on a file
            return [
                ReadOutcome(c, None, f"reading stopped: it {problem}", read_again=True) for c in candidates
            ], None
        except RuntimeError as problem:  # what was read could not be sent back
            return [ReadOutcome(c, None, f"reading failed: {problem}") for c in candidates], None
        outcomes = []
        for candidate, result in zip(candidates, results, strict=False):  # the results end at a fault
            if isinstance(result, EnvironmentFault):
                return outcomes, result
            if result is None:  # a video
                here, fault = self._read_here([candidate])
                outcomes += here
                if fault is not None:
                    return outcomes, fault
            else:
                outcomes.append(result)
        return outcomes, None

    def _write(self, batch: list[ReadOutcome], report: ScanReport) -> None:
        with self.catalog.transaction() as conn:
            # metadata of new photos that are their content's only copy, stored with one statement per
            # table at the end (per-photo statements were most of what sidecars added to a first scan)
            fresh: list[tuple[int, str, PhotoMetadata]] = []
            for outcome in batch:
                candidate = outcome.candidate
                name = os.path.basename(candidate.path)
                if outcome.error is not None:
                    photo_rows.record_error(
                        conn,
                        candidate.folder_id,
                        candidate.path,
                        name,
                        outcome.error,
                        candidate.size,
                        # without an mtime the next scan reads it again
                        None if outcome.read_again else candidate.mtime_ns,
                        candidate.sidecar_sig,
                    )
                    report.errors.append({"path": display(candidate.path), "error": outcome.error})
                    continue
                if outcome.skipped is not None:
                    report.skipped.append({"path": display(candidate.path), "reason": outcome.skipped})
                if outcome.facts is None:
                    continue
                self._store(conn, candidate, name, outcome.facts, report, fresh)
                if outcome.facts.perceptual_hash is not None:
                    duplicate_rows.store_hash(conn, outcome.facts.hash, outcome.facts.perceptual_hash)
            _store_fresh(conn, fresh)
        if any(o.facts is not None and o.facts.latitude is not None for o in batch):
            fill_places(self.catalog)  # the rows just written with a position, and any left before

    def _store(
        self,
        conn,
        candidate: Candidate,
        name: str,
        facts: ImageFacts,
        report: ScanReport,
        fresh: list[tuple[int, str, PhotoMetadata]],
    ) -> None:
        """Writes one photo's row; the metadata of a new only copy goes to ``fresh`` for ``store_new``."""
        report.warnings.extend({"path": display(candidate.path), "warning": w} for w in facts.warnings)
        existing = photo_rows.id_of(conn, candidate.path)
        if existing is not None:
            old_hash = photo_rows.hash_of(conn, existing)
            photo_rows.update_facts(conn, existing, facts)
            _store_fresh(conn, fresh)
            metadata_rows.store(conn, existing, old_hash, facts.hash, facts.metadata)
            report.updated += 1
            return
        copies = photo_rows.photos_with_hash(conn, facts.hash)
        for photo_id, old_path, state in copies:
            if state == "missing" or not os.path.lexists(old_path):
                # same content, old path gone: a move or rename keeps the id and all we know
                photo_rows.move_photo(conn, photo_id, candidate.folder_id, candidate.path, name)
                photo_rows.update_facts(conn, photo_id, facts)
                # the sidecars at the new path say what the photo's metadata is now
                _store_fresh(conn, fresh)
                metadata_rows.store(conn, photo_id, facts.hash, facts.hash, facts.metadata)
                report.moved += 1
                return
        photo_id = photo_rows.insert_photo(conn, candidate.folder_id, candidate.path, name, facts)
        if facts.metadata is not None:
            if copies:
                _store_fresh(conn, fresh)
                metadata_rows.store(conn, photo_id, None, facts.hash, facts.metadata)
            else:
                fresh.append((photo_id, facts.hash, facts.metadata))
        report.added += 1
