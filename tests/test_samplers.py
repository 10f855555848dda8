"""Samplers separate from models: the prior, and a Gaussian mixture on the latent means."""

from __future__ import annotations

import numpy as np
import pytest

from vaekit import VAE, AutoEncoder
from vaekit.samplers import GaussianMixtureSampler, PriorSampler


@pytest.fixture(scope="module")
def clustered() -> np.ndarray:
    """400 rows, 5 features, three tight clusters of unequal size (50%, 30%, 20%)."""
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=4.0, size=(3, 5))
    labels = rng.choice(3, size=400, p=[0.5, 0.3, 0.2])
    return (centers[labels] + 0.2 * rng.normal(size=(400, 5))).astype(np.float32)


@pytest.fixture(scope="module")
def ae(clustered: np.ndarray) -> AutoEncoder:
    return AutoEncoder(latent_dim=2, hidden=(16,), epochs=60, random_state=0, verbose=0).fit(clustered)


def test_prior_sampler_draws_standard_normal_codes(clustered: np.ndarray) -> None:
    vae = VAE(latent_dim=3, hidden=(8,), epochs=1, random_state=0, verbose=0).fit(clustered)
    Z = PriorSampler(vae).sample_latent(20000, random_state=0)
    assert Z.shape == (20000, 3) and Z.dtype == np.float32
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=0.03)
    np.testing.assert_allclose(Z.std(axis=0), 1, atol=0.03)
    codes = PriorSampler(vae).sample_latent(4, random_state=1)
    np.testing.assert_array_equal(PriorSampler(vae).sample(4, random_state=1), vae.inverse_transform(codes))
    assert not hasattr(vae, "prior_weights_") and vae.prior_codes_.shape == (vae.n_train_, 3)
    vae.sample(2, random_state=0)  # vae.sample draws from a mixture of its codes instead, fitted on the first draw
    assert vae.prior_weights_.sum() == pytest.approx(1.0)


def test_mixture_reproduces_the_code_distribution(ae: AutoEncoder, clustered: np.ndarray) -> None:
    codes = ae.transform(clustered)
    sampler = GaussianMixtureSampler(ae, n_components=3).fit(clustered)
    drawn = sampler.sample_latent(6000, random_state=0)

    # each drawn code falls in the cluster of the nearest component; shares follow the data's
    def shares(Z: np.ndarray) -> np.ndarray:
        nearest = np.argmin(((Z[:, None, :] - sampler.mixture_.means_[None]) ** 2).sum(-1), axis=1)
        return np.bincount(nearest, minlength=3) / len(Z)

    np.testing.assert_allclose(shares(drawn), shares(codes), atol=0.03)
    assert sorted(np.round(shares(codes), 1)) == [0.2, 0.3, 0.5]  # three clusters, kept apart
    # and they are as likely under the mixture as the real codes, unlike prior draws
    real = sampler.score_latent(codes).mean()
    assert abs(sampler.score_latent(drawn).mean() - real) < 0.5
    assert sampler.score_latent(PriorSampler(ae).sample_latent(6000, random_state=0)).mean() < real - 2


def test_mixture_samples_decode_to_data_shape_and_are_seeded(ae: AutoEncoder, clustered: np.ndarray) -> None:
    sampler = GaussianMixtureSampler(ae, n_components=3).fit(clustered)
    first = sampler.sample(5, random_state=3)
    assert first.shape == (5, 5)
    np.testing.assert_array_equal(first, sampler.sample(5, random_state=3))


def test_mixture_errors(ae: AutoEncoder, clustered: np.ndarray) -> None:
    with pytest.raises(ValueError, match="needs at least"):
        GaussianMixtureSampler(ae, n_components=50).fit(clustered[:10])
    with pytest.raises(ValueError, match="positive integer"):
        GaussianMixtureSampler(ae, n_components=2).fit(clustered).sample_latent(0)
