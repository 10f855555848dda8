"""Variational autoencoder (Kingma & Welling, "Auto-Encoding Variational Bayes", 2014).

The encoder gives a diagonal Gaussian q(z|x); a code is drawn with the
reparameterization z = mean + exp(0.5 * logvar) * eps (in
:meth:`vaekit.distributions.DiagonalGaussian.rsample`), and the loss is the negative
ELBO with a weight beta on the KL term (beta = 1 is the ELBO; beta != 1 is the
beta-VAE of Higgins et al., 2017):

    loss(x) = -log p(x|z) + beta * KL(q(z|x) || N(0, I))
"""

from __future__ import annotations

from torch import Tensor

from vaekit.distributions import DiagonalGaussian
from vaekit.models.ae import AutoEncoderModel


class VAEModel(AutoEncoderModel):
    """An :class:`AutoEncoderModel` whose encoder outputs a mean and a log-variance."""

    def encoder_outputs(self, latent_dim: int) -> int:
        return 2 * latent_dim

    def encode(self, x: Tensor, condition: Tensor | None = None) -> DiagonalGaussian:  # type: ignore[override]
        """x of shape (B, *sample_shape) -> q(z|x) with mean/logvar of shape (B, latent)."""
        mean, logvar = self.encoder(self.encoder_input(x, condition)).chunk(2, dim=-1)  # (B, latent) each
        return DiagonalGaussian(mean, logvar)
