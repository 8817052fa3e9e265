"""Face boxes between the image as stored (what MWG and Microsoft regions measure) and as displayed
(EXIF rotation applied: what the analyzers see and the faces table holds).

Boxes are (left, top, width, height) as fractions of the image. EXIF orientation ``n`` says how the
stored pixels must be turned for display (2 mirror, 3 half turn, 4 flip, 5 transpose, 6 quarter
turn clockwise, 7 transverse, 8 quarter turn anticlockwise).
"""

from __future__ import annotations

Box = tuple[float, float, float, float]
ASPECT_TOLERANCE = 0.02  # AppliedToDimensions of a proportionally resized copy still fit


def stored_to_displayed(box: Box, orientation: int | None) -> Box:
    x, y, w, h = box
    match orientation:
        case 2:
            return (1 - x - w, y, w, h)
        case 3:
            return (1 - x - w, 1 - y - h, w, h)
        case 4:
            return (x, 1 - y - h, w, h)
        case 5:
            return (y, x, h, w)
        case 6:
            return (1 - y - h, x, h, w)
        case 7:
            return (1 - y - h, 1 - x - w, h, w)
        case 8:
            return (y, 1 - x - w, h, w)
    return box


_INVERSE = {6: 8, 8: 6}


def displayed_to_stored(box: Box, orientation: int | None) -> Box:
    # every orientation but the two quarter turns is its own inverse
    return stored_to_displayed(box, _INVERSE.get(orientation or 1, orientation))


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when apart)."""
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    if right <= left or bottom <= top:
        return 0.0
    inter = (right - left) * (bottom - top)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _holds_centre(a: Box, b: Box) -> bool:
    cx, cy = b[0] + b[2] / 2, b[1] + b[3] / 2
    return a[0] <= cx <= a[0] + a[2] and a[1] <= cy <= a[1] + a[3]


def same_face_score(region: Box, face: Box, floor: float) -> float:
    """How well a region and a face box match: their overlap, raised to ``floor`` when each holds the
    other's centre (a loose region around a tight detector box)."""
    score = overlap(region, face)
    if score < floor and _holds_centre(region, face) and _holds_centre(face, region):
        return floor
    return score
