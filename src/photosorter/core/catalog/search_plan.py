"""Running a search plan: each query term's source of photos, combined into one ranked id list.

The SQL text is assembled only from fixed fragments chosen by the plan's shape;
every value is a parameter, FTS5 strings come built from escaped tokens.
Posting lists are read in the order their index stores them (score, then date)
so that most plans need no sort, and big id lists cross into Python as one JSON
array rather than a row each.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from photosorter.core.catalog.database import Catalog
from photosorter.core.catalog.search_derive import VISIBLE

PATH_SCORE = 60.0
# older SQLite has no MATERIALIZED hint (3.35): still right, but scores are then computed twice
_MATERIALIZED = "MATERIALIZED " if sqlite3.sqlite_version_info >= (3, 35) else ""


@dataclass(frozen=True, slots=True)
class Source:
    """What one query term matches: posting terms, text lines, paths, dates; any of them."""

    term_ids: tuple[int, ...] = ()
    text_fts: str | None = None  # FTS5 query on detected text
    path_fts: str | None = None  # FTS5 query on folder/name
    dates: tuple[tuple[str | None, str | None], ...] = ()  # [start, end) ranges on taken_at
    scoring: bool = True
    estimate: int = 0  # photos it may match, to pick the cheapest driver


@dataclass(frozen=True, slots=True)
class Plan:
    positive: tuple[Source, ...]
    negative: tuple[Source, ...]


def marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _date_sql(dates: tuple[tuple[str | None, str | None], ...], column: str) -> tuple[str, list[str]]:
    parts, params = [], []
    for start, end in dates:
        conds = [f"{column} IS NOT NULL"]
        if start is not None:
            conds.append(f"{column} >= ?")
            params.append(start)
        if end is not None:
            conds.append(f"{column} < ?")
            params.append(end)
        parts.append("(" + " AND ".join(conds) + ")")
    return "(" + " OR ".join(parts or ["0"]) + ")", params


def _rows_sql(source: Source) -> tuple[str, list[object]]:
    """(photo_id, s, taken_at) rows, possibly repeated per photo."""
    parts: list[str] = []
    params: list[object] = []
    if source.term_ids:
        parts.append(
            "SELECT photo_id, score AS s, taken_at FROM search_postings"
            f" WHERE term_id IN ({marks(source.term_ids)})"
        )
        params += source.term_ids
    if source.text_fts is not None:
        parts.append(
            "SELECT p.id AS photo_id, r.confidence AS s, p.taken_at AS taken_at FROM search_text x"
            " JOIN search_text_rows r ON r.id = x.rowid"
            f" JOIN photos p ON p.hash = r.hash WHERE search_text MATCH ? AND p.state IN {VISIBLE}"
        )
        params.append(source.text_fts)
    if source.path_fts is not None:
        parts.append(
            f"SELECT p.id AS photo_id, {PATH_SCORE if source.scoring else 0.0} AS s, p.taken_at AS taken_at"
            " FROM search_paths x"
            f" JOIN photos p ON p.id = x.rowid WHERE search_paths MATCH ? AND p.state IN {VISIBLE}"
        )
        params.append(source.path_fts)
    if source.dates:
        where, date_params = _date_sql(source.dates, "taken_at")
        parts.append(
            f"SELECT id AS photo_id, 0.0 AS s, taken_at FROM photos WHERE state IN {VISIBLE} AND {where}"
        )
        params += date_params
    if not parts:
        return "SELECT NULL AS photo_id, NULL AS s, NULL AS taken_at WHERE 0", []
    return " UNION ALL ".join(parts), params


def _one_list(source: Source) -> bool:
    return (
        len(source.term_ids) == 1 and source.text_fts is None and source.path_fts is None and not source.dates
    )


def _driver_sql(source: Source | None) -> tuple[str, list[object]]:
    if source is None:
        return f"SELECT id AS photo_id, 0.0 AS s, taken_at FROM photos WHERE state IN {VISIBLE}", []
    if _one_list(source):
        # one posting list: the rank index already holds it in result order
        return (
            "SELECT photo_id, score AS s, taken_at FROM search_postings WHERE term_id = ?",
            [source.term_ids[0]],
        )
    if source.dates and not source.term_ids and source.text_fts is None and source.path_fts is None:
        where, params = _date_sql(source.dates, "taken_at")
        return (
            f"SELECT id AS photo_id, 0.0 AS s, taken_at FROM photos WHERE state IN {VISIBLE} AND {where}",
            [*params],
        )
    rows, params = _rows_sql(source)
    if source.path_fts is not None and not source.term_ids and source.text_fts is None and not source.dates:
        # one row per photo already (the path index is keyed by photo id): grouping would only cost a sort
        return rows, params
    return f"SELECT photo_id, max(s) AS s, taken_at FROM ({rows}) GROUP BY photo_id", params


def _membership_sql(source: Source) -> tuple[str, list[object]]:
    """A boolean expression on m.photo_id / m.taken_at: the photo is in the source's set."""
    parts: list[str] = []
    params: list[object] = []
    if source.term_ids:
        parts.append(
            "EXISTS (SELECT 1 FROM search_postings q WHERE q.photo_id = m.photo_id"
            f" AND q.term_id IN ({marks(source.term_ids)}))"
        )
        params += source.term_ids
    if source.text_fts is not None:
        parts.append(
            "m.photo_id IN (SELECT p.id FROM search_text x JOIN search_text_rows r ON r.id = x.rowid"
            " JOIN photos p ON p.hash = r.hash WHERE search_text MATCH ?)"
        )
        params.append(source.text_fts)
    if source.path_fts is not None:
        parts.append("m.photo_id IN (SELECT rowid FROM search_paths WHERE search_paths MATCH ?)")
        params.append(source.path_fts)
    if source.dates:
        where, date_params = _date_sql(source.dates, "m.taken_at")
        parts.append(where)
        params += date_params
    return "(" + " OR ".join(parts or ["0"]) + ")", params


def _score_sql(source: Source) -> tuple[str, list[object]]:
    """The best score this source gives photo m, or -1."""
    parts: list[str] = []
    params: list[object] = []
    if source.term_ids:
        parts.append(
            "(SELECT max(q.score) FROM search_postings q WHERE q.photo_id = m.photo_id"
            f" AND q.term_id IN ({marks(source.term_ids)}))"
        )
        params += source.term_ids
    if source.text_fts is not None:
        parts.append(
            "(SELECT max(r.confidence) FROM search_text_rows r WHERE r.hash = (SELECT hash FROM photos"
            " WHERE id = m.photo_id) AND r.id IN (SELECT rowid FROM search_text WHERE search_text MATCH ?))"
        )
        params.append(source.text_fts)
    if source.path_fts is not None:
        parts.append(
            f"(SELECT {PATH_SCORE} WHERE m.photo_id IN"
            " (SELECT rowid FROM search_paths WHERE search_paths MATCH ?))"
        )
        params.append(source.path_fts)
    if not parts:
        return "-1", []
    return "max(-1, " + ", ".join(f"coalesce({p}, -1)" for p in parts) + ")", params


def _plan_sql(plan: Plan, *, ids_only: bool) -> tuple[str, list[object]]:
    """The query for a plan: (photo id, summed score, taken_at) or (photo id,), in result order."""
    positive = list(plan.positive)
    driver = None
    if positive:
        scoring = [s for s in positive if s.scoring] or positive
        driver = min(scoring, key=lambda s: s.estimate)
        positive.remove(driver)
    driver_sql, driver_params = _driver_sql(driver)
    columns = ["m.photo_id", "m.s", "m.taken_at"]
    score_parts: list[str] = ["s"]
    where: list[str] = []
    column_params: list[object] = []
    joins: list[str] = []
    join_params: list[object] = []
    where_params: list[object] = []
    for n, source in enumerate(positive):
        if source.scoring and _one_list(source):
            # an inner join on the posting's primary key is both the filter and the score
            joins.append(f" JOIN search_postings q{n} ON q{n}.term_id = ? AND q{n}.photo_id = m.photo_id")
            join_params.append(source.term_ids[0])
            columns.append(f"q{n}.score AS x{n}")
            score_parts.append(f"x{n}")
        elif source.scoring:
            # computed once per row: the materialized step below must not re-run it for ORDER BY
            expr, expr_params = _score_sql(source)
            columns.append(f"({expr}) AS x{n}")
            column_params += expr_params
            score_parts.append(f"x{n}")
        else:
            expr, expr_params = _membership_sql(source)
            where.append(expr)
            where_params += expr_params
    for source in plan.negative:
        expr, expr_params = _membership_sql(source)
        where.append(f"NOT {expr}")
        where_params += expr_params
    params = column_params + driver_params + join_params + where_params
    inner = f"SELECT {', '.join(columns)} FROM ({driver_sql}) m{''.join(joins)}" + (
        " WHERE " + " AND ".join(where) if where else ""
    )
    if len(score_parts) > 1:
        total = " + ".join(score_parts)
        found = " AND ".join(f"{part} >= 0" for part in score_parts[1:])
        head = "photo_id" if ids_only else f"photo_id, {total} AS total, taken_at"
        sql = (
            f"WITH c AS {_MATERIALIZED}({inner}) SELECT {head} FROM c WHERE {found}"
            f" ORDER BY {total} DESC, taken_at DESC, photo_id DESC"
        )
        return sql, params
    ranked = driver is not None and (
        driver.term_ids or driver.text_fts is not None or driver.path_fts is not None
    )
    # a single posting list is already stored in this order; all-zero scores: date order from the index
    order = "m.s DESC, " if ranked else ""
    head = "m.photo_id" if ids_only else "m.photo_id, m.s AS total, m.taken_at"
    sql = f"SELECT {head} FROM ({driver_sql}) m" + (" WHERE " + " AND ".join(where) if where else "")
    return sql + f" ORDER BY {order}m.taken_at DESC, m.photo_id DESC", driver_params + where_params


def run_plan(catalog: Catalog, plan: Plan, limit: int | None = None) -> list[tuple]:
    """(photo id, summed score, taken_at), best first, then newest first."""
    merged = _merged_sql(plan) if limit is not None else None
    if merged is not None:
        # a photo is at most once per posting list, so limit x lists rows hold the first `limit` photos
        # (a text list can repeat a photo per line: then too few photos come back, and the plan runs whole)
        sql, params, arms = merged
        rows = catalog.connection().execute(f"{sql} LIMIT ?", [*params, limit * arms]).fetchall()
        best: dict[int, tuple] = {}
        for row in rows:
            best.setdefault(row[0], row)
        if len(best) >= limit or len(rows) < limit * arms:
            return list(best.values())[:limit]
    sql, params = _plan_sql(plan, ids_only=False)
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return catalog.connection().execute(sql, params).fetchall()


def _merged_sql(plan: Plan) -> tuple[str, list[object], int] | None:
    """One source made of several ranked lists, as a merge of those lists in result order.

    Each list comes straight from an index in (score, date) order and SQLite merges them without a
    sort; a photo in several lists comes first at its best score, so the caller keeps first sightings.
    """
    if len(plan.positive) != 1 or plan.positive[0].dates:
        return None
    source = plan.positive[0]
    arms: list[tuple[str, list[object]]] = [
        ("SELECT photo_id, score AS s, taken_at FROM search_postings WHERE term_id = ?", [term_id])
        for term_id in source.term_ids
    ]
    if source.text_fts is not None:
        arms.append(_rows_sql(Source(text_fts=source.text_fts)))
    if source.path_fts is not None:
        arms.append(_rows_sql(Source(path_fts=source.path_fts, scoring=source.scoring)))
    if len(arms) < 2:
        return None
    where: list[str] = []
    where_params: list[object] = []
    for negative in plan.negative:
        expr, expr_params = _membership_sql(negative)
        where.append(f"NOT {expr}")
        where_params += expr_params
    parts, params = [], []
    for arm_sql, arm_params in arms:
        if where:
            arm_sql = f"SELECT m.photo_id, m.s, m.taken_at FROM ({arm_sql}) m WHERE {' AND '.join(where)}"
        parts.append(arm_sql)
        params += arm_params + where_params
    return " UNION ALL ".join(parts) + " ORDER BY 2 DESC, 3 DESC, 1 DESC", params, len(parts)


def decode_ints(text: str) -> np.ndarray:
    """A JSON array of integers, as SQLite's json_group_array writes it, parsed in C (3x json.loads)."""
    return np.fromstring(text[1:-1], dtype=np.int64, sep=",")


def _ids(catalog: Catalog, sql: str, params: list[object]) -> list[int]:
    # one JSON array instead of a row per photo: tens of thousands of ids arrive twice as fast
    row = catalog.connection().execute(f"SELECT json_group_array(photo_id) FROM ({sql})", params).fetchone()
    return decode_ints(row[0]).tolist()


def run_plan_ids(catalog: Catalog, plan: Plan) -> list[int]:
    """Photo ids in result order, all in SQL (``search_lists.run_ids`` runs most plans faster)."""
    excluded: set[int] = set()
    lists = [n for n in plan.negative if n.text_fts is None and n.path_fts is None and not n.dates]
    if plan.positive and len(lists) == len(plan.negative):
        # excluding posting lists: one read of each list beats a lookup per candidate photo
        term_ids = [term_id for n in lists for term_id in n.term_ids]
        if term_ids:
            sql = f"SELECT photo_id FROM search_postings WHERE term_id IN ({marks(term_ids)})"
            excluded = set(_ids(catalog, sql, term_ids))
        plan = Plan(plan.positive, ())
    merged = _merged_sql(plan)
    if merged is not None:
        ids = list(dict.fromkeys(_ids(catalog, *merged[:2])))
    else:
        ids = _ids(catalog, *_plan_sql(plan, ids_only=True))
    return [photo_id for photo_id in ids if photo_id not in excluded] if excluded else ids
