""":func:`convert_to_parquet`: a text table or a ``.npy`` table rewritten as Parquet with row groups, streamed.

Parquet is the form a large table streams best from: a row group is read in one
call, with no text to parse. The conversion reads and writes one row group at a
time, so it needs memory for one group only, and writes atomically
(:func:`vaekit._atomic.atomic_file`): the Parquet file appears whole, or not at all.
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vaekit._atomic import atomic_file, clean_stale, resolve_link
from vaekit.data.delimited import _TEXT_ERRORS, _unreadable, line_of_row, resolve_dialect, warn_short_rows
from vaekit.data.dialect import field_count_error
from vaekit.data.loaded import DataFileError, feature_names_for, quoted
from vaekit.data.read import refuse_special_file
from vaekit.data.stream.base import DEFAULT_CHUNK_BYTES, rows_per_chunk
from vaekit.data.stream.npy_chunks import NpyChunks
from vaekit.data.table.columns import refuse_duplicate_names
from vaekit.data.write import refuse_output_onto_input

__all__ = ["convert_to_parquet"]

_TEXT_SUFFIX = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")


def _is_number(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))


def _text_groups(path: Path, source: str, rows: int | None) -> tuple[Any, Iterator[Any]]:
    """``(schema, iterator of pyarrow tables)`` of a text table, ``rows`` rows (or about 16 MiB) a group.

    A column of numbers (or yes/no values) in the first group is float64, any other
    is text; a later group must agree.
    """
    import pyarrow as pa

    try:
        sep, decimal, header, sampled = resolve_dialect(path, None, None, None)
    except _TEXT_ERRORS as err:
        raise _unreadable(source, err) from err
    if not sampled:
        raise DataFileError(f"{quoted(source)}: the file is empty; it must hold one row per sample")
    n_fields = len(sampled[0])
    if header:
        refuse_duplicate_names([field.strip() for field in sampled[0]], source=source, where="the header")

    def frames() -> Iterator[pd.DataFrame]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)  # a row pandas would cut short
                warnings.simplefilter("ignore", pd.errors.DtypeWarning)
                for frame in pd.read_csv(
                    path, sep=sep, decimal=decimal, header=0 if header else None, index_col=False,
                    names=None if header else feature_names_for(n_fields), skipinitialspace=True,
                    encoding="utf-8-sig", chunksize=rows or rows_per_chunk((n_fields,), DEFAULT_CHUNK_BYTES),
                ):  # fmt: skip
                    frame.columns = [str(name).strip() for name in frame.columns]
                    yield frame
        except (pd.errors.ParserError, pd.errors.ParserWarning) as err:
            raise field_count_error(path, source, sep, err) from err
        except pd.errors.EmptyDataError as err:
            raise DataFileError(f"{quoted(source)}: the file is empty; it must hold one row per sample") from err
        except _TEXT_ERRORS as err:
            raise _unreadable(source, err) from err

    chunks = frames()
    first = next(chunks, None)
    if first is None or not len(first):
        raise DataFileError(f"{quoted(source)}: holds no rows below its header")
    schema = pa.schema([(name, pa.float64() if _is_number(first[name]) else pa.string()) for name in first.columns])

    def tables() -> Iterator[Any]:
        start, short = 0, False
        for frame in itertools.chain([first], chunks):
            if not short and frame.iloc[:, -1].isna().any():  # a line with fewer fields: gaps, and a note once
                short = True
                warn_short_rows(path, source, sep, list(schema.names), stacklevel=4)
            columns = []
            for field in schema:
                column = frame[field.name]
                if field.type == pa.string():
                    columns.append(pa.array(column.astype("string"), type=pa.string()))
                    continue
                if not _is_number(column):
                    numbers = pd.to_numeric(column, errors="coerce")
                    row = int(np.argmax((numbers.isna() & column.notna()).to_numpy()))
                    raise DataFileError(
                        f"{quoted(source)}, {line_of_row(path, sep, header, start + row)}, column '{field.name}': "
                        f"non-numeric value '{column.iloc[row]}' in a column of numbers (as its first rows are); "
                        "fix that value"
                    )
                columns.append(pa.array(column.to_numpy(dtype=np.float64), type=pa.float64()))
            yield pa.Table.from_arrays(columns, schema=schema)
            start += len(frame)

    return schema, tables()


def _npy_groups(path: Path, source: str, rows: int | None) -> tuple[Any, Iterator[Any]]:
    """``(schema, iterator of pyarrow tables)`` of a ``.npy`` table, columns x0, x1, ... as float32."""
    import pyarrow as pa

    probe = NpyChunks(path)
    if len(probe.sample_shape) != 1:
        raise DataFileError(
            f"{quoted(source)}: holds images of shape {probe.sample_shape}; a Parquet file holds a table, and a "
            ".npy stack of images streams as it is"
        )
    d = probe.sample_shape[0]
    chunks = NpyChunks(path, chunk_bytes=4 * d * rows) if rows else probe
    names = feature_names_for(d)
    schema = pa.schema([(name, pa.float32()) for name in names])

    def tables() -> Iterator[Any]:
        for i in range(chunks.n_chunks):
            x = chunks.read_chunk(i)  # (k, d)
            yield pa.Table.from_arrays([pa.array(x[:, j]) for j in range(d)], schema=schema)

    return schema, tables()


def _clean_killed_writes(target: Path) -> None:
    """Remove the hidden partial files that a killed convert to ``target`` left (``.tmp-HOST-PID-...``)."""
    others = clean_stale(resolve_link(target))
    if others:
        warnings.warn(
            f"hidden files beside {quoted(target)} from other writes that may still run: "
            f"{', '.join(p.name for p in others)}; if none is running, delete them",
            UserWarning,
            stacklevel=3,
        )


def convert_to_parquet(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    row_group_rows: int | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a text table or a ``.npy`` table to a Parquet file, one row group at a time.

    Parameters
    ----------
    source : str or path-like
        A ``.csv``/``.tsv``/``.txt`` file (optionally ``.gz``), whose separator, decimal
        mark and header are detected as :func:`vaekit.data.read.read_data` detects them,
        or a 2-D ``.npy`` file. A text column of numbers (or of yes/no values, as 1 and 0)
        becomes float64, any other text; a ``.npy`` table becomes float32 columns x0, x1, ....
    dest : str or path-like
        The Parquet file to write.
    row_group_rows : int or None, default=None
        Rows per row group (the chunk a stream reads at once); None: about 16 MiB of float32.
    overwrite : bool, default=False
        Replace ``dest`` if it exists.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    DataFileError
        A source that cannot be read, or a text column with numbers in its first rows and text later.
        ``dest`` is ``source`` (the same path, a link either way, a hard link), a folder, or a folder that
        holds ``source``: refused before any work, even with ``overwrite``.
    FileExistsError
        ``dest`` exists and ``overwrite`` is False.
    """
    import pyarrow.parquet as pq

    path, name, target = Path(source).expanduser(), str(source), Path(dest).expanduser()
    if row_group_rows is not None and (isinstance(row_group_rows, bool) or int(row_group_rows) < 1):
        raise ValueError(f"row_group_rows must be a positive integer, got {row_group_rows!r}")
    refuse_output_onto_input(path, target, source_name=name)
    if target.is_dir():
        raise DataFileError(
            f"{quoted(target)} is a folder; the output must be a .parquet file name (a folder is never replaced, "
            "even with `overwrite`)"
        )
    if not overwrite and (target.exists() or target.is_symlink()):
        raise FileExistsError(f"{quoted(target)} already exists; use `overwrite` to replace it")
    if target.suffix.lower() not in (".parquet", ".pq"):
        raise DataFileError(f"{quoted(target)}: the output must be a .parquet file")
    refuse_special_file(path, name)
    if not path.is_file():
        raise DataFileError(f"{quoted(name)}: no such file" + (" (it is a folder)" if path.is_dir() else ""))
    lower = path.name.lower()
    if lower.endswith(".npy"):
        schema, tables = _npy_groups(path, name, row_group_rows)
    elif lower.endswith(_TEXT_SUFFIX):
        schema, tables = _text_groups(path, name, row_group_rows)
    else:
        raise DataFileError(
            f"{quoted(name)}: `vaekit convert` takes a text table (.csv, .tsv, .txt, optionally .gz) or a .npy "
            "table; other data streams as it is, or is read into memory"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_killed_writes(target)
    with atomic_file(target, overwrite=overwrite) as temporary, pq.ParquetWriter(temporary, schema) as writer:
        for table in tables:
            writer.write_table(table, row_group_size=max(1, table.num_rows))
    return target
