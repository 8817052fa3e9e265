"""Exporting copies of photos (core and CLI): originals byte for byte, or resized JPEGs, with or without
the GPS position; the photos themselves are never changed, and no name in the target is overwritten."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from photosorter.core.catalog import Catalog
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog.rotation import rotate
from photosorter.core.errors import PhotosorterError
from photosorter.core.export import ExportItem, ExportOptions, export, items_for, without_location
from photosorter.core.imaging import GPS_IFD
from photosorter.core.jobs import Cancelled, CancelToken, run_to_end
from photosorter.core.records import ImageFacts

MAKE = 0x010F


def gps_jpeg(path: Path, size: tuple[int, int] = (400, 200)) -> Path:
    """A real JPEG with a camera make and a GPS position in its EXIF: left half red, right half blue."""
    image = Image.new("RGB", size, (220, 20, 20))
    image.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[MAKE] = "TestCam"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    image.save(path, "JPEG", quality=92, exif=exif.tobytes())
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def exif_of(path: Path) -> Image.Exif:
    with Image.open(path) as image:
        return image.getexif()


def test_originals_are_copied_byte_for_byte_under_names_nothing_has_yet(tmp_path: Path) -> None:
    a = gps_jpeg(tmp_path / "a.jpg")
    other = tmp_path / "other"
    other.mkdir()
    b = gps_jpeg(other / "a.jpg", (300, 300))  # same name, another folder
    before = digest(a), digest(b)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.jpg").write_bytes(b"someone else's file")
    result = run_to_end(export([ExportItem(str(a)), ExportItem(str(b))], ExportOptions(out)))
    assert [p.name for p in result.written] == ["a (2).jpg", "a (3).jpg"]
    assert (out / "a.jpg").read_bytes() == b"someone else's file"
    assert digest(out / "a (2).jpg") == before[0] and digest(out / "a (3).jpg") == before[1]
    assert (digest(a), digest(b)) == before  # the photos are only read
    assert sorted(p.name for p in out.iterdir()) == ["a (2).jpg", "a (3).jpg", "a.jpg"]  # no temp files


def test_an_original_without_location_loses_only_its_gps_block(tmp_path: Path) -> None:
    photo = gps_jpeg(tmp_path / "a.jpg")
    before = digest(photo)
    result = run_to_end(
        export([ExportItem(str(photo))], ExportOptions(tmp_path / "out", keep_location=False))
    )
    copy = result.written[0]
    assert exif_of(photo).get_ifd(GPS_IFD)  # the fixture has one
    assert not exif_of(copy).get_ifd(GPS_IFD)
    assert exif_of(copy)[MAKE] == "TestCam"
    scan = photo.read_bytes()
    assert copy.read_bytes().endswith(scan[scan.index(b"\xff\xda") :])  # image data not re-encoded
    assert digest(photo) == before


def test_without_location_refuses_what_is_not_a_jpeg_with_a_clear_message() -> None:
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    with pytest.raises(Exception, match="only JPEG originals"):
        without_location(png.getvalue(), "/x/a.png")


@pytest.mark.parametrize("keep", [True, False])
def test_a_resized_copy_is_a_jpeg_of_the_long_side_turned_as_shown(tmp_path: Path, keep: bool) -> None:
    photo = gps_jpeg(tmp_path / "wide.jpeg", (400, 200))
    options = ExportOptions(tmp_path / "out", long_side=100, quality=80, keep_location=keep)
    result = run_to_end(export([ExportItem(str(photo), quarter_turns=1)], options))
    copy = result.written[0]
    assert copy.name == "wide.jpg"
    with Image.open(copy) as image:
        assert image.format == "JPEG"
        assert image.size == (50, 100)  # turned a quarter clockwise: the red left half is now on top
        top = image.convert("RGB").getpixel((25, 10))
        bottom = image.convert("RGB").getpixel((25, 90))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]
    assert bool(exif_of(copy).get_ifd(GPS_IFD)) is keep
    assert exif_of(copy)[MAKE] == "TestCam"


def test_a_file_that_cannot_be_read_is_reported_and_the_others_are_written(tmp_path: Path) -> None:
    good = gps_jpeg(tmp_path / "good.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really")
    gone = tmp_path / "gone.jpg"
    items = [ExportItem(str(p)) for p in (broken, gone, good)]
    result = run_to_end(export(items, ExportOptions(tmp_path / "out", long_side=64)))
    assert [p.name for p in result.written] == ["good.jpg"]
    assert [f.path for f in result.failed] == [str(broken), str(gone)]
    assert "gone" in result.failed[1].reason
    assert "1 photo" in result.summary() and "2 could not be" in result.summary()


def test_cancelling_stops_between_files(tmp_path: Path) -> None:
    photos = [gps_jpeg(tmp_path / f"{n}.jpg", (40, 40)) for n in range(3)]
    token = CancelToken()
    job = export([ExportItem(str(p)) for p in photos], ExportOptions(tmp_path / "out"), token)
    assert next(job).done == 0
    token.cancel()
    with pytest.raises(Cancelled):
        next(job)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0.jpg"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(long_side=4), "too small"),
        (dict(quality=101), "quality"),
    ],
)
def test_impossible_options_are_refused_before_anything_is_written(tmp_path, options, message) -> None:
    with pytest.raises(PhotosorterError, match=message):
        run_to_end(export([], ExportOptions(tmp_path / "out", **options)))
    assert not (tmp_path / "out").exists()


def test_items_carry_the_rotation_the_user_chose(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.db")
    folder = photo_rows.add_folder(catalog, "/p").id
    facts = ImageFacts(1, 1, "h", "JPEG", 10, 10, None, None, None, None, None, None, None)
    with catalog.transaction() as conn:
        ids = [photo_rows.insert_photo(conn, folder, f"/p/{n}.jpg", f"{n}.jpg", facts) for n in range(2)]
    assert rotate(catalog, [ids[1]], -1) == {ids[1]: 3}
    assert items_for(catalog, [ids[1], ids[0], 999]) == [ExportItem("/p/1.jpg", 3), ExportItem("/p/0.jpg", 0)]
    catalog.close()


def test_the_cli_exports_resized_copies_without_location(cli, tmp_path: Path) -> None:
    photo = gps_jpeg(tmp_path / "a.jpg")
    out = tmp_path / "out"
    result = cli("export", photo, "--to", out, "--long-side", "120", "--quality", "70", "--no-location")
    assert result.code == 0, result.err
    assert "Exported 1 photo" in result.out
    with Image.open(out / "a.jpg") as image:
        assert max(image.size) == 120
    assert not exif_of(out / "a.jpg").get_ifd(GPS_IFD)
    json_result = cli("export", photo, "--to", out, "--json")
    assert json_result.json()["written"] == [str(out / "a (2).jpg")]
    missing = cli("export", tmp_path / "nope.jpg", "--to", out)
    assert missing.code == 1 and "not a file" in missing.err
