"""Checks on user arrays, with errors that say what is wrong and where.

Accepted layouts: a table ``(n_samples, n_features)``, grey images
``(n_samples, H, W)`` or images with channels ``(n_samples, C, H, W)``. Everything is
converted to a C-contiguous float32 array.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class InputError(ValueError):
    """The data given to vaekit cannot be used as it is."""


class NonNumericInputError(InputError, TypeError):
    """A value is not a number (also a TypeError, as NumPy would raise)."""


def check_positive_int(name: str, value: Any) -> int:
    """``value`` as an int, or a ValueError naming ``name``; the one such check in vaekit.

    >>> check_positive_int("n_samples", 3)
    3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _first_position(mask: np.ndarray) -> str:
    """'row 3, column 5' (or 'row 3, position (1, 2)' for images) of the first True."""
    index = np.unravel_index(int(np.flatnonzero(mask.ravel())[0]), mask.shape)
    if mask.ndim == 1:
        return f"row {index[0]}"
    if mask.ndim == 2:
        return f"row {index[0]}, column {index[1]}"
    return f"row {index[0]}, position {tuple(int(i) for i in index[1:])}"


def _to_numeric(X: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(X)
    except ValueError as err:  # ragged nested lists
        raise InputError(f"{name} is ragged: its rows do not all have the same length ({err})") from err
    if array.dtype.kind == "c":
        raise InputError(f"Complex data not supported: {name} has dtype {array.dtype}")
    if array.dtype.kind in "biuf":
        return array.astype(np.float32, copy=False)
    try:
        return array.astype(np.float32)
    except (TypeError, ValueError):
        pass  # find and name the first value that is not a number
    flat = array.ravel()
    for i, value in enumerate(flat):
        try:
            float(value)
        except (TypeError, ValueError):
            where = _first_position(np.arange(flat.size).reshape(array.shape) == i)
            shown = value.item() if isinstance(value, np.generic) else value
            raise NonNumericInputError(
                f"{name} holds a non-numeric value at {where}: {shown!r} "
                f"({type(shown).__name__}). Each argument must be a real number or a "
                "string that reads as a number; drop or encode text columns first."
            ) from None
    raise NonNumericInputError(f"{name} of dtype {array.dtype} cannot be read as numbers")


def check_array(X: Any, name: str = "X", min_samples: int = 1) -> np.ndarray:
    """Validate ``X`` and return it as a float32 array of 2, 3 or 4 dimensions.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), (n_samples, H, W) or (n_samples, C, H, W)
    name : str
        How the data is called in error messages.
    min_samples : int

    Returns
    -------
    ndarray of float32, C-contiguous, same shape as X

    Raises
    ------
    InputError
        Sparse, ragged, complex or non-numeric data, the wrong number of dimensions,
        no samples or features, NaN or infinite values. The message names the first
        offending row and column.
    """
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise InputError(
            f"{name} is a sparse matrix; sparse input is not supported. Pass a dense "
            "array (X.toarray()) if it fits in memory."
        )
    array = _to_numeric(X, name)
    if array.ndim not in (2, 3, 4):
        hint = (
            " Reshape your data with X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single sample."
            if array.ndim == 1
            else ""
        )
        raise InputError(
            f"{name} must be a table (n_samples, n_features) or an image stack "
            f"(n_samples, H, W) or (n_samples, C, H, W); got {array.ndim} dimension(s), "
            f"shape {array.shape}.{hint}"
        )
    if array.shape[0] < min_samples:
        raise InputError(
            f"{name} is empty: {array.shape[0]} sample(s) (shape={array.shape}) while a "
            f"minimum of {min_samples} is required."
        )
    if array.ndim == 2 and array.shape[1] == 0:
        raise InputError(f"{name} has 0 feature(s) (shape={array.shape}) while a minimum of 1 is required.")
    if array.size == 0:
        raise InputError(f"{name} has an empty sample shape {array.shape[1:]}.")
    # A float64 sum of float32 values cannot overflow, so it is finite exactly when
    # every value is: one pass and no boolean mask (47 MB for MNIST) in the usual case.
    if not np.isfinite(np.sum(array, dtype=np.float64)):
        bad = ~np.isfinite(array)
        kind = "NaN" if np.isnan(array[bad]).flat[0] else "inf (infinity)"
        count = int(bad.sum())
        raise InputError(
            f"{name} contains {kind} at {_first_position(bad)} ({count} non-finite "
            "value(s) in all); remove or impute them first."
        )
    return np.ascontiguousarray(array)


def check_sample_shape(array: np.ndarray, expected: tuple[int, ...], estimator_name: str, name: str = "X") -> None:
    """Raise if one sample of ``array`` does not have the shape seen at fit time."""
    got = array.shape[1:]
    if got == expected:
        return
    if len(got) == 1 and len(expected) == 1:
        raise InputError(
            f"{name} has {got[0]} features, but {estimator_name} is expecting "
            f"{expected[0]} features as input (the number it was fitted on)."
        )
    raise InputError(
        f"{name} has samples of shape {got}, but {estimator_name} was fitted on samples "
        f"of shape {expected}; resize or reshape the data to match."
    )
