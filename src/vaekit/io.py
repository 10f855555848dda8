"""Save and restore fitted estimators as a directory, without pickle.

A saved model is a directory with two files:

* ``config.json``: the estimator class and kind, vaekit and torch versions, the
  hyperparameters (``get_params()``) and every *declared* fitted attribute that JSON
  can hold (shapes, names, the likelihood, the training history, ...);
* ``model.safetensors``: the network weights (``model.*``) and every declared fitted
  array (``state.<attribute>``, ``state.<attribute>.<part>``).

Nothing here knows the estimator classes: an estimator declares its fitted state as
``{attribute name: codec}`` (``declared_state()``), and this module writes and reads
whatever is declared. Loading a file never runs code. Format 1 (vaekit before the
declarations) is read by :func:`_upgrade_v1`.

The directory is written next to its destination and renamed into place, so a crash
never leaves a half-written model; an existing directory is only replaced with
``overwrite=True`` and only if it is a vaekit model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from vaekit._version import __version__
from vaekit.data.atomic import is_hidden_name, recover, replace_dir, resolve_link, staging_dir
from vaekit.data.preprocessing import Scaling
from vaekit.modelfile import (  # the folder and config.json, read without torch; re-exported here
    CONFIG_NAME,
    FORMAT,
    FORMAT_VERSION,
    WEIGHTS_NAME,
    ModelFileError,
    is_model_dir,
    model_dir,
    read_config,
)
from vaekit.training import resolve_device

__all__ = [
    "CONFIG_NAME", "FORMAT", "FORMAT_VERSION", "WEIGHTS_NAME", "ModelFileError", "SavedModel",
    "is_model_dir", "model_dir", "read", "restore", "save",
]  # fmt: skip


# ------------------------------------------------------------------------ codecs
class Codec(Protocol):
    """How one fitted attribute is written: a JSON value, and named arrays."""

    def dump(self, value: Any) -> tuple[Any, dict[str, np.ndarray]]: ...

    def load(self, value: Any, arrays: Mapping[str, np.ndarray]) -> Any: ...


class _Value:
    """A JSON value (number, string, list, dict), optionally converted when read."""

    def __init__(self, convert: Any = None) -> None:
        self.convert = convert

    def dump(self, value: Any) -> tuple[Any, dict[str, np.ndarray]]:
        return _jsonable(value), {}

    def load(self, value: Any, arrays: Mapping[str, np.ndarray]) -> Any:
        return value if self.convert is None else self.convert(value)


class _Array:
    """A numeric array, stored in the safetensors file."""

    def dump(self, value: Any) -> tuple[Any, dict[str, np.ndarray]]:
        return None, {"": np.ascontiguousarray(value)}

    def load(self, value: Any, arrays: Mapping[str, np.ndarray]) -> Any:
        return arrays[""]


class _Scaling:
    """The preprocessing: its kind in JSON, its statistics as arrays."""

    def dump(self, value: Scaling) -> tuple[Any, dict[str, np.ndarray]]:
        return value.kind, {k: np.ascontiguousarray(v) for k, v in value.arrays().items()}

    def load(self, value: Any, arrays: Mapping[str, np.ndarray]) -> Scaling:
        return Scaling.from_saved(value, dict(arrays))


def _int_tuple(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in value)


VALUE: Codec = _Value()
INT: Codec = _Value(int)
INT_TUPLE: Codec = _Value(_int_tuple)
LABELS: Codec = _Value(np.asarray)
NAMES: Codec = _Value(lambda names: np.asarray(names, dtype=object))
ARRAY: Codec = _Array()
SCALING: Codec = _Scaling()


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.random.RandomState):
        return None  # a generator's state is not a hyperparameter worth keeping
    if isinstance(value, torch.device):
        return str(value)
    return value


# -------------------------------------------------------------------------- save
def save(estimator: Any, path: str | Path, overwrite: bool = False) -> Path:
    """Save a fitted estimator into the directory ``path``; returns the path.

    Writes ``get_params()``, every attribute of ``declared_state()`` that the
    estimator has, and ``model_``'s weights.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False, or it exists and is not a vaekit
        model (such a directory is never replaced).
    """
    if not hasattr(estimator, "model_"):
        raise ValueError(f"{type(estimator).__name__} is not fitted yet; call fit before save")
    path = Path(path)
    if is_hidden_name(path):
        raise FileExistsError(f"{path} is named as vaekit's hidden staging folders are; choose another path")
    recover(path)  # a model an interrupted replace set aside is put back, and then protected as any other
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it")
        real = resolve_link(path)  # a link is written through: the model it points to is replaced
        if not (real.is_dir() and (is_model_dir(real) or not any(real.iterdir()))):
            raise FileExistsError(
                f"{path} exists and is not a vaekit model folder (only config.json and model.safetensors, "
                "written by vaekit); refusing to replace it"
            )
    fitted: dict[str, Any] = {}
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in estimator.model_.state_dict().items()}
    for name, codec in type(estimator).declared_state().items():
        if not hasattr(estimator, name):
            continue
        value, arrays = codec.dump(getattr(estimator, name))
        fitted[name] = value
        for part, array in arrays.items():
            tensors[f"state.{name}.{part}" if part else f"state.{name}"] = torch.from_numpy(array)
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": type(estimator).__name__,
        "kind": type(estimator).kind,
        "vaekit_version": __version__,
        "torch_version": torch.__version__,
        "trained_on_device": str(getattr(estimator, "device_", "cpu")),
        "params": {k: _jsonable(v) for k, v in estimator.get_params().items()},
        "fitted": fitted,
    }
    with staging_dir(path) as staging:
        (staging / CONFIG_NAME).write_text(json.dumps(config, indent=2, allow_nan=True) + "\n")
        (staging / WEIGHTS_NAME).write_bytes(save_safetensors(tensors, metadata={"format": "pt"}))
        replace_dir(staging, path)
    return path


# -------------------------------------------------------------------------- read
@dataclass
class SavedModel:
    """A model directory as read: its config and its tensors (weights and state)."""

    path: Path
    config: dict[str, Any]
    tensors: dict[str, torch.Tensor]

    @property
    def class_name(self) -> str:
        return str(self.config["class"])


def read(path: str | Path) -> SavedModel:
    """Read and check a model directory (or a run folder holding one in ``model/``).

    Raises
    ------
    ModelFileError
        The directory is missing, incomplete or corrupt; the message names the file.
    """
    path, config = read_config(path)
    weights_file = path / WEIGHTS_NAME
    try:
        tensors = load_safetensors(weights_file.read_bytes())
    except (SafetensorError, ValueError, OSError) as err:
        raise ModelFileError(f"{weights_file} cannot be read ({err}); the file is truncated or corrupt") from err
    if config.get("format_version", 1) < 2:
        config, tensors = _upgrade_v1(config, tensors)
    return SavedModel(path, config, tensors)


# Format 1 wrote these fitted entries without the trailing underscore, and the
# preprocessing as "preprocessing" with its arrays under "state.scaling.".
_V1_RENAMES = {"preprocessing": "scaling_", "trained_on_device": None}


def _upgrade_v1(
    config: dict[str, Any], tensors: dict[str, torch.Tensor]
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """A format-1 config and tensors in the form of format 2."""
    fitted: dict[str, Any] = {}
    for key, value in dict(config["fitted"]).items():
        name = _V1_RENAMES.get(key, key if key.endswith("_") else f"{key}_")
        if name is not None:
            fitted[name] = value
    config = {**config, "fitted": fitted, "trained_on_device": config["fitted"].get("trained_on_device")}
    renamed = {
        (f"state.scaling_.{key.removeprefix('state.scaling.')}" if key.startswith("state.scaling.") else key): value
        for key, value in tensors.items()
    }
    return config, renamed


def restore(estimator: Any, saved: SavedModel, device: str | None = None) -> Any:
    """Set a fresh estimator's parameters and declared state from ``saved``; build its model.

    Parameters
    ----------
    estimator : an unfitted estimator of the saved class
    saved : SavedModel
    device : str or None
        Where to put the model; None uses the saved ``device`` parameter.

    Raises
    ------
    ModelFileError
        The weights or state do not match the config.
    """
    path = saved.path
    try:
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in saved.config["params"].items()}
        estimator.set_params(**params)
        for name, codec in type(estimator).declared_state().items():
            prefix = f"state.{name}"
            arrays = {
                key.removeprefix(prefix).removeprefix("."): tensor.numpy()
                for key, tensor in saved.tensors.items()
                if key == prefix or key.startswith(prefix + ".")
            }
            if name in saved.config["fitted"] or arrays:
                setattr(estimator, name, codec.load(saved.config["fitted"].get(name), arrays))
        estimator.device_ = resolve_device(device if device is not None else estimator.device)
        model = estimator._build_model()
        weights = {k.removeprefix("model."): v for k, v in saved.tensors.items() if k.startswith("model.")}
        model.load_state_dict(weights, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise ModelFileError(
            f"{path} is inconsistent: {WEIGHTS_NAME} does not match {CONFIG_NAME} ({type(err).__name__}: {err})"
        ) from err
    estimator.model_ = model.to(estimator.device_).eval()
    return estimator
