"""MTCNN face detection (P-Net, R-Net, O-Net) on onnxruntime, from the ``mtcnn`` package's weights.

Why MTCNN rather than dlib's HOG detector: HOG only sees faces that look
roughly at the camera. A face turned well to the side (a coach shouting along the
touchline) scores below HOG's threshold at every scale. MTCNN's cascade was
trained on WIDER FACE, profiles included, and finds it.

The ``mtcnn`` package (MIT) ships the three networks' Keras weights as
lz4-compressed joblib lists; its code needs TensorFlow, so the small graphs
are rebuilt here as ONNX (Conv, PRelu, MaxPool, MatMul, Softmax) in a few
milliseconds. The Keras layers use TensorFlow's "SAME" pooling (the odd pixel
of padding at the end) and flatten in (width, height, channel) order, which
the graphs reproduce. Input is RGB scaled as ``(pixel - 127.5) / 128``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import cv2
import joblib
import numpy as np

from photosorter.core.analysis.local.onnx_graph import GraphBuilder, Shape, session

WEIGHTS_PACKAGE = "mtcnn"

# The cascade's own published settings: proposals every 2 px of a 12 px window,
# pyramid steps of 0.709, and the three stages' face-probability thresholds.
_CELL = 12
_STRIDE = 2
_PYRAMID_STEP = 0.709
_THRESHOLDS = (0.6, 0.7, 0.7)


def weights_dir() -> Path:
    # Located without importing the package: its __init__ imports TensorFlow.
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {WEIGHTS_PACKAGE} package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "assets" / "weights"


@dataclass(frozen=True, slots=True)
class Detection:
    """A face box in image pixels (x1, y1, x2, y2), its probability 0..1 and five landmarks."""

    box: tuple[float, float, float, float]
    probability: float
    landmarks: tuple[tuple[float, float], ...]


class _Graph:
    """Builds one network from its Keras weight list, consumed in layer order."""

    def __init__(self, weights: list[np.ndarray]) -> None:
        self._weights = iter(weights)
        self.graph = GraphBuilder()

    def conv(self, x: str, prelu: bool = True) -> str:
        g = self.graph
        kernel = next(self._weights)  # Keras: (height, width, in, out)
        bias = next(self._weights)
        size = kernel.shape[0]
        w = g.constant(kernel.transpose(3, 2, 0, 1))
        out = g.node("Conv", [x, w, g.constant(bias)], kernel_shape=[size, size])
        if not prelu:
            return out
        alpha = next(self._weights).reshape(-1, 1, 1)  # shared over height and width
        return g.node("PRelu", [out, g.constant(alpha)])

    def pool(self, x: str, size: int, same: bool) -> str:
        padding = {"auto_pad": "SAME_UPPER"} if same else {}
        return self.graph.node("MaxPool", [x], kernel_shape=[size, size], strides=[2, 2], **padding)

    def flatten_like_keras(self, x: str) -> str:
        # Keras permuted (height, width, channel) to (width, height, channel) before flattening.
        g = self.graph
        return g.node("Flatten", [g.node("Transpose", [x], perm=[0, 3, 2, 1])], axis=1)

    def dense(self, x: str, prelu: bool = False) -> str:
        g = self.graph
        kernel = next(self._weights)  # (in, out)
        bias = next(self._weights)
        out = g.node("Add", [g.node("MatMul", [x, g.constant(kernel)]), g.constant(bias)])
        if not prelu:
            return out
        return g.node("PRelu", [out, g.constant(next(self._weights))])

    def softmax(self, x: str, axis: int) -> str:
        return self.graph.node("Softmax", [x], axis=axis)

    def model(
        self, name: str, size: tuple[int | str, int | str], outputs: dict[str, tuple[str, Shape]]
    ) -> bytes:
        return self.graph.model(name, {"image": ["batch", 3, *size]}, outputs).SerializeToString()


def _load(name: str) -> list[np.ndarray]:
    return list(joblib.load(weights_dir() / f"{name}.lz4"))


def proposal_net() -> bytes:
    g = _Graph(_load("pnet"))
    x = g.pool(g.conv("image"), 2, same=True)
    x = g.conv(g.conv(x))
    offsets = g.conv(x, prelu=False)
    probability = g.softmax(g.conv(x, prelu=False), axis=1)
    return g.model(
        "mtcnn_pnet",
        ("height", "width"),
        {"offsets": (offsets, ["batch", 4, "h", "w"]), "probability": (probability, ["batch", 2, "h", "w"])},
    )


def refine_net() -> bytes:
    g = _Graph(_load("rnet"))
    x = g.pool(g.conv("image"), 3, same=True)
    x = g.pool(g.conv(x), 3, same=False)
    x = g.dense(g.flatten_like_keras(g.conv(x)), prelu=True)
    offsets = g.dense(x)
    probability = g.softmax(g.dense(x), axis=1)
    return g.model(
        "mtcnn_rnet",
        (24, 24),
        {"offsets": (offsets, ["batch", 4]), "probability": (probability, ["batch", 2])},
    )


def output_net() -> bytes:
    g = _Graph(_load("onet"))
    x = g.pool(g.conv("image"), 3, same=True)
    x = g.pool(g.conv(x), 3, same=False)
    x = g.pool(g.conv(x), 2, same=True)
    x = g.dense(g.flatten_like_keras(g.conv(x)), prelu=True)
    offsets = g.dense(x)
    landmarks = g.dense(x)
    probability = g.softmax(g.dense(x), axis=1)
    return g.model(
        "mtcnn_onet",
        (48, 48),
        {
            "offsets": (offsets, ["batch", 4]),
            "landmarks": (landmarks, ["batch", 10]),
            "probability": (probability, ["batch", 2]),
        },
    )


def _normalized(rgb: np.ndarray) -> np.ndarray:
    return ((rgb.astype(np.float32) - 127.5) * (1 / 128)).transpose(2, 0, 1)[None]


def _nms(boxes: np.ndarray, scores: np.ndarray, limit: float, by_smaller: bool = False) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression; overlap over union, or over the smaller box."""
    order = np.argsort(-scores)
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        w = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1)
        inter = w * h
        base = np.minimum(areas[best], areas[rest]) if by_smaller else areas[best] + areas[rest] - inter
        order = rest[inter / base <= limit]
    return np.asarray(keep, dtype=np.int64)


def _squared(boxes: np.ndarray) -> np.ndarray:
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    return np.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], axis=1)


def _regressed(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    size = (boxes[:, 2:] - boxes[:, :2])[:, [0, 1, 0, 1]]
    return boxes + offsets * size


def _crops(rgb: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Each box cut out (zero-padded where it leaves the image), resized to size x size, normalized."""
    height, width = rgb.shape[:2]
    out = np.zeros((len(boxes), 3, size, size), dtype=np.float32)
    for i, (x1, y1, x2, y2) in enumerate(np.round(boxes).astype(int)):
        w, h = x2 - x1, y2 - y1
        if w < 1 or h < 1:
            continue
        patch = np.zeros((h, w, 3), dtype=np.uint8)
        sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2, width), min(y2, height)
        if sx2 <= sx1 or sy2 <= sy1:
            continue
        patch[sy1 - y1 : sy2 - y1, sx1 - x1 : sx2 - x1] = rgb[sy1:sy2, sx1:sx2]
        out[i] = _normalized(cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA))[0]
    return out


class MtcnnDetector:
    """The three-stage cascade; one instance per thread (onnxruntime sessions are thread-safe, but cheap)."""

    def __init__(self, threads: int = 1) -> None:
        self._pnet = session(proposal_net(), threads)
        self._rnet = session(refine_net(), threads)
        self._onet = session(output_net(), threads)

    def detect(self, rgb: np.ndarray, min_face: int = 40) -> list[Detection]:
        boxes = self._proposals(rgb, min_face)
        if not len(boxes):
            return []
        boxes = self._refined(rgb, boxes)
        if not len(boxes):
            return []
        return self._final(rgb, boxes)

    def _proposals(self, rgb: np.ndarray, min_face: int) -> np.ndarray:
        height, width = rgb.shape[:2]
        scale = _CELL / min_face
        found = []
        scaled = rgb
        while min(height, width) * scale >= _CELL:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            # Each level from the one above: the same picture for a fraction of the reading.
            scaled = cv2.resize(scaled, size, interpolation=cv2.INTER_AREA)
            offsets, probability = self._pnet.run(None, {"image": _normalized(scaled)})
            ys, xs = np.nonzero(probability[0, 1] > _THRESHOLDS[0])
            if len(ys):
                cells = np.stack([xs, ys, xs, ys], axis=1) * _STRIDE + np.array([0, 0, _CELL, _CELL])
                boxes = _regressed(cells.astype(np.float32), offsets[0][:, ys, xs].T) / scale
                scores = probability[0, 1, ys, xs]
                keep = _nms(boxes, scores, 0.5)
                found.append(np.concatenate([boxes[keep], scores[keep, None]], axis=1))
            scale *= _PYRAMID_STEP
        if not found:
            return np.empty((0, 4), dtype=np.float32)
        merged = np.concatenate(found)
        merged = merged[_nms(merged[:, :4], merged[:, 4], 0.7)]
        return _squared(merged[:, :4])

    def _refined(self, rgb: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        offsets, probability = self._rnet.run(None, {"image": _crops(rgb, boxes, 24)})
        passed = probability[:, 1] > _THRESHOLDS[1]
        boxes, offsets, scores = boxes[passed], offsets[passed], probability[passed, 1]
        keep = _nms(boxes, scores, 0.7)
        return _squared(_regressed(boxes[keep], offsets[keep]))

    def _final(self, rgb: np.ndarray, boxes: np.ndarray) -> list[Detection]:
        offsets, landmarks, probability = self._onet.run(None, {"image": _crops(rgb, boxes, 48)})
        passed = probability[:, 1] > _THRESHOLDS[2]
        boxes, offsets, landmarks = boxes[passed], offsets[passed], landmarks[passed]
        scores = probability[passed, 1]
        sizes = boxes[:, 2:] - boxes[:, :2]
        # Landmarks come as five x values then five y values, relative to the input box.
        xs = boxes[:, :1] + landmarks[:, :5] * sizes[:, :1]
        ys = boxes[:, 1:2] + landmarks[:, 5:] * sizes[:, 1:]
        boxes = _regressed(boxes, offsets)
        keep = _nms(boxes, scores, 0.7, by_smaller=True)
        return [
            Detection(
                box=tuple(float(v) for v in boxes[i]),
                probability=float(scores[i]),
                landmarks=tuple((float(x), float(y)) for x, y in zip(xs[i], ys[i], strict=True)),
            )
            for i in keep
        ]
