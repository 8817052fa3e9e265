"""Near-duplicates: a perceptual hash per content, and grouping hashes that differ in few bits.

The hash is the 64-bit DCT hash (pHash): the thumbnail in grey at 32×32, its 2-D DCT, and the sign
of each of the 8×8 lowest frequencies against their median. It survives resizing, re-saving at
another JPEG quality and light edits (exposure, a small crop), which change the fine detail a
difference hash (dHash) reads. Written in numpy on the thumbnail the scan already decodes, instead
of ``imagehash``, which would bring scipy and PyWavelets for these twenty lines.

Grouping never compares all pairs. Two hashes at most ``NEAR_BITS`` = 7 bits apart agree, in at least
one of their four 16-bit quarters, to within one bit (four quarters of two or more bits would be 8):
each hash is filed under its four quarters, and looked up under each quarter and its 16 one-bit
neighbours. The candidates found are then checked with the full 64-bit distance.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image

NEAR_BITS = 7  # at most this many of 64 bits apart: the same picture (see docs in the README)
_SIDE = 32
_LOW = 8


@lru_cache(maxsize=1)
def _dct_matrix() -> np.ndarray:
    """The orthonormal DCT-II matrix of size 32: ``D @ x @ D.T`` is the 2-D DCT of x."""
    n = np.arange(_SIDE)
    matrix = np.cos(np.pi * (2 * n[None, :] + 1) * n[:, None] / (2 * _SIDE)) * np.sqrt(2.0 / _SIDE)
    matrix[0] /= np.sqrt(2.0)
    return matrix


def perceptual_hash(image: Image.Image) -> int:
    """The image's 64-bit pHash as a signed integer (how SQLite stores 64 bits)."""
    grey = image.convert("L").resize((_SIDE, _SIDE), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    d = _dct_matrix()
    low = (d @ pixels @ d.T)[:_LOW, :_LOW].ravel()
    bits = low > np.median(low)
    value = int(np.packbits(bits.astype(np.uint8)).view(">u8")[0])
    return value - (1 << 64) if value >= 1 << 63 else value


def thumbnail_hash(data: bytes) -> int:
    """The perceptual hash of a thumbnail's JPEG bytes: what the scan and the backfill both hash."""
    with Image.open(io.BytesIO(data)) as image:
        return perceptual_hash(image)


def distance(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


def _unsigned(hashes: np.ndarray | list[int]) -> np.ndarray:
    return np.asarray(hashes, dtype=np.int64).view(np.uint64)


def near_pairs(hashes: np.ndarray | list[int], bits: int = NEAR_BITS) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) with i < j for every two hashes at most ``bits`` apart (``bits`` <= 7), by the index."""
    if bits > NEAR_BITS:
        raise ValueError(f"the quarter index finds pairs up to {NEAR_BITS} bits apart, not {bits}")
    values = _unsigned(hashes)
    n = values.size
    flips = np.array([0, *(1 << b for b in range(16))], dtype=np.uint64)
    found_i, found_j = [], []
    ids = np.arange(n, dtype=np.int64)
    for quarter in range(4):
        keys = ((values >> np.uint64(16 * quarter)) & np.uint64(0xFFFF)).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        # where each 16-bit value's hashes start in ``order``: a lookup is two reads, not a search
        starts = np.r_[0, np.cumsum(np.bincount(keys, minlength=1 << 16))]
        for flip in flips:
            wanted = keys ^ int(flip)
            lo = starts[wanted]
            counts = starts[wanted + 1] - lo
            total = int(counts.sum())
            if not total:
                continue
            offsets = np.cumsum(counts) - counts
            i = np.repeat(ids, counts)
            j = order[np.repeat(lo - offsets, counts) + np.arange(total, dtype=np.int64)]
            keep = i < j
            i, j = i[keep], j[keep]
            close = np.bitwise_count(values[i] ^ values[j]) <= bits
            found_i.append(i[close])
            found_j.append(j[close])
    if not found_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # a pair close in several quarters was found once per quarter
    packed = np.unique(np.concatenate(found_i) * n + np.concatenate(found_j))
    return packed // n, packed % n


def near_pairs_all(hashes: np.ndarray | list[int], bits: int = NEAR_BITS) -> tuple[np.ndarray, np.ndarray]:
    """The same pairs by comparing every hash with every later one: the baseline the index is measured
    against, and the reference its tests check it with."""
    values = _unsigned(hashes)
    found_i, found_j = [], []
    for i in range(values.size - 1):
        close = np.flatnonzero(np.bitwise_count(values[i + 1 :] ^ values[i]) <= bits) + i + 1
        found_i.append(np.full(close.size, i, dtype=np.int64))
        found_j.append(close)
    if not found_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(found_i), np.concatenate(found_j)


def components(n: int, i: np.ndarray, j: np.ndarray) -> list[list[int]]:
    """Groups of indices joined by the pairs (each with two or more), by union-find."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for x in sorted(set(i.tolist()) | set(j.tolist())):
        groups.setdefault(root(x), []).append(x)
    return [members for members in groups.values() if len(members) > 1]
