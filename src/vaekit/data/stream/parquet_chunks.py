"""A Parquet file, or a folder of them, streamed one row group at a time.

Only the footers are read when the source is opened: the schema, and the rows of
each row group. A folder's ``*.parquet`` files are taken in order of their names
(hidden files are skipped), and every file must have the columns of the first, with
the same types. A row index that pandas stored as a column is not a feature, as
:func:`vaekit.data.parquet.read_parquet_table` reads it. Features must be numbers:
integers, floats, decimals or booleans (as 0 and 1); a null becomes NaN, which
:func:`~vaekit.data.stream.stream_statistics` reports with its file, row and column.
"""

from __future__ import annotations

import bisect
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.data.loaded import DataFileError, brief, quoted
from vaekit.data.parquet import _arrow_errors, nested_kind
from vaekit.data.stream.base import check_chunk_index, check_not_empty, not_numeric
from vaekit.data.table.columns import refuse_duplicate_names

__all__ = ["ParquetChunks", "parquet_files"]


def parquet_files(folder: Path) -> list[Path]:
    """The visible ``*.parquet`` files of ``folder``, in order of their names."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix.lower() == ".parquet" and not path.name.startswith(".") and path.is_file()
    )


def _kind(arrow_type: Any) -> str | None:
    """What a column of ``arrow_type`` holds, for the error, or None for numbers."""
    import pyarrow as pa

    t = pa.types
    if t.is_integer(arrow_type) or t.is_floating(arrow_type) or t.is_boolean(arrow_type) or t.is_decimal(arrow_type):
        return None
    if t.is_string(arrow_type) or t.is_large_string(arrow_type):
        return "text"
    if t.is_dictionary(arrow_type):
        return f"categories ({arrow_type})"
    if t.is_temporal(arrow_type):
        return f"dates or times ({arrow_type})"
    return f"values of type {arrow_type}"


def _index_columns(schema: Any) -> set[str]:
    """The columns that hold a pandas index (named or not), which are not features."""
    metadata = schema.pandas_metadata or {}
    stored = {name for name in metadata.get("index_columns", []) if isinstance(name, str)}
    return stored | {name for name in schema.names if re.fullmatch(r"__index_level_\d+__", name)}


def _difference(schema: Any, first: Any) -> str:
    """How ``schema`` differs from ``first``: a missing, extra or retyped column, or the order."""
    names, first_names = list(schema.names), list(first.names)
    missing = [name for name in first_names if name not in names]
    extra = [name for name in names if name not in first_names]
    if missing:
        return f"it lacks column '{missing[0]}'"
    if extra:
        return f"it has column '{extra[0]}', which the first file lacks"
    for name in first_names:
        if schema.field(name).type != first.field(name).type:
            return f"its column '{name}' is {schema.field(name).type}, not {first.field(name).type}"
    return f"its columns are in another order ({', '.join(names)})"


class ParquetChunks:
    """The rows of a Parquet file or folder of files, one chunk per row group.

    Parameters
    ----------
    source : str or path-like
        A ``.parquet`` file, or a folder of them.

    Attributes
    ----------
    files : list of Path
    feature_names : list of str
        The feature columns, in the file's order.
    """

    def __init__(self, source: str | os.PathLike[str]) -> None:
        import pyarrow.parquet as pq

        path, self.name = Path(source).expanduser(), str(source)
        self.files = parquet_files(path) if path.is_dir() else [path]
        if not self.files:
            raise DataFileError(f"{quoted(self.name)}: no .parquet files in the folder")
        first = None
        self._groups: list[tuple[int, int]] = []  # (file, row group) of each chunk
        sizes: list[int] = []
        for k, file in enumerate(self.files):
            try:
                with pq.ParquetFile(file) as parquet:
                    metadata = parquet.metadata
                    schema = metadata.schema.to_arrow_schema()
            except _arrow_errors() as err:
                raise DataFileError(f"{quoted(file)}: not a readable Parquet file ({brief(err)})") from err
            if first is None:
                first = schema
                refuse_duplicate_names(schema.names, source=str(file))
            elif not schema.equals(first):  # names, order and types; not the metadata
                raise DataFileError(
                    f"{quoted(file)}, row group 0: its columns differ from those of {quoted(self.files[0])}: "
                    f"{_difference(schema, first)}; every file of a folder must have the same columns and types"
                )
            for group in range(metadata.num_row_groups):
                rows = metadata.row_group(group).num_rows
                if rows > 0:
                    self._groups.append((k, group))
                    sizes.append(rows)
        assert first is not None
        index = _index_columns(first)
        self.feature_names = [name for name in first.names if name not in index]
        for name in self.feature_names:
            if (nested := nested_kind(first.field(name).type)) is not None:
                raise DataFileError(
                    f"{quoted(self.files[0])}, column '{name}': holds {nested}, which no model reads (streamed or "
                    "in memory); leave the column out of the file, or store its parts as columns of numbers"
                )
            if (kind := _kind(first.field(name).type)) is not None:
                raise not_numeric(str(self.files[0]), name, kind)
        starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        self._starts = [int(s) for s in starts]
        self._file_starts: dict[int, int] = {}  # file -> the first row of the source that is in it
        for (k, _), start in zip(self._groups, self._starts):
            self._file_starts.setdefault(k, start)
        self.n_rows = self._starts[-1]
        self.n_chunks = len(sizes)
        self.sample_shape = (len(self.feature_names),)
        check_not_empty(self.name, self.n_rows, self.sample_shape)

    def _file(self, k: int) -> Any:
        """File ``k``, opened once per process: its footer describes every row group's columns (megabytes
        for a wide table of many row groups), and parsing it for every chunk cost half the read time."""
        import pyarrow.parquet as pq

        opened = self.__dict__.setdefault("_opened", {})
        if k not in opened:
            opened[k] = pq.ParquetFile(self.files[k])
        return opened[k]

    def __getstate__(self) -> dict[str, Any]:
        """Without the open files: a loader process opens its own."""
        return {key: value for key, value in self.__dict__.items() if key != "_opened"}

    def chunk_bounds(self, i: int) -> tuple[int, int]:
        """``(start, stop)``: the rows of chunk ``i`` (a row group)."""
        i = check_chunk_index(i, self.n_chunks)
        return self._starts[i], self._starts[i + 1]

    def locate(self, row: int) -> str:
        """``'file', row 23``: the file that holds ``row`` and its 0-based row there, as the in-memory reader
        names it."""
        if not 0 <= row < self.n_rows:
            raise IndexError(f"row {row} of a source of {self.n_rows} rows")
        k, _ = self._groups[bisect.bisect_right(self._starts, row) - 1]
        file = self.name if len(self.files) == 1 and not Path(self.name).expanduser().is_dir() else self.files[k]
        return f"{quoted(file)}, row {row - self._file_starts[k]}"

    def where(self, i: int) -> str:
        """``'file', row group g``: where chunk ``i`` is, for messages."""
        k, group = self._groups[check_chunk_index(i, self.n_chunks)]
        return f"{quoted(self.files[k])}, row group {group}"

    def read_chunk(self, i: int) -> np.ndarray:
        """Row group ``i``: ndarray of float32, shape ``(rows, n_features)``; nulls are NaN."""
        import pyarrow as pa
        import pyarrow.compute as pc

        start, stop = self.chunk_bounds(i)
        k, group = self._groups[i]
        try:
            table = self._file(k).read_row_group(group, columns=self.feature_names)
            # filled column by column into (d, rows), then transposed once: writing each column into a
            # row-major (rows, d) array strides through memory, 4x slower for 784 columns
            columns = np.empty((len(self.feature_names), stop - start), dtype=np.float32)  # (d, rows)
            if table.num_rows != stop - start:
                raise ValueError(f"{table.num_rows} rows where its footer says {stop - start}")
            for j, column in enumerate(table.columns):
                if column.type != pa.float32():
                    column = pc.cast(column, pa.float32(), safe=False)
                columns[j] = column.to_numpy()
            out = np.ascontiguousarray(columns.T)  # (rows, d)
            del table
            pa.default_memory_pool().release_unused()  # arrow's allocator would keep the decoded pages
        except _arrow_errors() as err:
            raise DataFileError(f"{self.where(i)}: cannot be read ({brief(err)})") from err
        return out
