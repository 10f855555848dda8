"""Parquet tables, read with pandas (pyarrow) into :class:`LoadedData`.

Every column of the file is available to ``columns``, ``label`` and ``id_column``.
A named pandas index stored in the file is turned back into a column, available
in the same way but not a feature by default; an unnamed one is dropped. A column
``__index_level_0__`` (an unnamed pandas index, in a file whose pandas metadata was
lost), a first column ``Unnamed: 0`` (an index read back from a CSV) or ``rownames``,
and a column of distinct consecutive whole numbers is the row id, not a feature, with a
note (:func:`~vaekit.data.table.columns.find_row_ids`). Nulls and NaN are gaps, and the
cells that hold one of ``na_values``; text columns are read as
:func:`~vaekit.data.table.frames.table_to_loaded` says (numbers with stray tokens, missing markers).
A column of lists, records, maps or bytes (:func:`nested_kind`) is refused, naming it,
when it is chosen as a feature, the label or the ids (as every column is by default).
Places in messages are 0-based row numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from vaekit.data.loaded import DataFileError, LoadedData, brief, quoted
from vaekit.data.table.columns import refuse_duplicate_names
from vaekit.data.table.frames import apply_na_values, na_tokens, table_to_loaded

__all__ = ["nested_kind", "parquet_column_names", "read_parquet_table"]


@functools.cache
def _arrow_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged Parquet file raises (evaluated only when something was raised)."""
    import pyarrow as pa

    # ArrowInvalid is a ValueError and ArrowIOError an OSError, but pyarrow also raises
    # ArrowNotImplementedError, ArrowTypeError, ArrowIndexError, ... for a damaged file;
    # pandas raises KeyError or TypeError for damaged pandas metadata in it.
    return (pa.ArrowException, ValueError, OSError, KeyError, TypeError, IndexError, NotImplementedError, EOFError)


def nested_kind(arrow_type: Any) -> str | None:
    """What a column of ``arrow_type`` holds, in words, when it holds lists, records, maps or bytes -- values
    that are not one number, text or category each, which no model reads; None for any other type.

    >>> import pyarrow as pa
    >>> nested_kind(pa.list_(pa.float64())), nested_kind(pa.float32())
    ('lists (list<item: double>)', None)
    """
    import pyarrow as pa

    t = pa.types
    if isinstance(arrow_type, pa.ExtensionType):
        return nested_kind(arrow_type.storage_type)
    if t.is_dictionary(arrow_type):
        return nested_kind(arrow_type.value_type)
    if t.is_run_end_encoded(arrow_type):
        return nested_kind(arrow_type.value_type)
    lists = (t.is_list, t.is_large_list, t.is_fixed_size_list, t.is_list_view, t.is_large_list_view)
    binary = (t.is_binary, t.is_large_binary, t.is_fixed_size_binary, t.is_binary_view)
    if any(test(arrow_type) for test in lists):
        what = "lists"
    elif t.is_struct(arrow_type):
        what = "records"
    elif t.is_map(arrow_type):
        what = "maps"
    elif any(test(arrow_type) for test in binary):
        what = "bytes"
    elif t.is_nested(arrow_type):
        what = "nested values"
    else:
        return None
    return f"{what} ({arrow_type})"


def parquet_column_names(path: Path, *, source: str) -> list[str]:
    """The names of a Parquet file's columns, from its schema, without reading the data.

    Raises
    ------
    DataFileError
        Not a readable Parquet file.
    """
    return [str(name) for name in _schema(path, source).names]


def _schema(path: Path, source: str) -> Any:
    """The file's ``pyarrow.Schema``, from its footer."""
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path)
    except _arrow_errors() as err:
        raise DataFileError(f"{quoted(source)}: not a readable Parquet file ({brief(err)})") from err


def _check_text(path: Path, schema: Any) -> None:
    """Raise pyarrow's error for a text column that is not valid UTF-8.

    pandas keeps such a column in Arrow and fails only when a value is used, far from
    the reader; the text columns alone are read and checked here.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = [field.name for field in schema if pa.types.is_string(field.type) or pa.types.is_large_string(field.type)]
    if text:
        pq.read_table(path, columns=text).validate(full=True)


def read_parquet_table(
    path: Path,
    *,
    source: str,
    columns: Sequence[str | int] | str | None = None,
    label: str | None = None,
    id_column: str | None = None,
    na_values: Sequence[str] | str | None = None,
    thousands: str | None = None,
    keep_ids: bool = False,
) -> LoadedData:
    """Read a Parquet file.

    Parameters
    ----------
    path : Path
    source : str
        The path as the user gave it, for messages.
    columns, label, id_column, na_values, thousands, keep_ids : see :func:`vaekit.data.read.read_data`

    Returns
    -------
    LoadedData
        ``X`` of shape (n_rows, n_features), float32.

    Raises
    ------
    DataFileError
        Not a Parquet file, or a column or value that cannot be used.
    """
    schema = _schema(path, source)
    refuse_duplicate_names(schema.names, source=source)  # the file's own names, before pandas sees them
    unusable = {field.name: kind for field in schema if (kind := nested_kind(field.type)) is not None}
    try:
        _check_text(path, schema)
        frame = pd.read_parquet(path)
    except _arrow_errors() as err:
        raise DataFileError(f"{quoted(source)}: not a readable Parquet file ({brief(err)})") from err
    index_columns: list[str] = []
    if not isinstance(frame.index, pd.RangeIndex):
        index_columns = [str(name) for name in frame.index.names if name is not None]
        refuse_duplicate_names([*index_columns, *map(str, frame.columns)], source=source)
        frame = frame.reset_index(drop=not index_columns)
    frame.columns = [str(name) for name in frame.columns]
    frame = apply_na_values(frame, na_tokens(na_values))
    return table_to_loaded(
        frame, source=source, locate=lambda row: f"row {row}", columns=columns, label=label,
        id_column=id_column, not_features=index_columns, unusable=unusable, thousands=thousands, keep_ids=keep_ids,
    )  # fmt: skip
