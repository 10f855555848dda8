"""Parquet tables, read with pandas (pyarrow) into :class:`LoadedData`.

Every column of the file is available to ``columns``, ``label`` and ``id_column``.
A named pandas index stored in the file is turned back into a column, available
in the same way but not a feature by default; an unnamed one is dropped. A column
``__index_level_0__`` (an unnamed pandas index, in a file whose pandas metadata was
lost) or a first column ``Unnamed: 0`` (an index read back from a CSV) that holds
0, 1, ..., n-1 is left out with a note (:func:`~vaekit.data.tables.drop_row_index`).
Places in messages are 0-based row numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from vaekit.data.loaded import DataFileError, LoadedData, quoted
from vaekit.data.tables import drop_row_index, table_to_loaded

__all__ = ["read_parquet_table"]


def read_parquet_table(
    path: Path,
    *,
    source: str,
    columns: Sequence[str | int] | str | None = None,
    label: str | None = None,
    id_column: str | None = None,
) -> LoadedData:
    """Read a Parquet file.

    Parameters
    ----------
    path : Path
    source : str
        The path as the user gave it, for messages.
    columns, label, id_column : see :func:`vaekit.data.read.read_data`

    Returns
    -------
    LoadedData
        ``X`` of shape (n_rows, n_features), float32.

    Raises
    ------
    DataFileError
        Not a Parquet file, or a column or value that cannot be used.
    """
    try:
        frame = pd.read_parquet(path)
    except (ValueError, OSError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise DataFileError(f"{quoted(source)}: not a readable Parquet file ({err})") from err
    index_columns: list[str] = []
    if not isinstance(frame.index, pd.RangeIndex):
        index_columns = [str(name) for name in frame.index.names if name is not None]
        frame = frame.reset_index(drop=not index_columns)
    frame.columns = [str(name) for name in frame.columns]
    chosen = {"columns": columns, "label": label, "id_column": id_column}
    for name in [name for name in frame.columns if re.fullmatch(r"__index_level_\d+__", name)]:
        frame = drop_row_index(frame, name, f"column '{name}'", source=source, chosen=chosen)
    if len(frame.columns) and frame.columns[0] == "Unnamed: 0":
        frame = drop_row_index(frame, "Unnamed: 0", "the first column 'Unnamed: 0'", source=source, chosen=chosen)
    return table_to_loaded(
        frame, source=source, locate=lambda row: f"row {row}", columns=columns, label=label,
        id_column=id_column, not_features=index_columns,
    )  # fmt: skip
