"""What kind each column of a mixed table is: the inference behind :class:`~vaekit.data.table.encoder.TableEncoder`.

:func:`infer_column` looks at one column of a data frame and returns its
:class:`ColumnSpec` (kind, levels, standardization, dtype), or refuses it with a
one-line :class:`~vaekit.data.loaded.DataFileError` that names the column and says
what to do. The rules, in order:

1. An entirely missing column is refused. Missing means NaN, None, ``pd.NA``,
   ``NaT``, and in text columns also the empty (or blank) string.
2. Dates and times are refused (not modelled yet): a datetime64 or period dtype, or
   text of which at least :data:`DATE_FRACTION` of the observed values read as dates
   (``2007-11-11``, ``11/30/2007``, ``30 Nov 2007``, ...).
3. A bool dtype is binary, with levels (False, True).
4. A pandas category dtype is categorical with the categories in their own order
   (binary when there are exactly 2).
5. Numbers (numeric dtypes, or an object column holding only numbers):
   - exactly 2 distinct values: binary, the smaller one encoded 0;
   - a **count** when every value is a whole number, the smallest is >= 0 and at
     most half the largest, there are at least 3 distinct values and the largest
     is at most :data:`COUNT_MAX` (1000). A count is a number of things, whose
     variation reaches down toward zero; a negative binomial ties its variance to
     its mean, which is wrong for whole numbers that measure on a scale far from
     zero: years (2007-2009), grams (3750), flipper lengths in mm (172-231);
   - **few-valued** (a numeric dtype only): 3 to ``few_levels`` (:data:`FEW_LEVELS`, 10)
     distinct values and at least :data:`ROWS_PER_LEVEL` observed rows per value: a
     rating, cylinders, a year of a study. It is categorical over its values in
     order (``ordered``): samples and imputations are always one of them, drawn with
     their own frequencies, and an imputed value is the level nearest its conditional
     mean (``benchmarks/few_values.py``: on cylinders and nine 1-10 ratings, synthetic
     quality 0.898 -> 0.951 and 0.871 -> 0.956, C2ST AUC 0.930 -> 0.852 and 0.869 -> 0.516,
     imputation RMSE lower on the three tables measured);
   - anything else is continuous.
6. Text (object or string dtype):
   - numbers, by rule 5, when nearly all its values are numbers (or numbers written
     as text, ``"1,234"`` too), by the rule of :func:`~vaekit.data.table.cells.is_numbers`
     (missing markers such as ``"NA"`` or ``"-"`` not counted); its other values are
     then read as missing, each named in a :class:`TableValueWarning` when encoded.
     A column of numbers written as text only (``"1.5"``) is numbers when it holds more
     than :data:`~vaekit.data.table.cells.CODE_LEVELS` distinct ones, else codes: rule 6;
   - refused as an identifier when it has more than :data:`ID_MIN_ROWS` observed
     values and more distinct values than half of them (a name or code per row or
     per individual: fewer than 2 rows per level on average, which no categorical
     likelihood can learn);
   - otherwise binary with exactly 2 distinct values (sorted, so no/yes,
     false/true, female/male are 0/1), else categorical with the levels sorted
     (numbers by value, the rest as strings). A code that mixes digits and letters
     (``"4"``, ``"f"``, ``"r"``) is categorical, without a note; a column of few numbers
     written as text (``"1"``, ``"2.5"``) is too, with a warning that says how to model
     it as numbers.
7. A categorical column with more than ``max_categories`` levels is refused.

A kind given by the user (``column_types``) replaces rules 2 (for text: a date
dtype is still refused), 3 to 6, and is checked: continuous and count columns must
hold numbers or numbers written as text (a count whole numbers >= 0), a binary
column exactly 2 distinct values; rule 7 still applies.
"""

from __future__ import annotations

import numbers
import re
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from vaekit.data.loaded import DataFileError, DataNoteWarning
from vaekit.data.table.cells import CODE_LEVELS, is_missing_marker, is_numbers
from vaekit.data.table.layout import COLUMN_KINDS

__all__ = [
    "COUNT_MAX",
    "DATE_FRACTION",
    "FEW_LEVELS",
    "ID_MIN_ROWS",
    "ROWS_PER_LEVEL",
    "ColumnSpec",
    "TableValueWarning",
    "infer_column",
]

COUNT_MAX = 1000
FEW_LEVELS = 10
"""Numbers with 3 to this many distinct values are modelled as ordered levels (0 turns it off)."""
ROWS_PER_LEVEL = 10
"""... when the column has at least this many observed rows per distinct value."""
"""The largest value an inferred count column may hold: years and grams are not counts."""
ID_MIN_ROWS = 20
"""A text column with more observed values than this, over half of them distinct, is an identifier."""
DATE_FRACTION = 0.95
"""The share of a text column's observed values that must read as dates for it to be a date column."""
KIND_ALIASES = {"numeric": "continuous"}
"""Other names accepted in ``column_types``."""

_DATE = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(\s+\d{1,2}:\d{2}(:\d{2})?)?"
    r"|\d{1,2}[- ][A-Za-z]{3,9}\.?[- ,]+\d{2,4}"
    r"|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}"
)


class TableValueWarning(DataNoteWarning):
    """A note about a table's values: text in a numeric column, a level not seen in training, ...

    The values concerned are treated as missing (or the column as categorical); the
    message names the column and some of the values. A :class:`DataNoteWarning`, so
    the command line prints it as a note.

    A note about values treated as missing also holds its fact: ``fact`` (the column and
    what is wrong with the values) and ``values`` (all of them), so that a reader of many
    notes (the command line, over a command that encodes the same rows several times)
    can tell one fact met again from a new one, and :meth:`restated` names just the new values.
    """

    def __init__(self, message: str, *, column: str | None = None, what: str = "", values: tuple = ()) -> None:
        super().__init__(message)
        self.column, self.what, self.values = column, what, tuple(values)

    @property
    def fact(self) -> tuple[str, str] | None:
        """``(column, what)``, or None for a note that is not about some values of a column."""
        return None if self.column is None else (self.column, self.what)

    @classmethod
    def about(cls, column: str, what: str, values: list[Any], more: bool = False) -> TableValueWarning:
        """The note that ``values`` of ``column`` are ``what`` (e.g. "values not seen in training are")
        treated as missing; ``more``: after a note about others of them."""
        count = f"{len(values)} {'more ' if more else ''}distinct value{'s' if len(values) != 1 else ''}"
        text = f"column '{column}': {what} treated as missing ({count}: {shown(values)})"
        return cls(text, column=column, what=what, values=tuple(values))

    def restated(self, values: list[Any]) -> TableValueWarning:
        """This note about ``values`` only (some of its own, after a note about the others)."""
        return TableValueWarning.about(str(self.column), self.what, values, more=True)


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a mixed table: its kind and how its values are encoded and given back.

    Attributes
    ----------
    name : str
    kind : {"continuous", "count", "binary", "categorical"}
    categories : tuple
        Binary: its 2 values, the one encoded 0 first; categorical: the levels in
        their encoding order; empty for the other kinds. Python str, int, float or
        bool values.
    center, scale : float
        Continuous: mean and std of the observed values; count: of their log1p.
        0 and 1 for the other kinds; scale is 1 for a (nearly) constant column.
    dtype : str
        The pandas dtype the column is given back in (``"float64"``, ``"Int64"``,
        ``"category"``, ``"str"``, ...).
    ordered : bool
        A categorical column of few numbers, its levels in increasing order: an imputed
        value is the level nearest the conditional mean, not the most probable one.
    """

    name: str
    kind: str
    categories: tuple = ()
    center: float = 0.0
    scale: float = 1.0
    dtype: str = "float64"
    ordered: bool = False

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise ValueError(f"column {self.name!r}: kind {self.kind!r} is not one of {', '.join(COLUMN_KINDS)}")
        n = len(self.categories)
        if n != 2 if self.kind == "binary" else n < 1 if self.kind == "categorical" else n != 0:
            raise ValueError(f"column {self.name!r}: a {self.kind} column cannot have {n} categories")
        if not (np.isfinite(self.center) and np.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"column {self.name!r}: center and scale must be finite, scale > 0")


def shown(values: list[Any], limit: int = 5) -> str:
    """``'a', 'b', 3`` -- at most ``limit`` values, then ``... (N in all)``."""
    text = ", ".join(repr(v) for v in values[:limit])
    return text + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def scalar(value: Any) -> Any:
    """``value`` as a plain Python str, int, float or bool (anything else as its str)."""
    if isinstance(value, np.generic):
        value = value.item()
    return value if isinstance(value, (str, bool, int, float)) else str(value)


def is_number(value: Any) -> bool:
    """A real number, not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


_THOUSANDS = re.compile(r"\s*[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?\s*")
"""A number written with commas between its thousands: ``39,100.0``, ``-1,234,567``."""


def as_number(value: Any) -> float | None:
    """``value`` (a number or a number written as text) as a float, or None.

    Text may group thousands with commas (``"39,100.0"`` is 39100.0); a comma
    anywhere else (``"3,5"``) is not read as a number: the decimal mark of a file
    is its reader's choice (``decimal``).
    """
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        text = value.replace(",", "") if _THOUSANDS.fullmatch(value) else value
        try:
            return float(text)
        except ValueError:
            return None
    return None


def sorted_levels(values: list[Any]) -> tuple:
    """Numbers by value (bools too), anything else as strings."""
    if all(isinstance(v, (int, float, bool)) for v in values):
        return tuple(sorted(values))
    return tuple(sorted(values, key=lambda v: (str(v), type(v).__name__)))


def missing_mask(series: pd.Series) -> np.ndarray:
    """bool (n,): NaN, None, NA, NaT, and empty or blank strings in a text column."""
    missing = np.array(series.isna(), dtype=bool)
    if is_text(series.dtype):
        values = series.to_numpy(dtype=object)
        missing |= np.fromiter((isinstance(v, str) and not v.strip() for v in values), dtype=bool, count=len(values))
    return missing


def is_text(dtype: Any) -> bool:
    """An object or string dtype (not category)."""
    return pd.api.types.is_object_dtype(dtype) or (
        pd.api.types.is_string_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)
    )


def _standardization(values: np.ndarray) -> tuple[float, float]:
    """(mean, std) of ``values``, the std 1.0 when it is at most float32 eps x max|value|."""
    center, std = float(np.mean(values)), float(np.std(values))
    if std == 0 or std <= np.finfo(np.float32).eps * float(np.max(np.abs(values))):
        std = 1.0
    return center, std


def infer_column(
    series: pd.Series,
    name: str,
    declared: str | None = None,
    *,
    max_categories: int = 200,
    where: str = "",
    few_levels: int = FEW_LEVELS,
) -> ColumnSpec:
    """The :class:`ColumnSpec` of one column, by the rules in this module's docstring.

    Parameters
    ----------
    series : Series of shape (n,)
    name : str
        The column's name, for the spec and messages.
    declared : str or None
        The kind the user gave (``column_types``), one of :data:`~vaekit.data.table.layout.COLUMN_KINDS`
        (aliases resolved by the caller), or None to infer it.
    max_categories : int
        The most levels a categorical column may have.
    where : str
        Prefix of messages: ``"'file.csv': "`` or ``""``.
    few_levels : int
        Numbers with 3 to this many distinct values are ordered levels (see the rules); 0: never.

    Raises
    ------
    DataFileError
        The column is refused (see the rules) or does not fit ``declared``.
    """
    col = f"{where}column '{name}'"
    dtype = series.dtype
    missing = missing_mask(series)
    if missing.all():
        raise DataFileError(f"{col} is entirely missing ({len(series)} rows); drop it")
    observed = series[~missing]
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype) or dtype.kind == "m":
        raise DataFileError(
            f"{col} holds dates or times ({dtype}); dates are not modelled yet: drop it, or give it as `id_column` or `label`"
        )
    if dtype.kind == "c":
        raise DataFileError(f"{col} holds complex numbers; drop it or split it into real columns")
    if pd.api.types.is_bool_dtype(dtype) and declared in (None, "binary", "categorical"):
        return ColumnSpec(name, declared or "binary", (False, True), dtype=str(dtype))
    if isinstance(dtype, pd.CategoricalDtype) and declared in (None, "binary", "categorical"):
        levels = tuple(scalar(v) for v in dtype.categories)
        if declared == "binary" and len(levels) != 2:  # the 2 used categories, if 2 are
            used = {scalar(v) for v in observed}
            levels = tuple(v for v in levels if v in used)
        return _levels_spec(name, declared, levels, str(dtype), max_categories, col)
    if dtype.kind == "O":
        nested = observed.map(lambda v: isinstance(v, (list, tuple, dict, set, frozenset, np.ndarray)))
        if nested.any():
            first = observed[nested].iloc[0]
            raise DataFileError(
                f"{col} holds {type(first).__name__} values (row {observed.index[nested.to_numpy()][0]!r}: "
                f"{str(first)[:40]}), which no model reads; store their parts as columns of numbers or text, or drop it"
            )
    values = [scalar(v) for v in pd.unique(observed.astype(object))]
    if is_text(dtype) or isinstance(dtype, pd.CategoricalDtype):
        others = [v for v in values if as_number(v) is None]
        if declared in ("continuous", "count") and others:
            raise DataFileError(
                f"{col} was given as {declared} (`column_types`) but holds text such as {shown(others, 2)}; "
                "give it as categorical, or fix or drop those values"
            )
        numbers = declared is None and _nearly_numbers(observed)
        if numbers:
            observed = observed[observed.map(lambda v: as_number(v) is not None).to_numpy(dtype=bool)]
            values = [v for v in values if as_number(v) is not None]
        elif declared not in ("continuous", "count") and not all(is_number(v) for v in values):
            return _text_spec(observed, name, declared, values, others, max_categories, col, str(dtype))
        numeric = observed.astype(object).map(as_number).astype("float64")
        whole = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
        return _numeric_spec(numeric, name, declared, values, max_categories, col, "int64" if whole else "float64")
    numeric = observed.astype("float64")
    out_dtype = "float64" if pd.api.types.is_bool_dtype(dtype) else str(dtype)
    return _numeric_spec(numeric, name, declared, values, max_categories, col, out_dtype, few_levels)


def _nearly_numbers(observed: pd.Series) -> bool:
    """Whether a text column's observed values are numbers with a few others (rule 6)."""
    counts = observed.astype(object).value_counts(sort=False)
    values, n = counts.index.to_numpy(dtype=object), counts.to_numpy()
    numbers = [as_number(v) for v in values]
    number = np.array([x is not None for x in numbers], dtype=bool)
    marker = np.array([isinstance(v, str) and is_missing_marker(v) for v in values], dtype=bool)
    distinct = len({x for x in numbers if x is not None})
    if number.all():  # numbers written as text only: numbers, unless few, as codes are
        return distinct > CODE_LEVELS and not all(is_number(v) for v in values)
    return is_numbers(int(n[number].sum()), int(n[~number & ~marker].sum()), distinct)


def _levels_spec(
    name: str, declared: str | None, levels: tuple, dtype: str, max_categories: int, col: str
) -> ColumnSpec:
    """A binary or categorical spec over ``levels``, checking their count."""
    kind = declared or ("binary" if len(levels) == 2 else "categorical")
    if kind == "binary" and len(levels) != 2:
        raise DataFileError(
            f"{col} was given as binary (`column_types`) but has {len(levels)} distinct values ({shown(list(levels))}); "
            "a binary column has exactly 2"
        )
    if kind == "categorical" and len(levels) > max_categories:
        raise DataFileError(
            f"{col} has {len(levels)} levels, more than `max_categories` ({max_categories}); raise `max_categories` "
            "if each level is a real category with several rows, or mark it with `id_column` or drop it"
        )
    return ColumnSpec(name, kind, levels, dtype=dtype)


def _text_spec(
    observed: pd.Series,
    name: str,
    declared: str | None,
    values: list,
    others: list,
    max_categories: int,
    col: str,
    dtype: str,
) -> ColumnSpec:
    """The spec of a text column (``values``: its distinct observed values; ``others``: those not numbers)."""
    if declared is None:
        texts = observed.astype(str)
        counts = texts.value_counts()
        sample = [v for v in counts.index if _DATE.fullmatch(v.strip())]
        parsed = pd.to_datetime(pd.Series(sample, dtype=object), errors="coerce", format="mixed")
        dates = [v for v, t in zip(sample, parsed) if not pd.isna(t)]
        if counts[dates].sum() >= DATE_FRACTION * len(texts):
            raise DataFileError(
                f"{col} holds dates (e.g. {dates[0]!r}); dates are not modelled yet: drop it, or give it as "
                "`id_column` or `label`"
            )
        if len(observed) > ID_MIN_ROWS and len(values) > len(observed) / 2:
            raise DataFileError(
                f"{col} looks like an identifier ({len(values)} distinct values in {len(observed)} rows, e.g. "
                f"{shown(values, 2)}): mark it with `id_column` or drop it (or give it as categorical (`column_types`))"
            )
    if declared is None and not others:
        what = "holds numbers written as text; it is modelled as categorical (give it as continuous (`column_types`) to model it as numbers)"
        warnings.warn(f"{col} {what}", TableValueWarning, stacklevel=4)
    return _levels_spec(name, declared, sorted_levels(values), dtype, max_categories, col)


def _numeric_spec(
    numeric: pd.Series,
    name: str,
    declared: str | None,
    values: list,
    max_categories: int,
    col: str,
    out_dtype: str,
    few_levels: int = 0,
) -> ColumnSpec:
    """The spec of a column of numbers (``numeric``: its observed values as floats; ``values``: the distinct ones)."""
    x = numeric.to_numpy(dtype=np.float64)
    finite = np.isfinite(x)
    if not finite.all():
        warnings.warn(
            f"{col}: {int((~finite).sum())} values that are not finite ({shown(sorted(set(x[~finite].tolist())), 2)}) "
            "are treated as missing",
            TableValueWarning,
            stacklevel=4,
        )
        x, values = x[finite], [v for v in values if np.isfinite(as_number(v) or 0.0)]
        if not len(x):
            raise DataFileError(f"{col} has no finite value; drop it")
    whole = bool(np.all(x == np.round(x)))
    distinct = np.unique(x)
    if declared is None:
        if len(distinct) == 2:
            declared = "binary"
        elif 3 <= len(distinct) <= few_levels and len(x) >= ROWS_PER_LEVEL * len(distinct):
            levels = sorted_levels(list(dict.fromkeys(values)))  # numbers, in increasing order
            return replace(_levels_spec(name, "categorical", levels, out_dtype, max_categories, col), ordered=True)
        elif whole and 0 <= x.min() <= x.max() / 2 and len(distinct) >= 3 and x.max() <= COUNT_MAX:
            declared = "count"
        else:
            declared = "continuous"
    if declared in ("binary", "categorical"):
        levels = sorted_levels(list(dict.fromkeys(values)))
        return _levels_spec(name, declared, levels, out_dtype, max_categories, col)
    if declared == "count":
        bad = x[(x < 0) | (x != np.round(x))]
        if len(bad):
            raise DataFileError(
                f"{col} was given as count (`column_types`) but holds {shown(sorted(set(bad.tolist())), 2)}; a count is a whole "
                "number >= 0: give it as continuous"
            )
        x = np.log1p(x)
    center, scale = _standardization(x)
    return ColumnSpec(name, declared, (), center, scale, out_dtype)
