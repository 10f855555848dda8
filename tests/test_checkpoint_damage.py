"""Damaged checkpoints: every field is checked before a resume uses it.

A checkpoint of a fit stopped after 3 of 6 epochs is damaged one field at a time
(``state.json``, ``latest.json``, ``fit.json``, the tensors), by hand and by a seeded
fuzzer. A resume either continues (the damage was harmless: another number where
any number will do) or raises a one-line :class:`CheckpointError` naming the file
and the field, never an error from inside PyTorch, and never a fit called complete
before its epochs are done.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import vaekit.training.loop as training
from conftest import CliRun
from vaekit import VAE
from vaekit.training.checkpoint import CheckpointError

X = np.random.default_rng(0).normal(size=(120, 5)).astype(np.float32)
PARAMS = {"latent_dim": 2, "hidden": (8,), "epochs": 6, "patience": None, "random_state": 0, "verbose": 0}
PARAMS_BY_KIND = {"plain": PARAMS, "cosine": {**PARAMS, "lr_schedule": "cosine"}}


@pytest.fixture(scope="module", params=list(PARAMS_BY_KIND))
def stopped(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A checkpoint folder of a fit stopped (as Ctrl-C stops it) after its third epoch, and the fit's parameters."""
    params = PARAMS_BY_KIND[request.param]
    folder = tmp_path_factory.mktemp("ck") / "ck"
    real, calls = training._evaluate, [0]

    def evaluate(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    training._evaluate = evaluate  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt):
            VAE(**params).fit(X, checkpoint_dir=folder)
    finally:
        training._evaluate = real  # type: ignore[assignment]
    return folder, params


def _state_folder(ck: Path) -> Path:
    return ck / "init-0" / json.loads((ck / "init-0" / "latest.json").read_text())["folder"]


def _edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def _set(key: str, value: Any) -> Callable[[Any], Any]:
    def change(info: Any) -> Any:
        target = info
        *parents, last = key.split(".")
        for part in parents:
            target = target[part]
        if value is _DROP:
            del target[last]
        else:
            target[last] = value
        return info

    return change


_DROP = object()


def _resume(ck: Path, params: dict[str, Any]) -> VAE:
    return VAE(**params).fit(X, resume_from=ck)


def _damaged(stopped: tuple[Path, dict[str, Any]], tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    ck, params = stopped
    copy = tmp_path / "ck"
    shutil.copytree(ck, copy)
    return copy, params


STATE_DAMAGE: dict[str, tuple[str, Any]] = {
    "epoch past the fit's epochs": ("epoch", 30),
    "negative epoch": ("epoch", -1),
    "epoch as text": ("epoch", "3"),
    "epoch as a float": ("epoch", 3.0),
    "epoch without the history to match": ("epoch", 2),
    "finished after 3 of 6 epochs": ("finished", True),
    "stopped early without patience": ("stopped_early", True),
    "a history column missing": ("history.val_kl", _DROP),
    "a history column too short": ("history.train_loss", [1.0, 2.0]),
    "text in the history": ("history.train_kl", ["a", "b", "c"]),
    "the history as a list": ("history", [1, 2, 3]),
    "best epoch past the epochs": ("best_epoch", 9),
    "bad epochs negative": ("bad_epochs", -4),
    "best loss as text": ("best_loss", "low"),
    "has_best as a number": ("has_best", 1),
    "no optimizer": ("optimizer", None),
    "a learning rate as text": ("optimizer.param_groups", [{"lr": "fast"}]),
    "a scheduler where there is none": ("scheduler", {"last_epoch": 5}),
    "the format version as text": ("format_version", "1"),
}


@pytest.mark.parametrize("case", list(STATE_DAMAGE))
def test_a_damaged_state_json_is_one_line_naming_the_file_and_field(
    case: str, stopped: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    ck, params = _damaged(stopped, tmp_path)
    key, value = STATE_DAMAGE[case]
    if key == "scheduler" and params.get("lr_schedule") == "cosine":
        value = {"last_epoch": "five"}
    state = _state_folder(ck) / "state.json"
    _edit_json(state, _set(key, value))
    with pytest.raises(CheckpointError) as caught:
        _resume(ck, params)
    message = str(caught.value)
    assert "\n" not in message and str(ck) in message, message
    field = key.split(".")[0]
    assert field in message or key.split(".")[-1] in message, message


def test_a_fit_is_never_called_complete_before_its_epochs(stopped: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    ck, params = _damaged(stopped, tmp_path)
    _edit_json(_state_folder(ck) / "state.json", _set("finished", True))
    _edit_json(ck / "init-0" / "latest.json", _set("finished", True))
    with pytest.raises(CheckpointError, match=r"finished is true after 3 of 6 epochs"):
        _resume(ck, params)


@pytest.mark.parametrize(
    "damage",
    [
        {"folder": "../../../etc"},
        {"folder": 7},
        [1, 2],
        {"folder": "epoch-000099"},
    ],
    ids=["a path outside", "a number", "a list", "a state that is not there"],
)
def test_a_damaged_latest_json_is_one_line(damage: Any, stopped: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    ck, params = _damaged(stopped, tmp_path)
    (ck / "init-0" / "latest.json").write_text(json.dumps(damage))
    with pytest.raises(CheckpointError, match="init-0"):
        _resume(ck, params)


@pytest.mark.parametrize("damage", [[1, 2], "text", None], ids=["a list", "a string", "null"])
def test_a_fit_json_that_is_not_an_object_is_one_line(
    damage: Any, stopped: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    ck, params = _damaged(stopped, tmp_path)
    (ck / "fit.json").write_text(json.dumps(damage))
    with pytest.raises(CheckpointError, match="fit.json"):
        _resume(ck, params)


def _reshape_first(prefix: str) -> Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]:
    def change(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        name = sorted(k for k in tensors if k.startswith(prefix))[0]
        tensors[name] = torch.zeros(3, 2, dtype=tensors[name].dtype)
        return tensors

    return change


TENSOR_DAMAGE: dict[str, Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]] = {
    "a weight of another shape": _reshape_first("model."),
    "a best weight of another shape": _reshape_first("best."),
    "Adam's moment of another shape": _reshape_first("optimizer.0.exp_avg"),
    "a weight missing": lambda t: {k: v for k, v in t.items() if k != min(k for k in t if k.startswith("model."))},
    "Adam's step counts of another epoch": lambda t: {**t, "optimizer.0.step": t["optimizer.0.step"] * 0 + 7},
    "the generator's state cut short": lambda t: {**t, "rng.generator": t["rng.generator"][:10]},
    "torch's state as floats": lambda t: {**t, "rng.torch": t["rng.torch"].float()},
    "a tensor a checkpoint never holds": lambda t: {**t, "extra": torch.zeros(2)},
}


@pytest.mark.parametrize("case", list(TENSOR_DAMAGE))
def test_damaged_tensors_are_one_line(case: str, stopped: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    ck, params = _damaged(stopped, tmp_path)
    path = _state_folder(ck) / "state.safetensors"
    tensors = TENSOR_DAMAGE[case](load_file(str(path)))
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))
    with pytest.raises(CheckpointError) as caught:
        _resume(ck, params)
    assert "\n" not in str(caught.value) and str(ck) in str(caught.value), caught.value


ODD_VALUES: list[Any] = [None, True, -1, 0, 2, 10**12, 1.5, float("inf"), "", "x", [], [1], {}, {"a": 1}]


def _fields(value: Any, path: str = "") -> list[str]:
    """Every key path of a JSON object (lists as a whole)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in [f"{path}{k}", *_fields(v, f"{path}{k}.")]]
    return []


def test_fuzzed_checkpoint_json_resumes_or_is_one_line(stopped: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    """Each field of state.json, latest.json and fit.json set to odd values: resumed, or a CheckpointError."""
    rng = random.Random(0)
    failures = []
    base, params = stopped
    targets = [Path("fit.json"), Path("init-0/latest.json"), _state_folder(base).relative_to(base) / "state.json"]
    cases = [(t, f) for t in targets for f in _fields(json.loads((base / t).read_text()))]
    for n, (target, field) in enumerate(rng.sample(cases, min(40, len(cases)))):
        value = rng.choice([*ODD_VALUES, _DROP])
        ck = tmp_path / f"case-{n}"
        shutil.copytree(base, ck)
        _edit_json(ck / target, _set(field, value))
        try:
            fitted = _resume(ck, params)
        except CheckpointError as err:
            if "\n" in str(err) or str(ck) not in str(err):
                failures.append(f"{target}:{field}={value!r}: {err}")
        except Exception as err:
            failures.append(f"{target}:{field}={value!r}: {type(err).__name__}: {err}")
        else:
            if len(fitted.history_["epoch"]) != params["epochs"]:
                failures.append(f"{target}:{field}={value!r}: resumed to {len(fitted.history_['epoch'])} epochs")
        shutil.rmtree(ck)
    assert not failures, "\n".join(failures)


def test_a_damaged_checkpoint_is_one_line_from_the_cli(
    cli: CliRun, table_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real, calls = training._evaluate, [0]

    def evaluate(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "_evaluate", evaluate)
    from typer.testing import CliRunner

    from vaekit.cli import app

    args = ("train", table_csv, "--id", "name", "--label", "group", "--epochs", "6", "--hidden", "8", "--quiet")
    CliRunner().invoke(app, [*(str(a) for a in args), "--out", str(tmp_path / "run")], prog_name="vaekit")
    monkeypatch.undo()
    state = _state_folder(tmp_path / "run" / "checkpoint") / "state.json"
    _edit_json(state, _set("epoch", 40))
    result = cli("train", "--resume", tmp_path / "run", ok=False)
    assert result.stderr.count("\n") == 1 and "state.json: epoch is 40" in result.stderr, result.stderr
