"""The scanner under faults: a machine that fails (disk full, I/O error, no memory) is never recorded
against a photo; hostile files are refused quickly with a reason a user understands; an interrupted scan
keeps what it read; impossible metadata is dropped with a reason; stale temp files are cleaned."""

from __future__ import annotations

import builtins
import errno
import io
import os
import pickle
import signal
import struct
import threading
import time
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image

from photosorter.core import imaging
from photosorter.core import scanner as scanner_module
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.errors import EnvironmentFault
from photosorter.core.imaging import UnreadablePhoto, read_photo
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library
from test_scanner import png_declaring, rgb_image

PHOTOS = 5  # in the photo_folder fixture


def scan(home: Path, folder: Path, workers: int = 0):
    with Library.open(home) as library:
        library.add_folder(folder)
        return run_to_end(library.scanner(workers=workers).scan(library.folders()))


def states(home: Path) -> dict[str, list[str]]:
    with Library.open(home) as library:
        rows = library.catalog.connection().execute("SELECT path, state FROM photos").fetchall()
    found: dict[str, list[str]] = {}
    for path, state in rows:
        found.setdefault(state, []).append(os.path.basename(path))
    return found


# -- the machine fails: stop, record nothing against the photos, read them next time ----------------------
def _enospc_on_replace(monkeypatch: pytest.MonkeyPatch, allowed: int) -> None:
    """The thumbnail disk fills up after ``allowed`` thumbnails (os.replace is the last step of a write)."""
    real = os.replace
    written = []
    lock = threading.Lock()

    def replace(src, dst):
        with lock:
            if len(written) >= allowed:
                raise OSError(errno.ENOSPC, "No space left on device")
            written.append(dst)
        return real(src, dst)

    monkeypatch.setattr(imaging.os, "replace", replace)


def _fail_mkstemp(code: int, text: str):
    def mkstemp(*args, **kwargs):
        raise OSError(code, text)

    return mkstemp


def _eio_reading_photos(monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = builtins.open

    class FailingDisk(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            raise OSError(errno.EIO, "Input/output error")

    def opener(path, mode="r", *args, **kwargs):
        if mode == "rb":
            return io.BufferedReader(FailingDisk())
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(imaging, "open", opener, raising=False)


def _no_memory_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def load(self):
        raise MemoryError()

    monkeypatch.setattr(Image.Image, "load", load)
    monkeypatch.setattr(imaging.ImageFile.ImageFile, "load", load)


FAULTS = {
    "thumbnail disk full": (lambda mp: _enospc_on_replace(mp, allowed=2), "no space left on the disk"),
    "quota exceeded": (
        lambda mp: mp.setattr(
            imaging.tempfile, "mkstemp", _fail_mkstemp(errno.EDQUOT, "Disk quota exceeded")
        ),
        "disk quota exceeded",
    ),
    "read-only cache": (
        lambda mp: mp.setattr(
            imaging.tempfile, "mkstemp", _fail_mkstemp(errno.EROFS, "Read-only file system")
        ),
        "read-only",
    ),
    "cache not writable": (
        lambda mp: mp.setattr(imaging.tempfile, "mkstemp", _fail_mkstemp(errno.EACCES, "Permission denied")),
        "cannot write to the thumbnail folder",
    ),
    "cache folder vanished": (
        lambda mp: mp.setattr(
            imaging.tempfile, "mkstemp", _fail_mkstemp(errno.ENOENT, "No such file or directory")
        ),
        "cannot write to the thumbnail folder",
    ),
    "photo disk I/O error": (_eio_reading_photos, "input/output error"),
    "out of memory": (_no_memory_decoding, "out of memory"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_machine_fault_stops_the_scan_and_the_next_scan_reads_every_photo(
    fault: str, home: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inject, words = FAULTS[fault]
    with monkeypatch.context() as patch:
        inject(patch)
        with pytest.raises(EnvironmentFault, match=words):
            scan(home, photo_folder)

    assert "error" not in states(home)  # nothing recorded as a property of a photo

    report = scan(home, photo_folder)  # the disk has room again

    assert report.errors == []
    after = states(home)
    assert set(after) == {"ok"} and len(after["ok"]) == PHOTOS
    assert report.added + report.unchanged == PHOTOS


def test_photos_read_before_the_disk_filled_up_are_kept(
    home: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        _enospc_on_replace(patch, allowed=2)
        with pytest.raises(EnvironmentFault):
            scan(home, photo_folder, workers=1)
    saved = states(home)
    assert len(saved["ok"]) == 2 and set(saved) == {"ok"}
    assert scan(home, photo_folder).added == PHOTOS - 2


def test_a_thumbnail_cache_that_is_not_a_folder_is_a_fault_not_a_broken_photo(
    home: Path, photo_folder: Path
) -> None:
    with Library.open(home) as library:
        thumbnails = library.paths.thumbnails
    thumbnails.parent.mkdir(parents=True, exist_ok=True)
    if thumbnails.exists():
        thumbnails.rmdir()
    thumbnails.write_text("something else took this name")

    with pytest.raises(EnvironmentFault, match="thumbnail"):
        scan(home, photo_folder)

    assert "error" not in states(home)
    thumbnails.unlink()
    assert scan(home, photo_folder).errors == []
    assert len(states(home)["ok"]) == PHOTOS


def test_the_cli_says_in_one_line_why_the_scan_stopped_and_exits_1(
    cli, home: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _enospc_on_replace(monkeypatch, allowed=0)
    result = cli("--home", home, "scan", photo_folder)
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err
    assert lines[0].startswith("photosorter: scan stopped: no space left on the disk")
    assert "saved" in lines[0]


def test_an_environment_fault_crosses_a_process_boundary() -> None:
    """The desktop app scans in a worker process; the fault must arrive as itself."""
    fault = pickle.loads(pickle.dumps(EnvironmentFault("no space left on the disk: /x")))
    assert isinstance(fault, EnvironmentFault) and str(fault) == "no space left on the disk: /x"


# -- hostile files: refused fast, with a reason -----------------------------------------------------------
def _jpeg(size=(100, 100)) -> bytes:
    out = io.BytesIO()
    rgb_image(size).save(out, "JPEG")
    return out.getvalue()


def _declaring(data: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its frame header claiming another size."""
    sof = data.index(b"\xff\xc0")
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


class CountingReads:
    """Counts the bytes read from files opened by the imaging module."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bytes = 0
        real_open = builtins.open
        counter = self

        class Counted(io.BufferedReader):
            def read(self, size=-1):
                data = super().read(size)
                counter.bytes += len(data)
                return data

        def opener(path, mode="r", *args, **kwargs):
            if mode == "rb":
                return Counted(io.FileIO(path, "rb"))
            return real_open(path, mode, *args, **kwargs)

        monkeypatch.setattr(imaging, "open", opener, raising=False)


def _encoded(fmt: str, size=(100, 100)) -> bytes:
    out = io.BytesIO()
    rgb_image(size).save(out, fmt)
    return out.getvalue()


JUNK_BEHIND_A_HEADER = {
    "JPEG signature": (b"\xff\xd8\xff", "not an image Pillow can read: the data after the JPEG header"),
    "small JPEG": (_jpeg(), "the file is 3.0 GB, far more than a 100×100 JPEG can hold: the rest is not"),
    "PNG signature": (b"\x89PNG\r\n\x1a\n", "not an image Pillow can read: the data after the PNG header"),
    "small PNG": (_encoded("PNG"), "the file is 3.0 GB, far more than a 100×100 PNG can hold"),
    "small BMP": (_encoded("BMP"), "the file is 3.0 GB, far more than a 100×100 BMP can hold"),
    "small GIF": (_encoded("GIF"), "the file is 3.0 GB, far more than a 100×100 GIF can hold"),
    "small WebP": (_encoded("WEBP"), "file too large for a WebP photo: 3.0 GB, the limit is 512.0 MB"),
}


@pytest.mark.parametrize("case", JUNK_BEHIND_A_HEADER)
def test_a_multi_gigabyte_junk_file_behind_an_image_header_is_refused_after_a_few_reads(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, reason = JUNK_BEHIND_A_HEADER[case]
    junk = tmp_path / "junk.jpg"
    with open(junk, "wb") as handle:
        handle.write(header)
        handle.truncate(3 << 30)  # sparse: costs no disk
    reads = CountingReads(monkeypatch)

    with pytest.raises(UnreadablePhoto) as refused:
        read_photo(str(junk), tmp_path / "thumbs")

    assert reason in str(refused.value)
    assert reads.bytes < 4 << 20  # the 3 GB were neither hashed nor handed to Pillow


def _truncated(fmt: str, keep: int) -> bytes:
    out = io.BytesIO()
    if fmt == "HEIF":
        pillow_heif.from_pillow(rgb_image()).save(out, format="HEIF")
    else:
        rgb_image().save(out, fmt)
    return out.getvalue()[:keep]


def _tiff_declaring(width: int, height: int) -> bytes:
    """A one-pixel TIFF whose width and length tags claim a huge canvas."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "TIFF")
    data = bytearray(out.getvalue())
    ifd = struct.unpack("<I", data[4:8])[0]
    for index in range(struct.unpack("<H", data[ifd : ifd + 2])[0]):
        entry = ifd + 2 + 12 * index
        tag, kind = struct.unpack("<HH", data[entry : entry + 4])
        if tag in (256, 257):  # ImageWidth, ImageLength
            value = width if tag == 256 else height
            data[entry + 8 : entry + 12] = struct.pack(
                "<I" if kind == 4 else "<HH", *([value] if kind == 4 else [value, 0])
            )
    return bytes(data)


def _gif_then_zeros() -> bytes:
    return b"GIF89a" + struct.pack("<HHBBB", 10, 10, 0, 0, 0) + b"\0" * 100_000


BAD_INPUTS = [
    ("empty.jpg", b"", "empty file (0 bytes)"),
    ("letter.jpg", b"Dear Sir, this is a letter, not a photo.", "not an image (content is not JPEG"),
    (
        "bomb.png",
        png_declaring(50_000, 50_000),
        "image too large: 50000×50000 = 2,500 megapixels, the limit is 250",
    ),
    (
        "big.png",
        png_declaring(30_000, 30_000),
        "image too large: 30000×30000 = 900 megapixels, the limit is 250",
    ),
    (
        "huge.jpg",
        _declaring(_jpeg(), 60_000, 60_000),
        "image too large: 60000×60000 = 3,600 megapixels, the limit is 250",
    ),
    (
        "bomb.tif",
        _tiff_declaring(20_000, 20_000),
        "image too large: 20000×20000 = 400 megapixels, the limit is 250",
    ),
    (
        "huge.tif",
        _tiff_declaring(30_000, 30_000),
        "image too large: it declares more than 500 megapixels, the limit is 250",
    ),
    ("header_only.jpg", _truncated("JPEG", 40), "the file ends early (truncated before the JPEG image data)"),
    ("cut.png", _truncated("PNG", 40), "the file ends early (truncated)"),
    ("stub.png", _truncated("PNG", 12), "the file ends early (truncated inside the PNG header)"),
    ("cut.bmp", _truncated("BMP", 40), "the file ends early (truncated)"),
    ("cut.webp", _truncated("WEBP", 40), "the WebP image data is damaged or cut short"),
    ("cut.tif", _truncated("TIFF", 40), "not an image Pillow can read: the data after the TIFF header"),
    ("cut.gif", _truncated("GIF", 12), "not an image Pillow can read: the data after the GIF header"),
    ("cut.heic", _truncated("HEIF", 40), "not an image Pillow can read: the data after the HEIF header"),
    ("zeros.gif", _gif_then_zeros(), "not an image Pillow can read: the data after the GIF header"),
    (
        "zeros.jpg",
        b"\xff\xd8\xff" + bytes(5000),
        "not an image Pillow can read: the data after the JPEG header",
    ),
]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_every_bad_input_gets_a_reason_in_the_users_words(
    name: str, data: bytes, reason: str, tmp_path: Path, home: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / name).write_bytes(data)

    report = scan(home, folder)

    assert len(report.errors) == 1
    message = report.errors[0]["error"]
    assert message.startswith(reason)
    assert "0x" not in message and "BytesIO" not in message and "500000000" not in message.replace(",", "")


# -- Ctrl-C saves what was read ---------------------------------------------------------------------------
def test_an_interrupted_scan_keeps_the_photos_read_before_the_interrupt(
    home: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = scanner_module.read_media
    read: list[str] = []

    def interrupted_on_the_fourth(path: str, thumbs: Path, *rest):
        if len(read) == 3:
            raise KeyboardInterrupt
        facts = real(path, thumbs, *rest)
        read.append(os.path.basename(path))
        return facts

    monkeypatch.setattr(scanner_module, "read_media", interrupted_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        scan(home, photo_folder, workers=1)

    assert sorted(states(home)["ok"]) == sorted(read) and len(read) == 3
    monkeypatch.setattr(scanner_module, "read_media", real)
    report = scan(home, photo_folder)
    assert (report.added, report.unchanged) == (PHOTOS - 3, 3)


def test_ctrl_c_in_the_cli_saves_what_was_read_and_exits_130(
    cli, home: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = scanner_module.read_media
    read: list[str] = []
    lock = threading.Lock()
    main_thread = threading.main_thread().ident

    def read_then_interrupt(path: str, thumbs: Path, *rest):
        facts = real(path, thumbs, *rest)
        with lock:
            read.append(os.path.basename(path))
            if len(read) == 2:
                # Ctrl-C: SIGINT to the main thread, as the terminal's reaches it. raise_signal() here
                # would signal this reader thread, and the main thread would notice only after its wait
                # ended, when the scan could already be done (it exited 0 in 1 loaded run of ~5)
                signal.pthread_kill(main_thread, signal.SIGINT)
        return facts

    monkeypatch.setattr(scanner_module, "read_media", read_then_interrupt)
    # Python's own Ctrl-C handler, as in a terminal: a shell starts background jobs with SIGINT ignored
    # (and a test run started so ignored every interrupt)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = cli("--home", home, "scan", photo_folder)
    finally:
        signal.signal(signal.SIGINT, previous)

    assert result.code == 130
    assert "interrupted" in result.err and "saved" in result.err and "Traceback" not in result.err
    saved = states(home).get("ok", [])
    # every photo read before the interrupt is in the catalog, and the read running when it came (it
    # raised it) too, even when the interrupt landed before the scan held that read's future
    assert set(read[:2]) <= set(saved)


# -- impossible metadata is dropped with a reason; the photo is still scanned ------------------------------
def _photo_with_exif(path: Path, *, original=None, offset=None, gps=None) -> None:
    exif = Image.Exif()
    details = {}
    if original:
        details[0x9003] = original
    if offset:
        details[0x9011] = offset
    exif.get_ifd(0x8769).update(details)
    if gps:
        exif.get_ifd(0x8825).update(gps)
    rgb_image((64, 48)).save(path, "JPEG", exif=exif)


def test_impossible_metadata_is_dropped_with_a_reason_and_the_photo_is_scanned(
    cli, home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    _photo_with_exif(folder / "offset.jpg", original="2019:07:14 10:32:05", offset="+99:99")
    _photo_with_exif(folder / "future.jpg", original="9999:12:31 23:59:59")
    _photo_with_exif(folder / "gps.jpg", gps={1: "Q", 2: (48.0, 999.0, 0.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    _photo_with_exif(folder / "fine.jpg", original="2019:07:14 10:32:05", offset="+02:00")

    report = scan(home, folder)

    assert report.errors == [] and report.added == 4
    warned = {Path(w["path"]).name: w["warning"] for w in report.warnings}
    assert set(warned) == {"offset.jpg", "future.jpg", "gps.jpg"}
    with Library.open(home) as library:
        photo = {p.name: p for p in photo_rows.photos_by_ids(library.catalog, library_ids(library)).values()}
    assert photo["offset.jpg"].taken_at == "2019-07-14T10:32:05"  # the local time stays, the offset goes
    assert "time zone '+99:99' dropped" in photo["offset.jpg"].warnings
    assert photo["future.jpg"].taken_at_source == "mtime"
    assert "9999-12-31T23:59:59 dropped: it is in the future" in photo["future.jpg"].warnings
    assert photo["gps.jpg"].gps is None and "GPS position dropped" in photo["gps.jpg"].warnings
    assert photo["fine.jpg"].warnings is None and photo["fine.jpg"].taken_at == "2019-07-14T10:32:05+02:00"

    shown = cli("--home", home, "show", folder / "gps.jpg", "--json").json()
    assert "GPS position dropped" in shown["warnings"]


@pytest.mark.parametrize(
    ("gps", "reason"),
    [
        (
            {1: "Q", 2: (48.0, 51.0, 29.5), 3: "E", 4: (2.0, 17.0, 40.0)},
            "latitude reference 'Q' is not N or S",
        ),
        (
            {1: "N", 2: (48.0, 999.0, 0.0), 3: "E", 4: (2.0, 17.0, 40.0)},
            "latitude 48° 999′ 0″ is not a position",
        ),
        (
            {1: "N", 2: (48.0, 51.0, 29.5), 3: "E", 4: (200.0, 0.0, 0.0)},
            "longitude 200° 0′ 0″ is not a position",
        ),
    ],
)
def test_a_gps_position_no_receiver_writes_is_dropped_with_the_reason(gps, reason, tmp_path: Path) -> None:
    _photo_with_exif(tmp_path / "p.jpg", gps=gps)
    facts = read_photo(str(tmp_path / "p.jpg"), tmp_path / "thumbs")
    assert (facts.latitude, facts.longitude) == (None, None)
    assert facts.warnings == (f"GPS position dropped: {reason}",)


def library_ids(library: Library) -> list[int]:
    return photo_rows.visible_photo_ids(library.catalog)


# -- temp files of a killed writer ------------------------------------------------------------------------
def test_thumbnail_temp_files_left_by_a_killed_process_are_removed_and_fresh_ones_kept(
    home: Path, photo_folder: Path
) -> None:
    with Library.open(home) as library:
        shard = library.paths.thumbnails / "ab"
    shard.mkdir(parents=True)
    stale, fresh = shard / ".tmp-stale.jpg", shard / ".tmp-being-written.jpg"
    stale.write_bytes(b"half a thumbnail")
    fresh.write_bytes(b"another process is writing this one")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))

    scan(home, photo_folder)

    assert not stale.exists()
    assert fresh.exists()


def test_a_symbolic_link_loop_named_like_a_photo_is_reported_as_a_loop(
    home: Path, photo_folder: Path
) -> None:
    os.symlink(photo_folder / "loop_b.jpg", photo_folder / "loop_a.jpg")
    os.symlink(photo_folder / "loop_a.jpg", photo_folder / "loop_b.jpg")
    report = scan(home, photo_folder)
    reasons = {Path(e["path"]).name: e["error"] for e in report.errors}
    assert reasons == {"loop_a.jpg": "symbolic link loop", "loop_b.jpg": "symbolic link loop"}


def test_the_live_library_waits_out_a_full_disk_instead_of_parking_the_scan(
    home: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosorter.core.live.queue import LOCAL_KINDS
    from photosorter.core.live.service import LiveLibrary

    with Library.open(home) as library:
        folder = library.add_folder(photo_folder)
        live = LiveLibrary(library, analyze=False, max_attempts=1)  # one failure would park the job
        live.queue.scan_folder(folder.id)
        job = live.queue.claim(LOCAL_KINDS)
        _enospc_on_replace(monkeypatch, allowed=0)

        live._run_local(job)

        status = live.status()
        assert (status.pending, status.parked) == (1, 0)
        assert "waits 60 s: no space left on the disk" in status.last_error
        assert live.queue.next_ready_in(LOCAL_KINDS) > 30  # not retried at once in a tight loop
    assert "error" not in states(home)


def test_photos_an_older_version_marked_broken_for_a_full_disk_are_read_again(
    home: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosorter.core.catalog import schema
    from photosorter.core.catalog.database import Catalog
    from photosorter.core.paths import app_paths

    path = app_paths(home).ensure().catalog
    with monkeypatch.context() as old_version:  # a catalog as version 4 wrote it, with its wrong error row
        old_version.setattr(schema, "STEPS", schema.STEPS[:4])
        old_version.setattr(schema, "SCHEMA_VERSION", 4)
        with Catalog(path) as catalog, catalog.transaction() as conn:
            conn.execute(
                "INSERT INTO folders (id, path, added_at) VALUES (1, ?, 'then')", (str(photo_folder),)
            )
            photo = photo_folder / "cat_and_dog.jpeg"
            info = photo.stat()
            conn.execute(
                "INSERT INTO photos (folder_id, path, name, size, mtime_ns, state, error, updated_at) "
                "VALUES (1, ?, ?, ?, ?, 'error', ?, 'then')",
                (
                    str(photo),
                    photo.name,
                    info.st_size,
                    info.st_mtime_ns,
                    "unexpected error reading image: OSError: [Errno 28] No space left on device",
                ),
            )

    with Library.open(home) as library:
        report = run_to_end(library.scan())
        assert report.errors == [] and report.updated == 1 and report.added == PHOTOS - 1
        assert library.photo_by_path(str(photo_folder / "cat_and_dog.jpeg")).state == "ok"


def test_a_file_that_changed_while_being_read_is_read_again_by_the_next_scan(
    home: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = str(photo_folder / "cat_and_dog.jpeg")
    real_stat = os.stat
    calls = []

    def stat_seeing_a_write(path, *args, **kwargs):
        info = real_stat(path, *args, **kwargs)
        if str(path) == target:
            calls.append(path)
            if len(calls) == 2:  # the stat after reading: someone wrote meanwhile
                return os.stat_result((*info[:8], info.st_mtime + 1, info.st_ctime))
        return info

    with monkeypatch.context() as patch:
        patch.setattr(imaging.os, "stat", stat_seeing_a_write)
        first = scan(home, photo_folder)
    assert [Path(e["path"]).name for e in first.errors] == ["cat_and_dog.jpeg"]
    assert "changed while it was being read" in first.errors[0]["error"]

    again = scan(home, photo_folder)

    assert (again.errors, again.updated, again.unchanged) == ([], 1, PHOTOS - 1)
