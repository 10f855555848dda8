"""The figure kinds of a fitted model: one table that everything listing or drawing figures reads.

:data:`FIGURES` maps each kind's name (what ``vaekit plot --kind`` takes and a run's
``figures/<name>.png`` is called) to a :class:`FigureKind`: its description (the
report's caption), whether it needs data, whether it applies to images, tables or
both, and the function that draws it. :func:`make_figure` draws one kind,
:func:`available_kinds` lists those that apply to a model, and :func:`run_figures`
writes every one of them for a training run.

Each draw function only chooses the arrays; the figures themselves are drawn by the
other modules of :mod:`vaekit.plots`, and every question about the estimator goes
through :mod:`vaekit.plots._estimator`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from vaekit.data.rows import row_names
from vaekit.plots import _estimator as est
from vaekit.plots._rows import describe_rows, spread_rows
from vaekit.plots.anomaly import has_threshold

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from vaekit.data.loaded import LoadedData
    from vaekit.plots._estimator import Estimator

__all__ = ["FIGURES", "FigureKind", "available_kinds", "fits", "make_figure"]

AppliesTo = Literal["images", "tables", "any"]
Draw = Callable[["Estimator", "LoadedData | None", int], "Figure"]
MAX_SCATTER_POINTS = 10_000
N_RECONSTRUCTIONS = 10  # originals shown above their reconstructions
N_SAMPLES = 64  # prior samples of a model that is not conditional
N_CLASSES_SAMPLED, N_SAMPLES_PER_CLASS = 10, 8  # a conditional model's samples: a row per class


@dataclass(frozen=True)
class FigureKind:
    """One kind of figure of a fitted model.

    Attributes
    ----------
    name : str
        The kind's name: ``vaekit plot --kind NAME``, a run's ``figures/NAME.png``.
    description : str
        One line on what the figure shows; a run's report uses it as the caption
        (:meth:`describe`: ``{score}`` stands for what the model's anomaly score is).
    needs_data : bool
        Drawn from data (latent means, reconstructions) rather than from the model alone.
    requires : frozenset of str
        What the model must be for the figure to apply, each a key of :data:`REQUIREMENTS`:
        "images" or "tables" (what it was trained on), "numbers" (not a mixed table: the
        figures of numeric columns) or "mixed" (a mixed table only), "unconditional" (not a
        conditional model: the figures that decode latent points without a class, which
        such a model's decoder cannot do), "threshold" (an anomaly threshold, ``offset_``,
        which models saved by older versions lack, on a model that scores rows without labels).
        Empty: every model.
    draw : callable
        ``draw(estimator, data, seed) -> Figure``; ``data`` is a
        :class:`~vaekit.data.loaded.LoadedData` (None is allowed when ``needs_data``
        is false) and ``seed`` fixes any random choice (samples, rows shown).
    in_runs_for : {"images", "tables", "any"}
        The models for which :func:`run_figures` writes it (where it also applies).
        A run of a table shows how well each column is reconstructed in its
        feature-errors figure, so it writes reconstructions for images only.
    all_rows_in_runs : bool
        In a run, drawn from the training and test rows together (the latent scatter
        shows the whole data set); otherwise from the test part (else the training part).
    for_images, for_tables : str or None
        The description for a model of images, or of tables, where it differs.
    """

    name: str
    description: str
    needs_data: bool
    draw: Draw
    requires: frozenset[str] = frozenset()
    in_runs_for: AppliesTo = "any"
    all_rows_in_runs: bool = False
    for_images: str | None = None
    for_tables: str | None = None

    def __post_init__(self) -> None:
        unknown = sorted(self.requires - set(REQUIREMENTS))
        if unknown:
            raise ValueError(f"figure {self.name!r} requires {unknown}, not among {sorted(REQUIREMENTS)}")

    def describe(self, estimator: Estimator) -> str:
        """The caption for this model: the description for its data (images or tables), its score named."""
        images = est.is_images(estimator)
        text = (self.for_images if images else self.for_tables) or self.description
        return text.replace("{score}", est.score_text(estimator)[1]) if "{score}" in text else text

    def applies(self, estimator: Estimator) -> bool:
        """True when this kind can be drawn for ``estimator``: it meets every requirement."""
        return all(REQUIREMENTS[requirement](estimator) for requirement in self.requires)


REQUIREMENTS: dict[str, Callable[[Estimator], bool]] = {
    "images": lambda estimator: est.is_images(estimator),
    "tables": lambda estimator: not est.is_images(estimator),
    "numbers": lambda estimator: not estimator.codec_.tabular,
    "mixed": lambda estimator: estimator.codec_.tabular,
    "unconditional": lambda estimator: not estimator.conditional,
    "threshold": has_threshold,
}
"""What a figure kind may require of a model (:attr:`FigureKind.requires`), each a test of the fitted estimator."""


def _refusal(requirement: str, estimator: Estimator) -> str:
    """Why a figure that requires ``requirement`` cannot be drawn for ``estimator`` (it fails it)."""
    shape = f"this model was trained on samples of shape {tuple(estimator.input_shape_)}"
    if requirement in ("images", "tables"):
        return f"applies to {requirement} only; {shape}"
    if requirement == "numbers":
        return "draws numeric columns; this model's table has categories or gaps (see the marginals figure)"
    if requirement == "mixed":
        return "applies to a table with categories or gaps only; this model's data are numbers"
    if requirement == "unconditional":
        return (
            "walks the latent space alone; this model is conditional and decodes a point only "
            "together with a class (its samples figure draws class by class)"
        )
    if estimator.conditional:
        return "scores rows without labels; this model is conditional"
    return "needs the model's anomaly threshold (offset_), which a model saved by an older vaekit lacks: train it again"


def fits(data: AppliesTo, estimator: Estimator) -> bool:
    """True when the model was trained on ``data`` ("images", "tables"), or for "any"."""
    return data == "any" or (data == "images") == est.is_images(estimator)


# ------------------------------------------------------------------ draw functions
def _take(values: Any, rows: np.ndarray) -> Any:
    """The given rows of an array or a DataFrame."""
    return values[rows] if isinstance(values, np.ndarray) else values.iloc[rows]


def _draw_history(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.plots.curves import plot_history

    return plot_history(estimator.history_)


def _draw_latent(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.plots.latent import plot_latent_scatter

    assert data is not None
    X, y = data.inputs(estimator.conditional)
    n = len(data.X)
    rows = np.arange(n)
    if n > MAX_SCATTER_POINTS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_SCATTER_POINTS, replace=False))
    Z = estimator.transform(_take(X, rows), None if y is None else _take(y, rows))  # (rows, latent_dim)
    labels = None if data.labels is None else data.labels[rows]
    title = f"latent means of {len(rows):,} rows"
    if len(rows) < n:
        title += f" (a random {len(rows):,} of {n:,})"
    return plot_latent_scatter(Z, labels, data.label_name, title=title)


def _draw_manifold(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.plots.latent import plot_manifold

    return plot_manifold(est.decoder(estimator), estimator.latent_dim_)


def _shown_rows(data: LoadedData, n: int, seed: int) -> tuple[np.ndarray, str]:
    """The rows a figure shows: ``n`` spread across the labels (seeded), and what they are."""
    rows = spread_rows(len(data.X), n, data.labels, seed)
    return rows, describe_rows(rows, len(data.X), data.labels)


def _draw_reconstructions(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.plots.features import plot_table_reconstructions
    from vaekit.plots.images import plot_reconstructions

    assert data is not None
    X, y = data.inputs(estimator.conditional)
    rows, which = _shown_rows(data, N_RECONSTRUCTIONS, seed)  # spread across the labels, not the first rows
    labels = None if y is None else y[rows]
    if est.is_images(estimator):
        originals = data.X[rows]  # (10, *sample_shape)
        title = f"{which}, and their reconstructions"
        return plot_reconstructions(originals, estimator.reconstruct(originals, labels), title=title)
    names = row_names(data, rows)
    figure = plot_table_reconstructions(
        data.X[rows], estimator.reconstruct(_take(X, rows), labels), data.feature_names, names, reference=data.X
    )
    title = figure.get_suptitle()  # "10 rows and their reconstructions (...)": say which rows
    figure.suptitle(title.replace(f"{len(rows)} rows", which, 1), fontsize=11)
    return figure


def _draw_samples(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.plots.images import image_grid, plot_samples

    if not estimator.conditional:
        return plot_samples(estimator.sample(N_SAMPLES, random_state=seed))
    classes = list(estimator.classes_)[:N_CLASSES_SAMPLED]
    images = np.concatenate([estimator.sample(N_SAMPLES_PER_CLASS, random_state=seed, y=c) for c in classes])
    return image_grid(
        images,
        n_cols=N_SAMPLES_PER_CLASS,
        title="Samples from the prior, one row per class",
        row_titles=[str(c) for c in classes],
    )


def _draw_interpolation(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.plots.latent import plot_interpolation

    assert data is not None
    if len(data.X) < 2:
        raise ValueError("`kind` interpolation needs at least two inputs")
    rows = spread_rows(len(data.X), 2, data.labels, seed)  # two rows of two labels, where there are two
    Z = estimator.transform(data.X[rows])  # (2, latent_dim)
    figure = plot_interpolation(est.decoder(estimator), Z[0], Z[1])
    ends = row_names(data, rows)
    if data.labels is not None:
        ends = [f"{end} ({data.label_name or 'label'} {data.labels[i]})" for end, i in zip(ends, rows, strict=True)]
    figure.axes[0].set_xlabel(f"z_start: {ends[0]}, z_end: {ends[1]} (of {len(data.X):,} rows)", fontsize=9)
    return figure


def _draw_traversals(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.plots.latent import plot_traversals

    return plot_traversals(est.decoder(estimator), est.latent_center(estimator))


def _draw_feature_errors(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.plots.features import plot_feature_errors

    assert data is not None
    X, y = data.inputs(estimator.conditional)
    return plot_feature_errors(data.X, estimator.reconstruct(X, y), data.feature_names)


def _draw_marginals(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.data.codec import as_frame
    from vaekit.plots.marginals import plot_marginals

    assert data is not None
    X, _ = data.inputs(False)
    names: list[str] = list(estimator.codec_.names or [])
    real = as_frame(X, names)[names]
    generated = as_frame(estimator.sample(len(real), random_state=seed), names)
    return plot_marginals(real, generated)


def _draw_anomaly_scores(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.plots.anomaly import draw_scores

    assert data is not None
    return draw_scores(estimator, data)


def _draw_anomalies(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.plots.anomaly import draw_top

    assert data is not None
    return draw_top(estimator, data)


def _draw_layers(estimator: Estimator, data: LoadedData | None, seed: int) -> Figure:
    from vaekit.plots.layers import layer_table, plot_layers

    return plot_layers(layer_table(estimator), f"{type(estimator).__name__}, latent_dim={estimator.latent_dim_}")


# ----------------------------------------------------------------------- the table
FIGURES: dict[str, FigureKind] = {
    kind.name: kind
    for kind in (
        FigureKind(
            "history",
            "training curves: reconstruction, KL and total, train vs validation",
            needs_data=False,
            draw=_draw_history,
        ),
        FigureKind(
            "latent",
            "scatter of the latent means, coloured by label (first two principal components above 2-D)",
            needs_data=True,
            draw=_draw_latent,
            all_rows_in_runs=True,
        ),
        FigureKind(
            "manifold",
            "images decoded over a grid of latent values at the prior's quantiles (images)",
            needs_data=False,
            requires=frozenset({"images", "unconditional"}),
            draw=_draw_manifold,
        ),
        FigureKind(
            "reconstructions",
            "originals beside their reconstructions: images above and below; a table's rows column by column, "
            "standardized",
            for_images="originals (top) above their reconstructions (bottom), a few rows spread across the labels",
            for_tables="a few rows beside their reconstructions, column by column, standardized",
            needs_data=True,
            requires=frozenset({"numbers"}),
            draw=_draw_reconstructions,
            in_runs_for="images",
        ),
        FigureKind(
            "samples",
            "decoded draws from the prior (images)",
            needs_data=False,
            requires=frozenset({"images"}),
            draw=_draw_samples,
        ),
        FigureKind(
            "interpolation",
            "decoded points on the line between the codes of two inputs (images)",
            needs_data=True,
            requires=frozenset({"images", "unconditional"}),
            draw=_draw_interpolation,
        ),
        FigureKind(
            "traversals",
            "one latent dimension varied at a time, the others held (images)",
            needs_data=False,
            requires=frozenset({"images", "unconditional"}),
            draw=_draw_traversals,
        ),
        FigureKind(
            "feature-errors",
            "per-feature reconstruction error relative to the feature's variance (1 - R²), "
            "raw MSE in the labels (tables)",
            needs_data=True,
            requires=frozenset({"tables", "numbers"}),
            draw=_draw_feature_errors,
        ),
        FigureKind(
            "marginals",
            "each column of the data beside the same number of rows sampled from the model, with the "
            "Kolmogorov-Smirnov statistic of numbers and the total-variation distance of categories (mixed tables)",
            needs_data=True,
            requires=frozenset({"tables", "mixed"}),
            draw=_draw_marginals,
            all_rows_in_runs=True,
        ),
        FigureKind(
            "anomaly-scores",
            "histogram of each row's anomaly score, {score} (nats, higher = odder), the model's threshold "
            "(-offset_, set by contamination) as a dashed line, the rows beyond it (flagged) in red",
            needs_data=True,
            requires=frozenset({"threshold"}),
            draw=_draw_anomaly_scores,
            all_rows_in_runs=True,
        ),
        FigureKind(
            "anomalies",
            "the 8 highest-scoring rows, named as latents.csv and vaekit score name them: images above their "
            "per-pixel -log p map (explain); a table's rows with the 3 features furthest above their typical "
            "contribution",
            for_images="the 8 highest-scoring images, by file name, each above its per-pixel -log p map (explain)",
            for_tables="the 8 highest-scoring rows, named as latents.csv and vaekit score name them, each with the 3 "
            "features furthest above their typical contribution",
            needs_data=True,
            requires=frozenset({"threshold"}),
            draw=_draw_anomalies,
            all_rows_in_runs=True,
        ),
        FigureKind(
            "layers",
            "the model's layers with their output shapes",
            needs_data=False,
            draw=_draw_layers,
        ),
    )
}


# ------------------------------------------------------------------ reading the table
def available_kinds(estimator: Estimator) -> list[str]:
    """The names of the kinds that apply to this model, in :data:`FIGURES` order.

    Kinds for images only are left out for a model of tables and the other way round.
    A conditional model decodes a code only together with a class, so the figures
    that walk the latent space alone (manifold, interpolation, traversals) are left
    out; its samples are drawn class by class.
    """
    return [name for name, kind in FIGURES.items() if kind.applies(estimator)]


def make_figure(kind: str, estimator: Estimator, data: LoadedData | None = None, seed: int = 0) -> Figure:
    """Draw one figure of ``kind`` (a key of :data:`FIGURES`).

    Parameters
    ----------
    kind : str
    estimator : fitted autoencoder or VAE
    data : LoadedData or None
        Needed by the kinds with ``needs_data``; X of shape (n_samples, *sample_shape).
    seed : int
        Fixes the prior samples, the rows a large scatter shows, and the rows
        reconstructed and interpolated (spread across the labels).

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        The kind is unknown, does not apply to this model, or needs data not given.
    """
    figure = FIGURES.get(kind)
    if figure is None:
        raise ValueError(f"unknown figure kind {kind!r}; choose one of: {', '.join(FIGURES)}")
    if not figure.applies(estimator):
        unmet = next(r for r in sorted(figure.requires, key=list(REQUIREMENTS).index) if not REQUIREMENTS[r](estimator))
        raise ValueError(f"`kind` {kind} {_refusal(unmet, estimator)}")
    if figure.needs_data and data is None:
        raise ValueError(f"`kind` {kind} needs `data` to draw from")
    return figure.draw(estimator, data, seed)
