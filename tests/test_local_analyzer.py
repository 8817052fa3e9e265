"""The offline analyzer on small real photos (tests/data/analysis, sources in SOURCES.md)."""

from __future__ import annotations

import io
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from photosorter.core.analysis.local import LocalAnalyzer
from photosorter.core.analysis.types import AnalysisError, Feature

DATA = Path(__file__).parent / "data" / "analysis"
ALL = frozenset({Feature.LABELS, Feature.FACES, Feature.TEXT, Feature.MODERATION})


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> LocalAnalyzer:
    return LocalAnalyzer(cache_dir=tmp_path_factory.mktemp("models"))


def photo(name: str) -> bytes:
    return (DATA / name).read_bytes()


def labels_by_name(result):
    return {label.name: label for label in result.labels}


def distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


def test_cat_photo_is_labelled_cat_with_its_parents(analyzer):
    result = analyzer.analyze(photo("cat.jpg"), frozenset({Feature.LABELS}))
    labels = labels_by_name(result)
    assert labels["Cat"].confidence > 50
    assert "Animal" in labels["Cat"].parents
    assert "Animals and Pets" in labels["Cat"].categories
    assert labels["Animal"].confidence >= labels["Cat"].confidence
    assert "Dog" not in labels
    assert result.features == frozenset({Feature.LABELS})


def test_portrait_has_one_face_with_an_embedding_and_landmarks(analyzer):
    result = analyzer.analyze(photo("obama.jpg"), frozenset({Feature.FACES}))
    assert len(result.faces) == 1
    face = result.faces[0]
    assert len(face.embedding) == 128
    assert 0 < face.box.left < face.box.left + face.box.width <= 1
    assert face.confidence > 80
    names = {name for name, _, _ in face.landmarks}
    assert {"eyeLeft", "eyeRight", "nose"} <= names
    assert set(face.quality) >= {"sharpness", "brightness"}


def test_same_person_is_closer_than_a_different_person(analyzer):
    def embedding(name: str) -> tuple[float, ...]:
        (face,) = analyzer.analyze(photo(name), frozenset({Feature.FACES})).faces
        return face.embedding

    obama, obama_again, biden = (
        embedding("obama.jpg"),
        embedding("obama_mirrored.jpg"),
        embedding("biden.jpg"),
    )
    assert distance(obama, obama_again) < 0.45
    assert distance(obama, biden) > 0.6


def test_group_photo_finds_every_face_and_people_labels(analyzer):
    result = analyzer.analyze(photo("family.jpg"), frozenset({Feature.FACES, Feature.LABELS}))
    assert len(result.faces) == 6
    labels = labels_by_name(result)
    assert {"Person", "People"} <= set(labels)
    assert len(labels["Person"].instances) == 6


def test_text_photo_is_read(analyzer):
    result = analyzer.analyze(photo("nutrition_label.jpg"), frozenset({Feature.TEXT, Feature.LABELS}))
    words = {word.lower() for line in result.text for word in line.words}
    assert {"nutrition", "facts"} <= words
    assert all(0 <= line.confidence <= 100 and line.box is not None for line in result.text)
    assert "Text" in labels_by_name(result)


@pytest.mark.parametrize(("size", "at"), [((1600, 160), (900, 50)), ((1200, 900), (100, 600))])
def test_text_is_read_where_it_is(analyzer, size, at):
    # the detector sees a shrunk copy (a panorama padded above and below); the line's box must land on the
    # full-size photo where the words were drawn
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=48)
    draw.text(at, "HARBOUR MARKET", fill="black", font=font)
    left, top, right, bottom = draw.textbbox(at, "HARBOUR MARKET", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    (line,) = analyzer.analyze(buffer.getvalue(), frozenset({Feature.TEXT})).text
    assert line.text == "HARBOUR MARKET"
    width, height = size
    box = line.box
    assert box.left <= left / width and box.left + box.width >= right / width
    assert box.top <= top / height and box.top + box.height >= bottom / height
    assert box.height * height < 3 * (bottom - top) and box.width * width < 1.2 * (right - left)


def test_everyday_photo_has_no_moderation_labels(analyzer):
    result = analyzer.analyze(photo("family.jpg"), frozenset({Feature.MODERATION}))
    assert result.moderation == ()
    assert result.raw["moderation"]["nsfw_score"] < 0.2


def test_all_features_from_two_threads_agree_with_one(analyzer):
    names = ["cat.jpg", "obama.jpg", "family.jpg", "biden.jpg"]
    alone = [analyzer.analyze(photo(name), ALL) for name in names]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(lambda name: analyzer.analyze(photo(name), ALL), names))
    for a, b in zip(alone, together, strict=True):
        assert [label.name for label in a.labels] == [label.name for label in b.labels]
        assert len(a.faces) == len(b.faces)


def test_bad_jpeg_raises_analysis_error(analyzer):
    with pytest.raises(AnalysisError, match="decodable"):
        analyzer.analyze(b"\xff\xd8\xff\xe0 this is not really a jpeg", ALL)
    with pytest.raises(AnalysisError, match="empty"):
        analyzer.analyze(b"", ALL)


def test_tiny_image_raises_analysis_error(analyzer):
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, format="JPEG")
    with pytest.raises(AnalysisError, match="60x40"):
        analyzer.analyze(buffer.getvalue(), ALL)


def test_model_versions_are_stable_and_classifier_is_cached(analyzer, tmp_path):
    versions = {feature: analyzer.model_version(feature) for feature in ALL}
    assert versions == {feature: LocalAnalyzer().model_version(feature) for feature in ALL}
    assert all(versions.values())
    with pytest.raises(ValueError):
        analyzer.model_version(Feature.CELEBRITIES)
    cached = LocalAnalyzer(cache_dir=tmp_path)
    cached.analyze(photo("cat.jpg"), frozenset({Feature.LABELS}))
    assert len(list(tmp_path.glob("*.onnx"))) == 1
