"""Checkpoints of a training run that resume bit-identically: safetensors plus JSON, no pickle.

A checkpoint folder holds one subfolder per restart (``init-0/``, ``init-1/``, ...)
and a ``fit.json`` that says what the fit was (estimator class, parameters, data) so
that a resume with anything else is refused, naming what differs. Each restart's
folder holds the states of the epochs it has finished::

    init-0/
      latest.json               -> {"folder": "epoch-000012", "finished": false}
      epoch-000012/state.safetensors   weights, best weights, Adam's moments, RNG states
      epoch-000012/state.json          epoch, history, early stopping, scheduler, optimizer settings

A state is written into a hidden folder, flushed, renamed into place, and only then
does ``latest.json`` (replaced atomically) point at it; older states are removed
after that. A process killed at any instant therefore leaves ``latest.json``
pointing at a complete state.

Every random-number state the loop draws from is saved: the training generator
(batch order and reparameterization noise), torch's global generator, and the CUDA
ones where present; with the weights, Adam's moments and step counts, the
learning-rate scheduler and the early-stopping state, training continued from a
checkpoint gives the same bits as training that was never stopped (on the CPU).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from vaekit._version import __version__
from vaekit.training.checkpoint_check import CheckpointError, Expected, check_state

__all__ = ["CheckpointError", "Checkpointer", "Expected", "TrainingState", "start_fit"]
from vaekit._atomic import fsync_dir, fsync_file, write_atomic

FORMAT = "vaekit-checkpoint"
FORMAT_VERSION = 1
FIT_FILE = "fit.json"
LATEST = "latest.json"
STATE_TENSORS = "state.safetensors"
STATE_JSON = "state.json"
_STATE_NAME = re.compile(r"epoch-\d{6}(-final)?")


@dataclass
class TrainingState:
    """What the loop needs to continue after ``epoch`` finished epochs.

    Tensors go to safetensors (``model``, ``best`` and ``optimizer`` tensors, RNG
    states as uint8); everything else is JSON.
    """

    epoch: int
    model: dict[str, torch.Tensor]
    best: dict[str, torch.Tensor] | None
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None
    generator: torch.Tensor | None
    history: dict[str, list[float]]
    best_epoch: int
    best_loss: float
    bad_epochs: int
    stopped_early: bool = False
    finished: bool = False
    rng: dict[str, torch.Tensor] = field(default_factory=dict)


def _optimizer_split(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """An optimizer's ``state_dict`` -> (its tensors by flat name, the JSON rest)."""
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for index, entries in state["state"].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{index}.{key}"] = value
            else:
                plain.setdefault(str(index), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "plain": plain}


def _optimizer_join(tensors: dict[str, torch.Tensor], saved: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {int(i): dict(v) for i, v in saved["plain"].items()}
    for name, value in tensors.items():
        if name.startswith("optimizer."):
            _, index, key = name.split(".", 2)
            state.setdefault(int(index), {})[key] = value
    return {"state": state, "param_groups": saved["param_groups"]}


def _contiguous(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # a copy of each: during training the parameters are views into one flat tensor
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in tensors.items()}


def capture_rng(generator: torch.Generator | None) -> tuple[torch.Tensor | None, dict[str, torch.Tensor]]:
    """The training generator's state and torch's global ones (CPU, and CUDA where used)."""
    rng = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            rng[f"rng.cuda.{i}"] = state
    return (None if generator is None else generator.get_state()), rng


def restore_rng(state: TrainingState, generator: torch.Generator | None) -> None:
    """Put back what :func:`capture_rng` took."""
    if generator is not None and state.generator is not None:
        generator.set_state(state.generator)
    if "rng.torch" in state.rng:
        torch.set_rng_state(state.rng["rng.torch"])
    cuda = [state.rng[k] for k in sorted(state.rng) if k.startswith("rng.cuda.")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)


class Checkpointer:
    """Writes and reads the states of one restart in ``folder``.

    Parameters
    ----------
    folder : Path
        ``CHECKPOINT/init-K``; created when the first state is written.
    every_seconds : float or None
        None: a state after every epoch. A number: after the first epoch that ends
        at least that long after the previous state (and always the last one).
    write : bool
        False on the ranks other than 0 of a data-parallel run: they read, never write.
    """

    def __init__(self, folder: Path, every_seconds: float | None = None, write: bool = True) -> None:
        self.folder = Path(folder)
        self.every_seconds = every_seconds
        self.write = write
        self._last = time.monotonic()

    def due(self, last_epoch: bool) -> bool:
        """Whether the epoch that just ended should be saved."""
        return last_epoch or self.every_seconds is None or time.monotonic() - self._last >= self.every_seconds

    def save(self, state: TrainingState) -> None:
        """Write ``state`` atomically and point ``latest.json`` at it; older states are removed."""
        self._last = time.monotonic()
        if not self.write:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{state.epoch:06d}" + ("-final" if state.finished else "")
        hidden = self.folder / f".tmp-{os.getpid()}-{name}"
        shutil.rmtree(hidden, ignore_errors=True)
        hidden.mkdir()
        tensors = {f"model.{k}": v for k, v in state.model.items()}
        if state.best is not None:
            tensors.update({f"best.{k}": v for k, v in state.best.items()})
        optimizer_tensors, optimizer_rest = _optimizer_split(state.optimizer)
        tensors.update(optimizer_tensors)
        tensors.update(state.rng)
        if state.generator is not None:
            tensors["rng.generator"] = state.generator
        save_file(_contiguous(tensors), str(hidden / STATE_TENSORS))
        info = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "vaekit_version": __version__,
            "epoch": state.epoch,
            "finished": state.finished,
            "history": state.history,
            "best_epoch": state.best_epoch,
            "best_loss": state.best_loss,
            "bad_epochs": state.bad_epochs,
            "stopped_early": state.stopped_early,
            "has_best": state.best is not None,
            "optimizer": optimizer_rest,
            "scheduler": state.scheduler,
        }
        (hidden / STATE_JSON).write_text(json.dumps(info))
        for path in hidden.iterdir():
            fsync_file(path)
        target = self.folder / name
        shutil.rmtree(target, ignore_errors=True)
        os.rename(hidden, target)
        fsync_dir(self.folder)
        write_atomic(self.folder / LATEST, json.dumps({"folder": name, "finished": state.finished}), overwrite=True)
        for old in self.folder.iterdir():  # states older than the one just written
            if old.name != name and old.is_dir() and old.name.startswith("epoch-"):
                shutil.rmtree(old, ignore_errors=True)

    def load(self, expected: Expected | None = None) -> TrainingState | None:
        """The latest complete state, or None when this restart has none yet.

        With ``expected``, every value is checked against the fit that resumes it
        (see :func:`check_state`) before it is used.

        Raises
        ------
        CheckpointError
            The state cannot be read, or a value in it is of the wrong type, out of
            range or inconsistent; the message names the file and the field.
        """
        pointer = self.folder / LATEST
        if not pointer.is_file():
            return None
        try:
            latest = json.loads(pointer.read_text())
            name = latest["folder"] if isinstance(latest, dict) else None
            if not isinstance(name, str) or _STATE_NAME.fullmatch(name) is None:
                raise CheckpointError(f"{pointer}: 'folder' is {name!r}, not the name of a saved state; it is damaged")
            info = json.loads((self.folder / name / STATE_JSON).read_text())
            tensors = load_file(str(self.folder / name / STATE_TENSORS))
        except (OSError, ValueError, KeyError, TypeError, SafetensorError) as err:
            if isinstance(err, CheckpointError):
                raise
            raise CheckpointError(f"the checkpoint in {self.folder} cannot be read ({err}); it is corrupt") from None
        where = self.folder / name / STATE_JSON
        if not isinstance(info, dict):
            raise CheckpointError(f"{where} does not hold a JSON object; the checkpoint is damaged")
        if info.get("format") != FORMAT:
            raise CheckpointError(
                f"{where}: format is {info.get('format')!r:.40}, not {FORMAT!r}; not a vaekit checkpoint"
            )
        if not isinstance(info.get("format_version"), int) or isinstance(info["format_version"], bool):
            raise CheckpointError(f"{where}: format_version is {info.get('format_version')!r:.40}, not a whole number")
        if info["format_version"] > FORMAT_VERSION:
            raise CheckpointError(f"{where} is not a vaekit checkpoint this version reads")
        if expected is not None:
            check_state(where, info, tensors, latest.get("finished"), expected)
        return TrainingState(
            epoch=int(info["epoch"]),
            model={k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")},
            best={k[len("best.") :]: v for k, v in tensors.items() if k.startswith("best.")}
            if info["has_best"]
            else None,
            optimizer=_optimizer_join(tensors, info["optimizer"]),
            scheduler=info["scheduler"],
            generator=tensors.get("rng.generator"),
            history=info["history"],
            best_epoch=int(info["best_epoch"]),
            best_loss=float(info["best_loss"]),
            bad_epochs=int(info["bad_epochs"]),
            stopped_early=bool(info["stopped_early"]),
            finished=bool(info["finished"]),
            rng={k: v for k, v in tensors.items() if k.startswith("rng.") and k != "rng.generator"},
        )


def _differences(saved: dict[str, Any], current: dict[str, Any], prefix: str = "") -> list[str]:
    """Human-readable differences between two JSON objects: ``"latent_dim: 2 (checkpoint) vs 3 (now)"``."""
    found = []
    for key in sorted(set(saved) | set(current)):
        a, b = saved.get(key, "<absent>"), current.get(key, "<absent>")
        if isinstance(a, dict) and isinstance(b, dict):
            found += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            found.append(f"{prefix}{key}: {a!r} in the checkpoint, {b!r} now")
    return found


def start_fit(folder: Path, fit: dict[str, Any], resume: bool, write: bool = True) -> None:
    """Check (``resume``) or record (a new fit) what the fit in ``folder`` is.

    ``fit`` is JSON: the estimator class, its parameters, the vaekit version and a
    fingerprint of the data. A resume whose ``fit`` differs is refused with a
    one-line :class:`CheckpointError` naming what differs; a new fit in a folder
    that already holds a checkpoint is refused too (nothing is overwritten).
    """
    folder = Path(folder)
    path = folder / FIT_FILE
    if resume:
        if not path.is_file():
            raise CheckpointError(f"there is no checkpoint to resume in {folder} ({FIT_FILE} is missing)")
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise CheckpointError(f"{path} cannot be read ({err}); the checkpoint is corrupt") from None
        if not isinstance(saved, dict):
            raise CheckpointError(f"{path} does not hold a JSON object; the checkpoint is damaged")
        differences = _differences(saved, fit)
        if differences:
            shown = "; ".join(differences[:3]) + (f"; and {len(differences) - 3} more" if len(differences) > 3 else "")
            raise CheckpointError(f"the checkpoint in {folder} is from another fit, so it cannot be resumed: {shown}")
        return
    if not write:  # a rank other than 0: rank 0 checks and writes
        return
    if path.exists():
        raise CheckpointError(f"{folder} already holds a checkpoint; resume it (resume_from) or choose an empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(fit, indent=2, sort_keys=True) + "\n")
