"""One deployed cloud library as the desktop sees it: its bucket, its table and its change feed.

The stack's outputs are read once (DescribeStacks) and kept for the life of this object, i.e. for a
run. Every call goes through the low-level clients with the contract of ``cloud_function.items``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

import botocore.exceptions as bce

from photosorter.cloud_function import items
from photosorter.core.analysis.types import Feature
from photosorter.core.cloud.aws import ClientFactory, StackOutputs, aws_error, client_factory, stack_outputs
from photosorter.core.settings import Settings

PAGE_SIZE = 500  # feed items per Query page: one page is one catalog transaction


class CloudLibrary:
    """Thread-safe: one instance is shared by a run's workers."""

    def __init__(self, settings: Settings, clients: ClientFactory | None = None) -> None:
        self.settings = settings
        self._make = clients or client_factory(settings)
        self._lock = threading.Lock()
        self._outputs: StackOutputs | None = None
        self._clients: dict[str, Any] = {}

    @property
    def outputs(self) -> StackOutputs:
        with self._lock:
            if self._outputs is None:
                self._outputs = stack_outputs(
                    self._client("cloudformation"), self.settings.cloud_stack, self.settings
                )
            return self._outputs

    def _client(self, service: str) -> Any:
        # under self._lock, or from a method that takes it
        if service not in self._clients:
            self._clients[service] = self._make(service)
        return self._clients[service]

    def client(self, service: str) -> Any:
        with self._lock:
            return self._client(service)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    def _call(self, service: str, operation: str, doing: str, **params: Any) -> dict[str, Any]:
        try:
            return getattr(self.client(service), operation)(**params)
        except (bce.ClientError, bce.BotoCoreError) as error:
            raise aws_error(error, doing, self.settings) from error

    # -- results -------------------------------------------------------------------------------------------

    def result(self, content_hash: str) -> items.ResultItem | None:
        """The result item of one content (a consistent read: an upload decision rests on it)."""
        found = self._call(
            "dynamodb",
            "get_item",
            "looking up a photo in the cloud library",
            TableName=self.outputs.table,
            Key={"pk": {"S": items.result_pk(content_hash)}},
            ConsistentRead=True,
        ).get("Item")
        decoded = items.decode(found) if found else None
        return decoded if isinstance(decoded, items.ResultItem) else None

    def upload(self, content_hash: str, jpeg: bytes, features: Iterable[Feature]) -> None:
        """The analysis image, with the features the function must run; its arrival starts the function."""
        self._call(
            "s3",
            "put_object",
            "uploading an analysis image to the cloud library",
            Bucket=self.outputs.bucket,
            Key=items.analysis_key(content_hash),
            Body=jpeg,
            ContentType="image/jpeg",
            Metadata={
                items.FEATURES_METADATA: ",".join(sorted(Feature(f).value for f in features)),
                items.SCHEMA_METADATA: str(items.SCHEMA),
            },
        )

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
            page = self._call("dynamodb", "query", "reading the cloud library's changes", **params)
            yield page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    # -- people --------------------------------------------------------------------------------------------

    def put_person(self, person: items.PersonItem) -> None:
        self._call(
            "dynamodb",
            "put_item",
            "saving a person in the cloud library",
            TableName=self.outputs.table,
            Item=items.encode_person(person),
        )
