"""A data frame turned into :class:`LoadedData`: the step every table reader ends with.

:func:`table_to_loaded` is shared by the text reader (:mod:`vaekit.data.delimited`)
and the Parquet reader (:mod:`vaekit.data.parquet`): it picks the feature, label and
id columns (by :mod:`vaekit.data.table.columns`) and checks that every feature value is a
finite number. The first bad value -- text, missing or infinite -- is reported with
the file, the column, the value and its place (a line of a text file, or the 0-based
row of a Parquet file), and what to do about it.

On the way it reads the table as a person would (each with one
:class:`~vaekit.data.loaded.DataNoteWarning`, so a run says each at most once):

- the columns that number or name the rows are the row id, not features
  (:func:`~vaekit.data.table.columns.find_row_ids`);
- a column of numbers with a few stray tokens is numbers, the tokens gaps, named with
  their places; thousands separators are read (:mod:`vaekit.data.table.cells`);
- cells of text columns that look like missing markers (``NA``, ``None``) are values,
  listed with the ``na_values`` that would make them gaps.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from vaekit.data.loaded import DataFileError, DataNoteWarning, LoadedData, checked, quoted
from vaekit.data.table.cells import CellReading, is_missing_marker, listed, read_cells, stray_rule
from vaekit.data.table.columns import column_position, feature_positions, find_row_ids

__all__ = ["apply_na_values", "na_tokens", "table_to_loaded"]

_FIX_TEXT = "choose numeric feature columns with `columns`, or mark this column as `label` or `id_column`"
_FIX_MISSING = "fill it in or remove that row, or leave the column out with `columns`"


def na_tokens(na_values: Sequence[str] | str | None) -> list[str]:
    """The user's ``na_values`` as a list of tokens (a string is split at commas; blanks dropped).

    >>> na_tokens("NA, None,"), na_tokens(["n/a"]), na_tokens(None)
    (['NA', 'None'], ['n/a'], [])
    """
    if na_values is None:
        return []
    items = na_values.split(",") if isinstance(na_values, str) else [str(v) for v in na_values]
    return list(dict.fromkeys(item.strip() for item in items if item.strip()))


def apply_na_values(frame: pd.DataFrame, tokens: Sequence[str]) -> pd.DataFrame:
    """``frame`` with the cells that hold one of ``tokens`` (compared stripped; a token that is a
    number also matches that number in a column of numbers) made gaps.

    Text readers give pandas ``na_values`` instead; this is for typed tables (Parquet).
    """
    if not tokens:
        return frame
    wanted = set(tokens)
    numbers = {float(t) for t in tokens if _is_float(t)}
    out = frame.copy()
    for j in range(out.shape[1]):
        column = out.iloc[:, j]
        if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
            hit = column.isin(numbers).to_numpy() if numbers else None
        elif pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype):
            hit = np.array([isinstance(v, str) and v.strip() in wanted for v in column.to_numpy(dtype=object)])
        else:
            hit = None
        if hit is not None and hit.any():
            out.isetitem(j, column.astype(object).where(~hit, np.nan) if not
                         pd.api.types.is_numeric_dtype(column.dtype) else column.where(~hit))  # fmt: skip
    return out


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _column_values(series: pd.Series) -> np.ndarray:
    """A label or id column as a NumPy array: numbers stay numbers, anything else becomes str."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        if series.isna().any():
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        return series.to_numpy()
    return series.astype("string").fillna("").to_numpy(dtype=str)


_FLOAT32_MAX = float(np.finfo(np.float32).max)
_TOO_LARGE = "value beyond the range of float32 (3.4e38)"


def _feature_problem(series: pd.Series) -> tuple[int, str, object, int] | None:
    """``(row, what, value, count)`` of the first infinite value (or one beyond float32's range), else of the
    first value that is not a number, or None."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(numbers)
    elif pd.api.types.is_string_dtype(series) or series.dtype == object:
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        missing = series.isna().to_numpy()
    else:  # datetime, category, ...: never features
        return 0, f"{series.dtype} value", series.iloc[0], len(series)
    with np.errstate(invalid="ignore"):
        extreme = np.abs(numbers) > _FLOAT32_MAX  # infinite, or so once float32 (1e39): refused, named first
    if extreme.any():
        row = int(np.argmax(extreme))
        what = "infinite value" if np.isinf(numbers[row]) else _TOO_LARGE
        return row, what, series.iloc[row], int(extreme.sum())
    bad = np.isnan(numbers) | missing
    if not bad.any():
        return None
    row = int(np.argmax(bad))
    if missing[row]:
        return row, "missing value", None, int(missing.sum())
    return row, "non-numeric value", series.iloc[row], int((bad & ~missing).sum())


def _hint(value: str, n_columns: int) -> str:
    """What a non-numeric value suggests about how the file was read, in parentheses, or ""."""
    if re.fullmatch(r"-?\d+,\d+", value):
        return " (a decimal comma? set `decimal` to ',')"
    separators = [sep for sep in (";", "\t", "|", ",") if sep in value]
    if n_columns == 1 and separators:
        return f" (is the separator {separators[0]!r}? set `sep`)"
    return ""


def _read_cells(
    frame: pd.DataFrame,
    features: list[str],
    *,
    source: str,
    locate: Callable[[int], str],
    decimal: str,
    thousands: str | None,
) -> pd.DataFrame:
    """``frame`` with each text feature column read by :func:`~vaekit.data.table.cells.read_cells`; the
    notes on what that made of the cells (gaps in columns of numbers, missing markers kept as values).

    Numbers with separators between thousands are read without a note, as pandas' ``thousands`` reads
    them: the digits must be grouped by three (:func:`~vaekit.data.table.cells.detect_thousands`)."""
    readings: dict[str, CellReading] = {}
    out = frame
    for name in features:
        reading = read_cells(frame[name], decimal=decimal, thousands=thousands)
        if reading.numeric or reading.kept:
            readings[name] = reading
        if reading.numeric:
            out = out.copy() if out is frame else out
            out[name] = reading.values
    gaps = {name: r for name, r in readings.items() if r.gaps}
    if gaps:
        count = sum(len(rows) for r in gaps.values() for rows in r.gaps.values())
        parts = []
        for name, reading in list(gaps.items())[:5]:
            tokens = sorted(reading.gaps.items(), key=lambda item: (-len(item[1]), item[0]))
            cells = [f"{token!r} ({_places(rows, locate)})" for token, rows in tokens[:3]]
            extra = f", and {len(tokens) - 3} other tokens" if len(tokens) > 3 else ""
            parts.append(f"column '{name}': {', '.join(cells)}{extra}")
        more = f"; and {len(gaps) - 5} more columns" if len(gaps) > 5 else ""
        what = (
            "a column of numbers is read as a gap"
            if count == 1
            else f"columns of numbers is read as gaps ({count} cells)"
        )
        warnings.warn(
            f"{quoted(source)}: text in {what}: {'; '.join(parts)}{more} ({stray_rule()}; write numbers there, "
            "or name the tokens that mark gaps with `na_values`)",
            DataNoteWarning,
            stacklevel=3,
        )
    kept = {name: r.kept for name, r in readings.items() if r.kept and not r.numeric}
    if kept:
        by_token: dict[str, list[str]] = {}
        for name, markers in kept.items():
            for token, count in markers.items():
                by_token.setdefault(token, []).append(f"'{name}' ({count})")
        parts = [f"{token!r} in {'column' if len(c) == 1 else 'columns'} {listed(c)}" for token, c in by_token.items()]
        warnings.warn(
            f"{quoted(source)}: cells that look like missing markers are read as values, as only empty cells are "
            f"gaps: {'; '.join(parts[:5])}{' ...' if len(parts) > 5 else ''}; to read them as gaps, give "
            f"`na_values` {','.join(by_token)}",
            DataNoteWarning,
            stacklevel=3,
        )
    return out


def _places(rows: np.ndarray, locate: Callable[[int], str]) -> str:
    """``line 57`` or ``45 cells: line 5, line 9, line 12, ...``."""
    first = [locate(int(row)) for row in rows[:3]]
    if len(rows) == 1:
        return first[0]
    return f"{len(rows)} cells: {', '.join(first)}{', ...' if len(rows) > 3 else ''}"


def _features(
    frame: pd.DataFrame, names: list[str], *, source: str, locate: Callable[[int], str], as_read: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame | None, str | None]:
    """The feature columns as float32 ``(n_rows, n_features)``, after checking every value; and,
    for a mixed table (text, categories, yes/no columns or missing values), the columns as
    they are, which a model reads column by column (the array then holds NaN where a value
    is not a number), with the message that names the first such value for a model of
    numbers only (a token read as a gap by its text, from ``as_read``). An infinite value is refused."""
    problems = {name: p for name in names if (p := _feature_problem(frame[name])) is not None}
    for name, (row, what, _, count) in list(problems.items()):
        token = as_read[name].iloc[row]
        if what == "missing value" and isinstance(token, str) and token.strip():
            problems[name] = (row, what if is_missing_marker(token) else "non-numeric value", token, count)
    if problems:
        refused = {name: p for name, p in problems.items() if p[1] in ("infinite value", _TOO_LARGE)}
        name, (row, what, value, count) = min((refused or problems).items(), key=lambda item: item[1][0])
        where = f"{quoted(source)}, {locate(row)}, column '{name}'"
        more = f" (one of {count} in this column)" if count > 1 else ""
        if what == "missing value":
            field = "an empty field" if value is None else f"{str(value).strip()!r}, read as a gap"
            message = f"{where}: missing value ({field}){more}; {_FIX_MISSING}"
        elif refused:  # a model reads no infinity, whatever the columns
            message = f"{where}: {what} {str(value)!r}{more}; write a finite number there, or leave the field empty"
        else:
            message = f"{where}: {what} {str(value)!r}{more}{_hint(str(value), frame.shape[1])}; {_FIX_TEXT}"
        misread = what != "missing value" and _hint(str(value), frame.shape[1])  # a decimal comma, a separator
        if misread or refused:
            raise DataFileError(message)
        mixed = frame[names].copy()
        numbers = np.empty((len(frame), len(names)), dtype=np.float32)
        for j, column in enumerate(names):
            series = mixed[column]
            if pd.api.types.is_bool_dtype(series):
                numbers[:, j] = series.astype(float)
            else:
                as_numbers = series if pd.api.types.is_numeric_dtype(series) else pd.to_numeric(series, errors="coerce")
                numbers[:, j] = np.asarray(as_numbers, dtype=np.float64)
        return numbers, mixed, message
    X = np.empty((len(frame), len(names)), dtype=np.float32)  # (n, d)
    for j, name in enumerate(names):
        X[:, j] = pd.to_numeric(frame[name]).to_numpy(dtype=np.float32)
    return X, None, None


def table_to_loaded(
    frame: pd.DataFrame,
    *,
    source: str,
    locate: Callable[[int], str],
    columns: Sequence[str | int] | str | None = None,
    label: str | None = None,
    id_column: str | None = None,
    positional: bool = False,
    not_features: Sequence[str] = (),
    unusable: Mapping[str, str] | None = None,
    decimal: str = ".",
    thousands: str | None = None,
    keep_ids: bool = False,
) -> LoadedData:
    """Split a data frame into checked features, labels and ids.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
        With string column names.
    source : str
        The file, for messages.
    locate : callable
        Data row index (0-based) -> where it is, e.g. ``"line 5"`` or ``"row 3"``.
    columns : sequence of str or int, str, or None
        Feature columns (see :func:`vaekit.data.table.columns.feature_positions`); None:
        every column except ``label``, ``id_column`` and ``not_features``. A column
        may be both a feature and the label when named in both.
    label, id_column : str or None
    positional : bool
        Also accept 0-based positions ("0", "1", ...) as column names.
    not_features : sequence of str
        Columns left out of the default features.
    unusable : mapping of str to str, or None
        Columns that no model reads, with what they hold (lists, records, ...): refused if chosen.
    decimal : {".", ","}, default="."
        The decimal mark of numbers written as text.
    thousands : str or None, default=None
        The separator between thousands of numbers written as text; None detects it per column.
    keep_ids : bool, default=False
        Keep columns that number or name the rows as features (else the first is the row id,
        unless ``id_column`` names one, and none is a feature by default).

    Returns
    -------
    LoadedData
        ``X`` of shape (n_rows, n_features), float32.
    """
    names = [str(name) for name in frame.columns]
    if len(frame) == 0:
        raise DataFileError(f"{quoted(source)}: no data rows (only the column names {', '.join(names[:10])})")

    def find(column: str | int, param: str) -> str:
        return names[column_position(column, names, source=source, param=param, positional=positional)]

    label_name = find(label, "label") if label is not None else None
    id_name = find(id_column, "id_column") if id_column is not None else None
    row_ids = find_row_ids(
        frame, source=source, chosen={"columns": columns, "label": label, "id_column": id_column}, keep=keep_ids
    )
    if row_ids.note is not None:
        warnings.warn(row_ids.note, DataNoteWarning, stacklevel=2)
    id_name = id_name if row_ids.id_column is None else row_ids.id_column
    if id_name is not None and id_name == label_name:
        raise DataFileError(
            f"{quoted(source)}: column '{id_name}' is given as both the `id_column` and the `label`; "
            "a column names the rows or labels them, not both: choose another for one of them"
        )
    exclude = {label_name, id_name, *not_features, *row_ids.columns}
    positions = feature_positions(names, columns, source=source, exclude=exclude, positional=positional)
    features = [names[j] for j in positions]
    if id_name is not None and id_name in features:
        raise DataFileError(
            f"{quoted(source)}: column '{id_name}' is given as the `id_column` and in `columns`; an id names "
            "the rows and is never a feature: leave it out of `columns`"
        )
    chosen = [(label_name, "the `label`"), (id_name, "the `id_column`")]
    chosen += [(name, "a feature" if columns is None else "in `columns`") for name in features]
    for name, role in chosen:
        if unusable and name is not None and name in unusable:
            fix = "leave it out with `columns`" if columns is None else "choose other columns"
            raise DataFileError(
                f"{quoted(source)}, column '{name}': holds {unusable[name]}, which no model reads, and it is {role}; "
                f"{fix}, or store its parts as columns of numbers or text"
            )
    read = _read_cells(frame, features, source=source, locate=locate, decimal=decimal, thousands=thousands)
    X, mixed, problem = _features(read, features, source=source, locate=locate, as_read=frame)
    return LoadedData(
        X=checked(X, source) if mixed is None else X,
        frame=mixed,
        problem=problem,
        labels=_column_values(frame[label_name]) if label_name is not None else None,
        ids=_column_values(frame[id_name]) if id_name is not None else None,
        feature_names=features,
        label_name=label_name,
        id_name=id_name,
        source=source,
        kind="table",
    )
