"""Atomic writes: a file or a folder appears whole, or not at all.

The one pattern every writer in vaekit uses: write under a fresh hidden name in the
target's own folder (the same file system, so the final rename is atomic), flush it
to disk, then rename it onto the target. If anything fails, the temporary is removed
and the target is left as it was, so a reader never sees half a file, and a crash
never leaves a broken model behind. Nothing that exists is replaced unless asked.

- :func:`write_atomic` writes bytes or text.
- :func:`atomic_file` yields the temporary path, for writers that want a path of
  their own (NumPy, pandas, pyarrow, matplotlib, a download stream).
- :func:`staging_dir` and :func:`replace_dir` do the same for a folder (a saved
  model, a run): build it in a hidden folder beside the target, then move it in.

Temporary files and folders are created with the user's umask applied (mode 0666
or 0777 before the mask), so the finished target has the permissions of any other
file the user creates.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_file", "replace_dir", "staging_dir", "write_atomic"]


def _hidden_name(target: Path, kind: str) -> Path:
    """A fresh hidden name beside ``target``: ``.<kind>-<random>-NAME``.

    It ends like ``target``, so a reader that goes by the suffix (``.gz``, ...)
    reads the temporary as it will read the target.
    """
    return target.with_name(f".{kind}-{secrets.token_hex(4)}-{target.name}")


def _exists_error(path: Path) -> FileExistsError:
    return FileExistsError(f"'{path}' already exists; use `overwrite` to replace it")


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:  # write access: Windows cannot flush a read-only handle
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (the rename itself) to disk, where the system allows it."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder; the rename is still atomic
        pass
    finally:
        os.close(fd)


def _move_file(temporary: Path, path: Path, overwrite: bool) -> None:
    """Rename ``temporary`` to ``path``; without ``overwrite``, never replace a file that exists."""
    if overwrite:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)  # fails if path exists, even if it appeared a moment ago
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError:  # a file system without hard links: check, then rename
        if path.exists():
            raise _exists_error(path) from None
        os.replace(temporary, path)
        return
    temporary.unlink()


@contextmanager
def atomic_file(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a new empty temporary file beside ``path``; when the block succeeds, it becomes ``path``.

    Write the content to the yielded path (any writer that takes a path). When the
    ``with`` block ends without an exception, the file is flushed to disk and
    renamed to ``path``; when it raises, the temporary file is deleted and ``path``
    is left untouched.

    Parameters
    ----------
    path : str or path-like
        The file to create; its folder must exist.
    overwrite : bool, default=False
        Replace ``path`` if it exists. Without it an existing ``path`` is refused,
        both before the block runs and at the final rename.

    Yields
    ------
    Path
        The temporary file, a hidden name in the same folder as ``path``.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False (the temporary file is removed).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> folder = tempfile.TemporaryDirectory()
    >>> target = Path(folder.name) / "x.npy"
    >>> with atomic_file(target) as tmp, open(tmp, "wb") as f:
    ...     np.save(f, np.zeros(3))
    >>> np.load(target).shape
    (3,)
    >>> folder.cleanup()
    """
    path = Path(path)
    if not overwrite and path.exists():
        raise _exists_error(path)
    temporary = _hidden_name(path, "tmp")
    os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # the umask applies
    try:
        yield temporary
        _fsync_file(temporary)
        _move_file(temporary, path, overwrite)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_file`).

    Parameters
    ----------
    path : str or path-like
        The file to write; its folder must exist.
    data : bytes or str
        The whole content; text is encoded as UTF-8, with newlines kept as given.
    overwrite : bool, default=False
        Replace ``path`` if it exists.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False; nothing is written.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> target = write_atomic(Path(folder.name) / "notes.txt", "hello\\n")
    >>> target.read_text()
    'hello\\n'
    >>> folder.cleanup()
    """
    content = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with atomic_file(path, overwrite=overwrite) as temporary:
        temporary.write_bytes(content)
    return Path(path)


@contextmanager
def staging_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh hidden folder beside ``target`` to build a folder in.

    Move the finished folder into place with :func:`replace_dir` inside the block.
    Whatever is still in the staging folder when the block ends -- because it
    raised, or the folder was not moved -- is removed. ``target``'s parent folders
    are created.

    Parameters
    ----------
    target : str or path-like
        The folder the staged one is meant to become.

    Yields
    ------
    Path
        An empty folder, ``.tmp-<random>-NAME`` beside ``target``.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> target = Path(folder.name) / "model"
    >>> with staging_dir(target) as staging:
    ...     _ = (staging / "config.json").write_text("{}")
    ...     replace_dir(staging, target)
    >>> sorted(p.name for p in Path(folder.name).iterdir()), sorted(p.name for p in target.iterdir())
    (['model'], ['config.json'])
    >>> folder.cleanup()
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        staging = _hidden_name(target, "tmp")
        try:
            staging.mkdir(mode=0o777)  # the umask applies, unlike tempfile.mkdtemp's 0700
            break
        except FileExistsError:  # pragma: no cover -- 32 random bits taken already
            continue
    try:
        yield staging
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def replace_dir(staging: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Move the finished folder ``staging`` to ``target``, replacing what is there.

    An existing ``target`` is first renamed aside, the new folder renamed in, and
    only then the old one deleted: ``target`` always holds a complete folder, and
    if the second rename fails the old one is put back. Callers decide beforehand
    whether ``target`` may be replaced.

    Parameters
    ----------
    staging : str or path-like
        A finished folder, in the same folder as ``target`` (see :func:`staging_dir`).
    target : str or path-like
        Where it goes.
    """
    staging, target = Path(staging), Path(target)
    if not target.exists() and not target.is_symlink():
        os.replace(staging, target)
        _fsync_dir(target.parent)
        return
    retired = _hidden_name(target, "old")
    os.replace(target, retired)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(retired, target)
        raise
    _fsync_dir(target.parent)
    if retired.is_dir() and not retired.is_symlink():
        shutil.rmtree(retired)
    else:
        retired.unlink()
