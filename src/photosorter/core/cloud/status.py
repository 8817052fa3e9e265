"""`photosorter cloud status`: the stack's state, what the function has done, what failed, what it cost.

How things are counted (each costs a little, so status is something a user asks for, not a poller):

* results (analyzed, analyzing, failed, and each failure's reason) come from **one paged Query of the
  change feed** (the ``changes`` index), projected to the key, state and error — exact, unlike the
  table's ``ItemCount``, which DynamoDB refreshes only about every six hours. Reading 1M results costs
  about 0.4M read units (≈ $0.05 on demand);
* uploads waiting for the function are the objects under ``analysis/`` and ``video/`` that have no result
  item yet (the bucket holds only the last N days of uploads, so this stays small);
* dead letters are the dead-letter queue's ``ApproximateNumberOfMessages``: events the function failed
  on three times;
* calls and cost come from the ``meta#usage`` item the function adds its Rekognition calls and seconds
  of video to, priced with the same table as direct analysis (``core.analysis.pricing``): image calls
  per call, video jobs per minute.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import botocore.exceptions as bce

from photosorter.cloud_function import items
from photosorter.core.analysis.pricing import VIDEO_PRICE_USD_PER_MINUTE, Operation, price, usd
from photosorter.core.cloud.session import AwsSession, error_code
from photosorter.core.cloud.stack import StackOutputs, advice_for, bucket_gone, check_name, describe_stack

NOT_DEPLOYED = "NOT_DEPLOYED"
_HEALTHY = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"})


@dataclass(frozen=True, slots=True)
class FailureCount:
    reason: str
    photos: int


@dataclass(frozen=True, slots=True)
class OperationUsage:
    operation: str
    calls: int
    cost_usd: float | None  # None: billed another way (a video job is billed by its minutes)


@dataclass(frozen=True, slots=True)
class CloudStatus:
    name: str
    region: str
    state: str  # the CloudFormation stack status, or NOT_DEPLOYED
    advice: str = ""  # what the state means and what to do; "" when all is well
    outputs: StackOutputs | None = None
    analyzed: int | None = None  # None: not counted (the stack is not working)
    analyzing: int = 0  # claimed by a function right now
    waiting: int = 0  # uploaded, not claimed yet
    failed: int = 0
    failures: tuple[FailureCount, ...] = ()  # the reasons, most frequent first
    dead_letters: int | None = None
    usage: tuple[OperationUsage, ...] | None = None  # None: the function has recorded no usage
    video_minutes: float = 0.0  # every video job's minutes, summed over its features
    problems: tuple[str, ...] = ()  # something is wrong with a resource (a deleted bucket)

    @property
    def pending(self) -> int:
        return self.analyzing + self.waiting

    @property
    def calls(self) -> int | None:
        return None if self.usage is None else sum(u.calls for u in self.usage)

    @property
    def cost_usd(self) -> float | None:
        if self.usage is None:
            return None
        # Every Rekognition Video feature is listed at one price a minute; the highest errs high.
        video = self.video_minutes * max(VIDEO_PRICE_USD_PER_MINUTE.values())
        return sum(u.cost_usd or 0.0 for u in self.usage) + video

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(pending=self.pending, calls=self.calls, cost_usd=self.cost_usd)
        return data


def status(
    name: str, profile: str | None = None, region: str | None = None, *, session: AwsSession | None = None
) -> CloudStatus:
    check_name(name)
    session = session or AwsSession(profile, region)
    stack = describe_stack(session, name)
    if stack is None:
        return CloudStatus(
            name, session.region_name, NOT_DEPLOYED, "there is no such stack: run `photosorter cloud deploy`"
        )
    state = stack["StackStatus"]
    outputs = StackOutputs.from_stack(stack)
    base = CloudStatus(name, session.region_name, state, advice_for(state), outputs)
    if outputs is None or state not in _HEALTHY:
        return base
    problems: list[str] = []
    uploaded = _uploaded_hashes(session, outputs.bucket, problems)
    counts, reasons, with_item = _results(session, outputs.table)
    usage, video_minutes = _usage(session, outputs.table)
    return CloudStatus(
        name=name,
        region=session.region_name,
        state=state,
        advice=base.advice,
        outputs=outputs,
        analyzed=counts["done"],
        analyzing=counts["analyzing"],
        waiting=len(uploaded - with_item),
        failed=counts["failed"],
        failures=tuple(FailureCount(reason, n) for reason, n in reasons.most_common()),
        dead_letters=_dead_letters(session, outputs.dead_letter_queue_url),
        usage=usage,
        video_minutes=video_minutes,
        problems=tuple(problems),
    )


def _uploaded_hashes(session: AwsSession, bucket: str, problems: list[str]) -> set[str]:
    s3 = session.client("s3")
    hashes: set[str] = set()
    with session.errors(f"list the bucket {bucket}"):
        try:
            for prefix in (items.ANALYSIS_PREFIX, items.VIDEO_PREFIX):
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                    for entry in page.get("Contents", []):
                        if content_hash := items.hash_of_key(entry["Key"]):
                            hashes.add(content_hash)
        except bce.ClientError as error:
            if error_code(error) != "NoSuchBucket":
                raise
            problems.append(bucket_gone(bucket))
    return hashes


def _results(session: AwsSession, table: str) -> tuple[Counter[str], Counter[str], set[str]]:
    """Results by state, failure reasons, and the hashes that have a result item (any state)."""
    dynamodb = session.client("dynamodb")
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    hashes: set[str] = set()
    with session.errors(f"read the table {table}"):
        pages = dynamodb.get_paginator("query").paginate(
            TableName=table,
            IndexName=items.FEED_INDEX,
            KeyConditionExpression="#feed = :feed",
            FilterExpression="begins_with(#pk, :result)",
            ProjectionExpression="#pk, #state, #error",
            ExpressionAttributeNames={"#feed": "feed", "#pk": "pk", "#state": "state", "#error": "error"},
            ExpressionAttributeValues={":feed": {"S": items.FEED}, ":result": {"S": "result#"}},
        )
        for page in pages:
            for item in page.get("Items", []):
                state = item.get("state", {}).get("S", "")
                counts[state] += 1
                hashes.add(item["pk"]["S"].split("#", 1)[1])
                if state == "failed":
                    reasons[item.get("error", {}).get("S", "") or "no reason recorded"] += 1
    return counts, reasons, hashes


def _dead_letters(session: AwsSession, queue_url: str) -> int:
    with session.errors("read the dead-letter queue"):
        attributes = session.client("sqs").get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0))


def _usage(session: AwsSession, table: str) -> tuple[tuple[OperationUsage, ...] | None, float]:
    """The calls the function recorded, priced (None when it recorded none), and the video minutes."""
    with session.errors(f"read the table {table}"):
        item = session.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": items.USAGE_PK}})
    usage = items.decode_usage(item.get("Item"))
    if not usage.calls and not usage.video_seconds:
        return None, 0.0
    known = {op.value for op in Operation}
    calls = tuple(
        OperationUsage(op, n, price(op) * n if op in known else None) for op, n in sorted(usage.calls.items())
    )
    return calls, usage.video_seconds / 60


def status_lines(result: CloudStatus) -> list[str]:
    """The status as text lines: the CLI prints them, the settings dialog shows them."""
    lines = [f"Cloud library '{result.name}' in {result.region}: {result.state}"]
    if result.advice:
        lines.append(f"  {result.advice}")
    lines += [f"  Problem: {problem}" for problem in result.problems]
    if result.analyzed is None:
        return lines
    lines.append(f"Analyzed: {_counted(result.analyzed, 'photo')}")
    lines.append(
        f"Pending: {result.pending} ({result.analyzing} being analyzed, "
        f"{result.waiting} uploaded and waiting)"
    )
    lines.append(f"Failed: {_counted(result.failed, 'photo')}")
    lines += [f"  {failure.photos} × {failure.reason}" for failure in result.failures]
    if result.dead_letters:
        lines.append(
            f"Dead letters: {_counted(result.dead_letters, 'event')} the function gave up on after retries"
        )
    else:
        lines.append("Dead letters: none")
    if result.usage is None or result.cost_usd is None:
        lines.append("Calls and cost: not recorded (the function has recorded no Rekognition calls)")
    else:
        calls = ", ".join(f"{u.operation} {u.calls}" for u in result.usage)
        video = f" and {result.video_minutes:.1f} minutes of video" if result.video_minutes else ""
        lines.append(
            f"Calls and cost: {_counted(result.calls or 0, 'call')}{video}, about ${usd(result.cost_usd)} "
            f"at list prices ({calls})"
        )
    if result.outputs is not None:
        lines.append(f"Bucket {result.outputs.bucket}, table {result.outputs.table}")
    return lines


def status_summary(result: CloudStatus) -> str:
    """The status in one line (the settings dialog's Cloud library section)."""
    if result.analyzed is None:
        return f"{result.state}: {result.advice}" if result.advice else result.state
    cost = "cost not recorded" if result.cost_usd is None else f"about ${usd(result.cost_usd)} so far"
    problems = f" ⚠ {result.problems[0]}" if result.problems else ""
    return (
        f"{result.state}: {result.analyzed} analyzed, {result.pending} pending, {result.failed} failed, "
        f"{result.dead_letters or 0} dead letters; {cost}{problems}"
    )


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
