"""A delimited text file (CSV, TSV, ...) streamed in blocks of lines.

Opening the file makes one pass over its bytes that notes where a block of about
``chunk_bytes`` of text starts (always at the start of a record: a quoted field may
hold line breaks) and how many records each block holds; reading chunk ``i`` seeks
there and parses that block with pandas, with the options the in-memory reader
(:func:`vaekit.data.delimited.read_text_table`) uses. The separator, decimal mark and
header are detected from the first lines as that reader detects them. Blank lines
are skipped, a separator at the end of every line is ignored, and a first column
with no name (the row index ``DataFrame.to_csv`` writes) is left out with a note.
Features must be numbers; a gap becomes NaN, which
:func:`~vaekit.data.stream.stream_statistics` reports with its row.

Compressed (``.gz``) files cannot be sought in; convert them with
:func:`~vaekit.data.stream.convert_to_parquet`.
"""

from __future__ import annotations

import bisect
import csv
import io
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from vaekit.data.delimited import _TEXT_ERRORS, _unreadable, resolve_dialect
from vaekit.data.dialect import WHITESPACE, check_dialect, field_count_error, looks_numeric, records
from vaekit.data.loaded import DataFileError, DataNoteWarning, feature_names_for, quoted
from vaekit.data.stream.base import DEFAULT_CHUNK_BYTES, check_chunk_index, check_not_empty, not_a_number

__all__ = ["CsvChunks"]


def _records(f: BinaryIO, offset: int = 0, line: int = 1) -> Iterator[tuple[int, int]]:
    """``(byte offset, 1-based line)`` where each record of ``f`` from here on starts, blank ones left out.

    A record ends at a line break outside quotes (``""`` inside a quoted field keeps
    the count of quotes even); a record of whitespace only is a blank line pandas skips.
    """
    record_start, record_line, in_quotes, blank = offset, line, False, True
    for text in f:
        if not in_quotes:
            record_start, record_line, blank = offset, line, True
        offset += len(text)
        line += 1
        blank = blank and not text.strip()
        if b'"' in text and text.count(b'"') % 2:
            in_quotes = not in_quotes
        if not (in_quotes or blank):
            yield record_start, record_line


def _index(path: Path, header: bool, chunk_bytes: int) -> tuple[list[int], list[int], list[int]]:
    """Byte offsets where chunks start (and the file's size last), the records of each chunk, and the
    1-based line where each chunk starts.

    The records are :func:`_records`', written out here: the generator costs half as much time again
    over a file of millions of lines.
    """
    starts: list[int] = []
    counts: list[int] = []
    lines: list[int] = []
    offset, record_start, in_quotes, blank, skip = 0, 0, False, True, header
    line, record_line = 1, 1
    with open(path, "rb") as f:
        for text in f:
            if not in_quotes:
                record_start, record_line, blank = offset, line, True
            offset += len(text)
            line += 1
            blank = blank and not text.strip()
            if b'"' in text and text.count(b'"') % 2:
                in_quotes = not in_quotes
            if in_quotes or blank:
                continue
            if skip:  # the header
                skip = False
                continue
            if not starts or record_start - starts[-1] >= chunk_bytes:
                starts.append(record_start)
                counts.append(0)
                lines.append(record_line)
            counts[-1] += 1
    return [*starts, offset], counts, lines


class CsvChunks:
    """The rows of a delimited text file, in blocks of about ``chunk_bytes`` of text.

    Parameters
    ----------
    source : str or path-like
        A ``.csv``, ``.tsv`` or ``.txt`` file (not compressed).
    sep, decimal, header : as :func:`vaekit.data.delimited.read_text_table` takes them
        None detects each from the first lines.
    chunk_bytes : int, default=16 MiB

    Attributes
    ----------
    feature_names : list of str or None
        The header's names of the feature columns; None for a file without a header.
    """

    def __init__(
        self,
        source: str | os.PathLike[str],
        *,
        sep: str | None = None,
        decimal: str | None = None,
        header: bool | None = None,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ) -> None:
        path, self.name = Path(source).expanduser(), str(source)
        if path.name.lower().endswith(".gz"):
            raise DataFileError(
                f"{quoted(self.name)}: a compressed file cannot be read in chunks; decompress it, or convert it "
                "with `vaekit convert` to Parquet"
            )
        sep, decimal = check_dialect(sep, decimal, source=self.name)
        try:
            sep, decimal, has_header, sampled = resolve_dialect(path, sep, decimal, header)
            if not sampled:
                raise DataFileError(f"{quoted(self.name)}: the file is empty; it must hold one row per sample")
            self._offsets, counts, self._lines = _index(path, bool(has_header), chunk_bytes)
        except _TEXT_ERRORS as err:
            raise _unreadable(self.name, err) from err
        self.path, self._sep, self._decimal = path, sep, decimal
        self._n_fields = len(sampled[0])
        names = [field.strip() for field in sampled[0]] if has_header else feature_names_for(self._n_fields)
        rows = sampled[1:] if has_header else sampled
        last = self._n_fields - 1  # empty in every line: a separator at the end of each
        unnamed = not has_header or not names[last]
        trailing = last > 0 and unnamed and bool(rows) and all(len(r) <= last or not r[last].strip() for r in rows)
        first = 1 if has_header and self._n_fields > 1 and not names[0] else 0
        if first:
            warnings.warn(
                f"{quoted(self.name)}: the first column has no name; it is taken for a row index (as pandas' "
                "to_csv writes one) and left out",
                DataNoteWarning,
                stacklevel=2,
            )
        self._columns = list(range(first, self._n_fields - int(trailing)))
        self._names = [names[j] for j in self._columns]
        self.feature_names = self._names if has_header else None
        try:
            self._check_first_records(bool(has_header), decimal)
        except _TEXT_ERRORS as err:
            raise _unreadable(self.name, err) from err
        self.sample_shape = (len(self._columns),)
        self._starts = [0, *np.cumsum(counts, dtype=np.int64).tolist()]
        self.n_rows = self._starts[-1]
        self.n_chunks = len(counts)
        check_not_empty(self.name, self.n_rows, self.sample_shape)

    def _check_first_records(self, header: bool, decimal: str) -> None:
        """Refuse text in a feature column of the first lines, naming the line (pandas would read the column as
        text, and :meth:`read_chunk` name it only when the chunk is read)."""
        for index, (number, fields) in enumerate(records(self.path, self._sep)):
            if index >= 50:
                break
            if header and index == 0:
                continue
            for j, column in zip(self._columns, self._names):
                if j < len(fields) and not looks_numeric(fields[j], decimal):
                    raise not_a_number(f"{quoted(self.name)}, line {number}", column, fields[j].strip())

    def locate(self, row: int) -> str:
        """``'file', line 25``: the 1-based line where data row ``row`` starts, counting the header and blank
        lines, as the in-memory reader names it; with its count of fields when it has too few."""
        if not 0 <= row < self.n_rows:
            raise IndexError(f"row {row} of a source of {self.n_rows} rows")
        i = bisect.bisect_right(self._starts, row) - 1
        with open(self.path, "rb") as f:
            f.seek(self._offsets[i])
            starts = _records(f, self._offsets[i], self._lines[i])
            for _ in range(row - self._starts[i]):
                next(starts)
            offset, line = next(starts)
            end = next(starts, (self._offsets[i + 1], 0))[0]
            f.seek(offset)
            text = f.read(end - offset).decode("utf-8-sig", errors="replace")
        where = f"{quoted(self.name)}, line {line}"
        if self._sep == WHITESPACE:
            fields = text.split()
        else:
            fields = next(csv.reader(io.StringIO(text), delimiter=self._sep, skipinitialspace=True), [])
        if len(fields) <= self._columns[-1]:
            where += f" ({len(fields)} field{'s' if len(fields) != 1 else ''} for {self._n_fields} columns)"
        return where

    def chunk_bounds(self, i: int) -> tuple[int, int]:
        """``(start, stop)``: the data rows of chunk ``i`` (0-based, not counting the header and blank lines)."""
        i = check_chunk_index(i, self.n_chunks)
        return self._starts[i], self._starts[i + 1]

    def read_chunk(self, i: int) -> np.ndarray:
        """Chunk ``i``: ndarray of float32, shape ``(rows, n_features)``; gaps are NaN."""
        start, stop = self.chunk_bounds(i)
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offsets[i])
                block = f.read(self._offsets[i + 1] - self._offsets[i])
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)  # a row pandas would cut short
                warnings.simplefilter("ignore", pd.errors.DtypeWarning)
                frame = pd.read_csv(  # every field, not usecols: with it, pandas drops a line's extra fields
                    io.BytesIO(block), sep=self._sep, decimal=self._decimal, header=None,
                    names=list(range(self._n_fields)), index_col=False, skipinitialspace=True,
                    encoding="utf-8-sig",
                )  # fmt: skip
        except (pd.errors.ParserError, pd.errors.ParserWarning) as err:
            raise field_count_error(self.path, self.name, self._sep, err) from err
        except _TEXT_ERRORS as err:
            raise _unreadable(self.name, err) from err
        if len(frame) != stop - start:
            raise DataFileError(
                f"{quoted(self.name)}: rows {start} to {stop - 1} read as {len(frame)} rows; the file changed "
                "after it was opened"
            )
        frame = frame[self._columns]
        for j, column in zip(self._columns, self._names):
            series = frame[j]
            if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
                numbers = pd.to_numeric(series, errors="coerce")
                row = int(np.argmax((numbers.isna() & series.notna()).to_numpy()))
                raise not_a_number(self.locate(start + row), column, str(series.iloc[row]).strip())
        with np.errstate(over="ignore"):  # a number beyond float32 becomes inf, which the statistics name
            return np.ascontiguousarray(frame.to_numpy(dtype=np.float32))
