"""Preprocessing fitted with a model, saved with it, applied and inverted for the user.

Only one kind so far besides doing nothing: per-feature standardization, which makes a
unit-variance Gaussian likelihood sensible for tables whose columns have arbitrary
units. Log-densities are reported in the user's units by adding the log-Jacobian of
the scaling (:meth:`Scaling.log_abs_det_jacobian`).

A feature is *constant* when its standard deviation is at most
:data:`CONSTANT_RELATIVE_STD` (float32's machine epsilon, 1.2e-7) times its largest
absolute value: it varies by no more than about one float32 rounding step of its own
values (the data are float32), so whatever variation it has is round-off, and dividing
by it would blow round-off up to unit variance. The test is relative to each feature's
own magnitude, so a feature of values around 1e-9 with a spread of 1e-10 is
standardized like any other, as is one around 1e6 with a spread of 1; a column of zeros
(0 <= 0) and a one-row fit are constant. Constant features keep scale 1 (they are only
centred) and are named in a :class:`ConstantFeatureWarning`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from vaekit.data.stream.statistics import StreamStatistics

SCALING_KINDS = ("none", "standardize", "robust-asinh")
IQR_PER_SD = 1.349
"""The interquartile range of a normal distribution, in standard deviations (the robust scale's divisor)."""
CONSTANT_RELATIVE_STD = float(np.finfo(np.float32).eps)
"""A feature with std <= this x max |x| is constant: about one float32 rounding step (2**-23)."""
_SHOWN = 8  # constant features named in a warning; the rest are counted


class ConstantFeatureWarning(UserWarning):
    """Some features do not vary in the training data: they are left unscaled and carry nothing.

    The command line prints it as a note.
    """


def constant_features(X: np.ndarray) -> np.ndarray:
    """Which features of X (n, *sample_shape) are constant, as a boolean array of shape sample_shape.

    Constant means std <= :data:`CONSTANT_RELATIVE_STD` x max |x| over the rows (see the
    module docstring), or a std too small for a float32 scale (below float32's smallest
    normal number).
    """
    X = np.asarray(X)
    return _constant(X.std(axis=0, dtype=np.float64), np.abs(X).max(axis=0).astype(np.float64))


def _constant(std: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """:func:`constant_features` from each feature's std and largest absolute value."""
    return (std <= CONSTANT_RELATIVE_STD * magnitude) | (std < np.finfo(np.float32).tiny)


def _feature_names(constant: np.ndarray, names: Sequence[str] | None) -> list[str]:
    """The names of the True entries of ``constant``: ``names`` when given, else x0, x1, ... (flat index)."""
    flat = np.flatnonzero(constant.ravel())
    return [str(names[int(i)]) if names is not None else f"x{i}" for i in flat]


@dataclass
class Scaling:
    """``x_scaled = (x - mean) / scale`` per feature ("standardize"), its asinh ("robust-asinh"), or the identity.

    "robust-asinh" centres each feature on its median and divides by its interquartile range / 1.349 (the
    standard deviation of a normal feature; the standard deviation where the IQR is 0), then takes asinh:
    linear near the centre, logarithmic in the tails, so a few far values neither dominate the fit nor
    blow it up. Measured for the anomaly detector in ``benchmarks/detector_study.py``.

    Attributes
    ----------
    kind : {"none", "standardize", "robust-asinh"}
    mean, scale : ndarray of shape sample_shape, or None for "none"
        The centre and scale (for "robust-asinh" the median and the robust scale).
    """

    kind: str = "none"
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None

    @classmethod
    def fit(cls, X: np.ndarray, kind: str, names: Sequence[str] | None = None) -> Scaling:
        """Fit on X of shape (n, *sample_shape); constant features keep scale 1.

        Constant features (see :func:`constant_features`) are named, from ``names``
        (one per feature, in flattened order) or as x0, x1, ..., in a
        :class:`ConstantFeatureWarning`.
        """
        if kind not in SCALING_KINDS:
            raise ValueError(f"preprocessing={kind!r} is not one of {SCALING_KINDS} or 'auto'")
        if kind == "none":
            return cls()
        mean = X.mean(axis=0, dtype=np.float64)
        std = X.std(axis=0, dtype=np.float64)
        constant = constant_features(X)
        scale = np.where(constant, 1.0, std)
        if constant.any():
            _warn_constant(constant, len(X), names)
        if kind == "robust-asinh":
            q1, median, q3 = np.percentile(np.asarray(X, dtype=np.float64), [25.0, 50.0, 75.0], axis=0)
            spread = (q3 - q1) / IQR_PER_SD
            scale = np.where(constant, 1.0, np.where(spread > 1e-12 * np.maximum(np.abs(median), 1.0), spread, scale))
            mean = median
        return cls(kind, mean.astype(np.float32), scale.astype(np.float32))

    @classmethod
    def from_statistics(cls, stats: StreamStatistics, kind: str, names: Sequence[str] | None = None) -> Scaling:
        """:meth:`fit` from statistics gathered in one pass over a stream (data bigger than memory).

        Parameters
        ----------
        stats : StreamStatistics
            From :func:`vaekit.data.stream.stream_statistics`: its ``mean``, ``std``,
            ``min``, ``max`` and ``n_rows`` are used.
        kind : {"none", "standardize"}
        names : sequence of str or None
            As for :meth:`fit`.

        Returns
        -------
        Scaling
            What :meth:`fit` gives on the whole array, to float tolerance, with the same
            :class:`ConstantFeatureWarning`.
        """
        if kind not in SCALING_KINDS:
            raise ValueError(f"preprocessing={kind!r} is not one of {SCALING_KINDS} or 'auto'")
        if kind == "none":
            return cls()
        std = np.asarray(stats.std, dtype=np.float64)
        magnitude = np.maximum(np.abs(stats.min), np.abs(stats.max)).astype(np.float64)
        constant = _constant(std, magnitude)
        if constant.any():
            _warn_constant(constant, stats.n_rows, names)
        scale = np.where(constant, 1.0, std)  # "robust-asinh": one pass has no quantiles, so the mean and std
        return cls(kind, np.asarray(stats.mean).astype(np.float32), scale.astype(np.float32))

    def transform(self, X: np.ndarray) -> np.ndarray:
        """User units -> model units; same shape."""
        if self.mean is None or self.scale is None:
            return X
        scaled = (X - self.mean) / self.scale
        return (np.arcsinh(scaled) if self.kind == "robust-asinh" else scaled).astype(np.float32)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """Model units -> user units; same shape."""
        if self.mean is None or self.scale is None:
            return X
        scaled = np.sinh(np.asarray(X, dtype=np.float64)) if self.kind == "robust-asinh" else X
        return (scaled * self.scale + self.mean).astype(np.float32)

    def log_abs_det_jacobian(self, X_model: np.ndarray | None = None) -> Any:
        """log |d x_scaled / d x| summed over features: add it to a model log-density.

        A float; for "robust-asinh", whose derivative depends on the value, per row (n,) of
        ``X_model`` (rows in model units, required): -sum log(scale) - sum log cosh(u).
        """
        if self.scale is None:
            return 0.0 if X_model is None else np.zeros(len(X_model))
        constant = float(-np.log(self.scale.astype(np.float64)).sum())
        if X_model is None:
            if self.kind == "robust-asinh":
                raise ValueError("a robust-asinh scaling's log-Jacobian depends on the rows: give X_model")
            return constant
        if self.kind != "robust-asinh":
            return np.full(len(X_model), constant)
        u = np.abs(np.asarray(X_model, dtype=np.float64).reshape(len(X_model), -1))
        log_cosh = u + np.log1p(np.exp(-2.0 * u)) - math.log(2.0)  # (n, d), stable for large |u|
        return constant - log_cosh.sum(axis=1)

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
        if kind not in ("standardize", "robust-asinh") or set(arrays) != {"mean", "scale"}:
            raise ValueError(f"saved preprocessing {kind!r} with arrays {sorted(arrays)} is not valid")
        return cls(kind, arrays["mean"], arrays["scale"])


def _warn_constant(constant: np.ndarray, n_rows: int, names: Sequence[str] | None) -> None:
    """One :class:`ConstantFeatureWarning` naming the constant features (the first few of many)."""
    found = _feature_names(constant, names)
    shown = ", ".join(found[:_SHOWN]) + (f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else "")
    if names is None:
        shown += " (numbered from x0)"
    rows = "1 training row" if n_rows == 1 else f"{n_rows} training rows"
    why = "" if n_rows == 1 else f" (std at most {CONSTANT_RELATIVE_STD:.2g} of the largest |value|)"
    warnings.warn(
        f"{len(found)} of {constant.size} features are constant in the {rows}{why}: {shown}; "
        "they are centred but not scaled, and the model can learn nothing from them",
        ConstantFeatureWarning,
        stacklevel=3,
    )
