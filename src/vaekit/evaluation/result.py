"""Results with declared fields that are also plain dicts (the idea of diffusers' output classes).

A :class:`Result` subclass is a dataclass: its fields are documented and typed, and read
as attributes (``result.elbo``). It is also a ``dict`` of the same fields, so that what
was written for dicts keeps working: ``result["elbo"]``, ``result.get("table")``,
``json.dumps(result)``, and extra entries a model adds about itself (``result.update(...)``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


class Result(dict[str, Any]):
    """The base of the result dataclasses: every field is also an entry of the dict, and setting
    either sets both."""

    def _is_field(self, name: str) -> bool:
        return name in {f.name for f in fields(self)}  # type: ignore[arg-type]  # every subclass is a dataclass

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if self._is_field(name):
            dict.__setitem__(self, name, value)

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key, value)
        if self._is_field(key):
            object.__setattr__(self, key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:  # dict's, through __setitem__
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"


@dataclass(eq=False, repr=False)  # a dict's equality and repr
class Evaluation(Result):
    """What :func:`~vaekit.evaluation.metrics.evaluate_model` measures, means per row unless said.

    The squared errors, ``log_likelihood`` and PCA are None for a mixed table (its measures are
    per column, in ``table``); the log-likelihood entries are None unless asked for.
    """

    n: int
    elbo: float | None  # nats; None for a plain autoencoder, which has no bound
    reconstruction: float  # -log p(x|z), nats
    kl: float  # nats; 0 for an autoencoder
    likelihood: str
    active_units: int | None  # None for an autoencoder
    units: str = ""  # what the scaled squared errors are measured in
    squared_error: float | None = None  # sum over features, the data's units
    mse: float | None = None
    squared_error_scaled: float | None = None  # the model's units
    mse_scaled: float | None = None
    column_r2: list[float | None] | None = None  # a table's columns (None for images)
    table: dict[str, Any] | None = None  # a mixed table's per-column measures
    log_likelihood: float | None = None  # importance-sampled log p(x), nats
    log_likelihood_samples: int | None = None
    bits_per_dim: float | None = None
    pca_in_sample: dict[str, Any] | None = None  # PCA with as many components, fitted and scored on X


__all__ = ["Evaluation", "Result"]
