"""The training settings, Adam, the learning-rate schedules, the KL warm-up and the parameters as one flat tensor."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.optim import optimizer as torch_optimizer

LR_SCHEDULES = ("constant", "cosine", "plateau")


PLATEAU_FACTOR = 0.1  # "plateau": the rate is multiplied by this ...


PLATEAU_PATIENCE = 5  # ... after this many epochs without improvement (or patience // 2)


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


def beta_at(config: TrainingConfig, epoch: int, batch: int, n_batches: int) -> float:
    """Linear KL warm-up from 0 to ``config.beta`` over ``kl_warmup_epochs``."""
    if config.kl_warmup_epochs <= 0:
        return config.beta
    progress = (epoch + (batch + 1) / n_batches) / config.kl_warmup_epochs
    return config.beta * min(1.0, progress)


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
    return _Adam(params, lr=lr, fused=device.type in ("cpu", "cuda"))


class _Adam(torch.optim.Adam):
    """``torch.optim.Adam``, made without importing ``torch._dynamo``.

    ``Optimizer.add_param_group`` (which every optimizer calls when it is made) is wrapped to keep
    ``torch.compile`` out of it, and the wrapper imports ``torch._dynamo`` when first called: 0.85 s
    once per process, as long as a whole fit of a small table. vaekit never compiles its optimizer,
    so it adds its groups with the method itself. Its ``step`` would import it too, which
    :func:`step_function` avoids.
    """

    add_param_group = getattr(
        torch.optim.Optimizer.add_param_group, "__wrapped__", torch.optim.Optimizer.add_param_group
    )


def step_function(optimizer: torch.optim.Optimizer, first_direct: bool = True) -> Callable[[], object]:
    """``optimizer.step``, or, for :func:`make_optimizer`'s fused Adam over one flat CPU tensor,
    a function that makes the same update by calling that kernel directly.

    ``Optimizer.step`` wraps the kernel in Python (hooks, profiling, grouping the tensors by
    device): 29 us a step around a kernel of 11 us on the 33,604 weights of the digits MLP
    (``benchmarks/small_data.py``), 2% of its training. The direct call does what
    ``torch.optim.Adam`` does for one CPU tensor (the step count, then the kernel, with the
    group's current rate), so the weights and the optimizer's state are the same numbers.
    Anything else (several tensors, other settings, step hooks, a torch without the kernel)
    keeps ``optimizer.step``.

    ``first_direct``: the first step too makes the optimizer's state itself, as Adam would (zeros
    and a step count of 0), so that ``optimizer.step`` is never called (its first call imports
    ``torch._dynamo``: 0.85 s). False where a learning-rate scheduler expects ``optimizer.step``
    to have run before its own first step.
    """
    kernel = getattr(torch, "_fused_adam_", None)
    groups = optimizer.param_groups
    group = groups[0] if len(groups) == 1 else {}
    plain = {"amsgrad": False, "maximize": False, "capturable": False, "differentiable": False, "fused": True}
    if (
        kernel is None
        or type(optimizer) not in (torch.optim.Adam, _Adam)  # not a subclass with a step of its own
        or len(group.get("params", ())) != 1
        or any(group.get(key) != value for key, value in plain.items())
        or group.get("decoupled_weight_decay", False)
        or group["params"][0].device.type != "cpu"
    ):
        return optimizer.step
    param: Tensor = group["params"][0]
    read: list[object] = []  # the optimizer's state, groups and gradient the tensors below were read from
    tensors: list[list[Tensor]] = []  # the kernel's parameter, gradient, moments and squared moments
    steps: list[Tensor] = []

    def step() -> None:
        grad = param.grad
        if grad is None or _step_hooks(optimizer) or (not first_direct and not optimizer.state.get(param)):
            optimizer.step()  # hooks, no gradient, or a first step that must be Adam's own
            read.clear()
            return
        if not optimizer.state.get(param):
            optimizer.state[param].update(_adam_state(param))  # what Adam's first step makes
        now = (optimizer.state, optimizer.param_groups, grad)
        if len(read) != len(now) or any(a is not b for a, b in zip(read, now)):
            state = optimizer.state[param]  # loading a state dict replaces the state and the groups
            read[:] = now
            tensors[:] = [[param], [grad], [state["exp_avg"]], [state["exp_avg_sq"]]]
            steps[:] = [state["step"]]
        settings = optimizer.param_groups[0]
        beta1, beta2 = settings["betas"]
        torch._foreach_add_(steps, 1)
        kernel(
            *tensors,
            [],
            steps,
            amsgrad=False,
            lr=settings["lr"],
            beta1=beta1,
            beta2=beta2,
            weight_decay=settings["weight_decay"],
            eps=settings["eps"],
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )

    return step


def _adam_state(param: Tensor) -> dict[str, Tensor]:
    """The state ``torch.optim.Adam``'s first fused step makes for ``param``: a step count of 0 (float32)
    and zero moments."""
    return {
        "step": torch.zeros((), dtype=torch.float32, device=param.device),
        "exp_avg": torch.zeros_like(param, memory_format=torch.preserve_format),
        "exp_avg_sq": torch.zeros_like(param, memory_format=torch.preserve_format),
    }


def _step_hooks(optimizer: torch.optim.Optimizer) -> bool:
    """Whether ``optimizer.step`` would run a hook of its own or a global one."""
    return bool(
        optimizer._optimizer_step_pre_hooks
        or optimizer._optimizer_step_post_hooks
        or torch_optimizer._global_optimizer_pre_hooks
        or torch_optimizer._global_optimizer_post_hooks
    )


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
