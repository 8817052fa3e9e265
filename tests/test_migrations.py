"""Upgrading a catalog of every past schema version, with data in it, gives exactly what a new catalog has.

Each past version is built here by running the frozen steps up to it and filling it with rows the
way that version's app wrote them. A new step appended to ``schema.STEPS`` is covered without
editing this file: every version below the current one is upgraded.
"""

from __future__ import annotations

import ast
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from photosorter.core.catalog import Catalog, schema
from photosorter.core.catalog.migrations import v11_marks_albums, v12_video_analysis, v15_cloud_library

NOW = "2024-05-01T10:00:00"


def _seed_v1(conn: sqlite3.Connection) -> None:
    """Folders, photos in every state, analyses with labels, text, faces, names and celebrities."""
    conn.executemany(
        "INSERT INTO folders (id, path, added_at, online) VALUES (?, ?, ?, ?)",
        [(1, "/lib", NOW, 1), (2, "/usb", NOW, 0)],
    )
    photos = [
        # id, folder, path, name, hash, taken_at, make, model, state
        (1, 1, "/lib/dog.jpg", "dog.jpg", "h-dog", "2021-06-01T12:00:00", "Canon", "EOS 5D", "ok"),
        (2, 1, "/lib/copy/dog.jpg", "dog.jpg", "h-dog", "2021-06-01T12:00:00", "Canon", "EOS 5D", "ok"),
        (3, 1, "/lib/party.jpg", "party.jpg", "h-party", "2022-12-31T23:00:00", None, "Pixel 7", "ok"),
        (4, 1, "/lib/sign.png", "sign.png", "h-sign", None, None, None, "ok"),
        (5, 1, "/lib/gone.jpg", "gone.jpg", "h-gone", "2019-01-01T00:00:00", "Nikon", "D750", "missing"),
        (6, 1, "/lib/broken.jpg", "broken.jpg", None, None, None, None, "error"),
        (7, 2, "/usb/beach.jpg", "beach.jpg", "h-beach", "2020-08-08T08:00:00", "Nikon", "D750", "offline"),
        (8, 1, "/lib/café/crème.jpg", "crème.jpg", "h-party", "2022-12-31T23:00:01", None, None, "ok"),
    ]
    conn.executemany(
        "INSERT INTO photos (id, folder_id, path, name, size, mtime_ns, hash, format, width, height,"
        " taken_at, taken_at_source, camera_make, camera_model, state, error, updated_at)"
        " VALUES (?, ?, ?, ?, 1000, 1, ?, 'JPEG', 640, 480, ?, 'exif', ?, ?, ?, NULL, ?)",
        [(*row, NOW) for row in photos],
    )
    conn.execute("UPDATE photos SET error = 'cannot identify image' WHERE id = 6")
    conn.execute(
        "INSERT INTO photos (id, folder_id, path, name, state, updated_at) VALUES (9, 1, ?, ?, 'ok', ?)",
        (b"/lib/raw\xff.jpg", "raw\ufffd.jpg", NOW),
    )
    analyses = [
        (h, backend, feature)
        for h in ("h-dog", "h-party", "h-sign", "h-gone", "h-beach")
        for backend, feature in (("local", "labels"), ("local", "faces"), ("rekognition", "text"))
    ]
    conn.executemany(
        "INSERT INTO analyses (hash, backend, feature, model_version, status, error, raw, analyzed_at)"
        " VALUES (?, ?, ?, 'v1', 'done', NULL, '{}', ?)",
        [(*row, NOW) for row in analyses],
    )
    conn.execute(
        "INSERT INTO analyses VALUES ('h-sign', 'rekognition', 'faces', 'v1', 'failed', 'throttled', NULL,"
        " ?)",
        (NOW,),
    )
    labels = [
        ("h-dog", "local", "Dog", 91.5, '["Animal", "Pet"]', '["Puppy"]', '["Animals and Pets"]'),
        ("h-dog", "rekognition", "Dog", 80.0, '["Animal"]', "[]", "[]"),
        ("h-dog", "local", "Beach", 70.0, "[]", "[]", '["Nature"]'),
        ("h-beach", "local", "Beach", 99.0, "[]", '["Shore", "Coast"]', '["Nature"]'),
        ("h-party", "local", "Person", 99.0, "[]", "[]", "[]"),
        ("h-gone", "local", "Cat", 88.0, '["Animal"]', "[]", "[]"),
        ("h-sign", "local", "Text", 60.0, "not json", "[1, 2]", '{"a": 1}'),
    ]
    conn.executemany(
        "INSERT INTO labels (hash, backend, name, confidence, parents, aliases, categories)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        labels,
    )
    conn.executemany(
        "INSERT INTO text_lines (hash, backend, line, text, confidence, box) VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("h-sign", "rekognition", 0, "CAFÉ DE FLORE", 95.0, "[0.1, 0.1, 0.5, 0.1]"),
            ("h-sign", "rekognition", 1, "open daily", 80.0, None),
            ("h-beach", "rekognition", 0, "lifeguard", 70.0, None),
        ],
    )
    conn.execute("INSERT INTO moderation VALUES ('h-beach', 'rekognition', 'Swimwear', 'Suggestive', 60.0)")
    conn.execute(
        "INSERT INTO celebrities VALUES ('h-party', 'rekognition', 0, 'Some Star', 97.0, NULL, 'x1', '[]')"
    )
    conn.executemany(
        "INSERT INTO people (id, name, hidden, created_at) VALUES (?, ?, ?, ?)",
        [(1, "Alice", 0, NOW), (2, "Bob", 1, NOW), (3, "Chloé", 0, NOW)],
    )
    smiling = json.dumps(
        {"smile": {"value": True, "confidence": 93.0}, "emotions": [{"type": "HAPPY", "confidence": 90.0}]}
    )
    faces = [
        # hash, backend, idx, person, assigned_by, cluster, attributes
        ("h-party", "local", 0, 1, "manual", 1, smiling),
        ("h-party", "local", 1, 2, "auto", 1, '{"gender": "female", "eyeglasses": true}'),
        ("h-party", "local", 2, None, None, 2, "{}"),
        ("h-dog", "local", 0, 3, "suggestion", 3, "not json"),
        ("h-gone", "local", 0, 1, "manual", 1, '{"beard": {"Value": true, "Confidence": 80}}'),
    ]
    conn.executemany(
        "INSERT INTO faces (hash, backend, idx, box_left, box_top, box_width, box_height, confidence,"
        " attributes, embedding, cluster_id, person_id, assigned_by)"
        " VALUES (?, ?, ?, 0.1, 0.2, 0.3, 0.4, 99.0, ?, ?, ?, ?, ?)",
        [
            (h, b, i, attrs, bytes(range(16)), cluster, person, by)
            for h, b, i, person, by, cluster, attrs in faces
        ],
    )


def _seed_v3(conn: sqlite3.Connection) -> None:
    """An open question, a rejected pair and an undoable action."""
    conn.execute("INSERT INTO face_suggestions VALUES (3, 3, 0.82, ?)", (NOW,))
    conn.execute("INSERT INTO face_rejections VALUES (2, 1)")
    conn.execute(
        "INSERT INTO people_undo (action, description, payload, created_at) VALUES (?, ?, ?, ?)",
        ("rename", "Rename Chloe to Chloé", '{"person": 3, "name": "Chloe"}', NOW),
    )


def _seed_v4(conn: sqlite3.Connection) -> None:
    """Jobs in every state."""
    conn.executemany(
        "INSERT INTO jobs (kind, payload, dedupe_key, state, attempts, error, owner, heartbeat, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("scan", '{"folder": "/lib"}', "scan:/lib", "pending", 0, None, None, None, NOW, NOW),
            ("analyze", '{"hash": "h-dog"}', None, "running", 1, None, "pid-1", 1.0, NOW, NOW),
            ("thumbnail", '{"photo": 3}', None, "parked", 5, "disk full", None, None, NOW, NOW),
        ],
    )


# The rows each version's app could write, by the version that introduced their tables.
def _seed_v6(conn: sqlite3.Connection) -> None:
    """A claim a run held when its process stopped (it has expired)."""
    conn.execute(
        "INSERT INTO analysis_claims (hash, backend, feature, owner, expires_at)"
        " VALUES ('h-sign', 'local', 'text', 'host:123:run', 1.0)"
    )


def _seed_v7(conn: sqlite3.Connection) -> None:
    """Rekognition calls counted for a month."""
    conn.execute(
        "INSERT INTO service_usage (month, backend, operation, calls, cost_usd)"
        " VALUES ('2024-05', 'rekognition', 'DetectLabels', 12, 0.012)"
    )


def _seed_v9(conn: sqlite3.Connection) -> None:
    """A video among the photos."""
    conn.execute(
        "UPDATE photos SET media = 'video', duration_s = 42.5, fps = 29.97, codec = 'H.264', rotation = 90"
        " WHERE id = 3"
    )


def _seed_v10(conn: sqlite3.Connection) -> None:
    """A photo with GPS and its place, and a perceptual hash."""
    conn.execute("UPDATE photos SET latitude = 48.8566, longitude = 2.3522 WHERE id IN (1, 3)")
    # apart: a new position makes the place unlooked-up (a trigger), as the app writes them apart
    conn.execute(
        "UPDATE photos SET place_city = 'Paris', place_region = '', place_country = 'France',"
        " place_code = 'FR' WHERE id = 1"
    )
    conn.execute("INSERT INTO perceptual_hashes (hash, phash) VALUES ('h-dog', -1234567890123)")


def _seed_marks(conn: sqlite3.Connection) -> None:
    """A rated favourite and a copy rated apart, an album in manual order, a saved search."""
    conn.executemany(
        "INSERT INTO photo_marks (photo_id, favorite, rating, updated_at) VALUES (?, ?, ?, ?)",
        [(1, 1, 5, NOW), (2, 0, 3, NOW), (7, 1, 0, NOW)],
    )
    conn.execute("INSERT INTO albums (id, name, sort, created_at) VALUES (1, 'Summer', 'manual', ?)", (NOW,))
    conn.executemany(
        "INSERT INTO album_photos (album_id, photo_id, position, added_at) VALUES (1, ?, ?, ?)",
        [(3, 1, NOW), (1, 2, NOW), (5, 3, NOW)],
    )
    conn.execute(
        "INSERT INTO saved_searches (name, query, created_at) VALUES ('Best dogs', 'dog rating:>=4', ?)",
        (NOW,),
    )


def _seed_video_analysis(conn: sqlite3.Connection) -> None:
    """A video's moments, and a keyframe of a video whose analysis was interrupted."""
    conn.execute(
        "INSERT INTO video_moments (hash, backend, kind, key, start_ms, end_ms, confidence, best_ms)"
        " VALUES ('h-dog', 'local', 'label', 'Dog', 12000, 31000, 97.5, 14000)"
    )
    conn.execute(
        "INSERT INTO video_frames (hash, backend, t_ms, until_ms, versions, result)"
        " VALUES ('h-party', 'local', 2000, 3500, '{}', '{}')"
    )


def _seed_rotation(conn: sqlite3.Connection) -> None:
    """A photo the user turned a quarter clockwise for display."""
    conn.execute("INSERT INTO photo_rotation (photo_id, quarter_turns) SELECT min(id), 1 FROM photos")


def _seed_xmp(conn: sqlite3.Connection) -> None:
    """A photo's XMP as read: keywords (also labels of its content), a rating, a named region and the
    face kept for it, and the sidecar signature of its change check."""
    conn.execute("UPDATE photos SET sidecars = 'dog.jpg.xmp:812:5' WHERE id = 1")
    conn.execute(
        "INSERT INTO photo_metadata (photo_id, keywords, rating, title, description, sources)"
        " VALUES (1, '[[\"Rex\", [\"Pets\"]]]', 4, 'Rex', NULL, '[\"dog.jpg.xmp\"]')"
    )
    conn.execute(
        "INSERT INTO labels (hash, backend, name, confidence, parents, categories)"
        " VALUES ('h-dog', 'yours', 'Rex', 100.0, '[\"Pets\"]', '[\"Your keywords\"]')"
    )
    conn.execute(
        "INSERT INTO photo_regions (photo_id, idx, name, box_left, box_top, box_width, box_height, state)"
        " VALUES (1, 0, 'Chloé', 0.6, 0.1, 0.2, 0.3, 'applied')"
    )
    conn.execute(
        "INSERT INTO faces (hash, backend, idx, box_left, box_top, box_width, box_height, confidence,"
        " person_id, assigned_by) VALUES ('h-dog', 'xmp', 0, 0.6, 0.1, 0.2, 0.3, 100.0, 3, 'manual')"
    )
    conn.execute("INSERT OR IGNORE INTO sidecar_stale (hash) VALUES ('h-party')")


def _seed_cloud(conn: sqlite3.Connection) -> None:
    """The cloud library's bookkeeping: an upload waiting for the function, the feed's cursor, an
    imported item's seq and a person item as last seen."""
    conn.execute(
        "INSERT INTO cloud_uploads (hash, features, uploaded_at) VALUES ('h-sign', 'labels,text', ?)", (NOW,)
    )
    conn.execute("INSERT INTO cloud_cursors (library, cursor) VALUES ('photosorter-table', 1764000000000000)")
    conn.execute("INSERT INTO cloud_items (pk, seq) VALUES ('result#h-dog', 1763999999000000)")
    conn.execute(
        "INSERT INTO cloud_people (user_id, name, deleted)"
        " VALUES ('photosorter-person-1-abcd1234', 'Chloé', 0)"
    )
    conn.execute(
        "INSERT INTO cloud_person_faces (face_id, user_id) VALUES ('f-1', 'photosorter-person-1-abcd1234')"
    )


SEEDS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _seed_v1,
    3: _seed_v3,
    4: _seed_v4,
    6: _seed_v6,
    7: _seed_v7,
    9: _seed_v9,
    10: _seed_v10,
    schema.STEPS.index(v11_marks_albums.migrate) + 1: _seed_marks,
    schema.STEPS.index(v12_video_analysis.migrate) + 1: _seed_video_analysis,
    13: _seed_rotation,
    14: _seed_xmp,
    schema.STEPS.index(v15_cloud_library.migrate) + 1: _seed_cloud,
}

PAST_VERSIONS = range(1, schema.SCHEMA_VERSION)


def build_past_catalog(path: Path, version: int) -> None:
    """A catalog as the app of ``version`` left it: its steps run, then its rows written (triggers live)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for step in schema.STEPS[:version]:
        step(conn)
    conn.execute(f"PRAGMA user_version = {version}")
    for introduced, seed in SEEDS.items():
        if introduced <= version:
            seed(conn)
    conn.execute("COMMIT")
    conn.close()


def _schema_rows(conn: sqlite3.Connection) -> list[tuple]:
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    return sorted(
        (kind, name, table, re.sub(r"\s+", " ", sql or "").strip()) for kind, name, table, sql in rows
    )


# -- the search index: how it is read and rebuilt (the parts to change when the index changes) -----------
def _index_snapshot(catalog: Catalog) -> set[tuple]:
    """What the index answers: every (kind, key, photo, score) posting of a visible photo."""
    from photosorter.core.catalog.search_index import snapshot

    return snapshot(catalog)


def _rebuild_index(catalog: Catalog) -> None:
    from photosorter.core.catalog import search_store

    search_store.rebuild(catalog)


# ---------------------------------------------------------------------------------------------------------


def _new_catalog_schema(tmp_path: Path) -> list[tuple]:
    with Catalog(tmp_path / "new.sqlite3") as catalog:
        return _schema_rows(catalog.connection())


@pytest.mark.parametrize("version", PAST_VERSIONS)
def test_a_past_catalog_with_data_upgrades_to_exactly_a_new_catalog(tmp_path: Path, version: int) -> None:
    path = tmp_path / f"v{version}.sqlite3"
    build_past_catalog(path, version)
    with sqlite3.connect(path) as conn:
        rows_before = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("photos", "faces")
        }

    with Catalog(path) as catalog:
        conn = catalog.connection()
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert catalog.integrity_check() == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in rows_before
        } == rows_before
        assert _schema_rows(conn) == _new_catalog_schema(tmp_path)
        upgraded = _index_snapshot(catalog)
        assert upgraded, "the fixture's photos must be indexed"
        _rebuild_index(catalog)
        assert _index_snapshot(catalog) == upgraded


def test_the_fixtures_hold_rows_in_every_table_of_their_version(tmp_path: Path) -> None:
    """So the upgrade test exercises data, not empty tables (the search index is derived, not seeded)."""
    for version in range(1, schema.SCHEMA_VERSION + 1):
        path = tmp_path / f"v{version}.sqlite3"
        build_past_catalog(path, version)
        with sqlite3.connect(path) as conn:
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
                    " AND name NOT LIKE 'search%' AND name != 'sqlite_sequence'"
                )
            ]
            empty = [t for t in tables if conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 0]
        assert empty == [], f"v{version}: no fixture rows in {empty} — add them to SEEDS"


def test_frozen_steps_do_not_import_code_that_may_change() -> None:
    """A step built from live code would give old and new catalogs different schemas."""
    folder = Path(schema.__file__).parent / "migrations"
    allowed = {"__future__", "sqlite3", "photosorter.core.catalog.sqlscript"}
    for module in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {node.module or ""}
            else:
                continue
            assert names <= allowed, f"{module.name} imports {names - allowed}"
    steps = [step.__module__ for step in schema.STEPS]
    assert all(name.startswith("photosorter.core.catalog.migrations.") for name in steps), steps
