"""A model remembers how it read its training data: every command on the same kind of
file needs no flags again, extra columns are ignored by name, a missing one is named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from conftest import TINY, CliRun
from vaekit import load


@pytest.fixture(scope="module")
def mixed_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 rows: 3 numeric features, a text label, a text note, and an id, `;`-separated."""
    rng = np.random.default_rng(0)
    t = rng.normal(size=120)
    frame = pd.DataFrame({"name": [f"r{i}" for i in range(120)], "a": t, "b": 2 * t + 0.1 * rng.normal(size=120)})
    frame["kind"] = np.where(t > 0, "high", "low")
    frame["c"] = rng.normal(size=120)
    frame["note"] = "free text"
    path = tmp_path_factory.mktemp("mixed") / "mixed.csv"
    frame.to_csv(path, sep=";", index=False)
    return path


@pytest.fixture(scope="module")
def mixed_run(mixed_csv: Path, cli: CliRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "mixed"
    cli("train", mixed_csv, "--columns", "a,b,c", "--label", "kind", "--id", "name", "--sep", ";", "--out", out, *TINY)
    return out


def test_the_model_saves_how_it_read(mixed_run: Path, mixed_csv: Path) -> None:
    saved = json.loads((mixed_run / "model" / "config.json").read_text())["fitted"]["read_options_"]
    assert saved.pop("data_path") == str(mixed_csv.resolve())  # where explore finds it (test_provenance.py)
    assert saved.pop("data_digest")["size"] == mixed_csv.stat().st_size
    assert saved == {"columns": ["a", "b", "c"], "label": "kind", "id_column": "name", "sep": ";"}
    assert {k: v for k, v in load(mixed_run).read_options_.items() if not k.startswith("data_")} == saved


def test_commands_on_the_training_file_need_no_flags(
    mixed_run: Path, mixed_csv: Path, cli: CliRun, tmp_path: Path
) -> None:
    cli("encode", mixed_run, mixed_csv, "-o", tmp_path / "z.csv")
    latents = pd.read_csv(tmp_path / "z.csv")
    assert list(latents.columns) == ["row", "name", "z0", "z1", "kind"] and len(latents) == 120  # row: see README
    cli("reconstruct", mixed_run, mixed_csv, "-o", tmp_path / "r.csv")
    assert list(pd.read_csv(tmp_path / "r.csv").columns)[:5] == ["row", "name", "a", "b", "c"]
    assert "ELBO" in cli("evaluate", mixed_run, mixed_csv).stdout


def test_other_column_orders_and_extra_columns_are_matched_by_name(
    mixed_run: Path, mixed_csv: Path, cli: CliRun, tmp_path: Path
) -> None:
    frame = pd.read_csv(mixed_csv, sep=";")
    wider = frame[["note", "c", "kind", "b", "name", "a"]].assign(extra=frame["a"] * 3)
    wider.to_csv(tmp_path / "wider.csv", index=False)  # a comma this time: detected
    cli("encode", mixed_run, tmp_path / "wider.csv", "-o", tmp_path / "z2.csv")
    cli("encode", mixed_run, mixed_csv, "-o", tmp_path / "z1.csv")
    np.testing.assert_allclose(
        pd.read_csv(tmp_path / "z2.csv")[["z0", "z1"]], pd.read_csv(tmp_path / "z1.csv")[["z0", "z1"]], rtol=1e-6
    )
    # without the label column the saved label is not asked for
    frame.drop(columns=["kind"]).to_csv(tmp_path / "nolabel.csv", index=False)
    cli("encode", mixed_run, tmp_path / "nolabel.csv", "-o", tmp_path / "z3.csv")
    assert "kind" not in pd.read_csv(tmp_path / "z3.csv").columns


def test_a_missing_column_is_named(mixed_run: Path, mixed_csv: Path, cli: CliRun, tmp_path: Path) -> None:
    pd.read_csv(mixed_csv, sep=";").drop(columns=["b"]).to_csv(tmp_path / "less.csv", index=False)
    result = cli("encode", mixed_run, tmp_path / "less.csv", "-o", tmp_path / "z.csv", ok=False)
    assert "this table lacks b" in result.stderr and "a, b, c" in result.stderr
    assert not (tmp_path / "z.csv").exists()


def test_an_image_model_refuses_a_folder_of_another_size_and_resizes_it_only_when_asked(
    cli: CliRun, tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    for name, size in (("small", (8, 8)), ("big", (12, 10))):
        for i in range(30):
            folder = tmp_path / name / ("even" if i % 2 else "odd")
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 255, size, dtype=np.uint8)).save(folder / f"{i}.png")
    cli("train", tmp_path / "small", "--out", tmp_path / "run", *TINY)
    assert "image_size" not in load(tmp_path / "run").read_options_  # not asked for: nothing to reuse
    refused = cli("encode", tmp_path / "run", tmp_path / "big", "-o", tmp_path / "z.csv", ok=False)
    assert "shape (12, 10)" in refused.stderr and "--image-size 8x8" in refused.stderr
    assert not (tmp_path / "z.csv").exists()
    asked = cli("encode", tmp_path / "run", tmp_path / "big", "--image-size", "8x8", "-o", tmp_path / "z.csv")
    assert "30 of 30 images resized to 8x8" in asked.stderr
    assert len(pd.read_csv(tmp_path / "z.csv")) == 30
    cli("train", tmp_path / "big", "--image-size", "8x8", "--out", tmp_path / "run2", *TINY)
    assert load(tmp_path / "run2").read_options_["image_size"] == "8x8"  # asked at training: reused
    cli("encode", tmp_path / "run2", tmp_path / "small", "-o", tmp_path / "z2.csv")


def test_the_python_api_reads_new_data_as_the_model_read_its_training_data(cli: CliRun, tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    import vaekit

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"name": [f"r{i}" for i in range(60)], "a": rng.normal(size=60), "b": rng.normal(size=60)})
    frame.to_csv(tmp_path / "t.csv", sep=";", decimal=",", index=False)
    cli(
        "train",
        tmp_path / "t.csv",
        "--id",
        "name",
        "--sep",
        ";",
        "--decimal",
        ",",
        "--out",
        tmp_path / "run",
        "--epochs",
        "1",
        "--quiet",
    )
    model = vaekit.load(tmp_path / "run")
    loaded = model.read_data(tmp_path / "t.csv")  # the separator, decimal mark and id column as in training
    assert loaded.feature_names == ["a", "b"] and list(loaded.ids[:2]) == ["r0", "r1"]
    np.testing.assert_allclose(loaded.X[:, 0], frame["a"].to_numpy(), rtol=1e-6)


def test_every_command_that_reads_data_takes_the_same_data_options() -> None:
    import typer

    from vaekit.cli import app
    from vaekit.cli._app import DATA_OPTIONS

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    flags = {name: {o for p in command.params for o in p.opts} for name, command in commands.items()}
    readers = [name for name, opts in flags.items() if "--columns" in opts]
    assert {"encode", "reconstruct", "score", "evaluate", "plot", "explore"} <= set(readers)
    data_flags = {"--columns", "--label", "--id", "--key", "--image-size", "--split", "--data-dir", "--header"}
    data_flags |= {"--image-mode", "--sep", "--decimal", "--na-values", "--thousands", "--keep-ids"}
    assert len(DATA_OPTIONS) == 14
    for name in readers:
        assert data_flags <= flags[name], name


def test_na_values_and_keep_ids_are_saved_and_read_again(cli: CliRun, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 60
    frame = pd.DataFrame({"n": np.arange(1, n + 1), "a": rng.normal(size=n).round(2), "k": rng.choice(["u", "v"], n)})
    frame["a"] = frame["a"].astype(object)
    frame.loc[[3, 8], "a"] = "-99"
    frame.loc[[5], "k"] = "NA"
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    run = tmp_path / "run"
    result = cli("train", path, "--na-values", "NA,-99", "--keep-ids", "--out", run, *TINY)
    assert "note:" not in result.stderr  # nothing guessed: the gaps are named, the ids kept
    saved = json.loads((run / "model" / "config.json").read_text())["fitted"]
    assert saved["read_options_"]["na_values"] == ["NA", "-99"] and saved["read_options_"]["keep_ids"] is True
    assert saved["feature_names_in_"] == ["n", "a", "k"]
    out = tmp_path / "filled.csv"
    result = cli("impute", run, path, "-o", out)  # no flags: as the model read its training data
    assert "filled 3 missing entries" in result.stdout and "note:" not in result.stderr
    got = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert got.loc[5, "k"] in ("u", "v") and got.loc[3, "a"] != "-99" and got.loc[0, "a"] == f"{frame.loc[0, 'a']}"
    model = load(run)
    assert model.read_data(path).feature_names == ["n", "a", "k"]
    assert np.isnan(model.read_data(path).X[3, 1])
