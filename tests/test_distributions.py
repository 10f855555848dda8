"""Posteriors and likelihoods: closed forms against Monte Carlo and against torch."""

import math

import pytest
import torch
import torch.nn.functional as F

from vaekit.distributions import (
    Bernoulli,
    ContinuousBernoulli,
    DiagonalGaussian,
    Gaussian,
    PointMass,
    standard_normal_log_prob,
)


@pytest.fixture
def posterior() -> DiagonalGaussian:
    g = torch.Generator().manual_seed(0)
    return DiagonalGaussian(torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g) * 0.5)


def test_kl_closed_form_matches_monte_carlo(posterior: DiagonalGaussian) -> None:
    z = posterior.rsample(200_000, generator=torch.Generator().manual_seed(1))  # (K, B, latent)
    monte_carlo = (posterior.log_prob(z) - standard_normal_log_prob(z)).mean(dim=0)
    torch.testing.assert_close(posterior.kl(), monte_carlo, atol=0.02, rtol=0.01)


def test_kl_matches_torch_distributions(posterior: DiagonalGaussian) -> None:
    q = torch.distributions.Normal(posterior.mean, posterior.std)
    p = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    torch.testing.assert_close(posterior.kl(), torch.distributions.kl_divergence(q, p).sum(-1))


def test_kl_is_zero_only_at_the_prior() -> None:
    prior = DiagonalGaussian(torch.zeros(2, 5), torch.zeros(2, 5))
    assert torch.equal(prior.kl(), torch.zeros(2))
    assert (DiagonalGaussian(torch.full((1, 5), 0.1), torch.zeros(1, 5)).kl() > 0).all()


def test_reparameterized_sample_has_posterior_mean_and_variance(posterior: DiagonalGaussian) -> None:
    """A sample without eps (the tutorial's bug) would have zero variance and fail here."""
    z = posterior.rsample(100_000, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(z.mean(0), posterior.mean, atol=0.03, rtol=0.0)
    torch.testing.assert_close(z.var(0), posterior.logvar.exp(), atol=0.0, rtol=0.05)


def test_reparameterized_sample_passes_gradients() -> None:
    mean = torch.zeros(2, 3, requires_grad=True)
    logvar = torch.zeros(2, 3, requires_grad=True)
    z = DiagonalGaussian(mean, logvar).rsample(generator=torch.Generator().manual_seed(0))
    z.pow(2).sum().backward()
    assert mean.grad is not None and mean.grad.abs().sum() > 0
    assert logvar.grad is not None and logvar.grad.abs().sum() > 0


def test_explicit_eps_is_used(posterior: DiagonalGaussian) -> None:
    eps = torch.ones(1, 3)
    torch.testing.assert_close(posterior.rsample(eps=eps), posterior.mean + posterior.std)


def test_point_mass_is_deterministic_and_has_no_kl() -> None:
    code = torch.randn(5, 2)
    point = PointMass(code)
    assert torch.equal(point.rsample(), code)
    assert point.rsample(3).shape == (3, 5, 2)
    assert torch.equal(point.kl(), torch.zeros(5))


def test_unit_gaussian_is_half_square_loss_plus_constant() -> None:
    x, x_hat = torch.randn(6, 10), torch.randn(6, 10)
    log_prob = Gaussian(x_hat, torch.zeros(()), event_dims=1).log_prob(x)
    expected = -0.5 * ((x - x_hat) ** 2).sum(1) - 5 * math.log(2 * math.pi)
    torch.testing.assert_close(log_prob, expected)


def test_gaussian_learned_variance_matches_torch() -> None:
    x, loc, logvar = torch.randn(4, 2, 3), torch.randn(4, 2, 3), torch.randn(2, 3)
    expected = torch.distributions.Normal(loc, (0.5 * logvar).exp()).log_prob(x).sum((1, 2))
    torch.testing.assert_close(Gaussian(loc, logvar, event_dims=2).log_prob(x), expected)


def test_bernoulli_on_logits_matches_bce_and_survives_extreme_logits() -> None:
    x = torch.rand(3, 8)
    logits = torch.randn(3, 8) * 3
    expected = -F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").sum(1)
    torch.testing.assert_close(Bernoulli(logits).log_prob(x), expected, atol=1e-4, rtol=1e-5)
    extreme = Bernoulli(torch.full((1, 4), 200.0)).log_prob(torch.zeros(1, 4))
    torch.testing.assert_close(extreme, torch.tensor([-800.0]))
    torch.testing.assert_close(Bernoulli(logits).mean, torch.sigmoid(logits))


def test_log_prob_broadcasts_over_leading_sample_dim() -> None:
    x = torch.rand(5, 4, 4)
    logits = torch.randn(7, 5, 4, 4)
    out = Bernoulli(logits, event_dims=2).log_prob(x)
    assert out.shape == (7, 5)
    torch.testing.assert_close(out[3], Bernoulli(logits[3], event_dims=2).log_prob(x))


def test_unit_variance_without_a_logvar_is_the_same_numbers() -> None:
    g = torch.Generator().manual_seed(0)
    loc, x = torch.randn(3, 5, 4, 2, generator=g), torch.randn(5, 4, 2, generator=g)
    assert torch.equal(Gaussian(loc, None, 2).log_prob(x), Gaussian(loc, torch.zeros(()), 2).log_prob(x))


def test_kl_stays_exact_near_the_prior() -> None:
    # exp(logvar) - 1 - logvar for a tiny logvar: written as expm1, the KL keeps its digits in float32
    logvar = torch.full((1, 2), 1e-4)
    value = float(logvar[0, 0])  # 1e-4 in float32
    exact = 0.5 * 2 * (math.expm1(value) - value)  # about 5e-9; exp(logvar) - 1 in float32 is off by 6e-8
    kl = DiagonalGaussian(torch.zeros(1, 2), logvar).kl()
    torch.testing.assert_close(kl, torch.tensor([exact], dtype=kl.dtype), rtol=1e-3, atol=0)


@pytest.mark.parametrize("leading", [(), (3,)])
def test_nll_is_minus_log_prob_for_every_likelihood(leading: tuple[int, ...]) -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 2, 5, generator=g)  # (B, *sample_shape): 2-D samples
    params = torch.randn(*leading, 4, 2, 5, generator=g) * 3
    likelihoods = [
        Gaussian(params, None, 2),
        Gaussian(params, torch.randn(2, 5, generator=g), 2),
        Bernoulli(params, 2),
        ContinuousBernoulli(params, 2),
    ]
    for likelihood in likelihoods:
        nll = likelihood.nll(x)
        assert nll.shape == (*leading, 4)
        torch.testing.assert_close(nll, -likelihood.log_prob(x), rtol=1e-6, atol=1e-5)
