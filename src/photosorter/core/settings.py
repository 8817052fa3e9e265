"""User settings: a small JSON file in the config dir. Never a secret: AWS credentials stay with boto3."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from photosorter.core.errors import PhotosorterError
from photosorter.core.imaging import write_atomically

BACKENDS = ("local", "rekognition")


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
    extra: dict[str, object] = field(default_factory=dict)

    def features_for(self, backend: str) -> tuple[str, ...]:
        return self.rekognition_features if backend == "rekognition" else self.local_features

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)


def load_settings(path: Path) -> Settings:
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise PhotosorterError(f"{path}: settings file is unreadable ({error}); fix or delete it") from error
    if not isinstance(data, dict):
        raise PhotosorterError(f"{path}: settings file is not a JSON object; fix or delete it")
    known = {f.name for f in fields(Settings)}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
    settings = Settings(**values)
    if settings.backend not in BACKENDS:
        raise PhotosorterError(f"{path}: unknown backend {settings.backend!r} (choose local or rekognition)")
    return settings


def save_settings(path: Path, settings: Settings) -> None:
    write_atomically(path, json.dumps(asdict(settings), indent=2, sort_keys=True).encode("utf-8"))
