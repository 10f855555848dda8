"""vaekit.data.table.cells: which text columns are numbers with stray tokens, and which are codes.

The realistic columns below are the measurement behind STRAY_SHARE, STRAY_SHARE_MANY and
CODE_LEVELS (the module docstring): every column of numbers is read as numbers, every code
column as text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vaekit.data.table.cells import (
    CODE_LEVELS,
    STRAY_SHARE,
    detect_thousands,
    is_missing_marker,
    numbers_of,
    read_cells,
)

TOKENS = ["n/a?", "unknown", "<0.5", "err", "12a", "see notes", "1.2.3", "refused"]
"""Stray tokens that are not missing markers (the worst case: they count against the share)."""


def _measurements(n: int, rng: np.random.Generator) -> list[str]:
    return [f"{v:.2f}" for v in rng.normal(13.0, 0.8, n)]


def _ages(n: int, rng: np.random.Generator) -> list[str]:
    return [str(v) for v in rng.integers(18, 90, n)]


def _prices(n: int, rng: np.random.Generator) -> list[str]:
    return [f"{v:,.0f}" for v in rng.lognormal(8.0, 1.0, n)]  # thousands separators


def _with_tokens(cells: list[str], count: int, rng: np.random.Generator) -> list[str]:
    cells = list(cells)
    for k, row in enumerate(rng.choice(len(cells), size=count, replace=False)):
        cells[row] = TOKENS[k % len(TOKENS)]
    return cells


def _column(cells: list[str]) -> pd.Series:
    return pd.Series(cells, dtype=object)


def _counts(n: int, rng: np.random.Generator) -> list[str]:
    return [str(v) for v in np.minimum(rng.poisson(1.5, n), 6)]  # few distinct numbers, like a code


NUMBER_COLUMNS = [
    (make, n, share)
    for make in (_measurements, _ages, _prices, _counts)
    for n in (50, 178, 1000)
    for share in (0.01, 0.02, 0.05, 0.10, 0.20)
    if make is not _counts or share <= 0.05
]


@pytest.mark.parametrize(("make", "n", "share"), NUMBER_COLUMNS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_columns_of_numbers_with_stray_tokens_are_numbers(make, n: int, share: float) -> None:
    rng = np.random.default_rng(n)
    count = max(1, round(share * n))
    cells = _with_tokens(make(n, rng), count, rng)
    reading = read_cells(_column(cells))
    assert reading.numeric, f"{count} tokens in {n}"
    assert sum(len(rows) for rows in reading.gaps.values()) == count
    assert int(reading.values.isna().sum()) == count


def test_one_stray_token_in_178_rows() -> None:
    cells = _measurements(178, np.random.default_rng(0))
    cells[56] = "n/a?"
    reading = read_cells(_column(cells))
    assert reading.numeric and list(reading.gaps) == ["n/a?"] and reading.gaps["n/a?"].tolist() == [56]
    assert reading.values.dtype == np.float64 and reading.values.notna().sum() == 177


def _levels(counts: dict[str, int], rng: np.random.Generator) -> list[str]:
    cells = [level for level, count in counts.items() for _ in range(count)]
    return list(rng.permutation(cells))


CODE_COLUMNS = {
    "drive 4/f/r (mpg)": {"4": 103, "f": 106, "r": 25},
    "sizes": {"S": 40, "M": 60, "L": 50, "XL": 20, "8": 30, "10": 50, "12": 40},
    "grades K..5": {"K": 30, **{str(g): 30 for g in range(1, 6)}},
    "grades K..12": {"K": 25, **{str(g): 25 for g in range(1, 13)}},
    "floors B/G/1..20": {"B": 10, "G": 10, **{str(f): 10 for f in range(1, 21)}},
    "answers 1..5 or don't know": {"1": 40, "2": 50, "3": 60, "4": 50, "5": 30, "don't know": 20},
    "codes A1/B2": {"A1": 30, "B2": 40, "C3": 20},
}


@pytest.mark.parametrize("name", list(CODE_COLUMNS))
def test_code_columns_that_mix_digits_and_letters_are_text(name: str) -> None:
    cells = _levels(CODE_COLUMNS[name], np.random.default_rng(1))
    reading = read_cells(_column(cells))
    assert not reading.numeric and reading.values.tolist() == cells and not reading.gaps


def test_the_measured_shares_are_the_rule() -> None:
    """The code columns' letter shares sit above STRAY_SHARE and their numbers within CODE_LEVELS."""
    for counts in CODE_COLUMNS.values():
        numbers = [level for level in counts if not np.isnan(numbers_of([level])[0])]
        letters = sum(c for level, c in counts.items() if level not in numbers) / sum(counts.values())
        assert letters > STRAY_SHARE and len(numbers) <= CODE_LEVELS


def test_zip_codes_and_years_are_numbers_without_gaps() -> None:
    rng = np.random.default_rng(2)
    zips = [f"{v:05d}" for v in rng.integers(1000, 99999, 300)]
    years = [str(v) for v in rng.integers(1970, 2024, 300)]
    for cells in (zips, years):
        reading = read_cells(_column(cells))
        assert reading.numeric and not reading.gaps and reading.values.dtype == np.int64


def test_missing_markers_are_gaps_in_numbers_and_do_not_count_against_the_share() -> None:
    cells = ["NA"] * 40 + [str(v) for v in range(60)] + ["?"] * 5
    reading = read_cells(_column(cells))
    assert reading.numeric and set(reading.gaps) == {"NA", "?"} and len(reading.gaps["NA"]) == 40


def test_missing_markers_in_text_are_kept_and_listed() -> None:
    cells = ["Freq"] * 100 + ["Some"] * 90 + ["None"] * 24 + ["NA"]
    reading = read_cells(_column(cells))
    assert not reading.numeric and reading.values.tolist() == cells and reading.kept == {"NA": 1, "None": 24}


def test_numbers_and_thousands() -> None:
    assert numbers_of(["1,5", "1.5", "2"], decimal=",")[[0, 2]].tolist() == [1.5, 2.0]
    assert np.isnan(numbers_of(["1,5", "1.5"], decimal=",")[1])
    assert numbers_of(["1.234,5", "12"], decimal=",", thousands=".").tolist() == [1234.5, 12.0]
    assert detect_thousands(["1.234", "5"], decimal=",") == "."
    assert detect_thousands(["1 234 567", "12"]) == " "
    assert detect_thousands(["1,2345", "12"]) is None  # not groups of three
    reading = read_cells(_column(["1,234", "567", "12,000,000"]))
    assert reading.numeric and reading.thousands == "," and reading.values.tolist() == [1234, 567, 12000000]
    assert reading.values.dtype == np.int64


@pytest.mark.parametrize("token", ["NA", "None", "null", "n/a", "N/A", "?", "-", "#N/A", "nan", "."])
def test_missing_markers(token: str) -> None:
    assert is_missing_marker(token) and not is_missing_marker("f") and not is_missing_marker("Unknown")


def test_a_column_of_numbers_or_of_other_values_is_left_alone() -> None:
    numbers = pd.Series([1.0, np.nan, 3.0])
    assert read_cells(numbers).values is numbers
    mixed = pd.Series(["a", 1, 2.5], dtype=object)  # not all text: as it is
    assert read_cells(mixed).values is mixed and not read_cells(mixed).numeric
