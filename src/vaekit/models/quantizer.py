"""Vector quantizer (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation
Learning", NeurIPS 2017): a latent vector cut into slots, each snapped to its nearest
vector of a learned codebook.

A latent z_e of shape (B, latent_dim) is read as ``n_slots = latent_dim / code_dim``
slots of ``code_dim`` numbers; each slot is replaced by its nearest of
``codebook_size`` (K) vectors (product quantization over the slots, so a vector
latent has K ** n_slots codes). The straight-through estimator copies the gradient
from z_q to z_e:

    z_q = sg(e) + (z_e - sg(z_e))

(the paper's z_e + sg(e - z_e), written so that the forward value is exactly e in
floating point). The codebook moves by the codebook loss ||sg(z_e) - e||^2, or, with
``ema=True``, as the exponential moving average of the z_e assigned to each code
(the paper's appendix A.1, decay 0.99; cluster sizes Laplace-smoothed with epsilon
1e-5 as in the authors' Sonnet code), updated in training mode only.

The codebook starts standard normal, on the scale of a fresh encoder's outputs (on
digits, 30 epochs, 4 slots of K = 32: perplexity 28 against 10 when it starts
uniform in [-1/K, 1/K], the other common choice). With ``ema`` the moving averages
start as if each code had once been assigned to itself (sizes 1, sums equal to the
codebook), so the first updates are weighted means rather than a division by a
near-zero size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass
class Quantized:
    """What :meth:`VectorQuantizer.forward` gives for a batch.

    Attributes
    ----------
    z_q : Tensor of shape (B, latent_dim)
        The chosen codebook vectors, with the straight-through gradient to z_e.
    indices : Tensor of shape (B, n_slots), long
    penalty : Tensor of shape (B,)
        commitment_cost * ||z_e - sg(e)||^2, plus the codebook loss ||sg(z_e) - e||^2
        unless the codebook moves by moving averages; summed over slots.
    """

    z_q: Tensor
    indices: Tensor
    penalty: Tensor


class VectorQuantizer(nn.Module):
    """Product quantizer of ``latent_dim``-vectors over slots of ``code_dim`` numbers.

    Parameters
    ----------
    latent_dim : int
    codebook_size : int
        K >= 1.
    code_dim : int
        Dimension of a codebook vector; must divide ``latent_dim``.
    commitment_cost : float, default=0.25
        Weight of ||z_e - sg(e)||^2, >= 0.
    ema : bool, default=False
        Move the codebook by moving averages instead of the codebook loss.
    decay, epsilon : float
        The moving averages' decay and the Laplace smoothing of cluster sizes.
    """

    codebook: Tensor  # a buffer with ema, else a parameter
    ema_cluster_size: Tensor  # buffers, with ema only
    ema_weight: Tensor

    def __init__(
        self,
        latent_dim: int,
        codebook_size: int,
        code_dim: int,
        commitment_cost: float = 0.25,
        ema: bool = False,
        decay: float = 0.99,
        epsilon: float = 1e-5,
    ) -> None:
        super().__init__()
        if codebook_size < 1 or code_dim < 1:
            raise ValueError(f"codebook_size and code_dim must be >= 1, got {codebook_size} and {code_dim}")
        if latent_dim % code_dim:
            raise ValueError(
                f"latent_dim={latent_dim} is not a multiple of code_dim={code_dim}: the latent vector "
                "is cut into slots of code_dim numbers, each quantized to one codebook vector"
            )
        if commitment_cost < 0:
            raise ValueError(f"commitment_cost must be >= 0, got {commitment_cost}")
        self.latent_dim, self.codebook_size, self.code_dim = int(latent_dim), int(codebook_size), int(code_dim)
        self.n_slots = self.latent_dim // self.code_dim
        self.commitment_cost, self.ema = float(commitment_cost), bool(ema)
        self.decay, self.epsilon = float(decay), float(epsilon)
        codebook = torch.randn(self.codebook_size, self.code_dim)  # (K, D)
        if self.ema:
            self.register_buffer("codebook", codebook)
            self.register_buffer("ema_cluster_size", torch.ones(self.codebook_size))  # (K,)
            self.register_buffer("ema_weight", codebook.clone())  # (K, D)
        else:
            self.codebook = nn.Parameter(codebook)

    @property
    def prior_kl(self) -> float:
        """KL of a one-hot posterior from the uniform prior over codes: n_slots * log K nats."""
        return self.n_slots * math.log(self.codebook_size)

    def nearest(self, z_e: Tensor) -> Tensor:
        """Index of the nearest codebook vector of each slot: (B, latent) -> (B, n_slots) long."""
        codebook = self.codebook.detach()  # (K, D)
        flat = z_e.detach().reshape(-1, self.code_dim)  # (B * S, D)
        distances = (
            flat.pow(2).sum(1, keepdim=True) - 2.0 * flat @ codebook.T + codebook.pow(2).sum(1)
        )  # (B * S, K), squared Euclidean
        return distances.argmin(dim=1).reshape(*z_e.shape[:-1], self.n_slots)  # (B, S)

    def lookup(self, indices: Tensor) -> Tensor:
        """Codebook vectors of code indices: (B, n_slots) long -> (B, latent_dim)."""
        vectors = self.codebook[indices]  # (B, S, D)
        return vectors.reshape(*indices.shape[:-1], self.latent_dim)  # (B, latent)

    def forward(self, z_e: Tensor) -> Quantized:
        """Quantize z_e of shape (B, latent_dim); in training mode with ``ema``, move the codebook."""
        indices = self.nearest(z_e)  # (B, S)
        e = self.lookup(indices)  # (B, latent); carries the codebook's gradient unless ema
        z_q = e.detach() + (z_e - z_e.detach())  # (B, latent): straight-through
        penalty = self.commitment_cost * (z_e - e.detach()).pow(2).sum(dim=-1)  # (B,)
        if self.ema:
            if self.training:
                self._update_codebook(z_e, indices)
        else:
            penalty = penalty + (z_e.detach() - e).pow(2).sum(dim=-1)  # (B,): codebook loss
        return Quantized(z_q, indices, penalty)

    @torch.no_grad()
    def _update_codebook(self, z_e: Tensor, indices: Tensor) -> None:
        """One moving-average step of the codebook towards the mean of its assigned z_e."""
        flat = z_e.detach().reshape(-1, self.code_dim)  # (B * S, D)
        one_hot = nn.functional.one_hot(indices.reshape(-1), self.codebook_size).to(flat.dtype)  # (B * S, K)
        self.ema_cluster_size.mul_(self.decay).add_(one_hot.sum(0), alpha=1.0 - self.decay)  # (K,)
        self.ema_weight.mul_(self.decay).add_(one_hot.T @ flat, alpha=1.0 - self.decay)  # (K, D)
        n = self.ema_cluster_size.sum()
        sizes = (self.ema_cluster_size + self.epsilon) / (n + self.codebook_size * self.epsilon) * n  # (K,)
        self.codebook.copy_(self.ema_weight / sizes.unsqueeze(1))  # (K, D)
