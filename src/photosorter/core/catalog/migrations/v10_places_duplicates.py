"""Schema step v10: a photo's place by name, and a perceptual hash per content for near-duplicates.

- ``photos.place_*``: the town, region, country and country code of the photo's GPS position, looked
  up offline (core/places.py). ``place_code`` NULL means "not looked up yet" for a photo with GPS,
  '' means "looked up: no town near" (mid-ocean). A frozen step cannot call Python, so every photo
  with GPS starts unlooked-up and the app fills them in on open (a few seconds per 100,000). A change
  of position, by any writer, makes the place unlooked-up again, here in SQL, so no writer can
  leave a stale place behind.
- ``perceptual_hashes``: a 64-bit DCT hash of each content's thumbnail, for near-duplicates
  (resized, re-saved, lightly edited copies). Keyed by content like analysis; filled at scan, and
  for an older catalog from the cached thumbnails.

Frozen text: never edit it; a change is a new step.
"""

from __future__ import annotations

import sqlite3

from photosorter.core.catalog.sqlscript import run_script

SQL = """
ALTER TABLE photos ADD COLUMN place_city TEXT;
ALTER TABLE photos ADD COLUMN place_region TEXT;
ALTER TABLE photos ADD COLUMN place_country TEXT;
ALTER TABLE photos ADD COLUMN place_code TEXT;
CREATE INDEX photos_place_pending ON photos(id)
    WHERE place_code IS NULL AND latitude IS NOT NULL AND longitude IS NOT NULL;
CREATE INDEX photos_place ON photos(place_code, place_region, place_city) WHERE place_code <> '';

CREATE TRIGGER places_photos_moved AFTER UPDATE OF latitude, longitude ON photos
WHEN OLD.latitude IS NOT NEW.latitude OR OLD.longitude IS NOT NEW.longitude
BEGIN
    UPDATE photos SET place_city = NULL, place_region = NULL, place_country = NULL, place_code = NULL
    WHERE id = NEW.id;
END;

CREATE TRIGGER search_stale_photos_place AFTER UPDATE OF place_city, place_region, place_country, place_code
ON photos
WHEN OLD.place_city IS NOT NEW.place_city OR OLD.place_region IS NOT NEW.place_region
    OR OLD.place_country IS NOT NEW.place_country OR OLD.place_code IS NOT NEW.place_code
BEGIN
    INSERT INTO search_stale (hash, photo_id) VALUES (OLD.hash, OLD.id);
END;

-- phash: the 64 bits as a signed integer (SQLite's INTEGER)
CREATE TABLE perceptual_hashes (
    hash TEXT PRIMARY KEY,
    phash INTEGER NOT NULL
) WITHOUT ROWID;
"""


def migrate(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
