"""ColumnBounds: the values a table's number columns can hold, and outputs kept to them (issue 25, item 5)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from vaekit.data.table.bounds import GAP_ROWS, MAX_DECIMALS, ColumnBounds, apply_columns, fit_columns
from vaekit.data.table.encoder import TableEncoder


def repeated(counts: dict[int, int]) -> np.ndarray:
    """Each value as often as its count, as floats."""
    return np.repeat(np.array(list(counts), dtype=float), list(counts.values()))


# ---------------------------------------------------------------- learning them


@pytest.mark.parametrize(
    ("values", "dtype", "decimals"),
    [
        ([39.1, 18.7, 40.25, 3.0], "float64", 2),
        ([110.0, 3.0, 27.0], "float64", 0),
        ([-24.69454, 8.94956, -25.33302], "float64", 5),
        ([0.1, 0.25, 1.5], "float32", 2),  # float32's 0.1 is 0.10000000149: 1 decimal at its precision
        ([1 / 3, 2.0], "float64", None),  # more places than MAX_DECIMALS: not rounded
        ([1e-8, 2e-8], "float64", None),  # tiny values are not written with 0 places
        ([0.0, 0.0], "float64", 0),
        ([4, 2007, 2009], "int64", 0),
    ],
)
def test_decimals_are_the_fewest_places_that_write_every_value(values: list, dtype: str, decimals: int | None) -> None:
    x = np.asarray(values, dtype=dtype).astype(np.float64)
    assert ColumnBounds.fit("continuous", x, dtype).decimals == decimals


def test_the_range_is_the_observed_one() -> None:
    bounds = ColumnBounds.fit("continuous", np.array([3.5, -1.25, 7.0, 2.0]))
    assert (bounds.low, bounds.high, bounds.gaps) == (-1.25, 7.0, ())
    assert type(bounds.low) is float and type(bounds.high) is float


@pytest.mark.parametrize("kind", ["binary", "categorical"])
def test_binary_and_categorical_columns_have_no_bounds(kind: str) -> None:
    bounds = ColumnBounds.fit(kind, np.array([0.0, 1.0, 2.0]))
    assert bounds == ColumnBounds()
    x = np.array([-3.0, 0.4, np.nan, 9.7])
    assert np.array_equal(bounds.apply(x), x, equal_nan=True)


def test_a_count_skips_a_hole_between_common_values() -> None:
    """Cylinders 3, 4, 5, 6 and 8: 7 is never seen beside two common values, so it is no value of the column."""
    bounds = ColumnBounds.fit("count", repeated({3: 4, 4: 200, 5: 3, 6: 80, 8: 100}))
    assert (bounds.low, bounds.high, bounds.decimals, bounds.gaps) == (3.0, 8.0, 0, ((6.0, 8.0),))
    out = bounds.apply(np.array([7.0, 6.9, 7.2, 16.0, 0.0, 5.0, 4.4, np.nan, -np.inf, np.inf]))
    assert np.array_equal(out, [6.0, 6.0, 8.0, 8.0, 3.0, 5.0, 4.0, np.nan, 3.0, 8.0], equal_nan=True)


def test_a_hole_beside_a_rare_value_is_plausible() -> None:
    """A long tail (41, then 57, each seen once) has holes of the sample, not of the column."""
    x = repeated({**{k: 20 for k in range(11)}, 13: GAP_ROWS - 1, 41: 1, 57: 1})
    bounds = ColumnBounds.fit("count", x)
    assert bounds.gaps == ()
    assert np.array_equal(bounds.apply(np.array([12.0, 30.0, 49.6, 60.0])), [12.0, 30.0, 50.0, 57.0])
    frequent = ColumnBounds.fit("count", repeated({0: 20, 1: 20, 3: GAP_ROWS}))
    assert frequent.gaps == ((1.0, 3.0),)


def test_gaps_that_share_an_end() -> None:
    bounds = ColumnBounds.fit("count", repeated({2: 10, 4: 10, 6: 10, 10: 10}))
    assert bounds.gaps == ((2.0, 4.0), (4.0, 6.0), (6.0, 10.0))
    out = bounds.apply(np.array([3.0, 3.1, 5.0, 5.5, 7.0, 8.0, 8.1, 9.0, 4.0, 1.0, 11.0]))
    assert np.array_equal(out, [2.0, 4.0, 4.0, 6.0, 6.0, 6.0, 10.0, 10.0, 4.0, 2.0, 10.0])  # ties go lower


def test_continuous_columns_have_no_gaps() -> None:
    bounds = ColumnBounds.fit("continuous", repeated({10: 20, 20: 20, 30: 20}))
    assert bounds.gaps == () and bounds.decimals == 0
    assert np.array_equal(bounds.apply(np.array([15.2, 24.5, 9.0])), [15.0, 24.0, 10.0])  # round half to even


@pytest.mark.parametrize("kind", ["continuous", "count"])
def test_a_column_with_a_single_observed_value(kind: str) -> None:
    bounds = ColumnBounds.fit(kind, np.full(7, 4.0))
    assert (bounds.low, bounds.high, bounds.gaps) == (4.0, 4.0, ())
    assert np.array_equal(bounds.apply(np.array([-1e9, 3.7, 4.0, 12.5, np.nan])), [4, 4, 4, 4, np.nan], equal_nan=True)


def test_an_empty_column_has_no_bounds() -> None:
    assert ColumnBounds.fit("continuous", np.zeros(0)) == ColumnBounds()


def test_outputs_of_a_never_negative_column_are_never_negative() -> None:
    rng = np.random.default_rng(0)
    wages = np.round(rng.lognormal(3.0, 0.5, 500), 2)
    bounds = ColumnBounds.fit("continuous", wages)
    raw = rng.normal(wages.mean(), 3 * wages.std(), 10_000)  # a wide Gaussian: many below 0
    assert (raw < 0).mean() > 0.1
    out = bounds.apply(raw)
    assert out.min() >= wages.min() >= 0 and out.max() <= wages.max()
    assert np.array_equal(out, np.round(out, 2))
    inside = (raw > wages.min()) & (raw < wages.max())
    assert np.abs(out[inside] - raw[inside]).max() <= 0.005 + 1e-12  # values inside are only rounded


def test_the_columns_of_an_array() -> None:
    """For outputs that do not go through a table encoder (a complete table of numbers)."""
    X = np.array([[1.0, 0.25, 3.0], [2.0, np.nan, 7.0], [5.0, 0.5, 11.0]])
    bounds = fit_columns(X, ["continuous", "continuous", "count"])
    assert bounds == [ColumnBounds(1.0, 5.0, 0), ColumnBounds(0.25, 0.5, 2), ColumnBounds(3.0, 11.0, 0)]
    out = apply_columns(bounds, np.array([[-4.0, 0.333, 12.6], [2.4, np.nan, 5.5]]))
    assert np.array_equal(out, [[1.0, 0.33, 11.0], [2.0, np.nan, 6.0]], equal_nan=True)
    assert fit_columns(X.astype(np.float32))[1].decimals == 2
    assert fit_columns(np.array([[1, 2], [3, 4]]))[0] == ColumnBounds(1.0, 3.0, 0)
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        apply_columns(bounds, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="each of the 3 columns"):
        fit_columns(X, ["count"])
    with pytest.raises(ValueError, match="2-D"):
        fit_columns(X[0])


# ---------------------------------------------------------------- checks and JSON


@pytest.mark.parametrize(
    "fields",
    [
        {"low": 1.0},
        {"low": 2.0, "high": 1.0},
        {"low": 0.0, "high": np.inf},
        {"decimals": MAX_DECIMALS + 1},
        {"decimals": -1},
        {"gaps": ((1.0, 2.0),)},  # gaps without a range
        {"low": 0.0, "high": 9.0, "gaps": ((3.0, 2.0),)},
        {"low": 0.0, "high": 9.0, "gaps": ((4.0, 6.0), (1.0, 3.0))},
        {"low": 0.0, "high": 9.0, "gaps": ((1.0, 5.0), (4.0, 6.0))},
        {"low": 2.0, "high": 9.0, "gaps": ((1.0, 5.0),)},
        {"low": 0.0, "high": 4.0, "gaps": ((1.0, 5.0),)},
    ],
)
def test_bounds_check_themselves(fields: dict) -> None:
    with pytest.raises(ValueError):
        ColumnBounds(**fields)


def test_json_round_trip() -> None:
    for bounds in (
        ColumnBounds(),
        ColumnBounds(-1.5, 1e12, None),
        ColumnBounds(0.1, 0.7, 1),
        ColumnBounds.fit("count", repeated({2: 10, 4: 10, 6: 10, 10: 10, 11: 1})),
    ):
        again = ColumnBounds.from_json(json.loads(json.dumps(bounds.to_json())))
        assert again == bounds
        assert all(type(v) is float for gap in again.gaps for v in gap)


@pytest.mark.parametrize(
    ("saved", "match"),
    [
        ([0, 1], "must be a dict"),
        ({"low": 0, "high": 1, "decimals": 0}, "must be a dict"),
        ({"low": "0", "high": 1, "decimals": 0, "gaps": []}, "low and high"),
        ({"low": True, "high": 1, "decimals": 0, "gaps": []}, "low and high"),
        ({"low": 0, "high": 1, "decimals": 0.5, "gaps": []}, "decimals"),
        ({"low": 0, "high": 9, "decimals": 0, "gaps": [[1, 2, 3]]}, "gaps"),
        ({"low": 0, "high": 9, "decimals": 0, "gaps": [[5, 2]]}, "column 'n': bounds: gaps must be ascending"),
        ({"low": 3, "high": 1, "decimals": 0, "gaps": []}, "low <= high"),
    ],
)
def test_from_json_refuses_what_is_not_bounds(saved: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ColumnBounds.from_json(saved, "n")


# ---------------------------------------------------------------- through the encoder


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 300
    frame = pd.DataFrame(
        {
            "wage": np.round(rng.lognormal(3.0, 0.4, n), 2),
            "sales": rng.integers(160, 300, n).astype(float),  # whole numbers in a float column (not a count)
            "cylinders": rng.choice([4, 5, 6, 8], n, p=[0.4, 0.1, 0.2, 0.3]),
            "visits": rng.poisson(3.0, n),
            "month": rng.integers(1, 13, n),
            "shop": rng.choice(["a", "b", "c"], n),
        }
    )
    frame.loc[::7, "sales"] = np.nan
    return frame


def test_the_encoder_learns_bounds_beside_its_columns(table: pd.DataFrame) -> None:
    encoder = TableEncoder.fit(table, few_levels=0)  # cylinders as a count, as bounds are fitted for
    assert encoder.bounds is not None and len(encoder.bounds) == len(encoder.columns)
    assert encoder.columns[1].kind == "continuous"  # sales: whole numbers, not a count
    by_name = dict(zip(encoder.names, encoder.bounds))
    assert by_name["wage"] == ColumnBounds(table["wage"].min(), table["wage"].max(), 2)
    assert (by_name["sales"].low, by_name["sales"].decimals) == (table["sales"].min(), 0)  # gaps ignored
    assert by_name["cylinders"].gaps == ((6.0, 8.0),)
    assert by_name["month"] == ColumnBounds(1.0, 12.0, 0)
    assert by_name["shop"] == ColumnBounds()
    with pytest.raises(ValueError, match="one entry per column"):
        TableEncoder(encoder.columns, encoder.bounds[:-1])


def test_to_frame_keeps_outputs_plausible_unless_told_not_to(table: pd.DataFrame) -> None:
    encoder = TableEncoder.fit(table, few_levels=0)  # cylinders as a count, as bounds are fitted for
    rng = np.random.default_rng(2)
    values = encoder.values(table)  # (n, 6) in target space
    wild = values + rng.normal(0.0, 3.0, values.shape) * np.array([1, 1, 3, 5, 1, 0])  # continuous in std units
    wild[:, 2:4] = np.round(wild[:, 2:4])  # counts are whole, as the likelihood samples them
    wild[:, 4] = (wild[:, 4] * 2 - 20) / encoder.columns[4].scale  # months far out of 1..12
    out = encoder.to_frame(wild)
    raw = encoder.to_frame(wild, plausible=False)
    for name in ("wage", "sales", "cylinders", "visits", "month"):
        seen = table[name].dropna()
        got, was = out[name].dropna().astype(float), raw[name].dropna().astype(float)
        assert got.between(seen.min(), seen.max()).all(), name
        assert not was.between(seen.min(), seen.max()).all(), name  # the raw values did leave the range
    for name in ("sales", "cylinders", "visits", "month"):
        assert (out[name].dropna() % 1 == 0).all(), name
    assert (raw["sales"].dropna() % 1 != 0).any()  # as before: a float column is not rounded
    assert not out["cylinders"].isin([7]).any() and raw["cylinders"].isin([7]).any()
    assert (raw["visits"] >= 0).all()  # counts were already kept >= 0
    assert out["sales"].isna().equals(raw["sales"].isna())
    assert out.dtypes.equals(raw.dtypes) and out["shop"].equals(raw["shop"])


def test_the_training_rows_come_back_unchanged(table: pd.DataFrame) -> None:
    encoder = TableEncoder.fit(table, few_levels=0)  # cylinders as a count, as bounds are fitted for
    back = encoder.to_frame(encoder.values(table), index=table.index)
    pd.testing.assert_frame_equal(back, table, check_dtype=True)  # exactly: rounded to the written decimals
    raw = encoder.to_frame(encoder.values(table), plausible=False)
    assert not np.array_equal(raw["wage"], table["wage"])  # unstandardizing alone is off by rounding errors
    assert np.allclose(raw["wage"], table["wage"], rtol=1e-12)


def test_an_encoder_saved_without_bounds_gives_outputs_as_before(table: pd.DataFrame) -> None:
    encoder = TableEncoder.fit(table, few_levels=0)  # cylinders as a count, as bounds are fitted for
    saved = encoder.to_json()
    assert len(saved["bounds"]) == len(saved["columns"])
    old = {key: value for key, value in saved.items() if key != "bounds"}
    loaded = TableEncoder.from_json(json.loads(json.dumps(old)))
    assert loaded.bounds is None and loaded.columns == encoder.columns and loaded != encoder
    assert "bounds" not in loaded.to_json()
    wild = encoder.values(table) * np.array([4, 4, 4, 4, 4, 1])  # (n, 6), the levels of "shop" kept
    for plausible in (True, False):
        pd.testing.assert_frame_equal(
            loaded.to_frame(wild, plausible=plausible), encoder.to_frame(wild, plausible=False)
        )
    assert TableEncoder.from_json(json.loads(json.dumps(saved))) == encoder
    with pytest.raises(ValueError, match="one entry per column"):
        TableEncoder.from_json({**saved, "bounds": saved["bounds"][:-1]})
    with pytest.raises(ValueError, match="column 'month': bounds"):
        TableEncoder.from_json({**saved, "bounds": [*saved["bounds"][:4], {"low": 1}, saved["bounds"][5]]})
