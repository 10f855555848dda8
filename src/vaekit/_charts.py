"""Charts of arrays for :mod:`vaekit.plots`: training history, latent scatter, feature errors.

Kept apart from the image figures so that each file stays short; import them from
:mod:`vaekit.plots`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike
from sklearn.decomposition import PCA

MAX_CATEGORIES = 20  # labels with more distinct integer values are coloured as continuous
CURVES = ("train_reconstruction", "val_reconstruction", "train_kl", "val_kl", "train_loss", "val_loss", "beta")


def _series(history: Mapping[str, Sequence[float]], key: str, n_epochs: int) -> np.ndarray:
    """``history[key]`` as floats (all NaN when the key is missing), one per epoch."""
    values = np.asarray(history.get(key, [np.nan] * n_epochs), dtype=np.float64)  # (n_epochs,)
    if values.shape != (n_epochs,):
        raise ValueError(
            f"history[{key!r}] has {values.size} values, but history['train_loss'] has {n_epochs}"
        )
    return values


def plot_history(history: Mapping[str, Sequence[float]]) -> Figure:
    """Training curves: reconstruction, KL and total loss per epoch, train and validation.

    Parameters
    ----------
    history : mapping of str to sequence of float
        An estimator's ``history_`` (keys of :data:`vaekit.training.HISTORY_KEYS`);
        needs ``train_loss``; validation curves are drawn where they are not NaN.

    Returns
    -------
    Figure
        One panel per loss term (no KL panel when the KL is all zeros: an autoencoder);
        when ``lr`` changed over the epochs (a schedule), the last panel also shows it,
        dotted, on a right-hand axis.
    """
    if "train_loss" not in history:
        raise ValueError(f"history has no 'train_loss'; its keys are {sorted(history)}")
    n_epochs = len(history["train_loss"])
    if n_epochs == 0:
        raise ValueError("history is empty: no epoch was recorded")
    epochs = np.arange(1, n_epochs + 1) if "epoch" not in history else _series(history, "epoch", n_epochs)
    curves = {key: _series(history, key, n_epochs) for key in CURVES}  # each (n_epochs,)
    if not np.isfinite(curves["train_loss"]).any():
        raise ValueError("history['train_loss'] holds no finite value")
    has_val = bool(np.isfinite(curves["val_loss"]).any())
    monitored = curves["val_loss"] if has_val else curves["train_loss"]
    best = int(np.nanargmin(monitored))
    kl_values = np.concatenate([curves["train_kl"], curves["val_kl"]])
    no_kl = bool(np.nan_to_num(kl_values, nan=0.0).max(initial=0.0) == 0.0) and "train_kl" in history
    beta_varies = bool(np.any(np.nan_to_num(curves["beta"], nan=1.0) != 1.0))
    if no_kl:
        panels = [("loss", "reconstruction = total loss (no KL term: autoencoder)")]
    else:
        total = "total loss" + (" (reconstruction + beta x KL)" if beta_varies else "")
        panels = [("reconstruction", "reconstruction"), ("kl", "KL(q(z|x) || p(z))"), ("loss", total)]
    panels = [(part, name) for part, name in panels if np.isfinite(curves[f"train_{part}"]).any()]

    fig = Figure(figsize=(max(6.0, 4.0 * len(panels)), 3.6), dpi=100, layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    marker = "o" if n_epochs <= 30 else None
    for ax, (part, name) in zip(axes, panels, strict=True):
        train, val = curves[f"train_{part}"], curves[f"val_{part}"]
        ax.plot(epochs, train, marker=marker, markersize=3, label="train")
        if np.isfinite(val).any():
            ax.plot(epochs, val, marker=marker, markersize=3, label="validation")
        best_label = f"best epoch ({epochs[best]:g})"
        ax.axvline(epochs[best], color="grey", linestyle="--", linewidth=1, label=best_label)
        finite = np.concatenate([train, val])
        finite = finite[np.isfinite(finite)]
        if finite.size and finite.min() > 0 and finite.max() / finite.min() > 20:
            ax.set_yscale("log")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats per sample")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    if "lr" in history:
        rates = _series(history, "lr", n_epochs)
        if np.isfinite(rates).all() and np.ptp(rates) > 0:  # a schedule changed the rate: show it
            rate_ax = axes[-1].twinx()
            rate_ax.plot(epochs, rates, color="grey", linestyle=":", linewidth=1.5, label="learning rate")
            rate_ax.set_ylabel("learning rate (dotted)", color="dimgrey")
            rate_ax.set_ylim(bottom=0)
            rate_ax.tick_params(axis="y", labelsize=8, colors="dimgrey")
    which = "lowest validation loss" if has_val else "lowest training loss; no validation data"
    fig.suptitle(f"Training history: best epoch {epochs[best]:g} of {n_epochs} ({which})", fontsize=11)
    return fig


def _label_colours(labels: ArrayLike, n: int) -> tuple[np.ndarray, list[str] | None]:
    """Labels as category codes with their names, or as continuous values (names None)."""
    values = np.asarray(labels)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or len(values) != n:
        raise ValueError(
            f"labels must hold one value per sample, shape ({n},); got shape {values.shape}"
            + (" (pick one column, e.g. y[:, 0])" if values.ndim == 2 else "")
        )
    numeric = values.dtype.kind in "iuf"
    if numeric and values.dtype.kind == "f" and not np.isfinite(values).all():
        raise ValueError("labels contain NaN or infinite values")
    names, codes = np.unique(values, return_inverse=True)
    integral = numeric and bool(np.all(np.mod(values, 1) == 0))
    if not numeric or (integral and len(names) <= MAX_CATEGORIES):
        if len(names) > MAX_CATEGORIES and not numeric:
            raise ValueError(f"labels have {len(names)} categories; at most {MAX_CATEGORIES} can be coloured")
        return codes, [f"{name:g}" if numeric else str(name) for name in names]
    return values.astype(np.float64), None


def _palette(k: int) -> np.ndarray:
    """k distinct RGBA colours: tab10 up to 10 categories, tab20 beyond."""
    return colormaps["tab10" if k <= 10 else "tab20"](np.arange(k))  # (k, 4)


def plot_latent_scatter(
    Z: ArrayLike,
    labels: ArrayLike | None = None,
    label_name: str | None = None,
    title: str | None = None,
) -> Figure:
    """Latent means as points: z[0] against z[1], or the first two principal components.

    Parameters
    ----------
    Z : array-like of shape (n_samples, latent_dim)
        Latent means, e.g. ``vae.transform(X)``. With latent_dim > 2 the points are
        their projection on the first two principal components; with latent_dim = 1,
        z[0] against the sample index (no labels), against the label (continuous
        labels), or in one jittered strip per class (categorical labels).
    labels : array-like of shape (n_samples,) or None
        Strings, or integers with at most 20 values, are categories (one colour each,
        with a legend); other numbers are continuous (a colour bar).
    label_name : str or None
        What the labels are, for the legend or colour bar.
    title : str or None

    Returns
    -------
    Figure
    """
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[0] == 0 or Z.shape[1] == 0:
        raise ValueError(f"Z must have shape (n_samples, latent_dim), both at least 1; got shape {Z.shape}")
    if not np.isfinite(Z).all():
        raise ValueError("Z contains NaN or infinite values")
    n, latent_dim = Z.shape
    colours, names = (None, None) if labels is None else _label_colours(labels, n)
    size = float(np.clip(16 * math.sqrt(500 / n), 0.5, 16))  # marker area: small points for large n
    alpha = float(np.clip(math.sqrt(2000 / n), 0.2, 0.9))
    order = np.random.default_rng(0).permutation(n)  # draw classes interleaved, not the last on top
    kind = "z[0] and z[1]"
    x_label, y_label = "z[0] (latent mean)", "z[1] (latent mean)"
    if latent_dim > 2:
        if n < 2:
            raise ValueError("Z needs at least 2 samples for its principal components")
        pca = PCA(n_components=2, svd_solver="full")
        points = pca.fit_transform(Z)  # (n, 2)
        share = np.nan_to_num(pca.explained_variance_ratio_ * 100)
        x_label, y_label = (f"PC {i + 1} of latent means ({share[i]:.0f}% of variance)" for i in range(2))
        kind = f"first 2 principal components of {latent_dim} dims"
    elif latent_dim == 2:
        points = Z
    elif names is not None:  # one jittered strip per class
        jitter = np.random.default_rng(1).uniform(-0.3, 0.3, n)
        points = np.column_stack([Z[:, 0], colours + jitter])  # (n, 2)
        x_label, y_label, kind = "z[0] (latent mean)", label_name or "label", "one latent dim, by class"
    elif colours is not None:
        points = np.column_stack([colours, Z[:, 0]])  # (n, 2)
        x_label, y_label = label_name or "label", "z[0] (latent mean)"
        kind = "one latent dim against the label"
    else:
        points = np.column_stack([np.arange(n), Z[:, 0]])  # (n, 2)
        x_label, y_label, kind = "sample index", "z[0] (latent mean)", "one latent dim"

    fig = Figure(figsize=(6.6, 5.4), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    style = {"s": size, "alpha": alpha, "linewidths": 0, "rasterized": True}
    if colours is None or (latent_dim == 1 and names is None):
        ax.scatter(points[order, 0], points[order, 1], color="C0", **style)
    elif names is None:
        mappable = ax.scatter(points[order, 0], points[order, 1], c=colours[order], cmap="viridis", **style)
        colour_bar = fig.colorbar(mappable, ax=ax)
        colour_bar.solids.set_alpha(1.0)
        colour_bar.set_label(label_name or "label")
    else:
        palette = _palette(len(names))  # (k, 4)
        ax.scatter(points[order, 0], points[order, 1], color=palette[colours[order]], **style)
        if latent_dim == 1:
            ax.set_yticks(range(len(names)), names)
        else:
            handles = [Line2D([], [], linestyle="", marker="o", color=palette[i], label=name)
                       for i, name in enumerate(names)]
            ax.legend(handles=handles, title=label_name, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                      borderaxespad=0, fontsize=8, title_fontsize=9, ncols=1 if len(names) <= 12 else 2)
    if latent_dim >= 2:
        ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.grid(alpha=0.3)
    ax.set_title(title or f"Latent means of {n:,} samples ({kind})", fontsize=10)
    return fig


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
    if isinstance(max_features, bool) or not isinstance(max_features, (int, np.integer)) or max_features < 1:
        raise ValueError(f"max_features must be a positive integer, got {max_features!r}")
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
