"""A cloud library for tests: moto's server (S3, DynamoDB, CloudFormation) and the function simulated.

The bucket and the table (with the ``changes`` index) are made directly, and a minimal stack exports
their names, so the desktop finds them through DescribeStacks as it would a deployed library (the real
template is the stack's own concern). The function is simulated in-process: for each uploaded analysis
image it makes the Rekognition calls of the direct backend (against the Rekognition test server) and
writes the ``done`` item with ``items.encode_result``.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3

from photosorter.cloud_function import items
from photosorter.core.analysis.rekognition import RekognitionAnalyzer
from photosorter.core.analysis.types import Feature
from photosorter.core.catalog import Catalog
from photosorter.core.catalog.photos import now_iso

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


def start_moto():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # the server's state is the process's moto backends: start each test from nothing
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).read()
    return server, url


@dataclass
class CloudWorld:
    url: str
    stack: str = field(default_factory=lambda: f"ps-{uuid.uuid4().hex[:8]}")
    bucket: str = field(default_factory=lambda: f"ps-bucket-{uuid.uuid4().hex[:8]}")
    table: str = field(default_factory=lambda: f"ps-table-{uuid.uuid4().hex[:8]}")
    collection: str = "photosorter-cloud-test"
    handled: set[str] = field(default_factory=set)

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.url)

    def create(self) -> CloudWorld:
        self.client("s3").create_bucket(Bucket=self.bucket)
        self.client("dynamodb").create_table(
            TableName=self.table,
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
        template = {
            "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {
                "BucketName": {"Value": self.bucket},
                "TableName": {"Value": self.table},
                "CollectionId": {"Value": self.collection},
            },
        }
        self.client("cloudformation").create_stack(StackName=self.stack, TemplateBody=json.dumps(template))
        return self

    def uploads(self) -> dict[str, dict[str, str]]:
        """Every analysis image in the bucket: key -> its metadata."""
        s3 = self.client("s3")
        found = s3.list_objects_v2(Bucket=self.bucket, Prefix=items.ANALYSIS_PREFIX).get("Contents", [])
        return {o["Key"]: s3.head_object(Bucket=self.bucket, Key=o["Key"])["Metadata"] for o in found}

    def run_function(self, *, fail: dict[str, str] | None = None) -> int:
        """The function, for each analysis image not handled yet: Rekognition's answers as a ``done``
        item (or ``failed`` for the hashes in ``fail``, with that reason). Returns how many."""
        s3 = self.client("s3")
        dynamodb = self.client("dynamodb")
        analyzer = RekognitionAnalyzer(region=REGION, rate_limit=0, collection_id=self.collection)
        done = 0
        try:
            for key, metadata in self.uploads().items():
                if key in self.handled:
                    continue
                self.handled.add(key)
                content_hash = items.hash_of_key(key)
                assert content_hash is not None
                features = frozenset(Feature(f) for f in metadata[items.FEATURES_METADATA].split(","))
                if fail and content_hash in fail:
                    item = items.ResultItem(
                        content_hash,
                        "failed",
                        tuple(sorted(features)),
                        {},
                        {},
                        items.now_us(),
                        fail[content_hash],
                    )
                else:
                    analyzer.prepare(features)
                    image = s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                    result = analyzer.analyze(image, features)
                    item = items.ResultItem(
                        content_hash,
                        "done",
                        tuple(sorted(f.value for f in features)),
                        result.raw,
                        {f.value: analyzer.model_version(f) for f in features},
                        items.now_us(),
                    )
                dynamodb.put_item(TableName=self.table, Item=items.encode_result(item))
                done += 1
        finally:
            analyzer.close()
        return done

    def put(self, *found: dict[str, Any]) -> None:
        dynamodb = self.client("dynamodb")
        for start in range(0, len(found), 25):
            dynamodb.batch_write_item(
                RequestItems={
                    self.table: [{"PutRequest": {"Item": item}} for item in found[start : start + 25]]
                }
            )
