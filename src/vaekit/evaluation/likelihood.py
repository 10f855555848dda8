"""Likelihood of a fitted VAE: importance sampling, bits per dimension, active units.

* :func:`log_likelihood` -- the importance-sampled estimate of log p(x) of Burda,
  Grosse & Salakhutdinov, "Importance Weighted Autoencoders" (ICLR 2016,
  arXiv:1509.00519), with the encoder's q(z|x) as proposal::

      log p(x) ~= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x),   z_k ~ q(z|x)

  For every K it is a lower bound in expectation (the IWAE bound L_K), it rises
  with K, equals the ELBO at K = 1 and tends to log p(x) as K grows.
* :func:`bits_per_dim` -- nats per sample to bits per dimension.
* :func:`active_units` -- Burda et al.'s count of latent dimensions the model uses:
  those whose posterior mean varies over the data, Cov_x(E_q[z_j]) > threshold.
* :func:`positive_density_note` -- the sentence that explains a positive ELBO or
  log p(x), for the places that print one.

Everything here needs a variational model (an encoder that gives a
:class:`~vaekit.distributions.DiagonalGaussian`); a plain autoencoder's code is a
point, which defines no density p(x).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
from torch import Tensor

from vaekit.distributions import Bernoulli, Likelihood, standard_normal_log_prob
from vaekit.estimators import PREDICT_BATCH
from vaekit.estimators._params import check_positive_int
from vaekit.training.runtime import torch_threads

if TYPE_CHECKING:
    from vaekit.distributions.mixed import MixedTable
    from vaekit.estimators import BaseAutoEncoder
    from vaekit.models.vae import VAEModel

MAX_BATCH_FLOATS = 2**25
"""Rows per batch when ``batch_size`` is None: K * B * n_features stays under this.

The K draws of a batch are drawn together, so the draws a row gets depend on the batch
it falls in: this constant, not :data:`MAX_CHUNK_FLOATS`, decides which numbers a seed
gives. (Both bounds were once one constant, 2**25; batches are cut as they were.)"""

MAX_CHUNK_FLOATS = 2**20
"""Largest (draws, B, *sample_shape) decoder output evaluated at once: 4 MiB of float32.

A piece this size stays in the CPU cache from the decoder to the log-probability that
reads it. Pieces of 128 MiB (the former bound) went through main memory on every pass
and through fresh pages on every allocation: K = 1000 on the MNIST test set took more
than twice as long."""


def _check_variational(estimator: BaseAutoEncoder, caller: str) -> None:
    """A ValueError unless the estimator declares a Gaussian q(z|x) (``variational``)."""
    if not estimator.variational:
        raise ValueError(
            f"{caller} needs a variational model whose encoder gives a Gaussian q(z|x); "
            f"{type(estimator).__name__} has a deterministic code, which defines no "
            "likelihood p(x). Use its score_samples (log p(x|z) at the code, the negative "
            "reconstruction loss) or fit a VAE."
        )


def _chunk_sizes(n_samples: int, n_features: int, batch_size: int | None) -> tuple[int, int]:
    """Rows per data batch and draws per decoder call, keeping K*B*n_features bounded."""
    if batch_size is None:
        batch_size = max(1, min(PREDICT_BATCH, MAX_BATCH_FLOATS // (n_samples * n_features)))
    draws = max(1, min(n_samples, MAX_CHUNK_FLOATS // (batch_size * n_features)))
    return batch_size, draws


def log_likelihood(
    estimator: BaseAutoEncoder,
    X: Any,
    n_samples: int = 1000,
    batch_size: int | None = None,
    random_state: int = 0,
    y: Any = None,
) -> np.ndarray:
    """Importance-sampled log p(x) per sample, in nats, in the units of X.

    ``logmeanexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)]`` with K = ``n_samples``
    draws z_k ~ q(z|x) per row (Burda et al., 2016). In expectation it is the IWAE
    lower bound L_K: at K = 1 it is the ELBO, and it rises towards log p(x) as K grows
    (K = 1000 is the usual figure for MNIST). The log-Jacobian of the estimator's
    preprocessing is added, as in ``loss_terms``, so the density is that of X itself.

    The K draws of a batch of B rows are drawn together, as a (K, B, latent_dim)
    tensor, and go through the decoder in pieces of at most ``MAX_CHUNK_FLOATS``
    decoded values, so memory stays bounded for any K. A Bernoulli decoder's
    log p(x|z) is computed here in a form that needs one logarithm per 64 features
    instead of one per feature (see :func:`_bernoulli_log_prob`); it agrees with
    ``Bernoulli.log_prob`` to float32 rounding.

    Threads: the decoder's matrix products are large, so with the estimator's
    ``threads="auto"`` (one thread, which suits training small networks) this runs
    on torch's own thread count, by default one per core. K = 1000 on the 10,000
    MNIST test images (the 784-400-20 reference VAE) took about 60 s on two cores
    against about 100 s on one. Threads that wait for each other suffer when other
    work shares the cores: beside one busy process the two-thread run took about
    200 s, the one-thread run still 100 s. An integer ``threads`` on the estimator
    (e.g. 1 on a shared machine) is used as given.

    Parameters
    ----------
    estimator : a fitted VAE
        Any estimator whose model encodes to a DiagonalGaussian.
    X : array-like of shape (n, *estimator.input_shape_)
    n_samples : int, default=1000
        K, importance samples per row.
    batch_size : int or None, default=None
        Rows per batch; None picks it from K and the number of features so that
        K * B * n_features stays under ``MAX_BATCH_FLOATS``.
    random_state : int, default=0
        Seed of the draws. The same X, K, batch size and seed give the same numbers;
        the draws a row gets depend on the batch it falls in.
    y : labels of X, for a conditional model (then the estimate is of log p(x | y))

    Returns
    -------
    ndarray of float64, shape (n,)
        The estimate of log p(x) for each row, in nats.

    Raises
    ------
    ValueError
        For a plain AutoEncoder (a deterministic code has no likelihood), bad
        ``n_samples`` or ``batch_size``, or invalid X.
    """
    n_samples = check_positive_int("n_samples", n_samples)
    if batch_size is not None:
        batch_size = check_positive_int("batch_size", batch_size)
    _check_variational(estimator, "log_likelihood")
    X_model = estimator._check_X(X)  # (n, *sample_shape), model units
    C = estimator._conditions(y, len(X_model), "log_likelihood")  # (n, k) or None
    batch_size, draws = _chunk_sizes(n_samples, math.prod(X_model.shape[1:]), batch_size)
    model = cast("VAEModel", estimator.model_)  # a variational estimator's: its encoder gives q(z|x)
    model.eval()
    generator = torch.Generator(estimator.device_).manual_seed(int(random_state))
    results = []
    with torch.inference_mode(), torch_threads(_evaluation_threads(estimator.threads)):
        for x, c in estimator._batches(X_model, C, batch_size=batch_size):  # (B, *sample), (B, k) or None
            assert x is not None  # X_model is an array: its slices are tensors
            posterior = model.encode(x, c)
            z = posterior.rsample(n_samples, generator=generator)  # (K, B, latent)
            log_px = z.new_empty(z.shape[:-1])  # (K, B)
            for k in range(0, n_samples, draws):
                log_px[k : k + draws] = _log_prob(model.decode(z[k : k + draws], c), x)  # log p(x|z_k)
            log_weight = log_px + standard_normal_log_prob(z) - posterior.log_prob(z)  # + log p(z) - log q(z|x)
            log_mean_weight = torch.logsumexp(log_weight.double(), dim=0) - math.log(n_samples)  # (B,)
            results.append(log_mean_weight.cpu())
    return torch.cat(results).numpy() + estimator.scaling_.log_abs_det_jacobian(X_model)


def _evaluation_threads(threads: int | str | None) -> int | str | None:
    """The thread setting evaluation runs under: the estimator's, except that "auto"
    (:data:`vaekit.training.loop.AUTO_THREADS`, chosen for training small networks) leaves
    torch's count as it is, because the decoder's products here are large."""
    return None if threads == "auto" else threads


def _log_prob(likelihood: Likelihood | MixedTable, x: Tensor) -> Tensor:
    """log p(x|z) summed over the features of each sample: x (B, *sample_shape) -> (k, B)."""
    if not isinstance(likelihood, Bernoulli):
        return likelihood.log_prob(x)
    logits = likelihood.logits  # (k, B, *sample_shape)
    logits = logits.reshape(*logits.shape[: logits.dim() - likelihood.event_dims], -1)  # (k, B, n_features)
    return _bernoulli_log_prob(logits, x.reshape(len(x), -1))


def _bernoulli_log_prob(logits: Tensor, x: Tensor) -> Tensor:
    """``Bernoulli(logits).log_prob(x)``: sum_j x_j l_j - softplus(l_j); (k, B, n), (B, n) -> (k, B).

    softplus(l) = relu(l) - log sigmoid(|l|), so the sum is
    ``sum_j log sigmoid(|l_j|) - sum_j (relu(l_j) - x_j l_j)``. The terms of the second
    sum are small where the decoder fits x, so it loses nothing to cancellation. The
    first is the log of a product: each factor lies in [1/2, 1], so a product of 64 of
    them stays at or above 2**-64, far from float32's underflow, and one logarithm per
    64 features is taken instead of one per feature. A logarithm per feature (as in
    ``binary_cross_entropy_with_logits`` or ``softplus``) made this step nearly twice
    as slow on a CPU.
    """
    mismatch = logits.clamp_min(0).addcmul_(logits, x, value=-1).sum(dim=-1)  # sum_j relu(l_j) - x_j l_j, (k, B)
    factors = torch.sigmoid_(logits.abs())  # sigmoid(|l|), (k, B, n)
    width = factors.shape[-1]
    for _ in range(6):  # fold the last half onto the first, 6 times: products of up to 2**6 factors
        half = width // 2
        factors[..., :half] *= factors[..., width - half : width]
        width -= half  # an odd width keeps its middle column as it is
    return factors[..., :width].log().sum(dim=-1) - mismatch


def bits_per_dim(nats_per_sample: float | np.ndarray, n_dims: int) -> float | np.ndarray:
    """Negative log-likelihood in nats per sample -> bits per dimension.

    ``nats / (n_dims * ln 2)``. Lower is better.

    This is -log2 p(x) of the model's density over X as given, per dimension. For
    pixels scaled to [0, 1] and modelled with a Bernoulli (which is not even a
    normalized density over grey levels) or a Gaussian likelihood, it is NOT the
    discrete 256-level bits/dim of the image-modelling literature (PixelCNN, Glow,
    ...), which is -log2 P(x) of the integer pixel values. A continuous density on
    [0, 1] converts to that scale (by adding log2 256 = 8 bits per dimension) only when
    it was fitted to uniformly dequantized pixels, which the models here are not. Do
    not put the two kinds of figure side by side.

    Parameters
    ----------
    nats_per_sample : float or ndarray of shape (n,)
        -log p(x) per sample, in nats (e.g. ``-log_likelihood(...)``).
    n_dims : int
        Dimensions per sample (``estimator.n_features_in_``, e.g. 784 for MNIST).

    Returns
    -------
    float, or ndarray of float64 of the same shape as ``nats_per_sample``

    Examples
    --------
    >>> round(bits_per_dim(784 * math.log(2), 784), 6)
    1.0
    """
    n_dims = check_positive_int("n_dims", n_dims)
    bits = np.asarray(nats_per_sample, dtype=np.float64) / (n_dims * math.log(2.0))
    return float(bits) if bits.ndim == 0 else bits


POSITIVE_DENSITY_NOTE = (
    "a positive ELBO or log p(x) (negative bits per dimension) is no error: for continuous data p(x) is a "
    "density, which exceeds 1 where the data are concentrated (columns with a small spread)"
)


def positive_density_note(*log_densities: float | None) -> str | None:
    """:data:`POSITIVE_DENSITY_NOTE` when any of the given figures is positive, else None.

    A probability is at most 1, but a density is not: a Gaussian of standard
    deviation 0.01 has density 40 at its mean, so for continuous data log p(x) > 0,
    and an ELBO above 0 or bits per dimension below 0, are correct. Readers who know
    the figures from discrete data (MNIST under a Bernoulli likelihood) take them for
    a bug, so every place that prints one says so when it happens.

    Parameters
    ----------
    *log_densities : float or None
        ELBOs or log-likelihoods, in nats; None entries are skipped. Bits per
        dimension are negative exactly when log p(x) is positive.

    Returns
    -------
    str or None

    Examples
    --------
    >>> positive_density_note(-3.2, None) is None
    True
    >>> positive_density_note(-3.2, 1.5).startswith("a positive ELBO")
    True
    """
    return POSITIVE_DENSITY_NOTE if any(v is not None and v > 0 for v in log_densities) else None


def active_units(estimator: BaseAutoEncoder, X: Any, threshold: float = 0.01, y: Any = None) -> tuple[int, np.ndarray]:
    """Latent dimensions a VAE uses, after Burda et al. (2016), section 5.2.

    The activity of dimension j is A_j = Var_x(E_{q(z|x)}[z_j]), the variance over the
    rows of X of the posterior mean; a unit is active when A_j > ``threshold``. An
    inactive unit has a posterior that does not depend on x (it usually sits on the
    prior N(0, 1)), so the decoder cannot read anything from it.

    Parameters
    ----------
    estimator : a fitted VAE
    X : array-like of shape (n, *estimator.input_shape_)
    threshold : float, default=0.01
        Burda et al.'s value, on the scale of the unit-variance prior.
    y : labels of X, for a conditional model

    Returns
    -------
    n_active : int
    variances : ndarray of float64, shape (latent_dim,)
        A_j for each latent dimension (population variance, ddof=0).

    Raises
    ------
    ValueError
        For a plain AutoEncoder, a negative threshold, or invalid X.
    """
    if not (isinstance(threshold, (int, float, np.floating)) and threshold >= 0):
        raise ValueError(f"threshold must be a number >= 0, got {threshold!r}")
    _check_variational(estimator, "active_units")
    means, _ = estimator.encode(X, y)  # (n, latent)
    variances = means.astype(np.float64).var(axis=0)  # (latent,), ddof=0
    return int((variances > threshold).sum()), variances
