"""Run folders (:mod:`vaekit.runs.folder`): ``train --force`` replaces a run only once the new one is
complete, one process trains a run at a time, and (below) run and model folders under faults.

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
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vaekit
import vaekit.training.loop as training
from conftest import TINY, CliRun
from vaekit import _atomic as atomic
from vaekit.io.model import ModelFileError
from vaekit.io.modelfile import read_config
from vaekit.runs.folder import LOCK, MARKER, NEXT, check_not_busy, check_target, is_run_dir, run_state

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

    monkeypatch.setattr(training, "run_members", diverge)
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
    real = training.run_members

    def train_and_look(*args: object, **kwargs: object) -> object:
        seen.append(contents(run, skip=NEXT))  # while the new run trains, the old one is whole
        assert run_state(run / NEXT, nested=True) == "training"
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "run_members", train_and_look)
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
    real = training._evaluate

    def stop_at_the_third_epoch(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "_evaluate", stop_at_the_third_epoch)
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


# ----------------------------------------------------------------------
# Run and model folders under faults (issue 11, defects 1-4, 7, 16 and the umask).
#
# Nothing a user owns is replaced unless vaekit's own markers say it is a vaekit run or
# model; a replace is atomic or recovered after a crash; links are written through;
# hidden staging folders are never taken for runs, and stale ones are cleaned up.


@pytest.fixture(scope="module")
def fitted() -> vaekit.AutoEncoder:
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    return vaekit.AutoEncoder(latent_dim=2, hidden=(8,), epochs=1, verbose=0, random_state=0).fit(X)


def copy_run(run: Path, where: Path) -> Path:
    target = where / "run"
    shutil.copytree(run, target, symlinks=True)
    return target


# ----------------------------------------------------------------- 1. run markers
def test_force_never_replaces_a_folder_that_only_has_a_runs_file_names(
    cli: CliRun, table_csv: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "config.toml").write_text("[mine]\n")
    (project / "metrics.json").write_text("{}\n")
    (project / "thesis.tex").write_text("years of work\n")
    result = cli("train", table_csv, *TABLE, "--out", project, "--force", *TINY, ok=False)
    assert "not a vaekit run folder" in result.stderr and "--force" in result.stderr
    assert (project / "thesis.tex").read_text() == "years of work\n"
    assert sorted(p.name for p in project.iterdir()) == ["config.toml", "metrics.json", "thesis.tex"]


def test_force_never_replaces_a_run_the_user_added_files_to(cli: CliRun, table_run: Path, tmp_path: Path) -> None:
    run = copy_run(table_run, tmp_path)
    assert is_run_dir(run)
    (run / "notes.md").write_text("my notes\n")
    assert not is_run_dir(run)
    with pytest.raises(FileExistsError, match=r"notes\.md"):
        check_target(run, force=True)
    (run / "notes.md").unlink()
    (run / "figures" / "mine.pdf").write_text("x")
    with pytest.raises(FileExistsError, match=r"figures/mine\.pdf"):
        check_target(run, force=True)


def test_a_run_without_the_marker_or_with_a_foreign_model_is_not_a_run(table_run: Path, tmp_path: Path) -> None:
    run = copy_run(table_run, tmp_path)
    (run / MARKER).unlink()
    assert not is_run_dir(run)
    (run / MARKER).write_text(json.dumps({"format": "something-else"}))
    assert not is_run_dir(run)
    (run / MARKER).write_text(json.dumps({"format": "vaekit-run", "format_version": 1}))
    assert is_run_dir(run)
    (run / "model" / "config.json").write_text('{"format": "not-vaekit"}')
    assert not is_run_dir(run)


def test_force_replaces_a_run_vaekit_wrote(cli: CliRun, table_csv: Path, table_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    shutil.copytree(table_run, out)  # a run vaekit wrote (trained with these options and TINY)
    marker = json.loads((out / MARKER).read_text())
    assert marker["format"] == "vaekit-run" and marker["vaekit_version"] == vaekit.__version__
    cli("train", table_csv, *TABLE, "--out", out, "--force", "--seed", "1", *TINY)
    assert is_run_dir(out)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # nothing hidden left beside it


def test_save_overwrite_refuses_a_folder_with_anything_but_a_model(fitted: vaekit.AutoEncoder, tmp_path: Path) -> None:
    path = fitted.save(tmp_path / "model")
    (path / "README.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a vaekit model folder"):
        fitted.save(path, overwrite=True)
    assert (path / "README.txt").read_text() == "mine"


# ------------------------------------------------------- 2. atomic replace, crashes
CRASH = textwrap.dedent(
    """
    import os, shutil, sys
    from vaekit import _atomic as atomic  # no torch: the replace is the data layer's

    where, new, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "fallback":  # no renameat2: killed between setting the old folder aside and moving the new one in
        atomic._exchange = lambda a, b: False
        atomic._after_set_aside = lambda: os._exit(9)
    with atomic.staging_dir(where) as staging:
        for name in os.listdir(new):
            shutil.copy(os.path.join(new, name), staging)
        if mode == "exchange":  # killed after the atomic exchange, before the old folder is deleted
            atomic.shutil.rmtree = lambda *a, **k: os._exit(9)
        atomic.replace_dir(staging, where)
    """
)


@pytest.mark.parametrize("mode", ["fallback", "exchange"])
def test_a_save_killed_mid_replace_leaves_a_loadable_model(
    fitted: vaekit.AutoEncoder, tmp_path: Path, mode: str
) -> None:
    if mode == "exchange" and atomic._RENAMEAT2 is None:
        pytest.skip("no renameat2 on this system")
    path = fitted.save(tmp_path / "model")
    other = tmp_path.parent / f"{tmp_path.name}-new"
    X = np.random.default_rng(1).normal(size=(30, 3)).astype(np.float32)
    vaekit.AutoEncoder(latent_dim=1, hidden=(4,), epochs=1, verbose=0).fit(X).save(other)
    done = subprocess.run([sys.executable, "-c", CRASH, str(path), str(other), mode], capture_output=True, timeout=60)
    assert done.returncode == 9, done.stderr.decode()[-2000:]
    hidden = sorted(p.name[:4] for p in tmp_path.iterdir() if p.name.startswith("."))
    # What the killed process left: the old model set aside and the new one unmoved (fallback), or the old
    # model at the staging name (exchange), with the new one complete at the path.
    assert hidden == ([".old", ".tmp"] if mode == "fallback" else [".tmp"])
    assert (path / "config.json").exists() == (mode == "exchange")
    loaded = vaekit.load(path)  # recovers the old model (fallback) or finds the new one (exchange)
    assert loaded.latent_dim == (2 if mode == "fallback" else 1)
    fitted.save(path, overwrite=True)  # the next write cleans the stale leftovers
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_replace_dir_swaps_in_one_step_where_the_system_can(tmp_path: Path) -> None:
    if atomic._RENAMEAT2 is None:
        pytest.skip("no renameat2 on this system")
    target = tmp_path / "t"
    target.mkdir()
    (target / "old").write_text("old")
    renames: list[tuple[str, str]] = []
    real_rename = os.rename
    try:
        atomic.os.rename = lambda a, b: renames.append((str(a), str(b))) or real_rename(a, b)  # type: ignore[assignment]
        with atomic.staging_dir(target) as staging:
            (staging / "new").write_text("new")
            atomic.replace_dir(staging, target)
    finally:
        atomic.os.rename = real_rename  # type: ignore[assignment]
    assert renames == []  # no two-step rename: the exchange did it
    assert [p.name for p in target.iterdir()] == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["t"]


# --------------------------------------------------------------------- 3. links
def test_save_through_a_link_replaces_the_model_it_points_to(fitted: vaekit.AutoEncoder, tmp_path: Path) -> None:
    real = fitted.save(tmp_path / "real-model")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    fitted.save(link, overwrite=True)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert vaekit.load(link).latent_dim == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real-model"]


def test_a_link_to_nothing_is_refused(fitted: vaekit.AutoEncoder, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "gone")
    with pytest.raises(FileExistsError, match="already exists"):
        fitted.save(link)
    with pytest.raises(FileNotFoundError, match="symbolic link"):
        fitted.save(link, overwrite=True)
    assert link.is_symlink() and not (tmp_path / "gone").exists()


def test_train_force_through_a_link_replaces_the_run_it_points_to(
    cli: CliRun, table_csv: Path, table_run: Path, tmp_path: Path
) -> None:
    real = tmp_path / "disk" / "run"
    shutil.copytree(table_run, real)  # a run vaekit wrote
    link = tmp_path / "run-link"
    link.symlink_to(real, target_is_directory=True)
    cli("train", table_csv, *TABLE, "--out", link, "--force", *TINY)
    assert link.is_symlink() and is_run_dir(real)
    assert [p.name for p in real.parent.iterdir()] == ["run"]


# --------------------------------------------------------- 4. staging folders
def test_a_staging_folder_is_never_a_model_or_a_run(cli: CliRun, table_run: Path, table_csv: Path) -> None:
    staging = table_run.parent / f".tmp-{atomic._HOST}-{os.getpid()}-0123abcd-{table_run.name}"
    shutil.copytree(table_run, staging)
    try:
        assert not is_run_dir(staging)
        result = cli("encode", staging, table_csv, "-o", staging.parent / "z.csv", ok=False)
        assert "staging folder" in result.stderr
        with pytest.raises(ModelFileError, match="staging folder"):
            vaekit.load(staging / "model")
    finally:
        shutil.rmtree(staging)


def test_stale_staging_folders_are_removed_and_live_ones_named(fitted: vaekit.AutoEncoder, tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # a process that has ended
    stale = tmp_path / f".tmp-{atomic._HOST}-{dead_pid}-0123abcd-model"
    live = tmp_path / f".tmp-{atomic._HOST}-{os.getppid()}-4567abcd-model"
    other_target = tmp_path / f".tmp-{atomic._HOST}-{dead_pid}-89abcdef-other"
    for folder in (stale, live, other_target):
        folder.mkdir()
        (folder / "config.json").write_text("{}")
    with pytest.warns(UserWarning, match=live.name):
        fitted.save(tmp_path / "model")
    assert not stale.exists() and live.exists() and other_target.exists()


# ------------------------------------------------------ 7. config.json field types
@pytest.mark.parametrize(
    "change",
    [
        {"format_version": "2"},
        {"class": ["VAE"]},
        {"params": [1]},
        {"fitted": None},
        {"kind": 3},
        {"format_version": 0},
    ],
)
def test_tampered_config_types_are_a_model_file_error(fitted: vaekit.AutoEncoder, tmp_path: Path, change: dict) -> None:
    path = fitted.save(tmp_path / "model")
    config = json.loads((path / "config.json").read_text())
    (path / "config.json").write_text(json.dumps({**config, **change}))
    with pytest.raises(ModelFileError, match="config.json"):
        read_config(path)
    with pytest.raises(ModelFileError):
        vaekit.load(path)


# ------------------------------------------------------ 16. a read-only destination
def test_an_unwritable_destination_is_refused_before_training(
    cli: CliRun, table_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from vaekit.estimators import BaseAutoEncoder

    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    def no_fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    monkeypatch.setattr(BaseAutoEncoder, "fit", no_fit)
    result = cli("train", table_csv, *TABLE, "--out", tmp_path / "ro" / "run", *TINY, ok=False)
    assert f"cannot write in '{tmp_path}'" in result.stderr and "--out" in result.stderr
    assert ".tmp-" not in result.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes in read-only folders")
def test_a_read_only_folder_is_refused_before_training(cli: CliRun, table_csv: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = cli("train", table_csv, *TABLE, "--out", folder / "run", *TINY, ok=False)
        assert "cannot write in" in result.stderr
    finally:
        folder.chmod(stat.S_IRWXU)


# ----------------------------------------------------------------- the umask
def test_run_and_model_folders_follow_the_umask(cli: CliRun, table_csv: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        cli("train", table_csv, *TABLE, "--out", tmp_path / "run", *TINY)
    finally:
        os.umask(old)
    for folder in (tmp_path / "run", tmp_path / "run" / "model", tmp_path / "run" / "figures"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755, folder
    assert stat.S_IMODE((tmp_path / "run" / "metrics.json").stat().st_mode) == 0o644
