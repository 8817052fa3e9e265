"""Small ONNX graphs built from weights held in numpy: the bookkeeping the local networks share.

EfficientNet-Lite0 (``efficientnet.py``), MTCNN's three networks (``mtcnn.py``)
and dlib's face descriptor ResNet (``dlib_resnet.py``) are published as PyTorch,
Keras or dlib weights; all are rebuilt as ONNX graphs for
onnxruntime. What differs is each network's layers; naming values, holding the
weights and finishing a checked model are the same, and live here, as does
the one way every local model (these and the packaged Open-NSFW graph) gets
its onnxruntime session.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from photosorter.core.imaging import write_atomically

OPSET = 17
IR_VERSION = 8  # readable by every onnxruntime the project allows

Shape = list[int | str]


class GraphBuilder:
    """Collects nodes and float32 weights; ``model`` finishes them into a checked ONNX model."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def fresh(self, stem: str) -> str:
        """A name not used before in this graph."""
        self._count += 1
        return f"{stem}_{self._count}"

    def constant(self, value: np.ndarray, name: str | None = None) -> str:
        """Adds a weight (as float32) and returns its name, a fresh one unless ``name`` is given."""
        name = name or self.fresh("w")
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    def int_constant(self, value: np.ndarray) -> str:
        """Adds an int64 tensor (shapes, pads) and returns its fresh name."""
        name = self.fresh("i")
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=np.int64), name))
        return name

    def node(self, op: str, inputs: list[str], output: str | None = None, **attributes: object) -> str:
        """Adds one single-output node and returns its output's name (fresh, after ``op``, by default)."""
        out = output or self.fresh(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], **attributes))
        return out

    def model(
        self, name: str, inputs: dict[str, Shape], outputs: dict[str, tuple[str, Shape]]
    ) -> onnx.ModelProto:
        """The checked model; ``outputs`` maps each output's public name to (the value it is, its shape)."""
        renamed = [
            helper.make_node("Identity", [inner], [outer])
            for outer, (inner, _) in outputs.items()
            if inner != outer
        ]
        graph = helper.make_graph(
            self.nodes + renamed,
            name,
            [helper.make_tensor_value_info(key, TensorProto.FLOAT, shape) for key, shape in inputs.items()],
            [
                helper.make_tensor_value_info(outer, TensorProto.FLOAT, shape)
                for outer, (_, shape) in outputs.items()
            ],
            self.initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model)
        return model


def cached_model(
    cache_dir: Path | None, stem: str, version: str, weights: Path, build: Callable[[], bytes]
) -> bytes:
    """``build()``'s serialized model, kept in ``cache_dir`` (built each time if None) under a name that
    changes with the graph ``version`` and the weights file, so a new graph or package rebuilds it."""
    if cache_dir is None:
        return build()
    stamp = hashlib.sha256(f"{version}:{weights.stat().st_size}".encode()).hexdigest()[:12]
    cached = cache_dir / f"{stem}-{stamp}.onnx"
    if cached.is_file():
        return cached.read_bytes()
    data = build()
    write_atomically(cached, data)  # a concurrent reader never sees half a file
    return data


def session(model: bytes | Path, threads: int = 1) -> ort.InferenceSession:
    """An onnxruntime session on the CPU running on ``threads`` threads, without a memory arena.

    onnxruntime's default arena grows to the largest request it has seen and never gives memory back;
    with six local sessions per analyzer process it held about 250 MB per process more than the
    photos needed (peak resident 763 MB against 512 MB without it, over the corpus twice), for no
    measurable speed in one process. In the two worker processes all features took 10-16% less CPU
    a photo (benchmarks/bench_analyze.py --processes --compare, three runs: 401 -> 338, 400 -> 354,
    399 -> 361 ms), and the two together peaked at 1049 MB instead of 1251: with the arena each worker
    stayed above isolated.TRIM_ABOVE_MB and so returned its free heap after every photo, which that
    module measured at about 10% CPU. RapidOCR already turns its sessions' arenas off.
    Denormals-as-zero and the "extended" optimization level made no model faster.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    source = str(model) if isinstance(model, Path) else model
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
