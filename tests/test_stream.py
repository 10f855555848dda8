"""Streamed sources (vaekit.data.stream) and their batches (vaekit.training.batches).

Each source's chunks, put together, must equal what the in-memory reader gives for
the same file; the batches must equal TensorBatches' where the buffer holds every row.
"""

from __future__ import annotations

import mmap
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from PIL import Image
from typer.testing import Result

from vaekit.data.loaded import DataFileError
from vaekit.data.preprocessing import ConstantFeatureWarning, Scaling
from vaekit.data.read import read_data
from vaekit.data.stream import (
    STREAMABLE,
    ChunkSource,
    CsvChunks,
    ImageFolderChunks,
    NpyChunks,
    ParquetChunks,
    RowSubset,
    convert_to_parquet,
    open_stream,
    stream_statistics,
)
from vaekit.data.validation import InputError, check_array
from vaekit.training.batches import StreamBatches, TensorBatches

CliRun = Callable[..., Result]  # the `cli` fixture of conftest.py


def whole(source: ChunkSource) -> np.ndarray:
    """Every chunk of ``source``, checked against its bounds, put together."""
    parts, expected_start = [], 0
    for i in range(source.n_chunks):
        start, stop = source.chunk_bounds(i)
        x = source.read_chunk(i)
        assert (start, x.shape, x.dtype, x.flags.c_contiguous) == (
            expected_start,
            (stop - start, *source.sample_shape),
            np.float32,
            True,
        )
        parts.append(x)
        expected_start = stop
    assert expected_start == source.n_rows
    return np.concatenate(parts)


@pytest.fixture
def table() -> np.ndarray:
    return (np.random.default_rng(0).normal(size=(53, 4)) * [1, 10, 100, 1e4] + [0, 5, -3, 1e5]).astype(np.float32)


# ---------------------------------------------------------------------------------------------- .npy
@pytest.mark.parametrize(
    "array",
    [
        np.arange(60, dtype=np.float64).reshape(15, 4) / 7,
        np.asfortranarray(np.arange(60, dtype=np.int32).reshape(15, 4)),  # a table stored by columns
        np.arange(15 * 2 * 3 * 3, dtype=np.uint8).reshape(15, 2, 3, 3),  # channels last, bytes
        np.arange(15 * 4 * 3, dtype=np.uint8).reshape(15, 4, 3),  # grey bytes
    ],
    ids=["float-table", "fortran-table", "channels-last-uint8", "grey-uint8"],
)
def test_npy_chunks_equal_the_in_memory_reader_from_a_file_and_a_memmap(tmp_path: Path, array: np.ndarray) -> None:
    path = tmp_path / "x.npy"
    np.save(path, array)
    expected = read_data(str(path)).X
    for source in (NpyChunks(path, chunk_bytes=100), NpyChunks(np.load(path, mmap_mode="r"), chunk_bytes=100)):
        assert source.n_chunks > 2
        assert source.sample_shape == expected.shape[1:]
        assert source.feature_names is None
        np.testing.assert_array_equal(whole(source), expected)
        first = source.read_chunk(0)
        first[:] = -1  # a fresh buffer: the next read is not changed
        assert np.array_equal(source.read_chunk(0), expected[: len(first)])


def test_npy_chunks_read_without_mapping_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    np.save(tmp_path / "x.npy", np.ones((10, 3), dtype=np.float32))
    source = NpyChunks(tmp_path / "x.npy", chunk_bytes=24)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was memory-mapped")

    monkeypatch.setattr(mmap, "mmap", refuse)
    assert (source.n_chunks, whole(source).sum()) == (5, 30.0)


def test_npy_chunks_refuse_views_pickles_and_text(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((4, 3)))
    view = np.load(tmp_path / "x.npy", mmap_mode="r")[1:]
    with pytest.raises(
        DataFileError, match=r"a view \(slice, transpose, ...\) of a memory-mapped array cannot be streamed"
    ):
        NpyChunks(view)
    np.save(tmp_path / "o.npy", np.array([[1, "a"]], dtype=object), allow_pickle=True)
    with pytest.raises(DataFileError, match=r"holds Python objects \(a pickled array\)"):
        NpyChunks(tmp_path / "o.npy")
    np.save(tmp_path / "t.npy", np.array([["1", "2"]]))
    with pytest.raises(DataFileError) as caught:
        NpyChunks(tmp_path / "t.npy")
    assert str(caught.value) == (
        f"'{tmp_path / 't.npy'}': holds values of dtype <U1, not real numbers; streaming takes numeric arrays "
        "(save it with a float or integer dtype)"
    )


# ---------------------------------------------------------------------------------------------- Parquet
def test_parquet_file_and_folder_stream_one_row_group_per_chunk(tmp_path: Path, table: np.ndarray) -> None:
    frame = pd.DataFrame(table, columns=["a", "b", "c", "d"])
    frame.to_parquet(tmp_path / "t.parquet", row_group_size=20)
    single = ParquetChunks(tmp_path / "t.parquet")
    assert ([single.chunk_bounds(i) for i in range(single.n_chunks)], single.feature_names) == (
        [(0, 20), (20, 40), (40, 53)],
        ["a", "b", "c", "d"],
    )
    np.testing.assert_array_equal(whole(single), read_data(str(tmp_path / "t.parquet")).X)
    folder = tmp_path / "parts"
    folder.mkdir()
    frame.iloc[:30].to_parquet(folder / "a.parquet", row_group_size=16)  # the index is metadata: no column
    frame.iloc[30:].reset_index(drop=True).to_parquet(folder / "b.parquet")
    parts = open_stream(folder)
    assert isinstance(parts, ParquetChunks)
    assert [parts.chunk_bounds(i) for i in range(parts.n_chunks)] == [(0, 16), (16, 30), (30, 53)]
    np.testing.assert_array_equal(whole(parts), table)


def test_parquet_folder_with_a_differing_file_is_named(tmp_path: Path, table: np.ndarray) -> None:
    frame = pd.DataFrame(table, columns=["a", "b", "c", "d"])
    frame.to_parquet(tmp_path / "1.parquet")
    frame.rename(columns={"d": "e"}).to_parquet(tmp_path / "2.parquet")
    with pytest.raises(DataFileError) as caught:
        ParquetChunks(tmp_path)
    assert str(caught.value) == (
        f"'{tmp_path / '2.parquet'}', row group 0: its columns differ from those of '{tmp_path / '1.parquet'}': "
        "it lacks column 'd'; every file of a folder must have the same columns and types"
    )
    frame.astype({"b": np.int64}).to_parquet(tmp_path / "2.parquet")
    with pytest.raises(DataFileError, match=r"2\.parquet', row group 0: .*: its column 'b' is int64, not float;"):
        ParquetChunks(tmp_path)


def test_parquet_text_column_is_refused_in_one_line(tmp_path: Path) -> None:
    pd.DataFrame({"x": [1.0, 2.0], "city": ["Oslo", "Lima"]}).to_parquet(tmp_path / "t.parquet")
    with pytest.raises(InputError) as caught:
        ParquetChunks(tmp_path / "t.parquet")
    assert str(caught.value) == (
        f"'{tmp_path / 't.parquet'}': streaming takes numeric columns only, and column 'city' holds text; "
        "read the file into memory for a table of mixed columns, or leave the column out of the file"
    )


# ---------------------------------------------------------------------------------------------- text
@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("a,b,c\n" + "".join(f"{i * 3},{i * 0.5},{-i * 2}\n" for i in range(40)), ["a", "b", "c"]),
        ("".join(f"{i * 3};{i},25;{-i * 2}\n\n" for i in range(40)), None),  # no header, decimal commas, blank lines
        (
            ",a,b\n" + "".join(f"{i},{i * 2},{i / 4},\n" for i in range(40)).replace(",\n", "\n"),
            ["a", "b"],
        ),  # to_csv's index
        (
            '"a",b,\n' + "".join(f'{i * 3},"{i * 2}",\n' for i in range(40)),
            ["a", "b"],
        ),  # quotes, a separator at each end
    ],
    ids=["header", "semicolons", "row-index", "quoted-trailing"],
)
def test_csv_chunks_equal_the_in_memory_reader(tmp_path: Path, text: str, names: list[str] | None) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the note on a row index, from both readers
        source = CsvChunks(path, chunk_bytes=64)
        expected = read_data(str(path)).X
    assert source.n_chunks > 3
    assert (source.n_rows, source.feature_names) == (40, names)
    np.testing.assert_array_equal(whole(source), expected)


def test_csv_chunks_index_records_not_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('"first\nname",b\n' + "".join(f"{i},{i}\n" for i in range(10)))
    source = CsvChunks(path, chunk_bytes=1)  # one record a chunk: the quoted line break is inside the header
    assert (source.n_chunks, source.feature_names, source.read_chunk(9).tolist()) == (
        10,
        ["first\nname", "b"],
        [[9, 9]],
    )


def test_csv_text_is_refused_with_its_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("x,kind\n1,cat\n2,dog\n")
    with pytest.raises(DataFileError) as caught:
        CsvChunks(path)
    assert str(caught.value) == (
        f"'{path}', line 2, column 'kind': non-numeric value 'cat'; streaming takes numbers only: fix the value, "
        "read the file into memory for a table of mixed columns, or leave the column out of the file"
    )
    path.write_text("x,y\n" + "1,2\n" * 60 + "3,oops\n")  # past the lines the check looks at
    source = CsvChunks(path, chunk_bytes=100)
    with pytest.raises(DataFileError, match=r"t\.csv', line 62, column 'y': non-numeric value 'oops';"):
        whole(source)


# ---------------------------------------------------------------------------------------------- images
def write_images(folder: Path, n: int, size: tuple[int, int] = (5, 4), mode: str = "L") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(n)
    for i in range(n):
        shape = (size[1], size[0]) if mode == "L" else (size[1], size[0], 3)
        Image.fromarray(rng.integers(0, 256, size=shape, dtype=np.uint8), mode).save(folder / f"{i:03d}.png")


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_image_folder_chunks_equal_the_in_memory_reader(tmp_path: Path, mode: str) -> None:
    write_images(tmp_path / "cats", 5, mode=mode)
    write_images(tmp_path / "dogs", 4, mode=mode)
    source = open_stream(tmp_path, image_mode="auto")
    assert isinstance(source, ImageFolderChunks)
    source = ImageFolderChunks(tmp_path, files_per_chunk=4)
    loaded = read_data(str(tmp_path))
    assert (source.n_chunks, source.sample_shape) == (3, loaded.X.shape[1:])
    np.testing.assert_array_equal(whole(source), loaded.X)
    assert (source.labels.tolist(), source.ids.tolist()) == (loaded.labels.tolist(), loaded.ids.tolist())


def test_image_folder_is_decoded_lazily_and_a_size_mismatch_is_the_in_memory_error(tmp_path: Path) -> None:
    write_images(tmp_path, 6)
    Image.new("L", (7, 7)).save(tmp_path / "004.png")
    with pytest.raises(DataFileError) as in_memory:
        read_data(str(tmp_path))
    source = ImageFolderChunks(tmp_path, files_per_chunk=3)  # only the first file was looked at
    assert source.read_chunk(0).shape == (3, 4, 5)
    with pytest.raises(DataFileError) as streamed:
        source.read_chunk(1)
    assert str(streamed.value) == str(in_memory.value)
    assert "'000.png' is 4x5 (height x width) but '004.png' is 7x7" in str(streamed.value)


# ---------------------------------------------------------------------------------------------- dispatch
def test_open_stream_picks_the_source_by_type_and_suffix(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((3, 2)))
    (tmp_path / "t.tsv").write_text("a\tb\n1\t2\n")
    pd.DataFrame({"a": [1.0]}).to_parquet(tmp_path / "t.pq")
    np.savez(tmp_path / "x.npz", X=np.zeros((3, 2)))
    assert isinstance(open_stream(tmp_path / "x.npy"), NpyChunks)
    assert isinstance(open_stream(np.load(tmp_path / "x.npy", mmap_mode="r")), NpyChunks)
    assert isinstance(open_stream(str(tmp_path / "t.tsv")), CsvChunks)
    assert isinstance(open_stream(tmp_path / "t.pq"), ParquetChunks)
    with pytest.raises(InputError) as caught:
        open_stream(tmp_path / "x.npz")
    assert str(caught.value) == (
        f"'{tmp_path / 'x.npz'}': a file of suffix '.npz', which cannot be streamed; streaming takes {STREAMABLE} "
        "(read other data into memory, or save it in one of those forms)"
    )
    with pytest.raises(InputError, match="an object in memory, which cannot be streamed"):
        open_stream([[1.0, 2.0]])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- statistics
def test_statistics_give_the_scaling_of_the_whole_array(tmp_path: Path, table: np.ndarray) -> None:
    table[:, 3] = 1e5  # a constant feature, named in the same warning
    table[::3, 0] = 0.0
    np.save(tmp_path / "x.npy", table)
    rows = np.random.default_rng(1).random(len(table)) < 0.6
    stats = stream_statistics(NpyChunks(tmp_path / "x.npy", chunk_bytes=64), rows=rows)
    selected = table[rows]
    np.testing.assert_allclose(stats.mean, selected.mean(axis=0, dtype=np.float64), rtol=1e-12)
    np.testing.assert_allclose(stats.std, selected.std(axis=0, dtype=np.float64), rtol=1e-9)
    assert np.array_equal(stats.min, selected.min(axis=0)) and np.array_equal(stats.max, selected.max(axis=0))
    assert stats.n_rows == rows.sum()
    assert stats.binary_share == float(np.isin(selected, (0.0, 1.0)).mean())
    names = ["a", "b", "c", "d"]
    with pytest.warns(ConstantFeatureWarning) as fitted:
        expected = Scaling.fit(selected, "standardize", names=names)
    with pytest.warns(ConstantFeatureWarning) as streamed:
        scaling = Scaling.from_statistics(stats, "standardize", names=names)
    assert [str(w.message) for w in streamed] == [str(w.message) for w in fitted]
    np.testing.assert_allclose(scaling.mean, expected.mean, rtol=1e-7)
    np.testing.assert_allclose(scaling.scale, expected.scale, rtol=1e-6)
    assert scaling.scale[3] == 1.0 and Scaling.from_statistics(stats, "none").mean is None


def test_statistics_name_a_nan_as_check_array_does(tmp_path: Path, table: np.ndarray) -> None:
    table[37, 2] = np.nan
    table[50, 1] = np.inf
    np.save(tmp_path / "x.npy", table)
    with pytest.raises(InputError) as in_memory:
        check_array(table, name=f"'{tmp_path / 'x.npy'}'")
    with pytest.raises(DataFileError) as streamed:
        stream_statistics(str(tmp_path / "x.npy"))
    assert str(streamed.value) == str(in_memory.value)
    assert "contains NaN at row 37, column 2 (2 non-finite value(s) in all)" in str(streamed.value)


# ---------------------------------------------------------------------------------------------- batches
class Counted:
    """A source that counts the chunks read."""

    def __init__(self, source: ChunkSource) -> None:
        self.inner, self.reads = source, []
        self.name, self.n_rows, self.sample_shape = source.name, source.n_rows, source.sample_shape
        self.feature_names, self.n_chunks = source.feature_names, source.n_chunks

    def chunk_bounds(self, i: int) -> tuple[int, int]:
        return self.inner.chunk_bounds(i)

    def read_chunk(self, i: int) -> np.ndarray:
        self.reads.append(i)
        return self.inner.read_chunk(i)


@pytest.fixture
def rows_file(tmp_path: Path) -> Path:
    """103 rows whose first value is the row number, so that a batch says which rows it holds."""
    values = np.random.default_rng(2).normal(size=(103, 3)).astype(np.float32)
    values[:, 0] = np.arange(103)
    np.save(tmp_path / "rows.npy", values)
    return tmp_path / "rows.npy"


def test_batches_equal_tensor_batches_when_the_buffer_holds_every_row(rows_file: Path) -> None:
    source = NpyChunks(rows_file, chunk_bytes=120)  # 10 rows a chunk
    X = np.load(rows_file)
    rows = np.random.default_rng(3).random(len(X)) < 0.7
    scaling = Scaling.fit(X[rows], "standardize")
    streamed = StreamBatches(
        source,
        8,
        rows=rows,
        transform=scaling.transform,
        generator=torch.Generator().manual_seed(7),
        buffer_rows=rows.sum(),
    )
    in_memory = TensorBatches(
        torch.from_numpy(scaling.transform(X[rows])), 8, True, generator=torch.Generator().manual_seed(7)
    )
    assert len(streamed) == len(in_memory) == 9
    for _ in range(2):  # one randperm per epoch and nothing else drawn, else the second epoch differs
        pairs = list(zip(streamed, in_memory, strict=True))
        assert all(torch.equal(a, b) for a, b in pairs)
    in_order = StreamBatches(source, 8, rows=rows, shuffle=False, buffer_rows=5)
    assert torch.equal(torch.cat(list(in_order)), torch.from_numpy(X[rows]))


def test_a_small_buffer_covers_every_selected_row_once_and_reads_no_empty_chunk(rows_file: Path) -> None:
    source = Counted(NpyChunks(rows_file, chunk_bytes=120))
    rows = np.ones(103, dtype=bool)
    rows[20:40] = False  # chunks 2 and 3 hold none
    batches = StreamBatches(source, 8, rows=rows, generator=torch.Generator().manual_seed(0), buffer_rows=20)
    epochs = []
    for _ in range(2):
        source.reads.clear()
        epoch = list(batches)
        assert len(epoch) == len(batches) == 11
        assert [len(b) for b in epoch[:-1]] == [8] * 10 and len(epoch[-1]) == 3
        seen = torch.cat(epoch)[:, 0].long().sort().values
        assert torch.equal(seen, torch.from_numpy(np.flatnonzero(rows)))
        assert sorted(source.reads) == [0, 1, 4, 5, 6, 7, 8, 9, 10]
        epochs.append(torch.cat(epoch)[:, 0])
    assert not torch.equal(epochs[0], epochs[1])


@pytest.mark.parametrize(("world_size", "n_selected"), [(2, 77), (3, 77), (5, 3)])
def test_ranks_get_disjoint_or_padded_shards_of_equal_length(rows_file: Path, world_size: int, n_selected: int) -> None:
    source = NpyChunks(rows_file, chunk_bytes=120)
    rows = np.zeros(103, dtype=bool)
    rows[np.random.default_rng(5).choice(103, n_selected, replace=False)] = True
    shards = []
    for rank in range(world_size):
        batches = StreamBatches(
            source,
            8,
            rows=rows,
            generator=torch.Generator().manual_seed(4),
            buffer_rows=16,
            rank=rank,
            world_size=world_size,
        )
        epoch = list(batches)
        assert len(epoch) == len(batches)
        shards.append(torch.cat(epoch)[:, 0].long())
    per_rank = -(-n_selected // world_size)
    assert [len(s) for s in shards] == [per_rank] * world_size
    everything = torch.cat(shards)
    assert torch.equal(everything.unique(), torch.from_numpy(np.flatnonzero(rows)))  # every row is somewhere
    assert len(everything) - len(everything.unique()) == per_rank * world_size - n_selected  # repeated only to pad
    assert all(len(s.unique()) == len(s) for s in shards)


def test_worker_processes_give_the_same_batches_and_one_line_errors(tmp_path: Path) -> None:
    write_images(tmp_path / "images", 10)
    source = ImageFolderChunks(tmp_path / "images", files_per_chunk=3)
    kwargs = {"buffer_rows": 4, "rows": np.arange(10) != 4}
    read = [
        list(StreamBatches(source, 3, generator=torch.Generator().manual_seed(1), num_workers=n, **kwargs))
        for n in (0, 1)
    ]
    assert len(read[0]) == 3 and all(torch.equal(a, b) for a, b in zip(*read, strict=True))
    (tmp_path / "images" / "008.png").write_bytes(b"not an image")
    for n in (0, 1):
        with pytest.raises(DataFileError) as caught:
            list(StreamBatches(ImageFolderChunks(tmp_path / "images", files_per_chunk=3), 3, num_workers=n))
        assert str(caught.value).startswith(f"'{tmp_path / 'images' / '008.png'}': not a readable image (")
        assert "\n" not in str(caught.value)


# ---------------------------------------------------------------------------------------------- bad input, as in memory
def bad_table(tmp_path: Path, line: int, text: str) -> Path:
    """A CSV of 40 rows whose line ``line`` is ``text``; a quoted header field over two lines and a blank line
    come before, so that records, lines and data rows all differ."""
    rows = [f"{i},{i / 4},{-i}" for i in range(40)]
    lines = ['"first\nname",b,c', *rows[:3], "", *rows[3:]]  # the header is lines 1-2, line 6 is blank
    physical = "\n".join(lines).split("\n")
    physical[line - 1] = text
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(physical) + "\n")
    return path


def training_rows(source: ChunkSource) -> RowSubset:
    """Every other row, as a run's training part: its own row numbers are not the file's."""
    return RowSubset(source, np.arange(source.n_rows) % 2 == 0)


@pytest.mark.parametrize(
    ("line", "text", "message", "in_memory"),
    [
        (20, "1,2,3,4", "line 20: 4 fields, but line 1 has 3: a value contains the separator ','", None),
        (20, "1,2,3,", "line 20: 4 fields, but line 1 has 3", None),
        (20, "18,oops,3", "line 20, column 'b': non-numeric value 'oops';", None),
        (4, "18,oops,3", "line 4, column 'b': non-numeric value 'oops';", None),  # in the lines read on opening
        (20, "18,inf,3", "line 20, column 'b': infinite value 'inf';", None),
        (30, "18,2,-inf", "line 30, column 'c': infinite value '-inf';", None),
        (20, "18,1e39,3", "line 20, column 'b': infinite value 'inf';", "line 20, column 'b': value beyond the"),
    ],
    ids=["long-row", "trailing-separator-once", "text", "text-early", "inf", "minus-inf", "beyond-float32"],
)
def test_streamed_csv_refuses_what_memory_refuses_naming_the_line_and_column(
    tmp_path: Path, line: int, text: str, message: str, in_memory: str | None
) -> None:
    path = bad_table(tmp_path, line, text)
    expected = f"'{path}', {message}"
    with pytest.raises(DataFileError) as read:
        read_data(str(path)).numeric()  # text makes a mixed table, refused for a model of numbers
    assert str(read.value).startswith(f"'{path}', {in_memory or message}")
    with pytest.raises(DataFileError) as streamed:
        stream_statistics(training_rows(CsvChunks(path, chunk_bytes=64)))  # row 20 is a training row
    assert str(streamed.value).startswith(expected) and "\n" not in str(streamed.value)
    with pytest.raises(DataFileError) as whole_file:
        stream_statistics(str(path))
    assert str(whole_file.value) == str(streamed.value)


@pytest.mark.parametrize(("text", "short"), [("18,2", True), ("18,,3", False), ("18,NA,3", False)])
def test_a_short_or_empty_field_is_a_gap_in_memory_and_refused_streamed_naming_the_line(
    tmp_path: Path, text: str, short: bool
) -> None:
    path = bad_table(tmp_path, 20, text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = read_data(str(path))
    assert loaded.frame is not None and loaded.frame.isna().sum().sum() == 1  # a gap, not an error
    notes = [str(w.message) for w in caught]
    if short:  # never silently: a note names the line and the column read as a gap
        assert notes == [f"'{path}', line 20: 2 fields for 3 columns; column 'c' is read as a gap there and in any "
                         "other line as short (write the missing fields, empty where a value is missing)"]  # fmt: skip
    elif "NA" in text:  # a missing marker in a column of numbers: a gap, named (issue 25)
        assert len(notes) == 1 and "'NA' (line 20)" in notes[0]
    else:
        assert notes == []
    column = "c" if short else "b"
    place = f"'{path}', line 20" + (" (2 fields for 3 columns)" if short else "")
    with pytest.raises(DataFileError) as streamed:
        stream_statistics(training_rows(CsvChunks(path, chunk_bytes=64)))
    assert str(streamed.value).startswith(f"{place}, column '{column}': missing value (empty, NA, null or NaN);")


def test_a_bad_value_in_a_held_out_row_of_a_streamed_run_names_its_line(tmp_path: Path, cli: CliRun) -> None:
    from vaekit.data.split import load_stream_split
    from vaekit.runs.config import default_config

    path = bad_table(tmp_path, 20, "18,inf,3")  # data row 17
    config = default_config()["data"] | {"source": str(path), "test_fraction": 0.5}
    for seed in range(20):  # a seed that holds row 17 out of training
        test = np.zeros(40, dtype=bool)
        test[np.random.default_rng(seed).permutation(40)[:20]] = True
        if test[17]:
            break
    with pytest.raises(DataFileError, match=r"bad\.csv', line 20, column 'b': infinite value 'inf';"):
        load_stream_split(config, seed)
    result = cli("train", path, "--stream", "--out", tmp_path / "run", "--epochs", "1", ok=False)
    assert result.stderr.startswith(f"vaekit train: error: '{path}', line 20, column 'b': infinite value 'inf';")
    assert len(result.stderr.splitlines()) == 1 and not (tmp_path / "run").exists()


def test_a_streamed_array_names_the_files_row_not_the_training_parts(tmp_path: Path, table: np.ndarray) -> None:
    table[36, 2] = np.inf
    np.save(tmp_path / "x.npy", table)
    with pytest.raises(DataFileError) as in_memory:
        read_data(str(tmp_path / "x.npy"))
    with pytest.raises(DataFileError) as streamed:
        stream_statistics(training_rows(NpyChunks(tmp_path / "x.npy", chunk_bytes=64)))  # row 36 is its 18th
    assert str(streamed.value) == str(in_memory.value)
    assert "contains inf (infinity) at row 36, column 2" in str(streamed.value)


@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_streamed_parquet_names_the_file_row_and_column(tmp_path: Path, table: np.ndarray, value: float) -> None:
    frame = pd.DataFrame(table, columns=["a", "b", "c", "d"])
    frame.iloc[44, 2] = value
    frame.to_parquet(tmp_path / "t.parquet", row_group_size=20)
    what = "infinite value 'inf'" if np.isinf(value) else "missing value"
    with pytest.raises(DataFileError) as streamed:
        stream_statistics(training_rows(ParquetChunks(tmp_path / "t.parquet")))
    assert str(streamed.value).startswith(f"'{tmp_path / 't.parquet'}', row 44, column 'c': {what}")
    if np.isinf(value):
        with pytest.raises(DataFileError) as in_memory:
            read_data(str(tmp_path / "t.parquet"))
        assert str(in_memory.value).startswith(f"'{tmp_path / 't.parquet'}', row 44, column 'c': {what}")
    folder = tmp_path / "parts"
    folder.mkdir()
    frame.iloc[:30].reset_index(drop=True).to_parquet(folder / "1.parquet")
    frame.iloc[30:].reset_index(drop=True).to_parquet(folder / "2.parquet", row_group_size=4)
    with pytest.raises(DataFileError) as parts:
        stream_statistics(training_rows(ParquetChunks(folder)))
    assert str(parts.value).startswith(f"'{folder / '2.parquet'}', row 14, column 'c': {what}")


@pytest.mark.parametrize(
    ("column", "what"),
    [
        (pa.array([[1.0, 2.0]] * 6), "lists (list<element: double>)"),
        (pa.array([[1]] * 6, type=pa.large_list(pa.int64())), "lists (large_list<element: int64>)"),
        (pa.array([[1.0, 2.0]] * 6, type=pa.list_(pa.float64(), 2)), "lists (fixed_size_list<element: double>[2])"),
        (pa.array([{"x": 1.0, "y": 2}] * 6), "records (struct<x: double, y: int64>)"),
        (pa.array([[("k", 1)]] * 6, type=pa.map_(pa.string(), pa.int64())), "maps (map<string, int64"),
        (pa.array([b"ab"] * 6), "bytes (binary)"),
    ],
    ids=["list", "large-list", "fixed-size-list", "struct", "map", "binary"],
)
def test_a_parquet_column_of_nested_values_is_named_in_memory_and_streamed(
    tmp_path: Path, cli: CliRun, column: pa.Array, what: str
) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": np.arange(6.0), "b": np.arange(6.0) ** 2, "nested": column}), path)
    with pytest.raises(DataFileError) as in_memory:
        read_data(str(path))
    assert str(in_memory.value).startswith(f"'{path}', column 'nested': holds {what}")
    assert str(in_memory.value).endswith(
        ", which no model reads, and it is a feature; leave it out with `columns`, or store its parts as columns of "
        "numbers or text"
    )
    assert read_data(str(path), columns=["a", "b"]).X.shape == (6, 2)  # left out, the rest reads
    with pytest.raises(DataFileError, match=r"column 'nested': .*, and it is the `label`; choose other columns"):
        read_data(str(path), columns=["a", "b"], label="nested")
    with pytest.raises(DataFileError) as streamed:
        open_stream(path)
    assert str(streamed.value).startswith(f"'{path}', column 'nested': holds {what}")
    for stream in ("--no-stream", "--stream"):
        result = cli("train", path, stream, "--out", tmp_path / "run", ok=False)
        assert result.stderr.startswith(f"vaekit train: error: '{path}', column 'nested': holds {what}")
        assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("kind", ["fifo", "link-to-device"])
def test_a_pipe_or_device_is_refused_not_read_without_end(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "t.csv"
    if kind == "fifo":
        os.mkfifo(path)  # no writer: opening it would wait for ever
    else:
        path.symlink_to("/dev/zero")  # reading it never ends
    message = r"t\.csv': not a regular file \(a pipe, device or socket"
    for read in (read_data, open_stream, lambda p: convert_to_parquet(p, tmp_path / "t.parquet")):
        with pytest.raises(DataFileError, match=message):
            read(str(path))
    assert not (tmp_path / "t.parquet").exists()
