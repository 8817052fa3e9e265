"""Faces with dlib: HOG detection, 5-point landmarks and the 128-d ResNet descriptor.

The model files come from the ``face_recognition_models`` package (CC0). Its
``__init__`` imports ``pkg_resources``, which newer setuptools no longer ship,
so the files are located through the import system without running it.

Only the 5-point landmark model is used: the 68-point model's training data
(iBUG 300-W) does not allow commercial use.

dlib's detector and network keep scratch state inside the object, so they are
not safe to share between threads; each worker thread loads its own copy
(about 30 MB, a fraction of a second) the first time it needs one.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from pathlib import Path

import cv2
import dlib
import numpy as np

from photosorter.core.analysis.types import Box, Face

MODEL_PACKAGE = "face_recognition_models"
SHAPE_MODEL = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
MODEL_VERSION = "dlib-hog+5pt+resnet-v1"

# HOG finds faces from about 80 px wide. Scaling every photo so its long side is
# about this size finds group-photo faces in small images and keeps big ones fast.
DETECT_LONG_SIDE = 1000
MAX_UPSCALE = 2.0
# A negative HOG score is mostly a false positive (patches, posters, textures).
MIN_DETECTION_SCORE = 0.0
# Faces smaller than this in the analysis image give descriptors too noisy to group by.
MIN_FACE_PX = 24


def model_dir() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {MODEL_PACKAGE} package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class _Models:
    """One thread's dlib models."""

    def __init__(self, directory: Path) -> None:
        self.detector = dlib.get_frontal_face_detector()
        self.shapes = dlib.shape_predictor(str(directory / SHAPE_MODEL))
        self.descriptor = dlib.face_recognition_model_v1(str(directory / DESCRIPTOR_MODEL))


class FaceFinder:
    """Finds faces in an RGB image and describes each with landmarks, quality and an embedding."""

    def __init__(self) -> None:
        self._dir = model_dir()
        for name in (SHAPE_MODEL, DESCRIPTOR_MODEL):
            if not (self._dir / name).is_file():
                raise RuntimeError(f"face model {name} is missing from {self._dir}")
        self._local = threading.local()

    def _models(self) -> _Models:
        models = getattr(self._local, "models", None)
        if models is None:
            models = self._local.models = _Models(self._dir)
        return models

    def find(self, rgb: np.ndarray, describe: bool = True) -> tuple[tuple[Face, ...], dict]:
        """The faces, and raw detector output; ``describe=False`` skips landmarks and embeddings."""
        models = self._models()
        height, width = rgb.shape[:2]
        scale = min(MAX_UPSCALE, DETECT_LONG_SIDE / max(width, height))
        if abs(scale - 1.0) > 0.05:
            size = (round(width * scale), round(height * scale))
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            detect_image = cv2.resize(rgb, size, interpolation=interpolation)
        else:
            scale, detect_image = 1.0, rgb
        rects, scores, _ = models.detector.run(detect_image, 0, MIN_DETECTION_SCORE)
        found: list[tuple[dlib.rectangle, float]] = []
        for rect, score in zip(rects, scores, strict=True):
            box = dlib.rectangle(
                round(rect.left() / scale),
                round(rect.top() / scale),
                round(rect.right() / scale),
                round(rect.bottom() / scale),
            )
            if box.width() >= MIN_FACE_PX:
                found.append((box, float(score)))
        if not found:
            return (), {"detect_scale": scale, "faces": []}
        if not describe:
            return tuple(_bare_face(box, score, width, height) for box, score in found), {
                "detect_scale": scale
            }
        shapes = dlib.full_object_detections()
        for box, _ in found:
            shapes.append(models.shapes(rgb, box))
        descriptors = models.descriptor.compute_face_descriptor(rgb, shapes)
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        faces = []
        raw = []
        for (box, score), shape, descriptor in zip(found, shapes, descriptors, strict=True):
            points = [(shape.part(i).x, shape.part(i).y) for i in range(shape.num_parts)]
            faces.append(_face(box, score, points, descriptor, gray, width, height))
            raw.append({"rect": [box.left(), box.top(), box.right(), box.bottom()], "score": score})
        return tuple(faces), {"detect_scale": scale, "faces": raw}


def confidence_from_score(score: float) -> float:
    """HOG's margin as a 0..100 confidence: 0 (the threshold) is 88, 1 is 98, 2 and up near 100."""
    return round(100.0 / (1.0 + math.exp(-(2.0 * score + 2.0))), 3)


def _relative(box: dlib.rectangle, width: int, height: int) -> tuple[Box, tuple[int, int, int, int]]:
    left, top = max(0, box.left()), max(0, box.top())
    right, bottom = min(width, box.right() + 1), min(height, box.bottom() + 1)
    return Box(left / width, top / height, (right - left) / width, (bottom - top) / height), (
        left,
        top,
        right,
        bottom,
    )


def _bare_face(box: dlib.rectangle, score: float, width: int, height: int) -> Face:
    return Face(box=_relative(box, width, height)[0], confidence=confidence_from_score(score))


def _face(
    box: dlib.rectangle,
    score: float,
    points: list[tuple[int, int]],
    descriptor: dlib.vector,
    gray: np.ndarray,
    width: int,
    height: int,
) -> Face:
    rel, (left, top, right, bottom) = _relative(box, width, height)
    return Face(
        box=rel,
        confidence=confidence_from_score(score),
        landmarks=_landmarks(points, width, height),
        pose={"roll": _roll(points)},
        quality=_quality(gray[top:bottom, left:right], right - left),
        embedding=tuple(float(v) for v in descriptor),
    )


def _landmarks(
    points: list[tuple[int, int]], width: int, height: int
) -> tuple[tuple[str, float, float], ...]:
    """Rekognition's landmark names from dlib's five points (two corners per eye, then the nose base).

    Left and right are as seen in the image, which is how Rekognition reports them.
    """
    eye_a, eye_b, nose = points[0:2], points[2:4], points[4]
    left_eye, right_eye = sorted((eye_a, eye_b), key=lambda eye: eye[0][0] + eye[1][0])

    def rel(x: float, y: float) -> tuple[float, float]:
        return round(x / width, 5), round(y / height, 5)

    def centre(eye: list[tuple[int, int]]) -> tuple[float, float]:
        return rel((eye[0][0] + eye[1][0]) / 2, (eye[0][1] + eye[1][1]) / 2)

    left_corners = sorted(left_eye)
    right_corners = sorted(right_eye)
    return (
        ("eyeLeft", *centre(left_eye)),
        ("eyeRight", *centre(right_eye)),
        ("nose", *rel(*nose)),
        ("leftEyeLeft", *rel(*left_corners[0])),
        ("leftEyeRight", *rel(*left_corners[1])),
        ("rightEyeLeft", *rel(*right_corners[0])),
        ("rightEyeRight", *rel(*right_corners[1])),
    )


def _roll(points: list[tuple[int, int]]) -> float:
    """Degrees the eye line is tilted from horizontal, positive clockwise as in Rekognition."""
    xs = [(points[0][0] + points[1][0]) / 2, (points[2][0] + points[3][0]) / 2]
    ys = [(points[0][1] + points[1][1]) / 2, (points[2][1] + points[3][1]) / 2]
    if xs[0] > xs[1]:
        xs.reverse()
        ys.reverse()
    return round(math.degrees(math.atan2(ys[1] - ys[0], xs[1] - xs[0])), 2)


def _quality(crop: np.ndarray, face_px: int) -> dict[str, float]:
    """Brightness and sharpness on Rekognition's 0..100 scale, plus the face's width in pixels.

    Sharpness is the variance of the Laplacian on the face scaled to 100 px wide,
    so it does not depend on how large the face is; 500 and above counts as fully sharp.
    """
    if crop.size == 0:
        return {"brightness": 0.0, "sharpness": 0.0, "size": float(face_px)}
    side = 100
    normalised = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
    sharpness = float(cv2.Laplacian(normalised, cv2.CV_64F).var())
    return {
        "brightness": round(float(crop.mean()) / 255.0 * 100.0, 2),
        "sharpness": round(min(100.0, sharpness / 5.0), 2),
        "size": float(face_px),
    }
