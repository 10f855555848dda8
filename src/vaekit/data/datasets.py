"""Built-in datasets: ``load``, ``list`` and ``describe``.

Two sets are embedded and need no files: ``digits`` (scikit-learn's 8x8 digits)
and ``latent-factors`` (generated from two known hidden factors, see
:mod:`vaekit.data.synthetic`). Three are read from files the user provides:
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
directories; nothing ever touches the network otherwise.
"""

from __future__ import annotations

import builtins
import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from vaekit.data import download as _download
from vaekit.data.idx import read_idx
from vaekit.data.synthetic import make_latent_factors

ENV_VAR = "VAEKIT_DATA"

# dataset -> file name -> md5 of the file's content (uncompressed, for .gz files).
# Looked up at load time; sets without an entry are checked by structure only.
EXPECTED_MD5: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
    },
    "frey-faces": {"frey_rawface.mat": "5aeb024d42b8a6091f30e5eb18c8a48d"},
}


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


_Arrays = tuple[np.ndarray, np.ndarray | None]


@dataclass(frozen=True)
class _Spec:
    """How to produce one dataset; one entry of the registry."""

    name: str
    description: str
    target: str
    sample_shape: tuple[int, ...]
    sizes: dict[str | None, int]  # samples returned per valid split value
    read: Callable[[_Spec, Path | None, str | None], _Arrays]
    file_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # raw uint8 shape per file
    split_files: dict[str | None, tuple[str, ...]] = field(default_factory=dict)
    read_file: Callable[..., np.ndarray] | None = None  # (path, *, md5) -> raw array

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(self.file_shapes)


# ---------------------------------------------------------------- reading files


def _read_mat_ff(path: Path, *, md5: str | None = None) -> np.ndarray:
    """Read the variable ``ff`` of a MATLAB file, after checking the file's md5."""
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    if md5 is not None and (found := _download.content_md5(path, gz=False)) != md5:
        raise ValueError(
            f"{path}: not the expected content of {path.name} (md5 {found}, expected {md5}); "
            "the file is corrupt or a different version: delete it and copy or download it again"
        )
    try:
        mat = loadmat(path)
    except (MatReadError, ValueError, TypeError, OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable MATLAB file ({exc})") from exc
    if "ff" not in mat:
        found_names = ", ".join(k for k in mat if not k.startswith("__")) or "none"
        raise ValueError(f"{path}: no variable 'ff' (variables found: {found_names})")
    return mat["ff"]


def _check_raw(spec: _Spec, path: Path, name: str, *, check_md5: bool = True) -> np.ndarray:
    """Read file ``name`` of ``spec`` from ``path``; check its md5, dtype and shape."""
    assert spec.read_file is not None
    md5 = EXPECTED_MD5.get(spec.name, {}).get(name) if check_md5 else None
    array = spec.read_file(path, md5=md5)
    expected = spec.file_shapes[name]
    if array.dtype != np.uint8 or array.shape != expected:
        raise ValueError(
            f"{path}: not a valid {name} for {spec.name}: expected uint8 data of shape {expected}, "
            f"found {array.dtype} of shape {array.shape}"
        )
    return array


# ---------------------------------------------------------------- one reader per kind


def _read_digits(spec: _Spec, folder: Path | None, split: str | None) -> _Arrays:
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)  # (1797, 8, 8) in [0, 1]
    return X, digits.target.astype(np.int64)  # (1797,)


def _read_latent_factors(spec: _Spec, folder: Path | None, split: str | None) -> _Arrays:
    return make_latent_factors()  # (2000, 6), (2000, 2)


_IDX_SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def _read_idx_images(spec: _Spec, folder: Path | None, split: str | None) -> _Arrays:
    assert folder is not None
    parts = tuple(_IDX_SPLIT_FILES) if split is None else (split,)
    X = np.empty((spec.sizes[split], *spec.sample_shape), dtype=np.float32)  # (n, 28, 28)
    y = np.empty(spec.sizes[split], dtype=np.int64)  # (n,)
    start = 0
    for part in parts:
        images_name, labels_name = _IDX_SPLIT_FILES[part]
        images = _check_raw(spec, folder / images_name, images_name)  # (n_part, 28, 28) uint8
        labels = _check_raw(spec, folder / labels_name, labels_name)  # (n_part,) uint8
        if labels.max() > 9:
            raise ValueError(f"{folder / labels_name}: labels must be 0..9, found {int(labels.max())}")
        stop = start + len(images)
        np.divide(images, np.float32(255), out=X[start:stop])
        y[start:stop] = labels
        start = stop
    return X, y


def _read_frey_faces(spec: _Spec, folder: Path | None, split: str | None) -> _Arrays:
    assert folder is not None
    ff = _check_raw(spec, folder / "frey_rawface.mat", "frey_rawface.mat")  # (560, 1965) uint8
    faces = ff.T.reshape(-1, *spec.sample_shape)  # (1965, 28, 20): each column is one row-major image
    return np.divide(faces, np.float32(255), dtype=np.float32), None


def _idx_spec(name: str, description: str) -> _Spec:
    sizes = {"train": 60000, "test": 10000}
    file_shapes = {}
    for part, (images_name, labels_name) in _IDX_SPLIT_FILES.items():
        file_shapes[images_name] = (sizes[part], 28, 28)
        file_shapes[labels_name] = (sizes[part],)
    return _Spec(
        name=name,
        description=description,
        target="int64 class labels 0-9, shape (n,)",
        sample_shape=(28, 28),
        sizes={None: sum(sizes.values()), **sizes},
        read=_read_idx_images,
        file_shapes=file_shapes,
        split_files={None: tuple(file_shapes), **_IDX_SPLIT_FILES},
        read_file=read_idx,
    )


_REGISTRY: dict[str, _Spec] = {
    spec.name: spec
    for spec in (
        _Spec(
            name="digits",
            description="scikit-learn's 8x8 handwritten digits (UCI), pixels scaled to [0, 1]",
            target="int64 class labels 0-9, shape (n,)",
            sample_shape=(8, 8),
            sizes={None: 1797},
            read=_read_digits,
        ),
        _Spec(
            name="latent-factors",
            description="6 features generated by a smooth nonlinear map from 2 known factors plus noise",
            target="float32 true hidden factors, shape (n, 2)",
            sample_shape=(6,),
            sizes={None: 2000},
            read=_read_latent_factors,
        ),
        _idx_spec("mnist", "MNIST handwritten digits (LeCun, Cortes, Burges), 28x28, pixels scaled to [0, 1]"),
        _idx_spec("fashion-mnist", "Fashion-MNIST clothing images (Zalando), 28x28, pixels scaled to [0, 1]"),
        _Spec(
            name="frey-faces",
            description="Brendan Frey's face images (Roweis & Saul), 28x20, pixels scaled to [0, 1]",
            target="none (y is None)",
            sample_shape=(28, 20),
            sizes={None: 1965},
            read=_read_frey_faces,
            file_shapes={"frey_rawface.mat": (560, 1965)},
            split_files={None: ("frey_rawface.mat",)},
            read_file=_read_mat_ff,
        ),
    )
}


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


def _find(spec: _Spec, names: tuple[str, ...], data_dir: str | os.PathLike[str] | None) -> Path | None:
    """The first set subfolder holding every file in ``names``, or None."""
    for root, _ in _candidates(data_dir):
        if all((root / spec.name / name).is_file() for name in names):
            return root / spec.name
    return None


def _not_found(spec: _Spec, names: tuple[str, ...], data_dir: str | os.PathLike[str] | None) -> DatasetNotFoundError:
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
        f"  - pass data_dir=DIR, where DIR/{spec.name}/ holds the files,",
        f"  - set the environment variable {ENV_VAR}=DIR,",
        f"  - copy the files into {cache_dir() / spec.name}/, or",
        f"  - with internet access, use download=True to fetch them from {_download.BASE_URLS[spec.name]}",
    ]
    return DatasetNotFoundError("\n".join(lines))


# ---------------------------------------------------------------- public API


def _spec(name: str) -> _Spec:
    if not isinstance(name, str):
        raise ValueError(f"a dataset name must be a string, got {name!r}; valid names: {', '.join(_REGISTRY)}")
    key = name.strip().lower().replace("_", "-")
    if key in _REGISTRY:
        return _REGISTRY[key]
    close = difflib.get_close_matches(key, _REGISTRY, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown dataset {name!r}.{hint} Valid names: {', '.join(_REGISTRY)}")


def _check_split(spec: _Spec, split: str | None) -> None:
    if (split is None or isinstance(split, str)) and split in spec.sizes:
        return
    if len(spec.sizes) == 1:
        raise ValueError(f"dataset {spec.name!r} has no splits: split must be None, got {split!r}")
    valid = ", ".join(repr(s) for s in spec.sizes)
    raise ValueError(f"invalid split {split!r} for dataset {spec.name!r}; valid splits: {valid} (None: all)")


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
            validate=lambda file_name, tmp: _check_raw(spec, tmp, file_name, check_md5=False),
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


def list() -> builtins.list[str]:  # noqa: A001 -- the public name is datasets.list()
    """Names of the built-in datasets, embedded ones first.

    Returns
    -------
    names : list of str
    """
    return builtins.list(_REGISTRY)
