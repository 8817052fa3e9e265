"""Reading one video file into the facts the catalog keeps, and its poster into the thumbnail cache.

The container's own reader (isobmff.py) gives the facts of MP4/MOV/M4V/3GP without decoding; OpenCV,
in a bounded worker process (bounded.py), decodes the poster and gives duration and frame rate for
Matroska, AVI and MPEG-TS. Content hash: files up to WHOLE_HASH_LIMIT are hashed whole, as photos
are; larger ones by a documented sample (see ``content_hash``), measured in README "Videos".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import xxhash

from photosorter.core.exif import parse_exif_datetime
from photosorter.core.imaging import (
    THUMB_SIZE,
    WHOLE_FILE_LIMIT,
    NotAnImage,
    UnreadablePhoto,
    check_unchanged,
    hash_stream,
    reading_file,
    thumbnail_exists,
    thumbnail_path,
    write_thumbnail,
)
from photosorter.core.records import ImageFacts, VideoFacts
from photosorter.core.video.bounded import DecoderDied, DecodeTimeout, shared_workers
from photosorter.core.video.containers import EBML, ISOBMFF, RIFF, Container
from photosorter.core.video.frames import Decoded, decode_poster, poster_times
from photosorter.core.video.isobmff import (
    ContainerProblem,
    Movie,
    Track,
    codec_name,
    iso6709,
    keyframe_times,
    read_movie,
    rotation_of,
)
from photosorter.core.video.recorded import avi_date, matroska_date

WHOLE_HASH_LIMIT = WHOLE_FILE_LIMIT  # 64 MB: hashed whole like a photo (~0.1 s even from a cold disk)
HASH_SAMPLES = 32
HASH_SAMPLE_BYTES = 1 << 20
_SAMPLED = b"photosorter sampled video hash v1"  # changing the sample changes every key: a new name
MAX_SIDE = 16_384  # pixels: 16K video; larger is a damaged header
MAX_DURATION_S = 7 * 24 * 3600.0  # longer is a damaged header, not a recording
EARLIEST_RECORDING = datetime(1990, 1, 1, tzinfo=UTC)  # before any camera wrote MP4/QuickTime dates
_FUTURE_TOLERANCE = timedelta(days=2)


class NotAVideo(NotAnImage):
    """A container that holds no picture (an M4A song, a voice memo): skipped, with this reason."""


def content_hash(handle: BinaryIO, size: int, index: tuple[int, int] | None) -> str:
    """The content key of a video.

    Up to WHOLE_HASH_LIMIT: xxh3-128 of the whole file, exactly as for a photo. Larger: xxh3-128 of a
    version tag, the size, the video's index (the ``moov`` box of an MP4/MOV, where every metadata
    edit lands) and HASH_SAMPLES evenly spaced 1 MB pieces, the first and the last included. A 2 GB
    file from a cold cache: 3.1 s whole, 0.6 s sampled (README "Videos"). Two different videos of
    the same size share a key only if they also agree in every sampled megabyte and the whole index:
    re-encoding, trimming or editing metadata changes the size or the index.
    """
    handle.seek(0)
    if size <= WHOLE_HASH_LIMIT:
        return hash_stream(handle)
    digest = xxhash.xxh3_128(_SAMPLED)
    digest.update(size.to_bytes(8, "little"))
    if index is not None:
        handle.seek(index[0])
        digest.update(handle.read(index[1] - index[0]))
    for number in range(HASH_SAMPLES):
        handle.seek((size - HASH_SAMPLE_BYTES) * number // (HASH_SAMPLES - 1))
        digest.update(handle.read(HASH_SAMPLE_BYTES))
    return digest.hexdigest()


def read_video(path: str, thumb_dir: Path, container: Container) -> ImageFacts:
    """Facts of the video at ``path``; writes its poster thumbnail if the cache has none for its content.

    Raises UnreadablePhoto with the reason for a damaged, incomplete or undecodable video, NotAVideo
    for a container with no picture, EnvironmentFault when the machine failed.
    """
    movie: Movie | None = None
    recorded = _Recorded()
    with reading_file(path):
        before = os.stat(path)
        with open(path, "rb") as handle:  # read-only: we never write a user's file
            if container.audio_only:
                raise NotAVideo(f"an audio file ({container.name}), not a video")
            if container.family == ISOBMFF:
                try:
                    movie = read_movie(handle, before.st_size)
                except ContainerProblem as problem:
                    raise UnreadablePhoto(str(problem)) from None
                if movie.video is None:
                    raise NotAVideo(
                        f"an audio file ({container.name} with no video track), not a video"
                        if movie.has_audio
                        else f"no video track in this {container.name} file"
                    )
                recorded = _Recorded(movie.created_utc, None, "quicktime")
            elif container.family == EBML:
                recorded = _Recorded(matroska_date(handle, before.st_size), None, "matroska")
            elif container.family == RIFF:
                recorded = _Recorded(None, avi_date(handle, before.st_size), "avi")
            key = content_hash(handle, before.st_size, movie.index if movie else None)
        after = os.stat(path)
    check_unchanged(before, after)
    return _facts(path, thumb_dir, container, movie, key, before, recorded)


def _facts(
    path: str,
    thumb_dir: Path,
    container: Container,
    movie: Movie | None,
    key: str,
    stat: os.stat_result,
    recorded: _Recorded,
) -> ImageFacts:
    warnings: list[str] = []
    track = movie.video if movie else None
    rotation: int | None = None
    if track is not None:
        rotation = rotation_of(track.matrix)
        if rotation is None:
            a, b, _, c, d = track.matrix[:5]
            warnings.append(
                f"rotation dropped: the display matrix ({a:g}, {b:g}, {c:g}, {d:g}) is no quarter turn"
            )
            rotation = 0
    duration = movie.duration_s if movie else None
    fps = _frame_rate(track)
    thumb = thumbnail_path(thumb_dir, key)
    want_poster = not thumbnail_exists(thumb, thumb_dir)
    decoded: Decoded | None = None
    if want_poster or duration is None or fps is None or track is None:
        keyframes = keyframe_times(track, 60.0) if track is not None else ()
        decoded = _decode(path, rotation, poster_times(duration, keyframes), want_poster)
        if decoded.problem is not None and (want_poster or track is None):
            named = codec_name(track.codec) if track is not None else decoded.fourcc
            codec = f" (codec {named!r})" if named else ""
            raise UnreadablePhoto(f"cannot decode the video{codec}: {decoded.problem}")
        if rotation is None:
            rotation = decoded.rotation
        fps = fps or decoded.fps
        if duration is None and decoded.frames and decoded.fps:
            duration = decoded.frames / decoded.fps
        if decoded.poster is not None:
            write_thumbnail(thumb, decoded.poster, thumb_dir)
    rotation = rotation or 0
    if duration is not None and not 0 < duration <= MAX_DURATION_S:
        warnings.append(f"duration dropped: {duration:,.0f} s is not a real running time")
        duration = None
    if fps is not None and not 0.01 <= fps <= 1000:
        warnings.append(f"frame rate dropped: {fps:g} frames per second is not real")
        fps = None
    width, height = _size(track, decoded)
    if rotation in (90, 270):
        width, height = height, width
    strings = movie.strings if movie else {}
    taken_at, source = _taken_at(recorded, strings, warnings)
    if taken_at is None:
        taken_at, source = datetime.fromtimestamp(stat.st_mtime).isoformat(timespec="seconds"), "mtime"
    latitude, longitude = _position(strings, warnings)
    codec = codec_name(track.codec) if track is not None else None
    if codec is None and decoded is not None and decoded.fourcc:
        codec = codec_name(decoded.fourcc.encode("latin-1"))
    return ImageFacts(
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        hash=key,
        format=container.name,
        width=width,
        height=height,
        taken_at=taken_at,
        taken_at_source=source,
        camera_make=strings.get("com.apple.quicktime.make") or strings.get("make"),
        camera_model=strings.get("com.apple.quicktime.model") or strings.get("model"),
        latitude=latitude,
        longitude=longitude,
        orientation=None,
        warnings=tuple(warnings),
        video=VideoFacts(
            duration_s=round(duration, 3) if duration else None,
            fps=round(fps, 3) if fps else None,
            codec=codec,
            rotation=rotation,
        ),
    )


def _decode(path: str, rotation: int | None, times: tuple[float, ...], want_poster: bool) -> Decoded:
    try:
        return shared_workers().call(decode_poster, path, rotation, times, want_poster, THUMB_SIZE)
    except DecodeTimeout as problem:
        raise UnreadablePhoto(f"decoding the video {problem}; the decoder was stopped") from None
    except DecoderDied as problem:
        raise UnreadablePhoto(f"the video decoder crashed on this file: {problem}") from None
    except RuntimeError as problem:
        raise UnreadablePhoto(f"unexpected error decoding the video: {problem}") from None


def _frame_rate(track: Track | None) -> float | None:
    if track is None or not track.samples or track.timescale <= 0 or track.duration <= 0:
        return None
    return track.samples / (track.duration / track.timescale)


def _size(track: Track | None, decoded: Decoded | None) -> tuple[int, int]:
    """Stored (unrotated) frame size: the track header's display size, else the coded or decoded one
    (a header declaring more than any camera records is damaged)."""
    if track is not None and 1 <= track.width <= MAX_SIDE and 1 <= track.height <= MAX_SIDE:
        return round(track.width), round(track.height)
    if track is not None and 0 < track.coded_width <= MAX_SIDE and 0 < track.coded_height <= MAX_SIDE:
        return track.coded_width, track.coded_height
    if decoded is not None:
        return decoded.width, decoded.height  # as decoded: unrotated, like the container's sizes
    return 0, 0


@dataclass(frozen=True, slots=True)
class _Recorded:
    """What the container says about when it was recorded, by the reader of its kind."""

    utc: datetime | None = None  # MP4/MOV mvhd, Matroska DateUTC
    camera_local: str | None = None  # AVI's IDIT/ICRD, EXIF's form without an offset
    source: str = "mtime"  # the reader's name, kept as the photo's taken_at_source


def _taken_at(recorded: _Recorded, strings: dict[str, str], warnings: list[str]) -> tuple[str | None, str]:
    """The phone's local time with its offset where it wrote one (Apple's creationdate key, ©day) or
    the camera's local time (AVI); else the container's UTC creation time, in this machine's time
    zone as a photo's file date is."""
    texts = [strings.get(key) for key in ("com.apple.quicktime.creationdate", "day")]
    for text in [*texts, recorded.camera_local]:
        if text:
            stamp = parse_exif_datetime(text[:19], text[19:].strip() or None)
            if stamp.warning:
                warnings.append(stamp.warning)
            if stamp.text:
                return stamp.text, recorded.source
    created = recorded.utc
    if created is None:
        return None, "mtime"
    if created < EARLIEST_RECORDING:
        warnings.append(f"creation time {created:%Y-%m-%d} dropped: the camera's clock was not set")
        return None, "mtime"
    if created > datetime.now(UTC) + _FUTURE_TOLERANCE:
        warnings.append(f"creation time {created:%Y-%m-%d %H:%M} dropped: it is in the future")
        return None, "mtime"
    return created.astimezone().isoformat(timespec="seconds"), recorded.source


def _position(strings: dict[str, str], warnings: list[str]) -> tuple[float | None, float | None]:
    for key in ("com.apple.quicktime.location.ISO6709", "xyz"):
        text = strings.get(key)
        if not text:
            continue
        try:
            found = iso6709(text)
        except ValueError as problem:
            warnings.append(f"GPS position dropped: {problem}")
            return None, None
        if found is not None and found != (0.0, 0.0):  # "null island": no fix
            return found
    return None, None


def make_poster(path: str, thumb: Path, container: Container) -> None:
    """Rebuilds a video's poster thumbnail at ``thumb`` (its content's cache entry)."""
    facts = read_video(path, thumb.parent.parent, container)
    if thumbnail_path(thumb.parent.parent, facts.hash) != thumb:
        raise UnreadablePhoto("the file's content changed since it was scanned")
