"""Preprocessing fitted with a model, saved with it, applied and inverted for the user.

Only one kind so far besides doing nothing: per-feature standardization, which makes a
unit-variance Gaussian likelihood sensible for tables whose columns have arbitrary
units. Log-densities are reported in the user's units by adding the log-Jacobian of
the scaling (:meth:`Scaling.log_abs_det_jacobian`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALING_KINDS = ("none", "standardize")


@dataclass
class Scaling:
    """``x_scaled = (x - mean) / scale`` per feature, or the identity.

    Attributes
    ----------
    kind : {"none", "standardize"}
    mean, scale : ndarray of shape sample_shape, or None for "none"
    """

    kind: str = "none"
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None

    @classmethod
    def fit(cls, X: np.ndarray, kind: str) -> Scaling:
        """Fit on X of shape (n, *sample_shape); constant features keep scale 1."""
        if kind not in SCALING_KINDS:
            raise ValueError(f"preprocessing={kind!r} is not one of {SCALING_KINDS} or 'auto'")
        if kind == "none":
            return cls()
        mean = X.mean(axis=0, dtype=np.float64)
        std = X.std(axis=0, dtype=np.float64)
        scale = np.where(std > 1e-8 * np.maximum(1.0, np.abs(mean)), std, 1.0)
        return cls("standardize", mean.astype(np.float32), scale.astype(np.float32))

    def transform(self, X: np.ndarray) -> np.ndarray:
        """User units -> model units; same shape."""
        if self.mean is None or self.scale is None:
            return X
        return ((X - self.mean) / self.scale).astype(np.float32)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """Model units -> user units; same shape."""
        if self.mean is None or self.scale is None:
            return X
        return (X * self.scale + self.mean).astype(np.float32)

    def log_abs_det_jacobian(self) -> float:
        """log |d x_scaled / d x| summed over features: add it to a model log-density."""
        if self.scale is None:
            return 0.0
        return float(-np.log(self.scale.astype(np.float64)).sum())

    def arrays(self) -> dict[str, np.ndarray]:
        """The fitted arrays, for saving."""
        if self.mean is None or self.scale is None:
            return {}
        return {"mean": self.mean, "scale": self.scale}

    @classmethod
    def from_saved(cls, kind: str, arrays: dict[str, np.ndarray]) -> Scaling:
        """Rebuild from :attr:`kind` and :meth:`arrays`."""
        if kind == "none":
            return cls()
        if kind != "standardize" or set(arrays) != {"mean", "scale"}:
            raise ValueError(f"saved preprocessing {kind!r} with arrays {sorted(arrays)} is not valid")
        return cls(kind, arrays["mean"], arrays["scale"])
