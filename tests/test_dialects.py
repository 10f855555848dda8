"""Tests of CSV dialects: a pandas index column, the separator, decimal commas, field counts.

The library's messages name parameters in backticks (`sep`); the command line shows
its flags (--sep) instead. Notes about how a file was read are DataNoteWarnings,
which the command line prints as "vaekit CMD: note: ...".
"""

from __future__ import annotations

import gzip
import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import Result

from vaekit.data.dialect import check_dialect, detect_decimal, sniff_separator
from vaekit.data.loaded import DataNoteWarning
from vaekit.data.read import DataFileError, LoadedData, read_data

CliRun = Callable[..., Result]  # the `cli` fixture of conftest.py: cli(*args, ok=True) -> Result
TINY = ("--epochs", "2", "--hidden", "16", "--quiet")  # as the session runs of conftest.py

FRAME = pd.DataFrame({"a": [1.5, 2.5, 3.5, 4.5], "b": [10, 20, 30, 40], "c": [-1.0, 0.0, 1.0, 2.0]})


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _read_quietly(path: Path, **options: object) -> LoadedData:
    """read_data, failing the test if it gives a note."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataNoteWarning)
        return read_data(path, **options)


def _stderr_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


# ---------------------------------------------------------------- the index pandas writes


def test_pandas_index_column_is_the_row_id_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    FRAME.to_csv(path)  # pandas' default: the index as an unnamed first column
    assert path.read_text().startswith(",a,b,c\n0,")
    with pytest.warns(DataNoteWarning) as notes:
        data = read_data(path)
    assert data.feature_names == ["a", "b", "c"] and data.ids.tolist() == [0, 1, 2, 3] and data.id_name is None
    np.testing.assert_array_equal(data.X, FRAME.to_numpy(np.float32))
    (note,) = [str(n.message) for n in notes]
    assert "t.csv" in note and "first column (no name)" in note and "0, 1, ..., 3" in note and "row id" in note
    assert "`keep_ids`" in note and "\n" not in note
    kept = _read_quietly(path, keep_ids=True)
    assert kept.feature_names == ["Unnamed: 0", "a", "b", "c"] and kept.ids is None


@pytest.mark.parametrize(
    "index",
    [
        pd.Index([5, 6, 7, 8]),  # unnamed, not 0..n-1: R's row names of some rows
        pd.Index([1, 0, 2, 3]),  # unnamed, 0..n-1 but not in order: a shuffled frame's index
        pd.Index([12, 3, 7, 40]),  # unnamed, distinct whole numbers
        pd.Index(["ford", "fiat", "audi", "bmw"]),  # unnamed, distinct names: R's row names
        pd.RangeIndex(4, name="rownames"),  # R's name for them (Rdatasets)
    ],
    ids=["other-values", "not-in-order", "distinct", "names", "rownames"],
)
def test_first_columns_that_name_the_rows_are_the_row_id(tmp_path: Path, index: pd.Index) -> None:
    path = tmp_path / "t.csv"
    FRAME.set_axis(index).to_csv(path)
    with pytest.warns(DataNoteWarning, match="it is the row id, not a feature"):
        data = read_data(path)
    assert data.feature_names == ["a", "b", "c"] and data.ids.tolist() == index.tolist()


@pytest.mark.parametrize(
    "index",
    [
        pd.RangeIndex(4, name="row"),  # named, and too few rows to tell a row number by its values
        pd.Index([0.0, 1.0, 2.0, 3.0]),  # unnamed, but not integers
        pd.Index([1, 1, 2, 3]),  # unnamed, but not distinct
    ],
    ids=["named", "floats", "repeated"],
)
def test_other_first_columns_are_kept(tmp_path: Path, index: pd.Index) -> None:
    path = tmp_path / "t.csv"
    FRAME.set_axis(index).to_csv(path)
    data = _read_quietly(path)
    first = "row" if index.name else "Unnamed: 0"
    assert data.feature_names == [first, "a", "b", "c"]
    np.testing.assert_array_equal(data.X[:, 0], index.to_numpy(np.float32))


def test_index_column_named_by_the_user_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    FRAME.to_csv(path)
    data = _read_quietly(path, id_column="Unnamed: 0")
    assert data.ids.tolist() == [0, 1, 2, 3] and data.feature_names == ["a", "b", "c"]
    assert _read_quietly(path, columns="Unnamed: 0,a").feature_names == ["Unnamed: 0", "a"]


def test_only_column_is_never_dropped(tmp_path: Path) -> None:
    pq.write_table(pa.table({"__index_level_0__": [0, 1, 2]}), tmp_path / "t.parquet")
    assert _read_quietly(tmp_path / "t.parquet").X.tolist() == [[0], [1], [2]]


def test_parquet_index_level_column_is_dropped_with_a_note(tmp_path: Path) -> None:
    # an unnamed pandas index whose pandas metadata was lost (e.g. rewritten by another tool)
    table = pa.table({"a": [1.5, 2.5, 3.5], "__index_level_0__": [0, 1, 2]})
    pq.write_table(table, tmp_path / "t.parquet")
    with pytest.warns(DataNoteWarning, match=r"'__index_level_0__' holds row numbers \(0, 1, \.\.\., 2\)"):
        data = read_data(tmp_path / "t.parquet")
    assert data.feature_names == ["a"] and data.X.tolist() == [[1.5], [2.5], [3.5]]
    pq.write_table(pa.table({"a": [1.5, 2.5, 3.5], "__index_level_0__": [3, 4, 3]}), tmp_path / "kept.parquet")
    assert _read_quietly(tmp_path / "kept.parquet").feature_names == ["a", "__index_level_0__"]


def test_parquet_of_a_frame_read_from_an_indexed_csv(tmp_path: Path) -> None:
    FRAME.to_csv(tmp_path / "t.csv")
    pd.read_csv(tmp_path / "t.csv").to_parquet(tmp_path / "t.parquet")  # "Unnamed: 0" is now a real column
    with pytest.warns(DataNoteWarning, match=r"first column \(no name\) holds row numbers"):
        assert read_data(tmp_path / "t.parquet").feature_names == ["a", "b", "c"]


def test_cars_csv_has_no_index_column() -> None:
    path = Path(__file__).parents[1] / ".." / "shared" / "datasets" / "tables" / "cars.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared datasets folder)")
    columns = "Cylinders,Displacement,Weight_in_lbs,Acceleration"  # Miles_per_Gallon and Horsepower have gaps
    data = _read_quietly(path, columns=columns, id_column="Name", label="Origin")
    assert (
        data.X.shape == (406, 4) and data.feature_names[0] == "Cylinders" and data.ids[0] == "chevrolet chevelle malibu"
    )


# ---------------------------------------------------------------- separator and decimal mark

EUROPEAN = "Name;Gewicht;Preis\nApfel;0,25;1,99\nBirne;0,3;2,5\nKiwi;0,08;0,49\n"
"""A European spreadsheet export: ';' between fields, ',' before decimals."""


@pytest.mark.parametrize("name", ["eu.csv", "eu.txt", "eu.csv.gz"])
def test_semicolons_and_decimal_commas_are_detected(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(EUROPEAN.encode()))
    else:
        _write(path, EUROPEAN)
    data = _read_quietly(path, id_column="Name")
    assert data.feature_names == ["Gewicht", "Preis"] and data.ids.tolist() == ["Apfel", "Birne", "Kiwi"]
    np.testing.assert_allclose(data.X, [[0.25, 1.99], [0.3, 2.5], [0.08, 0.49]], rtol=1e-6)


def test_headerless_semicolons_with_decimal_commas(tmp_path: Path) -> None:
    # every line has as many commas as semicolons: the split whose fields are numbers wins
    data = read_data(_write(tmp_path / "eu.csv", "1,5;2,5\n3,5;4,5\n"))
    assert data.feature_names == ["x0", "x1"] and data.X.tolist() == [[1.5, 2.5], [3.5, 4.5]]
    labelled = read_data(_write(tmp_path / "l.csv", "cat;1,5\ndog;2,5\n"), label="0")
    assert labelled.labels.tolist() == ["cat", "dog"] and labelled.X.tolist() == [[1.5], [2.5]]


@pytest.mark.parametrize("text", ["a;b\n1;2\n3;4\n", "a|b\n1|2\n3|4\n", "a\tb\n1\t2\n3\t4\n"])
def test_csv_separator_is_sniffed(tmp_path: Path, text: str) -> None:
    data = read_data(_write(tmp_path / "t.csv", text))
    assert data.feature_names == ["a", "b"] and data.X.tolist() == [[1, 2], [3, 4]]


def test_csv_prefers_commas_and_never_splits_at_spaces(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", "full name,x\nford torino,1.5\namc rebel,2.5\n")
    assert sniff_separator(path, csv_file=True) == ","
    one = _write(tmp_path / "one.csv", "full name\nford torino\namc rebel\n")
    assert sniff_separator(one, csv_file=True) == ","


def test_points_beside_commas_are_not_taken_for_decimal_commas() -> None:
    assert detect_decimal([["a", "b"], ["1,5", "2.5"]], ";") == "."
    assert detect_decimal([["a", "b"], ["1,5", "2"]], ";") == ","
    assert detect_decimal([["a", "b"], ["1,5", "2"]], "\t") == "."  # only beside ';'
    assert detect_decimal([["name", "x"], ["Smith, J", "2"]], ";") == "."  # text with a comma


def test_sep_and_decimal_options(tmp_path: Path) -> None:
    tabbed = _write(tmp_path / "t.txt", "a\tb\n1,5\t2\n2,5\t3\n")  # decimal commas beside tabs: not detected
    with pytest.raises(DataFileError, match="set `decimal` to ','"):
        read_data(tabbed).numeric()
    for sep in (None, "\t", "tab", "\\t"):
        assert read_data(tabbed, sep=sep, decimal=",").X.tolist() == [[1.5, 2], [2.5, 3]]
    # a given decimal comma is never the separator, even in a .csv
    assert read_data(_write(tmp_path / "e.csv", "a;b\n1,5;2\n"), decimal=",").X.tolist() == [[1.5, 2]]
    spaced = _write(tmp_path / "s.csv", "a  b\n1  2\n")
    assert read_data(spaced, sep="whitespace").X.tolist() == [[1, 2]]
    with pytest.raises(
        DataFileError,
        match=r"s.csv', line 2, column 'a  b': non-numeric value '1;2' \(is the separator ';'\? set `sep`\)",
    ):
        read_data(_write(tmp_path / "s.csv", "a  b\n1;2\n"), sep=",").numeric()


@pytest.mark.parametrize(
    ("sep", "decimal", "message"),
    [
        (";;", None, "`sep` ';;' must be one character"),
        ('"', None, "must be one character"),
        (None, ";", "`decimal` ';' must be '.' or ','"),
        (",", ",", "`sep` and `decimal` are both ','"),
    ],
)
def test_bad_sep_or_decimal(sep: str | None, decimal: str | None, message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        check_dialect(sep, decimal, source="t.csv")


def test_sep_and_decimal_do_not_apply_to_other_files(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones((3, 2), np.float32))
    with pytest.raises(DataFileError, match="`decimal` does not apply to .npy files; it is for text tables"):
        read_data(tmp_path / "x.npy", decimal=",")


# ---------------------------------------------------------------- rows with too many fields


def test_field_count_error_names_quotes_as_the_likely_cause(tmp_path: Path) -> None:
    text = "a,b,c,d\n" + "1,2,3,4\n" * 5 + "1,2,3,4,5\n"
    with pytest.raises(DataFileError) as info:
        read_data(_write(tmp_path / "r.csv", text))
    assert str(info.value).endswith(
        "r.csv', line 7: 5 fields, but line 1 has 4: a value contains the separator ',' without quotes "
        "(put quotes around it)"
    )


def test_field_count_error_names_another_separator(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", "name;x\nford;1\nSmith, J;2\n")
    with pytest.raises(DataFileError) as info:
        read_data(path, sep=",")
    message = str(info.value)
    assert "line 3: 2 fields, but line 1 has 1: the separator is ';' (try `sep`)" in message
    assert message.endswith("or a value contains the separator ',' without quotes (put quotes around it)")
    assert read_data(path, label="name").labels.tolist() == ["ford", "Smith, J"]  # detected, it reads


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        ("Exported 2024-01-01\na,b\n1,2\n", "line 1 is a title or note above the column names"),
        ("a,b\nr1,1,2\nr2,3,4\nr3,5,6\n", "line 1 has no name for the first column (row names"),
    ],
    ids=["title-line", "row-names"],
)
def test_field_count_error_other_causes(tmp_path: Path, text: str, cause: str) -> None:
    with pytest.raises(DataFileError, match="line 2: .* fields, but line 1 has") as info:
        read_data(_write(tmp_path / "r.csv", text))
    assert cause in str(info.value)


# ---------------------------------------------------------------- the command line


def test_cli_sep_decimal_and_config_round_trip(cli: CliRun, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(40, 3))
    lines = ["p\tq\tr"] + ["\t".join(f"{v:.4f}".replace(".", ",") for v in row) for row in values]
    path = _write(tmp_path / "eu.txt", "\n".join(lines) + "\n")
    refused = _stderr_line(cli("train", path, "--out", tmp_path / "no", *TINY, ok=False))
    assert "set --decimal to ','" in refused
    out = tmp_path / "run"
    cli("train", path, "--sep", "tab", "--decimal", ",", "--out", out, *TINY)
    config = (out / "config.toml").read_text()
    assert 'sep = "tab"' in config and 'decimal = ","' in config
    again = tmp_path / "again"
    cli("train", "--config", out / "config.toml", "--out", again, "--quiet")
    first, second = (json.loads((run / "metrics.json").read_text()) for run in (out, again))
    assert second["train"] == first["train"]
    cli("encode", out, path, "--sep", "tab", "--decimal", ",", "-o", tmp_path / "z.csv")
    assert len(pd.read_csv(tmp_path / "z.csv")) == 40
    error = _stderr_line(cli("encode", out, path, "--decimal", ";", "-o", tmp_path / "z2.csv", ok=False))
    assert error.startswith("vaekit encode: error: ") and "--decimal ';' must be '.' or ','" in error


def test_cli_notes_a_dropped_index_and_names_flags(cli: CliRun, tmp_path: Path) -> None:
    frame = pd.DataFrame(np.random.default_rng(1).normal(size=(40, 3)), columns=["a", "b", "c"])
    frame.to_csv(tmp_path / "t.csv")
    out = tmp_path / "run"
    result = cli("train", tmp_path / "t.csv", "--out", out, *TINY)
    note = _stderr_line(result)
    assert note.startswith("vaekit train: note: ") and "row id" in note and "--keep-ids" in note
    assert json.loads((out / "model" / "config.json").read_text())["fitted"]["feature_names_in_"] == ["a", "b", "c"]
    ragged = _write(tmp_path / "r.csv", "name;x\nford;1\nSmith, J;2\n")
    error = _stderr_line(cli("encode", out, ragged, "--sep", ",", "-o", tmp_path / "z.csv", ok=False))
    assert "the separator is ';' (try --sep)" in error
