"""Mixed tables (numbers, counts, yes/no and categorical columns, with gaps) as the network sees them.

:class:`TableEncoder` is fitted on a data frame: it infers each column's kind
(:mod:`vaekit.data.table.kinds` has the rules), then turns frames into the encoded
float matrix of :mod:`vaekit.data.table.layout` and back. Three spaces:

- the user's **frame**: their column names, dtypes and labels;
- **target space**, float ``(n, n_columns)``, NaN where missing: a continuous
  column's standardized value, a count's integer, a binary column's 0/1, a
  categorical column's level index -- what the likelihoods compare with
  (:meth:`TableEncoder.values`, :meth:`TableEncoder.targets`, and back to a frame
  with :meth:`TableEncoder.to_frame`);
- the **encoded** table, float32 ``(n, n_encoded)``: per column its values and an
  observed indicator (:meth:`TableEncoder.encode`, laid out by :meth:`TableEncoder.layout`).

Outputs are made plausible by default: each number column within its observed range,
rounded as its values were written, a count off the gaps in its values
(:mod:`vaekit.data.table.bounds`, learned by :meth:`TableEncoder.fit`).

The encoder is saved as JSON (:meth:`TableEncoder.to_json`), no pickle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vaekit.data.loaded import DataFileError, quoted
from vaekit.data.table.bounds import ColumnBounds
from vaekit.data.table.kinds import (
    FEW_LEVELS,
    KIND_ALIASES,
    ColumnSpec,
    TableValueWarning,
    infer_column,
    scalar,
    shown,
)
from vaekit.data.table.layout import COLUMN_KINDS, ColumnLayout, params_per_column
from vaekit.data.table.values import column_out, column_values

__all__ = ["ColumnBounds", "ColumnSpec", "TableEncoder", "TableValueWarning"]

JSON_FORMAT = "vaekit.table_encoder"
JSON_VERSION = 1


def _duplicates(names: list[str]) -> list[str]:
    """The names that occur more than once, each once, in order."""
    counts = pd.Series(names).value_counts(sort=False)
    return [name for name in dict.fromkeys(names) if counts[name] > 1]


@dataclass
class TableEncoder:
    """The columns of a mixed table, and how each is encoded and given back.

    Build it with :meth:`fit` (or :meth:`from_json`). Two encoders are equal when
    their columns and bounds are.

    Attributes
    ----------
    columns : list of ColumnSpec
        One per column, in the table's order.
    bounds : list of ColumnBounds, or None
        One per column: the values it can hold, which :meth:`to_frame` keeps outputs to;
        None for an encoder saved before vaekit learned them (outputs as they were).
    """

    columns: list[ColumnSpec] = field(default_factory=list)
    bounds: list[ColumnBounds] | None = None

    def __post_init__(self) -> None:
        if self.bounds is not None and len(self.bounds) != len(self.columns):
            raise ValueError(f"bounds must have one entry per column ({len(self.columns)}), got {len(self.bounds)}")

    # ------------------------------------------------------------ fitting

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        column_types: Mapping[str, str] | None = None,
        max_categories: int = 200,
        source: str | None = None,
        few_levels: int = FEW_LEVELS,
    ) -> TableEncoder:
        """Infer each column's kind and fit its levels or standardization.

        Parameters
        ----------
        frame : DataFrame of shape (n, n_columns)
            Every column is modelled; leave out identifiers, labels and dates first.
        column_types : mapping of str to str, optional
            Column name -> ``"continuous"`` (or ``"numeric"``), ``"count"``,
            ``"binary"`` or ``"categorical"``, overriding the inferred kind.
        max_categories : int
            The most levels a categorical column may have.
        source : str, optional
            The file the frame came from, named in messages.
        few_levels : int
            Numbers with 3 to this many distinct values (and enough rows) are ordered levels
            (:func:`~vaekit.data.table.kinds.infer_column`); 0: never.

        Returns
        -------
        TableEncoder
            With each column's :class:`ColumnBounds`, from its observed values.

        Raises
        ------
        DataFileError
            An empty frame, duplicate column names, a ``column_types`` key that is
            not a column or a kind that is not known, or a column refused by
            :func:`~vaekit.data.table.kinds.infer_column`. Warns
            :class:`TableValueWarning` for columns that mix numbers and text.
        """
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"TableEncoder.fit takes a pandas DataFrame, got {type(frame).__name__}")
        if isinstance(max_categories, bool) or not isinstance(max_categories, (int, np.integer)) or max_categories < 1:
            raise ValueError(f"max_categories must be a positive integer, got {max_categories!r}")
        where = f"{quoted(source)}: " if source is not None else ""
        names = [str(name) for name in frame.columns]
        if not names or not len(frame):
            raise DataFileError(f"{where}the table is empty ({len(frame)} rows, {len(names)} columns)")
        if duplicated := _duplicates(names):
            raise DataFileError(f"{where}duplicate column names: {shown(duplicated)}; give each column its own name")
        declared = {}
        for name, kind in (column_types or {}).items():
            resolved = KIND_ALIASES.get(str(kind), str(kind))
            if str(name) not in names:
                given = f"given as {resolved} (`column_types`)" if resolved in COLUMN_KINDS else "in `column_types`"
                raise DataFileError(f"{where}column {str(name)!r}, {given}, is not a column ({shown(names)})")
            if resolved not in COLUMN_KINDS:
                raise DataFileError(
                    f"{where}`column_types` gives column {str(name)!r} the kind {kind!r}; "
                    f"the kinds are {', '.join(COLUMN_KINDS)} (or numeric for continuous)"
                )
            declared[str(name)] = resolved
        columns, bounds = [], []
        for j, name in enumerate(names):  # a loop, not a comprehension: the notes' stacklevel counts frames
            spec = infer_column(
                frame.iloc[:, j],
                name,
                declared.get(name),
                max_categories=max_categories,
                where=where,
                few_levels=few_levels,
            )
            numeric = spec.kind in ("continuous", "count")
            x = column_values(spec, frame.iloc[:, j], warn=False, standardize=False) if numeric else np.zeros(0)
            columns.append(spec)
            bounds.append(ColumnBounds.fit(spec.kind, x[~np.isnan(x)], spec.dtype))  # x: (n,), NaN where missing
        return cls(columns, bounds)

    # ------------------------------------------------------------ shape

    @property
    def names(self) -> list[str]:
        """The column names, in order."""
        return [spec.name for spec in self.columns]

    def layout(self) -> list[ColumnLayout]:
        """Where each column sits in the encoded table and in the decoder's output."""
        layouts, at, param_at = [], 0, 0
        for spec in self.columns:
            n_inputs = len(spec.categories) if spec.kind == "categorical" else 1
            n_params = params_per_column(spec.kind, len(spec.categories))
            numeric = spec.kind in ("continuous", "count")
            layouts.append(
                ColumnLayout(
                    spec.kind,
                    at,
                    n_inputs,
                    param_at,
                    n_params,
                    spec.center if numeric else 0.0,
                    spec.scale if numeric else 1.0,
                )
            )
            at, param_at = at + n_inputs + 1, param_at + n_params
        return layouts

    @property
    def n_encoded(self) -> int:
        """Width of the encoded table: each column's values and its observed indicator."""
        return sum(layout.n_inputs + 1 for layout in self.layout())

    @property
    def n_params(self) -> int:
        """Width of the decoder's output: each column's likelihood parameters."""
        return sum(layout.n_params for layout in self.layout())

    # ------------------------------------------------------------ frame -> numbers

    def values(self, frame: pd.DataFrame) -> np.ndarray:
        """The frame in target space.

        Parameters
        ----------
        frame : DataFrame of shape (n, ...)
            With every column of the encoder, by name (others are ignored).

        Returns
        -------
        ndarray of float64, shape (n, n_columns)
            Continuous: standardized value; count: the count; binary: 0/1;
            categorical: the level index; NaN where missing.

        Raises
        ------
        DataFileError
            A column is missing from the frame. Warns :class:`TableValueWarning`
            for values treated as missing: text in a numeric column, a negative or
            fractional count, a level not seen in :meth:`fit`.
        """
        return self._values(frame, warn=True)

    def observed(self, frame: pd.DataFrame) -> np.ndarray:
        """bool ``(n, n_columns)``: which values :meth:`encode` treats as observed (it gives the warnings)."""
        return ~np.isnan(self._values(frame, warn=False))

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """The encoded table, as :mod:`vaekit.data.table.layout` lays it out.

        Parameters
        ----------
        frame : DataFrame of shape (n, ...)
            See :meth:`values`.

        Returns
        -------
        ndarray of float32, shape (n, n_encoded)
        """
        values = self._values(frame, warn=True)  # not through values(): the notes' stacklevel counts frames
        encoded = np.zeros((len(values), self.n_encoded), dtype=np.float64)
        for j, (spec, layout) in enumerate(zip(self.columns, self.layout())):
            v = values[:, j]
            seen = ~np.isnan(v)
            encoded[:, layout.observed_at] = seen
            if spec.kind == "categorical":
                rows = np.flatnonzero(seen)
                encoded[rows, layout.in_offset + v[seen].astype(np.intp)] = 1.0
            elif spec.kind == "count":
                encoded[seen, layout.in_offset] = (np.log1p(v[seen]) - spec.center) / spec.scale
            else:
                encoded[seen, layout.in_offset] = v[seen]
        return encoded.astype(np.float32)

    def _values(self, frame: pd.DataFrame, warn: bool) -> np.ndarray:
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"a TableEncoder takes a pandas DataFrame, got {type(frame).__name__}")
        by_name: dict[str, int] = {}
        for j, name in enumerate(frame.columns):
            by_name.setdefault(str(name), j)
        absent = [name for name in self.names if name not in by_name]
        if absent:
            what = f"column {shown(absent)} is" if len(absent) == 1 else f"columns {shown(absent)} are"
            raise DataFileError(
                f"{what} missing from the table (it has {shown(list(by_name), 10)}); "
                "give a table with the columns the encoder was fitted on"
            )
        values = np.full((len(frame), len(self.columns)), np.nan)
        for j, spec in enumerate(self.columns):
            values[:, j] = column_values(spec, frame.iloc[:, by_name[spec.name]], warn)
        return values

    # ------------------------------------------------------------ numbers -> frame

    def targets(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The inverse of :meth:`encode`, into target space.

        Parameters
        ----------
        encoded : array of shape (n, n_encoded)

        Returns
        -------
        values : ndarray of float64, shape (n, n_columns)
            As :meth:`values` gives them (continuous values to float32 precision), NaN where missing.
        observed : ndarray of bool, shape (n, n_columns)
        """
        encoded = np.asarray(encoded, dtype=np.float64)
        if encoded.ndim != 2 or encoded.shape[1] != self.n_encoded:
            raise ValueError(f"encoded must have shape (n, {self.n_encoded}), got {encoded.shape}")
        values = np.full((len(encoded), len(self.columns)), np.nan)
        observed = np.zeros(values.shape, dtype=bool)
        for j, (spec, layout) in enumerate(zip(self.columns, self.layout())):
            observed[:, j] = encoded[:, layout.observed_at] > 0.5
            block = encoded[:, layout.in_offset : layout.observed_at]
            if spec.kind == "categorical":
                v = np.argmax(block, axis=1).astype(np.float64)
            elif spec.kind == "count":
                v = np.maximum(np.round(np.expm1(block[:, 0] * spec.scale + spec.center)), 0.0)
            elif spec.kind == "binary":
                v = (block[:, 0] > 0.5).astype(np.float64)
            else:
                v = block[:, 0]
            values[:, j] = np.where(observed[:, j], v, np.nan)
        return values, observed

    def to_frame(self, values: np.ndarray, index: pd.Index | None = None, plausible: bool = True) -> pd.DataFrame:
        """Target-space values as a frame with the user's column names, dtypes and labels.

        Parameters
        ----------
        values : array of float, shape (n, n_columns)
            Continuous: standardized value; count: the count; binary: 0/1 (rounded);
            categorical: level index; NaN where missing.
        index : Index of length n, optional
            The frame's index; default 0..n-1.
        plausible : bool
            Keep each number column to its :class:`ColumnBounds` (its observed range,
            its decimals, a count off its gaps). False, or an encoder without bounds:
            counts rounded and at least 0, continuous values rounded only for an
            integer dtype.

        Returns
        -------
        DataFrame of shape (n, n_columns)
            Continuous values unstandardized; each column in its fitted dtype, or its
            nullable version (``Int64``, ``boolean``) where values are missing.
        """
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(self.columns):
            raise ValueError(f"values must have shape (n, {len(self.columns)}), got {values.shape}")
        bounds = self.bounds if plausible and self.bounds is not None else [None] * len(self.columns)
        data = {spec.name: column_out(spec, values[:, j], bounds[j]) for j, spec in enumerate(self.columns)}
        frame = pd.DataFrame(data, index=pd.RangeIndex(len(values)))
        return frame if index is None else frame.set_axis(index, axis=0)  # by position, not aligned on labels

    # ------------------------------------------------------------ JSON

    def to_json(self) -> dict[str, Any]:
        """Everything the encoder holds, as JSON types (``json.dumps`` takes it as is)."""
        columns = []
        for spec in self.columns:
            column = asdict(spec)
            column["categories"] = [scalar(v) for v in spec.categories]
            column["center"], column["scale"] = float(spec.center), float(spec.scale)
            columns.append(column)
        saved = {"format": JSON_FORMAT, "version": JSON_VERSION, "columns": columns}
        if self.bounds is not None:  # absent in an older encoder, which older vaekits still read
            saved["bounds"] = [bounds.to_json() for bounds in self.bounds]
        return saved

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TableEncoder:
        """The encoder :meth:`to_json` wrote.

        Without ``bounds`` (saved by an older vaekit), its :attr:`bounds` are None.

        Raises
        ------
        ValueError
            ``d`` is not such a dict, or a column or bounds in it are not valid.
        """
        if not isinstance(d, dict) or d.get("format") != JSON_FORMAT or not isinstance(d.get("columns"), list):
            raise ValueError(f"not a saved table encoder (a dict with format {JSON_FORMAT!r} and columns)")
        if d.get("version") != JSON_VERSION:
            raise ValueError(f"table encoder version {d.get('version')!r}; this vaekit reads version {JSON_VERSION}")
        columns = []
        for column in d["columns"]:
            if not isinstance(column, dict) or set(column) != {f for f in ColumnSpec.__dataclass_fields__}:
                raise ValueError(f"a saved table column must have the fields of ColumnSpec, got {column!r}")
            categories = column["categories"]
            if not isinstance(categories, list) or not all(isinstance(v, (str, int, float)) for v in categories):
                raise ValueError(f"column {column['name']!r}: categories must be a list of str, int, float or bool")
            if not all(
                isinstance(column[f], (int, float)) and not isinstance(column[f], bool) for f in ("center", "scale")
            ):
                raise ValueError(f"column {column['name']!r}: center and scale must be numbers")
            if not isinstance(column["name"], str) or not isinstance(column["dtype"], str):
                raise ValueError(f"column {column['name']!r}: name and dtype must be strings")
            columns.append(ColumnSpec(**{**column, "categories": tuple(categories)}))
        if "bounds" not in d:
            return cls(columns)
        if not isinstance(d["bounds"], list) or len(d["bounds"]) != len(columns):
            raise ValueError(f"bounds must be a list with one entry per column ({len(columns)})")
        return cls(columns, [ColumnBounds.from_json(b, spec.name) for b, spec in zip(d["bounds"], columns)])
