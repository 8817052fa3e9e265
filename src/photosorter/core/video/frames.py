"""Decoding a video's poster frame with OpenCV (its wheel bundles an LGPL build of FFmpeg).

Runs inside a worker process (bounded.py): a decoder stuck in C cannot be interrupted from Python,
only killed with its process. Returns plain values (bytes, numbers, a reason), never raises for the
file's faults.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MAX_TRIES = 5  # frames looked at for a poster that shows something; each is one seek and decode
DARK_MEAN = 24  # 0-255 luma: below is a black frame or the start of a fade-in
FLAT_STD = 12  # luma spread: below is a uniform frame (a title card's background, a lens cap)
JPEG_QUALITY = 82  # as photo thumbnails (imaging.py)
_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


@dataclass(frozen=True, slots=True)
class Decoded:
    """What OpenCV saw of a video: its stream's facts, and the poster (JPEG bytes) when one decoded."""

    width: int
    height: int
    fps: float | None
    frames: int | None
    fourcc: str | None
    rotation: int  # the rotation applied to the poster
    poster: bytes | None
    problem: str | None  # why no frame decoded


def _fourcc(value: float) -> str | None:
    code = int(value)
    text = "".join(chr((code >> 8 * i) & 0xFF) for i in range(4)).strip("\x00 ")
    return text if text.isprintable() and text else None


def _interest(frame: np.ndarray) -> tuple[bool, float]:
    """(shows something, how much): a near-black or near-uniform frame makes a poor poster. ``frame`` is
    the poster-sized one (shrinking a full frame to 48 px cost more CPU than the poster's own shrink)."""
    small = cv2.resize(frame, (48, 27), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    mean, std = float(gray.mean()), float(gray.std())
    return mean >= DARK_MEAN and std >= FLAT_STD, std * min(1.0, mean / DARK_MEAN)


def _quarter(degrees: float) -> int:
    turned = round(degrees) % 360
    return turned if turned in _ROTATE else 0


def _shrunk(frame: np.ndarray, size: int) -> np.ndarray:
    """The frame at ``size`` on its long side (never enlarged)."""
    height, width = frame.shape[:2]
    scale = min(1.0, size / max(width, height))
    if scale >= 1.0:
        return frame
    return cv2.resize(
        frame, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA
    )


def poster_jpeg(frame: np.ndarray, rotation: int, size: int) -> bytes:
    """The frame shrunk to ``size`` on its long side, turned for display, as JPEG."""
    frame = _shrunk(frame, size)
    if rotation in _ROTATE:
        frame = cv2.rotate(frame, _ROTATE[rotation])
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def poster_times(duration: float | None, keyframes: tuple[float, ...] = ()) -> tuple[float, ...]:
    """Where to look for a poster: a little in (past a fade-in), then further. A keyframe costs one
    decoded frame; any other time costs the frames since the keyframe before it."""
    if not duration or duration <= 0:
        return ()  # unknown: decode_poster works it out from the stream
    start = min(1.0, duration * 0.1)
    later = [duration * f for f in (0.25, 0.5, 0.75)]
    near = [t for t in keyframes if t >= start][:2]
    if near:
        return (*near, *later)
    return (start, *later)


def decode_poster(
    path: str, rotation: int | None, times: tuple[float, ...], want_poster: bool, size: int
) -> Decoded:
    """Opens ``path``, reads its stream facts and, if ``want_poster``, the first frame at ``times`` that
    shows something (else the most interesting one seen). ``rotation`` None: the container's, as FFmpeg
    reads it (for containers our own reader does not parse). The poster is ``size`` on its long side
    (imaging.THUMB_SIZE: passed in, so a worker never imports Pillow)."""
    # This process decodes one video at a time beside the other decoders. OpenCV's own thread pool split
    # each shrink of a frame across the cores and waited for a second thread, which a machine busy with
    # those decoders (or other programs) starts late: posters came 1.29x slower than the same decode
    # without them, in the same CPU time (benchmarks/bench_video.py's corpus, 2 cores, load average 20).
    # FFmpeg's decoding threads are apart from it (CAP_PROP_N_THREADS) and unchanged.
    cv2.setNumThreads(1)
    capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    try:
        if not capture.isOpened():
            problem = "the decoder (FFmpeg in OpenCV) does not support it, or the data is damaged"
            return Decoded(0, 0, None, None, None, 0, None, problem)
        capture.set(
            cv2.CAP_PROP_ORIENTATION_AUTO, 0
        )  # we turn the poster ourselves, by the container's matrix
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = capture.get(cv2.CAP_PROP_FPS)
        frames = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        fourcc = _fourcc(capture.get(cv2.CAP_PROP_FOURCC))
        if rotation is None:
            rotation = _quarter(capture.get(cv2.CAP_PROP_ORIENTATION_META))
        fps_value = fps if fps and np.isfinite(fps) and 0 < fps < 1000 else None
        frame_count = int(frames) if frames and np.isfinite(frames) and frames > 0 else None
        if not want_poster:
            return Decoded(width, height, fps_value, frame_count, fourcc, rotation, None, None)
        if not times:
            times = poster_times(frame_count / fps_value if frame_count and fps_value else None) or (0.0,)
        best: tuple[float, np.ndarray] | None = None
        position = 0.0
        decoded_size = (width, height)
        for at in times[:MAX_TRIES]:
            if at > position + 1e-3 or at < position - 1e-3:
                capture.set(cv2.CAP_PROP_POS_MSEC, at * 1000.0)
            ok, frame = capture.read()
            position = at + (1.0 / fps_value if fps_value else 0.0)
            if not ok or frame is None or frame.size == 0:
                continue
            decoded_size = frame.shape[1], frame.shape[0]
            frame = _shrunk(frame, size)  # judged and kept at poster size: one shrink per frame looked at
            good, score = _interest(frame)
            if best is None or score > best[0]:
                best = (score, frame)
            if good:
                break
        if best is None and times and times[0] > 0:  # a seek the file's index cannot serve: the start
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = capture.read()
            if ok and frame is not None and frame.size:
                decoded_size = frame.shape[1], frame.shape[0]
                best = (0.0, frame)
        if best is None:
            problem = "no frame decodes: the decoder does not support the codec, or the data is damaged"
            return Decoded(width, height, fps_value, frame_count, fourcc, rotation, None, problem)
        width, height = decoded_size  # as decoded: the stream's properties can say 0 before a frame
        poster = poster_jpeg(best[1], rotation, size)
        return Decoded(width, height, fps_value, frame_count, fourcc, rotation, poster, None)
    finally:
        capture.release()
