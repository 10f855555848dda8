"""One name for each row of a user's data, the same in every output that lists rows.

A row is named by its **row number**, ``row``: its 0-based place among the data rows as
they were read, the header not counted. It is the index ``pandas.read_csv(FILE)`` gives
the row, the position ``numpy.load(FILE)[row]`` takes, an image's place in its folder's
order (natural order of the paths: ``2.png`` before ``10.png``, see
:mod:`vaekit.data.images`). Beside it stands the row's **id** when the data has one: the
value in the table's id column (``--id``, ``id_column``), or an image's path inside its
folder (the ``file`` column).

Every table vaekit writes about a user's rows (a run's ``latents.csv``, ``vaekit encode``,
``score``, ``reconstruct``, ``decode``) keeps the file's order and starts with ``row``,
then the id column: :func:`key_columns`. Figures, the report and printed lines name a
row by its number and id, an image by its file name (:func:`row_name`: ``"row 12"``,
``"row 12 (Name ford pinto)"``, ``"cats/10.png"``). Errors about a text file name its lines instead (``line
14``: 1-based, the header counted, as an editor shows them); in a CSV with a header and
one record per line, a row's line is ``row + 2``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vaekit.data.loaded import LoadedData

__all__ = [
    "CONVENTION",
    "NUMBERED",
    "ROW",
    "SPARE_ROW",
    "key_columns",
    "numbers_column",
    "row_name",
    "row_names",
    "row_numbers",
    "user_ids",
    "with_row_ids",
]

ROW = "row"
"""The name of the row-number column in every output."""
SPARE_ROW = "vaekit_row"
"""The row-number column's name when the output already has a column called ``row`` (an id column, say)."""
NUMBERED = "(row number)"
"""``id_name`` of data whose ids are its rows' numbers in the file, not a column of the user's (which may be
called ``row``)."""

CONVENTION = (
    "Rows are named by their row number, and by their id where the data has one (the id column's value; an "
    "image's path inside its folder, which names it alone). Row numbers count from 0 at the first data row, "
    "the header not counted: the index pandas.read_csv gives a row, so row 0 is line 2 of a CSV file with a "
    "header (line 1 without one); images are numbered in the natural order of their paths (2.png before 10.png)."
)
"""The convention in one paragraph, for the report page and the README."""


def user_ids(data: LoadedData) -> tuple[np.ndarray | None, str | None]:
    """The rows' ids and their name: an id column's values or image file names; ``(None, None)``
    when the data has none, or when its ids are only its row numbers (``id_name`` :data:`NUMBERED`)."""
    if data.ids is None or data.id_name == NUMBERED:
        return None, None
    return data.ids, data.id_name or "id"


def row_numbers(data: LoadedData) -> np.ndarray:
    """Each row's number in its file, shape (n_rows,): the ids of data named by row number
    (a part of a run, rows sampled from a streamed file), else 0, 1, ..., n_rows - 1."""
    if data.id_name == NUMBERED and data.ids is not None:
        return np.asarray(data.ids)
    return np.arange(len(data.X))


def with_row_ids(data: LoadedData) -> LoadedData:
    """``data`` itself when it has ids, else a copy whose ids are its row numbers (``id_name`` :data:`NUMBERED`).

    A run names the rows of its training and test parts so, before it splits them: a
    test row keeps the number it has in the file.
    """
    import dataclasses

    if data.ids is not None:
        return data
    return dataclasses.replace(data, ids=np.arange(len(data.X)), id_name=NUMBERED)


def key_columns(
    data: LoadedData, numbers: np.ndarray | None = None, taken: Iterable[str] = ()
) -> dict[str, np.ndarray]:
    """The columns that name ``data``'s rows in a written table: ``row``, then the id column.

    Parameters
    ----------
    data : LoadedData
    numbers : ndarray of shape (n_rows,) or None
        The rows' numbers; None: :func:`row_numbers`.
    taken : iterable of str
        The output's other column names: where one is ``row``, the numbers are
        called ``vaekit_row``.

    Returns
    -------
    dict of str to ndarray of shape (n_rows,)
        In the order to write them.
    """
    ids, id_name = user_ids(data)
    names = {str(name) for name in taken} | ({id_name} if id_name is not None else set())
    columns = {SPARE_ROW if ROW in names else ROW: row_numbers(data) if numbers is None else np.asarray(numbers)}
    if ids is not None and id_name is not None:
        columns[id_name] = ids
    return columns


def numbers_column(names: Iterable[str]) -> str | None:
    """Which of an output's columns holds the row numbers: ``vaekit_row`` where there is one (then a
    ``row`` column is the user's own), else ``row``; None when neither is there."""
    names = list(names)
    return SPARE_ROW if SPARE_ROW in names else ROW if ROW in names else None


def row_name(number: object, id_name: str | None = None, id_value: object = None) -> str:
    """How a figure or a printed line names one row: ``"row N"``, with its id where it has one.

    An image's file name stands alone (``"cats/10.png"``); a table's id comes after the
    row number, with its column (``"row 12 (Name ford pinto)"``: ids may repeat).
    """
    if id_name is None or id_name == NUMBERED:
        return f"row {number}"
    if id_name == "file":
        return str(id_value)
    return f"row {number} ({id_name} {id_value})"


def row_names(data: LoadedData, rows: Iterable[int]) -> list[str]:
    """:func:`row_name` of the rows at positions ``rows`` of ``data``."""
    numbers = row_numbers(data)
    ids, id_name = user_ids(data)
    return [row_name(numbers[i], id_name, None if ids is None else ids[i]) for i in rows]
