"""Read a user's data: one entry, :func:`read_data`, for every file, folder or dataset name.

:func:`read_data` takes a path -- a table (CSV, TSV, Parquet), an array (``.npy``,
``.npz``, IDX) or a folder of images -- or the name of a built-in dataset, and
returns a :class:`LoadedData`: float32 features that passed
:func:`~vaekit.data.validation.check_array`, with optional labels (to colour plots)
and ids (carried to output files). Every problem with a file is a
:class:`DataFileError` whose one-line message names the file, where in it, and what
to do; options are named there as the Python parameters, in backticks.

One module reads each format, and this one picks it by the path:

========================  =====================================
text tables               :mod:`vaekit.data.delimited`
Parquet tables            :mod:`vaekit.data.parquet`
``.npy``, ``.npz``        :mod:`vaekit.data.npy`
IDX (``*-ubyte``)         :mod:`vaekit.data.idx`
image folders             :mod:`vaekit.data.images`
built-in datasets         :mod:`vaekit.data.builtin`
========================  =====================================

Writing is :func:`vaekit.data.write.write_array`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from vaekit.data import builtin
from vaekit.data.delimited import read_text_table, text_column_names
from vaekit.data.dialect import check_dialect
from vaekit.data.idx import read_idx_file
from vaekit.data.images import read_image_folder
from vaekit.data.loaded import DataFileError, LoadedData, quoted
from vaekit.data.npy import array_to_loaded, npz_keys, read_npy, read_npz
from vaekit.data.parquet import parquet_column_names, read_parquet_table
from vaekit.data.validation import InputError

__all__ = ["SUPPORTED_INPUTS", "DataFileError", "LoadedData", "parse_image_size", "read_data"]

SUPPORTED_INPUTS = (
    "a CSV/TSV table (.csv, .tsv, .txt, optionally .gz), a Parquet table (.parquet, .pq), "
    "a NumPy array (.npy, .npz), an IDX file (*-ubyte, .idx, optionally .gz), a folder of PNG/JPEG "
    "images (sub-folder names become labels), or a built-in dataset name (" + ", ".join(builtin.list()) + ")"
)

_TEXT_SUFFIX = re.compile(r"\.(csv|tsv|txt)(\.gz)?$", re.IGNORECASE)
_IDX_SUFFIX = re.compile(r"(-ubyte|\.idx\d?)(\.gz)?$", re.IGNORECASE)
_LABEL_NAMES = {"digits": "digit", "mnist": "digit", "fashion-mnist": "class"}


def parse_image_size(text: str) -> tuple[int, int]:
    """Read an image size written ``HxW`` (height by width), or ``N`` for a square.

    Parameters
    ----------
    text : str
        For example ``"28x20"``, ``"28X20"``, ``"28 x 20"`` or ``"32"``.

    Returns
    -------
    (height, width) : tuple of int

    Raises
    ------
    InputError
        If ``text`` is not two positive whole numbers joined by ``x``.

    Examples
    --------
    >>> parse_image_size("28x20"), parse_image_size("32")
    ((28, 20), (32, 32))
    """
    match = re.fullmatch(r"\s*(\d+)\s*(?:[xX×]\s*(\d+)\s*)?", str(text))
    if match is None or int(match[1]) == 0 or (match[2] is not None and int(match[2]) == 0):
        raise InputError(
            f"`image_size` {text!r} is not an image size: write it as HEIGHTxWIDTH in pixels, e.g. 28x20 (or 32 for 32x32)"
        )
    height = int(match[1])
    return height, int(match[2]) if match[2] is not None else height


def refuse_special_file(path: Path, source: str) -> None:
    """Refuse a path that is neither a regular file nor a folder (after links): a pipe, a device, a socket,
    which a reader would wait on or read without end (a link ``t.csv`` to ``/dev/zero``)."""
    if path.exists() and not (path.is_file() or path.is_dir()):
        raise DataFileError(
            f"{quoted(source)}: not a regular file (a pipe, device or socket"
            + (f", through the link to '{path.resolve()}'" if path.is_symlink() else "")
            + "); save the data to a file first"
        )


def _kind_of(path: Path) -> str | None:
    """Which reader handles ``path``: "folder", "text", "parquet", "npy", "npz", "idx" or None."""
    name = path.name.lower()
    if path.is_dir():
        return "folder"
    if _TEXT_SUFFIX.search(name):
        return "text"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".npy", ".npz")):
        return name[-3:]
    if _IDX_SUFFIX.search(name):
        return "idx"
    return None


# options each kind of source accepts; any other option given is an error, not ignored
_ACCEPTS: dict[str, set[str]] = {
    "text": {"columns", "label", "id_column", "header", "sep", "decimal", "na_values", "thousands", "keep_ids"},
    "parquet": {"columns", "label", "id_column", "na_values", "thousands", "keep_ids"},
    "npz": {"columns", "label", "id_column", "key"},
    "npy": {"columns"},
    "idx": {"columns"},
    "folder": {"image_size", "image_mode"},
    "dataset": {"columns", "split"},
}
_WHAT = {"text": "text tables", "parquet": "Parquet files", "npz": ".npz files", "npy": ".npy files",
         "idx": "IDX files", "folder": "image folders", "dataset": "built-in datasets"}  # fmt: skip


def _reject_options(source: str, kind: str, options: Mapping[str, object]) -> None:
    """Raise for the first option given (not None) that sources of ``kind`` do not take."""
    for name, value in options.items():
        if value is not None and name not in _ACCEPTS[kind]:
            users = [_WHAT[k] for k, accepted in _ACCEPTS.items() if name in accepted]
            raise DataFileError(
                f"{quoted(source)}: `{name}` does not apply to {_WHAT[kind]}; it is for {', '.join(users)}"
            )


def _builtin_name(source: str) -> str | None:
    """The built-in dataset ``source`` names (as builtin.load spells it), or None."""
    key = source.strip().lower().replace("_", "-")
    return key if key in builtin.list() else None


def _read_builtin(name: str, source: str, *, columns: Sequence[str | int] | str | None, split: str | None,
                  data_dir: str | os.PathLike[str] | None) -> LoadedData:  # fmt: skip
    """A built-in dataset; ``y`` becomes the labels (factor 1 for latent-factors)."""
    X, y = builtin.load(name, split=split, data_dir=data_dir)
    label_name = _LABEL_NAMES.get(name, "class") if y is not None else None
    if y is not None and y.ndim == 2:  # latent-factors: (n, 2) true factors
        y, label_name = np.ascontiguousarray(y[:, 0]), "factor 1"
    return array_to_loaded(X, source=source, columns=columns, labels=y, label_name=label_name)


def read_data(
    source: str | os.PathLike[str],
    *,
    columns: Sequence[str | int] | str | None = None,
    label: str | None = None,
    id_column: str | None = None,
    key: str | None = None,
    image_size: tuple[int, int] | None = None,
    split: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    header: bool | None = None,
    image_mode: str = "auto",
    sep: str | None = None,
    decimal: str | None = None,
    na_values: Sequence[str] | str | None = None,
    thousands: str | None = None,
    keep_ids: bool | None = None,
) -> LoadedData:
    """Read a data file, an image folder or a built-in dataset.

    An existing path is read by its type (:data:`SUPPORTED_INPUTS`); anything else
    must name a built-in dataset (:func:`vaekit.data.builtin.list`). An option
    that does not apply to the source (``label`` for a ``.npy`` file, ...) is an
    error rather than silently ignored; ``data_dir`` is only a search path and is
    ignored for files.

    Parameters
    ----------
    source : str or path-like
        A file, a folder of images, or a dataset name such as ``"digits"``.
    columns : sequence of str or int, str, or None, default=None
        Tables: the feature columns, by name, or by 0-based position: an int, or a
        string such as ``"3"`` when the file has no header (its columns are then
        called ``x0``, ``x1``, ...). A single string is split at commas.
        None: every column except ``label`` and ``id_column``.
    label : str or None, default=None
        Tables: the column (for ``.npz``: the array) of labels, used to colour plots.
    id_column : str or None, default=None
        Tables: the column (for ``.npz``: the array) of row ids, carried to outputs.
    key : str or None, default=None
        ``.npz``: the array of features. None: the only array (besides ``label``
        and ``id_column``), else the one called ``"X"``, else an error listing them.
    image_size : (int, int) or None, default=None
        Image folders: resize every image to ``(height, width)``
        (see :func:`parse_image_size`).
    split : str or None, default=None
        Built-in datasets: ``"train"`` or ``"test"`` where the set has splits.
    data_dir : str, path-like or None, default=None
        Built-in datasets: where to look for their files first.
    header : bool or None, default=None
        Text tables: whether the first line holds column names; None detects it.
    sep : str or None, default=None
        Text tables: the separator, one character (``","``, ``";"``, ``"|"``), or
        ``"tab"`` or ``"whitespace"`` (runs of spaces and tabs). None: a tab for
        ``.tsv``, else detected (:mod:`vaekit.data.dialect`).
    decimal : {".", ",", None}, default=None
        Text tables: the decimal mark. None: a comma for a semicolon-separated file
        whose numbers are written ``1,5``, else a point.
    image_mode : {"auto", "grey", "rgb"}, default="auto"
        Image folders: "auto" gives grey images if every image is grey, else RGB.
    na_values : sequence of str, str, or None, default=None
        Tables: tokens that mark a missing value (a string is split at commas), besides empty
        cells (and NaN and nulls in Parquet), which are the only gaps by default: ``"NA"``,
        ``"None"`` are values, a category like any other, unless named here. (In a column of
        numbers, a few other tokens are gaps anyway, named in a note:
        :mod:`vaekit.data.table.cells`.)
    thousands : str or None, default=None
        Tables: the separator between thousands in numbers (``","`` for ``1,234``). None: detected
        per column, for numbers that group their digits by three.
    keep_ids : bool or None, default=None
        Tables: keep the columns that number or name the rows (R's row names, a column of
        1, 2, ..., n) as features. By default the first is the row id (unless ``id_column``
        names one) and none is a feature (:func:`~vaekit.data.table.columns.find_row_ids`).

    Returns
    -------
    LoadedData
        ``X`` float32 of shape (n_samples, n_features) for tables, (n_samples, H, W)
        or (n_samples, C, H, W) for images (in [0, 1] for image folders, IDX and
        uint8 arrays).

    Raises
    ------
    DataFileError
        A missing, unreadable or unusable source; the message names the file and,
        where it applies, the line or row, the column and the value.
    vaekit.data.builtin.DatasetNotFoundError
        A built-in dataset whose files are missing; the message lists where it looked.

    Examples
    --------
    >>> data = read_data("latent-factors")
    >>> data.X.shape, data.feature_names[:2], data.label_name, data.kind
    ((2000, 6), ['x0', 'x1'], 'factor 1', 'table')
    """
    text = os.fspath(source)
    path = Path(text).expanduser()
    options = {"columns": columns, "label": label, "id_column": id_column, "key": key, "header": header,
               "image_size": image_size, "image_mode": None if image_mode == "auto" else image_mode,
               "split": split, "sep": sep, "decimal": decimal, "na_values": na_values or None,
               "thousands": thousands, "keep_ids": keep_ids or None}  # fmt: skip
    if not path.exists():
        name = _builtin_name(text)
        if name is None:
            raise _not_found(text)
        _reject_options(text, "dataset", options)
        return _read_builtin(name, text, columns=columns, split=split, data_dir=data_dir)
    refuse_special_file(path, text)
    kind = _kind_of(path)
    if kind is None:
        suffix = path.suffix or "(no suffix)"
        raise DataFileError(f"{quoted(text)}: unknown kind of file {suffix}; vaekit reads {SUPPORTED_INPUTS}")
    _reject_options(text, kind, options)
    if kind == "folder":
        return read_image_folder(path, source=text, image_size=image_size, image_mode=image_mode)
    if kind == "text":
        return read_text_table(
            path, source=text, columns=columns, label=label, id_column=id_column, header=header, sep=sep,
            decimal=decimal, na_values=na_values, thousands=thousands, keep_ids=bool(keep_ids),
        )  # fmt: skip
    if kind == "parquet":
        return read_parquet_table(
            path, source=text, columns=columns, label=label, id_column=id_column, na_values=na_values,
            thousands=thousands, keep_ids=bool(keep_ids),
        )  # fmt: skip
    if kind == "npz":
        X, labels, ids, _ = read_npz(path, source=text, key=key, label=label, id_column=id_column)
        return array_to_loaded(
            X, source=text, columns=columns, labels=labels, ids=ids, label_name=label, id_name=id_column
        )
    array = read_npy(path, source=text) if kind == "npy" else read_idx_file(path, source=text)
    return array_to_loaded(array, source=text, columns=columns)


def accepted_options(source: str | os.PathLike[str]) -> set[str]:
    """The options of :func:`read_data` that apply to ``source`` (empty for an unknown kind).

    >>> sorted(accepted_options("digits"))
    ['columns', 'split']
    """
    path = Path(os.fspath(source)).expanduser()
    kind = _kind_of(path) if path.exists() else "dataset"
    return set(_ACCEPTS.get(kind, set())) if kind is not None else set()


def column_names(
    source: str | os.PathLike[str], *, sep: str | None = None, header: bool | None = None, decimal: str | None = None
) -> list[str] | None:
    """The names of a table's columns (or an ``.npz`` file's arrays) without reading it whole.

    None for a source without names: images, arrays, a text table without a header.
    """
    text = os.fspath(source)
    path = Path(text).expanduser()
    kind = _kind_of(path) if path.exists() else None
    if kind == "parquet":
        return parquet_column_names(path, source=text)
    if kind == "npz":
        return npz_keys(path, source=text)
    if kind != "text":
        return None
    sep, decimal = check_dialect(sep, decimal, source=text)
    return text_column_names(path, source=text, sep=sep, decimal=decimal, header=header)


def _not_found(source: str) -> DataFileError:
    names = builtin.list()
    close = difflib.get_close_matches(source.strip().lower(), names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return DataFileError(
        f"{quoted(source)}: no such file or folder, and not a built-in dataset ({', '.join(names)}){hint}"
    )
