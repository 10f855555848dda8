"""The beta-TCVAE: its total-correlation estimate against the exact value, its loss,
and the kind at work from Python, the CLI's config and save/load."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from vaekit import BetaTCVAE, load
from vaekit.distributions import DiagonalGaussian, standard_normal_log_prob
from vaekit.models.btcvae import BetaTCVAEModel, kl_decomposition, total_correlation

COVARIANCE = torch.tensor([[2.0, 1.2, 0.0], [1.2, 1.5, 0.4], [0.0, 0.4, 1.0]])  # of the aggregate posterior
NOISE = 0.3  # each posterior's variance


def _exact_tc(cov: torch.Tensor) -> float:
    """KL(N(0, S) || prod_j N(0, S_jj)) = 0.5 (sum_j log S_jj - log det S)."""
    return 0.5 * float(torch.log(torch.diagonal(cov)).sum() - torch.logdet(cov))


def _gaussian_batch(n: int, seed: int = 0) -> tuple[torch.Tensor, DiagonalGaussian]:
    """n posteriors N(mu_n, NOISE I), mu_n ~ N(0, COVARIANCE - NOISE I), one draw z_n from each.

    Their mixture is, as n grows, the Gaussian N(0, COVARIANCE): an aggregate
    posterior whose total correlation is known exactly.
    """
    generator = torch.Generator().manual_seed(seed)
    means_cov = COVARIANCE - NOISE * torch.eye(3)
    mean = torch.randn(n, 3, generator=generator, dtype=torch.float64) @ torch.linalg.cholesky(means_cov).T.double()
    logvar = torch.full_like(mean, math.log(NOISE))
    posterior = DiagonalGaussian(mean, logvar)
    return posterior.rsample(generator=generator), posterior


def test_total_correlation_matches_the_gaussian_value() -> None:
    exact = _exact_tc(COVARIANCE)
    assert exact > 0.4  # far from 0: a TC estimate of 0 would fail
    z, posterior = _gaussian_batch(2000)
    n = len(z)
    # Stratified weights over the whole data set: the mixture itself, so its TC.
    mss = float(total_correlation(z, posterior, n, "mss"))
    assert abs(mss - exact) < 0.05, (mss, exact)
    # Minibatch-weighted sampling: the same up to (D - 1) log N, a constant.
    mws = float(total_correlation(z, posterior, n, "mws"))
    assert abs(mws - (3 - 1) * math.log(n) - exact) < 0.05, (mws, exact)


def test_a_factorized_aggregate_has_no_total_correlation() -> None:
    generator = torch.Generator().manual_seed(1)
    mean = torch.randn(1500, 3, generator=generator, dtype=torch.float64) * 0.7
    posterior = DiagonalGaussian(mean, torch.full_like(mean, math.log(0.51)))
    z = posterior.rsample(generator=generator)
    assert abs(float(total_correlation(z, posterior, 1500, "mss"))) < 0.03


def test_the_three_parts_sum_to_the_kl_of_the_aggregate() -> None:
    """MI + TC + dimKL = E[log q(z|x) - log p(z)], whatever the weights (the log q terms cancel)."""
    z, posterior = _gaussian_batch(256, seed=2)
    for sampling in ("mws", "mss"):
        mi, tc, dim_kl = kl_decomposition(z, posterior, 10_000, sampling)
        torch.testing.assert_close(mi + tc + dim_kl, posterior.log_prob(z) - standard_normal_log_prob(z))
    with pytest.raises(ValueError, match="sampling must be one of"):
        kl_decomposition(z, posterior, 10, "exact")


def test_beta_weights_the_total_correlation() -> None:
    torch.manual_seed(0)
    x = torch.randn(64, 6)

    def loss(beta: float) -> torch.Tensor:
        torch.manual_seed(0)
        model = BetaTCVAEModel((6,), 3, "gaussian", "mlp", (8,), "relu", beta=beta, dataset_size=1000)
        return model.loss(x, generator=torch.Generator().manual_seed(0))

    one, six = loss(1.0), loss(6.0)
    torch.manual_seed(0)
    z_model = BetaTCVAEModel((6,), 3, "gaussian", "mlp", (8,), "relu", dataset_size=1000)
    posterior = z_model.encode(x)
    z = posterior.rsample(generator=torch.Generator().manual_seed(0))
    tc = kl_decomposition(z, posterior, 1000)[1].mean()
    torch.testing.assert_close(six.loss - one.loss, 5.0 * tc)
    torch.testing.assert_close(six.reconstruction, one.reconstruction)


def test_btcvae_trains_saves_and_loads(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    factors = rng.normal(size=(400, 2))
    X = np.hstack([factors, factors @ rng.normal(size=(2, 4))]).astype(np.float32) + 0.05 * rng.normal(
        size=(400, 6)
    ).astype(np.float32)
    model = BetaTCVAE(latent_dim=2, hidden=(16,), beta=4.0, epochs=15, random_state=0, verbose=0).fit(X)
    assert model.kind == "btcvae" and model.variational and model.n_train_ == 360
    assert model.model_.dataset_size == 360 and model.model_.beta == 4.0
    assert model.history_["train_loss"][-1] < model.history_["train_loss"][0]
    same = load(model.save(tmp_path / "tc"))
    assert isinstance(same, BetaTCVAE) and same.model_.dataset_size == 360 and same.beta == 4.0
    np.testing.assert_array_equal(same.transform(X), model.transform(X))
