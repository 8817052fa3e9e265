"""Schema step v12: when each thing analysis found in a video is seen, and the keyframes of an unfinished
video analysis.

- ``video_moments``: a video's labels, faces, text lines and moderation labels are stored like a
  photo's (one row per content in ``labels``, ``faces``, ...), so search, people and the gallery use
  them unchanged; this table adds when: one row per time range, with the best confidence in it.
  ``key`` is the label, moderation or celebrity name, the text line, or the face's ``idx``.
- ``video_frames``: each keyframe's answer as it arrives, so a run killed half-way through a long
  video resumes at the next keyframe instead of paying for the finished ones again. ``versions``
  names the features and model versions the frame was analyzed for; the rows go once the video's
  result is stored.

Neither table feeds the search index (moments are read for a page of hits), so no stale triggers.

Frozen text: never edit a released step; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
        CREATE TABLE video_moments (
            hash TEXT NOT NULL,
            backend TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('label', 'face', 'text', 'moderation', 'celebrity')),
            key TEXT NOT NULL,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER NOT NULL,
            confidence REAL NOT NULL,
            -- the keyframe it is seen best in; a face's is the frame its box and crop come from
            best_ms INTEGER,
            PRIMARY KEY (hash, backend, kind, key, start_ms)
        ) WITHOUT ROWID;

        CREATE TABLE video_frames (
            hash TEXT NOT NULL,
            backend TEXT NOT NULL,
            t_ms INTEGER NOT NULL,
            until_ms INTEGER NOT NULL,
            versions TEXT NOT NULL,
            result TEXT NOT NULL,
            PRIMARY KEY (hash, backend, t_ms)
        ) WITHOUT ROWID;
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
