"""impute on the tables users have (issue 23): only the empty cells filled, everything else as given.

A user diffs the imputed table against their own: every non-empty cell unchanged,
rows, order, index, columns and dtypes kept, no gap left in a column the model knows.
Each case below is one kind of table that broke ``impute`` (a raw pandas error, a
cast before the fill, a lost column or category), checked by that diff.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from conftest import TINY, CliRun
from vaekit import VAE
from vaekit.data.table.kinds import TableValueWarning

QUICK = {"epochs": 3, "hidden": (16,), "verbose": 0, "random_state": 0}


def table(n: int = 80, seed: int = 0) -> pd.DataFrame:
    """A complete table of every column kind: float, int count, int measure, category, bool, text, Int64."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "f": rng.normal(size=n),
            "i": rng.integers(0, 10, size=n),
            "big": rng.integers(100, 5000, size=n),
            "c": pd.Categorical(rng.choice(["a", "b", "c"], size=n), categories=["c", "a", "b", "unused"]),
            "b": rng.random(n) > 0.5,
            "s": rng.choice(["x", "y", "z"], size=n),
            "ni": pd.array(rng.integers(0, 5, size=n), dtype="Int64"),
        },
        index=pd.Index(rng.permutation(10 * n)[:n], name="key"),  # not 0..n-1: rows are matched by position
    )


@pytest.fixture(scope="module")
def model() -> VAE:
    return VAE(**QUICK).fit(table())


def _gap(frame: pd.DataFrame, row: int, column: str) -> pd.DataFrame:
    frame = frame.copy()
    if frame[column].dtype.kind in "iub":  # a gap turns a NumPy int or bool column into float or object
        frame[column] = frame[column].astype("float64" if frame[column].dtype.kind != "b" else object)
    frame.iloc[row, frame.columns.get_loc(column)] = None
    return frame


def _text(frame: pd.DataFrame, row: int, column: str, value: str) -> pd.DataFrame:
    frame = frame.astype({column: object})
    frame.iloc[row, frame.columns.get_loc(column)] = value
    return frame


def _all_missing(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype(object)
    frame.iloc[2, :] = None
    return frame


def _extra(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _gap(frame, 0, "f")
    frame.insert(2, "note", [f"n{i}" for i in range(len(frame))])
    return frame


CASES: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "gap in an int column with no gaps in training": lambda t: _gap(_gap(t, 0, "i"), 1, "big"),
    "gap in a nullable Int64 column": lambda t: _gap(t, 0, "ni"),
    "gap in an int column given as Int64": lambda t: _gap(t.astype({"i": "Int64"}), 0, "i"),
    "gap in a category column": lambda t: _gap(t, 0, "c"),
    "category column with other categories": lambda t: _gap(
        t.astype({"c": pd.CategoricalDtype(["a", "b", "c"])}), 0, "c"
    ),
    "gap in a yes/no column": lambda t: _gap(t, 0, "b"),
    "gap in a nullable boolean column": lambda t: _gap(t.astype({"b": "boolean"}), 0, "b"),
    "gap in a text column": lambda t: _gap(t, 0, "s"),
    "text in a number column": lambda t: _gap(_text(t, 0, "f", "abc"), 1, "f"),
    "text in a count column": lambda t: _gap(_text(t, 0, "i", "abc"), 1, "big"),
    "thousands separators in a number column": lambda t: _gap(_text(t, 0, "f", "39,100.0"), 1, "f"),
    "a level not seen in training": lambda t: _gap(_text(t, 0, "s", "new"), 1, "s"),
    "a row with every entry missing": _all_missing,
    "an extra column": _extra,
    "columns in another order": lambda t: _gap(t[["s", "f", "ni", "i", "big", "c", "b"]], 0, "f"),
}


@pytest.mark.parametrize("case", CASES)
def test_impute_fills_the_gaps_and_keeps_everything_else(model: VAE, case: str) -> None:
    X = CASES[case](table())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TableValueWarning)  # the notes on values read as missing
        out = model.impute(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(X.columns)
    assert out.index.equals(X.index)
    for name in X.columns:
        given, got = X[name], out[name]
        assert got.dtype == given.dtype, f"{case}: column {name} came back {got.dtype}, given {given.dtype}"
        if isinstance(given.dtype, pd.CategoricalDtype):
            assert list(got.cat.categories[: len(given.cat.categories)]) == list(given.cat.categories)
        observed = given.notna().to_numpy()
        assert got[observed].tolist() == given[observed].tolist(), f"{case}: column {name} changed a cell"
        if name in model.table_.names:
            assert not got.isna().any(), f"{case}: column {name} keeps a gap"
    whole = {"i", "big", "ni"} & set(X.columns)
    for name in whole:  # counts and whole-number measures get whole numbers
        values = pd.to_numeric(out[name], errors="coerce").dropna().to_numpy(dtype=np.float64)  # 'abc' is kept
        np.testing.assert_array_equal(values, np.round(values))


def test_text_in_a_number_column_is_named_once_and_kept(model: VAE) -> None:
    X = _gap(_text(table(), 0, "f", "abc"), 1, "f")
    with pytest.warns(
        TableValueWarning, match=r"column 'f': values that are not numbers .*1 distinct value: 'abc'"
    ) as caught:
        out = model.impute(X)
    assert len(caught) == 1
    assert out["f"].iloc[0] == "abc" and isinstance(out["f"].iloc[1], float)


def test_thousands_separators_are_read_as_the_number(model: VAE) -> None:
    X = table()
    written = _text(X, 0, "f", "39,100.0")
    np.testing.assert_allclose(
        model.transform(written), model.transform(X.assign(f=X["f"].where(X.index != X.index[0], 39100.0)))
    )


@pytest.mark.parametrize("as_rows", [False, True], ids=["object array", "list of rows"])
def test_an_object_array_is_imputed_as_a_table_of_its_values(model: VAE, as_rows: bool) -> None:
    X = _gap(table(), 0, "f").to_numpy(dtype=object)
    out = model.impute(X.tolist() if as_rows else X)
    assert isinstance(out, np.ndarray) and out.shape == X.shape
    assert isinstance(out[0, 0], float) and not np.isnan(out[0, 0])
    assert out[1:].tolist() == X[1:].tolist()


def test_a_numeric_array_gives_a_float_array() -> None:
    A = np.random.default_rng(0).normal(size=(60, 3))
    A[0, 0] = np.nan
    model = VAE(**QUICK).fit(A)
    B = A.copy()
    B[1, 1] = np.nan
    out = model.impute(B)
    assert out.dtype == np.float64 and not np.isnan(out).any()
    np.testing.assert_array_equal(out[~np.isnan(B)], B[~np.isnan(B)])


def test_impute_before_fit_says_the_model_is_not_fitted() -> None:
    with pytest.raises(NotFittedError, match=r"This VAE instance is not fitted yet\. Call 'fit'"):
        VAE().impute(table())


def _cells(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_vaekit_impute_keeps_every_cell_and_column_as_written(cli: CliRun, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 60
    frame = pd.DataFrame(
        {
            "name": [f"0{i:03d}" for i in range(n)],  # an id with leading zeros
            "length": np.round(rng.normal(10, 2, size=n), 1),
            "group": rng.choice(["p", "q"], size=n),  # the label, between two features
            "eggs": rng.integers(0, 6, size=n),
            "mass": rng.integers(3000, 6000, size=n),  # whole numbers, far from zero: continuous
            "kind": rng.choice(["small", "mid", "large"], size=n),
        }
    )
    frame.loc[[3, 7], "length"] = np.nan
    train_csv = tmp_path / "train.csv"
    frame.to_csv(train_csv, index=False)
    run = tmp_path / "run"
    cli("train", train_csv, "--id", "name", "--label", "group", "--out", run, *TINY)
    lines = train_csv.read_text().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    rows[0][header.index("eggs")] = ""  # a gap in a count column that had none in training
    rows[1][header.index("length")] = "abc"  # text in a number column: a gap, named in a note (issue 25)
    rows[2][header.index("mass")] = '"4,100.0"'  # thousands separators: a number, kept as written
    rows[4][header.index("kind")] = ""
    header.insert(3, "comment")  # a column the model does not know, in the middle
    for i, row in enumerate(rows):
        row.insert(3, f"{i:05d}")
    data = tmp_path / "data.csv"
    data.write_text("\n".join([",".join(header)] + [",".join(row) for row in rows]) + "\n")
    out = tmp_path / "filled.csv"
    result = cli("impute", run, data, "-o", out)
    assert result.stderr.count("note:") == 1 and "'abc' (line 3)" in result.stderr
    assert "filled 5 missing entries in 60 rows" in result.stdout  # length twice, eggs, kind, 'abc': not 4,100.0
    given, got = _cells(data), _cells(out)
    assert list(got.columns) == list(given.columns)
    assert len(got) == len(given)
    empty = given == ""
    empty.loc[1, "length"] = True  # the cell the note named as a gap
    assert ((got == given) | empty).all().all(), "a non-empty cell changed"
    assert ((got != "") | ~empty).all().all(), "a gap is left"
    assert got.loc[0, "eggs"].isdigit()  # a whole number
    assert float(got.loc[1, "length"]) > 0 and got.loc[2, "mass"] == "4,100.0" and got.loc[0, "name"] == "0000"


def test_vaekit_impute_keeps_a_pandas_row_index_and_a_trailing_separator(cli: CliRun, tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"a": rng.normal(size=40).round(2), "k": rng.choice(["u", "v", "w"], size=40)})
    frame.loc[[1, 5], "a"] = np.nan
    data = tmp_path / "indexed.csv"
    frame.to_csv(data)  # pandas' default: a first column without a name, holding 0..n-1
    run = tmp_path / "run"
    cli("train", data, "--out", run, *TINY)
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("".join(line + ",\n" for line in data.read_text().splitlines()))
    for given in (data, trailing):
        out = tmp_path / f"filled-{given.name}"
        cli("impute", run, given, "-o", out)
        written, got = given.read_text().splitlines(), out.read_text().splitlines()
        assert got[0] == written[0] and len(got) == len(written)
        changed = [i for i, (a, b) in enumerate(zip(written, got)) if a != b]
        assert changed == [2, 6]  # the rows with a gap, and only their gap
        assert got[2].split(",")[2] != "" and got[2].split(",")[::2] == written[2].split(",")[::2]


@pytest.mark.parametrize(("sep", "decimal"), [(";", ","), ("\t", "."), ("|", ".")])
def test_vaekit_impute_writes_back_in_the_files_own_dialect(
    sep: str, decimal: str, cli: CliRun, tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(size=40).round(2), "b": rng.normal(size=40).round(1), "k": ["u", "v"] * 20})
    frame.loc[[2, 9], "a"] = np.nan
    frame.loc[5, "k"] = np.nan
    data = tmp_path / "data.csv"
    frame.to_csv(data, sep=sep, decimal=decimal, index=False)
    run = tmp_path / "run"
    cli("train", data, "--out", run, *TINY)
    out = tmp_path / "filled.csv"
    cli("impute", run, data, "-o", out)
    given = [line.split(sep) for line in data.read_text().splitlines()]
    got = [line.split(sep) for line in out.read_text().splitlines()]
    assert [len(row) for row in got] == [len(row) for row in given]  # the same separator, the same fields
    for row_given, row_got in zip(given, got):
        for a, b in zip(row_given, row_got):
            assert b == a if a != "" else b != ""
    filled = got[3][0]  # row 2 of the data
    assert decimal in filled or filled.lstrip("-").isdigit(), filled
    if decimal == ",":
        assert "." not in filled


def test_each_round_encodes_the_row_with_its_gaps_filled_and_its_observed_entries_as_given(
    model: VAE, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from vaekit.estimators._table import _weighted_point

    X = _gap(_gap(table(), 0, "f"), 1, "c")
    x = torch.as_tensor(model._check_X(X)[:4])  # (4, n_encoded)
    net = model.model_
    seen: list[torch.Tensor] = []
    encode = net.encode
    monkeypatch.setattr(net, "encode", lambda x_in, c: seen.append(x_in.clone()) or encode(x_in, c))
    with torch.no_grad():
        point = _weighted_point(net, x, None, torch.Generator().manual_seed(0), samples=16, rounds=3)
    assert len(seen) == 3 and point.shape == (4, len(model.table_.columns))
    assert torch.equal(seen[0], x)
    indicators = [column.observed_at for column in net.table_head.layout]
    gap = (1.0 - x[:, indicators]) @ net.column_positions  # (4, n_encoded): 1 at every position of a gap
    assert gap[0].sum() > 0 and gap[1].sum() > 0 and gap[2:].sum() == 0
    for later in seen[1:]:
        torch.testing.assert_close(later[gap == 0], x[gap == 0])  # observed entries exactly as given
        assert torch.all(later[:, indicators] == 1.0)  # every gap now reads as observed
        assert torch.all(later[gap == 1] != 0)  # and holds an expected value


@pytest.mark.parametrize("rounds", [1, 3])
def test_a_hidden_copy_of_an_observed_number_is_imputed_close_to_it(rounds: int) -> None:
    from vaekit.estimators import _table

    rng = np.random.default_rng(0)
    a = rng.normal(size=300)
    frame = pd.DataFrame({"a": a, "b": a + 0.05 * rng.normal(size=300), "k": np.where(a > 0, "up", "down")})
    model = VAE(latent_dim=2, epochs=150, hidden=(32,), verbose=0, random_state=0).fit(frame)
    gaps = frame.copy()
    gaps.loc[:39, "b"] = np.nan
    gaps.loc[40:79, "k"] = None
    previous = _table.IMPUTE_ROUNDS
    _table.IMPUTE_ROUNDS = rounds
    try:
        out = model.impute(gaps)
    finally:
        _table.IMPUTE_ROUNDS = previous
    error = out.loc[:39, "b"].to_numpy(dtype=float) - frame.loc[:39, "b"].to_numpy()
    assert np.sqrt(np.mean(error**2)) < 0.5 * frame["b"].std()  # the column's mean would score 1
    assert (out.loc[40:79, "k"] == frame.loc[40:79, "k"]).mean() > 0.85


def test_rows_are_imputed_in_chunks_whose_draws_fit_the_budget(model: VAE, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from vaekit.estimators import _table

    X = _gap(table(), 0, "f")
    x = torch.as_tensor(model._check_X(X))  # (80, n_encoded)
    net = model.model_
    shapes: list[tuple[int, ...]] = []
    decode = net.decode
    monkeypatch.setattr(net, "decode", lambda z, c: shapes.append(tuple(z.shape)) or decode(z, c))
    monkeypatch.setattr(_table, "IMPUTE_ELEMENTS", 50 * 20 * x.shape[1])  # 20 rows at K = 50
    with torch.no_grad():
        point = _table._weighted_point(net, x, None, torch.Generator().manual_seed(0), samples=50)
    assert point.shape == (80, len(model.table_.columns)) and torch.isfinite(point).all()
    assert [s[:2] for s in shapes] == [(50, 20)] * 4


def test_a_long_table_gets_fewer_draws_per_row_and_never_under_the_floor() -> None:
    from vaekit.estimators._table import IMPUTE_DRAWS, IMPUTE_MIN_SAMPLES, IMPUTE_SAMPLES, impute_samples

    assert impute_samples(300) == IMPUTE_SAMPLES
    assert impute_samples(IMPUTE_DRAWS // 500) == 500
    assert impute_samples(10 * IMPUTE_DRAWS) == IMPUTE_MIN_SAMPLES
    assert all(n * impute_samples(n) <= IMPUTE_DRAWS for n in (1000, 2000, 5000, 10_000))
