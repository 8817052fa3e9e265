"""settings.json: every field checked on load, one clear message naming a wrong one, never a traceback."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from photosorter.core.errors import PhotosorterError
from photosorter.core.settings import Settings, load_settings, save_settings

# field: (a value of the right type, wrong values with a word the message must use for what is expected)
CASES: dict[str, tuple[object, list[tuple[object, str]]]] = {
    "backend": ("rekognition", [("aws", '"local"'), (1, '"rekognition"'), (None, '"local"')]),
    "aws_profile": ("work", [(5, "text"), (["a"], "text")]),
    "aws_region": (None, [(True, "text"), ({"r": 1}, "text")]),
    "local_features": (["labels", "text"], [(5, "list"), ("labels", "list"), (["tags"], "moderation")]),
    "rekognition_features": (["faces"], [([1], "list"), ({"labels": True}, "list")]),
    "rate_limit": (2.5, [("fast", "number"), (-1, "0 or more"), (True, "number"), (None, "number")]),
    "budget_usd": (10, [("x", "dollars"), (-5, "0 or more"), ([], "dollars")]),
    "collection_id": ("my-faces", [("", "non-empty"), (7, "text")]),
    "thumbnail_size": (
        200,
        [("big", "whole number"), (160.5, "whole number"), (5000, "320"), (False, "pixels")],
    ),
    "analyze_after_scan": (False, [("yes", "true or false"), (1, "true or false")]),
    "gallery_sort": ("size", [("date", '"taken"'), (1, '"name"')]),
    "gallery_descending": (False, [("no", "true or false"), (0, "true or false")]),
    "slideshow_seconds": (2.5, [(0.5, "from 1 to 60"), ("slow", "seconds"), (True, "seconds")]),
    "keep_xmp_sidecars": (True, [("on", "true or false"), (0, "true or false")]),
    "cloud_stack": (
        "family-photos",
        [("", "stack name"), ("1st", "starting with a letter"), (3, "stack name")],
    ),
    "extra": ({"note": "hi"}, [([], "object"), ("x", "object")]),
}


def test_every_setting_has_cases() -> None:
    assert set(CASES) == {f.name for f in fields(Settings)}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [(name, value, expected) for name, (_, wrong) in CASES.items() for value, expected in wrong],
)
def test_a_wrong_value_names_the_field_and_what_it_expects(
    tmp_path: Path, name: str, value: object, expected: str
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({name: value}))
    with pytest.raises(PhotosorterError) as error:
        load_settings(path)
    message = str(error.value)
    assert f"'{name}' must be" in message
    assert expected in message
    assert json.dumps(value) in message
    assert str(path) in message


@pytest.mark.parametrize("name", CASES)
def test_a_right_value_is_loaded(tmp_path: Path, name: str) -> None:
    path = tmp_path / "settings.json"
    value = CASES[name][0]
    path.write_text(json.dumps({name: value}))
    loaded = getattr(load_settings(path), name)
    assert loaded == (tuple(value) if isinstance(value, list) else value)


def test_several_wrong_values_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"local_features": 5, "budget_usd": "x", "rate_limit": "fast", "unknown": 1}))
    with pytest.raises(PhotosorterError) as error:
        load_settings(path)
    assert all(f"'{name}'" in str(error.value) for name in ("local_features", "budget_usd", "rate_limit"))


def test_saved_settings_load_back_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(**{name: value for name, (value, _) in CASES.items()}).with_changes(
        local_features=("labels", "text"), rekognition_features=("faces",)
    )
    save_settings(path, settings)
    assert load_settings(path) == settings
    save_settings(path, Settings())
    assert load_settings(path) == Settings()


@pytest.mark.parametrize(
    "content", ['{"local_features": 5}', '{"budget_usd": "x"}', '{"rate_limit": "fast"}']
)
def test_the_cli_reports_a_wrong_setting_without_a_traceback(cli, home: Path, content: str) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.json").write_text(content)
    result = cli("stats")
    assert result.code == 1
    assert "wrong setting" in result.err
    assert "Traceback" not in result.err
