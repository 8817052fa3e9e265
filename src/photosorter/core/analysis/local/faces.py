"""Faces: MTCNN finds them, dlib's 5-point landmarks align them and its ResNet describes them (128-d).

Detection was dlib's HOG detector until it proved blind to faces turned to the
side (a shouting coach in profile scored below its threshold at every scale and
in the mirror image). MTCNN (see ``mtcnn.py``) finds those, finds small faces
in street photos HOG missed, and costs less: 1.3 s against 2.7 s for the 43
corpus photos.

dlib's landmark model was trained on boxes from dlib's own detectors, so each
MTCNN box is first mapped onto the box HOG would draw for the same face
(measured on the 24 corpus faces both detectors find: HOG's square is 1.075x
MTCNN's width and sits 6.6% of MTCNN's height lower). That keeps the
descriptors, and the distances calibrated in ``faces/thresholds.py``, as before.

The dlib model files come from the ``face_recognition_models`` package (CC0).
Its ``__init__`` imports ``pkg_resources``, which newer setuptools no longer
ship, so the files are located through the import system without running it.
Only the 5-point landmark model is used: the 68-point model's training data
(iBUG 300-W) does not allow commercial use.

The descriptor network is dlib's ResNet, converted once from dlib's model file
to an ONNX graph (``dlib_resnet.py``) and run by onnxruntime: dlib ran it in
about 75 ms a face holding the GIL, so threads described faces one at a time;
the converted graph gives the same numbers (max difference 4e-7 on the test
faces, 3.5e-7 on the 32 corpus faces) about ten times faster
(benchmarks/eval_dlib_onnx.py), without the GIL, in one session all threads
share. Faces are still aligned by dlib (``get_face_chips``), exactly as its
``compute_face_descriptor`` does, so stored descriptors from before and after
are interchangeable and the model version does not change.

dlib's shape predictor is cheap but keeps its own state, so each worker thread
loads its own (9 MB) the first time it needs one.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from pathlib import Path

import cv2
import dlib
import numpy as np

from photosorter.core.analysis.local import dlib_resnet, onnx_graph
from photosorter.core.analysis.local.mtcnn import Detection, MtcnnDetector
from photosorter.core.analysis.local.once import LoadOnce
from photosorter.core.analysis.types import Box, Face, FatalAnalysisError

MODEL_PACKAGE = "face_recognition_models"
SHAPE_MODEL = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
MODEL_VERSION = "mtcnn+dlib-5pt+resnet-v1"

# Smallest face MTCNN looks for, in analysis-image pixels (box regression still
# brings in faces down to about 24 px). Faces under 36 px are not grouped anyway
# (faces/thresholds.py); asking for 24 px doubled the detection time on the
# corpus and added two false detections.
MIN_DETECT_PX = 40
# HOG's box for a face, from MTCNN's (see the module docstring).
_HOG_WIDTH_RATIO = 1.075
_HOG_SHIFT_DOWN = 0.066


def model_dir() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {MODEL_PACKAGE} package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class FaceFinder:
    """Finds faces in an RGB image and describes each with landmarks, quality and an embedding."""

    def __init__(self, cache_dir: Path | None = None, threads: int = 1) -> None:
        """``cache_dir`` keeps the descriptor network converted to ONNX (converted in memory if None)."""
        self._dir = model_dir()
        for name in (SHAPE_MODEL, DESCRIPTOR_MODEL):
            if not (self._dir / name).is_file():
                raise RuntimeError(f"face model {name} is missing from {self._dir}")
        self._detector = MtcnnDetector()
        self._local = threading.local()
        self._cache_dir = cache_dir
        self._threads = threads
        self._get_descriptor = LoadOnce(self._load_descriptor)

    def _shapes(self) -> dlib.shape_predictor:
        shapes = getattr(self._local, "shapes", None)
        if shapes is None:
            shapes = self._local.shapes = dlib.shape_predictor(str(self._dir / SHAPE_MODEL))
        return shapes

    def _load_descriptor(self):
        try:
            model = dlib_resnet.model_bytes(self._dir / DESCRIPTOR_MODEL, self._cache_dir)
        except dlib_resnet.DlibModelError as error:
            # the same for every photo: stop the run and say what to fix
            raise FatalAnalysisError(f"{error}; reinstall the {MODEL_PACKAGE} package") from None
        return onnx_graph.session(model, self._threads)

    def describe(self, rgb: np.ndarray, shapes: dlib.full_object_detections) -> np.ndarray:
        """One 128-d descriptor per face: dlib's alignment, dlib's network run by onnxruntime."""
        chips = dlib.get_face_chips(rgb, shapes, size=dlib_resnet.CHIP_SIZE, padding=dlib_resnet.CHIP_PADDING)
        return self._get_descriptor().run(None, {"chip": dlib_resnet.chips_input(chips)})[0]

    def find(self, rgb: np.ndarray, describe: bool = True) -> tuple[tuple[Face, ...], dict]:
        """The faces, and raw detector output; ``describe=False`` skips landmarks and embeddings."""
        height, width = rgb.shape[:2]
        detections = self._detector.detect(rgb, MIN_DETECT_PX)
        found = [(hog_like_box(d), d) for d in detections]
        raw = [
            {
                "rect": [round(v, 1) for v in d.box],
                "probability": round(d.probability, 5),
                "landmarks": [[round(x, 1), round(y, 1)] for x, y in d.landmarks],
            }
            for d in detections
        ]
        if not found or not describe:
            faces = tuple(_bare_face(box, d.probability, width, height) for box, d in found)
            return faces, {"detector": "mtcnn", "faces": raw}
        predictor = self._shapes()
        shapes = dlib.full_object_detections()
        for box, _ in found:
            shapes.append(predictor(rgb, box))
        descriptors = self.describe(rgb, shapes)
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        faces = []
        for (box, detection), shape, descriptor in zip(found, shapes, descriptors, strict=True):
            points = [(shape.part(i).x, shape.part(i).y) for i in range(shape.num_parts)]
            faces.append(_face(box, detection.probability, points, descriptor, gray, width, height))
        return tuple(faces), {"detector": "mtcnn", "faces": raw}


def hog_like_box(detection: Detection) -> dlib.rectangle:
    """The square box dlib's HOG detector draws around the face MTCNN found."""
    x1, y1, x2, y2 = detection.box
    side = (x2 - x1) * _HOG_WIDTH_RATIO
    cx = (x1 + x2) / 2
    cy = (y1 + y2) / 2 + (y2 - y1) * _HOG_SHIFT_DOWN
    return dlib.rectangle(
        round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2)
    )


def confidence_from_probability(probability: float) -> float:
    """MTCNN's final-stage face probability on Rekognition's 0..100 confidence scale."""
    return round(100.0 * probability, 3)


def _relative(box: dlib.rectangle, width: int, height: int) -> tuple[Box, tuple[int, int, int, int]]:
    left, top = max(0, box.left()), max(0, box.top())
    right, bottom = min(width, box.right() + 1), min(height, box.bottom() + 1)
    return Box(left / width, top / height, (right - left) / width, (bottom - top) / height), (
        left,
        top,
        right,
        bottom,
    )


def _bare_face(box: dlib.rectangle, probability: float, width: int, height: int) -> Face:
    return Face(box=_relative(box, width, height)[0], confidence=confidence_from_probability(probability))


def _face(
    box: dlib.rectangle,
    probability: float,
    points: list[tuple[int, int]],
    descriptor: np.ndarray,
    gray: np.ndarray,
    width: int,
    height: int,
) -> Face:
    rel, (left, top, right, bottom) = _relative(box, width, height)
    return Face(
        box=rel,
        confidence=confidence_from_probability(probability),
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
