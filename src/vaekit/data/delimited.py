"""Delimited text tables (CSV, TSV, ...), read with pandas into :class:`LoadedData`.

Text files (``.csv``, ``.tsv``, ``.txt``, each optionally ``.gz``) are UTF-8. The
separator is a comma for ``.csv``, a tab for ``.tsv``, and otherwise the first of
tab, comma, semicolon, bar and runs of whitespace that splits the first lines into
equal numbers of fields. The first line is a header when one of its fields is text
while the lines below hold numbers in that column (or when all of its fields are
text); a file of numbers only has no header and its columns are called ``x0``,
``x1``, .... Blank lines are skipped; a separator at the end of every line is
ignored.

Places are 1-based line numbers, counting the header and blank lines, so that an
editor opens the file at the line named. A row with more fields than the first
line is named with both counts; a row with fewer has missing values.
"""

from __future__ import annotations

import csv
import gzip
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

import pandas as pd

from vaekit.data.loaded import DataFileError, LoadedData, feature_names_for, quoted
from vaekit.data.tables import table_to_loaded

# pandas' default missing-value strings (read_csv's na_values)
NA_STRINGS = frozenset(
    ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
     "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
)  # fmt: skip
WHITESPACE = r"\s+"
_SAMPLE_RECORDS = 50  # records looked at to find the separator and the header


def _open_text(path: Path) -> TextIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _records(path: Path, sep: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, fields)`` of the non-blank records, as pandas sees them."""
    with _open_text(path) as f:
        if sep == WHITESPACE:
            for number, line in enumerate(f, start=1):
                if fields := line.split():
                    yield number, fields
            return
        reader = csv.reader(f, delimiter=sep, skipinitialspace=True)
        for fields in reader:
            if len(fields) > 1 or (fields and fields[0].strip()):
                yield reader.line_num, fields


def _first_records(path: Path, sep: str, count: int = _SAMPLE_RECORDS) -> list[list[str]]:
    records = []
    for _, fields in _records(path, sep):
        records.append(fields)
        if len(records) == count:
            break
    return records


def _sniff_separator(path: Path) -> str:
    """Tab, comma, semicolon or bar if it splits the first lines evenly, else whitespace."""
    counts = {sep: [len(fields) for fields in _first_records(path, sep)] for sep in ("\t", ",", ";", "|", WHITESPACE)}
    for sep, found in counts.items():
        if len(set(found)) == 1 and found[0] > 1:
            return sep
    # uneven field counts: take the separator that splits the first line most, and let
    # the ragged-row error name the line
    best = max(counts, key=lambda sep: counts[sep][0] if counts[sep] else 0)
    return best if counts[best] and counts[best][0] > 1 else ","


def _looks_numeric(text: str) -> bool:
    """Whether pandas would read ``text`` as a number or as missing."""
    text = text.strip()
    if text in NA_STRINGS:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return "_" not in text  # float() accepts 1_000, pandas does not


def detect_header(records: Sequence[Sequence[str]]) -> bool:
    """Whether the first record is a header.

    It is when one of its fields is text while every record below holds a number
    (or nothing) in that column, or when all of its fields are text.

    Parameters
    ----------
    records : sequence of sequence of str
        The first records of the file, split into fields.

    Returns
    -------
    bool

    Examples
    --------
    >>> detect_header([["a", "b"], ["1", "2"]]), detect_header([["cat", "1"], ["dog", "2"]])
    (True, False)
    """
    if not records:
        return False
    first, rest = records[0], records[1:]
    text_columns = [j for j, field in enumerate(first) if not _looks_numeric(field)]
    if not text_columns:
        return False
    if len(text_columns) == len(first):
        return True
    return any(all(j < len(row) and _looks_numeric(row[j]) for row in rest) for j in text_columns) if rest else True


def _line_of_row(path: Path, sep: str, header: bool, row: int) -> int:
    """The 1-based line number of data row ``row`` (0-based) of a text table."""
    wanted = row + int(header)
    for index, (number, _) in enumerate(_records(path, sep)):
        if index == wanted:
            return number
    raise AssertionError(f"{path}: no data row {row}")  # pragma: no cover -- pandas found it


def _ragged_error(path: Path, source: str, sep: str, err: Exception) -> DataFileError:
    """Name the first line with more fields than the first one (rewriting pandas' message)."""
    expected, first_line = None, 0
    for number, fields in _records(path, sep):
        if expected is None:
            expected, first_line = len(fields), number
        elif len(fields) > expected:
            shown = "whitespace" if sep == WHITESPACE else repr(sep)
            return DataFileError(
                f"{quoted(source)}, line {number}: {len(fields)} fields, but line {first_line} has {expected}; "
                f"remove the extra fields, or put quotes around values that contain the separator {shown}"
            )
    return DataFileError(f"{quoted(source)}: cannot be read as a table ({err})")


def read_text_table(
    path: Path,
    *,
    source: str,
    columns: Sequence[str | int] | str | None = None,
    label: str | None = None,
    id_column: str | None = None,
    header: bool | None = None,
) -> LoadedData:
    """Read a CSV, TSV or other delimited text file (optionally gzip-compressed).

    Parameters
    ----------
    path : Path
    source : str
        The path as the user gave it, for messages.
    columns, label, id_column : see :func:`vaekit.data.read.read_data`
    header : bool or None, default=None
        Whether the first line holds column names; None detects it (module docstring).

    Returns
    -------
    LoadedData
        ``X`` of shape (n_rows, n_features), float32.
    """
    name = path.name.lower().removesuffix(".gz")
    sep = "\t" if name.endswith(".tsv") else "," if name.endswith(".csv") else None
    try:
        sep = sep or _sniff_separator(path)
        if header is None:
            header = detect_header(_first_records(path, sep))
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # a row pandas would cut short
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            frame = pd.read_csv(
                path, sep=sep, header=0 if header else None, index_col=False,
                skipinitialspace=True, encoding="utf-8",
            )  # fmt: skip
    except (pd.errors.ParserError, pd.errors.ParserWarning) as err:
        raise _ragged_error(path, source, sep or ",", err) from err
    except pd.errors.EmptyDataError as err:
        raise DataFileError(f"{quoted(source)}: the file is empty; it must hold one row per sample") from err
    except UnicodeDecodeError as err:
        where = f"{err.reason} at byte {err.start}"
        raise DataFileError(f"{quoted(source)}: not UTF-8 text ({where}); save it as UTF-8") from err
    except (OSError, EOFError, csv.Error) as err:
        raise DataFileError(f"{quoted(source)}: cannot be read as a table ({err})") from err
    frame.columns = [str(name).strip() for name in frame.columns] if header else feature_names_for(frame.shape[1])
    frame = _drop_trailing_empty(frame, named=bool(header))

    def locate(row: int) -> str:
        return f"line {_line_of_row(path, sep, bool(header), row)}"

    return table_to_loaded(
        frame, source=source, locate=locate, columns=columns, label=label, id_column=id_column,
        positional=not header,
    )  # fmt: skip


def _drop_trailing_empty(frame: pd.DataFrame, *, named: bool) -> pd.DataFrame:
    """Drop the empty last columns made by a separator at the end of every line."""
    while len(frame) > 0 and frame.shape[1] > 1 and frame.iloc[:, -1].isna().all():
        if named and not str(frame.columns[-1]).startswith("Unnamed: "):
            break
        frame = frame.iloc[:, :-1]
    return frame
