"""The MTCNN face detector rebuilt on onnxruntime from the mtcnn package's weights, on real photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photosorter.core.analysis.local.faces import hog_like_box
from photosorter.core.analysis.local.mtcnn import MtcnnDetector

DATA = Path(__file__).parent / "data" / "analysis"


@pytest.fixture(scope="module")
def detector() -> MtcnnDetector:
    return MtcnnDetector()


def rgb(name: str) -> np.ndarray:
    return np.asarray(Image.open(DATA / name).convert("RGB"))


def test_a_portrait_gives_one_face_with_its_landmarks_in_place(detector):
    image = rgb("obama.jpg")
    (face,) = detector.detect(image)
    x1, y1, x2, y2 = face.box
    assert face.probability > 0.99
    assert 0.15 < (x2 - x1) / image.shape[1] < 0.6  # a head-and-shoulders portrait
    left_eye, right_eye, nose, mouth_left, mouth_right = face.landmarks
    for x, y in face.landmarks:
        assert x1 < x < x2 and y1 < y < y2
    assert left_eye[0] < nose[0] < right_eye[0]
    assert mouth_left[0] < mouth_right[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])


def test_the_mirror_image_gives_the_mirrored_box(detector):
    # A wrong weight layout (kernel or flatten order) breaks this symmetry long before it stops detection.
    image = rgb("obama.jpg")
    width = image.shape[1]
    (face,) = detector.detect(image)
    (mirrored,) = detector.detect(np.ascontiguousarray(image[:, ::-1]))
    expected = (width - face.box[2], face.box[1], width - face.box[0], face.box[3])
    assert np.allclose(mirrored.box, expected, atol=0.03 * width)


def test_every_face_of_a_group_photo_is_found(detector):
    faces = detector.detect(rgb("family.jpg"))
    assert len(faces) == 6
    assert all(face.probability > 0.97 for face in faces)


def test_a_cat_is_not_a_face(detector):
    assert detector.detect(rgb("cat.jpg")) == []


def test_faces_far_smaller_than_asked_for_are_not_looked_for(detector):
    # The cascade still finds faces down to about half the size asked for (boxes regress), not less.
    image = rgb("family.jpg")
    largest = max(face.box[2] - face.box[0] for face in detector.detect(image))
    assert detector.detect(image, min_face=round(largest * 3)) == []
    assert len(detector.detect(image, min_face=round(largest * 1.2))) >= 1


def test_dlib_gets_the_square_box_its_landmark_model_was_trained_on(detector):
    (face,) = detector.detect(rgb("obama.jpg"))
    box = hog_like_box(face)
    assert abs(box.width() - box.height()) <= 1
    x1, y1, x2, y2 = face.box
    assert box.width() == pytest.approx((x2 - x1) * 1.075, abs=2)
    assert (box.top() + box.bottom()) / 2 > (y1 + y2) / 2  # HOG's square sits lower, on the chin
