"""A run folder on disk: whether a path is one, and how a new one is put in place.

A run folder is vaekit's own only when its marker says so: ``vaekit-run.json`` with
``"format": "vaekit-run"``, a saved model in ``model/``, and nothing else but the
files a run writes. While it trains, a run folder holds only its marker (with
``"state": "training"``), ``config.toml``, ``checkpoint/`` and ``train.lock``; every
command that reads a model refuses it, saying that it can be resumed (``vaekit train
--resume``). Only such a folder is ever replaced (``--force``); any other folder is
refused, whatever ``--force`` says, so nothing a user put there is lost.

**Replacing a run** (``--force`` over a run that exists) never touches the old one
until the new one is complete: the new run trains in ``RUN/next/`` (a run in
training of its own), every reader goes on reading the old run, and when training
and the run's files are done the finished folder is swapped in for ``RUN`` in one
step (:func:`~vaekit._atomic.replace_dir`), ``next/`` going with the old run. A
failed fit removes only ``next/``; a stopped or killed one leaves it, and ``vaekit
train --resume RUN`` continues it.

**One process trains a run at a time**: a run in training holds ``train.lock``,
locked (``fcntl.flock``) by the process that trains it and naming its host and PID.
The kernel releases the lock when the process ends, however it ends; a second
``--resume`` or ``--force`` of a run being trained is refused, naming that PID.

Light on purpose (no torch, no scikit-learn): ``vaekit train`` checks its ``--out``
before it reads the data or imports anything heavy.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

try:  # POSIX; elsewhere a run is not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]  # not POSIX: the module is None and a run is not locked

from vaekit._atomic import is_hidden_name, recover, replace_dir, resolve_link, staging_dir
from vaekit._version import __version__
from vaekit.io.modelfile import RUN_MARKER, is_model_dir

MARKER = RUN_MARKER
MARKER_FORMAT = "vaekit-run"
TRAINING = "training"
"""The marker's ``state`` while the run trains (absent once it is complete)."""
LOCK = "train.lock"
"""In a run in training: locked by the process that trains it, and naming it."""
TRAINING_FILES = ("config.toml", MARKER, LOCK)
CHECKPOINT = "checkpoint"
NEXT = "next"
"""Inside a run: the run in training that will replace it (``train --force`` over a run that exists)."""
RUN_FILES = ("config.toml", "metrics.json", "history.csv", "latents.csv", "report.html", "explore.html", MARKER, LOCK)
"""The files a run folder may hold, besides ``model/`` and ``figures/``."""
FIGURE_SUFFIXES = (".png", ".svg")


def _is_next(entry: Path, nested: bool) -> bool:
    """True for ``RUN/next``, the run in training that replaces ``RUN`` (never inside another ``next``)."""
    return not nested and entry.name == NEXT and not entry.is_symlink() and run_state(entry, nested=True) == TRAINING


def _refuse_next(out: Path) -> None:
    """Raise when ``out`` is ``RUN/next``: it is trained, resumed and replaced only as part of ``RUN``."""
    real = resolve_link(out)
    if real.name == NEXT and run_state(real.parent) is not None:
        raise FileExistsError(
            f"{out} is the new run in training that is to replace the run {real.parent}; "
            f"continue it with `vaekit train --resume {real.parent}`"
        )


def _owned(entry: Path, nested: bool, allowed: tuple[str, ...]) -> bool:
    """Whether ``entry`` of a run folder is one that vaekit writes there."""
    if is_hidden_name(entry):  # a staging entry of vaekit's own (stale ones are removed by the next write)
        return True
    return (entry.name in allowed and entry.is_file()) or _is_next(entry, nested)


def run_dir_problem(path: Path, nested: bool = False) -> str | None:
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
            if not (_owned(e, nested, TRAINING_FILES) or (e.name == CHECKPOINT and e.is_dir() and not e.is_symlink()))
        ]
        return (
            f"it is a run in training that holds entries a run does not write ({', '.join(sorted(extra)[:5])})"
            if extra
            else None
        )
    if nested:
        return "it is a finished run inside another run"
    if not is_model_dir(path / "model"):
        return "model/ is not a vaekit model"
    foreign = [
        entry.name
        for entry in path.iterdir()
        if not (
            _owned(entry, nested, RUN_FILES)
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


def run_state(path: Path, nested: bool = False) -> str | None:
    """``"training"`` for a run folder whose training has not finished, ``"complete"``, or None (no run)."""
    if run_dir_problem(path, nested) is not None:
        return None
    return TRAINING if json.loads((path / MARKER).read_text()).get("state") == TRAINING else "complete"


def training_folder(out: Path) -> Path | None:
    """Where the run ``out`` trains or would resume: ``out/next`` when it holds a run in training
    that replaces it, ``out`` itself when it is a run in training, None when there is none."""
    real = resolve_link(Path(out))
    state = run_state(real)
    if state is None:
        return None
    if _is_next(real / NEXT, nested=False):
        return real / NEXT
    return real if state == TRAINING else None


def _marker(state: str | None = None) -> str:
    marker = {"format": MARKER_FORMAT, "format_version": 1, "vaekit_version": __version__}
    if state is not None:
        marker["state"] = state
    return json.dumps(marker, indent=2) + "\n"


class RunBusyError(OSError):
    """The run is being trained by another process (it holds the run's lock)."""


def _busy(lock: Path) -> RunBusyError:
    """The error for a run whose ``lock`` another process holds, naming that process."""
    try:
        host, pid, doing = [*lock.read_text().split(), "", "", ""][:3]
    except OSError:
        host = pid = doing = ""
    who = f"PID {pid}" if pid else "another process"
    if host and host != socket.gethostname():
        who += f" on {host}"
    return RunBusyError(
        f"{lock.parent} is being {doing or 'trained'} by {who}; wait for it to end, or stop it before you try again"
    )


def _try_lock(path: Path) -> IO[str] | None:
    """``path`` opened and locked by this process, or None when another process holds its lock.

    Where the file system has no locks (some network file systems), the run is not
    locked rather than refused: the file is returned open, unlocked.
    """
    handle = open(path, "a+")  # noqa: SIM115 -- held open for as long as the run trains
    if fcntl is None:  # pragma: no cover
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):  # another process holds it
            handle.close()
            return None
    return handle


def check_not_busy(folder: Path) -> None:
    """Raise :class:`RunBusyError` when a process trains the run in ``folder`` or in its ``next/``."""
    for lock in (folder / LOCK, folder / NEXT / LOCK):
        if lock.is_file():
            handle = _try_lock(lock)
            if handle is None:
                raise _busy(lock)
            handle.close()


@dataclass
class Training:
    """A run being trained by this process: the run folder the user named, and where it trains.

    ``folder`` is ``out`` (a new run, or one resumed in place) or ``out/next`` (a run
    replacing the one at ``out``); ``lock`` is its ``train.lock``, held open and locked.
    """

    out: Path
    folder: Path
    lock: IO[str] | None

    @property
    def checkpoint(self) -> Path:
        """The checkpoint folder of the run in training."""
        return self.folder / CHECKPOINT

    def release(self) -> None:
        """Let go of the run's lock (the kernel does it too when the process ends)."""
        if self.lock is not None:
            self.lock.close()
            self.lock = None


def _take(lock: Path, doing: str) -> IO[str]:
    """Lock ``lock`` for this process and write who holds it; :class:`RunBusyError` when another does."""
    handle = _try_lock(lock)
    if handle is None:
        raise _busy(lock)
    handle.seek(0)
    handle.truncate()
    handle.write(f"{socket.gethostname()} {os.getpid()} {doing}\n")
    handle.flush()
    return handle


def start_run(out: Path, force: bool, config_text: str) -> Training:
    """Put a run in training at ``out``, or at ``out/next`` when it replaces a run (``force``).

    ``out`` is checked as :func:`check_target` does: an existing run is replaced only
    with ``force``, and never while another process trains it. The new run holds its
    marker, ``config.toml``, an empty ``checkpoint/`` and ``train.lock``, locked by
    this process.
    """
    check_target(out, force)
    real = resolve_link(Path(out))
    replacing = real.exists()
    if replacing:
        check_not_busy(real)
    target = real / NEXT if replacing else Path(out)
    with staging_dir(target) as staging:
        (staging / CHECKPOINT).mkdir()
        (staging / "config.toml").write_text(config_text)
        lock = _take(staging / LOCK, "trained")
        (staging / MARKER).write_text(_marker(TRAINING))
        try:
            check_target(out, force)
            if replacing:
                check_not_busy(real)
            replace_dir(staging, target)
        except BaseException:
            lock.close()
            raise
    return Training(Path(out), resolve_link(target), lock)


def resumable_folder(out: Path) -> Path:
    """The folder of the run in training (stopped or killed) that a resume of ``out`` continues:
    ``out`` itself, or ``out/next`` when it is to replace the run at ``out``.

    Raises
    ------
    FileNotFoundError
        ``out`` is not a run folder.
    FileExistsError
        ``out`` finished training and holds no run in training, or it is ``RUN/next``.
    """
    out = Path(out)
    _refuse_next(out)
    if run_state(resolve_link(out)) is None:
        raise FileNotFoundError(f"{out} is not a vaekit run folder, so there is nothing to resume")
    folder = training_folder(out)
    if folder is None:
        raise FileExistsError(f"{out} finished training already; nothing to resume (its model is in {out}/model)")
    return folder


def resume_run(out: Path) -> Training:
    """Lock the run in training of ``out`` (see :func:`resumable_folder`) to continue it;
    :class:`RunBusyError` when another process trains it."""
    folder = resumable_folder(out)
    return Training(Path(out), folder, _take(folder / LOCK, "resumed"))


def abandon_run(training: Training) -> None:
    """Remove the run in training that this process started, after its training failed.

    Only ``training.folder`` is removed, and only while it is still a run in training:
    a run it was to replace stays as it was. A killed or interrupted run stays, to
    be resumed.
    """
    if run_state(training.folder, nested=training.folder.name == NEXT) == TRAINING:
        shutil.rmtree(training.folder, ignore_errors=True)
    training.release()


def is_run_dir(path: Path) -> bool:
    """True for a directory written by :func:`vaekit.runs.run.train_run`, with nothing added (so ``force`` may replace it)."""
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
    _refuse_next(out)
    recover(out)
    real = resolve_link(out)  # a link is written through; its target is checked
    if real.exists():
        if not force:
            pending = (
                f" (it holds a new run in training that is to replace it: continue that with `vaekit train --resume {out}`)"
                if run_state(real) is not None and _is_next(real / NEXT, nested=False)
                else ""
            )
            raise FileExistsError(
                f"{out} already exists{pending}; use `force` to replace it, or `out` to choose another folder"
            )
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
def staged_directory(training: Training) -> Iterator[Path]:
    """Yield a staging folder beside ``training.out``; on success it gets the run marker and
    replaces ``training.out`` in one step (with the run in training, and any run it replaces).

    Refused when ``out`` was changed meanwhile by someone else: it is no longer a
    run holding this process's run in training.
    """
    out = training.out

    def check() -> None:
        real = resolve_link(out)
        folder = training.folder
        owner = real if folder == real else real / NEXT
        if folder != owner or run_state(folder, nested=folder != real) != TRAINING or run_state(real) is None:
            raise FileExistsError(
                f"{out} was changed by something else while this run trained; it was left as it is, and the "
                "new run was not written: choose another `out`"
            )

    check()
    with staging_dir(out) as staging:
        yield staging
        (staging / MARKER).write_text(_marker())
        check()  # nothing appeared meanwhile that we may not replace
        replace_dir(staging, out)
    training.release()
