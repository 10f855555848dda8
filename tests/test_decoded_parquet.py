"""A streamed Parquet file is decoded once into a temporary .npy, which the fit removes however it ends."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

import vaekit.data.stream.decoded as decoded
import vaekit.training.loop as training
from vaekit import AutoEncoder
from vaekit.data.loaded import DataNoteWarning

RNG = np.random.default_rng(1)
TABLE = (RNG.normal(size=(240, 5)) * [1, 2, 3, 4, 5] + 3).astype(np.float32)
SMALL = {"latent_dim": 2, "hidden": (8,), "epochs": 3, "patience": None, "random_state": 0, "verbose": 0}


@pytest.fixture
def scratch_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder, for this test alone."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _parquet(tmp_path: Path) -> Path:
    path = tmp_path / "table.parquet"
    pd.DataFrame(TABLE, columns=list("abcde")).to_parquet(path, row_group_size=50)
    return path


def _notes(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, DataNoteWarning)]


def _fit(source: Any) -> tuple[AutoEncoder, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = AutoEncoder(**SMALL).fit(source)
    return model, _notes(caught)


def test_the_copy_trains_the_model_the_parquet_file_does_and_is_removed(
    tmp_path: Path, scratch_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _parquet(tmp_path)
    seen: list[list[Path]] = []
    original = training.run_members

    def spy(*args: Any, **kwargs: Any) -> Any:  # what the temporary folder holds while training
        seen.append(sorted(scratch_root.rglob("*.npy")))
        return original(*args, **kwargs)

    monkeypatch.setattr(training, "run_members", spy)
    copied, notes = _fit(path)
    assert len(seen[0]) == 1 and seen[0][0].name == "rows.npy"
    assert any("decoded once into a temporary .npy" in note and "table.parquet" in note for note in notes), notes
    assert list(scratch_root.iterdir()) == []  # removed when the fit ended
    monkeypatch.setattr(decoded, "HEADROOM", 1 << 62)  # no room: the Parquet file itself
    direct, notes = _fit(path)
    assert any("streamed as Parquet, decoding each pass" in note for note in notes), notes
    assert list(copied.feature_names_in_) == list("abcde") == list(direct.feature_names_in_)
    np.testing.assert_allclose(copied.scaling_.mean, direct.scaling_.mean, rtol=1e-6)
    for name, value in direct.model_.state_dict().items():
        torch.testing.assert_close(copied.model_.state_dict()[name], value, rtol=1e-4, atol=1e-5)


def test_a_fit_that_fails_removes_the_copy(tmp_path: Path, scratch_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "run_members", fail)
    with pytest.raises(KeyboardInterrupt):
        _fit(_parquet(tmp_path))
    assert list(scratch_root.iterdir()) == []


def test_a_copy_cut_short_is_removed(tmp_path: Path, scratch_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vaekit.data.stream.parquet_chunks import ParquetChunks

    source = ParquetChunks(_parquet(tmp_path))
    monkeypatch.setattr(source, "read_chunk", lambda i: np.zeros((1, 5), np.float32))  # a chunk of the wrong size
    with pytest.raises(ValueError, match="chunk 0"):
        decoded.decoded_copy(source)
    assert list(scratch_root.iterdir()) == []


def test_vaekit_train_streams_its_training_part_from_a_copy(
    tmp_path: Path, scratch_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vaekit.data.stream.parquet_chunks import ParquetChunks
    from vaekit.data.stream.subset import RowSubset

    made: list[int] = []
    original = decoded.decoded_copy

    def spy(source: Any) -> Any:
        made.append(source.n_rows)
        return original(source)

    monkeypatch.setattr("vaekit.estimators._fitdata.decoded_copy", spy)
    part = RowSubset(ParquetChunks(_parquet(tmp_path)), np.arange(240) % 10 != 0)  # 216 training rows
    model, notes = _fit(part)
    assert made == [216] and model.n_train_ + round(0.1 * 216) >= 216
    assert any("decoded once" in note for note in notes) and list(scratch_root.iterdir()) == []


def test_no_copy_in_a_temporary_folder_held_in_memory(
    tmp_path: Path, scratch_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert decoded.filesystem_type(Path("/proc")) in (None, "proc")  # read from /proc/mounts on Linux
    monkeypatch.setattr(decoded, "filesystem_type", lambda folder: "tmpfs")
    _, notes = _fit(_parquet(tmp_path))
    assert any("held in memory (tmpfs)" in note and "TMPDIR" in note for note in notes), notes
    assert list(scratch_root.iterdir()) == []


def test_a_disk_that_fills_up_leaves_the_parquet_file_streamed(
    tmp_path: Path, scratch_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(rows: np.ndarray, out: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(decoded, "_write_rows", full)
    model, notes = _fit(_parquet(tmp_path))
    assert any("could not be written" in note and "No space left on device" in note for note in notes), notes
    assert list(scratch_root.iterdir()) == [] and model.n_train_ > 0
