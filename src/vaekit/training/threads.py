"""``threads="auto"``: the CPU thread count a fit trains with, chosen by timing a few steps.

One thread is fastest for small networks, and for any network on a machine whose cores are
busy; torch's default (one thread per core) is faster for a large network on an idle machine.
Measured on this 2-core VM (``benchmarks/RESULTS.md``, issue 28): one epoch of the MNIST reference
VAE (784-400-20, batch 128) took 2.45 s on 1 thread and 1.4-1.7 s on 2 when the machine was quiet,
but 2.56 s on 1 and 4.8-5.0 s on 2 beside one busy process; the digits MLP was faster on 1 thread
either way. No fixed rule is right on both, so :func:`choose_threads` times the fit's own training
step at 1 thread and at torch's default, on a copy of the model, and keeps the faster (the default
only when it is at least :data:`MARGIN` faster). A step with less work than :data:`MIN_WORK` keeps 1
thread untimed, and so does a data-parallel process (one thread per process under ``torchrun``).
"""

from __future__ import annotations

import copy
import time
from typing import Any

import torch

from vaekit.models import fused
from vaekit.training.batches import Batch, split_batch
from vaekit.training.optim import flat_parameters, make_optimizer, step_function

MIN_WORK = 2_000_000
"""Rows x parameters per step below which a fit keeps one thread untimed (the digits MLP: ~0.5M;
the MNIST reference: ~41M)."""
MARGIN = 0.8
"""torch's default thread count is kept only when its step takes at most this share of one thread's."""
PROBE_STEPS = 4
"""Timed steps per thread count (after one untimed warm-up step each)."""


def step_work(model: torch.nn.Module, rows: int) -> int:
    """Rows x trainable parameters: the work of one optimizer step, to a constant factor."""
    return rows * sum(p.numel() for p in model.parameters() if p.requires_grad)


def _time_steps(model: torch.nn.Module, x: torch.Tensor, condition: torch.Tensor | None, threads: int) -> float:
    """Seconds of :data:`PROBE_STEPS` training steps of a copy of ``model`` on ``threads`` threads: the
    training loop's own step (its flat parameters and Adam, the written-out step where it applies)."""
    probe = copy.deepcopy(model).train()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with flat_parameters(probe) as (params, zero_grad):
            update = step_function(make_optimizer(params, 1e-3, x.device))
            written = fused.plan(probe)
            elapsed = 0.0
            for i in range(PROBE_STEPS + 1):
                started = time.perf_counter()
                zero_grad()
                if written is not None:
                    fused.fused_step(written, x, 1.0, None)
                else:
                    probe.loss(x, condition).loss.backward()  # type: ignore[operator]  # AutoEncoderModel.loss
                update()
                if i:  # the first step warms up (allocations, kernels)
                    elapsed += time.perf_counter() - started
        return elapsed
    finally:
        torch.set_num_threads(previous)


def choose_threads(model: torch.nn.Module, batch: Batch, default: int, parallel: bool) -> tuple[int, dict[str, Any]]:
    """The thread count to train ``model`` with, and what was measured (for ``training_settings_``).

    Parameters
    ----------
    model : the fit's model (not changed: the steps run on copies)
    batch : one training batch, ``x`` or ``(x, condition)``
    default : torch's default thread count on this machine
    parallel : a data-parallel process (under torchrun): one thread, untimed
    """
    x, condition = split_batch(batch)
    work = step_work(model, len(x))
    if parallel or default <= 1 or work < MIN_WORK or x.device.type != "cpu":
        reason = (
            "data-parallel"
            if parallel
            else "one core"
            if default <= 1
            else "GPU"
            if x.device.type != "cpu"
            else "small step"
        )
        return 1, {"threads": 1, "threads_reason": reason}
    one = _time_steps(model, x, condition, 1)
    many = _time_steps(model, x, condition, default)
    chosen = default if many <= MARGIN * one else 1
    return chosen, {
        "threads": chosen,
        "threads_reason": f"timed: {one / PROBE_STEPS * 1e3:.1f} ms a step on 1, "
        f"{many / PROBE_STEPS * 1e3:.1f} ms on {default}",
    }
