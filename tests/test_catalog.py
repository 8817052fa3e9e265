"""The catalog file: modes, versioning, and refusing what it must not touch."""

from __future__ import annotations

import sqlite3
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
