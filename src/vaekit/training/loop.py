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
import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from vaekit.distributions import MemberGenerators, Randomness
from vaekit.models import AutoEncoderModel, LossOutput, fused
from vaekit.training.batches import Batch, BatchSource, split_batch
from vaekit.training.checkpoint import Checkpointer, CheckpointError, Expected, TrainingState, capture_rng, restore_rng
from vaekit.training.distributed import all_sum, join
from vaekit.training.history import HISTORY_KEYS, RunTracker, TrainingResult, epoch_row, snapshot
from vaekit.training.optim import (
    TrainingConfig,
    beta_at,
    flat_parameters,
    make_optimizer,
    make_scheduler,
    step_function,
)
from vaekit.training.runtime import flush_denormals, progress_interval


class TrainingDivergedError(ValueError):
    """The loss became NaN or infinite during training."""


@dataclass
class Members:
    """The R >= 1 members that one run of the loop trains: one model, or R restarts stacked
    into one vectorized model (:mod:`~vaekit.training.ensemble`) whose batches hold R * B rows,
    member r's B rows at r*B .. (r+1)*B.

    The loop knows no loss form: each member's batch loss is the model's ``loss`` for one
    member, and the mean of its block of the model's ``per_row`` loss for several.
    """

    count: int
    batches: BatchSource
    noise: Randomness  # the training noise; several members draw theirs from generators of their own
    val_seeds: Sequence[int]  # member r's validation noise, the same draws every epoch
    weights: Callable[[int], dict[str, Tensor]]  # member r's weights, under its own model's names
    clip: Callable[[float], object]  # scale each member's gradient to at most this norm (its own norm)

    def losses(self, out: LossOutput) -> Tensor:
        """The batch loss: a scalar for one member, (R,) for several."""
        return member_losses(out, self.count)

    def val_noise(self, device: torch.device) -> Randomness:
        """The validation noise of every member, seeded afresh."""
        generators = [torch.Generator(device).manual_seed(seed) for seed in self.val_seeds]
        return generators[0] if self.count == 1 else MemberGenerators(generators)


def member_losses(out: LossOutput, count: int) -> Tensor:
    """Each of ``count`` stacked members' batch loss: the model's ``loss`` (a scalar) for one member, the
    mean of its block of ``per_row`` (R,) for several."""
    if count == 1:
        return out.loss
    if out.per_row is None:
        raise TypeError("restarts can train together only on an objective that is a mean over rows (per_row)")
    return out.per_row.view(count, -1).mean(1)


def _single(model: AutoEncoderModel, batches: BatchSource, generator: Randomness, val_seed: int) -> Members:
    """One model as the loop's only member."""
    return Members(
        1,
        batches,
        generator,
        [val_seed],
        lambda _: snapshot(model),
        lambda max_norm: torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm),
    )


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
    return _evaluate(model, 1, batches, beta, generator, progress)[0]


def set_training(model: torch.nn.Module, mode: bool) -> None:
    """``model.train(mode)``, without its walk over the module tree when no module has its own ``train``.

    ``Module.train`` only sets ``training`` on every module, recursively: about 86 us for a
    15-module VAE, paid three times an epoch (train, eval for validation, train). A table of
    150 rows trains 1,500 epochs of 2 batches, where this was 0.39 s of a 2.9 s fit.
    """
    modules = _plain_modules(model)
    if modules is None:
        model.train(mode)
        return
    for module in modules:
        module.__dict__["training"] = mode  # what Module.train sets, without Module.__setattr__'s checks


def _plain_modules(model: torch.nn.Module) -> list[torch.nn.Module] | None:
    """Every module of ``model`` (itself first), or None if one overrides ``train``; kept on the model."""
    cached = model.__dict__.get("_vaekit_modules")
    if cached is None:
        modules = list(model.modules())
        cached = (None if any(type(m).train is not torch.nn.Module.train for m in modules) else modules,)
        model.__dict__["_vaekit_modules"] = cached  # not a submodule or a buffer: the training loop's cache
    return cached[0]


@torch.no_grad()  # the training loop calls it directly: with autograd on, ``totals`` chained every batch's graph
def _evaluate(
    model: AutoEncoderModel, count: int, batches: Iterable[Batch], beta: float, noise: Randomness, progress: float
) -> list[dict[str, float]]:
    """:func:`evaluate` of each of ``count`` stacked members on the same batches (each batch
    repeated for every member), each with its own noise. Without gradients: each epoch's validation
    pass once held every batch's activations until its end (a streamed 2.13 GB array with 0.1 held
    out peaked at 1.33 GB instead of 0.86 GB)."""
    was_training = model.training
    set_training(model, False)
    device = next(model.parameters()).device
    totals = torch.zeros(count, 4, device=device)  # loss, reconstruction, KL (summed over rows), rows
    for batch in batches:
        x, condition = split_batch(batch)
        rows = len(x)
        if count > 1:
            x = torch.cat([x] * count)
            condition = None if condition is None else torch.cat([condition] * count)
        out = model.loss(x, condition, beta=beta, generator=noise, progress=progress)
        loss = member_losses(out, count).reshape(count)  # (R,)
        parts = [loss * rows, out.reconstruction.view(count, -1).sum(1), out.kl.view(count, -1).sum(1)]
        totals += torch.stack([*parts, loss.new_full((count,), float(rows))], dim=1)
    set_training(model, was_training)
    totals = all_sum(totals)
    means = (totals[:, :3] / totals[:, 3:].clamp(min=1.0)).tolist()
    return [{"loss": loss, "reconstruction": reconstruction, "kl": kl} for loss, reconstruction, kl in means]


def _check_finite(losses: Tensor, epoch: int, active: Sequence[int]) -> None:
    """:class:`TrainingDivergedError` when a running member's batch loss (``losses`` (n_batches, R)) is not finite."""
    running = losses[:, list(active)]
    bad = (~torch.isfinite(running)).nonzero()
    if len(bad):
        batch, column = int(bad[0, 0]), int(bad[0, 1])
        whose = "loss" if losses.shape[1] == 1 else f"loss of restart {active[column] + 1}"
        raise TrainingDivergedError(
            f"training diverged: the {whose} became {running[batch, column].item()} at epoch {epoch + 1}, "
            f"batch {batch + 1} of {len(losses)}. Try a smaller lr, grad_clip=1.0, "
            "KL warm-up, or check the data for extreme values."
        )


def _epoch_sums(
    terms: list[tuple[Tensor, Tensor, Tensor]], sizes: list[int], betas: list[float], beta: float, count: int
) -> tuple[Tensor, Tensor, int]:
    """An epoch's batch losses (n_batches, R), its sums (3, R) of reconstruction, KL and the
    model's loss at the full ``beta`` over each member's rows, and a member's rows, from each
    batch's (loss () or (R,), reconstruction (R * B,), KL (R * B,)) over ``sizes`` rows (B per
    member) trained at ``betas``.

    Summed once per epoch rather than after every step: on a small network each operation
    costs about as much as the step's arithmetic. Batches of one size are summed together,
    in a fixed order, so that the history is the same numbers on every device and run.
    """
    losses = torch.stack([term[0] for term in terms]).view(len(terms), count)  # (n_batches, R)
    parts: list[Tensor] = []  # (k, 2, R) for each run of k batches of one size
    for size, run in itertools.groupby(zip(sizes, terms, strict=True), key=lambda pair: pair[0]):
        block = [term for _, term in run]
        rows = torch.stack([torch.cat([term[1] for term in block]), torch.cat([term[2] for term in block])])
        parts.append(rows.view(2, len(block), count, size).sum(-1).transpose(0, 1))
    reconstruction, kl = torch.cat(parts).unbind(1)  # (n_batches, R) each
    n_rows, catch_up = losses.new_tensor(sizes)[:, None], losses.new_tensor([beta - b for b in betas])[:, None]
    objective = (losses * n_rows + catch_up * kl).sum(0)  # each batch's loss at the full beta, over its rows
    return losses, torch.stack([reconstruction.sum(0), kl.sum(0), objective]), sum(sizes)


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
    members = _single(model, train_batches, generator, val_seed)
    with flush_denormals(), flat_parameters(model, enabled=not here.parallel) as (params, zero_grad):
        results, _ = run_members(model, params, zero_grad, members, val_batches, config, checkpoint)
    return results[0]


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


def run_members(
    model: AutoEncoderModel,
    params: list[Tensor],
    zero_grad: Callable[[], object],
    members: Members,
    val_batches: BatchSource | None,
    config: TrainingConfig,
    checkpoint: Checkpointer | None = None,
) -> tuple[list[TrainingResult], list[dict[str, Tensor]]]:
    """The loop: train the ``members`` of ``model`` (its ``params``, flattened by
    :func:`~vaekit.training.optim.flat_parameters`), each with its own history, early stopping and
    best weights, as :func:`train` describes.

    A member that has stopped keeps training with the others, but nothing it does after
    that counts. Data-parallel training, checkpoints and reduce-on-plateau take one member.

    Returns
    -------
    each member's result, and its weights to keep (its best), in the members' order; ``model`` itself
    ends with member 0's when there is one member.
    """
    n_batches = len(members.batches)
    if n_batches == 0:
        raise ValueError("there is nothing to train on: the training batches are empty (no training rows)")
    count = members.count
    device = next(model.parameters()).device
    here = join(device)
    optimizer = make_optimizer(params, config.lr, device)
    scheduler = make_scheduler(optimizer, config, n_batches)
    plateau = scheduler if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau) else None
    per_batch = None if plateau is not None else scheduler  # cosine: stepped after every batch
    if count > 1 and (here.parallel or checkpoint is not None or plateau is not None):
        raise ValueError("stacked restarts train in one process, without checkpoints or reduce-on-plateau")
    generator = members.noise if isinstance(members.noise, torch.Generator) else None
    runs, first_epoch = [RunTracker(config) for _ in range(count)], 0
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
                return [result], [saved.model]
            optimizer.load_state_dict(saved.optimizer)
            if scheduler is not None and saved.scheduler is not None:
                scheduler.load_state_dict(saved.scheduler)
            restore_rng(saved, generator)
        runs, first_epoch = [RunTracker(config, result, saved.best, saved.bad_epochs)], saved.epoch
    update = step_function(optimizer, first_direct=per_batch is None)  # a cosine schedule wants Adam's own first step
    step: Callable[..., Any] = model.loss  # one process: the loss itself, without a module call around it
    if here.parallel:
        step = DistributedDataParallel(_Objective(model), device_ids=None if device.type == "cpu" else [device])
    global_rows = getattr(members.batches, "global_rows", None)
    mixed = config.precision == "bf16"
    # a plain MLP (V)AE in one process: its step written out, without autograd (vaekit.models.fused)
    written = None if here.parallel or mixed else fused.plan(model)
    progress = tqdm(
        range(first_epoch, config.epochs),
        desc="training" if count == 1 else f"training {count} restarts together",
        unit="epoch",
        disable=config.verbose <= 0 or not here.main,
        mininterval=progress_interval(),
        initial=first_epoch,
        total=config.epochs,
    )
    active = list(range(count))
    finals: list[dict[str, Tensor] | None] = [None] * count  # each member's weights when it stopped
    epoch = first_epoch - 1
    for epoch in progress:
        started = time.perf_counter()
        set_training(model, True)
        terms: list[tuple[Tensor, Tensor, Tensor]] = []  # each batch's loss, and reconstruction and KL per row
        sizes: list[int] = []
        betas: list[float] = []
        for i, batch in enumerate(members.batches):
            x, condition = split_batch(batch)
            beta = beta_at(config, epoch, i, n_batches)
            fraction = epoch + (i + 1) / n_batches
            if written is not None:  # the loss and its gradient, added into the zeroed flat gradient
                zero_grad()
                out = fused.fused_step(written, x, beta, members.noise)
                losses = members.losses(out)  # () or (R,)
            else:
                if mixed:  # a disabled autocast context still costs ~17 us a step (measured on the tutorial network)
                    with torch.autocast(device.type, dtype=torch.bfloat16):
                        out = step(x, condition, beta=beta, generator=members.noise, progress=fraction)
                else:
                    out = step(x, condition, beta=beta, generator=members.noise, progress=fraction)
                losses = members.losses(out)  # () or (R,)
                zero_grad()
                if here.parallel and global_rows is not None:  # DDP averages over ranks: weigh each by its rows
                    (losses * (len(x) * here.size / global_rows(i))).backward()
                else:
                    (losses if count == 1 else losses.sum()).backward()  # the sum: each member's gradient is its own
            if config.grad_clip is not None:
                members.clip(config.grad_clip)
            update()
            if per_batch is not None:
                per_batch.step()
            loss, reconstruction, kl = losses.detach(), out.reconstruction.detach(), out.kl.detach()
            if mixed:  # summed in float32, whatever autocast computed the terms in
                loss, reconstruction, kl = loss.float(), reconstruction.float(), kl.float()
            terms.append((loss, reconstruction, kl))
            sizes.append(len(x) // count)
            betas.append(beta)
        n_seen: float  # a member's rows; a float once summed over ranks
        batch_losses, sums, n_seen = _epoch_sums(terms, sizes, betas, config.beta, count)  # (n_batches, R), (3, R)
        _check_finite(batch_losses, epoch, active)
        if here.parallel:  # every rank's rows: the same numbers, and so the same decisions, on every rank
            totals = all_sum(torch.cat([sums.flatten(), sums.new_tensor([n_seen])]))
            if not bool(torch.isfinite(totals).all()):
                raise TrainingDivergedError(
                    f"training diverged on another rank at epoch {epoch + 1}: its loss became NaN or infinite"
                )
            sums, n_seen = totals[:3].view(3, 1), float(totals[3])
        train_means = (sums / n_seen).t().tolist()  # (R, 3): reconstruction, KL, objective
        val = None
        if val_batches:
            val = _evaluate(model, count, val_batches, config.beta, members.val_noise(device), epoch + 1)
        lr = optimizer.param_groups[0]["lr"]
        seconds = time.perf_counter() - started
        warming_up = epoch + 1 < max(config.kl_warmup_epochs, model.schedule_epochs())
        monitored: list[float] = []
        for r in list(active):
            reconstruction_r, kl_r, objective_r = train_means[r]
            row = epoch_row(epoch, beta, (reconstruction_r, kl_r), None if val is None else val[r], lr, seconds)
            # The model's own loss (-L_k for the IWAE, with the codebook terms for the VQ-VAE),
            # at the full beta during a KL warm-up.
            monitored.append(val[r]["loss"] if val else objective_r)
            if runs[r].end_epoch(row, monitored[-1], functools.partial(members.weights, r), warming_up):
                active.remove(r)
                finals[r] = members.weights(r) if count > 1 else None  # one member: it stops here, as it is
        best = min(runs, key=lambda run: run.result.best_loss).result.history
        progress.set_postfix(loss=f"{best['train_loss'][-1]:.4g}", val=f"{best['val_loss'][-1]:.4g}", refresh=False)
        if plateau is not None:
            plateau.step(monitored[0])
        last = not active or epoch + 1 == config.epochs
        if checkpoint is not None and not last and checkpoint.due(last):
            checkpoint.save(_state(epoch + 1, model, runs[0], optimizer, scheduler, generator))
        if not active:
            break
    progress.close()
    for run in runs:
        run.result.step = "autograd" if written is None else "written out"
    states = []
    for r, run in enumerate(runs):
        final = finals[r]
        states.append(run.best_state or (final if final is not None else members.weights(r)))
    if count == 1 and runs[0].best_state is not None:
        model.load_state_dict(runs[0].best_state)
    if checkpoint is not None:  # the finished restart: its best weights and history
        checkpoint.save(_state(epoch + 1, model, runs[0], optimizer, scheduler, generator, True))
    return [run.result for run in runs], states
