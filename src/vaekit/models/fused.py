"""The training step of a plain MLP autoencoder or VAE, written out: forward and backward by hand.

On a small network each PyTorch operation costs about as much as its arithmetic, and autograd
adds the cost of recording the graph and of running one node per operation. On the digits MLP
(64-128-64-4 and back, batch 128, one thread) a step through ``loss().backward()`` took 579 us
and this one 403 us (``benchmarks/small_data.py``); the matrix products, about 240 us of it, are
the same. The arithmetic is the model's own: the same noise drawn from the same generator, the
same loss terms, and gradients equal to autograd's to float32 rounding (``tests/test_fused_step.py``).

The gradients are added into each parameter's ``.grad``, which must exist (the training loop's
flat gradient, :func:`~vaekit.training.optim.flat_parameters`): no gradient hook sees them, so
the step is for one process, not DistributedDataParallel.

It applies to :class:`~vaekit.models.ae.AutoEncoderModel` and
:class:`~vaekit.models.vae.VAEModel` themselves (not a subclass; a VAE without the capacity
objective), with no conditions and no mixed table, whose encoder and decoder are MLPs of
``Linear`` layers with ReLU between them, and with the unit-variance or learned-variance
Gaussian or the Bernoulli likelihood. :func:`plan` says None for anything else, which trains
through autograd.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vaekit.distributions import LOG_2PI, Randomness, draw
from vaekit.models.ae import AutoEncoderModel, LossOutput
from vaekit.models.vae import VAEModel
from vaekit.nn import MLP, EnsembleLinear, EnsembleMLP, hooked

LIKELIHOODS = ("gaussian", "gaussian-learned", "bernoulli")
"""The likelihoods the written-out step knows."""

Layer = tuple[Tensor, Tensor]  # a Linear layer's (weight (out, in), bias (out,))


@dataclass
class FusedPlan:
    """What :func:`fused_step` needs of a model: its layers, the latent size (None: a plain
    autoencoder's code), the likelihood, with its per-feature log-variance if learned, and how
    many restarts it stacks."""

    encoder: list[Layer]
    decoder: list[Layer]
    latent: int | None
    likelihood: str
    logvar: Tensor | None
    members: int = 1  # R > 1: R restarts stacked (vaekit.training.ensemble), rows member-major


def _layers(network: nn.Module) -> tuple[list[Layer], int] | None:
    """The (weight, bias) of each layer of an MLP made of [Flatten] Linear (ReLU Linear)* [Unflatten], and
    1; or of R stacked restarts' :class:`~vaekit.nn.EnsembleMLP` (weights (R, in, out)), and R; else None."""
    mlp = getattr(network, "net", None)
    linear: type[nn.Module]
    ends: tuple[type[nn.Module], type[nn.Module]]
    if isinstance(mlp, EnsembleMLP):
        members, linear, ends = mlp.members, EnsembleLinear, (nn.Identity, nn.Identity)
    elif isinstance(mlp, MLP):
        members, linear, ends = 1, nn.Linear, (nn.Flatten, nn.Unflatten)
    else:
        return None
    modules = list(mlp)
    if modules and type(modules[0]) is ends[0]:
        modules = modules[1:]
    if modules and type(modules[-1]) is ends[1]:
        modules = modules[:-1]
    linears, relus = modules[0::2], modules[1::2]
    if len(modules) % 2 == 0 or any(type(m) is not linear for m in linears):
        return None
    if any(type(m) is not nn.ReLU for m in relus):
        return None
    if any(hooked(m) for m in [network, mlp, *modules]):  # a hook would not run
        return None
    layers: list[Layer] = []
    for module in linears:
        weight, bias = module.weight, module.bias
        if not isinstance(weight, Tensor) or not isinstance(bias, Tensor):
            return None
        layers.append((weight, bias))
    return layers, members


def plan(model: nn.Module) -> FusedPlan | None:
    """The written-out step's view of ``model``, or None where it does not apply (see the module)."""
    if type(model) not in (AutoEncoderModel, VAEModel) or not isinstance(model, AutoEncoderModel):
        return None
    if isinstance(model, VAEModel) and model.capacity is not None:
        return None
    if model.n_conditions or model.table_head is not None or model.likelihood not in LIKELIHOODS:
        return None
    found_encoder, found_decoder = _layers(model.encoder), _layers(model.decoder)
    if found_encoder is None or found_decoder is None or found_encoder[1] != found_decoder[1]:
        return None
    (encoder, members), (decoder, _) = found_encoder, found_decoder
    params = [t for layer in encoder + decoder for t in layer]
    logvar = model.decoder_logvar if model.likelihood == "gaussian-learned" else None
    if logvar is not None:
        params.append(logvar)
    if any(p.grad is None or not p.requires_grad for p in params):
        return None  # nowhere to add the gradients: the loop's flat gradient is not in use
    if len(params) != len([p for p in model.parameters() if p.requires_grad]):
        return None  # a parameter this step would not train
    latent = model.latent_dim if isinstance(model, VAEModel) else None
    return FusedPlan(encoder, decoder, latent, model.likelihood, logvar, members)


def _forward(layers: list[Layer], h: Tensor) -> tuple[Tensor, list[Tensor]]:
    """(B, in) -> (B, out), or stacked (R, M, in) -> (R, M, out), and each layer's input (after the
    first: a ReLU's output)."""
    inputs = []
    for i, (weight, bias) in enumerate(layers):
        if i:
            h = torch.relu_(h)  # the previous layer's output, which nothing else holds
        inputs.append(h)
        h = torch.baddbmm(bias, h, weight) if h.dim() == 3 else torch.addmm(bias, h, weight.t())
    return h, inputs


def _backward(layers: list[Layer], inputs: list[Tensor], grad: Tensor, to_input: bool) -> Tensor | None:
    """Add each layer's weight and bias gradients into their ``.grad`` from ``grad`` (B, out) or
    (R, M, out); the gradient for the input, (B, in) or (R, M, in), when ``to_input``."""
    stacked = grad.dim() == 3
    for i in reversed(range(len(layers))):
        weight, bias = layers[i]
        h = inputs[i]
        if stacked:  # weight (R, in, out), bias (R, 1, out)
            weight.grad.baddbmm_(h.transpose(1, 2), grad)  # type: ignore[union-attr]  # plan() checked every .grad
            bias.grad.add_(grad.sum(1, keepdim=True))  # type: ignore[union-attr]
        else:  # weight (out, in), bias (out,)
            weight.grad.addmm_(grad.t(), h)  # type: ignore[union-attr]
            bias.grad.add_(grad.sum(0))  # type: ignore[union-attr]
        if not i and not to_input:
            return None
        grad = torch.bmm(grad, weight.transpose(1, 2)) if stacked else grad.mm(weight)
        if i:
            grad = torch.ops.aten.threshold_backward(grad, h, 0)  # through the ReLU before
    return grad


@torch.no_grad()
def fused_step(fused: FusedPlan, x: Tensor, beta: float, generator: Randomness) -> LossOutput:
    """The model's ``loss(x, beta=beta, generator=generator)`` on a batch x (B, *sample_shape), its
    gradient added into the parameters' ``.grad``; the returned tensors carry no graph.

    With R stacked restarts, B = R * M rows, member r's at r*M .. (r+1)*M, and the gradient is that
    of the sum of the members' batch means (each member's own)."""
    rows, members = x.shape[0], fused.members
    flat = x.reshape(rows, -1) if members == 1 else x.reshape(members, rows // members, -1)  # (B, D) or (R, M, D)
    h, enc_inputs = _forward(fused.encoder, flat)
    latent = fused.latent
    if latent is None:  # an autoencoder: the code itself
        z = h
        kl = h.new_zeros(h.shape[:-1])
    else:  # z = mean + exp(logvar / 2) * eps, as DiagonalGaussian.rsample draws it
        mean, logvar = h[..., :latent], h[..., latent:]
        std = torch.exp(0.5 * logvar)
        eps = draw("normal", (rows, latent), generator, mean, batch_dim=-2).view(mean.shape)
        z = torch.addcmul(mean, std, eps)
        expm1 = torch.expm1(logvar)
        kl = 0.5 * torch.addcmul(expm1 - logvar, mean, mean).sum(dim=-1)  # as DiagonalGaussian.kl
    out, dec_inputs = _forward(fused.decoder, z)  # (B, D) or (R, M, D)
    scale = members / rows  # each member's loss is the mean over its own rows
    reconstruction, grad = _likelihood(fused, out, flat, scale)
    grad_z = _backward(fused.decoder, dec_inputs, grad, True)
    assert grad_z is not None
    if latent is None:
        grad_h = grad_z
    else:
        c = beta * scale  # d(loss)/d(kl of a row)
        grad_mean = torch.add(grad_z, mean, alpha=c)  # KL: d/dmean = mean
        grad_logvar = 0.5 * torch.add(grad_z * eps * std, expm1, alpha=c)  # z: 0.5 std eps; KL: 0.5 (e^lv - 1)
        grad_h = torch.cat([grad_mean, grad_logvar], dim=-1)
    _backward(fused.encoder, enc_inputs, grad_h, False)
    reconstruction, kl = reconstruction.reshape(rows), kl.reshape(rows)
    per_row = torch.add(reconstruction, kl, alpha=beta)  # (B,)
    return LossOutput(per_row.mean(), reconstruction, kl, per_row)


def _likelihood(fused: FusedPlan, out: Tensor, x: Tensor, scale: float) -> tuple[Tensor, Tensor]:
    """-log p(x|z) per row, (B,) or (R, M), from the decoder's output, (B, D) or (R, M, D), and its gradient
    there times ``scale``; a learned log-variance gets its gradient added into its ``.grad``."""
    if fused.likelihood == "bernoulli":
        reconstruction = F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(dim=-1)
        return reconstruction, torch.sigmoid(out).sub_(x).mul_(scale)
    diff = out - x  # (B, D)
    if fused.logvar is None:  # unit variance
        reconstruction = 0.5 * (diff.pow(2) + LOG_2PI).sum(dim=-1)
        return reconstruction, diff.mul_(scale)
    logvar = fused.logvar.reshape(-1)  # (D,)
    precision = torch.exp(-logvar)  # (D,)
    weighted = diff.pow(2) * precision  # (B, D): squared error over the variance
    reconstruction = 0.5 * (weighted + logvar + LOG_2PI).sum(dim=-1)
    assert weighted.dim() == 2, "a learned variance is not stacked (vaekit.training.ensemble)"
    rows = float(x.shape[0])
    grad_logvar = (0.5 * scale) * (rows - weighted.sum(0))  # (D,): d/dlv of 0.5 (w e^-lv + lv), over the rows
    fused.logvar.grad.add_(grad_logvar.view_as(fused.logvar))  # type: ignore[union-attr]  # plan() checked it
    return reconstruction, diff.mul_(precision).mul_(scale)


__all__ = ["LIKELIHOODS", "FusedPlan", "fused_step", "plan"]
