"""Vector-quantized autoencoder (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete
Representation Learning", NeurIPS 2017).

An autoencoder whose code goes through a :class:`~vaekit.models.quantizer.VectorQuantizer`;
the decoder sees the quantized z_q. Per sample, with sg the stop-gradient:

    loss(x) = -log p(x|z_q) + ||sg(z_e) - e||^2 + commitment_cost * ||z_e - sg(e)||^2

(the middle term, the codebook loss, is dropped when the codebook moves by moving
averages). The paper's prior over codes is uniform, so KL(q(z|x) || p(z)) =
n_slots * log K for the one-hot posterior: a constant, recorded as ``kl`` in
:class:`LossOutput` so that -(reconstruction + kl) is the paper's bound on log p(x),
but left out of the loss that is minimized (it has no gradient). Dead codes are not
restarted.
"""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor

from vaekit.distributions import Likelihood, PointMass, Randomness
from vaekit.distributions.mixed import MixedTable
from vaekit.models.ae import AutoEncoderModel, LossOutput
from vaekit.models.quantizer import VectorQuantizer

# Weights saved by format 1 kept the quantizer's tensors at the top level.
_QUANTIZER_TENSORS = ("codebook", "ema_cluster_size", "ema_weight")


def _nest_quantizer_keys(module: Any, state_dict: dict[str, Tensor], prefix: str, *args: Any) -> None:
    """Load-time hook: ``codebook`` (format 1) -> ``quantizer.codebook``, and so on."""
    for name in _QUANTIZER_TENSORS:
        if prefix + name in state_dict:
            state_dict[f"{prefix}quantizer.{name}"] = state_dict.pop(prefix + name)


class VQVAEModel(AutoEncoderModel):
    """An :class:`AutoEncoderModel` whose code is quantized to a learned codebook.

    Parameters
    ----------
    *network, **network_options
        The arguments of :class:`~vaekit.models.ae.AutoEncoderModel` (sample shape,
        latent size, likelihood, architecture, widths, activation, conditions).
    codebook_size : int, default=128
        K, the number of codebook vectors.
    code_dim : int or None, default=None
        Dimension of a codebook vector; None: the whole latent vector is one slot.
    commitment_cost : float, default=0.25
    ema : bool, default=False
        See :class:`~vaekit.models.quantizer.VectorQuantizer`.
    """

    def __init__(
        self,
        *network: Any,
        codebook_size: int = 128,
        code_dim: int | None = None,
        commitment_cost: float = 0.25,
        ema: bool = False,
        **network_options: Any,
    ) -> None:
        super().__init__(*network, **network_options)
        code_dim = self.latent_dim if code_dim is None else code_dim
        self.quantizer = VectorQuantizer(self.latent_dim, codebook_size, code_dim, commitment_cost, ema)
        self.register_load_state_dict_pre_hook(_nest_quantizer_keys)

    @property
    def n_slots(self) -> int:
        return self.quantizer.n_slots

    def _encode_continuous(self, x: Tensor, condition: Tensor | None) -> Tensor:
        return self.encoder(self.encoder_input(x, condition))  # (B, latent): z_e

    def encode_indices(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        """x of shape (B, *sample_shape) -> code indices of shape (B, n_slots), long."""
        return self.quantizer.nearest(self._encode_continuous(x, condition))

    def decode_indices(self, indices: Tensor, condition: Tensor | None = None) -> Likelihood | MixedTable:
        """Code indices of shape (B, n_slots) -> p(x|z_q) over (B, *sample_shape)."""
        return self.decode(self.quantizer.lookup(indices), condition)

    def encode(self, x: Tensor, condition: Tensor | None = None) -> PointMass:
        """x of shape (B, *sample_shape) -> the quantized code z_q of shape (B, latent_dim).

        Its value is exactly the chosen codebook vectors; its gradient passes straight
        through to the encoder (none reaches the codebook).
        """
        z_e = self._encode_continuous(x, condition)  # (B, latent)
        e = self.quantizer.lookup(self.quantizer.nearest(z_e))  # (B, latent)
        return PointMass(e.detach() + (z_e - z_e.detach()))  # (B, latent): straight-through

    def stackable(self) -> bool:
        """No: the codebook is not a Linear layer, and its updates pool the whole batch."""
        return False

    def loss(
        self,
        x: Tensor,
        condition: Tensor | None = None,
        *,
        beta: float = 1.0,
        generator: Randomness = None,
        progress: float = math.inf,
    ) -> LossOutput:
        """VQ-VAE objective on a batch x of shape (B, *sample_shape); ``beta`` must be 1.

        ``reconstruction`` is -log p(x|z_q) per sample; ``kl`` is the constant
        n_slots * log K per sample (uniform prior over codes), which ``loss`` leaves
        out. In training mode with ``ema`` the codebook takes one moving-average step.
        """
        if beta != 1.0:
            raise ValueError(f"the VQ-VAE objective has no KL weight; beta must be 1, got {beta}")
        quantized = self.quantizer(self._encode_continuous(x, condition))
        reconstruction = self.decode(quantized.z_q, condition).nll(x)  # (B,): -log p(x|z)
        kl = reconstruction.new_full(reconstruction.shape, self.quantizer.prior_kl)  # (B,)
        per_row = reconstruction + quantized.penalty  # (B,)
        return LossOutput(per_row.mean(), reconstruction, kl, per_row)
