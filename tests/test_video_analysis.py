"""Videos analyzed like photos, one keyframe at a time: what is seen in them, and when.

The videos are made here with OpenCV's VideoWriter from the real test photos: a few seconds of a
dog, a cut to a face, a cut to printed text, so the local analyzer has real content to find.
"""

from __future__ import annotations

import itertools
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # one test cuts a face crop as the People page does
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from photosorter.core.analysis.local import LocalAnalyzer
from photosorter.core.analysis.types import (
    AnalysisResult,
    Box,
    Face,
    Feature,
    Label,
    TransientAnalysisError,
)
from photosorter.core.analysis.video.analyze import analyze_video
from photosorter.core.analysis.video.keyframes import (
    SamplingPolicy,
    VideoUnreadable,
    keyframes,
)
from photosorter.core.analysis.video.timeline import FrameResult, TimeRange, combine, ranges_text
from photosorter.core.catalog import Catalog
from photosorter.core.catalog import photos as photo_rows
from photosorter.core.catalog import video_analysis as video_rows
from photosorter.core.catalog.analysis import results_for
from photosorter.core.jobs import CancelToken
from photosorter.core.records import ImageFacts

DATA = Path(__file__).parent / "data"
DOG = DATA / "photos" / "cat_and_dog.jpeg"
FACE = DATA / "analysis" / "obama.jpg"
OTHER_FACE = DATA / "analysis" / "biden.jpg"
TEXT = DATA / "analysis" / "nutrition_label.jpg"
SIZE = (640, 360)
FPS = 10


def _frame(photo: Path, size: tuple[int, int] = SIZE) -> np.ndarray:
    """The photo fitted into the frame, its proportions kept (bars at the sides), as a camera sees it."""
    with Image.open(photo) as image:
        image = image.convert("RGB")
        image.thumbnail(size)
        canvas = Image.new("RGB", size)
        canvas.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    return cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGB2BGR)


def make_video(path: Path, scenes: list[tuple[Path | None, float]], *, zoom: float = 0.004) -> Path:
    """Scenes of (photo, seconds) with a slow zoom, like a hand-held camera; None is a black scene."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    assert writer.isOpened()
    for photo, seconds in scenes:
        still = _frame(photo) if photo is not None else np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
        for i in range(round(seconds * FPS)):
            matrix = cv2.getRotationMatrix2D((SIZE[0] / 2, SIZE[1] / 2), 0, 1 + zoom * i)
            writer.write(cv2.warpAffine(still, matrix, SIZE))
    writer.release()
    return path


@pytest.fixture(scope="module")
def analyzer() -> LocalAnalyzer:
    return LocalAnalyzer()


def versions(analyzer, features) -> dict[Feature, str]:
    return {f: analyzer.model_version(f) for f in features}


def add_video_row(catalog: Catalog, path: Path, content_hash: str) -> int:
    folder = photo_rows.add_folder(catalog, str(path.parent))
    facts = ImageFacts(
        1, 1, content_hash, "MP4", *SIZE, "2024-05-01T10:00:00", "file", None, None, None, None, None
    )
    with catalog.transaction() as conn:
        return photo_rows.insert_photo(conn, folder.id, str(path), path.name, facts)


# -- the sampler ---------------------------------------------------------------------------------------
def test_a_still_shot_is_one_keyframe_standing_for_all_of_it(tmp_path: Path) -> None:
    video = make_video(tmp_path / "still.mp4", [(DOG, 12)], zoom=0.0)
    frames = list(keyframes(str(video)))
    assert len(frames) == 1  # the 2-s interval frames repeat the first one: dropped before analysis
    assert frames[0].t_ms == 0
    assert frames[0].until_ms >= 11_000


def test_cuts_are_keyframes_and_the_interval_fills_long_shots(tmp_path: Path) -> None:
    video = make_video(tmp_path / "scenes.mp4", [(DOG, 4.0), (FACE, 3.0), (TEXT, 3.0)])
    frames = list(keyframes(str(video)))
    times = [f.t_ms for f in frames]
    assert times == sorted(times)
    cuts = [f.t_ms for f in frames if f.cut]
    assert [round(t / 1000) for t in cuts] == [4, 7]  # the two cuts, to the frame
    assert all(b - a <= 2000 for a, b in itertools.pairwise(times))  # a frame at least every 2 s
    assert frames[0].image.shape[:2] == (SIZE[1], SIZE[0])


def test_black_frames_are_not_analyzed(tmp_path: Path) -> None:
    video = make_video(tmp_path / "fade.mp4", [(None, 3.0), (DOG, 2.0)], zoom=0.0)
    frames = list(keyframes(str(video)))
    assert [round(f.t_ms / 1000) for f in frames] == [3]


def test_a_long_video_is_bounded_by_max_frames(tmp_path: Path) -> None:
    # a frame that changes all the time: every interval frame is new, so only the bound holds them
    rng = np.random.default_rng(1)
    path = tmp_path / "noise.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (160, 90))
    for _ in range(60 * FPS):
        writer.write(rng.integers(0, 255, (90, 160, 3), dtype=np.uint8))
    writer.release()
    policy = SamplingPolicy(max_frames=12, scene_change=1000.0)
    frames = list(keyframes(str(path), policy))
    assert 8 <= len(frames) <= 12
    assert frames[-1].t_ms > 50_000  # the bound stretches the interval, it does not stop early


def test_the_bound_holds_for_hours_of_video() -> None:
    policy = SamplingPolicy()
    interval, probe = policy.spacing(3 * 3600)
    assert 3 * 3600 / interval <= policy.max_frames * 0.75  # interval frames, cuts get the rest
    assert probe > policy.seek_gap_s  # hours are probed by seeking, not by decoding every frame


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200, "cannot be opened as a video"),
        (b"not a video at all" * 100, "cannot be opened as a video"),
    ],
)
def test_bad_videos_say_why(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoUnreadable, match=message):
        list(keyframes(str(path)))


def test_a_video_cut_before_its_index_says_why(tmp_path: Path) -> None:
    video = make_video(tmp_path / "whole.mp4", [(DOG, 3.0)])
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])  # moov box at the end: gone
    with pytest.raises(VideoUnreadable):
        list(keyframes(str(cut)))


def test_a_vanished_video_is_not_a_bad_video(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        list(keyframes(str(tmp_path / "gone.mp4")))


# -- what is seen, and when ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scenes_result(analyzer, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scenes")
    video = make_video(folder / "scenes.mp4", [(DOG, 4.0), (FACE, 3.0), (TEXT, 3.0)])
    catalog = Catalog(folder / "catalog.db")
    features = analyzer.default_features
    found = analyze_video(catalog, analyzer, "h-video", str(video), features, versions(analyzer, features))
    video_rows.store_video_result(catalog, "h-video", found, versions(analyzer, features))
    yield catalog, found
    catalog.close()


def _moment(found, kind: str, key: str):
    return next(m for m in found.moments if m.kind == kind and m.key == key)


def test_labels_carry_their_best_confidence_and_time_ranges(scenes_result) -> None:
    _, found = scenes_result
    dog = _moment(found, "label", "Dog")
    assert len(dog.ranges) == 1
    assert dog.ranges[0].start_ms == 0 and 3000 <= dog.ranges[0].end_ms < 4000
    assert dog.confidence == max(lbl.confidence for lbl in found.result.labels if lbl.name == "Dog")
    assert str(dog.ranges[0]) == "0:00–0:03"
    text = _moment(found, "label", "Text")  # the printed text scene
    assert text.ranges[0].start_ms == 7000


def test_text_lines_are_found_with_their_times(scenes_result) -> None:
    _, found = scenes_result
    lines = {m.key: m for m in found.moments if m.kind == "text"}
    facts = next(m for key, m in lines.items() if "total fat" in key)
    assert facts.ranges[0].start_ms == 7000


def test_the_same_face_across_keyframes_is_one_appearance(analyzer, tmp_path: Path) -> None:
    video = make_video(tmp_path / "faces.mp4", [(FACE, 6.0), (OTHER_FACE, 4.0)], zoom=0.006)
    catalog = Catalog(tmp_path / "catalog.db")
    found = analyze_video(
        catalog, analyzer, "h", str(video), frozenset({Feature.FACES}), versions(analyzer, [Feature.FACES])
    )
    faces_in_frames = found.keyframes
    assert faces_in_frames >= 4  # several keyframes show each face...
    assert len(found.result.faces) == 2  # ...yet the video has two faces: two people
    first, second = (m for m in found.moments if m.kind == "face")
    assert first.ranges[0].start_ms == 0 and first.ranges[-1].end_ms >= 5000
    assert second.ranges[0].start_ms == 6000
    assert all(face.embedding is not None for face in found.result.faces)  # for People to group
    catalog.close()


def test_the_video_result_is_stored_like_a_photo_result(scenes_result) -> None:
    catalog, found = scenes_result
    stored = results_for(catalog, "h-video")
    assert "Dog" in {row.name for row in stored.labels}
    assert {state.status for state in stored.states} == {"done"}
    moments = video_rows.moments_for(catalog, "h-video")
    assert {(m.kind, m.key) for m in moments} == {(m.kind, m.key) for m in found.moments}
    assert catalog.scalar("SELECT count(*) FROM video_frames") == 0  # progress rows go with the result


# -- resuming -------------------------------------------------------------------------------------------
class CountingAnalyzer:
    """Names each frame by its brightness: deterministic, instant, and counts its calls."""

    name = "local"
    default_features = frozenset({Feature.LABELS})

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls = 0
        self.fail_after = fail_after
        self.lock = threading.Lock()

    def model_version(self, feature: Feature) -> str:
        return "count-1"

    def analyze(self, image: bytes, features: frozenset[Feature]) -> AnalysisResult:
        with self.lock:
            if self.fail_after is not None and self.calls >= self.fail_after:
                raise TransientAnalysisError("the network went away")
            self.calls += 1
        pixels = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_GRAYSCALE)
        return AnalysisResult("local", features, labels=(Label(f"level {int(pixels.mean()) // 32}", 90.0),))


def test_an_interrupted_video_resumes_without_redoing_finished_frames(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", [(DOG, 4.0), (FACE, 3.0), (TEXT, 3.0)])
    catalog = Catalog(tmp_path / "catalog.db")
    features = frozenset({Feature.LABELS})
    vers = {Feature.LABELS: "count-1"}
    total = len(list(keyframes(str(video))))
    assert total >= 5
    broken = CountingAnalyzer(fail_after=3)
    with pytest.raises(TransientAnalysisError):
        analyze_video(catalog, broken, "h", str(video), features, vers)
    assert catalog.scalar("SELECT count(*) FROM video_frames") == 3  # every answer before the fault is kept
    again = CountingAnalyzer()
    resumed = analyze_video(catalog, again, "h", str(video), features, vers)
    assert again.calls == total - 3
    whole = analyze_video(Catalog(tmp_path / "fresh.db"), CountingAnalyzer(), "h", str(video), features, vers)
    assert resumed.moments == whole.moments


def test_a_kill_mid_video_resumes_at_the_next_keyframe(tmp_path: Path) -> None:
    """kill -9 of a process analyzing a video, then a new run: no finished keyframe is analyzed again."""
    video = make_video(tmp_path / "v.mp4", [(DOG, 4.0), (FACE, 3.0), (TEXT, 3.0)])
    db = tmp_path / "catalog.db"
    Catalog(db).close()
    script = textwrap.dedent(
        f"""
        import sys, threading
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_video_analysis import CountingAnalyzer
        from photosorter.core.analysis.types import Feature
        from photosorter.core.analysis.video.analyze import analyze_video
        from photosorter.core.catalog import Catalog

        class Stuck(CountingAnalyzer):
            def analyze(self, image, features):
                if self.calls >= 2:
                    threading.Event().wait()  # the third frame never ends: the process is killed here
                return super().analyze(image, features)

        analyze_video(Catalog({str(db)!r}), Stuck(), "h", {str(video)!r}, frozenset({{Feature.LABELS}}),
                      {{Feature.LABELS: "count-1"}})
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    catalog = Catalog(db)
    try:
        deadline_polls = 0
        while catalog.scalar("SELECT count(*) FROM video_frames") < 2:
            assert process.poll() is None, "the analyzing process ended on its own"
            deadline_polls += 1
            threading.Event().wait(0.05)  # polling the catalog for the observable event
            assert deadline_polls < 2400
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    total = len(list(keyframes(str(video))))
    again = CountingAnalyzer()
    analyze_video(catalog, again, "h", str(video), frozenset({Feature.LABELS}), {Feature.LABELS: "count-1"})
    assert again.calls == total - 2
    catalog.close()


def test_a_cancel_keeps_the_finished_frames(tmp_path: Path) -> None:
    from photosorter.core.jobs import Cancelled

    video = make_video(tmp_path / "v.mp4", [(DOG, 4.0), (FACE, 3.0), (TEXT, 3.0)])
    catalog = Catalog(tmp_path / "catalog.db")
    stop = CancelToken()
    with pytest.raises(Cancelled):
        analyze_video(
            catalog,
            CountingAnalyzer(),
            "h",
            str(video),
            frozenset({Feature.LABELS}),
            {Feature.LABELS: "count-1"},
            stop=stop,
            on_frame=lambda done: stop.cancel() if done == 2 else None,
        )
    assert catalog.scalar("SELECT count(*) FROM video_frames") >= 2


# -- the timeline, on its own ---------------------------------------------------------------------------
def _frame_result(t: int, until: int, labels=(), faces=()) -> FrameResult:
    features = frozenset({Feature.LABELS, Feature.FACES})
    return FrameResult(
        t, until, AnalysisResult("rekognition", features, labels=tuple(labels), faces=tuple(faces))
    )


def test_faces_without_descriptors_are_followed_by_where_they_are() -> None:
    left, right = Box(0.1, 0.1, 0.2, 0.3), Box(0.6, 0.1, 0.2, 0.3)
    moved = Box(0.12, 0.11, 0.2, 0.3)
    frames = [
        _frame_result(0, 1500, faces=[Face(left, 99.0), Face(right, 98.0)]),
        _frame_result(2000, 3500, faces=[Face(moved, 99.5), Face(right, 97.0)]),
        _frame_result(4000, 5500, faces=[Face(right, 96.0)]),
        _frame_result(6000, 7000, faces=[Face(left, 99.0)]),  # back after a gap: a new appearance
    ]
    found = combine("rekognition", frozenset({Feature.FACES}), frames)
    assert len(found.result.faces) == 3
    ranges = sorted(ranges_text(m.ranges) for m in found.moments if m.kind == "face")
    assert ranges == ["0:00–0:03", "0:00–0:05", "0:06–0:07"]


def test_a_label_seen_twice_has_two_ranges_and_its_best_confidence() -> None:
    frames = [
        _frame_result(0, 1500, labels=[Label("Dog", 80.0)]),
        _frame_result(2000, 3500, labels=[Label("Dog", 95.0)]),
        _frame_result(4000, 5500, labels=[Label("Cat", 90.0)]),
        _frame_result(72_000, 75_500, labels=[Label("Dog", 85.0)]),
    ]
    found = combine("local", frozenset({Feature.LABELS}), frames)
    dog = next(m for m in found.moments if m.key == "Dog")
    assert dog.ranges == (TimeRange(0, 3500), TimeRange(72_000, 75_500))
    assert ranges_text(dog.ranges) == "0:00–0:03, 1:12–1:15"
    assert next(lbl for lbl in found.result.labels if lbl.name == "Dog").confidence == 95.0
    assert str(TimeRange(3_600_000, 3_601_000)) == "1:00:00–1:00:01"


# -- search says when -----------------------------------------------------------------------------------
def _store_walk(catalog: Catalog, video: Path) -> None:
    """A video where a dog is seen from 0:12 to 0:31, after a cat."""
    add_video_row(catalog, video, "h-walk")
    frames = [
        _frame_result(10_000, 11_500, labels=[Label("Cat", 88.0)]),
        _frame_result(12_000, 19_500, labels=[Label("Dog", 97.0, parents=("Animal",))]),
        _frame_result(20_000, 31_000, labels=[Label("Dog", 90.0, parents=("Animal",))]),
    ]
    features = frozenset({Feature.LABELS})
    found = combine("local", features, frames)
    video_rows.store_video_result(catalog, "h-walk", found, {Feature.LABELS: "v1"})


def test_search_finds_a_video_by_what_is_seen_in_it_and_says_when(cli, tmp_path: Path) -> None:
    from photosorter.core.library import Library
    from photosorter.core.search import search

    with Library.open() as library:
        _store_walk(library.catalog, tmp_path / "walk.mp4")
        (hit,) = search(library.catalog, "dog")
        assert hit.why == ("label Dog 97% at 0:12–0:31",)
        assert hit.start_s == 12.0  # where a player opens it
        (hit,) = search(library.catalog, "animal")  # a parent label names the label it came from
        assert hit.why == ("label Dog 97% at 0:12–0:31",)
    result = cli("search", "dog", "--json")
    assert result.code == 0
    (found,) = result.json()
    assert found["why"] == ["label Dog 97% at 0:12–0:31"]
    assert found["seen_at"] == [
        {"reason": "label Dog 97% at 0:12–0:31", "ranges": [{"start_s": 12.0, "end_s": 31.0}]}
    ]
    assert "0:12–0:31" in cli("search", "dog").out


def test_a_photo_hit_has_no_times(cli, tmp_path: Path) -> None:
    from photosorter.core.catalog.analysis import store_result
    from photosorter.core.library import Library

    with Library.open() as library:
        add_video_row(library.catalog, tmp_path / "dog.jpg", "h-photo")
        result = AnalysisResult("local", frozenset({Feature.LABELS}), labels=(Label("Dog", 91.0),))
        store_result(library.catalog, "h-photo", result, {Feature.LABELS: "v1"})
    (found,) = cli("search", "dog", "--json").json()
    assert found["why"] == ["label Dog 91%"] and found["seen_at"] == []


def test_a_person_named_in_a_photo_is_found_in_a_video_with_times(analyzer, tmp_path: Path) -> None:
    from photosorter.core import faces
    from photosorter.core.catalog.analysis import store_result
    from photosorter.core.imaging import analysis_jpeg
    from photosorter.core.library import Library
    from photosorter.core.search import search

    video = make_video(tmp_path / "speech.mp4", [(TEXT, 3.0), (OTHER_FACE, 4.0)], zoom=0.002)
    features = frozenset({Feature.FACES})
    vers = versions(analyzer, features)
    with Library.open() as library:
        catalog = library.catalog
        add_video_row(catalog, tmp_path / "portrait.jpg", "h-photo")
        store_result(catalog, "h-photo", analyzer.analyze(analysis_jpeg(str(OTHER_FACE)), features), vers)
        add_video_row(catalog, video, "h-video")
        found = analyze_video(catalog, analyzer, "h-video", str(video), features, vers)
        video_rows.store_video_result(catalog, "h-video", found, vers)
        faces.cluster_new_faces(catalog)
        (photo_face,) = results_for(catalog, "h-photo").faces
        faces.name_face(catalog, photo_face.id, "Joe")
        (video_face,) = results_for(catalog, "h-video").faces  # one appearance, not one per keyframe
        assert video_face.person == "Joe"
        hits = {Path(h.path).name: h for h in search(catalog, "person:Joe")}
        assert hits["speech.mp4"].why == ("person Joe at 0:03–0:06",)
        assert hits["portrait.jpg"].why == ("person Joe",)


# -- Rekognition, without S3: the same keyframes sent as images -----------------------------------------
def _labels_response(name: str) -> dict:
    return {
        "Labels": [
            {
                "Name": name,
                "Confidence": 95.0,
                "Instances": [],
                "Parents": [],
                "Aliases": [],
                "Categories": [],
            }
        ],
        "LabelModelVersion": "3.0",
    }


def _index_response(face_id: str) -> dict:
    box = {"Width": 0.3, "Height": 0.5, "Left": 0.35, "Top": 0.1}
    return {
        "FaceRecords": [
            {
                "Face": {"FaceId": face_id, "BoundingBox": box, "ImageId": face_id, "Confidence": 99.9},
                "FaceDetail": {"BoundingBox": box, "Confidence": 99.9},
            }
        ],
        "FaceModelVersion": "7.0",
        "UnindexedFaces": [],
    }


def test_rekognition_gets_each_keyframe_as_an_image_and_counts_it(client, stub, tmp_path: Path) -> None:
    from botocore.stub import ANY

    from photosorter.core.analysis.pricing import Operation
    from photosorter.core.analysis.rekognition import RekognitionAnalyzer

    video = make_video(tmp_path / "v.mp4", [(DOG, 4.0), (FACE, 3.0)])
    frames = list(keyframes(str(video)))
    for n, frame in enumerate(frames):
        dog = frame.t_ms < 4000
        labels = _labels_response("Dog" if dog else "Person")
        stub.add_response("detect_labels", labels, {"Image": {"Bytes": ANY}, "Features": ["GENERAL_LABELS"]})
        # IndexFaces gives each indexing a new FaceId: the face is followed by where it is
        faces = _index_response(f"00000000-0000-0000-0000-{n:012d}") if not dog else {"FaceRecords": []}
        stub.add_response(
            "index_faces",
            faces,
            {"CollectionId": "lib", "Image": {"Bytes": ANY}, "DetectionAttributes": ["ALL"]},
        )
    face_frames = [n for n, frame in enumerate(frames) if frame.t_ms >= 4000]
    # the views not kept leave the collection: it holds one face per appearance, as for a photo
    dropped = [f"00000000-0000-0000-0000-{n:012d}" for n in face_frames[1:]]
    stub.add_response("delete_faces", {"DeletedFaces": dropped}, {"CollectionId": "lib", "FaceIds": dropped})
    analyzer = RekognitionAnalyzer(client=client, rate_limit=0, collection_id="lib")
    features = frozenset({Feature.LABELS, Feature.FACES})
    catalog = Catalog(tmp_path / "catalog.db")
    found = analyze_video(catalog, analyzer, "h", str(video), features, versions(analyzer, features))
    assert analyzer.meter.calls == {
        Operation.DETECT_LABELS: len(frames),
        Operation.INDEX_FACES: len(frames),
        Operation.DELETE_FACES: 1,  # free
    }
    assert analyzer.meter.estimated_cost_usd == pytest.approx(2 * len(frames) * 0.001)
    assert ranges_text(_moment(found, "label", "Dog").ranges) == "0:00–0:03"
    (face,) = found.result.faces  # one appearance over every keyframe of the face scene
    assert face.external_id is not None
    assert _moment(found, "face", "0").ranges[0].start_ms == 4000
    catalog.close()


def test_the_dry_run_prices_keyframes_next_to_rekognition_video() -> None:
    from photosorter.core.analysis.pricing import VIDEO_PRICE_USD_PER_MINUTE, video_estimate

    estimate = video_estimate(90.0, frozenset({Feature.LABELS, Feature.FACES}))
    assert estimate.keyframes == 45  # one every 2 s at most, fewer when the picture repeats
    assert estimate.images_usd == pytest.approx(45 * 2 * 0.001)
    per_minute = VIDEO_PRICE_USD_PER_MINUTE[Feature.LABELS] + VIDEO_PRICE_USD_PER_MINUTE[Feature.FACES]
    assert estimate.video_api_usd == pytest.approx(1.5 * per_minute)


# -- end to end: scan, analyze, search ------------------------------------------------------------------
@pytest.fixture
def library_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    make_video(folder / "walk.mp4", [(TEXT, 3.0), (DOG, 4.0)])
    return folder


def test_scan_analyze_search_finds_the_video_and_says_when(cli, library_folder: Path) -> None:
    assert cli("scan", library_folder, "--json").code == 0
    first = cli("analyze", "--json").json()
    assert first["analyzed"] == 1 and first["failed"] == []
    (hit,) = cli("search", "dog", "--json").json()
    assert hit["path"].endswith("walk.mp4")
    (seen,) = hit["seen_at"]
    assert seen["ranges"][0]["start_s"] == 3.0  # the cut to the dog, to the frame
    assert hit["why"][0].startswith("label Dog") and hit["why"][0].endswith("at 0:03–0:06")
    shown = cli("show", library_folder / "walk.mp4", "--json").json()
    dog = next(label for label in shown["labels"] if label["name"] == "Dog")
    assert dog["seen_at"][0]["start_s"] == 3.0
    assert any(line["seen_at"][0]["end_s"] < 3.0 for line in shown["text"])  # the label before the cut
    assert "at 0:03–0:06" in cli("show", library_folder / "walk.mp4").out


def test_a_moved_or_copied_video_is_never_analyzed_again(cli, library_folder: Path) -> None:
    assert cli("scan", library_folder, "--json").code == 0
    assert cli("analyze", "--json").json()["analyzed"] == 1
    (library_folder / "trips").mkdir()
    (library_folder / "walk.mp4").rename(library_folder / "trips" / "renamed.mp4")
    (library_folder / "copy.mp4").write_bytes((library_folder / "trips" / "renamed.mp4").read_bytes())
    assert cli("scan", "--json").code == 0
    again = cli("analyze", "--json").json()
    assert again["analyzed"] == 0 and again["skipped"] == 1
    paths = sorted(Path(h["path"]).name for h in cli("search", "dog", "--json").json())
    assert paths == ["copy.mp4", "renamed.mp4"]


def test_an_undecodable_video_fails_with_its_reason_and_is_not_retried(cli, library_folder: Path) -> None:
    video = library_folder / "walk.mp4"
    assert cli("scan", library_folder, "--json").code == 0
    # the bytes go bad behind the scan's back (same size and time: the scan does not read it again)
    stat = video.stat()
    video.write_bytes(b"\x00" * stat.st_size)
    os.utime(video, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    first = cli("analyze", "--json")
    assert first.code != 0
    (failure,) = first.json()["failed"]
    assert (
        "cannot analyze the video" in failure["error"] and "cannot be opened as a video" in failure["error"]
    )
    again = cli("analyze", "--json").json()
    assert again["skipped"] == 1 and again["failed"] == []  # recorded, not retried every run


def test_dry_run_shows_keyframes_and_both_prices_per_video(cli, library_folder: Path) -> None:
    assert cli("scan", library_folder, "--json").code == 0
    data = cli("analyze", "--backend", "rekognition", "--dry-run", "--json").json()
    (video,) = data["videos"]
    assert video["path"].endswith("walk.mp4")
    assert video["duration_s"] == pytest.approx(7.0, abs=0.2)
    assert video["keyframes"] == 4  # one every 2 s at most
    assert video["estimated_cost_usd"] == pytest.approx(4 * 3 * 0.001)  # labels, faces, text per frame
    assert video["rekognition_video_usd"] == pytest.approx(0.3 * 7.0 / 60, abs=0.002)
    text = cli("analyze", "--backend", "rekognition", "--dry-run").out
    assert "walk.mp4" in text and "Rekognition Video" in text


def test_a_video_face_is_shown_cut_from_its_keyframe(analyzer, tmp_path: Path, qapp) -> None:
    from photosorter.core import faces
    from photosorter.core.analysis.video.keyframes import frame_jpeg
    from photosorter.gui.people_tiles import face_crop

    video = make_video(tmp_path / "v.mp4", [(TEXT, 3.0), (FACE, 4.0)], zoom=0.002)
    catalog = Catalog(tmp_path / "catalog.db")
    add_video_row(catalog, video, "h-video")
    features = frozenset({Feature.FACES})
    vers = versions(analyzer, features)
    found = analyze_video(catalog, analyzer, "h-video", str(video), features, vers)
    video_rows.store_video_result(catalog, "h-video", found, vers)
    faces.cluster_new_faces(catalog)
    (entry,) = faces.overview(catalog)
    (face,) = entry.faces
    frame = face.frame
    assert frame is not None
    assert frame.at_ms >= 3000  # the keyframe of its best view, in the face's scene
    again = analyzer.analyze(frame_jpeg(str(video), frame), features).faces
    assert any(abs(f.box.left - face.box.left) < 0.03 and abs(f.box.top - face.box.top) < 0.03 for f in again)
    assert not face_crop(str(video), face.box, frame=frame).isNull()
    catalog.close()


def test_a_decode_past_its_deadline_is_tried_again_not_recorded(
    cli, library_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosorter.core.analysis.video import keyframes as sampler

    assert cli("scan", library_folder, "--json").code == 0
    with monkeypatch.context() as patch:
        # the run's default policy, with no time at all: as a damaged stream or a swamped machine
        patch.setattr(sampler, "SamplingPolicy", lambda: SamplingPolicy(deadline_s=0.0))
        first = cli("analyze", "--json").json()
    (failure,) = first["failed"]
    assert "decoding took longer than 0 s" in failure["error"] and "will retry next run" in failure["error"]
    assert first["pending"] == 1
    assert cli("analyze", "--json").json()["analyzed"] == 1  # nothing was recorded against the video


def test_a_video_in_progress_shows_its_keyframes_in_the_run_progress(cli, library_folder: Path) -> None:
    from photosorter.core.jobs import Progress
    from photosorter.core.library import Library

    assert cli("scan", library_folder, "--json").code == 0
    with Library.open() as library:
        run = library.analysis_run(CountingAnalyzer(), "labels")
        job = run.run()
        details = []
        try:
            while True:
                step = next(job)
                if isinstance(step, Progress):
                    details.append(step.detail)
        except StopIteration as end:
            report = end.value
    assert report.analyzed == 1
    assert "walk.mp4: 1 keyframe" in details and "walk.mp4: 4 keyframes" in details


def test_a_sideways_phone_video_is_analyzed_upright(cli, tmp_path: Path) -> None:
    """Phones store portrait video sideways with a rotation matrix: its keyframes are turned as its
    poster is, so the face (upright only once turned) is found."""
    from photosorter.core.library import Library
    from video_files import Movie, rotate

    folder = tmp_path / "library"
    folder.mkdir()
    stored = tmp_path / "stored.mp4"
    # what the sensor recorded: the portrait turned a quarter counter-clockwise
    writer = cv2.VideoWriter(str(stored), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (480, 360))
    upright = _frame(FACE, (360, 480))
    for _ in range(3 * FPS):
        writer.write(cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE))
    writer.release()
    movie = Movie.open(stored)
    rotate(movie, 90)
    movie.save(folder / "portrait.mp4")
    assert cli("scan", folder, "--json").code == 0
    assert cli("analyze", "--features", "faces", "--json").json()["analyzed"] == 1
    with Library.open() as library:
        video = library.photo_by_path(str(folder / "portrait.mp4"))
        assert video.rotation == 90
        (face,) = library.analysis_of(video).faces
    # found at all: a face lying on its side is not; its square box is relative to a 360x480 frame
    assert face.box.width / face.box.height == pytest.approx(480 / 360, abs=0.1)
