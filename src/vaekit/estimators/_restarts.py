"""Restarts: ``n_init`` trainings from initializations drawn with their own seeds.

Where they can, the restarts of an MLP train at once as one vectorized ensemble
(:mod:`vaekit.training.ensemble`), each exactly as it trains alone; otherwise (a
checkpointed, data-parallel or streamed fit, a kind that does not stack) one after
another. The estimator keeps the one with the lowest validation loss.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from vaekit.estimators._fitdata import FitData
from vaekit.models import AutoEncoderModel
from vaekit.training.checkpoint import Checkpointer
from vaekit.training.distributed import world
from vaekit.training.ensemble import can_train_together, train_together
from vaekit.training.history import TrainingResult
from vaekit.training.loop import train


def train_restarts(
    estimator: Any, seeds: list[int], data: FitData, folder: Path | None, every: float | None
) -> list[tuple[AutoEncoderModel, TrainingResult]]:
    """One trained model and its result per seed, in the seeds' order.

    ``folder``: the checkpoint folder (``init-0/``, ``init-1/``, ... for the restarts), or
    None; ``every``: seconds between checkpoints (None: every epoch).
    """
    runs = None if folder is not None else _together(estimator, seeds, data)
    if runs is not None:
        return runs
    write = world().main
    return [
        _once(estimator, seed, data, None if folder is None else Checkpointer(folder / f"init-{i}", every, write=write))
        for i, seed in enumerate(seeds)
    ]


def seeded_model(estimator: Any, seed: int) -> AutoEncoderModel:
    """A new model of ``estimator`` with the initial weights drawn with ``seed``, on its device."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model: AutoEncoderModel = estimator._build_model().to(estimator.device_)
        return model


def _together(estimator: Any, seeds: list[int], data: FitData) -> list[tuple[AutoEncoderModel, TrainingResult]] | None:
    """Every restart at once, as one vectorized ensemble, each exactly as :func:`_once` trains it
    alone; None when they cannot train together."""
    if len(seeds) < 2 or world().parallel:
        return None
    config = estimator._training_config()
    batches = [data.make_train(torch.Generator(estimator.device_).manual_seed(seed + 1)) for seed in seeds]
    if not can_train_together(config, batches[0]):
        return None
    models = [seeded_model(estimator, seed) for seed in seeds]
    results = train_together(models, batches, data.val_batches, config, [seed + 2 for seed in seeds])  # type: ignore[arg-type]  # can_train_together: batches[0], and so each, is a TensorBatches
    return None if results is None else list(zip(models, results, strict=True))


def _once(
    estimator: Any, seed: int, data: FitData, checkpoint: Checkpointer | None = None
) -> tuple[AutoEncoderModel, TrainingResult]:
    """One training run from the initialization drawn with ``seed``.

    One generator draws the batch order and the noise; in data-parallel training
    every rank draws the same order, and noise of its own.
    """
    here = world()
    model = seeded_model(estimator, seed)
    order = torch.Generator(estimator.device_).manual_seed(seed + 1)
    noise = order if not here.parallel else torch.Generator(estimator.device_).manual_seed(seed + 1 + (here.rank << 32))
    result = train(
        model,
        data.make_train(order),
        data.val_batches,
        estimator._training_config(),
        noise,
        val_seed=seed + 2,
        checkpoint=checkpoint,
    )
    return model, result
