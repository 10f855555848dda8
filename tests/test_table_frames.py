"""vaekit.data.table.frames: a table read as a person reads it (issue 25).

Only empty cells and the tokens the user names are gaps; a column of numbers with a few
stray tokens is numbers, the tokens gaps named in one note with their lines; thousands
separators are numbers; codes that mix digits and letters are categories without a note;
the columns that number the rows are not features. Then, from the command line with no
flags: every non-empty cell survives ``impute`` but the tokens a note named as gaps.
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import TINY, CliRun
from vaekit import load
from vaekit.data.loaded import DataFileError, DataNoteWarning, LoadedData
from vaekit.data.read import read_data


def _read(path: Path, **options: object) -> tuple[LoadedData, list[str]]:
    """read_data, and the notes it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = read_data(path, **options)
    return data, [str(w.message) for w in caught if issubclass(w.category, DataNoteWarning)]


def _survey(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "Exer": rng.choice(["Freq", "Some", "None"], n),  # "None": an answer, not a gap
            "Pulse": rng.integers(40, 104, n).astype(float),
            "Height": rng.normal(172, 9.8, n).round(2),
        }
    )


def _cells(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# ---------------------------------------------------------------- missing markers


def test_only_empty_cells_are_gaps_and_markers_kept_are_listed(tmp_path: Path) -> None:
    frame = _survey()
    frame.loc[[2, 4], "Height"] = np.nan
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    data, notes = _read(path)
    assert data.frame["Exer"].tolist() == frame["Exer"].tolist()  # every "None" kept
    assert data.frame["Height"].isna().sum() == 2
    (note,) = notes
    assert "'None' in column 'Exer'" in note and f"({(frame['Exer'] == 'None').sum()})" in note
    assert note.endswith("give `na_values` None")
    named, notes = _read(path, na_values="None")
    assert named.frame["Exer"].isna().sum() == (frame["Exer"] == "None").sum() and notes == []


def test_parquet_reads_nulls_as_gaps_and_na_values_too(tmp_path: Path) -> None:
    table = pa.table({"k": ["a", "NA", None, "b"], "x": [1.0, -99.0, 2.5, None], "y": [1, 2, 3, 5]})
    pq.write_table(table, tmp_path / "t.parquet")
    data, notes = _read(tmp_path / "t.parquet")
    assert data.frame["k"].tolist()[:2] == ["a", "NA"] and data.frame["k"].isna().tolist() == [False] * 2 + [
        True,
        False,
    ]
    assert len(notes) == 1 and "'NA' in column 'k'" in notes[0]
    named, notes = _read(tmp_path / "t.parquet", na_values=["NA", "-99"])
    assert named.frame["k"].isna().tolist() == [False, True, True, False] and notes == []
    assert np.isnan(named.X[1, 1]) and named.X[0, 1] == 1.0


# ---------------------------------------------------------------- numbers with stray tokens


@pytest.mark.parametrize("token", ["n/a?", "-", "?", "unknown", "1,2,3", "#VALUE!"])
def test_one_stray_token_in_178_rows_is_a_gap_named_by_its_line(token: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"alcohol": rng.normal(13, 0.8, 178).round(2), "ash": rng.normal(2.4, 0.3, 178).round(2)})
    frame["ash"] = frame["ash"].astype(object)
    frame.loc[56, "ash"] = token
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False)
    data, notes = _read(path)
    assert (
        data.frame["ash"].dtype == np.float64
        and np.isnan(data.X[56, 1])
        and np.isfinite(np.delete(data.X, 56, 0)).all()
    )
    (note,) = notes
    assert f"column 'ash': {token!r} (line 58)" in note and "at most 6%" in note and "`na_values`" in note


def test_many_tokens_are_counted_and_lines_shortened(tmp_path: Path) -> None:
    frame = _survey(200)
    frame["Pulse"] = frame["Pulse"].astype(object)
    frame.loc[[0, 3, 9, 12], "Pulse"] = "NA"
    frame.loc[[5], "Pulse"] = "see notes"
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    data, notes = _read(path)
    gaps = [n for n in notes if "read as gaps" in n]
    assert len(gaps) == 1 and "(5 cells)" in gaps[0]
    assert "'NA' (4 cells: line 2, line 5, line 11, ...), 'see notes' (line 7)" in gaps[0]
    assert data.frame["Pulse"].isna().sum() == 5


def test_codes_that_mix_digits_and_letters_are_categories_without_a_note(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {"drv": rng.choice(["4", "f", "r"], 234, p=[0.44, 0.45, 0.11]), "cty": rng.integers(9, 35, 234)}
    )
    path = tmp_path / "mpg.csv"
    frame.to_csv(path, index=False)
    data, notes = _read(path)
    assert notes == [] and data.frame["drv"].tolist() == frame["drv"].tolist()
    from vaekit.data.table.encoder import TableEncoder

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder = TableEncoder.fit(data.frame)
        assert encoder.columns[0].kind == "categorical"
        assert TableEncoder.fit(frame).columns[0].categories == ("4", "f", "r")  # a data frame given in Python


def test_a_data_frame_with_a_stray_token_is_numbers_in_python() -> None:
    from vaekit.data.table.encoder import TableEncoder

    values = [f"{v:.2f}" for v in np.random.default_rng(3).normal(10, 2, 178)]
    values[56] = "n/a?"
    spec = TableEncoder.fit(pd.DataFrame({"x": pd.Series(values, dtype=object)})).columns[0]
    assert spec.kind == "continuous"


# ---------------------------------------------------------------- thousands


def test_thousands_separators_are_numbers(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"income": [f"{v:,}" for v in rng.integers(500, 90_000, 60)], "x": rng.normal(size=60)})
    frame.loc[3, "income"] = "-"
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)
    data, notes = _read(path)
    assert data.frame["income"].dtype == np.float64 and np.isnan(data.X[3, 0])
    assert data.X[0, 0] == float(frame.loc[0, "income"].replace(",", ""))
    assert len(notes) == 1 and "'-' (line 5)" in notes[0]  # the gap; the thousands need no word
    semi = tmp_path / "eu.csv"
    semi.write_text("a;b\n1.234,5;x\n2,25;y\n12.000;x\n")
    eu, _ = _read(semi, thousands=".")
    assert eu.frame["a"].tolist() == [1234.5, 2.25, 12000.0]
    with pytest.raises(DataFileError, match=r"`thousands` ';' is also the separator"):
        read_data(semi, thousands=";")


# ---------------------------------------------------------------- from the command line, no flags


def test_cli_one_stray_token_stays_numbers_and_impute_keeps_every_other_cell(cli: CliRun, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({c: rng.normal(10, 2, 178).round(2) for c in ("alcohol", "malic", "ash")})
    frame["class"] = rng.choice(["1", "2", "3"], 178)
    frame = frame.astype(object)
    frame.loc[56, "malic"] = "n/a?"
    frame.loc[[10, 20], "ash"] = ""
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False)
    run = tmp_path / "run"
    result = cli("train", path, "--out", run, *TINY)
    assert 1 <= result.stderr.count("note:") <= 3 and "'n/a?' (line 58)" in result.stderr
    kinds = {spec.name: spec.kind for spec in load(run).table_.columns}
    assert kinds["malic"] == "continuous"
    out = tmp_path / "filled.csv"
    result = cli("impute", run, path, "-o", out)
    assert "filled 3 missing entries" in result.stdout
    given, got = _cells(path), _cells(out)
    changed = given != got
    assert changed.sum().sum() == 3 and set(given.to_numpy()[changed.to_numpy()]) == {"", "n/a?"}


def test_cli_r_row_names_are_not_a_feature_and_none_survives_impute(cli: CliRun, tmp_path: Path) -> None:
    frame = _survey(120)
    frame.loc[[3, 30], "Pulse"] = np.nan
    frame.index = range(1, 121)
    path = tmp_path / "survey.csv"
    frame.to_csv(path, na_rep="NA", quoting=csv.QUOTE_NONNUMERIC)  # as R's write.csv: "" for the row names
    run = tmp_path / "run"
    result = cli("train", path, "--out", run, *TINY)
    assert result.stderr.count("note:") == 3  # the row id, the NA read as gaps, the None kept
    fitted = json.loads((run / "model" / "config.json").read_text())["fitted"]
    assert fitted["feature_names_in_"] == ["Exer", "Pulse", "Height"]
    out = tmp_path / "filled.csv"
    cli("impute", run, path, "-o", out)
    given, got = _cells(path), _cells(out)
    changed = given != got
    assert (
        changed.sum().sum() == 2 and changed["Pulse"].sum() == 2 and set(given.to_numpy()[changed.to_numpy()]) == {"NA"}
    )
    assert (got["Exer"] == "None").sum() == (frame["Exer"] == "None").sum() > 0
