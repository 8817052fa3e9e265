"""The frames of a video worth analyzing: scene changes plus a regular interval, near-duplicates dropped.

A video is analyzed through the same analyzer as a photo, one keyframe at a time, so the number of
keyframes is the cost (seconds locally, calls with Rekognition). The sampler looks at the video
every ``probe_s`` (a small grey thumbnail per probe, cheap), keeps a frame when the picture jumps
(a cut) or when ``interval_s`` has passed since the last kept one, and drops a frame that looks like
the last kept frame: a minute of someone standing still is one keyframe whose time range
(``t_ms``..``until_ms``) covers the whole minute.

Bounds, whatever the file says about itself: at most ``max_frames`` keyframes per video (a long
video stretches the interval instead), a decode deadline, and a cap on frames read. Probes closer
than ``seek_gap_s`` are reached by decoding on (``grab()`` decodes without converting colours);
farther ones by seeking, which decodes only from the nearest keyframe: measured in
benchmarks/bench_video_analysis.py.

Decoding is OpenCV's (its wheel bundles an LGPL FFmpeg); it applies the display rotation itself.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from photosorter.core.analysis.video.policy import SamplingPolicy
from photosorter.core.imaging import ANALYSIS_SIZE

_THUMB = (32, 18)  # what a probe is compared by: enough to see a cut, far too small to see noise


class VideoUnreadable(Exception):
    """The video's bytes cannot be decoded into frames (truncated, no moov box, unknown codec...)."""


class DecodeTooSlow(Exception):
    """Decoding ran past its deadline: a damaged stream, or a machine too busy right now. Not recorded
    against the video (a busy machine says nothing about it); the next run tries again."""


@dataclass(frozen=True, slots=True)
class Keyframe:
    """A frame kept for analysis. It stands for the video from ``t_ms`` to ``until_ms``: the last
    moment probed before the next keyframe (or a blank frame), so what is seen in it is seen then."""

    t_ms: int
    until_ms: int
    image: np.ndarray  # BGR, long side <= ANALYSIS_SIZE
    cut: bool  # kept because the picture changed, not because time passed

    def jpeg(self, quality: int = 88) -> bytes:
        """The analysis image of this frame, the same kind of JPEG a photo is analyzed from."""
        ok, data = cv2.imencode(".jpg", self.image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise VideoUnreadable(f"frame at {self.t_ms} ms cannot be encoded as JPEG")
        return data.tobytes()


@dataclass(frozen=True, slots=True)
class VideoInfo:
    duration_s: float
    fps: float
    width: int
    height: int


def _open(path: str) -> cv2.VideoCapture:
    if not os.path.exists(path):  # OpenCV says only "cannot open": the caller must know it is gone
        raise FileNotFoundError(2, "No such file or directory", path)
    with open(path, "rb") as handle:  # a permission or I/O error surfaces as OSError, not as bad content
        if not handle.read(1):
            raise VideoUnreadable("the file is empty")
    capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise VideoUnreadable(
            "cannot be opened as a video (truncated, its index missing, or a codec OpenCV cannot decode)"
        )
    return capture


def _info(capture: cv2.VideoCapture, duration_s: float | None) -> VideoInfo:
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = fps if math.isfinite(fps) and 0 < fps <= 1000 else 30.0  # variable or missing: assume 30
    frames = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    if duration_s is None or not math.isfinite(duration_s) or duration_s <= 0:
        duration_s = frames / fps if math.isfinite(frames) and frames > 0 else 0.0
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    return VideoInfo(duration_s, fps, width, height)


def _reduced(frame: np.ndarray) -> np.ndarray:
    height, width = frame.shape[:2]
    scale = ANALYSIS_SIZE / max(height, width)
    if scale >= 1:
        return frame
    return cv2.resize(frame, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)


def _thumb(frame: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a - b)))


class _Reader:
    """Frames at (or just after) given times, by decoding on or by seeking, within a deadline."""

    def __init__(self, capture: cv2.VideoCapture, info: VideoInfo, policy: SamplingPolicy) -> None:
        self.capture = capture
        self.info = info
        self.policy = policy
        self.deadline = time.monotonic() + policy.deadline_s
        self.position_ms = -1.0  # time of the last frame grabbed
        self.grabs = 0
        # every frame of the video twice over, at the least a minute's worth: a wrong duration or frame
        # rate in the header must not let a broken stream be read forever
        self.max_grabs = int(max(info.duration_s, 60.0) * info.fps * 2) + 1000
        self.ended = False

    def _grab(self) -> bool:
        if time.monotonic() > self.deadline:
            raise DecodeTooSlow(
                f"decoding took longer than {self.policy.deadline_s:.0f} s (a damaged file or a busy machine)"
            )
        self.grabs += 1
        if self.grabs > self.max_grabs or not self.capture.grab():
            self.ended = True
            return False
        position = self.capture.get(cv2.CAP_PROP_POS_MSEC)
        # some streams report no timestamps: count frames instead
        step = 1000 / self.info.fps
        self.position_ms = position if position > self.position_ms else self.position_ms + step
        return True

    def frame_at(self, target_ms: float) -> tuple[float, np.ndarray] | None:
        """The first frame at or after ``target_ms`` and its time; None past the end."""
        if self.ended:
            return None
        gap_s = (target_ms - self.position_ms) / 1000
        if gap_s > self.policy.seek_gap_s and self.position_ms >= 0:
            self.capture.set(cv2.CAP_PROP_POS_MSEC, target_ms)
            self.position_ms = target_ms - 1000 / self.info.fps  # the next grab is the frame at target
        while self.position_ms < target_ms - 500 / self.info.fps or self.position_ms < 0:
            if not self._grab():
                return None
        ok, frame = self.capture.retrieve()
        if not ok or frame is None or frame.size == 0:
            self.ended = True
            return None
        return self.position_ms, frame


# clockwise degrees to OpenCV's rotation, as the scanner turns the poster (core/video/frames.py)
_TURN = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def keyframes(
    path: str,
    policy: SamplingPolicy | None = None,
    duration_s: float | None = None,
    rotation: int | None = None,
) -> Iterator[Keyframe]:
    """The keyframes of the video at ``path``, in time order, turned for display.

    ``duration_s`` and ``rotation`` are what the scanner read from the container: its running time
    is trusted over OpenCV's frame count (wrong for variable frame rates), and its rotation turns the
    frames as the poster was turned (None: FFmpeg's own reading of the container). Raises
    VideoUnreadable when not one frame decodes, DecodeTooSlow past the deadline, and OSError when
    the file cannot be read.
    """
    policy = policy or SamplingPolicy()
    capture = _open(path)
    turn = _TURN.get(rotation or 0)
    if rotation is not None:
        capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
    try:
        info = _info(capture, duration_s)
        interval_s, probe_s = policy.spacing(info.duration_s)
        scene_budget = policy.max_frames - math.ceil(info.duration_s / interval_s) - 1
        reader = _Reader(capture, info, policy)
        kept = 0
        last_thumb: np.ndarray | None = None  # the previous probe
        pending: Keyframe | None = None  # the last kept frame, yielded once its range is known
        pending_thumb: np.ndarray | None = None
        decoded_any = False
        target = 0.0
        while kept < policy.max_frames:
            found = reader.frame_at(target)
            if found is None:
                break
            decoded_any = True
            t_ms, frame = found
            target = t_ms + probe_s * 1000
            thumb = _thumb(frame)
            cut = last_thumb is not None and _difference(thumb, last_thumb) >= policy.scene_change
            last_thumb = thumb
            if float(thumb.std()) < policy.blank:
                continue  # black between scenes, a fade: analyzing it finds nothing
            if pending is not None and pending_thumb is not None:
                same = _difference(thumb, pending_thumb) < policy.duplicate
                due = t_ms - pending.t_ms >= interval_s * 1000
                if same or not (due or (cut and scene_budget > 0)):
                    # not kept: the kept frame stands for this moment too, its range grows
                    pending = Keyframe(pending.t_ms, int(t_ms), pending.image, pending.cut)
                    continue
                if cut and not due:
                    scene_budget -= 1
                yield pending
            kept += 1
            kept_image = _reduced(frame)
            if turn is not None:
                kept_image = cv2.rotate(kept_image, turn)
            pending = Keyframe(int(t_ms), int(t_ms), kept_image, cut)
            pending_thumb = thumb
        if pending is not None:
            yield pending
        if not decoded_any:
            raise VideoUnreadable("no frame of the video could be decoded")
    finally:
        capture.release()


def video_info(path: str) -> VideoInfo:
    capture = _open(path)
    try:
        return _info(capture, None)
    finally:
        capture.release()


@dataclass(frozen=True, slots=True)
class FrameRef:
    """A moment of a video whose picture is shown (a face of a video is cut from its keyframe)."""

    at_ms: int
    rotation: int | None  # as the scanner read it; None: FFmpeg's own reading

    def __str__(self) -> str:
        """When, as ``people --json`` prints it: ``0:04``."""
        seconds = self.at_ms // 1000
        return f"{seconds // 60}:{seconds % 60:02d}"


def frame_jpeg(path: str, frame: FrameRef) -> bytes:
    """The picture at ``frame.at_ms`` as analysis saw it (turned, long side <= ANALYSIS_SIZE), as JPEG:
    a face box found in that keyframe is relative to it. Raises VideoUnreadable or OSError."""
    capture = _open(path)
    try:
        if frame.rotation is not None:
            capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
        capture.set(cv2.CAP_PROP_POS_MSEC, frame.at_ms)
        ok, image = capture.read()
        if not ok or image is None or image.size == 0:
            raise VideoUnreadable(f"no frame decodes at {frame.at_ms} ms")
        image = _reduced(image)
        turn = _TURN.get(frame.rotation or 0)
        return Keyframe(
            frame.at_ms, frame.at_ms, cv2.rotate(image, turn) if turn is not None else image, False
        ).jpeg()
    finally:
        capture.release()
