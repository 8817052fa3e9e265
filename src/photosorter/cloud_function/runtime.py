"""What the function runs with: its AWS clients and settings, and calls that back off when throttled.

``Runtime.from_environment()`` reads the Lambda's environment (``TABLE_NAME``, ``BUCKET_NAME``,
``COLLECTION_ID``, ``VIDEO_TOPIC_ARN``, ``VIDEO_ROLE_ARN``) once per warm container; tests build a Runtime
with their own clients (moto, botocore Stubber), clock and sleep instead.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions as bce
from botocore import xform_name
from botocore.config import Config

log = logging.getLogger("photosorter.cloud_function")

# Throttling and the service's own trouble: worth another try after a pause; anything else is an answer.
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",  # Rekognition Video: too many concurrent jobs
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
BACKOFF_BASE_S = 0.25
BACKOFF_CAP_S = 8.0
# Time kept back from the backoff for what follows a last failed attempt: releasing the claim and recording
# usage (two DynamoDB writes), so the function never dies by timeout holding a claim.
RESERVE_MS = 5_000


class Throttled(RuntimeError):
    """Rekognition kept saying "slow down" for as long as this invocation could wait: raised out of the
    handler so that Lambda retries the event later, and sends it to the dead-letter queue in the end."""


@dataclass
class Runtime:
    s3: Any
    dynamodb: Any
    rekognition: Any
    table: str
    bucket: str
    collection_id: str = ""
    video_topic_arn: str = ""
    video_role_arn: str = ""
    clock: Callable[[], float] = time.time  # epoch seconds, for claims
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    # What this invocation paid for, not yet added to the usage item: successful billed calls (a throttled
    # call is not billed; Get* and CreateCollection are free) and seconds of video analyzed.
    calls: dict[str, int] = field(default_factory=dict)
    video_seconds: float = 0.0

    @classmethod
    def from_environment(cls) -> Runtime:
        # Our own backoff (below) handles throttling inside the invocation's time budget; botocore's
        # retries on top would spend that budget without our knowing.
        once = Config(retries={"mode": "standard", "total_max_attempts": 1}, user_agent_extra="photosorter")
        # Lambda's root logger passes WARNING and up; what was skipped and why is worth the log lines.
        log.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO"))
        return cls(
            s3=boto3.client("s3"),
            dynamodb=boto3.client("dynamodb"),
            rekognition=boto3.client("rekognition", config=once),
            table=os.environ["TABLE_NAME"],
            bucket=os.environ["BUCKET_NAME"],
            collection_id=os.environ.get("COLLECTION_ID", ""),
            video_topic_arn=os.environ.get("VIDEO_TOPIC_ARN", ""),
            video_role_arn=os.environ.get("VIDEO_ROLE_ARN", ""),
        )

    def now(self) -> int:
        return int(self.clock())

    def rekognition_call(self, context: Any, operation: str, **params: Any) -> dict[str, Any]:
        """One Rekognition call, retried with exponential backoff and full jitter while throttled and while
        the invocation has time left (``context.get_remaining_time_in_millis``); Throttled after that.
        Other errors propagate as botocore ClientError. Returns the response without ResponseMetadata."""
        method = getattr(self.rekognition, xform_name(operation))
        attempt = 0
        while True:
            try:
                response = dict(method(**params))
            except bce.ClientError as error:
                code = error_code(error)
                if code not in RETRYABLE_CODES:
                    raise
                delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt) * self.jitter()
                remaining = context.get_remaining_time_in_millis()
                if remaining - delay * 1000 < RESERVE_MS:
                    raise Throttled(
                        f"Rekognition {operation} was throttled ({code}) {attempt + 1} times in a row"
                    ) from error
                log.warning("%s throttled (%s); retrying in %.2f s", operation, code, delay)
                self.sleep(delay)
                attempt += 1
                continue
            if not operation.startswith("Get") and operation != "CreateCollection":
                self.calls[operation] = self.calls.get(operation, 0) + 1
            response.pop("ResponseMetadata", None)
            return response

    def create_collection(self, context: Any) -> None:
        """Makes the library's face collection (gone or never made); fine if another function just did."""
        try:
            self.rekognition_call(context, "CreateCollection", CollectionId=self.collection_id)
            log.info("made the face collection %s", self.collection_id)
        except bce.ClientError as error:
            if error_code(error) != "ResourceAlreadyExistsException":
                raise


def error_code(error: bce.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: bce.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))
