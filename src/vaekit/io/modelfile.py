"""A saved model's folder and its ``config.json``, read without torch or scikit-learn.

:mod:`vaekit.io.model` reads the weights and restores an estimator; this module only finds
the folder, checks that it is a complete vaekit model of a format this vaekit reads,
and parses ``config.json``. Commands use :func:`read_header` to check the data
against the model (its columns, its sample shape, how it read its training data)
before they pay for importing torch, so a refused file or folder costs a fraction of
a second instead of several.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaekit._atomic import is_hidden_name, recover
from vaekit._version import __version__

FORMAT = "vaekit-model"
FORMAT_VERSION = 2
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
RUN_MARKER = "vaekit-run.json"
"""The marker of a run folder (see :mod:`vaekit.runs.folder`)."""


def _unfinished_run(path: Path) -> bool:
    """True for a run folder whose marker says it is still training (or was stopped)."""
    try:
        return json.loads((path / RUN_MARKER).read_text()).get("state") == "training"
    except (OSError, ValueError, AttributeError):
        return False


class ModelFileError(ValueError):
    """A saved model directory is missing, incomplete, corrupt or inconsistent."""


def model_dir(path: str | Path) -> Path:
    """``path`` itself, or ``path/model`` for a run folder written by ``vaekit train``.

    A model or run that an interrupted replace left set aside is put back first
    (:func:`vaekit._atomic.recover`).
    """
    path = Path(path)
    recover(path)
    if not (path / CONFIG_NAME).is_file() and (path / "model" / CONFIG_NAME).is_file():
        return path / "model"
    return path


def is_model_dir(path: Path) -> bool:
    """True for a folder that is vaekit's own model: its ``config.json`` says so, and it holds
    nothing but ``config.json`` and ``model.safetensors`` (so ``overwrite`` may replace it)."""
    if is_hidden_name(path) or not path.is_dir():
        return False
    try:
        if json.loads((path / CONFIG_NAME).read_text()).get("format") != FORMAT:
            return False
        return {entry.name for entry in path.iterdir()} <= {CONFIG_NAME, WEIGHTS_NAME}
    except (OSError, ValueError, AttributeError):
        return False


def read_config(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """The model folder (``path`` or a run folder's ``model/``) and its parsed ``config.json``.

    Raises
    ------
    ModelFileError
        The folder is missing, lacks a file, or its config is not a vaekit model's
        config of a format this vaekit reads; the message names the file.
    """
    path = model_dir(path)
    if is_hidden_name(path) or (is_hidden_name(path.parent) and path.name == "model"):
        raise ModelFileError(
            f"{path} is a hidden staging folder, left by an interrupted save or run; it is not a model"
        )
    if not path.exists():
        raise ModelFileError(f"no saved model at {path}: the directory does not exist")
    if _unfinished_run(path):
        run = path.parent if path.name == "next" and (path.parent / RUN_MARKER).is_file() else path  # RUN/next
        raise ModelFileError(
            f"{path} is a run whose training has not finished (it was stopped, or is still running), so it has no "
            f"model yet; continue it with `vaekit train --resume {run}`"
        )
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
        raise ModelFileError(f'{path / CONFIG_NAME} is not a vaekit model config (no "format": "{FORMAT}")')
    missing = {"format_version", "class", "params", "fitted"} - set(config)
    if missing:
        raise ModelFileError(f"{path / CONFIG_NAME} lacks the entries {sorted(missing)}; the file is corrupt")
    for key, kind in _ENTRY_TYPES.items():
        value = config.get(key)
        if (key in config or key in _REQUIRED) and (not isinstance(value, kind) or isinstance(value, bool)):
            raise ModelFileError(
                f'{path / CONFIG_NAME}: "{key}" is {type(value).__name__} {_short(value)}, not '
                f"{_TYPE_WORDS[kind]}; the file is corrupt or was edited"
            )
    if config["format_version"] > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} was saved by a newer vaekit ({config.get('vaekit_version')}, format "
            f"{config['format_version']}); this is vaekit {__version__}. Upgrade vaekit to load it."
        )
    if config["format_version"] < 1:
        raise ModelFileError(f'{path / CONFIG_NAME}: "format_version" {config["format_version"]} is not a format')
    return path, config


_REQUIRED = ("format_version", "class", "params", "fitted")
_ENTRY_TYPES: dict[str, type] = {"format_version": int, "class": str, "kind": str, "params": dict, "fitted": dict}
_TYPE_WORDS = {int: "a whole number", str: "a string", dict: "a JSON object"}


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class ModelHeader:
    """What a command needs to know about a saved model before it reads data.

    The attribute names are the estimator's, so code that checks data against a
    fitted estimator (``feature_names_in_``, ``input_shape_``, ``read_options_``)
    takes a header as well.
    """

    path: Path
    class_name: str
    kind: str | None
    input_shape_: tuple[int, ...]
    latent_dim: int
    feature_names_in_: np.ndarray | None
    read_options_: dict[str, Any] | None
    tabular: bool = False  # a mixed table's model: its input is the table's columns, encoded (its codec_ is tabular)


def read_header(path: str | Path) -> ModelHeader:
    """The :class:`ModelHeader` of a model or run folder, from its ``config.json`` alone.

    Raises
    ------
    ModelFileError
        As :func:`read_config`, or the config lacks the model's sample shape.
    """
    folder, config = read_config(path)
    fitted = config["fitted"]
    shape = fitted.get("input_shape_", fitted.get("input_shape"))  # format 1 had no underscores
    names = fitted.get("feature_names_in_", fitted.get("feature_names_in"))
    options = fitted.get("read_options_")
    try:
        input_shape = tuple(int(v) for v in shape)
        latent_dim = int(fitted.get("latent_dim_", config["params"]["latent_dim"]))  # before "auto", no latent_dim_
    except (KeyError, TypeError, ValueError):
        raise ModelFileError(
            f"{folder / CONFIG_NAME} lacks a valid input_shape_ or latent_dim; the file is corrupt"
        ) from None
    return ModelHeader(
        path=folder,
        class_name=str(config["class"]),
        kind=config.get("kind"),
        input_shape_=input_shape,
        latent_dim=latent_dim,
        feature_names_in_=None if names is None else np.asarray(names, dtype=object),
        read_options_=options if isinstance(options, dict) else None,
        tabular=fitted.get("table_") is not None,
    )
