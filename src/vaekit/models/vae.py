"""Variational autoencoder (Kingma & Welling, "Auto-Encoding Variational Bayes", 2014).

The encoder gives a diagonal Gaussian q(z|x); a code is drawn with the
reparameterization z = mean + exp(0.5 * logvar) * eps (in
:meth:`vaekit.distributions.DiagonalGaussian.rsample`), and the loss is the negative
ELBO with a weight beta on the KL term (beta = 1 is the ELBO; beta != 1 is the
beta-VAE of Higgins et al., 2017):

    loss(x) = -log p(x|z) + beta * KL(q(z|x) || N(0, I))

With ``capacity`` set, the model trains on the objective of Burgess et al.,
"Understanding disentangling in beta-VAE" (2018) instead:

    loss = E[-log p(x|z)] + gamma * | E[KL] - C(t) |

with C(t) rising linearly from 0 to ``capacity`` nats over ``capacity_epochs``
(the expectations are batch means).
"""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor

from vaekit.distributions import DiagonalGaussian, Randomness
from vaekit.models.ae import AutoEncoderModel, LossOutput


class VAEModel(AutoEncoderModel):
    """An :class:`AutoEncoderModel` whose encoder outputs a mean and a log-variance.

    Parameters
    ----------
    *network, **network_options
        The arguments of :class:`~vaekit.models.ae.AutoEncoderModel` (sample shape,
        latent size, likelihood, architecture, widths, activation, conditions).
    capacity : float or None, default=None
        Final target C of the KL in nats; None trains on the (beta-weighted) ELBO.
    capacity_epochs : float, default=0
        Epochs over which C rises from 0 to ``capacity``.
    gamma : float, default=1000
        Weight of |KL - C|.
    """

    def __init__(
        self,
        *network: Any,
        capacity: float | None = None,
        capacity_epochs: float = 0.0,
        gamma: float = 1000.0,
        **network_options: Any,
    ) -> None:
        super().__init__(*network, **network_options)
        self.capacity = None if capacity is None else float(capacity)
        self.capacity_epochs = float(capacity_epochs)
        self.gamma = float(gamma)

    def encoder_outputs(self, latent_dim: int) -> int:
        return 2 * latent_dim

    def encode(self, x: Tensor, condition: Tensor | None = None) -> DiagonalGaussian:  # type: ignore[override]  # a VAE's code is a Gaussian q(z|x), not an autoencoder's PointMass
        """x of shape (B, *sample_shape) -> q(z|x) with mean/logvar of shape (B, latent)."""
        mean, logvar = self.encoder(self.encoder_input(x, condition)).chunk(2, dim=-1)  # (B, latent) each
        return DiagonalGaussian(mean, logvar)

    def stackable(self) -> bool:
        """Not with the capacity objective: it is a function of the whole batch."""
        return self.capacity is None and super().stackable()

    def schedule_epochs(self) -> float:
        return self.capacity_epochs if self.capacity is not None else 0.0

    def capacity_at(self, progress: float) -> float:
        """C after ``progress`` epochs: linear from 0 to ``capacity`` over ``capacity_epochs``."""
        assert self.capacity is not None
        if self.capacity_epochs <= 0:
            return self.capacity
        return self.capacity * min(1.0, progress / self.capacity_epochs)

    def loss(
        self,
        x: Tensor,
        condition: Tensor | None = None,
        *,
        beta: float = 1.0,
        generator: Randomness = None,
        progress: float = math.inf,
    ) -> LossOutput:
        """The beta-weighted negative ELBO, or the capacity objective; see the module."""
        out = super().loss(x, condition, beta=beta, generator=generator, progress=progress)
        if self.capacity is None:
            return out
        objective = out.reconstruction.mean() + self.gamma * (out.kl.mean() - self.capacity_at(progress)).abs()
        return LossOutput(objective, out.reconstruction, out.kl)
