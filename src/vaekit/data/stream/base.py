"""What every streamed source is (:class:`ChunkSource`), and the pieces the sources share."""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import numpy as np

from vaekit.data.loaded import DataFileError, quoted

__all__ = [
    "DEFAULT_CHUNK_BYTES", "ChunkSource", "check_chunk_index", "check_not_empty", "check_rows", "even_bounds",
    "locate", "not_a_number", "not_numeric", "rows_per_chunk",
]  # fmt: skip

DEFAULT_CHUNK_BYTES = 16 << 20
"""About how many bytes of float32 rows one chunk holds (16 MiB), for sources that choose their chunks."""


@runtime_checkable
class ChunkSource(Protocol):
    """A chunked, random-access view of rows on disk.

    Attributes
    ----------
    name : str
        The file or folder, for messages.
    n_rows : int
    sample_shape : tuple of int
        ``(n_features,)`` for a table; ``(H, W)`` or ``(C, H, W)`` for images, as the
        in-memory readers give them.
    feature_names : list of str or None
        The column names of a table that has them; None otherwise.
    n_chunks : int
    """

    name: str
    n_rows: int
    n_chunks: int

    # Read-only to a reader of the source: a source may hold a narrower type (a table's
    # ``(n_features,)``, a Parquet file's ``list[str]``).
    @property
    def sample_shape(self) -> tuple[int, ...]: ...

    @property
    def feature_names(self) -> list[str] | None: ...

    def chunk_bounds(self, i: int) -> tuple[int, int]:
        """``(start, stop)``: the global rows of chunk ``i``; chunks are in file order and cover 0..n_rows."""
        ...

    def read_chunk(self, i: int) -> np.ndarray:
        """Chunk ``i``: ndarray of float32, shape ``(stop - start, *sample_shape)``, C-contiguous, freshly allocated."""
        ...


# A source may also say where a row is in its file, as the in-memory reader of that file names it:
# ``locate(row) -> str`` ("'t.csv', line 25", "'t.parquet', row 23"); one that is a part of another
# gives ``parent_row(row) -> int`` and its parent as ``source``. See :func:`locate`.


def locate(source: ChunkSource, row: int) -> tuple[str | None, int]:
    """Where ``row`` of ``source`` is in the file: ``(place, row)``.

    ``place`` is the file and the line or row as the in-memory reader names them (a text
    table's 1-based line, counting the header; a Parquet file's row), or None for a source
    whose rows are numbered as :func:`~vaekit.data.validation.check_array` numbers them
    (arrays, images). ``row`` is the row in the whole source: a part of it (a run's training
    rows, :class:`~vaekit.data.stream.RowSubset`) numbers its rows otherwise.
    """
    while hasattr(source, "parent_row"):
        source, row = source.source, source.parent_row(row)  # type: ignore[attr-defined]  # a part of another source (hasattr above)
    where = getattr(source, "locate", None)
    return (where(row) if where is not None else None), int(row)


def rows_per_chunk(sample_shape: tuple[int, ...], chunk_bytes: int) -> int:
    """How many float32 samples of ``sample_shape`` fit in ``chunk_bytes`` (at least 1).

    >>> rows_per_chunk((1024,), 16 << 20), rows_per_chunk((10**9,), 16 << 20)
    (4096, 1)
    """
    return max(1, int(chunk_bytes) // (4 * max(1, math.prod(sample_shape))))


def even_bounds(n_rows: int, per_chunk: int) -> list[tuple[int, int]]:
    """``[(0, per_chunk), (per_chunk, 2 * per_chunk), ..., (.., n_rows)]``.

    >>> even_bounds(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    return [(start, min(start + per_chunk, n_rows)) for start in range(0, n_rows, per_chunk)]


def check_chunk_index(i: int, n_chunks: int) -> int:
    """``i`` as an int, or an IndexError (as a sequence raises)."""
    if not 0 <= i < n_chunks:
        raise IndexError(f"chunk {i} of a source of {n_chunks} chunks")
    return int(i)


def check_not_empty(name: str, n_rows: int, sample_shape: tuple[int, ...]) -> None:
    """Refuse a source of no rows, or of samples of no values, as :func:`~vaekit.data.validation.check_array` does."""
    if n_rows < 1:
        raise DataFileError(f"{quoted(name)}: is empty: 0 samples, while a minimum of 1 is required")
    if math.prod(sample_shape) == 0:
        raise DataFileError(f"{quoted(name)}: has samples of an empty shape {sample_shape}")


def not_numeric(name: str, column: str, kind: str) -> DataFileError:
    """The one-line error for a column a stream cannot take.

    >>> str(not_numeric("t.parquet", "city", "text (string)")).split(";")[0]
    "'t.parquet': streaming takes numeric columns only, and column 'city' holds text (string)"
    """
    return DataFileError(
        f"{quoted(name)}: streaming takes numeric columns only, and column '{column}' holds {kind}; read the file "
        "into memory for a table of mixed columns, or leave the column out of the file"
    )


def not_a_number(place: str, column: str, value: object) -> DataFileError:
    """The one-line error for a value of a streamed column that is not a number, where it is.

    >>> str(not_a_number("'t.csv', line 7", "b", "oops")).split(";")[0]
    "'t.csv', line 7, column 'b': non-numeric value 'oops'"
    """
    return DataFileError(
        f"{place}, column '{column}': non-numeric value '{value}'; streaming takes numbers only: fix the value, "
        "read the file into memory for a table of mixed columns, or leave the column out of the file"
    )


def check_rows(rows: np.ndarray | None, n_rows: int, name: str) -> np.ndarray | None:
    """A row mask checked: None (every row), or a boolean array of shape ``(n_rows,)`` with a True.

    Raises
    ------
    ValueError
        Another shape or dtype, or no row selected.
    """
    if rows is None:
        return None
    rows = np.asarray(rows)
    if rows.dtype != np.bool_ or rows.shape != (n_rows,):
        raise ValueError(
            f"rows must be a boolean mask of shape ({n_rows},) for {quoted(name)}, got {rows.dtype} {rows.shape}"
        )
    if not rows.any():
        raise ValueError(f"rows selects none of the {n_rows} rows of {quoted(name)}")
    return rows
