"""The SQL side of search: resolving words to index entries, running a query plan, counts for the sidebar.

Every user value arrives here as a parameter or as an FTS5 query string built
from escaped tokens (``core/search/text.py``); the SQL text is assembled only
from fixed fragments chosen by the plan's shape.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from photosorter.core.catalog import search_lists, search_plan
from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.paths import from_db
from photosorter.core.catalog.search_plan import Plan, Source, marks, run_plan

__all__ = ["Plan", "Source", "run_plan", "run_plan_ids"]


def run_plan_ids(catalog: Catalog, plan: Plan) -> list[int]:
    """Photo ids in result order, for the gallery (which wants all of them)."""
    ids = search_lists.run_ids(catalog.connection(), plan)
    return ids if ids is not None else search_plan.run_plan_ids(catalog, plan)


# -- resolving words ----------------------------------------------------------------------------------
def match_terms(catalog: Catalog, fts_query: str, kinds: Sequence[str]) -> list[tuple[int, int]]:
    """(term id, photo count) of index terms of these kinds whose words match the FTS5 query."""
    rows = catalog.connection().execute(
        f"SELECT t.id, t.photos FROM search_terms_fts f JOIN search_terms t ON t.id = f.rowid"
        f" WHERE search_terms_fts MATCH ? AND t.kind IN ({marks(kinds)}) AND t.photos > 0",
        (fts_query, *kinds),
    )
    return rows.fetchall()


def terms_of_kind(catalog: Catalog, kind: str) -> list[tuple[int, str, int]]:
    """(id, key, photos) of every term of one kind (face counts, flags)."""
    rows = catalog.connection().execute(
        "SELECT id, key, photos FROM search_terms WHERE kind = ? AND photos > 0", (kind,)
    )
    return rows.fetchall()


def term_of(catalog: Catalog, kind: str, key: str) -> tuple[int, int] | None:
    row = (
        catalog.connection()
        .execute("SELECT id, photos FROM search_terms WHERE kind = ? AND key = ?", (kind, key))
        .fetchone()
    )
    return (row[0], row[1]) if row else None


def has_match(catalog: Catalog, table: str, fts_query: str) -> bool:
    """Whether an FTS query matches anything (lets a one-list query skip a union)."""
    assert table in ("search_text", "search_paths")
    sql = f"SELECT 1 FROM {table} WHERE {table} MATCH ? LIMIT 1"
    return catalog.connection().execute(sql, (fts_query,)).fetchone() is not None


# -- explaining hits (one query per query term, for all hits at once) ----------------------------------
Reason = tuple[str, str, float, str | None]


def _chunks(photo_ids: Sequence[int]) -> list[list[int]]:
    return [list(photo_ids[start : start + 500]) for start in range(0, len(photo_ids), 500)]


def posting_reasons(catalog: Catalog, photo_ids: Sequence[int], term_ids: Sequence[int]) -> dict[int, Reason]:
    """Per photo, the best (kind, display, score, source) among these terms."""
    best: dict[int, Reason] = {}
    for chunk in _chunks(photo_ids):
        rows = catalog.connection().execute(
            "SELECT q.photo_id, t.kind, t.display, q.score, q.source FROM search_postings q"
            f" JOIN search_terms t ON t.id = q.term_id WHERE q.term_id IN ({marks(term_ids)})"
            f" AND q.photo_id IN ({marks(chunk)}) ORDER BY q.score DESC",
            (*term_ids, *chunk),
        )
        for photo_id, *reason in rows:
            best.setdefault(photo_id, tuple(reason))
    return best


def text_reasons(catalog: Catalog, photo_ids: Sequence[int], fts_query: str) -> dict[int, str]:
    """Per photo, its most confident detected line that matches the FTS query."""
    best: dict[int, str] = {}
    for chunk in _chunks(photo_ids):
        rows = catalog.connection().execute(
            # from the photos to their lines (CROSS JOIN keeps that order), tested against the matching
            # line ids: the lines that match can be thousands, the photos asked about are a page
            "SELECT p.id, x.text FROM photos p CROSS JOIN search_text_rows r ON r.hash = p.hash"
            f" JOIN search_text x ON x.rowid = r.id WHERE p.id IN ({marks(chunk)})"
            " AND r.id IN (SELECT rowid FROM search_text WHERE search_text MATCH ?)"
            " ORDER BY r.confidence DESC",
            (*chunk, fts_query),
        )
        for photo_id, line in rows:
            best.setdefault(photo_id, line)
    return best


def path_matches(catalog: Catalog, photo_ids: Sequence[int], fts_query: str) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(photo_ids):
        rows = catalog.connection().execute(
            f"SELECT rowid FROM search_paths WHERE search_paths MATCH ? AND rowid IN ({marks(chunk)})",
            (fts_query, *chunk),
        )
        found.update(row[0] for row in rows)
    return found


def photo_paths(catalog: Catalog, photo_ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    conn = catalog.connection()
    for start in range(0, len(photo_ids), 500):
        chunk = list(photo_ids[start : start + 500])
        for photo_id, path in conn.execute(
            f"SELECT id, path FROM photos WHERE id IN ({marks(chunk)})", chunk
        ):
            found[photo_id] = from_db(path)
    return found


# -- counts and completions for the sidebar and the search bar ------------------------------------------
def term_counts(catalog: Catalog, kind: str) -> list[tuple[str, int]]:
    """(display, photos) of every term of a kind with visible photos, most photos first (index-only)."""
    return (
        catalog.connection()
        .execute(
            "SELECT display, photos FROM search_terms WHERE kind = ? AND photos > 0"
            " ORDER BY photos DESC, display",
            (kind,),
        )
        .fetchall()
    )


def label_categories(catalog: Catalog) -> dict[str, str]:
    """The categories JSON of each label name (one row per name, through the labels_name index)."""
    rows = catalog.connection().execute(
        "SELECT t.display, (SELECT l.categories FROM labels l WHERE l.name = t.display LIMIT 1)"
        " FROM search_terms t WHERE t.kind = 'label' AND t.photos > 0"
    )
    return {name: categories or "[]" for name, categories in rows}


def complete_terms(catalog: Catalog, fts_query: str, kinds: Sequence[str], limit: int) -> list[str]:
    return [
        row[0]
        for row in catalog.connection().execute(
            "SELECT t.display FROM search_terms_fts f JOIN search_terms t ON t.id = f.rowid"
            f" WHERE search_terms_fts MATCH ? AND t.kind IN ({marks(kinds)}) AND t.photos > 0"
            " ORDER BY t.photos DESC, t.display LIMIT ?",
            (fts_query, *kinds, limit),
        )
    ]


def is_fts_error(error: sqlite3.Error) -> bool:
    """FTS5 rejects some queries (e.g. too complex); the caller turns that into a SearchError."""
    return isinstance(error, sqlite3.OperationalError) and "fts5" in str(error).lower()
