""":func:`open_stream`: the one entry that turns a path or a memory-mapped array into a :class:`ChunkSource`."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from vaekit.data.images import IMAGE_SUFFIXES
from vaekit.data.loaded import DataFileError, quoted
from vaekit.data.read import refuse_special_file
from vaekit.data.stream.base import DEFAULT_CHUNK_BYTES, ChunkSource
from vaekit.data.stream.csv_chunks import CsvChunks
from vaekit.data.stream.image_chunks import ImageFolderChunks
from vaekit.data.stream.npy_chunks import NpyChunks
from vaekit.data.stream.parquet_chunks import ParquetChunks, parquet_files

__all__ = ["STREAMABLE", "open_stream"]

STREAMABLE = (
    "a .npy file (or np.load(path, mmap_mode='r') of one), a Parquet file (.parquet, .pq) or a folder of "
    ".parquet files, a text table (.csv, .tsv, .txt, not compressed), or a folder of PNG/JPEG images"
)
"""What :func:`open_stream` takes, for messages."""

_TEXT = (".csv", ".tsv", ".txt")


def _not_streamable(name: str, what: str) -> DataFileError:
    return DataFileError(
        f"{quoted(name)}: {what}, which cannot be streamed; streaming takes {STREAMABLE} "
        "(read other data into memory, or save it in one of those forms)"
    )


def open_stream(
    source: ChunkSource | str | os.PathLike[str] | np.ndarray,
    *,
    sep: str | None = None,
    decimal: str | None = None,
    header: bool | None = None,
    image_size: tuple[int, int] | None = None,
    image_mode: str = "auto",
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> ChunkSource:
    """The chunked source for ``source``, chosen by its type and suffix.

    Parameters
    ----------
    source : ChunkSource, str, path-like or numpy.memmap
        A ``.npy`` file or ``np.load(path, mmap_mode="r")`` of one (:class:`NpyChunks`);
        a ``.parquet``/``.pq`` file or a folder of ``.parquet`` files (:class:`ParquetChunks`);
        a ``.csv``/``.tsv``/``.txt`` file (:class:`CsvChunks`); a folder of images
        (:class:`ImageFolderChunks`). A ChunkSource is returned as it is.
    sep, decimal, header : text tables only; see :class:`CsvChunks`
    image_size, image_mode : image folders only; see :class:`ImageFolderChunks`
    chunk_bytes : int
        About how much a chunk of a ``.npy`` or text file holds.

    Returns
    -------
    ChunkSource

    Raises
    ------
    DataFileError
        A source that does not exist or cannot be streamed (the message says what can).
    """
    if isinstance(source, ChunkSource):
        return source
    if isinstance(source, np.ndarray):
        return NpyChunks(source, chunk_bytes=chunk_bytes)
    if not isinstance(source, (str, os.PathLike)):
        raise _not_streamable(str(type(source).__name__), "an object in memory")
    name, path = str(source), Path(source).expanduser()
    if path.is_dir():
        if parquet_files(path):
            return ParquetChunks(source)
        if _has_images(path):
            return ImageFolderChunks(source, image_size=image_size, image_mode=image_mode)
        raise _not_streamable(name, "a folder with no .parquet files and no images")
    if not path.exists():
        raise DataFileError(f"{quoted(name)}: no such file or folder")
    refuse_special_file(path, name)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return NpyChunks(path, chunk_bytes=chunk_bytes)
    if suffix in (".parquet", ".pq"):
        return ParquetChunks(path)
    if suffix in _TEXT:
        return CsvChunks(path, sep=sep, decimal=decimal, header=header, chunk_bytes=chunk_bytes)
    raise _not_streamable(name, f"a file of suffix '{suffix}'" if suffix else "a file without a suffix")


def _has_images(folder: Path) -> bool:
    """Whether ``folder`` or one of its sub-folders (not deeper, as the image reader looks) holds an image."""
    for entry in folder.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in entry.iterdir()):
            return True
        if entry.suffix.lower() in IMAGE_SUFFIXES:
            return True
    return False
