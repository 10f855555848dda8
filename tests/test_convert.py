"""convert_to_parquet and ``vaekit convert``: a text or .npy table as Parquet with row groups, written atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import Result

from vaekit.data.loaded import DataFileError
from vaekit.data.read import read_data
from vaekit.data.stream import ParquetChunks, convert_to_parquet

CliRun = Callable[..., Result]  # the `cli` fixture of conftest.py


def row_groups(path: Path) -> list[int]:
    metadata = pq.ParquetFile(path).metadata
    return [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]


def test_a_csv_becomes_parquet_in_row_groups_with_the_same_values(tmp_path: Path) -> None:
    source = tmp_path / "t.csv"
    frame = pd.DataFrame({"a": np.arange(25) / 3, "b": np.arange(25), "kind": ["x", "y"] * 12 + ["z"]})
    frame.to_csv(source, index=False)
    written = convert_to_parquet(source, tmp_path / "t.parquet", row_group_rows=10)
    assert written == tmp_path / "t.parquet" and row_groups(written) == [10, 10, 5]
    back = pd.read_parquet(written)
    assert list(back.columns) == ["a", "b", "kind"] and back["kind"].tolist() == frame["kind"].tolist()
    np.testing.assert_array_equal(back[["a", "b"]].to_numpy(), frame[["a", "b"]].to_numpy(dtype=np.float64))
    with pytest.raises(DataFileError, match="column 'kind' holds text"):  # text stays text: not streamable
        ParquetChunks(written)
    frame.drop(columns="kind").to_csv(source, index=False)
    chunks = ParquetChunks(convert_to_parquet(source, tmp_path / "n.parquet", row_group_rows=10))
    assert chunks.n_chunks == 3
    streamed = np.concatenate([chunks.read_chunk(i) for i in range(3)])
    np.testing.assert_array_equal(streamed, read_data(str(source)).X)


def test_a_npy_table_becomes_float32_columns_that_stream_back_equal(tmp_path: Path) -> None:
    X = np.random.default_rng(0).normal(size=(23, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    written = convert_to_parquet(tmp_path / "x.npy", tmp_path / "x.parquet", row_group_rows=8)
    assert row_groups(written) == [8, 8, 7]
    chunks = ParquetChunks(written)
    assert chunks.feature_names == ["x0", "x1", "x2"]
    np.testing.assert_array_equal(np.concatenate([chunks.read_chunk(i) for i in range(3)]), X)
    np.save(tmp_path / "im.npy", np.zeros((4, 5, 5), dtype=np.uint8))
    with pytest.raises(DataFileError, match=r"holds images of shape \(5, 5\); a Parquet file holds a table"):
        convert_to_parquet(tmp_path / "im.npy", tmp_path / "im.parquet")


def test_an_existing_output_is_kept_unless_overwrite_and_a_failure_leaves_nothing(tmp_path: Path) -> None:
    source, dest = tmp_path / "t.csv", tmp_path / "t.parquet"
    source.write_text("a,b\n1,2\n3,4\n")
    dest.write_bytes(b"keep me")
    with pytest.raises(FileExistsError, match=r"t\.parquet' already exists; use `overwrite` to replace it"):
        convert_to_parquet(source, dest)
    assert dest.read_bytes() == b"keep me"
    convert_to_parquet(source, dest, overwrite=True)
    assert pd.read_parquet(dest).to_numpy().tolist() == [[1, 2], [3, 4]]
    source.write_text("a,b\n" + "1,2\n" * 5 + "3,oops\n")  # numbers in the first group, text in the second
    with pytest.raises(DataFileError) as caught:
        convert_to_parquet(source, tmp_path / "new.parquet", row_group_rows=5)
    assert (
        str(caught.value)
        == f"'{source}': column 'b' holds numbers in its first rows but 'oops' in data row 5; fix that value"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.parquet"]  # no half-written file, no temporary


def test_vaekit_convert_writes_the_file_and_reports_errors_in_one_line(tmp_path: Path, cli: CliRun) -> None:
    source = tmp_path / "t.csv"
    source.write_text("a;b\n1,5;2\n3;4\n")  # a European spreadsheet's export
    result = cli("convert", source, tmp_path / "t.parquet", "--row-group-rows", "1")
    assert result.stdout == f"wrote {tmp_path / 't.parquet'} (2 rows, 2 columns, 2 row groups)\n"
    assert pd.read_parquet(tmp_path / "t.parquet").to_numpy().tolist() == [[1.5, 2.0], [3.0, 4.0]]
    failed = cli("convert", source, tmp_path / "t.parquet", ok=False)
    assert (
        failed.stderr
        == f"vaekit convert: error: '{tmp_path / 't.parquet'}' already exists; use --force to replace it\n"
    )
    failed = cli("convert", source, tmp_path / "t.csv.out", ok=False)
    assert failed.stderr == f"vaekit convert: error: '{tmp_path / 't.csv.out'}': the output must be a .parquet file\n"
