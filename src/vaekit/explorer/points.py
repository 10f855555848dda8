"""The rows the page draws: their latent means, labels, table values or image thumbnails.

:func:`collect_points` takes a fitted estimator and the data it reads
(:class:`~vaekit.data.loaded.LoadedData`), draws at most :data:`MAX_POINTS` rows
(a seeded random subset of more, stated on the page), encodes them with
``estimator.transform`` and gathers what hovering a point shows: the image (as 8-bit
pixels) or the table row with its column names and category labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vaekit.data.rows import row_names

MAX_POINTS = 100_000
"""The most rows one page draws; more are subsampled with a seed."""
MAX_COLUMNS = 200
"""A plain numeric table shows (and colours by) at most this many columns on hover."""
MAX_CATEGORIES_COLOURED = 20
"""A label with more distinct whole-number values than this is coloured on a scale (as in the latent figure)."""


@dataclass
class Column:
    """One column of the rows: its values for hover and colouring.

    ``values`` is float (n,) with NaN where missing for ``kind="number"``; int (n,)
    level indices into ``categories`` (-1 missing) for ``kind="category"``.
    """

    name: str
    kind: str
    values: np.ndarray
    categories: list[Any] = field(default_factory=list)


@dataclass
class Points:
    """The drawn rows.

    Attributes
    ----------
    rows : ndarray of int, shape (n,)
        Their positions in the data.
    names : list of str
        Each row's name, as every output names it (:func:`vaekit.data.rows.row_names`):
        its id, else "row N", N its number in the file.
    n_total : int
        Rows in the data.
    latents : ndarray of float32, shape (n, latent_dim)
        ``estimator.transform`` of the rows.
    class_index : ndarray of int, shape (n,), or None
        A conditional model's class of each row, as a position in ``classes_``.
    label : Column or None
        The data's labels, for colouring.
    columns : list of Column
        A table's columns (the model's), for hover and colouring; empty for images.
    images : ndarray of uint8, shape (n, H, W, C) with C 1 or 3, or None
        The input images, ``lo`` -> 0 and ``hi`` -> 255.
    lo, hi : float
        The pixel range mapped to 0..255 (also for decoded images on the page).
    note : str or None
        How the rows were subsampled, when they were.
    """

    rows: np.ndarray
    n_total: int
    latents: np.ndarray
    class_index: np.ndarray | None
    label: Column | None
    columns: list[Column]
    images: np.ndarray | None
    lo: float
    hi: float
    note: str | None
    names: list[str] = field(default_factory=list)


def choose_rows(n_total: int, max_points: int, seed: int) -> tuple[np.ndarray, str | None]:
    """All rows, or a sorted random ``max_points`` of them drawn with ``seed`` and the note saying so."""
    if isinstance(max_points, bool) or not 1 <= max_points <= MAX_POINTS:
        raise ValueError(f"max_points must be between 1 and {MAX_POINTS:,} (the most one page holds), got {max_points}")
    if n_total <= max_points:
        return np.arange(n_total), None
    rows = np.sort(np.random.default_rng(seed).choice(n_total, size=max_points, replace=False))
    note = (
        f"showing {max_points:,} of {n_total:,} rows, drawn at random with seed {seed} "
        f"(a page holds at most {MAX_POINTS:,}; --max-points sets how many)"
    )
    return rows, note


def _take(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows].reset_index(drop=True) if hasattr(X, "iloc") else X[rows]


def _label_column(labels: np.ndarray, name: str | None) -> Column:
    """The labels as classes in the figures' order and colours (:func:`~vaekit.plots.colours.label_categories`),
    or as numbers on a scale."""
    from vaekit.plots.colours import label_categories

    values = np.asarray(labels)
    classes = label_categories(values)
    if classes is None:
        return Column(name or "label", "number", values.astype(np.float64))
    codes, levels = classes
    return Column(name or "label", "category", codes, levels)


def _table_columns(estimator: Any, X: Any, feature_names: list[str] | None) -> list[Column]:
    """A table's columns as the model reads them (a mixed table's kinds and labels)."""
    codec = estimator.codec_
    if codec.columns is not None:
        values = codec.values(X)  # (n, n_columns) target space: standardized numbers, counts, level indices
        columns = []
        for j, spec in enumerate(codec.columns):
            v = values[:, j]
            if spec.kind in ("binary", "categorical"):
                codes = np.where(np.isnan(v), -1, v).astype(np.int64)
                columns.append(Column(spec.name, "category", codes, [_scalar(c) for c in spec.categories]))
            else:
                number = v * spec.scale + spec.center if spec.kind == "continuous" else v
                columns.append(Column(spec.name, "number", number))
        return columns
    array = np.asarray(X, dtype=np.float64)
    names = codec.names or feature_names or []
    if len(names) != array.shape[1]:
        names = [f"x{i}" for i in range(array.shape[1])]
    return [Column(name, "number", array[:, j]) for j, name in enumerate(names[:MAX_COLUMNS])]


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def thumbnails(images: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Images (n, H, W) or (n, C, H, W) as uint8 (n, H, W, 1 or 3) and the range mapped to 0..255.

    Data in [0, 1] maps 0 -> 0 and 1 -> 255; other data its own min and max. Two
    channels show the first; four or more the first three.
    """
    X = np.asarray(images, dtype=np.float32)
    lo, hi = float(np.nanmin(X)), float(np.nanmax(X))
    if lo >= 0.0 and hi <= 1.0:
        lo, hi = 0.0, 1.0
    if hi <= lo:
        hi = lo + 1.0
    hwc = X[..., None] if X.ndim == 3 else np.moveaxis(X, 1, -1)  # (n, H, W, C)
    hwc = hwc[..., :3] if hwc.shape[-1] >= 3 else hwc[..., :1]
    pixels = np.clip(np.round((hwc - lo) / (hi - lo) * 255.0), 0, 255).astype(np.uint8)
    return pixels, lo, hi


def collect_points(estimator: Any, loaded: Any, max_points: int = MAX_POINTS, seed: int = 0) -> Points:
    """The rows of ``loaded`` the page draws, encoded by ``estimator``.

    Parameters
    ----------
    estimator : fitted BaseAutoEncoder
    loaded : LoadedData
        Matched to the model (the CLI's ``_read`` does it).
    max_points : int
        At most this many rows (at most :data:`MAX_POINTS`); more are subsampled with ``seed``.
    seed : int

    Returns
    -------
    Points
    """
    X, y = loaded.inputs(estimator.conditional)
    n_total = len(X)
    if n_total == 0:
        raise ValueError(f"{loaded.source}: the data has no rows to draw")
    rows, note = choose_rows(n_total, max_points, seed)
    X_rows = _take(X, rows)
    y_rows = None if y is None else np.asarray(y)[rows]
    latents = np.asarray(estimator.transform(X_rows, y_rows), dtype=np.float32)  # (n, latent)
    class_index = None
    if estimator.conditional:
        assert y_rows is not None  # a conditional estimator's inputs include the classes
        class_index = np.searchsorted(estimator.classes_, y_rows).astype(np.int64)
    labels = None if loaded.labels is None else _label_column(np.asarray(loaded.labels)[rows], loaded.label_name)
    images, lo, hi = None, 0.0, 1.0
    columns: list[Column] = []
    if len(estimator.input_shape_) >= 2:
        images, lo, hi = thumbnails(estimator.validate_input(X_rows))
    else:
        columns = _table_columns(estimator, X_rows, loaded.feature_names)
    names = row_names(loaded, rows)
    return Points(rows, n_total, latents, class_index, labels, columns, images, lo, hi, note, names)


def projection(latents: np.ndarray) -> dict[str, Any]:
    """How the page lays the latents on a plane: the first two principal components.

    Returns
    -------
    dict with ``mean`` (latent_dim,), ``components`` (2, latent_dim) (rows: PC1, PC2, unit
    length) and ``explained`` (their shares of the latents' variance), as lists.
    """
    Z = np.asarray(latents, dtype=np.float64)
    mean = Z.mean(axis=0)
    d = Z.shape[1]
    if len(Z) < 2 or d < 2:
        components = np.eye(2, d)
        explained = [1.0, 0.0]
    else:
        _, s, vt = np.linalg.svd(Z - mean, full_matrices=False)
        components = np.zeros((2, d))
        components[: min(2, len(vt))] = vt[:2]
        for k in range(2):  # a deterministic sign: the largest entry positive
            if components[k, np.argmax(np.abs(components[k]))] < 0:
                components[k] = -components[k]
        total = float((s**2).sum()) or 1.0
        explained = [float(s[k] ** 2 / total) if k < len(s) else 0.0 for k in range(2)]
    return {"mean": mean.tolist(), "components": components.tolist(), "explained": explained}
