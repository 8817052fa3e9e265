"""The Lambda function's zip, made at deploy time from the installed ``photosorter.cloud_function``.

The zip holds ``photosorter/__init__.py`` (empty) and the ``.py`` files of ``photosorter/cloud_function/``
(subpackages too): the function imports nothing but the standard library and boto3 (which the Lambda
runtime provides). It is
deterministic (sorted names, fixed dates and modes), so the same code gives the same bytes and the same
``code/<sha256>.zip`` key: deploying unchanged code uploads nothing and changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

PACKAGE = "photosorter.cloud_function"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold


@dataclass(frozen=True, slots=True)
class FunctionZip:
    data: bytes
    sha256: str

    @property
    def key(self) -> str:
        return f"code/{self.sha256}.zip"


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3  # unix, so the mode above is read as one
    return info


def _sources(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, bytes]]:
    """The package's Python files (subpackages too), by their path inside it."""
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name != "__pycache__":
            yield from _sources(entry, f"{prefix}{entry.name}/")
        elif entry.is_file() and entry.name.endswith(".py"):
            yield f"{prefix}{entry.name}", entry.read_bytes()


def function_zip() -> FunctionZip:
    sources = sorted(_sources(resources.files(PACKAGE)))
    if not any(name == "__init__.py" for name, _ in sources):
        raise RuntimeError(f"{PACKAGE} is not installed as a package")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_entry("photosorter/__init__.py"), b"")
        for name, data in sources:
            archive.writestr(_entry(f"photosorter/cloud_function/{name}"), data)
    data = buffer.getvalue()
    return FunctionZip(data, hashlib.sha256(data).hexdigest())
