"""The cloud library's CloudFormation stack as the desktop sees it: its template, outputs and states,
and following an operation on it (``wait_for``) with its events.

Progress is streamed as typed records: ``Step`` (what a deploy or destroy is doing) and ``StackEvent``
(each CloudFormation resource event, as the console shows them). ``deploy.py`` makes or updates the
stack, ``destroy.py`` removes it, ``status.py`` reports on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import botocore.exceptions as bce

from photosorter.core.cloud.session import AwsSession, CloudError, error_code
from photosorter.core.settings import STACK_NAME

POLL_SECONDS = 3.0
DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys


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


def no_progress(_: Step | StackEvent) -> None:
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


def bucket_gone(bucket: str) -> str:
    return (
        f"the cloud library's bucket {bucket} was deleted outside photosorter, so nothing can be uploaded, "
        "and CloudFormation does not make it again: run `photosorter cloud destroy`, then "
        "`photosorter cloud deploy`"
    )


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


# -- following an operation, with its events ---------------------------------------------------------


def wait_for(
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


def newest_event_id(session: AwsSession, stack_id: str) -> str | None:
    with session.errors("read the stack's events"):
        events = session.client("cloudformation").describe_stack_events(StackName=stack_id)["StackEvents"]
    return events[0]["EventId"] if events else None


def first_failure(session: AwsSession, stack_id: str, since: str | None = None) -> str:
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
