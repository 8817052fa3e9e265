"""The offline analyzer: labels, faces, text and moderation from models shipped in pip packages.

Nothing is downloaded at run time. Each model loads on first use, once per
process (dlib's landmark model, once per thread: see faces.py), and every onnxruntime session
runs on one thread, so N worker threads keep N cores busy without
oversubscribing them.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from photosorter.core.analysis.local import efficientnet, faces, moderation, text
from photosorter.core.analysis.local.labels import (
    RULES_VERSION,
    LabelMap,
    SceneClassifier,
    photo_labels,
)
from photosorter.core.analysis.local.once import LoadOnce
from photosorter.core.analysis.types import AnalysisError, AnalysisResult, Feature

MIN_SIDE = 80  # below this no model sees anything useful; Rekognition refuses under 80 px too
MAX_SIDE = 4096
SUPPORTED = frozenset({Feature.LABELS, Feature.FACES, Feature.TEXT, Feature.MODERATION})


class LocalAnalyzer:
    """The default backend: analyzes on this computer, with no account and no network."""

    name = "local"
    default_features = SUPPORTED

    def __init__(self, cache_dir: Path | None = None, session_threads: int = 1) -> None:
        """``cache_dir`` keeps the ONNX graphs built from the packaged weights (built in memory if None).

        ``session_threads`` is each onnxruntime session's thread count: keep 1 when
        several threads call ``analyze`` at once.
        """
        self._scenes = SceneClassifier(cache_dir, session_threads)
        self._get_faces = LoadOnce(partial(faces.FaceFinder, cache_dir, session_threads))
        self._text = text.TextReader(session_threads)
        self._nsfw = moderation.NsfwScorer(cache_dir, session_threads)
        self._get_label_map = LoadOnce(LabelMap.load)

    def model_version(self, feature: Feature) -> str:
        if feature == Feature.LABELS:
            map_version = self._get_label_map().version
            return f"efficientnet-lite0-{efficientnet.GRAPH_VERSION}+{map_version}+mtcnn+{RULES_VERSION}"
        if feature == Feature.FACES:
            return f"{faces.MODEL_VERSION}+min{faces.MIN_DETECT_PX}"
        if feature == Feature.TEXT:
            return f"rapidocr-3.10-ppocr-small+d{text.DETECT_LONG_SIDE}+nocls+rec{text.REC_BATCH}"
        if feature == Feature.MODERATION:
            return moderation.MODEL_VERSION
        raise ValueError(f"the local backend does not offer {feature.value}")

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        """Runs the requested features it offers; others (celebrities) are left out of the result."""
        wanted = frozenset(features) & SUPPORTED
        bgr = decode(image)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        raw: dict = {}
        found_faces: tuple = ()
        lines: tuple = ()
        moderation_labels: tuple = ()
        labels: tuple = ()
        if Feature.FACES in wanted or Feature.LABELS in wanted:
            # Labels need only the face boxes (for Person), not the embeddings.
            found_faces, raw_faces = self._get_faces().find(rgb, describe=Feature.FACES in wanted)
            if Feature.FACES in wanted:
                raw["faces"] = raw_faces
        if Feature.TEXT in wanted:
            lines, raw["text"] = self._text.read(bgr)
        if Feature.MODERATION in wanted:
            score = self._nsfw.score(Image.fromarray(rgb))
            raw["moderation"] = {"nsfw_score": round(score, 5)}
            moderation_labels = moderation.labels_for_score(score)
        if Feature.LABELS in wanted:
            probabilities = self._scenes.probabilities(rgb)
            label_map = self._get_label_map()
            top = np.argsort(-probabilities)[:5]
            raw["labels"] = {
                "imagenet_top5": [
                    [label_map.imagenet_names[i], round(float(probabilities[i]), 5)] for i in top
                ]
            }
            labels = photo_labels(label_map, probabilities, found_faces, lines, bgr)
        return AnalysisResult(
            backend=self.name,
            features=wanted,
            labels=labels,
            faces=found_faces if Feature.FACES in wanted else (),
            text=lines,
            moderation=moderation_labels,
            raw=raw,
        )


def decode(image: bytes) -> np.ndarray:
    """The image as BGR pixels, or AnalysisError saying why it cannot be analyzed."""
    if not image:
        raise AnalysisError("the analysis image is empty")
    bgr = cv2.imdecode(np.frombuffer(image, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None or bgr.size == 0:
        raise AnalysisError("the analysis image is not a decodable JPEG")
    height, width = bgr.shape[:2]
    if min(width, height) < MIN_SIDE:
        raise AnalysisError(
            f"the image is {width}x{height} px; analysis needs at least {MIN_SIDE} px per side"
        )
    if max(width, height) > MAX_SIDE:
        raise AnalysisError(f"the image is {width}x{height} px; analysis images are at most {MAX_SIDE} px")
    return bgr
