"""Figures of the latent space: the decoded manifold, walks through it, and a scatter of codes.

The decoded figures take ``decode``, any function from latent vectors
``(m, latent_dim)`` (float32) to images ``(m, H, W)`` or ``(m, C, H, W)``, e.g.
``vae.inverse_transform``. The learned data manifold follows Kingma & Welling,
"Auto-Encoding Variational Bayes" (2014), Fig. 4: images decoded on a grid of the
prior's quantiles, as in the Keras VAE example.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike

from vaekit.data.validation import check_positive_int
from vaekit.plots import _grid as grid
from vaekit.plots.colours import MAX_CATEGORIES, label_categories

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["TRAVERSAL_VALUES", "plot_interpolation", "plot_latent_scatter", "plot_manifold", "plot_traversals"]

Decode = Callable[[np.ndarray], ArrayLike]
TRAVERSAL_VALUES = (-3.0, -2.25, -1.5, -0.75, 0.0, 0.75, 1.5, 2.25, 3.0)  # np.linspace(-3, 3, 9)
MAX_TRAVERSED_DIMS = 10


# ------------------------------------------------------------------ decoded figures
def plot_manifold(decode: Decode, latent_dim: int, n: int = 15, dims: tuple[int, int] = (0, 1)) -> Figure:
    """The learned manifold: images decoded over a grid of two latent dimensions.

    The grid values are the prior's quantiles ``norm.ppf(np.linspace(0.05, 0.95, n))``
    (Kingma & Welling 2014, Fig. 4); all other latent dimensions are 0. ``z[dims[0]]``
    grows from left to right, ``z[dims[1]]`` from bottom to top.

    Parameters
    ----------
    decode : callable
        ``decode(Z)`` with Z of shape (m, latent_dim), float32, returns images of shape
        (m, H, W) or (m, C, H, W). It is called once, with m = n * n (n if latent_dim is 1).
    latent_dim : int
    n : int
        Grid points along each dimension (at least 2).
    dims : (int, int)
        The latent dimensions that vary; ignored when latent_dim is 1 (one row along z[0]).

    Returns
    -------
    Figure
    """
    from scipy.stats import norm

    latent_dim = check_positive_int("latent_dim", latent_dim)
    if check_positive_int("n", n) < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    valid_dims = len(dims) == 2 and dims[0] != dims[1] and all(0 <= int(k) < latent_dim for k in dims)
    if latent_dim >= 2 and not valid_dims:
        raise ValueError(f"dims must be two different latent dimensions in [0, {latent_dim}), got {dims!r}")
    values = norm.ppf(np.linspace(0.05, 0.95, n))  # (n,) prior quantiles
    x_dim, y_dim = int(dims[0]), int(dims[1])
    if latent_dim == 1:
        x_dim, n_rows = 0, 1
        Z = values[:, None]  # (n, 1)
    else:
        n_rows = n
        Z = np.zeros((n, n, latent_dim))  # (row, column, latent_dim); top row is the largest z[y_dim]
        Z[:, :, x_dim] = values[None, :]
        Z[:, :, y_dim] = values[::-1, None]
        Z = Z.reshape(n * n, latent_dim)  # (n * n, latent_dim)
    display, notes = grid.decode_images(decode, Z)  # (m, H, W[, 3])
    height, width = display.shape[1:3]
    quarter = round((n - 1) / 4)
    ticks = sorted({0, quarter, n - 1 - quarter, n - 1} | ({(n - 1) // 2} if n % 2 else set()))  # symmetric
    tick_labels = [f"{np.round(values[j], 2) + 0.0:.2f}" for j in ticks]  # + 0.0: no "-0.00"
    title = "Decoded latent grid at the prior's 5%-95% quantiles"
    if latent_dim > 2:
        title += f"\nother {latent_dim - 2} latent dims at 0"
    left = grid.label_width_in(tick_labels, axis_label=True) if latent_dim > 1 else 0.1
    fig, (ax,) = grid.image_figure(
        [grid.tile(display, n)], title=grid.title_with_notes(title, notes), left_in=left, bottom_in=0.6
    )
    grid.label_columns(ax, list(ticks), tick_labels, width)
    ax.set_xlabel(f"z[{x_dim}]")
    if latent_dim > 1:
        centers = grid.cell_centers(n_rows, height)[ticks]
        ax.set_yticks(centers, tick_labels[::-1], fontsize=9)
        ax.tick_params(axis="y", length=2)
        ax.set_ylabel(f"z[{y_dim}]")
    return fig


def plot_interpolation(decode: Decode, z_start: ArrayLike, z_end: ArrayLike, steps: int = 10) -> Figure:
    """Images decoded along the straight line from ``z_start`` to ``z_end``, in one row.

    Parameters
    ----------
    decode : callable
        ``decode(Z)`` with Z of shape (steps, d) returns (steps, H, W) or (steps, C, H, W).
    z_start, z_end : array-like of shape (d,)
    steps : int
        Number of images, endpoints included (at least 2).

    Returns
    -------
    Figure
    """
    start, end = grid.finite_vector(z_start, "z_start"), grid.finite_vector(z_end, "z_end")
    if start.shape != end.shape:
        raise ValueError(f"z_start has shape {start.shape} but z_end {end.shape}; they must match")
    if check_positive_int("steps", steps) < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    t = np.linspace(0.0, 1.0, steps)[:, None]  # (steps, 1)
    Z = (1.0 - t) * start + t * end  # (steps, d)
    display, notes = grid.decode_images(decode, Z)  # (steps, H, W[, 3])
    title = grid.title_with_notes(f"Linear interpolation in latent space ({steps} steps)", notes)
    fig, (ax,) = grid.image_figure([grid.tile(display, steps)], title=title, bottom_in=0.55)
    grid.label_columns(ax, [0, steps - 1], ["z_start", "z_end"], display.shape[2])
    ax.set_xlabel("z = (1 - t) z_start + t z_end, t from 0 to 1", fontsize=9)
    return fig


def plot_traversals(
    decode: Decode,
    z_center: ArrayLike,
    dims: Sequence[int] | None = None,
    values: ArrayLike = TRAVERSAL_VALUES,
) -> Figure:
    """Walk each latent dimension on its own: one row per dimension, one column per value.

    Parameters
    ----------
    decode : callable
        ``decode(Z)`` with Z of shape (len(dims) * len(values), d) returns images.
    z_center : array-like of shape (d,)
        The code that every other dimension keeps (e.g. zeros, or the code of a sample).
    dims : sequence of int or None
        The dimensions to walk; None takes the first min(d, 10).
    values : array-like of shape (n_values,)
        The values each walked dimension takes, default ``np.linspace(-3, 3, 9)``.

    Returns
    -------
    Figure
    """
    center = grid.finite_vector(z_center, "z_center")
    latent_dim = len(center)
    walked = list(range(min(latent_dim, MAX_TRAVERSED_DIMS))) if dims is None else [int(k) for k in dims]
    if not walked or len(set(walked)) != len(walked) or not all(0 <= k < latent_dim for k in walked):
        raise ValueError(f"dims must be different latent dimensions in [0, {latent_dim}), got {dims!r}")
    steps = grid.finite_vector(values, "values", "(n_values,)")  # (n_values,)
    Z = np.repeat(center[None, :], len(walked) * len(steps), axis=0)  # (rows * n_values, d)
    for row, k in enumerate(walked):
        Z[row * len(steps) : (row + 1) * len(steps), k] = steps
    display, notes = grid.decode_images(decode, Z)  # (rows * n_values, H, W[, 3])
    height, width = display.shape[1:3]
    title = "Latent traversals"
    if dims is None and latent_dim > MAX_TRAVERSED_DIMS:
        title += f" (first {MAX_TRAVERSED_DIMS} of {latent_dim} dims)"
    labels = [f"z[{k}]" for k in walked]
    columns = list(range(len(steps))) if len(steps) <= 11 else sorted({0, len(steps) // 2, len(steps) - 1})
    fig, (ax,) = grid.image_figure(
        [grid.tile(display, len(steps))],
        title=grid.title_with_notes(title, notes),
        left_in=grid.label_width_in(labels),
        bottom_in=0.6,
    )
    grid.label_rows(ax, labels, height)
    grid.label_columns(ax, columns, [f"{steps[j]:.3g}" for j in columns], width)
    ax.set_xlabel("value of the walked dim (the others as in z_center)", fontsize=9)
    return fig


# ------------------------------------------------------------------- latent scatter
def _label_colours(labels: ArrayLike, n: int) -> tuple[np.ndarray, list[str] | None]:
    """Labels as class codes with their names (:func:`~vaekit.plots.colours.label_categories`, the
    explorer's classes and order), or as continuous values (names None)."""
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
    classes = label_categories(values)  # the explorer's classes, in its order
    if classes is None:
        return values.astype(np.float64), None
    codes, names = classes
    if len(names) > MAX_CATEGORIES:
        raise ValueError(f"labels have {len(names)} categories; at most {MAX_CATEGORIES} can be coloured")
    return codes, names


def _palette(k: int) -> np.ndarray:
    """k distinct RGBA colours of shape (k, 4): class i's colour in every figure and the explorer
    (:data:`~vaekit.plots.colours.CLASS_COLOURS`)."""
    from matplotlib.colors import to_rgba_array

    from vaekit.plots.colours import class_colours

    return to_rgba_array(class_colours(k))  # (k, 4)


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
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[0] == 0 or Z.shape[1] == 0:
        raise ValueError(f"Z must have shape (n_samples, latent_dim), both at least 1; got shape {Z.shape}")
    if not np.isfinite(Z).all():
        raise ValueError("Z contains NaN or infinite values")
    missing_note = ""
    if labels is not None:
        values = np.asarray(labels)
        if values.ndim == 1 and values.dtype.kind == "f" and len(values) == len(Z) and np.isnan(values).any():
            kept = ~np.isnan(values)  # rows without a value (a gap in a table's column) are left out, and said so
            if not kept.any():
                raise ValueError("labels are all missing (NaN): nothing to colour by")
            Z, labels = cast(np.ndarray, Z[kept]), values[kept]  # (numpy types Z[mask] as Any)
            missing_note = f"{int((~kept).sum()):,} rows without a {label_name or 'label'} left out"
    n, latent_dim = Z.shape
    colours, names = (None, None) if labels is None else _label_colours(labels, n)
    size = float(np.clip(16 * math.sqrt(500 / n), 0.5, 16))  # marker area: small points for large n
    alpha = float(np.clip(math.sqrt(2000 / n), 0.2, 0.9))
    order = np.random.default_rng(0).permutation(n)  # draw classes interleaved, not the last on top
    kind = "z[0] and z[1]"
    x_label, y_label = "z[0] (latent mean)", "z[1] (latent mean)"
    if latent_dim > 2:
        from sklearn.decomposition import PCA

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
        assert colours is not None  # names come with colours
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
    style: dict[str, Any] = {"s": size, "alpha": alpha, "linewidths": 0, "rasterized": True}
    if colours is None or (latent_dim == 1 and names is None):
        ax.scatter(points[order, 0], points[order, 1], color="C0", **style)
    elif names is None:
        mappable = ax.scatter(points[order, 0], points[order, 1], c=colours[order], cmap="viridis", **style)
        colour_bar = fig.colorbar(mappable, ax=ax)
        assert colour_bar.solids is not None  # drawn by colorbar() for a scatter's colours
        colour_bar.solids.set_alpha(1.0)
        colour_bar.set_label(label_name or "label")
    else:
        palette = _palette(len(names))  # (k, 4)
        ax.scatter(points[order, 0], points[order, 1], color=palette[colours[order]], **style)
        if latent_dim == 1:
            ax.set_yticks(range(len(names)), names)
        else:
            handles = [
                Line2D([], [], linestyle="", marker="o", color=palette[i], label=name) for i, name in enumerate(names)
            ]
            ax.legend(
                handles=handles,
                title=label_name,
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                borderaxespad=0,
                fontsize=8,
                title_fontsize=9,
                ncols=1 if len(names) <= 12 else 2,
            )
    if latent_dim >= 2:
        ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.grid(alpha=0.3)
    heading = title or f"Latent means of {n:,} samples ({kind})"
    ax.set_title(heading + (f"\n{missing_note}" if missing_note else ""), fontsize=10)
    return fig
