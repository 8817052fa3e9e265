"""The cloud library's shared contract: S3 keys, DynamoDB items and the change feed.

Both sides read this module: the Lambda function (packaged with nothing but boto3, so this file imports
only the standard library) and the desktop (which imports it from the installed package). One table holds
every kind of item, keyed by ``pk``:

* ``result#<content hash>`` — what Rekognition said about one analysis image. ``state`` is
  ``analyzing`` while a function holds the claim (``claimed_until``), then ``done`` or ``failed``.
  ``responses`` is gzip'd JSON of ``{feature: Rekognition response}`` — the same responses the direct
  ``rekognition`` backend converts, so a device stores a cloud result exactly as a direct one;
  ``versions`` names each feature's model version.
* ``person#<user_id>`` — a name given on some device: the Rekognition user in the shared collection and
  the FaceIds associated with it. ``deleted`` marks a forgotten person (kept as a tombstone so the other
  devices learn it at their next sync).
* ``meta#library`` — the library's settings every device must agree on (collection id, schema).

Every item that devices must learn about carries ``feed = "changes"`` and ``seq``, the time of its last
write in microseconds. The ``changes`` global secondary index (partition ``feed``, sort ``seq``) is the
change feed: a device asks for ``seq > cursor`` and never scans the table. Writers' clocks and the index's
eventual consistency mean an item can appear with a ``seq`` a little below one already read, so a device
re-reads a short settle window below its cursor (``SETTLE_US``) and imports idempotently (an item whose
``seq`` it already has is skipped).
"""

from __future__ import annotations

import gzip
import json
import re
import time
from dataclasses import dataclass
from typing import Any

SCHEMA = 1  # bump when an item's meaning changes; a reader refuses items of a newer schema
FEED = "changes"
FEED_INDEX = "changes"
SETTLE_US = 120_000_000  # > the function's timeout + clock skew: an item written late still has seq above
CLAIM_SECONDS = 90  # a claim outlives the function's 60 s timeout; a retry after that may take over
ANALYSIS_PREFIX = "analysis/"
VIDEO_PREFIX = "video/"
FEATURES_METADATA = "features"  # S3 object metadata (x-amz-meta-features): "labels,faces,text"
SCHEMA_METADATA = "schema"

# The scanner's content hash is xxh3-128 (32 hex digits); 64 (a sha256) is accepted too, as this
# contract first said, so nothing written under it is refused.
_HASH = re.compile(r"[0-9a-f]{32}(?:[0-9a-f]{32})?")


class NewerSchemaError(ValueError):
    """An item written by a newer photosorter: refused, never misread."""


def now_us() -> int:
    return time.time_ns() // 1000


def analysis_key(content_hash: str) -> str:
    return f"{ANALYSIS_PREFIX}{check_hash(content_hash)}.jpg"


def video_key(content_hash: str, extension: str) -> str:
    return f"{VIDEO_PREFIX}{check_hash(content_hash)}.{extension.lstrip('.').lower()}"


def hash_of_key(key: str) -> str | None:
    """The content hash an uploaded object's key names, or None for a key that is not ours."""
    for prefix in (ANALYSIS_PREFIX, VIDEO_PREFIX):
        if key.startswith(prefix):
            stem = key[len(prefix) :].split(".", 1)[0]
            return stem if _HASH.fullmatch(stem) else None
    return None


def check_hash(content_hash: str) -> str:
    if not _HASH.fullmatch(content_hash):
        raise ValueError(f"not a content hash: {content_hash!r}")
    return content_hash


def result_pk(content_hash: str) -> str:
    return f"result#{check_hash(content_hash)}"


def person_pk(user_id: str) -> str:
    return f"person#{user_id}"


LIBRARY_PK = "meta#library"


@dataclass(frozen=True, slots=True)
class ResultItem:
    content_hash: str
    state: str  # "analyzing" | "done" | "failed"
    features: tuple[str, ...]  # Feature values, sorted
    responses: dict[str, Any]  # feature -> the Rekognition response, as JSON data
    versions: dict[str, str]  # feature -> model version ("DetectLabels/2016-06-27", ...)
    seq: int
    error: str = ""  # for "failed": why, in words a user understands
    claimed_until: int = 0  # epoch seconds; a claim past this may be taken over


@dataclass(frozen=True, slots=True)
class PersonItem:
    user_id: str
    name: str
    face_ids: tuple[str, ...]
    seq: int
    deleted: bool = False


def encode_result(item: ResultItem) -> dict[str, Any]:
    """A DynamoDB item (low-level AttributeValue form, as ``boto3.client("dynamodb")`` takes it)."""
    encoded: dict[str, Any] = {
        "pk": {"S": result_pk(item.content_hash)},
        "kind": {"S": "result"},
        "schema": {"N": str(SCHEMA)},
        "state": {"S": item.state},
        "feed": {"S": FEED},
        "seq": {"N": str(item.seq)},
        "responses": {"B": gzip.compress(json.dumps(item.responses, separators=(",", ":")).encode(), 6)},
        "versions": {"M": {k: {"S": v} for k, v in sorted(item.versions.items())}},
        "claimed_until": {"N": str(item.claimed_until)},
    }
    if item.features:
        encoded["features"] = {"SS": sorted(item.features)}
    if item.error:
        encoded["error"] = {"S": item.error}
    return encoded


def encode_person(item: PersonItem) -> dict[str, Any]:
    encoded: dict[str, Any] = {
        "pk": {"S": person_pk(item.user_id)},
        "kind": {"S": "person"},
        "schema": {"N": str(SCHEMA)},
        "feed": {"S": FEED},
        "seq": {"N": str(item.seq)},
        "name": {"S": item.name},
        "deleted": {"BOOL": item.deleted},
    }
    if item.face_ids:
        encoded["face_ids"] = {"SS": sorted(item.face_ids)}
    return encoded


def decode(item: dict[str, Any]) -> ResultItem | PersonItem | None:
    """A change-feed item as a record; None for a kind this version does not know (a newer device's
    addition that older devices may ignore). NewerSchemaError for an item of a newer schema."""
    schema = int(item.get("schema", {}).get("N", "0"))
    if schema > SCHEMA:
        raise NewerSchemaError(
            f"the cloud library holds an item written by a newer photosorter (schema {schema}, this one"
            f" reads {SCHEMA}); update photosorter on this device"
        )
    kind = item.get("kind", {}).get("S")
    pk = item["pk"]["S"]
    seq = int(item["seq"]["N"])
    if kind == "result":
        blob = item.get("responses", {}).get("B", b"")
        return ResultItem(
            content_hash=pk.split("#", 1)[1],
            state=item["state"]["S"],
            features=tuple(sorted(item.get("features", {}).get("SS", ()))),
            responses=json.loads(gzip.decompress(blob)) if blob else {},
            versions={k: v["S"] for k, v in item.get("versions", {}).get("M", {}).items()},
            seq=seq,
            error=item.get("error", {}).get("S", ""),
            claimed_until=int(item.get("claimed_until", {}).get("N", "0")),
        )
    if kind == "person":
        return PersonItem(
            user_id=pk.split("#", 1)[1],
            name=item.get("name", {}).get("S", ""),
            face_ids=tuple(sorted(item.get("face_ids", {}).get("SS", ()))),
            seq=seq,
            deleted=item.get("deleted", {}).get("BOOL", False),
        )
    return None
