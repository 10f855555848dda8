"""Tables (pandas data frames) turned into :class:`LoadedData`; Parquet files; writing tables.

:func:`table_to_loaded` is shared by every table reader (Parquet here, delimited
text in :mod:`vaekit.data.delimited`): it picks the feature, label and id columns
and checks that every feature value is a finite number. The first bad value --
text, missing or infinite -- is reported with the file, the column, the value and
its place (a line of a text file, or the 0-based row of a Parquet file), and what
to do about it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vaekit.data.loaded import DataFileError, LoadedData, checked, quoted

_FIX_TEXT = "choose numeric feature columns with --columns, or mark this column as --label or --id"
_FIX_MISSING = "fill it in or remove that row, or leave the column out with --columns"


# ---------------------------------------------------------------- columns


def _resolve(name: str | int, names: list[str], *, source: str, flag: str, positional: bool) -> str:
    """The column called ``name``, or at 0-based position ``name``.

    A position is an int, or a string of digits when ``positional`` (files without a
    header, whose columns are x0, x1, ...).
    """
    if isinstance(name, (int, np.integer)) and not isinstance(name, bool) and 0 <= name < len(names):
        return names[int(name)]
    text = str(name).strip()
    if text in names:
        return text
    if positional and text.isdigit() and int(text) < len(names):
        return names[int(text)]
    shown = ", ".join(names[:20]) + (f", ... ({len(names)} in all)" if len(names) > 20 else "")
    close = difflib.get_close_matches(text, names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    numbers = "; positions 0, 1, ... also work since the file has no header" if positional else ""
    raise DataFileError(f"{quoted(source)}: no column '{text}' for {flag}{hint}; the columns are {shown}{numbers}")


def _column_values(series: pd.Series) -> np.ndarray:
    """A label or id column as a NumPy array: numbers stay numbers, anything else becomes str."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        if series.isna().any():
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        return series.to_numpy()
    return series.astype("string").fillna("").to_numpy(dtype=str)


def _feature_problem(series: pd.Series) -> tuple[int, str, object, int] | None:
    """``(row, what, value, count)`` of the first value that is not a finite number, or None."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(numbers)
    elif pd.api.types.is_string_dtype(series) or series.dtype == object:
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        missing = series.isna().to_numpy()
    else:  # datetime, category, ...: never features
        return 0, f"{series.dtype} value", series.iloc[0], len(series)
    bad = ~np.isfinite(numbers) | missing
    if not bad.any():
        return None
    row = int(np.argmax(bad))
    if missing[row]:
        return row, "missing value", None, int(missing.sum())
    what = "infinite value" if np.isinf(numbers[row]) else "non-numeric value"
    return row, what, series.iloc[row], int((bad & ~missing).sum())


def _features(frame: pd.DataFrame, names: list[str], *, source: str, locate: Callable[[int], str]) -> np.ndarray:
    """The feature columns as float32 ``(n_rows, n_features)``, after checking every value."""
    problems = {name: p for name in names if (p := _feature_problem(frame[name])) is not None}
    if problems:
        name, (row, what, value, count) = min(problems.items(), key=lambda item: item[1][0])
        where = f"{quoted(source)}, {locate(row)}, column '{name}'"
        more = f" (one of {count} in this column)" if count > 1 else ""
        if what == "missing value":
            raise DataFileError(f"{where}: missing value (empty field or NA){more}; {_FIX_MISSING}")
        comma = re.fullmatch(r"-?\d+,\d+", str(value)) is not None
        decimal_comma = " (a decimal comma? use '.' as the decimal point)" if comma else ""
        raise DataFileError(f"{where}: {what} {str(value)!r}{more}{decimal_comma}; {_FIX_TEXT}")
    X = np.empty((len(frame), len(names)), dtype=np.float32)  # (n, d)
    for j, name in enumerate(names):
        X[:, j] = pd.to_numeric(frame[name]).to_numpy(dtype=np.float32)
    return X


def table_to_loaded(
    frame: pd.DataFrame,
    *,
    source: str,
    locate: Callable[[int], str],
    columns: Sequence[str | int] | None = None,
    label: str | None = None,
    id_column: str | None = None,
    positional: bool = False,
    not_features: Sequence[str] = (),
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
    columns : sequence of str or None
        Feature columns; None: every column except ``label``, ``id_column`` and
        ``not_features``. A column may be both a feature and the label when named in both.
    label, id_column : str or None
    positional : bool
        Also accept 0-based positions ("0", "1", ...) as column names.
    not_features : sequence of str
        Columns left out of the default features.

    Returns
    -------
    LoadedData
        ``X`` of shape (n_rows, n_features), float32.
    """
    names = [str(name) for name in frame.columns]
    if len(frame) == 0:
        raise DataFileError(f"{quoted(source)}: no data rows (only the column names {', '.join(names[:10])})")

    def resolve(name: str | int, flag: str) -> str:
        return _resolve(name, names, source=source, flag=flag, positional=positional)

    label_name = resolve(label, "--label") if label is not None else None
    id_name = resolve(id_column, "--id") if id_column is not None else None
    if columns is None:
        left_out = {label_name, id_name, *not_features}
        features = [name for name in names if name not in left_out]
        if not features:
            raise DataFileError(
                f"{quoted(source)}: no feature columns left once the label and id columns are set aside"
            )
    else:
        if isinstance(columns, str):
            columns = columns.split(",")
        features = [resolve(name, "--columns") for name in columns]
        if not features:
            raise DataFileError(f"{quoted(source)}: --columns names no column")
        if len(set(features)) < len(features):
            twice = next(name for name in features if features.count(name) > 1)
            raise DataFileError(f"{quoted(source)}: column '{twice}' is given twice in --columns")
    X = _features(frame, features, source=source, locate=locate)
    return LoadedData(
        X=checked(X, source),
        labels=_column_values(frame[label_name]) if label_name is not None else None,
        ids=_column_values(frame[id_name]) if id_name is not None else None,
        feature_names=features,
        label_name=label_name,
        id_name=id_name,
        source=source,
        kind="table",
    )


# ---------------------------------------------------------------- Parquet, writing


def read_parquet_table(
    path: Path,
    *,
    source: str,
    columns: Sequence[str | int] | None = None,
    label: str | None = None,
    id_column: str | None = None,
) -> LoadedData:
    """Read a Parquet file with pandas (pyarrow).

    A named pandas index stored in the file is available to ``label``,
    ``id_column`` and ``columns``, but is not a feature by default.

    Returns
    -------
    LoadedData
        ``X`` of shape (n_rows, n_features), float32.
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
    return table_to_loaded(
        frame, source=source, locate=lambda row: f"row {row}", columns=columns, label=label,
        id_column=id_column, not_features=index_columns,
    )  # fmt: skip


def write_table(path: Path, frame: pd.DataFrame, *, fmt: str, compress: bool = False) -> None:
    """Write ``frame`` without its index as ``fmt`` ("csv", "tsv" or "parquet").

    ``compress`` gzips a text table (for ``.csv.gz`` and ``.tsv.gz``). Text tables
    are written by pyarrow's CSV writer (7x faster than pandas on 10,000 x 784
    floats), falling back to pandas for columns Arrow cannot type (mixed objects).
    """
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
        return
    sep = "\t" if fmt == "tsv" else ","
    try:
        _write_text_with_arrow(path, frame, sep, compress)
    except (ImportError, TypeError, ValueError):  # pyarrow's errors derive from these
        frame.to_csv(path, sep=sep, index=False, compression="gzip" if compress else None)


def _write_text_with_arrow(path: Path, frame: pd.DataFrame, sep: str, compress: bool) -> None:
    """CSV/TSV with a header quoted only where needed, values unquoted unless they must be."""
    import csv
    import io

    import pyarrow as pa
    import pyarrow.csv as pa_csv

    table = pa.Table.from_pandas(frame, preserve_index=False)  # NaN -> null -> empty field
    header = io.StringIO()
    csv.writer(header, delimiter=sep, lineterminator="\n").writerow([str(c) for c in frame.columns])

    def write(quoting: str) -> None:
        sink = pa.CompressedOutputStream(str(path), "gzip") if compress else pa.OSFile(str(path), "wb")
        with sink:
            sink.write(header.getvalue().encode("utf-8"))
            options = pa_csv.WriteOptions(include_header=False, delimiter=sep, quoting_style=quoting)
            pa_csv.write_csv(table, sink, options)

    try:
        write("none")  # refuses values holding a separator, quote or newline ...
    except pa.ArrowInvalid:
        write("needed")  # ... which this style quotes (with every other text value)
