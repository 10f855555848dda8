"""The built-in datasets themselves: what each holds, which files it needs, how it is read.

One :class:`Spec` per set in :data:`REGISTRY`, in the order :func:`vaekit.data.builtin.list`
gives: ``digits`` and ``latent-factors`` are embedded; ``mnist`` and ``fashion-mnist``
are read from the four IDX files of each; ``frey-faces`` from ``frey_rawface.mat``.
Every file is checked on every read: its md5 where :data:`EXPECTED_MD5` knows it,
and always its dtype and shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vaekit.data.builtin.download import content_md5
from vaekit.data.builtin.synthetic import make_latent_factors
from vaekit.data.idx import read_idx

__all__ = ["EXPECTED_MD5", "REGISTRY", "Spec", "check_raw"]

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

_Arrays = tuple[np.ndarray, np.ndarray | None]


@dataclass(frozen=True)
class Spec:
    """How to produce one dataset; one entry of :data:`REGISTRY`."""

    name: str
    description: str
    target: str
    sample_shape: tuple[int, ...]
    sizes: dict[str | None, int]  # samples returned per valid split value
    read: Callable[[Spec, Path | None, str | None], _Arrays]
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

    if md5 is not None and (found := content_md5(path, gz=False)) != md5:
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


def check_raw(spec: Spec, path: Path, name: str, *, check_md5: bool = True) -> np.ndarray:
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


def _read_digits(spec: Spec, folder: Path | None, split: str | None) -> _Arrays:
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)  # (1797, 8, 8) in [0, 1]
    return X, digits.target.astype(np.int64)  # (1797,)


def _read_latent_factors(spec: Spec, folder: Path | None, split: str | None) -> _Arrays:
    return make_latent_factors()  # (2000, 6), (2000, 2)


_IDX_SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def _read_idx_images(spec: Spec, folder: Path | None, split: str | None) -> _Arrays:
    assert folder is not None
    parts = tuple(_IDX_SPLIT_FILES) if split is None else (split,)
    X = np.empty((spec.sizes[split], *spec.sample_shape), dtype=np.float32)  # (n, 28, 28)
    y = np.empty(spec.sizes[split], dtype=np.int64)  # (n,)
    start = 0
    for part in parts:
        images_name, labels_name = _IDX_SPLIT_FILES[part]
        images = check_raw(spec, folder / images_name, images_name)  # (n_part, 28, 28) uint8
        labels = check_raw(spec, folder / labels_name, labels_name)  # (n_part,) uint8
        if labels.max() > 9:
            raise ValueError(f"{folder / labels_name}: labels must be 0..9, found {int(labels.max())}")
        stop = start + len(images)
        np.divide(images, np.float32(255), out=X[start:stop])
        y[start:stop] = labels
        start = stop
    return X, y


def _read_frey_faces(spec: Spec, folder: Path | None, split: str | None) -> _Arrays:
    assert folder is not None
    ff = check_raw(spec, folder / "frey_rawface.mat", "frey_rawface.mat")  # (560, 1965) uint8
    faces = ff.T.reshape(-1, *spec.sample_shape)  # (1965, 28, 20): each column is one row-major image
    return np.divide(faces, np.float32(255), dtype=np.float32), None


def _idx_spec(name: str, description: str) -> Spec:
    sizes: dict[str | None, int] = {"train": 60000, "test": 10000}
    file_shapes: dict[str, tuple[int, ...]] = {}
    split_files: dict[str | None, tuple[str, ...]] = {}
    for part, (images_name, labels_name) in _IDX_SPLIT_FILES.items():
        file_shapes[images_name] = (sizes[part], 28, 28)
        file_shapes[labels_name] = (sizes[part],)
        split_files[part] = (images_name, labels_name)
    return Spec(
        name=name,
        description=description,
        target="int64 class labels 0-9, shape (n,)",
        sample_shape=(28, 28),
        sizes={None: sum(sizes.values()), **sizes},
        read=_read_idx_images,
        file_shapes=file_shapes,
        split_files={None: tuple(file_shapes), **split_files},
        read_file=read_idx,
    )


REGISTRY: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec(
            name="digits",
            description="scikit-learn's 8x8 handwritten digits (UCI), pixels scaled to [0, 1]",
            target="int64 class labels 0-9, shape (n,)",
            sample_shape=(8, 8),
            sizes={None: 1797},
            read=_read_digits,
        ),
        Spec(
            name="latent-factors",
            description="6 features generated by a smooth nonlinear map from 2 known factors plus noise",
            target="float32 true hidden factors, shape (n, 2)",
            sample_shape=(6,),
            sizes={None: 2000},
            read=_read_latent_factors,
        ),
        _idx_spec("mnist", "MNIST handwritten digits (LeCun, Cortes, Burges), 28x28, pixels scaled to [0, 1]"),
        _idx_spec("fashion-mnist", "Fashion-MNIST clothing images (Zalando), 28x28, pixels scaled to [0, 1]"),
        Spec(
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
