"""Bad input files and saved models (issue 11's battery): one-line errors, never a traceback,
a hang or a huge allocation.

Each test is one defect the battery found; the comment above a group names it.
Allocation is measured with :mod:`tracemalloc`, which sees Python's and NumPy's
memory: a reader that trusts a size field in a small file allocates what the field
says, and fails the bound even where the allocation itself would succeed.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

import vaekit
from conftest import CliRun
from vaekit.data.idx import read_idx, write_idx
from vaekit.data.loaded import DataFileError
from vaekit.data.read import column_names, read_data
from vaekit.data.write import write_array
from vaekit.io.model import ModelFileError


def _peak_bytes(action: Callable[[], object]) -> int:
    """The most memory (Python and NumPy) that ``action`` held at once; its errors are ignored."""
    tracemalloc.start()
    try:
        action()
    except (ValueError, OSError):
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def _one_line(err: pytest.ExceptionInfo[BaseException], *names: str) -> str:
    message = str(err.value)
    assert "\n" not in message.strip(), message
    for name in names:
        assert name in message, message
    return message


# ---------------------------------------------------------------- 8: size fields trusted
def _npy_header(shape: object, descr: object = "<f8") -> bytes:
    text = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin-1")
    text += b" " * (117 - len(text)) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def test_npy_header_claiming_terabytes_is_refused_without_allocating(tmp_path: Path) -> None:
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_header((1_000_000, 500_000)) + bytes(240))  # 368 bytes that claim 3.6 TiB
    with pytest.raises(DataFileError) as err:
        read_data(path)
    assert "truncated" in _one_line(err, "huge.npy", "(1000000, 500000)")
    assert _peak_bytes(lambda: read_data(path)) < 4 << 20


@pytest.mark.parametrize(
    ("shape", "descr", "message"),
    [((-1, 3), "<f4", "negative size"), ((4, 3), "|S0", "no size"), ((4, 3), "|O", "pickle"),
     ((), "<f4", "a single value"), ("(", "<f4", "unreadable .npy header")],
    ids=["negative", "zero-size", "object", "0-d", "garbage"],
)  # fmt: skip
def test_npy_headers_that_cannot_describe_data(tmp_path: Path, shape: object, descr: str, message: str) -> None:
    path = tmp_path / "odd.npy"
    path.write_bytes(_npy_header(shape, descr) + bytes(48))
    with pytest.raises(DataFileError) as err:
        read_data(path)
    assert message in _one_line(err, "odd.npy")


def test_npy_header_length_claiming_gigabytes_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "long.npy"
    path.write_bytes(b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**32 - 1) + bytes(100))  # a 4 GiB header
    with pytest.raises(DataFileError) as err:
        read_data(path)
    assert "4,294,967,295 bytes" in _one_line(err, "long.npy")
    assert _peak_bytes(lambda: read_data(path)) < 1 << 20


def _npz(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_npz_member_claiming_terabytes_is_refused_without_allocating(tmp_path: Path, compression: int) -> None:
    path = _npz(tmp_path / "huge.npz", {"X.npy": _npy_header((1_000_000, 500_000)) + bytes(240)}, compression)
    with pytest.raises(DataFileError) as err:
        read_data(path)
    assert "array 'X' is truncated" in _one_line(err, "huge.npz")
    assert _peak_bytes(lambda: read_data(path)) < 4 << 20


def test_npz_whose_zip_sizes_lie_reads_no_more_than_is_there(tmp_path: Path) -> None:
    content = _npy_header((1000, 1000)) + bytes(8_000_000)
    path = _npz(tmp_path / "liar.npz", {"X.npy": content})
    raw = bytearray(path.read_bytes())
    crc, small = struct.pack("<I", zlib.crc32(content[:928])), struct.pack("<I", 928)
    raw[14:18], raw[22:26] = crc, small  # checksum and uncompressed size in the local header ...
    at = raw.rindex(b"PK\x01\x02")
    raw[at + 16 : at + 20], raw[at + 24 : at + 28] = crc, small  # ... and in the central directory
    path.write_bytes(bytes(raw))  # a valid archive of 928 bytes whose header claims 8 MB
    with pytest.raises(DataFileError) as err:
        read_data(path)
    _one_line(err, "liar.npz")
    assert _peak_bytes(lambda: read_data(path)) < 4 << 20


def test_npz_member_that_is_not_an_array(tmp_path: Path) -> None:
    path = _npz(tmp_path / "notes.npz", {"X.npy": b"just some text"})
    with pytest.raises(DataFileError) as err:
        read_data(path)
    assert "array 'X' is not a NumPy array" in _one_line(err, "notes.npz")


def test_npz_with_two_arrays_of_one_name(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.ones((3, 2)))
    path = tmp_path / "twice.npz"
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "w") as archive:
        archive.writestr("X.npy", buffer.getvalue())
        archive.writestr("X.npy", buffer.getvalue())
    with pytest.raises(DataFileError) as err:
        read_data(path)
    assert "two arrays named 'X'" in _one_line(err, "twice.npz")


def test_damaged_npz_column_names_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.npz"
    path.write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(DataFileError) as err:
        column_names(path)
    _one_line(err, "cut.npz")


def test_gzipped_idx_is_read_no_further_than_its_header_says(tmp_path: Path) -> None:
    content = bytes([0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 4]) + bytes(12) + bytes(64 << 20)  # 64 MiB after the data
    path = tmp_path / "bomb-idx2-ubyte.gz"
    path.write_bytes(gzip.compress(content, compresslevel=1))
    with pytest.raises(ValueError, match=f"{64 << 20} unexpected bytes after the data of shape \\(3, 4\\)"):
        read_idx(path)
    assert _peak_bytes(lambda: read_idx(path)) < 8 << 20


def test_gzipped_idx_claiming_terabytes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 2**20, 2**20, 2**20) + bytes(64)))
    with pytest.raises(DataFileError) as err:
        read_data(path)
    assert "truncated IDX file" in _one_line(err, "huge-idx3-ubyte.gz")
    assert _peak_bytes(lambda: read_data(path)) < 4 << 20


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def _with_ihdr(content: bytes, width: int, height: int) -> bytes:
    chunk = b"IHDR" + struct.pack(">II", width, height) + content[24:29]
    return content[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + content[33:]


def test_png_header_claiming_more_pixels_than_the_file_holds(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    good = _png(np.zeros((4, 4, 3), dtype=np.uint8))
    (folder / "a.png").write_bytes(_with_ihdr(good, 8000, 8000))  # 64 megapixels in ~70 bytes
    (folder / "b.png").write_bytes(_with_ihdr(good, 8000, 8000))
    with pytest.raises(DataFileError) as err:
        read_data(folder)
    assert "8000x8000 pixels" in _one_line(err, "a.png")
    assert _peak_bytes(lambda: read_data(folder)) < 16 << 20


def test_png_chunk_longer_than_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    content = bytearray(_png(np.zeros((4, 4), dtype=np.uint8)))
    at = content.index(b"IEND") - 4
    content[at : at + 4] = struct.pack(">I", 2**31)  # Pillow would read 2 GiB for it
    (folder / "a.png").write_bytes(bytes(content))
    with pytest.raises(DataFileError) as err:
        read_data(folder)
    assert "past the end of the file" in _one_line(err, "a.png")
    assert _peak_bytes(lambda: read_data(folder)) < 16 << 20


# ---------------------------------------------------------------- damaged text and tables found by the fuzz test
def _deflate_error(content: bytes) -> bytes:
    """``content`` gzipped, with the first byte flip that makes zlib fail (not gzip's own checks)."""
    compressed = gzip.compress(content, mtime=0)
    for at in range(12, len(compressed) - 8):
        damaged = compressed[:at] + bytes([compressed[at] ^ 0xFF]) + compressed[at + 1 :]
        try:
            gzip.decompress(damaged)
        except zlib.error:
            return damaged
        except (OSError, EOFError):
            continue
    raise AssertionError("no flip gives a zlib error")


def test_damaged_gzip_text_table(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    path.write_bytes(_deflate_error(b"a,b\n" + b"".join(b"%d,%d\n" % (i, i * i) for i in range(500))))
    with pytest.raises(DataFileError) as err:
        read_data(path)
    assert "gzip" in _one_line(err, "t.csv.gz")


def test_parquet_text_column_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame({"name": ["abc", "def"], "x": [1.0, 2.0]}).to_parquet(path, compression=None)
    path.write_bytes(path.read_bytes().replace(b"def", b"d\xffe", 1))
    with pytest.raises(DataFileError) as err:
        read_data(path)
    _one_line(err, "t.parquet")


# ---------------------------------------------------------------- 11: duplicate column names
@pytest.mark.parametrize(
    ("name", "text"),
    [("t.csv", "a,a,b\n1,2,3\n4,5,6\n"), ("t.tsv", "a\t b\ta \n1\t2\t3\n"), ("t.csv.gz", "a,b,a,b\n1,2,3,4\n")],
)
def test_duplicate_column_names_in_a_text_table(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    with pytest.raises(DataFileError) as err:
        read_data(path)
    message = _one_line(err, name, "'a' (2 times)")
    assert "a.1" not in message


def test_duplicate_column_names_in_a_parquet_file(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(pa.table([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], names=["a", "b", "a"]), path)
    with pytest.raises(DataFileError) as err:
        read_data(path)
    _one_line(err, "t.parquet", "'a' (2 times)")


def test_parquet_index_named_like_a_column(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}, index=pd.Index([5, 6], name="a")).to_parquet(path)
    with pytest.raises(DataFileError) as err:
        read_data(path)
    _one_line(err, "t.parquet", "'a' (2 times)")


# ---------------------------------------------------------------- 14 (the library): writing to a folder
def test_write_array_to_a_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="is a folder; give a file name"):
        write_array(tmp_path, np.zeros((2, 2)), overwrite=True)


# ---------------------------------------------------------------- round trips still work
def test_valid_files_still_read(tmp_path: Path) -> None:
    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.save(tmp_path / "a.npy", np.asfortranarray(X))
    np.savez_compressed(tmp_path / "a.npz", X=X, ids=np.array(["p", "q", "r", "s"]))
    write_idx(tmp_path / "a-idx2-ubyte.gz", X.astype(np.uint8))
    np.testing.assert_array_equal(read_data(tmp_path / "a.npy").X, X)
    loaded = read_data(tmp_path / "a.npz", id_column="ids")
    np.testing.assert_array_equal(loaded.X, X)
    assert list(loaded.ids) == ["p", "q", "r", "s"]
    np.testing.assert_array_equal(read_data(tmp_path / "a-idx2-ubyte.gz").X, X)


# ---------------------------------------------------------------- 10, 15, 7: saved models
@pytest.fixture(scope="module")
def table_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    X = (np.random.default_rng(0).normal(size=(60, 4)) * [1, 10, 100, 1]).astype(np.float32)
    folder = tmp_path_factory.mktemp("saved") / "model"
    model = vaekit.VAE(latent_dim=2, hidden=(8,), epochs=1, random_state=0, verbose=0).fit(X)
    assert model.scaling_.kind == "standardize"
    return model.save(folder), X


def _copy(source: Path, target: Path) -> Path:
    target.mkdir()
    for name in ("config.json", "model.safetensors"):
        (target / name).write_bytes((source / name).read_bytes())
    return target


def _edit_tensors(folder: Path, edit: Callable[[dict[str, torch.Tensor]], None]) -> None:
    tensors = load_file(folder / "model.safetensors")
    edit(tensors)
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})


def _edit_config(folder: Path, part: str, key: str, value: object) -> None:
    config = json.loads((folder / "config.json").read_text())
    config[part][key] = value
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(
    ("edit", "tensor", "message"),
    [
        (lambda t: t.__setitem__("state.scaling_.mean", torch.zeros(1)), "state.scaling_.mean", "has shape (1,)"),
        (lambda t: t["state.scaling_.scale"].__setitem__(2, 0.0), "state.scaling_.scale", "holds 0 at (2,)"),
        (lambda t: t["state.scaling_.scale"].__setitem__(0, -1.0), "state.scaling_.scale", "must be positive"),
        (lambda t: t["model.encoder.net.0.weight"].__setitem__((0, 0), float("nan")), "model.encoder.net.0.weight",
         "NaN or infinite"),
        (lambda t: t["state.scaling_.mean"].__setitem__(1, float("inf")), "state.scaling_.mean", "NaN or infinite"),
    ],
    ids=["mean-shape", "zero-scale", "negative-scale", "nan-weight", "inf-mean"],
)  # fmt: skip
def test_model_arrays_are_checked_on_load(
    tmp_path: Path, table_model: tuple[Path, np.ndarray], edit: Callable, tensor: str, message: str
) -> None:
    folder = _copy(table_model[0], tmp_path / "m")
    _edit_tensors(folder, edit)
    with pytest.raises(ModelFileError) as err:
        vaekit.load(folder)
    assert message in _one_line(err, "model.safetensors", f"'{tensor}'")


def test_autoencoder_latent_arrays_are_checked_on_load(tmp_path: Path, table_model: tuple[Path, np.ndarray]) -> None:
    X = table_model[1]
    folder = vaekit.AutoEncoder(latent_dim=2, hidden=(8,), epochs=1, verbose=0).fit(X).save(tmp_path / "ae")
    _edit_tensors(folder, lambda t: t.__setitem__("state.latent_cov_", torch.eye(3, dtype=torch.float64)))
    with pytest.raises(ModelFileError) as err:
        vaekit.load(folder)
    assert "the model needs (2, 2)" in _one_line(err, "'state.latent_cov_'", "(3, 3)")


def test_weights_of_another_shape_name_the_first_tensor_in_one_line(
    tmp_path: Path, table_model: tuple[Path, np.ndarray]
) -> None:
    folder = _copy(table_model[0], tmp_path / "m")
    other = vaekit.VAE(latent_dim=2, hidden=(16, 8, 8), epochs=1, verbose=0).fit(table_model[1])
    (folder / "model.safetensors").write_bytes((other.save(tmp_path / "o") / "model.safetensors").read_bytes())
    with pytest.raises(ModelFileError) as err:
        vaekit.load(folder)
    message = _one_line(err, "model.safetensors", "config.json")
    assert "tensor 'model.encoder.net.0.weight' has shape (16, 4), the config needs (8, 4)" in message
    assert "unexpected 'model." in message and " more" in message
    assert "size mismatch" not in message and "torch.Size" not in message


def test_missing_weights_are_listed_a_few_then_counted(tmp_path: Path, table_model: tuple[Path, np.ndarray]) -> None:
    folder = _copy(table_model[0], tmp_path / "m")
    _edit_tensors(folder, lambda t: [t.pop(k) for k in [k for k in t if k.startswith("model.")]])
    with pytest.raises(ModelFileError) as err:
        vaekit.load(folder)
    assert "missing 'model." in _one_line(err, "model.safetensors") and " more" in str(err.value)


def test_config_describing_a_huge_network_is_refused_without_building_it(
    tmp_path: Path, table_model: tuple[Path, np.ndarray]
) -> None:
    folder = _copy(table_model[0], tmp_path / "m")
    _edit_config(folder, "fitted", "hidden_", [2_000_000_000])  # 8 GB of weights per layer if built
    with pytest.raises(ModelFileError) as err:
        vaekit.load(folder)
    assert "the config needs (2000000000, 4)" in _one_line(err, "model.safetensors")


@pytest.mark.parametrize(
    ("part", "key", "value", "named"),
    [
        ("params", "latent_dim", "two", '"params": "latent_dim" is "two"'),
        ("params", "hidden", [1, "a"], '"params": "hidden" is [1, "a"]'),
        ("params", "device", "x", '"params": "device" is "x"'),
        ("params", "no_such_parameter", 1, '"no_such_parameter"'),
        ("fitted", "input_shape_", "x", '"fitted": "input_shape_" is "x"'),
        ("fitted", "input_shape_", [0], '"fitted": "input_shape_" is [0]'),
        ("fitted", "n_train_", {"a": 1}, '"fitted": "n_train_" is {"a": 1}'),
        ("fitted", "history_", [1, 2], '"fitted": "history_" is [1, 2]'),
        ("fitted", "scaling_", "nonsense", '"fitted": "scaling_" is "nonsense"'),
        ("fitted", "feature_names_in_", ["a"], '"feature_names_in_"'),
    ],
)
def test_tampered_config_entries_are_named(
    tmp_path: Path, table_model: tuple[Path, np.ndarray], part: str, key: str, value: object, named: str
) -> None:
    folder = _copy(table_model[0], tmp_path / "m")
    _edit_config(folder, part, key, value)
    with pytest.raises(ModelFileError) as err:
        vaekit.load(folder)
    message = _one_line(err, "config.json", named)
    assert "--" not in message  # the command line would otherwise show a flag's name for a file's entry


# ---------------------------------------------------------------- 12: grey and RGB images
@pytest.fixture(scope="module")
def grey_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    X = np.random.default_rng(1).random((20, 8, 8), dtype=np.float32)
    folder = tmp_path_factory.mktemp("grey") / "model"
    return vaekit.VAE(latent_dim=2, hidden=(8,), epochs=1, verbose=0).fit(X).save(folder)


def _image_folder(folder: Path, channels: int, size: int = 8) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(2)
    for i in range(3):
        shape = (size, size, 3) if channels == 3 else (size, size)
        Image.fromarray(rng.integers(0, 256, size=shape, dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def test_rgb_images_for_a_grey_model_name_the_image_mode(cli: CliRun, tmp_path: Path, grey_model: Path) -> None:
    images = _image_folder(tmp_path / "colour", channels=3)
    result = cli("encode", grey_model, images, "-o", tmp_path / "z.csv", ok=False)
    assert "RGB images of shape (3, 8, 8)" in result.stderr and "grey images of shape (8, 8)" in result.stderr
    assert "--image-mode grey" in result.stderr and "--image-size" not in result.stderr
    cli("encode", grey_model, images, "-o", tmp_path / "z.csv", "--image-mode", "grey")


def test_grey_images_for_an_rgb_model_name_the_image_mode(cli: CliRun, tmp_path: Path) -> None:
    X = np.random.default_rng(1).random((20, 3, 8, 8), dtype=np.float32)
    model = vaekit.VAE(latent_dim=2, hidden=(8,), epochs=1, verbose=0).fit(X).save(tmp_path / "rgb")
    images = _image_folder(tmp_path / "grey", channels=1, size=6)
    result = cli("encode", model, images, "-o", tmp_path / "z.csv", ok=False)
    assert "--image-mode rgb" in result.stderr and "--image-size" in result.stderr  # both differ


def test_python_api_names_the_colour_mode(grey_model: Path) -> None:
    model = vaekit.load(grey_model)
    with pytest.raises(ValueError, match=r"RGB images of shape \(3, 8, 8\).*grey images.*image_mode='grey'"):
        model.transform(np.zeros((2, 3, 8, 8), dtype=np.float32))


# ---------------------------------------------------------------- 14: -o naming a folder (the command line)
@pytest.mark.parametrize("force", [False, True])
def test_output_that_is_a_folder(cli: CliRun, tmp_path: Path, grey_model: Path, force: bool) -> None:
    data = tmp_path / "x.npy"
    np.save(data, np.zeros((2, 8, 8), dtype=np.float32))
    (tmp_path / "out").mkdir()
    result = cli("encode", grey_model, data, "-o", tmp_path / "out", *(["--force"] if force else []), ok=False)
    assert "is a folder; -o takes a file name" in result.stderr
    assert "unknown output suffix" not in result.stderr and "use --force" not in result.stderr


def test_check_output_names_the_trailing_slash_for_image_commands(tmp_path: Path) -> None:
    from vaekit.cli._app import _check_output

    with pytest.raises(ValueError, match=rf"-o {tmp_path / 'out'}/ \(ending in a slash\) writes one PNG per image"):
        _check_output(tmp_path / "out", force=False, images=True)
    _check_output(tmp_path / "out", force=False)  # another command: the writer names the suffixes
