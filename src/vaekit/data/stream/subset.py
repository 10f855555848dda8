""":class:`RowSubset`: some rows of a stream (a run's training part), itself a stream."""

from __future__ import annotations

import numpy as np

from vaekit.data.stream.base import ChunkSource, check_chunk_index, check_rows

__all__ = ["RowSubset", "read_rows"]


class RowSubset:
    """The rows of ``source`` that ``rows`` selects, in file order, as a :class:`ChunkSource`.

    Chunk ``i`` is the selected rows of the source's chunk ``i`` (chunks with none
    are left out), so a subset reads nothing its parent would not.

    Parameters
    ----------
    source : ChunkSource
    rows : ndarray of bool, shape (source.n_rows,)
    """

    def __init__(self, source: ChunkSource, rows: np.ndarray) -> None:
        checked = check_rows(rows, source.n_rows, source.name)
        assert checked is not None
        self.source, self.rows = source, checked
        self.name, self.sample_shape, self.feature_names = source.name, source.sample_shape, source.feature_names
        self._parents: list[int] = []
        self._bounds: list[tuple[int, int]] = []
        start = 0
        for i in range(source.n_chunks):
            lo, hi = source.chunk_bounds(i)
            count = int(self.rows[lo:hi].sum())
            if count:
                self._parents.append(i)
                self._bounds.append((start, start + count))
                start += count
        self.n_rows, self.n_chunks = start, len(self._parents)

    def chunk_bounds(self, i: int) -> tuple[int, int]:
        """``(start, stop)`` of chunk ``i`` in the subset's own numbering."""
        return self._bounds[check_chunk_index(i, self.n_chunks)]

    def parent_row(self, row: int) -> int:
        """The row of the parent source that is row ``row`` of this subset (for messages)."""
        if not 0 <= row < self.n_rows:
            raise IndexError(f"row {row} of a subset of {self.n_rows} rows")
        return int(np.flatnonzero(self.rows)[row])

    def read_chunk(self, i: int) -> np.ndarray:
        """The selected rows of the parent's chunk: float32 ``(stop - start, *sample_shape)``."""
        parent = self._parents[check_chunk_index(i, self.n_chunks)]
        lo, hi = self.source.chunk_bounds(parent)
        return np.ascontiguousarray(self.source.read_chunk(parent)[self.rows[lo:hi]])


def read_rows(source: ChunkSource, rows: np.ndarray) -> np.ndarray:
    """The rows at the sorted indices ``rows`` of ``source``, in memory: float32 ``(len(rows), *sample_shape)``."""
    mask = np.zeros(source.n_rows, dtype=bool)
    mask[rows] = True
    subset = RowSubset(source, mask)
    return np.concatenate([subset.read_chunk(i) for i in range(subset.n_chunks)])
