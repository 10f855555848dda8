"""Restarts trained together: R copies of one network as one vectorized model.

``n_init`` restarts of a small network spend their time in PyTorch's fixed cost per
operation, not in arithmetic. Stacked, the R members run as one network whose linear
layers are batched matrix products (:class:`EnsembleLinear`, weights of shape
(R, out, in)), on one batch of R * B rows: member r's own batch of B rows at rows
r*B .. (r+1)*B. One step of the ensemble costs about what one step of one member does.

Each member trains exactly as it would alone, up to the order of float additions:

* its initial weights are those drawn with its seed (the members are built one by
  one, then stacked);
* its batches come from its own permutation, and its noise from its own generator
  (:class:`~vaekit.distributions.MemberGenerators`), drawn in the same order;
* the ensemble minimizes the sum of the members' batch-mean losses, so member r's
  gradient is its own; Adam works element by element, so the stacked update is each
  member's update; gradient clipping uses each member's own norm;
* each member keeps its own history, best weights and early stopping; a member that
  has stopped keeps training with the others, but nothing it does after that counts.

The loop is the one every fit uses (:func:`vaekit.training.loop.run_members`, with R members);
this module only stacks the networks, the batches and the noise.

What can be stacked (:func:`stack_models`): models whose ``stackable()`` says so
(the loss is a mean over rows of per-row terms) and whose parameters all sit in
``nn.Linear`` layers: the MLP networks. Convolutional networks, learned decoder
variances, mixed tables (their head learns the continuous columns' variances), the
IWAE, the beta-TC-VAE and the VQ-VAE train one restart after another.
So do data-parallel, streamed, checkpointed, bf16 and reduce-on-plateau fits (see
:func:`can_train_together`).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Sequence

import torch
from torch import Tensor, nn

from vaekit.distributions import MemberGenerators
from vaekit.models import AutoEncoderModel
from vaekit.nn import MLP, EnsembleLinear, EnsembleMLP
from vaekit.training.batches import Batch, BatchSource, TensorBatches
from vaekit.training.history import TrainingResult
from vaekit.training.loop import Members, run_members
from vaekit.training.optim import TrainingConfig, flat_parameters
from vaekit.training.runtime import flush_denormals

ENABLED = True
"""Train stackable restarts together; False trains them one after another (to compare)."""


def stack_models(models: Sequence[AutoEncoderModel]) -> AutoEncoderModel | None:
    """One model computing every member of ``models`` (same class and shapes) on member-major
    rows; None when they cannot be stacked (see the module)."""
    if len(models) < 2 or not models[0].stackable():
        return None
    ensemble = copy.deepcopy(models[0])
    for name in [name for name, module in ensemble.named_modules() if type(module) is MLP]:
        parent, _, attribute = name.rpartition(".")
        stacked = EnsembleMLP([m.get_submodule(name) for m in models])  # type: ignore[misc]  # name is an MLP in every member (same class and shapes)
        setattr(ensemble.get_submodule(parent) if parent else ensemble, attribute, stacked)
    if set(member_state(ensemble, 0)) != set(models[0].state_dict()):
        return None  # a parameter or saved buffer outside the MLPs: not stackable
    return ensemble


def member_state(ensemble: AutoEncoderModel, r: int) -> dict[str, Tensor]:
    """Member r's weights, under the names of the models that were stacked (those of the
    stacked layers only)."""
    state: dict[str, Tensor] = {}
    for name, module in ensemble.named_modules():
        if isinstance(module, EnsembleLinear):
            state.update({f"{name}.{key}": value for key, value in module.member(r).items()})
    return state


def can_train_together(config: TrainingConfig, batches: BatchSource) -> bool:
    """Whether a fit's settings allow restarts to train as one ensemble: in-memory batches
    in one process, float32, and a learning-rate schedule shared by every member."""
    in_memory = type(batches) is TensorBatches and batches.world_size == 1
    return ENABLED and in_memory and config.precision == "float32" and config.lr_schedule != "plateau"


class MemberBatches:
    """Each member's :class:`TensorBatches`, stacked: batch i is (R * B, *sample_shape),
    member r's batch i at rows r*B .. (r+1)*B (with its conditions, if any).

    Each member's permutation is drawn from its own generator, as its own
    ``TensorBatches`` would draw it.
    """

    def __init__(self, members: Sequence[TensorBatches]) -> None:
        self.members = list(members)
        first = self.members[0]
        self.data, self.condition, self.batch_size = first.data, first.condition, first.batch_size
        self.subset = first.subset  # the rows of data the members cover (None: all)

    def __len__(self) -> int:
        return len(self.members[0])

    def __iter__(self) -> Iterator[Batch]:
        n = len(self.data) if self.subset is None else len(self.subset)
        orders = torch.stack(
            [torch.randperm(n, generator=m.generator, device=self.data.device) for m in self.members]
        )  # (R, n)
        for start in range(0, n, self.batch_size):
            rows = orders[:, start : start + self.batch_size].reshape(-1)  # (R * B,)
            if self.subset is not None:
                rows = self.subset[rows]  # positions in the subset -> rows of data
            yield self.data[rows] if self.condition is None else (self.data[rows], self.condition[rows])


def train_together(
    models: Sequence[AutoEncoderModel],
    train_batches: Sequence[TensorBatches],
    val_batches: BatchSource | None,
    config: TrainingConfig,
    val_seeds: Sequence[int],
) -> list[TrainingResult] | None:
    """Train each of ``models`` as :func:`vaekit.training.loop.train` would, all at once.

    Parameters
    ----------
    models : sequence of R AutoEncoderModel
        Freshly built, same class and shapes, stackable (:func:`stack_models`); each
        ends with its best weights, as after ``train``.
    train_batches : sequence of R TensorBatches
        Member r's batches over the same data; their generators draw member r's
        permutations and its training noise, as ``train``'s ``generator`` does.
    val_batches : BatchSource or None
        The validation batches, the same for every member.
    config : TrainingConfig
    val_seeds : sequence of R int
        Seed of member r's validation noise (``train``'s ``val_seed``).

    Returns
    -------
    list of R TrainingResult, or None (nothing trained) when the models cannot be stacked
    """
    ensemble = stack_models(models)
    if ensemble is None:
        return None
    members = Members(
        len(models),
        MemberBatches(train_batches),
        MemberGenerators([b.generator for b in train_batches]),  # type: ignore[misc]  # each member's batches carry their own generator
        val_seeds,
        functools.partial(member_state, ensemble),
        functools.partial(_clip_members, ensemble),
    )
    with flush_denormals(), flat_parameters(ensemble) as (params, zero_grad):
        results, states = run_members(ensemble, params, zero_grad, members, val_batches, config)
    for model, state in zip(models, states, strict=True):
        model.load_state_dict(state)
    return results


def _clip_members(ensemble: nn.Module, max_norm: float) -> None:
    """Scale each member's gradient to norm at most ``max_norm`` (``clip_grad_norm_`` per member)."""
    grads = [p.grad for p in ensemble.parameters() if p.grad is not None]
    norms = torch.stack([g.flatten(1).pow(2).sum(1) for g in grads]).sum(0).sqrt()  # (R,)
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view(-1, *([1] * (g.dim() - 1))))


__all__ = ["ENABLED", "EnsembleLinear", "can_train_together", "member_state", "stack_models", "train_together"]
