"""The configuration of a training run, as written to and read from ``config.toml``.

A run's configuration has three tables -- ``[data]``, ``[model]``, ``[training]`` --
holding exactly what ``vaekit train`` was given (and the defaults it filled in), so
``vaekit train --config runs/NAME/config.toml`` repeats the run. TOML has no null,
so an option that is off (``patience``, ``grad_clip``...) is written as ``"none"``, and
an option that was not given is written as a comment.
Reading checks every key and names the file and the key when one is wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from vaekit.data.validation import InputError

# table -> key -> default. The types of the defaults are the accepted types.
DEFAULTS: dict[str, dict[str, Any]] = {
    "data": {
        "source": None,
        "columns": None,
        "label": None,
        "id": None,
        "key": None,
        "image_size": None,
        "split": None,
        "data_dir": None,
        "header": None,
        "image_mode": "auto",
        "test_fraction": 0.1,
    },
    "model": {
        "model": "vae",
        "latent_dim": 2,
        "hidden": None,
        "activation": "relu",
        "architecture": "auto",
        "likelihood": "auto",
        "preprocessing": "auto",
        "beta": 1.0,
        "kl_warmup_epochs": 0.0,
        "capacity": None,
        "capacity_epochs": 0.0,
        "gamma": 1000.0,
        "corruption": "gaussian",
        "noise_level": 0.2,
        "n_importance": 5,
        "codebook_size": 128,
        "code_dim": 2,
        "commitment_cost": 0.25,
        "ema": False,
    },
    "training": {
        "epochs": 100,
        "batch_size": 128,
        "lr": 1e-3,
        "lr_schedule": "constant",
        "validation_fraction": 0.1,
        "patience": 10,
        "n_init": 1,
        "grad_clip": None,
        "seed": 0,
        "device": "auto",
    },
}
MODEL_CLASSES = {
    "vae": "VAE",
    "ae": "AutoEncoder",
    "dae": "DenoisingAutoEncoder",
    "iwae": "IWAE",
    "cvae": "ConditionalVAE",
    "vqvae": "VQVAE",
}
# The [model] options each kind takes beyond the shared ones, and the flag that sets each.
MODEL_OPTIONS = {
    "vae": ("beta", "kl_warmup_epochs", "capacity", "capacity_epochs", "gamma"),
    "cvae": ("beta", "kl_warmup_epochs", "capacity", "capacity_epochs", "gamma"),
    "ae": (),
    "dae": ("corruption", "noise_level"),
    "iwae": ("n_importance",),
    "vqvae": ("codebook_size", "code_dim", "commitment_cost", "ema"),
}
FLAGS = {
    "beta": "--beta",
    "kl_warmup_epochs": "--kl-warmup",
    "capacity": "--capacity",
    "capacity_epochs": "--capacity-epochs",
    "gamma": "--gamma",
    "corruption": "--corruption",
    "noise_level": "--noise-level",
    "n_importance": "--k",
    "codebook_size": "--codebook-size",
    "code_dim": "--code-dim",
    "commitment_cost": "--commitment-cost",
    "ema": "--ema",
}
NONE = "none"


class ConfigError(InputError):
    """A run configuration file is unreadable or holds an unknown or ill-typed key."""


def default_config() -> dict[str, dict[str, Any]]:
    """A fresh copy of :data:`DEFAULTS`."""
    return {table: dict(values) for table, values in DEFAULTS.items()}


def _toml_value(value: Any) -> str:
    if value is None:
        return f'"{NONE}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def to_toml(config: dict[str, dict[str, Any]], header: str = "") -> str:
    """The configuration as TOML text (tables in the order of :data:`DEFAULTS`)."""
    lines = [f"# {line}" for line in header.splitlines()]
    for table in DEFAULTS:
        lines += ["", f"[{table}]"]
        for key in DEFAULTS[table]:
            value = config[table][key]
            if value is None and DEFAULTS[table][key] is None:
                lines.append(f"# {key} = ...  (not set)")
            else:
                lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines).lstrip("\n") + "\n"


def _check_value(path: Path, table: str, key: str, value: Any) -> Any:
    if value == NONE:
        return None
    default = DEFAULTS[table][key]
    where = f"{path}: [{table}] {key} = {value!r}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false")
        return value
    if default is None:
        return value
    if isinstance(default, int) and not (isinstance(value, int) and not isinstance(value, bool)):
        raise ConfigError(f"{where} must be an integer")
    if isinstance(default, float) and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
        raise ConfigError(f"{where} must be a number")
    if isinstance(default, str) and not isinstance(value, str):
        raise ConfigError(f"{where} must be a string")
    return float(value) if isinstance(default, float) else value


def read_config(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a run configuration; keys it leaves out keep their defaults.

    Raises
    ------
    ConfigError
        The file is missing or not TOML, or has an unknown table or key, or a value
        of the wrong type. The message names the file and the key.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"config file {path} cannot be read: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config file {path} is not valid TOML: {err}") from None
    config = default_config()
    for table, values in raw.items():
        if table not in DEFAULTS or not isinstance(values, dict):
            raise ConfigError(f"{path}: unknown table [{table}]; expected tables: {', '.join(DEFAULTS)}")
        for key, value in values.items():
            if key not in DEFAULTS[table]:
                raise ConfigError(f"{path}: unknown key {key!r} in [{table}]; known keys: {', '.join(DEFAULTS[table])}")
            config[table][key] = _check_value(path, table, key, value)
    return config


def estimator_params(config: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The estimator class name and its keyword arguments for this configuration."""
    model, training = config["model"], config["training"]
    kind = model["model"]
    if kind not in MODEL_CLASSES:
        raise ConfigError(f"model {kind!r} is not one of {', '.join(MODEL_CLASSES)}")
    params: dict[str, Any] = {
        "latent_dim": model["latent_dim"],
        "hidden": tuple(model["hidden"]) if model["hidden"] is not None else None,
        "activation": model["activation"],
        "architecture": model["architecture"],
        "likelihood": model["likelihood"],
        "preprocessing": model["preprocessing"],
        "epochs": training["epochs"],
        "batch_size": training["batch_size"],
        "lr": training["lr"],
        "lr_schedule": training["lr_schedule"],
        "validation_fraction": training["validation_fraction"],
        "patience": training["patience"],
        "n_init": training["n_init"],
        "grad_clip": training["grad_clip"],
        "device": training["device"],
        "random_state": training["seed"],
    }
    for name, flag in FLAGS.items():
        if name in MODEL_OPTIONS[kind]:
            params[name] = model[name]
        elif model[name] != DEFAULTS["model"][name]:
            takers = [k for k, names in MODEL_OPTIONS.items() if name in names]
            raise ConfigError(f"{flag} ({name}) applies to --model {' or '.join(takers)}, not to --model {kind}")
    return MODEL_CLASSES[kind], params
