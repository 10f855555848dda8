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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from vaekit._atomic import is_hidden_name, recover, replace_dir, resolve_link, staging_dir
from vaekit._version import __version__
from vaekit.data.loaded import brief
from vaekit.data.preprocessing import Scaling
from vaekit.io.codecs import (  # re-exported here
    ARRAY,
    INT,
    INT_TUPLE,
    ISOLATION,
    LABELS,
    NAMES,
    SCALING,
    VALUE,
    Array,
    Codec,
    jsonable,
)
from vaekit.io.modelfile import (  # the folder and config.json, read without torch; re-exported here
    CONFIG_NAME,
    FORMAT,
    FORMAT_VERSION,
    WEIGHTS_NAME,
    ModelFileError,
    is_model_dir,
    model_dir,
    read_config,
)
from vaekit.training.runtime import resolve_device

__all__ = [
    "ARRAY",
    "CONFIG_NAME",
    "FORMAT",
    "FORMAT_VERSION",
    "INT",
    "INT_TUPLE",
    "ISOLATION",
    "LABELS",
    "NAMES",
    "SCALING",
    "VALUE",
    "WEIGHTS_NAME",
    "Array",
    "Codec",
    "ModelFileError",
    "SavedModel",
    "is_model_dir",
    "model_dir",
    "read",
    "restore",
    "save",
]  # fmt: skip


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
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator, "model_")  # NotFittedError (a ValueError), in scikit-learn's words
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
        "params": {k: jsonable(v) for k, v in estimator.get_params().items()},
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
        raise ModelFileError(f"{weights_file} cannot be read ({brief(err)}); the file is truncated or corrupt") from err
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

    Everything read is checked before it is used: each ``"params"`` entry (as ``fit``
    checks it), each ``"fitted"`` entry and state array, every tensor finite, the
    scaling's shape against the input shape and its scales positive, and the shape of
    every weight against the model the config describes (built on torch's "meta"
    device first, so a damaged config cannot make it allocate more than the file holds).

    Parameters
    ----------
    estimator : an unfitted estimator of the saved class
    saved : SavedModel
    device : str or None
        Where to put the model; None uses the saved ``device`` parameter.

    Raises
    ------
    ModelFileError
        A config entry or tensor that is not valid, or weights that do not match the
        config; the one-line message names the file and the entry or tensor.
    """
    config_file, weights_file = saved.path / CONFIG_NAME, saved.path / WEIGHTS_NAME
    _restore_params(estimator, saved.config["params"], config_file)
    _check_finite(saved.tensors, weights_file)
    if not isinstance(estimator.latent_dim, str):  # a model saved before latent_dim_ was: its latent_dim
        estimator.latent_dim_ = estimator.latent_dim
    _restore_state(estimator, saved, config_file, weights_file)
    _check_state(estimator, config_file, weights_file)
    weights = {k.removeprefix("model."): v for k, v in saved.tensors.items() if k.startswith("model.")}
    with torch.device("meta"):  # shapes only: nothing allocated
        _check_weights(_build(estimator, config_file), weights, weights_file)
    estimator.device_ = _resolve_saved_device(estimator, device, config_file)
    model = _build(estimator, config_file)
    model.load_state_dict(weights, strict=True)  # _check_weights found any mismatch
    estimator.model_ = model.to(estimator.device_).eval()
    return estimator


_CORRUPT = "the file is corrupt or was edited"
_ENTRY_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError)
"""What a codec or a parameter check raises for an entry of the wrong type or value."""


def _shown(value: Any) -> str:
    """A config value as JSON, cut at 40 characters."""
    text = json.dumps(jsonable(value), default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _restore_params(estimator: Any, params: dict[str, Any], config_file: Path) -> None:
    """Set the saved hyperparameters, each checked as ``fit`` checks it."""
    known = estimator.get_params()
    for name in params:
        if name not in known:
            raise ModelFileError(
                f'{config_file}: "params" has an entry "{name}" that {type(estimator).__name__} does not take; '
                f"{_CORRUPT}, or it was saved by another version of vaekit"
            )
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    estimator.set_params(**values)
    try:
        estimator._check_params()
    except _ENTRY_ERRORS as err:
        culprit, problem = next(
            ((name, found) for name in values if (found := _param_problem(type(estimator), name, values[name]))),
            (None, err),  # only a combination of entries is wrong
        )
        message = brief(problem, 300)
        words = re.match(r"The '(\w+)' parameter of \w+ (must be .*?)\.? Got .* instead\.?$", message)
        if words is not None:  # scikit-learn's words, which the command line would turn into a flag's
            culprit, message = words[1], f"it {words[2]}"
        where = f'"params": "{culprit}" is {_shown(params.get(culprit))}' if culprit else '"params" are not valid'
        raise ModelFileError(f"{config_file}: {where}: {message}; {_CORRUPT}") from None


def _param_problem(cls: type, name: str, value: Any) -> Exception | None:
    """The error that ``name=value`` alone, with every other parameter at its default, gives."""
    try:
        return cls(**{name: value})._check_params()  # None
    except _ENTRY_ERRORS as err:
        return err


def _resolve_saved_device(estimator: Any, device: str | None, config_file: Path) -> Any:
    """Where the model goes: ``device``, else the saved ``device`` parameter."""
    if device is not None:
        return resolve_device(device)
    try:
        return resolve_device(estimator.device)
    except (RuntimeError, ValueError, TypeError) as err:
        raise ModelFileError(
            f'{config_file}: "params": "device" is {_shown(estimator.device)}, which cannot be used here '
            f'({brief(err)}); load the model with device="cpu"'
        ) from None


def _check_finite(tensors: Mapping[str, torch.Tensor], weights_file: Path) -> None:
    """Raise for the first tensor holding NaN or infinite values."""
    for key, tensor in tensors.items():
        if (tensor.is_floating_point() or tensor.is_complex()) and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise ModelFileError(
                f"{weights_file}: tensor '{key}' holds {bad} NaN or infinite value(s) of {tensor.numel()}; {_CORRUPT}"
            )


def _restore_state(estimator: Any, saved: SavedModel, config_file: Path, weights_file: Path) -> None:
    """Set each declared fitted attribute from its config entry and state tensors."""
    fitted = saved.config["fitted"]
    for name, codec in type(estimator).declared_state().items():
        prefix = f"state.{name}"
        arrays: dict[str, np.ndarray] = {}
        for key, tensor in saved.tensors.items():
            if key == prefix or key.startswith(prefix + "."):
                try:
                    arrays[key.removeprefix(prefix).removeprefix(".")] = tensor.numpy()
                except TypeError:  # a dtype NumPy lacks (bfloat16, float8)
                    raise ModelFileError(
                        f"{weights_file}: tensor '{key}' has dtype {tensor.dtype}, which vaekit never writes; {_CORRUPT}"
                    ) from None
        if name not in fitted and not arrays:
            continue
        try:
            value = codec.load(fitted.get(name), arrays)
        except _ENTRY_ERRORS as err:
            if name not in fitted:
                raise ModelFileError(
                    f'{config_file}: "fitted" lacks "{name}", which the tensors \'{prefix}.*\' belong to; {_CORRUPT}'
                ) from None
            raise ModelFileError(
                f'{config_file}: "fitted": "{name}" is {_shown(fitted[name])}, which is not valid '
                f"({type(err).__name__}: {brief(err)}); {_CORRUPT}"
            ) from None
        expected_type = _VALUE_TYPES.get(name)
        if expected_type is not None and value is not None and not isinstance(value, expected_type):
            raise ModelFileError(
                f'{config_file}: "fitted": "{name}" is {_shown(value)}, not a {expected_type.__name__}; {_CORRUPT}'
            )
        setattr(estimator, name, value)


# Types of the shared JSON entries (the arrays and numbers are checked by their codecs)
_VALUE_TYPES: dict[str, type] = {
    "likelihood_": str, "architecture_": str, "history_": dict, "init_losses_": list, "read_options_": dict,
    "training_settings_": dict, "offset_": float,
}  # fmt: skip


def _check_state(estimator: Any, config_file: Path, weights_file: Path) -> None:
    """The restored attributes agree with each other: shapes, sizes, scales."""
    shape, hidden = getattr(estimator, "input_shape_", None), getattr(estimator, "hidden_", ())
    if shape is None or not 1 <= len(shape) <= 3 or min(shape) < 1:
        raise ModelFileError(
            f'{config_file}: "fitted": "input_shape_" is {_shown(shape)}, not the shape of a sample; {_CORRUPT}'
        )
    if hidden and min(hidden) < 1:
        raise ModelFileError(f'{config_file}: "fitted": "hidden_" is {_shown(hidden)}, not layer widths; {_CORRUPT}')
    size = int(np.prod(shape))
    codec = estimator.codec_  # a table's columns, encoded into input_shape_; or the array itself
    if codec.n_encoded != size:
        saved = "table_" if codec.tabular else "scaling_"
        raise ModelFileError(
            f'{config_file}: "fitted": "{saved}" encodes {codec.n_encoded} values, but "input_shape_" is '
            f"{list(shape)}; {_CORRUPT}"
        )
    size = codec.n_columns
    n_features = getattr(estimator, "n_features_in_", size)
    if n_features != size:
        raise ModelFileError(
            f'{config_file}: "fitted": "n_features_in_" is {n_features}, but "input_shape_" {list(shape)} '
            f"has {size} values; {_CORRUPT}"
        )
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and (names.shape != (size,) or not all(isinstance(n, str) for n in names)):
        raise ModelFileError(
            f'{config_file}: "fitted": "feature_names_in_" is not {size} column names, one per feature; {_CORRUPT}'
        )
    for name, codec in type(estimator).declared_state().items():  # as each declaration says it must be
        problem = codec.problem(estimator, getattr(estimator, name, None))
        if problem is not None:
            where = (
                f"{weights_file}: tensor 'state.{name}'"
                if isinstance(codec, Array)
                else f'{config_file}: "fitted": "{name}"'
            )
            raise ModelFileError(f"{where} {problem}; {_CORRUPT}")
    scaling = getattr(estimator, "scaling_", None)
    if isinstance(scaling, Scaling) and scaling.mean is not None and scaling.scale is not None:
        for part, values in (("mean", scaling.mean), ("scale", scaling.scale)):
            if values.shape != tuple(shape):
                raise ModelFileError(
                    f"{weights_file}: tensor 'state.scaling_.{part}' has shape {values.shape}, but the model's "
                    f"samples have shape {tuple(shape)}; {_CORRUPT}"
                )
        if not (scaling.scale > 0).all():
            first = np.unravel_index(int(np.argmin(scaling.scale > 0)), scaling.scale.shape)
            raise ModelFileError(
                f"{weights_file}: tensor 'state.scaling_.scale' holds {scaling.scale[first]:g} at {tuple(map(int, first))}; "
                f"a scale must be positive; {_CORRUPT}"
            )


def _build(estimator: Any, config_file: Path) -> torch.nn.Module:
    """The estimator's network, or a ModelFileError when its config entries cannot make one."""
    try:
        return estimator._build_model()
    except (*_ENTRY_ERRORS, RuntimeError) as err:
        raise ModelFileError(
            f'{config_file}: the network cannot be built from the "params" and "fitted" entries '
            f"({type(err).__name__}: {brief(err)}); {_CORRUPT}"
        ) from None


_MISMATCH = re.compile(r"size mismatch for ([^:]+): .*?Size\(\[([^\]]*)\]\) from checkpoint, .*?Size\(\[([^\]]*)\]\)")


def _check_weights(model: torch.nn.Module, weights: Mapping[str, torch.Tensor], weights_file: Path) -> None:
    """Load ``weights`` into ``model`` (on the meta device: shapes only), or raise one line naming the first
    tensor whose shape differs, and the missing and unexpected ones (torch's error spans many lines)."""
    try:
        model.load_state_dict(weights, strict=True, assign=True)  # with its hooks for old key names; no copy
    except RuntimeError as err:
        problems = []
        if found := _MISMATCH.search(str(err)):
            problems.append(f"tensor 'model.{found[1]}' has shape ({found[2]}), the config needs ({found[3]})")
        for what in ("Missing", "Unexpected"):
            if listed := re.search(rf"{what} key\(s\) in state_dict: (.*?)\.\s*$", str(err), re.MULTILINE):
                keys = ["model." + key for key in re.findall(r'"([^"]+)"', listed[1])]
                problems.append(f"{what.lower()} {_listed(keys)}")
        detail = "; ".join(problems) or brief(err)
        raise ModelFileError(f"{weights_file} does not match {CONFIG_NAME}: {detail}; {_CORRUPT}") from None


def _listed(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(f"'{name}'" for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
