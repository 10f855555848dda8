"""Every value of a saved training state checked before a resume uses it.

A checkpoint is read back from a file a user can edit, copy half-way or damage: each
field of ``state.json`` is checked for its type, its range and its agreement with the
others and with the fit that resumes it (the epoch within ``[0, epochs]``, a history
with every column and one row per finished epoch, Adam's step counts matching the
epochs, weights of the model's shapes, random-number states of the generator's size).
A bad value is a one-line :class:`CheckpointError` naming the file and the field,
never an error from deep inside PyTorch, and never a run called complete too early.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import torch

__all__ = ["CheckpointError", "Expected", "check_state"]


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed: missing, corrupt, or from another fit."""


@dataclass(frozen=True)
class Expected:
    """What a saved state must agree with for this fit to continue from it.

    ``model`` is the model's own ``state_dict()`` (names, shapes, dtypes); ``params``
    the shapes of the tensors the optimizer updates, in its order; ``optimizer`` and
    ``scheduler`` the ``state_dict()`` of the fresh ones (their form);
    ``generator`` a state of the training generator (its size).
    """

    epochs: int
    patience: int | None
    steps_per_epoch: int
    history_keys: tuple[str, ...]
    model: Mapping[str, torch.Tensor]
    params: list[tuple[int, ...]]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None
    generator: torch.Tensor | None


_OPTIMIZER_TENSOR = re.compile(r"optimizer\.(\d+)\.(\w+)")


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same_form(saved: Any, fresh: Any) -> str | None:
    """Why ``saved`` (JSON) does not have the form of ``fresh`` (a state_dict's plain part); None when it does."""
    if isinstance(fresh, Mapping):
        if not isinstance(saved, Mapping):
            return f"is {type(saved).__name__}, not an object"
        missing, extra = set(fresh) - set(saved), set(saved) - set(fresh)
        if missing or extra:
            return f"has keys {sorted(map(str, extra))} and lacks {sorted(map(str, missing))}"
        for key in fresh:
            problem = _same_form(saved[key], fresh[key])
            if problem:
                return f"['{key}'] {problem}"
        return None
    if isinstance(fresh, (list, tuple)):
        if not isinstance(saved, (list, tuple)) or len(saved) != len(fresh):
            return f"is {saved!r:.60}, not a list of {len(fresh)}"
        for i, (a, b) in enumerate(zip(saved, fresh)):
            problem = _same_form(a, b)
            if problem:
                return f"[{i}] {problem}"
        return None
    if _is_number(fresh):
        return None if _is_number(saved) else f"is {saved!r:.60}, not a number"
    if fresh is None or saved is None:  # an optional value (a scheduler's, say): either is fine
        return None
    return None if type(saved) is type(fresh) else f"is {saved!r:.60}, not a {type(fresh).__name__}"


def _shapes(field: str, tensors: Mapping[str, torch.Tensor], model: Mapping[str, torch.Tensor]) -> str | None:
    """Why the weights in ``tensors`` do not fit ``model`` (names, shapes, dtypes); None when they do."""
    missing, extra = set(model) - set(tensors), set(tensors) - set(model)
    if missing or extra:
        return f"{field} weights lack {sorted(missing)[:3]} and have {sorted(extra)[:3]} that the model does not"
    for name, value in model.items():
        if tuple(tensors[name].shape) != tuple(value.shape) or tensors[name].dtype != value.dtype:
            return (
                f"{field} weight '{name}' is {tensors[name].dtype} {tuple(tensors[name].shape)}, "
                f"the model's is {value.dtype} {tuple(value.shape)}"
            )
    return None


def _check_json(info: dict[str, Any], latest_finished: Any, expected: Expected) -> tuple[str, str] | None:
    """(field, problem) for the first bad value of ``state.json``; None when all are good."""
    for key in ("finished", "stopped_early", "has_best"):
        if not isinstance(info.get(key), bool):
            return key, f"is {info.get(key)!r:.60}, not true or false"
    epoch = info.get("epoch")
    if not _is_int(epoch) or not 0 <= epoch <= expected.epochs:
        return "epoch", f"is {epoch!r:.60}, not a whole number in [0, {expected.epochs}] (the fit's epochs)"
    if isinstance(latest_finished, bool) and latest_finished != info["finished"]:
        return "finished", f"is {info['finished']} but latest.json says {latest_finished}"
    history = info.get("history")
    if not isinstance(history, dict) or set(history) != set(expected.history_keys):
        keys = sorted(history) if isinstance(history, dict) else type(history).__name__
        return "history", f"has columns {keys}, not {list(expected.history_keys)}"
    for key in expected.history_keys:
        column = history[key]
        if not isinstance(column, list) or len(column) != epoch or not all(_is_number(v) for v in column):
            return f"history.{key}", f"is not a list of {epoch} numbers (one per finished epoch)"
    if history["epoch"] != list(range(1, epoch + 1)):
        return "history.epoch", f"is not 1, 2, ..., {epoch}"
    for key in ("best_epoch", "bad_epochs"):
        if not _is_int(info.get(key)) or not 0 <= info[key] <= epoch:
            return key, f"is {info.get(key)!r:.60}, not a whole number in [0, {epoch}] (the epochs finished)"
    best_loss = info.get("best_loss")
    if not _is_number(best_loss) or math.isnan(best_loss):
        return "best_loss", f"is {best_loss!r:.60}, not a number"
    if info["stopped_early"] and (expected.patience is None or info["bad_epochs"] <= expected.patience):
        return "stopped_early", f"is true, but early stopping (patience {expected.patience}) cannot have stopped it"
    if info["finished"] and not info["stopped_early"] and epoch != expected.epochs:
        return "finished", f"is true after {epoch} of {expected.epochs} epochs, without early stopping"
    if not info["finished"] and (info["stopped_early"] or epoch == expected.epochs):
        return "finished", f"is false after {epoch} of {expected.epochs} epochs" + (
            " and early stopping" if info["stopped_early"] else ""
        )
    optimizer = info.get("optimizer")
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("plain"), dict):
        return "optimizer", "is not an object with 'param_groups' and 'plain'"
    problem = _same_form(optimizer.get("param_groups"), expected.optimizer["param_groups"])
    if problem:
        return "optimizer.param_groups", problem
    for index, entries in optimizer["plain"].items():
        if not (str(index).isdigit() and int(index) < len(expected.params) and isinstance(entries, dict)):
            return f"optimizer.plain.{index}", "is not the state of one of the optimizer's tensors"
    if (info.get("scheduler") is None) != (expected.scheduler is None):
        return "scheduler", "is absent, or present for a fit without a schedule"
    if expected.scheduler is not None:
        problem = _same_form(info["scheduler"], expected.scheduler)
        if problem:
            return "scheduler", problem
    return None


def _check_tensors(
    info: dict[str, Any], tensors: Mapping[str, torch.Tensor], expected: Expected
) -> tuple[str, str] | None:
    """(field, problem) for the first tensor of ``state.safetensors`` that does not fit; None when all do."""
    groups: dict[str, dict[str, torch.Tensor]] = {"model": {}, "best": {}}
    steps: list[float] = []
    plain = info["optimizer"]["plain"]
    for name, value in tensors.items():
        head, _, rest = name.partition(".")
        if head in groups:
            groups[head][rest] = value
        elif (match := _OPTIMIZER_TENSOR.fullmatch(name)) is not None:
            index, key = int(match.group(1)), match.group(2)
            if index >= len(expected.params):
                return name, f"belongs to tensor {index}, but the optimizer updates {len(expected.params)}"
            if key == "step":
                if value.numel() != 1:
                    return name, f"has {value.numel()} values, not 1"
                steps.append(float(value.reshape(-1)[0]))
            elif tuple(value.shape) != expected.params[index]:
                return name, f"is {tuple(value.shape)}, the parameter's is {expected.params[index]}"
        elif name.startswith("rng."):
            fresh = expected.generator if name == "rng.generator" else torch.get_rng_state()
            if value.dtype != torch.uint8 or (
                fresh is not None and name in ("rng.generator", "rng.torch") and value.numel() != fresh.numel()
            ):
                return name, f"is {value.dtype} ({value.numel()} values), not a random-number state of this machine"
        else:
            return name, "is not a tensor a checkpoint holds"
    problem = _shapes("model", groups["model"], expected.model)
    if problem is None and info["has_best"]:
        problem = _shapes("best", groups["best"], expected.model)
    elif problem is None and groups["best"]:
        problem = "best weights are saved, but has_best is false"
    if problem:
        return "state.safetensors", problem
    steps += [float(e["step"]) for e in plain.values() if _is_number(e.get("step"))]
    done = info["epoch"] * expected.steps_per_epoch
    if info["epoch"] > 0 and (not steps or max(steps) != done or min(steps) < 0):
        shown = sorted({int(s) if float(s).is_integer() else s for s in steps})[:3]
        return "optimizer step", (
            f"is {shown or 'absent'}, but {info['epoch']} epochs of {expected.steps_per_epoch} steps make {done}"
        )
    return None


def check_state(
    where: Path, info: dict[str, Any], tensors: Mapping[str, torch.Tensor], latest_finished: Any, expected: Expected
) -> None:
    """Raise :class:`CheckpointError` naming ``where`` and the field unless the saved state fits ``expected``."""
    found = _check_json(info, latest_finished, expected) or _check_tensors(info, tensors, expected)
    if found is not None:
        field, problem = found
        raise CheckpointError(f"{where}: {field} {problem}; the checkpoint is damaged, so it cannot be resumed")
