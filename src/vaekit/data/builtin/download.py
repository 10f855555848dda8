"""Opt-in downloads of the built-in datasets' files.

Nothing here runs unless a user asks for it (``load(..., download=True)``). Each
file is streamed into a temporary file in the destination directory
(:func:`vaekit._atomic.atomic_file`), checked (md5 of its uncompressed content,
and an optional structural check), and only then renamed into place; a failed or
corrupt download leaves no file behind. The base URLs live in :data:`BASE_URLS`, looked up at call time, so
tests (or a mirror) can point them elsewhere.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from vaekit._atomic import atomic_file

__all__ = ["BASE_URLS", "DownloadError", "content_md5", "download_file", "download_files"]

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FREY_FACES_URL = "https://cs.nyu.edu/~roweis/data/frey_rawface.mat"

# dataset name -> base URL; a file's URL is the base URL + the file name
BASE_URLS: dict[str, str] = {
    "mnist": MNIST_URL,
    "fashion-mnist": FASHION_MNIST_URL,
    "frey-faces": FREY_FACES_URL.rsplit("/", 1)[0] + "/",
}
TIMEOUT_S = 60.0
_CHUNK = 1 << 20

logger = logging.getLogger(__name__)


class DownloadError(OSError):
    """A file could not be fetched (network error, HTTP error, timeout)."""


def content_md5(path: str | os.PathLike[str], *, gz: bool | None = None) -> str:
    """Return the md5 hex digest of a file's content.

    Parameters
    ----------
    path : str or path-like
        The file.
    gz : bool or None, default=None
        Hash the *decompressed* content; ``None`` means "if the name ends in .gz".

    Returns
    -------
    digest : str
        32 hexadecimal characters.
    """
    path = Path(path)
    gz = path.name.endswith(".gz") if gz is None else gz
    digest = hashlib.md5()
    try:
        with gzip.open(path, "rb") if gz else open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{path}: not a valid gzip file ({exc})") from exc
    return digest.hexdigest()


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    *,
    md5: str | None = None,
    validate: Callable[[Path], object] | None = None,
    timeout: float = TIMEOUT_S,
) -> Path:
    """Fetch ``url`` into ``dest`` atomically, verifying it before it appears.

    Parameters
    ----------
    url : str
        What to fetch.
    dest : str or path-like
        Final file path; its directory is created if needed.
    md5 : str or None, default=None
        Expected md5 of the content (of the decompressed content when ``dest``
        ends in ``.gz``).
    validate : callable or None, default=None
        Called with the temporary file's path; raises ``ValueError`` if the
        content is not acceptable (structural check for files without a known md5).
    timeout : float, default=60.0
        Seconds to wait for the server on each blocking operation.

    Returns
    -------
    dest : Path
        The written file.

    Raises
    ------
    DownloadError
        If the server cannot be reached or answers with an error.
    ValueError
        If the content has the wrong md5 or fails ``validate``; the temporary
        file is deleted and ``dest`` is left untouched.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(dest, overwrite=True) as tmp:
        logger.info("downloading %s -> %s", url, dest)
        try:
            with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
        except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DownloadError(
                f"could not download {url}: {reason}; without internet access, copy the file to {dest} instead"
            ) from exc
        if md5 is not None:
            found = content_md5(tmp, gz=dest.name.endswith(".gz"))
            if found != md5.lower():
                raise ValueError(
                    f"downloaded {url} is not the expected content of {dest.name} (md5 {found}, expected {md5}); "
                    f"nothing was written to {dest}"
                )
        if validate is not None:
            try:
                validate(tmp)
            except ValueError as exc:
                raise ValueError(
                    f"downloaded {url} is not a valid {dest.name}: {exc}; nothing was written to {dest}"
                ) from exc
    return dest


def download_files(
    base_url: str,
    names: Iterable[str],
    directory: str | os.PathLike[str],
    *,
    md5s: dict[str, str] | None = None,
    validate: Callable[[str, Path], object] | None = None,
    timeout: float = TIMEOUT_S,
) -> list[Path]:
    """Fetch ``base_url + name`` into ``directory / name`` for each name.

    Parameters
    ----------
    base_url : str
        URL prefix ending with ``/``.
    names : iterable of str
        File names to fetch.
    directory : str or path-like
        Destination directory (created if needed).
    md5s : dict or None, default=None
        Expected content md5 per file name; names absent from it are not hashed.
    validate : callable or None, default=None
        ``validate(name, temporary_path)``, see :func:`download_file`.
    timeout : float, default=60.0
        Seconds to wait for the server on each blocking operation.

    Returns
    -------
    paths : list of Path
        The written files, in the order of ``names``.
    """
    md5s = md5s or {}
    paths = []
    for name in names:
        check = None if validate is None else (lambda tmp, name=name: validate(name, tmp))
        paths.append(
            download_file(base_url + name, Path(directory) / name, md5=md5s.get(name), validate=check, timeout=timeout)
        )
    return paths
