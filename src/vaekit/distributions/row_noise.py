"""Noise that belongs to a row: standard normal draws that depend on the row's values and a seed only.

A Monte-Carlo score (the ELBO of :meth:`~vaekit.estimators._base.BaseAutoEncoder.score_samples`)
needs draws of eps for each row. Drawn from one generator in row order, a row's draws depend on
where it sits, so the same row scores differently alone and inside its file. Drawn once and shared
by every row (common random numbers), the rows' errors no longer average out: the mean ELBO of a
data set carries the error of one draw. Here each row's draws are a function of its own bits:

* the row (and its condition, if any) is hashed to 64 bits: its float32 values as words, each
  multiplied by an odd constant of its position, summed modulo 2**64, then mixed (SplitMix64's
  finalizer) with the seed. The words keep 11 of the 23 bits of the mantissa (a relative step of
  about 5e-4), so the same row in other units (standardized, its float32 rounding a little
  different) almost always gets the same draws;
* draw (k, j) of that row is the Box-Muller transform of two uniforms, each SplitMix64 of the
  row's hash and a counter: a counter-based generator (as Philox is), so any row's draws are
  computed alone, vectorized over rows.

Different rows get independent-looking draws, so averages over rows converge as with a
generator; equal rows get equal draws, so they get equal scores.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_KEPT_BITS = np.uint32(0xFFFFF000)  # sign, exponent and the top 11 bits of the mantissa


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer, element-wise on uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _position_keys(n: int) -> np.ndarray:
    """One odd 64-bit multiplier per position (n,), the same on every call."""
    with np.errstate(over="ignore"):
        return _mix(np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN) | np.uint64(1)


def row_hashes(values: np.ndarray, seed: int) -> np.ndarray:
    """A 64-bit hash per row of ``values`` (n, ...) float32, mixed with ``seed``: uint64 (n,)."""
    words = np.ascontiguousarray(values, dtype=np.float32).reshape(len(values), -1).view(np.uint32) & _KEPT_BITS
    keys = _position_keys(words.shape[1])
    with np.errstate(over="ignore"):
        total = (words.astype(np.uint64) * keys).sum(axis=1, dtype=np.uint64)
        return _mix(total ^ _mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) + _GOLDEN))


def row_normals(x: Tensor, condition: Tensor | None, n_samples: int, dim: int, seed: int) -> Tensor:
    """Standard normal draws (n_samples, B, dim) float64 for the rows of ``x`` (B, ...), each row's
    a function of its own values (and condition) and ``seed`` only; on ``x``'s device."""
    values = x.detach().float().cpu().numpy()
    if condition is not None:
        values = np.concatenate(
            [values.reshape(len(values), -1), condition.detach().float().cpu().numpy().reshape(len(values), -1)], axis=1
        )
    hashes = row_hashes(values, seed)  # (B,)
    counters = np.arange(2 * n_samples * dim, dtype=np.uint64).reshape(1, n_samples, dim, 2)
    with np.errstate(over="ignore"):
        bits = _mix(hashes[:, None, None, None] + (counters + np.uint64(1)) * _GOLDEN)  # (B, K, dim, 2)
    uniforms = ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53  # in (0, 1)
    radius = np.sqrt(-2.0 * np.log(uniforms[..., 0]))
    normals = radius * np.cos(2.0 * np.pi * uniforms[..., 1])  # (B, K, dim)
    return torch.from_numpy(np.ascontiguousarray(normals.transpose(1, 0, 2))).to(x.device)


__all__ = ["row_hashes", "row_normals"]
