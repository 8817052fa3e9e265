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


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, modules: set[str]) -> set[str]:
    """The photosorter modules ``path`` imports when it runs (``if TYPE_CHECKING:`` blocks left out: they
    never execute). ``from a import b`` counts as importing ``a.b`` when that is a module."""
    tree = ast.parse(path.read_text())
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    package = (
        _module_name(path).split(".") if path.name == "__init__.py" else _module_name(path).split(".")[:-1]
    )
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join([*package[: len(package) - node.level + 1], node.module or ""]).strip(".")
            base = base if node.level else node.module or ""
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {name for name in found if name in modules}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_inside_photosorter() -> None:
    """A module that imports one that imports it back only works in one import order; a type-only import
    (under ``if TYPE_CHECKING:``) is fine, and so is a package importing its own submodules."""
    paths = {_module_name(path): path for path in SRC.rglob("*.py")}
    modules = set(paths)
    graph = {
        name: {
            target
            for target in _runtime_imports(path, modules)
            if not (path.name == "__init__.py" and target.startswith(name + "."))
        }
        for name, path in paths.items()
    }
    assert _cycles(graph) == []


def test_the_cloud_function_imports_only_the_standard_library_and_boto3() -> None:
    """The Lambda zip holds photosorter/cloud_function alone: an import of the rest would fail in AWS."""
    import sys

    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", "photosorter"}
    offenders = {
        f"{path.relative_to(SRC)}: {name}"
        for path in (SRC / "cloud_function").rglob("*.py")
        for name in imports_of(path)
        if name.split(".")[0] not in allowed
        or (name.startswith("photosorter") and not name.startswith("photosorter.cloud_function"))
    }
    assert offenders == set()
