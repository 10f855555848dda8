"""Parameter names and command-line flags: the one table that maps between them.

The library below the CLI speaks Python: its messages name parameters in backticks
(`` `columns` ``, `` `overwrite` ``), and scikit-learn's parameter checks say "The
'lr' parameter of VAE ...". :func:`to_flags` rewrites both for a command-line user,
through :data:`FLAGS`.

The options that only some model kinds take (``--beta``, ``--codebook-size``, ...)
are not written out here: :func:`kind_options` derives them from the estimator
classes, so a new kind's parameters are flags at once. Importing this module does not
import torch; the two functions that need the estimators import them when called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

FLAGS = {
    "columns": "--columns",
    "label": "--label",
    "id_column": "--id",
    "id": "--id",
    "key": "--key",
    "image_size": "--image-size",
    "image_mode": "--image-mode",
    "header": "--header",
    "split": "--split",
    "data_dir": "--data-dir",
    "overwrite": "--force",
    "model": "--model",
    "kl_warmup_epochs": "--kl-warmup",
    "n_importance": "--k",
    "random_state": "--seed",
    "seed": "--seed",
    "test_fraction": "--test-fraction",
    "data": "DATA",
    "column_types": "--categorical, --numeric, --count or --binary",
}
"""Parameter name -> flag, where the flag is not ``--`` + the name with dashes."""


def flag(name: str) -> str:
    """The command-line flag of a parameter."""
    return FLAGS.get(name, "--" + name.replace("_", "-"))


_BACKTICKED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")
_COLUMN_KIND = re.compile(r"as (continuous|numeric|count|binary|categorical) \(`column_types`\)")
"""A library message's "given as count (`column_types`)": on the command line, the flag of that kind."""
KIND_FLAGS = {"continuous": "--numeric", "numeric": "--numeric", "count": "--count", "binary": "--binary",
              "categorical": "--categorical"}  # fmt: skip
"""A column kind -> the flag of ``vaekit train`` that gives columns that kind (``column_types`` in Python)."""
_SKLEARN_PARAMETER = re.compile(r"The '([A-Za-z_][A-Za-z0-9_]*)' parameter of \w+ must be")


_SNAKE_NAME = re.compile(r"(?<![\w'\"`.-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w'\"`(-])")
"""A bare parameter name with an underscore (``test_fraction must be ...``), not quoted, not a call."""


def to_flags(message: str, options: dict[str, str] | None = None) -> str:
    """A library message for a command-line user: parameter names become flags.

    ``options``: the command's own parameters (name -> flag); a bare name of one of
    them with an underscore in it becomes its flag too (a column's name is quoted,
    so it stays).
    """
    message = _SKLEARN_PARAMETER.sub(lambda m: f"{flag(m.group(1))} must be", message)
    if options:
        message = _SNAKE_NAME.sub(lambda m: options.get(m.group(1), m.group(1)), message)
    message = _COLUMN_KIND.sub(lambda m: f"as {m.group(1)} ({KIND_FLAGS[m.group(1)]})", message)
    return _BACKTICKED.sub(lambda m: flag(m.group(1)), message)


@dataclass(frozen=True)
class KindOption:
    """A parameter that some model kinds take, as a command-line option."""

    name: str
    flag: str
    kinds: tuple[str, ...]
    example: Any  # a default of one of the kinds: its type is the option's type
    help: dict[str, tuple[str, ...]]  # description -> the kinds it describes

    @property
    def metavar(self) -> str:
        return {int: "INTEGER", str: "TEXT"}.get(type(self.example), "NUMBER")


def _parameter_help(doc: str, name: str) -> str:
    """The first sentence of a parameter's description in a numpydoc docstring."""
    match = re.search(rf"^\s*{re.escape(name)}\s*:.*\n((?:\s{{8,}}.*\n?)+)", doc, re.MULTILINE)
    if not match:
        return ""
    text = " ".join(line.strip() for line in match.group(1).splitlines())
    return text.split(". ")[0].rstrip(".")


def kind_options() -> dict[str, KindOption]:
    """Every kind-specific option by flag (``--ema``), derived from the estimator classes."""
    from vaekit.estimators import REGISTRY
    from vaekit.runs.config import kind_options as options_of
    from vaekit.runs.config import signature_defaults

    options: dict[str, KindOption] = {}
    for kind, cls in REGISTRY.items():
        defaults = signature_defaults(cls)
        for name in options_of(cls):
            key = flag(name)
            known = options.get(key)
            example = defaults[name] if known is None or known.example is None else known.example
            helps = dict(known.help) if known else {}
            text = _parameter_help(cls.__doc__ or "", name)
            if text:
                helps[text] = (*helps.get(text, ()), kind)
            elif helps:  # documented as its parent's: add it to the first description
                first = next(iter(helps))
                helps[first] = helps[first] + (kind,)
            options[key] = KindOption(name, key, (known.kinds if known else ()) + (kind,), example, helps)
    return options


def stray_argument(args: list[str]) -> str | None:
    """The first of ``args`` (the options left to :func:`parse_kind_options`) that no kind's option can
    take, known before the estimators are imported: a first token that is not a ``--flag``, or a
    ``-x`` that is not a negative number (values follow their flag). None when there is none.

    >>> stray_argument(["--beta", "-1", "--ema"]), stray_argument(["-o", "out"]), stray_argument(["out"])
    (None, '-o', 'out')
    """
    for i, token in enumerate(args):
        if token.startswith("--"):
            continue
        if i == 0 or (token.startswith("-") and not isinstance(_word_or_number(token), float)):
            return token
    return None


def parse_kind_options(args: list[str], options: dict[str, KindOption]) -> dict[str, Any]:
    """``["--beta", "4", "--ema"]`` -> ``{"beta": 4.0, "ema": True}``.

    Booleans are ``--name`` / ``--no-name``; other values follow the flag or an ``=``.

    Raises
    ------
    ValueError
        An unknown option, a missing value or a value of the wrong type; the message
        names the option.
    """
    values: dict[str, Any] = {}
    tokens = list(args)
    while tokens:
        token = tokens.pop(0)
        text, _, inline = token.partition("=")
        negated = text.startswith("--no-") and ("--" + text[5:]) in options
        option = options.get("--" + text[5:] if negated else text)
        if option is None:
            hint = (
                ""
                if not token.startswith("--")
                else f"; options that some model kinds take: {', '.join(sorted(options))}"
            )
            raise ValueError(f"no such option or argument: {token}{hint}")
        if isinstance(option.example, bool):
            if inline:
                raise ValueError(f"{text} takes no value (use {option.flag} or --no-{option.flag[2:]})")
            values[option.name] = not negated
            continue
        if not inline and not tokens:
            raise ValueError(f"{text} needs a value")
        raw = inline or tokens.pop(0)
        convert = (
            int if isinstance(option.example, int) else _word_or_number if isinstance(option.example, str) else float
        )
        try:
            values[option.name] = convert(raw)
        except ValueError:
            raise ValueError(f"{text} {raw!r}: expected {'an integer' if convert is int else 'a number'}") from None
    return values


def _word_or_number(raw: str) -> str | float:
    """An option whose default is a word ("auto") that takes numbers too: a number as a float, else the word."""
    try:
        return float(raw)
    except ValueError:
        return raw


def kind_options_help() -> list[tuple[str, str]]:
    """(flag, "kinds: help") rows for the help page of ``vaekit train``."""
    from vaekit.estimators import REGISTRY
    from vaekit.runs.config import DEFAULT_KIND

    kinds = sorted(REGISTRY.items(), key=lambda item: item[0] != DEFAULT_KIND)  # the default first
    rows = [(f"--model {kind}", (cls.__doc__ or "").strip().splitlines()[0]) for kind, cls in kinds]
    for option in kind_options().values():
        shown = (
            f"{option.flag}/--no-{option.flag[2:]}"
            if isinstance(option.example, bool)
            else f"{option.flag} {option.metavar}"
        )
        rows.append((shown, "; ".join(f"[{', '.join(kinds)}] {text}" for text, kinds in option.help.items())))
    return rows
