"""beta-TCVAE (Chen, Li, Grosse & Duvenaud, "Isolating Sources of Disentanglement in
Variational Autoencoders", NeurIPS 2018).

The KL term of the ELBO, averaged over the data, splits into three parts (their
eq. 2), with q(z) = (1/N) sum_n q(z|x_n) the aggregate posterior:

    E_x KL(q(z|x) || p(z)) = I_q(x; z)                      index-code mutual information
                           + KL(q(z) || prod_j q(z_j))       total correlation (TC)
                           + sum_j KL(q(z_j) || p(z_j))      dimension-wise KL

and the beta-TCVAE weighs them alpha, beta and gamma (1, beta, 1 in the paper):

    loss(x) = -log p(x|z) + alpha * MI + beta * TC + gamma * dimKL

log q(z) and log q(z_j) are estimated on each minibatch of M rows drawn from N, by
default with the paper's minibatch-weighted sampling (MWS, their section 4.1):

    log q(z_i) ~= log sum_m q(z_i | x_m) - log(N M)

and the same per dimension for log q(z_ij). Its value is shifted by constants: with
the whole data set as the batch (M = N) its TC is exactly (D - 1) log N above the TC of
the batch's own mixture of posteriors, D the latent size. Constants carry no gradient,
so training is unaffected. ``sampling="mss"`` uses the minibatch stratified sampling
of the paper's appendix instead (weight 1/N on row i's own posterior, (N - 1) /
(N (M - 1)) on each other one, so that a row's weights sum to 1), whose value is
consistent: at M = N it is that mixture's.
The recorded ``kl`` is the closed-form KL(q(z|x) || N(0, I)), as for the VAE.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from vaekit.distributions import LOG_2PI, DiagonalGaussian, Randomness, standard_normal_log_prob
from vaekit.models.ae import LossOutput
from vaekit.models.vae import VAEModel


def _pairwise_log_density(z: Tensor, posterior: DiagonalGaussian) -> Tensor:
    """log q(z_i[j] | x_m[j]) for every pair (i, m) and dimension j: (B, latent) -> (B, B, latent)."""
    mean, logvar = posterior.mean.unsqueeze(0), posterior.logvar.unsqueeze(0)  # (1, B, latent)
    diff = z.unsqueeze(1) - mean  # (B, B, latent): row i, column m
    return -0.5 * (LOG_2PI + logvar + diff.pow(2) / logvar.exp())


SAMPLINGS = ("mws", "mss")


def _log_weights(batch: int, dataset_size: int, sampling: str, like: Tensor) -> Tensor:
    """log of the weight of posterior m in the estimate of q(z_i): (B, B), row i."""
    if sampling == "mws":
        return like.new_full((batch, batch), -math.log(dataset_size * batch))
    if sampling != "mss":
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    if batch == 1:
        return like.new_full((1, 1), -math.log(dataset_size))
    others = (dataset_size - 1) / (dataset_size * (batch - 1))  # each row's weights sum to 1
    weights = like.new_full((batch, batch), math.log(others))
    weights.fill_diagonal_(-math.log(dataset_size))
    return weights


def kl_decomposition(
    z: Tensor, posterior: DiagonalGaussian, dataset_size: int, sampling: str = "mws"
) -> tuple[Tensor, Tensor, Tensor]:
    """Minibatch estimates of the three parts of the KL, per sample.

    Parameters
    ----------
    z : Tensor of shape (B, latent_dim)
        One draw z_i ~ q(z|x_i) per row of the batch.
    posterior : DiagonalGaussian with mean and logvar of shape (B, latent_dim)
    dataset_size : int
        N, the number of rows the batch is drawn from.
    sampling : {"mws", "mss"}, default="mws"
        Minibatch-weighted or minibatch stratified sampling (see the module).

    Returns
    -------
    mutual_information, total_correlation, dimension_kl : Tensor of shape (B,) each
        log q(z_i|x_i) - log q(z_i), log q(z_i) - sum_j log q(z_ij), and
        sum_j log q(z_ij) - log p(z_i), in nats.
    """
    pairwise = _pairwise_log_density(z, posterior)  # (B, B, latent)
    log_w = _log_weights(z.shape[0], dataset_size, sampling, z)  # (B, B)
    log_q_z = torch.logsumexp(pairwise.sum(dim=-1) + log_w, dim=1)  # (B,)
    log_q_zj = torch.logsumexp(pairwise + log_w.unsqueeze(-1), dim=1).sum(dim=-1)  # (B,): sum_j log q(z_ij)
    log_q_z_given_x = posterior.log_prob(z)  # (B,)
    return log_q_z_given_x - log_q_z, log_q_z - log_q_zj, log_q_zj - standard_normal_log_prob(z)


def total_correlation(z: Tensor, posterior: DiagonalGaussian, dataset_size: int, sampling: str = "mws") -> Tensor:
    """Estimate of KL(q(z) || prod_j q(z_j)), mean over the batch (scalar, nats); see :func:`kl_decomposition`."""
    return kl_decomposition(z, posterior, dataset_size, sampling)[1].mean()


class BetaTCVAEModel(VAEModel):
    """A :class:`VAEModel` trained on the beta-TCVAE objective.

    Parameters
    ----------
    *network, **network_options
        The arguments of :class:`~vaekit.models.ae.AutoEncoderModel` (sample shape,
        latent size, likelihood, architecture, widths, activation, conditions).
    alpha, beta, gamma : float, default=1, 6, 1
        Weights of the mutual information, the total correlation and the
        dimension-wise KL.
    sampling : {"mws", "mss"}, default="mws"
        How log q(z) is estimated on a minibatch (see the module).
    dataset_size : int, default=1
        N, the rows the minibatches are drawn from (the estimator's ``n_train_``).
    """

    def __init__(
        self,
        *network: Any,
        alpha: float = 1.0,
        beta: float = 6.0,
        gamma: float = 1.0,
        sampling: str = "mws",
        dataset_size: int = 1,
        **network_options: Any,
    ) -> None:
        super().__init__(*network, **network_options)
        if sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
        self.alpha, self.beta, self.gamma = float(alpha), float(beta), float(gamma)
        self.sampling, self.dataset_size = sampling, max(1, int(dataset_size))

    def stackable(self) -> bool:
        """No: the total-correlation estimate compares every row of the batch with every other."""
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
        """recon + alpha MI + beta TC + gamma dimKL on a batch x of shape (B, *sample_shape).

        The loop's ``beta`` (the KL warm-up factor, 1 when there is none) scales the
        three KL parts together.
        """
        posterior = self.encode(x, condition)
        z = posterior.rsample(generator=generator)  # (B, latent)
        reconstruction = self.decode(z, condition).nll(x)  # (B,): -log p(x|z)
        mi, tc, dim_kl = kl_decomposition(z, posterior, self.dataset_size, self.sampling)  # (B,) each
        penalty = self.alpha * mi + self.beta * tc + self.gamma * dim_kl  # (B,)
        per_row = reconstruction + beta * penalty  # (B,)
        return LossOutput(per_row.mean(), reconstruction, posterior.kl(), per_row)
