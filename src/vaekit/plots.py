"""Matplotlib figures of autoencoders and VAEs, drawn from arrays and a decode function.

Nothing here trains or touches global state: every function builds a
:class:`matplotlib.figure.Figure` directly (no pyplot, so the Agg canvas is used and
no window ever opens) and returns it; :func:`save_figure` writes one to a PNG. The
generative figures follow Kingma & Welling, "Auto-Encoding Variational Bayes" (2014):
the learned data manifold (their Fig. 4) is decoded on a grid of the prior's
quantiles, as in the Keras VAE example.

``decode`` is any function from latent vectors ``(m, latent_dim)`` (float32) to images
``(m, H, W)`` or ``(m, C, H, W)``, e.g. ``vae.inverse_transform``. Image stacks are
tiled by :mod:`vaekit._image_grid`; the charts of arrays (:func:`plot_history`,
:func:`plot_latent_scatter`, :func:`plot_feature_errors`) live in :mod:`vaekit._charts`
and are imported from here.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike
from scipy.stats import norm

from vaekit import _image_grid as grid
from vaekit._charts import plot_feature_errors, plot_history, plot_latent_scatter

__all__ = [
    "image_grid",
    "plot_feature_errors",
    "plot_history",
    "plot_interpolation",
    "plot_latent_scatter",
    "plot_manifold",
    "plot_reconstructions",
    "plot_samples",
    "plot_traversals",
    "save_figure",
]

Decode = Callable[[np.ndarray], ArrayLike]
TRAVERSAL_VALUES = (-3.0, -2.25, -1.5, -0.75, 0.0, 0.75, 1.5, 2.25, 3.0)  # np.linspace(-3, 3, 9)
MAX_TRAVERSED_DIMS = 10


def _title(title: str | None, notes: list[str]) -> str | None:
    """The title with the display notes (channel shown, scaling) on a second line."""
    if not notes:
        return title
    note = "(" + "; ".join(notes) + ")"
    return f"{title}\n{note}" if title else note


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _vector(z: ArrayLike, name: str, shape: str = "(latent_dim,)") -> np.ndarray:
    """A finite, non-empty 1-D array as float64 (a latent code by default), or a ValueError."""
    vector = np.asarray(z, dtype=np.float64)
    if vector.ndim != 1 or vector.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of shape {shape}, got shape {vector.shape}")
    if not np.isfinite(vector).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return vector


# --------------------------------------------------------------------------- images
def image_grid(
    images: ArrayLike,
    n_cols: int | None = None,
    title: str | None = None,
    row_titles: Sequence[str] | None = None,
) -> Figure:
    """Images tiled in a grid, one ``imshow`` with 1-pixel white separators.

    Parameters
    ----------
    images : array-like of shape (n, H, W) or (n, C, H, W)
        C = 1 is grey, C = 3 is RGB, any other C shows channel 0 (the title says so).
        Values in [0, 1] are shown as they are (clipped, allowing a small overshoot);
        any other range is min-max scaled over the whole grid (the title says so).
    n_cols : int or None
        Images per row; None makes the grid about square.
    title : str or None
    row_titles : sequence of str or None
        One label per grid row, written left of the row.

    Returns
    -------
    Figure
        Its first axes holds the tiled array, of shape
        (rows * (H + 1) - 1, n_cols * (W + 1) - 1) or with a trailing 3 for RGB.
    """
    display, notes = grid.prepare_images(images)  # (n, H, W[, 3])
    n, height, width = display.shape[:3]
    if n_cols is None:
        n_cols = math.ceil(math.sqrt(n * height / width))  # a grid about as tall as it is wide
    n_cols = min(_positive_int(n_cols, "n_cols"), n)
    n_rows = math.ceil(n / n_cols)
    labels = None if row_titles is None else [str(label) for label in row_titles]
    if labels is not None and len(labels) != n_rows:
        raise ValueError(f"row_titles has {len(labels)} labels, but the grid has {n_rows} rows")
    left = grid.label_width_in(labels) if labels is not None else 0.1
    fig, (ax,) = grid.image_figure([grid.tile(display, n_cols)], title=_title(title, notes), left_in=left)
    if labels is not None:
        grid.label_rows(ax, labels, height)
    return fig


def plot_samples(
    images: ArrayLike, n_cols: int | None = None, title: str = "Samples from the prior"
) -> Figure:
    """Generated images, e.g. ``vae.sample(64)``, as a titled :func:`image_grid`.

    Parameters
    ----------
    images : array-like of shape (n, H, W) or (n, C, H, W)
    n_cols : int or None
    title : str

    Returns
    -------
    Figure
    """
    return image_grid(images, n_cols=n_cols, title=title)


def plot_reconstructions(
    originals: ArrayLike, reconstructions: ArrayLike, n: int = 10, n_cols: int = 10
) -> Figure:
    """The first ``n`` originals above their reconstructions, wrapped into pairs of rows.

    Both arrays are scaled together, so that their grey levels compare.

    Parameters
    ----------
    originals, reconstructions : array-like of shape (n_samples, H, W) or (n_samples, C, H, W)
    n : int
        How many samples to show (at most n_samples).
    n_cols : int
        Samples per pair of rows.

    Returns
    -------
    Figure
        One axes per pair of rows, each holding an array of shape (2 * H + 1, n_cols * (W + 1) - 1).
    """
    originals, reconstructions = np.asarray(originals), np.asarray(reconstructions)
    if originals.shape != reconstructions.shape:
        raise ValueError(
            f"originals have shape {originals.shape} but reconstructions {reconstructions.shape}; "
            "they must match"
        )
    count = min(_positive_int(n, "n"), len(originals))
    n_cols = min(_positive_int(n_cols, "n_cols"), max(count, 1))
    both = np.concatenate([originals[:count], reconstructions[:count]])  # (2 * count, ...)
    display, notes = grid.prepare_images(both, "originals and reconstructions")  # (2 * count, H, W[, 3])
    height = display.shape[1]
    blank = np.full(display.shape[1:], grid.SEPARATOR, np.float32)
    panels = []
    for start in range(0, count, n_cols):
        stop = min(start + n_cols, count)
        pad = [blank] * (n_cols - (stop - start))
        cells = [*display[start:stop], *pad, *display[count + start : count + stop], *pad]
        panels.append(grid.tile(np.stack(cells), n_cols))  # (2 * H + 1, n_cols * (W + 1) - 1[, 3])
    labels = ["original", "reconstruction"]
    title = _title(f"First {count} samples and their reconstructions", notes)
    fig, axes = grid.image_figure(panels, title=title, left_in=grid.label_width_in(labels), gap_in=0.3)
    for ax in axes:
        grid.label_rows(ax, labels, height)
    return fig


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
    latent_dim = _positive_int(latent_dim, "latent_dim")
    if _positive_int(n, "n") < 2:
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
        [grid.tile(display, n)], title=_title(title, notes), left_in=left, bottom_in=0.6
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
    start, end = _vector(z_start, "z_start"), _vector(z_end, "z_end")
    if start.shape != end.shape:
        raise ValueError(f"z_start has shape {start.shape} but z_end {end.shape}; they must match")
    if _positive_int(steps, "steps") < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    t = np.linspace(0.0, 1.0, steps)[:, None]  # (steps, 1)
    Z = (1.0 - t) * start + t * end  # (steps, d)
    display, notes = grid.decode_images(decode, Z)  # (steps, H, W[, 3])
    title = _title(f"Linear interpolation in latent space ({steps} steps)", notes)
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
    center = _vector(z_center, "z_center")
    latent_dim = len(center)
    walked = list(range(min(latent_dim, MAX_TRAVERSED_DIMS))) if dims is None else [int(k) for k in dims]
    if not walked or len(set(walked)) != len(walked) or not all(0 <= k < latent_dim for k in walked):
        raise ValueError(f"dims must be different latent dimensions in [0, {latent_dim}), got {dims!r}")
    steps = _vector(values, "values", "(n_values,)")  # (n_values,)
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
        title=_title(title, notes),
        left_in=grid.label_width_in(labels),
        bottom_in=0.6,
    )
    grid.label_rows(ax, labels, height)
    grid.label_columns(ax, columns, [f"{steps[j]:.3g}" for j in columns], width)
    ax.set_xlabel("value of the walked dim (the others as in z_center)", fontsize=9)
    return fig


# -------------------------------------------------------------------------- saving
def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 120) -> Path:
    """Write ``fig`` as a PNG, atomically: a temporary file in the same folder, then a rename.

    Parent folders are created. The bounding box is fitted to the drawn content.

    Parameters
    ----------
    fig : Figure
    path : str or path-like
        Must end in ``.png``.
    dpi : int

    Returns
    -------
    Path
        ``path``.
    """
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise ValueError(f"save_figure writes PNG files; {str(target)!r} does not end in .png")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(temporary, "xb") as stream:  # "x": never a file someone else is writing
            fig.savefig(stream, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target
