"""One column of a mixed table's values: from a frame into target space, and back in the user's dtype and labels.

:func:`column_values` reads one column of a frame into the target space of
:class:`~vaekit.data.table.encoder.TableEncoder` (NaN where missing, with a
:class:`~vaekit.data.table.kinds.TableValueWarning` for the values it treats as missing);
:func:`column_out` turns target-space values back into a column in the fitted dtype and labels,
kept within the column's :class:`~vaekit.data.table.bounds.ColumnBounds` when given them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from vaekit.data.table.bounds import ColumnBounds
from vaekit.data.table.kinds import ColumnSpec, TableValueWarning, as_number, is_text, missing_mask, scalar

__all__ = ["column_out", "column_values"]


def _note(warn: bool, spec: ColumnSpec, bad: list, what: str) -> None:
    if warn and bad:
        warnings.warn(TableValueWarning.about(spec.name, what, bad), stacklevel=5)


def column_values(spec: ColumnSpec, series: pd.Series, warn: bool, standardize: bool = True) -> np.ndarray:
    """One column in target space, float64 ``(n,)`` with NaN where missing (``standardize=False``: in its units)."""
    missing = missing_mask(series)
    out = np.full(len(series), np.nan)
    observed = series[~missing]
    if spec.kind in ("binary", "categorical"):
        lookup = {level: i for i, level in enumerate(spec.categories)}
        objects = observed.to_numpy(dtype=object)
        try:
            codes, uniques = pd.factorize(objects)
        except TypeError:  # unhashable values (lists, dicts) are compared as their text
            codes, uniques = pd.factorize(np.array([scalar(v) for v in objects], dtype=object))
        index = np.array([lookup.get(scalar(v), -1) for v in uniques], dtype=np.intp)
        found = index[codes] if len(codes) else np.zeros(0, dtype=np.intp)
        _note(warn, spec, [scalar(v) for v, i in zip(uniques, index) if i < 0], "values not seen in training are")
        out[np.flatnonzero(~missing)[found >= 0]] = found[found >= 0]
        return out
    if pd.api.types.is_bool_dtype(series.dtype) or not (
        is_text(series.dtype) or isinstance(series.dtype, pd.CategoricalDtype)
    ):
        x = observed.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        objects = observed.to_numpy(dtype=object)
        try:
            uniques = pd.unique(objects)
        except TypeError:  # unhashable values (lists, dicts) are read as their text: not numbers
            objects = np.array([scalar(v) for v in objects], dtype=object)
            uniques = pd.unique(objects)
        numbers = {v: as_number(v) for v in uniques}
        _note(warn, spec, [scalar(v) for v, x in numbers.items() if x is None], "values that are not numbers are")
        x = np.array([numbers[v] for v in objects], dtype=np.float64)
    bad = ~np.isfinite(x)
    _note(warn, spec, sorted(set(x[bad & ~np.isnan(x)].tolist())), "values that are not finite are")
    if spec.kind == "count":
        wrong = np.isfinite(x) & ((x < 0) | (x != np.round(x)))
        _note(warn, spec, sorted(set(x[wrong].tolist())), "negative or fractional counts are")
        bad |= wrong
    elif standardize:
        x = (x - spec.center) / spec.scale
    out[np.flatnonzero(~missing)[~bad]] = x[~bad]
    return out


_NULLABLE = {"bool": "boolean", **{f"{s}int{b}": f"{s.upper()}Int{b}" for s in ("", "u") for b in (8, 16, 32, 64)}}


def column_out(spec: ColumnSpec, v: np.ndarray, bounds: ColumnBounds | None) -> pd.Series:
    """One column of target-space values ``(n,)`` back in the user's dtype and labels (within ``bounds``)."""
    missing = np.isnan(v)
    dtype = _NULLABLE.get(spec.dtype, spec.dtype) if missing.any() else spec.dtype
    if spec.kind == "continuous":
        x = v * spec.scale + spec.center
        x = x if bounds is None else bounds.apply(x)
    elif spec.kind == "count":
        x = np.maximum(np.round(v), 0.0) if bounds is None else bounds.apply(v)
    else:
        codes = np.where(missing, 0, np.round(v)).astype(np.intp)
        if np.any(~missing & ((codes < 0) | (codes >= len(spec.categories)))):
            raise ValueError(f"column '{spec.name}': level indices must be in 0..{len(spec.categories) - 1}")
        labels = np.array(spec.categories, dtype=object)[codes]
        labels[missing] = None
        if spec.dtype == "category":
            return pd.Series(pd.Categorical(labels, categories=list(spec.categories)))
        if spec.dtype == "object":
            labels[missing] = np.nan
            return pd.Series(labels, dtype=object)
        if not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in spec.categories):
            series = _as_dtype(pd.Series(labels, dtype=object), dtype)
            return series.where(~missing) if missing.any() else series  # "None" where astype wrote text
        x = np.where(missing, np.nan, np.array(spec.categories, dtype=np.float64)[codes])
    try:
        kind = pd.api.types.pandas_dtype(dtype)
    except TypeError:  # a dtype this pandas does not know (from another version's JSON)
        kind, dtype = np.dtype("float64"), "float64"
    if pd.api.types.is_integer_dtype(kind):
        x = np.round(x)
    elif not pd.api.types.is_numeric_dtype(kind) or pd.api.types.is_bool_dtype(kind):
        dtype = "float64"
    series = pd.Series(x)
    return _as_dtype(series.astype(object).where(~missing, None), dtype) if missing.any() else series.astype(dtype)  # type: ignore[call-overload]  # as below


def _as_dtype(series: pd.Series, dtype: str) -> pd.Series:
    try:
        return series.astype(dtype)  # type: ignore[call-overload]  # pandas-stubs take only literal dtype names
    except (TypeError, ValueError):
        return series
