"""Built-in datasets: ``load``, ``list`` and ``describe`` (``vaekit.datasets``).

Two sets are embedded and need no files: ``digits`` (scikit-learn's 8x8 digits)
and ``latent-factors`` (generated from two known hidden factors, see
:mod:`vaekit.data.builtin.synthetic`). Three are read from files the user provides:
``mnist``, ``fashion-mnist`` and ``frey-faces``, each from its own subfolder of a
data directory (``DIR/mnist/train-images-idx3-ubyte.gz``, ...). Data directories
are searched in this order, and the first whose subfolder holds every file the
request needs wins:

1. the ``data_dir`` argument;
2. the environment variable ``VAEKIT_DATA``;
3. the cache folder ``$XDG_CACHE_HOME/vaekit`` (by default ``~/.cache/vaekit``).

Files are verified on every load -- the md5 of their content where it is known
(MNIST, Frey faces), their structure and sample counts otherwise -- and nothing is
cached. ``download=True`` fetches missing files into the first of those
directories (:mod:`vaekit.data.builtin.download`); nothing ever touches the
network otherwise. What each set is and how its files are read is in
:mod:`vaekit.data.builtin.sets`.
"""

from __future__ import annotations

import builtins
import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from vaekit.data.builtin import download as _download
from vaekit.data.builtin.sets import EXPECTED_MD5, REGISTRY, Spec, check_raw

__all__ = ["ENV_VAR", "EXPECTED_MD5", "DatasetInfo", "DatasetNotFoundError", "cache_dir", "describe", "list", "load"]

ENV_VAR = "VAEKIT_DATA"


class DatasetNotFoundError(FileNotFoundError, ValueError):
    """The files of a dataset are in none of the searched directories."""


@dataclass(frozen=True)
class DatasetInfo:
    """What a built-in dataset holds and where its files are.

    Attributes
    ----------
    name : str
        The name to pass to :func:`load`.
    description : str
        One line: what the data is and where it comes from.
    sample_shape : tuple of int
        Shape of one sample ``X[i]``, e.g. ``(28, 28)``.
    target : str
        What the second returned array ``y`` holds.
    n_samples : dict
        Number of samples :func:`load` returns for each valid ``split`` value
        (``None`` means all of them), e.g. ``{None: 70000, "train": 60000, "test": 10000}``.
    splits : tuple of str
        The named splits; empty when ``split`` must be ``None``.
    source : {"embedded", "files"}
        Whether the data ships with vaekit or is read from files.
    where : Path or None
        The directory :func:`load` would read from; ``None`` for embedded sets
        and when the files were not found.
    files : tuple of str
        The file names the set is read from (empty for embedded sets).
    present : bool
        Whether every file was found (always ``True`` for embedded sets).
    """

    name: str
    description: str
    sample_shape: tuple[int, ...]
    target: str
    n_samples: dict[str | None, int]
    splits: tuple[str, ...]
    source: Literal["embedded", "files"]
    where: Path | None
    files: tuple[str, ...]
    present: bool


# ---------------------------------------------------------------- where files are


def cache_dir() -> Path:
    """The default data directory: ``$XDG_CACHE_HOME/vaekit`` or ``~/.cache/vaekit``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "vaekit"


def _candidates(data_dir: str | os.PathLike[str] | None) -> builtins.list[tuple[Path, str]]:
    """Data directories to search, in order, each with where it came from."""
    found = []
    if data_dir is not None:
        found.append((Path(data_dir).expanduser(), "data_dir argument"))
    if env := os.environ.get(ENV_VAR):
        found.append((Path(env).expanduser(), f"{ENV_VAR} environment variable"))
    found.append((cache_dir(), "default cache folder"))
    return found


def _find(spec: Spec, names: tuple[str, ...], data_dir: str | os.PathLike[str] | None) -> Path | None:
    """The first set subfolder holding every file in ``names``, or None."""
    for root, _ in _candidates(data_dir):
        if all((root / spec.name / name).is_file() for name in names):
            return root / spec.name
    return None


def _not_found(spec: Spec, names: tuple[str, ...], data_dir: str | os.PathLike[str] | None) -> DatasetNotFoundError:
    lines = [f"dataset {spec.name!r} needs the files {', '.join(names)}; looked in:"]
    for root, origin in _candidates(data_dir):
        folder = root / spec.name
        missing = [name for name in names if not (folder / name).is_file()]
        state = "does not exist" if not folder.is_dir() else "missing " + ", ".join(missing)
        lines.append(f"  {folder} ({origin}): {state}")
    if not os.environ.get(ENV_VAR):
        lines.append(f"  ({ENV_VAR} is not set)")
    lines += [
        "To provide them, either",
        f"  - pass `data_dir`=DIR, where DIR/{spec.name}/ holds the files,",
        f"  - set the environment variable {ENV_VAR}=DIR,",
        f"  - copy the files into {cache_dir() / spec.name}/, or",
        f"  - with internet access, use download=True to fetch them from {_download.BASE_URLS[spec.name]}",
    ]
    return DatasetNotFoundError("\n".join(lines))


# ---------------------------------------------------------------- public API


def _spec(name: str) -> Spec:
    if not isinstance(name, str):
        raise ValueError(f"a dataset name must be a string, got {name!r}; valid names: {', '.join(REGISTRY)}")
    key = name.strip().lower().replace("_", "-")
    if key in REGISTRY:
        return REGISTRY[key]
    close = difflib.get_close_matches(key, REGISTRY, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown dataset {name!r}.{hint} Valid names: {', '.join(REGISTRY)}")


def _check_split(spec: Spec, split: str | None) -> None:
    if (split is None or isinstance(split, str)) and split in spec.sizes:
        return
    if len(spec.sizes) == 1:
        raise ValueError(f"dataset {spec.name!r} has no splits: `split` must be None, got {split!r}")
    valid = ", ".join(repr(s) for s in spec.sizes)
    raise ValueError(f"invalid `split` {split!r} for dataset {spec.name!r}; valid splits: {valid} (None: all)")


def load(
    name: str,
    split: str | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Load a built-in dataset.

    Parameters
    ----------
    name : str
        One of :func:`list`: ``"digits"``, ``"latent-factors"``, ``"mnist"``,
        ``"fashion-mnist"``, ``"frey-faces"``.
    split : str or None, default=None
        ``"train"`` or ``"test"`` for the MNIST sets; ``None`` returns every
        sample (for MNIST: train then test). Sets without splits accept only ``None``.
    data_dir : str, path-like or None, default=None
        Directory searched first for ``<data_dir>/<name>/<files>``; then
        ``$VAEKIT_DATA``, then the cache folder (see :func:`cache_dir`).
    download : bool, default=False
        Fetch missing files from the internet into the first of those directories.

    Returns
    -------
    X : ndarray of shape (n_samples, *sample_shape), float32
        ``(1797, 8, 8)`` digits, ``(2000, 6)`` latent-factors, ``(n, 28, 28)``
        MNIST sets, ``(1965, 28, 20)`` Frey faces. Images are scaled to [0, 1].
    y : ndarray of shape (n_samples,) int64, ndarray of shape (n_samples, 2) float32, or None
        Class labels, the true factors of ``latent-factors``, or None for Frey faces.

    Raises
    ------
    ValueError
        For an unknown name or split, or a file that is corrupt or not the
        expected content (the message names the file).
    DatasetNotFoundError
        (a ``FileNotFoundError`` and a ``ValueError``) when the files are missing
        and ``download`` is False; the message lists where it looked.

    Examples
    --------
    >>> X, y = load("digits")
    >>> X.shape, X.dtype, y[:5]
    ((1797, 8, 8), dtype('float32'), array([0, 1, 2, 3, 4]))
    """
    spec = _spec(name)
    _check_split(spec, split)
    if not spec.file_shapes:
        return spec.read(spec, None, split)
    names = spec.split_files[split]
    folder = _find(spec, names, data_dir)
    if folder is None:
        if not download:
            raise _not_found(spec, names, data_dir)
        folder = _candidates(data_dir)[0][0] / spec.name
        missing = [name for name in names if not (folder / name).is_file()]
        _download.download_files(
            _download.BASE_URLS[spec.name],
            missing,
            folder,
            md5s=EXPECTED_MD5.get(spec.name),
            # the downloader checks the md5; also check structure before renaming into place
            validate=lambda file_name, tmp: check_raw(spec, tmp, file_name, check_md5=False),
        )
    return spec.read(spec, folder, split)


def describe(name: str, data_dir: str | os.PathLike[str] | None = None) -> DatasetInfo:
    """Describe a built-in dataset without reading its data.

    Parameters
    ----------
    name : str
        A name from :func:`list`.
    data_dir : str, path-like or None, default=None
        Searched first for the files, as in :func:`load`.

    Returns
    -------
    info : DatasetInfo
    """
    spec = _spec(name)
    folder = _find(spec, spec.files, data_dir) if spec.file_shapes else None
    return DatasetInfo(
        name=spec.name,
        description=spec.description,
        sample_shape=spec.sample_shape,
        target=spec.target,
        n_samples=dict(spec.sizes),
        splits=tuple(s for s in spec.sizes if s is not None),
        source="files" if spec.file_shapes else "embedded",
        where=folder,
        files=spec.files,
        present=folder is not None or not spec.file_shapes,
    )


def list() -> builtins.list[str]:
    """Names of the built-in datasets, embedded ones first.

    Returns
    -------
    names : list of str
    """
    return builtins.list(REGISTRY)
