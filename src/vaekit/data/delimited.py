"""Delimited text tables (CSV, TSV, ...), read with pandas into :class:`LoadedData`.

Text files (``.csv``, ``.tsv``, ``.txt``, each optionally ``.gz``) are UTF-8. The
separator, the decimal mark and whether the first line is a header are detected
(:mod:`vaekit.data.dialect`) unless given with ``sep``, ``decimal`` and ``header``;
a file of numbers only has no header and its columns are called ``x0``, ``x1``, ....
Blank lines are skipped; a separator at the end of every line is ignored. Only empty
fields are gaps, and the tokens given as ``na_values`` (pandas' own list, which holds
``None`` and ``NA``, is not used: a survey's answer ``None`` is a value); a column of
numbers with a few stray tokens, numbers with thousands separators, and the columns that
number the rows (R's row names, pandas' index) are read as
:func:`~vaekit.data.table.frames.table_to_loaded` says, each with one
:class:`~vaekit.data.loaded.DataNoteWarning`.

Places are 1-based line numbers, counting the header and blank lines, so that an
editor opens the file at the line named. A row with more fields than the first
line is named with both counts and the likely cause; a row with fewer has missing
values -- gaps, as empty fields are -- and a :class:`~vaekit.data.loaded.DataNoteWarning`
names the first such line (:func:`warn_short_rows`).
"""

from __future__ import annotations

import csv
import dataclasses
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vaekit.data.dialect import (
    check_dialect,
    detect_decimal,
    detect_header,
    field_count_error,
    first_records,
    records,
    sniff_separator,
)
from vaekit.data.loaded import (
    DataFileError,
    DataNoteWarning,
    LoadedData,
    brief,
    feature_names_for,
    quoted,
    reraise_interrupt,
)
from vaekit.data.table.columns import refuse_duplicate_names
from vaekit.data.table.frames import na_tokens, table_to_loaded

__all__ = ["line_of_row", "read_text_table", "resolve_dialect", "short_row", "text_column_names", "warn_short_rows"]


def line_of_row(path: Path, sep: str, header: bool, row: int) -> str:
    """Where data row ``row`` (0-based) of a text table is: its 1-based line number."""
    wanted = row + int(header)
    try:
        for index, (number, _) in enumerate(records(path, sep)):
            if index == wanted:
                return f"line {number}"
    except _TEXT_ERRORS:
        pass
    return f"data row {row + 1}"  # the csv module splits the file otherwise than pandas did


class _Lines:
    """Data row (0-based) -> ``"line N"``, as :func:`line_of_row`; after a second call, from one pass
    over the file that numbers every row (a note may name a few rows near the end of a large file)."""

    def __init__(self, path: Path, sep: str, header: bool) -> None:
        self.path, self.sep, self.header = path, sep, header
        self.calls = 0
        self.lines: np.ndarray | None = None

    def __call__(self, row: int) -> str:
        self.calls += 1
        if self.calls == 1:
            return line_of_row(self.path, self.sep, self.header, row)
        if self.lines is None:
            try:
                numbers = [number for number, _ in records(self.path, self.sep)]
            except _TEXT_ERRORS:
                numbers = []
            self.lines = np.array(numbers[int(self.header) :], dtype=np.int64)
        if 0 <= row < len(self.lines):
            return f"line {self.lines[row]}"
        return f"data row {row + 1}"


def short_row(path: Path, sep: str, n_columns: int) -> tuple[int, int] | None:
    """``(line, fields)`` of the first record with fewer than ``n_columns`` fields, or None."""
    try:
        for number, fields in records(path, sep):
            if len(fields) < n_columns:
                return number, len(fields)
    except _TEXT_ERRORS:
        pass
    return None


def warn_short_rows(path: Path, source: str, sep: str, names: Sequence[str], stacklevel: int = 3) -> None:
    """Warn (:class:`DataNoteWarning`) that a line has fewer fields than the table's columns ``names``:
    its missing fields are read as gaps. No warning when every line has them all."""
    found = short_row(path, sep, len(names))
    if found is None:
        return
    line, count = found
    missing = [f"'{name}'" for name in names[count:]]
    shown = ", ".join(missing[:3]) + (f", ... ({len(missing)} in all)" if len(missing) > 3 else "")
    what = f"column {shown} is read as a gap" if len(missing) == 1 else f"columns {shown} are read as gaps"
    warnings.warn(
        f"{quoted(source)}, line {line}: {count} field{'s' if count != 1 else ''} for {len(names)} columns; {what} "
        "there and in any other line as short (write the missing fields, empty where a value is missing)",
        DataNoteWarning,
        stacklevel=stacklevel,
    )


_TEXT_ERRORS = (UnicodeDecodeError, OSError, EOFError, csv.Error, zlib.error)
"""What reading a text file may raise: not UTF-8, unreadable, a damaged gzip stream, a
field longer than the csv module takes."""


def _unreadable(source: str, err: Exception) -> DataFileError:
    """The one-line error for a text file that cannot be read as text."""
    reraise_interrupt(err)
    if isinstance(err, UnicodeDecodeError):
        where = f"{err.reason} at byte {err.start}"
        return DataFileError(f"{quoted(source)}: not UTF-8 text ({where}); save it as UTF-8")
    if isinstance(err, (EOFError, zlib.error)) or "gzip" in str(err).lower():
        return DataFileError(f"{quoted(source)}: a damaged or truncated gzip file ({brief(err)})")
    return DataFileError(f"{quoted(source)}: cannot be read as a table ({brief(err)})")


def resolve_dialect(
    path: Path, sep: str | None, decimal: str | None, header: bool | None
) -> tuple[str, str, bool, list[list[str]]]:
    """The separator, decimal mark and header of a text table: as given, else detected.

    Returns
    -------
    sep, decimal, header, first_records
        ``first_records`` are the first lines split at ``sep`` (the header first).
    """
    name = path.name.lower().removesuffix(".gz")
    if sep is None and name.endswith(".tsv"):
        sep = "\t"
    sep = sep or sniff_separator(path, csv_file=name.endswith(".csv"), decimal=decimal)
    sampled = first_records(path, sep)
    decimal = decimal or detect_decimal(sampled, sep)
    if header is None:
        header = detect_header(sampled, decimal)
    return sep, decimal, header, sampled


def text_column_names(
    path: Path, *, source: str, sep: str | None = None, decimal: str | None = None, header: bool | None = None
) -> list[str] | None:
    """The column names in a text table's header (None without one), from its first lines only.

    ``sep`` and ``decimal`` as :func:`~vaekit.data.dialect.check_dialect` returns them.

    Raises
    ------
    DataFileError
        The file cannot be read as text.
    """
    try:
        _, _, header, sampled = resolve_dialect(path, sep, decimal, header)
    except _TEXT_ERRORS as err:
        raise _unreadable(source, err) from err
    return [field.strip() for field in sampled[0]] if header and sampled else None


def read_text_table(
    path: Path,
    *,
    source: str,
    columns: Sequence[str | int] | str | None = None,
    label: str | None = None,
    id_column: str | None = None,
    header: bool | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    na_values: Sequence[str] | str | None = None,
    thousands: str | None = None,
    keep_ids: bool = False,
) -> LoadedData:
    """Read a CSV, TSV or other delimited text file (optionally gzip-compressed).

    Parameters
    ----------
    path : Path
    source : str
        The path as the user gave it, for messages.
    columns, label, id_column : see :func:`vaekit.data.read.read_data`
    header : bool or None, default=None
        Whether the first line holds column names; None detects it.
    sep : str or None, default=None
        The separator (see :func:`~vaekit.data.dialect.check_dialect`); None: a tab
        for ``.tsv``, else detected.
    decimal : {".", ",", None}, default=None
        The decimal mark; None detects it.
    na_values, thousands, keep_ids : see :func:`vaekit.data.read.read_data`

    Returns
    -------
    LoadedData
        ``X`` of shape (n_rows, n_features), float32.

    Raises
    ------
    DataFileError
        An unreadable file, a row with too many fields, or a value or column that
        cannot be used; the message names the line.
    """
    sep, decimal = check_dialect(sep, decimal, source=source)
    if decimal is None and thousands == ".":  # 1.234,5: a point between thousands, so a decimal comma
        decimal = ","
    try:
        sep, decimal, header, sampled = resolve_dialect(path, sep, decimal, header)
        if header and sampled:
            refuse_duplicate_names([field.strip() for field in sampled[0]], source=source, where="the header")
        if thousands is not None and thousands in (sep, decimal):
            what = "separator" if thousands == sep else "decimal mark"
            raise DataFileError(f"{quoted(source)}: `thousands` {thousands!r} is also the {what}; they must differ")
        frame = _read_frame(path, source, sep, decimal, bool(header), na_tokens(na_values), thousands)
    except _TEXT_ERRORS as err:
        raise _unreadable(source, err) from err
    frame.columns = [str(name).strip() for name in frame.columns] if header else feature_names_for(frame.shape[1])
    frame = _drop_trailing_empty(frame, named=bool(header))
    if len(frame) and frame.iloc[:, -1].isna().any():  # a row with fewer fields has gaps at its end
        warn_short_rows(path, source, sep, [str(name) for name in frame.columns])

    locate = _Lines(path, sep, bool(header))

    loaded = table_to_loaded(
        frame, source=source, locate=locate, columns=columns, label=label, id_column=id_column,
        positional=not header, decimal=decimal, thousands=thousands, keep_ids=keep_ids,
    )  # fmt: skip
    if header and loaded.id_name == "Unnamed: 0" and sampled and not sampled[0][0].strip():
        loaded = dataclasses.replace(loaded, id_name=None)  # the file has no name for its row names
    return loaded


def _read_frame(
    path: Path, source: str, sep: str, decimal: str, header: bool, na_values: list[str], thousands: str | None
) -> pd.DataFrame:
    """The file as pandas reads it, or a one-line error (a row with too many fields named by its line).

    Only empty fields and ``na_values`` are NaN; a column is read whole (``low_memory=False``), so
    it holds numbers or text, not both from different chunks."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # a row pandas would cut short
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            return pd.read_csv(
                path, sep=sep, decimal=decimal, header=0 if header else None, index_col=False,
                skipinitialspace=True, encoding="utf-8", keep_default_na=False, na_values=["", *na_values],
                thousands=thousands, low_memory=False,
            )  # fmt: skip
    except (pd.errors.ParserError, pd.errors.ParserWarning) as err:
        raise field_count_error(path, source, sep or ",", err) from err
    except pd.errors.EmptyDataError as err:
        raise DataFileError(f"{quoted(source)}: the file is empty; it must hold one row per sample") from err


def _drop_trailing_empty(frame: pd.DataFrame, *, named: bool) -> pd.DataFrame:
    """Drop the empty last columns made by a separator at the end of every line."""
    while len(frame) > 0 and frame.shape[1] > 1 and frame.iloc[:, -1].isna().all():
        if named and not str(frame.columns[-1]).startswith("Unnamed: "):
            break
        frame = frame.iloc[:, :-1]
    return frame
