"""The live library on real filesystem events: each change reaches the catalog (the 2 s promise is timed
in benchmarks/bench_watch.py: a wall-clock limit here would fail on a busy machine, not on a slow library)."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from photosorter.core import faces
from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature, Label, TransientAnalysisError
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.people_views import GroupKind
from photosorter.core.imaging import has_image_extension
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library
from photosorter.core.live import LiveEvent, LiveLibrary


class CountingAnalyzer:
    """Answers at once, counts calls per analysis image, and can pretend the network is down."""

    name = "counting"
    default_features = frozenset({Feature.LABELS})

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.offline = False
        self._lock = threading.Lock()

    def model_version(self, feature: Feature) -> str:
        return "1"

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        if self.offline:
            raise TransientAnalysisError("could not connect to the endpoint URL")
        with self._lock:
            self.calls.append(hashlib.sha1(image).hexdigest())
        return AnalysisResult(self.name, features, labels=(Label("Thing", 90.0),))


def jpeg(index: int, size: int = 8) -> bytes:
    """A small JPEG whose pixels differ from every other index's."""
    out = io.BytesIO()
    Image.new("RGB", (size, size), ((index % 50) * 5, (index // 50) * 5, 128)).save(out, "JPEG", quality=95)
    return out.getvalue()


def on_disk(*folders: Path) -> set[str]:
    found = set()
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found |= {
                os.path.join(root, f) for f in files if has_image_extension(f) and not f.startswith(".")
            }
    return found


def in_catalog(library: Library) -> set[str]:
    ids = photo_rows.visible_photo_ids(library.catalog)
    return {p.path for p in photo_rows.photos_by_ids(library.catalog, ids).values() if p.state == "ok"}


def wait_for(condition: Callable[[], bool], timeout: float = 120.0, what: str = "condition") -> float:
    """Polls until ``condition`` holds; returns how long it took. ``timeout`` only guards against a hang."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - started


def matches_disk(library: Library, *folders: Path) -> Callable[[], bool]:
    return lambda: in_catalog(library) == on_disk(*folders)


@pytest.fixture
def second_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "more photos"
    folder.mkdir()
    return folder


@pytest.fixture
def library(home: Path, photo_folder: Path, second_folder: Path):
    with Library.open(home) as library:
        library.add_folder(photo_folder)
        library.add_folder(second_folder)
        yield library


@pytest.fixture
def analyzer() -> CountingAnalyzer:
    return CountingAnalyzer()


@pytest.fixture
def events() -> list[LiveEvent]:
    return []


@pytest.fixture
def live(library: Library, analyzer: CountingAnalyzer, events: list[LiveEvent], photo_folder, second_folder):
    service = LiveLibrary(library, analyzer=analyzer, on_event=events.append, pause_backoff=(0.2, 0.5))
    service.start()
    wait_for(matches_disk(library, photo_folder, second_folder), what="the start-up scan")
    wait_for(lambda: service.status().pending + service.status().running == 0, what="an idle queue")
    yield service
    service.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("live-")]  # no thread left behind


def test_create_change_rename_and_delete_reach_the_catalog(
    live: LiveLibrary, library: Library, photo_folder: Path, second_folder: Path
) -> None:
    same = matches_disk(library, photo_folder, second_folder)
    new = photo_folder / "new.jpg"
    new.write_bytes(jpeg(1, 64))
    wait_for(same, what="a new photo")
    first = library.photo_by_path(str(new))

    new.write_bytes(jpeg(2, 64))
    changed = lambda: (p := library.photo_by_path(str(new))) is not None and p.hash != first.hash  # noqa: E731
    wait_for(changed, what="a changed photo")
    assert library.photo_by_path(str(new)).id == first.id

    renamed = photo_folder / "renamed.jpg"
    new.rename(renamed)
    wait_for(same, what="a renamed photo")
    assert library.photo_by_path(str(renamed)).id == first.id

    renamed.unlink()
    wait_for(same, what="a deleted photo")
    assert library.photo_by_path(str(renamed)).state == "missing"


def test_a_slow_copy_is_read_once_when_it_is_complete(
    live: LiveLibrary, library: Library, photo_folder: Path, events: list[LiveEvent]
) -> None:
    data = (photo_folder / "cat_and_dog.jpeg").read_bytes()
    target = photo_folder / "slow.jpeg"
    with open(target, "wb") as handle:  # one writer, several writes with pauses
        for start in range(0, len(data), len(data) // 5 + 1):
            handle.write(data[start : start + len(data) // 5 + 1])
            handle.flush()
            time.sleep(0.4)
    wait_for(lambda: any(e.path == str(target) for e in events), what="the copied photo")
    photo = library.photo_by_path(str(target))
    assert (
        photo.state == "ok"
        and photo.hash == library.photo_by_path(str(photo_folder / "cat_and_dog.jpeg")).hash
    )
    assert [e.kind for e in events if e.path == str(target)] == ["added"]  # never read half-written


def test_a_video_copied_slowly_is_read_once_it_is_complete(
    live: LiveLibrary, library: Library, photo_folder: Path, events: list[LiveEvent], tmp_path: Path
) -> None:
    """Half a video is a clear error ("incomplete download"), so the live library must not read it early."""
    from video_files import dog_video

    data = dog_video(tmp_path / "made.mp4").read_bytes()
    target = photo_folder / "clip.mp4"
    with open(target, "wb") as handle:  # one writer, several writes with pauses; the index comes last
        for start in range(0, len(data), len(data) // 5 + 1):
            handle.write(data[start : start + len(data) // 5 + 1])
            handle.flush()
            time.sleep(0.4)
    wait_for(lambda: any(e.path == str(target) for e in events), what="the copied video")
    video = library.photo_by_path(str(target))
    assert (video.state, video.is_video, video.error) == ("ok", True, None)
    assert [e.kind for e in events if e.path == str(target)] == ["added"]  # never read half-written


def test_appending_copies_with_short_pauses_are_not_read_early(
    live: LiveLibrary, library: Library, photo_folder: Path, events: list[LiveEvent]
) -> None:
    data = (photo_folder / "golden_gate_bridge.webp").read_bytes()
    target = photo_folder / "appended.webp"
    chunk = len(data) // 4 + 1
    for start in range(0, len(data), chunk):  # a copy tool that reopens the file for each block
        with open(target, "ab") as handle:
            handle.write(data[start : start + chunk])
        time.sleep(0.25)
    wait_for(lambda: any(e.path == str(target) for e in events), what="the copied photo")
    assert library.photo_by_path(str(target)).state == "ok"
    assert [e.kind for e in events if e.path == str(target)] == ["added"]


def test_a_move_between_folders_keeps_the_photo_and_its_analysis(
    live: LiveLibrary,
    library: Library,
    photo_folder: Path,
    second_folder: Path,
    analyzer: CountingAnalyzer,
    events: list[LiveEvent],
) -> None:
    wait_for(lambda: len(analyzer.calls) == 5, what="the first analysis")
    source = photo_folder / "cat_and_dog.jpeg"
    before = library.photo_by_path(str(source))
    moved = second_folder / "sub" / "cat.jpeg"
    moved.parent.mkdir()
    shutil.move(source, moved)
    wait_for(matches_disk(library, photo_folder, second_folder), what="the move")
    after = library.photo_by_path(str(moved))
    assert (after.id, after.hash, after.state) == (before.id, before.hash, "ok")
    assert library.analysis_of(after).labels[0].name == "Thing"
    # a scan job queues the analysis it makes necessary before it finishes: once nothing settles, waits
    # or runs, an analysis the move caused would have run
    idle = lambda: (st := live.status()).settling + st.pending + st.running == 0  # noqa: E731
    wait_for(idle, what="an idle queue after the move")
    assert len(analyzer.calls) == 5  # moved, not paid for again
    messages = "\n".join(e.message for e in events)
    assert any(e.kind == "moved" and e.path == str(moved) for e in events), messages


def test_a_burst_of_2000_files_is_batched(
    live: LiveLibrary,
    library: Library,
    photo_folder: Path,
    second_folder: Path,
    analyzer: CountingAnalyzer,
    events: list[LiveEvent],
) -> None:
    burst = second_folder / "import"
    burst.mkdir()
    for index in range(2000):
        (burst / f"IMG_{index:04}.jpg").write_bytes(jpeg(index))
    last_write = time.monotonic()
    wait_for(matches_disk(library, photo_folder, second_folder), what="the burst")
    print(f"burst of 2000: catalog matched {time.monotonic() - last_write:.2f} s after the last write")
    wait_for(lambda: len(analyzer.calls) == 2005, what="analysis of the burst")
    scan_jobs = [e for e in events if e.kind == "status" and e.message.startswith("scan job")]
    assert len(scan_jobs) // 2 < 40  # batched: a handful of passes, not one per file
    assert len(set(analyzer.calls)) == 2005  # each content once


def test_a_folder_that_disappears_is_offline_and_comes_back(
    live: LiveLibrary, library: Library, photo_folder: Path, events: list[LiveEvent]
) -> None:
    count = len(on_disk(photo_folder))
    away = photo_folder.with_name("unplugged")
    photo_folder.rename(away)

    def states() -> set[str]:
        ids = photo_rows.visible_photo_ids(library.catalog)
        return {p.state for p in photo_rows.photos_by_ids(library.catalog, ids).values() if p.folder_id == 1}

    wait_for(lambda: states() == {"offline"}, what="photos shown offline")
    assert live.status().offline == (str(photo_folder),)
    assert library.stats()["missing"] == 0  # kept, not deleted

    away.rename(photo_folder)
    wait_for(lambda: states() == {"ok"} and live.status().offline == (), what="the folder's return")
    assert len(on_disk(photo_folder)) == count
    (photo_folder / "after.jpg").write_bytes(jpeg(7, 32))  # watched again
    wait_for(lambda: library.photo_by_path(str(photo_folder / "after.jpg")) is not None, what="a new photo")
    assert [e.kind for e in events if e.kind in ("offline", "online")] == ["offline", "online"]


def test_analysis_pauses_while_offline_and_resumes_by_itself_while_scanning_goes_on(
    live: LiveLibrary,
    library: Library,
    photo_folder: Path,
    analyzer: CountingAnalyzer,
    events: list[LiveEvent],
) -> None:
    wait_for(lambda: len(analyzer.calls) == 5, what="the first analysis")
    analyzer.offline = True
    (photo_folder / "while offline.jpg").write_bytes(jpeg(3, 64))
    wait_for(lambda: live.status().paused_reason is not None, what="a paused analysis")
    assert "could not connect" in live.status().paused_reason
    (photo_folder / "still scanned.jpg").write_bytes(jpeg(4, 64))
    wait_for(
        lambda: library.photo_by_path(str(photo_folder / "still scanned.jpg")) is not None, what="a scan"
    )
    assert len(analyzer.calls) == 5 and live.status().parked == 0

    analyzer.offline = False
    wait_for(lambda: len(analyzer.calls) == 7, what="analysis after the network came back")
    wait_for(lambda: live.status().paused_reason is None, what="the pause to end")
    kinds = [e.kind for e in events if e.kind in ("paused", "resumed")]
    assert kinds == ["paused", "resumed"]


def test_a_job_that_keeps_failing_is_parked_and_shown(
    library: Library, photo_folder: Path, second_folder: Path, cli
) -> None:
    def broken() -> CountingAnalyzer:
        raise RuntimeError("model file is corrupt")

    # Scanned first, so the one analyze job is the start's: a start-up scan finishing after that job
    # was parked would queue a second one (which parks too), and the counts below would race it.
    run_to_end(library.scan())
    with LiveLibrary(library, analyzer=broken, retry_delay=0.05, max_attempts=3) as live:
        wait_for(lambda: live.status().parked == 1, what="a parked job")
        status = live.status()
        assert "model file is corrupt" in status.last_error
    listed = cli("jobs", "--json").json()
    assert [(j["kind"], j["state"], j["attempts"]) for j in listed] == [("analyze", "parked", 3)]
    assert "model file is corrupt" in listed[0]["error"]
    assert cli("jobs", "retry").out.startswith("1 parked job queued again")
    assert [j["state"] for j in cli("jobs", "--json").json()] == ["pending"]


def test_a_deleted_thumbnail_is_rebuilt_on_request_and_the_service_restarts(
    live: LiveLibrary, library: Library, photo_folder: Path
) -> None:
    from photosorter.core.imaging import thumbnail_path

    photo = library.photo_by_path(str(photo_folder / "tiny_60x40_horses.jpg"))
    thumb = thumbnail_path(library.paths.thumbnails, photo.hash)
    thumb.unlink()
    live.request_thumbnails([photo.hash])
    wait_for(thumb.exists, what="the rebuilt thumbnail")

    live.stop()
    live.start()  # stop, then start again: watching resumes
    (photo_folder / "after restart.jpg").write_bytes(jpeg(9, 32))
    wait_for(
        lambda: library.photo_by_path(str(photo_folder / "after restart.jpg")) is not None, what="a scan"
    )


class FaceFindingAnalyzer(CountingAnalyzer):
    """Finds one face per photo, with the same embedding every time: one person, seen everywhere."""

    name = "local"  # its faces carry embeddings, which the local face service compares
    default_features = frozenset({Feature.FACES})

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        with self._lock:
            self.calls.append(hashlib.sha1(image).hexdigest())
        embedding = tuple(0.05 * (i % 7) for i in range(128))
        face = Face(Box(0.3, 0.2, 0.4, 0.5), 99.5, quality={"sharpness": 80.0}, embedding=embedding)
        return AnalysisResult(self.name, features, faces=(face,))


def test_faces_found_by_live_analysis_are_grouped_without_a_manual_step(
    library: Library, photo_folder: Path, second_folder: Path
) -> None:
    analyzer = FaceFindingAnalyzer()
    with LiveLibrary(library, analyzer=analyzer, pause_backoff=(0.2, 0.5)):
        wait_for(lambda: len(analyzer.calls) >= 4, what="analysis of the start-up scan")
        wait_for(
            lambda: any(entry.kind is GroupKind.CLUSTER for entry in faces.overview(library.catalog)),
            what="the new faces to be grouped",
        )


def test_scans_can_run_in_a_worker_process_as_the_desktop_app_does(
    library: Library, photo_folder: Path, second_folder: Path, tmp_path: Path
) -> None:
    from video_files import dog_video

    events: list[LiveEvent] = []
    with LiveLibrary(library, analyze=False, scan_in_process=True, on_event=events.append):
        wait_for(matches_disk(library, photo_folder, second_folder), what="the start-up scan")
        (second_folder / "new.jpg").write_bytes(jpeg(7, size=96))
        wait_for(matches_disk(library, photo_folder, second_folder), what="the new photo")
        # a video's poster is decoded in a process the scan's worker process starts
        video = dog_video(tmp_path / "clip.mp4").replace(second_folder / "clip.mp4")
        found = lambda: (p := library.photo_by_path(str(video))) is not None and p.state != "missing"  # noqa: E731
        wait_for(found, what="the new video")
        assert library.photo_by_path(str(video)).is_video, library.photo_by_path(str(video)).error
    assert any(e.kind == "added" and e.path and e.path.endswith("new.jpg") for e in events)
