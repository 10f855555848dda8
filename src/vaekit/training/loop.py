"""The training loop: one explicit loop over a batch source (its settings and Adam in
:mod:`~vaekit.training.optim`, its history in :mod:`~vaekit.training.history`, threads and
devices in :mod:`~vaekit.training.runtime`).

In-memory data takes the fast path, :class:`~vaekit.training.batches.TensorBatches`: a random permutation
sliced into batches on the tensor itself, with no per-sample Dataset or collate, so a
small MLP is limited by its matrix multiplications rather than by Python. Any other
iterable of ``(B, *sample_shape)`` tensors with a ``__len__`` can stand in for it.

The loop uses Adam with an optional learning-rate schedule (cosine decay or
reduce-on-plateau), optional KL warm-up (beta rises linearly from 0), optional
gradient-norm clipping, early stopping on the validation loss with the best weights
restored, and stops with :class:`TrainingDivergedError` when a loss is NaN or
infinite, naming the epoch and batch.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from vaekit.models import AutoEncoderModel
from vaekit.training.batches import Batch, BatchSource, split_batch
from vaekit.training.checkpoint import Checkpointer, CheckpointError, Expected, TrainingState, capture_rng, restore_rng
from vaekit.training.distributed import all_sum, join
from vaekit.training.history import HISTORY_KEYS, RunTracker, TrainingResult, epoch_row, snapshot
from vaekit.training.optim import TrainingConfig, beta_at, flat_parameters, make_optimizer, make_scheduler
from vaekit.training.runtime import flush_denormals, progress_interval


class TrainingDivergedError(ValueError):
    """The loss became NaN or infinite during training."""


@torch.no_grad()
def evaluate(
    model: AutoEncoderModel,
    batches: Iterable[Batch],
    beta: float = 1.0,
    generator: torch.Generator | None = None,
    progress: float = math.inf,
) -> dict[str, float]:
    """Mean loss, reconstruction and KL per sample (nats) over ``batches``, in eval mode.

    ``progress`` (epochs trained) is passed to the model's loss, for objectives that
    change over training. In data-parallel training each rank passes its share of
    the rows, and the means are over every rank's rows.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    totals = torch.zeros(4, device=device)  # loss, reconstruction, KL (summed over rows), rows
    for batch in batches:
        x, condition = split_batch(batch)
        out = model.loss(x, condition, beta=beta, generator=generator, progress=progress)
        totals += torch.stack([out.loss * len(x), out.reconstruction.sum(), out.kl.sum(), out.loss.new_tensor(len(x))])
    model.train(was_training)
    totals = all_sum(totals)
    loss, reconstruction, kl = (totals[:3] / max(float(totals[3]), 1.0)).tolist()
    return {"loss": loss, "reconstruction": reconstruction, "kl": kl}


def _check_finite(losses: Tensor, epoch: int) -> None:
    bad = (~torch.isfinite(losses)).nonzero()
    if len(bad):
        batch = int(bad[0, 0])
        raise TrainingDivergedError(
            f"training diverged: the loss became {losses[batch].item()} at epoch {epoch + 1}, "
            f"batch {batch + 1} of {len(losses)}. Try a smaller lr, grad_clip=1.0, "
            "KL warm-up, or check the data for extreme values."
        )


def _epoch_sums(
    terms: list[tuple[Tensor, Tensor, Tensor]], sizes: list[int], betas: list[float], beta: float
) -> tuple[Tensor, Tensor, int]:
    """An epoch's batch losses (n_batches,), its sums (3,) of reconstruction, KL and the
    model's loss at the full ``beta`` over rows, and its rows, from each batch's (loss,
    summed reconstruction, summed KL) over ``sizes`` rows trained at ``betas``.

    Stacked once per epoch rather than added up after every step: on a small network
    each operation costs about as much as the step's arithmetic.
    """
    losses, reconstruction, kl = (torch.stack(column) for column in zip(*terms, strict=True))  # (n_batches,)
    rows, catch_up = losses.new_tensor(sizes), losses.new_tensor([beta - b for b in betas])
    objective = (losses * rows + catch_up * kl).sum()  # each batch's loss at the full beta, over its rows
    return losses, torch.stack([reconstruction.sum(), kl.sum(), objective]), sum(sizes)


class _Objective(torch.nn.Module):
    """The model's loss as ``forward``, the method DistributedDataParallel wraps."""

    def __init__(self, model: AutoEncoderModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Tensor, condition: Tensor | None, **kwargs: Any) -> Any:
        return self.model.loss(x, condition, **kwargs)


def train(
    model: AutoEncoderModel,
    train_batches: BatchSource,
    val_batches: BatchSource | None,
    config: TrainingConfig,
    generator: torch.Generator | None = None,
    val_seed: int = 0,
    checkpoint: Checkpointer | None = None,
) -> TrainingResult:
    """Train ``model`` in place and return its history.

    Denormal floats are flushed to zero during the run (see :func:`flush_denormals`).

    Parameters
    ----------
    model : AutoEncoderModel
        Already on the device of the batches.
    train_batches, val_batches : BatchSource
        Batches of shape (B, *sample_shape). Without validation batches, early
        stopping watches the training loss. Under ``torchrun`` (see
        :mod:`vaekit.training.distributed`), each rank's share of the batches; then the model
        trains through DistributedDataParallel, metrics are summed over the ranks,
        and early stopping, decided on those, stops every rank at the same epoch.
    config : TrainingConfig
    generator : torch.Generator or None
        Drives the reparameterization noise during training.
    val_seed : int
        Seed of the noise used for every validation pass, so that epochs compare
        on the same draws.
    checkpoint : Checkpointer or None
        Saves a state after each epoch (or as often as it says) and, when it holds
        one, training continues from it; a finished state is loaded, not retrained.
    """
    here = join(next(model.parameters()).device)
    with flush_denormals(), flat_parameters(model, enabled=not here.parallel) as (params, zero_grad):
        return _train(model, params, zero_grad, train_batches, val_batches, config, generator, val_seed, checkpoint)


def _state(
    epoch: int,
    model: AutoEncoderModel,
    run: RunTracker,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    generator: torch.Generator | None,
    finished: bool = False,
) -> TrainingState:
    generator_state, rng = capture_rng(generator)
    result = run.result
    return TrainingState(
        epoch=epoch,
        model=model.state_dict(),
        best=None if finished else run.best_state,
        optimizer=optimizer.state_dict(),
        scheduler=None if scheduler is None else scheduler.state_dict(),
        generator=generator_state,
        history=result.history,
        best_epoch=result.best_epoch,
        best_loss=result.best_loss,
        bad_epochs=run.bad_epochs,
        stopped_early=result.stopped_early,
        finished=finished,
        rng=rng,
    )


def _expected(
    config: TrainingConfig,
    n_batches: int,
    model: AutoEncoderModel,
    params: list[Tensor],
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    generator: torch.Generator | None,
) -> Expected:
    """What a checkpoint must agree with for this training to continue from it."""
    return Expected(
        epochs=config.epochs,
        patience=config.patience,
        steps_per_epoch=n_batches,
        history_keys=HISTORY_KEYS,
        model=model.state_dict(),
        params=[tuple(p.shape) for p in params],
        optimizer=optimizer.state_dict(),
        scheduler=None if scheduler is None else scheduler.state_dict(),
        generator=None if generator is None else generator.get_state(),
    )


@contextmanager
def _resuming(checkpoint: Checkpointer | None) -> Iterator[None]:
    """A saved state that PyTorch refuses to load is a damaged checkpoint, said in one line."""
    try:
        yield
    except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        where = "" if checkpoint is None else f" in {checkpoint.folder}"
        raise CheckpointError(
            f"the checkpoint{where} does not fit this model ({first}); it cannot be resumed"
        ) from None


def _train(
    model: AutoEncoderModel,
    params: list[Tensor],
    zero_grad: Callable[[], object],
    train_batches: BatchSource,
    val_batches: BatchSource | None,
    config: TrainingConfig,
    generator: torch.Generator | None,
    val_seed: int,
    checkpoint: Checkpointer | None,
) -> TrainingResult:
    n_batches = len(train_batches)
    if n_batches == 0:
        raise ValueError("there is nothing to train on: the training batches are empty (no training rows)")
    device = next(model.parameters()).device
    here = join(device)
    optimizer = make_optimizer(params, config.lr, device)
    scheduler = make_scheduler(optimizer, config, n_batches)
    plateau = scheduler if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau) else None
    per_batch = None if plateau is not None else scheduler  # cosine: stepped after every batch
    run, first_epoch = RunTracker(config), 0
    saved = (
        None
        if checkpoint is None
        else checkpoint.load(_expected(config, n_batches, model, params, optimizer, scheduler, generator))
    )
    if saved is not None:
        with _resuming(checkpoint):
            model.load_state_dict(saved.model)
            result = TrainingResult(saved.history, saved.best_epoch, saved.best_loss, saved.stopped_early)
            if saved.finished:
                return result
            optimizer.load_state_dict(saved.optimizer)
            if scheduler is not None and saved.scheduler is not None:
                scheduler.load_state_dict(saved.scheduler)
            restore_rng(saved, generator)
        run, first_epoch = RunTracker(config, result, saved.best, saved.bad_epochs), saved.epoch
    step: Callable[..., Any] = model.loss  # one process: the loss itself, without a module call around it
    if here.parallel:
        step = DistributedDataParallel(_Objective(model), device_ids=None if device.type == "cpu" else [device])
    global_rows = getattr(train_batches, "global_rows", None)
    mixed = config.precision == "bf16"
    progress = tqdm(
        range(first_epoch, config.epochs),
        desc="training",
        unit="epoch",
        disable=config.verbose <= 0 or not here.main,
        mininterval=progress_interval(),
        initial=first_epoch,
        total=config.epochs,
    )
    epoch = first_epoch - 1
    for epoch in progress:
        started = time.perf_counter()
        model.train()
        terms: list[tuple[Tensor, Tensor, Tensor]] = []  # each batch's loss, summed reconstruction and KL
        sizes: list[int] = []
        betas: list[float] = []
        for i, batch in enumerate(train_batches):
            x, condition = split_batch(batch)
            beta = beta_at(config, epoch, i, n_batches)
            if mixed:  # a disabled autocast context still costs ~17 us a step (measured on the tutorial network)
                with torch.autocast(device.type, dtype=torch.bfloat16):
                    out = step(x, condition, beta=beta, generator=generator, progress=epoch + (i + 1) / n_batches)
            else:
                out = step(x, condition, beta=beta, generator=generator, progress=epoch + (i + 1) / n_batches)
            zero_grad()
            if here.parallel and global_rows is not None:  # DDP averages over ranks: weigh each by its rows
                (out.loss * (len(x) * here.size / global_rows(i))).backward()
            else:
                out.loss.backward()
            if config.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            if per_batch is not None:
                per_batch.step()
            loss, reconstruction, kl = out.loss.detach(), out.reconstruction.detach(), out.kl.detach()
            if mixed:  # summed in float32, whatever autocast computed the terms in
                loss, reconstruction, kl = loss.float(), reconstruction.float(), kl.float()
            terms.append((loss, reconstruction.sum(), kl.sum()))
            sizes.append(len(x))
            betas.append(beta)
        n_seen: float  # a count; a float once summed over ranks
        batch_losses, sums, n_seen = _epoch_sums(terms, sizes, betas, config.beta)
        _check_finite(batch_losses, epoch)
        if here.parallel:  # every rank's rows: the same numbers, and so the same decisions, on every rank
            totals = all_sum(torch.cat([sums, sums.new_tensor([n_seen])]))
            if not bool(torch.isfinite(totals).all()):
                raise TrainingDivergedError(
                    f"training diverged on another rank at epoch {epoch + 1}: its loss became NaN or infinite"
                )
            sums, n_seen = totals[:3], float(totals[3])
        train_reconstruction, train_kl, train_objective = (sums / n_seen).tolist()
        val_generator = torch.Generator(device).manual_seed(val_seed)
        val = evaluate(model, val_batches, config.beta, val_generator, progress=epoch + 1) if val_batches else None
        # The model's own loss (-L_k for the IWAE, with the codebook terms for the VQ-VAE),
        # at the full beta during a KL warm-up.
        monitored = val["loss"] if val else train_objective
        lr = optimizer.param_groups[0]["lr"]
        row = epoch_row(epoch, beta, (train_reconstruction, train_kl), val, lr, time.perf_counter() - started)
        progress.set_postfix(loss=f"{row['train_loss']:.4g}", val=f"{row['val_loss']:.4g}", refresh=False)
        warming_up = epoch + 1 < max(config.kl_warmup_epochs, model.schedule_epochs())
        stop = run.end_epoch(row, monitored, functools.partial(snapshot, model), warming_up)
        if plateau is not None:
            plateau.step(monitored)
        last = stop or epoch + 1 == config.epochs
        if checkpoint is not None and not last and checkpoint.due(last):
            checkpoint.save(_state(epoch + 1, model, run, optimizer, scheduler, generator))
        if stop:
            break
    progress.close()
    if run.best_state is not None:
        model.load_state_dict(run.best_state)
    if checkpoint is not None:  # the finished restart: its best weights and history
        checkpoint.save(_state(epoch + 1, model, run, optimizer, scheduler, generator, True))
    return run.result
