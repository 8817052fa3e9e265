"""A large scan reads in reader processes: the same catalog as reading in threads, and the same answers
to a read that crashes or a disk that fills up."""

from __future__ import annotations

import multiprocessing
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

import reader_faults
from photosorter.core import scanner as scanner_module
from photosorter.core.catalog.metadata import metadata_of
from photosorter.core.errors import EnvironmentFault
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library
from photosorter.core.scanner import Scanner
from video_files import dog_video

DATA = Path(__file__).parent / "data"


def mixed_folder(root: Path) -> Path:
    """Photos of every kind the scan meets: with EXIF rotation, a sidecar with named faces, transparency,
    WebP, too small to analyze with a broken sidecar, a video, a file that is no image and a truncated one."""
    folder = root / "mixed"
    shutil.copytree(DATA / "photos", folder, ignore=shutil.ignore_patterns("*.md"))
    shutil.copy(DATA / "xmp" / "digikam.jpg.xmp", folder / "cat_and_dog.jpeg.xmp")
    (folder / "tiny_60x40_horses.jpg.xmp").write_text("<x:xmpmeta><rdf:RDF>")  # a warning, not an error
    dog_video(folder / "dog.mp4", seconds=1.0)
    (folder / "notes.jpg").write_text("not a photo")
    data = (DATA / "photos" / "cat_and_dog.jpeg").read_bytes()
    (folder / "cut.jpg").write_bytes(data[: len(data) // 3])
    return folder


def scan(home: Path, folder: Path, process_reads_from: int):
    with Library.open(home) as library:
        library.add_folder(folder)
        scanner = Scanner(
            library.catalog,
            library.paths.thumbnails,
            skip=library.paths.own_dirs(),
            process_reads_from=process_reads_from,
        )
        report = run_to_end(scanner.scan(library.folders()))
        conn = library.catalog.connection()
        rows = conn.execute(
            "SELECT id, path, hash, width, height, taken_at, orientation, state, error, mtime_ns IS NULL"
            " FROM photos ORDER BY path"
        ).fetchall()
        photos = [row[1:] for row in rows]
        # what the sidecar gave: keywords, rating, named regions (the ids differ between the catalogs)
        metadata = [replace(m, photo_id=0) for row in rows if (m := metadata_of(library.catalog, row[0]))]
        thumbnails = sorted(p.name for p in library.paths.thumbnails.rglob("*.jpg"))
    return report, photos, metadata, thumbnails


def test_reading_in_processes_stores_what_reading_in_threads_stores(tmp_path: Path) -> None:
    folder = mixed_folder(tmp_path)
    in_threads = scan(tmp_path / "threads", folder, process_reads_from=1 << 30)
    decoders = set(multiprocessing.active_children())  # the video's, which stay a while for the next video
    in_processes = scan(tmp_path / "processes", folder, process_reads_from=1)

    report, photos, metadata, thumbnails = in_processes
    assert (report.added, len(report.errors)) == (7, 1), report.errors
    assert [r.name for m in metadata for r in m.regions] == ["Alice Martin", "Борис"]  # the sidecar's
    assert (photos, metadata, thumbnails) == in_threads[1:]
    assert sorted(e["error"] for e in report.errors) == sorted(e["error"] for e in in_threads[0].errors)
    assert report.warnings == in_threads[0].warnings
    assert any("tiny_60x40_horses.jpg.xmp: XMP is not well-formed" in w["warning"] for w in report.warnings)
    assert set(multiprocessing.active_children()) <= decoders  # the readers ended with the scan


def test_a_reader_process_that_dies_costs_that_file_one_read_not_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = mixed_folder(tmp_path)
    shutil.copy(DATA / "photos" / "golden_gate_bridge.webp", folder / "crash.webp")
    monkeypatch.setattr(scanner_module, "read_in_reader", reader_faults.dies_on_crash_files)

    report, photos, _, _ = scan(tmp_path / "home", folder, process_reads_from=1)

    assert report.added == 7  # every other file, read by the readers started after the crash
    [error] = [e for e in report.errors if e["path"].endswith("crash.webp")]
    assert error["error"] == "reading failed: the decoder process ended (exit status 9)"
    [crashed] = [row for row in photos if row[0].endswith("crash.webp")]
    assert crashed[-1] == 1  # no mtime kept: the next scan reads it again, not a property of the file

    monkeypatch.undo()
    again, photos, _, _ = scan(tmp_path / "home", folder, process_reads_from=1)
    assert (again.added, again.updated, again.unchanged) == (0, 1, 8)
    assert [row[6] for row in photos if row[0].endswith("crash.webp")] == ["ok"]


def test_a_full_disk_met_by_a_reader_process_stops_the_scan_and_is_never_the_photos_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(6):
        shutil.copy(DATA / "photos" / "cat_and_dog.jpeg", folder / f"a{i}.jpeg")
    shutil.copy(DATA / "photos" / "golden_gate_bridge.webp", folder / "full.webp")
    monkeypatch.setattr(scanner_module, "read_in_reader", reader_faults.disk_full_on_full_files)
    before = set(multiprocessing.active_children())

    with pytest.raises(EnvironmentFault, match="no space left on the disk"):
        scan(tmp_path / "home", folder, process_reads_from=1)

    with Library.open(tmp_path / "home") as library:
        rows = library.catalog.connection().execute("SELECT name, error FROM photos").fetchall()
    assert "full.webp" not in {name for name, _ in rows}  # the machine's fault, not the photo's
    assert all(error is None for _, error in rows)
    assert set(multiprocessing.active_children()) <= before  # the readers ended with the scan

    monkeypatch.undo()  # space was freed: the next scan reads the rest, the full.webp too
    report, photos, _, _ = scan(tmp_path / "home", folder, process_reads_from=1)
    assert report.added + report.unchanged == 7
    assert [row[6:8] for row in photos] == [("ok", None)] * 7
