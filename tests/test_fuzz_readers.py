"""Fuzzing the readers: damaged files give a one-line error that names them, or read correctly.

Each test takes a small valid file of one format, damages it many ways (random
truncations, byte flips, random bytes, fields of the format set to odd values),
and reads it with :func:`vaekit.data.read.read_data` (data) or :func:`vaekit.load`
(a saved model). A case passes when the file reads (a :class:`LoadedData`, or an
estimator whose latents are finite) or the reader raises a ``ValueError`` or
``OSError`` -- what the command line prints as one line -- whose message is one
line and names the file. Anything else (IndexError, struct.error, zipfile's or
pyarrow's own errors, a MemoryError, a hang) is a failure, listed with the seed
and the damage that caused it. The cases are seeded, so a failure repeats.

Each case runs under a memory cap (the address space may grow by at most
``_MEMORY_CAP`` while it runs, on Linux) and a time limit, so that a reader that
trusts a size field fails here rather than taking the machine's memory.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import shutil
import signal
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from vaekit.data.idx import write_idx
from vaekit.data.loaded import LoadedData
from vaekit.data.read import read_data

_MEMORY_CAP = 1 << 30  # bytes a case may add to the address space
_TIME_LIMIT = 5.0  # seconds per case


class _Hang(BaseException):
    """A case ran past its time limit (a BaseException, so that no reader catches it)."""


@contextlib.contextmanager
def _limits() -> Iterator[None]:
    """The memory cap and time limit of one case, where the platform has them."""
    restore: list[Callable[[], None]] = []
    if sys.platform == "linux":
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm") as f:
            used = int(f.read().split()[0]) * resource.getpagesize()
        cap = used + _MEMORY_CAP
        if soft == resource.RLIM_INFINITY or soft > cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
            restore.append(lambda: resource.setrlimit(resource.RLIMIT_AS, (soft, hard)))
    if hasattr(signal, "setitimer"):

        def hang(*_: object) -> None:
            raise _Hang(f"ran past {_TIME_LIMIT} s")

        previous = signal.signal(signal.SIGALRM, hang)
        signal.setitimer(signal.ITIMER_REAL, _TIME_LIMIT)
        restore.append(lambda: (signal.setitimer(signal.ITIMER_REAL, 0), signal.signal(signal.SIGALRM, previous)))
    try:
        yield
    finally:
        for undo in reversed(restore):
            undo()


# ------------------------------------------------------------------ damage
def _truncated(rng: np.random.Generator, content: bytes) -> bytes:
    return content[: int(rng.integers(0, max(len(content), 1)))]


def _flipped(rng: np.random.Generator, content: bytes) -> bytes:
    data = bytearray(content)
    for _ in range(int(rng.integers(1, 4))):
        if data:
            data[int(rng.integers(len(data)))] = int(rng.integers(256))
    return bytes(data)


def _random(rng: np.random.Generator, content: bytes) -> bytes:
    return rng.bytes(int(rng.integers(0, 300)))


def _inserted(rng: np.random.Generator, content: bytes) -> bytes:
    at = int(rng.integers(0, len(content) + 1))
    pool = [b"\x00", b'"', b"\n", b",", b";", b"\t", b"\xff\xfe", b"nan", b"1e999", b"\r", rng.bytes(8)]
    return content[:at] + pool[int(rng.integers(len(pool)))] + content[at:]


_DAMAGE = {"truncated": _truncated, "flipped": _flipped, "random": _random, "inserted": _inserted}


def _damaged(rng: np.random.Generator, content: bytes, kinds: tuple[str, ...] = tuple(_DAMAGE)) -> tuple[str, bytes]:
    kind = kinds[int(rng.integers(len(kinds)))]
    return kind, _DAMAGE[kind](rng, content)


# ------------------------------------------------------------------ checks
def _outcome(read: Callable[[], object], name: str) -> str | None:
    """None if ``read`` gave a result or a one-line error naming ``name``; else what went wrong."""
    try:
        with _limits():
            result = read()
    except (ValueError, OSError) as err:
        message = str(err).strip()
        if "\n" in message:
            return f"{type(err).__name__} of several lines: {message!r}"
        if name not in message:
            return f"{type(err).__name__} that does not name {name!r}: {message!r}"
        return None
    except BaseException as err:
        if isinstance(err, KeyboardInterrupt):
            raise
        return f"{type(err).__name__}: {str(err)[:300]!r}"
    if isinstance(result, LoadedData):
        assert np.isfinite(result.X).all() or result.frame is not None  # a mixed table: NaN where not a number
    return None


def _run(cases: Iterator[tuple[str, Callable[[], object], str]]) -> None:
    failures = [f"{label}: {problem}" for label, read, name in cases if (problem := _outcome(read, name)) is not None]
    assert not failures, f"{len(failures)} failing cases:\n" + "\n".join(failures[:30])


# ------------------------------------------------------------------ valid files
def _table() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(6, 3)).round(3), columns=["a", "b", "c"])
    frame.insert(0, "name", [f"r{i}" for i in range(6)])
    return frame


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


_SHAPES: list[object] = [(), (0,), (5, 3), (3, 5), (15,), (5, 3, 1), (1, 5, 3), (10**12, 10**6), (-1, 3), (2**63,),
                         (5, 0), [5, 3], (5.0, 3), "x"]  # fmt: skip
_DESCRS: list[object] = ["<f4", "<f8", ">f4", "|u1", "<i8", "|b1", "<c8", "|O", "|S0", "<U0", "|V0", "|S4", "<U1",
                         "<M8[s]", [("a", "<f4")], "xx", 3]  # fmt: skip


def _npy_with_header(rng: np.random.Generator, content: bytes) -> bytes:
    """``content`` (a .npy file of version 1.0) with an odd shape, dtype or order in its header."""
    length = struct.unpack("<H", content[8:10])[0]
    header = {"descr": "<f4", "fortran_order": False, "shape": (5, 3)}
    header["shape"] = _SHAPES[int(rng.integers(len(_SHAPES)))]
    if rng.random() < 0.5:
        header["descr"] = _DESCRS[int(rng.integers(len(_DESCRS)))]
    if rng.random() < 0.2:
        header["fortran_order"] = bool(rng.random() < 0.5) if rng.random() < 0.8 else "yes"
    text = repr(header).encode("latin-1")
    text += b" " * (length - 1 - len(text)) + b"\n" if len(text) < length else b"\n"
    return content[:8] + struct.pack("<H", len(text)) + text + content[10 + length :]


def _idx_with_header(rng: np.random.Generator, content: bytes) -> bytes:
    """``content`` (an IDX file of shape (5, 3, 4)) with odd dimensions in its header."""
    dims = [int(rng.choice([0, 1, 3, 4, 5, 60, 2**31, 2**32 - 1])) for _ in range(3)]
    return content[:4] + struct.pack(">3I", *dims) + content[16:]


def _zipped(members: dict[str, bytes], compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _idx_bytes(tmp_path: Path) -> bytes:
    return write_idx(tmp_path / "valid-idx3-ubyte", np.arange(60, dtype=np.uint8).reshape(5, 3, 4)).read_bytes()


def _png_bytes(mode: str, size: tuple[int, int] = (4, 3)) -> bytes:
    buffer = io.BytesIO()
    pixels = np.arange(size[0] * size[1] * (3 if mode == "RGB" else 1), dtype=np.uint8) * 7
    Image.fromarray(pixels.reshape(size[1], size[0], -1).squeeze()).convert(mode).save(buffer, "PNG")
    return buffer.getvalue()


def _png_with_header(rng: np.random.Generator, content: bytes) -> bytes:
    """``content`` (a PNG) with odd width, height, bit depth or colour type, and a valid checksum."""
    width, height, depth, colour = struct.unpack(">IIBB", content[16:26])
    field = int(rng.integers(4))
    if field == 0:
        width = int(rng.choice([0, 1, 2**16, 2**31 - 1, 2**32 - 1]))
    elif field == 1:
        height = int(rng.choice([0, 1, 2**16, 2**31 - 1, 2**32 - 1]))
    elif field == 2:
        depth = int(rng.choice([1, 2, 4, 8, 16, 3, 0, 255]))
    else:
        colour = int(rng.choice([0, 2, 3, 4, 6, 1, 7, 255]))
    chunk = b"IHDR" + struct.pack(">IIBB", width, height, depth, colour) + content[26:29]
    return content[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + content[33:]


# ------------------------------------------------------------------ data files
def _text_cases(tmp_path: Path, seed: int, n: int) -> Iterator[tuple[str, Callable[[], object], str]]:
    rng = np.random.default_rng(seed)
    frame = _table()
    valid = {
        "t.csv": frame.to_csv(index=False).encode(),
        "t.tsv": frame.to_csv(index=False, sep="\t").encode(),
        "t.txt": frame.iloc[:, 1:].to_csv(index=False, sep=";", header=False, decimal=",").encode(),
    }
    for i in range(n):
        name = list(valid)[i % len(valid)]
        kind, content = _damaged(rng, valid[name])
        gz = i % 5 == 4
        path = tmp_path / f"{i}-{name}" if not gz else tmp_path / f"{i}-{name}.gz"
        if gz:
            content = (
                gzip.compress(content, mtime=0) if rng.random() < 0.5 else _damaged(rng, gzip.compress(valid[name]))[1]
            )
        path.write_bytes(content)
        yield f"seed {seed} case {i}: {path.name} {kind}", lambda p=path: read_data(p), path.name


def _array_cases(tmp_path: Path, seed: int, n: int) -> Iterator[tuple[str, Callable[[], object], str]]:
    rng = np.random.default_rng(seed)
    X = np.random.default_rng(2).normal(size=(5, 3)).astype(np.float32)
    images = np.arange(2 * 4 * 3, dtype=np.uint8).reshape(2, 4, 3)
    npy = _npy_bytes(X)
    members = {"X.npy": npy, "ids.npy": _npy_bytes(np.array(["a", "b", "c", "d", "e"]))}
    idx = _idx_bytes(tmp_path)
    for i in range(n):
        which = i % 6
        if which == 0 and rng.random() < 0.4:
            kind, content = "header", _npy_with_header(rng, npy)
            name = "a.npy"
        elif which == 0:
            kind, content = _damaged(rng, npy if rng.random() < 0.7 else _npy_bytes(images))
            name = "a.npy"
        elif which in (1, 2):  # the archive damaged, or an array inside a valid archive
            compression = zipfile.ZIP_DEFLATED if rng.random() < 0.5 else zipfile.ZIP_STORED
            if which == 1:
                kind, content = _damaged(rng, _zipped(members, compression))
            else:
                kind, inner = _damaged(rng, npy) if rng.random() < 0.6 else ("header", _npy_with_header(rng, npy))
                kind = f"member {kind}"
                content = _zipped({**members, "X.npy": inner}, compression)
            name = "a.npz"
        elif which in (3, 4):
            kind, content = _damaged(rng, idx) if rng.random() < 0.7 else ("header", _idx_with_header(rng, idx))
            name = "a-idx3-ubyte"
        else:
            kind, inner = _damaged(rng, idx) if rng.random() < 0.7 else ("header", _idx_with_header(rng, idx))
            content = gzip.compress(inner, mtime=0) if rng.random() < 0.5 else _damaged(rng, gzip.compress(idx))[1]
            name = "a-idx3-ubyte.gz"
        path = tmp_path / f"{i}-{name}"
        path.write_bytes(content)
        yield f"seed {seed} case {i}: {path.name} {kind}", lambda p=path: read_data(p), path.name


def _parquet_cases(tmp_path: Path, seed: int, n: int) -> Iterator[tuple[str, Callable[[], object], str]]:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    _table().to_parquet(buffer, index=False)
    valid = buffer.getvalue()
    for i in range(n):
        kind, content = _damaged(rng, valid, ("truncated", "flipped", "flipped", "random"))
        path = tmp_path / f"{i}-t.parquet"
        path.write_bytes(content)
        yield f"seed {seed} case {i}: {path.name} {kind}", lambda p=path: read_data(p), path.name


def _image_cases(tmp_path: Path, seed: int, n: int) -> Iterator[tuple[str, Callable[[], object], str]]:
    rng = np.random.default_rng(seed)
    grey, rgb = _png_bytes("L"), _png_bytes("RGB")
    for i in range(n):
        valid = grey if i % 2 else rgb
        if i % 3 == 0:
            kind, content = "header", _png_with_header(rng, valid)
        else:
            kind, content = _damaged(rng, valid, ("truncated", "flipped", "random"))
        folder = tmp_path / f"{i}-images"
        folder.mkdir()
        (folder / "a.png").write_bytes(valid)
        (folder / "b.png").write_bytes(content)
        yield f"seed {seed} case {i}: {folder.name} {kind}", lambda p=folder: read_data(p), folder.name


@pytest.mark.parametrize(
    ("cases", "n"),
    [(_text_cases, 150), (_array_cases, 180), (_parquet_cases, 60), (_image_cases, 60)],
    ids=["text", "arrays", "parquet", "images"],
)
def test_damaged_data_files_read_or_give_one_line(tmp_path: Path, cases: Callable[..., Iterator], n: int) -> None:
    _run(cases(tmp_path, 11, n))


# ------------------------------------------------------------------ saved models
@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    import vaekit

    X = np.random.default_rng(3).normal(size=(40, 4)).astype(np.float32)
    folder = tmp_path_factory.mktemp("fuzz-model") / "model"
    vaekit.VAE(latent_dim=2, hidden=(8,), epochs=1, random_state=0, verbose=0).fit(X).save(folder)
    return folder, X


_ODD_VALUES: list[object] = ["x", "", -1, 0, 1.5, 1e308, 10**12, None, True, [], {}, [1, "a"], [-3], [0], {"a": 1}]


def _tampered_config(rng: np.random.Generator, config: dict) -> tuple[str, str]:
    """A config.json text with one "params" or "fitted" entry set to an odd value, or removed."""
    config = json.loads(json.dumps(config))
    part = "params" if rng.random() < 0.4 else "fitted"
    key = sorted(config[part])[int(rng.integers(len(config[part])))]
    if rng.random() < 0.15:
        del config[part][key]
        return f'"{part}": "{key}" removed', json.dumps(config)
    value = _ODD_VALUES[int(rng.integers(len(_ODD_VALUES)))]
    config[part][key] = value
    return f'"{part}": {{"{key}": {json.dumps(value)}}}', json.dumps(config)


def _model_cases(tmp_path: Path, saved: Path, X: np.ndarray, seed: int, n: int) -> Iterator:
    import vaekit

    rng = np.random.default_rng(seed)
    config_text = (saved / "config.json").read_text()
    config = json.loads(config_text)
    weights = (saved / "model.safetensors").read_bytes()

    def load_and_use(folder: Path) -> object:
        estimator = vaekit.load(folder)
        latents = estimator.transform(X)
        assert latents.shape == (len(X), estimator.latent_dim)
        return estimator

    for i in range(n):
        folder = tmp_path / f"{i}-model"
        shutil.copytree(saved, folder)
        which = i % 3
        if which == 0:
            kind, text = _tampered_config(rng, config)
            (folder / "config.json").write_text(text)
        elif which == 1:
            kind, content = _damaged(rng, config_text.encode(), ("truncated", "flipped", "inserted"))
            (folder / "config.json").write_bytes(content)
            kind = f"config.json {kind}"
        elif rng.random() < 0.5:
            kind, content = _damaged(rng, weights, ("truncated", "flipped", "random"))
            (folder / "model.safetensors").write_bytes(content)
            kind = f"model.safetensors {kind}"
        else:  # the numbers, past the JSON header: NaN, infinite or huge weights
            start = 8 + struct.unpack("<Q", weights[:8])[0]
            kind, content = "model.safetensors numbers flipped", weights[:start] + _flipped(rng, weights[start:])
            (folder / "model.safetensors").write_bytes(content)
        yield f"seed {seed} case {i}: {kind}", lambda f=folder: load_and_use(f), folder.name


def test_damaged_models_load_or_give_one_line(tmp_path: Path, saved_model: tuple[Path, np.ndarray]) -> None:
    folder, X = saved_model
    _run(_model_cases(tmp_path, folder, X, 12, 120))
