"""What the search index derives from the catalog's rows, as SQL shared by the rebuild and the triggers.

Only fixed SQL fragments live here: the statements read columns of the
catalog's own tables (or a trigger's ``NEW``/``OLD`` row), never user input.
"""

from __future__ import annotations

VISIBLE = "('ok', 'offline')"

# Face attribute values that become searchable words: (attribute, value, word).
FACE_WORDS = (
    ("smile", "1", "smiling"),
    ("smile", "1", "smile"),
    ("eyeglasses", "1", "eyeglasses"),
    ("eyeglasses", "1", "glasses"),
    ("sunglasses", "1", "sunglasses"),
    ("beard", "1", "beard"),
    ("mustache", "1", "mustache"),
    ("mustache", "1", "moustache"),
    ("gender", "female", "female"),
    ("gender", "male", "male"),
)
EMOTION_MIN_CONFIDENCE = 50.0


def guard(column: str, empty: str) -> str:
    """JSON written by others is trusted only once it parses."""
    # most rows hold the empty value: no need to parse it twice
    valid = f"WHEN json_valid({column}) THEN {column}"
    return f"(CASE WHEN {column} = '{empty}' THEN '{empty}' {valid} ELSE '{empty}' END)"


def derived(group: str, where_hash: str) -> str:
    """(hash, kind, key, score, source, display, body) rows a refresh of ``group`` derives."""
    if group == "labels":
        aliases = _words("l.aliases")
        return f"""
            SELECT l.hash, 'label' AS kind, lower(l.name) AS key, l.confidence AS score, l.name AS source,
                   l.name AS display, l.name || ' ' || {aliases} AS body
              FROM labels l WHERE {where_hash.format(t="l")}
            UNION ALL
            SELECT l.hash, 'label', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each({guard("l.parents", "[]")}) j
             WHERE {where_hash.format(t="l")} AND j.type = 'text'
            UNION ALL
            SELECT l.hash, 'category', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each({guard("l.categories", "[]")}) j
             WHERE {where_hash.format(t="l")} AND j.type = 'text'"""
    if group == "text":
        return f"""
            SELECT t.hash, 'has' AS kind, 'text' AS key, 0.0 AS score, NULL AS source, 'text' AS display,
                   'text' AS body
              FROM text_lines t WHERE {where_hash.format(t="t")} GROUP BY t.hash"""
    if group == "faces":
        attrs = guard("f.attributes", "{}")
        value = (
            "lower(CASE WHEN a.type = 'object'"
            " THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value'))"
            " ELSE a.atom END)"
        )
        conf = (
            "(CASE WHEN {v}.type = 'object'"
            " THEN coalesce(json_extract({v}.value, '$.confidence'), json_extract({v}.value, '$.Confidence'),"
            " f.confidence) ELSE f.confidence END)"
        )
        emotion = "lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))"
        return f"""
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE {where_hash.format(t="f")}
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE {where_hash.format(t="f")}
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE {where_hash.format(t="f")} AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE {where_hash.format(t="f")}
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, {conf.format(v="a")}, NULL, w.word, w.word
              FROM faces f, json_each({attrs}) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE {value} WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE {value} END)
             WHERE {where_hash.format(t="f")} AND json_type({attrs}) = 'object'
            UNION ALL
            SELECT f.hash, 'face', {emotion}, {conf.format(v="e")}, NULL, {emotion}, {emotion}
              FROM faces f, json_each({attrs}) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE {where_hash.format(t="f")} AND json_type({attrs}) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND {emotion} IS NOT NULL
               AND {conf.format(v="e")} >= {EMOTION_MIN_CONFIDENCE}"""
    raise ValueError(group)


def camera(row: str) -> str:
    """A photo's camera as one phrase (``Canon EOS 5D``), '' when unknown."""
    return f"trim(coalesce({row}.camera_make, '') || ' ' || coalesce({row}.camera_model, ''))"


def path_row(row: str) -> str:
    folder = (
        f"CASE WHEN typeof({row}.path) = 'text' AND substr({row}.path, -length({row}.name)) = {row}.name "
        f"THEN substr({row}.path, 1, length({row}.path) - length({row}.name))"
        f" ELSE CAST({row}.path AS TEXT) END"
    )
    return f"{row}.id, {folder}, {row}.name"


def _words(column: str) -> str:
    """The strings of a JSON list, space-separated ('' for none)."""
    joined = f"(SELECT group_concat(value, ' ') FROM json_each({guard(column, '[]')}))"
    return f"(CASE WHEN {column} = '[]' THEN '' ELSE coalesce({joined}, '') END)"


def label_rows(row: str) -> str:
    """(kind, key, score, source, display, body) one label row derives, from a trigger's NEW or OLD."""
    aliases = _words(row + ".aliases")
    return f"""
        SELECT 'label' AS kind, lower({row}.name) AS key, {row}.confidence AS score, {row}.name AS source,
               {row}.name AS display, {row}.name || ' ' || {aliases} AS body
        UNION ALL
        SELECT 'label', lower(j.value), {row}.confidence, {row}.name, j.value, j.value
          FROM json_each({guard(row + ".parents", "[]")}) j WHERE j.type = 'text'
        UNION ALL
        SELECT 'category', lower(j.value), {row}.confidence, {row}.name, j.value, j.value
          FROM json_each({guard(row + ".categories", "[]")}) j WHERE j.type = 'text'"""
