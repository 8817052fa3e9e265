"""Destroying the cloud library: nothing that bills is left behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import botocore.exceptions as bce

from photosorter.core.cloud.session import AwsSession, CloudError, error_code
from photosorter.core.cloud.stack import (
    DELETE_BATCH,
    POLL_SECONDS,
    Progress,
    Step,
    check_name,
    collection_id_for,
    describe_stack,
    first_failure,
    newest_event_id,
    no_progress,
    wait_for,
)


@dataclass(frozen=True, slots=True)
class DestroyResult:
    name: str
    region: str
    objects_deleted: int
    bucket_missing: bool  # the bucket was already gone (deleted outside photosorter)
    collection_deleted: bool  # False: there was no collection to delete


def destroy(
    name: str,
    profile: str | None = None,
    region: str | None = None,
    progress: Progress = no_progress,
    *,
    confirm: Callable[[str], bool],
    session: AwsSession | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> DestroyResult | None:
    """Removes the cloud library: empties the bucket (every version), deletes the stack and waits for it,
    then deletes the face collection. ``confirm`` is shown what will go and decides; None if it said no.

    The collection goes last: until the stack (and its function, which may make the collection) is
    gone, an event still in flight could make it again.
    """
    check_name(name)
    session = session or AwsSession(profile, region)
    stack = describe_stack(session, name)
    if stack is None:
        raise CloudError(f"there is no cloud library '{name}' in {session.region_name}")
    stack_id = stack["StackId"]
    bucket = _physical_id(session, stack_id, "Bucket")
    collection_id = collection_id_for(name)
    what = [f"the stack {name} in {session.region_name} ({stack['StackStatus']})"]
    if bucket:
        what.append(f"the bucket {bucket} and every image and video uploaded to it")
    what += [
        "every result and name in the cloud library's table",
        f"the face collection {collection_id}",
    ]
    summary = (
        "This deletes " + ", ".join(what) + ". Photos and the catalog on this computer are kept; other "
        "devices lose access to the cloud library."
    )
    if not confirm(summary):
        return None
    deleted, missing = (0, True) if not bucket else _empty_bucket(session, bucket, progress)
    progress(Step(f"Deleting the stack {name}"))
    since = newest_event_id(session, stack_id)
    with session.errors("delete the CloudFormation stack"):
        session.client("cloudformation").delete_stack(StackName=stack_id)
    final = wait_for(session, stack_id, since, progress, poll_seconds)
    if final["StackStatus"] == "DELETE_FAILED" and bucket:
        # Something wrote to the bucket while it was emptied (a device still uploading): once more.
        more, _ = _empty_bucket(session, bucket, progress)
        deleted += more
        since = newest_event_id(session, stack_id)
        with session.errors("delete the CloudFormation stack"):
            session.client("cloudformation").delete_stack(StackName=stack_id)
        final = wait_for(session, stack_id, since, progress, poll_seconds)
    if final["StackStatus"] != "DELETE_COMPLETE":
        reason = first_failure(session, stack_id, since)
        raise CloudError(
            f"deleting the stack {name} failed ({reason or final['StackStatus']}): "
            "run `photosorter cloud destroy` again, or delete what is named above in the AWS console"
        )
    collection_deleted = _delete_collection(session, collection_id, progress)
    return DestroyResult(name, session.region_name, deleted, missing, collection_deleted)


def _physical_id(session: AwsSession, stack_id: str, logical_id: str) -> str:
    """The name of one of the stack's resources, "" when it was never made (or is gone)."""
    with session.errors("list the stack's resources"):
        try:
            resource = session.client("cloudformation").describe_stack_resource(
                StackName=stack_id, LogicalResourceId=logical_id
            )["StackResourceDetail"]
        except bce.ClientError as error:
            if error_code(error) == "ValidationError":
                return ""
            raise
    if resource.get("ResourceStatus") == "DELETE_COMPLETE":
        return ""
    return str(resource.get("PhysicalResourceId") or "")


def _empty_bucket(session: AwsSession, bucket: str, progress: Progress) -> tuple[int, bool]:
    """Deletes every object version and delete marker; (how many, whether the bucket was gone)."""
    s3 = session.client("s3")
    progress(Step(f"Emptying the bucket {bucket}"))
    deleted = 0
    with session.errors(f"empty the bucket {bucket}"):
        try:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                objects = [
                    {"Key": version["Key"], "VersionId": version["VersionId"]}
                    for version in page.get("Versions", []) + page.get("DeleteMarkers", [])
                ]
                for start in range(0, len(objects), DELETE_BATCH):
                    batch = objects[start : start + DELETE_BATCH]
                    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
                    if answer.get("Errors"):
                        first = answer["Errors"][0]
                        raise CloudError(
                            f"could not empty the bucket {bucket}: {first.get('Key')}: "
                            f"{first.get('Code')}: {first.get('Message')}"
                        )
                    deleted += len(batch)
                    progress(Step(f"Deleted {deleted} objects from {bucket}"))
        except bce.ClientError as error:
            if error_code(error) == "NoSuchBucket":
                progress(Step(f"The bucket {bucket} was already gone"))
                return deleted, True
            raise
    return deleted, False


def _delete_collection(session: AwsSession, collection_id: str, progress: Progress) -> bool:
    progress(Step(f"Deleting the face collection {collection_id}"))
    with session.errors(f"delete the face collection {collection_id}"):
        try:
            session.client("rekognition").delete_collection(CollectionId=collection_id)
        except bce.ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return False
            raise
    return True
