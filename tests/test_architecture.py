"""House rules the code must keep: core is Qt-free, SQL stays in the catalog, photos are opened read-only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "photosorter"


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_never_imports_qt() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in (SRC / "core").rglob("*.py")
        if any(name.split(".")[0] in {"PySide6", "shiboken6"} for name in imports_of(path))
    ]
    assert offenders == []


def test_the_cli_never_imports_qt() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in (SRC / "cli").rglob("*.py")
        if any(name.split(".")[0] in {"PySide6", "shiboken6"} for name in imports_of(path))
    ]
    assert offenders == []


SQL = re.compile(
    r"""["'](\s*)(SELECT\s.+\sFROM\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|"""
    r"""CREATE\s+(TABLE|INDEX|TRIGGER|VIRTUAL)|PRAGMA\s+\w+)"""
)


def test_all_sql_lives_in_the_catalog_package() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "catalog" not in path.relative_to(SRC).parts and SQL.search(path.read_text())
    ]
    assert offenders == []


def test_files_are_written_only_through_the_one_atomic_writer() -> None:
    """Photos are read-only to us; our own files (thumbnails, models, settings) use write_atomically."""
    writers = re.compile(r"""open\([^)]*["'](w|a|r\+|x)b?["']|\.write_(bytes|text)\(""")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if writers.search(path.read_text()) and path != SRC / "core" / "imaging.py"
    ]
    assert offenders == []
