"""The function's writes to the table: claims, results, usage — every one conditional.

A claim is how "never pay twice" holds when S3 delivers an event twice or two devices upload the same photo
at once: before any Rekognition call the function turns the hash's item into ``analyzing`` with its own
claim token, on condition that the item is exactly as it read it (or absent). Of two functions racing, one
condition fails and that one does nothing. The result is then written on condition that the claim is still
this function's: one whose claim expired and was taken over does not overwrite the new owner's work.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass
from typing import Any

import botocore.exceptions as bce

from photosorter.cloud_function import items
from photosorter.cloud_function.items import ResultItem
from photosorter.cloud_function.runtime import Runtime, error_code, log

# DynamoDB refuses items over 400 KB (409,600 bytes, names included); responses above this leave for S3.
MAX_ITEM_BYTES = 350_000


@dataclass(frozen=True, slots=True)
class Claim:
    token: str
    item: ResultItem  # as claimed: "analyzing", with what earlier work left (responses, versions, stored)


class ClaimLost(RuntimeError):
    """The item changed under us (a concurrent writer won the condition)."""


class ResultStore:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def read(self, content_hash: str) -> dict[str, Any] | None:
        response = self.runtime.dynamodb.get_item(
            TableName=self.runtime.table,
            Key={"pk": {"S": items.result_pk(content_hash)}},
            ConsistentRead=True,
        )
        return response.get("Item")

    def claim(
        self, content_hash: str, wanted: frozenset[str], seconds: int, upload: str = ""
    ) -> Claim | None:
        """The hash's item as this function's to analyze ``wanted`` in, or None when it is not to be touched:
        done (with every wanted feature), failed for good (unless ``upload``, the event's upload id, is a new
        one: the user asked for another try), being analyzed by a live claim, of a newer schema, or claimed
        by someone else a moment ago."""
        raw = self.read(content_hash)
        now = self.runtime.now()
        previous: ResultItem | None = None
        if raw is not None:
            try:
                decoded = items.decode(raw)
            except items.NewerSchemaError as error:
                log.warning("%s: left alone: %s", content_hash, error)
                return None
            if not isinstance(decoded, ResultItem):
                log.error("%s: the item is not a result; left alone", content_hash)
                return None
            reason = _why_take(decoded, wanted, now, upload)
            if reason is None:
                log.info("%s: %s; nothing to do", content_hash, _why_skip(decoded))
                return None
            log.info("%s: taking over the item (%s)", content_hash, reason)
            previous = decoded
        claimed = ResultItem(
            content_hash=content_hash,
            state="analyzing",
            features=tuple(sorted(wanted | set(previous.features if previous else ()))),
            responses=dict(previous.responses) if previous else {},
            versions=dict(previous.versions) if previous else {},
            seq=items.now_us(),
            claimed_until=now + seconds,
            stored=dict(previous.stored) if previous else {},
            jobs=_running_jobs(previous, now),
            upload=upload or (previous.upload if previous else ""),
        )
        token = uuid.uuid4().hex
        try:
            self._put(claimed, token=token, unchanged=raw)
        except ClaimLost:
            log.info("%s: claimed by another function a moment ago; nothing to do", content_hash)
            return None
        return Claim(token, claimed)

    def finish(self, claim: Claim, item: ResultItem) -> bool:
        """Writes the claim's outcome (done, failed, or a video's jobs started), ending the claim; False
        (and nothing written) if the claim was taken over meanwhile."""
        item = dataclasses.replace(item, seq=items.now_us())
        try:
            self._put(self._fit(item), held=claim.token)
        except ClaimLost:
            log.warning(
                "%s: the claim expired and was taken over; this outcome is dropped", item.content_hash
            )
            return False
        return True

    def give_back(self, claim: Claim, reason: str, **changes: Any) -> None:
        """Ends the claim as a retryable failure, keeping what was paid for so far (``changes``): the next
        event for this hash (Lambda's retry, or the next upload) takes it over and pays only for the rest."""
        self._fail(claim, reason, retryable=True, **changes)

    def reject(self, claim: Claim, reason: str, **changes: Any) -> None:
        """Ends the claim as a failure no retry can mend (an image Rekognition will not read)."""
        self._fail(claim, reason, retryable=False, **changes)

    def _fail(self, claim: Claim, reason: str, *, retryable: bool, **changes: Any) -> None:
        log.warning(
            "%s: failed (%s): %s", claim.item.content_hash, "retryable" if retryable else "final", reason
        )
        self.finish(
            claim,
            dataclasses.replace(
                claim.item, state="failed", retryable=retryable, error=reason, claimed_until=0, **changes
            ),
        )

    def replace(self, item: ResultItem, raw: dict[str, Any]) -> bool:
        """Writes ``item`` over ``raw`` if the stored item is still ``raw`` (same seq); False otherwise."""
        try:
            self._put(self._fit(dataclasses.replace(item, seq=items.now_us())), unchanged=raw)
        except ClaimLost:
            return False
        return True

    def record_usage(self) -> None:
        """Adds what this invocation paid for to the usage item; a failure here loses a count, never a
        result, so it is logged and not raised."""
        runtime = self.runtime
        calls, seconds = dict(runtime.calls), runtime.video_seconds
        runtime.calls.clear()
        runtime.video_seconds = 0.0
        if not calls and not seconds:
            return
        try:
            runtime.dynamodb.update_item(TableName=runtime.table, **items.usage_update(calls, seconds))
        except (bce.ClientError, bce.BotoCoreError) as error:
            log.error("could not record usage %s (%.1f s of video): %s", calls, seconds, error)

    def _put(
        self, item: ResultItem, *, token: str = "", held: str = "", unchanged: dict[str, Any] | None = None
    ) -> None:
        encoded = items.encode_result(item)
        if token:
            encoded["claim"] = {"S": token}
        if held:
            condition, values = "#claim = :held", {":held": {"S": held}}
            names = {"#claim": "claim"}
        elif unchanged is not None:
            condition, values, names = "#seq = :seq", {":seq": unchanged["seq"]}, {"#seq": "seq"}
        else:
            condition, values, names = "attribute_not_exists(pk)", {}, {}
        kwargs: dict[str, Any] = {
            "TableName": self.runtime.table,
            "Item": encoded,
            "ConditionExpression": condition,
        }
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if values:
            kwargs["ExpressionAttributeValues"] = values
        try:
            self.runtime.dynamodb.put_item(**kwargs)
        except bce.ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise ClaimLost(item.content_hash) from error
            raise

    def _fit(self, item: ResultItem) -> ResultItem:
        """``item`` with its biggest responses moved to S3 until it fits DynamoDB's item size."""
        while item.responses and _size(items.encode_result(item)) > MAX_ITEM_BYTES:
            feature = max(item.responses, key=lambda f: len(items.gzip_json(item.responses[f])))
            key = items.result_object_key(item.content_hash, feature)
            body = items.gzip_json(item.responses[feature])
            self.runtime.s3.put_object(
                Bucket=self.runtime.bucket, Key=key, Body=body, ContentType="application/gzip"
            )
            log.info(
                "%s: the %s response (%d bytes gzip'd) is kept in s3 at %s",
                item.content_hash,
                feature,
                len(body),
                key,
            )
            responses = {f: r for f, r in item.responses.items() if f != feature}
            item = dataclasses.replace(item, responses=responses, stored={**item.stored, feature: key})
        return item


def _why_take(item: ResultItem, wanted: frozenset[str], now: int, upload: str) -> str | None:
    if item.state == "analyzing":
        return "its claim expired" if item.claimed_until < now else None
    if item.state == "failed":
        if item.retryable:
            return "a retryable failure"
        # a duplicate event of the upload that failed carries the same id: not paid for twice
        return "a new upload after a failure" if upload and upload != item.upload else None
    if item.state == "done":
        missing = wanted - item.analyzed
        return f"features not yet analyzed: {','.join(sorted(missing))}" if missing else None
    return None


def _running_jobs(previous: ResultItem | None, now: int) -> dict[str, str]:
    """Video jobs an earlier claim started whose results have not come yet: the next claim waits for them
    rather than paying again. Not those of an expired claim: their notices are taken to be lost."""
    if previous is None or (previous.state == "analyzing" and previous.claimed_until < now):
        return {}
    return {feature: job for feature, job in previous.jobs.items() if feature not in previous.analyzed}


def _why_skip(item: ResultItem) -> str:
    if item.state == "analyzing":
        return "being analyzed under a live claim"
    if item.state == "failed":
        return f"failed for good ({item.error})"
    return f"already {item.state}"


def _size(encoded: dict[str, Any]) -> int:
    """An upper bound of DynamoDB's item size: names plus values (binary as bytes, the rest as JSON)."""
    return sum(
        len(name) + (len(value["B"]) if "B" in value else len(json.dumps(value)))
        for name, value in encoded.items()
    )
