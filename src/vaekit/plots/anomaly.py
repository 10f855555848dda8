"""A model's anomaly scores as figures: how they spread, and the rows it finds oddest.

* :func:`plot_anomaly_scores` -- a histogram of the anomaly score (``-score_samples``,
  nats, higher = odder) with the model's threshold (``-offset_``) and how many rows lie
  beyond it. The score is named for what it is (:func:`vaekit.plots._estimator.score_text`):
  a VAE's is -ELBO, an upper bound on -log p(x), never "-log p(x)".
* :func:`plot_image_anomalies` -- the oddest images above their per-pixel error maps
  (``explain``).
* :func:`plot_table_anomalies` -- the oddest rows of a table, each with the features
  that add most to its score, named by column.
* :func:`anomaly_scores`, :func:`anomaly_counts` -- the scores of a data set's rows
  (remembered for the last data set, as a run draws two figures and a fact line from
  them) and how many rows the threshold flags.

Nothing here applies to a conditional model (its scores need the labels) or to a model
saved before it had a threshold (no ``offset_``): :mod:`vaekit.plots.kinds` leaves the
figures out for them.
"""

from __future__ import annotations

import hashlib
import warnings
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from vaekit.plots import _grid as grid
from vaekit.plots._estimator import score_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from vaekit.data.loaded import LoadedData
    from vaekit.plots._estimator import Estimator

__all__ = [
    "SCORE_NAME",
    "anomaly_counts",
    "anomaly_scores",
    "flag_summary",
    "has_threshold",
    "plot_anomaly_scores",
    "plot_image_anomalies",
    "plot_table_anomalies",
    "score_text",
]

SCORE_NAME = "anomaly score (nats)"
N_TOP = 8  # rows shown by the top-anomalies figures
N_FEATURES = 3  # features named per row of a table
MAX_TYPICAL_ROWS = 10_000  # rows explained to find each feature's typical contribution
LOG_Y_DECADES = 2.0  # a histogram whose counts span more than this many decades gets a log y axis
NORMAL_COLOUR, FLAGGED_COLOUR = "#4c72b0", "#c44e52"

_last: dict[str, Any] = {}  # the last scores computed: {"key": ..., "estimator": ..., "scores": ...}


# ----------------------------------------------------------------------- the numbers
def has_threshold(estimator: Estimator) -> bool:
    """True when the model has an anomaly threshold (``offset_``) and scores rows without labels."""
    return getattr(estimator, "offset_", None) is not None and not estimator.conditional


def _fingerprint(data: LoadedData) -> str:
    """A digest of the rows' values (and of a mixed table's columns as read)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(data.X.shape).encode())
    digest.update(np.ascontiguousarray(data.X).view(np.uint8))  # type: ignore[arg-type]  # numpy stubs: ndarray is a Buffer only from Python 3.12
    if data.frame is not None:
        import pandas as pd

        digest.update(pd.util.hash_pandas_object(data.frame, index=False).to_numpy().view(np.uint8))  # type: ignore[arg-type]  # as above
    return digest.hexdigest()


def anomaly_scores(estimator: Estimator, data: LoadedData) -> np.ndarray:
    """``-score_samples`` of every row of ``data``: nats, higher = odder; shape (n_samples,).

    The last result is kept (for the same estimator, threshold and row values), so
    the figures and the fact line of a run score the rows once: an
    :class:`~vaekit.OutlierDetector` scores by importance sampling, which is slow.
    """
    key = (_fingerprint(data), float(estimator.offset_))
    held = _last.get("estimator")
    if held is not None and held() is estimator and _last.get("key") == key:
        return _last["scores"]
    from vaekit.estimators._outliers import UnscoredRowsWarning

    X, _ = data.inputs(False)
    with warnings.catch_warnings():  # the rows' positions here are not the file's (train and test together)
        warnings.simplefilter("ignore", UnscoredRowsWarning)
        scores = -np.asarray(estimator.score_samples(X), dtype=np.float64)
    _last.update(estimator=weakref.ref(estimator), key=key, scores=scores)  # a weak reference: no model kept alive
    unscored = int(np.isnan(scores).sum())
    if unscored:
        rows = "1 row has" if unscored == 1 else f"{unscored:,} rows have"
        warnings.warn(
            UnscoredRowsWarning(
                f"'{data.source}': {rows} every entry missing: no anomaly score, and not flagged as anomalies"
            ),
            stacklevel=2,
        )
    return scores


def anomaly_counts(estimator: Estimator, data: LoadedData) -> tuple[float, int, int]:
    """The threshold on the anomaly score (``-offset_``), the rows above it, and all rows.

    A row is flagged as :meth:`predict` flags it: ``decision_function < 0``, that is
    an anomaly score above ``-offset_``.
    """
    scores = anomaly_scores(estimator, data)
    threshold = -float(estimator.offset_)
    return threshold, int(np.sum(scores > threshold)), len(scores)


def flag_summary(threshold: float, flagged: int, n: int, rows: str = "rows") -> str:
    """How the report and ``vaekit score`` both say what the threshold flags.

    >>> flag_summary(498.71, 12, 400)
    'flagged: anomaly_score above 498.7 nats: 12 of 400 rows (3.0%)'
    """
    share = flagged / n if n else 0.0
    return f"flagged: anomaly_score above {threshold:.4g} nats: {flagged:,} of {n:,} {rows} ({share:.1%})"


def _beyond(flagged: int, n: int) -> str:
    return f"{flagged:,} of {n:,} rows ({flagged / n:.1%}) beyond it"


# ------------------------------------------------------------------- the histogram
def plot_anomaly_scores(
    scores: ArrayLike, threshold: float, title: str | None = None, score: str = "-log p(x)"
) -> Figure:
    """Histogram of anomaly scores with the threshold as a vertical line.

    Rows above the threshold (the flagged ones) are drawn in red. The y axis is
    logarithmic when the bar heights span more than two decades, so that a thin
    tail of odd rows stays visible beside the bulk.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Anomaly scores (``-score_samples``), nats; higher = odder.
    threshold : float
        The score above which a row is flagged (``-offset_``).
    title : str or None
        Default "Anomaly score: <score> (nats), N rows".
    score : str
        What the score is, for the axis and the title: "-ELBO" (a VAE), "-log p(x)", ...

    Returns
    -------
    Figure
        Its axes holds the threshold line with ``gid="threshold"``.
    """
    from matplotlib.figure import Figure

    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.size == 0 or not np.isfinite(scores).all():
        raise ValueError("scores must be a non-empty array of finite numbers")
    flagged = scores > threshold
    low, high = min(scores.min(), threshold), max(scores.max(), threshold)
    if high == low:
        low, high = low - 0.5, high + 0.5
    edges = np.histogram_bin_edges(scores, bins=min(60, max(10, int(np.sqrt(scores.size)))), range=(low, high))
    counts = np.histogram(scores, edges)[0]
    n_flagged = int(flagged.sum())
    fig = Figure(figsize=(7.5, 3.9), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.hist(scores[~flagged], bins=edges, color=NORMAL_COLOUR, label=f"normal\n({scores.size - n_flagged:,} rows)")  # type: ignore[arg-type]  # matplotlib's stubs leave arrays out of bins' sequences
    if flagged.any():
        ax.hist(scores[flagged], bins=edges, color=FLAGGED_COLOUR, label=f"flagged\n({n_flagged:,} rows)")  # type: ignore[arg-type]  # as above
    ax.axvline(
        threshold,
        color="black",
        linestyle="--",
        linewidth=1.2,
        gid="threshold",
        label=f"threshold\n{threshold:.4g} nats",
    )
    nonzero = counts[counts > 0]
    if nonzero.max() / nonzero.min() > 10**LOG_Y_DECADES:
        ax.set_yscale("log")
        ax.set_ylim(bottom=0.7)
        ax.set_ylabel("rows (log scale)")
    else:
        ax.set_ylabel("rows")
    ax.set_xlabel(f"anomaly score = {score}, nats (higher = odder)")
    text = title or f"Anomaly score: {score} (nats), {scores.size:,} rows"
    ax.set_title(f"{text}\nthreshold {threshold:.4g} nats (dashed): {_beyond(n_flagged, scores.size)}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


# -------------------------------------------------------------- the oddest rows
def _flag_mark(score: float, threshold: float) -> str:
    return " (flagged)" if score > threshold else ""


def plot_image_anomalies(
    images: ArrayLike,
    maps: ArrayLike,
    scores: ArrayLike,
    names: Sequence[str],
    threshold: float,
    title: str | None = None,
    score: str = "-log p(x)",
) -> Figure:
    """The oddest images, each above its error map (``explain``: -log p per pixel, nats).

    Parameters
    ----------
    images : array-like of shape (k, H, W) or (k, C, H, W)
    maps : array-like of shape (k, H, W) or (k, C, H, W)
        Per-pixel negative log-likelihood; channels are summed. All maps share one
        colour scale (the colour bar), so that they compare.
    scores : array-like of shape (k,)
        Each image's anomaly score, nats.
    names : sequence of k str
        What each image is (its file name, "row 12"; see :func:`vaekit.data.rows.row_name`).
    threshold : float
    title : str or None
    score : str
        What the score is ("-ELBO", "-log p(x)", ...), for the default title.

    Returns
    -------
    Figure
    """
    from matplotlib.figure import Figure

    display, notes = grid.prepare_images(images)  # (k, H, W[, 3])
    heat = np.asarray(maps, dtype=np.float64)
    if heat.ndim == 4:
        heat = heat.sum(axis=1)  # (k, H, W): a pixel's channels together
    scores = np.asarray(scores, dtype=np.float64)
    k = len(display)
    if heat.shape != display.shape[:3] or len(scores) != k or len(names) != k:
        raise ValueError(f"{k} images of shape {display.shape[1:3]} need as many maps, scores and names")
    vmin, vmax = float(np.percentile(heat, 1)), float(np.percentile(heat, 99.5))
    if vmax <= vmin:
        vmax = vmin + 1.0
    height, width = display.shape[1:3]
    cell = min(1.25, 10.0 / k)
    fig = Figure(figsize=(cell * k + 0.9, cell * 2 * height / width + 1.4), dpi=100, layout="constrained")
    axes = fig.subplots(2, k, squeeze=False)
    for i in range(k):
        top, bottom = axes[0, i], axes[1, i]
        top.imshow(display[i], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        shown = bottom.imshow(heat[i], cmap="magma", vmin=vmin, vmax=vmax, interpolation="nearest")
        flagged = "\nflagged" if scores[i] > threshold else ""
        top.set_title(f"{names[i]}\n{scores[i]:.4g} nats{flagged}", fontsize=7.5)
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("image", fontsize=8)
    axes[1, 0].set_ylabel("-log p per pixel", fontsize=8)
    bar = fig.colorbar(shown, ax=list(axes[1]), fraction=0.03, pad=0.01, aspect=10)
    bar.set_label("nats", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    text = title or f"The {k} oddest images: anomaly score {score} (nats), threshold {threshold:.4g}"
    fig.suptitle(grid.title_with_notes(text, notes), fontsize=10)
    return fig


def _value_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "missing"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    text = str(value)
    return text if len(text) <= 14 else text[:13] + "\u2026"


def _short(name: str, width: int = 22) -> str:
    return name if len(name) <= width else name[: width - 1] + "\u2026"


def plot_table_anomalies(
    contributions: ArrayLike,
    values: Sequence[Sequence[Any]],
    feature_names: Sequence[str],
    scores: ArrayLike,
    names: Sequence[str],
    threshold: float,
    typical: ArrayLike | None = None,
    top: int = N_FEATURES,
    title: str | None = None,
    score: str = "-log p(x)",
) -> Figure:
    """The oddest rows of a table: per row, a bar per feature that adds most to its score.

    Features are ranked by how far their contribution lies above the feature's
    ``typical`` one (its median over all rows), so that a feature that is always
    costly (a wide column) does not crowd out the one that makes this row odd; the bar
    is the row's contribution, the black tick the typical one.

    Parameters
    ----------
    contributions : array-like of shape (k, n_features)
        ``explain`` of the k rows: -log p(x_j | z), nats.
    values : k sequences of n_features values
        The rows' values as read, shown beside the feature names.
    feature_names : sequence of n_features str
    scores : array-like of shape (k,)
    names : sequence of k str
    threshold : float
    typical : array-like of shape (n_features,) or None
        Each feature's median contribution over the data; None ranks by the
        contributions themselves.
    top : int
    title : str or None
    score : str
        What the score is ("-ELBO", "-log p(x)", ...), for the default title.

    Returns
    -------
    Figure
        One axes per row, its y tick labels "feature = value".
    """
    from matplotlib.figure import Figure

    nll = np.asarray(contributions, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    k, n_features = nll.shape
    if len(feature_names) != n_features or len(scores) != k or len(names) != k or len(values) != k:
        raise ValueError(f"{k} rows of {n_features} contributions need as many scores, names, values and features")
    base = np.zeros(n_features) if typical is None else np.asarray(typical, dtype=np.float64)
    top = min(top, n_features)
    n_cols = 2 if k > 1 else 1
    n_rows = -(-k // n_cols)
    fig = Figure(figsize=(10.0, 0.8 + n_rows * (0.3 * top + 1.0)), dpi=100, layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    low = min(0.0, float(np.nanmin(nll)), float(base.min()))
    high = max(float(np.nanmax(nll)), float(base.max()))
    pad = 0.05 * (high - low or 1.0)
    for index, ax in enumerate(axes.ravel()):
        if index >= k:
            ax.set_visible(False)
            continue
        order = np.argsort(-(nll[index] - base), kind="stable")[:top]
        labels = [f"{_short(str(feature_names[j]))} = {_value_text(values[index][j])}" for j in order]
        positions = np.arange(top)[::-1]
        ax.barh(positions, nll[index, order], color=FLAGGED_COLOUR if scores[index] > threshold else NORMAL_COLOUR)
        if typical is not None:
            ax.scatter(base[order], positions, marker="|", s=160, color="black", zorder=3)
        ax.set_yticks(positions, labels, fontsize=8)
        ax.set_xlim(low - pad, high + pad)
        ax.axvline(0.0, color="grey", linewidth=0.6)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title(
            f"{_short(names[index], 60)}\nscore {scores[index]:.4g} nats{_flag_mark(scores[index], threshold)}",
            fontsize=9,
        )
        if index >= k - n_cols:
            ax.set_xlabel("-log p(x_j | z), nats", fontsize=8)
    text = title or (
        f"The {k} oddest rows (anomaly score {score}, nats; threshold {threshold:.4g}): "
        f"the {top} features furthest above their typical contribution"
    )
    if typical is not None:
        text += "\nbar: the row's -log p(x_j | z); black tick: the feature's median over all rows"
    fig.suptitle(text, fontsize=10)
    return fig


# ------------------------------------------------------------ from a model and data
def _row_names(data: LoadedData, rows: np.ndarray) -> list[str]:
    """Each row as every output names it (:func:`vaekit.data.rows.row_names`), with its label where there are labels."""
    from vaekit.data.rows import row_names

    names = row_names(data, rows)
    if data.labels is not None and not (data.id_name == "file" and data.label_name == "folder"):  # cats/1.png: said
        names = [f"{name}, {data.label_name or 'label'} {data.labels[i]}" for name, i in zip(names, rows)]
    return names


def _feature_names(estimator: Estimator, data: LoadedData, n_features: int) -> list[str]:
    for names in (estimator.codec_.names, data.feature_names):
        if names is not None and len(names) == n_features:
            return [str(name) for name in names]
    return [f"x[{j}]" for j in range(n_features)]


def _take(values: Any, rows: np.ndarray) -> Any:
    return values[rows] if isinstance(values, np.ndarray) else values.iloc[rows]


def draw_scores(estimator: Estimator, data: LoadedData) -> Figure:
    """:func:`plot_anomaly_scores` of every row of ``data``."""
    scores = anomaly_scores(estimator, data)
    scored = scores[~np.isnan(scores)]  # rows with every entry missing have no score
    unscored = len(scores) - len(scored)
    symbol, words = score_text(estimator)
    title = f"Anomaly score: {words} (nats), {len(scored):,} rows" + (
        f" ({unscored:,} with every entry missing: no score)" if unscored else ""
    )
    return plot_anomaly_scores(scored, -float(estimator.offset_), title=title, score=symbol)


def draw_top(estimator: Estimator, data: LoadedData, n: int = N_TOP) -> Figure:
    """The ``n`` highest-scoring rows of ``data``, as images over error maps or as feature bars."""
    from vaekit.plots._estimator import is_images

    symbol, words = score_text(estimator)
    scores = anomaly_scores(estimator, data)
    threshold = -float(estimator.offset_)
    rows = np.array([i for i in np.argsort(-scores, kind="stable") if not np.isnan(scores[i])][:n], dtype=np.intp)
    X, _ = data.inputs(False)
    names = _row_names(data, rows)
    where = f"of {len(scores):,} rows" if len(rows) < len(scores) else "rows"
    if is_images(estimator):
        maps = np.asarray(estimator.explain(data.X[rows], relative=False))  # (k, *input_shape_)
        title = (
            f"The {len(rows)} oddest {where.replace('rows', 'images')} (anomaly score {symbol}, nats; threshold "
            f"{threshold:.4g}),\neach above its -log p(x_j | z) per pixel (explain)"
        )
        return plot_image_anomalies(data.X[rows], maps, scores[rows], names, threshold, title=title, score=symbol)
    contributions = np.asarray(estimator.explain(_take(X, rows), relative=False), dtype=np.float64).reshape(
        len(rows), -1
    )
    sample = np.arange(len(scores))
    if len(sample) > MAX_TYPICAL_ROWS:
        sample = np.sort(np.random.default_rng(0).choice(sample, MAX_TYPICAL_ROWS, replace=False))
    everything = np.asarray(estimator.explain(_take(X, sample), relative=False), dtype=np.float64).reshape(
        len(sample), -1
    )
    typical = np.nanmedian(everything, axis=0)  # (n_features,)
    shown = data.frame if data.frame is not None else data.X
    values = [list(shown[i]) if isinstance(shown, np.ndarray) else list(shown.iloc[i]) for i in rows]
    feature_names = _feature_names(estimator, data, contributions.shape[1])
    title = (
        f"The {len(rows)} oddest {where} (anomaly score {words}, nats; threshold {threshold:.4g}):\n"
        f"per row, the {min(N_FEATURES, len(feature_names))} features furthest above their typical -log p(x_j | z)"
    )
    return plot_table_anomalies(
        contributions, values, feature_names, scores[rows], names, threshold, typical, title=title, score=symbol
    )
