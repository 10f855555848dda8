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

**Replacing a folder** is one atomic step on Linux: ``renameat2(RENAME_EXCHANGE)``
swaps the finished folder and the old one, so ``target`` names a complete folder at
every instant, even if the process is killed. Where that call is missing (other
systems, some file systems), the fallback is two renames -- the old folder aside
to ``.old-...-NAME``, the new one in -- and a crash between them leaves no folder at
``target``: :func:`recover` (called by every reader of models and runs, and before
every replace) renames the old folder back.

**Hidden names** are ``.tmp-HOST-PID-RANDOM-NAME`` (being written) and
``.old-HOST-PID-RANDOM-NAME`` (set aside): HOST is a short hash of the machine's
name and PID the writing process. Such a name is never a model or a run. One left
by a process of this machine that no longer runs is stale: :func:`clean_stale`
removes stale ``.tmp`` entries when a new write to the same target starts (a
stale ``.old`` one is first put back by :func:`recover` if ``target`` is missing).

**Symbolic links**: writing to a link writes to what it points to; the link stays.
A link that points nowhere is refused.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import os
import re
import secrets
import shutil
import socket
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "atomic_file", "clean_stale", "fsync_dir", "fsync_file", "is_hidden_name", "recover", "replace_dir",
    "resolve_link", "staging_dir", "write_atomic",
]  # fmt: skip

_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
_HIDDEN = re.compile(r"^\.(tmp|old)-([0-9a-f]{6})-(\d+)-[0-9a-f]{8}-(.+)$", re.DOTALL)


def _hidden_name(target: Path, kind: str) -> Path:
    """A fresh hidden name beside ``target``: ``.<kind>-HOST-PID-RANDOM-NAME``.

    It ends like ``target``, so a reader that goes by the suffix (``.gz``, ...)
    reads the temporary as it will read the target.
    """
    return target.with_name(f".{kind}-{_HOST}-{os.getpid()}-{secrets.token_hex(4)}-{target.name}")


def is_hidden_name(path: str | os.PathLike[str]) -> bool:
    """True when ``path``'s name is one of this module's temporary names (never a model or a run)."""
    return _HIDDEN.match(Path(path).name) is not None


def _process_gone(host: str, pid: int) -> bool:
    """True when ``pid`` of this machine no longer runs (a name of another machine: never known)."""
    if host != _HOST or os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it runs, as another user
        return False
    return False


def _leftovers(target: Path, kind: str) -> list[tuple[Path, bool]]:
    """Hidden ``kind`` entries (tmp/old) beside ``target`` for its name, with whether each is stale."""
    found = []
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return []
    for entry in siblings:
        match = _HIDDEN.match(entry.name)
        if match and match.group(1) == kind and match.group(4) == target.name:
            found.append((entry, _process_gone(match.group(2), int(match.group(3)))))
    return found


def recover(target: str | os.PathLike[str]) -> bool:
    """Put back a folder set aside by a replace that was killed half-way; True if it did.

    Only when ``target`` does not exist and a stale ``.old-...-NAME`` entry for it
    does (the newest one, if several). See the module notes.
    """
    target = Path(target)
    if target.exists() or target.is_symlink():
        return False
    stale = [entry for entry, gone in _leftovers(target, "old") if gone]
    if not stale:
        return False
    newest = max(stale, key=lambda entry: entry.stat().st_mtime)
    try:
        os.rename(newest, target)
    except OSError:
        return False
    fsync_dir(target.parent)
    return True


def clean_stale(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the stale ``.tmp`` entries for ``target`` (killed writes); return those of other
    processes or machines still present, which are left alone (a warning names them)."""
    target = Path(target)
    kept = []
    for entry, gone in _leftovers(target, "tmp"):
        if not gone:
            kept.append(entry)
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    return kept


def resolve_link(target: str | os.PathLike[str]) -> Path:
    """``target``, or what it points to when it is a symbolic link (a link that points nowhere is refused).

    Raises
    ------
    FileNotFoundError
        ``target`` is a link to nothing.
    """
    target = Path(target)
    if not target.is_symlink():
        return target
    real = target.resolve()
    if not real.exists():
        raise FileNotFoundError(
            f"'{target}' is a symbolic link to '{real}', which does not exist; give a path that exists, or remove the link"
        )
    return real


def _exists_error(path: Path) -> FileExistsError:
    return FileExistsError(f"'{path}' already exists; use `overwrite` to replace it")


def fsync_file(path: Path) -> None:
    """Flush a file's content to disk."""
    with open(path, "rb+") as f:  # write access: Windows cannot flush a read-only handle
        os.fsync(f.fileno())


def fsync_dir(folder: Path) -> None:
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
    if not overwrite and (path.exists() or path.is_symlink()):
        raise _exists_error(path)
    path = resolve_link(path)  # a link is written through: the file it points to is replaced
    temporary = _hidden_name(path, "tmp")
    os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # the umask applies
    try:
        yield temporary
        fsync_file(temporary)
        _move_file(temporary, path, overwrite)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


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
    target = resolve_link(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    others = clean_stale(target)
    if others:
        warnings.warn(
            f"hidden folders beside '{target}' from other writes that may still run: "
            f"{', '.join(p.name for p in others)}; if none is running, delete them",
            UserWarning,
            stacklevel=3,
        )
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

    An existing folder is swapped with the new one in one atomic step where the
    system has ``renameat2(RENAME_EXCHANGE)`` (Linux), else renamed aside first
    (see the module notes for how a crash then is recovered); the old folder is
    deleted last. A link at ``target`` is followed: the folder it points to is
    replaced and the link stays. Callers decide beforehand whether ``target`` may
    be replaced.

    Parameters
    ----------
    staging : str or path-like
        A finished folder, in the same folder as ``target`` (see :func:`staging_dir`).
    target : str or path-like
        Where it goes.
    """
    staging, target = Path(staging), resolve_link(target)
    if not target.exists():
        os.rename(staging, target)
        fsync_dir(target.parent)
        return
    if target.is_dir() and _exchange(staging, target):
        fsync_dir(target.parent)
        shutil.rmtree(staging)  # now the old folder; if killed here, a stale .tmp entry, cleaned later
        return
    retired = _hidden_name(target, "old")
    os.rename(target, retired)
    _after_set_aside()
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(retired, target)
        raise
    fsync_dir(target.parent)
    if retired.is_dir() and not retired.is_symlink():
        shutil.rmtree(retired)
    else:
        retired.unlink()


def _after_set_aside() -> None:
    """Between the two renames of the fallback; tests replace it to simulate a crash there."""


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_EXCHANGE_UNSUPPORTED = {"EINVAL", "ENOSYS", "ENOTSUP", "EOPNOTSUPP", "EPERM"}


def _renameat2() -> Callable[..., int] | None:
    """libc's ``renameat2``, or None where there is none (not Linux, old glibc, musl without it)."""
    if not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap the entries ``a`` and ``b`` atomically; False where the system or file system cannot."""
    if _RENAMEAT2 is None:
        return False
    result = _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if errno.errorcode.get(code) in _EXCHANGE_UNSUPPORTED:
        return False
    raise OSError(code, f"cannot replace '{b}': {os.strerror(code)}")
