"""How a table's text cells become values: numbers among stray tokens, thousands separators, missing markers.

A reader (:mod:`vaekit.data.delimited`, :mod:`vaekit.data.parquet`) reads only empty
cells as gaps, and the tokens the user names (``na_values``). A column of text is then
looked at as a whole (:func:`read_cells`):

- **Numbers with a few stray tokens.** When the column's filled cells are numbers but for
  at most :data:`STRAY_SHARE` of them (a typo, ``"n/a?"``, ``"<0.5"``), or at most
  :data:`STRAY_SHARE_MANY` of them when its numbers take more than :data:`CODE_LEVELS`
  distinct values (as text it would be a category of too many levels to learn), it is a
  column of numbers, and those few other cells are gaps. Cells that look like missing markers
  (:func:`is_missing_marker`: ``NA``, ``None``, ``?``, ``-``, ...) are gaps there too and
  do not count against the share: a column of numbers with 30% ``NA`` is a column of
  numbers. A reader names every such cell in one note, with its line.
- **Thousands separators.** ``"1,234"`` (or ``"1.234"``, ``"1 234"`` with a decimal comma)
  is the number 1234 when every cell of the column that holds the separator groups its
  digits by three (:func:`detect_thousands`), or when the user gives ``thousands``.
- **Text.** Any other column keeps its cells as written: a code such as ``"4"``, ``"f"``,
  ``"r"``, or ``"A1"``, is a category. Its cells that look like missing markers are
  values (the survey answer ``None``); a reader lists them in one note, with the
  ``na_values`` that would make them gaps.

How the shares were chosen: ``tests/test_table_cells.py`` builds realistic columns of
both kinds and checks each is read as it should be. Columns of numbers (measurements,
ages, prices with thousands separators, counts 0..6; 50, 178 and 1000 rows) with 1 token
in 178 rows and 1, 2, 5% tokens that are not missing markers (10 and 20% for the columns
of many distinct numbers); ZIP codes and years. Code columns that mix digits and letters:
drive ``4/f/r`` (56% letters), sizes ``S/M/L/XL/8/10/12`` (59%), school grades ``K..5``
(17%) and ``K..12`` (7.7%), floors ``B/G/1..20`` (9.1%), answers ``1..5`` or "don't know"
(8%). Their letters make 7.7% of their cells or more, and they take at most 20 distinct
numbers; so a column of few numbers is numbers up to 6% of other text (a count column
with 5% tokens is 5.1% in 178 rows), and a column of many numbers, which as text would be
refused as an identifier, up to 25% (censored values such as ``"<0.5"``, "refused" in a
survey); at 30% it is text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "CODE_LEVELS",
    "STRAY_SHARE",
    "STRAY_SHARE_MANY",
    "CellReading",
    "detect_thousands",
    "is_missing_marker",
    "is_numbers",
    "numbers_of",
    "read_cells",
    "stray_rule",
]

STRAY_SHARE = 0.06
"""A text column is a column of numbers when at most this share of its filled cells, not counting
missing markers, are not numbers (see the module docstring for the measurement)."""
STRAY_SHARE_MANY = 0.25
"""The share for a column whose numbers take more than :data:`CODE_LEVELS` distinct values."""
CODE_LEVELS = 20
"""The most distinct numbers a column of codes (grades, sizes, floors) is taken to hold."""

_MARKERS = frozenset(
    ["#n/a", "#n/a n/a", "#na", "-1.#ind", "-1.#qnan", "-nan", "1.#ind", "1.#qnan", "<na>", "n/a", "na",
     "null", "nan", "none", "nat", "nil", "n.a.", "n.a", "?", "??", ".", "-", "--", "---", "\u2013", "\u2014",
     "missing", "#value!", "#div/0!", "#ref!", "#num!", "#name?", "#null!"]
)  # fmt: skip
"""pandas' default missing-value strings, R's and SAS's, a few spreadsheet errors: compared lowercase."""

_THOUSANDS_FOR = {".": (",", "'", " ", "\u00a0", "\u202f"), ",": (".", "'", " ", "\u00a0", "\u202f")}
"""Decimal mark -> the separators between thousands that go with it, the likelier first."""


def stray_rule() -> str:
    """The rule :func:`read_cells` applies, in words, for notes."""
    return (
        f"a column is numbers when at most {STRAY_SHARE:.0%} of its filled cells are other text, or "
        f"{STRAY_SHARE_MANY:.0%} when it holds over {CODE_LEVELS} distinct numbers, missing markers such as NA not counted"
    )


def is_numbers(n_numbers: int, n_other: int, n_distinct: int) -> bool:
    """Whether a text column of ``n_numbers`` cells that are numbers (``n_distinct`` distinct ones) and
    ``n_other`` that are other text, not missing markers, is a column of numbers (module docstring).

    >>> is_numbers(177, 1, 170), is_numbers(10, 2, 3), is_numbers(0, 0, 0)
    (True, False, False)
    """
    share = STRAY_SHARE_MANY if n_distinct > CODE_LEVELS else STRAY_SHARE
    return n_numbers > 0 and n_other <= share * (n_numbers + n_other)


def is_missing_marker(token: str) -> bool:
    """Whether ``token`` looks like a missing-value marker (``NA``, ``None``, ``n/a``, ``?``, ``-``, ...).

    >>> is_missing_marker(" None"), is_missing_marker("N/A"), is_missing_marker("f")
    (True, True, False)
    """
    return token.strip().lower() in _MARKERS


def _grouped(thousands: str, decimal: str) -> re.Pattern[str]:
    """A number with ``thousands`` between groups of three digits: ``-1,234,567.5``."""
    t, d = re.escape(thousands), re.escape(decimal)
    return re.compile(rf"[+-]?\d{{1,3}}(?:{t}\d{{3}})+(?:{d}\d*)?(?:[eE][+-]?\d+)?")


def numbers_of(tokens: Sequence[str], decimal: str = ".", thousands: str | None = None) -> np.ndarray:
    """Each token as a number, NaN where it is not one (as pandas reads a number with ``decimal``
    and ``thousands``).

    Parameters
    ----------
    tokens : sequence of str, shape (n,)
        Stripped cells.
    decimal : {".", ","}
    thousands : str or None
        The separator between thousands; None: a token that holds one is not a number.

    Returns
    -------
    ndarray of float64, shape (n,)
        ``inf`` for ``"inf"``; NaN for text, for ``"nan"``, and for a mark in the wrong place.

    >>> numbers_of(["1.5", "1,234", "x", "1_0"], thousands=",").tolist()
    [1.5, 1234.0, nan, nan]
    """
    grouped = _grouped(thousands, decimal) if thousands else None
    cleaned = []
    for token in tokens:
        if grouped is not None and thousands is not None and thousands in token:
            token = token.replace(thousands, "") if grouped.fullmatch(token) else "x"
        if "_" in token or (decimal == "." and "," in token) or (decimal == "," and "." in token):
            token = "x"
        cleaned.append(token.replace(",", ".") if decimal == "," else token)
    return pd.to_numeric(pd.Series(cleaned, dtype=object), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def detect_thousands(tokens: Sequence[str], decimal: str = ".") -> str | None:
    """The separator between thousands that ``tokens`` (a column's distinct stripped cells) use, or None.

    One is used when some tokens group their digits by three with it and every token that holds
    it does so (``"1,234"``, ``"12,500.5"``, not ``"1,5"`` nor ``"a,b"``), and reading them as
    numbers with it makes more of the tokens numbers.

    >>> detect_thousands(["1,234", "567", "12,000"]), detect_thousands(["1,5", "2,25"]), detect_thousands(["a"])
    (',', None, None)
    """
    plain = int(np.isfinite(numbers_of(tokens, decimal)).sum())
    for thousands in _THOUSANDS_FOR[decimal]:
        holding = [t for t in tokens if thousands in t]
        if not holding or not all(_grouped(thousands, decimal).fullmatch(t) for t in holding):
            continue
        if int(np.isfinite(numbers_of(tokens, decimal, thousands)).sum()) > plain:
            return thousands
    return None


@dataclass
class CellReading:
    """What :func:`read_cells` made of one column.

    Attributes
    ----------
    values : Series of shape (n,)
        The column as read: numbers (int64, or float64 with NaN at gaps), or the column as it was.
    numeric : bool
        The column was text and is read as numbers.
    gaps : dict of str to ndarray of int
        Token -> the 0-based rows where it was read as a gap (only when ``numeric``).
    kept : dict of str to int
        Token that looks like a missing marker -> how many cells of a text column hold it, as a value.
    thousands : str or None
        The separator between thousands the numbers were read with.
    """

    values: pd.Series
    numeric: bool = False
    gaps: dict[str, np.ndarray] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    thousands: str | None = None


def _as_text_tokens(series: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(filled rows, their stripped text) of a column whose filled cells are all text, else None."""
    if not (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)):
        return None
    if isinstance(series.dtype, pd.CategoricalDtype):
        return None
    values = series.to_numpy(dtype=object)
    filled = ~series.isna().to_numpy()
    if not all(isinstance(v, str) for v in values[filled]):
        return None
    tokens = np.array([v.strip() for v in values[filled]], dtype=object)
    keep = tokens != ""
    return np.flatnonzero(filled)[keep], tokens[keep]


def read_cells(series: pd.Series, *, decimal: str = ".", thousands: str | None = None) -> CellReading:
    """One column of a table read by the rules of this module.

    Parameters
    ----------
    series : Series of shape (n,)
        A column as a reader got it: empty cells (and the user's ``na_values``) already NaN.
    decimal : {".", ","}
    thousands : str or None
        The user's separator between thousands; None detects one.

    Returns
    -------
    CellReading
        ``values`` is ``series`` itself for a column of numbers or of text kept as text.
    """
    found = _as_text_tokens(series)
    if found is None:
        return CellReading(series)
    rows, tokens = found
    distinct, inverse, counts = np.unique(tokens.astype(str), return_inverse=True, return_counts=True)
    separator = thousands or detect_thousands(list(distinct), decimal)
    numbers = numbers_of(list(distinct), decimal, separator)
    is_number = ~np.isnan(numbers)
    marker = np.array([is_missing_marker(t) for t in distinct], dtype=bool) & ~is_number
    n_numbers, n_other = int(counts[is_number].sum()), int(counts[~is_number & ~marker].sum())
    if not is_numbers(n_numbers, n_other, len(np.unique(numbers[is_number]))):
        kept = {str(t): int(c) for t, c, m in zip(distinct, counts, marker) if m}
        return CellReading(series, kept=kept)
    out = np.full(len(series), np.nan)
    out[rows] = numbers[inverse]
    gaps = {str(distinct[k]): rows[inverse == k] for k in np.flatnonzero(~is_number)}
    # whole numbers written without a decimal part and no gap: int64, as pandas reads them
    whole = len(rows) == len(series) and not gaps and bool(np.all(np.isfinite(out)) and np.all(out == np.round(out)))
    whole = whole and not any(decimal in t or "e" in t.lower() for t in distinct) and bool(np.all(np.abs(out) < 2**53))
    values = pd.Series(out.astype(np.int64) if whole else out, index=series.index, name=series.name)
    return CellReading(values, numeric=True, gaps=gaps, thousands=separator)


def listed(items: Iterable[str], limit: int = 3) -> str:
    """``a, b, c`` or ``a, b, c, ... (7 in all)``."""
    items = list(items)
    return ", ".join(items[:limit]) + (f", ... ({len(items)} in all)" if len(items) > limit else "")
