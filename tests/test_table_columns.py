"""Tests of vaekit.data.table.columns: choosing a table's columns, aligning them to a model's, and
finding the columns that number or name the rows.

The same chooser serves every reader (text tables, Parquet, arrays): these tests
call it directly, then through read_data on a table and on an array, which must
agree. Messages name Python parameters in backticks, never command-line flags.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vaekit.data.loaded import DataFileError, LoadedData
from vaekit.data.read import read_data
from vaekit.data.table.columns import (
    ROW_ID_MIN_ROWS,
    align_columns,
    align_loaded,
    column_position,
    feature_positions,
    find_row_ids,
)
from vaekit.data.validation import InputError

NAMES = ["id", "alpha", "beta", "gamma"]


# ---------------------------------------------------------------- choosing


@pytest.mark.parametrize(
    ("column", "positional", "expected"),
    [("beta", False, 2), (" beta ", False, 2), (3, False, 3), (np.int64(0), False, 0), ("1", True, 1)],
)
def test_column_position(column: str | int, positional: bool, expected: int) -> None:
    assert column_position(column, NAMES, source="t.csv", param="label", positional=positional) == expected


def test_digits_are_names_unless_positional() -> None:
    with pytest.raises(DataFileError, match=r"'t\.csv': no column '1' for `label`; the columns are id, alpha"):
        column_position("1", NAMES, source="t.csv", param="label")


def test_unknown_column_suggests_and_lists() -> None:
    with pytest.raises(DataFileError) as info:
        column_position("alpah", NAMES, source="t.csv", param="id_column")
    message = str(info.value)
    assert "no column 'alpah' for `id_column` (did you mean 'alpha'?)" in message
    assert "the columns are id, alpha, beta, gamma" in message and "--" not in message
    many = [f"x{j}" for j in range(30)]
    with pytest.raises(DataFileError, match=r"x19, \.\.\. \(30 in all\); positions 0, 1, \.\.\. also work"):
        column_position("x99", many, source="a.npy", param="columns", positional=True)


def test_feature_positions_default_named_and_comma_string() -> None:
    assert feature_positions(NAMES, None, source="t.csv", exclude={"id", None}) == [1, 2, 3]
    assert feature_positions(NAMES, ["gamma", 1], source="t.csv") == [3, 1]
    assert feature_positions(NAMES, "gamma, alpha", source="t.csv") == [3, 1]
    assert feature_positions(NAMES, ["id"], source="t.csv", exclude={"id"}) == [0]  # named: kept anyway


@pytest.mark.parametrize(
    ("columns", "exclude", "message"),
    [
        (["alpha", 1], (), "column 'alpha' is given twice in `columns`"),
        ([], (), "`columns` names no column"),
        (None, NAMES, "no feature columns left once the label and id columns are set aside"),
    ],
)
def test_feature_positions_errors(columns: list[str | int] | None, exclude: list[str], message: str) -> None:
    with pytest.raises(DataFileError, match=message):
        feature_positions(NAMES, columns, source="t.csv", exclude=exclude)


def test_tables_and_arrays_choose_alike(tmp_path: Path) -> None:
    X = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.savetxt(tmp_path / "t.csv", X, delimiter=",", fmt="%g")  # no header: x0..x3
    np.save(tmp_path / "a.npy", X)
    for columns in (["x3", "1"], [3, 1], "x3,1"):
        table = read_data(tmp_path / "t.csv", columns=columns)
        array = read_data(tmp_path / "a.npy", columns=columns)
        assert table.feature_names == array.feature_names == ["x3", "x1"]
        np.testing.assert_array_equal(table.X, X[:, [3, 1]])
        np.testing.assert_array_equal(array.X, X[:, [3, 1]])
    for path in (tmp_path / "t.csv", tmp_path / "a.npy"):
        with pytest.raises(DataFileError, match="column 'x0' is given twice in `columns`"):
            read_data(path, columns=["x0", "0"])
        with pytest.raises(DataFileError, match="no column 'x9' for `columns`"):
            read_data(path, columns=["x9"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"id_column": "b", "label": "b"}, "column 'b' is given as both the `id_column` and the `label`"),
        ({"id_column": "a", "columns": ["a", "c"]}, "column 'a' is given as the `id_column` and in `columns`"),
    ],
)
def test_an_id_is_neither_the_label_nor_a_feature(options: dict, message: str, tmp_path: Path) -> None:
    pd.DataFrame({"a": ["r1", "r2", "r3"], "b": ["x", "y", "x"], "c": [1.0, 2.0, 3.0]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    with pytest.raises(DataFileError, match=message):
        read_data(tmp_path / "t.csv", **options)


# ---------------------------------------------------------------- align_columns


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "c": [5.0, 6.0]})


def test_align_reordered_columns() -> None:
    frame = _frame()[["c", "a", "b"]]
    aligned = align_columns(frame, ["a", "b", "c"])
    assert aligned.columns.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(aligned.to_numpy(), [[1, 3, 5], [2, 4, 6]])


def test_align_drops_extra_columns_and_keeps_the_rows() -> None:
    frame = _frame().assign(name=["p", "q"], extra=[0, 0]).set_index(pd.Index([10, 20]))
    names = np.array(["c", "a"], dtype=object)  # as feature_names_in_ is
    aligned = align_columns(frame, names)  # type: ignore[arg-type]
    assert aligned.columns.tolist() == ["c", "a"] and aligned.index.tolist() == [10, 20]
    np.testing.assert_array_equal(aligned.to_numpy(), [[5, 1], [6, 2]])
    assert frame.columns.tolist() == ["a", "b", "c", "name", "extra"]  # the input is not changed


def test_align_returns_an_aligned_frame_as_it_is() -> None:
    frame = _frame()
    assert align_columns(frame, ["a", "b", "c"]) is frame


def test_align_missing_columns_names_source_columns_and_fix() -> None:
    with pytest.raises(InputError) as info:
        align_columns(_frame()[["a", "c"]], ["a", "b", "c", "d"], source="X_test")
    message = str(info.value)
    assert isinstance(info.value, ValueError) and "\n" not in message
    assert message.startswith("X_test lacks b, d (the model was trained on the columns a, b, c, d); give a table")


def test_align_long_lists_are_shortened() -> None:
    names = [f"p{j}" for j in range(784)]
    with pytest.raises(InputError, match=r"lacks p0, p1, .*p9, \.\.\. \(784 in all\) \(the model .*p19, \.\.\. \(784"):
        align_columns(pd.DataFrame({"other": [1.0]}), names)


def test_align_refuses_a_repeated_column() -> None:
    frame = pd.DataFrame([[1.0, 2.0, 3.0]], columns=["a", "b", "a"])
    with pytest.raises(InputError, match="X has more than one column 'a'"):
        align_columns(frame, ["a", "b"])
    assert align_columns(frame, ["b"]).columns.tolist() == ["b"]  # a repeat the model does not use is fine


# ---------------------------------------------------------------- align_loaded


def _loaded(names: list[str], kind: str = "table") -> LoadedData:
    X = np.arange(2 * len(names), dtype=np.float32).reshape(2, len(names))
    return LoadedData(X=X, labels=None, ids=np.array(["r0", "r1"]), feature_names=names, label_name=None,
                      id_name="name", source="data.csv", kind=kind)  # fmt: skip


def test_align_loaded_by_name() -> None:
    loaded = _loaded(["c", "extra", "a", "b"])
    aligned = align_loaded(loaded, ["a", "b", "c"])
    assert aligned.feature_names == ["a", "b", "c"] and aligned.X.flags.c_contiguous
    np.testing.assert_array_equal(aligned.X, loaded.X[:, [2, 3, 0]])
    assert aligned.ids is loaded.ids and aligned.source == "data.csv"


def test_align_loaded_without_header_goes_by_position() -> None:
    loaded = _loaded(["x0", "x1", "x2"])
    aligned = align_loaded(loaded, ["a", "b", "c"])
    assert aligned.feature_names == ["a", "b", "c"] and aligned.X is loaded.X
    assert align_loaded(loaded, ["a", "b"]) is loaded  # another width: the caller reports the count


def test_align_loaded_leaves_alone_what_it_cannot_align() -> None:
    loaded = _loaded(["a", "b"])
    assert align_loaded(loaded, None) is loaded
    assert align_loaded(loaded, ["a", "b"]) is loaded
    images = LoadedData(X=np.zeros((2, 3, 3), np.float32), labels=None, ids=None, feature_names=None,
                        label_name=None, id_name=None, source="imgs", kind="images")  # fmt: skip
    assert align_loaded(images, ["a"]) is images


def test_align_loaded_missing_column_names_the_file() -> None:
    with pytest.raises(DataFileError) as info:
        align_loaded(_loaded(["a", "b", "c"]), ["a", "b", "c", "d"])
    message = str(info.value)
    assert message.startswith("'data.csv' lacks d (the model was trained on the columns a, b, c, d)")
    assert message.endswith("give a file with those columns, or choose them with `columns`")


# ---------------------------------------------------------------- finding row ids


def _table(first: str, values: list, n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({first: values, "x": rng.normal(size=n), "k": rng.integers(0, 3, n)})


@pytest.mark.parametrize(
    ("first", "values", "what"),
    [
        ("Unnamed: 0", list(range(1, 13)), "row numbers (1, 2, ..., 12)"),  # R's write.csv
        ("rownames", list(range(1, 13)), "row numbers (1, 2, ..., 12)"),  # Rdatasets
        ("Unnamed: 0", [3, 7, 9, 12, 20, 21, 30, 31, 40, 41, 50, 77], "distinct whole numbers (3, 7, ..., 77)"),
        ("rownames", [f"car {i}" for i in range(12)], "12 distinct names such as 'car 0'"),  # R's mtcars
        ("id", list(range(1001, 1013)), "row numbers (1001, 1002, ..., 1012)"),  # any name, consecutive
        ("order", [5, 3, 4, 1, 2, 6, 8, 7, 12, 11, 10, 9], "row numbers (1, 2, ..., 12)"),  # in any order
    ],
)
def test_row_ids_are_found_with_a_note(first: str, values: list, what: str) -> None:
    found = find_row_ids(_table(first, values), source="t.csv", chosen={})
    assert found.id_column == first and found.columns == (first,)
    assert found.note is not None and what in found.note and "it is the row id, not a feature" in found.note
    assert "`keep_ids`" in found.note


@pytest.mark.parametrize(
    ("first", "values", "n"),
    [
        ("id", list(range(1, ROW_ID_MIN_ROWS)), ROW_ID_MIN_ROWS - 1),  # too few rows to tell by the values
        ("id", [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13], 12),  # distinct, not consecutive, and named
        ("Unnamed: 0", [1, 2, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12], 12),  # not distinct
        ("Unnamed: 0", [float(i) for i in range(12)], 12),  # not whole numbers
        ("age", [30] * 12, 12),
    ],
)
def test_other_columns_are_not_row_ids(first: str, values: list, n: int) -> None:
    assert find_row_ids(_table(first, values, n), source="t.csv", chosen={}).columns == ()


def test_row_ids_give_way_to_the_user() -> None:
    frame = _table("rownames", list(range(1, 13)))
    assert find_row_ids(frame, source="t.csv", chosen={}, keep=True).columns == ()
    assert find_row_ids(frame, source="t.csv", chosen={"columns": ["rownames", "x"]}).columns == ()
    assert find_row_ids(frame, source="t.csv", chosen={"label": "rownames"}).columns == ()
    by_id = find_row_ids(frame, source="t.csv", chosen={"id_column": "k"})
    assert by_id.id_column is None and by_id.columns == ("rownames",) and "left out of the features" in by_id.note
    chosen = find_row_ids(frame, source="t.csv", chosen={"id_column": "k", "columns": ["x"]})
    assert chosen.columns == ("rownames",) and chosen.note is None  # not a feature anyway: nothing to say
    assert find_row_ids(frame[["rownames"]], source="t.csv", chosen={}).columns == ()  # the only column


def test_read_data_reads_r_row_names_as_the_row_id(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('"","a","b"\n"1",1.5,"x"\n"2",2.5,"y"\n"3",0.5,"x"\n')  # R's write.csv
    with pytest.warns(UserWarning, match=r"first column \(no name\) holds row numbers \(1, 2, \.\.\., 3\)"):
        data = read_data(path)
    assert data.feature_names == ["a", "b"] and data.ids.tolist() == [1, 2, 3] and data.id_name is None
