"""How a delimited text file is written: its separator, its decimal mark, its header.

:func:`~vaekit.data.delimited.read_text_table` asks this module about a file, unless
the user says with ``sep``, ``decimal`` and ``header``:

- **separator** (:func:`sniff_separator`): a tab for ``.tsv``; otherwise the
  candidates (comma, semicolon, tab and bar; for files other than ``.csv`` also runs
  of whitespace, as a last resort) that split the first lines into equal numbers of
  fields, more than one. When several do, the one whose fields most often read as
  numbers wins, then the one whose other fields least often hold another candidate,
  then the earlier in that order (so ``1,5;2,5`` and ``cat;1,5`` are split at the
  semicolons). When none does, the one that splits the first line most, and
  the field-count error names the line that differs.
- **decimal mark** (:func:`detect_decimal`): a comma when the separator is a
  semicolon (the export of a spreadsheet set to a European language) and the first
  lines hold numbers written with a decimal comma (``1,5``) and none with a decimal
  point; a point otherwise.
- **header** (:func:`detect_header`): the first line names the columns when one of
  its fields is text over a column of numbers, or when all of them are text.

:func:`field_count_error` turns a row with too many fields into a message that
names the line and its likely cause.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from vaekit.data.loaded import DataFileError, brief, quoted, reraise_interrupt

__all__ = [
    "NA_STRINGS",
    "WHITESPACE",
    "check_dialect",
    "detect_decimal",
    "detect_header",
    "field_count_error",
    "first_records",
    "looks_numeric",
    "records",
    "sniff_separator",
]

# pandas' default missing-value strings (read_csv's na_values)
NA_STRINGS = frozenset(
    ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
     "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
)  # fmt: skip
WHITESPACE = r"\s+"
"""The separator "runs of spaces and tabs" (as pandas spells it)."""

_SAMPLE_RECORDS = 50  # records looked at to find the separator, the decimal mark and the header
_CANDIDATES = (",", ";", "\t", "|")
_SEP_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "space": " ",
              "whitespace": WHITESPACE, "\\s+": WHITESPACE}  # fmt: skip
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d*,\d+(?:[eE][+-]?\d+)?\s*")


def separator_name(sep: str) -> str:
    """``','``, ``'\\t'`` or ``whitespace``: a separator as messages show it."""
    return "whitespace" if sep == WHITESPACE else repr(sep)


def check_dialect(sep: str | None, decimal: str | None, *, source: str) -> tuple[str | None, str | None]:
    """The user's ``sep`` and ``decimal``, checked and spelled as pandas wants them.

    Parameters
    ----------
    sep : str or None
        One character, or ``"tab"``, ``"\\t"``, ``"comma"``, ``"semicolon"``,
        ``"space"``, ``"whitespace"`` (runs of spaces and tabs); None detects it.
    decimal : {".", ",", None}
        The decimal mark; None detects it.
    source : str
        The file, for messages.

    Returns
    -------
    (sep, decimal) : tuple of (str or None)

    Raises
    ------
    DataFileError
        A separator of several characters, a decimal mark other than ``.`` and ``,``,
        or the same character for both.

    Examples
    --------
    >>> check_dialect("tab", ",", source="t.txt")
    ('\\t', ',')
    """
    if sep is not None:
        sep = _SEP_NAMES.get(sep.lower(), sep) if isinstance(sep, str) and len(sep) > 1 else sep
        if sep != WHITESPACE and (not isinstance(sep, str) or len(sep) != 1 or sep in '"\r\n'):
            raise DataFileError(
                f"{quoted(source)}: `sep` {sep!r} must be one character such as ',' ';' '|', or 'tab' or 'whitespace'"
            )
    if decimal is not None and decimal not in (".", ","):
        raise DataFileError(f"{quoted(source)}: `decimal` {decimal!r} must be '.' or ','")
    if sep is not None and sep == decimal:
        raise DataFileError(f"{quoted(source)}: `sep` and `decimal` are both {sep!r}; they must differ")
    return sep, decimal


def _open_text(path: Path) -> TextIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def records(path: Path, sep: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, fields)`` of the non-blank records, as pandas sees them.

    The line is the 1-based one where the record starts (a quoted field may hold line breaks),
    as an editor shows it.
    """
    with _open_text(path) as f:
        if sep == WHITESPACE:
            for number, line in enumerate(f, start=1):
                if fields := line.split():
                    yield number, fields
            return
        reader = csv.reader(f, delimiter=sep, skipinitialspace=True)
        start = 1
        for fields in reader:
            if len(fields) > 1 or (fields and fields[0].strip()):
                yield start, fields
            start = reader.line_num + 1  # a blank line is a record of its own: the next starts after this one


def first_records(path: Path, sep: str, count: int = _SAMPLE_RECORDS) -> list[list[str]]:
    """The fields of the first ``count`` non-blank records."""
    found = []
    for _, fields in records(path, sep):
        found.append(fields)
        if len(found) == count:
            break
    return found


def looks_numeric(text: str, decimal: str = ".") -> bool:
    """Whether pandas would read ``text`` as a number or as missing.

    Examples
    --------
    >>> looks_numeric("1.5"), looks_numeric("1,5"), looks_numeric("1,5", decimal=","), looks_numeric("NA")
    (True, False, True, True)
    """
    text = text.strip()
    if text in NA_STRINGS:
        return True
    if decimal == ",":
        if "." in text:
            return False
        text = text.replace(",", ".", 1)
    try:
        float(text)
    except ValueError:
        return False
    return "_" not in text  # float() accepts 1_000, pandas does not


def detect_decimal(sampled: Sequence[Sequence[str]], sep: str) -> str:
    """``","`` for a semicolon-separated file whose numbers use decimal commas, else ``"."``.

    Parameters
    ----------
    sampled : sequence of sequence of str
        The first records of the file, split at ``sep``.
    sep : str

    Returns
    -------
    str

    Examples
    --------
    >>> detect_decimal([["a", "b"], ["1,5", "2"]], ";"), detect_decimal([["1,5", "2.5"]], ";")
    (',', '.')
    """
    if sep != ";":
        return "."
    fields = [field for row in sampled for field in row]
    commas = any(_DECIMAL_COMMA.fullmatch(field) for field in fields)
    points = any("." in field and looks_numeric(field) and field.strip() not in NA_STRINGS for field in fields)
    return "," if commas and not points else "."


def _splits_evenly(sampled: Sequence[Sequence[str]]) -> bool:
    return bool(sampled) and len({len(fields) for fields in sampled}) == 1 and len(sampled[0]) > 1


def _fit(sampled: Sequence[Sequence[str]], sep: str, decimal: str | None) -> tuple[float, float]:
    """How well ``sep`` splits the records: the share of fields that read as numbers, and
    minus the share of other fields that hold another candidate separator."""
    commas = decimal == "," or (decimal is None and sep == ";")
    fields = [field for row in sampled for field in row]
    numeric = [looks_numeric(f, decimal or ".") or (commas and looks_numeric(f, ",")) for f in fields]
    others = [other for other in _CANDIDATES if other != sep]
    split_too = [not is_number and any(other in f for other in others) for f, is_number in zip(fields, numeric)]
    return sum(numeric) / len(fields), -sum(split_too) / len(fields)


def sniff_separator(path: Path, *, csv_file: bool, decimal: str | None = None) -> str:
    """The separator of a text table (module docstring).

    Parameters
    ----------
    path : Path
    csv_file : bool
        The file is a ``.csv``: runs of whitespace are not a candidate.
    decimal : {".", ",", None}
        The decimal mark, if the user gave it; a comma is then not a candidate.

    Returns
    -------
    str
        One character, or :data:`WHITESPACE`.
    """
    candidates = [sep for sep in _CANDIDATES if sep != decimal]
    sampled = {sep: first_records(path, sep) for sep in candidates}
    even = [sep for sep in candidates if _splits_evenly(sampled[sep])]
    if even:
        return max(even, key=lambda sep: (*_fit(sampled[sep], sep, decimal), -candidates.index(sep)))
    if not csv_file and _splits_evenly(first_records(path, WHITESPACE)):
        return WHITESPACE
    # uneven field counts: take the separator that splits the first line most, and let
    # the field-count error name the line
    best = max(candidates, key=lambda sep: len(sampled[sep][0]) if sampled[sep] else 0)
    return best if sampled[best] and len(sampled[best][0]) > 1 else candidates[0]


def detect_header(sampled: Sequence[Sequence[str]], decimal: str = ".") -> bool:
    """Whether the first record is a header.

    It is when one of its fields is text while every record below holds a number
    (or nothing) in that column, or when all of its fields are text.

    Parameters
    ----------
    sampled : sequence of sequence of str
        The first records of the file, split into fields.
    decimal : {".", ","}, default="."
        The decimal mark of the numbers.

    Returns
    -------
    bool

    Examples
    --------
    >>> detect_header([["a", "b"], ["1", "2"]]), detect_header([["cat", "1"], ["dog", "2"]])
    (True, False)
    >>> detect_header([["cat", "1,5"], ["dog", "2,5"]], decimal=",")
    False
    """
    if not sampled:
        return False
    first, rest = sampled[0], sampled[1:]
    text_columns = [j for j, field in enumerate(first) if not looks_numeric(field, decimal)]
    if not text_columns:
        return False
    if len(text_columns) == len(first):
        return True
    if not rest:
        return True
    return any(all(j < len(row) and looks_numeric(row[j], decimal) for row in rest) for j in text_columns)


def _likely_causes(path: Path, sep: str, first_count: int, first_line: int) -> str:
    """Why a record has more fields than the first one, the likelier first."""
    sampled = first_records(path, sep)
    causes = [f"a value contains the separator {separator_name(sep)} without quotes (put quotes around it)"]
    others = [other for other in _CANDIDATES if other != sep and _splits_evenly(first_records(path, other))]
    if others:  # before the quotes, unless the separator splits the first lines evenly too
        causes.insert(
            len(causes) if _splits_evenly(sampled) else 0, f"the separator is {separator_name(others[0])} (try `sep`)"
        )
    elif first_count == 1:
        causes.insert(0, f"line {first_line} is a title or note above the column names (remove it)")
    elif len(sampled) > 2 and all(len(fields) == first_count + 1 for fields in sampled[1:]):
        causes.insert(
            0,
            f"line {first_line} has no name for the first column (row names, as R's write.table writes them? "
            f"name them at the start of line {first_line}, e.g. rownames, and they are read as the row id)",
        )
    return ", or ".join(causes)


def field_count_error(path: Path, source: str, sep: str, err: Exception) -> DataFileError:
    """The first record with more fields than the first one, and the likely cause.

    Parameters
    ----------
    path : Path
    source : str
        The path as the user gave it, for messages.
    sep : str
        The separator the file was read with.
    err : Exception
        pandas' error, shown when no such record is found.

    Returns
    -------
    DataFileError
        For example "'t.csv', line 7: 5 fields, but line 1 has 4: a value contains
        the separator ',' without quotes (put quotes around it), or the separator is
        ';' (try `sep`)".
    """
    reraise_interrupt(err)
    expected, first_line = None, 0
    for number, fields in records(path, sep):
        if expected is None:
            expected, first_line = len(fields), number
        elif len(fields) > expected:
            causes = _likely_causes(path, sep, expected, first_line)
            return DataFileError(
                f"{quoted(source)}, line {number}: {len(fields)} fields, but line {first_line} has {expected}: {causes}"
            )
    return DataFileError(f"{quoted(source)}: cannot be read as a table ({brief(err)})")
