"""The catalog file: modes, versioning, and refusing what it must not touch."""

from __future__ import annotations

import inspect
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from photosorter.core.catalog import Catalog, CatalogError, schema


def test_a_new_catalog_is_wal_with_foreign_keys_and_the_current_version(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite3") as catalog:
        conn = catalog.connection()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert catalog.integrity_check() == "ok"


def test_a_catalog_from_a_newer_app_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    Catalog(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(CatalogError, match="newer photosorter"):
        Catalog(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 999


def test_a_file_that_is_not_sqlite_is_reported_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    junk = b"these are my holiday notes, not a database\n" * 200
    path.write_bytes(junk)
    with pytest.raises(CatalogError, match="not a photosorter catalog"):
        Catalog(path)
    assert path.read_bytes() == junk


def test_another_programs_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(CatalogError, match="not a photosorter catalog"):
        Catalog(path)
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["recipes"]


def test_a_failing_migration_step_leaves_the_previous_version_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.sqlite3"
    Catalog(path).close()

    def broken_step(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("power cut")

    monkeypatch.setattr(schema, "STEPS", [*schema.STEPS, broken_step])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.STEPS))
    with pytest.raises(RuntimeError, match="power cut"):
        Catalog(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION - 1
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").fetchall()


def test_every_migration_step_from_an_empty_file_produces_a_valid_schema(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite3") as catalog:
        tables = {
            r[0] for r in catalog.connection().execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        assert {"folders", "photos", "analyses", "labels", "faces", "people"} <= tables
        assert catalog.connection().execute("PRAGMA foreign_key_check").fetchall() == []


# Each process imports first, then waits on stdin, so all of them open the catalog at the same moment.
_OPEN_ON_SIGNAL = """
import sys
from photosorter.core.catalog import Catalog
sys.stdin.readline()
with Catalog(sys.argv[1]) as catalog:
    print(catalog.integrity_check(), catalog.scalar("PRAGMA user_version"))
"""


@pytest.mark.parametrize("round_", range(3))
def test_processes_opening_one_new_catalog_at_once_all_succeed(tmp_path: Path, round_: int) -> None:
    path = tmp_path / "new" / "catalog.sqlite3"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_ON_SIGNAL, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    results = [process.communicate(timeout=120) for process in processes]
    assert [(p.returncode, out, err) for p, (out, err) in zip(processes, results, strict=True)] == [
        (0, f"ok {schema.SCHEMA_VERSION}\n", "")
    ] * 8


def test_another_programs_sqlite_file_is_left_byte_for_byte_unchanged(tmp_path: Path) -> None:
    """Refused before anything writes: not even its journal mode is switched to WAL."""
    path = tmp_path / "c.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.executemany("INSERT INTO recipes VALUES (?)", [("soup",), ("bread",)])
    conn.close()
    before = path.read_bytes()
    with pytest.raises(CatalogError, match="not a photosorter catalog; refusing to change it"):
        Catalog(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.sqlite3"]  # no -wal, -shm or -journal


def _as_unprivileged_user() -> list[str]:
    """A command prefix that drops root, whose writes ignore permissions; [] when not root."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be tested")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def read_only_home() -> Iterator[Path]:
    """A home whose folders exist but cannot be written, outside tmp_path (which other users cannot enter)."""
    with tempfile.TemporaryDirectory(prefix="photosorter-ro-") as root:
        home = Path(root) / "home"
        for name in ("data", "cache", "config"):
            (home / name).mkdir(parents=True)
        for folder in (Path(root), home, home / "data", home / "cache", home / "config"):
            folder.chmod(0o555)
        yield home
        for folder in (Path(root), home):
            folder.chmod(0o755)


@pytest.mark.parametrize("missing", ["", "data"])
def test_a_read_only_home_is_reported_as_read_only(read_only_home: Path, missing: str) -> None:
    """With no catalog yet, or not even a data folder, the message says read-only, not "cannot be opened"."""
    if missing:
        (read_only_home / missing).chmod(0o755)
        (read_only_home / missing).rmdir()
    command = [*_as_unprivileged_user(), sys.executable, "-m", "photosorter", "--home", str(read_only_home)]
    done = subprocess.run([*command, "stats"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "read-only" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_interrupt_just_before_commit_leaves_no_transaction_open(tmp_path: Path) -> None:
    """Ctrl-C lands between a transaction's body and its COMMIT (forced here with a trace function):
    the transaction is rolled back, and the next one commits for real rather than joining it."""
    catalog = Catalog(tmp_path / "catalog.db")
    code = Catalog.transaction.__wrapped__.__code__
    source, first = inspect.getsourcelines(code)
    commit_line = first + next(i for i, line in enumerate(source) if 'execute("COMMIT")' in line)

    def tracer(frame, event, arg):
        if frame.f_code is not code:
            return None

        def on_line(frame, event, arg):
            if event == "line" and frame.f_lineno == commit_line:
                raise KeyboardInterrupt
            return on_line

        return on_line

    sys.settrace(tracer)
    try:
        with pytest.raises(KeyboardInterrupt), catalog.transaction() as conn:
            conn.execute("INSERT INTO folders (path, added_at) VALUES ('/lost', 'now')")
    finally:
        sys.settrace(None)
    assert not catalog.connection().in_transaction
    with catalog.transaction() as conn:
        conn.execute("INSERT INTO folders (path, added_at) VALUES ('/kept', 'now')")
    other = sqlite3.connect(tmp_path / "catalog.db")
    assert [r[0] for r in other.execute("SELECT path FROM folders")] == ["/kept"]
    other.close()
    catalog.close()
