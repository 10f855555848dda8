"""``train --force`` replaces a run only once the new one is complete, and one process trains a run at a time.

The old run stays whole and loadable (the same bytes) whatever happens to the new
one: a failed fit, Ctrl-C, SIGKILL. The new run trains in ``RUN/next/`` and
``vaekit train --resume RUN`` continues it. A second ``--resume`` (or ``--force``)
of a run that a live process trains is refused, naming that process.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vaekit
import vaekit.training.loop as training
from conftest import TINY, CliRun
from vaekit.runs.folder import LOCK, NEXT, check_not_busy, run_state

TABLE = ("--id", "name", "--label", "group")
ROWS = pd.DataFrame(np.random.default_rng(1).normal(size=(5, 4)), columns=["a", "b", "c", "d"])


def contents(folder: Path, skip: str | None = None) -> dict[str, str]:
    """Every file under ``folder`` (but ``skip/``) and the sha256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not (skip and p.relative_to(folder).parts[0] == skip)
    }


def old_run(table_run: Path, tmp_path: Path) -> tuple[Path, dict[str, str], np.ndarray]:
    """A copy of the session's run, its files and its codes of some rows."""
    run = tmp_path / "run"
    shutil.copytree(table_run, run)
    return run, contents(run), vaekit.load(run).transform(ROWS)


def still_the_old_run(run: Path, files: dict[str, str], codes: np.ndarray) -> None:
    assert contents(run, skip=NEXT) == files
    np.testing.assert_array_equal(vaekit.load(run).transform(ROWS), codes)


def test_a_forced_fit_that_fails_leaves_the_old_run_as_it_was(
    cli: CliRun, table_csv: Path, table_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, files, codes = old_run(table_run, tmp_path)

    def diverge(*args: object, **kwargs: object) -> None:
        raise training.TrainingDivergedError("training diverged at epoch 1: its loss became NaN or infinite")

    monkeypatch.setattr(training, "_train", diverge)
    result = cli("train", table_csv, *TABLE, "--out", run, "--force", *TINY, ok=False)
    assert "diverged" in result.stderr
    still_the_old_run(run, files, codes)
    assert not (run / NEXT).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no staging folder left beside it


def test_a_forced_fit_replaces_the_run_in_one_step_when_done(
    cli: CliRun, table_csv: Path, table_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, files, codes = old_run(table_run, tmp_path)
    seen: list[dict[str, str]] = []
    real = training._train

    def train_and_look(*args: object, **kwargs: object) -> object:
        seen.append(contents(run, skip=NEXT))  # while the new run trains, the old one is whole
        assert run_state(run / NEXT, nested=True) == "training"
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "_train", train_and_look)
    cli("train", table_csv, *TABLE, "--out", run, "--force", "--seed", "7", *TINY)
    assert seen and seen[0] == files
    assert not (run / NEXT).exists() and (run / "report.html").is_file()
    assert "seed = 7" in (run / "config.toml").read_text()
    assert not np.array_equal(vaekit.load(run).transform(ROWS), codes)  # the new model
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


KILLABLE = ("--epochs", "3000", "--patience", "0", "--hidden", "16", "--quiet", "--threads", "1", "--batch-size", "16")


def _start(*args: str | Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "vaekit", *(str(a) for a in args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(process: subprocess.Popen[bytes], ready: object, what: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.02)
    process.kill()
    raise AssertionError(f"{what} never happened: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]


def _checkpointed(folder: Path) -> bool:
    latest = folder / "checkpoint" / "init-0" / "latest.json"
    try:
        return json.loads(latest.read_text())["folder"] >= "epoch-000002"
    except (OSError, ValueError, KeyError):
        return False


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"]
)
def test_a_forced_fit_stopped_or_killed_leaves_the_old_run_and_resumes(
    signum: int, cli: CliRun, table_csv: Path, table_run: Path, tmp_path: Path
) -> None:
    run, files, codes = old_run(table_run, tmp_path)
    process = _start("train", table_csv, *TABLE, "--out", run, "--force", "--seed", "3", *KILLABLE)
    _wait_for(process, lambda: _checkpointed(run / NEXT), "a checkpoint of the new run")
    os.kill(process.pid, signum)
    process.wait(timeout=60)
    stderr = process.stderr.read().decode()  # type: ignore[union-attr]
    if signum != signal.SIGKILL:  # stopped as Ctrl-C stops it: 130, or 128 + 15 after SIGTERM
        assert process.returncode == (130 if signum == signal.SIGINT else 143), stderr
        assert f"vaekit train --resume {run}" in stderr and "still holds the run it was to replace" in stderr
    still_the_old_run(run, files, codes)
    encoded = cli("encode", run, table_csv, "--id", "name", "-o", tmp_path / "z.csv")  # readers read the old run
    assert encoded.exit_code == 0
    refused = cli("train", table_csv, *TABLE, "--out", run, *TINY, ok=False)
    assert f"vaekit train --resume {run}" in refused.stderr
    check_not_busy(run)  # the kernel let go of the lock when the process ended
    assert "seed = 3" in (run / NEXT / "config.toml").read_text()  # the new run, to be resumed
    for args in (("train", "--resume", run / NEXT), ("encode", run / NEXT, table_csv, "-o", tmp_path / "y.csv")):
        inner = cli(*args, ok=False)  # RUN/next is continued as part of RUN, never on its own
        assert f"vaekit train --resume {run}`" in inner.stderr, inner.stderr


def test_a_resumed_replacement_takes_the_old_runs_place(
    cli: CliRun, table_csv: Path, table_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, files, codes = old_run(table_run, tmp_path)
    calls = [0]
    real = training.evaluate

    def stop_at_the_third_epoch(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "evaluate", stop_at_the_third_epoch)
    from typer.testing import CliRunner

    from vaekit.cli import app

    argv = [str(a) for a in ("train", table_csv, *TABLE, "--out", run, "--force", "--seed", "5", "--epochs", "6")]
    stopped = CliRunner().invoke(app, [*argv, "--hidden", "16", "--quiet"], prog_name="vaekit")
    assert stopped.exit_code == 130
    monkeypatch.undo()
    still_the_old_run(run, files, codes)
    cli("train", "--resume", run, "--quiet")
    assert not (run / NEXT).exists()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_run"] == 6 and "seed = 5" in (run / "config.toml").read_text()
    again = cli("train", "--resume", run, ok=False)
    assert "finished training already; nothing to resume" in again.stderr and "--force" not in again.stderr


def test_one_process_trains_a_run_at_a_time(cli: CliRun, table_csv: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    first = _start("train", table_csv, *TABLE, "--out", run, *KILLABLE)
    try:
        _wait_for(first, lambda: _checkpointed(run), "a checkpoint")
        for args in (("train", "--resume", run), ("train", table_csv, *TABLE, "--out", run, "--force", *TINY)):
            refused = cli(*args, ok=False)
            assert f"is being trained by PID {first.pid}" in refused.stderr, refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1
    finally:
        first.kill()
        first.wait()
    second = _start("train", "--resume", run)
    try:
        _wait_for(second, lambda: f" {second.pid} resumed" in (run / LOCK).read_text(), "the resume's lock")
        refused = cli("train", "--resume", run, ok=False)
        assert f"is being resumed by PID {second.pid}" in refused.stderr, refused.stderr
        assert "--force" not in refused.stderr
    finally:
        second.kill()
        second.wait()
    check_not_busy(run)
    assert run_state(run) == "training"


@pytest.mark.parametrize("replacing", [False, True], ids=["new run", "forced over a run"])
def test_a_run_that_fails_after_training_leaves_nothing_of_its_own(
    replacing: bool, cli: CliRun, table_csv: Path, table_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vaekit.runs.run

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vaekit.runs.run, "write_latents", disk_full)
    if replacing:
        run, files, codes = old_run(table_run, tmp_path)
    else:
        run = tmp_path / "run"
    result = cli("train", table_csv, *TABLE, "--out", run, *(["--force"] if replacing else []), *TINY, ok=False)
    assert "No space left on device" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == (["run"] if replacing else [])
    if replacing:
        still_the_old_run(run, files, codes)
        assert not (run / NEXT).exists()


def test_a_finished_run_with_a_stale_lock_is_still_a_run(cli: CliRun, table_run: Path, tmp_path: Path) -> None:
    run, _, _ = old_run(table_run, tmp_path)
    (run / LOCK).write_text("otherhost 999999 trained\n")  # left by a copy, say: nobody holds it
    refused = cli("train", "--resume", run, ok=False)
    assert "finished training already" in refused.stderr
    check_not_busy(run)
