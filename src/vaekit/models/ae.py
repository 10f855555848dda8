"""Plain autoencoder: a deterministic code z = f(x) and a decoder p(x|z).

Trained to make the reconstruction negative log-likelihood small: with the unit
Gaussian likelihood that is 0.5 * ||x - x_hat||^2 plus a constant (the square loss of
Hinton & Salakhutdinov, "Reducing the dimensionality of data with neural networks",
Science 2006); with the Bernoulli likelihood, the cross-entropy on logits.

This module also holds what every model shares: the likelihood head and the
:class:`LossOutput` record. :mod:`vaekit.models.vae` builds on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from vaekit.data.table.layout import ColumnLayout
from vaekit.distributions import Bernoulli, ContinuousBernoulli, Gaussian, Likelihood, PointMass, Randomness, draw
from vaekit.distributions.mixed import MixedTable, MixedTableHead
from vaekit.nn import build_decoder, build_encoder

LIKELIHOODS = ("gaussian", "gaussian-learned", "bernoulli", "continuous-bernoulli", "mixed")
MISSING_AUGMENTATION = 0.2
"""Mixed tables: while training, each entry is hidden from the encoder with this
probability (as a gap is: values and observed indicator 0) and still scored by the
likelihood, so the model learns to predict an entry from the others, which is what
``impute`` asks of it (the training of the partial VAE of Ma et al., "EDDI", ICML 2019)."""


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
    per_row : Tensor of shape (B,) or None
        Each row's share of the objective, whose mean is ``loss``; None when the objective
        is not a mean over rows (a capacity target, trimming). The training loop reshapes it
        to (R, B) to train R stacked restarts at once (:mod:`vaekit.training.ensemble`).
    """

    loss: Tensor
    reconstruction: Tensor
    kl: Tensor
    per_row: Tensor | None = None


class AutoEncoderModel(nn.Module):
    """Encoder ``x -> z`` and decoder ``z -> p(x|z)`` for samples of ``sample_shape``.

    Parameters
    ----------
    sample_shape : tuple of int
        Shape of one sample: ``(features,)``, ``(H, W)`` or ``(C, H, W)``.
    latent_dim : int
    likelihood : {"gaussian", "gaussian-learned", "bernoulli", "continuous-bernoulli"}
        "gaussian" has unit variance; "gaussian-learned" learns one log-variance per
        feature; "bernoulli" reads the decoder's output as logits; so does
        "continuous-bernoulli", a proper density on [0, 1] (Loaiza-Ganem &
        Cunningham, 2019).
    architecture : {"mlp", "conv"}
    hidden : sequence of int
        Encoder hidden widths; the decoder mirrors them.
    activation : str
    n_conditions : int, default=0
        Width of a condition vector c (a one-hot class for the conditional VAE of
        Sohn et al., 2015) given to both networks: appended to a table's features,
        or as constant extra channels of an image, and appended to z. 0: none.
    layout : sequence of ColumnLayout, optional
        With ``likelihood="mixed"``: where each column of a mixed table sits in the
        encoded input (``sample_shape`` is ``(n_encoded,)``) and in the decoder's
        output (:mod:`vaekit.data.table.layout`); the decoder emits each column's
        likelihood parameters.
    """

    column_positions: Tensor  # a buffer, for a table only

    def __init__(
        self,
        sample_shape: Sequence[int],
        latent_dim: int,
        likelihood: str = "gaussian",
        architecture: str = "mlp",
        hidden: Sequence[int] = (64, 32),
        activation: str = "relu",
        n_conditions: int = 0,
        layout: Sequence[ColumnLayout] | None = None,
    ) -> None:
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood={likelihood!r} is not one of {LIKELIHOODS}")
        if (likelihood == "mixed") != (layout is not None):
            raise ValueError('a column layout goes with likelihood="mixed", and only with it')
        self.sample_shape = tuple(sample_shape)
        self.latent_dim = latent_dim
        self.likelihood = likelihood
        self.n_conditions = n_conditions
        self.encoder = build_encoder(
            self._encoder_input_shape(), self.encoder_outputs(latent_dim), architecture, hidden, activation
        )
        self.table_head = None if layout is None else MixedTableHead(list(layout))
        if layout is not None:  # (n_columns, n_encoded): which encoded positions hold each column
            positions = torch.zeros(len(layout), self.sample_shape[0])
            for j, column in enumerate(layout):
                positions[j, column.in_offset : column.observed_at + 1] = 1.0
            self.register_buffer("column_positions", positions, persistent=False)
        output_shape = self.sample_shape if self.table_head is None else (self.table_head.n_params,)
        self.decoder = build_decoder(latent_dim + n_conditions, output_shape, architecture, hidden, activation)
        if likelihood == "gaussian-learned":
            self.decoder_logvar = nn.Parameter(torch.zeros(self.sample_shape))
        else:
            self.register_buffer("decoder_logvar", torch.zeros(()), persistent=False)

    def encoder_outputs(self, latent_dim: int) -> int:
        """How many numbers the encoder emits per sample."""
        return latent_dim

    # ------------------------------------------------------------ conditioning
    def _encoder_input_shape(self) -> tuple[int, ...]:
        """One sample as the encoder sees it: with the condition appended."""
        k = self.n_conditions
        if k == 0:
            return self.sample_shape
        if len(self.sample_shape) == 1:
            return (self.sample_shape[0] + k,)
        channels = 1 if len(self.sample_shape) == 2 else self.sample_shape[0]
        return (channels + k, *self.sample_shape[-2:])

    def _check_condition(self, condition: Tensor | None, batch: int) -> None:
        if self.n_conditions and (condition is None or condition.shape != (batch, self.n_conditions)):
            got = None if condition is None else tuple(condition.shape)
            raise ValueError(f"this model needs a condition of shape ({batch}, {self.n_conditions}); got {got}")

    def encoder_input(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        """x (B, *sample_shape) with the condition c (B, n_conditions) appended."""
        if not self.n_conditions:
            return x
        self._check_condition(condition, len(x))
        assert condition is not None
        if len(self.sample_shape) == 1:
            return torch.cat([x, condition], dim=-1)  # (B, features + k)
        images = x.unsqueeze(1) if len(self.sample_shape) == 2 else x  # (B, C, H, W)
        planes = condition[:, :, None, None].expand(-1, -1, *images.shape[-2:])  # (B, k, H, W)
        return torch.cat([images, planes], dim=1)  # (B, C + k, H, W)

    def decoder_input(self, z: Tensor, condition: Tensor | None = None) -> Tensor:
        """z (..., B, latent) with the condition appended: (..., B, latent + k)."""
        if not self.n_conditions:
            return z
        self._check_condition(condition, z.shape[-2])
        assert condition is not None
        return torch.cat([z, condition.expand(*z.shape[:-1], self.n_conditions)], dim=-1)

    # ------------------------------------------------------------------ parts
    def encode(self, x: Tensor, condition: Tensor | None = None) -> PointMass:
        """x of shape (B, *sample_shape) -> code of shape (B, latent_dim)."""
        return PointMass(self.encoder(self.encoder_input(x, condition)))

    def decode(self, z: Tensor, condition: Tensor | None = None) -> Likelihood | MixedTable:
        """z of shape (..., B, latent_dim) -> p(x|z) over (..., B, *sample_shape)."""
        params = self.decoder(self.decoder_input(z, condition))
        if self.table_head is not None:
            return self.table_head(params)  # a MixedTable over the encoded table
        event_dims = len(self.sample_shape)
        if self.likelihood == "bernoulli":
            return Bernoulli(params, event_dims)
        if self.likelihood == "continuous-bernoulli":
            return ContinuousBernoulli(params, event_dims)
        logvar = self.decoder_logvar if self.likelihood == "gaussian-learned" else None  # None: unit variance
        return Gaussian(params, logvar, event_dims)

    def schedule_epochs(self) -> float:
        """Epochs over which the objective itself changes (0: it does not); early
        stopping waits for them to pass."""
        return 0.0

    def stackable(self) -> bool:
        """Whether restarts of this model can train as one vectorized ensemble
        (:mod:`vaekit.training.ensemble`): the loss is the batch mean of ``reconstruction + beta *
        kl``, each a function of its own row, and the networks see (B, ...) rows, so that
        R members' batches can be stacked into one of R * B rows."""
        return True

    def encoder_view(self, x: Tensor, generator: Randomness = None) -> Tensor:
        """What the encoder sees of a batch x while training: x itself; for a mixed table
        x with entries hidden at random (:data:`MISSING_AUGMENTATION`); a corrupted copy
        for the denoising autoencoder."""
        if self.table_head is None or MISSING_AUGMENTATION <= 0:
            return x
        n_columns = self.column_positions.shape[0]
        hide = draw("uniform", (x.shape[0], n_columns), generator, x) < MISSING_AUGMENTATION
        return x * (1.0 - hide.to(x.dtype) @ self.column_positions)  # (B, n_encoded): hidden entries read as gaps

    def loss(
        self,
        x: Tensor,
        condition: Tensor | None = None,
        *,
        beta: float = 1.0,
        generator: Randomness = None,
        progress: float = math.inf,
    ) -> LossOutput:
        """Objective on a batch x of shape (B, *sample_shape), with its condition c (B, k).

        ``beta`` weighs the KL term (the training loop lowers it during a KL warm-up);
        ``progress`` is the number of epochs trained so far (fractional), read by
        objectives that change over training; ``math.inf`` means their final form.
        """
        x_input = self.encoder_view(x, generator) if self.training else x
        posterior = self.encode(x_input, condition)
        z = posterior.rsample(generator=generator)  # (B, latent)
        reconstruction = self.decode(z, condition).nll(x)  # (B,): -log p(x|z)
        kl = posterior.kl()  # (B,)
        per_row = torch.add(reconstruction, kl, alpha=beta)  # (B,): reconstruction + beta * kl, one operation
        return LossOutput(per_row.mean(), reconstruction, kl, per_row)
