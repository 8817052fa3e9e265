"""Labels: ImageNet classes mapped to Rekognition-style labels, plus labels from faces and text.

A friendly label's confidence is the summed probability of every ImageNet
class at or below it (all 118 dog breeds count towards "Dog", and dogs and cats
towards "Pet"), so a parent is never less confident than its children, as in
Rekognition's responses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from photosorter.core.analysis.local import efficientnet, onnx_graph
from photosorter.core.analysis.local.once import LoadOnce
from photosorter.core.analysis.types import Box, Face, Label, TextLine

LABEL_MAP_FILE = "imagenet_labels.json"
MIN_CONFIDENCE = 20.0  # percent, per friendly label after summing its classes
MAX_LABELS = 25
DIFFUSE_CLASS = 15.0  # percent: a label whose best class is weaker than this is diffuse evidence ...
DIFFUSE_MIN = 40.0  # ... and needs this much summed confidence
# ... unless one class this strong makes its parent sure: weak guesses that agree under a sure parent are a
# second reading of the same thing (a pickup 50% is a vehicle; beach wagon + limousine + jeep 27% say it is
# a car too), not scattered guesses (a train on a bridge read as a trailer truck 17% and boats)
SURE_PARENT_CLASS = 30.0
# a single face at least this share of the frame's width and of its height makes a portrait: a face
# as wide in a full-length photo is not one (on the corpus portraits' faces are 0.19-0.48 of the height,
# the standing figures' 0.13-0.14)
PORTRAIT_FACE_SIZE = 0.18
RULES_VERSION = "rules6"  # the rules below, faces to scenes; a change re-labels on --refresh
# a face at least this wide (relative) is someone the photo is of, not a passer-by: on the corpus
# the people posing measure 0.07-0.47 and the bystanders of street and market photos 0.02-0.05
SUBJECT_FACE_WIDTH = 0.06
GROUP_FACES = 2  # subjects: two people posing together are a group, as a person searching "group" means
CROWD_FACES = 5
CROWD_FACE_WIDTH = 0.06  # ... a crowd: many faces, most of them far away (a family portrait is not a crowd)
# a page: several lines that each span much of the image's width (a scan, a letter, a book)
PAGE_LINES = 5
PAGE_LINE_WIDTH = 0.4
# sky: most of the top third smooth and blue, or smooth and bright grey (overcast); measured on the
# corpus, a sky photo's top third is 0.67-0.92 sky by this test and any other photo's at most 0.53
SKY_SHARE = 0.6
# mean HSV saturation (0-255) under which a photo is black and white: a monochrome JPEG measures 0-2,
# white paper in daylight 9 and more
GREYSCALE_SATURATION = 4
# trees: green pixels with leafy texture (local deviation over 8 grey levels) cover this share of the
# photo; on the corpus every photo with trees measures 0.09-0.26, a green road sign 0.19 (its text
# lines rule it out) and a fruit market 0.15
FOLIAGE_SHARE = 0.09
FOLIAGE_TEXTURE = 8.0
FOLIAGE_MAX_LINES = 3
# a flower against this much green is among its leaves, growing (a garden, a field); the corpus's flower
# photo measures 0.59. A studio backdrop can be green too (0.40 behind a cat and a dog), so only a
# flower the classifier saw is read this way
FLOWER_FOLIAGE = 0.3
# Scenes: ImageNet classes whose photos show a setting, whatever object they are named after (a
# boathouse stands by water, an espresso is served indoors). A scene's evidence is the summed
# probability of its classes over the whole distribution, not only the top class, so three
# waterside guesses of 10% each count as much as one of 30%. Each threshold sits in the gap between
# the photos that show the scene and those that do not, measured on the corpus
# (benchmarks/label_evidence.py calibrate prints the gap, set on one half and checked on the other).
WATERSIDE = frozenset({
    "boathouse", "lakeside", "dock", "pier", "seashore", "sandbar", "breakwater", "coral reef", "dam",
    "gondola", "lifeboat", "fireboat", "container ship", "liner", "paddlewheel", "speedboat", "canoe",
    "yawl", "catamaran", "trimaran", "schooner", "pirate", "submarine", "wreck", "aircraft carrier",
    "paddle", "snorkel", "scuba diver",
})  # fmt: skip
WATER_EVIDENCE = 0.06  # water scenes 0.13-0.58, every other photo at most 0.023
# things seen indoors: formal wear, served food and drink, furniture, appliances, shop interiors
INDOOR_OBJECTS = frozenset({
    "suit", "Windsor tie", "bow tie", "bolo tie", "groom", "academic gown", "mortarboard", "Loafer",
    "espresso", "cup", "coffee mug", "tray", "plate", "soup bowl", "consomme", "eggnog", "teapot",
    "wine bottle", "dining table", "desk", "studio couch", "four-poster", "bookcase", "wardrobe",
    "china cabinet", "home theater", "entertainment center", "rocking chair", "folding chair", "throne",
    "crib", "cradle", "bassinet", "quilt", "pillow", "window shade", "shower curtain", "theater curtain",
    "table lamp", "lampshade", "medicine chest", "microwave", "refrigerator", "washer", "stove",
    "dishwasher", "toaster", "monitor", "desktop computer", "computer keyboard", "mouse", "screen",
    "television", "grand piano", "upright", "stage", "library", "restaurant", "barbershop", "toyshop",
    "bookshop", "grocery store", "butcher shop", "shoe shop", "tobacco shop", "confectionery",
})  # fmt: skip
# indoor photos 0.53-0.98; without sky or foliage, every other photo at most 0.26 (a suit at a stadium)
INDOOR_EVIDENCE = 0.4
# a sign put up in the street: from 0.08 to 0.96 on photos of signs, at most 0.002 on any other
STREET_SIGN = frozenset({"street sign"})
SIGN_EVIDENCE = 0.05
# a bridge: the bridge classes summed (no single one sure: viaduct 7% + suspension 7% + steel arch 6%);
# bridge photos 0.20-0.29, every other photo at most 0.006
BRIDGES = frozenset({"suspension bridge", "steel arch bridge", "viaduct"})
BRIDGE_EVIDENCE = 0.05
# a street: cars, trucks and buses are on a road (motorcycles stand in garages too); street photos
# 0.81-0.82, every other photo at most 0.2 (a trailer truck guessed for a train on a bridge)
ROAD_VEHICLES = frozenset({
    "beach wagon", "cab", "convertible", "jeep", "limousine", "minivan", "Model T", "racer", "sports car",
    "car wheel", "grille", "car mirror", "fire engine", "garbage truck", "pickup", "tow truck",
    "trailer truck", "moving van", "police van", "minibus", "school bus", "trolleybus",
})  # fmt: skip
STREET_EVIDENCE = 0.4
# a city: what runs and stands only in built-up streets (buses, trams, taxis, police vans, traffic
# lights, parking meters, street-name signs); city photos 0.81-0.96, every other photo at most 0.21 (a
# plaque on a wall guessed a street sign), a licence plate read as a street sign aside
URBAN = frozenset({
    "minibus", "school bus", "trolleybus", "streetcar", "cab", "police van", "traffic light",
    "parking meter", "street sign",
})  # fmt: skip
CITY_EVIDENCE = 0.4
# houses: the classes named after dwellings (ImageNet's boathouses are the houses of a waterfront, its
# tile roofs and thatch the roofs of houses); photos of houses 0.14-0.66, every other photo at most 0.04
# (a palace by a lake)
DWELLINGS = frozenset({"boathouse", "tile roof", "thatch", "patio", "mobile home", "cliff dwelling", "yurt"})
HOUSE_EVIDENCE = 0.07
# grazing animals under open sky stand in a field (a pasture), as Rekognition labels them (one photo of
# the corpus shows livestock; the rule touches no other)
GRAZING = frozenset({"Livestock", "Horse", "Cattle", "Sheep", "Goat", "Camel", "Llama"})
# a tie: formal wear worn by someone framed close enough to see one. The classifier names a suit and a
# tie as one outfit (a photo of a suit and tie is often "suit", sometimes "Windsor tie"), so their
# summed evidence says tie better than the tie classes alone (a bow tie guessed 24% on a family in
# summer clothes); suit-and-tie photos 0.68-0.95, any other photo with a close face at most 0.50
FORMAL_WEAR = frozenset({"suit", "Windsor tie", "bow tie", "bolo tie", "groom"})
TIE_EVIDENCE = 0.6
TIE_FACE_WIDTH = PORTRAIT_FACE_SIZE  # people further away are a scene: the suits show, a tie does not
_PRICE = re.compile(r"\d+[.,]\d{2}\b")
_RECEIPT_WORDS = re.compile(
    r"\b(total|subtotal|sub-total|tax|vat|cash|change|amount|balance)\b", re.IGNORECASE
)
_PLATE = re.compile(r"^(?=.*\d)(?=.*[A-Z])[A-Z0-9]{2,4}[ -]?[A-Z0-9]{2,4}$")


@dataclass(frozen=True, slots=True)
class LabelInfo:
    parents: tuple[str, ...]
    categories: tuple[str, ...]


class LabelMap:
    """The 1000 ImageNet classes grouped under friendly labels (made by tools/make_label_map.py)."""

    def __init__(self, data: dict) -> None:
        self.version: str = data["version"]
        self.info = {
            name: LabelInfo(tuple(entry["parents"]), tuple(entry["categories"]))
            for name, entry in data["labels"].items()
        }
        self.names = sorted(self.info)
        row = {name: i for i, name in enumerate(self.names)}
        # membership[label, class] is 1 when the class is the label or lies below it.
        self.membership = np.zeros((len(self.names), len(data["classes"])), dtype=np.float32)
        for entry in data["classes"]:
            label = entry["label"]
            for name in (label, *self.info[label].parents):
                self.membership[row[name], entry["index"]] = 1.0
        self.imagenet_names = [entry["imagenet"] for entry in data["classes"]]
        self._class_index = {name: i for i, name in enumerate(self.imagenet_names)}

    def evidence(self, probabilities: np.ndarray, classes: frozenset[str]) -> float:
        """The summed probability of ``classes`` (ImageNet names)."""
        return float(sum(probabilities[self._class_index[name]] for name in classes))

    @classmethod
    def load(cls) -> LabelMap:
        text = resources.files(__package__).joinpath(LABEL_MAP_FILE).read_text(encoding="utf-8")
        return cls(json.loads(text))

    def labels(self, probabilities: np.ndarray, min_confidence: float = MIN_CONFIDENCE) -> list[Label]:
        confidences = self.membership @ probabilities * 100.0
        # the strongest single class under each label: a label made only of many weak guesses
        # (bobsled 13% + go-kart 7% = "Vehicle" 20%) is mostly wrong, so it needs twice the evidence
        strongest = (self.membership * probabilities).max(axis=1) * 100.0
        order = np.argsort(-confidences)
        out = []
        # labels kept on one strong class; a parent is never less confident than its child, so seen first
        sure: set[str] = set()
        for i in order[:MAX_LABELS]:
            if confidences[i] < min_confidence:
                break
            name = self.names[i]
            info = self.info[name]
            diffuse = strongest[i] < DIFFUSE_CLASS and confidences[i] < DIFFUSE_MIN
            if diffuse and not sure.intersection(info.parents):
                continue
            if strongest[i] >= SURE_PARENT_CLASS:
                sure.add(name)
            out.append(Label(name, round(float(confidences[i]), 3), info.parents, (), info.categories))
        return out


class SceneClassifier:
    """EfficientNet-Lite0 on onnxruntime; one session shared by all threads, built on first use."""

    def __init__(self, cache_dir: Path | None, threads: int = 1) -> None:
        self._cache_dir = cache_dir
        self._threads = threads
        self._get = LoadOnce(self._load)

    def _load(self):
        return onnx_graph.session(efficientnet.model_bytes(self._cache_dir), self._threads)

    def probabilities(self, rgb: np.ndarray) -> np.ndarray:
        """Softmax over the 1000 classes for the centre crop (87.5%) of the image, as in training."""
        logits = self._get().run(None, {"image": efficientnet.preprocess(centre_crop(rgb))})[0][0]
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()


def centre_crop(rgb: np.ndarray, size: int = efficientnet.INPUT_SIZE) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = size / 0.875 / min(width, height)
    resized = cv2.resize(
        rgb, (max(size, round(width * scale)), max(size, round(height * scale))), interpolation=cv2.INTER_AREA
    )
    top = (resized.shape[0] - size) // 2
    left = (resized.shape[1] - size) // 2
    return resized[top : top + size, left : left + size]


def people_labels(faces: tuple[Face, ...]) -> list[Label]:
    """Person, People, Group, Crowd and Portrait from the faces found, with each face as an instance."""
    if not faces:
        return []
    confidence = max(face.confidence for face in faces)
    boxes: tuple[Box, ...] = tuple(face.box for face in faces)
    out = [Label("Person", confidence, (), ("Human",), ("Person Description",), boxes)]
    out.append(Label("Face", confidence, ("Person", "Head"), (), ("Person Description",), boxes))
    if len(faces) >= 2:
        out.append(Label("People", confidence, ("Person",), (), ("Person Description",)))
    if sum(1 for face in faces if face.box.width >= SUBJECT_FACE_WIDTH) >= GROUP_FACES:
        out.append(Label("Group", confidence, ("People", "Person"), (), ("Person Description",)))
    widths = sorted(face.box.width for face in faces)
    if len(faces) >= CROWD_FACES and widths[len(widths) // 2] < CROWD_FACE_WIDTH:
        out.append(Label("Crowd", confidence, ("People", "Person"), (), ("Person Description",)))
    if len(faces) == 1 and min(faces[0].box.width, faces[0].box.height) >= PORTRAIT_FACE_SIZE:
        out.append(
            Label("Portrait", confidence, ("Photography", "Face", "Person"), (), ("Person Description",))
        )
    return out


def text_labels(lines: tuple[TextLine, ...]) -> list[Label]:
    """Text when OCR read something; Document, Receipt and License Plate from what it read and how
    the lines lie."""
    if not lines:
        return []
    confidence = max(line.confidence for line in lines)
    text = "\n".join(line.text for line in lines)
    out = [Label("Text", confidence, (), (), ("Text and Documents",))]
    wide = sum(1 for line in lines if line.box is not None and line.box.width >= PAGE_LINE_WIDTH)
    receipt = len(_PRICE.findall(text)) >= 2 and _RECEIPT_WORDS.search(text) is not None
    if wide >= PAGE_LINES or receipt:
        out.append(Label("Document", confidence, ("Text",), (), ("Text and Documents",)))
    if receipt:
        out.append(Label("Receipt", confidence, ("Document", "Text"), (), ("Text and Documents",)))
    # a plate: few lines, one of them a short run of capitals and digits (ABC 1234, 8BLP27)
    if len(lines) <= 6 and any(
        _PLATE.match(line.text.strip().upper()) and line.text.strip() == line.text.strip().upper()
        for line in lines
    ):
        out.append(Label("License Plate", confidence, ("Text", "Vehicle"), (), ("Text and Documents",)))
    return out


def pixel_labels(bgr: np.ndarray, lines: tuple[TextLine, ...]) -> list[Label]:
    """Sky and Tree (and so Outdoors) and Black and White, from the pixels; each rule measured on the corpus.

    Sky: the top third mostly smooth and blue, or smooth and bright grey; a page of text is also
    smooth and bright, so a photo of a document never has sky.
    """
    out = []
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hue, saturation, value = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    if float(saturation.mean()) < GREYSCALE_SATURATION:
        out.append(
            Label("Black and White", 90.0, ("Photography",), ("Monochrome", "Grayscale"), ("Photography",))
        )
    green = green_pixels(hsv)
    if len(lines) < FOLIAGE_MAX_LINES and float(green.mean()) >= FOLIAGE_SHARE:
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
        mean = cv2.blur(grey, (9, 9))
        deviation = np.sqrt(np.maximum(cv2.blur(grey * grey, (9, 9)) - mean * mean, 0.0))
        foliage = float((green & (deviation > FOLIAGE_TEXTURE)).mean())
        if foliage >= FOLIAGE_SHARE:
            confidence = round(min(95.0, 55.0 + 150.0 * foliage), 3)
            out.append(Label("Tree", confidence, ("Plant",), ("Vegetation",), ("Plants and Flowers",)))
            out.append(Label("Outdoors", confidence, (), (), ("Nature and Outdoors",)))
            # trees are nature as Rekognition and people use the word (it labels foliage "Nature" too)
            out.append(Label("Nature", confidence, (), (), ("Nature and Outdoors",)))
    top = bgr.shape[0] // 3
    if top and len(lines) < PAGE_LINES:
        grey = cv2.cvtColor(bgr[:top], cv2.COLOR_BGR2GRAY)
        smooth = np.abs(cv2.Laplacian(cv2.GaussianBlur(grey, (5, 5), 0), cv2.CV_32F)) < 4
        h, s, v = hue[:top], saturation[:top], value[:top]
        blue = (h >= 90) & (h <= 130) & (s > 40) & (v > 110)
        overcast = (s < 30) & (v > 170)
        share = float(((blue | overcast) & smooth).mean())
        if share >= SKY_SHARE:
            confidence = round(min(99.0, 60.0 + 40.0 * share), 3)
            out.append(Label("Sky", confidence, ("Outdoors", "Nature"), (), ("Nature and Outdoors",)))
            out.append(Label("Outdoors", confidence, (), (), ("Nature and Outdoors",)))
    return out


def green_pixels(hsv: np.ndarray) -> np.ndarray:
    """Where a photo is the green of plants (yellow-green to blue-green, not grey, not black)."""
    hue, saturation, value = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    return (hue >= 25) & (hue <= 95) & (saturation > 35) & (value > 30)


def flower_labels(bgr: np.ndarray, classes: list[Label]) -> list[Label]:
    """Leaf and Outdoors for a flower among its foliage (see FLOWER_FOLIAGE)."""
    flower = next((label for label in classes if label.name == "Flower"), None)
    if flower is None:
        return []
    if float(green_pixels(cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)).mean()) < FLOWER_FOLIAGE:
        return []
    return [
        Label("Leaf", flower.confidence, ("Plant",), (), ("Plants and Flowers",)),
        Label("Outdoors", flower.confidence, (), (), ("Nature and Outdoors",)),
    ]


def photo_labels(
    label_map: LabelMap,
    probabilities: np.ndarray,
    faces: tuple[Face, ...],
    lines: tuple[TextLine, ...],
    bgr: np.ndarray,
) -> tuple[Label, ...]:
    """Every label of one photo: its classes, then what faces, text, pixels and scenes add."""
    found = direct_labels(label_map, probabilities, faces, lines, bgr)
    return merge(list(found), scene_labels(label_map, probabilities, found))


def direct_labels(
    label_map: LabelMap,
    probabilities: np.ndarray,
    faces: tuple[Face, ...],
    lines: tuple[TextLine, ...],
    bgr: np.ndarray,
) -> tuple[Label, ...]:
    """The labels each signal gives alone, before the scene rules weigh them together."""
    texts = text_labels(lines)
    classes = label_map.labels(probabilities)
    # the tie classes alone are mostly wrong (a bow tie on a family outdoors): Tie comes from attire_labels
    dropped = {"Tie"}
    if any(label.name == "License Plate" for label in texts):
        # a licence plate is what the classifier took for a street sign
        dropped |= {"Road Sign", "Sign"}
    classes = [label for label in classes if label.name not in dropped]
    return merge(
        classes,
        people_labels(faces),
        texts,
        pixel_labels(bgr, lines),
        flower_labels(bgr, classes),
        attire_labels(label_map, probabilities, faces),
    )


def attire_labels(label_map: LabelMap, probabilities: np.ndarray, faces: tuple[Face, ...]) -> list[Label]:
    """Tie, from the formal wear the classifier sees on someone framed close (see FORMAL_WEAR)."""
    if not any(face.box.width >= TIE_FACE_WIDTH for face in faces):
        return []
    formal = label_map.evidence(probabilities, FORMAL_WEAR)
    if formal < TIE_EVIDENCE:
        return []
    confidence = round(min(95.0, 50.0 + 50.0 * formal), 3)
    return [Label("Tie", confidence, ("Accessories",), (), ("Apparel and Accessories",))]


def scene_labels(label_map: LabelMap, probabilities: np.ndarray, found: tuple[Label, ...]) -> list[Label]:
    """Water, Landscape, Bridge, Street, City, House, Town, Indoors and Outdoors from the classes' scene
    evidence and the labels found; Nature for flowers, Field and Grass for grazing animals under sky, Wall
    behind a plaque, Food for a market."""
    names = {label.name for label in found}
    out = []

    def scene(
        name: str, evidence: float, parents: tuple[str, ...] = (), category: str = "Nature and Outdoors"
    ) -> None:
        confidence = round(min(95.0, 50.0 + 100.0 * evidence), 3)
        out.append(Label(name, confidence, parents, (), (category,)))

    water = label_map.evidence(probabilities, WATERSIDE)
    if water >= WATER_EVIDENCE:
        scene("Water", water, ("Nature", "Outdoors"))
        scene("Outdoors", water)
        if "Sky" in names:  # open water under open sky: a view, as Rekognition's Landscape
            scene("Landscape", water, ("Nature", "Outdoors"))
    if "Flower" in names:  # flowers are nature as people use the word (the manifest's and Rekognition's)
        flower = next(label for label in found if label.name == "Flower")
        out.append(Label("Nature", flower.confidence, (), (), ("Nature and Outdoors",)))
    bridge = label_map.evidence(probabilities, BRIDGES)
    if bridge >= BRIDGE_EVIDENCE:
        scene("Bridge", bridge, ("Architecture", "Outdoors"), "Buildings and Architecture")
        scene("Outdoors", bridge)
    road = label_map.evidence(probabilities, ROAD_VEHICLES)
    if road >= STREET_EVIDENCE:  # a road, not a town: a car parked in the country is on a street too
        scene("Street", road, ("Road", "Outdoors"))
        scene("Outdoors", road)
    city = label_map.evidence(probabilities, URBAN)
    if city >= CITY_EVIDENCE and "License Plate" not in names:
        # Rekognition's City: an urban scene, its buildings (a street is lined with them)
        scene("City", city, ("Urban", "Building", "Architecture", "Outdoors"), "Buildings and Architecture")
        scene("Outdoors", city)
    houses = label_map.evidence(probabilities, DWELLINGS)
    if houses >= HOUSE_EVIDENCE:
        scene("House", houses, ("Building", "Architecture", "Outdoors"), "Buildings and Architecture")
        scene("Outdoors", houses)
        if water >= WATER_EVIDENCE or road >= STREET_EVIDENCE:
            # houses along a waterfront or a street are a town (a lone cottage is not); a town is a
            # city as people search it (the corpus calls one such photo "town", another "city")
            town = min(houses, max(water, road))
            parents = ("City", "Urban", "Building", "Architecture", "Outdoors")
            scene("Town", town, parents, "Buildings and Architecture")
    if "Sky" in names and names & GRAZING:
        grazing = max(label.confidence for label in found if label.name in GRAZING)
        out.append(Label("Field", grazing, ("Grassland", "Nature", "Outdoors"), (), ("Nature and Outdoors",)))
        # ... and on the grass they graze, green or dry (a colour test misses a winter pasture)
        out.append(Label("Grass", grazing, ("Plant",), ("Vegetation",), ("Plants and Flowers",)))
    if "Plaque" in names:  # ImageNet's plaque is a memorial tablet, the kind fixed to a wall
        plaque = next(label for label in found if label.name == "Plaque")
        out.append(Label("Wall", plaque.confidence, (), (), ("Buildings and Architecture",)))
    if "Market" in names:  # ImageNet's markets are food markets ("grocery store, food market"): food on sale
        market = next(label for label in found if label.name == "Market")
        out.append(Label("Food", market.confidence, (), (), ("Food and Beverage",)))
    # a licence plate is what the classifier took for a street sign: it says nothing of the street
    sign = label_map.evidence(probabilities, STREET_SIGN)
    if sign >= SIGN_EVIDENCE and "License Plate" not in names:
        scene("Outdoors", sign)
    outdoors = "Outdoors" in names or any(label.name == "Outdoors" for label in out)
    indoor = label_map.evidence(probabilities, INDOOR_OBJECTS)
    if indoor >= INDOOR_EVIDENCE and not outdoors:
        out.append(Label("Indoors", round(min(95.0, 50.0 + 50.0 * indoor), 3), (), (), ("Home and Indoors",)))
    return out


def merge(*groups: list[Label]) -> tuple[Label, ...]:
    """One label per name (the most confident), most confident first."""
    best: dict[str, Label] = {}
    for group in groups:
        for label in group:
            if label.name not in best or label.confidence > best[label.name].confidence:
                best[label.name] = label
    return tuple(sorted(best.values(), key=lambda label: -label.confidence))
