"""A cloud library for tests: moto's server (S3, DynamoDB, CloudFormation) and the REAL function.

The bucket and the table (with the ``changes`` index) are made directly, and a minimal stack exports
every output the real template does, so the desktop finds them through DescribeStacks as it would a
deployed library (the real template is the stack's own concern: tests/test_cloud_stack.py). The function is
``photosorter.cloud_function.handler.handle`` itself, called in-process with the S3 ObjectCreated event of
each upload, as Lambda would; its Rekognition is the project's test server (``fake_rekognition``).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
from botocore.config import Config

from photosorter.cloud_function import items
from photosorter.cloud_function.handler import handle
from photosorter.cloud_function.runtime import Runtime, Throttled
from photosorter.core.catalog import Catalog
from photosorter.core.catalog.photos import now_iso
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library

REGION = "us-east-1"


def content_hash(i: int) -> str:
    return f"{i:032x}"


def hold(catalog: Catalog, n: int) -> None:
    """Photo rows for contents 0..n-1 (``content_hash(i)``), as a scan leaves them."""
    with catalog.transaction() as conn:
        folder = conn.execute(
            "INSERT INTO folders (path, added_at) VALUES ('/lib', ?)", (now_iso(),)
        ).lastrowid
        conn.executemany(
            "INSERT INTO photos (folder_id, path, name, hash, state, updated_at)"
            " VALUES (?, ?, ?, ?, 'ok', ?)",
            [(folder, f"/lib/{i}.jpg", f"{i}.jpg", content_hash(i), now_iso()) for i in range(n)],
        )


def device(tmp_path: Path, name: str, world: CloudWorld, folder: Path) -> Library:
    """A library under ``tmp_path/name`` on the cloud backend of ``world``, with ``folder`` scanned."""
    library = Library.open(tmp_path / name)
    library.save_settings(
        library.settings.with_changes(
            backend="cloud", cloud_stack=world.stack, aws_region=REGION, analyze_after_scan=False
        )
    )
    library.add_folder(folder)
    run_to_end(library.scan())
    return library


def analyze(library: Library):
    analyzer = library.analyzer()
    try:
        return run_to_end(library.analyze(library.analysis_run(analyzer)))
    finally:
        analyzer.close()


class LambdaContext:
    """What the handler asks of Lambda's context: the time left (a minute, the function's timeout)."""

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def s3_event(bucket: str, key: str, size: int = 0, etag: str = "0123456789abcdef") -> dict[str, Any]:
    """An S3 ObjectCreated:Put notification as Lambda receives it (event structure version 2.1; the key
    URL-encoded, as S3 sends it)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2026-12-03T12:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.9"},
                "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "analysis-upload",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": uuid.uuid4().hex[:16].upper(),
                    },
                },
            }
        ]
    }


def create_table(dynamodb: Any, name: str) -> None:
    """The library's table as the template makes it: ``pk`` only, and the ``changes`` feed index."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "feed", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": items.FEED_INDEX,
                "KeySchema": [
                    {"AttributeName": "feed", "KeyType": "HASH"},
                    {"AttributeName": "seq", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


@dataclass
class CloudWorld:
    stack: str = field(default_factory=lambda: f"ps-{uuid.uuid4().hex[:8]}")
    bucket: str = field(default_factory=lambda: f"ps-bucket-{uuid.uuid4().hex[:8]}")
    table: str = field(default_factory=lambda: f"ps-table-{uuid.uuid4().hex[:8]}")
    collection: str = "photosorter-cloud-test"
    delivered: list[dict[str, Any]] = field(default_factory=list)  # every event handed to the function
    _seen: set[tuple[str, str]] = field(default_factory=set)  # (key, upload id) already delivered

    def client(self, service: str) -> Any:
        # no endpoint_url: AWS_ENDPOINT_URL (moto) and AWS_ENDPOINT_URL_REKOGNITION (the test server) apply
        return boto3.client(service, region_name=REGION)

    def create(self) -> CloudWorld:
        self.client("s3").create_bucket(Bucket=self.bucket)
        create_table(self.client("dynamodb"), self.table)
        outputs = {
            "BucketName": self.bucket,
            "TableName": self.table,
            "FunctionName": f"{self.stack}-function",
            "DeadLetterQueueUrl": self.client("sqs").create_queue(QueueName=f"{self.stack}-dlq")["QueueUrl"],
            "CollectionId": self.collection,
            "VideoTopicArn": self.video_topic()[0],
            "VideoRoleArn": self.video_topic()[1],
            "Region": REGION,
        }
        template = {
            "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {name: {"Value": value} for name, value in outputs.items()},
        }
        self.client("cloudformation").create_stack(StackName=self.stack, TemplateBody=json.dumps(template))
        return self

    def create_collection(self) -> CloudWorld:
        """The face collection, as ``cloud deploy`` leaves it (Rekognition: the project's test server)."""
        self.client("rekognition").create_collection(CollectionId=self.collection)
        return self

    def runtime(self) -> Runtime:
        """The function's runtime as ``Runtime.from_environment`` makes it in Lambda (botocore's retries
        off: the function backs off itself), pointed at this world's resources."""
        once = Config(retries={"mode": "standard", "total_max_attempts": 1})
        return Runtime(
            s3=self.client("s3"),
            dynamodb=self.client("dynamodb"),
            rekognition=boto3.client("rekognition", region_name=REGION, config=once),
            table=self.table,
            bucket=self.bucket,
            collection_id=self.collection,
            sleep=lambda _: None,
        )

    def uploads(self) -> dict[str, dict[str, str]]:
        """Every analysis image in the bucket: key -> its metadata."""
        return self.metadata(items.ANALYSIS_PREFIX)

    def metadata(self, prefix: str) -> dict[str, dict[str, str]]:
        """Every object under ``prefix``: key -> its metadata."""
        s3 = self.client("s3")
        return {
            o["Key"]: s3.head_object(Bucket=self.bucket, Key=o["Key"])["Metadata"]
            for o in self.objects(prefix)
        }

    def objects(self, prefix: str) -> list[dict[str, Any]]:
        """The bucket's objects under ``prefix`` (ListObjectsV2 entries)."""
        return self.client("s3").list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])

    def video_topic(self) -> tuple[str, str]:
        """The SNS topic and the role Rekognition Video publishes its completion notices with."""
        return (
            f"arn:aws:sns:{REGION}:123456789012:{self.stack}-video",
            f"arn:aws:iam::123456789012:role/{self.stack}-video",
        )

    def new_events(self) -> list[dict[str, Any]]:
        """The ObjectCreated event of each upload not yet handed to the function (an upload of the same
        key again, e.g. "Retry failed photos", is a new one: it carries a new upload id)."""
        s3 = self.client("s3")
        events = []
        for entry in self.objects(items.ANALYSIS_PREFIX) + self.objects(items.VIDEO_PREFIX):
            head = s3.head_object(Bucket=self.bucket, Key=entry["Key"])
            seen = (entry["Key"], head["Metadata"].get(items.UPLOAD_METADATA, head["ETag"]))
            if seen not in self._seen:
                self._seen.add(seen)
                events.append(s3_event(self.bucket, entry["Key"], entry["Size"], head["ETag"].strip('"')))
        return events

    def deliver(self, event: dict[str, Any], runtime: Runtime | None = None) -> None:
        """Lambda invoking the function with ``event`` once; a Throttled invocation is one Lambda would
        retry later (the item records the retryable failure meanwhile)."""
        self.delivered.append(event)
        with contextlib.suppress(Throttled):
            handle(event, LambdaContext(), runtime or self.runtime())

    def run_function(self, *, fail: dict[str, str] | None = None, fake: Any = None) -> int:
        """The function, for each upload not handled yet; for a hash in ``fail``, Rekognition (``fake``,
        the test server) answers that error code to the first call. Returns how many events ran."""
        runtime = self.runtime()
        events = self.new_events()
        for event in events:
            key = event["Records"][0]["s3"]["object"]["key"]
            if fail and (code := fail.get(items.hash_of_key(key) or "")):
                fake.fail_next(code)
            self.deliver(event, runtime)
        return len(events)

    def put(self, *found: dict[str, Any]) -> None:
        dynamodb = self.client("dynamodb")
        for start in range(0, len(found), 25):
            dynamodb.batch_write_item(
                RequestItems={
                    self.table: [{"PutRequest": {"Item": item}} for item in found[start : start + 25]]
                }
            )
