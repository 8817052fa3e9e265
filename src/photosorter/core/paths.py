"""Where photosorter keeps its catalog, thumbnails and settings.

Everything is relocatable with ``--home DIR`` or ``PHOTOSORTER_HOME`` so tests
and portable installs never touch the user's real data directories.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from photosorter.core.errors import PhotosorterError

APP_NAME = "photosorter"
HOME_ENV = "PHOTOSORTER_HOME"


@dataclass(frozen=True, slots=True)
class AppPaths:
    data_dir: Path
    cache_dir: Path
    config_dir: Path

    @property
    def catalog(self) -> Path:
        return self.data_dir / "catalog.sqlite3"

    @property
    def thumbnails(self) -> Path:
        return self.cache_dir / "thumbs"

    @property
    def models(self) -> Path:
        return self.cache_dir / "models"

    @property
    def settings(self) -> Path:
        return self.config_dir / "settings.json"

    def own_dirs(self) -> tuple[Path, ...]:
        """Our folders, which the scanner must never treat as photos even inside a library."""
        return (self.data_dir, self.cache_dir, self.config_dir)

    def ensure(self) -> AppPaths:
        for folder in self.own_dirs():
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise PhotosorterError(_cannot_create(folder, error)) from error
        return self


def _cannot_create(folder: Path, error: OSError) -> str:
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"{folder}: cannot create photosorter's folder here, the location is read-only "
            f"({error.strerror}); make it writable or choose another --home"
        )
    return f"{folder}: cannot create photosorter's folder ({error.strerror})"


def app_paths(home: str | os.PathLike[str] | None = None) -> AppPaths:
    """The paths for ``home`` if given, else ``$PHOTOSORTER_HOME``, else the platform's standard dirs."""
    home = home or os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(root / "data", root / "cache", root / "config")
    return AppPaths(
        Path(platformdirs.user_data_dir(APP_NAME)),
        Path(platformdirs.user_cache_dir(APP_NAME)),
        Path(platformdirs.user_config_dir(APP_NAME)),
    )
