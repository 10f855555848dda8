"""A table's columns: choosing them by name or position, and aligning them to a model's.

Two jobs, each done in one place for every source:

- **Choosing** (:func:`column_position`, :func:`feature_positions`): the columns a
  reader keeps, named by the user's ``columns``, ``label`` and ``id_column``. A
  column is named by its name, or by its 0-based position: an int always, a string
  of digits (``"3"``) when the data has no header (its columns are then called
  ``x0``, ``x1``, ...). An unknown name is an error that lists the columns and
  suggests the closest one.
- **Aligning** (:func:`align_columns` for a data frame, :func:`align_loaded` for
  what :func:`~vaekit.data.read.read_data` returns): the columns a model was trained
  on, taken by name from data that may hold them in another order or among others.

Messages name the Python parameter in backticks (```columns```); the command line
shows its own flag there instead.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd

from vaekit.data.loaded import DataFileError, LoadedData, feature_names_for, quoted
from vaekit.data.validation import InputError

__all__ = ["align_columns", "align_loaded", "column_position", "feature_positions", "refuse_duplicate_names"]

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
