"""Tests of vaekit.data.read and vaekit.data.write: reading the user's data files, writing arrays;
below, bad input files and saved models that must give one line, never a hang or a huge allocation.

Each format is written (by write_array, vaekit.data.idx.write_idx or Pillow) and
read back; each bad input must give a DataFileError whose message names the file
and the place (column, line or row, value) and says what to do, naming options as
the Python parameters in backticks (never as command-line flags).
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
from vaekit.data.builtin import DatasetNotFoundError
from vaekit.data.idx import read_idx, write_idx
from vaekit.data.read import SUPPORTED_INPUTS, DataFileError, LoadedData, column_names, parse_image_size, read_data
from vaekit.data.validation import InputError
from vaekit.data.write import SUPPORTED_OUTPUTS, write_array
from vaekit.io.model import ModelFileError

RNG = np.random.default_rng(0)


def _table(n_rows: int = 5, n_columns: int = 3) -> np.ndarray:
    return RNG.normal(size=(n_rows, n_columns)).astype(np.float32)  # (n, d)


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _save_image(path: Path, pixels: np.ndarray) -> None:
    """Save (H, W) or (H, W, 3) pixels; the format follows the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def _grey(height: int = 4, width: int = 6, value: int | None = None) -> np.ndarray:
    if value is not None:
        return np.full((height, width), value, dtype=np.uint8)
    return RNG.integers(0, 256, size=(height, width), dtype=np.uint8)  # (H, W)


def _check_contract(data: LoadedData) -> None:
    assert data.X.dtype == np.float32 and data.X.flags.c_contiguous
    assert np.isfinite(data.X).all()
    for values in (data.labels, data.ids):
        assert values is None or values.shape == (len(data.X),)


# ---------------------------------------------------------------- round trips


def test_csv_round_trip_with_header_ids_and_extra_columns(tmp_path: Path) -> None:
    X = _table()
    ids = np.array([f"row{i}" for i in range(5)])
    errors = np.arange(5, dtype=np.float64)
    path = write_array(
        tmp_path / "out" / "z.csv", X, column_names=["a", "b", "c"], ids=ids, id_name="name",
        extra_columns={"reconstruction_error": errors},
    )  # fmt: skip
    assert path == tmp_path / "out" / "z.csv"
    assert path.read_text().splitlines()[0] == "name,a,b,c,reconstruction_error"
    data = read_data(path, id_column="name", label="reconstruction_error", columns=["a", "b", "c"])
    _check_contract(data)
    np.testing.assert_array_equal(data.X, X)  # float32 written exactly
    assert data.ids.tolist() == ids.tolist() and data.id_name == "name"
    np.testing.assert_array_equal(data.labels, errors)
    assert (data.feature_names, data.label_name, data.id_name) == (["a", "b", "c"], "reconstruction_error", "name")
    assert (data.kind, data.source) == ("table", str(path))


def test_csv_default_features_leave_out_label_and_id(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "d.csv", "id,x,colour,y\n7,1.5,red,2\n8,3,blue,-4e-1\n")
    data = read_data(path, label="colour", id_column="id")
    assert data.feature_names == ["x", "y"]
    np.testing.assert_array_equal(data.X, np.float32([[1.5, 2], [3, -0.4]]))
    assert data.labels.tolist() == ["red", "blue"] and data.labels.dtype.kind == "U"
    assert data.ids.tolist() == [7, 8]


def test_csv_without_header_gets_x_names_and_positions(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "numbers.csv", "1,2,3\n4,5,6\n")
    data = read_data(path)
    assert data.feature_names == ["x0", "x1", "x2"]
    np.testing.assert_array_equal(data.X, np.float32([[1, 2, 3], [4, 5, 6]]))
    selected = read_data(path, columns=["0", "x2"], label="1")
    assert selected.feature_names == ["x0", "x2"] and selected.labels.tolist() == [2, 5]
    np.testing.assert_array_equal(selected.X, np.float32([[1, 3], [4, 6]]))


def test_header_detection_label_column_without_header(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "labelled.csv", "cat,1,2\ndog,3,4\n")
    data = read_data(path, label="0")
    assert data.labels.tolist() == ["cat", "dog"] and data.X.shape == (2, 2)
    assert read_data(path, label="cat", header=True).X.shape == (1, 2)  # the option overrides detection


@pytest.mark.parametrize("name", ["z.tsv", "z.tsv.gz", "z.csv.gz"])
def test_tsv_and_gzip_round_trip(tmp_path: Path, name: str) -> None:
    X = _table(4, 2)
    path = write_array(tmp_path / name, X, ids=np.arange(4))
    if name.endswith(".gz"):
        assert gzip.decompress(path.read_bytes()).startswith(b"id")
    data = read_data(path, id_column="id")
    np.testing.assert_array_equal(data.X, X)
    assert data.feature_names == ["z0", "z1"] and data.ids.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("text", ["1;2;3\n4;5;6\n", "1 2 3\n4  5 6\n", "1\t2\t3\n4\t5\t6\n", "1|2|3\n4|5|6\n"])
def test_txt_separator_is_sniffed(tmp_path: Path, text: str) -> None:
    data = read_data(_write_text(tmp_path / "t.txt", text))
    np.testing.assert_array_equal(data.X, np.float32([[1, 2, 3], [4, 5, 6]]))


def test_trailing_separator_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    data = read_data(_write_text(tmp_path / "t.csv", "a,b,\n1,2,\n\n3,4,\n\n"))
    assert data.feature_names == ["a", "b"] and data.X.tolist() == [[1, 2], [3, 4]]


def test_parquet_round_trip(tmp_path: Path) -> None:
    X = _table()
    path = write_array(tmp_path / "z.parquet", X, ids=np.arange(10, 15), extra_columns={"score": np.ones(5)})
    data = read_data(path, id_column="id", label="score")
    np.testing.assert_array_equal(data.X, X)
    assert data.feature_names == ["z0", "z1", "z2"] and data.ids.tolist() == list(range(10, 15))


def test_parquet_named_index_is_not_a_feature(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}, index=pd.Index(["p", "q"], name="sample"))
    frame.to_parquet(tmp_path / "f.pq")
    data = read_data(tmp_path / "f.pq", id_column="sample")
    assert data.feature_names == ["a", "b"] and data.ids.tolist() == ["p", "q"]


def test_npy_round_trip(tmp_path: Path) -> None:
    X = _table()
    path = write_array(tmp_path / "z.npy", X, ids=np.arange(5))  # ids are dropped in .npy
    np.testing.assert_array_equal(np.load(path), X)
    data = read_data(path, columns=["x2", "0"])
    np.testing.assert_array_equal(data.X, X[:, [2, 0]])
    assert data.feature_names == ["x2", "x0"] and data.ids is None


def test_npy_uint8_images_scaled_and_channels_last_transposed(tmp_path: Path) -> None:
    images = RNG.integers(0, 256, size=(3, 5, 7, 3), dtype=np.uint8)  # (n, H, W, C)
    np.save(tmp_path / "im.npy", images)
    data = read_data(tmp_path / "im.npy")
    assert data.kind == "images" and data.X.shape == (3, 3, 5, 7) and data.feature_names is None
    np.testing.assert_allclose(data.X, images.transpose(0, 3, 1, 2) / 255, atol=1e-7)


def test_npz_round_trip_with_key_ids_and_labels(tmp_path: Path) -> None:
    X = _table()
    ids = np.array(list("abcde"), dtype=object)  # written as str, not pickled
    path = write_array(tmp_path / "z.npz", X, ids=ids, extra_columns={"y": np.arange(5)})
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["X", "ids", "y"]
    data = read_data(path, label="y", id_column="ids")  # several arrays: "X" is the default
    np.testing.assert_array_equal(data.X, X)
    assert data.labels.tolist() == list(range(5)) and data.ids.tolist() == list("abcde")
    assert (data.label_name, data.id_name) == ("y", "ids")
    np.savez(tmp_path / "two.npz", features=X, other=X[:, :2])
    np.testing.assert_array_equal(read_data(tmp_path / "two.npz", key="other").X, X[:, :2])
    np.savez(tmp_path / "one.npz", only=X, y=np.arange(5))
    assert read_data(tmp_path / "one.npz", label="y").X.shape == (5, 3)  # the only array left


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz", "x.idx"])
def test_idx_round_trip(tmp_path: Path, name: str) -> None:
    images = RNG.integers(0, 256, size=(4, 3, 5), dtype=np.uint8)
    write_idx(tmp_path / name, images)
    data = read_data(tmp_path / name)
    assert data.kind == "images" and data.X.shape == (4, 3, 5)
    np.testing.assert_allclose(data.X, images / 255, atol=1e-7)


def test_grey_image_folder(tmp_path: Path) -> None:
    pixels = [_grey() for _ in range(3)]
    for i, image in enumerate(pixels):
        _save_image(tmp_path / "imgs" / f"img{i}.png", image)
    _write_text(tmp_path / "imgs" / "README.txt", "not an image")  # skipped
    _write_text(tmp_path / "imgs" / ".hidden.png", "ignored")
    data = read_data(tmp_path / "imgs")
    _check_contract(data)
    assert data.kind == "images" and data.X.shape == (3, 4, 6) and data.feature_names is None
    np.testing.assert_allclose(data.X, np.stack(pixels) / 255, atol=1e-7)
    assert data.ids.tolist() == ["img0.png", "img1.png", "img2.png"] and data.labels is None


def test_rgb_image_folder_with_sub_folder_labels(tmp_path: Path) -> None:
    red = np.zeros((4, 6, 3), dtype=np.uint8)
    red[..., 0] = 255
    _save_image(tmp_path / "imgs" / "cats" / "b.png", red)
    _save_image(tmp_path / "imgs" / "cats" / "a.PNG", _grey(value=51))  # grey among colour: replicated
    _save_image(tmp_path / "imgs" / "dogs" / "c.jpg", red)
    data = read_data(tmp_path / "imgs")
    assert data.X.shape == (3, 3, 4, 6)
    assert data.ids.tolist() == ["cats/a.PNG", "cats/b.png", "dogs/c.jpg"]
    assert data.labels.tolist() == ["cats", "cats", "dogs"] and data.label_name == "folder"
    np.testing.assert_allclose(data.X[0], 0.2, atol=1e-6)
    np.testing.assert_array_equal(data.X[1, 0], 1.0)
    np.testing.assert_array_equal(data.X[1, 1:], 0.0)
    assert data.X[2, 0].mean() > 0.9 and data.X[2, 1:].mean() < 0.1  # JPEG: nearly red
    assert read_data(tmp_path / "imgs", image_mode="grey").X.shape == (3, 4, 6)


def test_image_folder_resize_and_16_bit(tmp_path: Path) -> None:
    _save_image(tmp_path / "imgs" / "big.png", _grey(8, 12, value=255))
    Image.fromarray(np.full((4, 4), 65535, dtype=np.uint16)).save(tmp_path / "imgs" / "deep.png")
    data = read_data(tmp_path / "imgs", image_size=parse_image_size("3x5"))
    assert data.X.shape == (2, 3, 5)
    np.testing.assert_allclose(data.X, 1.0, atol=1e-5)


def test_builtin_datasets(tmp_path: Path) -> None:
    digits = read_data("digits")
    assert digits.X.shape == (1797, 8, 8) and digits.label_name == "digit" and digits.labels[:3].tolist() == [0, 1, 2]
    assert digits.kind == "images" and digits.ids is None and digits.feature_names is None
    factors = read_data("latent-factors", columns=["x0", "x5"])
    assert factors.X.shape == (2000, 2) and factors.feature_names == ["x0", "x5"]
    assert factors.label_name == "factor 1" and factors.labels.shape == (2000,)
    with pytest.raises(DatasetNotFoundError, match="looked in"):
        read_data("mnist", data_dir=tmp_path)


def test_existing_path_wins_over_dataset_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _save_image(tmp_path / "digits" / "one.png", _grey())
    assert read_data("digits").X.shape == (1, 4, 6)


def test_supported_descriptions() -> None:
    assert ".parquet" in SUPPORTED_INPUTS and "digits" in SUPPORTED_INPUTS
    assert ".npz" in SUPPORTED_OUTPUTS and ".csv" in SUPPORTED_OUTPUTS


def test_parse_image_size() -> None:
    assert parse_image_size("28x20") == (28, 20)
    assert parse_image_size(" 28 X 20 ") == (28, 20)
    assert parse_image_size("32") == (32, 32)
    for bad in ("28x", "0x5", "a by b", "28x20x3", "-3x4"):
        with pytest.raises(InputError, match="HEIGHTxWIDTH"):
            parse_image_size(bad)


# ---------------------------------------------------------------- bad tables


def test_non_numeric_value_names_file_column_line_and_value(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "bad.csv", "a,b\n1,2\n\n3,oops\n5,6\n")
    with pytest.raises(DataFileError) as info:
        read_data(path).numeric()
    message = str(info.value)
    assert "bad.csv" in message and "line 4" in message and "column 'b'" in message and "'oops'" in message
    assert "`columns`" in message and "`label`" in message and "`id_column`" in message and "\n" not in message
    assert "--" not in message


def test_non_numeric_first_problem_in_file_order(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "bad.csv", "a,b\n1,2\n3,x\ny,4\n")
    with pytest.raises(DataFileError, match=r"line 3, column 'b'.*'x'"):
        read_data(path).numeric()


def test_decimal_comma_hint(tmp_path: Path) -> None:
    # a decimal comma is only detected beside ';' (test_dialects.py); beside a tab the message names `decimal`
    path = _write_text(tmp_path / "eu.txt", "a\tb\n1,5\t2\n2,5\t3\n")
    with pytest.raises(DataFileError, match=r"decimal comma\? set `decimal` to ','"):
        read_data(path).numeric()
    assert read_data(path, decimal=",").X.tolist() == [[1.5, 2], [2.5, 3]]


@pytest.mark.parametrize("text", ["a,b\n1,2\n3,\n", "a,b\n1,2\n3,NA\n", "a,b\n1,2\n3\n"])
def test_missing_value(tmp_path: Path, text: str) -> None:
    with pytest.raises(DataFileError) as info:
        read_data(_write_text(tmp_path / "gap.csv", text)).numeric()
    message = str(info.value)
    assert "gap.csv" in message and "line 3" in message and "column 'b'" in message and "missing value" in message


def test_infinite_value(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"line 2, column 'a': infinite value 'inf'"):
        read_data(_write_text(tmp_path / "inf.csv", "a\ninf\n"))


@pytest.mark.parametrize(("text", "line"), [("a,b\n1,2\n3,4,5\n", 3), ("a,b\n1,2,3\n4,5\n", 2)])
def test_ragged_row(tmp_path: Path, text: str, line: int) -> None:
    with pytest.raises(DataFileError) as info:
        read_data(_write_text(tmp_path / "ragged.csv", text))
    message = str(info.value)
    assert "ragged.csv" in message and f"line {line}: 3 fields" in message and "line 1 has 2" in message


@pytest.mark.parametrize("option", ["columns", "label", "id_column"])
def test_unknown_column_lists_columns(tmp_path: Path, option: str) -> None:
    path = _write_text(tmp_path / "t.csv", "alpha,beta\n1,2\n")
    value = ["gamma"] if option == "columns" else "gamma"
    with pytest.raises(DataFileError) as info:
        read_data(path, **{option: value})
    message = str(info.value)
    assert "t.csv" in message and "'gamma'" in message and f"`{option}`" in message and "alpha, beta" in message


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"empty\.csv': the file is empty"):
        read_data(_write_text(tmp_path / "empty.csv", ""))
    with pytest.raises(DataFileError, match=r"head\.csv': no data rows \(only the column names a, b\)"):
        read_data(_write_text(tmp_path / "head.csv", "a,b\n"))


def test_parquet_non_numeric_gives_row(tmp_path: Path) -> None:
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["1", "2", "3", "four"]}).to_parquet(tmp_path / "t.parquet")
    with pytest.raises(DataFileError, match=r"t\.parquet', row 3, column 'b': non-numeric value 'four'"):
        read_data(tmp_path / "t.parquet").numeric()
    assert read_data(tmp_path / "t.parquet", columns=["a"]).X.shape == (4, 1)


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "latin.csv").write_bytes("caf\xe9,b\n1,2\n".encode("latin-1"))
    with pytest.raises(DataFileError, match="not UTF-8"):
        read_data(tmp_path / "latin.csv")


# ---------------------------------------------------------------- bad arrays


def test_one_dimensional_npy(tmp_path: Path) -> None:
    np.save(tmp_path / "v.npy", np.arange(5.0))
    with pytest.raises(DataFileError, match=r"v\.npy': holds a 1-D array of shape \(5,\).*reshape\(-1, 1\)"):
        read_data(tmp_path / "v.npy")


def test_npz_without_key_and_several_arrays(tmp_path: Path) -> None:
    np.savez(tmp_path / "many.npz", first=_table(), second=_table())
    with pytest.raises(DataFileError, match=r"many\.npz': holds several arrays \(first, second\); .* `key`"):
        read_data(tmp_path / "many.npz")
    with pytest.raises(DataFileError, match=r"no array 'third' for `key`; the arrays are first, second"):
        read_data(tmp_path / "many.npz", key="third")


def test_npz_label_of_wrong_length(tmp_path: Path) -> None:
    np.savez(tmp_path / "z.npz", X=_table(), y=np.arange(4))
    with pytest.raises(DataFileError, match=r"array 'y' has shape \(4,\); `label` needs .* shape \(5,\)"):
        read_data(tmp_path / "z.npz", label="y")


def test_object_npy_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(DataFileError, match=r"obj\.npy': the array holds Python objects.*refuses pickles"):
        read_data(tmp_path / "obj.npy")


def test_nan_in_npy_names_file_and_position(tmp_path: Path) -> None:
    X = _table()
    X[2, 1] = np.nan
    np.save(tmp_path / "nan.npy", X)
    with pytest.raises(DataFileError, match=r"nan\.npy' contains NaN at row 2, column 1"):
        read_data(tmp_path / "nan.npy")


def test_not_a_npy_file(tmp_path: Path) -> None:
    _write_text(tmp_path / "fake.npy", "hello")
    with pytest.raises(DataFileError, match=r"fake\.npy': not a NumPy \.npy file"):
        read_data(tmp_path / "fake.npy")


def test_truncated_idx(tmp_path: Path) -> None:
    (tmp_path / "t-idx3-ubyte").write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 9]))
    with pytest.raises(DataFileError, match=r"t-idx3-ubyte: truncated IDX header"):
        read_data(tmp_path / "t-idx3-ubyte")


# ---------------------------------------------------------------- bad images


def test_corrupt_image_is_named(tmp_path: Path) -> None:
    _save_image(tmp_path / "imgs" / "good.png", _grey())
    (tmp_path / "imgs" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataFileError, match=r"broken\.png': not a readable image.*remove or replace it"):
        read_data(tmp_path / "imgs")


def test_truncated_image_is_named(tmp_path: Path) -> None:
    _save_image(tmp_path / "imgs" / "a.png", _grey(16, 16))
    content = (tmp_path / "imgs" / "a.png").read_bytes()
    (tmp_path / "imgs" / "b.png").write_bytes(content[: len(content) // 2])
    with pytest.raises(DataFileError, match=r"b\.png': not a readable image"):
        read_data(tmp_path / "imgs")


def test_mismatched_image_sizes(tmp_path: Path) -> None:
    _save_image(tmp_path / "imgs" / "a.png", _grey(4, 6))
    _save_image(tmp_path / "imgs" / "b.png", _grey(5, 6))
    with pytest.raises(DataFileError) as info:
        read_data(tmp_path / "imgs")
    message = str(info.value)
    assert "'a.png' is 4x6" in message and "'b.png' is 5x6" in message and "`image_size` (for example 4x6)" in message


def test_empty_folder_and_folder_without_images(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    with pytest.raises(DataFileError, match=r"nothing': no PNG or JPEG images"):
        read_data(tmp_path / "nothing")
    _write_text(tmp_path / "nothing" / "scan.bmp", "x")
    with pytest.raises(DataFileError, match=r"1 other file\(s\) skipped, e\.g\. 'scan\.bmp'"):
        read_data(tmp_path / "nothing")


def test_images_both_at_top_and_in_sub_folders(tmp_path: Path) -> None:
    _save_image(tmp_path / "imgs" / "a.png", _grey())
    _save_image(tmp_path / "imgs" / "cats" / "b.png", _grey())
    with pytest.raises(DataFileError, match="both directly inside"):
        read_data(tmp_path / "imgs")


# ---------------------------------------------------------------- bad sources and options


def test_unknown_dataset_name() -> None:
    with pytest.raises(DataFileError) as info:
        read_data("foo.csv")
    message = str(info.value)
    assert message.startswith("'foo.csv': no such file or folder, and not a built-in dataset (digits, latent-factors")
    with pytest.raises(DataFileError, match="did you mean 'digits'"):
        read_data("digit")


def test_unknown_input_suffix(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"data\.xlsx': unknown kind of file \.xlsx; vaekit reads"):
        read_data(_write_text(tmp_path / "data.xlsx", "x"))


def test_option_that_does_not_apply(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", _table())
    with pytest.raises(DataFileError, match=r"a\.npy': `label` does not apply to \.npy files"):
        read_data(tmp_path / "a.npy", label="y")
    with pytest.raises(DataFileError, match="`image_size` does not apply to built-in datasets"):
        read_data("digits", image_size=(4, 4))


# ---------------------------------------------------------------- writing


def test_unknown_output_suffix(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"z\.xlsx': unknown output suffix \.xlsx; use one of \.csv"):
        write_array(tmp_path / "z.xlsx", _table())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["z.csv", "z.parquet", "z.npy", "z.npz"])
def test_refuses_to_overwrite(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match=rf"{name}' already exists; use `overwrite` to replace it"):
        write_array(path, _table())
    assert path.read_bytes() == b"precious"
    write_array(path, _table(), overwrite=True)
    assert path.read_bytes() != b"precious"
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left


def test_images_written_to_a_table_are_flattened(tmp_path: Path) -> None:
    images = RNG.random((2, 3, 4, 5), dtype=np.float32)
    frame = pd.read_csv(write_array(tmp_path / "im.csv", images))
    assert list(frame.columns[:2]) == ["p0", "p1"] and frame.shape == (2, 60)
    np.testing.assert_array_equal(frame.to_numpy(np.float32), images.reshape(2, -1))


def test_npy_refuses_extra_columns(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="write a .npz, .csv or .parquet file instead"):
        write_array(tmp_path / "z.npy", _table(), extra_columns={"error": np.zeros(5)})
    assert not (tmp_path / "z.npy").exists()


def test_write_checks_lengths_and_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"ids must have shape \(5,\)"):
        write_array(tmp_path / "z.csv", _table(), ids=np.arange(4))
    with pytest.raises(ValueError, match="2 column names for an array of 3 columns"):
        write_array(tmp_path / "z.csv", _table(), column_names=["a", "b"])
    with pytest.raises(ValueError, match="'z0' is used twice"):
        write_array(tmp_path / "z.csv", _table(), extra_columns={"z0": np.zeros(5)})
    assert not (tmp_path / "z.csv").exists()


def test_int_positions_and_comma_string_select_columns(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "t.csv", "a,b,c\n1,2,3\n")
    assert read_data(path, columns=[2, 0]).feature_names == ["c", "a"]  # ints are positions, header or not
    assert read_data(path, columns="b, c").feature_names == ["b", "c"]
    with pytest.raises(DataFileError, match="column 'a' is given twice in `columns`"):
        read_data(path, columns=["a", 0])


def test_invalid_image_mode(tmp_path: Path) -> None:
    _save_image(tmp_path / "imgs" / "a.png", _grey())
    with pytest.raises(DataFileError, match="`image_mode` 'cmyk' is none of auto, grey, rgb"):
        read_data(tmp_path / "imgs", image_mode="cmyk")


# ------------------------------------------------------------ text tables by pyarrow
@pytest.mark.parametrize("name, sep", [("t.csv", ","), ("t.tsv.gz", "\t")])
def test_text_tables_quote_only_what_needs_it_and_round_trip_exactly(tmp_path: Path, name: str, sep: str) -> None:
    X = np.random.default_rng(3).random((50, 4), dtype=np.float32)
    X[0, 1] = np.nan
    ids = np.array(["plain"] * 48 + ["a,b", 'say "hi"'])
    path = write_array(tmp_path / name, X, ids=ids, id_name="name", column_names=["w", "x y", "z,1", "q"])
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    quoted_col = '"z,1"' if sep == "," else "z,1"
    assert lines[0] == sep.join(["name", "w", "x y", quoted_col, "q"])
    assert lines[1].split(sep)[2] == ""  # NaN is an empty field
    back = pd.read_csv(path, sep=sep)
    assert back["name"].tolist() == ids.tolist()
    np.testing.assert_array_equal(back.iloc[:, 1:].to_numpy(np.float32), X)  # bit-exact floats


def test_text_table_with_a_mixed_object_column_is_still_written(tmp_path: Path) -> None:
    path = write_array(
        tmp_path / "m.csv", np.ones((3, 1)), extra_columns={"tag": np.array([1, "a", 2.5], dtype=object)}
    )
    lines = Path(path).read_text().splitlines()
    assert lines[0] == "z0,tag" and [line.split(",")[1] for line in lines[1:]] == ["1", "a", "2.5"]
    assert [float(line.split(",")[0]) for line in lines[1:]] == [1.0, 1.0, 1.0]


def test_a_few_text_values_in_a_column_of_numbers_are_named_by_line(tmp_path: Path) -> None:
    from vaekit.data.loaded import DataNoteWarning
    from vaekit.data.split import DATA_DEFAULTS, load_split

    rng = np.random.default_rng(0)
    lines = ["a,b"] + [f"{rng.normal():.3f},{rng.normal():.3f}" for _ in range(60)]
    lines[41] = lines[41].split(",")[0] + ",n/a?"  # the 41st data row: line 42 of the file
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.warns(DataNoteWarning, match=r"read as a gap: column 'b': 'n/a\?' \(line 42\)"):
        load_split({**DATA_DEFAULTS, "source": str(path)}, 0)
    with pytest.warns(DataNoteWarning, match="line 42"):  # at each reading: a trained model's reading too
        loaded = read_data(path)
    assert loaded.frame["b"].dtype == np.float64 and np.isnan(loaded.X[40, 1]) and np.isfinite(loaded.X[:40]).all()


# ----------------------------------------------------------------------
# Bad input files and saved models (issue 11's battery): one-line errors, never a traceback,
# a hang or a huge allocation.
#
# Each test is one defect the battery found; the comment above a group names it.
# Allocation is measured with :mod:`tracemalloc`, which sees Python's and NumPy's
# memory: a reader that trusts a size field in a small file allocates what the field
# says, and fails the bound even where the allocation itself would succeed.


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
