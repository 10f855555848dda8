"""Write arrays (latents, reconstructions, scores) to files: the one writer for a user's file.

:func:`write_array` picks the format from the suffix (:data:`SUPPORTED_OUTPUTS`),
writes atomically (:func:`vaekit._atomic.atomic_file`: a temporary file beside
the target, renamed into place, so no reader sees half a file), and never replaces
an existing file unless asked. :func:`write_table` writes a data frame as CSV, TSV
or Parquet. :func:`write_images` writes a stack of images as one PNG file per row
into a folder, each file atomically too.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from vaekit._atomic import atomic_file
from vaekit.data.loaded import DataFileError, quoted
from vaekit.data.rows import ROW, numbers_column

__all__ = ["SUPPORTED_OUTPUTS", "refuse_output_onto_input", "write_array", "write_images", "write_table"]

SUPPORTED_OUTPUTS = ".csv, .tsv (optionally .gz), .parquet, .npy, .npz"

_OUTPUT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".csv.gz": "csv", ".tsv.gz": "tsv",
                   ".parquet": "parquet", ".pq": "parquet", ".npy": "npy", ".npz": "npz"}  # fmt: skip


def _output_format(path: Path) -> tuple[str, bool]:
    """``(format, gzip)`` for an output path, from its suffix."""
    name = path.name.lower()
    for suffix, fmt in sorted(_OUTPUT_FORMATS.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return fmt, suffix.endswith(".gz")
    suffix = path.suffix or "(none)"
    raise DataFileError(f"{quoted(path)}: unknown output suffix {suffix}; use one of {SUPPORTED_OUTPUTS}")


def _per_row(values: object, n_rows: int, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.shape != (n_rows,):
        raise ValueError(f"{what} must have shape ({n_rows},), one value per row, got {array.shape}")
    return array.astype(str) if array.dtype == object else array  # str, not pickled objects, in .npz


def _table(array: np.ndarray, column_names: Sequence[str] | None, keys: dict[str, np.ndarray],
           extra: dict[str, np.ndarray]) -> pd.DataFrame:  # fmt: skip
    """The key columns (row numbers, ids) first, then the array's columns (images flattened), then the extra columns."""
    flat = array.reshape(len(array), -1)  # (n, d), or (n, C*H*W) for images
    prefix = "z" if array.ndim <= 2 else "p"
    names = [f"{prefix}{j}" for j in range(flat.shape[1])] if column_names is None else [str(c) for c in column_names]
    if len(names) != flat.shape[1]:
        raise ValueError(f"{len(names)} column names for an array of {flat.shape[1]} columns")
    _refuse_twice([*keys, *names, *extra])
    frame = pd.DataFrame(flat, columns=names)
    for position, (name, values) in enumerate(keys.items()):
        frame.insert(position, name, values)
    for name, values in extra.items():
        frame[name] = values
    return frame


def _refuse_twice(names: list[str]) -> None:
    if len(set(names)) < len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise ValueError(f"column name '{twice}' is used twice (row keys and ids, array columns and extra columns)")


def _keys(
    keys: dict[str, np.ndarray] | None, ids: np.ndarray | None, id_name: str | None, n_rows: int
) -> dict[str, np.ndarray]:
    """The columns that name the rows, each checked to hold one value per row: ``keys``, then ``ids``."""
    out = {str(name): _per_row(values, n_rows, f"key column '{name}'") for name, values in (keys or {}).items()}
    if ids is not None:
        name = id_name or "id"
        if name in out:
            raise ValueError(f"column name '{name}' is used twice (row keys and ids)")
        out[name] = _per_row(ids, n_rows, "ids")
    return out


def write_array(
    path: str | os.PathLike[str],
    array: np.ndarray,
    *,
    column_names: Sequence[str] | None = None,
    ids: np.ndarray | None = None,
    id_name: str | None = None,
    extra_columns: dict[str, np.ndarray] | None = None,
    overwrite: bool = False,
    sep: str | None = None,
    keys: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write an array (latents, reconstructions, ...) to a file chosen by its suffix.

    ``.csv``/``.tsv`` (optionally ``.gz``) and ``.parquet`` get a table: the ``keys``
    columns first (the row numbers and ids of :func:`vaekit.data.rows.key_columns`),
    then the id column (when ``ids`` is given), then the array's columns, then
    ``extra_columns``; image stacks are flattened to columns ``p0``, ``p1``, ....
    ``.npz`` holds the array as ``"X"``, the row numbers as ``"row"``, the ids (an id
    key column, or ``ids``) as ``"ids"`` and each extra column under its name. ``.npy`` holds the array only:
    ``keys`` and ``ids`` are dropped there (rows keep the input's order; the caller
    says so), while ``extra_columns`` raise an error rather than be lost. The file is
    written beside ``path`` and renamed into place, so no reader sees half a file;
    parent folders are created.

    Parameters
    ----------
    path : str or path-like
    array : ndarray of shape (n_rows,), (n_rows, n_columns), (n_rows, H, W) or (n_rows, C, H, W), or DataFrame
        A DataFrame (a mixed table's rows, in the user's types) keeps its columns;
        it goes to a text or Parquet table only.
    column_names : sequence of str or None, default=None
        Names of the array's columns in a table; default ``z0``, ``z1``, ...
        (``p0``, ... for images).
    ids : ndarray of shape (n_rows,) or None, default=None
    id_name : str or None, default=None
        The ids' column name in a table; default ``"id"``.
    extra_columns : dict of str to ndarray of shape (n_rows,), or None
        More per-row columns, e.g. ``{"reconstruction_error": errors}``.
    overwrite : bool, default=False
        Replace an existing file.
    sep : str or None, default=None
        A DataFrame to a text table: this separator instead of the suffix's (``,`` or tab),
        to write a table back in its own dialect.
    keys : dict of str to ndarray of shape (n_rows,), or None
        The columns that name the rows, written first: ``{"row": numbers, "file": names}``.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False (the file is left untouched).
    DataFileError
        An unknown suffix, or ``extra_columns`` for a ``.npy`` file.
    ValueError
        Ids, extra columns or column names that do not fit the array.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise DataFileError(
            f"{quoted(path)}: is a folder; give a file name, such as {path / 'output.csv'} (a folder is never replaced)"
        )
    fmt, compress = _output_format(path)
    if isinstance(array, pd.DataFrame):  # a mixed table, in the user's own types
        named = _keys(keys, ids, id_name, len(array))
        return _write_frame(path, array, fmt, compress, keys=named, extra=extra_columns, overwrite=overwrite, sep=sep)
    array = np.asarray(array)
    if array.ndim == 0:
        raise ValueError(f"cannot write a 0-dimensional array to {quoted(path)}")
    n_rows = len(array)
    key_values = _keys(keys, None, None, n_rows)
    ids = _per_row(ids, n_rows, "ids") if ids is not None else None
    extra = {
        str(name): _per_row(values, n_rows, f"extra column '{name}'") for name, values in (extra_columns or {}).items()
    }
    id_name = id_name or "id"
    if fmt == "npy" and extra:
        raise DataFileError(
            f"{quoted(path)}: a .npy file holds one array, so the columns {', '.join(extra)} would be lost; "
            "write a .npz, .csv or .parquet file instead"
        )
    if fmt == "npz" and {"X", "ids"} & (set(extra) | set(key_values)):
        taken = ", ".join([*key_values, *extra])
        raise ValueError(f"column names 'X' and 'ids' are taken in a .npz file, got {taken}")
    if fmt in ("npy", "npz") and array.dtype == object:
        raise ValueError(f"cannot write an array of Python objects to {quoted(path)}: vaekit writes no pickles")
    if fmt in ("csv", "tsv", "parquet"):
        named = {**key_values, **({} if ids is None else _keys(None, ids, id_name, n_rows))}
        if ids is not None and id_name in key_values:
            raise ValueError(f"column name '{id_name}' is used twice (row keys and ids)")
        frame = _table(array if array.ndim > 1 else array[:, None], column_names, named, extra)
        writer: Callable[[Path], None] = partial(write_table, frame=frame, fmt=fmt, compress=compress)
    elif fmt == "npz":
        numbers = numbers_column(key_values)
        named = {(ROW if name == numbers else "ids"): values for name, values in key_values.items()}
        if ids is not None:
            named["ids"] = ids
        if len(named) < len(key_values) + (ids is not None):
            raise ValueError(f"a .npz file holds one array of ids; got {', '.join([*key_values, id_name][:3])}")
        _refuse_twice([*named, *extra])
        writer = partial(_save_npz, arrays={"X": array, **named, **extra})
    else:
        writer = partial(_save_npy, array=array)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, overwrite=overwrite) as temporary:
        writer(temporary)
    return path


def _write_frame(
    path: Path,
    frame: pd.DataFrame,
    fmt: str,
    compress: bool,
    *,
    keys: dict[str, np.ndarray],
    extra: dict[str, np.ndarray] | None,
    overwrite: bool,
    sep: str | None = None,
) -> Path:
    """A table of the user's own columns (categories and all): the key columns first, then ``frame``, then ``extra``."""
    if fmt in ("npy", "npz"):
        raise DataFileError(
            f"{quoted(path)}: a table with categories or text goes to .csv, .tsv or .parquet, not .{fmt}"
        )
    out = frame.reset_index(drop=True)
    added = [*keys, *(str(name) for name in extra or {})]
    _refuse_twice(added)  # the user's own columns may repeat a name (a trailing separator's empty one): kept
    _refuse_twice([*added, *{str(c) for c in out.columns}])
    for position, (name, values) in enumerate(keys.items()):
        out.insert(position, name, values)
    for name, values in (extra or {}).items():
        out[str(name)] = _per_row(values, len(out), f"extra column '{name}'")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, overwrite=overwrite) as temporary:
        write_table(temporary, out, fmt=fmt, compress=compress, sep=sep)
    return path


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:  # a file object: np.save would append .npy to the name
        np.save(f, array, allow_pickle=False)


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez`` without its keyword arguments, so that an array may be called ``file``."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, values in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(values), allow_pickle=False)


def write_table(path: Path, frame: pd.DataFrame, *, fmt: str, compress: bool = False, sep: str | None = None) -> None:
    """Write ``frame`` without its index as ``fmt`` ("csv", "tsv" or "parquet").

    ``compress`` gzips a text table (for ``.csv.gz`` and ``.tsv.gz``); ``sep`` replaces
    the format's separator (``,`` for csv, tab for tsv). Text tables
    are written by pyarrow's CSV writer (7x faster than pandas on 10,000 x 784
    floats), falling back to pandas for columns Arrow cannot type (mixed objects).
    """
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
        return
    sep = sep or ("\t" if fmt == "tsv" else ",")
    try:
        _write_text_with_arrow(path, frame, sep, compress)
    except (ImportError, TypeError, ValueError):  # pyarrow's errors derive from these
        frame.to_csv(path, sep=sep, index=False, compression="gzip" if compress else None)


def _write_text_with_arrow(path: Path, frame: pd.DataFrame, sep: str, compress: bool) -> None:
    """CSV/TSV with a header quoted only where needed, values unquoted unless they must be."""
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


_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _file_stem(name: object) -> str:
    """A file name from an id: an image suffix dropped, ``/`` and other odd characters as ``_``."""
    text = str(name)
    if text.lower().endswith(_IMAGE_SUFFIXES):
        text = text[: text.rindex(".")]
    return _UNSAFE_IN_NAME.sub("_", text).strip("._") or "_"


def _png_names(n_images: int, names: Sequence[object] | np.ndarray | None) -> list[str]:
    """``000000.png``, ... or one name per image from ``names`` (ids), each distinct."""
    if names is None:
        width = max(6, len(str(n_images - 1)))
        return [f"{i:0{width}d}.png" for i in range(n_images)]
    stems = [_file_stem(name) for name in _per_row(names, n_images, "names")]
    if len(set(stems)) < len(stems):
        twice = next(stem for stem in stems if stems.count(stem) > 1)
        raise ValueError(f"two images would both be named '{twice}.png'; give distinct `names`, or none")
    return [f"{stem}.png" for stem in stems]


def _to_pixels(images: np.ndarray) -> np.ndarray:
    """Images in [0, 1] as 8-bit pixels: (n, H, W) for grey or (n, H, W, 3) for RGB."""
    if images.ndim == 4 and images.shape[1] in (1, 3):
        images = images[:, 0] if images.shape[1] == 1 else images.transpose(0, 2, 3, 1)  # channels last
    elif images.ndim != 3:
        raise ValueError(
            f"`images` must have shape (n, H, W) or (n, C, H, W) with C = 1 (grey) or 3 (RGB), got {images.shape}"
        )
    if not np.isfinite(images).all():
        raise ValueError("`images` hold NaN or infinite values; there is no pixel for them")
    return np.rint(np.clip(images, 0.0, 1.0) * 255.0).astype(np.uint8)


def write_images(
    folder: str | os.PathLike[str],
    images: np.ndarray,
    names: Sequence[object] | np.ndarray | None = None,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write each image of a stack as a PNG file in ``folder``: ``000000.png``, ... or by name.

    Values in [0, 1] map to 0..255 (values outside are clipped, e.g. a Gaussian
    decoder's overshoot). One channel gives a grey PNG, three an RGB one. Each file
    is written beside its target and renamed into place, so no reader sees half an
    image. Nothing is ever deleted: without ``overwrite``, a folder that holds
    anything is refused before a file is written; with it, files of the same names
    are replaced and all others are left as they are.

    Parameters
    ----------
    folder : str or path-like
        Created, with its parents, if missing.
    images : ndarray of shape (n_images, H, W), (n_images, 1, H, W) or (n_images, 3, H, W)
        Values in [0, 1].
    names : sequence of (n_images,) or None, default=None
        One name per image, e.g. the input's ids (``"cat/001.png"`` becomes
        ``cat_001.png``); default ``000000.png``, ``000001.png``, ... in row order.
    overwrite : bool, default=False
        Write into a folder that is not empty.

    Returns
    -------
    list of Path
        The files written, in row order.

    Raises
    ------
    FileExistsError
        ``folder`` is not empty and ``overwrite`` is False; or ``folder`` is a file.
    ValueError
        Images of another shape or with non-finite values, or names that give two
        images the same file name.
    """
    from PIL import Image

    folder = Path(folder).expanduser()
    pixels = _to_pixels(np.asarray(images, dtype=np.float64))  # (n, H, W[, 3]) uint8
    files = [folder / name for name in _png_names(len(pixels), names)]
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{quoted(folder)} is a file, not a folder to write images into")
    if folder.is_dir() and not overwrite and any(folder.iterdir()):
        raise FileExistsError(f"{quoted(folder)} is not empty; use `overwrite` to write into it (nothing is deleted)")
    folder.mkdir(parents=True, exist_ok=True)
    for file, image in zip(files, pixels, strict=True):
        with atomic_file(file, overwrite=overwrite) as temporary:
            Image.fromarray(image).save(temporary, format="PNG")
    return files


def refuse_output_onto_input(source: Path, target: Path, *, source_name: str | None = None) -> None:
    """Refuse an output that would write onto its input, before any work.

    It would when ``target`` resolves to ``source`` (the same path, a symbolic link to it, or
    ``source`` a link to ``target``), is a hard link to it (the same device and inode), is a
    folder that holds it, or lies inside ``source`` when that is a folder, or below it when it
    is a file.

    Raises
    ------
    DataFileError
        Naming both paths and how they are one.
    """
    source_name = str(source) if source_name is None else source_name
    real_source, real_target = source.resolve(), target.resolve()
    how = None
    if real_source == real_target:
        if target.is_symlink():
            how = f"it is a symbolic link to {quoted(real_source)}"
        elif source.is_symlink():
            how = f"the input is a symbolic link to {quoted(real_target)}"
        else:
            how = "the same file"
    else:
        same: os.stat_result | None
        other: os.stat_result | None
        try:
            same, other = os.stat(real_source), os.stat(real_target)
        except OSError:  # the output does not exist yet (or the input is missing: its own error follows)
            same = other = None
        if same is not None and other is not None and (same.st_dev, same.st_ino) == (other.st_dev, other.st_ino):
            how = "a hard link to the same file"
    if how is not None:
        raise DataFileError(
            f"{quoted(target)} is the input {quoted(source_name)} ({how}); writing it would destroy the input: "
            "give the output another name"
        )
    if real_source.is_relative_to(real_target):
        raise DataFileError(
            f"{quoted(target)} is a folder that holds the input {quoted(source_name)}; the output must be a "
            "file outside it"
        )
    if real_target.is_relative_to(real_source):
        what = "folder" if real_source.is_dir() else "file"
        raise DataFileError(
            f"{quoted(target)} lies inside the input {what} {quoted(source_name)}; write the output outside it"
        )
    for folder in real_target.parents:  # the first one that exists must be a folder
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                raise DataFileError(f"{quoted(target)}: {quoted(folder)} is a file, not a folder to write into")
            break
