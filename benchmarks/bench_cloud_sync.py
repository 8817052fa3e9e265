"""The cloud library's sync: a first sync of a big library against a sync of a few changes.

Usage: python benchmarks/bench_cloud_sync.py [--items N] [--changes M]

A moto DynamoDB (server mode, reached over HTTP by the real boto3 client, as in the tests) holds N
result items (default 20,000, written with BatchWriteItem), each with the Rekognition responses of a
photo (labels, indexed faces, text), written long ago; the catalog holds the N photos. The first sync
reads and imports them all; then M new results (default 100) are written now and a second sync reads
them. The first line of each is items/s; the last line is ``ratio first-sync/100-change-sync N``: a
sync that read the whole table again would show a ratio near 1, one that reads only the changes
(a Query above the cursor, never a Scan) shows about N/M. moto answers a Query by looking at every
item of the table, so the ratio here is lower than against DynamoDB.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the test suite's moto cloud library (bucket, table, stack)

HOUR_US = 3_600_000_000


def responses(i: int) -> dict:
    labels = [
        {
            "Name": name,
            "Confidence": 90.0 + (i + k) % 10,
            "Parents": [{"Name": "Thing"}],
            "Aliases": [],
            "Categories": [{"Name": "Everyday"}],
            "Instances": [],
        }
        for k, name in enumerate(("Dog", "Beach", "Person", "Car", "Mountain", "Cake", "Tree", "Sky"))
    ]
    box = {"Width": 0.2, "Height": 0.25, "Left": 0.1 + (i % 5) / 10, "Top": 0.2}
    face = {
        "Face": {"FaceId": f"{i:08x}-0000-4000-8000-000000000000", "BoundingBox": box, "Confidence": 99.9},
        "FaceDetail": {
            "BoundingBox": box,
            "Confidence": 99.9,
            "AgeRange": {"Low": 20, "High": 30},
            "Smile": {"Value": True, "Confidence": 95.0},
            "Emotions": [{"Type": "HAPPY", "Confidence": 90.0}, {"Type": "CALM", "Confidence": 5.0}],
            "Landmarks": [{"Type": "eyeLeft", "X": 0.2, "Y": 0.3}, {"Type": "eyeRight", "X": 0.3, "Y": 0.3}],
            "Pose": {"Roll": 1.0, "Yaw": 2.0, "Pitch": 3.0},
            "Quality": {"Brightness": 80.0, "Sharpness": 90.0},
        },
    }
    text = [
        {
            "DetectedText": "HELLO WORLD",
            "Type": "LINE",
            "Id": 0,
            "Confidence": 98.0,
            "Geometry": {"BoundingBox": box},
        },
        {"DetectedText": "HELLO", "Type": "WORD", "Id": 1, "ParentId": 0, "Confidence": 98.0},
        {"DetectedText": "WORLD", "Type": "WORD", "Id": 2, "ParentId": 0, "Confidence": 98.0},
    ]
    return {
        "labels": {"Labels": labels, "LabelModelVersion": "3.0"},
        "faces": {"FaceRecords": [face], "FaceModelVersion": "7.0", "UnindexedFaces": []},
        "text": {"TextDetections": text, "TextModelVersion": "3.0"},
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--changes", type=int, default=100)
    args = parser.parse_args()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        os.environ[name] = value

    from cloud_world import REGION, CloudWorld, content_hash, hold
    from photosorter.cloud_function import items
    from photosorter.core.cloud.library import CloudLibrary
    from photosorter.core.cloud.sync import sync
    from photosorter.core.jobs import run_to_end
    from photosorter.core.library import Library

    # moto in a process of its own: its work (it answers a Query by looking at every item) must not
    # share this process's GIL with the sync being timed
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).read()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("moto's server did not start") from None
            time.sleep(0.1)
    os.environ["AWS_ENDPOINT_URL"] = url
    total = args.items + args.changes
    versions = {
        "labels": "DetectLabels/2016-06-27",
        "faces": "IndexFaces/2016-06-27/photosorter-bench",
        "text": "DetectText/2016-06-27",
    }

    def item(i: int, seq: int) -> dict:
        found = items.ResultItem(
            content_hash(i), "done", ("faces", "labels", "text"), responses(i), versions, seq
        )
        return items.encode_result(found)

    try:
        world = CloudWorld(collection="photosorter-bench").create()  # AWS_ENDPOINT_URL: moto
        with tempfile.TemporaryDirectory() as home:
            library = Library.open(home)
            library.save_settings(
                library.settings.with_changes(backend="cloud", cloud_stack=world.stack, aws_region=REGION)
            )
            hold(library.catalog, total)  # the photos, as a scan leaves them
            started = time.perf_counter()
            # a library's history: results written over the last two days, the newest an hour ago
            long_ago = items.now_us() - 49 * HOUR_US
            spacing = 48 * HOUR_US // args.items
            world.put(*(item(i, long_ago + i * spacing) for i in range(args.items)))
            print(
                f"wrote {args.items} result items in {time.perf_counter() - started:.1f} s (BatchWriteItem)"
            )

            cloud = CloudLibrary(library.settings)

            def timed_sync(what: str):
                started = time.perf_counter()
                report = run_to_end(sync(library.catalog, cloud))
                seconds = time.perf_counter() - started
                print(
                    f"{what}: {report.read} items read, {report.results} imported in {seconds:.3f} s"
                    f" = {report.results / seconds:.0f} items/s ({report.pages} pages)"
                )
                return report, seconds

            first, first_s = timed_sync("first sync")
            now = items.now_us()
            world.put(*(item(i, now + i) for i in range(args.items, total)))
            changed, changed_s = timed_sync(f"{args.changes}-change sync")
            cloud.close()
            library.close()
            assert first.results == args.items and changed.results == args.changes
            print(f"ratio first-sync/{args.changes}-change-sync {first_s / changed_s:.1f}")
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
