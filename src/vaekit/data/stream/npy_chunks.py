"""A ``.npy`` file streamed in blocks of rows, read with plain file reads.

The file is never memory-mapped while it is streamed: pages touched through a map
count in the process's resident memory until the system reclaims them, so training
over a 4 GB map can hold 4 GB. Each chunk is read instead with a seek and
``np.fromfile`` into a fresh buffer, which is freed when the chunk is.

The values are converted as :func:`vaekit.data.npy.array_to_loaded` converts a whole
array (:func:`~vaekit.data.npy.as_samples`): uint8 image stacks are divided by 255,
channels-last 4-D stacks become ``(C, H, W)``; pickled arrays are refused.
"""

from __future__ import annotations

import math
import mmap
import os
from pathlib import Path

import numpy as np

from vaekit.data.loaded import DataFileError, brief, quoted
from vaekit.data.npy import as_samples, check_layout, npy_header, sample_shape_of
from vaekit.data.stream.base import (
    DEFAULT_CHUNK_BYTES,
    check_chunk_index,
    check_not_empty,
    even_bounds,
    rows_per_chunk,
)

__all__ = ["NpyChunks"]


def _memmap_layout(array: np.ndarray) -> tuple[Path, tuple[int, ...], np.dtype, bool, int]:
    """``(file, shape, dtype, fortran_order, offset)`` of an array mapped whole from a file."""
    filename = getattr(array, "filename", None)
    if not isinstance(array, np.memmap) or filename is None:
        raise DataFileError(
            "an array in memory is not a stream; give a .npy file, or np.load(path, mmap_mode='r') of one"
        )
    if not isinstance(array.base, mmap.mmap):  # a slice, transpose or other view of the mapped array
        raise DataFileError(
            f"{quoted(filename)}: a view (slice, transpose, ...) of a memory-mapped array cannot be streamed; "
            "give the whole array as np.load(path, mmap_mode='r') returns it, or the file"
        )
    fortran = bool(array.flags.f_contiguous and not array.flags.c_contiguous)
    return Path(filename), tuple(array.shape), array.dtype, fortran, int(array.offset)


class NpyChunks:
    """The rows of a ``.npy`` file, in chunks of about ``chunk_bytes`` of float32.

    Parameters
    ----------
    source : str, path-like or numpy.memmap
        A ``.npy`` file, or the array ``np.load(path, mmap_mode="r")`` returns (its
        ``filename`` and ``offset`` are used; its pages are not touched).
    chunk_bytes : int, default=16 MiB
        About how many bytes of float32 values one chunk holds (at least one row).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "x.npy"
    >>> np.save(path, np.arange(12, dtype=np.uint8).reshape(3, 2, 2))
    >>> chunks = NpyChunks(path, chunk_bytes=32)
    >>> chunks.n_rows, chunks.sample_shape, chunks.n_chunks, chunks.chunk_bounds(1)
    (3, (2, 2), 2, (2, 3))
    >>> float(chunks.read_chunk(1)[0, 1, 1] * 255)
    11.0
    >>> folder.cleanup()
    """

    def __init__(self, source: str | os.PathLike[str] | np.ndarray, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> None:
        if isinstance(source, np.ndarray):
            path, shape, dtype, fortran, offset = _memmap_layout(source)
            name = str(path)
        else:
            path, name = Path(source).expanduser(), str(source)
            shape, fortran, dtype, offset = npy_header(path, source=name)
        check_layout(shape, dtype, name)
        if dtype.kind not in "biuf":
            raise DataFileError(
                f"{quoted(name)}: holds values of dtype {dtype}, not real numbers; streaming takes numeric arrays "
                "(save it with a float or integer dtype)"
            )
        if fortran and len(shape) > 2:
            raise DataFileError(
                f"{quoted(name)}: an image stack stored in Fortran (column-major) order cannot be read by rows; "
                "save it in C order: np.save(path, np.ascontiguousarray(X))"
            )
        self.name = name
        self.path = path
        self.n_rows = int(shape[0])
        self.sample_shape = tuple(int(s) for s in sample_shape_of(shape))
        self.feature_names: list[str] | None = None
        check_not_empty(name, self.n_rows, self.sample_shape)
        self._shape, self._dtype, self._fortran, self._offset = shape, dtype, fortran, offset
        self._bounds = even_bounds(self.n_rows, rows_per_chunk(self.sample_shape, chunk_bytes))
        self.n_chunks = len(self._bounds)

    def chunk_bounds(self, i: int) -> tuple[int, int]:
        """``(start, stop)``: the rows of chunk ``i``."""
        return self._bounds[check_chunk_index(i, self.n_chunks)]

    def read_chunk(self, i: int) -> np.ndarray:
        """Chunk ``i``: ndarray of float32, shape ``(stop - start, *sample_shape)``."""
        start, stop = self.chunk_bounds(i)
        count, per_row, size = stop - start, math.prod(self._shape[1:]), self._dtype.itemsize
        try:
            with open(self.path, "rb") as f:
                if not self._fortran:
                    f.seek(self._offset + start * per_row * size)
                    raw = np.fromfile(f, dtype=self._dtype, count=count * per_row)
                    read = raw.size
                    raw = raw.reshape((-1, *self._shape[1:])) if read == count * per_row else raw
                else:  # a table stored column by column: one read per column
                    raw = np.empty((count, per_row), dtype=self._dtype)
                    read = 0
                    for j in range(per_row):
                        f.seek(self._offset + (j * self.n_rows + start) * size)
                        column = np.fromfile(f, dtype=self._dtype, count=count)
                        read += column.size
                        raw[: column.size, j] = column
        except OSError as err:
            raise DataFileError(f"{quoted(self.name)}: cannot be read ({brief(err)})") from err
        if read != count * per_row:
            raise DataFileError(
                f"{quoted(self.name)}: rows {start} to {stop - 1} are not all there; the file was cut short "
                "after it was opened"
            )
        return np.ascontiguousarray(as_samples(raw), dtype=np.float32)
