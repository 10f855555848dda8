"""Save and load fitted estimators as a directory, without pickle.

A saved model is a directory with two files:

* ``config.json``: the estimator class, vaekit and torch versions, the
  hyperparameters, the data shape, the likelihood, the preprocessing kind and the
  training history;
* ``model.safetensors``: the network weights (``model.*``) and every fitted array
  (``state.*``: preprocessing, the autoencoder's latent Gaussian).

Loading a file never runs code. The directory is written next to its destination
and renamed into place, so a crash never leaves a half-written model; an existing
directory is only replaced with ``overwrite=True`` and only if it is a vaekit model.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

import vaekit.family  # noqa: F401  (registers the model family in ESTIMATORS)
from vaekit._version import __version__
from vaekit.data.preprocessing import Scaling
from vaekit.estimators import ESTIMATORS, _BaseAutoEncoder
from vaekit.training import resolve_device

FORMAT = "vaekit-model"
FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
# Fitted arrays other than the network's weights, per attribute name.
STATE_ARRAYS = ("latent_mean_", "latent_cov_", "class_prior_", "code_frequencies_")


class ModelFileError(ValueError):
    """A saved model directory is missing, incomplete, corrupt or inconsistent."""


def _is_vaekit_model(path: Path) -> bool:
    try:
        return json.loads((path / CONFIG_NAME).read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.random.RandomState):
        return None  # a generator's state is not a hyperparameter worth keeping
    return value


def move_into_place(staging: Path, path: Path) -> None:
    """Rename the finished directory ``staging`` to ``path``, replacing what is there.

    The old directory is first renamed aside and removed only after the new one is in
    place, so ``path`` always holds a complete directory.
    """
    if path.exists():
        retired = path.with_name(f".{path.name}.old-{os.getpid()}")
        os.replace(path, retired)
        os.replace(staging, path)
        shutil.rmtree(retired)
    else:
        os.replace(staging, path)


def save(estimator: _BaseAutoEncoder, path: str | Path, overwrite: bool = False) -> Path:
    """Save a fitted estimator into the directory ``path``; returns the path.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False, or it exists and is not a vaekit
        model (such a directory is never replaced).
    """
    if not hasattr(estimator, "model_"):
        raise ValueError(f"{type(estimator).__name__} is not fitted yet; call fit before save")
    path = Path(path)
    if path.exists():
        if not overwrite:
            raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it")
        if not (path.is_dir() and (_is_vaekit_model(path) or not any(path.iterdir()))):
            raise FileExistsError(
                f"{path} exists and is not a vaekit model directory; refusing to replace it"
            )
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": type(estimator).__name__,
        "vaekit_version": __version__,
        "torch_version": torch.__version__,
        "params": {k: _jsonable(v) for k, v in estimator.get_params().items()},
        "fitted": {
            "input_shape": list(estimator.input_shape_),
            "n_features_in": estimator.n_features_in_,
            "likelihood": estimator.likelihood_,
            "architecture": estimator.architecture_,
            "hidden": list(estimator.hidden_),
            "preprocessing": estimator.scaling_.kind,
            "trained_on_device": str(estimator.device_),
            "best_epoch": estimator.best_epoch_,
            "n_epochs": estimator.n_epochs_,
            "history": estimator.history_,
        },
    }
    if hasattr(estimator, "feature_names_in_"):
        config["fitted"]["feature_names_in"] = [str(n) for n in estimator.feature_names_in_]
    if hasattr(estimator, "classes_"):
        config["fitted"]["classes"] = np.asarray(estimator.classes_).tolist()
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in estimator.model_.state_dict().items()}
    for key, array in estimator.scaling_.arrays().items():
        tensors[f"state.scaling.{key}"] = torch.from_numpy(np.ascontiguousarray(array))
    for name in STATE_ARRAYS:
        if hasattr(estimator, name):
            tensors[f"state.{name}"] = torch.from_numpy(np.ascontiguousarray(getattr(estimator, name)))

    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        (staging / CONFIG_NAME).write_text(json.dumps(config, indent=2, allow_nan=True) + "\n")
        (staging / WEIGHTS_NAME).write_bytes(save_safetensors(tensors, metadata={"format": "pt"}))
        move_into_place(staging, path)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return path


def _read_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ModelFileError(f"no saved model at {path}: the directory does not exist")
    if not path.is_dir():
        raise ModelFileError(f"{path} is a file; a saved model is a directory holding {CONFIG_NAME} and {WEIGHTS_NAME}")
    for name in (CONFIG_NAME, WEIGHTS_NAME):
        if not (path / name).is_file():
            raise ModelFileError(f"{path} is not a complete vaekit model: {name} is missing")
    try:
        config = json.loads((path / CONFIG_NAME).read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise ModelFileError(f"{path / CONFIG_NAME} is not valid JSON ({err}); the file is corrupt") from err
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(f"{path / CONFIG_NAME} is not a vaekit model config (no \"format\": \"{FORMAT}\")")
    if config.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} was saved by a newer vaekit ({config.get('vaekit_version')}, format "
            f"{config.get('format_version')}); this is vaekit {__version__}. Upgrade vaekit to load it."
        )
    missing = {"class", "params", "fitted"} - set(config)
    if missing:
        raise ModelFileError(f"{path / CONFIG_NAME} lacks the entries {sorted(missing)}")
    if config["class"] not in ESTIMATORS:
        raise ModelFileError(f"{path / CONFIG_NAME} names an unknown class {config['class']!r}; known: {sorted(ESTIMATORS)}")
    return config


def load(path: str | Path, device: str | None = None) -> _BaseAutoEncoder:
    """Load an estimator saved with :func:`save`.

    Parameters
    ----------
    path : str or Path
        The model directory.
    device : str or None
        Where to put the model; None uses the saved ``device`` parameter ("auto" by
        default: CUDA, then MPS, then CPU).

    Raises
    ------
    ModelFileError
        The directory is missing, incomplete, corrupt, or its weights do not match its
        config. The message names the file.
    """
    path = Path(path)
    config = _read_config(path)
    weights_file = path / WEIGHTS_NAME
    try:
        tensors = load_safetensors(weights_file.read_bytes())
    except (SafetensorError, ValueError, OSError) as err:
        raise ModelFileError(f"{weights_file} cannot be read ({err}); the file is truncated or corrupt") from err

    estimator = ESTIMATORS[config["class"]]()
    try:
        params = dict(config["params"])
        if params.get("hidden") is not None:
            params["hidden"] = tuple(params["hidden"])
        estimator.set_params(**params)
        fitted = config["fitted"]
        estimator.input_shape_ = tuple(int(s) for s in fitted["input_shape"])
        estimator.n_features_in_ = int(fitted["n_features_in"])
        estimator.likelihood_ = fitted["likelihood"]
        estimator.architecture_ = fitted["architecture"]
        estimator.hidden_ = tuple(int(h) for h in fitted["hidden"])
        estimator.history_ = fitted.get("history", {})
        estimator.best_epoch_ = int(fitted.get("best_epoch", 0))
        estimator.n_epochs_ = int(fitted.get("n_epochs", 0))
        if fitted.get("classes") is not None:
            estimator.classes_ = np.asarray(fitted["classes"])
        if fitted.get("feature_names_in") is not None:
            estimator.feature_names_in_ = np.asarray(fitted["feature_names_in"], dtype=object)
        scaling_arrays = {
            k.removeprefix("state.scaling."): v.numpy() for k, v in tensors.items() if k.startswith("state.scaling.")
        }
        estimator.scaling_ = Scaling.from_saved(fitted["preprocessing"], scaling_arrays)
        for name in STATE_ARRAYS:
            if f"state.{name}" in tensors:
                setattr(estimator, name, tensors[f"state.{name}"].numpy())
        estimator.device_ = resolve_device(device if device is not None else estimator.device)
        model = estimator._build_model()
        weights = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
        model.load_state_dict(weights, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        if isinstance(err, ModelFileError):
            raise
        raise ModelFileError(
            f"{path} is inconsistent: {WEIGHTS_NAME} does not match {CONFIG_NAME} ({type(err).__name__}: {err})"
        ) from err
    estimator.model_ = model.to(estimator.device_).eval()
    return estimator
