"""Stacks of images as figures: a plain grid, prior samples, originals over reconstructions.

Each function builds a :class:`matplotlib.figure.Figure` directly (no pyplot, so no
window ever opens) from arrays; tiling and layout are in :mod:`vaekit.plots._grid`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from vaekit.data.validation import check_positive_int
from vaekit.plots import _grid as grid

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["image_grid", "plot_reconstructions", "plot_samples"]


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
    n_cols = min(check_positive_int("n_cols", n_cols), n)
    n_rows = math.ceil(n / n_cols)
    labels = None if row_titles is None else [str(label) for label in row_titles]
    if labels is not None and len(labels) != n_rows:
        raise ValueError(f"row_titles has {len(labels)} labels, but the grid has {n_rows} rows")
    left = grid.label_width_in(labels) if labels is not None else 0.1
    fig, (ax,) = grid.image_figure(
        [grid.tile(display, n_cols)], title=grid.title_with_notes(title, notes), left_in=left
    )
    if labels is not None:
        grid.label_rows(ax, labels, height)
    return fig


def plot_samples(images: ArrayLike, n_cols: int | None = None, title: str = "Samples from the prior") -> Figure:
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
    originals: ArrayLike, reconstructions: ArrayLike, n: int = 10, n_cols: int = 10, title: str | None = None
) -> Figure:
    """The first ``n`` originals above their reconstructions, wrapped into pairs of rows.

    Both arrays are scaled together, so that their grey levels compare. To show rows
    spread across the labels rather than the first ones, pass those rows (see
    :func:`vaekit.plots.kinds.make_figure` with ``kind="reconstructions"``).

    Parameters
    ----------
    originals, reconstructions : array-like of shape (n_samples, H, W) or (n_samples, C, H, W)
    n : int
        How many samples to show (at most n_samples).
    n_cols : int
        Samples per pair of rows.
    title : str or None
        The figure's title; default "N samples and their reconstructions". Say there
        which rows these are (e.g. "10 of 2,000 rows").

    Returns
    -------
    Figure
        One axes per pair of rows, each holding an array of shape (2 * H + 1, n_cols * (W + 1) - 1).
    """
    originals, reconstructions = np.asarray(originals), np.asarray(reconstructions)
    if originals.shape != reconstructions.shape:
        raise ValueError(
            f"originals have shape {originals.shape} but reconstructions {reconstructions.shape}; they must match"
        )
    count = min(check_positive_int("n", n), len(originals))
    n_cols = min(check_positive_int("n_cols", n_cols), max(count, 1))
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
    if title is None:
        title = f"{count} samples and their reconstructions"
    title = grid.title_with_notes(title, notes)
    fig, axes = grid.image_figure(panels, title=title, left_in=grid.label_width_in(labels), gap_in=0.3)
    for ax in axes:
        grid.label_rows(ax, labels, height)
    return fig
