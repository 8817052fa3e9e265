"""Deploying the cloud library's stack: create it, or bring it up to date.

Where the function's code comes from: CloudFormation can inline at most 4 KB of code (``ZipFile``), far
less than ``photosorter.cloud_function``, and a Lambda reads a larger zip from S3 — but the only bucket
we own is the one the stack makes. A separate artifact bucket would be one more thing to create, find
again from other devices and remember to delete, so a new stack is made in **two passes** instead: the
first creates everything with a placeholder function and no S3 notification (``CodeKey`` empty), then the
zip is uploaded to ``code/<sha256>.zip`` in the stack's own bucket, and an update points both functions at
it and turns the notification on. Later deploys are one update, or none: unchanged code gives the same
key, and a stack already running this template with these parameters is left alone. Destroying empties
the bucket, code included, so nothing is left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import botocore.exceptions as bce

from photosorter.core.cloud.package import function_zip
from photosorter.core.cloud.session import AwsSession, CloudError, error_code
from photosorter.core.cloud.stack import (
    DELETE_BATCH,
    POLL_SECONDS,
    Progress,
    StackOutputs,
    Step,
    advice_for,
    bucket_gone,
    check_name,
    describe_stack,
    first_failure,
    newest_event_id,
    no_progress,
    template_body,
    wait_for,
)

DEFAULT_EXPIRE_DAYS = 7
DEFAULT_CONCURRENCY = 5  # Rekognition's smallest per-operation quota is 5 calls per second
_CAPABILITIES = ["CAPABILITY_IAM"]  # the template makes roles (with generated names)


@dataclass(frozen=True, slots=True)
class DeployResult:
    name: str
    region: str
    status: str  # the stack's status after the deploy (CREATE_COMPLETE, UPDATE_COMPLETE)
    changed: bool  # False: the stack already was exactly this
    outputs: StackOutputs


def deploy(
    name: str,
    profile: str | None = None,
    region: str | None = None,
    progress: Progress = no_progress,
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
        stack = wait_for(session, stack_id, None, progress, poll_seconds)
        if stack["StackStatus"] != "CREATE_COMPLETE":
            raise CloudError(_failure(name, stack, first_failure(session, stack_id)))
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
    since = newest_event_id(session, stack_id)
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
    stack = wait_for(session, stack_id, since, progress, poll_seconds)
    if stack["StackStatus"] != "UPDATE_COMPLETE":
        raise CloudError(_failure(name, stack, first_failure(session, stack_id, since)))
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
                raise CloudError(bucket_gone(bucket)) from None
            if error_code(error) not in ("404", "NoSuchKey", "NotFound"):
                raise
        progress(Step(f"Uploading the function's code ({len(data) // 1024 + 1} KB)"))
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/zip")
        except bce.ClientError as error:
            if error_code(error) == "NoSuchBucket":
                raise CloudError(bucket_gone(bucket)) from None
            raise


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
        for start in range(0, len(old), DELETE_BATCH):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": old[start : start + DELETE_BATCH]})


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
