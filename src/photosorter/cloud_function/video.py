"""Videos: start the Rekognition Video jobs for an upload, then collect each job's results when its
completion notice arrives over SNS.

The item stays ``analyzing`` while jobs run (its claim lasts ``VIDEO_CLAIM_SECONDS``, so a duplicate upload
event starts nothing); ``jobs`` maps each feature to its JobId. A notice's results are joined from every
``Get*`` page into one response per feature (each entry keeps its ``Timestamp`` in ms, faces and labels
their time on screen) and written on condition that the item is unchanged since it was read: two notices
landing at once never lose each other's results, and a duplicate notice finds its feature already there.
When every job has reported the item is ``done`` — or ``failed`` (retryable) naming the jobs that failed,
with the results of the others kept, so that a retry starts only what is missing.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import botocore.exceptions as bce

from photosorter.cloud_function import calls, items
from photosorter.cloud_function.items import ResultItem
from photosorter.cloud_function.runtime import Runtime, Throttled, error_code, error_message, log
from photosorter.cloud_function.store import Claim, ResultStore

# What Rekognition Video says about a video it will not analyze: recorded, never retried.
REJECTED = {
    "InvalidS3ObjectException": "Rekognition Video could not read the uploaded video",
    "VideoTooLargeException": "the video is too large or too long for Rekognition Video",
    "InvalidParameterException": "Rekognition Video refused the video as invalid",
}
NOTICE_ATTEMPTS = 8  # concurrent notices for one video: each lost condition re-reads and tries again


class JobNotYetRecorded(RuntimeError):
    """A completion notice came before the function that started the job wrote its id."""


def start(
    store: ResultStore, claim: Claim, bucket: str, key: str, wanted: frozenset[str], context: Any
) -> None:
    runtime = store.runtime
    item = claim.item
    if not (runtime.video_topic_arn and runtime.video_role_arn):
        store.give_back(
            claim,
            "the cloud library has no video notification channel; run `photosorter cloud "
            "deploy` to update it, then analyze the video again",
        )
        return
    jobs = dict(item.jobs)  # started by an earlier claim and still running: not paid for again
    try:
        for feature in calls.VIDEO_FEATURES:
            if feature not in wanted - item.analyzed or feature in jobs:
                continue
            try:
                jobs[feature] = _start_job(
                    runtime, context, feature, bucket, key, item.content_hash, claim.token
                )
            except bce.ClientError as error:
                code = error_code(error)
                if code not in REJECTED:
                    raise
                store.reject(claim, f"{REJECTED[code]} ({code}: {error_message(error)})", jobs=jobs)
                return
    except Throttled as error:
        # The jobs already started stay in the item: their notices are recorded, the retry starts the rest.
        store.give_back(claim, f"Rekognition Video was too busy; it will be retried ({error})", jobs=jobs)
        raise
    except Exception as error:
        store.give_back(claim, f"the cloud function failed ({type(error).__name__}: {error})", jobs=jobs)
        raise
    if not jobs:
        store.finish(claim, dataclasses.replace(item, state="done", claimed_until=0))
        return
    log.info("%s: waiting for %s", key, ", ".join(f"{f}={j}" for f, j in sorted(jobs.items())))
    # Still "analyzing", under the long claim; the notices write the results.
    store.finish(claim, dataclasses.replace(item, jobs=jobs))


def _start_job(
    runtime: Runtime, context: Any, feature: str, bucket: str, key: str, content_hash: str, token: str
) -> str:
    operation = calls.video_operation(feature, runtime.collection_id)
    params = calls.video_request(
        feature,
        bucket,
        key,
        content_hash,
        runtime.collection_id,
        runtime.video_topic_arn,
        runtime.video_role_arn,
        token,
    )
    try:
        return str(runtime.rekognition_call(context, operation.start, **params)["JobId"])
    except bce.ClientError as error:
        if operation is not calls.FACE_SEARCH or error_code(error) != "ResourceNotFoundException":
            raise
    runtime.create_collection(context)
    return str(runtime.rekognition_call(context, operation.start, **params)["JobId"])


def notice(message: dict[str, Any], context: Any, runtime: Runtime) -> None:
    """One Rekognition Video completion notice: {JobId, Status, API, JobTag, Video, Timestamp}."""
    content_hash = str(message.get("JobTag", ""))
    job_id = str(message.get("JobId", ""))
    operation = calls.video_operation_by_start(str(message.get("API", "")))
    try:
        items.check_hash(content_hash)
    except ValueError:
        operation = None
    if operation is None:
        log.warning("ignored a notice that is not ours: %s", message)
        return
    store = ResultStore(runtime)
    response: dict[str, Any] | None = None
    for _ in range(NOTICE_ATTEMPTS):
        raw = store.read(content_hash)
        if raw is None:
            log.warning("%s: notice for job %s, but the video has no item; ignored", content_hash, job_id)
            return
        try:
            item = items.decode(raw)
        except items.NewerSchemaError as error:
            log.warning("%s: left alone: %s", content_hash, error)
            return
        if not isinstance(item, ResultItem):
            return
        feature = next((f for f, job in item.jobs.items() if job == job_id), None)
        if feature is None and "claim" in raw:
            # A function is still starting this video's jobs (backing off a throttled Start*) and has not
            # written their ids yet: raising makes Lambda deliver this notice again a minute later.
            raise JobNotYetRecorded(f"{content_hash}: job {job_id} is not in the item yet; retried later")
        if feature is None or feature in item.analyzed:
            log.info(
                "%s: job %s already recorded, or not one of this item's jobs; nothing to do",
                content_hash,
                job_id,
            )
            return
        if message.get("Status") == "SUCCEEDED":
            if response is None:
                response = _get_all(runtime, context, operation, job_id)
            updated = dataclasses.replace(
                item,
                responses={**item.responses, feature: response},
                versions={**item.versions, feature: calls.video_version(feature, runtime.collection_id)},
            )
        else:
            failure = f"{feature}: Rekognition Video could not analyze it (job {message.get('Status')})"
            updated = dataclasses.replace(
                item,
                jobs={f: j for f, j in item.jobs.items() if f != feature},
                error="; ".join(filter(None, (item.error, failure))),
            )
        # Complete once every job has reported — unless the item waits for a retry to start the rest
        # (failed, retryable: a throttled start), which then finds these results and pays only for the rest.
        if item.state == "analyzing" and all(f in updated.analyzed for f in updated.jobs):
            state = "failed" if updated.error else "done"
            updated = dataclasses.replace(
                updated, state=state, retryable=bool(updated.error), claimed_until=0
            )
        if store.replace(updated, raw):
            if response is not None:
                runtime.video_seconds += response.get("VideoMetadata", {}).get("DurationMillis", 0) / 1000
            log.info("%s: %s recorded (%s)", content_hash, feature, updated.state)
            return
        log.info("%s: the item changed while recording %s; reading it again", content_hash, feature)
    raise RuntimeError(f"{content_hash}: could not record job {job_id} after {NOTICE_ATTEMPTS} tries")


def _get_all(runtime: Runtime, context: Any, operation: calls.VideoOperation, job_id: str) -> dict[str, Any]:
    """Every page of a job's results as one response (the list joined, NextToken dropped)."""
    params: dict[str, Any] = {"JobId": job_id, "MaxResults": calls.GET_PAGE_SIZE}
    merged: dict[str, Any] | None = None
    while True:
        page = runtime.rekognition_call(context, operation.get, **params)
        token = page.pop("NextToken", None)
        if merged is None:
            merged = page
        else:
            merged.setdefault(operation.items, []).extend(page.get(operation.items, ()))
        if not token:
            return merged
        params["NextToken"] = token
