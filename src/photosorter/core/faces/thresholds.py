"""Every tuning constant of People, in one place, with how it was chosen.

Calibration (local backend: MTCNN detector, dlib 5-point landmarks and ResNet
128-d descriptor, euclidean distance) on ``../shared/photos`` (43 photos,
MANIFEST.csv), measured with ``benchmarks/calibrate_faces.py ../shared/photos``:
32 faces detected, 27 of them pass the quality gate below.

Distances between faces whose identity the manifest fixes:

- same person, across photos: Obama 0.04-0.42 (5 faces incl. the rally photo and the
  EXIF-rotated copy, which is 0.04-0.06 from its original), Biden 0.38-0.41, Kit
  Harington 0.34-0.39, Rose Leslie 0.41-0.46. Largest same-person distance: 0.46.
- different people in different photos: 0.59 at the least (most pairs 0.7-1.0). The
  closest pairs involve the 37-39 px passers-by of the bus photo, whose descriptors
  move by up to 0.06 when the detector's box moves by a pixel or two (two detector
  builds measured: 0.65 and 0.59 at the least).
- the two closest different people are two children of the six-person family
  photo (0.43), in the SAME photo. Hence the rule that two faces of one photo never
  share a cluster or a person (a cannot-link constraint).
- detections beyond the manifest's face count (so at least one of them false):
  a motorcycle part at confidence 75.6, and in the market photo faces 24-29 px
  wide at 94.7-99.8. Every face that is certainly real scored 98.5 or more and
  was 37 px wide or more (the two passers-by in the bus photo: 37 and 39 px).

Chosen values:

- ``CLUSTER_DISTANCE`` 0.50: above the largest same-person distance (0.46), well
  below the smallest cross-photo different-person distance (0.59). dlib's own 0.6
  (tuned for LFW verification) merges look-alikes in larger libraries; a merge is
  worse for users than a split (a split costs one "merge" click).
- ``AUTO_DISTANCE`` 0.45: a new face this close to one of a named person's faces is
  that person. Matching takes the nearest of the person's faces, and each measured
  face has another of its person within 0.42; the rare farther face is asked about.
- ``SUGGEST_DISTANCE`` 0.55: between 0.45 and 0.55 ask the user. That band holds the
  farthest same-person pairs (0.46) and stays 0.04 clear of the closest different
  people (0.59), given how much small faces' descriptors move; a needless question
  costs a "No", a wrong one shown to the user costs trust.
- Quality gate: confidence 97 (above 94.7, the weakest surplus detection; every
  real face scored 98.5 or more), 36 px (below 37, the smallest real face; dlib
  descriptors of faces under ~35 px are noisy: the 24-29 px market faces are kept
  but not grouped), sharpness 15 (a motion-blurred face).

Rekognition similarities are 0-100 (higher is closer). Its documentation suggests
80 for SearchFaces grouping; 95+ is near-certain; faces of one person in ordinary
photos score 97-99.9. Chosen: cluster at 90, auto at 95, suggest from 85.
These were not measured on the corpus (no AWS account in the calibration run);
``benchmarks/calibrate_faces.py ../shared/photos --backend rekognition`` prints the
measurements to set them by, and ``benchmarks/eval_people.py ... --backend rekognition``
checks the result (both cost under a dollar on the corpus).
"""

from __future__ import annotations

from collections.abc import Mapping

# -- local (dlib 128-d, euclidean) ----------------------------------------------------------------------
CLUSTER_DISTANCE = 0.50
AUTO_DISTANCE = 0.45
SUGGEST_DISTANCE = 0.55

# -- Rekognition (similarity 0..100) ----------------------------------------------------------------------
REKOGNITION_CLUSTER_SIMILARITY = 90.0
REKOGNITION_AUTO_SIMILARITY = 95.0
REKOGNITION_SUGGEST_SIMILARITY = 85.0
REKOGNITION_MAX_MATCHES = 100

# -- which faces are good enough to group ---------------------------------------------------------------
MIN_CONFIDENCE = 97.0  # 0..100
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


# A named region from another tool (XMP) and a detected face are the same face when their boxes overlap
# this much (intersection over union), or when each box holds the other's centre: tools draw regions
# looser than detectors do (digiKam and Picasa include hair and chin), and two faces side by side
# never hold each other's centres.
REGION_MIN_OVERLAP = 0.3
