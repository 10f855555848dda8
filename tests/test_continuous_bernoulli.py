"""The continuous Bernoulli likelihood: a density on [0, 1] with the stated mean."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import integrate

from vaekit.data.validation import InputError
from vaekit.distributions import ContinuousBernoulli
from vaekit.estimators._resolve import resolve_likelihood, resolve_preprocessing
from vaekit.models import LIKELIHOODS, AutoEncoderModel

LAMBDAS = (1e-4, 0.01, 0.2, 0.45, 0.4999, 0.5, 0.5001, 0.55, 0.8, 0.99, 1 - 1e-4)


def _dist(lam: float) -> ContinuousBernoulli:
    logit = np.log(lam) - np.log1p(-lam)
    return ContinuousBernoulli(torch.tensor([[logit]], dtype=torch.float64))  # (1, 1)


def _density(dist: ContinuousBernoulli, x: float) -> float:
    return float(dist.log_prob(torch.tensor([[x]], dtype=torch.float64)).exp())


@pytest.mark.parametrize("lam", LAMBDAS)
def test_density_integrates_to_one(lam: float) -> None:
    dist = _dist(lam)
    total, _ = integrate.quad(lambda x: _density(dist, x), 0.0, 1.0, epsabs=1e-10, limit=200)
    assert total == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("lam", LAMBDAS)
def test_mean_matches_numerical_integral(lam: float) -> None:
    dist = _dist(lam)
    expected, _ = integrate.quad(lambda x: x * _density(dist, x), 0.0, 1.0, epsabs=1e-10, limit=200)
    assert float(dist.mean) == pytest.approx(expected, abs=1e-6)


def test_half_is_uniform() -> None:
    dist = ContinuousBernoulli(torch.zeros(4, 3))
    assert torch.allclose(dist.mean, torch.full((4, 3), 0.5))
    assert torch.allclose(dist.log_prob(torch.rand(4, 3)), torch.zeros(4))  # density 1 on [0, 1]^3


def test_taylor_branch_meets_closed_form_float32() -> None:
    """Both branches agree at the switch and have finite gradients at logit 0."""
    logits = torch.tensor([-0.1001, -0.0999, -1e-7, 0.0, 1e-7, 0.0999, 0.1001], requires_grad=True)
    dist = ContinuousBernoulli(logits, event_dims=0)
    log_c, mean = dist.log_normalizer(), dist.mean
    (log_c.sum() + mean.sum()).backward()
    assert torch.isfinite(logits.grad).all()
    reference = _reference_float64(logits.detach().double())
    assert torch.allclose(log_c.double(), reference[0], atol=1e-6)
    assert torch.allclose(mean.double(), reference[1], atol=1e-6)


def _reference_float64(eta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """log C and the mean from the lambda form, in float64, away from eta = 0 by a hair."""
    eta = torch.where(eta.abs() < 1e-6, torch.full_like(eta, 1e-6), eta)
    lam = torch.sigmoid(eta)
    log_c = torch.log(2 * torch.atanh(1 - 2 * lam) / (1 - 2 * lam))
    mean = lam / (2 * lam - 1) + 1 / (2 * torch.atanh(1 - 2 * lam))
    return log_c, mean


def test_large_logits_are_finite() -> None:
    dist = ContinuousBernoulli(torch.tensor([[-60.0, 60.0]]))
    assert torch.isfinite(dist.log_prob(torch.tensor([[0.0, 1.0]]))).all()
    assert torch.allclose(dist.mean, torch.tensor([[1 / 60, 1 - 1 / 60]]), atol=1e-5)


def test_sums_over_event_dims() -> None:
    logits = torch.randn(5, 2, 4, 3)  # (K, B, H, W)
    x = torch.rand(2, 4, 3)
    out = ContinuousBernoulli(logits, event_dims=2).log_prob(x)
    assert out.shape == (5, 2)
    per_pixel = ContinuousBernoulli(logits, event_dims=0).log_prob(x)
    assert torch.allclose(out, per_pixel.sum(dim=(-2, -1)))


def test_model_head() -> None:
    assert "continuous-bernoulli" in LIKELIHOODS
    model = AutoEncoderModel((6,), 2, likelihood="continuous-bernoulli")
    assert isinstance(model.decode(torch.zeros(3, 2)), ContinuousBernoulli)
    assert model.loss(torch.rand(3, 6)).loss.isfinite()


def test_auto_picks_by_share_of_exact_zeros_and_ones() -> None:
    rng = np.random.default_rng(0)
    grey = rng.uniform(0.05, 0.95, size=(20, 6, 5)).astype(np.float32)  # no exact 0 or 1
    assert resolve_likelihood("auto", grey) == "continuous-bernoulli"
    binaryish = (rng.random((20, 6, 5)) > 0.7).astype(np.float32)
    assert resolve_likelihood("auto", binaryish) == "bernoulli"
    assert resolve_likelihood("auto", rng.normal(size=(20, 4))) == "gaussian-learned"  # a table of numbers
    assert resolve_preprocessing("auto", "continuous-bernoulli", grey.reshape(20, -1)) == "none"
    with pytest.raises(InputError, match="continuous-bernoulli"):
        resolve_likelihood("continuous-bernoulli", grey + 1.0)
