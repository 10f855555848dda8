"""Arrays as text for the page: little-endian float32 or uint8 bytes in base64, optionally
deflated (zlib), which the page reads back with ``Float32Array``/``Uint8Array`` and
``DecompressionStream("deflate")``."""

from __future__ import annotations

import base64
import zlib

import numpy as np


def float32_b64(values: np.ndarray) -> str:
    """Any float array, flattened in C order, as base64 of little-endian float32 bytes."""
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def uint8_b64(values: np.ndarray, deflate: bool = False) -> str:
    """A uint8 array, flattened in C order, as base64 (of its zlib stream with ``deflate``)."""
    raw = np.ascontiguousarray(values, dtype=np.uint8).tobytes()
    return base64.b64encode(zlib.compress(raw, 6) if deflate else raw).decode("ascii")


def from_float32_b64(text: str) -> np.ndarray:
    """The inverse of :func:`float32_b64`: a flat float32 array."""
    return np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float32)
