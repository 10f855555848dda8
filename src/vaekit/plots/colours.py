"""One colour per class, the same in every figure and in the explorer.

:func:`label_categories` decides once whether labels are classes (strings, or whole
numbers with at most :data:`MAX_CATEGORIES` values) and in which order their values
come (numbers by value, text alphabetically); class ``k`` in that order is drawn in
``CLASS_COLOURS[k]``: matplotlib's ``tab10``, then the ten lighter shades of ``tab20``,
so a class keeps its colour whether there are 3 classes or 15. Imports no matplotlib.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["CLASS_COLOURS", "MAX_CATEGORIES", "class_colours", "label_categories"]

MAX_CATEGORIES = 20
"""Labels with more distinct whole-number values than this are coloured on a scale, not as classes."""

CLASS_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)  # fmt: skip
"""Class k's colour: tab10's ten, then tab20's lighter shades of them."""


def label_categories(labels: ArrayLike) -> tuple[np.ndarray, list[str]] | None:
    """Labels as classes: each row's class index and the classes' names, or None for a scale.

    Parameters
    ----------
    labels : array-like of shape (n,)
        Strings (classes, in alphabetical order), or numbers: whole numbers with at
        most :data:`MAX_CATEGORIES` values are classes, in order of value; other
        numbers are a scale (None). NaN or None is a missing label (index -1).

    Returns
    -------
    (codes, names) or None
        ``codes``: int64 of shape (n,), an index into ``names``, -1 where missing;
        ``names``: the classes as text (``"3"`` for the number 3.0).
    """
    values = np.asarray(labels)
    if values.dtype.kind in "iub":
        names, codes = np.unique(values, return_inverse=True)
        if len(names) > MAX_CATEGORIES:
            return None
        return codes.astype(np.int64).ravel(), [str(name) for name in names.tolist()]
    if values.dtype.kind == "f":
        present = ~np.isnan(values)
        kept = values[present]
        if not np.all(np.mod(kept, 1) == 0) or len(np.unique(kept)) > MAX_CATEGORIES:
            return None
        names_f, inner = np.unique(kept, return_inverse=True)
        codes = np.full(len(values), -1, dtype=np.int64)
        codes[present] = inner
        return codes, [f"{name:g}" for name in names_f]
    missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in values.tolist()], dtype=bool)
    text = np.where(missing, "", values.astype(str))
    names_s, inner = np.unique(text[~missing], return_inverse=True)
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[~missing] = inner
    return codes, [str(name) for name in names_s]


def class_colours(k: int) -> list[str]:
    """The colours of ``k`` classes, as ``#rrggbb``; past :data:`CLASS_COLOURS`, they repeat."""
    return [CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(k)]
