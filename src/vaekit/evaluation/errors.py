"""The squared reconstruction error, with NumPy alone: ``vaekit reconstruct`` reports it without
importing torch or scikit-learn (:mod:`vaekit.evaluation.metrics`, which imports both, re-exports it)."""

from __future__ import annotations

import numpy as np


def reconstruction_error(X: np.ndarray, X_hat: np.ndarray) -> np.ndarray:
    """Sum over features of (x - x_hat)^2 per sample; shapes (n, *sample_shape) -> (n,)."""
    diff = X.reshape(len(X), -1).astype(np.float64) - X_hat.reshape(len(X_hat), -1)
    return (diff**2).sum(axis=1)
