"""What a training run records: its per-epoch history, best weights and early stopping."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from vaekit.training.optim import TrainingConfig

HISTORY_KEYS = (
    "epoch",
    "beta",
    "train_loss",
    "train_reconstruction",
    "train_kl",
    "val_loss",
    "val_reconstruction",
    "val_kl",
    "lr",
    "seconds",
)


@dataclass
class TrainingResult:
    """History of a run: one entry per epoch under each of :data:`HISTORY_KEYS`."""

    history: dict[str, list[float]] = field(default_factory=lambda: {key: [] for key in HISTORY_KEYS})
    best_epoch: int = 0
    best_loss: float = math.inf
    stopped_early: bool = False
    step: str = "autograd"  # or "written out": vaekit.models.fused took every step


@dataclass
class RunTracker:
    """The history, best weights and early stopping of one training run."""

    config: TrainingConfig
    result: TrainingResult = field(default_factory=TrainingResult)
    best_state: dict[str, Tensor] | None = None
    bad_epochs: int = 0

    def end_epoch(
        self,
        row: dict[str, float],
        monitored: float,
        snapshot: Callable[[], dict[str, Tensor]],
        warming_up: bool,
    ) -> bool:
        """Record epoch ``row`` (every key of :data:`HISTORY_KEYS`); keep ``snapshot()`` when
        ``monitored`` is the best loss yet; True when early stopping says stop."""
        for key in HISTORY_KEYS:
            self.result.history[key].append(float(row[key]))
        if monitored < self.result.best_loss:
            self.result.best_loss, self.result.best_epoch, self.bad_epochs = monitored, int(row["epoch"]), 0
            self.best_state = snapshot()
        else:
            self.bad_epochs += 1
        patience = self.config.patience
        if patience is not None and self.bad_epochs > patience and not warming_up:
            self.result.stopped_early = True
        return self.result.stopped_early


def epoch_row(
    epoch: int, beta: float, train: tuple[float, float], val: dict[str, float] | None, lr: float, seconds: float
) -> dict[str, float]:
    """One history entry: epoch ``epoch`` (0-based) ended with KL weight ``beta``, mean training
    (reconstruction, KL) per row ``train``, the validation means ``val`` (or none)."""
    nan = math.nan
    return {
        "epoch": epoch + 1,
        "beta": beta,
        "train_loss": train[0] + beta * train[1],
        "train_reconstruction": train[0],
        "train_kl": train[1],
        "val_loss": val["loss"] if val else nan,
        "val_reconstruction": val["reconstruction"] if val else nan,
        "val_kl": val["kl"] if val else nan,
        "lr": lr,
        "seconds": seconds,
    }


def snapshot(model: torch.nn.Module) -> dict[str, Tensor]:
    """A copy of the model's weights."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
