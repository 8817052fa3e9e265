# ruff: noqa: E501, W293
"""Schema step v2: the search index, with its triggers, built for the rows already in the catalog.

Frozen text: the statements version 2 ran when it was released (its two parameterized inserts now
written with literal values), so a catalog upgraded today gets byte for byte the tables, indexes and
triggers that catalogs created then hold (lines are long and some end in spaces because that is how
SQLite stored them). Never edit it: a change to the search index is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

# search_postings' indexes are dropped by BACKFILL and built again after the bulk load
TABLES = """
CREATE TABLE search_terms (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    display TEXT NOT NULL,
    body TEXT NOT NULL,
    photos INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, key)
);
CREATE INDEX search_terms_count ON search_terms(kind, photos);
CREATE VIRTUAL TABLE search_terms_fts USING fts5(body, content='', tokenize='unicode61 remove_diacritics 2');

-- grp says which refresh owns a row: labels, text, faces or dup
CREATE TABLE search_postings (
    term_id INTEGER NOT NULL,
    photo_id INTEGER NOT NULL,
    grp TEXT NOT NULL,
    score REAL NOT NULL,
    taken_at TEXT,
    source TEXT,
    PRIMARY KEY (term_id, photo_id)
) WITHOUT ROWID;

CREATE INDEX search_postings_rank ON search_postings(term_id, score DESC, taken_at DESC, photo_id DESC);
CREATE INDEX search_postings_photo ON search_postings(photo_id, grp);


CREATE TABLE search_text_rows (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    backend TEXT NOT NULL,
    line INTEGER NOT NULL,
    confidence REAL NOT NULL,
    UNIQUE (hash, backend, line)
);
CREATE VIRTUAL TABLE search_text USING fts5(text, tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE search_paths USING fts5(folder, name, tokenize='unicode61 remove_diacritics 2');

CREATE TABLE search_face_words (attr TEXT NOT NULL, value TEXT NOT NULL, word TEXT NOT NULL);

-- the gallery's default order, for visible photos only, without a sort
CREATE INDEX search_photos_visible ON photos(taken_at DESC, id DESC) WHERE state IN ('ok', 'offline');
CREATE INDEX search_photos_path_order ON photos(path);
"""

# indexes the rows already in the catalog: labels, text, faces, people, cameras, paths, duplicates
BACKFILL = """
        DELETE FROM search_postings;
        DROP INDEX search_postings_rank;
        DROP INDEX search_postings_photo;
        DELETE FROM search_terms;
        DELETE FROM search_text_rows;
        DELETE FROM search_text;
        DELETE FROM search_paths;
        DELETE FROM search_face_words;
        INSERT INTO search_terms_fts (search_terms_fts) VALUES ('delete-all');
        DROP TABLE IF EXISTS temp.search_derived;
        CREATE TEMP TABLE search_derived (
            hash TEXT, grp TEXT, kind TEXT, key TEXT, score REAL, source TEXT, display TEXT, body TEXT
        );
        
INSERT INTO search_face_words (attr, value, word) VALUES
    ('smile', '1', 'smiling'),
    ('smile', '1', 'smile'),
    ('eyeglasses', '1', 'eyeglasses'),
    ('eyeglasses', '1', 'glasses'),
    ('sunglasses', '1', 'sunglasses'),
    ('beard', '1', 'beard'),
    ('mustache', '1', 'mustache'),
    ('mustache', '1', 'moustache'),
    ('gender', 'female', 'female'),
    ('gender', 'male', 'male');
INSERT INTO search_terms (kind, key, display, body) VALUES
    ('has', 'text', 'has:text', ''),
    ('has', 'faces', 'has:faces', ''),
    ('is', 'duplicate', 'is:duplicate', ''),
    ('is', 'unnamed', 'is:unnamed', '');

        INSERT OR IGNORE INTO search_terms (kind, key, display, body)
        SELECT 'person', CAST(id AS TEXT), name, name FROM people;
        
        INSERT INTO temp.search_derived (hash, grp, kind, key, score, source, display, body)
        SELECT hash, 'labels', kind, key, score, source, display, body FROM (
            SELECT l.hash, 'label' AS kind, lower(l.name) AS key, l.confidence AS score, l.name AS source,
                   l.name AS display, l.name || ' ' || (CASE WHEN l.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN l.aliases = '[]' THEN '[]' WHEN json_valid(l.aliases) THEN l.aliases ELSE '[]' END))), '') END) AS body
              FROM labels l WHERE 1
            UNION ALL
            SELECT l.hash, 'label', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.parents = '[]' THEN '[]' WHEN json_valid(l.parents) THEN l.parents ELSE '[]' END)) j
             WHERE 1 AND j.type = 'text'
            UNION ALL
            SELECT l.hash, 'category', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.categories = '[]' THEN '[]' WHEN json_valid(l.categories) THEN l.categories ELSE '[]' END)) j
             WHERE 1 AND j.type = 'text')
         WHERE key IS NOT NULL AND hash IS NOT NULL;
        INSERT INTO temp.search_derived (hash, grp, kind, key, score, source, display, body)
        SELECT hash, 'text', kind, key, score, source, display, body FROM (
            SELECT t.hash, 'has' AS kind, 'text' AS key, 0.0 AS score, NULL AS source, 'text' AS display,
                   'text' AS body
              FROM text_lines t WHERE 1 GROUP BY t.hash)
         WHERE key IS NOT NULL AND hash IS NOT NULL;
        INSERT INTO temp.search_derived (hash, grp, kind, key, score, source, display, body)
        SELECT hash, 'faces', kind, key, score, source, display, body FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE 1
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE 1
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE 1 AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE 1
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE 1 AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE 1 AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0)
         WHERE key IS NOT NULL AND hash IS NOT NULL;
        CREATE INDEX temp.search_derived_hash ON search_derived(hash);
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, min(display), group_concat(DISTINCT body) FROM temp.search_derived WHERE 1
         GROUP BY kind, key
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, d.grp, max(d.score), p.taken_at, d.source
          FROM temp.search_derived d
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
          JOIN photos p ON p.hash = d.hash
         WHERE p.state IN ('ok', 'offline')
         GROUP BY t.id, p.id;
        DROP TABLE temp.search_derived;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'dup', 0.0, p.taken_at, NULL FROM photos p, search_terms t
         WHERE t.kind = 'is' AND t.key = 'duplicate' AND p.state IN ('ok', 'offline') AND p.hash IN (
               SELECT hash FROM photos WHERE state IN ('ok', 'offline') AND hash IS NOT NULL
                GROUP BY hash HAVING count(*) > 1);
        INSERT INTO search_text_rows (hash, backend, line, confidence)
        SELECT hash, backend, line, confidence FROM text_lines;
        INSERT INTO search_text (rowid, text)
        SELECT r.id, t.text FROM text_lines t JOIN search_text_rows r
            ON r.hash = t.hash AND r.backend = t.backend AND r.line = t.line;
        INSERT INTO search_paths (rowid, folder, name) SELECT photos.id, CASE WHEN typeof(photos.path) = 'text' AND substr(photos.path, -length(photos.name)) = photos.name THEN substr(photos.path, 1, length(photos.path) - length(photos.name)) ELSE CAST(photos.path AS TEXT) END, photos.name FROM photos;
        INSERT OR IGNORE INTO search_terms (kind, key, display, body)
        SELECT 'camera', lower(c), c, c FROM (SELECT DISTINCT trim(coalesce(photos.camera_make, '') || ' ' || coalesce(photos.camera_model, '')) AS c FROM photos)
         WHERE c != '';
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'camera', 0.0, p.taken_at, NULL FROM photos p
          JOIN search_terms t ON t.kind = 'camera' AND t.key = lower(trim(coalesce(p.camera_make, '') || ' ' || coalesce(p.camera_model, '')))
         WHERE p.state IN ('ok', 'offline') ORDER BY t.id, p.id;
        UPDATE search_terms
           SET photos = (SELECT count(*) FROM search_postings WHERE term_id = search_terms.id);
        INSERT INTO search_terms_fts (rowid, body) SELECT id, body FROM search_terms;
        
CREATE INDEX search_postings_rank ON search_postings(term_id, score DESC, taken_at DESC, photo_id DESC);
CREATE INDEX search_postings_photo ON search_postings(photo_id, grp);
"""

# keep the index in step with every later write, inside the writer's transaction
TRIGGERS = """CREATE TRIGGER search_labels_insert AFTER INSERT ON labels BEGIN INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
        SELECT 'label' AS kind, lower(NEW.name) AS key, NEW.confidence AS score, NEW.name AS source,
               NEW.name AS display, NEW.name || ' ' || (CASE WHEN NEW.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN NEW.aliases = '[]' THEN '[]' WHEN json_valid(NEW.aliases) THEN NEW.aliases ELSE '[]' END))), '') END) AS body
        UNION ALL
        SELECT 'label', lower(j.value), NEW.confidence, NEW.name, j.value, j.value
          FROM json_each((CASE WHEN NEW.parents = '[]' THEN '[]' WHEN json_valid(NEW.parents) THEN NEW.parents ELSE '[]' END)) j WHERE j.type = 'text'
        UNION ALL
        SELECT 'category', lower(j.value), NEW.confidence, NEW.name, j.value, j.value
          FROM json_each((CASE WHEN NEW.categories = '[]' THEN '[]' WHEN json_valid(NEW.categories) THEN NEW.categories ELSE '[]' END)) j WHERE j.type = 'text') WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'labels', d.score, p.taken_at, d.source
          FROM (
        SELECT 'label' AS kind, lower(NEW.name) AS key, NEW.confidence AS score, NEW.name AS source,
               NEW.name AS display, NEW.name || ' ' || (CASE WHEN NEW.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN NEW.aliases = '[]' THEN '[]' WHEN json_valid(NEW.aliases) THEN NEW.aliases ELSE '[]' END))), '') END) AS body
        UNION ALL
        SELECT 'label', lower(j.value), NEW.confidence, NEW.name, j.value, j.value
          FROM json_each((CASE WHEN NEW.parents = '[]' THEN '[]' WHEN json_valid(NEW.parents) THEN NEW.parents ELSE '[]' END)) j WHERE j.type = 'text'
        UNION ALL
        SELECT 'category', lower(j.value), NEW.confidence, NEW.name, j.value, j.value
          FROM json_each((CASE WHEN NEW.categories = '[]' THEN '[]' WHEN json_valid(NEW.categories) THEN NEW.categories ELSE '[]' END)) j WHERE j.type = 'text') d
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
          JOIN photos p ON p.hash = NEW.hash
         WHERE p.state IN ('ok', 'offline')
        ON CONFLICT (term_id, photo_id) DO UPDATE SET score = excluded.score, source = excluded.source
         WHERE excluded.score > score;
END;
CREATE TRIGGER search_labels_delete AFTER DELETE ON labels BEGIN DELETE FROM search_postings WHERE term_id IN (SELECT t.id FROM (
        SELECT 'label' AS kind, lower(OLD.name) AS key, OLD.confidence AS score, OLD.name AS source,
               OLD.name AS display, OLD.name || ' ' || (CASE WHEN OLD.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN OLD.aliases = '[]' THEN '[]' WHEN json_valid(OLD.aliases) THEN OLD.aliases ELSE '[]' END))), '') END) AS body
        UNION ALL
        SELECT 'label', lower(j.value), OLD.confidence, OLD.name, j.value, j.value
          FROM json_each((CASE WHEN OLD.parents = '[]' THEN '[]' WHEN json_valid(OLD.parents) THEN OLD.parents ELSE '[]' END)) j WHERE j.type = 'text'
        UNION ALL
        SELECT 'category', lower(j.value), OLD.confidence, OLD.name, j.value, j.value
          FROM json_each((CASE WHEN OLD.categories = '[]' THEN '[]' WHEN json_valid(OLD.categories) THEN OLD.categories ELSE '[]' END)) j WHERE j.type = 'text') d JOIN search_terms t ON t.kind = d.kind AND t.key = d.key)
           AND photo_id IN (SELECT id FROM photos WHERE hash = OLD.hash);
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'labels', max(d.score), p.taken_at, d.source
          FROM (
            SELECT l.hash, 'label' AS kind, lower(l.name) AS key, l.confidence AS score, l.name AS source,
                   l.name AS display, l.name || ' ' || (CASE WHEN l.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN l.aliases = '[]' THEN '[]' WHEN json_valid(l.aliases) THEN l.aliases ELSE '[]' END))), '') END) AS body
              FROM labels l WHERE l.hash = OLD.hash
            UNION ALL
            SELECT l.hash, 'label', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.parents = '[]' THEN '[]' WHEN json_valid(l.parents) THEN l.parents ELSE '[]' END)) j
             WHERE l.hash = OLD.hash AND j.type = 'text'
            UNION ALL
            SELECT l.hash, 'category', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.categories = '[]' THEN '[]' WHEN json_valid(l.categories) THEN l.categories ELSE '[]' END)) j
             WHERE l.hash = OLD.hash AND j.type = 'text') d
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
          JOIN photos p ON p.hash = OLD.hash
         WHERE p.state IN ('ok', 'offline') AND t.id IN (SELECT t.id FROM (
        SELECT 'label' AS kind, lower(OLD.name) AS key, OLD.confidence AS score, OLD.name AS source,
               OLD.name AS display, OLD.name || ' ' || (CASE WHEN OLD.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN OLD.aliases = '[]' THEN '[]' WHEN json_valid(OLD.aliases) THEN OLD.aliases ELSE '[]' END))), '') END) AS body
        UNION ALL
        SELECT 'label', lower(j.value), OLD.confidence, OLD.name, j.value, j.value
          FROM json_each((CASE WHEN OLD.parents = '[]' THEN '[]' WHEN json_valid(OLD.parents) THEN OLD.parents ELSE '[]' END)) j WHERE j.type = 'text'
        UNION ALL
        SELECT 'category', lower(j.value), OLD.confidence, OLD.name, j.value, j.value
          FROM json_each((CASE WHEN OLD.categories = '[]' THEN '[]' WHEN json_valid(OLD.categories) THEN OLD.categories ELSE '[]' END)) j WHERE j.type = 'text') d JOIN search_terms t ON t.kind = d.kind AND t.key = d.key)
         GROUP BY t.id, p.id;
END;
CREATE TRIGGER search_labels_update AFTER UPDATE ON labels BEGIN DELETE FROM search_postings WHERE term_id IN (SELECT t.id FROM (
        SELECT 'label' AS kind, lower(OLD.name) AS key, OLD.confidence AS score, OLD.name AS source,
               OLD.name AS display, OLD.name || ' ' || (CASE WHEN OLD.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN OLD.aliases = '[]' THEN '[]' WHEN json_valid(OLD.aliases) THEN OLD.aliases ELSE '[]' END))), '') END) AS body
        UNION ALL
        SELECT 'label', lower(j.value), OLD.confidence, OLD.name, j.value, j.value
          FROM json_each((CASE WHEN OLD.parents = '[]' THEN '[]' WHEN json_valid(OLD.parents) THEN OLD.parents ELSE '[]' END)) j WHERE j.type = 'text'
        UNION ALL
        SELECT 'category', lower(j.value), OLD.confidence, OLD.name, j.value, j.value
          FROM json_each((CASE WHEN OLD.categories = '[]' THEN '[]' WHEN json_valid(OLD.categories) THEN OLD.categories ELSE '[]' END)) j WHERE j.type = 'text') d JOIN search_terms t ON t.kind = d.kind AND t.key = d.key)
           AND photo_id IN (SELECT id FROM photos WHERE hash = OLD.hash);
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'labels', max(d.score), p.taken_at, d.source
          FROM (
            SELECT l.hash, 'label' AS kind, lower(l.name) AS key, l.confidence AS score, l.name AS source,
                   l.name AS display, l.name || ' ' || (CASE WHEN l.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN l.aliases = '[]' THEN '[]' WHEN json_valid(l.aliases) THEN l.aliases ELSE '[]' END))), '') END) AS body
              FROM labels l WHERE l.hash = OLD.hash
            UNION ALL
            SELECT l.hash, 'label', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.parents = '[]' THEN '[]' WHEN json_valid(l.parents) THEN l.parents ELSE '[]' END)) j
             WHERE l.hash = OLD.hash AND j.type = 'text'
            UNION ALL
            SELECT l.hash, 'category', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.categories = '[]' THEN '[]' WHEN json_valid(l.categories) THEN l.categories ELSE '[]' END)) j
             WHERE l.hash = OLD.hash AND j.type = 'text') d
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
          JOIN photos p ON p.hash = OLD.hash
         WHERE p.state IN ('ok', 'offline') AND t.id IN (SELECT t.id FROM (
        SELECT 'label' AS kind, lower(OLD.name) AS key, OLD.confidence AS score, OLD.name AS source,
               OLD.name AS display, OLD.name || ' ' || (CASE WHEN OLD.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN OLD.aliases = '[]' THEN '[]' WHEN json_valid(OLD.aliases) THEN OLD.aliases ELSE '[]' END))), '') END) AS body
        UNION ALL
        SELECT 'label', lower(j.value), OLD.confidence, OLD.name, j.value, j.value
          FROM json_each((CASE WHEN OLD.parents = '[]' THEN '[]' WHEN json_valid(OLD.parents) THEN OLD.parents ELSE '[]' END)) j WHERE j.type = 'text'
        UNION ALL
        SELECT 'category', lower(j.value), OLD.confidence, OLD.name, j.value, j.value
          FROM json_each((CASE WHEN OLD.categories = '[]' THEN '[]' WHEN json_valid(OLD.categories) THEN OLD.categories ELSE '[]' END)) j WHERE j.type = 'text') d JOIN search_terms t ON t.kind = d.kind AND t.key = d.key)
         GROUP BY t.id, p.id;
        
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
        SELECT 'label' AS kind, lower(NEW.name) AS key, NEW.confidence AS score, NEW.name AS source,
               NEW.name AS display, NEW.name || ' ' || (CASE WHEN NEW.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN NEW.aliases = '[]' THEN '[]' WHEN json_valid(NEW.aliases) THEN NEW.aliases ELSE '[]' END))), '') END) AS body
        UNION ALL
        SELECT 'label', lower(j.value), NEW.confidence, NEW.name, j.value, j.value
          FROM json_each((CASE WHEN NEW.parents = '[]' THEN '[]' WHEN json_valid(NEW.parents) THEN NEW.parents ELSE '[]' END)) j WHERE j.type = 'text'
        UNION ALL
        SELECT 'category', lower(j.value), NEW.confidence, NEW.name, j.value, j.value
          FROM json_each((CASE WHEN NEW.categories = '[]' THEN '[]' WHEN json_valid(NEW.categories) THEN NEW.categories ELSE '[]' END)) j WHERE j.type = 'text') WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'labels', d.score, p.taken_at, d.source
          FROM (
        SELECT 'label' AS kind, lower(NEW.name) AS key, NEW.confidence AS score, NEW.name AS source,
               NEW.name AS display, NEW.name || ' ' || (CASE WHEN NEW.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN NEW.aliases = '[]' THEN '[]' WHEN json_valid(NEW.aliases) THEN NEW.aliases ELSE '[]' END))), '') END) AS body
        UNION ALL
        SELECT 'label', lower(j.value), NEW.confidence, NEW.name, j.value, j.value
          FROM json_each((CASE WHEN NEW.parents = '[]' THEN '[]' WHEN json_valid(NEW.parents) THEN NEW.parents ELSE '[]' END)) j WHERE j.type = 'text'
        UNION ALL
        SELECT 'category', lower(j.value), NEW.confidence, NEW.name, j.value, j.value
          FROM json_each((CASE WHEN NEW.categories = '[]' THEN '[]' WHEN json_valid(NEW.categories) THEN NEW.categories ELSE '[]' END)) j WHERE j.type = 'text') d
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
          JOIN photos p ON p.hash = NEW.hash
         WHERE p.state IN ('ok', 'offline')
        ON CONFLICT (term_id, photo_id) DO UPDATE SET score = excluded.score, source = excluded.source
         WHERE excluded.score > score;
END;
CREATE TRIGGER search_text_insert AFTER INSERT ON text_lines BEGIN INSERT OR REPLACE INTO search_text_rows (hash, backend, line, confidence)
        VALUES (NEW.hash, NEW.backend, NEW.line, NEW.confidence);
        INSERT INTO search_text (rowid, text) VALUES ((SELECT id FROM search_text_rows WHERE hash = NEW.hash AND backend = NEW.backend AND line = NEW.line), NEW.text);
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT (SELECT id FROM search_terms WHERE kind = 'has' AND key = 'text'), p.id, 'text', 0.0, p.taken_at, NULL FROM photos p
         WHERE p.hash = NEW.hash AND p.state IN ('ok', 'offline')
        ON CONFLICT (term_id, photo_id) DO NOTHING;
END;
CREATE TRIGGER search_text_delete AFTER DELETE ON text_lines BEGIN DELETE FROM search_text WHERE rowid = (SELECT id FROM search_text_rows WHERE hash = OLD.hash AND backend = OLD.backend AND line = OLD.line);
        DELETE FROM search_text_rows WHERE hash = OLD.hash AND backend = OLD.backend AND line = OLD.line;
        DELETE FROM search_postings WHERE term_id = (SELECT id FROM search_terms WHERE kind = 'has' AND key = 'text')
           AND photo_id IN (SELECT id FROM photos WHERE hash = OLD.hash)
           AND NOT EXISTS (SELECT 1 FROM text_lines WHERE hash = OLD.hash);
END;
CREATE TRIGGER search_text_update AFTER UPDATE ON text_lines BEGIN DELETE FROM search_text WHERE rowid = (SELECT id FROM search_text_rows WHERE hash = OLD.hash AND backend = OLD.backend AND line = OLD.line);
        DELETE FROM search_text_rows WHERE hash = OLD.hash AND backend = OLD.backend AND line = OLD.line;
        INSERT OR REPLACE INTO search_text_rows (hash, backend, line, confidence)
        VALUES (NEW.hash, NEW.backend, NEW.line, NEW.confidence);
        INSERT INTO search_text (rowid, text) VALUES ((SELECT id FROM search_text_rows WHERE hash = NEW.hash AND backend = NEW.backend AND line = NEW.line), NEW.text);
        DELETE FROM search_postings WHERE term_id = (SELECT id FROM search_terms WHERE kind = 'has' AND key = 'text')
           AND photo_id IN (SELECT id FROM photos WHERE hash = OLD.hash)
           AND NOT EXISTS (SELECT 1 FROM text_lines WHERE hash = OLD.hash);
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT (SELECT id FROM search_terms WHERE kind = 'has' AND key = 'text'), p.id, 'text', 0.0, p.taken_at, NULL FROM photos p
         WHERE p.hash = NEW.hash AND p.state IN ('ok', 'offline')
        ON CONFLICT (term_id, photo_id) DO NOTHING;
END;
CREATE TRIGGER search_faces_insert AFTER INSERT ON faces BEGIN DELETE FROM search_postings WHERE grp = 'faces' AND photo_id IN (SELECT p.id FROM photos p
         WHERE p.hash = NEW.hash);
        
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = NEW.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = NEW.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'faces', max(d.score), p.taken_at, d.source
          FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = NEW.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = NEW.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE p.hash = NEW.hash AND p.state IN ('ok', 'offline')
         GROUP BY t.id, p.id;
END;
CREATE TRIGGER search_faces_delete AFTER DELETE ON faces BEGIN DELETE FROM search_postings WHERE grp = 'faces' AND photo_id IN (SELECT p.id FROM photos p
         WHERE p.hash = OLD.hash);
        
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = OLD.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = OLD.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = OLD.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = OLD.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = OLD.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = OLD.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'faces', max(d.score), p.taken_at, d.source
          FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = OLD.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = OLD.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = OLD.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = OLD.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = OLD.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = OLD.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE p.hash = OLD.hash AND p.state IN ('ok', 'offline')
         GROUP BY t.id, p.id;
END;
CREATE TRIGGER search_faces_update AFTER UPDATE OF hash, person_id, attributes ON faces BEGIN DELETE FROM search_postings WHERE grp = 'faces' AND photo_id IN (SELECT p.id FROM photos p
         WHERE p.hash = OLD.hash);
        
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = OLD.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = OLD.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = OLD.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = OLD.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = OLD.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = OLD.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'faces', max(d.score), p.taken_at, d.source
          FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = OLD.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = OLD.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = OLD.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = OLD.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = OLD.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = OLD.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE p.hash = OLD.hash AND p.state IN ('ok', 'offline')
         GROUP BY t.id, p.id;
    
        DELETE FROM search_postings WHERE grp = 'faces' AND photo_id IN (SELECT p.id FROM photos p
         WHERE p.hash = NEW.hash);
        
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = NEW.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = NEW.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'faces', max(d.score), p.taken_at, d.source
          FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = NEW.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = NEW.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE p.hash = NEW.hash AND p.state IN ('ok', 'offline')
         GROUP BY t.id, p.id;
END;
CREATE TRIGGER search_people_insert AFTER INSERT ON people BEGIN INSERT OR IGNORE INTO search_terms (kind, key, display, body) VALUES ('person', CAST(NEW.id AS TEXT), NEW.name, NEW.name);
END;
CREATE TRIGGER search_people_rename AFTER UPDATE OF name ON people BEGIN UPDATE search_terms SET display = NEW.name, body = NEW.name WHERE kind = 'person' AND key = CAST(NEW.id AS TEXT);UPDATE search_postings SET source = NEW.name WHERE term_id = (SELECT id FROM search_terms WHERE kind = 'person' AND key = CAST(NEW.id AS TEXT));
END;
CREATE TRIGGER search_people_delete AFTER DELETE ON people BEGIN DELETE FROM search_postings WHERE term_id = (SELECT id FROM search_terms WHERE kind = 'person' AND key = CAST(OLD.id AS TEXT));DELETE FROM search_terms WHERE kind = 'person' AND key = CAST(OLD.id AS TEXT);
END;
CREATE TRIGGER search_photos_insert AFTER INSERT ON photos BEGIN INSERT INTO search_paths (rowid, folder, name) SELECT NEW.id, CASE WHEN typeof(NEW.path) = 'text' AND substr(NEW.path, -length(NEW.name)) = NEW.name THEN substr(NEW.path, 1, length(NEW.path) - length(NEW.name)) ELSE CAST(NEW.path AS TEXT) END, NEW.name;
END;
CREATE TRIGGER search_photos_insert_content AFTER INSERT ON photos WHEN NEW.state IN ('ok', 'offline') AND (EXISTS (SELECT 1 FROM labels WHERE hash = NEW.hash) OR EXISTS (SELECT 1 FROM text_lines WHERE hash = NEW.hash) OR EXISTS (SELECT 1 FROM faces WHERE hash = NEW.hash)) BEGIN DELETE FROM search_postings WHERE grp = 'labels' AND photo_id IN (SELECT p.id FROM photos p
         WHERE p.id = NEW.id);
        
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
            SELECT l.hash, 'label' AS kind, lower(l.name) AS key, l.confidence AS score, l.name AS source,
                   l.name AS display, l.name || ' ' || (CASE WHEN l.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN l.aliases = '[]' THEN '[]' WHEN json_valid(l.aliases) THEN l.aliases ELSE '[]' END))), '') END) AS body
              FROM labels l WHERE l.hash = NEW.hash
            UNION ALL
            SELECT l.hash, 'label', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.parents = '[]' THEN '[]' WHEN json_valid(l.parents) THEN l.parents ELSE '[]' END)) j
             WHERE l.hash = NEW.hash AND j.type = 'text'
            UNION ALL
            SELECT l.hash, 'category', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.categories = '[]' THEN '[]' WHEN json_valid(l.categories) THEN l.categories ELSE '[]' END)) j
             WHERE l.hash = NEW.hash AND j.type = 'text') WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'labels', max(d.score), p.taken_at, d.source
          FROM (
            SELECT l.hash, 'label' AS kind, lower(l.name) AS key, l.confidence AS score, l.name AS source,
                   l.name AS display, l.name || ' ' || (CASE WHEN l.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN l.aliases = '[]' THEN '[]' WHEN json_valid(l.aliases) THEN l.aliases ELSE '[]' END))), '') END) AS body
              FROM labels l WHERE l.hash = NEW.hash
            UNION ALL
            SELECT l.hash, 'label', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.parents = '[]' THEN '[]' WHEN json_valid(l.parents) THEN l.parents ELSE '[]' END)) j
             WHERE l.hash = NEW.hash AND j.type = 'text'
            UNION ALL
            SELECT l.hash, 'category', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.categories = '[]' THEN '[]' WHEN json_valid(l.categories) THEN l.categories ELSE '[]' END)) j
             WHERE l.hash = NEW.hash AND j.type = 'text') d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE p.id = NEW.id AND p.state IN ('ok', 'offline')
         GROUP BY t.id, p.id;
    
        DELETE FROM search_postings WHERE grp = 'text' AND photo_id IN (SELECT p.id FROM photos p
         WHERE p.id = NEW.id);
        
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
            SELECT t.hash, 'has' AS kind, 'text' AS key, 0.0 AS score, NULL AS source, 'text' AS display,
                   'text' AS body
              FROM text_lines t WHERE t.hash = NEW.hash GROUP BY t.hash) WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'text', max(d.score), p.taken_at, d.source
          FROM (
            SELECT t.hash, 'has' AS kind, 'text' AS key, 0.0 AS score, NULL AS source, 'text' AS display,
                   'text' AS body
              FROM text_lines t WHERE t.hash = NEW.hash GROUP BY t.hash) d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE p.id = NEW.id AND p.state IN ('ok', 'offline')
         GROUP BY t.id, p.id;
    
        DELETE FROM search_postings WHERE grp = 'faces' AND photo_id IN (SELECT p.id FROM photos p
         WHERE p.id = NEW.id);
        
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = NEW.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = NEW.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'faces', max(d.score), p.taken_at, d.source
          FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = NEW.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = NEW.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE p.id = NEW.id AND p.state IN ('ok', 'offline')
         GROUP BY t.id, p.id;
END;
CREATE TRIGGER search_photos_insert_camera AFTER INSERT ON photos WHEN NEW.state IN ('ok', 'offline') AND trim(coalesce(NEW.camera_make, '') || ' ' || coalesce(NEW.camera_model, '')) != '' BEGIN DELETE FROM search_postings WHERE grp = 'camera' AND photo_id = NEW.id;
        INSERT INTO search_terms (kind, key, display, body)
        SELECT 'camera', lower(c), c, c FROM (SELECT trim(coalesce(NEW.camera_make, '') || ' ' || coalesce(NEW.camera_model, '')) AS c) WHERE c != ''
        ON CONFLICT (kind, key) DO NOTHING;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, NEW.id, 'camera', 0.0, NEW.taken_at, NULL FROM search_terms t
         WHERE t.kind = 'camera' AND t.key = lower(trim(coalesce(NEW.camera_make, '') || ' ' || coalesce(NEW.camera_model, ''))) AND NEW.state IN ('ok', 'offline');
END;
CREATE TRIGGER search_photos_insert_duplicate AFTER INSERT ON photos WHEN NEW.state IN ('ok', 'offline') AND NEW.hash IS NOT NULL BEGIN DELETE FROM search_postings WHERE grp = 'dup'
           AND photo_id IN (SELECT id FROM photos WHERE hash = NEW.hash);
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'dup', 0.0, p.taken_at, NULL FROM photos p, search_terms t
         WHERE p.hash = NEW.hash AND p.state IN ('ok', 'offline') AND t.kind = 'is' AND t.key = 'duplicate'
           AND (SELECT count(*) FROM photos q WHERE q.hash = NEW.hash AND q.state IN ('ok', 'offline')) > 1;
END;
CREATE TRIGGER search_photos_visibility AFTER UPDATE OF hash, state, taken_at ON photos WHEN OLD.hash IS NOT NEW.hash OR OLD.taken_at IS NOT NEW.taken_at OR (OLD.state IN ('ok', 'offline')) IS NOT (NEW.state IN ('ok', 'offline')) BEGIN DELETE FROM search_postings WHERE grp = 'dup'
           AND photo_id IN (SELECT id FROM photos WHERE hash = OLD.hash);
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'dup', 0.0, p.taken_at, NULL FROM photos p, search_terms t
         WHERE p.hash = OLD.hash AND p.state IN ('ok', 'offline') AND t.kind = 'is' AND t.key = 'duplicate'
           AND (SELECT count(*) FROM photos q WHERE q.hash = OLD.hash AND q.state IN ('ok', 'offline')) > 1;
    
        DELETE FROM search_postings WHERE grp = 'dup'
           AND photo_id IN (SELECT id FROM photos WHERE hash = NEW.hash);
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'dup', 0.0, p.taken_at, NULL FROM photos p, search_terms t
         WHERE p.hash = NEW.hash AND p.state IN ('ok', 'offline') AND t.kind = 'is' AND t.key = 'duplicate'
           AND (SELECT count(*) FROM photos q WHERE q.hash = NEW.hash AND q.state IN ('ok', 'offline')) > 1;
    
        DELETE FROM search_postings WHERE grp = 'camera' AND photo_id = NEW.id;
        INSERT INTO search_terms (kind, key, display, body)
        SELECT 'camera', lower(c), c, c FROM (SELECT trim(coalesce(NEW.camera_make, '') || ' ' || coalesce(NEW.camera_model, '')) AS c) WHERE c != ''
        ON CONFLICT (kind, key) DO NOTHING;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, NEW.id, 'camera', 0.0, NEW.taken_at, NULL FROM search_terms t
         WHERE t.kind = 'camera' AND t.key = lower(trim(coalesce(NEW.camera_make, '') || ' ' || coalesce(NEW.camera_model, ''))) AND NEW.state IN ('ok', 'offline');
END;
CREATE TRIGGER search_photos_visibility_content AFTER UPDATE OF hash, state, taken_at ON photos WHEN (OLD.hash IS NOT NEW.hash OR OLD.taken_at IS NOT NEW.taken_at OR (OLD.state IN ('ok', 'offline')) IS NOT (NEW.state IN ('ok', 'offline'))) AND ((EXISTS (SELECT 1 FROM labels WHERE hash = OLD.hash) OR EXISTS (SELECT 1 FROM text_lines WHERE hash = OLD.hash) OR EXISTS (SELECT 1 FROM faces WHERE hash = OLD.hash)) OR (EXISTS (SELECT 1 FROM labels WHERE hash = NEW.hash) OR EXISTS (SELECT 1 FROM text_lines WHERE hash = NEW.hash) OR EXISTS (SELECT 1 FROM faces WHERE hash = NEW.hash))) BEGIN DELETE FROM search_postings WHERE grp = 'labels' AND photo_id IN (SELECT p.id FROM photos p
         WHERE p.id = NEW.id);
        
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
            SELECT l.hash, 'label' AS kind, lower(l.name) AS key, l.confidence AS score, l.name AS source,
                   l.name AS display, l.name || ' ' || (CASE WHEN l.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN l.aliases = '[]' THEN '[]' WHEN json_valid(l.aliases) THEN l.aliases ELSE '[]' END))), '') END) AS body
              FROM labels l WHERE l.hash = NEW.hash
            UNION ALL
            SELECT l.hash, 'label', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.parents = '[]' THEN '[]' WHEN json_valid(l.parents) THEN l.parents ELSE '[]' END)) j
             WHERE l.hash = NEW.hash AND j.type = 'text'
            UNION ALL
            SELECT l.hash, 'category', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.categories = '[]' THEN '[]' WHEN json_valid(l.categories) THEN l.categories ELSE '[]' END)) j
             WHERE l.hash = NEW.hash AND j.type = 'text') WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'labels', max(d.score), p.taken_at, d.source
          FROM (
            SELECT l.hash, 'label' AS kind, lower(l.name) AS key, l.confidence AS score, l.name AS source,
                   l.name AS display, l.name || ' ' || (CASE WHEN l.aliases = '[]' THEN '' ELSE coalesce((SELECT group_concat(value, ' ') FROM json_each((CASE WHEN l.aliases = '[]' THEN '[]' WHEN json_valid(l.aliases) THEN l.aliases ELSE '[]' END))), '') END) AS body
              FROM labels l WHERE l.hash = NEW.hash
            UNION ALL
            SELECT l.hash, 'label', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.parents = '[]' THEN '[]' WHEN json_valid(l.parents) THEN l.parents ELSE '[]' END)) j
             WHERE l.hash = NEW.hash AND j.type = 'text'
            UNION ALL
            SELECT l.hash, 'category', lower(j.value), l.confidence, l.name, j.value, j.value
              FROM labels l, json_each((CASE WHEN l.categories = '[]' THEN '[]' WHEN json_valid(l.categories) THEN l.categories ELSE '[]' END)) j
             WHERE l.hash = NEW.hash AND j.type = 'text') d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE p.id = NEW.id AND p.state IN ('ok', 'offline')
         GROUP BY t.id, p.id;
    
        DELETE FROM search_postings WHERE grp = 'text' AND photo_id IN (SELECT p.id FROM photos p
         WHERE p.id = NEW.id);
        
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
            SELECT t.hash, 'has' AS kind, 'text' AS key, 0.0 AS score, NULL AS source, 'text' AS display,
                   'text' AS body
              FROM text_lines t WHERE t.hash = NEW.hash GROUP BY t.hash) WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'text', max(d.score), p.taken_at, d.source
          FROM (
            SELECT t.hash, 'has' AS kind, 'text' AS key, 0.0 AS score, NULL AS source, 'text' AS display,
                   'text' AS body
              FROM text_lines t WHERE t.hash = NEW.hash GROUP BY t.hash) d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE p.id = NEW.id AND p.state IN ('ok', 'offline')
         GROUP BY t.id, p.id;
    
        DELETE FROM search_postings WHERE grp = 'faces' AND photo_id IN (SELECT p.id FROM photos p
         WHERE p.id = NEW.id);
        
        INSERT INTO search_terms (kind, key, display, body)
        SELECT kind, key, display, body FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = NEW.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = NEW.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) WHERE key IS NOT NULL
        ON CONFLICT (kind, key) DO UPDATE SET body = body || ' ' || excluded.body
         WHERE instr(body, excluded.body) = 0;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'faces', max(d.score), p.taken_at, d.source
          FROM (
            SELECT f.hash, 'person' AS kind, CAST(f.person_id AS TEXT) AS key, 100.0 AS score,
                   pe.name AS source, pe.name AS display, pe.name AS body
              FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'has', 'faces', 0.0, NULL, 'faces', 'faces' FROM faces f
             WHERE f.hash = NEW.hash
            UNION ALL
            SELECT f.hash, 'is', 'unnamed', 0.0, NULL, 'unnamed', 'unnamed' FROM faces f
             WHERE f.hash = NEW.hash AND f.person_id IS NULL
            UNION ALL
            SELECT hash, 'faces', CAST(max(n) AS TEXT), 0.0, NULL, CAST(max(n) AS TEXT), '' FROM (
                SELECT f.hash, count(*) AS n FROM faces f WHERE f.hash = NEW.hash
                 GROUP BY f.hash, f.backend) GROUP BY hash
            UNION ALL
            SELECT f.hash, 'face', w.word, (CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.confidence'), json_extract(a.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, w.word, w.word
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a
              JOIN search_face_words w ON w.attr = lower(a.key)
               AND w.value = (CASE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) WHEN 'true' THEN '1' WHEN 'false' THEN '0' ELSE lower(CASE WHEN a.type = 'object' THEN coalesce(json_extract(a.value, '$.value'), json_extract(a.value, '$.Value')) ELSE a.atom END) END)
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object'
            UNION ALL
            SELECT f.hash, 'face', lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END), NULL, lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))), lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type')))
              FROM faces f, json_each((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) a,
                   json_each(CASE WHEN a.type = 'array' THEN a.value ELSE '[]' END) e
             WHERE f.hash = NEW.hash AND json_type((CASE WHEN f.attributes = '{}' THEN '{}' WHEN json_valid(f.attributes) THEN f.attributes ELSE '{}' END)) = 'object' AND lower(a.key) = 'emotions'
               AND e.type = 'object' AND lower(coalesce(json_extract(e.value, '$.type'), json_extract(e.value, '$.Type'))) IS NOT NULL
               AND (CASE WHEN e.type = 'object' THEN coalesce(json_extract(e.value, '$.confidence'), json_extract(e.value, '$.Confidence'), f.confidence) ELSE f.confidence END) >= 50.0) d
          JOIN photos p ON p.hash = d.hash
          JOIN search_terms t ON t.kind = d.kind AND t.key = d.key
         WHERE p.id = NEW.id AND p.state IN ('ok', 'offline')
         GROUP BY t.id, p.id;
END;
CREATE TRIGGER search_photos_path AFTER UPDATE OF path, name ON photos WHEN OLD.path IS NOT NEW.path OR OLD.name IS NOT NEW.name BEGIN DELETE FROM search_paths WHERE rowid = OLD.id;INSERT INTO search_paths (rowid, folder, name) SELECT NEW.id, CASE WHEN typeof(NEW.path) = 'text' AND substr(NEW.path, -length(NEW.name)) = NEW.name THEN substr(NEW.path, 1, length(NEW.path) - length(NEW.name)) ELSE CAST(NEW.path AS TEXT) END, NEW.name;
END;
CREATE TRIGGER search_photos_camera AFTER UPDATE OF camera_make, camera_model ON photos WHEN (OLD.camera_make IS NOT NEW.camera_make OR OLD.camera_model IS NOT NEW.camera_model) AND NOT (OLD.hash IS NOT NEW.hash OR OLD.taken_at IS NOT NEW.taken_at OR (OLD.state IN ('ok', 'offline')) IS NOT (NEW.state IN ('ok', 'offline'))) BEGIN DELETE FROM search_postings WHERE grp = 'camera' AND photo_id = NEW.id;
        INSERT INTO search_terms (kind, key, display, body)
        SELECT 'camera', lower(c), c, c FROM (SELECT trim(coalesce(NEW.camera_make, '') || ' ' || coalesce(NEW.camera_model, '')) AS c) WHERE c != ''
        ON CONFLICT (kind, key) DO NOTHING;
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, NEW.id, 'camera', 0.0, NEW.taken_at, NULL FROM search_terms t
         WHERE t.kind = 'camera' AND t.key = lower(trim(coalesce(NEW.camera_make, '') || ' ' || coalesce(NEW.camera_model, ''))) AND NEW.state IN ('ok', 'offline');
END;
CREATE TRIGGER search_photos_delete AFTER DELETE ON photos BEGIN DELETE FROM search_paths WHERE rowid = OLD.id;DELETE FROM search_postings WHERE photo_id = OLD.id;
        DELETE FROM search_postings WHERE grp = 'dup'
           AND photo_id IN (SELECT id FROM photos WHERE hash = OLD.hash);
        INSERT INTO search_postings (term_id, photo_id, grp, score, taken_at, source)
        SELECT t.id, p.id, 'dup', 0.0, p.taken_at, NULL FROM photos p, search_terms t
         WHERE p.hash = OLD.hash AND p.state IN ('ok', 'offline') AND t.kind = 'is' AND t.key = 'duplicate'
           AND (SELECT count(*) FROM photos q WHERE q.hash = OLD.hash AND q.state IN ('ok', 'offline')) > 1;
END;
CREATE TRIGGER search_postings_count_insert AFTER INSERT ON search_postings BEGIN UPDATE search_terms SET photos = photos + 1 WHERE id = NEW.term_id;
END;
CREATE TRIGGER search_postings_count_delete AFTER DELETE ON search_postings BEGIN UPDATE search_terms SET photos = photos - 1 WHERE id = OLD.term_id;
END;
CREATE TRIGGER search_terms_fts_insert AFTER INSERT ON search_terms BEGIN INSERT INTO search_terms_fts (rowid, body) VALUES (NEW.id, NEW.body);
END;
CREATE TRIGGER search_terms_fts_update AFTER UPDATE OF body ON search_terms BEGIN INSERT INTO search_terms_fts (search_terms_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);INSERT INTO search_terms_fts (rowid, body) VALUES (NEW.id, NEW.body);
END;
CREATE TRIGGER search_terms_fts_delete AFTER DELETE ON search_terms BEGIN INSERT INTO search_terms_fts (search_terms_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);
END;"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, TABLES)
    run_script(conn, BACKFILL)
    run_script(conn, TRIGGERS)
