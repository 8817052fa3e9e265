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
* ``meta#usage`` — what the function has paid for: one counter per Rekognition operation
  (``calls_<Operation>``, successful billed calls only: throttled ones are not billed, Get* calls are free)
  and the seconds of video analyzed, added with UpdateItem ADD so concurrent functions never lose a count
  (``cloud status`` turns them into a cost). It is not on the change feed: it changes with every photo and
  no device imports it.

A result's Rekognition responses travel inside the item, except one too big for DynamoDB's 400 KB item limit
(a long video's labels): the function writes it gzip'd JSON to ``results/<hash>/<feature>.json.gz`` in the
bucket and ``stored`` maps the feature to that key (``gunzip_json`` reads the object's body). A reader
wants ``responses`` and ``stored`` together; items written before ``stored`` existed simply lack it.
Videos: ``jobs`` maps each feature to the Rekognition Video JobId started for it; the item stays
``analyzing`` until every job has reported (its ``Get*`` pages joined into one response per feature, each
carrying its timestamps: a ``GetLabelDetection``-shaped response for labels, ``GetFaceSearch`` for faces,
and so on) and its ``versions`` name the Start* call (``StartLabelDetection/2016-06-27``,
``StartFaceSearch/2016-06-27/<collection>``). ``retryable`` marks a ``failed`` item the next upload of the
same hash may take over (throttling, a vanished upload); a rejected image is ``failed`` and not retryable,
and taken over only by an upload whose ``upload`` id (object metadata) differs from the item's ``upload``.
While a function holds an item, a ``claim`` attribute (a random token) names it, so that its later writes
can be made on condition that the claim is still its own; readers ignore it.

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
from dataclasses import dataclass, field
from typing import Any

SCHEMA = 1  # bump when an item's meaning changes; a reader refuses items of a newer schema
FEED = "changes"
FEED_INDEX = "changes"
SETTLE_US = 120_000_000  # > the function's timeout + clock skew: an item written late still has seq above
CLAIM_SECONDS = 90  # a claim outlives the function's 60 s timeout; a retry after that may take over
# Rekognition Video jobs run for minutes: a video's claim lasts while they do, so that a duplicate S3 event
# meanwhile does not start (and pay for) them again. A video whose notices never came is retried after it.
VIDEO_CLAIM_SECONDS = 6 * 3600
RESULTS_PREFIX = "results/"  # responses too big for their item; never expired by the bucket's lifecycle
ANALYSIS_PREFIX = "analysis/"
VIDEO_PREFIX = "video/"
FEATURES_METADATA = "features"  # S3 object metadata (x-amz-meta-features): "labels,faces,text"
SCHEMA_METADATA = "schema"
# A random id per upload (x-amz-meta-upload), recorded in the item the function writes: a NEW upload of a
# content whose analysis failed for good (the user's "Retry failed photos") is analyzed again, while a
# duplicate S3 event for the same upload (S3 delivers at least once) finds its id already there. The ETag
# cannot tell them apart: the same bytes uploaded again have the same ETag. Optional: older desktops
# upload without it, and their failed items simply stay failed.
UPLOAD_METADATA = "upload"

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
USAGE_PK = "meta#usage"
USAGE_CALLS_PREFIX = "calls_"
USAGE_VIDEO_SECONDS = "video_seconds"


def result_object_key(content_hash: str, feature: str) -> str:
    """Where a response too big for its DynamoDB item is kept (``ResultItem.stored``)."""
    return f"{RESULTS_PREFIX}{check_hash(content_hash)}/{feature}.json.gz"


def gzip_json(data: Any) -> bytes:
    """How responses are kept: in the item's ``responses`` and in a ``stored`` S3 object alike."""
    return gzip.compress(json.dumps(data, separators=(",", ":")).encode(), 6)


def gunzip_json(blob: bytes) -> Any:
    return json.loads(gzip.decompress(blob))


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
    retryable: bool = False  # for "failed": the next upload of this hash analyzes it again
    stored: dict[str, str] = field(default_factory=dict)  # feature -> S3 key of a response kept there
    jobs: dict[str, str] = field(default_factory=dict)  # videos: feature -> Rekognition Video JobId
    upload: str = ""  # the UPLOAD_METADATA id of the upload this item's last claim analyzed

    @property
    def analyzed(self) -> frozenset[str]:
        """The features whose response this item holds (inline or in S3)."""
        return frozenset(self.responses) | frozenset(self.stored)


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
        "responses": {"B": gzip_json(item.responses)},
        "versions": {"M": {k: {"S": v} for k, v in sorted(item.versions.items())}},
        "claimed_until": {"N": str(item.claimed_until)},
    }
    if item.features:
        encoded["features"] = {"SS": sorted(item.features)}
    if item.error:
        encoded["error"] = {"S": item.error}
    if item.retryable:
        encoded["retryable"] = {"BOOL": True}
    if item.stored:
        encoded["stored"] = {"M": {k: {"S": v} for k, v in sorted(item.stored.items())}}
    if item.jobs:
        encoded["jobs"] = {"M": {k: {"S": v} for k, v in sorted(item.jobs.items())}}
    if item.upload:
        encoded["upload"] = {"S": item.upload}
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
            responses=gunzip_json(blob) if blob else {},
            versions={k: v["S"] for k, v in item.get("versions", {}).get("M", {}).items()},
            seq=seq,
            error=item.get("error", {}).get("S", ""),
            claimed_until=int(item.get("claimed_until", {}).get("N", "0")),
            retryable=item.get("retryable", {}).get("BOOL", False),
            stored={k: v["S"] for k, v in item.get("stored", {}).get("M", {}).items()},
            jobs={k: v["S"] for k, v in item.get("jobs", {}).get("M", {}).items()},
            upload=item.get("upload", {}).get("S", ""),
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


@dataclass(frozen=True, slots=True)
class UsageItem:
    """What the cloud function has paid for so far (the ``meta#usage`` item)."""

    calls: dict[str, int]  # Rekognition operation ("DetectLabels", "StartLabelDetection", ...) -> calls
    video_seconds: float = 0.0


def usage_update(calls: dict[str, int], video_seconds: float = 0.0) -> dict[str, Any]:
    """UpdateItem arguments (all but TableName) adding to the usage counters."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    adds = []
    for number, (operation, count) in enumerate(sorted(calls.items())):
        names[f"#c{number}"] = f"{USAGE_CALLS_PREFIX}{operation}"
        values[f":c{number}"] = {"N": str(count)}
        adds.append(f"#c{number} :c{number}")
    if video_seconds:
        names["#v"] = USAGE_VIDEO_SECONDS
        values[":v"] = {"N": f"{video_seconds:.3f}"}
        adds.append("#v :v")
    if not adds:
        raise ValueError("nothing to add to the usage counters")
    return {
        "Key": {"pk": {"S": USAGE_PK}},
        "UpdateExpression": "ADD " + ", ".join(adds),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def decode_usage(item: dict[str, Any] | None) -> UsageItem:
    """The usage item as read with GetItem (None or {} before the function's first call: nothing used)."""
    item = item or {}
    calls = {
        name[len(USAGE_CALLS_PREFIX) :]: int(value["N"])
        for name, value in item.items()
        if name.startswith(USAGE_CALLS_PREFIX) and "N" in value
    }
    return UsageItem(calls=calls, video_seconds=float(item.get(USAGE_VIDEO_SECONDS, {}).get("N", "0")))
