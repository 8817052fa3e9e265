"""dlib's face descriptor network, read from its model file and run by onnxruntime, gives dlib's numbers.

The distances calibrated in faces/thresholds.py were measured on dlib's own
descriptors, so the converted network must agree with dlib to 1e-4 on real
faces; and a damaged model file is refused with a message, not half-read.
"""

from __future__ import annotations

from pathlib import Path

import dlib
import numpy as np
import pytest
from PIL import Image

from photosorter.core.analysis.local import dlib_resnet, faces
from photosorter.core.analysis.local.faces import FaceFinder
from photosorter.core.analysis.types import FatalAnalysisError

PHOTOS = Path(__file__).parent / "data" / "analysis"
MODEL = faces.model_dir() / faces.DESCRIPTOR_MODEL


def _rgb(name: str) -> np.ndarray:
    with Image.open(PHOTOS / name) as photo:
        return np.asarray(photo.convert("RGB"))


@pytest.fixture(scope="module")
def finder() -> FaceFinder:
    return FaceFinder()


@pytest.mark.parametrize("name", ["family.jpg", "obama.jpg", "biden.jpg", "obama_mirrored.jpg"])
def test_descriptors_match_dlibs_own_on_real_faces(finder: FaceFinder, name: str) -> None:
    rgb = _rgb(name)
    found, _ = finder.find(rgb)
    assert found, f"no face found in {name}"
    # the same landmarks, described by dlib itself
    predictor = dlib.shape_predictor(str(faces.model_dir() / faces.SHAPE_MODEL))
    shapes = dlib.full_object_detections()
    for detection in finder._detector.detect(rgb, faces.MIN_DETECT_PX):
        shapes.append(predictor(rgb, faces.hog_like_box(detection)))
    reference = dlib.face_recognition_model_v1(str(MODEL)).compute_face_descriptor(rgb, shapes)
    expected = np.array([list(descriptor) for descriptor in reference])
    ours = np.array([face.embedding for face in found])
    assert ours.shape == expected.shape == (len(found), 128)
    assert np.abs(ours - expected).max() < 1e-4


def test_the_reader_refuses_a_truncated_model_file() -> None:
    data = MODEL.read_bytes()
    with pytest.raises(dlib_resnet.DlibModelError, match="truncated"):
        dlib_resnet.read_network(data[: len(data) // 2], "half.dat")


def test_the_reader_refuses_a_model_file_with_a_damaged_layer() -> None:
    data = bytearray(MODEL.read_bytes())
    at = data.index(b"relu_", 1000)
    data[at : at + 5] = b"rexu_"
    with pytest.raises(dlib_resnet.DlibModelError, match=r"damaged\.dat .*expected a relu_.*'rexu_'"):
        dlib_resnet.read_network(bytes(data), "damaged.dat")


def test_the_reader_refuses_bytes_after_the_network() -> None:
    with pytest.raises(dlib_resnet.DlibModelError, match="3 bytes follow the network"):
        dlib_resnet.read_network(MODEL.read_bytes() + b"\x00\x00\x00", "longer.dat")


def test_a_damaged_model_stops_analysis_with_what_to_fix(tmp_path: Path) -> None:
    (tmp_path / faces.SHAPE_MODEL).symlink_to(faces.model_dir() / faces.SHAPE_MODEL)
    (tmp_path / faces.DESCRIPTOR_MODEL).write_bytes(MODEL.read_bytes()[:100_000])
    finder = FaceFinder()
    finder._dir = tmp_path
    with pytest.raises(FatalAnalysisError, match=r"truncated.*reinstall the face_recognition_models"):
        finder.find(_rgb("obama.jpg"))


def test_the_converted_network_is_cached_and_reused(tmp_path: Path) -> None:
    built = dlib_resnet.model_bytes(MODEL, tmp_path)
    (cached,) = tmp_path.glob("dlib-face-resnet-v1-*.onnx")
    assert cached.read_bytes() == built
    cached.write_bytes(b"from the cache")  # the next call reads the file instead of converting again
    assert dlib_resnet.model_bytes(MODEL, tmp_path) == b"from the cache"
