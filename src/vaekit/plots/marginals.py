"""A real table beside a generated one, column by column: :func:`plot_marginals`.

One small panel per column: overlaid histograms on shared bins for a numeric column,
side-by-side frequency bars for a categorical one (strings, categories, bool), each
titled with the column's name and its distance from :func:`vaekit.evaluation.fidelity.fidelity`
(KS or TVD), and with the missing shares when either table has gaps.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from vaekit.data.validation import check_positive_int
from vaekit.evaluation.fidelity import column_kind, fidelity

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_marginals"]

REAL_COLOR = "C0"
GENERATED_COLOR = "C3"
MAX_BINS = 30  # histogram bins of a numeric column, at most
MAX_LEVELS = 8  # bars of a categorical column, at most; the rarer levels (in the real table) become "other"
MAX_COLS = 4  # panels per row of the grid
OUTSIDE_SHARE = 0.5  # generated values further than this share of the real range beyond it are off the axis


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _percent(share: float) -> str:
    return "0%" if share == 0 else ("<1%" if share < 0.01 else f"{share:.0%}")


def _bin_edges(real: np.ndarray, generated: np.ndarray) -> tuple[np.ndarray, int]:
    """Shared bin edges for two arrays of observed values, and how many generated values fall off them.

    Integer-valued columns over a short range get one bin per integer. The axis spans
    both tables, but a generated value far beyond the real range (more than
    ``OUTSIDE_SHARE`` of it) is left off, so one wild value cannot squash the panel.
    """
    both = np.concatenate([real, generated])
    if real.size:
        low, high = float(real.min()), float(real.max())
        margin = OUTSIDE_SHARE * max(high - low, abs(high), 1e-12)
        low = max(float(both.min()), low - margin)
        high = min(float(both.max()), high + margin)
    else:
        low, high = float(both.min()), float(both.max())
    off = int(((generated < low) | (generated > high)).sum())
    if np.all(both == np.round(both)) and high - low <= MAX_BINS:
        return np.arange(math.floor(low) - 0.5, math.ceil(high) + 1.0), off
    if high == low:
        return np.array([low - 0.5, low + 0.5]), off
    inside = both[(both >= low) & (both <= high)]
    edges = np.histogram_bin_edges(inside, bins="auto", range=(low, high))
    if len(edges) - 1 > MAX_BINS:
        edges = np.linspace(low, high, MAX_BINS + 1)
    return edges, off


def _numeric_panel(ax: Axes, real: np.ndarray, generated: np.ndarray) -> str:
    """Overlaid density histograms of two float arrays (NaN: missing, left out); returns a note for the panel."""
    from matplotlib.ticker import MaxNLocator

    real, generated = real[~np.isnan(real)], generated[~np.isnan(generated)]
    if real.size == 0 and generated.size == 0:
        ax.text(0.5, 0.5, "no observed values", ha="center", va="center", transform=ax.transAxes, fontsize=8)
        return ""
    edges, off = _bin_edges(real, generated)
    if np.allclose(edges - np.floor(edges), 0.5):  # one bin per integer: ticks on integers only
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    if real.size:
        ax.hist(real, bins=edges, density=True, color=REAL_COLOR, alpha=0.45, label="real")  # type: ignore[arg-type]  # matplotlib's stubs leave arrays out of bins' sequences
    if generated.size:
        ax.hist(
            generated,
            bins=edges,  # type: ignore[arg-type]  # as above
            density=True,
            histtype="step",
            color=GENERATED_COLOR,
            linewidth=1.6,
            label="generated",
        )
    ax.set_yticks([])
    ax.tick_params(axis="x", labelsize=7)
    return f"{off} generated off the axis" if off else ""


def _categorical_panel(ax: Axes, real: pd.Series, generated: pd.Series) -> None:
    """Side-by-side bars of the observed levels' shares in the two columns."""
    p = real.dropna().astype(object).value_counts(normalize=True)
    q = generated.dropna().astype(object).value_counts(normalize=True)
    if p.empty and q.empty:
        ax.text(0.5, 0.5, "no observed values", ha="center", va="center", transform=ax.transAxes, fontsize=8)
        return
    levels = list(p.index) + [level for level in q.index if level not in p.index]  # real's order, then new ones
    shown = levels[:MAX_LEVELS] if len(levels) <= MAX_LEVELS else levels[: MAX_LEVELS - 1]
    p_shown = [float(p.get(level, 0.0)) for level in shown]
    q_shown = [float(q.get(level, 0.0)) for level in shown]
    labels = [_short(str(level), 12) for level in shown]
    if len(shown) < len(levels):
        p_shown.append(max(0.0, 1.0 - sum(p_shown)) if not p.empty else 0.0)
        q_shown.append(max(0.0, 1.0 - sum(q_shown)) if not q.empty else 0.0)
        labels.append(f"{len(levels) - len(shown)} other")
    positions = np.arange(len(labels))
    ax.bar(positions - 0.2, p_shown, width=0.4, color=REAL_COLOR, alpha=0.75, label="real")
    ax.bar(positions + 0.2, q_shown, width=0.4, color=GENERATED_COLOR, alpha=0.75, label="generated")
    rotate = len(labels) > 3 or max(len(label) for label in labels) > 7
    ax.set_xticks(positions, labels, fontsize=7, rotation=30 if rotate else 0, ha="right" if rotate else "center")
    ax.set_ylim(0, max([*p_shown, *q_shown, 0.05]) * 1.15)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel("share", fontsize=7)


def plot_marginals(real: pd.DataFrame, synthetic: pd.DataFrame, max_columns: int = 12) -> Figure:
    """Each column of a real table beside the same column of a generated one.

    A numeric column (see :func:`vaekit.evaluation.fidelity.column_kind`) gets overlaid density
    histograms on the same bins (real filled, generated outlined; one bin per integer
    for integer columns over a short range); a categorical one (strings, categories,
    bool) gets side-by-side bars of each level's share of the observed values, the
    real table's levels first, at most ``MAX_LEVELS`` bars (the rest as "other").
    Missing values are left out of both and their shares written in the title. Each
    panel's title is the column's name and its KS statistic or total-variation
    distance (:func:`vaekit.evaluation.fidelity.fidelity`).

    Parameters
    ----------
    real : DataFrame of shape (n_real, n_columns)
    synthetic : DataFrame of shape (n_synthetic, n_columns)
        The same column names as ``real`` (checked, see :func:`vaekit.evaluation.fidelity.fidelity`).
    max_columns : int
        Draw at most this many columns (the first ones of ``real``; the title says so).

    Returns
    -------
    Figure
        One axes per column drawn, in ``real``'s order, in a grid of up to
        ``MAX_COLS`` per row (unused cells hidden); a figure legend "real" / "generated".
    """
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    check_positive_int("max_columns", max_columns)
    scores = fidelity(real, synthetic, detection=False)  # checks the columns; the figure shows no C2ST or DCR
    real = real.set_axis([str(c) for c in real.columns], axis=1)
    synthetic = synthetic.set_axis([str(c) for c in synthetic.columns], axis=1)
    names = [str(c) for c in real.columns][:max_columns]
    n_cols = min(MAX_COLS, max(1, len(names)))
    n_rows = max(1, math.ceil(len(names) / n_cols))
    fig = Figure(figsize=(2.0 + 2.6 * n_cols, 1.0 + 2.5 * n_rows), dpi=100, layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax, name in zip(axes, names):
        if column_kind(real[name]) == "numeric":
            note = _numeric_panel(
                ax,
                real[name].to_numpy(dtype=np.float64, na_value=np.nan),
                synthetic[name].to_numpy(dtype=np.float64, na_value=np.nan),
            )
            distance = scores["ks"][name]
            score = "KS " + ("\u2013" if distance is None else f"{distance:.3f}")
        else:
            _categorical_panel(ax, real[name], synthetic[name])
            note = ""
            distance = scores["tvd"][name]
            score = "TVD " + ("\u2013" if distance is None else f"{distance:.3f}")
        rates = scores["missing_rate"][name]
        if rates["real"] > 0 or rates["synthetic"] > 0:
            score += f"   missing {_percent(rates['real'])} / {_percent(rates['synthetic'])}"
        ax.set_title(f"{_short(name, 30)}\n{score}", fontsize=8.5)
        if note:
            ax.text(0.98, 0.97, note, ha="right", va="top", transform=ax.transAxes, fontsize=6.5, color="0.35")
        ax.grid(axis="y", alpha=0.25)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    handles = [
        Patch(facecolor=REAL_COLOR, alpha=0.6, label="real"),
        Patch(facecolor=to_rgba(GENERATED_COLOR, 0.3), edgecolor=GENERATED_COLOR, linewidth=1.6, label="generated"),
    ]
    fig.legend(handles=handles, loc="outside upper right", ncols=2, fontsize=8, frameon=False)
    n_all = real.shape[1]
    which = f"first {len(names)} of {n_all} columns" if len(names) < n_all else f"{n_all} columns"
    fig.suptitle(
        f"Real ({len(real):,} rows) vs generated ({len(synthetic):,} rows), {which}\n"
        "missing values left out of the bars; their shares in the titles as real / generated",
        fontsize=10,
    )
    return fig
