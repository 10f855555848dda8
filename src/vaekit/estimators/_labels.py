"""Class labels of a conditional model: the classes seen in fit, and labels as one-hot
conditions. Only :meth:`BaseAutoEncoder._conditions` and ``fit`` call these."""

from __future__ import annotations

from typing import Any

import numpy as np

from vaekit.data.validation import InputError


def fit_classes(y: Any, n_samples: int, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """The distinct labels of y and the share of each.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    n_samples : int
        Rows of X, which y must match.
    owner : str
        The estimator's name, for messages.

    Returns
    -------
    classes : ndarray of shape (n_classes,), sorted
    prior : ndarray of float64, shape (n_classes,)
    """
    if y is None:
        raise InputError(f"{owner}.fit needs the labels y (one per sample of X)")
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != n_samples:
        raise InputError(f"y must have one label per sample: shape ({n_samples},), got {labels.shape}")
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) > 20 and len(classes) > n_samples // 2:
        raise InputError(
            f"y has {len(classes)} distinct values for {n_samples} samples: a conditional model needs class "
            "labels (a few values, each shared by many samples), not a continuous target"
        )
    return classes, counts / counts.sum()


def one_hot(classes: np.ndarray, y: Any, n_rows: int) -> np.ndarray:
    """Labels (one, repeated, or one per row) as one-hot rows over ``classes``.

    Returns
    -------
    ndarray of float32, shape (n_rows, n_classes)
    """
    labels = np.asarray(y)
    if labels.ndim == 0:
        labels = np.full(n_rows, labels.item(), dtype=labels.dtype)
    if labels.ndim != 1 or len(labels) != n_rows:
        raise InputError(f"y must hold one label per row ({n_rows} rows), got shape {labels.shape}")
    index = np.clip(np.searchsorted(classes, labels), 0, len(classes) - 1)
    unknown = classes[index] != labels
    if unknown.any():
        raise InputError(f"y holds the label {labels[unknown][0]!r}, unseen in fit; known classes: {list(classes)}")
    encoded = np.zeros((n_rows, len(classes)), np.float32)
    encoded[np.arange(n_rows), index] = 1.0
    return encoded
