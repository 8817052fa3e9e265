"""User settings: a small JSON file in the config dir. Never a secret: AWS credentials stay with boto3."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from photosorter.core.analysis.types import Feature
from photosorter.core.errors import PhotosorterError
from photosorter.core.imaging import write_atomically

BACKENDS = ("local", "rekognition", "cloud")


@dataclass(frozen=True, slots=True)
class Settings:
    backend: str = "local"
    aws_profile: str | None = None
    aws_region: str | None = None
    local_features: tuple[str, ...] = ("labels", "faces", "text", "moderation")
    rekognition_features: tuple[str, ...] = ("labels", "faces", "text")
    rate_limit: float = 5.0  # Rekognition requests per second
    budget_usd: float | None = None
    collection_id: str = "photosorter-library"  # Rekognition face collection for this library
    thumbnail_size: int = 160  # grid cell size in the gallery, in px
    analyze_after_scan: bool = True
    gallery_sort: str = "taken"  # a core.timeline.SortKey: taken, added, name, size
    gallery_descending: bool = True  # newest, last added, Z or largest first
    slideshow_seconds: float = 4.0  # each photo of a slideshow is shown this long
    keep_xmp_sidecars: bool = False  # rewrite a photo's .xmp sidecar when its labels or people change
    cloud_stack: str = "photosorter"  # the cloud library's CloudFormation stack (profile/region: aws_*)
    extra: dict[str, object] = field(default_factory=dict)

    def features_for(self, backend: str) -> tuple[str, ...]:
        # the cloud library's function makes the same Rekognition calls
        return self.rekognition_features if backend in ("rekognition", "cloud") else self.local_features

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)


def load_settings(path: Path) -> Settings:
    """The settings in ``path`` (defaults for what it leaves out); a wrong value is one clear error."""
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise PhotosorterError(f"{path}: settings file is unreadable ({error}); fix or delete it") from error
    if not isinstance(data, dict):
        raise PhotosorterError(f"{path}: settings file is not a JSON object; fix or delete it")
    problems = [
        f"{name!r} must be {_FIELDS[name][1]}, not {json.dumps(value)}"
        for name, value in data.items()
        if name in _FIELDS and not _FIELDS[name][0](value)
    ]
    if problems:
        raise PhotosorterError(f"{path}: wrong setting: {'; '.join(problems)}; fix or delete it")
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in _FIELDS}
    return Settings(**values)


def _is_number(value: object) -> bool:
    # JSON true/false arrive as bool, which Python counts as int
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_text_or_null(value: object) -> bool:
    return value is None or isinstance(value, str)


def _is_feature_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item in FEATURES for item in value)


FEATURES = tuple(feature.value for feature in Feature)
THUMBNAIL_SIZES = range(80, 321)  # px: what the settings dialog offers
GALLERY_SORTS = ("taken", "added", "name", "size")  # core.timeline.SortKey (which imports no settings)
SLIDESHOW_SECONDS = (1, 60)
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,100}")  # what CloudFormation accepts, with room for suffixes

# Every field: (is this JSON value acceptable?, what is expected, for the message).
_FIELDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "backend": (lambda v: v in BACKENDS, f"one of {', '.join(map(json.dumps, BACKENDS))}"),
    "aws_profile": (_is_text_or_null, "a profile name (text) or null"),
    "aws_region": (_is_text_or_null, "a region name (text) or null"),
    "local_features": (_is_feature_list, f"a list of features from {', '.join(FEATURES)}"),
    "rekognition_features": (_is_feature_list, f"a list of features from {', '.join(FEATURES)}"),
    "rate_limit": (lambda v: _is_number(v) and v >= 0, "a number of requests per second, 0 or more"),
    "budget_usd": (
        lambda v: v is None or (_is_number(v) and v >= 0),
        "an amount in dollars, 0 or more, or null",
    ),
    "collection_id": (lambda v: isinstance(v, str) and v != "", "a non-empty name (text)"),
    "thumbnail_size": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v in THUMBNAIL_SIZES,
        f"a whole number of pixels from {THUMBNAIL_SIZES.start} to {THUMBNAIL_SIZES.stop - 1}",
    ),
    "analyze_after_scan": (lambda v: isinstance(v, bool), "true or false"),
    "gallery_sort": (lambda v: v in GALLERY_SORTS, f"one of {', '.join(map(json.dumps, GALLERY_SORTS))}"),
    "gallery_descending": (lambda v: isinstance(v, bool), "true or false"),
    "slideshow_seconds": (
        lambda v: _is_number(v) and SLIDESHOW_SECONDS[0] <= v <= SLIDESHOW_SECONDS[1],
        f"a number of seconds from {SLIDESHOW_SECONDS[0]} to {SLIDESHOW_SECONDS[1]}",
    ),
    "keep_xmp_sidecars": (lambda v: isinstance(v, bool), "true or false"),
    "cloud_stack": (
        lambda v: isinstance(v, str) and STACK_NAME.fullmatch(v) is not None,
        "a stack name (letters, digits and hyphens, starting with a letter)",
    ),
    "extra": (lambda v: isinstance(v, dict), "a JSON object"),
}


def save_settings(path: Path, settings: Settings) -> None:
    write_atomically(path, json.dumps(asdict(settings), indent=2, sort_keys=True).encode("utf-8"))
