"""The figures of a fitted model on some data, by name: what ``vaekit plot --kind`` draws.

Each kind is drawn by :mod:`vaekit.plots` from arrays the estimator computes; this
module only chooses the arrays. Some kinds only make sense for images (manifold,
samples, interpolation, traversals), one only for tables (feature-errors).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaekit.data.files import LoadedData

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from vaekit.estimators import _BaseAutoEncoder

KINDS: dict[str, str] = {
    "history": "training curves: reconstruction, KL and total, train vs validation",
    "latent": "scatter of the latent means, coloured by label (first two principal components above 2-D)",
    "manifold": "images decoded over a grid of latent values at the prior's quantiles (images)",
    "reconstructions": "originals above their reconstructions (images); per-feature error (tables)",
    "samples": "decoded draws from the prior (images)",
    "interpolation": "decoded points on the line between the codes of two inputs (images)",
    "traversals": "one latent dimension varied at a time, the others held (images)",
    "feature-errors": "per-feature squared reconstruction error beside the feature's variance (tables)",
    "layers": "the model's layers with their output shapes",
}
IMAGE_KINDS = ("manifold", "samples", "interpolation", "traversals")
NEEDS_DATA = ("latent", "reconstructions", "interpolation", "feature-errors")
MAX_SCATTER_POINTS = 10_000


def _is_images(estimator: _BaseAutoEncoder) -> bool:
    return len(estimator.input_shape_) >= 2


def _decoder(estimator: _BaseAutoEncoder):  # type: ignore[no-untyped-def]
    """Latent points (n, latent_dim) -> decoded means; a VQ-VAE's points are snapped to its codes first."""
    quantize = getattr(estimator, "quantize", None)
    if quantize is not None:
        return lambda Z: estimator.inverse_transform(quantize(np.asarray(Z, dtype=np.float32)))
    return lambda Z: estimator.inverse_transform(np.asarray(Z, dtype=np.float32))


def _latent_center(estimator: _BaseAutoEncoder) -> np.ndarray:
    """The prior's mean for a VAE; the mean training code for an autoencoder."""
    center = getattr(estimator, "latent_mean_", None)
    return np.zeros(estimator.latent_dim, np.float32) if center is None else np.asarray(center, np.float32)


def available_kinds(estimator: _BaseAutoEncoder) -> list[str]:
    """The kinds that apply to this model's data (images or tables).

    A conditional model decodes a code only together with a class, so the figures
    that walk the latent space alone (manifold, interpolation, traversals) are left
    out; its samples are drawn class by class.
    """
    from vaekit.runs import is_conditional

    if _is_images(estimator):
        kinds = [k for k in KINDS if k != "feature-errors"]
    else:
        kinds = [k for k in KINDS if k not in IMAGE_KINDS]
    if is_conditional(estimator):
        kinds = [k for k in kinds if k not in ("manifold", "interpolation", "traversals")]
    return kinds


def make_figure(kind: str, estimator: _BaseAutoEncoder, data: LoadedData | None = None, seed: int = 0) -> Figure:
    """Draw one figure of ``kind`` (a key of :data:`KINDS`).

    Raises
    ------
    ValueError
        The kind is unknown, does not apply to this data, or needs data not given.
    """
    from vaekit import plots
    from vaekit.runs import is_conditional, model_args
    from vaekit.summary import layer_table, plot_layers

    if kind not in KINDS:
        raise ValueError(f"unknown figure kind {kind!r}; choose one of: {', '.join(KINDS)}")
    if kind not in available_kinds(estimator):
        what = "images" if kind in IMAGE_KINDS else "tables"
        raise ValueError(f"--kind {kind} applies to {what} only; this model was trained on samples of shape {estimator.input_shape_}")
    if kind in NEEDS_DATA and data is None:
        raise ValueError(f"--kind {kind} needs DATA to draw from")
    if kind == "history":
        return plots.plot_history(estimator.history_)
    if kind == "layers":
        return plot_layers(layer_table(estimator), f"{type(estimator).__name__}, latent_dim={estimator.latent_dim}")
    decode = _decoder(estimator)
    if kind == "manifold":
        return plots.plot_manifold(decode, estimator.latent_dim)
    if kind == "samples" and is_conditional(estimator):
        classes = list(estimator.classes_)[:10]
        images = np.concatenate([estimator.sample(8, random_state=seed, y=c) for c in classes])
        return plots.image_grid(images, n_cols=8, title="Samples from the prior, one row per class",
                                row_titles=[str(c) for c in classes])
    if kind == "samples":
        return plots.plot_samples(estimator.sample(64, random_state=seed))
    if kind == "traversals":
        return plots.plot_traversals(decode, _latent_center(estimator))
    assert data is not None
    args = model_args(estimator, data)  # (X,) or (X, labels)
    if kind == "latent":
        rows = np.arange(len(data.X))
        if len(rows) > MAX_SCATTER_POINTS:
            rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_SCATTER_POINTS, replace=False))
        Z = estimator.transform(*(a[rows] if isinstance(a, np.ndarray) else a.iloc[rows] for a in args))
        labels = None if data.labels is None else data.labels[rows]
        title = f"latent means of {len(rows):,} rows" + (f" (a random {len(rows):,} of {len(data.X):,})" if len(rows) < len(data.X) else "")
        return plots.plot_latent_scatter(Z, labels, data.label_name, title=title)
    if kind == "interpolation":
        if len(data.X) < 2:
            raise ValueError("--kind interpolation needs at least two inputs")
        Z = estimator.transform(data.X[:2])
        return plots.plot_interpolation(decode, Z[0], Z[1])
    if kind == "reconstructions" and _is_images(estimator):
        originals = data.X[:10]
        return plots.plot_reconstructions(originals, estimator.reconstruct(originals, *(a[:10] for a in args[1:])))
    return plots.plot_feature_errors(data.X, estimator.reconstruct(*args), data.feature_names)


def _combined(train: LoadedData, test: LoadedData | None) -> LoadedData:
    """Train rows followed by test rows (labels kept only if both parts have them)."""
    if test is None:
        return train
    import dataclasses

    labels = None
    if train.labels is not None and test.labels is not None:
        labels = np.concatenate([train.labels, test.labels])
    return dataclasses.replace(train, X=np.concatenate([train.X, test.X]), labels=labels, ids=None)


def run_figures(
    estimator: _BaseAutoEncoder, train: LoadedData, test: LoadedData | None, folder: Path, seed: int = 0
) -> list[tuple[str, str]]:
    """Every figure that applies, drawn on the test part (else train), saved as PNGs.

    Returns
    -------
    list of (file name inside ``folder``, caption)
    """
    from vaekit.plots import save_figure

    data = test if test is not None else train
    part = "test" if test is not None else "training"
    written = []
    for kind in available_kinds(estimator):
        if kind == "reconstructions" and not _is_images(estimator):
            continue  # for tables the same error is the feature-errors figure
        if kind == "latent":  # every row: the scatter shows the whole data set
            figure, on = make_figure(kind, estimator, _combined(train, test), seed), " (all rows)"
        else:
            figure, on = make_figure(kind, estimator, data, seed), f" ({part} data)" if kind in NEEDS_DATA else ""
        name = f"{kind}.png"
        save_figure(figure, folder / name)
        written.append((name, f"{kind}{on}: {KINDS[kind]}"))
    return written
