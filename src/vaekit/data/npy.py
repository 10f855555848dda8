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

import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vaekit.data.columns import feature_positions
from vaekit.data.loaded import DataFileError, LoadedData, checked, feature_names_for, quoted

__all__ = ["array_to_loaded", "read_npy", "read_npz"]

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK"
_CHANNELS = (1, 3, 4)


def _refuse_pickle(source: str, what: str) -> DataFileError:
    return DataFileError(
        f"{quoted(source)}: {what} holds Python objects (a pickled array); vaekit refuses pickles because "
        "loading one can run code: save a numeric array instead (np.save with a float or integer dtype)"
    )


def _check_magic(path: Path, source: str, magic: bytes, kind: str) -> None:
    with open(path, "rb") as f:
        start = f.read(len(magic))
    if start != magic:
        raise DataFileError(f"{quoted(source)}: not a NumPy {kind} file (it does not start like one)")


def read_npy(path: Path, *, source: str) -> np.ndarray:
    """The array of a ``.npy`` file, of any shape and dtype; pickles are refused."""
    _check_magic(path, source, NPY_MAGIC, ".npy")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise _refuse_pickle(source, "the array") from err
        raise DataFileError(f"{quoted(source)}: not a readable .npy file ({err})") from err
    except (OSError, EOFError) as err:
        raise DataFileError(f"{quoted(source)}: not a readable .npy file ({err})") from err


def read_npz(
    path: Path, *, source: str, key: str | None = None, label: str | None = None, id_column: str | None = None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, str]:
    """Read the feature array, and optional label and id arrays, of a ``.npz`` file.

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
    _check_magic(path, source, ZIP_MAGIC, ".npz")
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.files)

            def get(name: str, param: str) -> np.ndarray:
                if name not in archive.files:
                    raise DataFileError(
                        f"{quoted(source)}: no array '{name}' for `{param}`; the arrays are {', '.join(keys) or 'none'}"
                    )
                try:
                    return archive[name]
                except ValueError as err:
                    if "allow_pickle" in str(err):
                        raise _refuse_pickle(source, f"array '{name}'") from err
                    raise

            if key is None:
                key = _choose_key(keys, source, exclude={label, id_column})
            X = get(key, "key")
            labels = get(label, "label") if label is not None else None
            ids = get(id_column, "id_column") if id_column is not None else None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        if isinstance(err, DataFileError):
            raise
        raise DataFileError(f"{quoted(source)}: not a readable .npz file ({err})") from err
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
        (``3`` or ``"3"``); see :func:`vaekit.data.columns.feature_positions`.
    labels, ids : ndarray of shape (n,) or None
    label_name, id_name : str or None

    Returns
    -------
    LoadedData
    """
    if array.dtype == object:
        raise _refuse_pickle(source, "the array")
    if array.ndim == 1:
        raise DataFileError(
            f"{quoted(source)}: holds a 1-D array of shape {array.shape}; vaekit needs (n_samples, n_features): "
            "save X.reshape(-1, 1) for one feature per sample, or X.reshape(1, -1) for a single sample"
        )
    if array.ndim == 4 and array.shape[3] in _CHANNELS and array.shape[1] not in _CHANNELS:
        array = array.transpose(0, 3, 1, 2)  # (n, H, W, C) -> (n, C, H, W)
    if array.ndim in (3, 4) and array.dtype == np.uint8:
        array = np.divide(array, np.float32(255), dtype=np.float32)  # bytes -> [0, 1]
    X = checked(array, source)
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
