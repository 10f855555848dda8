"""The configuration of a training run, as written to and read from ``config.toml``.

A run's configuration has three tables -- ``[data]``, ``[model]``, ``[training]`` --
holding exactly what ``vaekit train`` was given and the defaults it filled in, so
``vaekit train --config runs/NAME/config.toml`` repeats the run. TOML has no null,
so an option that is off (``patience``, ``grad_clip``...) is written as ``"none"``,
and an option that was not given is written as a comment.

The ``[model]`` and ``[training]`` keys are derived from the estimator classes
(:data:`vaekit.estimators.REGISTRY`): ``model`` names the kind; the network options
every kind shares default to those of the default kind (``vae``); an option that
only some kinds take (``beta``, ``codebook_size``, ...) is "not set" unless given,
and then the chosen kind's own default applies. Reading checks every key and names
the file and the key when one is wrong.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from vaekit.data.split import DATA_DEFAULTS
from vaekit.data.validation import InputError
from vaekit.estimators import REGISTRY, BaseAutoEncoder, estimator_class
from vaekit.estimators._params import NETWORK_CONSTRAINTS, TABLE_CONSTRAINTS, TRAINING_CONSTRAINTS

DEFAULT_KIND = "vae"
NONE = "none"
# [training] keys named apart from their estimator parameter.
TRAINING_NAMES = {"random_state": "seed"}
_NOT_CONFIGURED = ("verbose",)  # set by the caller (``--quiet``), not by the configuration


def signature_defaults(cls: type[BaseAutoEncoder]) -> dict[str, Any]:
    """The estimator's parameters and their defaults, in ``__init__`` order."""
    return {
        name: p.default
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self" and p.kind is not p.VAR_KEYWORD
    }


def kind_options(cls: type[BaseAutoEncoder]) -> list[str]:
    """The parameters a kind takes beyond the shared network and training ones."""
    shared = set(NETWORK_CONSTRAINTS) | set(TABLE_CONSTRAINTS) | set(TRAINING_CONSTRAINTS)
    return [name for name in signature_defaults(cls) if name not in shared]


def _derive_defaults() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The tables' keys and defaults, and one example default per kind-specific key (its type)."""
    base = signature_defaults(REGISTRY[DEFAULT_KIND])
    model: dict[str, Any] = {"model": DEFAULT_KIND, **{name: base[name] for name in NETWORK_CONSTRAINTS}}
    examples: dict[str, Any] = {}
    for cls in REGISTRY.values():
        defaults = signature_defaults(cls)
        for name in kind_options(cls):
            model.setdefault(name, None)
            if examples.get(name) is None:
                examples[name] = defaults[name]
    training = {
        TRAINING_NAMES.get(name, name): base[name] for name in TRAINING_CONSTRAINTS if name not in _NOT_CONFIGURED
    }
    training["seed"] = 0  # a run is reproducible by default
    data = dict(DATA_DEFAULTS)
    return {"data": data, "model": model, "training": training}, examples


DEFAULTS, _EXAMPLES = _derive_defaults()
"""table -> key -> default. The type of a default (or of a kind's default, for keys
that are not set by default) is the accepted type."""


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
    """The configuration as TOML text (tables in the order of :data:`DEFAULTS`).

    A kind-specific key that is not set is written as a comment with the default of
    the configuration's kind, or "(not used by KIND)".
    """
    kind = config["model"]["model"]
    kind_defaults = signature_defaults(REGISTRY[kind]) if kind in REGISTRY else {}
    lines = [f"# {line}" for line in header.splitlines()]
    for table in DEFAULTS:
        lines += ["", f"[{table}]"]
        for key in DEFAULTS[table]:
            value = config[table][key]
            if value is not None or DEFAULTS[table][key] is not None:
                lines.append(f"{key} = {_toml_value(value)}")
            elif table == "model" and key in _EXAMPLES:
                if key in kind_defaults:
                    lines.append(f"# {key} = {_toml_value(kind_defaults[key])}  (the {kind} default)")
                else:
                    lines.append(f"# {key} = ...  (not used by {kind})")
            else:
                lines.append(f"# {key} = ...  (not set)")
    return "\n".join(lines).lstrip("\n") + "\n"


def _check_value(path: Path, table: str, key: str, value: Any) -> Any:
    if value == NONE:
        return None
    default = DEFAULTS[table][key]
    if default is None and table == "model":
        default = _EXAMPLES.get(key)
    where = f"{path}: [{table}] {key} = {value!r}"
    if default == "auto":  # "auto" or a number
        if value == "auto" or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return value
        raise ConfigError(f'{where} must be "auto" or a number')
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


def table_params(data: dict[str, Any]) -> dict[str, Any]:
    """``column_types`` and ``max_categories`` from the [data] table's column lists."""
    column_types: dict[str, str] = {}
    for kind in COLUMN_TYPE_KEYS:
        for name in data.get(kind) or []:
            if name in column_types:
                raise ConfigError(f"column {name!r} is given two types: {column_types[name]} and {kind}")
            column_types[name] = "continuous" if kind == "numeric" else kind
    return {"column_types": column_types or None, "max_categories": int(data.get("max_categories") or 200)}


COLUMN_TYPE_KEYS = ("categorical", "numeric", "count", "binary")
"""[data] keys listing the columns of a mixed table whose type is given, not inferred."""


def estimator_params(config: dict[str, dict[str, Any]]) -> tuple[type[BaseAutoEncoder], dict[str, Any]]:
    """The estimator class and its keyword arguments for this configuration.

    Raises
    ------
    ConfigError
        An unknown kind, or a kind-specific option set, to a value other than a
        default, for a kind that does not take it.
    """
    model, training = config["model"], config["training"]
    try:
        cls = estimator_class(model["model"])
    except ValueError as err:
        raise ConfigError(str(err)) from None
    taken = signature_defaults(cls)
    params: dict[str, Any] = {name: model[name] for name in NETWORK_CONSTRAINTS}
    if params["latent_dim"] == "auto" and taken.get("latent_dim", "auto") != "auto":
        params["latent_dim"] = taken["latent_dim"]  # a kind with a size of its own: the detector's 8, the VQ-VAE's 2
    params.update(table_params(config["data"]))
    if params["hidden"] is not None:
        params["hidden"] = tuple(params["hidden"])
    for name in TRAINING_CONSTRAINTS:
        if name not in _NOT_CONFIGURED:
            params[name] = training[TRAINING_NAMES.get(name, name)]
    for name, value in model.items():
        if name == "model" or name in params or value is None:
            continue
        if name not in taken:
            takers = {
                kind: signature_defaults(other)[name]
                for kind, other in REGISTRY.items()
                if name in signature_defaults(other)
            }
            if value in takers.values():  # a default another kind would use (older run configs list them all)
                continue
            raise ConfigError(f"`{name}` applies to `model` {' or '.join(takers)}, not to `model` {cls.kind}")
        params[name] = value
    return cls, params
