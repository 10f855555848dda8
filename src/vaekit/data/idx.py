"""Reader and writer for the IDX format of the MNIST files.

An IDX file (LeCun et al., http://yann.lecun.com/exdb/mnist/) is a 4-byte magic
number -- two zero bytes, a type code, the number of dimensions -- then one
big-endian uint32 per dimension, then the values in C order, big-endian. Files may
be gzip-compressed (``.gz``). Every structural problem is a ``ValueError`` that
names the file and says what is wrong; :func:`read_idx_file`, the reader behind
:func:`~vaekit.data.read.read_data`, turns it into a :class:`DataFileError`.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import zlib
from pathlib import Path

import numpy as np

from vaekit._atomic import write_atomic
from vaekit.data.loaded import DataFileError, brief, quoted, read_at_most

__all__ = ["IDX_DTYPES", "parse_idx", "read_idx", "read_idx_file", "write_idx"]

# type code -> big-endian dtype, as in the IDX specification
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _header(content: bytes | bytearray, source: str) -> tuple[tuple[int, ...], np.dtype, int]:
    """``(shape, dtype, header size)`` from the first bytes of an IDX file (at least its header)."""
    if len(content) < 4:
        raise ValueError(f"{source}: truncated IDX file: {len(content)} bytes, shorter than the 4-byte magic number")
    zero0, zero1, type_code, ndim = content[:4]
    if zero0 != 0 or zero1 != 0:
        raise ValueError(
            f"{source}: bad magic number 0x{content[:4].hex()}: an IDX file starts with two zero bytes "
            "(is it an IDX file, or a gzip file without the .gz suffix?)"
        )
    if type_code not in IDX_DTYPES:
        codes = ", ".join(f"0x{code:02X}" for code in IDX_DTYPES)
        raise ValueError(f"{source}: unknown IDX type code 0x{type_code:02X}; valid codes are {codes}")
    if ndim == 0:
        raise ValueError(f"{source}: IDX header declares 0 dimensions")
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise ValueError(
            f"{source}: truncated IDX header: {ndim} dimensions need {header_size} bytes, file has {len(content)}"
        )
    shape = tuple(int(d) for d in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    return shape, IDX_DTYPES[type_code], header_size


def _data_size(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """Bytes of data an IDX header announces, counted in Python ints (no overflow)."""
    return math.prod(shape) * dtype.itemsize


def _read_gzip(path: Path) -> bytes | bytearray:
    """The uncompressed bytes of a gzipped IDX file, read no further than its header announces.

    What follows the data is counted without being kept, so neither a header that claims
    terabytes nor a stream that expands to them takes more memory than the data.
    """
    source = str(path)
    with gzip.open(path, "rb") as f:
        head = f.read(4)
        if len(head) == 4:
            head += f.read(4 * head[3])
        try:
            shape, dtype, _ = _header(head, source)
        except ValueError:
            return head  # parse_idx says what is wrong with it
        content = read_at_most(f, _data_size(shape, dtype), start=head)
        extra = 0
        if len(content) == len(head) + _data_size(shape, dtype):
            while part := f.read(1 << 20):
                extra += len(part)
    if extra:
        raise ValueError(f"{source}: {extra} unexpected bytes after the data of shape {shape}")
    return content


def _read_content(path: Path) -> bytes | bytearray:
    """Return the (decompressed, for ``.gz``) bytes of ``path``."""
    try:
        if path.name.endswith(".gz"):
            return _read_gzip(path)
        return path.read_bytes()
    except FileNotFoundError:
        raise
    except EOFError as exc:
        raise ValueError(f"{path}: truncated gzip file (the compressed stream ends early)") from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{path}: not a valid gzip file ({brief(exc)})") from exc


def parse_idx(content: bytes | bytearray, source: str = "<bytes>") -> np.ndarray:
    """Parse the uncompressed bytes of an IDX file.

    Parameters
    ----------
    content : bytes
        The whole uncompressed file.
    source : str, default="<bytes>"
        Name used in error messages (usually the file path).

    Returns
    -------
    array : ndarray of shape given by the header
        In native byte order.
    """
    shape, dtype, header_size = _header(content, source)
    expected = _data_size(shape, dtype)
    found = len(content) - header_size
    if found < expected:
        raise ValueError(
            f"{source}: truncated IDX file: shape {shape} of {dtype.name} needs {expected:,} data bytes, found {found:,}"
        )
    if found > expected:
        raise ValueError(f"{source}: {found - expected} unexpected bytes after the data of shape {shape}")
    array = np.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)  # native order, writable


def read_idx(path: str | os.PathLike[str], *, md5: str | None = None) -> np.ndarray:
    """Read an IDX file, raw or gzip-compressed.

    Parameters
    ----------
    path : str or path-like
        The file; a name ending in ``.gz`` is decompressed.
    md5 : str or None, default=None
        Expected md5 hex digest of the *uncompressed* content. Checked after the
        structure, so a structurally broken file gets the more precise message.

    Returns
    -------
    array : ndarray of shape given by the file header
        E.g. ``(60000, 28, 28)`` uint8 for MNIST training images.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is truncated, has a bad magic number, an unknown type code, a
        byte count that does not match its header, or the wrong md5.
    """
    path = Path(path)
    content = _read_content(path)
    array = parse_idx(content, source=str(path))
    if md5 is not None:
        found = hashlib.md5(content).hexdigest()
        if found != md5.lower():
            raise ValueError(
                f"{path}: not the expected content of {path.name} (md5 of the uncompressed content is "
                f"{found}, expected {md5}); the file is corrupt or a different version: "
                "delete it and copy or download it again"
            )
    return array


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed if the name ends in ``.gz``).

    The file is written atomically (:func:`vaekit._atomic.write_atomic`), so a
    reader never sees a partial file; an existing file is replaced.

    Parameters
    ----------
    path : str or path-like
        Destination file.
    array : ndarray of any shape with at least one dimension
        Of a dtype the format supports (uint8, int8, int16, int32, float32, float64).

    Returns
    -------
    path : Path
        The written file.
    """
    path = Path(path)
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None or array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"cannot write {array.dtype} array of shape {array.shape} as IDX")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    content = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    if path.name.endswith(".gz"):
        content = gzip.compress(content, mtime=0)
    return write_atomic(path, content, overwrite=True)


def read_idx_file(path: Path, *, source: str) -> np.ndarray:
    """The array of a user's IDX file (raw or ``.gz``), as :func:`read_idx` reads it.

    Parameters
    ----------
    path : Path
    source : str
        The path as the user gave it, for messages.

    Returns
    -------
    ndarray of shape given by the file header, at least 2-D
        E.g. ``(n, 28, 28)`` uint8 for an images file.

    Raises
    ------
    DataFileError
        A file that cannot be read or is not IDX, or a 1-D array (a labels file).
    """
    try:
        array = read_idx(path)
    except ValueError as err:  # read_idx's messages start with the path
        raise DataFileError(str(err)) from err
    except OSError as err:
        raise DataFileError(f"{quoted(source)}: cannot be read ({brief(err)})") from err
    if array.ndim == 1:
        raise DataFileError(
            f"{quoted(source)}: holds a 1-D array of shape {array.shape}, like the labels file of an IDX set; "
            "give the images file (...-idx3-ubyte) instead"
        )
    return array
