"""The rough edges of a first run on a table (issue 10, item 8), from the command line.

- ``reconstruct``/``decode``/``sample -o x.png`` on a table model: one line saying a
  PNG needs images and what to write instead;
- ``plot --kind reconstructions`` on a table draws rows, not another chart;
- ``evaluate -k`` prints no scikit-learn warning;
- a positive ELBO (a density above 1, correct for continuous data) is explained where
  it is printed, and only then.

The figures themselves are tested in ``test_plots.py``, the note's text in
``test_evaluation.py`` and ``test_summary.py``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import Result

from conftest import TINY, CliRun

READ = ("--id", "name", "--label", "group")  # how table_csv is read
NOTE = "note: a positive ELBO or log p(x) (negative bits per dimension) is no error"


def one_error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == "", result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def small_units_run(table_csv: Path, cli: CliRun, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``table_csv`` in units 1000 times smaller, and a run on it: its ELBO is positive."""
    frame = pd.read_csv(table_csv)
    frame[["a", "b", "c", "d"]] /= 1000
    folder = tmp_path_factory.mktemp("small-units")
    csv = folder / "small.csv"
    frame.to_csv(csv, index=False)
    cli("train", csv, *READ, "--out", folder / "run", *TINY)
    return folder / "run", csv


# ------------------------------------------------------------------ PNG of table rows
def test_reconstruct_to_png_on_a_table_says_what_to_write(
    cli: CliRun, table_run: Path, table_csv: Path, tmp_path: Path
) -> None:
    line = one_error_line(cli("reconstruct", table_run, table_csv, *READ, "-o", tmp_path / "x.png", ok=False))
    assert line.startswith(f"vaekit reconstruct: error: {tmp_path / 'x.png'}: a PNG needs images")
    assert "write .csv, .parquet or .npy instead" in line and f"-o {tmp_path / 'x.csv'}" in line
    assert "--kind reconstructions" in line and "shape" not in line
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("command", ["decode", "sample"])
def test_decode_and_sample_to_png_on_a_table_say_what_to_write(
    command: str, cli: CliRun, table_run: Path, table_csv: Path, tmp_path: Path
) -> None:
    if command == "decode":
        cli("encode", table_run, table_csv, *READ, "-o", tmp_path / "z.csv")
        args: tuple = ("decode", table_run, tmp_path / "z.csv")
    else:
        args = ("sample", table_run, "-n", "4")
    line = one_error_line(cli(*args, "-o", tmp_path / "s.png", ok=False))
    assert line == (
        f"vaekit {command}: error: {tmp_path / 's.png'}: a PNG needs images, and this model gives table rows; "
        f"write .csv, .parquet or .npy instead (e.g. -o {tmp_path / 's.csv'})"
    )
    assert not (tmp_path / "s.png").exists()


# ------------------------------------------------------- plot --kind reconstructions
def test_plot_reconstructions_of_a_table_is_not_the_feature_errors(
    cli: CliRun, table_run: Path, table_csv: Path, tmp_path: Path
) -> None:
    for kind in ("reconstructions", "feature-errors"):
        out = cli("plot", table_run, table_csv, *READ, "--kind", kind, "-o", tmp_path / f"{kind}.png").stdout
        assert out.strip() == f"wrote {tmp_path / f'{kind}.png'}"
    assert (tmp_path / "reconstructions.png").read_bytes() != (tmp_path / "feature-errors.png").read_bytes()


# -------------------------------------------------------------------- evaluate -k
def test_evaluate_with_importance_sampling_warns_of_nothing(cli: CliRun, table_run: Path, table_csv: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # not only once per place: none may hide behind an earlier test's
        result = cli("evaluate", table_run, table_csv, *READ, "-k", "20")
    assert [str(w.message) for w in caught] == []
    assert "log p(x)" in result.stdout and result.stderr == ""  # the CLI prints a warning there, as a note


# ------------------------------------------------------------------ positive ELBOs
def test_evaluate_explains_a_positive_elbo_only_then(
    cli: CliRun, table_run: Path, table_csv: Path, small_units_run: tuple[Path, Path]
) -> None:
    usual = cli("evaluate", table_run, table_csv, *READ, "-k", "5").stdout
    assert "ELBO" in usual and NOTE not in usual  # a negative ELBO needs no note
    run, csv = small_units_run
    text = cli("evaluate", run, csv, *READ, "-k", "5").stdout
    elbo = float(text.split("ELBO")[1].split()[0])
    assert elbo > 0 and text.count(NOTE) == 1


def test_the_report_explains_a_positive_elbo_only_then(table_run: Path, small_units_run: tuple[Path, Path]) -> None:
    sentence = "A positive ELBO or log p(x) (negative bits per dimension) is no error"
    assert sentence not in (table_run / "report.html").read_text(encoding="utf-8")
    assert sentence in (small_units_run[0] / "report.html").read_text(encoding="utf-8")


def test_columns_named_twice_are_one_line() -> None:
    import numpy as np

    from vaekit import VAE
    from vaekit.data.validation import InputError

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), columns=["a", "a", "b"])
    with pytest.raises(InputError, match="X has columns with the same name: 'a'"):
        VAE(epochs=1, verbose=0).fit(frame)
