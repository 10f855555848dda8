"""Where a run's data came from: ``vaekit explore RUN`` finds it again, says when it changed, refuses when it is gone."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import TINY, CliRun
from vaekit.data import provenance
from vaekit.data.loaded import DataFileError


def _one_line_error(result: object, *parts: str) -> None:
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("vaekit explore: error: "), lines
    for part in parts:
        assert part in lines[0], lines[0]


@pytest.fixture()
def table_run_here(cli: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A run trained on ``rows.csv`` given by a relative path from tmp_path/work; (run, data)."""
    work = tmp_path / "work"
    work.mkdir()
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"]).to_csv(work / "rows.csv", index=False)
    monkeypatch.chdir(work)
    run = tmp_path / "run"
    cli("train", "rows.csv", "--out", run, *TINY)
    monkeypatch.chdir(tmp_path)  # elsewhere: rows.csv is not in this folder
    return run, work / "rows.csv"


def test_train_records_the_absolute_path_and_a_digest(table_run_here: tuple[Path, Path]) -> None:
    run, data = table_run_here
    options = json.loads((run / "model" / "config.json").read_text())["fitted"]["read_options_"]
    assert options["data_path"] == str(data.resolve())
    assert options["data_digest"]["kind"] == "file" and options["data_digest"]["size"] == data.stat().st_size
    assert len(options["data_digest"]["sha256"]) == 64


def test_explore_reads_the_runs_data_from_any_folder(table_run_here: tuple[Path, Path], cli: CliRun) -> None:
    run, _ = table_run_here
    result = cli("explore", run, "-o", "page.html")
    assert "(50 points)" in result.stdout and "note:" not in result.stderr


def test_explore_says_when_the_data_changed_and_reads_it_as_it_is(
    table_run_here: tuple[Path, Path], cli: CliRun
) -> None:
    run, data = table_run_here
    with data.open("a") as f:
        f.write("0.5,0.5,0.5\n")
    result = cli("explore", run, "-o", "page.html")
    notes = [line for line in result.stderr.splitlines() if "note:" in line]
    assert len(notes) == 1 and f"'{data.resolve()}' changed since the model in {run} was trained on it" in notes[0]
    assert "(51 points)" in result.stdout


def test_explore_without_the_data_says_to_give_it(table_run_here: tuple[Path, Path], cli: CliRun) -> None:
    run, data = table_run_here
    data.rename(data.with_name("moved.csv"))
    result = cli("explore", run, "-o", "page.html", ok=False)
    _one_line_error(result, f"'{data.resolve()}', which is gone", f"vaekit explore {run} DATA")
    assert not Path("page.html").exists()
    cli("explore", run, data.with_name("moved.csv"), "-o", "page.html")  # as the message says


def test_an_older_run_without_the_record_still_explores(
    table_run_here: tuple[Path, Path], cli: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, data = table_run_here
    config = run / "model" / "config.json"
    saved = json.loads(config.read_text())
    for key in ("data_path", "data_digest"):
        del saved["fitted"]["read_options_"][key]
    config.write_text(json.dumps(saved))
    _one_line_error(cli("explore", run, "-o", "page.html", ok=False), "'rows.csv', which is not found from here")
    monkeypatch.chdir(data.parent)  # where it was trained: its relative source is found
    assert "(50 points)" in cli("explore", run, "-o", "page.html").stdout


def test_a_digest_changes_with_the_contents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "a.csv"
    file.write_text("x\n1\n")
    record = provenance.source_record(str(file))
    assert provenance.check_source(record, "m", "give DATA") == (str(file.resolve()), None)
    os.utime(file, ns=(1, 1))  # touched, same bytes: the same data
    assert provenance.check_source(record, "m", "give DATA")[1] is None
    file.write_text("x\n2\n")  # same size, other bytes
    assert "its bytes differ" in provenance.check_source(record, "m", "give DATA")[1]
    monkeypatch.setattr(provenance, "HASHED_BYTES", 2)  # a big file: judged by size and time
    big = provenance.digest(file)
    assert "sha256" not in big
    folder = tmp_path / "images"
    (folder / "cats").mkdir(parents=True)
    (folder / "cats" / "1.png").write_bytes(b"png")
    record = provenance.source_record(str(folder))
    assert record["data_digest"]["files"] == 1
    (folder / "cats" / "2.png").write_bytes(b"png")
    assert "1 files then, 2 now" in provenance.check_source(record, "m", "give DATA")[1]
    assert provenance.source_record("digits") == {}  # a built-in dataset has no path
    (folder / "cats" / "1.png").unlink()
    (folder / "cats" / "2.png").unlink()
    (folder / "cats").rmdir()
    folder.rmdir()
    with pytest.raises(DataFileError, match=r"was trained on '.*images', which is gone; give DATA"):
        provenance.check_source(record, "m", "give DATA")
