"""A streamed Parquet file decoded once into a temporary ``.npy``, so that its epochs read at ``.npy`` speed.

Decoding Parquet's columns costs about 26 us a row for 784 float columns, on the core that trains
(``benchmarks/RESULTS.md``, "Scale"): a streamed Parquet epoch ran at 0.62 of the in-memory speed,
a ``.npy`` one at 0.93. A fit reads its file several times (the statistics, every epoch, the
threshold's rows), so :func:`decoded_copy` decodes it once, into a ``.npy`` in the system's
temporary folder, and the fit streams that. The copy is removed when the fit ends, however it ends
(a process killed with SIGKILL leaves it to the system's temporary-file cleanup). Without room for it
(twice its size free, :data:`HEADROOM` to spare), or where the temporary folder is held in memory
(tmpfs), the fit streams the Parquet file itself; each case is said in a note.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np

from vaekit.data.loaded import DataNoteWarning, quoted
from vaekit.data.stream.base import ChunkSource
from vaekit.data.stream.npy_chunks import NpyChunks

HEADROOM = 1 << 30
"""Bytes the temporary folder keeps free beyond twice the copy's size."""
IN_MEMORY = ("tmpfs", "ramfs")
"""File systems held in memory: a copy there would take the memory that streaming saves."""

__all__ = ["HEADROOM", "IN_MEMORY", "decoded_copy", "filesystem_type", "remove_copy"]


def _gigabytes(n_bytes: float) -> str:
    """A size for a note: "4.08 GB", "376 MB", "0.1 MB"."""
    if n_bytes >= 1e9:
        return f"{n_bytes / 1e9:.2f} GB"
    return f"{n_bytes / 1e6:.0f} MB" if n_bytes >= 1e7 else f"{n_bytes / 1e6:.1f} MB"


def decoded_copy(source: ChunkSource) -> tuple[NpyChunks, Path] | None:
    """Every row of ``source`` (its chunks in order) as float32 in a new ``.npy`` in a new temporary
    folder: (its chunks, the folder, for :func:`remove_copy`); None when the folder lacks the room."""
    shape = (source.n_rows, *(int(s) for s in source.sample_shape))
    n_bytes = 4 * math.prod(shape)
    root = Path(tempfile.gettempdir())
    kind = filesystem_type(root)
    if kind in IN_MEMORY:
        warnings.warn(
            DataNoteWarning(
                f"{quoted(source.name)}: streamed as Parquet, decoding each pass: the temporary folder {root} is "
                f"held in memory ({kind}), where a decoded copy ({_gigabytes(n_bytes)}) would take memory; set "
                "TMPDIR to a folder on disk to have one"
            ),
            stacklevel=2,
        )
        return None
    free = shutil.disk_usage(root).free
    if free < 2 * n_bytes + HEADROOM:
        warnings.warn(
            DataNoteWarning(
                f"{quoted(source.name)}: streamed as Parquet, decoding each pass: a decoded copy would take "
                f"{_gigabytes(n_bytes)} in {root}, which has {_gigabytes(free)} free"
            ),
            stacklevel=2,
        )
        return None
    folder = Path(tempfile.mkdtemp(prefix="vaekit-decoded-", dir=root))
    try:
        path = folder / "rows.npy"
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype("<f4")), "fortran_order": False, "shape": shape}
        with path.open("wb") as out:  # written in order, not through a memory map: nothing stays resident
            np.lib.format.write_array_header_1_0(out, header)
            for i in range(source.n_chunks):
                start, stop = source.chunk_bounds(i)
                chunk = np.ascontiguousarray(source.read_chunk(i), dtype="<f4")
                if chunk.shape != (stop - start, *shape[1:]):
                    raise ValueError(f"chunk {i} of {source.name} has shape {chunk.shape}, not {(stop - start,)}")
                _write_rows(chunk, out)
        copy = NpyChunks(path)
    except OSError as err:  # the disk filled up meanwhile, or the folder went: the Parquet file itself
        remove_copy(folder)
        warnings.warn(
            DataNoteWarning(
                f"{quoted(source.name)}: streamed as Parquet, decoding each pass: its decoded copy could not be "
                f"written in {root} ({err.strerror or err})"
            ),
            stacklevel=2,
        )
        return None
    except BaseException:
        remove_copy(folder)
        raise
    warnings.warn(
        DataNoteWarning(
            f"{quoted(source.name)}: decoded once into a temporary .npy ({_gigabytes(n_bytes)} in {folder}) "
            "that the fit streams and removes when it ends: Parquet decodes each row on every pass"
        ),
        stacklevel=2,
    )
    return copy, folder


def _write_rows(rows: np.ndarray, out: BinaryIO) -> None:
    """Append ``rows`` (C order, little-endian float32) to the open ``.npy`` file ``out``."""
    rows.tofile(out)


def filesystem_type(folder: Path) -> str | None:
    """The type of the file system ``folder`` is on ("ext4", "tmpfs", ...), from ``/proc/mounts``; None
    where that cannot be read (not Linux)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    where = folder.resolve()
    best: tuple[int, str] | None = None
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = Path(fields[1].replace("\\040", " "))
        if (where == point or point in where.parents) and (best is None or len(point.parts) > best[0]):
            best = (len(point.parts), fields[2])
    return None if best is None else best[1]


def remove_copy(folder: Path | None) -> None:
    """Remove a folder :func:`decoded_copy` made (nothing for None)."""
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
