"""Private helpers of the image figures: check image stacks, tile them, lay them out.

Images are tiled into one array with 1-pixel white separators and drawn with a
single ``imshow``; the figure is sized from that array so that every image pixel is
square (28x20 Frey faces stay 28 rows tall and 20 columns wide). The small argument
checks that the image and latent figures share live here too.

Only numpy is imported at module level; matplotlib is imported where a figure is made.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SEPARATOR = 1.0  # white, like the figure's background: tiles read as separate images
OVERSHOOT = 0.05  # values this far outside [0, 1] are clipped, not rescaled (decoders overshoot)
MAX_WIDTH_IN = 10.0
MAX_HEIGHT_IN = 10.0
MAX_INCH_PER_PIXEL = 0.08  # 8 screen pixels per image pixel at 100 dpi
MIN_WIDTH_IN = 2.5


# ------------------------------------------------------------------- argument checks
@overload
def title_with_notes(title: str, notes: list[str]) -> str: ...
@overload
def title_with_notes(title: str | None, notes: list[str]) -> str | None: ...
def title_with_notes(title: str | None, notes: list[str]) -> str | None:
    """The title with the display notes (channel shown, scaling) on a second line."""
    if not notes:
        return title
    note = "(" + "; ".join(notes) + ")"
    return f"{title}\n{note}" if title else note


def finite_vector(z: ArrayLike, name: str, shape: str = "(latent_dim,)") -> np.ndarray:
    """A finite, non-empty 1-D array as float64 (a latent code by default), or a ValueError."""
    vector = np.asarray(z, dtype=np.float64)
    if vector.ndim != 1 or vector.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of shape {shape}, got shape {vector.shape}")
    if not np.isfinite(vector).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return vector


# --------------------------------------------------------------------- image values
def prepare_images(images: Any, name: str = "images") -> tuple[np.ndarray, list[str]]:
    """Check an image stack and turn it into display values in [0, 1].

    Parameters
    ----------
    images : array-like of shape (n, H, W) or (n, C, H, W)
        C = 1 is grey, C = 3 is RGB; any other C shows channel 0.
    name : str
        What to call the array in error messages.

    Returns
    -------
    display : ndarray of float32, shape (n, H, W) or (n, H, W, 3)
    notes : list of str
        What was done to the values or channels, for the figure's title.
    """
    array = np.asarray(images)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric, got dtype {array.dtype}")
    if array.ndim not in (3, 4):
        raise ValueError(f"{name} must have shape (n, H, W) or (n, C, H, W), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    notes: list[str] = []
    if array.ndim == 4:
        channels = array.shape[1]
        if channels not in (1, 3) and array.shape[-1] in (1, 3, 4) and channels > 4:
            raise ValueError(
                f"{name} has shape {array.shape}, which looks channels-last; vaekit uses "
                "(n, C, H, W): pass images.transpose(0, 3, 1, 2)"
            )
        if channels == 3:
            array = array.transpose(0, 2, 3, 1)  # (n, H, W, 3)
        else:
            if channels != 1:
                notes.append(f"channel 0 of {channels}")
            array = array[:, 0]  # (n, H, W)
    low, high = float(array.min()), float(array.max())
    if low >= -OVERSHOOT and high <= 1.0 + OVERSHOOT:
        return np.clip(array, 0.0, 1.0), notes
    if high > low:
        notes.append(f"min-max scaled from [{low:.3g}, {high:.3g}]")
        return (array - low) / (high - low), notes
    notes.append(f"all values {low:.3g}")
    return np.full_like(array, 0.5), notes


def check_decoded(decoded: Any, n_codes: int) -> np.ndarray:
    """The output of a user's ``decode`` as an array of ``n_codes`` images, or a ValueError."""
    array = np.asarray(decoded)
    if array.ndim not in (3, 4) or len(array) != n_codes:
        raise ValueError(
            f"decode returned shape {array.shape} for {n_codes} latent vectors; expected "
            f"({n_codes}, H, W) or ({n_codes}, C, H, W)"
        )
    return array


def decode_images(decode: Callable[[np.ndarray], Any], Z: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Decode ``Z`` (m, latent_dim) and prepare the m images for display."""
    return prepare_images(check_decoded(decode(Z.astype(np.float32)), len(Z)), "decoded images")


# ------------------------------------------------------------------ tiling, layout
def tile(display: np.ndarray, n_cols: int) -> np.ndarray:
    """Tile images row by row with 1-pixel separators; empty cells are white.

    Parameters
    ----------
    display : ndarray of shape (n, H, W) or (n, H, W, 3)
    n_cols : int

    Returns
    -------
    ndarray of shape (rows * (H + 1) - 1, n_cols * (W + 1) - 1) or with a trailing 3,
    where rows = ceil(n / n_cols)
    """
    n, height, width = display.shape[:3]
    n_rows = math.ceil(n / n_cols)
    grid = np.full(
        (n_rows * (height + 1) - 1, n_cols * (width + 1) - 1, *display.shape[3:]), SEPARATOR, np.float32
    )  # (rows * (H + 1) - 1, cols * (W + 1) - 1[, 3])
    for index, image in enumerate(display):
        top, left = (index // n_cols) * (height + 1), (index % n_cols) * (width + 1)
        grid[top : top + height, left : left + width] = image
    return grid


def cell_centers(count: int, size: int) -> np.ndarray:
    """Pixel coordinates of the centres of ``count`` cells of ``size`` pixels in a tiled array."""
    return np.arange(count) * (size + 1) + (size - 1) / 2


def image_figure(
    panels: Sequence[np.ndarray],
    *,
    title: str | None = None,
    left_in: float = 0.1,
    bottom_in: float = 0.1,
    gap_in: float = 0.3,
) -> tuple[Figure, list[Axes]]:
    """A figure of tiled arrays stacked top to bottom, sized so that pixels are square.

    Parameters
    ----------
    panels : sequence of ndarray, each of shape (h_i, w) or (h_i, w, 3)
        Tiled arrays in [0, 1]; grey ones are drawn with the grey colour map.
    title : str or None
        Drawn above the first panel; may have several lines.
    left_in, bottom_in, gap_in : float
        Room in inches for row labels, for x tick labels, and between panels.

    Returns
    -------
    fig : Figure
    axes : list of Axes, one per panel, with ticks removed
    """
    from matplotlib.figure import Figure

    width_px = max(panel.shape[1] for panel in panels)
    height_px = sum(panel.shape[0] for panel in panels)
    gaps_in = gap_in * (len(panels) - 1)
    height_limit = max(MAX_HEIGHT_IN - gaps_in, 1.0) / height_px  # inches per pixel
    scale = min(MAX_WIDTH_IN / width_px, height_limit, MAX_INCH_PER_PIXEL)
    if width_px * scale < MIN_WIDTH_IN:  # room for a title, unless that makes it too tall
        scale = min(MIN_WIDTH_IN / width_px, height_limit)
    top_in = 0.15 + (0.25 * (title.count("\n") + 1) if title else 0.0)
    right_in = 0.15
    fig_w = left_in + width_px * scale + right_in
    fig_h = top_in + height_px * scale + gaps_in + bottom_in
    fig = Figure(figsize=(fig_w, fig_h), dpi=100)
    axes = []
    y_in = fig_h - top_in
    for panel in panels:
        h_in, w_in = panel.shape[0] * scale, panel.shape[1] * scale
        y_in -= h_in
        ax = fig.add_axes((left_in / fig_w, y_in / fig_h, w_in / fig_w, h_in / fig_h))
        ax.imshow(panel, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest", aspect="equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        axes.append(ax)
        y_in -= gap_in
    if title:
        axes[0].set_title(title, fontsize=10)
    return fig, axes


def label_rows(ax: Axes, labels: Sequence[str], height: int) -> None:
    """Write one label left of each row of cells of ``height`` pixels."""
    ax.set_yticks(cell_centers(len(labels), height), list(labels), fontsize=9)
    ax.tick_params(axis="y", length=0)


def label_columns(ax: Axes, positions: Sequence[int], labels: Sequence[str], width: int) -> None:
    """Write labels under the cells at column ``positions`` (cells of ``width`` pixels)."""
    ax.set_xticks(cell_centers(max(positions) + 1, width)[list(positions)], list(labels), fontsize=9)
    ax.tick_params(axis="x", length=2)


def label_width_in(labels: Sequence[str], axis_label: bool = False) -> float:
    """Inches of room that row labels need on the left (a rough width of 9-point text)."""
    longest = max((len(label) for label in labels), default=0)
    return 0.15 + 0.075 * longest + (0.25 if axis_label else 0.0)
