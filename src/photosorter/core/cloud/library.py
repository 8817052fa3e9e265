"""One deployed cloud library as the desktop sees it: its bucket, its table and its change feed.

The stack's outputs are read once (DescribeStacks) and kept for the life of this object, i.e. for a
run. Every call goes through the low-level clients with the contract of ``cloud_function.items``.
"""

from __future__ import annotations

import dataclasses
import mimetypes
import threading
import uuid
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import botocore.exceptions as bce
from boto3.exceptions import S3UploadFailedError

from photosorter.cloud_function import items
from photosorter.core.analysis.types import Feature
from photosorter.core.cloud.session import AwsSession, CloudUnavailable
from photosorter.core.cloud.stack import StackOutputs, stack_outputs
from photosorter.core.settings import Settings

PAGE_SIZE = 500  # feed items per Query page: one page is one catalog transaction


class CloudLibrary:
    """Thread-safe: one instance is shared by a run's workers."""

    def __init__(self, settings: Settings, session: AwsSession | None = None) -> None:
        self.settings = settings
        self.session = session or AwsSession.of(settings)
        self._lock = threading.Lock()
        self._outputs: StackOutputs | None = None

    @property
    def outputs(self) -> StackOutputs:
        with self._lock:
            if self._outputs is None:
                self._outputs = stack_outputs(self.session, self.settings.cloud_stack)
            return self._outputs

    def client(self, service: str) -> Any:
        with self._lock:  # the session's client cache is not thread-safe; the clients are
            return self.session.client(service)

    def close(self) -> None:
        with self._lock:
            self.session.close()

    def _call(self, service: str, operation: str, doing: str, **params: Any) -> dict[str, Any]:
        client = self.client(service)
        with self.session.errors(doing):
            return getattr(client, operation)(**params)

    # -- results -------------------------------------------------------------------------------------------

    def result(self, content_hash: str) -> items.ResultItem | None:
        """The result item of one content (a consistent read: an upload decision rests on it)."""
        found = self._call(
            "dynamodb",
            "get_item",
            "look up a photo in the cloud library",
            TableName=self.outputs.table,
            Key={"pk": {"S": items.result_pk(content_hash)}},
            ConsistentRead=True,
        ).get("Item")
        decoded = items.decode(found) if found else None
        return self.complete(decoded) if isinstance(decoded, items.ResultItem) else None

    def upload(self, content_hash: str, jpeg: bytes, features: Iterable[Feature]) -> None:
        """The analysis image, with the features the function must run; its arrival starts the function."""
        self._call(
            "s3",
            "put_object",
            "upload an analysis image to the cloud library",
            Bucket=self.outputs.bucket,
            Key=items.analysis_key(content_hash),
            Body=jpeg,
            ContentType="image/jpeg",
            Metadata=_metadata(features),
        )

    def upload_video(
        self, content_hash: str, extension: str, video: BinaryIO, features: Iterable[Feature]
    ) -> None:
        """The original video (Rekognition Video reads it from S3; a video cannot be shrunk the way a photo
        is), streamed in parts: a multi-gigabyte file never sits in memory, and the object appears, and
        starts the function, only once its last part is in."""
        key = items.video_key(content_hash, extension)
        content_type = mimetypes.guess_type(f"video{extension}")[0] or "application/octet-stream"
        client = self.client("s3")
        doing = "upload a video to the cloud library"
        with self.session.errors(doing):
            try:
                client.upload_fileobj(
                    video,
                    self.outputs.bucket,
                    key,
                    ExtraArgs={"ContentType": content_type, "Metadata": _metadata(features)},
                )
            except S3UploadFailedError as error:
                # the transfer manager wraps a part's failure; what AWS said is its cause
                if isinstance(error.__cause__, bce.ClientError):
                    raise self.session.client_error(error.__cause__, doing) from None
                raise CloudUnavailable(f"could not {doing}: {error}") from None

    def complete(self, item: items.ResultItem) -> items.ResultItem:
        """``item`` with the responses the function kept in S3 (``stored``: too big for the item) read
        back into ``responses``, so it converts like any other."""
        if item.state != "done" or not item.stored:
            return item
        responses = dict(item.responses)
        for feature, key in item.stored.items():
            body = self._call(
                "s3",
                "get_object",
                "read a stored result from the cloud library",
                Bucket=self.outputs.bucket,
                Key=key,
            )["Body"].read()
            responses[feature] = items.gunzip_json(body)
        return dataclasses.replace(item, responses=responses, stored={})

    # -- the change feed -----------------------------------------------------------------------------------

    def changes(self, after: int, page_size: int = PAGE_SIZE) -> Iterator[list[dict[str, Any]]]:
        """Pages of feed items with ``seq > after``, oldest first: a Query on the ``changes`` index,
        never a Scan, so a sync costs what changed."""
        start: dict[str, Any] | None = None
        while True:
            params: dict[str, Any] = {
                "TableName": self.outputs.table,
                "IndexName": items.FEED_INDEX,
                "KeyConditionExpression": "feed = :feed AND seq > :after",
                "ExpressionAttributeValues": {":feed": {"S": items.FEED}, ":after": {"N": str(after)}},
                "Limit": page_size,
            }
            if start is not None:
                params["ExclusiveStartKey"] = start
            page = self._call("dynamodb", "query", "read the cloud library's changes", **params)
            yield page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    # -- people --------------------------------------------------------------------------------------------

    def put_person(self, person: items.PersonItem) -> None:
        self._call(
            "dynamodb",
            "put_item",
            "save a person in the cloud library",
            TableName=self.outputs.table,
            Item=items.encode_person(person),
        )


def _metadata(features: Iterable[Feature]) -> dict[str, str]:
    """An upload's object metadata: what the function must run, and who wrote it."""
    return {
        items.FEATURES_METADATA: ",".join(sorted(Feature(f).value for f in features)),
        items.SCHEMA_METADATA: str(items.SCHEMA),
        items.UPLOAD_METADATA: uuid.uuid4().hex,  # a retry after a failure is a new upload
    }
