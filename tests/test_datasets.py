"""Tests of vaekit.data: built-in datasets, the IDX reader and opt-in downloads.

The file-based sets are read from ``../shared/datasets`` (relative to the
repository root) when it exists; tests that need it skip otherwise. Downloads are
tested against an HTTP server on 127.0.0.1; any other connection fails the test.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat
from sklearn.decomposition import PCA
from sklearn.manifold import Isomap
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.preprocessing import StandardScaler

from vaekit import _atomic as atomic
from vaekit.data import builtin as datasets
from vaekit.data.builtin import DatasetNotFoundError, describe, download, load
from vaekit.data.builtin.synthetic import make_latent_factors
from vaekit.data.idx import read_idx, write_idx

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
IDX_FILES = {  # name -> shape, as in MNIST and Fashion-MNIST
    "train-images-idx3-ubyte.gz": (60000, 28, 28),
    "train-labels-idx1-ubyte.gz": (60000,),
    "t10k-images-idx3-ubyte.gz": (10000, 28, 28),
    "t10k-labels-idx1-ubyte.gz": (10000,),
}
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _needs_shared(name: str) -> Path:
    folder = SHARED / name
    if not folder.is_dir():
        pytest.skip(f"shared dataset folder {folder} is absent (the tests read the real files from ../shared/datasets)")
    return SHARED


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No VAEKIT_DATA, an empty cache folder, and no connection beyond 127.0.0.1."""
    monkeypatch.delenv("VAEKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    real_connect = socket.create_connection

    def loopback_only(address, *args, **kwargs):  # type: ignore[no-untyped-def]
        if address[0] not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"a test tried to reach the network: {address}")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", loopback_only)


def _idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding written independently of vaekit.data.idx."""
    codes = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C, "float32": 0x0D, "float64": 0x0E}
    header = bytes([0, 0, codes[array.dtype.name], array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _fake_idx_set(folder: Path, names: tuple[str, ...] = TEST_FILES) -> dict[str, np.ndarray]:
    """Write structurally valid fake MNIST-like files; return their arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for name in names:
        shape = IDX_FILES[name]
        if len(shape) == 3:
            n = np.arange(shape[0])[:, None, None]
            array = ((n * 7 + np.arange(28)[:, None] + 3 * np.arange(28)) % 256).astype(np.uint8)
        else:
            array = (np.arange(shape[0]) * 3 % 10).astype(np.uint8)
        (folder / name).write_bytes(gzip.compress(_idx_bytes(array), compresslevel=1, mtime=0))
        arrays[name] = array
    return arrays


# ---------------------------------------------------------------- registry


def test_list_names_all_five() -> None:
    names = datasets.list()
    assert names == ["digits", "latent-factors", "mnist", "fashion-mnist", "frey-faces"]
    assert isinstance(names, list)


def test_unknown_name_suggests_closest() -> None:
    with pytest.raises(ValueError, match=r"unknown dataset 'mnsit'\. Did you mean 'mnist'\?") as info:
        load("mnsit")
    for name in datasets.list():
        assert name in str(info.value)


def test_names_are_normalized() -> None:
    assert describe("Fashion_MNIST").name == "fashion-mnist"


@pytest.mark.parametrize("name", ["digits", "latent-factors"])
def test_describe_embedded(name: str) -> None:
    info = describe(name)
    X, _ = load(name)
    assert (info.source, info.where, info.files, info.present, info.splits) == ("embedded", None, (), True, ())
    assert info.n_samples == {None: len(X)}
    assert X.shape[1:] == info.sample_shape


def test_describe_file_sets() -> None:
    info = describe("mnist")
    assert info.source == "files" and info.files == tuple(IDX_FILES)
    assert info.n_samples == {None: 70000, "train": 60000, "test": 10000}
    assert info.splits == ("train", "test") and info.sample_shape == (28, 28)
    assert (info.where, info.present) == (None, False)  # empty cache, no VAEKIT_DATA
    frey = describe("frey-faces")
    assert (frey.files, frey.sample_shape, frey.splits) == (("frey_rawface.mat",), (28, 20), ())
    assert frey.n_samples == {None: 1965}


def test_describe_finds_shared_files() -> None:
    shared = _needs_shared("mnist")
    info = describe("mnist", data_dir=shared)
    assert info.present and info.where == shared / "mnist"


def test_search_order_data_dir_then_env_then_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for root in ("arg", "env", "xdg-cache/vaekit"):
        (tmp_path / root / "frey-faces").mkdir(parents=True)
        (tmp_path / root / "frey-faces" / "frey_rawface.mat").touch()
    assert datasets.cache_dir() == tmp_path / "xdg-cache" / "vaekit"
    assert describe("frey-faces").where == tmp_path / "xdg-cache/vaekit/frey-faces"
    monkeypatch.setenv("VAEKIT_DATA", str(tmp_path / "env"))
    assert describe("frey-faces").where == tmp_path / "env/frey-faces"
    assert describe("frey-faces", data_dir=tmp_path / "arg").where == tmp_path / "arg/frey-faces"
    # a directory without the files is skipped, not chosen
    assert describe("frey-faces", data_dir=tmp_path / "empty").where == tmp_path / "env/frey-faces"


# ---------------------------------------------------------------- embedded sets


def test_digits() -> None:
    X, y = load("digits")
    assert X.shape == (1797, 8, 8) and X.dtype == np.float32
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X * 16, np.round(X * 16))  # 0..16 scaled by 1/16
    assert y.dtype == np.int64 and y.shape == (1797,)
    assert set(np.unique(y)) == set(range(10))


@pytest.mark.parametrize("split", ["train", "test", ""])
def test_digits_rejects_split(split: str) -> None:
    with pytest.raises(ValueError, match="has no splits: `split` must be None"):
        load("digits", split)


def test_mnist_rejects_unknown_split() -> None:
    with pytest.raises(ValueError, match=r"valid splits: None, 'train', 'test'"):
        load("mnist", "validation")


def test_latent_factors_shapes_and_determinism() -> None:
    X, factors = load("latent-factors")
    assert X.shape == (2000, 6) and factors.shape == (2000, 2)
    assert X.dtype == np.float32 and factors.dtype == np.float32
    assert factors.min() >= -1 and factors.max() <= 1
    assert np.all((X.std(axis=0) > 0.3) & (X.std(axis=0) < 1.0))  # comparable scales
    X2, factors2 = load("latent-factors")
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(factors, factors2)
    X3, factors3 = make_latent_factors(random_state=1)
    assert not np.allclose(X, X3) and not np.allclose(factors, factors3)
    X4, _ = make_latent_factors(n_samples=10, noise=0.0)
    assert X4.shape == (10, 6)


@pytest.mark.parametrize("kwargs", [{"n_samples": 0}, {"noise": -0.1}, {"noise": float("nan")}])
def test_latent_factors_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        make_latent_factors(**kwargs)


def _knn_r2(code: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """5-fold cross-validated R² of 10-NN regression from a code to each factor."""
    knn = KNeighborsRegressor(n_neighbors=10)
    return np.array([cross_val_score(knn, code, factors[:, j], cv=5, scoring="r2").mean() for j in range(2)])


def test_latent_factors_need_a_nonlinear_code() -> None:
    X, factors = load("latent-factors")
    pca_r2 = _knn_r2(PCA(n_components=2).fit_transform(StandardScaler().fit_transform(X)), factors)
    isomap_r2 = _knn_r2(Isomap(n_neighbors=10, n_components=2).fit_transform(X), factors)
    true_r2 = _knn_r2(factors, factors)
    assert true_r2.mean() > 0.99
    assert isomap_r2.mean() > 0.9
    assert pca_r2.mean() < 0.7  # measured 0.49: PCA finds factor 1 ...
    assert pca_r2[0] > 0.95 and pca_r2[1] < 0.3  # ... but not factor 2
    assert isomap_r2.mean() - pca_r2.mean() > 0.3


# ---------------------------------------------------------------- file sets, real files


@pytest.fixture(scope="module")
def mnist_train() -> tuple[np.ndarray, np.ndarray]:
    return load("mnist", "train", data_dir=_needs_shared("mnist"))


def test_mnist_train(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = mnist_train
    assert X.shape == (60000, 28, 28) and X.dtype == np.float32
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_allclose(X[:100] * 255, np.round(X[:100] * 255), atol=1e-4)
    assert y.shape == (60000,) and y.dtype == np.int64
    assert y[:5].tolist() == [5, 0, 4, 1, 9]  # the well-known first training labels
    assert np.bincount(y).min() > 5000


def test_mnist_test_split_via_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAEKIT_DATA", str(_needs_shared("mnist")))
    X, y = load("mnist", "test")
    assert X.shape == (10000, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() >= 0.0 and X.max() <= 1.0
    assert y[:5].tolist() == [7, 2, 1, 0, 4]


def test_mnist_all_is_train_then_test(mnist_train: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = load("mnist", data_dir=_needs_shared("mnist"))
    assert X.shape == (70000, 28, 28) and y.shape == (70000,)
    np.testing.assert_array_equal(X[:60000:997], mnist_train[0][::997])
    np.testing.assert_array_equal(y[:60000], mnist_train[1])
    assert y[60000:60005].tolist() == [7, 2, 1, 0, 4]


@pytest.mark.parametrize("via", ["data_dir", "env"])
def test_frey_faces(via: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = _needs_shared("frey-faces")
    if via == "env":
        monkeypatch.setenv("VAEKIT_DATA", str(shared))
    X, y = load("frey-faces", data_dir=shared if via == "data_dir" else None)
    assert X.shape == (1965, 28, 20) and X.dtype == np.float32 and y is None
    assert 0.0 <= X.min() < 0.1 and 0.9 < X.max() <= 1.0
    np.testing.assert_allclose(X * 255, np.round(X * 255), atol=1e-4)


# ---------------------------------------------------------------- IDX reader


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
def test_idx_round_trip(tmp_path: Path, suffix: str, dtype: str) -> None:
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    content = _idx_bytes(array)
    path = tmp_path / f"a-idx{suffix}"
    path.write_bytes(gzip.compress(content) if suffix else content)
    read = read_idx(path, md5=hashlib.md5(content).hexdigest())
    assert read.dtype == np.dtype(dtype) and read.dtype.isnative
    np.testing.assert_array_equal(read, array)
    written = write_idx(tmp_path / f"b-idx{suffix}", array)
    np.testing.assert_array_equal(read_idx(written), array)
    assert (gzip.decompress(written.read_bytes()) if suffix else written.read_bytes()) == content
    assert sorted(os.listdir(tmp_path)) == [f"a-idx{suffix}", f"b-idx{suffix}"]  # no temporary file left


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(gzip.compress(content) if path.name.endswith(".gz") else content)
    return path


GOOD = _idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (GOOD[:-1], "truncated IDX file"),
        (GOOD[:2], "truncated IDX file"),
        (GOOD[:10], "truncated IDX header"),
        (GOOD + b"\0", "1 unexpected bytes"),
        (b"\x01" + GOOD[1:], "bad magic number"),
        (GOOD[:2] + b"\x07" + GOOD[3:], "unknown IDX type code 0x07"),
    ],
    ids=["short-data", "short-magic", "short-header", "extra-bytes", "bad-magic", "bad-type"],
)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_errors_name_the_file(tmp_path: Path, content: bytes, message: str, suffix: str) -> None:
    path = _write(tmp_path / f"broken-idx{suffix}", content)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_idx_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(GOOD * 100)[:-20])
    with pytest.raises(ValueError, match="truncated gzip file") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_idx_wrong_md5(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.gz", GOOD)
    with pytest.raises(ValueError, match="not the expected content of x.gz"):
        read_idx(path, md5="0" * 32)


def test_fake_mnist_file_is_rejected_by_md5(tmp_path: Path) -> None:
    _fake_idx_set(tmp_path / "mnist")
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz: not the expected content"):
        load("mnist", "test", data_dir=tmp_path)


def test_fashion_mnist_checks_structure(tmp_path: Path) -> None:
    arrays = _fake_idx_set(tmp_path / "fashion-mnist")
    X, y = load("fashion-mnist", "test", data_dir=tmp_path)  # no md5 known: structure only
    np.testing.assert_array_equal(X, arrays["t10k-images-idx3-ubyte.gz"] / np.float32(255))
    np.testing.assert_array_equal(y, arrays["t10k-labels-idx1-ubyte.gz"])
    labels = tmp_path / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(_idx_bytes(np.zeros(9999, np.uint8))))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte.gz: not a valid .* shape \(10000,\)"):
        load("fashion-mnist", "test", data_dir=tmp_path)


def test_fake_frey_faces_is_rejected_by_md5(tmp_path: Path) -> None:
    (tmp_path / "frey-faces").mkdir()
    savemat(tmp_path / "frey-faces" / "frey_rawface.mat", {"ff": np.zeros((560, 1965), np.uint8)})
    with pytest.raises(ValueError, match="frey_rawface.mat: not the expected content"):
        load("frey-faces", data_dir=tmp_path)


# ---------------------------------------------------------------- missing files


def test_missing_files_error_lists_directories_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAEKIT_DATA", str(tmp_path / "env"))
    (tmp_path / "arg" / "fashion-mnist").mkdir(parents=True)
    (tmp_path / "arg" / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").touch()
    with pytest.raises(DatasetNotFoundError) as info:
        load("fashion-mnist", "test", data_dir=tmp_path / "arg")
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ValueError)
    message = str(info.value)
    for folder in ("arg", "env", "xdg-cache/vaekit"):
        assert str(tmp_path / folder / "fashion-mnist") in message
    assert "missing t10k-images-idx3-ubyte.gz\n" in message  # the labels file is there
    assert "t10k-labels-idx1-ubyte.gz" in message and "train-images" not in message  # only what the split needs
    for hint in ("`data_dir`=", "VAEKIT_DATA=", "download=True", "copy the files into"):
        assert hint in message


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "frey-faces"])
def test_missing_files_all_sets(name: str) -> None:
    with pytest.raises(FileNotFoundError) as info:
        load(name)
    for file_name in describe(name).files:
        assert file_name in str(info.value)


# ---------------------------------------------------------------- downloads


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    """An HTTP server on 127.0.0.1 serving tmp_path/served; yields (base_url, folder)."""
    served = tmp_path / "served"
    served.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(served)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", served
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_download_file_is_atomic_and_checked(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base_url, served = server
    (served / "x.gz").write_bytes(gzip.compress(b"hello idx"))
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy_replace(src: str, dst: str) -> None:
        renames.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy_replace)
    dest = tmp_path / "data" / "x.gz"
    download.download_file(base_url + "x.gz", dest, md5=hashlib.md5(b"hello idx").hexdigest())
    assert dest.read_bytes() == (served / "x.gz").read_bytes()
    [(src, dst)] = renames
    assert dst == dest and src.parent == dest.parent and src != dest  # temp file in the same folder
    assert os.listdir(dest.parent) == ["x.gz"]
    # wrong content: nothing is written and the existing file is kept
    (served / "x.gz").write_bytes(gzip.compress(b"something else"))
    with pytest.raises(ValueError, match="not the expected content of x.gz"):
        download.download_file(base_url + "x.gz", dest, md5=hashlib.md5(b"hello idx").hexdigest())
    assert gzip.decompress(dest.read_bytes()) == b"hello idx" and os.listdir(dest.parent) == ["x.gz"]


def test_download_http_error(server, tmp_path: Path) -> None:
    base_url, _ = server
    with pytest.raises(download.DownloadError, match="could not download .*absent.gz") as info:
        download.download_file(base_url + "absent.gz", tmp_path / "d" / "absent.gz")
    assert isinstance(info.value, OSError) and os.listdir(tmp_path / "d") == []


@pytest.mark.parametrize("source", ["fake", "shared"])
def test_load_mnist_with_download(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    base_url, served = server
    if source == "fake":
        arrays = _fake_idx_set(served)
        for name in TEST_FILES:
            digest = hashlib.md5(gzip.decompress((served / name).read_bytes())).hexdigest()
            monkeypatch.setitem(datasets.EXPECTED_MD5["mnist"], name, digest)
    else:
        for name in TEST_FILES:
            (served / name).symlink_to(_needs_shared("mnist") / "mnist" / name)
    monkeypatch.setitem(download.BASE_URLS, "mnist", base_url)
    X, y = load("mnist", "test", data_dir=tmp_path / "data", download=True)
    assert sorted(os.listdir(tmp_path / "data" / "mnist")) == sorted(TEST_FILES)  # only what was asked for
    assert X.shape == (10000, 28, 28) and y.shape == (10000,)
    if source == "fake":
        np.testing.assert_array_equal(X, arrays[TEST_FILES[0]] / np.float32(255))
        np.testing.assert_array_equal(y, arrays[TEST_FILES[1]])
    else:
        assert y[:5].tolist() == [7, 2, 1, 0, 4]
    for name in TEST_FILES:
        (served / name).unlink()  # the second load must not need the server
    np.testing.assert_array_equal(load("mnist", "test", data_dir=tmp_path / "data", download=True)[0], X)


def test_corrupt_download_leaves_nothing(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base_url, served = server
    _fake_idx_set(served)  # valid IDX, but not MNIST's content
    monkeypatch.setitem(download.BASE_URLS, "mnist", base_url)
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz.*not the expected content"):
        load("mnist", "test", data_dir=tmp_path / "data", download=True)
    assert os.listdir(tmp_path / "data" / "mnist") == []


def test_download_goes_to_env_dir_and_checks_structure(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base_url, served = server
    arrays = _fake_idx_set(served)
    monkeypatch.setitem(download.BASE_URLS, "fashion-mnist", base_url)
    monkeypatch.setenv("VAEKIT_DATA", str(tmp_path / "env"))
    (served / TEST_FILES[1]).write_bytes(gzip.compress(_idx_bytes(np.zeros(5, np.uint8))))  # wrong count
    with pytest.raises(ValueError, match=r"not a valid t10k-labels-idx1-ubyte.gz"):
        load("fashion-mnist", "test", download=True)
    assert os.listdir(tmp_path / "env" / "fashion-mnist") == [TEST_FILES[0]]  # the good file stays
    _fake_idx_set(served)
    _, y = load("fashion-mnist", "test", download=True)
    np.testing.assert_array_equal(y, arrays[TEST_FILES[1]])
    assert sorted(os.listdir(tmp_path / "env" / "fashion-mnist")) == sorted(TEST_FILES)


def test_download_not_attempted_when_files_present(monkeypatch: pytest.MonkeyPatch) -> None:
    shared = _needs_shared("frey-faces")
    monkeypatch.setitem(download.BASE_URLS, "frey-faces", "http://127.0.0.1:9/")  # nothing listens there
    X, _ = load("frey-faces", data_dir=shared, download=True)
    assert X.shape == (1965, 28, 20)
