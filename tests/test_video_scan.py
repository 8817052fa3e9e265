"""Scanning videos: recognised by content, facts read from the container, a poster that shows something,
the same incremental rules as photos, and a clear reason for every kind of bad file.

Every video is made here from the photos in tests/data with OpenCV's VideoWriter; phone metadata
(rotation matrix, creation time, ©xyz, Apple's keys) is written into its boxes by tests/video_files.py.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import threading
import time
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
import xxhash

from photosorter.core.catalog import photos as photo_rows
from photosorter.core.imaging import thumbnail_path
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library
from photosorter.core.records import MediaKind, Photo
from photosorter.core.search import SearchError, search_ids
from photosorter.core.search.filters import duration_predicate
from photosorter.core.search.query import parse as search_parse
from photosorter.core.video import bounded, reading
from photosorter.core.video.containers import sniff_container
from photosorter.core.video.isobmff import ContainerProblem, read_movie
from photosorter.core.video.recorded import avi_date, matroska_date
from video_files import (
    Movie,
    add_apple_keys,
    add_udta,
    dog_video,
    photo,
    quicktime_string,
    rotate,
    set_avi_chunk,
    set_brand,
    set_codec,
    set_created,
    set_handler,
    set_matrix,
    set_matroska_date,
    set_variable_rate,
    utc,
    write_video,
)


def scan(home: Path, folder: Path):
    with Library.open(home) as library:
        library.add_folder(folder)
        return run_to_end(library.scan())


def row(home: Path, path: Path) -> Photo:
    with Library.open(home) as library:
        found = photo_rows.photo_by_path(library.catalog, str(path))
    assert found is not None, path
    return found


def poster(home: Path, item: Photo) -> np.ndarray:
    with Library.open(home) as library:
        image = cv2.imread(str(thumbnail_path(library.paths.thumbnails, item.hash)))
    assert image is not None
    return image


def likeness(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two images at 32x24 (0 = the same picture)."""
    small = [cv2.resize(x, (32, 24), interpolation=cv2.INTER_AREA).astype(np.float32) for x in (a, b)]
    return float(np.abs(small[0] - small[1]).mean())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "videos"
    path.mkdir()
    return path


# -- recognising ------------------------------------------------------------------------------------------
CONTAINERS = [
    ("mp4", "mp4v", "MP4"),
    ("mov", "mp4v", "MOV"),
    ("3gp", "mp4v", "3GP"),
    ("mkv", "mp4v", "MKV"),
    ("webm", "VP80", "WebM"),
    ("avi", "MJPG", "AVI"),
    ("ts", "mp4v", "MPEG-TS"),
]


def test_every_container_is_recognised_by_content_not_by_its_name(home: Path, folder: Path) -> None:
    dog = photo("cat_and_dog.jpeg")
    for ext, fourcc, _ in CONTAINERS:
        made = write_video(folder / f"clip.{ext}", [(dog, 3.0)], fourcc=fourcc)
        made.rename(folder / f"clip_{ext}.bin")  # the extension says nothing
    (folder / "notes.mp4").write_text("not a video at all")
    report = scan(home, folder)
    assert report.added == len(CONTAINERS), report.errors
    for ext, _, name in CONTAINERS:
        item = row(home, folder / f"clip_{ext}.bin")
        assert (item.media, item.format) == (MediaKind.VIDEO, name)
        assert item.duration_s == pytest.approx(3.5, abs=0.15), name
        assert item.fps == pytest.approx(10, abs=0.1), name
        assert (item.width, item.height) == (320, 240), name
        assert item.codec, name
    # named like a video, holding none: reported, as a .jpg holding no photo is
    assert [e["error"] for e in report.errors] == [
        "not a video or photo: the content is no video or image format"
    ]


def test_an_m2ts_camcorder_stream_is_recognised_by_its_sync_bytes() -> None:
    packet = b"\x00\x00\x00\x00" + b"\x47" + bytes(187)
    assert sniff_container(packet * 5).name == "M2TS"
    assert sniff_container((b"\x47" + bytes(187)) * 5).name == "MPEG-TS"
    assert sniff_container(b"\x47" + bytes(1023)) is None  # one sync byte is no stream


def test_a_video_is_a_row_with_its_facts_and_a_poster_past_the_black_start(home: Path, folder: Path) -> None:
    path = dog_video(folder / "dog.mp4", black_lead=0.8)
    report = scan(home, folder)
    assert (report.added, report.errors) == (1, [])
    item = row(home, path)
    assert item.is_video and item.state == "ok"
    assert item.codec == "MPEG-4" and item.rotation == 0
    assert item.taken_at_source == "mtime"  # OpenCV writes no creation time
    image = poster(home, item)
    assert image.mean() > 60, "the poster is the black lead-in"
    assert likeness(image, photo("cat_and_dog.jpeg")) < 12
    with Library.open(home) as library:
        assert (library.stats()["photos"], library.stats()["videos"]) == (1, 1)  # an item like a photo


# -- facts from the container -----------------------------------------------------------------------------
@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_phone_video_stored_sideways_is_shown_turned_by_its_matrix(
    home: Path, folder: Path, degrees: int
) -> None:
    path = dog_video(folder / "phone.mp4")
    movie = Movie.open(path)
    rotate(movie, degrees)
    movie.save()
    scan(home, folder)
    item = row(home, path)
    assert item.rotation == degrees
    assert (item.width, item.height) == ((240, 320) if degrees in (90, 270) else (320, 240))
    image = poster(home, item)
    source = photo("cat_and_dog.jpeg")
    turns = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    right = cv2.rotate(source, turns[degrees])
    assert image.shape[:2] == right.shape[:2]
    wrong = cv2.rotate(right, cv2.ROTATE_180)  # the other way round
    assert likeness(image, right) < 12 < likeness(image, wrong)


def test_apple_local_time_place_and_camera_come_from_its_keys(home: Path, folder: Path) -> None:
    path = dog_video(folder / "IMG_0042.MOV", fourcc="mp4v")
    movie = Movie.open(path)
    set_created(movie, utc(2019, 7, 14, 8, 32, 5))  # UTC; the phone's own clock said 10:32 (+02:00)
    add_apple_keys(
        movie,
        {
            "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
            "com.apple.quicktime.make": "Apple",
            "com.apple.quicktime.model": "iPhone 12",
            "com.apple.quicktime.creationdate": "2019-07-14T10:32:05+0200",
        },
    )
    movie.save()
    scan(home, folder)
    item = row(home, path)
    assert (item.taken_at, item.taken_at_source) == ("2019-07-14T10:32:05+02:00", "quicktime")
    assert item.gps == (48.8584, 2.2945)
    assert item.camera == "Apple iPhone 12"


def test_android_xyz_and_utc_creation_time(home: Path, folder: Path) -> None:
    path = dog_video(folder / "VID_20210304.mp4")
    movie = Movie.open(path)
    when = utc(2021, 3, 4, 12, 0, 0)
    set_created(movie, when)
    add_udta(
        movie,
        quicktime_string(b"\xa9xyz", "-33.8568+151.2153/"),
        quicktime_string(b"\xa9mak", "Google"),
        quicktime_string(b"\xa9mod", "Pixel 7"),
    )
    movie.save()
    scan(home, folder)
    item = row(home, path)
    # no local time in the file: the UTC stamp in this machine's zone, as a photo's file date
    assert item.taken_at == when.astimezone().isoformat(timespec="seconds")
    assert item.taken_at_source == "quicktime"
    assert item.gps == (-33.8568, 151.2153)
    assert item.camera == "Google Pixel 7"
    assert item.warnings is None


def test_impossible_metadata_is_dropped_with_its_reason(home: Path, folder: Path) -> None:
    path = dog_video(folder / "odd.mp4")
    movie = Movie.open(path)
    set_created(movie, utc(2039, 1, 1))  # the latest a 32-bit QuickTime stamp holds
    set_matrix(movie, 0.7071, 0.7071, -0.7071, 0.7071)  # 45°: no camera writes that
    add_udta(movie, quicktime_string(b"\xa9xyz", "+95.0000+200.0000/"))
    movie.save()
    report = scan(home, folder)
    item = row(home, path)
    assert item.state == "ok" and item.rotation == 0 and item.gps is None
    assert item.taken_at_source == "mtime"
    warnings = item.warnings or ""
    assert "creation time 2039-01-01 00:00 dropped: it is in the future" in warnings
    assert "rotation dropped" in warnings and "GPS position dropped" in warnings
    assert len(report.warnings) == 3


def test_an_unset_camera_clock_gives_the_file_date(home: Path, folder: Path) -> None:
    path = dog_video(folder / "camcorder.mp4")
    movie = Movie.open(path)
    set_created(movie, utc(1970, 1, 1))
    movie.save()
    scan(home, folder)
    item = row(home, path)
    assert item.taken_at_source == "mtime"
    assert "the camera's clock was not set" in (item.warnings or "")


def test_matroska_and_webm_give_their_segment_date(home: Path, folder: Path) -> None:
    """Matroska's DateUTC is UTC, as MP4's mvhd is: shown in this machine's zone; 0 means "not set"."""
    dog = photo("cat_and_dog.jpeg")
    when = utc(2018, 6, 30, 17, 45, 12)
    write_video(folder / "screen.mkv", [(dog, 2.0)], fourcc="mp4v")
    set_matroska_date(folder / "screen.mkv", when)
    write_video(folder / "unset.mkv", [(dog, 2.0)], fourcc="mp4v")
    set_matroska_date(folder / "unset.mkv", None, nanoseconds=0)
    write_video(folder / "early.mkv", [(dog, 2.0)], fourcc="mp4v")
    set_matroska_date(folder / "early.mkv", utc(1985, 1, 1))
    write_video(folder / "plain.mkv", [(dog, 2.0)], fourcc="mp4v")  # FFmpeg writes no date of its own
    report = scan(home, folder)
    assert report.added == 4, report.errors
    item = row(home, folder / "screen.mkv")
    assert (item.taken_at, item.taken_at_source) == (
        when.astimezone().isoformat(timespec="seconds"),
        "matroska",
    )
    assert item.duration_s == pytest.approx(2.5, abs=0.15)  # the file still decodes: nothing else moved
    assert row(home, folder / "unset.mkv").taken_at_source == "mtime"
    early = row(home, folder / "early.mkv")
    assert early.taken_at_source == "mtime"
    assert "creation time 1985-01-01 dropped: the camera's clock was not set" in (early.warnings or "")
    assert row(home, folder / "plain.mkv").taken_at_source == "mtime"


@pytest.mark.parametrize(
    ("kind", "text", "taken_at"),
    [
        (b"IDIT", b"SAT OCT 22 08:59:31 2011\n\0", "2011-10-22T08:59:31"),  # Canon, Nikon: C's ctime
        (b"IDIT", b"2011:10:22 08:59:31\0", "2011-10-22T08:59:31"),  # EXIF's form
        (b"ICRD", b"2011-10-22\0", "2011-10-22T00:00:00"),  # RIFF INFO's creation date: a day
    ],
)
def test_an_avi_gives_the_cameras_recording_time(
    home: Path, folder: Path, kind: bytes, text: bytes, taken_at: str
) -> None:
    """An AVI's IDIT is the camera's local time with no zone: kept as written, like EXIF without offset."""
    path = write_video(folder / "MVI_0042.AVI", [(photo("cat_and_dog.jpeg"), 2.0)], fourcc="MJPG")
    set_avi_chunk(path, kind, text)
    report = scan(home, folder)
    assert report.added == 1, report.errors
    item = row(home, path)
    assert (item.taken_at, item.taken_at_source) == (taken_at, "avi")
    assert item.duration_s == pytest.approx(2.5, abs=0.15)


def test_an_avi_date_that_is_no_date_gives_the_file_date(home: Path, folder: Path) -> None:
    for name, text in (("a.avi", b"FOO BAR 99 99:99:99 2011\0"), ("b.avi", b"0000:00:00 00:00:00\0")):
        path = write_video(folder / name, [(photo("cat_and_dog.jpeg"), 2.0)], fourcc="MJPG")
        set_avi_chunk(path, b"IDIT", text)
    future = write_video(folder / "c.avi", [(photo("cat_and_dog.jpeg"), 2.0)], fourcc="MJPG")
    set_avi_chunk(future, b"IDIT", b"2999:01:01 00:00:00\0")
    report = scan(home, folder)
    assert report.added == 3, report.errors
    assert {row(home, folder / n).taken_at_source for n in ("a.avi", "b.avi", "c.avi")} == {"mtime"}
    assert "dropped: it is in the future" in (row(home, future).warnings or "")


def test_cut_short_or_damaged_date_headers_give_no_date_and_never_raise(folder: Path) -> None:
    """The date readers see a file's first bytes before the decoder does: whatever those bytes are, the
    answer is a date or None (the decoder then says what is wrong with the file)."""
    dog = photo("cat_and_dog.jpeg")
    mkv = write_video(folder / "a.mkv", [(dog, 1.0)], fourcc="mp4v")
    set_matroska_date(mkv, utc(2018, 6, 30))
    avi = write_video(folder / "a.avi", [(dog, 1.0)], fourcc="MJPG")
    set_avi_chunk(avi, b"IDIT", b"SAT JUN 30 00:00:00 2018\n\0")
    randomness = random.Random(7)
    for path, reader, whole in (
        (mkv, matroska_date, utc(2018, 6, 30)),
        (avi, avi_date, "2018:06:30 00:00:00"),
    ):
        data = path.read_bytes()[:4096]
        assert reader(io.BytesIO(data), len(data)) == whole
        for cut in range(0, 600, 7):
            assert reader(io.BytesIO(data[:cut]), cut) in (None, whole)
        for _ in range(300):
            damaged = bytearray(data)
            for _ in range(3):
                damaged[randomness.randrange(0, 600)] = randomness.randrange(256)
            found = reader(io.BytesIO(bytes(damaged)), len(damaged))
            assert found is None or isinstance(found, (datetime, str))


def test_a_variable_frame_rate_gives_its_average(home: Path, folder: Path) -> None:
    path = dog_video(folder / "lowlight.mp4", seconds=4.0, black_lead=0)
    movie = Movie.open(path)
    set_variable_rate(movie)  # second half at half the rate: 40 frames over 6 s
    mdhd = movie.video_trak().find(b"mdia").find(b"mdhd")
    payload = bytearray(mdhd.payload)
    scale = int.from_bytes(payload[12:16], "big")
    payload[16:20] = (6 * scale).to_bytes(4, "big")
    mdhd.payload = bytes(payload)
    movie.save()
    scan(home, folder)
    item = row(home, path)
    assert item.state == "ok"
    assert item.fps == pytest.approx(40 / 6, abs=0.01)


# -- audio and bad input ----------------------------------------------------------------------------------
def test_audio_only_files_are_skipped_with_a_reason(home: Path, folder: Path) -> None:
    song = dog_video(folder / "song.m4a")
    set_brand(song, b"M4A ")
    memo = dog_video(folder / "memo.mp4")
    movie = Movie.open(memo)
    set_handler(movie, b"soun")  # its only track is sound
    movie.save()
    report = scan(home, folder)
    assert report.added == 0 and report.errors == []
    assert sorted(s["reason"] for s in report.skipped) == [
        "an audio file (M4A), not a video",
        "an audio file (MP4 with no video track), not a video",
    ]
    with Library.open(home) as library:
        assert library.stats()["photos"] == 0


def _cut(path: Path, keep: int) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(keep)


NO_INDEX = "the video has no index (moov box): the recording was interrupted or the file is damaged"


def test_every_bad_file_gets_a_clear_reason_and_the_scan_goes_on(home: Path, folder: Path) -> None:
    good = dog_video(folder / "good.mp4")
    (folder / "empty.mp4").write_bytes(b"")
    partial = dog_video(folder / "partial.mp4")  # a download stopped half-way: moov comes at the end
    _cut(partial, partial.stat().st_size // 2)
    index_cut = dog_video(folder / "index_cut.mp4")  # cut inside the moov box
    _cut(index_cut, index_cut.stat().st_size - 200)
    no_index = dog_video(folder / "no_index.mp4")  # complete data, the recording never wrote its index
    movie = Movie.open(no_index)
    movie.top = [box for box in movie.top if box.kind != b"moov"]
    movie.save()
    unknown = dog_video(folder / "unknown_codec.mp4")
    movie = Movie.open(unknown)
    set_codec(movie, b"zzzz")
    movie.save()
    report = scan(home, folder)
    reasons = {Path(e["path"]).name: e["error"] for e in report.errors}
    assert reasons == {
        "empty.mp4": "empty file (0 bytes)",
        "partial.mp4": reasons["partial.mp4"],
        "index_cut.mp4": "the file ends early (truncated inside the video's index (moov box))",
        "no_index.mp4": NO_INDEX,
        "unknown_codec.mp4": reasons["unknown_codec.mp4"],
    }
    assert reasons["partial.mp4"].startswith("incomplete download or copy: the file stops at")
    assert reasons["unknown_codec.mp4"] == (
        "cannot decode the video (codec 'zzzz'): the decoder (FFmpeg in OpenCV) does not support it,"
        " or the data is damaged"
    )
    assert report.added == 1 and row(home, good).state == "ok"


def test_a_partial_download_is_read_again_once_it_is_complete(
    home: Path, folder: Path, tmp_path: Path
) -> None:
    whole = dog_video(tmp_path / "whole.mp4")
    target = folder / "download.mp4"
    data = whole.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    scan(home, folder)
    first = row(home, target)
    assert first.state == "error" and "incomplete download" in (first.error or "")
    target.write_bytes(data)
    report = scan(home, folder)
    assert report.updated == 1
    item = row(home, target)
    assert (item.id, item.state, item.media) == (first.id, "ok", MediaKind.VIDEO)


def test_a_decoder_that_hangs_is_stopped_and_the_next_call_works() -> None:
    workers = bounded.Workers(1)
    try:
        hung = workers.call(os.getpid, timeout=60)
        with pytest.raises(bounded.DecodeTimeout):
            workers.call(time.sleep, 600, timeout=1.0)
        with pytest.raises(ProcessLookupError):  # killed and reaped, not left sleeping
            os.kill(hung, 0)
        assert workers.call(os.getpid, timeout=60) != hung  # a new worker serves the next call
        assert workers.call(sorted, [3, 1, 2], timeout=60) == [1, 2, 3]
        with pytest.raises(RuntimeError, match="cannot be sent back"):  # and the worker stays
            workers.call(threading.Lock, timeout=60)  # a lock cannot be pickled
        assert workers.call(sorted, [2, 1], timeout=60) == [1, 2]
    finally:
        workers.close()


def test_a_decode_over_its_time_limit_is_a_reason_not_a_hang(
    home: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = dog_video(folder / "slow.mp4")
    monkeypatch.setattr(bounded, "DECODE_SECONDS", 0.0)
    report = scan(home, folder)
    assert [Path(e["path"]).name for e in report.errors] == ["slow.mp4"]
    assert row(home, path).error == "decoding the video took longer than 0 s; the decoder was stopped"


# -- incremental rules and the content key ----------------------------------------------------------------
def test_unchanged_videos_are_never_opened_and_a_moved_one_keeps_its_id(
    home: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = dog_video(folder / "dog.mp4")
    scan(home, folder)
    first = row(home, path)

    def refuse(*args, **kwargs):
        raise AssertionError("an unchanged video was read")

    with monkeypatch.context() as patch:
        patch.setattr(reading, "read_video", refuse)
        assert scan(home, folder).unchanged == 1
    (folder / "trips").mkdir()
    moved = folder / "trips" / "dog renamed.mp4"
    shutil.move(path, moved)
    report = scan(home, folder)
    assert (report.moved, report.added) == (1, 0)
    item = row(home, moved)
    assert (item.id, item.hash, item.media) == (first.id, first.hash, MediaKind.VIDEO)


def test_small_videos_are_hashed_whole_and_large_ones_by_a_sample_that_sees_metadata_edits(
    home: Path, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = dog_video(folder / "dog.mp4")
    scan(home, folder)
    assert row(home, path).hash == xxhash.xxh3_128_hexdigest(path.read_bytes())

    monkeypatch.setattr(reading, "WHOLE_HASH_LIMIT", 1000)  # every test video is "large" now
    monkeypatch.setattr(reading, "HASH_SAMPLE_BYTES", 64)
    copy = tmp_path / "copy.mp4"
    shutil.copy(path, copy)
    edited = tmp_path / "edited.mp4"
    movie = Movie.open(path)
    set_created(movie, utc(2022, 5, 5))  # same size: only the index differs
    movie.save(edited)
    assert edited.stat().st_size == path.stat().st_size

    def key(p: Path) -> str:
        with open(p, "rb") as handle:
            found = Movie.open(p)
            start = sum(len(b.bytes()) for b in found.top[: found.top.index(found.moov)]) + 8
            return reading.content_hash(handle, p.stat().st_size, (start, p.stat().st_size))

    assert key(path) == key(copy) != key(edited)
    assert key(path) != xxhash.xxh3_128_hexdigest(path.read_bytes())


def test_a_ten_hour_video_is_read_from_its_index_and_its_poster_found_near_the_start(
    home: Path, folder: Path
) -> None:
    """The header says ten hours (its sample table repeats the frames): nothing is decoded past a
    few seconds in, and the facts come from the index alone."""
    path = dog_video(folder / "long.mp4", black_lead=0)
    movie = Movie.open(path)
    mvhd = movie.moov.find(b"mvhd")
    payload = bytearray(mvhd.payload)
    scale = int.from_bytes(payload[12:16], "big")
    payload[16:20] = (36_000 * scale).to_bytes(4, "big")
    mvhd.payload = bytes(payload)
    movie.save()
    scan(home, folder)
    item = row(home, path)
    assert item.state == "ok" and item.duration_s == pytest.approx(36_000)
    assert poster(home, item).mean() > 60


def test_the_thumbnail_job_rebuilds_a_video_poster(home: Path, folder: Path) -> None:
    from photosorter.core.media import make_media_thumbnail

    path = dog_video(folder / "dog.mp4")
    scan(home, folder)
    item = row(home, path)
    with Library.open(home) as library:
        thumb = thumbnail_path(library.paths.thumbnails, item.hash)
    os.unlink(thumb)
    make_media_thumbnail(str(path), thumb)
    assert likeness(cv2.imread(str(thumb)), photo("cat_and_dog.jpeg")) < 12


def test_photos_beside_videos_keep_media_photo_and_no_video_facts(home: Path, folder: Path) -> None:
    """A photo row says photo and has no video facts; the video beside it has a date."""
    (folder / "cat.jpg").write_bytes((Path(__file__).parent / "data/photos/cat_and_dog.jpeg").read_bytes())
    dog_video(folder / "dog.mp4")
    scan(home, folder)
    cat = row(home, folder / "cat.jpg")
    assert (cat.media, cat.duration_s, cat.fps, cat.codec, cat.rotation) == (
        MediaKind.PHOTO,
        None,
        None,
        None,
        None,
    )
    assert not cat.is_video
    assert isinstance(datetime.fromisoformat(row(home, folder / "dog.mp4").taken_at or ""), datetime)


# -- search ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (">30s", (">", 30.0)),
        ("30", ("=", 30.0)),
        ("<=2m", ("<=", 120.0)),
        (">=1.5min", (">=", 90.0)),
        ("1h", ("=", 3600.0)),
        ("0:42", ("=", 42.0)),
        ("<1:02:03", ("<", 3723.0)),
    ],
)
def test_durations_as_people_write_them(value: str, expected: tuple[str, float]) -> None:
    assert duration_predicate("duration", value) == expected


@pytest.mark.parametrize("value", ["30x", ">", "1:2", "-5s", "1:30:"])
def test_a_duration_that_is_no_duration_is_a_clear_error(value: str) -> None:
    with pytest.raises(SearchError, match="bad duration"):
        search_parse(f"duration:{value}")


def test_scanned_videos_are_found_by_type_and_duration(home: Path, folder: Path) -> None:
    short = dog_video(folder / "short.mp4", seconds=1.0, black_lead=0)
    long = dog_video(folder / "long.mp4", seconds=4.0, black_lead=0)
    (folder / "cat.jpg").write_bytes((Path(__file__).parent / "data/photos/cat_and_dog.jpeg").read_bytes())
    scan(home, folder)
    with Library.open(home) as library:
        ids = {row(home, p).id: p.name for p in (short, long, folder / "cat.jpg")}

        def names(query: str) -> set[str]:
            return {ids[i] for i in search_ids(library.catalog, query)}

        assert names("type:video") == {"short.mp4", "long.mp4"}
        assert names("type:photo") == {"cat.jpg"}
        assert names("duration:>2s") == {"long.mp4"}
        assert names("duration:0:01") == {"short.mp4"}
        assert names("-duration:>2s") == {"short.mp4", "cat.jpg"}


def test_the_photo_analyzer_is_not_given_videos(home: Path, folder: Path) -> None:
    """A video file is no image: analyzed as one it would be recorded as a failure, every scan. It is
    pending with its facts, for the keyframe analysis (tests/test_video_analysis.py)."""
    dog_video(folder / "dog.mp4")
    (folder / "cat.jpg").write_bytes((Path(__file__).parent / "data/photos/cat_and_dog.jpeg").read_bytes())
    scan(home, folder)
    with Library.open(home) as library:
        work, _ = library.pending_analysis("local", "labels")
    kinds = {Path(item.paths[0]).name: item.video for item in work}
    assert kinds["cat.jpg"] is None
    assert kinds["dog.mp4"] is not None and kinds["dog.mp4"].duration_s


def test_a_damaged_index_is_a_reason_never_another_error(tmp_path: Path) -> None:
    """Bytes of the moov box changed at random (seeded): each file is read or refused with a reason."""
    path = dog_video(tmp_path / "dog.mp4")
    data = path.read_bytes()
    start = data.rfind(b"moov") - 4
    rng = random.Random(12)
    outcomes = {"read": 0, "refused": 0}
    for _ in range(600):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            damaged[rng.randrange(start, len(data))] = rng.randrange(256)
        try:
            read_movie(io.BytesIO(bytes(damaged)), len(damaged))
            outcomes["read"] += 1
        except ContainerProblem:
            outcomes["refused"] += 1
    assert outcomes["read"] and outcomes["refused"]


def test_the_scan_command_lists_skipped_audio_and_show_gives_a_videos_facts(cli, folder: Path) -> None:
    song = dog_video(folder / "song.m4a")
    set_brand(song, b"M4A ")
    clip = dog_video(folder / "clip.mp4")
    result = cli("scan", folder)
    assert result.code == 0, result.err
    assert f"  {song}: skipped, an audio file (M4A), not a video" in result.out.splitlines()
    shown = cli("show", clip, "--json")
    facts = json.loads(shown.out)
    assert (facts["media"], facts["duration_s"], facts["fps"], facts["codec"]) == (
        "video",
        3.5,
        10.0,
        "MPEG-4",
    )
    assert facts["thumbnail"] is not None
