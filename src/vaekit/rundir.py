"""A run folder on disk: whether a path is one, and how a new one is put in place.

A run folder is vaekit's own only when its marker says so: ``vaekit-run.json`` with
``"format": "vaekit-run"``, a saved model in ``model/``, and nothing else but the
files a run writes. While it trains, a run folder holds only its marker (with
``"state": "training"``), ``config.toml`` and ``checkpoint/``; every command that
reads a model refuses it, saying that it can be resumed (``vaekit train --resume``). Only such a folder is ever replaced (``--force``); any other
folder is refused, whatever ``--force`` says, so nothing a user put there is lost.

Light on purpose (no torch, no scikit-learn): ``vaekit train`` checks its ``--out``
before it reads the data or imports anything heavy.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vaekit._version import __version__
from vaekit.data.atomic import is_hidden_name, recover, replace_dir, resolve_link, staging_dir
from vaekit.modelfile import RUN_MARKER, is_model_dir

MARKER = RUN_MARKER
MARKER_FORMAT = "vaekit-run"
TRAINING = "training"
"""The marker's ``state`` while the run trains (absent once it is complete)."""
TRAINING_FILES = ("config.toml", MARKER)
CHECKPOINT = "checkpoint"
RUN_FILES = ("config.toml", "metrics.json", "history.csv", "latents.csv", "report.html", "explore.html", MARKER)
"""The files a run folder may hold, besides ``model/`` and ``figures/``."""
FIGURE_SUFFIXES = (".png", ".svg")


def run_dir_problem(path: Path) -> str | None:
    """Why ``path`` is not a run folder that vaekit wrote (None when it is one)."""
    if is_hidden_name(path):
        return "its name is that of a hidden staging folder, left by an interrupted write"
    if not path.is_dir():
        return "it is not a folder"
    try:
        marker = json.loads((path / MARKER).read_text())
    except (OSError, ValueError):
        return f"it has no readable {MARKER} marker"
    if not isinstance(marker, dict) or marker.get("format") != MARKER_FORMAT:
        return f'its {MARKER} does not say "format": "{MARKER_FORMAT}"'
    if marker.get("state") == TRAINING:
        extra = [
            e.name
            for e in path.iterdir()
            if not ((e.name in TRAINING_FILES and e.is_file()) or (e.name == CHECKPOINT and e.is_dir()))
        ]
        return (
            f"it is a run in training that holds entries a run does not write ({', '.join(sorted(extra)[:5])})"
            if extra
            else None
        )
    if not is_model_dir(path / "model"):
        return "model/ is not a vaekit model"
    foreign = [
        entry.name
        for entry in path.iterdir()
        if not (
            (entry.name in RUN_FILES and entry.is_file())
            or (entry.name in ("model", "figures") and entry.is_dir() and not entry.is_symlink())
        )
    ]
    figures = path / "figures"
    if figures.is_dir():
        foreign += [
            f"figures/{entry.name}"
            for entry in figures.iterdir()
            if not (entry.is_file() and entry.suffix.lower() in FIGURE_SUFFIXES)
        ]
    if foreign:
        shown = ", ".join(sorted(foreign)[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        return f"it holds entries a run does not write ({shown})"
    return None


def run_state(path: Path) -> str | None:
    """``"training"`` for a run folder whose training has not finished, ``"complete"``, or None (no run)."""
    if run_dir_problem(path) is not None:
        return None
    return TRAINING if json.loads((path / MARKER).read_text()).get("state") == TRAINING else "complete"


def _marker(state: str | None = None) -> str:
    marker = {"format": MARKER_FORMAT, "format_version": 1, "vaekit_version": __version__}
    if state is not None:
        marker["state"] = state
    return json.dumps(marker, indent=2) + "\n"


def start_run(out: Path, force: bool, config_text: str) -> Path:
    """Put a run in training at ``out`` (its marker, ``config.toml``, an empty ``checkpoint/``).

    ``out`` is checked as :func:`check_target` does: an existing run is replaced only
    with ``force``. Returns the checkpoint folder.
    """
    check_target(out, force)
    with staging_dir(out) as staging:
        (staging / CHECKPOINT).mkdir()
        (staging / "config.toml").write_text(config_text)
        (staging / MARKER).write_text(_marker(TRAINING))
        check_target(out, force)
        replace_dir(staging, out)
    return out / CHECKPOINT


def abandon_run(out: Path) -> None:
    """Remove the run in training at ``out`` that this process started, after its training failed.

    Only a folder that is still a run in training is removed: a failed run leaves
    nothing behind (a killed or interrupted one stays, to be resumed).
    """
    real = resolve_link(out)
    if run_state(real) == TRAINING:
        shutil.rmtree(real, ignore_errors=True)


def is_run_dir(path: Path) -> bool:
    """True for a directory written by :func:`vaekit.runs.train_run`, with nothing added (so ``force`` may replace it)."""
    return run_dir_problem(path) is None


def next_free(path: Path) -> Path:
    """``path`` if it does not exist, else ``path-2``, ``path-3``, ..."""
    if not path.exists() and not path.is_symlink():
        return path
    i = 2
    while path.with_name(f"{path.name}-{i}").exists():
        i += 1
    return path.with_name(f"{path.name}-{i}")


def check_target(out: Path, force: bool) -> None:
    """Raise unless ``out`` may be written: absent, or a run directory and ``force``; and its folder writable.

    Raises
    ------
    FileExistsError
        ``out`` exists and ``force`` is False, or it is not a run folder vaekit wrote.
    FileNotFoundError
        ``out`` is a symbolic link to nothing.
    PermissionError
        Nothing can be created where ``out`` would go.
    """
    out = Path(out)
    if is_hidden_name(out):
        raise FileExistsError(f"{out} is named as vaekit's hidden staging folders are; choose another `out`")
    recover(out)
    real = resolve_link(out)  # a link is written through; its target is checked
    if real.exists():
        if not force:
            raise FileExistsError(f"{out} already exists; use `force` to replace it, or `out` to choose another folder")
        problem = run_dir_problem(real)
        if problem is not None:
            raise FileExistsError(
                f"{out} exists and is not a vaekit run folder ({problem}); refusing to replace it, even with "
                "`force`: choose another `out`, or move it away yourself"
            )
    check_writable(real)


def check_writable(target: Path) -> None:
    """Raise PermissionError unless a folder can be created beside ``target`` (where it would go).

    Checked by creating and removing a hidden folder in the nearest folder that
    exists, so read-only folders and file systems are found before a long training.
    """
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".vaekit-probe-", dir=folder))
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise PermissionError(f"cannot write in '{folder}' ({reason}); choose another `out`") from None


@contextmanager
def staged_directory(out: Path, force: bool) -> Iterator[Path]:
    """Yield a staging folder beside ``out``; on success it gets the run marker and becomes ``out``.

    A run in training at ``out`` (the one this run started) is replaced without ``force``.
    """

    def check() -> None:
        if run_state(resolve_link(out)) != TRAINING:
            check_target(out, force)

    check()
    with staging_dir(out) as staging:
        yield staging
        (staging / MARKER).write_text(_marker())
        check()  # nothing appeared meanwhile that we may not replace
        replace_dir(staging, out)
