"""Vector-quantized autoencoder (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete
Representation Learning", NeurIPS 2017).

The encoder's output z_e (B, latent_dim) is read as ``n_slots = latent_dim / code_dim``
slots of ``code_dim`` numbers; each slot is replaced by its nearest vector of a
codebook of ``codebook_size`` (K) vectors (product quantization over the slots, so a
vector latent has K ** n_slots codes). The decoder sees the quantized z_q, and the
straight-through estimator copies the decoder's gradient from z_q to z_e:

    z_q = sg(e) + (z_e - sg(z_e))

(the paper's z_e + sg(e - z_e), written so that the forward value is exactly e in
floating point; the gradient is the identity to z_e and nothing to the codebook)

    loss(x) = -log p(x|z_q) + ||sg(z_e) - e||^2 + commitment_cost * ||z_e - sg(e)||^2

with sg the stop-gradient and the squares summed over every slot and dimension of a
sample (then averaged over the batch, like every vaekit loss). The middle term, the
codebook loss, moves the codebook; with ``ema=True`` it is dropped and the codebook is
instead the exponential moving average of the encoder outputs assigned to each code
(the paper's appendix A.1, decay 0.99; the cluster sizes Laplace-smoothed with
epsilon 1e-5 as in the authors' Sonnet code), updated in training mode only.

The paper's prior over codes is uniform, so KL(q(z|x) || p(z)) = n_slots * log K for
the one-hot posterior: a constant, recorded as ``kl`` in :class:`LossOutput` so that
-(reconstruction + kl) is the paper's bound on log p(x), but left out of the loss that
is minimized (it has no gradient). Dead codes are not restarted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from vaekit.distributions import Likelihood, PointMass
from vaekit.models.ae import AutoEncoderModel, LossOutput


class VQVAEModel(AutoEncoderModel):
    """An :class:`AutoEncoderModel` whose code is quantized to a learned codebook.

    Takes the parameters of :class:`AutoEncoderModel`, and keyword-only the
    codebook's settings (see :meth:`configure`). A model built without
    ``codebook_size`` has no codebook until :meth:`configure` is called; the
    estimator calls it right after construction, before training or loading weights.

    Parameters
    ----------
    codebook_size : int or None
        K, the number of codebook vectors. None: configure later.
    code_dim : int or None
        Dimension of one codebook vector; must divide ``latent_dim``. None: the whole
        latent vector is one slot.
    commitment_cost : float, default=0.25
    ema : bool, default=False
    """

    # The codebook (K, code_dim) is a parameter, or a buffer with ema, registered by
    # configure(); no class attribute may shadow it (nn.Module looks those up first).
    codebook_size: int = 0
    code_dim: int = 0
    n_slots: int = 0
    commitment_cost: float = 0.25
    ema: bool = False
    decay: float = 0.99
    epsilon: float = 1e-5

    def __init__(
        self,
        sample_shape: Sequence[int],
        latent_dim: int,
        likelihood: str = "gaussian",
        architecture: str = "mlp",
        hidden: Sequence[int] = (64, 32),
        activation: str = "relu",
        n_conditions: int = 0,
        *,
        codebook_size: int | None = None,
        code_dim: int | None = None,
        commitment_cost: float = 0.25,
        ema: bool = False,
    ) -> None:
        super().__init__(sample_shape, latent_dim, likelihood, architecture, hidden, activation, n_conditions)
        if codebook_size is not None:
            self.configure(codebook_size, latent_dim if code_dim is None else code_dim, commitment_cost, ema)

    def configure(
        self,
        codebook_size: int,
        code_dim: int,
        commitment_cost: float = 0.25,
        ema: bool = False,
        decay: float = 0.99,
        epsilon: float = 1e-5,
    ) -> VQVAEModel:
        """Create the codebook (replacing any earlier one) and set the quantizer's options.

        The codebook starts standard normal, on the scale of a fresh encoder's outputs
        (on digits, 30 epochs, 4 slots of K = 32: perplexity 28 against 10 when it
        starts uniform in [-1/K, 1/K], the other common choice). With ``ema`` it is a buffer, and
        the buffers ``ema_cluster_size`` (K,) and ``ema_weight`` (K, code_dim) hold the
        moving averages, started as if each code had once been assigned to itself
        (sizes 1, sums equal to the codebook), so the first updates are weighted means
        rather than a division by a near-zero size. All of them are in ``state_dict``.

        Parameters
        ----------
        codebook_size : int
            K >= 1.
        code_dim : int
            Dimension of a codebook vector, a divisor of ``latent_dim``.
        commitment_cost : float
            Weight of ||z_e - sg(e)||^2, >= 0 (0.25 in the paper).
        ema : bool
            Update the codebook by moving averages instead of the codebook loss.
        decay, epsilon : float
            The moving averages' decay and the Laplace smoothing of cluster sizes.

        Returns
        -------
        self
        """
        if codebook_size < 1 or code_dim < 1:
            raise ValueError(f"codebook_size and code_dim must be >= 1, got {codebook_size} and {code_dim}")
        if self.latent_dim % code_dim:
            raise ValueError(
                f"latent_dim={self.latent_dim} is not a multiple of code_dim={code_dim}: the latent vector "
                "is cut into slots of code_dim numbers, each quantized to one codebook vector"
            )
        if commitment_cost < 0:
            raise ValueError(f"commitment_cost must be >= 0, got {commitment_cost}")
        self.codebook_size, self.code_dim = int(codebook_size), int(code_dim)
        self.n_slots = self.latent_dim // self.code_dim
        self.commitment_cost, self.ema = float(commitment_cost), bool(ema)
        self.decay, self.epsilon = float(decay), float(epsilon)
        for name in ("codebook", "ema_cluster_size", "ema_weight"):
            if name in self._parameters or name in self._buffers:
                delattr(self, name)
        device = next(self.parameters()).device
        codebook = torch.randn(self.codebook_size, self.code_dim, device=device)  # (K, D)
        if self.ema:
            self.register_buffer("codebook", codebook)
            self.register_buffer("ema_cluster_size", torch.ones(self.codebook_size, device=device))  # (K,)
            self.register_buffer("ema_weight", codebook.clone())  # (K, D)
        else:
            self.codebook = nn.Parameter(codebook)
        return self

    def _checked_codebook(self) -> Tensor:
        codebook = self._parameters.get("codebook", self._buffers.get("codebook"))
        if codebook is None:
            raise RuntimeError("this VQVAEModel has no codebook yet: call configure(codebook_size, code_dim) first")
        return codebook

    # ------------------------------------------------------------ quantizer
    @property
    def prior_kl(self) -> float:
        """KL of a one-hot posterior from the uniform prior over codes: n_slots * log K nats."""
        return self.n_slots * math.log(self.codebook_size)

    def nearest(self, z_e: Tensor) -> Tensor:
        """Index of the nearest codebook vector of each slot: (B, latent) -> (B, n_slots) long."""
        codebook = self._checked_codebook().detach()  # (K, D)
        flat = z_e.detach().reshape(-1, self.code_dim)  # (B * S, D)
        distances = (
            flat.pow(2).sum(1, keepdim=True) - 2.0 * flat @ codebook.T + codebook.pow(2).sum(1)
        )  # (B * S, K), squared Euclidean
        return distances.argmin(dim=1).reshape(*z_e.shape[:-1], self.n_slots)  # (B, S)

    def lookup(self, indices: Tensor) -> Tensor:
        """Codebook vectors of code indices: (B, n_slots) long -> (B, latent_dim)."""
        vectors = self._checked_codebook()[indices]  # (B, S, D)
        return vectors.reshape(*indices.shape[:-1], self.latent_dim)  # (B, latent)

    def _encode_continuous(self, x: Tensor, condition: Tensor | None) -> Tensor:
        return self.encoder(self.encoder_input(x, condition))  # (B, latent): z_e

    def encode_indices(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        """x of shape (B, *sample_shape) -> code indices of shape (B, n_slots), long."""
        return self.nearest(self._encode_continuous(x, condition))

    def decode_indices(self, indices: Tensor, condition: Tensor | None = None) -> Likelihood:
        """Code indices of shape (B, n_slots) -> p(x|z_q) over (B, *sample_shape)."""
        return self.decode(self.lookup(indices), condition)

    def encode(self, x: Tensor, condition: Tensor | None = None) -> PointMass:
        """x of shape (B, *sample_shape) -> the quantized code z_q of shape (B, latent_dim).

        Its value is exactly the chosen codebook vectors; its gradient passes straight
        through to the encoder (none reaches the codebook).
        """
        z_e = self._encode_continuous(x, condition)  # (B, latent)
        e = self.lookup(self.nearest(z_e))  # (B, latent)
        return PointMass(e.detach() + (z_e - z_e.detach()))  # (B, latent): straight-through

    # ----------------------------------------------------------------- loss
    @torch.no_grad()
    def _update_codebook(self, z_e: Tensor, indices: Tensor) -> None:
        """One moving-average step of the codebook towards the mean of its assigned z_e."""
        flat = z_e.detach().reshape(-1, self.code_dim)  # (B * S, D)
        one_hot = nn.functional.one_hot(indices.reshape(-1), self.codebook_size).to(flat.dtype)  # (B * S, K)
        self.ema_cluster_size.mul_(self.decay).add_(one_hot.sum(0), alpha=1.0 - self.decay)  # (K,)
        self.ema_weight.mul_(self.decay).add_(one_hot.T @ flat, alpha=1.0 - self.decay)  # (K, D)
        n = self.ema_cluster_size.sum()
        sizes = (self.ema_cluster_size + self.epsilon) / (n + self.codebook_size * self.epsilon) * n  # (K,)
        self._checked_codebook().copy_(self.ema_weight / sizes.unsqueeze(1))  # (K, D)

    def loss(
        self,
        x: Tensor,
        beta: float = 1.0,
        generator: torch.Generator | None = None,
        condition: Tensor | None = None,
        x_input: Tensor | None = None,
    ) -> LossOutput:
        """VQ-VAE objective on a batch x of shape (B, *sample_shape); ``beta`` must be 1.

        ``reconstruction`` is -log p(x|z_q) per sample; ``kl`` is the constant
        n_slots * log K per sample (uniform prior over codes), which ``loss`` leaves
        out. In training mode with ``ema`` the codebook takes one moving-average step.
        """
        if beta != 1.0:
            raise ValueError(f"the VQ-VAE objective has no KL weight; beta must be 1, got {beta}")
        z_e = self._encode_continuous(x if x_input is None else x_input, condition)  # (B, latent)
        indices = self.nearest(z_e)  # (B, S)
        e = self.lookup(indices)  # (B, latent); carries the codebook's gradient unless ema
        z_q = e.detach() + (z_e - z_e.detach())  # (B, latent): straight-through
        reconstruction = -self.decode(z_q, condition).log_prob(x)  # (B,)
        commitment = (z_e - e.detach()).pow(2).sum(dim=-1)  # (B,)
        objective = reconstruction + self.commitment_cost * commitment  # (B,)
        if self.ema:
            if self.training:
                self._update_codebook(z_e, indices)
        else:
            objective = objective + (z_e.detach() - e).pow(2).sum(dim=-1)  # (B,): codebook loss
        kl = reconstruction.new_full(reconstruction.shape, self.prior_kl)  # (B,)
        return LossOutput(objective.mean(), reconstruction, kl)
