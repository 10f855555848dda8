"""Which rows a figure draws: a few, seeded, spread across the labels.

The figures that show a handful of inputs (reconstructions, the two ends of an
interpolation) must not take the first rows: an image folder loads sorted by its
sub-folders, so the first ten rows are often ten of one class. :func:`spread_rows`
picks them round-robin over the label values instead, and :func:`describe_rows`
says in a title what was picked.
"""

from __future__ import annotations

import numpy as np

from vaekit.data.validation import check_positive_int

__all__ = ["describe_rows", "label_codes", "spread_rows"]


def label_codes(labels: np.ndarray) -> np.ndarray:
    """An integer code per row for the label values, shape (n_rows,); -1 for a missing label.

    Works for numbers and strings alike (a missing label is NaN or None).
    """
    import pandas as pd

    codes, _ = pd.factorize(np.asarray(labels).ravel(), use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64)


def spread_rows(n_rows: int, n: int, labels: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """``n`` row indices spread across the labels: a seeded, stratified choice.

    With labels, the label values are put in a random order and the rows are taken
    round-robin over them (one row of each value, then a second of each, ...), each
    value's rows in a random order; rows without a label come last. So ``n`` at least
    the number of values covers every value, and two rows are of two different
    values. Without labels, a random sample of the rows, in row order.

    Parameters
    ----------
    n_rows : int
        The number of rows to choose from.
    n : int
        How many to choose; at most ``n_rows`` are returned.
    labels : ndarray of shape (n_rows,) or None, default=None
    seed : int, default=0
        The same seed gives the same rows.

    Returns
    -------
    ndarray of shape (min(n, n_rows),), int64
        Distinct row indices; the order is the one to show them in.
    """
    n = min(check_positive_int("n", n), n_rows)
    rng = np.random.default_rng(seed)
    if labels is None:
        return np.sort(rng.choice(n_rows, size=n, replace=False)).astype(np.int64)
    codes = label_codes(labels)
    if codes.shape != (n_rows,):
        raise ValueError(f"labels must have shape ({n_rows},), one per row, got {np.shape(labels)}")
    values = rng.permutation(int(codes.max()) + 1)  # the label values in a random order
    groups = [rng.permutation(np.flatnonzero(codes == value)) for value in values]  # (rows of one value,) each
    longest = max((len(group) for group in groups), default=0)
    rounds = [group[r] for r in range(longest) for group in groups if r < len(group)]
    unlabelled = rng.permutation(np.flatnonzero(codes < 0))
    order = np.concatenate([np.asarray(rounds, dtype=np.int64), unlabelled.astype(np.int64)])
    return order[:n]


def describe_rows(rows: np.ndarray, n_rows: int, labels: np.ndarray | None = None) -> str:
    """What :func:`spread_rows` drew, for a title: "10 of 2,000 rows, 10 labels".

    Parameters
    ----------
    rows : ndarray of shape (n,)
        The chosen row indices.
    n_rows : int
        How many there were to choose from.
    labels : ndarray of shape (n_rows,) or None

    Returns
    -------
    str
    """
    noun = "row" if n_rows == 1 else "rows"
    text = f"{len(rows):,} of {n_rows:,} {noun}" if len(rows) < n_rows else f"all {n_rows:,} {noun}"
    if labels is None:
        return text + (", chosen at random" if len(rows) < n_rows else "")
    codes = label_codes(labels)
    shown = len(set(codes[rows].tolist()) - {-1})
    total = int(codes.max()) + 1
    return text + f", {shown} of {total} labels" if shown < total else text + f", all {total} labels"
