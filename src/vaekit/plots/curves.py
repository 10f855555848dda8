"""Training curves: reconstruction, KL and total loss per epoch, from an estimator's ``history_``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_history"]

CURVES = ("train_reconstruction", "val_reconstruction", "train_kl", "val_kl", "train_loss", "val_loss", "beta")


def _series(history: Mapping[str, Sequence[float]], key: str, n_epochs: int) -> np.ndarray:
    """``history[key]`` as floats of shape (n_epochs,); all NaN when the key is missing."""
    values = np.asarray(history.get(key, [np.nan] * n_epochs), dtype=np.float64)  # (n_epochs,)
    if values.shape != (n_epochs,):
        raise ValueError(f"history[{key!r}] has {values.size} values, but history['train_loss'] has {n_epochs}")
    return values


def plot_history(history: Mapping[str, Sequence[float]]) -> Figure:
    """Training curves: reconstruction, KL and total loss per epoch, train and validation.

    Parameters
    ----------
    history : mapping of str to sequence of float, each of length n_epochs
        An estimator's ``history_`` (keys of :data:`vaekit.training.loop.HISTORY_KEYS`);
        needs ``train_loss``; validation curves are drawn where they are not NaN.

    Returns
    -------
    Figure
        One panel per loss term (no KL panel when the KL is all zeros: an autoencoder);
        when ``lr`` changed over the epochs (a schedule), the last panel also shows it,
        dotted, on a right-hand axis.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

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
