"""Learning-rate schedules: constant, cosine decay per batch, reduce-on-plateau."""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

import vaekit.training.loop as training
from vaekit import AutoEncoder, load
from vaekit.models.ae import AutoEncoderModel
from vaekit.training.batches import TensorBatches
from vaekit.training.history import TrainingResult
from vaekit.training.loop import train
from vaekit.training.optim import PLATEAU_FACTOR, TrainingConfig


def _data(n: int = 64) -> torch.Tensor:
    t = torch.linspace(-3, 3, n).unsqueeze(1)
    return torch.cat([t.sin(), t.cos(), 0.5 * t], dim=1)  # (n, 3)


@pytest.fixture
def step_rates() -> Iterator[list[float]]:
    """Record the learning rate each Adam step uses (a global step pre-hook, removed after the test)."""
    rates: list[float] = []

    def record(optimizer, args, kwargs):  # type: ignore[no-untyped-def]
        rates.append(optimizer.param_groups[0]["lr"])

    handle = register_optimizer_step_pre_hook(record)
    yield rates
    handle.remove()


def _train(config: TrainingConfig, val: bool = False) -> TrainingResult:
    torch.manual_seed(0)
    model = AutoEncoderModel((3,), 2, "gaussian", "mlp", (8,))
    data = _data()
    train_batches = TensorBatches(data, 32, generator=torch.Generator().manual_seed(0))  # 2 batches
    val_batches = TensorBatches(data[:16], 16, shuffle=False) if val else None
    return train(model, train_batches, val_batches, config)


def test_cosine_lowers_the_rate_every_batch_to_zero(step_rates: list[float]) -> None:
    rates = step_rates
    result = _train(TrainingConfig(epochs=4, lr=0.01, lr_schedule="cosine", patience=None, verbose=0))
    steps = 4 * 2
    expected = [0.01 * 0.5 * (1 + math.cos(math.pi * k / steps)) for k in range(steps)]
    assert rates == pytest.approx(expected, rel=1e-9)
    # history holds the rate after each epoch's last step: 2, 4, 6, 8 steps of 8
    assert result.history["lr"] == pytest.approx(
        [0.01 * 0.5 * (1 + math.cos(math.pi * 2 * e / steps)) for e in (1, 2, 3, 4)], abs=1e-12
    )
    assert result.history["lr"][-1] == pytest.approx(0.0, abs=1e-12)


def test_constant_keeps_the_rate(step_rates: list[float]) -> None:
    rates = step_rates
    result = _train(TrainingConfig(epochs=3, lr=0.01, patience=None, verbose=0))
    assert rates == [0.01] * 6 and result.history["lr"] == [0.01] * 3


def test_plateau_cuts_the_rate_before_early_stopping(monkeypatch: pytest.MonkeyPatch) -> None:
    # A validation loss that never improves: epoch 1 is the best, every later one is bad.
    monkeypatch.setattr(training, "_evaluate", lambda *a, **k: [{"loss": 1.0, "reconstruction": 1.0, "kl": 0.0}])
    result = _train(TrainingConfig(epochs=20, lr=0.01, lr_schedule="plateau", patience=4, verbose=0), val=True)
    # plateau patience = min(5, 4 // 2) = 2: the third bad epoch (epoch 4) cuts the rate,
    # which the history shows from epoch 5; early stopping ends after 5 bad epochs.
    assert result.stopped_early and len(result.history["lr"]) == 6
    assert result.history["lr"] == pytest.approx([0.01] * 4 + [0.01 * PLATEAU_FACTOR] * 2)


def test_plateau_leaves_an_improving_run_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    losses = iter(np.linspace(2.0, 1.0, 8))
    monkeypatch.setattr(
        training, "_evaluate", lambda *a, **k: [{"loss": float(next(losses)), "reconstruction": 1.0, "kl": 0.0}]
    )
    result = _train(TrainingConfig(epochs=8, lr=0.01, lr_schedule="plateau", patience=4, verbose=0), val=True)
    assert result.history["lr"] == [0.01] * 8


def test_unknown_schedule_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"lr_schedule must be one of \('constant', 'cosine', 'plateau'\), got 'linear'"
    ):
        _train(TrainingConfig(epochs=1, lr_schedule="linear", verbose=0))
    X = np.random.default_rng(0).normal(size=(40, 3))
    with pytest.raises(ValueError, match=r"must be a str among \{.*'plateau'.*\}\. Got 'step' instead"):
        AutoEncoder(lr_schedule="step", epochs=1, verbose=0).fit(X)


def test_estimator_schedule_reaches_training_and_survives_save(tmp_path: Path) -> None:
    X = np.random.default_rng(0).normal(size=(100, 3)).astype(np.float32)
    ae = AutoEncoder(
        latent_dim=2, epochs=3, lr=0.01, lr_schedule="cosine", patience=None, random_state=0, verbose=0
    ).fit(X)
    lrs = ae.history_["lr"]
    assert lrs[0] < 0.01 and all(a > b for a, b in pairwise(lrs)) and lrs[-1] == pytest.approx(0.0, abs=1e-12)
    ae.save(tmp_path / "m")
    same = load(tmp_path / "m")
    assert same.lr_schedule == "cosine" and same.get_params() == ae.get_params()
