"""What analysis learned about one photo, read back as typed records, and their JSON for ``show --json``."""

from __future__ import annotations

import json

from photosorter.core.analysis.types import AnalysisResult, Box, Face, Feature, Label, TextLine
from photosorter.core.catalog.analysis import results_for, store_result
from photosorter.core.library import Library
from photosorter.core.photo_analysis import FaceRow, PhotoAnalysis


def test_results_are_typed_records_whose_json_keeps_the_show_shape(home) -> None:
    with Library.open(home) as library:
        result = AnalysisResult(
            "local",
            frozenset({Feature.LABELS, Feature.TEXT, Feature.FACES}),
            labels=(Label("Cat", 97.04, ("Animal",), (), ("Animals and Pets",)),),
            text=(TextLine("STOP", 99.0, Box(0.1, 0.2, 0.3, 0.05)),),
            faces=(Face(Box(0.1, 0.2, 0.3, 0.4), 88.0, attributes={"smile": {"value": True}}),),
        )
        store_result(library.catalog, "h1", result, dict.fromkeys(result.features, "1"))
        found = results_for(library.catalog, "h1")

    (face,) = found.faces
    assert isinstance(face, FaceRow) and face.box == Box(0.1, 0.2, 0.3, 0.4)
    assert (face.person, face.suggested, face.asked, face.who) == (None, None, None, "unnamed")
    assert found.labels[0].parents == ("Animal",) and found.labels[0].confidence == 97.0
    assert found.text[0].box == Box(0.1, 0.2, 0.3, 0.05)
    data = found.to_json()
    assert list(data) == ["labels", "faces", "text", "moderation", "analyses"]  # no celebrities: no key
    assert data["faces"][0] == {
        "id": face.id,
        "box": {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4},
        "confidence": 88.0,
        "attributes": {"smile": {"value": True}},
        "person": None,
        "assigned_by": None,
        "suggested": None,
        "backend": "local",
    }
    assert data["labels"][0]["parents"] == ["Animal"]  # lists in JSON, as before
    assert data["analyses"][0] == {
        "backend": "local",
        "feature": "faces",
        "model_version": "1",
        "status": "done",
        "error": None,
    }
    json.dumps(data)


def test_a_photo_not_read_yet_has_no_analysis_states_in_its_json() -> None:
    assert PhotoAnalysis().to_json() == {"labels": [], "faces": [], "text": [], "moderation": []}


def test_a_suggested_name_is_asked_only_while_the_face_has_no_person() -> None:
    def face(person: str | None, suggested: str | None) -> FaceRow:
        return FaceRow(1, Box(0, 0, 1, 1), 90.0, {}, person, None, suggested, "local")

    assert (face(None, "Alice").asked, face(None, "Alice").who) == ("Alice", "Alice?")
    assert (face("Bob", "Alice").asked, face("Bob", "Alice").who) == (None, "Bob")
