"""Run and model folders under faults (issue 11, defects 1-4, 7, 16 and the umask).

Nothing a user owns is replaced unless vaekit's own markers say it is a vaekit run or
model; a replace is atomic or recovered after a crash; links are written through;
hidden staging folders are never taken for runs, and stale ones are cleaned up.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import vaekit
from conftest import TINY, CliRun
from vaekit import _atomic as atomic
from vaekit.io.model import ModelFileError
from vaekit.io.modelfile import read_config
from vaekit.runs.folder import MARKER, check_target, is_run_dir


@pytest.fixture(scope="module")
def fitted() -> vaekit.AutoEncoder:
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    return vaekit.AutoEncoder(latent_dim=2, hidden=(8,), epochs=1, verbose=0, random_state=0).fit(X)


TABLE = ("--id", "name", "--label", "group")


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
