"""A table's columns: choosing them by name or position, and aligning them to a model's.

Three jobs, each done in one place for every source:

- **Choosing** (:func:`column_position`, :func:`feature_positions`): the columns a
  reader keeps, named by the user's ``columns``, ``label`` and ``id_column``. A
  column is named by its name, or by its 0-based position: an int always, a string
  of digits (``"3"``) when the data has no header (its columns are then called
  ``x0``, ``x1``, ...). An unknown name is an error that lists the columns and
  suggests the closest one.
- **Aligning** (:func:`align_columns` for a data frame, :func:`align_loaded` for
  what :func:`~vaekit.data.read.read_data` returns): the columns a model was trained
  on, taken by name from data that may hold them in another order or among others.
- **Finding row ids** (:func:`find_row_ids`): columns that number or name the rows, which
  are never features: row names as R writes them (a first column with no name, or named
  ``rownames``, its values all distinct), a pandas index stored as a column, and any
  column of whole numbers that are all distinct and consecutive (1..n, 1001..1000+n, in
  any order) in at least :data:`ROW_ID_MIN_ROWS` rows.

Messages name the Python parameter in backticks (```columns```); the command line
shows its own flag there instead.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from vaekit.data.loaded import DataFileError, LoadedData, feature_names_for, quoted
from vaekit.data.validation import InputError

__all__ = [
    "ROW_ID_MIN_ROWS",
    "RowIds",
    "align_columns",
    "align_loaded",
    "column_position",
    "feature_positions",
    "find_row_ids",
    "refuse_duplicate_names",
]

_SHOWN = 20  # column names listed in a message before "... (N in all)"


def _listed(names: Sequence[str], limit: int = _SHOWN) -> str:
    """``a, b, c`` or ``a, b, ..., (784 in all)``."""
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# ---------------------------------------------------------------- choosing


def column_position(
    column: str | int, names: Sequence[str], *, source: str, param: str, positional: bool = False
) -> int:
    """The 0-based position of the column that ``column`` names.

    Parameters
    ----------
    column : str or int
        A column name, or a position: an int, or a string of digits when
        ``positional``. Surrounding spaces are ignored.
    names : sequence of str
        The data's column names, in order.
    source : str
        The file or dataset, for messages.
    param : str
        The parameter that named the column (``"columns"``, ``"label"``, ...), for messages.
    positional : bool, default=False
        The data has no header: strings of digits are positions too.

    Returns
    -------
    int

    Raises
    ------
    DataFileError
        No such column; the message lists the columns and the closest name.

    Examples
    --------
    >>> column_position("b", ["a", "b"], source="t.csv", param="columns")
    1
    >>> column_position("1", ["x0", "x1"], source="t.csv", param="label", positional=True)
    1
    """
    if isinstance(column, (int, np.integer)) and not isinstance(column, bool) and 0 <= column < len(names):
        return int(column)
    text = str(column).strip()
    if text in names:
        return list(names).index(text)
    if positional and text.isdigit() and int(text) < len(names):
        return int(text)
    close = difflib.get_close_matches(text, names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    numbers = "; positions 0, 1, ... also work since the data has no header" if positional else ""
    raise DataFileError(
        f"{quoted(source)}: no column '{text}' for `{param}`{hint}; the columns are {_listed(list(names))}{numbers}"
    )


def feature_positions(
    names: Sequence[str],
    columns: Sequence[str | int] | str | None,
    *,
    source: str,
    exclude: Collection[str | None] = (),
    positional: bool = False,
) -> list[int]:
    """The positions of the feature columns: those ``columns`` names, or all but ``exclude``.

    Parameters
    ----------
    names : sequence of str
        The data's column names, in order.
    columns : sequence of str or int, str, or None
        The features, in the order wanted (see :func:`column_position`); a single
        string is split at commas. None: every column not in ``exclude``.
    source : str
        The file or dataset, for messages.
    exclude : collection of str
        Columns that are not features by default (the label and id columns, a
        stored index). A column named in ``columns`` is kept even so.
    positional : bool, default=False
        The data has no header: strings of digits are positions too.

    Returns
    -------
    list of int
        At least one position, none twice.

    Raises
    ------
    DataFileError
        An unknown column, a column named twice, or no column at all.

    Examples
    --------
    >>> feature_positions(["id", "a", "b"], None, source="t.csv", exclude={"id"})
    [1, 2]
    >>> feature_positions(["id", "a", "b"], "b, a", source="t.csv")
    [2, 1]
    """
    if columns is None:
        chosen = [j for j, name in enumerate(names) if name not in exclude]
        if not chosen:
            raise DataFileError(
                f"{quoted(source)}: no feature columns left once the label and id columns are set aside"
            )
        return chosen
    if isinstance(columns, str):
        columns = columns.split(",")
    chosen = [column_position(c, names, source=source, param="columns", positional=positional) for c in columns]
    if not chosen:
        raise DataFileError(f"{quoted(source)}: `columns` names no column")
    if len(set(chosen)) < len(chosen):
        twice = next(j for j in chosen if chosen.count(j) > 1)
        raise DataFileError(f"{quoted(source)}: column '{names[twice]}' is given twice in `columns`")
    return chosen


def refuse_duplicate_names(names: Sequence[object], *, source: str, where: str = "the file") -> None:
    """Raise if a column name appears more than once (empty names are not compared).

    Readers call it before a library renames or keeps duplicates (pandas reads a
    header ``a,a,b`` as ``a, a.1, b``), so that no column is ever chosen by a name
    the file does not hold.

    Raises
    ------
    DataFileError
        Naming the repeated name(s), the file and ``where``.

    Examples
    --------
    >>> refuse_duplicate_names(["a", "b"], source="t.csv")
    >>> refuse_duplicate_names(["a", "a", "b"], source="t.csv", where="the header")
    Traceback (most recent call last):
    ...
    vaekit.data.loaded.DataFileError: 't.csv': the header repeats the column name 'a' (2 times); give each column its own name
    """
    counts: dict[str, int] = {}
    for name in names:
        text = str(name)
        if text:
            counts[text] = counts.get(text, 0) + 1
    repeated = [f"'{name}' ({count} times)" for name, count in counts.items() if count > 1]
    if repeated:
        what = "the column name" if len(repeated) == 1 else "the column names"
        raise DataFileError(
            f"{quoted(source)}: {where} repeats {what} {_listed(repeated, 5)}; give each column its own name"
        )


# ---------------------------------------------------------------- aligning


def _aligned_positions(
    have: Sequence[str], want: Sequence[str], *, source: str, fix: str, error: type[InputError]
) -> list[int]:
    """Where each column of ``want`` is in ``have``; an ``error`` naming what is missing."""
    first: dict[str, int] = {}
    repeated: set[str] = set()
    for j, name in enumerate(have):
        if name in first:
            repeated.add(name)
        first.setdefault(name, j)
    missing = [name for name in want if name not in first]
    if missing:
        raise error(
            f"{source} lacks {_listed(missing, 10)} (the model was trained on the columns {_listed(list(want))}); {fix}"
        )
    if twice := [name for name in want if name in repeated]:
        raise error(f"{source} has more than one column '{twice[0]}'; keep one column of each name the model uses")
    return [first[name] for name in want]


def align_columns(frame: pd.DataFrame, names: Sequence[str], source: str = "X") -> pd.DataFrame:
    """The columns ``names`` of ``frame``, in that order.

    ``frame`` may hold them in another order, or among other columns, which are
    dropped. Column labels are compared as strings.

    Parameters
    ----------
    frame : DataFrame of shape (n_samples, n_columns)
    names : sequence of str
        The columns wanted, in order: usually a model's ``feature_names_in_``.
    source : str, default="X"
        How the data is called in messages.

    Returns
    -------
    DataFrame of shape (n_samples, len(names))
        Its columns are exactly ``names``; ``frame`` itself when it has exactly
        those columns already.

    Raises
    ------
    InputError
        A column of ``names`` is missing (the message names ``source``, the missing
        columns and all of ``names``), or appears more than once in ``frame``.

    Examples
    --------
    >>> frame = pd.DataFrame({"b": [2.0], "extra": ["x"], "a": [1.0]})
    >>> align_columns(frame, ["a", "b"]).columns.tolist()
    ['a', 'b']
    """
    want = [str(name) for name in names]
    if list(frame.columns) == want:
        return frame
    have = [str(name) for name in frame.columns]
    fix = "give a table with those columns (in any order; other columns are ignored)"
    positions = _aligned_positions(have, want, source=source, fix=fix, error=InputError)
    aligned = frame.iloc[:, positions]  # a new frame
    aligned.columns = pd.Index(want)
    return aligned


def align_loaded(loaded: LoadedData, names: Sequence[str] | None) -> LoadedData:
    """Put the columns of a table read from a file in the order a model was trained on.

    - A table with a header: its columns ``names``, taken by name from any order,
      others dropped.
    - A table without a header (columns ``x0``, ``x1``, ...) of ``len(names)``
      columns: taken in order, renamed to ``names``.
    - Anything else (images, no ``names``, a header-less table of another width)
      is returned as it is: comparing its shape with the model's is the caller's job.

    Parameters
    ----------
    loaded : LoadedData
        From :func:`~vaekit.data.read.read_data`.
    names : sequence of str or None
        The model's ``feature_names_in_``; None when it was trained without names.

    Returns
    -------
    LoadedData
        ``X`` of shape (n_samples, len(names)) and ``feature_names == list(names)``
        for a table; ``loaded`` itself when nothing changes.

    Raises
    ------
    DataFileError
        The table lacks some of ``names`` (the message names the file and them).
    """
    if names is None or loaded.kind != "table" or loaded.feature_names is None:
        return loaded
    want, have = [str(name) for name in names], list(loaded.feature_names)
    if have == want:
        return loaded
    if have == feature_names_for(len(have)):  # no header: columns by position
        if len(have) != len(want):
            return loaded
        frame = None if loaded.frame is None else loaded.frame.set_axis(want, axis=1)
        return dataclasses.replace(loaded, feature_names=want, frame=frame)
    fix = "give a file with those columns, or choose them with `columns`"
    positions = _aligned_positions(have, want, source=quoted(loaded.source), fix=fix, error=DataFileError)
    frame = None if loaded.frame is None else loaded.frame.iloc[:, positions].set_axis(want, axis=1)
    return dataclasses.replace(loaded, X=np.ascontiguousarray(loaded.X[:, positions]), feature_names=want, frame=frame)


# ---------------------------------------------------------------- finding row ids

ROW_ID_MIN_ROWS = 10
"""The fewest rows in which a column of distinct consecutive whole numbers is taken for a row number
(fewer may be such by chance); a column named or placed as row names needs none."""
_ROW_NAMES = re.compile(r"|Unnamed: 0|rownames?|row\.names|row_names?|__index_level_\d+__", re.IGNORECASE)
"""The names of a column of row names: none (R's ``write.csv``, pandas' ``to_csv``), R's and pandas'."""


@dataclasses.dataclass(frozen=True)
class RowIds:
    """The columns :func:`find_row_ids` found: ``id_column`` (None when the user named one, or none
    was found) is the row id; every one of ``columns`` is left out of the default features."""

    id_column: str | None = None
    columns: tuple[str, ...] = ()
    note: str | None = None


def _named_by_user(column: str, chosen: Mapping[str, Sequence[str | int] | str | None]) -> bool:
    """Whether the user's ``columns``, ``label`` or ``id_column`` may mean ``column`` (any position
    in ``columns`` counts, as it counts the file's columns)."""
    for value in chosen.values():
        if value is None:
            continue
        values = value.split(",") if isinstance(value, str) else value
        for item in values:
            if not isinstance(item, str) or item.strip() == column:
                return True
    return False


def _what_ids(series: pd.Series) -> str | None:
    """What ``series`` holds when its values could number or name the rows, in words ("row numbers
    (1, 2, ..., 150)", "distinct whole numbers (3, 7, ..., 120)", "names such as 'Mazda RX4'"), else None."""
    if series.isna().any() or len(series) < 2:
        return None
    if pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        ordered = np.sort(series.to_numpy(dtype=np.int64))
        if not np.all(np.diff(ordered) > 0):
            return None
        span = f"{ordered[0]}, {ordered[1]}, ..., {ordered[-1]}" if len(ordered) > 2 else f"{ordered[0]}, {ordered[1]}"
        consecutive = bool(ordered[-1] - ordered[0] == len(ordered) - 1)
        return f"row numbers ({span})" if consecutive else f"distinct whole numbers ({span})"
    if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
        values = series.to_numpy(dtype=object)
        if all(isinstance(v, str) and v.strip() for v in values) and len(set(values)) == len(values):
            return f"{len(values)} distinct names such as {values[0]!r}"
    return None


def find_row_ids(
    frame: pd.DataFrame,
    *,
    source: str,
    chosen: Mapping[str, Sequence[str | int] | str | None],
    keep: bool = False,
) -> RowIds:
    """The columns of ``frame`` that number or name its rows (module docstring), with one note.

    The first one found is the row id, unless the user named an ``id_column``; each is left out
    of the default features. A column the user named (``columns``, ``label``, ``id_column``) is
    never one, nor a frame's only column.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
        With string column names, as read (whole numbers in an integer dtype).
    source : str
        The file, for the note.
    chosen : mapping of str to (sequence of str or int, str, or None)
        The user's ``columns``, ``label`` and ``id_column``, by parameter name.
    keep : bool, default=False
        The user's ``keep_ids``: find none.

    Returns
    -------
    RowIds
    """
    if keep or frame.shape[1] < 2:
        return RowIds()
    found: list[tuple[str, str]] = []
    for j, name in enumerate(map(str, frame.columns)):
        if _named_by_user(name, chosen) or len(found) == frame.shape[1] - 1:
            continue
        what = _what_ids(frame.iloc[:, j])
        as_names = (j == 0 or name.startswith("__index_level_")) and _ROW_NAMES.fullmatch(name) is not None
        if what is not None and (as_names or (what.startswith("row numbers") and len(frame) >= ROW_ID_MIN_ROWS)):
            found.append((name, what))
    if not found:
        return RowIds()
    id_column = found[0][0] if chosen.get("id_column") is None else None
    described = {
        name: f"{'the first column (no name)' if name in ('', 'Unnamed: 0') else f'column {name!r}'} holds {what}"
        for name, what in found
    }
    parts = [f"{described[id_column]}: it is the row id, not a feature"] if id_column is not None else []
    others = [text for name, text in described.items() if name != id_column and chosen.get("columns") is None]
    if others:  # a column the user's `columns` leaves out anyway is not worth a word
        parts.append(f"{'; '.join(others)}: {'it is' if len(others) == 1 else 'they are'} left out of the features")
    note = f"{quoted(source)}: {'; '.join(parts)} (`keep_ids` keeps such columns as features)" if parts else None
    return RowIds(id_column, tuple(name for name, _ in found), note)
