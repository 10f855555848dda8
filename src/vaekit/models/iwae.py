"""Importance-weighted autoencoder (Burda, Grosse & Salakhutdinov, "Importance Weighted
Autoencoders", ICLR 2016).

The same networks as the VAE, trained on the k-sample bound

    L_k(x) = E[ log (1/k) sum_i p(x, z_i) / q(z_i|x) ],   z_1..z_k ~ q(z|x),

which is the ELBO for k = 1 and tightens towards log p(x) as k grows. The recorded
reconstruction and KL are the usual ELBO terms (averaged over the k draws), so the
history stays comparable with a VAE's; the loss is -L_k.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from vaekit.distributions import Randomness, standard_normal_log_prob
from vaekit.models.ae import LossOutput
from vaekit.models.vae import VAEModel


class IWAEModel(VAEModel):
    """A :class:`VAEModel` trained on the importance-weighted bound.

    Parameters
    ----------
    *network, **network_options
        The arguments of :class:`~vaekit.models.ae.AutoEncoderModel` (sample shape,
        latent size, likelihood, architecture, widths, activation, conditions).
    n_importance : int, default=5
        k, the posterior draws per sample in the bound.
    """

    def __init__(
        self,
        *network: Any,
        n_importance: int = 5,
        **network_options: Any,
    ) -> None:
        super().__init__(*network, **network_options)
        self.n_importance = int(n_importance)

    def stackable(self) -> bool:
        """No: the loss is -L_k, not reconstruction + beta * KL, over (k, B) draws."""
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
        """-L_k on a batch x of shape (B, *sample_shape); ``beta`` must be 1."""
        if beta != 1.0:
            raise ValueError(f"the IWAE bound has no KL weight; beta must be 1, got {beta}")
        posterior = self.encode(x, condition)
        z = posterior.rsample(self.n_importance, generator=generator)  # (k, B, latent)
        log_lik = self.decode(z, condition).log_prob(x)  # (k, B)
        log_w = log_lik + standard_normal_log_prob(z) - posterior.log_prob(z)  # (k, B)
        bound = torch.logsumexp(log_w, dim=0) - math.log(self.n_importance)  # (B,)
        return LossOutput(-bound.mean(), -log_lik.mean(dim=0), posterior.kl(), -bound)
