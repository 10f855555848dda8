"""Plausible values: what each number column of a table can hold, learned at fit, and outputs kept to it.

A model's outputs (``sample``, ``impute``, ``reconstruct``, ``decode``) come from
likelihoods with unbounded support: a Gaussian goes below 0 for a wage that never
is, past the largest month, and gives 110.0028 sales; a negative binomial gives 16
cylinders. :class:`ColumnBounds` holds what :meth:`ColumnBounds.fit` learns from a
column's observed values, in the user's units, and :meth:`ColumnBounds.apply` moves
an output onto it:

- **range**: the smallest and largest observed value. Outputs are clipped to it,
  which also keeps a column that is never negative non-negative (its sign). As
  SDV does (``enforce_min_max_values``), the range is the observed one, not a
  widened guess: a value the data never reached is not one a user can check.
- **decimals**: the fewest decimal places (0 to :data:`MAX_DECIMALS`) that write
  every observed value; 0 for a whole-number column (counts, integer dtypes, a
  float column of whole numbers such as ``110.0`` sales). Outputs are rounded to it, half to even
  as :func:`numpy.round` does (SDV's ``enforce_rounding``). None when the column needs more places: no rounding.
- **gaps** (count columns): pairs ``(a, b)`` of neighbouring observed values between
  which no value is plausible. What is a count's *observed support* when its values
  have holes (cylinders 3, 4, 5, 6 and 8: is 7 plausible)? A hole is a fact about
  the column when its two neighbours are common: had 7 cylinders been about as
  common as the rarer neighbour, seen ``k`` times, a sample would have shown it with
  probability about ``1 - e^-k``; with ``k >= GAP_ROWS`` (5) that is over 99%, so
  the column skips it, and a user who never saw a 7 does not expect one. A hole
  next to a rare value (the long tail of a count of visits: 41, then 57, each seen
  once) is a fact about the sample, not the column: any whole number there is
  plausible, and snapping to the values seen would only copy the training rows.
  Outputs strictly inside a gap go to its nearer end (the lower on a tie).
  Continuous columns have no gaps: their values are not a set of things.

Binary and categorical columns need nothing: their outputs are always one of their
levels. Missing values (NaN) stay missing.

What this does to the fidelity measures (:func:`vaekit.evaluation.fidelity.fidelity`):
clipping moves the tails' mass onto the observed minimum and maximum, and rounding makes
ties, so a column's KS can move either way; the per-column TVD (binary and categorical
columns are untouched) and the missing rates (NaN stays NaN) do not move. On the shared
tables (``benchmarks/plausible_values.py``, 1000 sampled rows, 3 seeds) the mean KS fell
by 0.001 to 0.004 and the association difference moved by at most 0.003 either way.
``TableEncoder.to_frame(..., plausible=False)`` gives the raw values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["GAP_ROWS", "MAX_DECIMALS", "ColumnBounds", "apply_columns", "fit_columns"]

GAP_ROWS = 5
"""A hole in a count's values is a gap of the column when both its neighbours were seen at least this often."""
MAX_DECIMALS = 6
"""The most decimal places :meth:`ColumnBounds.fit` looks for; a column that needs more is not rounded."""

_FIELDS = ("low", "high", "decimals", "gaps")


def _decimals(x: np.ndarray, eps: float) -> int | None:
    """The fewest decimal places (at most :data:`MAX_DECIMALS`) that write every value of ``x``, to ``eps``."""
    tolerance = 8 * eps * np.abs(x)
    for decimals in range(MAX_DECIMALS + 1):
        if np.all(np.abs(np.round(x, decimals) - x) <= tolerance):
            return decimals
    return None


def _gaps(x: np.ndarray) -> tuple[tuple[float, float], ...]:
    """The holes between neighbouring distinct values of ``x`` (whole numbers) that are gaps of the column."""
    values, counts = np.unique(x, return_counts=True)
    holes = (np.diff(values) > 1) & (np.minimum(counts[:-1], counts[1:]) >= GAP_ROWS)
    return tuple((float(a), float(b)) for a, b in zip(values[:-1][holes], values[1:][holes]))


@dataclass(frozen=True)
class ColumnBounds:
    """The values one column can hold, in the user's units; all None (no bound) for binary and categorical.

    Attributes
    ----------
    low, high : float or None
        The smallest and largest observed value.
    decimals : int or None
        Decimal places outputs are rounded to: 0 for whole numbers; None: not rounded.
    gaps : tuple of (float, float)
        Count columns: neighbouring observed values ``(a, b)``, ascending, with no
        plausible value strictly between them (see the module's docstring).
    """

    low: float | None = None
    high: float | None = None
    decimals: int | None = None
    gaps: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        low, high = self.low, self.high
        if (low is None) != (high is None):
            raise ValueError("low and high must both be numbers or both be None")
        if low is not None and high is not None and not (np.isfinite([low, high]).all() and low <= high):
            raise ValueError(f"low and high must be finite with low <= high, got {low!r}, {high!r}")
        if self.decimals is not None and not 0 <= self.decimals <= MAX_DECIMALS:
            raise ValueError(f"decimals must be in 0..{MAX_DECIMALS} or None, got {self.decimals!r}")
        if self.gaps:
            ends = np.array(self.gaps, dtype=np.float64)  # (n_gaps, 2)
            if (
                low is None
                or high is None
                or not (ends[:, 0] < ends[:, 1]).all()
                or not (ends[1:, 0] >= ends[:-1, 1]).all()
                or not low <= ends[0, 0] <= ends[-1, 1] <= high
            ):
                raise ValueError(f"gaps must be ascending pairs a < b, apart, inside low..high, got {self.gaps!r}")

    @classmethod
    def fit(cls, kind: str, x: np.ndarray, dtype: str = "float64") -> ColumnBounds:
        """What a column of ``kind`` with observed values ``x`` can hold.

        Parameters
        ----------
        kind : {"continuous", "count", "binary", "categorical"}
        x : array of float, shape (n_observed,)
            The column's observed finite values in its own units (a count's counts);
            ignored for binary and categorical columns.
        dtype : str
            The column's dtype: the precision its values were written in (float32's is coarser).

        Returns
        -------
        ColumnBounds
            No bound for binary and categorical columns, or when ``x`` is empty.
        """
        x = np.asarray(x, dtype=np.float64)
        if kind not in ("continuous", "count") or not len(x):
            return cls()
        try:
            eps = float(np.finfo(np.dtype(dtype)).eps) if np.dtype(dtype).kind == "f" else float(np.finfo(float).eps)
        except TypeError:  # a pandas dtype (Int64, Float32, ...): numbers at float64 precision at least
            eps = float(np.finfo(np.float32 if "32" in dtype or "16" in dtype else np.float64).eps)
        decimals = 0 if kind == "count" else _decimals(x, eps)
        gaps = _gaps(x) if kind == "count" else ()
        return cls(float(x.min()), float(x.max()), decimals, gaps)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``x`` made plausible: off the gaps (to the nearer end), rounded, clipped to the range.

        Parameters
        ----------
        x : array of float, shape (n,)
            One column's outputs in the user's units (a count's counts), NaN where missing.

        Returns
        -------
        ndarray of float64, shape (n,)
            NaN where ``x`` is NaN.
        """
        x = np.array(x, dtype=np.float64)
        if self.gaps:
            a, b = np.array(self.gaps, dtype=np.float64).T  # (n_gaps,) each
            at = np.clip(np.searchsorted(a, x, side="right") - 1, 0, None)  # the last gap starting at or below x
            inside = (x > a[at]) & (x < b[at])
            x = np.where(inside, np.where(x - a[at] <= b[at] - x, a[at], b[at]), x)
        if self.decimals is not None:
            x = np.round(x, self.decimals)
        if self.low is not None:
            x = np.clip(x, self.low, self.high)
        return x

    def to_json(self) -> dict[str, Any]:
        """As JSON types: ``{"low", "high", "decimals", "gaps"}``, gaps as a list of ``[a, b]``."""
        return {"low": self.low, "high": self.high, "decimals": self.decimals, "gaps": [list(g) for g in self.gaps]}

    @classmethod
    def from_json(cls, d: Any, name: str = "") -> ColumnBounds:
        """The bounds :meth:`to_json` wrote (``name``: the column, for messages).

        Raises
        ------
        ValueError
            ``d`` is not such a dict, or its values are not valid bounds.
        """
        where = f"column {name!r}: bounds" if name else "bounds"
        if not isinstance(d, dict) or set(d) != set(_FIELDS):
            raise ValueError(f"{where} must be a dict with {', '.join(_FIELDS)}, got {d!r}")

        def number(v: Any) -> bool:
            return isinstance(v, (int, float)) and not isinstance(v, bool)

        if not all(d[k] is None or number(d[k]) for k in ("low", "high")):
            raise ValueError(f"{where}: low and high must be numbers or null")
        if not (d["decimals"] is None or (isinstance(d["decimals"], int) and not isinstance(d["decimals"], bool))):
            raise ValueError(f"{where}: decimals must be an integer or null")
        gaps = d["gaps"]
        if not isinstance(gaps, list) or not all(
            isinstance(g, list) and len(g) == 2 and all(number(v) for v in g) for g in gaps
        ):
            raise ValueError(f"{where}: gaps must be a list of [a, b] pairs of numbers")
        low, high = (None if d[k] is None else float(d[k]) for k in ("low", "high"))
        try:
            return cls(low, high, d["decimals"], tuple((float(a), float(b)) for a, b in gaps))
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None


def fit_columns(X: np.ndarray, kinds: list[str] | None = None) -> list[ColumnBounds]:
    """The bounds of each column of a 2-D array of numbers, for outputs that do not go through a table encoder.

    Parameters
    ----------
    X : array of float, shape (n, n_columns)
        NaN where missing (left out of the fit).
    kinds : list of str, optional
        Each column's kind (``"continuous"``, ``"count"``, ...); default: all continuous.

    Returns
    -------
    list of ColumnBounds, one per column
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n, n_columns), got shape {X.shape}")
    kinds = kinds or ["continuous"] * X.shape[1]
    if len(kinds) != X.shape[1]:
        raise ValueError(f"kinds must name each of the {X.shape[1]} columns, got {len(kinds)}")
    dtype = str(X.dtype) if X.dtype.kind in "fiu" else "float64"
    columns = X.astype(np.float64).T  # (n_columns, n)
    return [ColumnBounds.fit(kind, x[np.isfinite(x)], dtype) for kind, x in zip(kinds, columns)]


def apply_columns(bounds: list[ColumnBounds], X: np.ndarray) -> np.ndarray:
    """``X`` (n, n_columns) with each column made plausible by its bounds (:meth:`ColumnBounds.apply`).

    Returns
    -------
    ndarray of float64, shape (n, n_columns)
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(bounds):
        raise ValueError(f"X must have shape (n, {len(bounds)}), got {X.shape}")
    return np.stack([b.apply(x) for b, x in zip(bounds, X.T)], axis=1) if len(bounds) else X.copy()
