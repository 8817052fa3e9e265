"""dlib's face descriptor network (``dlib_face_recognition_resnet_model_v1.dat``) as an ONNX graph.

dlib runs this ResNet in about 75 ms a face while holding the GIL, so faces
were described one at a time however many threads asked. The same weights run
by onnxruntime give the same 128 numbers (to float rounding, checked to 1e-4
in tests/test_dlib_onnx.py and by benchmarks/eval_dlib_onnx.py on the corpus),
so the distances calibrated in ``faces/thresholds.py`` still hold, in a few
milliseconds and without the GIL.

The weights are read from the model file the ``face_recognition_models``
package ships, following dlib's serialization format (dlib/serialize.h and the
layers' own serialize functions in dlib/dnn): a network is written from its
outermost layer inwards, each layer first writing its version and then its
inner network, so the file holds every layer's header from the loss down to
the input, then the input layer, then each layer's parameters from the input
up. The layer layout is the one dlib's face recognition example declares
(``anet_type`` in dlib/tools/python/src/face_recognition.cpp); the reader
checks each layer's name and shape against it, so any other file is refused
with the place it stops making sense.

dlib encodes an integer as a control byte (bit 7: negative; low 4 bits: the
number of little-endian bytes that follow), a float outside tensors as two
such integers (mantissa, then base-2 exponent), a string as its length then
its bytes, a bool as ASCII '0'/'1', and a tensor as version 2, its four sizes
and little-endian float32 values.

The network reads a 150x150 face chip made by dlib's own alignment
(``dlib.get_face_chips`` with dlib's default padding), so only the network is
replaced, not how a face is cut out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from photosorter.core.analysis.local.onnx_graph import GraphBuilder, cached_model

CHIP_SIZE = 150
CHIP_PADDING = 0.25  # dlib's default in compute_face_descriptor
GRAPH_VERSION = "1"  # bump when the graph construction changes, so cached files are rebuilt


class DlibModelError(ValueError):
    """The model file is not the dlib face descriptor network this reader knows."""


@dataclass(frozen=True, slots=True)
class _Conv:
    filters: int
    size: int
    stride: int


@dataclass(frozen=True, slots=True)
class _Pool:
    kind: str  # "max" or "avg"
    size: int  # 0: the whole image (avg_pool_everything)
    stride: int


@dataclass(frozen=True, slots=True)
class _Simple:
    kind: str  # "affine", "relu", "add_prev", "fc"
    tag: int = 0  # add_prev: the tag whose output is added


@dataclass(frozen=True, slots=True)
class _Tag:
    tag: int


@dataclass(frozen=True, slots=True)
class _Skip:
    tag: int


_Layer = _Conv | _Pool | _Simple | _Tag | _Skip


def _block(filters: int, stride: int) -> list[_Layer]:
    # block<N,affine,stride> = affine<con<N,3,3,1,1,relu<affine<con<N,3,3,stride,stride,...>>>>>
    return [
        _Conv(filters, 3, stride),
        _Simple("affine"),
        _Simple("relu"),
        _Conv(filters, 3, 1),
        _Simple("affine"),
    ]


def _ares(filters: int) -> list[_Layer]:
    # relu<add_prev1<block<N,affine,1,tag1<...>>>>
    return [_Tag(1), *_block(filters, 1), _Simple("add_prev", 1), _Simple("relu")]


def _ares_down(filters: int) -> list[_Layer]:
    # relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,affine,2,tag1<...>>>>>>>
    return [
        _Tag(1),
        *_block(filters, 2),
        _Tag(2),
        _Skip(1),
        _Pool("avg", 2, 2),
        _Simple("add_prev", 2),
        _Simple("relu"),
    ]


# From the input up: dlib's anet_type, the network of dlib_face_recognition_resnet_model_v1.
LAYERS: tuple[_Layer, ...] = (
    _Conv(32, 7, 2),
    _Simple("affine"),
    _Simple("relu"),
    _Pool("max", 3, 2),
    *_ares(32), *_ares(32), *_ares(32),
    *_ares_down(64), *_ares(64), *_ares(64), *_ares(64),
    *_ares_down(128), *_ares(128), *_ares(128),
    *_ares_down(256), *_ares(256), *_ares(256),
    *_ares_down(256),
    _Pool("avg", 0, 1),
    _Simple("fc"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ConvWeights:
    kernel: np.ndarray  # (filters, channels, size, size)
    bias: np.ndarray
    stride: int
    padding: int


@dataclass(frozen=True, slots=True)
class PoolShape:
    size: int
    stride: int
    padding: int


@dataclass(frozen=True, slots=True)
class Network:
    """The network's weights, one entry per layer of ``LAYERS`` (None for layers without any)."""

    channel_means: tuple[float, float, float]  # subtracted from R, G, B before dividing by 256
    layers: tuple[object, ...]


class _Reader:
    def __init__(self, data: bytes, name: str) -> None:
        self._data = data
        self._at = 0
        self._name = name

    def fail(self, what: str) -> DlibModelError:
        return DlibModelError(f"{self._name} is not a usable dlib face model: {what} (at byte {self._at})")

    def take(self, count: int) -> bytes:
        if count < 0 or self._at + count > len(self._data):
            raise self.fail(f"the file ends early ({len(self._data)} bytes); it is truncated")
        chunk = self._data[self._at : self._at + count]
        self._at += count
        return chunk

    def integer(self) -> int:
        control = self.take(1)[0]
        size = control & 0x0F
        if size == 0 or size > 8 or control & 0x70:
            raise self.fail(f"a damaged integer (control byte {control:#04x})")
        value = int.from_bytes(self.take(size), "little")
        return -value if control & 0x80 else value

    def real(self) -> float:
        mantissa, exponent = self.integer(), self.integer()
        if abs(exponent) > 2000:  # dlib's markers for infinity and NaN, never in a trained model
            raise self.fail("a number that is not finite")
        return float(mantissa) * 2.0**exponent

    def boolean(self) -> bool:
        value = self.take(1)
        if value not in (b"0", b"1"):
            raise self.fail("a damaged flag")
        return value == b"1"

    def text(self) -> str:
        size = self.integer()
        if not 0 <= size <= 64:
            raise self.fail("a damaged layer name")
        return self.take(size).decode("ascii", errors="replace")

    def version(self, allowed: tuple[int, ...], what: str) -> int:
        version = self.integer()
        if version not in allowed:
            raise self.fail(f"unexpected {what} version {version}")
        return version

    def name(self, allowed: tuple[str, ...]) -> str:
        name = self.text()
        if name not in allowed:
            raise self.fail(f"expected a {' or '.join(allowed)} layer, found {name!r}")
        return name

    def tensor(self) -> np.ndarray:
        self.version((2,), "tensor")
        shape = tuple(self.integer() for _ in range(4))
        if any(side < 0 for side in shape) or np.prod(shape, dtype=np.int64) > len(self._data):
            raise self.fail(f"a damaged tensor shape {shape}")
        count = int(np.prod(shape, dtype=np.int64))
        return np.frombuffer(self.take(4 * count), dtype="<f4").reshape(shape).astype(np.float32)

    def alias(self) -> tuple[int, int, int, int]:
        self.version((1,), "tensor alias")
        return tuple(self.integer() for _ in range(4))  # type: ignore[return-value]

    def end(self) -> None:
        if self._at != len(self._data):
            raise self.fail(f"{len(self._data) - self._at} bytes follow the network")


def _conv(reader: _Reader, spec: _Conv) -> ConvWeights:
    name = reader.name(("con_4", "con_5", "con_6"))
    params = reader.tensor().ravel()
    filters, rows, cols, stride_y, stride_x, pad_y, pad_x = (reader.integer() for _ in range(7))
    kernel_shape, bias_shape = reader.alias(), reader.alias()
    for _ in range(4):  # learning rate and weight decay multipliers
        reader.real()
    use_bias = reader.boolean() if name in ("con_5", "con_6") else True
    if name == "con_6":
        reader.boolean()  # use_relu: a fused ReLU dlib may apply; never set in this model
    expected = (spec.filters, spec.size, spec.size, spec.stride, spec.stride)
    if (filters, rows, cols, stride_y, stride_x) != expected:
        raise reader.fail(f"a convolution of {filters} {rows}x{cols} filters, stride {stride_y}; not {spec}")
    if pad_x != pad_y or kernel_shape[0] != filters or kernel_shape[2:] != (rows, cols):
        raise reader.fail(f"a convolution shaped {kernel_shape}, padding {pad_y}x{pad_x}")
    kernel_size = int(np.prod(kernel_shape))
    bias_size = int(np.prod(bias_shape)) if use_bias else 0
    if params.size != kernel_size + bias_size:
        raise reader.fail(f"a convolution holding {params.size} numbers instead of {kernel_size + bias_size}")
    bias = params[kernel_size:] if use_bias else np.zeros(filters, np.float32)
    return ConvWeights(params[:kernel_size].reshape(kernel_shape), bias, stride_y, pad_y)


def _affine(reader: _Reader) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (scale, shift); a batch norm saved as such is folded the way dlib's affine_ does."""
    name = reader.name(("affine_", "affine_2", "bn_con2"))
    params = reader.tensor().ravel()
    gamma, beta = reader.alias(), reader.alias()
    channels = int(np.prod(gamma))
    if int(np.prod(beta)) != channels or params.size != 2 * channels:
        raise reader.fail(f"an affine layer of {params.size} numbers for {channels} channels")
    scale, shift = params[:channels], params[channels:]
    if name == "bn_con2":
        reader.tensor()  # means and inverse deviations of the last training batch
        reader.tensor()
        running_means = reader.tensor().ravel()
        running_variances = reader.tensor().ravel()
        reader.integer()  # updates so far
        reader.integer()  # running statistics window
        for _ in range(4):
            reader.real()
        eps = reader.real()
        scale = scale / np.sqrt(running_variances + eps)
        shift = shift - scale * running_means
        return scale.astype(np.float32), shift.astype(np.float32)
    reader.integer()  # mode: per channel (convolutional) here
    if name == "affine_2" and reader.boolean():
        raise reader.fail("a disabled affine layer")
    return scale, shift


def _pool(reader: _Reader, spec: _Pool) -> PoolShape:
    reader.name((f"{spec.kind}_pool_2",))
    rows, cols, stride_y, stride_x, pad_y, pad_x = (reader.integer() for _ in range(6))
    if (rows, cols, stride_y, stride_x) != (spec.size, spec.size, spec.stride, spec.stride) or pad_x != pad_y:
        raise reader.fail(f"a {rows}x{cols} pool with stride {stride_y}; expected {spec}")
    return PoolShape(rows, stride_y, pad_y)


def _fc(reader: _Reader) -> np.ndarray:
    """The (inputs, outputs) matrix of dlib's fc_no_bias."""
    name = reader.name(("fc_2", "fc_3"))
    outputs, inputs = reader.integer(), reader.integer()
    params = reader.tensor().ravel()
    weights = reader.alias()
    reader.alias()  # biases: none in fc_no_bias
    if reader.integer() != 1:  # FC_NO_BIAS (FC_HAS_BIAS is 0)
        raise reader.fail("a fully connected layer with a bias")
    for _ in range(4):
        reader.real()
    if name == "fc_3":
        reader.boolean()
    if params.size != inputs * outputs or int(np.prod(weights)) != inputs * outputs:
        raise reader.fail(f"a fully connected layer of {params.size} numbers for {inputs}x{outputs}")
    return params.reshape(inputs, outputs)


def _details(reader: _Reader, spec: _Layer) -> object:
    if isinstance(spec, _Conv):
        return _conv(reader, spec)
    if isinstance(spec, _Pool):
        return _pool(reader, spec)
    assert isinstance(spec, _Simple)
    if spec.kind == "affine":
        return _affine(reader)
    if spec.kind == "relu":
        if reader.name(("relu_", "relu_2")) == "relu_2" and reader.boolean():
            raise reader.fail("a disabled relu layer")
        return None
    if spec.kind == "add_prev":
        reader.name(("add_prev_",))
        return None
    return _fc(reader)


def read_network(data: bytes, name: str = "the face model") -> Network:
    """The weights in a ``dlib_face_recognition_resnet_model_v1.dat`` file's bytes, or DlibModelError."""
    reader = _Reader(data, name)
    reader.version((1,), "loss layer")
    if reader.name(("loss_metric_", "loss_metric_2")) == "loss_metric_2":
        reader.real()  # margin and distance threshold: training settings
        reader.real()
    # Headers, from the outermost layer down to the one on the input.
    versions = []
    for spec in reversed(LAYERS):
        if isinstance(spec, (_Tag, _Skip)):
            reader.version((1,), "tag or skip layer")
            versions.append(None)
        else:
            versions.append(reader.version((1, 2, 3), "layer"))
    versions.reverse()
    reader.name(("input_rgb_image_sized",))
    means = (reader.real(), reader.real(), reader.real())
    if (reader.integer(), reader.integer()) != (CHIP_SIZE, CHIP_SIZE):
        raise reader.fail(f"an input size other than {CHIP_SIZE}x{CHIP_SIZE}")
    layers = []
    for index, (spec, version) in enumerate(zip(LAYERS, versions, strict=True)):
        if version is None:
            layers.append(None)
            continue
        layers.append(_details(reader, spec))
        for _ in range(3):  # setup called, gradient stale, output and gradient disabled
            reader.boolean()
        reader.tensor()  # the gradient and output of the last training step
        reader.tensor()
        if index == 0:  # the layer on the input keeps its final gradient and, from version 3, a factor
            reader.tensor()
            if version >= 3:
                reader.integer()
        elif version >= 2:
            reader.tensor()  # parameter gradient
    reader.end()
    return Network(means, tuple(layers))


class _ResnetGraph:
    def __init__(self, network: Network) -> None:
        self.network = network
        self.graph = GraphBuilder()

    def pad_to(self, x: str, shape: tuple[int, int, int], target: tuple[int, int, int]) -> str:
        """dlib's add_prev adds tensors of different sizes as if the smaller one had zeros after its end."""
        if shape == target:
            return x
        extra = [0, 0, 0, 0, 0, *(t - s for s, t in zip(shape, target, strict=True))]
        return self.graph.node("Pad", [x, self.graph.int_constant(np.array([0, *extra[:3], 0, *extra[5:]]))])

    def build(self) -> onnx.ModelProto:
        g = self.graph
        means = np.array(self.network.channel_means, np.float32).reshape(1, 3, 1, 1)
        # dlib feeds (pixel - channel mean) / 256
        x = g.node("Sub", ["chip", g.constant(means)])
        x = g.node("Mul", [x, g.constant(np.array(1 / 256, np.float32))])
        shape = (3, CHIP_SIZE, CHIP_SIZE)
        tags: dict[int, tuple[str, tuple[int, int, int]]] = {}
        for spec, weights in zip(LAYERS, self.network.layers, strict=True):
            if isinstance(spec, _Tag):
                tags[spec.tag] = (x, shape)
            elif isinstance(spec, _Skip):
                x, shape = tags[spec.tag]
            elif isinstance(spec, _Conv):
                assert isinstance(weights, ConvWeights)
                p, s, k = weights.padding, weights.stride, spec.size
                x = g.node(
                    "Conv",
                    [x, g.constant(weights.kernel), g.constant(weights.bias)],
                    kernel_shape=[k, k],
                    strides=[s, s],
                    pads=[p, p, p, p],
                )
                side = (shape[1] + 2 * p - k) // s + 1
                shape = (spec.filters, side, side)
            elif isinstance(spec, _Pool):
                assert isinstance(weights, PoolShape)
                if spec.size == 0:
                    x = g.node("GlobalAveragePool", [x])
                    shape = (shape[0], 1, 1)
                else:
                    p, s, k = weights.padding, weights.stride, weights.size
                    op = "MaxPool" if spec.kind == "max" else "AveragePool"
                    x = g.node(op, [x], kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p])
                    side = (shape[1] + 2 * p - k) // s + 1
                    shape = (shape[0], side, side)
            elif spec.kind == "affine":
                scale, shift = weights  # type: ignore[misc]
                x = g.node("Mul", [x, g.constant(scale.reshape(1, -1, 1, 1))])
                x = g.node("Add", [x, g.constant(shift.reshape(1, -1, 1, 1))])
            elif spec.kind == "relu":
                x = g.node("Relu", [x])
            elif spec.kind == "add_prev":
                other, other_shape = tags[spec.tag]
                target = tuple(max(a, b) for a, b in zip(shape, other_shape, strict=True))
                x = g.node(
                    "Add",
                    [self.pad_to(x, shape, target), self.pad_to(other, other_shape, target)],  # type: ignore[arg-type]
                )
                shape = target  # type: ignore[assignment]
            else:  # fc
                x = g.node("Flatten", [x], axis=1)
                x = g.node("MatMul", [x, g.constant(weights)])  # type: ignore[arg-type]
        return g.model(
            "dlib_face_recognition_resnet_v1",
            {"chip": ["batch", 3, CHIP_SIZE, CHIP_SIZE]},
            {"descriptor": (x, ["batch", 128])},
        )


def build_model(path: Path) -> bytes:
    """The serialized ONNX model of the dlib model file at ``path``."""
    network = read_network(path.read_bytes(), str(path))
    return _ResnetGraph(network).build().SerializeToString()


def model_bytes(path: Path, cache_dir: Path | None) -> bytes:
    """The ONNX model, from ``cache_dir`` when it was converted before; converting takes about a second."""
    return cached_model(cache_dir, "dlib-face-resnet-v1", GRAPH_VERSION, path, lambda: build_model(path))


def chips_input(chips: list[np.ndarray]) -> np.ndarray:
    """dlib's 150x150 RGB face chips as the network's NCHW float input."""
    return np.stack(chips).astype(np.float32).transpose(0, 3, 1, 2)
