"""Reads a legacy (non-zip) PyTorch ``state_dict`` pickle into numpy arrays, without torch.

The legacy format is five concatenated pickles/blobs: magic number, protocol
version, system info, the state dict (tensors refer to storages through
persistent ids), the list of storage keys, then each storage's raw bytes
prefixed by its element count (int64, little endian). Only the classes a plain
state dict needs are allowed; anything else is refused.
"""

from __future__ import annotations

import collections
import pickle
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _StorageType:
    def __init__(self, name: str) -> None:
        self.dtype = np.dtype(_DTYPES[name])


class _TensorRef:
    __slots__ = ("key", "offset", "shape", "stride")

    def __init__(self, key: str, offset: int, shape: tuple[int, ...], stride: tuple[int, ...]):
        self.key, self.offset, self.shape, self.stride = key, offset, shape, stride


def _rebuild_tensor_v2(storage, offset, size, stride, *_args):
    return _TensorRef(storage[0], int(offset), tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, storage_types: dict[str, np.dtype]):
        super().__init__(file)
        self._types = storage_types

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, storage_type, key, _location, _size = pid[:5]
        self._types[key] = storage_type.dtype
        return (key,)


def load_state_dict(path: Path) -> dict[str, np.ndarray]:
    with open(path, "rb") as fh:
        # Every part goes through the restricted unpickler: a weights file must not run code.
        types: dict[str, np.dtype] = {}
        if _Unpickler(fh, types).load() != _MAGIC:
            raise ValueError(f"{path} is not a legacy PyTorch file")
        _Unpickler(fh, types).load()  # protocol version
        _Unpickler(fh, types).load()  # system info: plain dict of ints and strings
        state = _Unpickler(fh, types).load()
        keys = _Unpickler(fh, types).load()  # list of storage keys
        storages: dict[str, np.ndarray] = {}
        for key in keys:
            (count,) = struct.unpack("<q", fh.read(8))
            dtype = types[key]
            storages[key] = np.frombuffer(fh.read(count * dtype.itemsize), dtype=dtype)
    out: dict[str, np.ndarray] = {}
    for name, ref in state.items():
        flat = storages[ref.key]
        itemsize = flat.dtype.itemsize
        arr = np.lib.stride_tricks.as_strided(
            flat[ref.offset :],
            shape=ref.shape,
            strides=tuple(s * itemsize for s in ref.stride),
        )
        out[name] = np.ascontiguousarray(arr)
    return out
