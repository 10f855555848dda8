"""Checkpoints and resume: a stopped fit continues to the same bits as one never stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import vaekit.training.checkpoint as checkpoint_module
import vaekit.training.loop as training
from vaekit import VAE, AutoEncoder
from vaekit.training.checkpoint import Checkpointer, CheckpointError

X = np.random.default_rng(0).normal(size=(240, 6)).astype(np.float32)


def _same_fit(a: Any, b: Any) -> None:
    """Bit-identical weights, fitted state and history (but for the wall-clock seconds)."""
    for name, value in a.model_.state_dict().items():
        assert torch.equal(value, b.model_.state_dict()[name]), name
    strip = lambda h: {k: v for k, v in h.items() if k != "seconds"}  # noqa: E731
    assert json.dumps(strip(a.history_)) == json.dumps(strip(b.history_))
    assert a.init_losses_ == b.init_losses_ and a.offset_ == b.offset_


def _stop_after(monkeypatch: pytest.MonkeyPatch, n_evaluations: int) -> None:
    """Interrupt training (as Ctrl-C would) at the n-th validation pass."""
    real, calls = training._evaluate, [0]

    def evaluate(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == n_evaluations:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "_evaluate", evaluate)


@pytest.mark.parametrize(
    ("estimator", "params"),
    [
        (VAE, {"n_init": 2, "lr_schedule": "cosine", "kl_warmup_epochs": 3}),
        (AutoEncoder, {"lr_schedule": "plateau", "patience": 2, "epochs": 40}),
    ],
)
def test_an_interrupted_fit_resumes_to_the_same_bits(
    estimator: type, params: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kw = {"latent_dim": 2, "hidden": (8,), "epochs": 7, "patience": None, "random_state": 0, "verbose": 0, **params}
    # an uninterrupted checkpointed fit (restarts that checkpoint train one after another,
    # not as one vectorized ensemble, whose sums differ in the last bits)
    whole = estimator(**kw).fit(X, checkpoint_dir=tmp_path / "whole")
    _stop_after(monkeypatch, 10)  # the second restart's third epoch, or the AE's tenth
    with pytest.raises(KeyboardInterrupt):
        estimator(**kw).fit(X, checkpoint_dir=tmp_path / "ck")
    monkeypatch.undo()
    assert (tmp_path / "ck" / "init-0" / "latest.json").is_file()
    _same_fit(whole, estimator(**kw).fit(X, resume_from=tmp_path / "ck"))


def test_a_kill_during_the_checkpoint_write_leaves_the_previous_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kw = {"latent_dim": 2, "hidden": (8,), "epochs": 6, "patience": None, "random_state": 1, "verbose": 0}
    whole = VAE(**kw).fit(X)
    real, writes = checkpoint_module.save_file, [0]

    def save_file(tensors: dict[str, torch.Tensor], path: str) -> None:
        writes[0] += 1
        if writes[0] == 4:  # the fourth state: half a file, then the process dies
            Path(path).write_bytes(b"\x00" * 100)
            raise KeyboardInterrupt
        real(tensors, path)

    monkeypatch.setattr(checkpoint_module, "save_file", save_file)
    with pytest.raises(KeyboardInterrupt):
        VAE(**kw).fit(X, checkpoint_dir=tmp_path / "ck")
    monkeypatch.undo()
    state = Checkpointer(tmp_path / "ck" / "init-0").load()
    assert state is not None and state.epoch == 3 and not state.finished
    _same_fit(whole, VAE(**kw).fit(X, resume_from=tmp_path / "ck"))


def test_a_checkpoint_of_another_fit_is_refused_naming_what_differs(tmp_path: Path) -> None:
    kw = {"latent_dim": 2, "hidden": (8,), "epochs": 2, "random_state": 0, "verbose": 0}
    VAE(**kw).fit(X, checkpoint_dir=tmp_path / "ck")
    with pytest.raises(CheckpointError, match=r"params\.latent_dim: 2 in the checkpoint, 3 now"):
        VAE(**{**kw, "latent_dim": 3}).fit(X, resume_from=tmp_path / "ck")
    with pytest.raises(CheckpointError, match=r"data\.rows: 240 in the checkpoint, 200 now"):
        VAE(**kw).fit(X[:200], resume_from=tmp_path / "ck")
    fit_file = tmp_path / "ck" / "fit.json"
    fit_file.write_text(fit_file.read_text().replace('"vaekit_version": "', '"vaekit_version": "0.0.1-'))
    with pytest.raises(CheckpointError, match=r"vaekit_version: '0\.0\.1-"):
        VAE(**kw).fit(X, resume_from=tmp_path / "ck")
    with pytest.raises(CheckpointError, match="already holds a checkpoint"):
        VAE(**kw).fit(X, checkpoint_dir=tmp_path / "ck")
    with pytest.raises(CheckpointError, match="no checkpoint to resume"):
        VAE(**kw).fit(X, resume_from=tmp_path / "nothing")


def test_a_finished_fit_resumed_is_loaded_not_retrained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kw = {"latent_dim": 2, "hidden": (8,), "epochs": 3, "random_state": 0, "verbose": 0}
    first = VAE(**kw).fit(X, checkpoint_dir=tmp_path / "ck")
    monkeypatch.setattr(torch.optim.Adam, "step", lambda *a, **k: pytest.fail("a finished fit was trained again"))
    _same_fit(first, VAE(**kw).fit(X, resume_from=tmp_path / "ck"))


KILLED_FIT = """
import sys, numpy as np
from vaekit import VAE
X = np.random.default_rng(0).normal(size=(700, 12)).astype(np.float32)
VAE(latent_dim=2, hidden=(32,), batch_size=16, epochs=12, patience=None, random_state=0, verbose=0,
    threads=1).fit(X, checkpoint_dir=sys.argv[1])
"""


def test_a_fit_killed_mid_epoch_resumes_to_the_same_bits(tmp_path: Path) -> None:
    script = tmp_path / "fit.py"
    script.write_text(textwrap.dedent(KILLED_FIT))
    folder = tmp_path / "ck"
    process = subprocess.Popen([sys.executable, str(script), str(folder)], stderr=subprocess.PIPE)
    latest = folder / "init-0" / "latest.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if latest.is_file() and json.loads(latest.read_text())["folder"] >= "epoch-000002":
            time.sleep(0.03)  # into the next epoch (an epoch takes about 0.15 s here; 12 leave slack on a busy machine)
            break
        time.sleep(0.02)
    assert process.poll() is None, f"the fit ended before it could be killed: {process.stderr.read().decode()}"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    saved = json.loads(latest.read_text())
    assert not saved["finished"], saved
    namespace: dict[str, Any] = {}
    exec(KILLED_FIT.split("VAE(latent_dim")[0], namespace)  # the same X
    params = {"latent_dim": 2, "hidden": (32,), "batch_size": 16, "epochs": 12, "patience": None}
    params.update(random_state=0, verbose=0, threads=1)
    whole = VAE(**params).fit(namespace["X"])
    _same_fit(whole, VAE(**params).fit(namespace["X"], resume_from=folder))


def test_a_stopped_run_is_refused_by_every_reader_and_resumes_from_the_cli(
    cli: Any, table_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("train", table_csv, "--model", "ae", "--epochs", "6", "--hidden", "8", "--quiet", "--columns", "a,b,c,d")
    _stop_after(monkeypatch, 4)
    from typer.testing import CliRunner

    from vaekit.cli import app

    stopped = CliRunner().invoke(app, [str(a) for a in (*args, "--out", tmp_path / "run")], prog_name="vaekit")
    assert stopped.exit_code == 130, stopped.output  # as Ctrl-C ends it
    monkeypatch.undo()
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint", "config.toml", "train.lock", "vaekit-run.json"]
    refused = cli("encode", run, table_csv, "--columns", "a,b,c,d", "-o", tmp_path / "z.csv", ok=False)
    assert "training has not finished" in refused.stderr and f"vaekit train --resume {run}" in refused.stderr
    cli("train", "--resume", run, "--quiet")  # the same bits as an uninterrupted fit: the tests above
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_run"] == 6 and not (run / "checkpoint").exists()
    before = {p: p.stat().st_mtime_ns for p in run.rglob("*")}
    again = cli("train", "--resume", run, ok=False)
    assert "finished training already; nothing to resume" in again.stderr
    assert {p: p.stat().st_mtime_ns for p in run.rglob("*")} == before
