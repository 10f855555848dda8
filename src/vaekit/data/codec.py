"""The one codec between the user's data and the model's units.

Every fitted estimator has one, as ``codec_`` (built from its saved state):

* :class:`ArrayCodec`: arrays and images, with their per-feature scaling
  (:class:`~vaekit.data.preprocessing.Scaling`); outputs are arrays of the sample shape;
* :class:`TableCodec`: a table with columns of several kinds and gaps
  (:class:`~vaekit.data.table.encoder.TableEncoder`); outputs come back in the user's types, a
  DataFrame when the model was fitted on one.

Both answer the same questions, so that the code around a model (figures, reports, the
explorer, the command line) asks the codec instead of asking which kind of data it has:
``encode`` and ``decode`` (user units <-> model units), ``names``, ``n_columns`` (the user's
columns or features), ``n_encoded`` (model values per row), ``columns`` (each column's kind,
for a table), ``layout`` (how the model's values map to columns, for its decoder),
``log_scale`` (what turns a density of model units into one of the user's values) and
``tabular`` (whether its figures are a table's: marginals, per-column errors).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from vaekit.data.preprocessing import Scaling
from vaekit.data.table.bounds import ColumnBounds, apply_columns
from vaekit.data.table.encoder import TableEncoder
from vaekit.data.table.kinds import ColumnSpec
from vaekit.data.table.layout import ColumnLayout
from vaekit.data.validation import InputError


@dataclass(frozen=True)
class ArrayCodec:
    """Arrays (n, *sample_shape) scaled per feature; ``names`` are the fitted feature names, if any;
    ``bounds``, a table of numbers' plausible values per column (None: none, as for images)."""

    scaling: Scaling
    sample_shape: tuple[int, ...]
    names: list[str] | None = None
    bounds: list[ColumnBounds] | None = None
    tabular: ClassVar[bool] = False
    columns: ClassVar[None] = None

    @property
    def n_columns(self) -> int:
        """Features per sample (pixels of an image)."""
        return math.prod(self.sample_shape)

    @property
    def n_encoded(self) -> int:
        return self.n_columns

    def layout(self) -> None:
        """No columns of several kinds: the decoder has one likelihood for every feature."""
        return None

    def encode(self, X: np.ndarray) -> np.ndarray:
        """Checked rows (n, *sample_shape) in the user's units -> model units, same shape."""
        return self.scaling.transform(X)

    def decode(self, values: np.ndarray, index: pd.Index | None = None, plausible: bool = True) -> np.ndarray:
        """Model units (n, *sample_shape) -> the user's units, float32; with ``plausible``, each column
        within its observed range and rounded as its values were (:mod:`vaekit.data.table.bounds`)."""
        out = self.scaling.inverse_transform(values)
        if plausible and self.bounds is not None:
            out = apply_columns(self.bounds, out).astype(np.float32)
        return out

    def log_scale(self, encoded: np.ndarray) -> np.ndarray:
        """Per row (n,), the log of the units' scale summed over the features: a model-unit log-density
        minus this is one of the user's values."""
        return -np.asarray(self.scaling.log_abs_det_jacobian(encoded), dtype=np.float64)


@dataclass(frozen=True)
class TableCodec:
    """A table's columns, encoded as values plus one observed indicator each; ``frame``: fitted on a
    DataFrame, so outputs are DataFrames (else arrays)."""

    table: TableEncoder
    frame: bool
    tabular: ClassVar[bool] = True
    scaling: ClassVar[None] = None  # each column carries its own units (``columns``)

    @property
    def names(self) -> list[str]:
        return [str(name) for name in self.table.names]

    @property
    def columns(self) -> list[ColumnSpec]:
        """Each column's name, kind, categories and units."""
        return list(self.table.columns)

    @property
    def n_columns(self) -> int:
        return len(self.table.names)

    @property
    def n_encoded(self) -> int:
        return self.table.n_encoded

    def layout(self) -> list[ColumnLayout]:
        """Where each column's values and observed indicator sit in a row of model values."""
        return self.table.layout()

    def as_frame(self, X: Any, name: str = "X") -> pd.DataFrame:
        """X as a DataFrame of the fitted columns' names (itself, for a DataFrame)."""
        return as_frame(X, self.names, name)

    def encode(self, X: Any, name: str = "X") -> np.ndarray:
        """A table (DataFrame or 2-D array) -> model values (n, n_encoded) float32; unknown categories
        become gaps."""
        return self.table.encode(self.as_frame(X, name))

    def values(self, X: Any) -> np.ndarray:
        """(n, n_columns) float64 in the target space: standardized numbers, counts, level indices; NaN where missing."""
        return self.table.values(self.as_frame(X))

    def observed(self, X: Any) -> np.ndarray:
        """bool (n, n_columns): the entries of X the model reads as present."""
        return self.table.observed(self.as_frame(X))

    def decode(self, values: np.ndarray, index: pd.Index | None = None, plausible: bool = True) -> Any:
        """Target-space values (n, n_columns) as the user gave the table: a DataFrame, or an array; with
        ``plausible``, each number within its column's observed range, sign and rounding, each count on
        its observed support (:mod:`vaekit.data.table.bounds`)."""
        frame = self.table.to_frame(values, index=index, plausible=plausible)
        return frame if self.frame else frame_as_array(frame)

    def log_scale(self, encoded: np.ndarray) -> np.ndarray:
        """Per row (n,), the sum of log(scale) over its observed continuous columns."""
        total = np.zeros(len(encoded))
        for column in self.layout():
            if column.kind == "continuous":
                total += encoded[:, column.observed_at] * np.log(column.scale)
        return total


DataCodec = ArrayCodec | TableCodec


def as_frame(X: Any, names: list[str] | None, name: str = "X") -> pd.DataFrame:
    """X as a DataFrame: itself, or a 2-D array with the given names (x0, x1, ... when there are none)."""
    if isinstance(X, pd.DataFrame):
        return X
    array = np.asarray(X, dtype=object if not isinstance(X, np.ndarray) else None)
    if array.ndim != 2:
        raise InputError(f"{name} must be a table (n_samples, n_columns); got an array of shape {array.shape}")
    columns = names if names is not None else [f"x{i}" for i in range(array.shape[1])]
    if len(columns) != array.shape[1]:
        raise InputError(f"{name} has {array.shape[1]} columns, but the model was fitted on {len(columns)}")
    return pd.DataFrame(array, columns=columns)


def frame_as_array(frame: pd.DataFrame) -> np.ndarray:
    """A frame as the array a user gave: float64 (NaN where missing) when every value is a number
    (or yes/no), else an object array of the values (text categories)."""
    try:
        return frame.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        return frame.astype(object).where(frame.notna(), None).to_numpy(dtype=object)
