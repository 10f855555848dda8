"""TableEncoder: column kinds inferred from mixed tables, encoding, target space, frames back, JSON (issue 12)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vaekit.data.loaded import DataFileError, DataNoteWarning
from vaekit.data.table.encoder import TableEncoder
from vaekit.data.table.kinds import COUNT_MAX, ColumnSpec, TableValueWarning

TABLES = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "tables"


def shared_table(name: str) -> pd.DataFrame:
    path = TABLES / name
    if not path.exists():
        pytest.skip(f"shared table {path} not present")
    return pd.read_csv(path)


def kinds(encoder: TableEncoder) -> dict[str, str]:
    return {spec.name: spec.kind for spec in encoder.columns}


def with_gaps(series: pd.Series, rng: np.random.Generator, rate: float = 0.2) -> pd.Series:
    """``series`` with about ``rate`` of its values missing, in its own dtype (or its nullable version)."""
    gaps = rng.random(len(series)) < rate
    gaps[0] = False
    gaps[1] = True
    return series.where(~gaps)


@pytest.fixture
def mixed() -> pd.DataFrame:
    """Every kind, in many dtypes, with gaps (two int64 columns and a bool column have none)."""
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "height": rng.normal(170.0, 10.0, n),
            "children": rng.poisson(2.0, n) + np.arange(n) % 2 * 3,
            "visits": pd.array(rng.poisson(4.0, n), dtype="Int64"),
            "smoker": rng.random(n) < 0.3,
            "answer": rng.choice(["yes", "no"], n),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], n), categories=["S", "M", "L"]),
            "colour": pd.Series(rng.choice(["red", "green", "blue", "grey"], n), dtype="str"),
            "tag": pd.Series(rng.choice(["a", "b", "c"], n).astype(object), dtype=object),
            "vegan": pd.array(rng.random(n) < 0.5, dtype="boolean"),
            "group": rng.choice([1, 2], n),
            "grams": rng.integers(1500, 5000, n),
        }
    )
    for name in ("height", "visits", "answer", "size", "colour", "tag", "vegan"):
        frame[name] = with_gaps(frame[name], rng)
    frame.loc[2, "tag"] = ""  # an empty string is missing too
    return frame


MIXED_KINDS = {
    "height": "continuous",
    "children": "count",
    "visits": "count",
    "smoker": "binary",
    "answer": "binary",
    "size": "categorical",
    "colour": "categorical",
    "tag": "categorical",
    "vegan": "binary",
    "group": "binary",
    "grams": "continuous",
}


def test_infers_every_kind(mixed: pd.DataFrame) -> None:
    encoder = TableEncoder.fit(mixed)
    assert kinds(encoder) == MIXED_KINDS
    spec = {s.name: s for s in encoder.columns}
    assert spec["answer"].categories == ("no", "yes")
    assert spec["size"].categories == ("S", "M", "L")  # the Categorical's own order
    assert spec["colour"].categories == ("blue", "green", "grey", "red")  # sorted
    assert spec["group"].categories == (1, 2)
    assert spec["smoker"].categories == spec["vegan"].categories == (False, True)
    assert spec["height"].center == pytest.approx(mixed["height"].mean())
    assert spec["height"].scale == pytest.approx(mixed["height"].std(ddof=0))
    log_visits = np.log1p(mixed["visits"].dropna().to_numpy(dtype=float))
    assert (spec["visits"].center, spec["visits"].scale) == pytest.approx((log_visits.mean(), log_visits.std()))
    assert [spec[name].dtype for name in ("visits", "smoker", "size", "tag", "vegan", "grams")] == [
        "Int64",
        "bool",
        "category",
        "object",
        "boolean",
        "int64",
    ]
    assert not encoder.observed(mixed)[2, encoder.names.index("tag")]


def test_encoded_layout(mixed: pd.DataFrame) -> None:
    encoder = TableEncoder.fit(mixed)
    encoded = encoder.encode(mixed)
    layouts = encoder.layout()
    assert encoded.dtype == np.float32 and encoded.shape == (len(mixed), encoder.n_encoded)
    widths = {"continuous": 1, "count": 1, "binary": 1}
    assert encoder.n_encoded == sum(widths.get(s.kind, len(s.categories)) + 1 for s in encoder.columns)
    assert encoder.n_params == sum(lay.n_params for lay in layouts) == 1 + 2 + 2 + 1 + 1 + 3 + 4 + 3 + 1 + 1 + 1
    assert layouts[-1].observed_at == encoder.n_encoded - 1
    observed = encoder.observed(mixed)
    for j, (spec, layout) in enumerate(zip(encoder.columns, layouts)):
        assert np.array_equal(encoded[:, layout.observed_at], observed[:, j])
        block = encoded[:, layout.in_offset : layout.observed_at]
        assert not block[~observed[:, j]].any()  # 0 (all zeros) where missing
        if spec.kind == "categorical":
            assert np.array_equal(block.sum(axis=1), observed[:, j])
    height = layouts[0]
    x = mixed["height"].to_numpy()
    seen = ~np.isnan(x)
    assert np.allclose(encoded[seen, height.in_offset], (x[seen] - height.center) / height.scale, atol=1e-6)
    answer = encoder.names.index("answer")
    assert np.array_equal(encoded[observed[:, answer], layouts[answer].in_offset], mixed["answer"].dropna() == "yes")


def test_encode_targets_round_trip(mixed: pd.DataFrame) -> None:
    encoder = TableEncoder.fit(mixed)
    values = encoder.values(mixed)
    targets, observed = encoder.targets(encoder.encode(mixed))
    assert np.array_equal(observed, ~np.isnan(values))
    assert np.array_equal(np.isnan(targets), np.isnan(values))
    assert np.allclose(targets, values, atol=1e-5, equal_nan=True)
    exact = [j for j, s in enumerate(encoder.columns) if s.kind != "continuous"]
    assert np.array_equal(targets[:, exact], values[:, exact], equal_nan=True)  # counts, 0/1, level indices
    assert np.array_equal(values[:, encoder.names.index("children")], mixed["children"])


def assert_same_observed(original: pd.DataFrame, back: pd.DataFrame, observed: np.ndarray) -> None:
    for j, name in enumerate(original.columns):
        a, b = original[name][observed[:, j]], back[name][observed[:, j]]
        if pd.api.types.is_float_dtype(a.dtype):
            assert np.allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-12), name
        else:
            assert a.astype(object).tolist() == b.astype(object).tolist(), name
            assert [type(v) for v in a.astype(object)] == [type(v) for v in b.astype(object)], name
        assert back[name][~observed[:, j]].isna().all(), name


def test_to_frame_restores_names_dtypes_and_labels(mixed: pd.DataFrame) -> None:
    encoder = TableEncoder.fit(mixed)
    observed = encoder.observed(mixed)
    back = encoder.to_frame(encoder.values(mixed), index=mixed.index)
    assert list(back.columns) == list(mixed.columns)
    assert back.dtypes.to_dict() == mixed.dtypes.to_dict()
    assert back["size"].dtype == mixed["size"].dtype  # same categories, same order
    assert_same_observed(mixed, back, observed)
    from_encoded = encoder.to_frame(encoder.targets(encoder.encode(mixed))[0])
    assert_same_observed(mixed.drop(columns="height"), from_encoded.drop(columns="height"), np.delete(observed, 0, 1))


def test_to_frame_gives_nullable_dtypes_where_values_are_missing() -> None:
    frame = pd.DataFrame(
        {"n": [0, 3, 5, 9, 2], "flag": [True, False, True, True, False], "w": [1500, 2500, 900, 4000, 3]}
    )
    encoder = TableEncoder.fit(frame)
    assert kinds(encoder) == {"n": "count", "flag": "binary", "w": "continuous"}
    values = encoder.values(frame)
    values[1] = np.nan
    back = encoder.to_frame(values)
    assert back.dtypes.astype(str).to_list() == ["Int64", "boolean", "Int64"]
    assert back["n"].tolist()[2:] == [5, 9, 2] and back["n"].isna().tolist() == [False, True, False, False, False]
    assert back["w"].tolist()[2:] == [900, 4000, 3]  # rounded back to the integers
    assert back["flag"][[0, 2, 3, 4]].tolist() == [True, True, True, False] and back["flag"].isna()[1]
    assert encoder.to_frame(encoder.values(frame)).dtypes.astype(str).to_list() == ["int64", "bool", "int64"]
    with pytest.raises(ValueError, match=r"level indices must be in 0\.\.1"):
        encoder.to_frame(np.array([[1.0, 2.0, 0.0]]))
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        encoder.to_frame(np.zeros((2, 4)))


def test_json_round_trip_is_identical() -> None:
    frame = pd.DataFrame(
        {
            "i": [1, 2, 3, 1, 2, 3] * 4,
            "f": [0.5, 1.5, 2.5, 3.5, 0.5, 1.5] * 4,
            "t": ["x", "y", "z", "x", "y", "x"] * 4,
            "b": [True, False] * 12,
            "c": pd.Categorical([10, 20, 30, 10, 20, 30] * 4),
            "x": np.linspace(-1, 1, 24),
        }
    )
    types = {"i": "categorical", "f": "categorical", "b": "categorical"}
    encoder = TableEncoder.fit(frame, column_types=types)
    text = json.dumps(encoder.to_json())
    again = TableEncoder.from_json(json.loads(text))
    assert again == encoder
    for a, b in zip(again.columns, encoder.columns):
        assert [type(v) for v in a.categories] == [type(v) for v in b.categories]
        assert type(a.center) is type(b.center) is float
    by_name = {s.name: s for s in again.columns}
    assert by_name["i"].categories == (1, 2, 3) and type(by_name["i"].categories[0]) is int
    assert [type(v) for v in by_name["f"].categories] == [float] * 4
    assert by_name["b"].categories == (False, True) and type(by_name["b"].categories[0]) is bool
    assert by_name["c"].categories == (10, 20, 30) and by_name["c"].dtype == "category"
    assert np.array_equal(again.encode(frame), encoder.encode(frame))
    assert again.to_frame(again.values(frame)).dtypes.to_dict() == frame.dtypes.to_dict()
    with pytest.raises(ValueError, match="not a saved table encoder"):
        TableEncoder.from_json({"columns": []})
    broken = json.loads(text)
    broken["columns"][0]["kind"] = "ordinal"
    with pytest.raises(ValueError, match="ordinal"):
        TableEncoder.from_json(broken)


# ---------------------------------------------------------------- the shared tables


def test_penguins() -> None:
    frame = shared_table("penguins.csv")
    encoder = TableEncoder.fit(frame, source="penguins.csv")
    assert kinds(encoder) == {
        "species": "categorical",
        "island": "categorical",
        "bill_length_mm": "continuous",
        "bill_depth_mm": "continuous",
        "flipper_length_mm": "continuous",  # whole mm, but 172..231: far from zero, not a count
        "body_mass_g": "continuous",
        "sex": "binary",
        "year": "categorical",  # 2007..2009: three values, 100+ rows each: ordered levels
    }
    assert encoder.columns[-2].categories == ("female", "male")
    assert encoder.columns[-1].ordered and encoder.columns[-1].categories == (2007, 2008, 2009)
    assert not any(spec.ordered for spec in encoder.columns[:-1])
    observed = encoder.observed(frame)
    assert observed.sum(axis=0).tolist() == [344, 344, 342, 342, 342, 342, 333, 344]
    back = encoder.to_frame(encoder.values(frame))
    assert back.dtypes.to_dict() == frame.dtypes.to_dict()
    assert_same_observed(frame, back, observed)
    bounds = dict(zip(encoder.names, encoder.bounds or []))
    assert [bounds[name].decimals for name in ("bill_length_mm", "flipper_length_mm", "year", "sex")] == [
        1,
        0,
        None,
        None,
    ]
    assert (bounds["body_mass_g"].low, bounds["body_mass_g"].high) == (2700.0, 6300.0)


def test_penguins_raw_refuses_its_identifier_and_date() -> None:
    frame = shared_table("penguins-raw.csv")
    with pytest.raises(
        DataFileError, match=r"^'penguins-raw\.csv': column 'Individual ID' looks like an identifier .*`id_column`"
    ):
        TableEncoder.fit(frame, source="penguins-raw.csv")
    with pytest.raises(DataFileError, match=r"column 'Date Egg' holds dates \(e\.g\. '2007-11-.*not modelled yet"):
        TableEncoder.fit(frame.drop(columns="Individual ID"))
    encoder = TableEncoder.fit(frame.drop(columns=["Individual ID", "Date Egg"]))
    found = kinds(encoder)
    assert found["Clutch Completion"] == found["Sex"] == "binary"
    assert found["Sample Number"] == "count"  # 1..152
    assert found["Comments"] == found["Species"] == found["Region"] == "categorical"
    assert found["Delta 15 N (o/oo)"] == found["Body Mass (g)"] == "continuous"
    assert {s.name: s.categories for s in encoder.columns}["Clutch Completion"] == ("No", "Yes")
    assert encoder.observed(frame)[:, encoder.names.index("Comments")].sum() == 54


def test_cars() -> None:
    frame = shared_table("cars.csv")
    with pytest.raises(
        DataFileError, match=r"column 'Name' looks like an identifier \(311 distinct values in 406 rows"
    ):
        TableEncoder.fit(frame)
    with pytest.raises(DataFileError, match=r"column 'Year' holds dates \(e\.g\. '19"):
        TableEncoder.fit(frame.drop(columns="Name"))
    with pytest.raises(DataFileError, match=r"column 'Name' has 311 levels, more than `max_categories` \(200\)"):
        TableEncoder.fit(frame.drop(columns="Year"), column_types={"Name": "categorical"})
    encoder = TableEncoder.fit(frame.drop(columns=["Name", "Year"]))
    assert kinds(encoder) == {
        "Miles_per_Gallon": "continuous",
        "Cylinders": "categorical",  # 3, 4, 5, 6 or 8: ordered levels
        "Displacement": "continuous",
        "Horsepower": "count",  # whole numbers 46..230
        "Weight_in_lbs": "continuous",
        "Acceleration": "continuous",
        "Origin": "categorical",
    }
    assert encoder.observed(frame).sum(axis=0).tolist() == [398, 406, 406, 400, 406, 406, 406]
    assert encoder.columns[1].ordered and encoder.columns[1].categories == (3, 4, 5, 6, 8)  # no car has 7
    counted = TableEncoder.fit(frame.drop(columns=["Name", "Year"]), few_levels=0)
    cylinders = (counted.bounds or [])[1]
    assert counted.columns[1].kind == "count"
    assert (cylinders.low, cylinders.high, cylinders.gaps) == (3.0, 8.0, ((6.0, 8.0),))


# ---------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([0, 1, 2, 5, 3], "count"),
        ([0, 10, COUNT_MAX], "count"),
        ([0, 10, COUNT_MAX + 1], "continuous"),  # grams, years: not counts
        ([2007, 2008, 2009], "continuous"),
        ([172, 200, 231], "continuous"),  # smallest above half the largest: a measurement
        ([-1, 0, 3], "continuous"),
        ([0.5, 1, 2], "continuous"),
        ([1, 2, 1], "binary"),
        ([0.0, 1.0, np.nan], "binary"),
        ([7, 7, 7], "continuous"),
    ],
)
def test_numeric_rules(values: list, kind: str) -> None:
    assert TableEncoder.fit(pd.DataFrame({"v": values})).columns[0].kind == kind


def test_constant_columns_keep_scale_one() -> None:
    frame = pd.DataFrame({"a": [3.0, 3.0, 3.0], "b": [1e6, 1e6 + 1e-6, 1e6 + 2e-6], "c": [1e-9, 2e-9, 4e-9]})
    encoder = TableEncoder.fit(frame)
    assert [(s.center, s.scale) for s in encoder.columns[:2]] == [(3.0, 1.0), (pytest.approx(1e6), 1.0)]
    assert encoder.columns[2].scale == pytest.approx(frame["c"].std(ddof=0))  # small, but not constant


def test_text_columns_that_mix_numbers_are_categorical_without_a_note() -> None:
    frame = pd.DataFrame({"m": ["1", "2", "x", "2", "y"], "p": pd.Series([1, 2, "z", 1, 2], dtype=object)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a code such as 4/f/r is a category, nothing to say
        encoder = TableEncoder.fit(frame)
    assert issubclass(TableValueWarning, DataNoteWarning)
    assert [(s.kind, s.categories) for s in encoder.columns] == [
        ("categorical", ("1", "2", "x", "y")),
        ("categorical", (1, 2, "z")),
    ]
    back = encoder.to_frame(encoder.values(frame))
    assert back["p"].tolist() == [1, 2, "z", 1, 2]
    with pytest.raises(
        DataFileError, match=r"^column 'm' was given as continuous \(`column_types`\) but holds text such as 'x', 'y'"
    ):
        TableEncoder.fit(frame, column_types={"m": "numeric"})
    with pytest.raises(
        DataFileError, match=r"column 'p' was given as count \(`column_types`\) but holds text such as 'z'"
    ):
        TableEncoder.fit(frame, column_types={"p": "count", "m": "categorical"})
    with pytest.warns(TableValueWarning, match=r"column 'n' holds numbers written as text; .*\(give it as continuous"):
        TableEncoder.fit(pd.DataFrame({"n": pd.Series(["1", "2.5", "3"], dtype=object)}))


def test_column_types_override() -> None:
    frame = pd.DataFrame(
        {"year": [2007, 2008, 2009, 2008], "n": [1, 2, 3, 4], "s": ["1.5", "2", "", "4"], "k": [0, 1, 0, 1]}
    )
    encoder = TableEncoder.fit(
        frame, column_types={"year": "categorical", "n": "numeric", "s": "continuous", "k": "count"}
    )
    assert [(s.kind, s.dtype) for s in encoder.columns] == [
        ("categorical", "int64"),
        ("continuous", "int64"),
        ("continuous", "float64"),
        ("count", "int64"),
    ]
    assert encoder.columns[0].categories == (2007, 2008, 2009)
    assert np.isnan(encoder.values(frame)[2, 2])
    with pytest.raises(DataFileError, match=r"column 'Year', given as \w+ \(`column_types`\), is not a column"):
        TableEncoder.fit(frame, column_types={"Year": "count"})
    with pytest.raises(DataFileError, match=r"gives column 'n' the kind 'ordinal'; the kinds are continuous, count"):
        TableEncoder.fit(frame, column_types={"n": "ordinal"})
    with pytest.raises(
        DataFileError, match=r"column 'n' was given as binary \(`column_types`\) but has 4 distinct values"
    ):
        TableEncoder.fit(frame, column_types={"n": "binary"})
    with pytest.raises(
        DataFileError,
        match=r"column 'v' was given as count \(`column_types`\) but holds -1\.0, 2\.5; a count is a whole",
    ):
        TableEncoder.fit(pd.DataFrame({"v": [-1.0, 2.5, 3.0]}), column_types={"v": "count"})


def test_refusals_name_the_column() -> None:
    with pytest.raises(DataFileError, match=r"^'t\.csv': column 'gap' is entirely missing \(3 rows\); drop it$"):
        TableEncoder.fit(pd.DataFrame({"a": [1.0, 2.0, 3.0], "gap": [None, "", np.nan]}), source="t.csv")
    with pytest.raises(DataFileError, match=r"duplicate column names: 'a'; give each column its own name"):
        TableEncoder.fit(pd.DataFrame([[1, 2, 3]], columns=["a", "b", "a"]))
    with pytest.raises(DataFileError, match=r"the table is empty \(0 rows, 1 columns\)"):
        TableEncoder.fit(pd.DataFrame({"a": []}))
    with pytest.raises(DataFileError, match=r"the table is empty"):
        TableEncoder.fit(pd.DataFrame(index=range(3)))
    when = pd.DataFrame({"t": pd.date_range("2020-01-01", periods=3), "u": ["3/1/2020", "3/2/2020", "x"]})
    with pytest.raises(
        DataFileError,
        match=r"column 't' holds dates or times \(datetime64.*drop it, or give it as `id_column` or `label`",
    ):
        TableEncoder.fit(when)
    assert TableEncoder.fit(when[["u"]]).columns[0].kind == "categorical"  # 2 of 3 dates: not nearly all
    with pytest.raises(DataFileError, match=r"column 'u' holds dates \(e\.g\. '"):
        TableEncoder.fit(when[["u"]].iloc[:2].assign(u=["3/1/2020", "30 Nov 2007"]))
    ids = pd.DataFrame({"id": [f"P{i}" for i in range(21)] * 2 + ["Q1"]})
    with pytest.raises(DataFileError, match=r"column 'id' looks like an identifier \(22 distinct values in 43 rows"):
        TableEncoder.fit(ids)
    assert TableEncoder.fit(ids.iloc[:-1]).columns[0].kind == "categorical"  # 21 levels in 42 rows: 2 each
    assert len(TableEncoder.fit(ids, column_types={"id": "categorical"}).columns[0].categories) == 22


def test_too_many_levels_names_the_count_and_max_categories() -> None:
    frame = pd.DataFrame({"c": list("abcdefg") * 10})
    with pytest.raises(
        DataFileError, match=r"^column 'c' has 7 levels, more than `max_categories` \(5\); raise `max_categories`"
    ):
        TableEncoder.fit(frame, max_categories=5)
    assert len(TableEncoder.fit(frame, max_categories=7).columns[0].categories) == 7
    with pytest.raises(ValueError, match="max_categories must be a positive integer"):
        TableEncoder.fit(frame, max_categories=0)


# ---------------------------------------------------------------- encoding new data


def test_unseen_levels_and_bad_numbers_are_missing_with_a_note() -> None:
    train = pd.DataFrame({"c": ["a", "b", "c", "a"], "x": [1.5, 2.0, 3.0, 3.5], "k": [0, 1, 2, 5]})
    encoder = TableEncoder.fit(train)
    new = pd.DataFrame(
        {
            "k": pd.Series([1, -2, 2.5, 3, 4, 0, 1], dtype=float),
            "extra": range(7),
            "c": ["a", "d", "e", "f", "g", "h", "i"],
            "x": pd.Series(["1.5", "abc", "", None, "2", "inf", "3"], dtype=object),
        }
    )
    with pytest.warns(TableValueWarning) as caught:
        encoded = encoder.encode(new)
    messages = [str(w.message) for w in caught]
    assert {w.filename for w in caught} == {__file__}
    assert (
        "column 'c': values not seen in training are treated as missing (6 distinct values: 'd', 'e', 'f', 'g', 'h', ... (6 in all))"
        in messages
    )
    assert "column 'x': values that are not numbers are treated as missing (1 distinct value: 'abc')" in messages
    assert any(m.startswith("column 'x': values that are not finite") for m in messages)
    assert "column 'k': negative or fractional counts are treated as missing (2 distinct values: -2.0, 2.5)" in messages
    values, observed = encoder.targets(encoded)
    assert observed.tolist() == [
        [True, True, True],
        [False, False, False],
        [False, False, False],
        [False, False, True],
        [False, True, True],
        [False, False, True],
        [False, True, True],
    ]
    assert np.array_equal(observed, encoder.observed(new))
    x = train["x"].to_numpy()
    assert values[0, 0] == 0 and values[[0, 4, 6], 1] == pytest.approx(
        (np.array([1.5, 2, 3]) - x.mean()) / x.std(), abs=1e-6
    )
    assert values[[0, 3, 4, 5, 6], 2].tolist() == [1, 3, 4, 0, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder.observed(new)  # quiet: encode gives the notes


def test_missing_column_is_an_error() -> None:
    encoder = TableEncoder.fit(pd.DataFrame({"a": [1.0, 2.0, 4.5], "b": ["x", "y", "x"]}))
    with pytest.raises(DataFileError, match=r"^column 'b' is missing from the table \(it has 'a', 'c'\)"):
        encoder.encode(pd.DataFrame({"a": [1.0], "c": [2]}))
    with pytest.raises(DataFileError, match=r"^columns 'a', 'b' are missing from the table"):
        encoder.observed(pd.DataFrame({"c": [2]}))
    assert kinds(encoder) == {"a": "continuous", "b": "binary"}
    assert encoder.encode(pd.DataFrame({"b": ["y"], "a": [np.nan]})).tolist() == [[0.0, 0.0, 1.0, 1.0]]
    assert encoder.encode(pd.DataFrame({"a": [], "b": []})).shape == (0, 4)


def test_column_spec_checks_itself() -> None:
    assert ColumnSpec("a", "count", center=1.0, scale=0.5).kind == "count"
    with pytest.raises(ValueError, match="a binary column cannot have 3 categories"):
        ColumnSpec("a", "binary", ("x", "y", "z"))
    with pytest.raises(ValueError, match="kind 'ordinal' is not one of"):
        ColumnSpec("a", "ordinal")
    with pytest.raises(ValueError, match="scale > 0"):
        ColumnSpec("a", "continuous", scale=0.0)
