"""A table's reconstructions, column by column, on scales that do not depend on the columns' units.

* :func:`plot_feature_errors` -- each feature's mean squared error over its variance
  (1 - R^2), worst first, on one shared axis; the raw figures in the labels.
* :func:`plot_table_reconstructions` -- a few rows, original beside reconstructed,
  each column standardized.

A table's columns can differ in scale by orders of magnitude (a price beside a
ratio), so every figure here draws unit-free quantities and gives the data's own
units only in text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from vaekit.data.validation import check_positive_int

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_feature_errors", "plot_table_reconstructions"]

MAX_RATIO_SHOWN = 3.0  # 1 - R^2 axis limit; a longer bar is cut there, its value written on it
Z_LIMIT = 4.0  # standardized values beyond +-4 are drawn at the edge


def _checked_pair(X: ArrayLike, X_hat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Two finite float64 tables of the same shape (n_samples, n_features), or a ValueError."""
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
    return X, X_hat


def _names(feature_names: Sequence[str] | None, n_features: int) -> list[str]:
    """The given names as str (checked for count), or ``x[0]``, ``x[1]``, ..."""
    if feature_names is None:
        return [f"x[{j}]" for j in range(n_features)]
    names = [str(name) for name in feature_names]
    if len(names) != n_features:
        raise ValueError(f"feature_names has {len(names)} names, but X has {n_features} features")
    return names


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else name[: width - 1] + "\u2026"


def plot_feature_errors(
    X: ArrayLike, X_hat: ArrayLike, feature_names: Sequence[str] | None = None, max_features: int = 30
) -> Figure:
    """Per-feature reconstruction error of a table relative to the feature's variance, worst first.

    Each bar is a feature's mean squared error over its variance, 1 - R^2: the share
    of the feature's variance that the reconstruction misses. It has no units, so
    features of any scale share one axis: 0 is a perfect reconstruction, 1 (dashed)
    is no better than predicting the feature's mean, above 1 is worse. The labels on
    the right give R^2 and the raw figures, in the data's units squared: the MSE and
    the variance. Bars longer than ``MAX_RATIO_SHOWN`` are cut there, with their value
    written on them; a constant feature (variance 0) has no ratio and is listed last.

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
        Its first axes holds one horizontal bar per feature shown (worst at the top),
        of width MSE / variance.
    """
    from matplotlib.figure import Figure

    X, X_hat = _checked_pair(X, X_hat)
    n_features = X.shape[1]
    names = _names(feature_names, n_features)
    check_positive_int("max_features", max_features)
    mse = np.mean((X_hat - X) ** 2, axis=0)  # (n_features,)
    variance = X.var(axis=0)  # (n_features,)
    ratio = np.divide(mse, variance, out=np.full(n_features, np.nan), where=variance > 0)  # (n_features,), 1 - R^2
    order_key = np.where(np.isnan(ratio), -np.inf, ratio)  # constant features last
    shown = np.argsort(-order_key, kind="stable")[:max_features]  # worst first
    rows = np.arange(len(shown))[::-1]  # worst at the top
    widths = np.nan_to_num(ratio[shown])  # (shown,)
    limit = max(1.1, min(MAX_RATIO_SHOWN, float(widths.max(initial=0)) * 1.05))

    fig = Figure(figsize=(9.0, 1.5 + 0.26 * len(shown)), dpi=100, layout="constrained")
    ax = fig.subplots()
    colors = ["C3" if width > 1 else "C0" for width in widths]
    ax.barh(rows, widths, height=0.6, color=colors)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    for row, j, width in zip(rows, shown, widths, strict=True):
        if variance[j] == 0:
            ax.text(0.02, row, "constant feature", va="center", fontsize=7, color="0.4")
        elif width > limit:
            ax.text(limit * 0.98, row, f"{width:.3g} \u2192", va="center", ha="right", fontsize=7, color="white")
    fontsize = 8 if len(shown) > 15 else 9
    ax.set_yticks(rows, [_short(names[j]) for j in shown], fontsize=fontsize)
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.set_xlim(0, limit)
    ax.set_xlabel("MSE / variance = 1 - R$^2$   (0: perfect; dashed line: as good as predicting the mean; red: worse)")
    ax.grid(axis="x", alpha=0.3)
    raw = ax.secondary_yaxis("right")
    raw.set_yticks(
        rows,
        [
            (f"R$^2$ {1 - ratio[j]:.2f}" if variance[j] > 0 else "R$^2$ \u2013")
            + f"   MSE {mse[j]:.3g} of variance {variance[j]:.3g}"
            for j in shown
        ],
        fontsize=fontsize,
    )
    raw.set_ylabel("in the data's units squared", fontsize=8, color="0.4")
    which = f"worst {len(shown)} of {n_features} features" if len(shown) < n_features else "worst first"
    fig.suptitle(
        f"Reconstruction error per feature relative to its variance, 1 - R$^2$ ({which}, {len(X):,} samples)",
        fontsize=11,
    )
    return fig


def plot_table_reconstructions(
    X: ArrayLike,
    X_hat: ArrayLike,
    feature_names: Sequence[str] | None = None,
    row_labels: Sequence[str] | None = None,
    reference: ArrayLike | None = None,
    max_features: int = 30,
) -> Figure:
    """A few rows of a table beside their reconstructions, each column standardized.

    One panel per row: for every feature, the original value (a black dot) and the
    reconstruction (a red cross), joined by a line whose length is the error. Each
    column is standardized by the mean and standard deviation of ``reference``, so
    columns of any scale share the axis; values beyond +-``Z_LIMIT`` are drawn at the edge.

    Parameters
    ----------
    X, X_hat : array-like of shape (n_rows, n_features)
        The rows shown and their reconstructions, in the data's units.
    feature_names : sequence of str or None
        Default ``x[0]``, ``x[1]``, ...
    row_labels : sequence of str or None
        A title per row; default ``row 0``, ``row 1``, ...
    reference : array-like of shape (n_samples, n_features) or None
        The data whose column means and standard deviations standardize (all rows,
        not only those shown); None uses ``X``. A constant column is only centred.
    max_features : int
        Show at most this many features (the first ones; the title says so).

    Returns
    -------
    Figure
        One axes per row; in each, the lines labelled "original" and "reconstruction"
        hold x, the standardized value, and y, the feature (the first at the top).
    """
    from matplotlib.figure import Figure

    X, X_hat = _checked_pair(X, X_hat)
    n_rows, n_features = X.shape
    names = _names(feature_names, n_features)
    labels = [f"row {i}" for i in range(n_rows)] if row_labels is None else [str(label) for label in row_labels]
    if len(labels) != n_rows:
        raise ValueError(f"row_labels has {len(labels)} labels, but X has {n_rows} rows")
    ref = X if reference is None else np.asarray(reference, dtype=np.float64)
    if ref.ndim != 2 or ref.shape[1] != n_features or len(ref) == 0:
        raise ValueError(f"reference must have shape (n_samples, {n_features}), got {ref.shape}")
    n_shown = min(check_positive_int("max_features", max_features), n_features)
    center, scale = ref.mean(axis=0), ref.std(axis=0)  # (n_features,)
    scale = np.where(scale > 0, scale, 1.0)
    Z = np.clip((X - center) / scale, -Z_LIMIT, Z_LIMIT)[:, :n_shown]  # (n_rows, shown)
    Z_hat = np.clip((X_hat - center) / scale, -Z_LIMIT, Z_LIMIT)[:, :n_shown]  # (n_rows, shown)
    positions = np.arange(n_shown)[::-1]  # the first feature at the top

    fig = Figure(figsize=(max(6.0, 2.0 + 0.85 * n_rows), 1.6 + 0.24 * n_shown), dpi=100, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n_rows, sharex=True, sharey=True, squeeze=False)[0])
    for ax, z, z_hat, label in zip(axes, Z, Z_hat, labels, strict=True):
        ax.axvline(0.0, color="0.8", linewidth=1)
        ax.hlines(positions, z, z_hat, color="0.6", linewidth=1)
        ax.plot(z, positions, "o", color="black", markersize=3.5, label="original")
        ax.plot(z_hat, positions, "x", color="C3", markersize=4, label="reconstruction")
        ax.set_title("\n".join(_short(line, 12) for line in label.replace(" (", "\n(", 1).split("\n")), fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="y", alpha=0.2)
    axes[0].set_yticks(positions, [_short(names[j]) for j in range(n_shown)], fontsize=8 if n_shown > 15 else 9)
    axes[0].set_xlim(-Z_LIMIT - 0.3, Z_LIMIT + 0.3)
    axes[0].set_xticks([-3, 0, 3])
    axes[0].set_ylim(-0.6, n_shown - 0.4)
    fig.supxlabel("standardized value (column mean 0, sd 1)", fontsize=9)
    handles, texts = axes[0].get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside upper right", ncols=2, fontsize=8, frameon=False)
    which = f"first {n_shown} of {n_features} columns" if n_shown < n_features else f"{n_features} columns"
    fig.suptitle(f"{n_rows} rows and their reconstructions ({which}, each standardized)", fontsize=11)
    return fig
