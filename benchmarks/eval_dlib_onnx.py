"""Do the converted face descriptors equal dlib's own on every face of a corpus?

Usage: python benchmarks/eval_dlib_onnx.py [PHOTO_DIR]   (default: ../shared/photos beside the repo)

For every face the local analyzer finds, describes it twice: with dlib's
``compute_face_descriptor`` and with the ONNX graph converted from the same
model file (``dlib_resnet.py``). Prints the largest difference of any
descriptor value, and of any distance between two faces (what grouping and
``faces/thresholds.py`` use), with the time each took per face. Target: both
differences below 1e-4.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import time
from pathlib import Path

import cv2
import dlib
import numpy as np

from photosorter.core.analysis.local import faces
from photosorter.core.imaging import UnreadablePhoto, analysis_jpeg, has_image_extension

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "photos"
    finder = faces.FaceFinder()
    predictor = dlib.shape_predictor(str(faces.model_dir() / faces.SHAPE_MODEL))
    reference = dlib.face_recognition_model_v1(str(faces.model_dir() / faces.DESCRIPTOR_MODEL))
    finder._get_descriptor()  # convert (or read from the cache) before timing
    ours_all, dlib_all = [], []
    dlib_seconds = onnx_seconds = 0.0
    worst_photo, worst = "", 0.0
    for path in sorted(folder.rglob("*")):
        if not (path.is_file() and has_image_extension(path.name)):
            continue
        with contextlib.suppress(UnreadablePhoto):
            data = analysis_jpeg(str(path))
            bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            shapes = dlib.full_object_detections()
            for detection in finder._detector.detect(rgb, faces.MIN_DETECT_PX):
                shapes.append(predictor(rgb, faces.hog_like_box(detection)))
            if not len(shapes):
                continue
            start = time.perf_counter()
            expected = np.array([list(d) for d in reference.compute_face_descriptor(rgb, shapes)])
            dlib_seconds += time.perf_counter() - start
            start = time.perf_counter()
            ours = finder.describe(rgb, shapes)
            onnx_seconds += time.perf_counter() - start
            difference = float(np.abs(ours - expected).max())
            if difference > worst:
                worst_photo, worst = str(path.relative_to(folder)), difference
            ours_all.extend(ours)
            dlib_all.extend(expected)
    count = len(ours_all)
    if not count:
        sys.exit(f"no face found under {folder}")
    distance_gap = max(
        (
            abs(np.linalg.norm(ours_all[a] - ours_all[b]) - np.linalg.norm(dlib_all[a] - dlib_all[b]))
            for a, b in itertools.combinations(range(count), 2)
        ),
        default=0.0,
    )
    print(f"faces: {count}")
    print(f"largest descriptor difference: {worst:.2e} ({worst_photo})")
    print(f"largest pairwise distance difference: {distance_gap:.2e}")
    print(
        f"per face: dlib {1000 * dlib_seconds / count:.1f} ms, onnx {1000 * onnx_seconds / count:.1f} ms "
        f"(ratio {dlib_seconds / onnx_seconds:.1f}x; one thread each, same load)"
    )


if __name__ == "__main__":
    main()
