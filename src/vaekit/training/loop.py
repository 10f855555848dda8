"""The training loop: one explicit loop over a batch source.

In-memory data takes the fast path, :class:`TensorBatches`: a random permutation
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
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any, Protocol, TypeVar

import torch
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from vaekit.models import AutoEncoderModel
from vaekit.training.checkpoint import Checkpointer, CheckpointError, Expected, TrainingState, capture_rng, restore_rng
from vaekit.training.distributed import all_sum, join

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
LR_SCHEDULES = ("constant", "cosine", "plateau")
T = TypeVar("T")
PLATEAU_FACTOR = 0.1  # "plateau": the rate is multiplied by this ...
PLATEAU_PATIENCE = 5  # ... after this many epochs without improvement (or patience // 2)


class TrainingDivergedError(ValueError):
    """The loss became NaN or infinite during training."""


Batch = Tensor | tuple[Tensor, Tensor]  # x, or x with its condition c


class BatchSource(Protocol):
    """What the loop trains on: an iterable of batches with a length."""

    def __iter__(self) -> Iterator[Batch]: ...

    def __len__(self) -> int: ...


class TensorBatches:
    """Batches of an in-memory tensor, reshuffled on every pass when ``shuffle``.

    Parameters
    ----------
    data : Tensor of shape (n, *sample_shape)
        Already on the training device.
    batch_size : int
    shuffle : bool
    generator : torch.Generator or None
        Drives the permutation; must live on ``data``'s device.
    condition : Tensor of shape (n, k) or None
        A condition per sample (conditional models); then each batch is a pair
        ``(x, c)`` sliced with the same rows.
    rank, world_size : int
        Data-parallel training: every rank draws the same permutation (seed the
        generators alike) and takes its own contiguous share of each batch of
        ``batch_size`` rows, so the ranks together see the batches one process would.
        A last batch with fewer rows than ranks is dropped, so that every rank has
        rows in every batch.
    """

    def __init__(
        self,
        data: Tensor,
        batch_size: int,
        shuffle: bool = True,
        generator: torch.Generator | None = None,
        condition: Tensor | None = None,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.condition = condition
        self.rank = rank
        self.world_size = world_size
        n = len(data)
        tail = n % batch_size
        self._n_rows = n - tail if world_size > 1 and 0 < tail < world_size else n

    def __len__(self) -> int:
        return math.ceil(self._n_rows / self.batch_size)

    def global_rows(self, i: int) -> int:
        """Rows of batch ``i`` over every rank together."""
        return min(self.batch_size, self._n_rows - i * self.batch_size)

    def _rows(self, rows: slice | Tensor) -> Batch:
        if self.condition is None:
            return self.data[rows]  # (B, *sample_shape)
        return self.data[rows], self.condition[rows]  # (B, *sample_shape), (B, k)

    def __iter__(self) -> Iterator[Batch]:
        n = len(self.data)
        if self.world_size > 1:
            yield from self._shares(n)
            return
        if not self.shuffle:
            for start in range(0, n, self.batch_size):
                yield self._rows(slice(start, start + self.batch_size))
            return
        order = torch.randperm(n, generator=self.generator, device=self.data.device)
        for start in range(0, n, self.batch_size):
            yield self._rows(order[start : start + self.batch_size])

    def _shares(self, n: int) -> Iterator[Batch]:
        """This rank's share of every batch (data-parallel)."""
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator, device=self.data.device)
        else:
            order = torch.arange(n, device=self.data.device)
        for start in range(0, self._n_rows, self.batch_size):
            rows = order[start : min(start + self.batch_size, self._n_rows)]
            yield self._rows(torch.tensor_split(rows, self.world_size)[self.rank])


def split_batch(batch: Batch) -> tuple[Tensor, Tensor | None]:
    """``x`` or ``(x, c)`` -> ``(x, c or None)``."""
    return batch if isinstance(batch, tuple) else (batch, None)


@dataclass
class TrainingConfig:
    """Settings of :func:`train`.

    ``patience=None`` turns early stopping off; ``kl_warmup_epochs=0`` turns warm-up
    off; ``grad_clip=None`` turns clipping off.

    What is minimized is the model's own ``loss``: the loop knows no model variant.

    ``precision="bf16"``: the model's loss is computed under ``torch.autocast`` with
    bfloat16 (on the model's device); gradients, Adam and the history stay float32.

    ``lr_schedule``: "constant" keeps ``lr``; "cosine" lowers it after every batch on
    a half cosine from ``lr`` to 0 at the end of ``epochs`` (Loshchilov & Hutter,
    2017, without restarts); "plateau" multiplies it by :data:`PLATEAU_FACTOR` when
    the monitored loss (validation, else training) has not improved for
    ``min(PLATEAU_PATIENCE, patience // 2)`` epochs (at least 1), so that the rate
    drops before early stopping gives up.
    """

    epochs: int = 100
    lr: float = 1e-3
    lr_schedule: str = "constant"
    beta: float = 1.0
    kl_warmup_epochs: float = 0.0
    grad_clip: float | None = None
    patience: int | None = 10
    verbose: int = 1
    precision: str = "float32"


@dataclass
class TrainingResult:
    """History of a run: one entry per epoch under each of :data:`HISTORY_KEYS`."""

    history: dict[str, list[float]] = field(default_factory=lambda: {key: [] for key in HISTORY_KEYS})
    best_epoch: int = 0
    best_loss: float = math.inf
    stopped_early: bool = False


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


def _beta_at(config: TrainingConfig, epoch: int, batch: int, n_batches: int) -> float:
    """Linear KL warm-up from 0 to ``config.beta`` over ``kl_warmup_epochs``."""
    if config.kl_warmup_epochs <= 0:
        return config.beta
    progress = (epoch + (batch + 1) / n_batches) / config.kl_warmup_epochs
    return config.beta * min(1.0, progress)


LOG_PROGRESS_INTERVAL = 10.0  # seconds between progress updates written to a file or pipe


def progress_interval() -> float:
    """Seconds between progress-bar updates: tqdm's 0.1 on a terminal or in a notebook,
    :data:`LOG_PROGRESS_INTERVAL` when stderr is a file or a pipe, so that a log gets a
    line every few seconds instead of one per epoch."""
    if any(cls.__name__ == "tqdm_notebook" for cls in tqdm.__mro__):  # a widget redraws in place
        return 0.1
    isatty = getattr(sys.stderr, "isatty", None)
    return 0.1 if isatty is not None and isatty() else LOG_PROGRESS_INTERVAL


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainingConfig, n_batches: int
) -> torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau | None:
    """The scheduler of ``config.lr_schedule`` (see :class:`TrainingConfig`), or None.

    The cosine one is stepped after every batch, over ``epochs * n_batches`` steps;
    the plateau one once per epoch with the monitored loss.
    """
    if config.lr_schedule == "constant":
        return None
    if config.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, config.epochs * n_batches))
    if config.lr_schedule == "plateau":
        patience = PLATEAU_PATIENCE if config.patience is None else min(PLATEAU_PATIENCE, config.patience // 2)
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=PLATEAU_FACTOR, patience=max(1, patience)
        )
    raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {config.lr_schedule!r}")


def make_optimizer(params: Iterable[Tensor], lr: float, device: torch.device) -> torch.optim.Adam:
    """Adam with PyTorch's default settings and ``lr``, as one fused kernel on the CPU and CUDA.

    The fused step is the same arithmetic as the default one, done in one pass over
    each parameter instead of about ten separate operations: on the tutorial network
    (16 small tensors) a step took 144 us instead of 606 us (``benchmarks/small_data.py``).
    """
    return torch.optim.Adam(params, lr=lr, fused=device.type in ("cpu", "cuda"))


@contextmanager
def flat_parameters(
    module: torch.nn.Module, enabled: bool = True
) -> Iterator[tuple[list[Tensor], Callable[[], object]]]:
    """The tensors for the optimizer to update, and a function that zeroes their gradients.

    Enabled (and every trainable parameter of the same dtype and device), each
    parameter becomes a view into one flat tensor for the length of the block, and its
    gradient a view into another: backward adds into the flat gradient, and the
    optimizer updates one tensor instead of one per layer (on the tutorial network
    Adam's step went from ~330 us for 16 tensors to ~80 us). On exit every parameter
    gets storage of its own again and its gradient is dropped. The optimizer sees the
    same numbers either way, as long as every parameter gets a gradient at every step,
    as in every vaekit model. Disabled, the block gets the parameters themselves.
    """
    params: list[Tensor] = [p for p in module.parameters() if p.requires_grad]
    same = len({(p.dtype, p.device) for p in params}) == 1
    if not enabled or not same:

        def drop() -> None:
            for p in params:
                p.grad = None

        yield params, drop
        return
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    grad = torch.zeros_like(flat)
    offset = 0
    for p in params:
        p.data = flat[offset : offset + p.numel()].view_as(p)
        p.grad = grad[offset : offset + p.numel()].view_as(p)
        offset += p.numel()
    whole = torch.nn.Parameter(flat)
    whole.grad = grad
    try:
        yield [whole], grad.zero_
    finally:
        for p in params:
            p.data = p.data.clone()
            p.grad = None


def _check_finite(losses: Tensor, epoch: int) -> None:
    bad = (~torch.isfinite(losses)).nonzero()
    if len(bad):
        batch = int(bad[0, 0])
        raise TrainingDivergedError(
            f"training diverged: the loss became {losses[batch].item()} at epoch {epoch + 1}, "
            f"batch {batch + 1} of {len(losses)}. Try a smaller lr, grad_clip=1.0, "
            "KL warm-up, or check the data for extreme values."
        )


@contextmanager
def flush_denormals() -> Iterator[None]:
    """Treat denormal floats as zero on the CPU while training, then switch back off.

    Tiny gradients make Adam's second-moment estimates denormal; CPUs handle those
    dozens of times slower (a 6-5-5-4 VAE went from 16 s to over 400 s). PyTorch has
    no getter for this flag, so it is restored to its default, off.
    """
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


AUTO_THREADS = 1
"""``threads="auto"``: the CPU threads torch uses to train and run a model (see :func:`resolve_threads`)."""


def resolve_threads(threads: int | str | None) -> int | None:
    """The thread count ``threads`` asks for: "auto" -> :data:`AUTO_THREADS`, None -> None.

    None means "leave torch's setting alone" (torch's default is one thread per core),
    and so does a value that is not a positive integer: the estimator's parameter check
    refuses it with scikit-learn's message.
    """
    if isinstance(threads, str):
        return AUTO_THREADS if threads == "auto" else None
    if isinstance(threads, Integral) and not isinstance(threads, bool) and threads >= 1:
        return int(threads)
    return None


@contextmanager
def torch_threads(threads: int | str | None) -> Iterator[None]:
    """Run the block with torch using ``threads`` CPU threads, then restore the caller's count.

    Torch's default, one thread per core, spends most of its time waiting for busy
    cores when anything else runs on the machine: small networks trained 7-20x slower
    than on one thread (``benchmarks/threads.py``, RESULTS.md). None leaves the count as is.
    """
    wanted = resolve_threads(threads)
    previous = torch.get_num_threads()
    if wanted is None or wanted == previous:
        yield
        return
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def with_threads(method: Callable[..., T]) -> Callable[..., T]:
    """Decorate an estimator method to run under :func:`torch_threads` with its ``threads`` parameter."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        with torch_threads(getattr(self, "threads", None)):
            return method(self, *args, **kwargs)

    return wrapper


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
            beta = _beta_at(config, epoch, i, n_batches)
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


def resolve_device(device: str | torch.device) -> torch.device:
    """'auto' -> CUDA if available, then Apple MPS, then CPU; anything else as given."""
    if str(device) != "auto":
        try:
            resolved = torch.device(device)
        except (RuntimeError, TypeError, ValueError):
            resolved = None
        if resolved is None or resolved.type not in ("cpu", "cuda", "mps"):
            raise ValueError(f"device={device!r} is not a device vaekit trains on: use auto, cpu, cuda, cuda:N or mps")
        if resolved.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was asked for, but CUDA is not available here")
        if resolved.type == "mps" and not (
            getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
        ):
            raise ValueError(f"device={device!r} was asked for, but Apple's MPS is not available here")
        return resolved
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
