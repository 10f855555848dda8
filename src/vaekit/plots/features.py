"""Reconstruction error per feature of a table, beside each feature's variance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from vaekit.data.validation import check_positive_int

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_feature_errors"]


def plot_feature_errors(
    X: ArrayLike, X_hat: ArrayLike, feature_names: Sequence[str] | None = None, max_features: int = 30
) -> Figure:
    """Per-feature mean squared reconstruction error of a table, worst first.

    The left panel draws each feature's error over its variance (the error of always
    predicting the mean); the right one their ratio, 1 - R^2: near 0 the model
    explains the feature, near 1 or above it does not.

    Parameters
    ----------
    X, X_hat : array-like of shape (n_samples, n_features)
        The data and its reconstruction, in the same units.
    feature_names : sequence of str or None
        Default ``x[0]``, ``x[1]``, ...
    max_features : int
        Show at most this many features (the worst ones; the title says so).

    Returns
    -------
    Figure
    """
    from matplotlib.figure import Figure

    X, X_hat = np.asarray(X, dtype=np.float64), np.asarray(X_hat, dtype=np.float64)
    if X.ndim != 2 or X.size == 0:
        raise ValueError(
            f"X must be a table of shape (n_samples, n_features), got shape {X.shape}"
            + (" (flatten images with X.reshape(len(X), -1))" if X.ndim > 2 else "")
        )
    if X_hat.shape != X.shape:
        raise ValueError(f"X has shape {X.shape} but X_hat {X_hat.shape}; they must match")
    if not (np.isfinite(X).all() and np.isfinite(X_hat).all()):
        raise ValueError("X or X_hat contains NaN or infinite values")
    n_features = X.shape[1]
    if feature_names is None:
        names = [f"x[{j}]" for j in range(n_features)]
    else:
        names = [str(name) for name in feature_names]
    if len(names) != n_features:
        raise ValueError(f"feature_names has {len(names)} names, but X has {n_features} features")
    mse = np.mean((X_hat - X) ** 2, axis=0)  # (n_features,)
    variance = X.var(axis=0)  # (n_features,)
    ratio = np.divide(mse, variance, out=np.full(n_features, np.nan), where=variance > 0)  # (n_features,)
    check_positive_int("max_features", max_features)
    shown = np.argsort(-mse, kind="stable")[:max_features]  # worst first
    rows = np.arange(len(shown))[::-1]  # worst at the top

    fig = Figure(figsize=(9.0, 1.4 + 0.26 * len(shown)), dpi=100, layout="constrained")
    err_ax, ratio_ax = fig.subplots(1, 2, sharey=True, width_ratios=(3, 2))
    err_ax.barh(rows, variance[shown], height=0.8, color="0.85", label="variance of the feature")
    err_ax.barh(rows, mse[shown], height=0.45, color="C3", label="mean squared error")
    shown_names = [names[j] if len(names[j]) <= 28 else names[j][:27] + "\u2026" for j in shown]
    err_ax.set_yticks(rows, shown_names, fontsize=8 if len(shown) > 15 else 9)
    err_ax.set_ylim(-0.6, len(shown) - 0.4)
    err_ax.set_xlabel("data units squared")
    err_ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False)
    ratio_ax.barh(rows, np.nan_to_num(ratio[shown]), height=0.6, color="C0")
    for row, j in zip(rows, shown, strict=True):
        if variance[j] == 0:
            ratio_ax.text(0.02, row, "constant feature", va="center", fontsize=7, color="0.4")
    ratio_ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ratio_ax.set_title("error / variance (1 - R$^2$)", fontsize=9)
    ratio_ax.set_xlabel("dashed: no better than predicting the mean")
    ratio_ax.set_xlim(0, max(1.1, float(np.nanmax(ratio[shown], initial=0)) * 1.05))
    for ax in (err_ax, ratio_ax):
        ax.grid(axis="x", alpha=0.3)
    which = f"worst {len(shown)} of {n_features} features" if len(shown) < n_features else "worst first"
    fig.suptitle(f"Reconstruction error per feature ({which}, {len(X):,} samples)", fontsize=11)
    return fig
