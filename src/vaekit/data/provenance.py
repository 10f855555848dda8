"""Where a run's data came from, and whether it is still there as it was.

``vaekit train`` records the file or folder it read (:func:`source_record`: its
absolute path and a digest) in the model's ``read_options_``; ``vaekit explore RUN``
without DATA reads it again from there, after :func:`check_source` has said whether
it is gone or changed since.

The digest is cheap for data of any size: a file's size and modification time, and
the SHA-256 of its bytes when it holds at most :data:`HASHED_BYTES` (a larger file is
judged by size and time alone); a folder's SHA-256 over its files' relative names,
sizes and modification times (their bytes are not read).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from vaekit.data.loaded import DataFileError, quoted

__all__ = ["HASHED_BYTES", "check_source", "digest", "source_record"]

HASHED_BYTES = 64 << 20
"""Files up to this size (64 MiB, a fraction of a second) are hashed whole; larger ones by size and time."""
PATH_KEY, DIGEST_KEY = "data_path", "data_digest"
"""The keys :func:`source_record` adds to ``read_options_`` (not options of ``read_data``)."""


def digest(path: Path) -> dict[str, Any]:
    """A record of the file or folder at ``path`` that changes when its contents do (JSON types)."""
    if path.is_dir():
        listing = hashlib.sha256()
        n_files = 0
        for folder, subfolders, files in os.walk(path):
            subfolders.sort()
            for name in sorted(files):
                file = Path(folder, name)
                stat = file.stat()
                listing.update(f"{file.relative_to(path).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
                n_files += 1
        return {"kind": "folder", "files": n_files, "listing_sha256": listing.hexdigest()}
    stat = path.stat()
    record: dict[str, Any] = {"kind": "file", "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if stat.st_size <= HASHED_BYTES:
        content = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                content.update(block)
        record["sha256"] = content.hexdigest()
    return record


def source_record(source: str) -> dict[str, Any]:
    """``{"data_path": absolute path, "data_digest": digest}`` for a file or folder; {} for a built-in dataset."""
    path = Path(os.path.expanduser(str(source)))
    if not path.exists():
        return {}
    return {PATH_KEY: str(path.resolve()), DIGEST_KEY: digest(path)}


def _changed(recorded: dict[str, Any], now: dict[str, Any]) -> str | None:
    """What differs between two digests of the same path, in words; None when nothing does."""
    if recorded.get("kind") != now.get("kind"):
        return f"it was a {recorded.get('kind')} and is now a {now.get('kind')}"
    if now["kind"] == "folder":
        if recorded.get("listing_sha256") == now.get("listing_sha256"):
            return None
        files = f"{recorded.get('files')} files then, {now.get('files')} now"
        return f"its files' names, sizes or times differ ({files})"
    if "sha256" in recorded and "sha256" in now:  # the bytes decide: a copy with a new time is the same data
        return None if recorded["sha256"] == now["sha256"] else _size_change(recorded, now) or "its bytes differ"
    if recorded.get("size") == now.get("size") and recorded.get("mtime_ns") == now.get("mtime_ns"):
        return None
    return _size_change(recorded, now) or "its modification time differs"


def _size_change(recorded: dict[str, Any], now: dict[str, Any]) -> str | None:
    if recorded.get("size") != now.get("size"):
        return f"{recorded.get('size'):,} bytes then, {now.get('size'):,} now"
    return None


def check_source(options: dict[str, Any] | None, what: str, fix: str) -> tuple[str, str | None] | None:
    """The recorded data of a model: ``(absolute path, a note when it changed since)``, or None
    when ``options`` (a model's ``read_options_``) records none (a model from an older vaekit,
    a built-in dataset).

    ``what`` names the model in messages, ``fix`` says what to give instead.

    Raises
    ------
    DataFileError
        The recorded file or folder is gone.
    """
    if not options or not isinstance(options.get(PATH_KEY), str):
        return None
    path = Path(options[PATH_KEY])
    if not path.exists():
        raise DataFileError(f"{what} was trained on {quoted(path)}, which is gone; {fix}")
    recorded = options.get(DIGEST_KEY)
    if not isinstance(recorded, dict):
        return str(path), None
    change = _changed(recorded, digest(path))
    if change is None:
        return str(path), None
    return str(path), f"{quoted(path)} changed since {what} was trained on it ({change}); read as it is now"
