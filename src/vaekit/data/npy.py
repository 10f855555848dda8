"""NumPy arrays as :class:`LoadedData`: ``.npy`` and ``.npz`` files, and any array read.

:func:`read_npy` and :func:`read_npz` read the files; :func:`array_to_loaded` turns
an array -- from those, from an IDX file or from a built-in dataset -- into checked
features. A 2-D array is a table ``(n_samples, n_features)`` whose columns are called ``x0``,
``x1``, ...; a 3-D or 4-D array is a stack of images ``(n, H, W)`` or
``(n, C, H, W)``. Two conversions make image files usable as they come:

- uint8 image stacks (as in MNIST's IDX files) are divided by 255, so images are in
  [0, 1]; other dtypes are kept as stored.
- a 4-D stack whose last axis has 1, 3 or 4 entries while its second does not
  (channels last, as PIL and TensorFlow store it) is transposed to ``(n, C, H, W)``.

Pickled (object) arrays are refused: loading them could run code.
"""

from __future__ import annotations

import math
import os
import struct
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from tokenize import TokenError
from typing import IO, NamedTuple

import numpy as np

from vaekit.data.loaded import DataFileError, LoadedData, brief, checked, feature_names_for, quoted, read_at_most
from vaekit.data.table.columns import feature_positions

__all__ = [
    "NpyHeader", "array_to_loaded", "as_samples", "channels_last", "check_layout", "npy_header", "npz_keys",
    "read_npy", "read_npz", "sample_shape_of",
]  # fmt: skip

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK"
_CHANNELS = (1, 3, 4)


def _refuse_pickle(source: str, what: str) -> DataFileError:
    return DataFileError(
        f"{quoted(source)}: {what} holds Python objects (a pickled array); vaekit refuses pickles because "
        "loading one can run code: save a numeric array instead (np.save with a float or integer dtype)"
    )


_VERSIONS = ((1, 0), (2, 0), (3, 0))
_MAX_HEADER = 10_000  # bytes of a header's text: NumPy's own limit (max_header_size)


def _parse_header(f: IO[bytes], source: str, what: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` of the ``.npy`` data at ``f``, which is left after the header.

    Pickles and values of no size are refused here, before any data is read.
    """
    try:
        version = np.lib.format.read_magic(f)
        if version not in _VERSIONS:
            raise ValueError(f"unknown .npy format version {version[0]}.{version[1]}")
        after_magic = f.tell()
        length = int.from_bytes(f.read(2 if version == (1, 0) else 4), "little")
        if length > _MAX_HEADER:  # NumPy would read it all before it checks the length
            raise ValueError(f"a header of {length:,} bytes, more than the {_MAX_HEADER:,} NumPy reads")
        f.seek(after_magic)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a header written by Python 2
            shape, fortran_order, dtype = read_header(f)
    except (ValueError, SyntaxError, TokenError, RecursionError, MemoryError) as err:
        raise DataFileError(f"{quoted(source)}: {what} has an unreadable .npy header ({brief(err)})") from None
    if dtype.hasobject:
        raise _refuse_pickle(source, what)
    if any(n < 0 for n in shape):
        raise DataFileError(f"{quoted(source)}: {what} has a .npy header with a negative size in its shape {shape}")
    if dtype.itemsize == 0:
        raise DataFileError(f"{quoted(source)}: {what} holds values of dtype {dtype}, which have no size")
    return shape, fortran_order, dtype


def _data_size(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """Bytes of an array's data, counted in Python ints (no overflow)."""
    return math.prod(shape) * dtype.itemsize


def _truncated(source: str, what: str, shape: tuple[int, ...], dtype: np.dtype, found: int) -> DataFileError:
    return DataFileError(
        f"{quoted(source)}: {what} is truncated: its header says shape {shape} of {dtype}, "
        f"{_data_size(shape, dtype):,} bytes, but {found:,} bytes follow; the file is damaged or was not fully written"
    )


def _shaped(
    flat: np.ndarray, shape: tuple[int, ...], fortran_order: bool, dtype: np.dtype, source: str, what: str
) -> np.ndarray:
    """The values read, in the header's shape and order; text that is not Unicode is refused."""
    if dtype.kind == "U" and (flat.view(dtype.byteorder.replace("|", "=") + "u4") > 0x10FFFF).any():
        raise DataFileError(f"{quoted(source)}: {what} holds text that is not valid Unicode; the file is damaged")
    return flat.reshape(shape[::-1]).transpose() if fortran_order else flat.reshape(shape)


class NpyHeader(NamedTuple):
    """Where a ``.npy`` file's data is and how it is laid out (:func:`npy_header`)."""

    shape: tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype
    offset: int
    """Bytes from the start of the file to the data."""


def npy_header(path: Path, *, source: str) -> NpyHeader:
    """The header of a ``.npy`` file, checked against the file's size; no data is read.

    Pickles are refused, and a header whose shape and dtype need more bytes than
    follow it (a damaged or truncated file).
    """
    try:
        with open(path, "rb") as f:
            if f.read(len(NPY_MAGIC)) != NPY_MAGIC:
                raise DataFileError(f"{quoted(source)}: not a NumPy .npy file (it does not start like one)")
            f.seek(0)
            shape, fortran_order, dtype = _parse_header(f, source, "the array")
            offset = f.tell()
            found = os.fstat(f.fileno()).st_size - offset
    except OSError as err:
        raise DataFileError(f"{quoted(source)}: cannot be read ({brief(err)})") from err
    if found < _data_size(shape, dtype):
        raise _truncated(source, "the array", shape, dtype, found)
    return NpyHeader(shape, fortran_order, dtype, offset)


def read_npy(path: Path, *, source: str) -> np.ndarray:
    """The array of a ``.npy`` file, of any shape and dtype; pickles are refused.

    The header's shape and dtype are checked against the file's size before the
    data is read, so a damaged header cannot ask for more memory than the file holds.
    """
    shape, fortran_order, dtype, offset = npy_header(path, source=source)
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            flat = np.fromfile(f, dtype=dtype, count=math.prod(shape))  # the file holds them all
    except OSError as err:
        raise DataFileError(f"{quoted(source)}: cannot be read ({brief(err)})") from err
    return _shaped(flat, shape, fortran_order, dtype, source, "the array")


_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
               NotImplementedError, RuntimeError, struct.error)  # fmt: skip
"""What zipfile raises for a damaged archive (RuntimeError: encrypted; NotImplementedError:
an unknown compression method)."""


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, name: str) -> np.ndarray:
    """The array of one ``.npy`` member of an ``.npz`` archive, checked as :func:`read_npy` checks a file."""
    what = f"array '{name}'"
    with archive.open(info) as f:
        if f.read(len(NPY_MAGIC)) != NPY_MAGIC:
            raise DataFileError(f"{quoted(source)}: {what} is not a NumPy array (no .npy header)")
        f.seek(0)
        shape, fortran_order, dtype = _parse_header(f, source, what)
        needed = _data_size(shape, dtype)
        claimed = info.file_size - f.tell()
        if claimed < needed:
            raise _truncated(source, what, shape, dtype, max(claimed, 0))
        data = read_at_most(f, needed)  # as far as the data goes: the sizes in a zip may be wrong
    if len(data) < needed:
        raise _truncated(source, what, shape, dtype, len(data))
    flat = np.frombuffer(data, dtype=dtype, count=math.prod(shape))  # writable: data is a bytearray
    return _shaped(flat, shape, fortran_order, dtype, source, what)


def npz_keys(path: Path, *, source: str) -> list[str]:
    """The names of the arrays of an ``.npz`` file, as ``np.load`` names them, without reading them."""
    return list(_npz_members(path, source))


def _npz_members(path: Path, source: str) -> dict[str, zipfile.ZipInfo]:
    """Array name -> zip member of an ``.npz`` file; two members of one name are refused."""
    try:
        with open(path, "rb") as f:
            if f.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
                raise DataFileError(f"{quoted(source)}: not a NumPy .npz file (it does not start like one)")
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except _ZIP_ERRORS as err:
        if isinstance(err, DataFileError):
            raise
        raise DataFileError(f"{quoted(source)}: not a readable .npz file ({brief(err)})") from err
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename.removesuffix(".npy")
        if name in members:
            raise DataFileError(f"{quoted(source)}: holds two arrays named '{name}'; the file is damaged")
        members[name] = info
    return members


def read_npz(
    path: Path, *, source: str, key: str | None = None, label: str | None = None, id_column: str | None = None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, str]:
    """Read the feature array, and optional label and id arrays, of a ``.npz`` file.

    Each array's header is checked against the size the archive gives for it, and
    its data read only as far as it is there, so a damaged file cannot ask for more
    memory than it holds.

    Parameters
    ----------
    path : Path
    source : str
        The path as given, for messages.
    key : str or None
        The features' array. None: the only array not named by ``label`` or
        ``id_column``; if there are several, the one called ``"X"`` (as
        :func:`vaekit.data.write.write_array` writes), else an error lists them.
    label, id_column : str or None
        Names of arrays of shape (n_samples,) in the same file.

    Returns
    -------
    X : ndarray
    labels, ids : ndarray of shape (n_samples,) or None
    key : str
        The key of ``X``.
    """
    members = _npz_members(path, source)
    keys = list(members)

    def get(archive: zipfile.ZipFile, name: str, param: str) -> np.ndarray:
        if name not in members:
            raise DataFileError(
                f"{quoted(source)}: no array '{name}' for `{param}`; the arrays are {', '.join(keys) or 'none'}"
            )
        return _member(archive, members[name], source, name)

    if key is None:
        key = _choose_key(keys, source, exclude={label, id_column})
    try:
        with zipfile.ZipFile(path) as archive:
            X = get(archive, key, "key")
            labels = get(archive, label, "label") if label is not None else None
            ids = get(archive, id_column, "id_column") if id_column is not None else None
    except _ZIP_ERRORS as err:
        if isinstance(err, DataFileError):
            raise
        raise DataFileError(f"{quoted(source)}: not a readable .npz file ({brief(err)})") from err
    for values, name, param in ((labels, label, "label"), (ids, id_column, "id_column")):
        if values is not None and (values.ndim != 1 or len(values) != len(X)):
            raise DataFileError(
                f"{quoted(source)}: array '{name}' has shape {values.shape}; `{param}` needs one value per "
                f"sample, shape ({len(X)},)"
            )
    return X, labels, ids, key


def _choose_key(keys: list[str], source: str, exclude: set[str | None]) -> str:
    candidates = [name for name in keys if name not in exclude]
    if len(candidates) == 1:
        return candidates[0]
    if "X" in candidates:
        return "X"
    if not candidates:
        raise DataFileError(f"{quoted(source)}: holds no array of features (arrays: {', '.join(keys) or 'none'})")
    found = ", ".join(keys)
    raise DataFileError(f"{quoted(source)}: holds several arrays ({found}); choose the features with `key`")


def check_layout(shape: tuple[int, ...], dtype: np.dtype, source: str) -> None:
    """Refuse what no reader takes: pickled (object) arrays, a single value, a 1-D array."""
    if np.dtype(dtype).hasobject:
        raise _refuse_pickle(source, "the array")
    if len(shape) == 0:
        raise DataFileError(
            f"{quoted(source)}: holds a single value (an array of shape ()); vaekit needs (n_samples, n_features)"
        )
    if len(shape) == 1:
        raise DataFileError(
            f"{quoted(source)}: holds a 1-D array of shape {shape}; vaekit needs (n_samples, n_features): "
            "save X.reshape(-1, 1) for one feature per sample, or X.reshape(1, -1) for a single sample"
        )


def channels_last(shape: tuple[int, ...]) -> bool:
    """Whether an array of ``shape`` is a stack of images ``(n, H, W, C)`` stored channels last.

    >>> channels_last((10, 28, 28, 3)), channels_last((10, 3, 28, 28)), channels_last((10, 3, 8, 3))
    (True, False, False)
    """
    return len(shape) == 4 and shape[3] in _CHANNELS and shape[1] not in _CHANNELS


def sample_shape_of(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of one sample of an array of ``shape``, as :func:`as_samples` lays it out.

    >>> sample_shape_of((10, 28, 28, 3)), sample_shape_of((10, 5))
    ((3, 28, 28), (5,))
    """
    if channels_last(shape):
        return (shape[3], shape[1], shape[2])
    return tuple(shape[1:])


def as_samples(array: np.ndarray) -> np.ndarray:
    """The module docstring's two conversions: channels last -> ``(n, C, H, W)``, uint8 images / 255.

    Rows are independent, so converting an array block by block gives the blocks of
    the array converted whole. Other arrays are returned as they are.
    """
    if channels_last(array.shape):
        array = array.transpose(0, 3, 1, 2)  # (n, H, W, C) -> (n, C, H, W)
    if array.ndim in (3, 4) and array.dtype == np.uint8:
        array = np.divide(array, np.float32(255), dtype=np.float32)  # bytes -> [0, 1]
    return array


def array_to_loaded(
    array: np.ndarray,
    *,
    source: str,
    columns: Sequence[str | int] | str | None = None,
    labels: np.ndarray | None = None,
    ids: np.ndarray | None = None,
    label_name: str | None = None,
    id_name: str | None = None,
) -> LoadedData:
    """Check an array read from a file and wrap it (module docstring: uint8, channels last).

    Parameters
    ----------
    array : ndarray of shape (n, d), (n, H, W) or (n, C, H, W)
    source : str
        The file, for messages.
    columns : sequence of str or int, str, or None
        For a table: the columns to keep, by name (``"x3"``) or 0-based position
        (``3`` or ``"3"``); see :func:`vaekit.data.table.columns.feature_positions`.
    labels, ids : ndarray of shape (n,) or None
    label_name, id_name : str or None

    Returns
    -------
    LoadedData
    """
    check_layout(array.shape, array.dtype, source)
    X = checked(as_samples(array), source)
    feature_names = feature_names_for(X.shape[1]) if X.ndim == 2 else None
    if columns is not None:
        if X.ndim != 2 or feature_names is None:
            raise DataFileError(f"{quoted(source)}: holds images of shape {X.shape}; `columns` applies to tables only")
        chosen = feature_positions(feature_names, columns, source=source, positional=True)
        X, feature_names = np.ascontiguousarray(X[:, chosen]), [feature_names[j] for j in chosen]
    return LoadedData(
        X=X,
        labels=labels,
        ids=ids,
        feature_names=feature_names,
        label_name=label_name,
        id_name=id_name,
        source=source,
        kind="table" if X.ndim == 2 else "images",
    )
