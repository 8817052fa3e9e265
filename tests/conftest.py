"""Shared fixtures: a temporary home for every test, real photos, and an in-process CLI runner."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test ever touches the user's real catalog, thumbnails, settings or AWS config."""
    home = tmp_path / "home"
    monkeypatch.setenv("PHOTOSORTER_HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def _no_dangling_threads():
    """Fails a test that leaves a worker thread running: a leaked thread is a leaked scan or analysis."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not leaked, f"test left threads running: {sorted(t.name for t in leaked)}"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region for boto3, so Stubber and fake-server tests never reach real AWS."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_REKOGNITION", raising=False)


@pytest.fixture
def client(aws_env: None):
    """A real boto3 Rekognition client, for Stubber: every request is checked against the service model."""
    import boto3

    return boto3.client("rekognition", region_name="us-east-1")


@pytest.fixture
def stub(client):
    """botocore's Stubber on ``client``; a test fails if a response it queued was never asked for."""
    from botocore.stub import Stubber

    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def fake_rekognition(aws_env: None, monkeypatch: pytest.MonkeyPatch):
    """Our Rekognition-compatible test server, which the real boto3 client reaches through its own
    AWS_ENDPOINT_URL_REKOGNITION setting."""
    from rekognition_server import FakeRekognition

    with FakeRekognition() as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_REKOGNITION", fake.url)
        yield fake


@pytest.fixture(scope="module")
def moto_url():
    """moto's server for every AWS service (S3, DynamoDB, SQS, SNS, IAM, Lambda, CloudFormation), shared
    by a test file's tests; ``aws`` resets it for each."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url: str, fake_rekognition, monkeypatch: pytest.MonkeyPatch):
    """An offline AWS for the cloud library: the real boto3 clients reach moto through
    AWS_ENDPOINT_URL, and Rekognition (which moto hardly knows) is the project's test server
    (AWS_ENDPOINT_URL_REKOGNITION)."""
    # moto keeps its state in the process, across servers: every test starts from nothing
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    return fake_rekognition


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    return _isolated_home


@pytest.fixture
def library(home: Path):
    """The library of ``home``, not analyzing after a scan: a test starts analysis when it means to."""
    from photosorter.core.library import Library

    lib = Library.open(home)
    lib.save_settings(lib.settings.with_changes(analyze_after_scan=False))
    yield lib
    lib.close()


@pytest.fixture
def photo_folder(tmp_path: Path) -> Path:
    """A writable copy of the real test photos (tests may add, move and break files in it)."""
    folder = tmp_path / "photos"
    shutil.copytree(DATA / "photos", folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Runs `photosorter ARGS...` in-process and returns its exit code and output."""
    from photosorter.cli import main

    def run(*args: str | Path) -> CliResult:
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
