"""convert_to_parquet and ``vaekit convert``: a text or .npy table as Parquet with row groups, written atomically."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import Result

from vaekit.data.loaded import DataFileError, DataNoteWarning
from vaekit.data.read import read_data
from vaekit.data.stream import ParquetChunks, convert_to_parquet

CliRun = Callable[..., Result]  # the `cli` fixture of conftest.py


def row_groups(path: Path) -> list[int]:
    metadata = pq.ParquetFile(path).metadata
    return [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]


def test_a_csv_becomes_parquet_in_row_groups_with_the_same_values(tmp_path: Path) -> None:
    source = tmp_path / "t.csv"
    # b is not 0, 1, ..., n-1, which reads as a row id in memory
    frame = pd.DataFrame({"a": np.arange(25) / 3, "b": np.arange(25) * 2, "kind": ["x", "y"] * 12 + ["z"]})
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
        == f"'{source}', line 7, column 'b': non-numeric value 'oops' in a column of numbers (as its first rows "
        "are); fix that value"
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


# ---------------------------------------------------------------------------------------------- never onto its input
def _symlink_out(folder: Path) -> tuple[Path, Path]:
    (folder / "out.parquet").symlink_to("in.csv")
    return folder / "in.csv", folder / "out.parquet"


def _symlinked_in(folder: Path) -> tuple[Path, Path]:  # the input is a link to the output's name
    (folder / "in.csv").rename(folder / "real.parquet")
    (folder / "in.csv").symlink_to("real.parquet")
    return folder / "in.csv", folder / "real.parquet"


def _hard_link(folder: Path) -> tuple[Path, Path]:
    (folder / "out.parquet").hardlink_to(folder / "in.csv")
    return folder / "in.csv", folder / "out.parquet"


def _same_path(folder: Path) -> tuple[Path, Path]:
    (folder / "in.csv").rename(folder / "in.parquet.csv")
    return folder / "in.parquet.csv", folder / "sub" / ".." / "in.parquet.csv"


def _folder_holding_input(folder: Path) -> tuple[Path, Path]:
    (folder / "data.parquet").mkdir()
    (folder / "in.csv").rename(folder / "data.parquet" / "in.csv")
    return folder / "data.parquet" / "in.csv", folder / "data.parquet"


def _inside_input_folder(folder: Path) -> tuple[Path, Path]:
    (folder / "images").mkdir()
    return folder / "images", folder / "images" / "out.parquet"


def _linked_folder_holding_input(folder: Path) -> tuple[Path, Path]:
    (folder / "data").mkdir()
    (folder / "in.csv").rename(folder / "data" / "in.csv")
    (folder / "view.parquet").symlink_to("data")
    return folder / "data" / "in.csv", folder / "view.parquet"


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        (_symlink_out, r"'.*out\.parquet' is the input '.*in\.csv' \(it is a symbolic link to "),
        (_symlinked_in, r"'.*real\.parquet' is the input '.*in\.csv' \(the input is a symbolic link to "),
        (_hard_link, r"'.*out\.parquet' is the input '.*in\.csv' \(a hard link to the same file\)"),
        (_same_path, r"is the input '.*in\.parquet\.csv' \(the same file\)"),
        (_folder_holding_input, r"'.*data\.parquet' is a folder that holds the input '.*in\.csv'"),
        (_inside_input_folder, r"'.*out\.parquet' lies inside the input folder '.*images'"),
        (_linked_folder_holding_input, r"'.*view\.parquet' is a folder that holds the input '.*in\.csv'"),
    ],
    ids=["symlink-out", "symlink-in", "hard-link", "same-path", "folder-holds-input", "inside-input", "linked-folder"],
)
@pytest.mark.parametrize("force", [False, True])
def test_convert_never_writes_onto_its_input(
    tmp_path: Path, cli: CliRun, arrange: Callable[[Path], tuple[Path, Path]], message: str, force: bool
) -> None:
    (tmp_path / "in.csv").write_text("a,b\n1,2\n3,4\n")
    source, dest = arrange(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(DataFileError, match=message):
        convert_to_parquet(source, dest, overwrite=force)
    result = cli("convert", source, dest, *(["--force"] if force else []), ok=False)
    assert len(result.stderr.splitlines()) == 1 and re.search(message, result.stderr)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before  # nothing written, nothing lost


@pytest.mark.parametrize("force", [False, True])
def test_an_output_that_is_a_folder_is_refused_before_the_work(
    tmp_path: Path, cli: CliRun, monkeypatch: pytest.MonkeyPatch, force: bool
) -> None:
    (tmp_path / "in.csv").write_text("a,b\n1,2\n3,4\n")
    (tmp_path / "out.parquet").mkdir()
    (tmp_path / "out.parquet" / "part-0.parquet").write_bytes(b"keep me")
    import vaekit.data.stream.convert as convert_module

    def no_work(*_: object) -> None:
        raise AssertionError("the conversion started")

    monkeypatch.setattr(convert_module, "_text_groups", no_work)
    result = cli("convert", tmp_path / "in.csv", tmp_path / "out.parquet", *(["--force"] if force else []), ok=False)
    assert result.stderr == (
        f"vaekit convert: error: '{tmp_path / 'out.parquet'}' is a folder; the output must be a .parquet file name "
        "(a folder is never replaced, even with --force)\n"
    )
    assert (tmp_path / "out.parquet" / "part-0.parquet").read_bytes() == b"keep me"


def test_a_killed_converts_partial_file_is_removed_by_the_next(tmp_path: Path) -> None:
    from vaekit import _atomic as atomic

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # a process that has ended, as a killed convert has
    (tmp_path / "in.csv").write_text("a,b\n1,2\n3,4\n")
    partial = tmp_path / f".tmp-{atomic._HOST}-{dead_pid}-0123abcd-out.parquet"
    partial.write_bytes(b"PAR1 half a file")
    live = tmp_path / f".tmp-{atomic._HOST}-{os.getppid()}-4567abcd-out.parquet"  # a convert still running
    live.write_bytes(b"PAR1 being written")
    other = tmp_path / f".tmp-{atomic._HOST}-{dead_pid}-89abcdef-other.parquet"  # another output's
    other.write_bytes(b"PAR1")
    assert not (tmp_path / "out.parquet").exists()  # a killed convert leaves nothing at the output name
    with pytest.warns(UserWarning, match=live.name):
        convert_to_parquet(tmp_path / "in.csv", tmp_path / "out.parquet")
    assert not partial.exists() and live.exists() and other.exists()
    assert pd.read_parquet(tmp_path / "out.parquet").to_numpy().tolist() == [[1, 2], [3, 4]]


def test_a_short_line_is_a_gap_with_a_note_and_a_long_one_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "t.csv"
    source.write_text("a,b,c\n1,2,3\n4,5\n7,8,9\n")
    with pytest.warns(DataNoteWarning, match=r"t\.csv', line 3: 2 fields for 3 columns; column 'c' is read as a gap"):
        in_memory = read_data(str(source)).X
    with pytest.warns(DataNoteWarning, match=r"t\.csv', line 3: 2 fields for 3 columns; column 'c' is read as a gap"):
        written = convert_to_parquet(source, tmp_path / "t.parquet")
    np.testing.assert_array_equal(pd.read_parquet(written).to_numpy(dtype=np.float32), in_memory)
    source.write_text("a,b,c\n1,2,3\n4,5,6,7\n")
    with pytest.raises(DataFileError, match=r"t\.csv', line 3: 4 fields, but line 1 has 3"):
        convert_to_parquet(source, tmp_path / "u.parquet")
    assert not (tmp_path / "u.parquet").exists()
