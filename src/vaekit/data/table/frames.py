"""A data frame turned into :class:`LoadedData`: the step every table reader ends with.

:func:`table_to_loaded` is shared by the text reader (:mod:`vaekit.data.delimited`)
and the Parquet reader (:mod:`vaekit.data.parquet`): it picks the feature, label and
id columns (by :mod:`vaekit.data.table.columns`) and checks that every feature value is a
finite number. The first bad value -- text, missing or infinite -- is reported with
the file, the column, the value and its place (a line of a text file, or the 0-based
row of a Parquet file), and what to do about it. Before that, each reader asks
:func:`drop_row_index` to leave out a row index that pandas stored as a column.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from vaekit.data.loaded import DataFileError, DataNoteWarning, LoadedData, checked, quoted
from vaekit.data.table.columns import column_position, feature_positions

__all__ = ["drop_row_index", "table_to_loaded"]

_FIX_TEXT = "choose numeric feature columns with `columns`, or mark this column as `label` or `id_column`"
_FIX_MISSING = "fill it in or remove that row, or leave the column out with `columns`"


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


def _is_row_index(series: pd.Series) -> bool:
    """Whether ``series`` holds the integers 0, 1, ..., n-1 in order."""
    if not pd.api.types.is_integer_dtype(series) or series.isna().any():
        return False
    return bool(np.array_equal(series.to_numpy(dtype=np.int64), np.arange(len(series))))


def _named_by_user(column: str, chosen: Mapping[str, Sequence[str | int] | str | None]) -> bool:
    """Whether the user's ``columns``, ``label`` or ``id_column`` may mean ``column``.

    Any position (an int) in ``columns`` counts, as it counts the file's columns.
    """
    for value in chosen.values():
        if value is None:
            continue
        values = value.split(",") if isinstance(value, str) else value
        for item in values:
            if not isinstance(item, str) or item.strip() == column:
                return True
    return False


def drop_row_index(
    frame: pd.DataFrame,
    column: str,
    what: str,
    *,
    source: str,
    chosen: Mapping[str, Sequence[str | int] | str | None],
) -> pd.DataFrame:
    """Leave out ``column`` if it is a stored row index, with a :class:`DataNoteWarning`.

    It is when it holds the integers 0, 1, ..., n-1 in order (as pandas'
    ``DataFrame.to_csv`` writes its index by default), the user did not name it,
    and other columns remain.

    Parameters
    ----------
    frame : DataFrame
        With string column names.
    column : str
        The column that may be an index (``"Unnamed: 0"``, ``"__index_level_0__"``).
    what : str
        That column as the note names it, e.g. ``"the first column (no name)"``.
    source : str
        The file, for the note.
    chosen : mapping of str to (sequence of str or int, str, or None)
        The user's ``columns``, ``label`` and ``id_column``, by parameter name.

    Returns
    -------
    DataFrame
        ``frame`` without ``column``, or ``frame`` itself.
    """
    if column not in frame.columns or frame.shape[1] < 2 or _named_by_user(column, chosen):
        return frame
    if not _is_row_index(frame[column]):
        return frame
    n = len(frame)
    warnings.warn(
        f"{quoted(source)}: left out {what}, which holds 0, 1, ..., {n - 1}: a row index, as pandas writes "
        f"by default; to use it, name '{column}' in `columns` or `id_column`",
        DataNoteWarning,
        stacklevel=2,
    )
    return frame.drop(columns=[column])


def _hint(value: str, n_columns: int) -> str:
    """What a non-numeric value suggests about how the file was read, in parentheses, or ""."""
    if re.fullmatch(r"-?\d+,\d+", value):
        return " (a decimal comma? set `decimal` to ',')"
    separators = [sep for sep in (";", "\t", "|", ",") if sep in value]
    if n_columns == 1 and separators:
        return f" (is the separator {separators[0]!r}? set `sep`)"
    return ""


STRAY_SHARE = 0.05
"""A column of numbers with at most this share of its filled rows as text (a typo, a token such
as 'n/a?') is read as text, whole; a note names the line of the first such value."""


def _stray_text(series: pd.Series, name: str, source: str, locate: Callable[[int], str]) -> str | None:
    """A note naming the line of the first text value of a column that is otherwise numbers (None if none)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    filled = ~series.isna().to_numpy()
    numbers = pd.to_numeric(series, errors="coerce").notna().to_numpy()
    text = filled & ~numbers
    if not text.any() or text.sum() > STRAY_SHARE * filled.sum():
        return None
    row = int(np.argmax(text))
    others = pd.unique(series[text].astype(str))
    shown = ", ".join(repr(v) for v in others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    return (
        f"{quoted(source)}, {locate(row)}, column '{name}': {series.iloc[row]!r} in a column of numbers "
        f"({int(text.sum())} of {int(filled.sum())} filled rows are text: {shown}), so the column is read as text; "
        "fix those values, or leave them empty where a value is missing"
    )


def _features(
    frame: pd.DataFrame, names: list[str], *, source: str, locate: Callable[[int], str]
) -> tuple[np.ndarray, pd.DataFrame | None, str | None]:
    """The feature columns as float32 ``(n_rows, n_features)``, after checking every value; and,
    for a mixed table (text, categories, yes/no columns or missing values), the columns as
    they are, which a model reads column by column (the array then holds NaN where a value
    is not a number), with the message that names the first such value for a model of
    numbers only. An infinite value is refused."""
    problems = {name: p for name in names if (p := _feature_problem(frame[name])) is not None}
    if problems:
        refused = {name: p for name, p in problems.items() if p[1] in ("infinite value", _TOO_LARGE)}
        name, (row, what, value, count) = min((refused or problems).items(), key=lambda item: item[1][0])
        where = f"{quoted(source)}, {locate(row)}, column '{name}'"
        more = f" (one of {count} in this column)" if count > 1 else ""
        if what == "missing value":
            message = f"{where}: missing value (empty field or NA){more}; {_FIX_MISSING}"
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
    if id_name is not None and id_name == label_name:
        raise DataFileError(
            f"{quoted(source)}: column '{id_name}' is given as both the `id_column` and the `label`; "
            "a column names the rows or labels them, not both: choose another for one of them"
        )
    exclude = {label_name, id_name, *not_features}
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
    X, mixed, problem = _features(frame, features, source=source, locate=locate)
    notes = () if mixed is None else tuple(n for c in features if (n := _stray_text(frame[c], c, source, locate)))
    return LoadedData(
        X=checked(X, source) if mixed is None else X,
        frame=mixed,
        problem=problem,
        notes=notes,
        labels=_column_values(frame[label_name]) if label_name is not None else None,
        ids=_column_values(frame[id_name]) if id_name is not None else None,
        feature_names=features,
        label_name=label_name,
        id_name=id_name,
        source=source,
        kind="table",
    )
