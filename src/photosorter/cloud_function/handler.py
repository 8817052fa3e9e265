"""The Lambda entry points: an uploaded photo or video in, one result item per content hash out.

``handle`` takes both kinds of event and dispatches on each record's source, so one function can serve
the S3 trigger and the SNS subscription; ``handle_video_done`` is the same code under the name a stack
that wires two functions points the SNS subscription at.

* S3 ``ObjectCreated`` under ``analysis/`` (a photo's analysis JPEG, metadata ``features``): claim the
  hash, make the Rekognition calls the desktop's ``rekognition`` backend makes (``calls``), write the
  responses, ``state=done``. Under ``video/``: claim it and start the Rekognition Video jobs (``video``).
* SNS (``Records[].Sns.Message``, Rekognition Video's completion notice): collect that job's ``Get*`` pages
  into the item; once every job has reported, ``state=done``.

Faults: throttling is retried with backoff while the invocation has time, then the claim is given back
(``failed``, retryable) and ``Throttled`` is raised so Lambda retries the event and finally sends it to the
dead-letter queue. An image Rekognition rejects is ``failed`` with a reason a user understands, and analyzed
again only for a new upload (another ``upload`` id in the object's metadata), never for a duplicate event.
An object deleted before its event ran (or an upload that never completed) leaves no claim and raises
nothing: Lambda would only retry into the same absence.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import unquote_plus

import botocore.exceptions as bce

from photosorter.cloud_function import calls, items, video
from photosorter.cloud_function.runtime import Runtime, Throttled, error_code, error_message, log
from photosorter.cloud_function.store import Claim, ResultStore

# What Rekognition says about an image it will not analyze, in a user's words: recorded, and analyzed again
# only for a new upload (the user's retry), never for a duplicate event.
REJECTED = {
    "InvalidImageFormatException": "Rekognition cannot read this image: it is not a JPEG or PNG, or it is"
    " damaged (an upload that did not finish?)",
    "ImageTooLargeException": "the image is too large for Rekognition (over 5 MB or too many pixels)",
    "InvalidParameterException": "Rekognition refused the image as invalid (for example, smaller than 80 px"
    " on a side)",
    "InvalidS3ObjectException": "Rekognition could not read the uploaded file",
}
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # Rekognition's limit for an image sent as bytes

_runtime: Runtime | None = None  # made once per container: warm invocations reuse the clients


def handle(event: dict[str, Any], context: Any, runtime: Runtime | None = None) -> dict[str, int]:
    """The Lambda handler (``photosorter.cloud_function.handler.handle``). ``runtime`` is for tests."""
    runtime = runtime or _environment_runtime()
    handled = 0
    try:
        for record in event.get("Records", ()):
            source = record.get("eventSource") or record.get("EventSource")
            if source == "aws:s3":
                object_created(record, context, runtime)
            elif source == "aws:sns":
                video.notice(json.loads(record["Sns"]["Message"]), context, runtime)
            else:
                log.warning("ignored a record from %r", source)
                continue
            handled += 1
    finally:
        ResultStore(runtime).record_usage()
    return {"records": handled}


def handle_video_done(event: dict[str, Any], context: Any, runtime: Runtime | None = None) -> dict[str, int]:
    """The SNS entry point: the same dispatch as ``handle``."""
    return handle(event, context, runtime)


def _environment_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_environment()
    return _runtime


def object_created(record: dict[str, Any], context: Any, runtime: Runtime) -> None:
    bucket = record["s3"]["bucket"]["name"]
    key = unquote_plus(record["s3"]["object"]["key"])  # S3 events URL-encode keys
    content_hash = items.hash_of_key(key)
    if content_hash is None or not record.get("eventName", "").startswith("ObjectCreated"):
        log.info("ignored %s %s", record.get("eventName"), key)
        return
    try:
        head = runtime.s3.head_object(Bucket=bucket, Key=key)
    except bce.ClientError as error:
        if error_code(error) in _MISSING:
            log.warning(
                "%s: the object is gone (deleted, or an upload that never completed); nothing to do", key
            )
            return
        raise
    metadata = head.get("Metadata", {})
    wanted = _features(metadata.get(items.FEATURES_METADATA, ""), key)
    store = ResultStore(runtime)
    is_video = key.startswith(items.VIDEO_PREFIX)
    if is_video:
        wanted &= frozenset(calls.VIDEO_FEATURES)
    claim = store.claim(
        content_hash,
        wanted,
        items.VIDEO_CLAIM_SECONDS if is_video else items.CLAIM_SECONDS,
        metadata.get(items.UPLOAD_METADATA, ""),
    )
    if claim is None:
        return
    if _schema(metadata) > items.SCHEMA:
        # A newer photosorter uploaded this and expects a newer function: say so, and let a later upload
        # (after `cloud deploy` updated the function) take it again.
        store.give_back(
            claim,
            "the cloud function is older than the photosorter that uploaded this; run `photosorter cloud "
            "deploy` to update it, then analyze again",
        )
        return
    if is_video:
        video.start(store, claim, bucket, key, wanted, context)
    else:
        analyze_image(store, claim, bucket, key, wanted, context)


def analyze_image(
    store: ResultStore, claim: Claim, bucket: str, key: str, wanted: frozenset[str], context: Any
) -> None:
    runtime = store.runtime
    item = claim.item
    try:
        image = runtime.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except bce.ClientError as error:
        if error_code(error) not in _MISSING:
            store.give_back(claim, f"could not read the uploaded image ({error_code(error)})")
            raise
        log.warning("%s: the object vanished after the claim; claim given back", key)
        store.give_back(claim, "the uploaded image was gone before it was analyzed; upload it again")
        return
    if not image or len(image) > MAX_IMAGE_BYTES:
        # Known before any call: an empty upload can be mended by uploading again, an oversized one not.
        if image:
            store.reject(
                claim,
                f"the image is {len(image):,} bytes; Rekognition takes at most 5 MB"
                f" ({MAX_IMAGE_BYTES:,} bytes)",
            )
        else:
            store.give_back(
                claim, "the uploaded image is empty (an upload that did not finish?); upload it again"
            )
        return
    responses, versions = dict(item.responses), dict(item.versions)
    paid = {"responses": responses, "versions": versions}  # what a failure keeps: answers already paid for
    try:
        for feature, operation in calls.image_plan(wanted - item.analyzed, runtime.collection_id):
            params = calls.image_request(operation, image, runtime.collection_id)
            try:
                if operation == "IndexFaces":
                    responses[feature] = index_faces(runtime, context, params)
                else:
                    responses[feature] = runtime.rekognition_call(context, operation, **params)
            except bce.ClientError as error:
                code = error_code(error)
                if code not in REJECTED:
                    raise
                store.reject(claim, f"{REJECTED[code]} ({code}: {error_message(error)})", **paid)
                return
            versions[feature] = calls.image_version(feature, runtime.collection_id)
    except Throttled as error:
        store.give_back(claim, f"Rekognition was too busy (throttled); it will be retried ({error})", **paid)
        raise
    except Exception as error:
        store.give_back(claim, f"the cloud function failed ({type(error).__name__}: {error})", **paid)
        raise
    done = dataclasses.replace(item, state="done", responses=responses, versions=versions, claimed_until=0)
    store.finish(claim, done)


def index_faces(runtime: Runtime, context: Any, params: dict[str, Any]) -> dict[str, Any]:
    """IndexFaces; a missing collection is made (as ``FaceCollection.index_faces`` does) and the call
    made once more."""
    try:
        return runtime.rekognition_call(context, "IndexFaces", **params)
    except bce.ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
    runtime.create_collection(context)
    return runtime.rekognition_call(context, "IndexFaces", **params)


def _features(text: str, key: str) -> frozenset[str]:
    names = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = names - set(calls.IMAGE_OPERATIONS)
    if unknown:
        log.warning(
            "%s: features this function does not know are skipped: %s", key, ",".join(sorted(unknown))
        )
    return frozenset(names - unknown) if names else frozenset(calls.DEFAULT_FEATURES)


def _schema(metadata: dict[str, str]) -> int:
    try:
        return int(metadata.get(items.SCHEMA_METADATA, "0") or 0)
    except ValueError:
        return 0
