"""fit streams data on disk: the same model as in memory when the shuffle buffer holds every row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

import vaekit.estimators._fitdata as base
import vaekit.training.loop as training
from vaekit import VAE, AutoEncoder
from vaekit.data.stream import NpyChunks
from vaekit.data.validation import InputError

RNG = np.random.default_rng(0)
IMAGES = (RNG.random((300, 6, 6)) < 0.3).astype(np.float32)  # pixels in {0, 1}
T = RNG.normal(size=(300, 2))
TABLE = np.hstack([T, T @ RNG.normal(size=(2, 3)) + 0.1 * RNG.normal(size=(300, 3))]).astype(np.float32) * 5 + 3
SMALL = {"latent_dim": 2, "hidden": (8,), "epochs": 4, "patience": None, "random_state": 0, "verbose": 0}


def _weights(estimator: Any) -> dict[str, torch.Tensor]:
    return estimator.model_.state_dict()


def test_a_streamed_npy_gives_the_in_memory_model_bit_for_bit(tmp_path: Path) -> None:
    path = tmp_path / "images.npy"
    np.save(path, IMAGES)
    memory = VAE(**SMALL).fit(IMAGES)
    streamed = VAE(**SMALL).fit(path)  # pixels: no scaling, so the same floats go in
    assert streamed.likelihood_ == memory.likelihood_ == "bernoulli" and streamed.input_shape_ == (6, 6)
    assert all(torch.equal(v, _weights(streamed)[k]) for k, v in _weights(memory).items())
    assert streamed.history_["val_loss"] == memory.history_["val_loss"] and streamed.offset_ == memory.offset_


def test_a_streamed_parquet_table_gives_the_in_memory_model(tmp_path: Path) -> None:
    frame = pd.DataFrame(TABLE, columns=list("abcde"))
    path = tmp_path / "table.parquet"
    frame.to_parquet(path, row_group_size=64)
    memory = AutoEncoder(**SMALL).fit(frame)
    streamed = AutoEncoder(**SMALL).fit(path)  # standardized from one streaming pass
    assert list(streamed.feature_names_in_) == list("abcde") and streamed.n_train_ == memory.n_train_
    np.testing.assert_allclose(streamed.scaling_.mean, memory.scaling_.mean, rtol=1e-6)
    for name, value in _weights(memory).items():
        torch.testing.assert_close(_weights(streamed)[name], value, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(streamed.latent_cov_, memory.latent_cov_, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(streamed.transform(frame), memory.transform(frame), rtol=1e-3, atol=1e-4)


def test_a_memory_mapped_array_is_streamed_not_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "table.npy"
    np.save(path, TABLE)
    mapped = np.load(path, mmap_mode="r")
    monkeypatch.setattr(base, "check_array", lambda *a, **k: pytest.fail("the memory map was read whole"))
    streamed = AutoEncoder(**SMALL).fit(mapped)
    monkeypatch.undo()
    np.testing.assert_allclose(
        streamed.reconstruct(TABLE), AutoEncoder(**SMALL).fit(TABLE).reconstruct(TABLE), 1e-3, 1e-3
    )


def test_a_small_shuffle_buffer_trains_and_resumes_to_the_same_bits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "images.npy"
    np.save(path, IMAGES)
    chunked = NpyChunks(path, chunk_bytes=40 * 36 * 4)  # 40 rows a chunk
    kw = {**SMALL, "epochs": 5, "batch_size": 16}
    whole = VAE(**kw).fit(chunked, buffer_rows=64)
    assert whole.n_train_ == 270 and np.isfinite(whole.history_["train_loss"]).all()
    real, calls = training._evaluate, [0]

    def evaluate(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "_evaluate", evaluate)
    with pytest.raises(KeyboardInterrupt):
        VAE(**kw).fit(chunked, buffer_rows=64, checkpoint_dir=tmp_path / "ck")
    monkeypatch.undo()
    resumed = VAE(**kw).fit(chunked, buffer_rows=64, resume_from=tmp_path / "ck")
    assert all(torch.equal(v, _weights(resumed)[k]) for k, v in _weights(whole).items())
    strip = lambda h: json.dumps({k: v for k, v in h.items() if k != "seconds"})  # noqa: E731
    assert strip(whole.history_) == strip(resumed.history_)


def test_a_conditional_model_or_a_mixed_table_is_not_streamed(tmp_path: Path) -> None:
    from vaekit import ConditionalVAE

    path = tmp_path / "table.npy"
    np.save(path, TABLE)
    with pytest.raises(InputError, match="conditional: its labels and data must be in memory"):
        ConditionalVAE(**SMALL).fit(path, np.zeros(300))
    with pytest.raises(InputError, match="streamed table takes numeric columns only"):
        VAE(**SMALL, likelihood="mixed").fit(path)
    bad = TABLE.copy()
    bad[123, 2] = np.nan
    np.save(path, bad)
    with pytest.raises(ValueError, match="row 123"):
        VAE(**SMALL).fit(path)


def test_vaekit_train_streams_on_request_or_past_the_size_and_matches_the_in_memory_run(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vaekit.data.split as split

    path = tmp_path / "images.npy"
    np.save(path, IMAGES)
    common = ("train", path, "--epochs", "3", "--hidden", "8", "--quiet")
    cli(*common, "--no-stream", "--out", tmp_path / "memory")
    monkeypatch.setattr(split, "STREAM_ABOVE_BYTES", path.stat().st_size - 1)  # "auto": past the size, streamed
    cli(*common, "--out", tmp_path / "streamed")
    memory, streamed = (json.loads((tmp_path / r / "metrics.json").read_text()) for r in ("memory", "streamed"))
    assert streamed["data"]["streamed"] and not memory["data"]["streamed"]
    assert streamed["data"]["n_train"] == memory["data"]["n_train"] == 270
    assert streamed["test"]["elbo"] == memory["test"]["elbo"]  # the same rows held out, the same model
    refused = cli(*common, "--stream", "--label", "x0", "--out", tmp_path / "labelled", ok=False)
    assert "a streamed run reads every column" in refused.stderr and not (tmp_path / "labelled").exists()
