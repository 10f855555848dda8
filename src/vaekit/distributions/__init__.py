"""Posteriors and likelihoods used by the models.

Posteriors (what ``encode`` returns):

* :class:`DiagonalGaussian` -- q(z|x) = N(mean, diag(exp(logvar))), with the
  reparameterization trick of Kingma & Welling (2014), "Auto-Encoding Variational
  Bayes", written once, in :meth:`DiagonalGaussian.rsample`.
* :class:`PointMass` -- the deterministic code of a plain autoencoder.

Noise: every random draw a model makes while training goes through :func:`draw`,
from a ``torch.Generator`` or from :class:`MemberGenerators`, one generator per member
of a vectorized ensemble (:mod:`vaekit.training.ensemble`).

Likelihoods (what ``decode`` returns): :class:`Gaussian` (fixed unit or learned
variance), :class:`Bernoulli` (on logits) and :class:`ContinuousBernoulli` (on
logits, a proper density on [0, 1]). Each has ``.mean`` and
``.log_prob(x)``, the latter summed over every feature of a sample, in nats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

LOG_2PI = math.log(2.0 * math.pi)


class MemberGenerators:
    """One generator per member of an ensemble whose rows are stacked member-major.

    A draw of shape (..., R * B, ...) (the batch at ``batch_dim``) is member r's own
    draw of shape (..., B, ...) from ``generators[r]`` at rows r*B .. (r+1)*B: exactly
    the numbers member r would have drawn training alone.
    """

    def __init__(self, generators: list[torch.Generator]) -> None:
        self.generators = generators


Randomness = torch.Generator | MemberGenerators | None
"""Where a model's training noise comes from (None: torch's global generator)."""


def draw(kind: str, shape: tuple[int, ...], generator: Randomness, like: Tensor, batch_dim: int = 0) -> Tensor:
    """Standard normal (``kind="normal"``) or uniform [0, 1) (``"uniform"``) noise of ``shape``,
    with ``like``'s dtype and device; ``batch_dim`` is the dimension that holds the batch
    (it matters only for :class:`MemberGenerators`)."""
    sample = torch.randn if kind == "normal" else torch.rand
    if not isinstance(generator, MemberGenerators):
        return sample(shape, generator=generator, device=like.device, dtype=like.dtype)
    n_members = len(generator.generators)
    dim = batch_dim % len(shape)
    if shape[dim] % n_members:
        raise ValueError(f"a batch of {shape[dim]} rows does not split into {n_members} ensemble members")
    one = (*shape[:dim], shape[dim] // n_members, *shape[dim + 1 :])
    parts = [sample(one, generator=g, device=like.device, dtype=like.dtype) for g in generator.generators]
    return torch.cat(parts, dim=dim)  # (..., R * B, ...)


def _like(t: Tensor, other: Tensor) -> Tensor:
    """``t.expand_as(other)``, skipped when the shapes already agree (one operation fewer a step)."""
    return t if t.shape == other.shape else t.expand_as(other)


def _sum_event(t: Tensor, event_dims: int) -> Tensor:
    """Sum the last ``event_dims`` dimensions (the features of one sample)."""
    return t.sum(dim=tuple(range(-event_dims, 0))) if event_dims else t


@dataclass
class DiagonalGaussian:
    """Diagonal Gaussian posterior q(z|x).

    Parameters
    ----------
    mean : Tensor of shape (B, latent_dim)
    logvar : Tensor of shape (B, latent_dim)
        Natural logarithm of the variance.
    """

    mean: Tensor
    logvar: Tensor

    @property
    def std(self) -> Tensor:
        return torch.exp(0.5 * self.logvar)

    def mode(self) -> Tensor:
        """Most likely code, the mean. Shape (B, latent_dim)."""
        return self.mean

    def rsample(
        self,
        n_samples: int | None = None,
        generator: Randomness = None,
        eps: Tensor | None = None,
    ) -> Tensor:
        """Draw z = mean + exp(0.5 * logvar) * eps, eps ~ N(0, I), differentiably.

        The one place in vaekit where the reparameterization is written.

        Parameters
        ----------
        n_samples : int or None
            None gives one draw of shape (B, latent_dim); an int K gives
            (K, B, latent_dim).
        generator : torch.Generator, MemberGenerators or None
            Source of eps, for reproducible draws.
        eps : Tensor or None
            Standard normal noise to use instead of drawing it; it must broadcast
            against (B, latent_dim) or (K, B, latent_dim).
        """
        shape = self.mean.shape if n_samples is None else (n_samples, *self.mean.shape)
        if eps is None:
            eps = draw("normal", shape, generator, self.mean, batch_dim=-2)
        return torch.addcmul(self.mean, self.std, eps)  # (K?, B, latent): mean + std * eps, one operation

    def kl(self) -> Tensor:
        """KL(q(z|x) || N(0, I)) in closed form, summed over latent dims. Shape (B,).

        0.5 * (mean^2 + exp(logvar) - 1 - logvar), with exp(logvar) - 1 as ``expm1``: exact
        near logvar = 0, and five operations instead of seven (a training step of a small
        network costs about as much per operation as per multiply).
        """
        return 0.5 * torch.addcmul(torch.expm1(self.logvar) - self.logvar, self.mean, self.mean).sum(dim=-1)

    def log_prob(self, z: Tensor) -> Tensor:
        """log q(z|x) summed over latent dims; z of shape (..., B, latent) -> (..., B)."""
        return -0.5 * (LOG_2PI + self.logvar + (z - self.mean).pow(2) / self.logvar.exp()).sum(dim=-1)


@dataclass
class PointMass:
    """Deterministic code of a plain autoencoder; ``mean`` has shape (B, latent_dim)."""

    mean: Tensor

    def mode(self) -> Tensor:
        return self.mean

    def rsample(
        self,
        n_samples: int | None = None,
        generator: Randomness = None,
        eps: Tensor | None = None,
    ) -> Tensor:
        if n_samples is None:
            return self.mean
        return self.mean.expand(n_samples, *self.mean.shape)

    def kl(self) -> Tensor:
        """A point code has no KL term: zeros of shape (B,)."""
        return self.mean.new_zeros(self.mean.shape[0])


def standard_normal_log_prob(z: Tensor) -> Tensor:
    """log N(z; 0, I) summed over the last dim; (..., latent) -> (...)."""
    return -0.5 * (LOG_2PI + z.pow(2)).sum(dim=-1)


@dataclass
class Gaussian:
    """Gaussian likelihood p(x|z) = N(loc, exp(logvar)), independent per feature.

    With ``logvar = 0`` its negative log-probability is half the squared error plus
    a constant: the autoencoder's square loss, in nats.

    Parameters
    ----------
    loc : Tensor of shape (..., B, *sample_shape)
    logvar : Tensor broadcastable to ``loc``, or None for unit variance (the same
        numbers as zeros, in fewer operations)
    event_dims : int
        ``len(sample_shape)``: how many trailing dims one sample spans.
    """

    loc: Tensor
    logvar: Tensor | None
    event_dims: int = 1

    @property
    def mean(self) -> Tensor:
        return self.loc

    def log_prob_elements(self, x: Tensor) -> Tensor:
        """Per feature: x of shape (B, *sample_shape) -> (..., B, *sample_shape)."""
        if self.logvar is None:
            return -0.5 * ((x - self.loc).pow(2) + LOG_2PI).expand_as(self.loc)
        elementwise = (x - self.loc).pow(2) * torch.exp(-self.logvar) + self.logvar + LOG_2PI
        return -0.5 * elementwise.expand_as(self.loc)

    def log_prob(self, x: Tensor) -> Tensor:
        """Summed over features: x of shape (B, *sample_shape) -> (..., B)."""
        return _sum_event(self.log_prob_elements(x), self.event_dims)

    def nll(self, x: Tensor) -> Tensor:
        """``-log_prob(x)``, (B, *sample_shape) -> (..., B), without the two negations."""
        if self.logvar is None:
            squares = (x - self.loc).pow(2) + LOG_2PI
        else:
            squares = (x - self.loc).pow(2) * torch.exp(-self.logvar) + self.logvar + LOG_2PI
        return 0.5 * _sum_event(_like(squares, self.loc), self.event_dims)

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        """One draw x ~ N(loc, exp(logvar)) per entry, of ``loc``'s shape."""
        noise = torch.randn(self.loc.shape, generator=generator, device=self.loc.device, dtype=self.loc.dtype)
        if self.logvar is None:
            return self.loc + noise
        return self.loc + noise * torch.exp(0.5 * self.logvar)


@dataclass
class Bernoulli:
    """Bernoulli likelihood on logits (never a sigmoid followed by cross-entropy).

    ``log_prob`` accepts any x in [0, 1], as for grey-level pixels.

    Parameters
    ----------
    logits : Tensor of shape (..., B, *sample_shape)
    event_dims : int
        ``len(sample_shape)``.
    """

    logits: Tensor
    event_dims: int = 1

    @property
    def mean(self) -> Tensor:
        return torch.sigmoid(self.logits)

    def log_prob_elements(self, x: Tensor) -> Tensor:
        """Per feature: x of shape (B, *sample_shape) -> (..., B, *sample_shape)."""
        return -F.binary_cross_entropy_with_logits(self.logits, x.expand_as(self.logits), reduction="none")

    def log_prob(self, x: Tensor) -> Tensor:
        """Summed over features: x of shape (B, *sample_shape) -> (..., B)."""
        return _sum_event(self.log_prob_elements(x), self.event_dims)

    def nll(self, x: Tensor) -> Tensor:
        """``-log_prob(x)``: the cross-entropy summed over features, (B, *sample_shape) -> (..., B)."""
        elements = F.binary_cross_entropy_with_logits(self.logits, _like(x, self.logits), reduction="none")
        return _sum_event(elements, self.event_dims)


# Below this |logit|, log C and the mean of the continuous Bernoulli use their Taylor
# expansions around logit 0 (lambda = 0.5), where the closed forms divide 0 by 0.
_CB_TAYLOR_BELOW = 0.1


@dataclass
class ContinuousBernoulli:
    """Continuous Bernoulli likelihood on logits (Loaiza-Ganem & Cunningham, 2019).

    The density on [0, 1] is p(x | lambda) = C(lambda) lambda^x (1 - lambda)^(1-x),
    lambda = sigmoid(logits), with the normalizing constant
    C(lambda) = 2 artanh(1 - 2 lambda) / (1 - 2 lambda) (C(0.5) = 2). It corrects the
    Bernoulli "likelihood" of grey levels, which is not a density on [0, 1]. In
    terms of the logit eta: 1 - 2 lambda = -tanh(eta / 2) and artanh(1 - 2 lambda)
    = -eta / 2, so C = eta / tanh(eta / 2) and the mean is
    1/2 + 1 / (2 tanh(eta / 2)) - 1 / eta; near eta = 0 both use their Taylor series
    (log C = log 2 + eta^2/12 - 7 eta^4/1440, mean = 1/2 + eta/12 - eta^3/720).

    Parameters
    ----------
    logits : Tensor of shape (..., B, *sample_shape)
    event_dims : int
        ``len(sample_shape)``.
    """

    logits: Tensor
    event_dims: int = 1

    @property
    def probs(self) -> Tensor:
        """lambda = sigmoid(logits), the shape parameter (not the mean)."""
        return torch.sigmoid(self.logits)

    @property
    def mean(self) -> Tensor:
        """E[x] = lambda / (2 lambda - 1) + 1 / (2 artanh(1 - 2 lambda)); 0.5 at lambda = 0.5."""
        eta = self.logits
        small = eta.abs() < _CB_TAYLOR_BELOW
        safe = torch.where(small, torch.full_like(eta, _CB_TAYLOR_BELOW), eta)
        exact = 0.5 + 0.5 / torch.tanh(0.5 * safe) - 1.0 / safe
        taylor = 0.5 + eta / 12.0 - eta.pow(3) / 720.0
        return torch.where(small, taylor, exact)

    def log_normalizer(self) -> Tensor:
        """log C(lambda), elementwise, same shape as ``logits``."""
        eta = self.logits.abs()  # C is even in eta
        small = eta < _CB_TAYLOR_BELOW
        safe = torch.where(small, torch.full_like(eta, _CB_TAYLOR_BELOW), eta)
        exact = torch.log(safe) - torch.log(torch.tanh(0.5 * safe))
        eta2 = eta.pow(2)
        taylor = math.log(2.0) + eta2 / 12.0 - 7.0 * eta2.pow(2) / 1440.0
        return torch.where(small, taylor, exact)

    def log_prob_elements(self, x: Tensor) -> Tensor:
        """Per feature: x of shape (B, *sample_shape) in [0, 1] -> (..., B, *sample_shape)."""
        cross_entropy = F.binary_cross_entropy_with_logits(self.logits, x.expand_as(self.logits), reduction="none")
        return self.log_normalizer() - cross_entropy

    def log_prob(self, x: Tensor) -> Tensor:
        """Summed over features: x of shape (B, *sample_shape) in [0, 1] -> (..., B)."""
        return _sum_event(self.log_prob_elements(x), self.event_dims)

    def nll(self, x: Tensor) -> Tensor:
        """``-log_prob(x)``, (B, *sample_shape) -> (..., B)."""
        cross_entropy = F.binary_cross_entropy_with_logits(self.logits, _like(x, self.logits), reduction="none")
        return _sum_event(cross_entropy - self.log_normalizer(), self.event_dims)


Likelihood = Gaussian | Bernoulli | ContinuousBernoulli
