"""Plain autoencoder: a deterministic code z = f(x) and a decoder p(x|z).

Trained to make the reconstruction negative log-likelihood small: with the unit
Gaussian likelihood that is 0.5 * ||x - x_hat||^2 plus a constant (the square loss of
Hinton & Salakhutdinov, "Reducing the dimensionality of data with neural networks",
Science 2006); with the Bernoulli likelihood, the cross-entropy on logits.

This module also holds what every model shares: the likelihood head and the
:class:`LossOutput` record. :mod:`vaekit.models.vae` builds on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from vaekit.distributions import Bernoulli, Gaussian, Likelihood, PointMass
from vaekit.nn import build_decoder, build_encoder

LIKELIHOODS = ("gaussian", "gaussian-learned", "bernoulli")


@dataclass
class LossOutput:
    """What one forward pass of the objective gives.

    Attributes
    ----------
    loss : Tensor, scalar
        The batch mean of what is minimized (reconstruction + beta * KL).
    reconstruction : Tensor of shape (B,)
        -log p(x|z) per sample, summed over features, in nats.
    kl : Tensor of shape (B,)
        KL(q(z|x) || p(z)) per sample, in nats; zeros for a plain autoencoder.
    """

    loss: Tensor
    reconstruction: Tensor
    kl: Tensor


class AutoEncoderModel(nn.Module):
    """Encoder ``x -> z`` and decoder ``z -> p(x|z)`` for samples of ``sample_shape``.

    Parameters
    ----------
    sample_shape : tuple of int
        Shape of one sample: ``(features,)``, ``(H, W)`` or ``(C, H, W)``.
    latent_dim : int
    likelihood : {"gaussian", "gaussian-learned", "bernoulli"}
        "gaussian" has unit variance; "gaussian-learned" learns one log-variance per
        feature; "bernoulli" reads the decoder's output as logits.
    architecture : {"mlp", "conv"}
    hidden : sequence of int
        Encoder hidden widths; the decoder mirrors them.
    activation : str
    """

    def __init__(
        self,
        sample_shape: Sequence[int],
        latent_dim: int,
        likelihood: str = "gaussian",
        architecture: str = "mlp",
        hidden: Sequence[int] = (64, 32),
        activation: str = "relu",
    ) -> None:
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood={likelihood!r} is not one of {LIKELIHOODS}")
        self.sample_shape = tuple(sample_shape)
        self.latent_dim = latent_dim
        self.likelihood = likelihood
        self.encoder = build_encoder(
            self.sample_shape, self.encoder_outputs(latent_dim), architecture, hidden, activation
        )
        self.decoder = build_decoder(latent_dim, self.sample_shape, architecture, hidden, activation)
        if likelihood == "gaussian-learned":
            self.decoder_logvar = nn.Parameter(torch.zeros(self.sample_shape))
        else:
            self.register_buffer("decoder_logvar", torch.zeros(()), persistent=False)

    def encoder_outputs(self, latent_dim: int) -> int:
        """How many numbers the encoder emits per sample."""
        return latent_dim

    def encode(self, x: Tensor) -> PointMass:
        """x of shape (B, *sample_shape) -> code of shape (B, latent_dim)."""
        return PointMass(self.encoder(x))

    def decode(self, z: Tensor) -> Likelihood:
        """z of shape (..., B, latent_dim) -> p(x|z) over (..., B, *sample_shape)."""
        params = self.decoder(z)
        event_dims = len(self.sample_shape)
        if self.likelihood == "bernoulli":
            return Bernoulli(params, event_dims)
        return Gaussian(params, self.decoder_logvar, event_dims)

    def loss(
        self, x: Tensor, beta: float = 1.0, generator: torch.Generator | None = None
    ) -> LossOutput:
        """Objective on a batch x of shape (B, *sample_shape)."""
        posterior = self.encode(x)
        reconstruction = -self.decode(posterior.rsample(generator=generator)).log_prob(x)  # (B,)
        kl = posterior.kl()  # (B,)
        return LossOutput((reconstruction + beta * kl).mean(), reconstruction, kl)
