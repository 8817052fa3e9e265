"""Deploying and destroying the cloud library's CloudFormation stack (``template.yaml``).

Where the function's code comes from: CloudFormation can inline at most 4 KB of code (``ZipFile``), far
less than ``photosorter.cloud_function``, and a Lambda reads a larger zip from S3 — but the only bucket
we own is the one the stack makes. A separate artifact bucket would be one more thing to create, find
again from other devices and remember to delete, so a new stack is made in **two passes** instead: the
first creates everything with a placeholder function and no S3 notification (``CodeKey`` empty), then the
zip is uploaded to ``code/<sha256>.zip`` in the stack's own bucket, and an update points both functions at
it and turns the notification on. Later deploys are one update; unchanged code gives the same key and
"no updates" is fine. Destroying empties the bucket, code included, so nothing is left behind.

Progress is streamed as typed records: ``Step`` (what deploy is doing) and ``StackEvent`` (each
CloudFormation resource event, as the console shows them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import botocore.exceptions as bce

from photosorter.core.cloud.aws import AwsSession, CloudError, error_code
from photosorter.core.cloud.package import function_zip
from photosorter.core.settings import STACK_NAME

DEFAULT_EXPIRE_DAYS = 7
DEFAULT_CONCURRENCY = 5  # Rekognition's smallest per-operation quota is 5 calls per second
POLL_SECONDS = 3.0
_CAPABILITIES = ["CAPABILITY_IAM"]  # the template makes roles (with generated names)
_DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys


@dataclass(frozen=True, slots=True)
class Step:
    """What a deploy or destroy is doing, in words."""

    message: str


@dataclass(frozen=True, slots=True)
class StackEvent:
    """One CloudFormation resource event."""

    time: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    def describe(self) -> str:
        reason = f" — {self.reason}" if self.reason else ""
        return f"{self.time:%H:%M:%S}  {self.logical_id} ({self.resource_type})  {self.status}{reason}"


Progress = Callable[[Step | StackEvent], None]


def _ignore(_: Step | StackEvent) -> None:
    pass


@dataclass(frozen=True, slots=True)
class StackOutputs:
    """What the stack exports; the desktop and the function find every resource through these."""

    bucket: str
    table: str
    function: str
    dead_letter_queue_url: str
    collection_id: str
    video_topic_arn: str
    video_role_arn: str
    region: str

    @classmethod
    def from_stack(cls, stack: dict[str, Any]) -> StackOutputs | None:
        """The outputs of a described stack, or None when it has none (not created, rolled back)."""
        values = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        try:
            return cls(
                bucket=values["BucketName"],
                table=values["TableName"],
                function=values["FunctionName"],
                dead_letter_queue_url=values["DeadLetterQueueUrl"],
                collection_id=values["CollectionId"],
                video_topic_arn=values["VideoTopicArn"],
                video_role_arn=values["VideoRoleArn"],
                region=values["Region"],
            )
        except KeyError:
            return None


@dataclass(frozen=True, slots=True)
class DeployResult:
    name: str
    region: str
    status: str  # the stack's status after the deploy (CREATE_COMPLETE, UPDATE_COMPLETE)
    changed: bool  # False: the stack already was exactly this
    outputs: StackOutputs


@dataclass(frozen=True, slots=True)
class DestroyResult:
    name: str
    region: str
    objects_deleted: int
    bucket_missing: bool  # the bucket was already gone (deleted outside photosorter)
    collection_deleted: bool  # False: there was no collection to delete


def template_body() -> str:
    return resources.files("photosorter.core.cloud").joinpath("template.yaml").read_text("utf-8")


def collection_id_for(name: str) -> str:
    """The face collection of stack ``name``, named as the template does (``${AWS::StackName}-faces``)."""
    return f"{name}-faces"


def check_name(name: str) -> str:
    if not STACK_NAME.fullmatch(name):
        raise CloudError(
            f"{name!r} is not a valid stack name: use letters, digits and hyphens, starting with a letter"
        )
    return name


def advice_for(status: str) -> str:
    """What a stack status means for the user and what to do about it ("" when all is well)."""
    if status == "ROLLBACK_COMPLETE":
        return (
            "the stack's creation failed and CloudFormation removed what it had made; a stack in this "
            "state can only be deleted: run `photosorter cloud destroy`, then `photosorter cloud deploy`"
        )
    if status in ("ROLLBACK_FAILED", "DELETE_FAILED"):
        return "CloudFormation could not remove everything: run `photosorter cloud destroy` again"
    if status == "UPDATE_ROLLBACK_COMPLETE":
        return "the last deploy failed and was rolled back; the previous version keeps working"
    if status == "UPDATE_ROLLBACK_FAILED":
        return (
            "the last deploy failed and could not be rolled back: continue the rollback in the "
            "CloudFormation console (Stack actions → Continue update rollback), then deploy again"
        )
    if status.endswith("_IN_PROGRESS"):
        return "CloudFormation is still working on the stack: wait a few minutes and look again"
    return ""


def describe_stack(session: AwsSession, name: str) -> dict[str, Any] | None:
    """The stack (DescribeStacks' record), or None when there is none by that name."""
    cloudformation = session.client("cloudformation")
    with session.errors("read the stack"):
        try:
            return cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        except bce.ClientError as error:
            if error_code(error) == "ValidationError" and "does not exist" in str(error):
                return None
            raise


def stack_outputs(session: AwsSession, name: str) -> StackOutputs:
    """The outputs of the deployed stack ``name``; CloudError when it is not deployed and working."""
    stack = describe_stack(session, name)
    if stack is None:
        raise CloudError(
            f"there is no cloud library '{name}' in {session.region_name}: run `photosorter cloud deploy`"
        )
    outputs = StackOutputs.from_stack(stack)
    if outputs is None:
        advice = advice_for(stack["StackStatus"]) or "deploy it again"
        raise CloudError(f"the cloud library '{name}' is not ready ({stack['StackStatus']}): {advice}")
    return outputs


# -- deploy ---------------------------------------------------------------------------------------------


def deploy(
    name: str,
    profile: str | None = None,
    region: str | None = None,
    progress: Progress = _ignore,
    *,
    expire_days: int = DEFAULT_EXPIRE_DAYS,
    concurrency: int = DEFAULT_CONCURRENCY,
    session: AwsSession | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> DeployResult:
    """Creates the stack ``name`` or brings it up to date (template, function code, parameters)."""
    check_name(name)
    if expire_days < 1:
        raise CloudError("images must be kept at least 1 day (--days)")
    if concurrency < 0:
        raise CloudError("the concurrency limit must be 0 (none) or more")
    session = session or AwsSession(profile, region)
    session.check_rekognition_region()
    progress(Step(f"Looking for the stack {name} in {session.region_name}"))
    cloudformation = session.client("cloudformation")
    stack = describe_stack(session, name)
    if stack is not None:
        _check_updatable(name, stack["StackStatus"])
    parameters = {"ExpireDays": str(expire_days), "ReservedConcurrency": str(concurrency)}
    changed = False
    if stack is None:
        progress(Step(f"Creating the stack {name} (CloudFormation takes a few minutes)"))
        with session.errors("create the CloudFormation stack"):
            stack_id = cloudformation.create_stack(
                StackName=name,
                TemplateBody=template_body(),
                Parameters=_parameters({**parameters, "CodeBucket": "", "CodeKey": ""}),
                Capabilities=_CAPABILITIES,
                Tags=[{"Key": "application", "Value": "photosorter"}],
            )["StackId"]
        stack = _wait(session, stack_id, None, progress, poll_seconds)
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise CloudError(_failure(name, stack, _first_failure(session, stack_id)))
        changed = True
    outputs = StackOutputs.from_stack(stack)
    if outputs is None:
        raise CloudError(
            f"the stack {name} has no outputs ({stack['StackStatus']}): run `photosorter cloud destroy`, "
            "then `photosorter cloud deploy`"
        )
    code = function_zip()
    _upload_code(session, outputs.bucket, code.key, code.data, progress)
    parameters.update(CodeBucket=outputs.bucket, CodeKey=code.key)
    if _up_to_date(session, stack, parameters):
        progress(Step("The stack is up to date"))
    else:
        progress(Step("Updating the stack" if changed else "Updating the stack with the function's code"))
        stack = _update(session, name, stack["StackId"], parameters, progress, poll_seconds)
        changed = True
    outputs = StackOutputs.from_stack(stack) or outputs
    _prune_code(session, outputs.bucket, keep=code.key)
    _ensure_collection(session, outputs.collection_id, progress)
    return DeployResult(name, session.region_name, stack["StackStatus"], changed, outputs)


def _up_to_date(session: AwsSession, stack: dict[str, Any], parameters: dict[str, str]) -> bool:
    """Whether the stack already runs this template with these parameters (then an update is skipped:
    CloudFormation would refuse it with "No updates are to be performed")."""
    current = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    if current != parameters:
        return False
    with session.errors("read the stack's template"):
        deployed = session.client("cloudformation").get_template(
            StackName=stack["StackId"], TemplateStage="Original"
        )["TemplateBody"]
    return deployed == template_body()


def _update(
    session: AwsSession,
    name: str,
    stack_id: str,
    parameters: dict[str, str],
    progress: Progress,
    poll_seconds: float,
) -> dict[str, Any]:
    since = _newest_event_id(session, stack_id)
    with session.errors("update the CloudFormation stack"):
        try:
            session.client("cloudformation").update_stack(
                StackName=stack_id,
                TemplateBody=template_body(),
                Parameters=_parameters(parameters),
                Capabilities=_CAPABILITIES,
            )
        except bce.ClientError as error:
            if error_code(error) == "ValidationError" and "No updates are to be performed" in str(error):
                return session.client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]
            raise
    stack = _wait(session, stack_id, since, progress, poll_seconds)
    if stack["StackStatus"] != "UPDATE_COMPLETE":
        raise CloudError(_failure(name, stack, _first_failure(session, stack_id, since)))
    return stack


def _check_updatable(name: str, status: str) -> None:
    if status == "ROLLBACK_COMPLETE" or status.endswith("_FAILED") or status.endswith("_IN_PROGRESS"):
        raise CloudError(f"the stack {name} cannot be deployed now ({status}): {advice_for(status)}")


def _parameters(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]


def _failure(name: str, stack: dict[str, Any], reason: str) -> str:
    status = stack["StackStatus"]
    why = f" ({reason})" if reason else ""
    return f"deploying the stack {name} failed{why}; it is now {status}: {advice_for(status)}"


def _upload_code(session: AwsSession, bucket: str, key: str, data: bytes, progress: Progress) -> None:
    s3 = session.client("s3")
    with session.errors(f"upload the function's code to s3://{bucket}"):
        try:
            s3.head_object(Bucket=bucket, Key=key)
            return  # this very code is there already (the key is its hash)
        except bce.ClientError as error:
            if error_code(error) == "NoSuchBucket":
                raise _bucket_gone(bucket) from None
            if error_code(error) not in ("404", "NoSuchKey", "NotFound"):
                raise
        progress(Step(f"Uploading the function's code ({len(data) // 1024 + 1} KB)"))
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/zip")
        except bce.ClientError as error:
            if error_code(error) == "NoSuchBucket":
                raise _bucket_gone(bucket) from None
            raise


def _bucket_gone(bucket: str) -> CloudError:
    return CloudError(
        f"the cloud library's bucket {bucket} was deleted outside photosorter and CloudFormation does not "
        "make it again: run `photosorter cloud destroy`, then `photosorter cloud deploy`"
    )


def _prune_code(session: AwsSession, bucket: str, keep: str) -> None:
    """Deletes the zips of earlier deploys: Lambda keeps its own copy of the code it runs."""
    s3 = session.client("s3")
    with session.errors("tidy the function's old code"):
        old = [
            {"Key": item["Key"]}
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="code/")
            for item in page.get("Contents", [])
            if item["Key"] != keep
        ]
        for start in range(0, len(old), _DELETE_BATCH):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": old[start : start + _DELETE_BATCH]})


def _ensure_collection(session: AwsSession, collection_id: str, progress: Progress) -> None:
    rekognition = session.client("rekognition")
    with session.errors(f"create the face collection {collection_id}"):
        try:
            rekognition.create_collection(CollectionId=collection_id)
        except bce.ClientError as error:
            if error_code(error) != "ResourceAlreadyExistsException":
                raise
            return
    progress(Step(f"Created the face collection {collection_id}"))


# -- destroy --------------------------------------------------------------------------------------------


def destroy(
    name: str,
    profile: str | None = None,
    region: str | None = None,
    progress: Progress = _ignore,
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
    since = _newest_event_id(session, stack_id)
    with session.errors("delete the CloudFormation stack"):
        session.client("cloudformation").delete_stack(StackName=stack_id)
    final = _wait(session, stack_id, since, progress, poll_seconds)
    if final["StackStatus"] == "DELETE_FAILED" and bucket:
        # Something wrote to the bucket while it was emptied (a device still uploading): once more.
        more, _ = _empty_bucket(session, bucket, progress)
        deleted += more
        since = _newest_event_id(session, stack_id)
        with session.errors("delete the CloudFormation stack"):
            session.client("cloudformation").delete_stack(StackName=stack_id)
        final = _wait(session, stack_id, since, progress, poll_seconds)
    if final["StackStatus"] != "DELETE_COMPLETE":
        reason = _first_failure(session, stack_id, since)
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
                for start in range(0, len(objects), _DELETE_BATCH):
                    batch = objects[start : start + _DELETE_BATCH]
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


# -- waiting, with events -------------------------------------------------------------------------------


def _wait(
    session: AwsSession, stack_id: str, since: str | None, progress: Progress, poll_seconds: float
) -> dict[str, Any]:
    """Polls the stack until CloudFormation is done with it, passing on each new event in order."""
    cloudformation = session.client("cloudformation")
    seen: set[str] = set()
    while True:
        with session.errors("follow the CloudFormation stack"):
            stack = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]
        # Events after the status: an operation's last events are in once the status says it ended.
        for event in _events_since(session, stack_id, since):
            if event["EventId"] not in seen:
                seen.add(event["EventId"])
                progress(_event(event))
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        time.sleep(poll_seconds)


def _events_since(session: AwsSession, stack_id: str, since: str | None) -> list[dict[str, Any]]:
    """The stack's events newer than the event ``since`` (all when None), oldest first."""
    newer: list[dict[str, Any]] = []
    with session.errors("read the stack's events"):
        pages = session.client("cloudformation").get_paginator("describe_stack_events")
        for page in pages.paginate(StackName=stack_id):
            for event in page["StackEvents"]:  # newest first
                if event["EventId"] == since:
                    return newer[::-1]
                newer.append(event)
    return newer[::-1]


def _newest_event_id(session: AwsSession, stack_id: str) -> str | None:
    with session.errors("read the stack's events"):
        events = session.client("cloudformation").describe_stack_events(StackName=stack_id)["StackEvents"]
    return events[0]["EventId"] if events else None


def _first_failure(session: AwsSession, stack_id: str, since: str | None = None) -> str:
    """Why an operation failed: the reason of its first failed resource (the later ones say "cancelled")."""
    for event in _events_since(session, stack_id, since):
        if event.get("ResourceStatus", "").endswith("_FAILED") and event.get("ResourceStatusReason"):
            return f"{event['LogicalResourceId']}: {event['ResourceStatusReason']}"
    return ""


def _event(event: dict[str, Any]) -> StackEvent:
    return StackEvent(
        time=event["Timestamp"],
        logical_id=event.get("LogicalResourceId", ""),
        resource_type=event.get("ResourceType", ""),
        status=event.get("ResourceStatus", ""),
        reason=event.get("ResourceStatusReason") or "",
    )
