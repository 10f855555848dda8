"""Per-feature statistics of a stream in one pass, and its check for NaN and infinity.

Each chunk's mean and sum of squared deviations are computed in float64 and merged
into the running ones with the pairwise update of Chan, Golub & LeVeque (1979,
"Updating formulae and a pairwise algorithm for computing sample variances"), which
stays accurate where the textbook ``E[x^2] - E[x]^2`` loses every digit (features
far from zero). The standard deviation is the population one (``ddof=0``), as
:meth:`vaekit.data.preprocessing.Scaling.fit` computes it; with the minimum and
maximum it is what :meth:`~vaekit.data.preprocessing.Scaling.from_statistics` needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from vaekit.data.loaded import DataFileError, feature_names_for, quoted
from vaekit.data.stream.base import ChunkSource, check_rows, locate

__all__ = ["StreamStatistics", "check_finite", "stream_statistics"]


@dataclass
class StreamStatistics:
    """What one pass over a stream's (selected) rows found.

    Attributes
    ----------
    n_rows : int
        Rows counted (the selected ones).
    mean, std : ndarray of float64, shape sample_shape
        ``std`` is the population standard deviation (``ddof=0``).
    min, max : ndarray of float64, shape sample_shape
        The float32 values' extremes.
    binary_fraction : ndarray of float64, shape sample_shape
        The share of rows whose value is exactly 0 or 1.
    feature_names : list of str or None
    source : str
    """

    n_rows: int
    mean: np.ndarray
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray
    binary_fraction: np.ndarray
    feature_names: list[str] | None
    source: str

    @property
    def binary_share(self) -> float:
        """The share of all values that are exactly 0 or 1 (as ``binary_share(X)`` of the whole array)."""
        return float(self.binary_fraction.mean())

    @property
    def max_abs(self) -> np.ndarray:
        """The largest absolute value of each feature."""
        return np.maximum(np.abs(self.min), np.abs(self.max))


def _position(index: tuple[int, ...], row: int) -> str:
    """'row 3, column 5' or 'row 3, position (1, 2)', as check_array names a place."""
    if len(index) == 1:
        return f"row {row}, column {index[0]}"
    return f"row {row}, position {tuple(int(i) for i in index)}"


def _first_non_finite(x: np.ndarray) -> tuple[int, int, float, int] | None:
    """``(row, flat feature index, value, count)`` of the first NaN or infinity of ``x`` (k, d), or None."""
    if np.isfinite(np.sum(x, dtype=np.float64)):  # one pass and no mask in the usual case
        return None
    bad = ~np.isfinite(x)
    row, flat = divmod(int(np.flatnonzero(bad.ravel())[0]), x.shape[1])
    return row, flat, float(x[row, flat]), int(bad.sum())


def _non_finite_error(source: ChunkSource, row: int, flat: int, value: float, count: int) -> DataFileError:
    """The one-line error for a NaN or infinity at ``row`` (of ``source``), feature ``flat``.

    A table read from a file names the place as its in-memory reader does -- the file, the line
    of a text table (the row of a Parquet file), the column's name -- and the value; arrays and
    images as :func:`~vaekit.data.validation.check_array` does. Rows are the file's, also for a
    part of it (a run's training rows).
    """
    shape = tuple(source.sample_shape)
    place, row = locate(source, row)
    if place is not None and len(shape) == 1:
        name = (source.feature_names or feature_names_for(shape[0]))[flat]
        more = f" (one of {count} non-finite values in all)" if count > 1 else ""
        if np.isnan(value):
            return DataFileError(
                f"{place}, column '{name}': missing value (empty, NA, null or NaN){more}; streaming takes no gaps: "
                "fill it in or remove that row, or read the file into memory, where gaps are modelled"
            )
        sign = "-" if value < 0 else ""
        return DataFileError(
            f"{place}, column '{name}': infinite value '{sign}inf'{more}; remove or fix it (a number beyond "
            "float32's range, 3.4e38, is infinite too)"
        )
    kind = "NaN" if np.isnan(value) else "inf (infinity)"
    where = _position(tuple(int(i) for i in np.unravel_index(flat, shape)), row)
    return DataFileError(
        f"{quoted(source.name)} contains {kind} at {where} ({count} non-finite value(s) in all); "
        "remove or impute them first."
    )


def check_finite(source: ChunkSource, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``x``, rows ``rows`` of ``source`` read into memory (a sample of them), if every value is finite.

    Raises
    ------
    DataFileError
        A NaN or infinity, named as :func:`stream_statistics` names it (these values only are counted).
    """
    found = _first_non_finite(x.reshape(len(x), -1))
    if found is not None:
        local, flat, value, count = found
        raise _non_finite_error(source, int(rows[local]), flat, value, count)
    return x


def stream_statistics(
    source: ChunkSource | str | os.PathLike[str] | np.ndarray, rows: np.ndarray | None = None
) -> StreamStatistics:
    """Mean, standard deviation, extremes and share of exact 0s and 1s of each feature, in one pass.

    Parameters
    ----------
    source : ChunkSource, or what :func:`~vaekit.data.stream.open_stream` opens
    rows : ndarray of bool, shape (n_rows,), or None
        The rows to count (a training split); None: all. Chunks without one are not read.

    Returns
    -------
    StreamStatistics

    Raises
    ------
    DataFileError
        A NaN or infinite value, named as the in-memory reader of the file names it (a text
        table's line, a Parquet file's row, the column's name; an array's row and column, as
        :func:`~vaekit.data.validation.check_array` does), and how many there are in all.
    """
    if not isinstance(source, ChunkSource):
        from vaekit.data.stream.dispatch import open_stream

        source = open_stream(source)
    mask = check_rows(rows, source.n_rows, source.name)
    shape, d = source.sample_shape, int(np.prod(source.sample_shape))
    n, mean, m2 = 0, np.zeros(d), np.zeros(d)
    low, high, binary = np.full(d, np.inf), np.full(d, -np.inf), np.zeros(d)
    first_bad: tuple[int, int, float] | None = None  # (row, feature, value)
    n_bad = 0
    for i in range(source.n_chunks):
        start, stop = source.chunk_bounds(i)
        selected = None if mask is None else np.flatnonzero(mask[start:stop])
        if selected is not None and not len(selected):
            continue
        x = source.read_chunk(i).reshape(stop - start, d)  # (k, d) float32
        if selected is not None and len(selected) < stop - start:
            x = x[selected]
        found = _first_non_finite(x)
        if found is not None:
            local, flat, value, count = found
            n_bad += count
            if first_bad is None:
                first_bad = (start + (local if selected is None else int(selected[local])), flat, value)
            continue
        if first_bad is not None:
            continue
        k = len(x)
        chunk_mean = x.mean(axis=0, dtype=np.float64)
        chunk_m2 = np.square(x - chunk_mean).sum(axis=0)  # float64
        delta, total = chunk_mean - mean, n + k
        mean = mean + delta * (k / total)
        m2 = m2 + chunk_m2 + np.square(delta) * (n * k / total)
        n = total
        low, high = np.minimum(low, x.min(axis=0)), np.maximum(high, x.max(axis=0))
        binary += np.count_nonzero((x == 0) | (x == 1), axis=0)
    if first_bad is not None:
        raise _non_finite_error(source, *first_bad, n_bad)
    return StreamStatistics(
        n_rows=n,
        mean=mean.reshape(shape),
        std=np.sqrt(m2 / n).reshape(shape),
        min=low.reshape(shape),
        max=high.reshape(shape),
        binary_fraction=(binary / n).reshape(shape),
        feature_names=source.feature_names,
        source=source.name,
    )
