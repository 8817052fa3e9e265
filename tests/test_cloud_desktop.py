"""The cloud backend on the desktop: look up, import, upload; two devices sharing one cloud library."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PIL import Image

from cloud_world import REGION, CloudWorld, analyze, device
from photosorter.cloud_function import items, store
from photosorter.core import faces
from photosorter.core.analysis.types import Feature
from photosorter.core.catalog import cloud as cloud_rows
from photosorter.core.catalog.analysis import results_for
from photosorter.core.catalog.failures import analysis_failures, clear_failures
from photosorter.core.cloud.library import CloudLibrary
from photosorter.core.cloud.status import status
from photosorter.core.cloud.sync import sync
from photosorter.core.jobs import run_to_end
from photosorter.core.library import Library

ANALYSIS_OPERATIONS = ("DetectLabels", "IndexFaces", "DetectText", "DetectFaces")


@pytest.fixture
def cloud(aws) -> CloudWorld:
    return CloudWorld().create().create_collection()


def make_photos(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        rng = random.Random(i)
        image = Image.new("RGB", (240, 180), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        image.putpixel((i % 240, 7), (255 - i, i, 3 * i % 256))  # distinct bytes, distinct content
        path = folder / f"photo_{i:02d}.jpg"
        image.save(path, quality=90)
        paths.append(path)
    return paths


def analysis_calls(fake) -> int:
    return sum(fake.calls[op] for op in ANALYSIS_OPERATIONS)


def stored(library: Library) -> dict[str, tuple]:
    """What each content's analysis says, backend and model versions included."""
    hashes = {h for (h,) in library.catalog.connection().execute("SELECT hash FROM photos")}
    out = {}
    for content_hash in sorted(hashes):
        found = results_for(library.catalog, content_hash)
        out[content_hash] = (
            tuple((r.name, r.confidence, r.backend) for r in found.labels),
            tuple((r.text, r.backend) for r in found.text),
            tuple((r.box, r.backend) for r in found.faces),
            tuple((s.backend, s.feature, s.model_version, s.status) for s in found.states or ()),
        )
    return out


def test_two_devices_share_results_and_names(tmp_path: Path, cloud: CloudWorld, fake_rekognition, cli):
    make_photos(tmp_path / "a-photos", 20)
    make_photos(tmp_path / "b-photos", 20)  # the same bytes on another computer
    a = device(tmp_path, "a", cloud, tmp_path / "a-photos")
    b = device(tmp_path, "b", cloud, tmp_path / "b-photos")
    try:
        first = analyze(a)
        assert (first.analyzed, first.waiting, first.failed) == (0, 20, [])
        assert analysis_calls(fake_rekognition) == 0  # the desktop itself never calls Rekognition
        uploads = cloud.uploads()
        assert len(uploads) == 20
        assert {m[items.FEATURES_METADATA] for m in uploads.values()} == {"faces,labels,text"}
        assert cloud_rows.waiting_count(a.catalog) == 20

        again = analyze(a)  # waiting photos are neither failed nor uploaded again
        assert (again.analyzed, again.waiting, again.failed) == (0, 20, [])
        assert len(cloud.uploads()) == 20

        assert cloud.run_function() == 20  # the real handler, once per uploaded object
        paid = analysis_calls(fake_rekognition)
        assert paid == 60  # labels, faces, text: 3 calls per photo
        assert fake_rekognition.calls["IndexFaces"] == 20
        # `cloud status` reads the usage counters the function wrote
        usage = status(cloud.stack, region=REGION)
        assert usage.analyzed == 20 and usage.failed == 0 and usage.pending == 0
        assert {(u.operation, u.calls) for u in usage.usage or ()} == {
            ("DetectLabels", 20),
            ("DetectText", 20),
            ("IndexFaces", 20),
        }
        report = run_to_end(sync(a.catalog, CloudLibrary(a.settings)))
        assert report.results == 20
        assert cloud_rows.waiting_count(a.catalog) == 0
        results_a = stored(a)
        assert all(labels and states for labels, _, _, states in results_a.values())
        assert {s[0] for *_, states in results_a.values() for s in states} == {"rekognition"}

        # a name given on A: its faces are FaceIds of the shared collection, its person a Rekognition user
        a.group_faces()
        face_id = a.catalog.scalar("SELECT min(id) FROM faces WHERE external_id IS NOT NULL")
        faces.name_face(a.catalog, int(face_id), "Alice", services=a.face_services())
        run_to_end(sync(a.catalog, CloudLibrary(a.settings)))
        alice_a = {
            e
            for (e,) in a.catalog.connection().execute(
                "SELECT f.external_id FROM faces f JOIN people p ON p.id = f.person_id WHERE p.name = 'Alice'"
            )
        }
        assert alice_a

        calls_before = fake_rekognition.total_calls
        objects_before = set(cloud.uploads())
        b_report = run_to_end(sync(b.catalog, CloudLibrary(b.settings)))
        run = b.analysis_run(b.analyzer())
        after = run_to_end(run.run())
        run.analyzer.close()
        assert b_report.results == 20 and b_report.people == 1
        assert (after.analyzed, after.waiting, after.skipped) == (0, 0, 20)
        assert fake_rekognition.total_calls == calls_before  # zero Rekognition calls of any kind on B
        assert set(cloud.uploads()) == objects_before  # and zero uploads
        assert stored(b) == results_a  # stored exactly as A stored them
        alice_b = {
            e
            for (e,) in b.catalog.connection().execute(
                "SELECT f.external_id FROM faces f JOIN people p ON p.id = f.person_id WHERE p.name = 'Alice'"
            )
        }
        assert alice_b == alice_a

        # a rename on A reaches B; forgetting on A removes the person on B, the faces stay
        renamed = cli("--home", tmp_path / "a", "people", "rename", "Alice", "Alice Smith")
        assert renamed.code == 0, renamed.err  # shared at once: A runs no sync
        run_to_end(sync(b.catalog, CloudLibrary(b.settings)))
        assert faces.person(b.catalog, "Alice Smith").external_user_id
        faces.forget(a.catalog, "Alice Smith", services={})
        run_to_end(sync(a.catalog, CloudLibrary(a.settings)))
        assert run_to_end(sync(b.catalog, CloudLibrary(b.settings))).people == 1
        assert b.catalog.scalar("SELECT count(*) FROM people") == 0
        assert b.catalog.scalar("SELECT count(*) FROM faces WHERE external_id IS NOT NULL") > 0
    finally:
        a.close()
        b.close()


def test_a_result_made_elsewhere_is_imported_at_once(tmp_path: Path, cloud: CloudWorld, fake_rekognition):
    """A device that meets a content another device's upload already answered imports it in the run,
    without uploading, and the feed's copy of it is not imported again."""
    make_photos(tmp_path / "a-photos", 3)
    make_photos(tmp_path / "b-photos", 3)
    a = device(tmp_path, "a", cloud, tmp_path / "a-photos")
    b = device(tmp_path, "b", cloud, tmp_path / "b-photos")
    try:
        analyze(a)
        cloud.run_function()
        run = b.analysis_run(b.analyzer())  # no sync first: the run's look-up finds the results
        report = run_to_end(run.run())
        run.analyzer.close()
        assert (report.analyzed, report.waiting) == (3, 0)
        assert run_to_end(sync(b.catalog, CloudLibrary(b.settings))).results == 0
        assert len(cloud.uploads()) == 3
    finally:
        a.close()
        b.close()


def test_a_failure_in_the_cloud_is_recorded_and_can_be_retried(
    tmp_path: Path, cloud: CloudWorld, fake_rekognition
):
    """A photo Rekognition refused is failed for good; a duplicate S3 event of that upload does not pay
    again, while a new upload ("Retry failed photos") is analyzed again."""
    make_photos(tmp_path / "photos", 2)
    library = device(tmp_path, "a", cloud, tmp_path / "photos")
    try:
        analyze(library)
        broken = library.catalog.scalar("SELECT hash FROM photos ORDER BY name LIMIT 1")
        assert cloud.run_function(fail={broken: "InvalidImageFormatException"}, fake=fake_rekognition) == 2
        run_to_end(sync(library.catalog, CloudLibrary(library.settings)))
        failures = analysis_failures(library.catalog)
        assert [(f.hash, f.backend) for f in failures] == [(broken, "rekognition")]
        assert "cannot read this image" in failures[0].error and "in the cloud" in failures[0].error
        assert cloud_rows.waiting_count(library.catalog) == 0  # failed, not waiting

        (event,) = [
            e for e in cloud.delivered if e["Records"][0]["s3"]["object"]["key"] == items.analysis_key(broken)
        ]
        paid = analysis_calls(fake_rekognition)
        cloud.deliver(event)  # S3 delivers at least once: the same upload's event again
        assert analysis_calls(fake_rekognition) == paid

        clear_failures(library.catalog)  # "Retry": the image goes up again for another try
        again = analyze(library)
        assert again.waiting == 1 and again.failed == []
        assert cloud.run_function() == 1  # the new upload of the retried photo, nothing else
        assert analysis_calls(fake_rekognition) - paid == 3
        run_to_end(sync(library.catalog, CloudLibrary(library.settings)))
        assert analysis_failures(library.catalog) == []
        assert {s.status for s in results_for(library.catalog, broken).states or ()} == {"done"}
    finally:
        library.close()


def test_responses_the_function_kept_in_s3_are_imported(
    tmp_path: Path, cloud: CloudWorld, fake_rekognition, monkeypatch: pytest.MonkeyPatch
):
    """A response too big for its DynamoDB item goes to ``results/<hash>/<feature>.json.gz``; the
    desktop reads it back, in a sync and in a run's look-up alike."""
    make_photos(tmp_path / "a-photos", 2)
    make_photos(tmp_path / "b-photos", 2)
    a = device(tmp_path, "a", cloud, tmp_path / "a-photos")
    b = device(tmp_path, "b", cloud, tmp_path / "b-photos")
    try:
        analyze(a)
        monkeypatch.setattr(store, "MAX_ITEM_BYTES", 0)  # every response leaves for S3
        cloud.run_function()
        s3 = cloud.client("s3")
        kept = s3.list_objects_v2(Bucket=cloud.bucket, Prefix=items.RESULTS_PREFIX).get("Contents", [])
        assert len(kept) == 6  # 2 photos x 3 features, none inline
        assert run_to_end(sync(a.catalog, CloudLibrary(a.settings))).results == 2
        results_a = stored(a)
        assert all(labels and states for labels, _, _, states in results_a.values())
        run = b.analysis_run(b.analyzer())  # no sync: the look-up finds them
        report = run_to_end(run.run())
        run.analyzer.close()
        assert report.analyzed == 2
        assert stored(b) == results_a
    finally:
        a.close()
        b.close()


def test_the_upload_is_the_analysis_image_never_the_original(
    tmp_path: Path, cloud: CloudWorld, fake_rekognition
):
    folder = tmp_path / "photos"
    folder.mkdir()
    big = folder / "big.jpg"
    Image.new("RGB", (3000, 2000), (10, 120, 30)).save(big, quality=95)
    library = device(tmp_path, "a", cloud, folder)
    try:
        analyze(library)
        (key,) = cloud.uploads()
        body = cloud.client("s3").get_object(Bucket=cloud.bucket, Key=key)["Body"].read()
        assert body != big.read_bytes()
        from io import BytesIO

        with Image.open(BytesIO(body)) as sent:
            assert sent.format == "JPEG" and max(sent.size) <= 1600
    finally:
        library.close()


def test_no_stack_is_one_clear_message(tmp_path: Path, cloud: CloudWorld, fake_rekognition, cli):
    make_photos(tmp_path / "photos", 1)
    library = device(tmp_path, "a", cloud, tmp_path / "photos")
    library.save_settings(library.settings.with_changes(cloud_stack="not-deployed"))
    library.close()
    for args in (("cloud", "sync"), ("analyze",)):
        result = cli("--home", tmp_path / "a", *args)
        assert result.code == 1
        assert result.err.strip() == (
            "photosorter: there is no cloud library 'not-deployed' in us-east-1:"
            " run `photosorter cloud deploy`"
        )


def test_an_item_of_a_newer_schema_is_refused(tmp_path: Path, cloud: CloudWorld, fake_rekognition):
    make_photos(tmp_path / "photos", 1)
    library = device(tmp_path, "a", cloud, tmp_path / "photos")
    try:
        content_hash = library.catalog.scalar("SELECT hash FROM photos")
        newer = items.encode_result(
            items.ResultItem(
                content_hash, "done", ("labels",), {"labels": {"Labels": []}}, {}, items.now_us()
            )
        )
        newer["schema"] = {"N": str(items.SCHEMA + 1)}
        cloud.put(newer)
        from photosorter.core.analysis.pipeline import AnalysisStopped

        with pytest.raises(AnalysisStopped, match="newer photosorter"):
            run = library.analysis_run(library.analyzer())
            try:
                run_to_end(run.run())
            finally:
                run.analyzer.close()
        assert results_for(library.catalog, content_hash).labels == ()
        assert cloud.uploads() == {}
    finally:
        library.close()


def test_features_come_from_the_rekognition_settings(tmp_path: Path, cloud: CloudWorld, fake_rekognition):
    make_photos(tmp_path / "photos", 1)
    library = device(tmp_path, "a", cloud, tmp_path / "photos")
    try:
        library.save_settings(library.settings.with_changes(rekognition_features=("labels",)))
        run = library.analysis_run(library.analyzer())
        assert run.features == frozenset({Feature.LABELS})
        assert run.versions == {Feature.LABELS: "DetectLabels/2016-06-27"}
        run.analyzer.close()
    finally:
        library.close()


def test_the_open_app_syncs_while_idle(tmp_path: Path, cloud: CloudWorld, fake_rekognition, monkeypatch):
    """The live library uploads new photos, then brings their results in by itself once the function
    has answered: nobody has to run a sync."""
    from photosorter.core.live import LiveLibrary
    from photosorter.core.live import analysis as live_analysis

    monkeypatch.setattr(live_analysis, "CLOUD_SYNC_SECONDS", 0.2)
    make_photos(tmp_path / "photos", 3)
    library = device(tmp_path, "a", cloud, tmp_path / "photos")
    events: list[str] = []
    try:
        with LiveLibrary(
            library, analyze=True, analysis_workers=1, on_event=lambda e: events.append(e.message)
        ) as live:
            live.queue.analyze_pending()
            wait_for(lambda: len(cloud.uploads()) == 3, "the uploads")
            wait_for(
                lambda: cloud_rows.waiting_count(library.catalog) == 3, "the photos to wait for the cloud"
            )
            cloud.run_function()
            wait_for(lambda: cloud_rows.waiting_count(library.catalog) == 0, "the idle sync")
        assert any("3 waiting for the cloud" in m for m in events)
        # one sync or several (the function may still be writing when one runs): said in the status
        assert any(m.startswith("from the cloud library: ") for m in events)
        assert all(
            results_for(library.catalog, h).labels
            for (h,) in library.catalog.connection().execute("SELECT hash FROM photos")
        )
    finally:
        library.close()


def wait_for(condition, what: str, timeout: float = 60.0) -> None:
    import time

    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_name_reaches_photos_another_device_adds_later(tmp_path: Path, cloud: CloudWorld, fake_rekognition):
    """B holds a few of A's photos when Alice's name arrives; the rest, added later, join her as their
    results are imported; and B, holding fewer photos, never takes A's other faces out of the name."""
    paths = make_photos(tmp_path / "a-photos", 6)
    (tmp_path / "b-photos").mkdir()
    for path in paths[:2]:
        (tmp_path / "b-photos" / path.name).write_bytes(path.read_bytes())
    a = device(tmp_path, "a", cloud, tmp_path / "a-photos")
    b = device(tmp_path, "b", cloud, tmp_path / "b-photos")
    try:
        analyze(a)
        cloud.run_function()
        run_to_end(sync(a.catalog, CloudLibrary(a.settings)))
        with a.catalog.transaction() as conn:  # one face per photo stands for Alice
            face_ids = [f for (f,) in conn.execute("SELECT min(id) FROM faces GROUP BY hash")]
        for face_id in face_ids:
            faces.name_face(a.catalog, face_id, "Alice", services=a.face_services())
        run_to_end(sync(a.catalog, CloudLibrary(a.settings)))
        named_on_a = alice_faces(a)
        assert len(named_on_a) >= 4

        run_to_end(sync(b.catalog, CloudLibrary(b.settings)))
        assert alice_faces(b) < named_on_a
        run_to_end(sync(b.catalog, CloudLibrary(b.settings)))  # B publishes nothing: it changed nothing
        assert alice_item(cloud) == named_on_a

        for path in paths[2:]:
            (tmp_path / "b-photos" / path.name).write_bytes(path.read_bytes())
        run_to_end(b.scan())
        run = b.analysis_run(b.analyzer())
        assert run_to_end(run.run()).analyzed == 4  # found in the library by the run's look-up
        run.analyzer.close()
        assert alice_faces(b) == named_on_a
    finally:
        a.close()
        b.close()


def alice_faces(library: Library) -> set[str]:
    rows = library.catalog.connection().execute(
        "SELECT f.external_id FROM faces f JOIN people p ON p.id = f.person_id WHERE p.name = 'Alice'"
    )
    return {e for (e,) in rows}


def alice_item(cloud: CloudWorld) -> set[str]:
    found = cloud.client("dynamodb").scan(TableName=cloud.table)["Items"]  # a test may scan
    people = [items.decode(i) for i in found if i["pk"]["S"].startswith("person#")]
    (alice,) = [p for p in people if p.name == "Alice"]
    return set(alice.face_ids)
