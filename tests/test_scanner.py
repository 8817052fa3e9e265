"""Scanning real folders: formats by signature, incremental rescans, moves, duplicates and bad input."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
import zlib
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image

from photosorter.core import imaging
from photosorter.core import scanner as scanner_module
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.exif import parse_exif_datetime
from photosorter.core.imaging import analysis_jpeg
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library
from photosorter.core.records import Folder

DATA = Path(__file__).parent / "data" / "photos"


def run_scan(library: Library, folders: list[Folder] | None = None):
    return run_to_end(library.scan(folders))


def scan_folder(home: Path, folder: Path):
    with Library.open(home) as library:
        library.add_folder(folder)
        return run_scan(library)


def fingerprint(folder: Path) -> dict[str, str]:
    found = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if os.path.isfile(path) and not os.path.islink(path):
                found[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return found


def rgb_image(size=(320, 240), color=(200, 80, 40)) -> Image.Image:
    image = Image.new("RGB", size, color)
    for x in range(0, size[0], 16):  # some structure so every encoder produces distinct content
        image.putpixel((x, x % size[1]), (x % 255, 0, 255 - x % 255))
    return image


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas: a decompression bomb."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_every_supported_format_is_found_by_content_not_extension(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "formats"
    folder.mkdir()
    image = rgb_image()
    for fmt, name in [
        ("JPEG", "a.jpg"),
        ("PNG", "b.png"),
        ("WEBP", "c.webp"),
        ("TIFF", "d.tif"),
        ("GIF", "e.gif"),
        ("BMP", "f.bmp"),
    ]:
        image.save(folder / name, fmt)
    pillow_heif.from_pillow(image).save(folder / "g.heic")
    image.save(folder / "no_extension_really_a_jpeg", "JPEG")
    image.rotate(90, expand=True).save(folder / "misnamed.png", "JPEG")
    (folder / "notes.txt").write_text("not a photo")

    report = scan_folder(home, folder)

    assert report.errors == []
    assert report.added == 9
    with Library.open(home) as library:
        formats = {
            Path(p.path).name: p.format
            for p in photo_rows.photos_by_ids(
                library.catalog, photo_rows.visible_photo_ids(library.catalog)
            ).values()
        }
    assert formats["g.heic"] in {"HEIF", "HEIC"}
    assert formats["misnamed.png"] == "JPEG"
    assert formats["no_extension_really_a_jpeg"] == "JPEG"
    assert "notes.txt" not in formats


def test_a_rescan_of_an_unchanged_folder_opens_no_file(
    home: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = scan_folder(home, photo_folder)
    assert first.added == 5

    opened: list[str] = []
    real = scanner_module.read_media
    monkeypatch.setattr(
        scanner_module,
        "read_media",
        lambda path, thumbs, *rest: opened.append(path) or real(path, thumbs, *rest),
    )
    again = scan_folder(home, photo_folder)

    assert (again.added, again.updated, again.unchanged, opened) == (0, 0, 5, [])


def test_a_changed_file_is_read_again(home: Path, photo_folder: Path) -> None:
    scan_folder(home, photo_folder)
    target = photo_folder / "cat_and_dog.jpeg"
    rgb_image((640, 480)).save(target, "JPEG")
    report = scan_folder(home, photo_folder)
    assert (report.updated, report.unchanged) == (1, 4)


def test_a_moved_file_keeps_its_id_and_a_removed_file_leaves_every_view(
    home: Path, photo_folder: Path
) -> None:
    scan_folder(home, photo_folder)
    with Library.open(home) as library:
        old_id = library.photo_by_path(str(photo_folder / "cat_and_dog.jpeg")).id
    (photo_folder / "pets").mkdir()
    (photo_folder / "cat_and_dog.jpeg").rename(photo_folder / "pets" / "renamed.jpeg")
    (photo_folder / "tiny_60x40_horses.jpg").unlink()

    report = scan_folder(home, photo_folder)

    assert (report.moved, report.removed, report.added) == (1, 1, 0)
    with Library.open(home) as library:
        moved = library.photo_by_path(str(photo_folder / "pets" / "renamed.jpeg"))
        assert moved.id == old_id
        assert library.stats()["missing"] == 1
        assert library.stats()["photos"] == 4
        visible = photo_rows.visible_photo_ids(library.catalog)
        assert library.photo_by_path(str(photo_folder / "tiny_60x40_horses.jpg")).id not in visible


def test_two_paths_with_the_same_content_are_both_listed_with_one_hash(
    home: Path, photo_folder: Path
) -> None:
    shutil.copy2(photo_folder / "cat_and_dog.jpeg", photo_folder / "copy of cat_and_dog.jpeg")
    report = scan_folder(home, photo_folder)
    assert report.added == 6
    with Library.open(home) as library:
        one = library.photo_by_path(str(photo_folder / "cat_and_dog.jpeg"))
        two = library.photo_by_path(str(photo_folder / "copy of cat_and_dog.jpeg"))
        assert one.id != two.id and one.hash == two.hash
        assert library.stats()["distinct_contents"] == 5


def test_hidden_folders_and_our_own_data_are_skipped(home: Path, photo_folder: Path) -> None:
    hidden = photo_folder / ".thumbnails"
    hidden.mkdir()
    rgb_image().save(hidden / "x.jpg")
    report = scan_folder(home, photo_folder)
    assert report.added == 5


def test_bad_input_is_recorded_with_a_specific_reason_and_the_scan_goes_on(
    home: Path, photo_folder: Path
) -> None:
    good = (DATA / "cat_and_dog.jpeg").read_bytes()
    (photo_folder / "empty.jpg").write_bytes(b"")
    (photo_folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (photo_folder / "letter.jpg").write_text("Dear Sir, this is a letter, not a photo.")
    (photo_folder / "bomb.png").write_bytes(png_declaring(50_000, 50_000))
    (photo_folder / "broken_link.jpg").symlink_to(photo_folder / "nowhere.jpg")
    (photo_folder / "loop").symlink_to(photo_folder)
    os.symlink(photo_folder / "loop_b", photo_folder / "loop_a")
    os.symlink(photo_folder / "loop_a", photo_folder / "loop_b")
    non_utf8 = os.fsencode(str(photo_folder)) + b"/caf\xe9.jpg"
    with open(non_utf8, "wb") as handle:
        handle.write(good)

    report = scan_folder(home, photo_folder)

    reasons = {Path(e["path"]).name: e["error"] for e in report.errors}
    assert "0 bytes" in reasons["empty.jpg"]
    assert "not an image" in reasons["letter.jpg"]
    assert "too large" in reasons["bomb.png"] or "bomb" in reasons["bomb.png"]
    assert "broken symbolic link" in reasons["broken_link.jpg"]
    assert "truncated.jpg" not in reasons  # Pillow can still decode the first half: it gets a thumbnail
    assert report.added == 5 + 1 + 1  # the good ones, the truncated one, the non-UTF-8 name
    with Library.open(home) as library:
        truncated = library.photo_by_path(str(photo_folder / "truncated.jpg"))
        assert truncated.state == "ok"
        assert (library.paths.thumbnails / truncated.hash[:2] / f"{truncated.hash}.jpg").exists()
        assert library.photo_by_path(os.fsdecode(non_utf8)).state == "ok"
        assert library.stats()["errors"] == 4


def test_an_unreadable_file_is_recorded(
    home: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = photo_folder / "locked.jpg"
    shutil.copy(DATA / "cat_and_dog.jpeg", locked)
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the denial happen where an ordinary user would meet it
        real_open = open

        def denying_open(path, *args, **kwargs):
            if str(path) == str(locked):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(imaging, "open", denying_open, raising=False)
    try:
        report = scan_folder(home, photo_folder)
    finally:
        locked.chmod(0o644)
    assert {Path(e["path"]).name: e["error"] for e in report.errors}["locked.jpg"] == "permission denied"
    assert report.added == 5


def test_a_file_deleted_or_replaced_mid_scan_is_handled(
    home: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = scanner_module.read_media

    def meddling_read(path: str, thumbs: Path, *rest):
        name = Path(path).name
        if name == "cat_and_dog.jpeg":
            os.unlink(path)
        elif name == "golden_gate_bridge.webp":
            Path(path).write_bytes(b"replaced by something else entirely")
        return real(path, thumbs, *rest)

    monkeypatch.setattr(scanner_module, "read_media", meddling_read)
    report = scan_folder(home, photo_folder)
    reasons = {Path(e["path"]).name: e["error"] for e in report.errors}
    assert "disappeared" in reasons["cat_and_dog.jpeg"]
    assert "not an image" in reasons["golden_gate_bridge.webp"]
    assert report.added == 3


def test_scanning_never_changes_a_photo(home: Path, photo_folder: Path) -> None:
    (photo_folder / "truncated.jpg").write_bytes((DATA / "cat_and_dog.jpeg").read_bytes()[:5000])
    before = fingerprint(photo_folder)
    mtimes = {p: os.stat(p).st_mtime_ns for p in before}
    scan_folder(home, photo_folder)
    scan_folder(home, photo_folder)
    assert fingerprint(photo_folder) == before
    assert {p: os.stat(p).st_mtime_ns for p in before} == mtimes


def test_exif_date_offset_gps_camera_and_orientation_are_read(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "camera"
    folder.mkdir()
    image = rgb_image((400, 300))
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 5D"
    exif[0x0112] = 6
    exif.get_ifd(0x8769).update({0x9003: "2019:07:14 10:32:05", 0x9011: "+02:00"})
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 29.5), 3: "E", 4: (2.0, 17.0, 40.0)})
    image.save(folder / "camera.jpg", exif=exif)

    scan_folder(home, folder)

    with Library.open(home) as library:
        photo = library.photo_by_path(str(folder / "camera.jpg"))
        thumb = Image.open(library.paths.thumbnails / photo.hash[:2] / f"{photo.hash}.jpg")
    assert photo.taken_at == "2019-07-14T10:32:05+02:00"
    assert photo.camera == "Canon EOS 5D"
    assert photo.orientation == 6
    assert (photo.width, photo.height) == (300, 400)  # as seen, after rotation
    assert thumb.size[1] > thumb.size[0]  # thumbnail is rotated upright too
    assert photo.latitude == pytest.approx(48.858194, abs=1e-5)
    assert photo.longitude == pytest.approx(2.294444, abs=1e-5)


@pytest.mark.parametrize(
    ("stamp", "offset", "expected", "warning"),
    [
        ("2009:09:09 20:27:09.60:04:00", None, "2009-09-09T20:27:09", None),
        ("2019:07:14 10:32:05", "-05:00", "2019-07-14T10:32:05-05:00", None),
        ("2019:07:14 10:32:05", "+05:45", "2019-07-14T10:32:05+05:45", None),  # Nepal
        ("0000:00:00 00:00:00", None, None, None),  # an unset clock: nothing to warn about
        ("    :  :     :  :  ", None, None, None),
        ("garbage", None, None, None),
        (b"2020:02:30 10:00:00", None, None, "not a real date"),
        ("2019:07:14 10:32:05", "+99:99", "2019-07-14T10:32:05", "'+99:99' dropped: not a real UTC offset"),
        ("2019:07:14 10:32:05", "+15:00", "2019-07-14T10:32:05", "not a real UTC offset"),
        ("9999:12:31 23:59:59", None, None, "9999-12-31T23:59:59 dropped: it is in the future"),
    ],
)
def test_malformed_exif_dates_are_tolerated_and_impossible_ones_dropped_with_a_reason(
    stamp, offset, expected, warning
) -> None:
    parsed = parse_exif_datetime(stamp, offset)
    assert parsed.text == expected
    if warning is None:
        assert parsed.warning is None
    else:
        assert warning in parsed.warning


def test_a_photo_without_exif_date_falls_back_to_file_time(home: Path, photo_folder: Path) -> None:
    scan_folder(home, photo_folder)
    with Library.open(home) as library:
        photo = library.photo_by_path(str(photo_folder / "golden_gate_bridge.webp"))
    assert photo.taken_at_source == "mtime" and photo.taken_at


def test_thumbnails_are_small_and_made_without_full_decode(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    rgb_image((4000, 3000)).save(folder / "twelve_mp.jpg", quality=90)
    scan_folder(home, folder)
    with Library.open(home) as library:
        photo = library.photo_by_path(str(folder / "twelve_mp.jpg"))
        thumb = Image.open(library.paths.thumbnails / photo.hash[:2] / f"{photo.hash}.jpg")
    assert max(thumb.size) == 320


def test_the_analysis_image_is_a_bounded_upright_jpeg(photo_folder: Path) -> None:
    data = analysis_jpeg(str(photo_folder / "exif_orientation6_obama.jpg"))
    image = Image.open(io.BytesIO(data))
    original = Image.open(photo_folder / "exif_orientation6_obama.jpg")
    assert image.format == "JPEG" and max(image.size) <= 1600 and len(data) <= 5 * 1024 * 1024
    assert image.size == tuple(reversed(original.size))  # orientation 6 applied


def test_a_missing_library_folder_is_offline_and_its_photos_are_kept(home: Path, photo_folder: Path) -> None:
    scan_folder(home, photo_folder)
    photo_folder.rename(photo_folder.with_name("unplugged"))
    with Library.open(home) as library:
        report = run_scan(library)
        assert report.offline_folders == [str(photo_folder)]
        assert library.stats()["photos"] == 5 and library.stats()["offline"] == 5
    photo_folder.with_name("unplugged").rename(photo_folder)
    with Library.open(home) as library:
        report = run_scan(library)
        assert report.unchanged == 5 and library.stats()["offline"] == 0


def test_scanning_given_paths_reads_only_those_and_notices_what_is_gone(home: Path, photo_folder: Path):
    scan_folder(home, photo_folder)
    (photo_folder / "album").mkdir()
    rgb_image().save(photo_folder / "album" / "new.jpg")
    (photo_folder / "tiny_60x40_horses.jpg").unlink()
    with Library.open(home) as library:
        folder = library.folders()[0]
        job = library.scanner().scan_paths(
            folder, [str(photo_folder / "album"), str(photo_folder / "tiny_60x40_horses.jpg")]
        )
        report = run_to_end(job)
        assert (report.added, report.removed, report.unchanged) == (1, 1, 0)  # the other 4 were not looked at
        assert library.stats()["missing"] == 1
