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

from vaekit.data.loaded import DataFileError, quoted
from vaekit.data.stream.base import ChunkSource, check_rows

__all__ = ["StreamStatistics", "stream_statistics"]


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
        A NaN or infinite value, named as :func:`~vaekit.data.validation.check_array`
        names it (its row in the file, its column, and how many there are in all).
    """
    if not isinstance(source, ChunkSource):
        from vaekit.data.stream.dispatch import open_stream

        source = open_stream(source)
    mask = check_rows(rows, source.n_rows, source.name)
    shape, d = source.sample_shape, int(np.prod(source.sample_shape))
    n, mean, m2 = 0, np.zeros(d), np.zeros(d)
    low, high, binary = np.full(d, np.inf), np.full(d, -np.inf), np.zeros(d)
    first_bad: str | None = None
    n_bad = 0
    for i in range(source.n_chunks):
        start, stop = source.chunk_bounds(i)
        selected = None if mask is None else np.flatnonzero(mask[start:stop])
        if selected is not None and not len(selected):
            continue
        x = source.read_chunk(i).reshape(stop - start, d)  # (k, d) float32
        if selected is not None and len(selected) < stop - start:
            x = x[selected]
        if not np.isfinite(np.sum(x, dtype=np.float64)):
            bad = ~np.isfinite(x)
            n_bad += int(bad.sum())
            if first_bad is None:
                local, flat = divmod(int(np.flatnonzero(bad.ravel())[0]), d)
                row = start + (local if selected is None else int(selected[local]))
                kind = "NaN" if np.isnan(x[local, flat]) else "inf (infinity)"
                where = _position(np.unravel_index(flat, shape), row)
                place = f", in {source.where(i)}" if hasattr(source, "where") else ""
                first_bad = f"{kind} at {where}{place}"
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
        raise DataFileError(
            f"{quoted(source.name)} contains {first_bad} ({n_bad} non-finite value(s) in all); "
            "remove or impute them first."
        )
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
