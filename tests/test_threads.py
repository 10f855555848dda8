"""The ``threads`` parameter: torch's thread count during fit and inference, restored after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from conftest import TINY, CliRun
from vaekit import VAE, AutoEncoder, load
from vaekit.runs.config import default_config, read_config
from vaekit.training.runtime import AUTO_THREADS, resolve_threads, torch_threads

X = np.random.RandomState(0).normal(size=(40, 3)).astype(np.float32)
FAST = dict(hidden=(4,), epochs=1, batch_size=20, patience=None, verbose=0, random_state=0)


@pytest.fixture()
def caller_threads() -> Iterator[int]:
    """The caller's own setting (3 threads) for the test's duration; the session's 1 after."""
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        yield 3
    finally:
        torch.set_num_threads(before)


def test_fit_and_inference_use_threads_and_restore_the_callers_count(
    caller_threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    monkeypatch.setattr(AutoEncoder, "_after_fit", lambda self, *a: seen.append(torch.get_num_threads()))
    model = AutoEncoder(threads=1, **FAST).fit(X)
    assert seen == [1]
    assert torch.get_num_threads() == caller_threads
    during = model._map_batches(lambda x, c: torch.full((len(x),), torch.get_num_threads()), X, None)
    assert set(during.tolist()) == {1}
    assert torch.get_num_threads() == caller_threads


def test_threads_restored_when_fit_fails(caller_threads: int) -> None:
    with pytest.raises(ValueError):
        VAE(threads=2, **FAST).fit(np.full((10, 3), np.nan, dtype=np.float32))
    assert torch.get_num_threads() == caller_threads


def test_none_leaves_torch_alone_and_auto_is_the_measured_default(caller_threads: int) -> None:
    with torch_threads(None):
        assert torch.get_num_threads() == caller_threads
    with torch_threads("auto"):
        assert torch.get_num_threads() == AUTO_THREADS
    assert resolve_threads("auto") == AUTO_THREADS and resolve_threads(None) is None
    assert VAE().threads == "auto"


@pytest.mark.parametrize("bad", [0, -2, 1.5, "many"])
def test_invalid_threads_refused_with_sklearns_message(bad: object) -> None:
    with pytest.raises(InvalidParameterError, match="The 'threads' parameter of VAE must be"):
        VAE(threads=bad, **FAST).fit(X)  # type: ignore[arg-type]


def test_threads_saved_with_the_model(tmp_path: Path) -> None:
    model = VAE(threads=2, **FAST).fit(X)
    assert model.get_params()["threads"] == 2
    model.save(tmp_path / "m")
    assert load(tmp_path / "m").get_params()["threads"] == 2


def test_config_has_threads() -> None:
    assert default_config()["training"]["threads"] == "auto"


def test_cli_threads_reaches_the_estimator(cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "run"
    cli("train", "latent-factors", "--threads", "1", "--out", out, *TINY)
    assert load(out / "model").get_params()["threads"] == 1
    assert read_config(out / "config.toml")["training"]["threads"] == 1


def test_cli_refuses_bad_threads(cli: CliRun, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vaekit.cli import app

    result = CliRunner().invoke(app, ["train", "latent-factors", "--threads", "0", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "not 'auto' or a positive number of threads" in result.stderr


def test_sweep_passes_threads(cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    cli("sweep", "latent-factors", "--latent-dims", "1", "--models", "ae", "--threads", "1", "--out", out, *TINY)
    configs = list(out.rglob("config.toml"))
    assert configs and all(read_config(c)["training"]["threads"] == 1 for c in configs)
