"""Every tuning constant of People, in one place, with how it was chosen.

Calibration (local backend: dlib HOG detector + 5-point landmarks + ResNet 128-d
descriptor, euclidean distance) on ``../shared/photos`` (43 photos, MANIFEST.csv),
analyzed with ``photosorter analyze --features faces``: 25 faces detected.

Distances measured between faces whose identity the manifest fixes:

- same person, across photos: Obama 0.33-0.43 (5 faces incl. the rally photo and the
  EXIF-rotated copy, which is 0.03 from its original), Biden 0.39-0.40, Kit Harington
  0.34-0.37, Rose Leslie 0.40-0.45. Largest same-person distance: 0.45.
- different named people: 0.64 at the least (most pairs 0.75-1.0).
- the two closest different people are two children of the six-person family
  photo (0.43) and two false detections in the astronaut photo (0.35): both pairs
  are in the SAME photo. Hence the rule that two faces of one photo never share a
  cluster or a person (a cannot-link constraint), which removes both.
- false detections (on the astronaut's patch and sleeve) have HOG confidence
  88.8 and 90.2; every real face scored 95.2 or more, was 77 px wide or more and
  had sharpness 55 or more.

Chosen values:

- ``CLUSTER_DISTANCE`` 0.50: above the largest same-person distance (0.45), well
  below the smallest cross-photo different-person distance (0.64). dlib's own 0.6
  (tuned for LFW verification) merges look-alikes in larger libraries; a merge is
  worse for users than a split (a split costs one "merge" click).
- ``AUTO_DISTANCE`` 0.45: a new face this close to a named person's faces is that
  person (every same-person pair measured is at most 0.45).
- ``SUGGEST_DISTANCE`` 0.58: between 0.45 and 0.58 ask the user; nothing in the
  corpus that is not the same person comes that close across photos.
- Quality gate: confidence 93 (between 90.2, the best false detection, and
  95.2, the worst real face), 36 px (below 77, the smallest real face; dlib
  descriptors of faces under ~40 px are noisy), sharpness 15 (a motion-blurred face).

Rekognition similarities are 0-100 (higher is closer). Its documentation suggests
80 for SearchFaces grouping; 95+ is near-certain; faces of one person in ordinary
photos score 97-99.9. Chosen: cluster at 90, auto at 95, suggest from 85.
These were not measured on the corpus (no AWS access in the calibration run).
"""

from __future__ import annotations

from collections.abc import Mapping

# -- local (dlib 128-d, euclidean) ----------------------------------------------------------------------
CLUSTER_DISTANCE = 0.50
AUTO_DISTANCE = 0.45
SUGGEST_DISTANCE = 0.58

# -- Rekognition (similarity 0..100) ----------------------------------------------------------------------
REKOGNITION_CLUSTER_SIMILARITY = 90.0
REKOGNITION_AUTO_SIMILARITY = 95.0
REKOGNITION_SUGGEST_SIMILARITY = 85.0
REKOGNITION_MAX_MATCHES = 100

# -- which faces are good enough to group ---------------------------------------------------------------
MIN_CONFIDENCE = 93.0  # 0..100
MIN_FACE_PX = 36.0  # width in the analysis image (local backend reports it as quality["size"])
MIN_FACE_FRACTION = 0.02  # width relative to the image, when the pixel size is unknown (Rekognition)
MIN_SHARPNESS = 15.0  # 0..100 as Rekognition reports it; local maps Laplacian variance to the same scale


def clusterable(confidence: float, box_width: float, quality: Mapping[str, float]) -> bool:
    """Whether a face is good enough to group; the others are kept but never clustered or matched."""
    if confidence < MIN_CONFIDENCE:
        return False
    size = quality.get("size")
    if size is not None and size < MIN_FACE_PX:
        return False
    if size is None and box_width < MIN_FACE_FRACTION:
        return False
    sharpness = quality.get("sharpness", quality.get("Sharpness"))
    return sharpness is None or sharpness >= MIN_SHARPNESS
