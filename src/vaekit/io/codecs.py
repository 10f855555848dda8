"""How each declared piece of an estimator's fitted state is written and read back: a :class:`Codec` turns
it into JSON and tensors, and back (a value, a whole number, names, labels, an array, the scaling)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import torch

from vaekit.data.preprocessing import Scaling
from vaekit.models.isolation import IsolationTrees


# ------------------------------------------------------------------------ codecs
class Codec(Protocol):
    """How one fitted attribute is written: a JSON value, and named arrays."""

    def dump(self, value: Any) -> tuple[Any, dict[str, np.ndarray]]: ...

    def load(self, value: Any, arrays: Mapping[str, np.ndarray]) -> Any: ...

    def problem(self, estimator: Any, value: Any) -> str | None:
        """Why a loaded ``value`` cannot be ``estimator``'s (None when it can)."""
        ...


class _Value:
    """A JSON value (number, string, list, dict), optionally converted when read."""

    def __init__(self, convert: Any = None) -> None:
        self.convert = convert

    def dump(self, value: Any) -> tuple[Any, dict[str, np.ndarray]]:
        return jsonable(value), {}

    def load(self, value: Any, arrays: Mapping[str, np.ndarray]) -> Any:
        return value if self.convert is None else self.convert(value)

    def problem(self, estimator: Any, value: Any) -> str | None:
        return None


class Array:
    """A numeric array, stored in the safetensors file.

    ``shape``: the shape it must have, from the estimator it belongs to (e.g.
    ``lambda e: (e.codebook_size,)``), so that a damaged file is refused when loaded;
    None takes any shape.
    """

    def __init__(self, shape: Callable[[Any], tuple[int, ...]] | None = None) -> None:
        self.shape = shape

    def problem(self, estimator: Any, value: Any) -> str | None:
        """Why ``value`` cannot be this estimator's (None when it can)."""
        if self.shape is None or value is None:
            return None
        expected = self.shape(estimator)
        return None if np.shape(value) == expected else f"has shape {np.shape(value)}, but the model needs {expected}"

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

    def problem(self, estimator: Any, value: Any) -> str | None:
        return None  # checked against the sample shape in io.model


class _Isolation:
    """An isolation forest (:class:`~vaekit.models.isolation.IsolationTrees`): its normalizer in JSON,
    its node arrays in the safetensors file."""

    def dump(self, value: IsolationTrees) -> tuple[Any, dict[str, np.ndarray]]:
        return value.normalizer, {k: np.ascontiguousarray(v) for k, v in value.arrays().items()}

    def load(self, value: Any, arrays: Mapping[str, np.ndarray]) -> IsolationTrees:
        return IsolationTrees.from_arrays(dict(arrays), float(value))

    def problem(self, estimator: Any, value: Any) -> str | None:
        if value is None:
            return None
        n_features = int(np.prod(getattr(estimator, "input_shape_", (0,))))
        used = int(value.feature.max(initial=-1))
        return None if used < n_features else f"splits on feature {used}, but the model has {n_features}"


ISOLATION: Codec = _Isolation()


def _int_tuple(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in value)


VALUE: Codec = _Value()


INT: Codec = _Value(int)


INT_TUPLE: Codec = _Value(_int_tuple)


class _Labels(_Value):
    """Class labels, as a JSON list: a model that is conditional cannot do without them."""

    def __init__(self) -> None:
        super().__init__(np.asarray)

    def problem(self, estimator: Any, value: Any) -> str | None:
        if getattr(estimator, "conditional", False) and (value is None or np.ndim(value) != 1 or not len(value)):
            return f"is {value!r:.60}, not a list of classes (the model is conditional)"
        return None


LABELS: Codec = _Labels()


NAMES: Codec = _Value(lambda names: np.asarray(names, dtype=object))


ARRAY: Codec = Array()


SCALING: Codec = _Scaling()


def jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.random.RandomState):
        return None  # a generator's state is not a hyperparameter worth keeping
    if isinstance(value, torch.device):
        return str(value)
    return value
