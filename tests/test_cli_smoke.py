"""The installed ``vaekit`` command in real processes, as a shell runs it.

The command line's behaviour is tested in-process in ``test_cli.py``; these few
checks cover what only a separate process shows: the exit codes the shell gets,
which modules start-up imports, and one whole training run from the console script.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

VAEKIT = Path(sys.executable).with_name("vaekit")
HEAVY = ("torch", "matplotlib", "pandas", "sklearn", "scipy", "PIL")
"""Modules that ``--help`` and ``--version`` must not import (each costs seconds)."""


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``vaekit ARGS`` through the console script; one torch thread, as in the other tests."""
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    return subprocess.run([str(VAEKIT), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def imported_modules(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -X importtime -m vaekit.cli ARGS``; its result and the top-level packages it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "vaekit.cli", *args], capture_output=True, text=True, timeout=300
    )
    names = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "vaekit" in names and "typer" in names, result.stderr[-2000:]  # the parse found the imports
    return result, names


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_do_not_import_heavy_modules(option: str) -> None:
    result, names = imported_modules(option)
    assert result.returncode == 0
    assert not names & set(HEAVY), f"vaekit {option} imported {sorted(names & set(HEAVY))}"
    if option == "--help":
        assert result.stdout.startswith("Usage: vaekit ")
        assert "train" in result.stdout and "encode" in result.stdout
    else:
        from vaekit import __version__

        assert result.stdout == f"vaekit {__version__}\n"


def test_console_script_version_exits_0() -> None:
    from vaekit import __version__

    result = run("--version")
    assert result.returncode == 0 and result.stdout == f"vaekit {__version__}\n" and result.stderr == ""


@pytest.mark.parametrize(
    "args, message",
    [(["no-such-command"], "No such command 'no-such-command'"), (["encode"], "Missing argument")],
    ids=["unknown-command", "missing-argument"],
)
def test_usage_error_exits_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("Usage: vaekit") and message in result.stderr


def test_a_mistyped_train_option_is_refused_before_the_data_is_read(tmp_path: Path) -> None:
    # the other stray arguments: flags.stray_argument's doctest
    table = tmp_path / "t.csv"
    pd.DataFrame({"a": range(30), "b": range(30)}).to_csv(table, index=False)
    result = run("train", table, "-o", "out")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "no such option or argument" in result.stderr and "read 30 rows" not in result.stdout + result.stderr


def test_bad_input_exits_1_with_one_line(tmp_path: Path) -> None:
    # An output that exists is refused before the model is read (so before torch is imported).
    target = tmp_path / "samples.png"
    target.write_bytes(b"precious")
    result = run("sample", tmp_path / "model", "-n", "4", "-o", target)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("vaekit sample: error: ") and "already exists" in lines[0] and "--force" in lines[0]
    assert target.read_bytes() == b"precious"


def test_train_end_to_end_writes_a_run_folder(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    t = rng.uniform(-2, 2, size=(60, 1))
    frame = pd.DataFrame(np.hstack([t, t**2, np.sin(t)]), columns=["x", "y", "z"])
    data = tmp_path / "small.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "run"
    result = run("train", data, "--out", out, "--epochs", "2", "--hidden", "8", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # --quiet: no progress bar, and nothing else
    assert result.stdout.strip().splitlines()[-1].startswith(f"Run written to {out}/")
    for name in (
        "config.toml",
        "history.csv",
        "metrics.json",
        "latents.csv",
        "report.html",
        "model/config.json",
        "model/model.safetensors",
    ):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "VAE" and metrics["data"]["sample_shape"] == [3]
    assert metrics["data"]["n_train"] + metrics["data"]["n_test"] == 60
    assert len(pd.read_csv(out / "history.csv")) == 2
    from vaekit import load

    model = load(out / "model")
    assert model.transform(frame).shape == (60, 2)  # fitted on the named columns x, y, z


def test_encode_decode_reconstruct_of_a_table_of_numbers_import_neither_torch_nor_sklearn(
    table_run: Path, table_csv: Path, tmp_path: Path
) -> None:
    """A model of numeric rows (an MLP) runs in NumPy (vaekit.io.numpy_forward): encoding a small table
    costs less than importing torch (issue 28, item 5), and gives the estimator's numbers."""
    latents, decoded, reconstructed = tmp_path / "z.csv", tmp_path / "d.csv", tmp_path / "r.csv"
    for args in (
        ("encode", str(table_run), str(table_csv), "-o", str(latents)),
        ("decode", str(table_run), str(latents), "-o", str(decoded)),
        ("reconstruct", str(table_run), str(table_csv), "-o", str(reconstructed)),
    ):
        result, names = imported_modules(*args)
        assert result.returncode == 0, (args, result.stderr[-800:])
        assert result.stdout.startswith("wrote "), result.stdout
        heavy = names & {"torch", "sklearn", "scipy", "matplotlib"}
        assert not heavy, f"vaekit {args[0]} imported {sorted(heavy)}"
    from vaekit import load

    model = load(table_run)
    X = pd.read_csv(table_csv)[["a", "b", "c", "d"]]
    z = pd.read_csv(latents)
    assert list(z.columns) == ["row", "name", "z0", "z1", "group"]
    np.testing.assert_allclose(z[["z0", "z1"]], model.transform(X), atol=1e-4)
    np.testing.assert_allclose(pd.read_csv(reconstructed)[["a", "b", "c", "d"]], model.reconstruct(X), atol=1e-4)
    np.testing.assert_allclose(
        pd.read_csv(decoded)[["a", "b", "c", "d"]], model.inverse_transform(z[["z0", "z1"]].to_numpy()), atol=1e-4
    )


def test_a_refused_file_or_model_is_refused_before_torch_or_sklearn_is_imported(
    table_run: Path, table_csv: Path, tmp_path: Path
) -> None:
    """Each refusal here cost ~7 s when it imported torch and scikit-learn first (issue 10, item 7)."""
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,x\n2,y\n")
    infinite = tmp_path / "infinite.csv"
    infinite.write_text("a,b\n1,inf\n2,3\n")
    cases = [
        ("encode", str(table_run), str(wrong), "-o", str(tmp_path / "z.csv")),  # lacks the model's columns
        ("reconstruct", str(table_run), str(wrong), "-o", str(tmp_path / "r.csv")),
        ("plot", str(table_run), str(wrong), "--kind", "latent", "-o", str(tmp_path / "p.png")),
        ("decode", str(table_run), str(wrong), "-o", str(tmp_path / "d.csv")),  # no z0, z1 columns
        ("encode", str(tmp_path / "no-model"), str(table_csv), "-o", str(tmp_path / "z.csv")),
        ("train", str(infinite), "--out", str(tmp_path / "run")),  # an infinite value
        ("train", str(table_csv), "--out", str(table_run)),  # the run exists, no --force
    ]
    for args in cases:
        result, names = imported_modules(*args)
        assert result.returncode == 1, (args, result.stderr[-800:])
        assert "error:" in result.stderr.splitlines()[-1], (args, result.stderr[-800:])
        heavy = names & {"torch", "sklearn", "scipy", "matplotlib"}
        assert not heavy, f"vaekit {args[0]} imported {sorted(heavy)}"
    assert not (tmp_path / "run").exists()
