"""Samplers of latent codes, kept apart from the models that decode them.

A sampler draws codes z; the trained model decodes them. :class:`PriorSampler`
draws from N(0, I), the prior a VAE was trained towards. :class:`GaussianMixtureSampler`
fits a Gaussian mixture to the latent means of the training data (the "aggregate
posterior"), so it can generate from any trained model -- a plain autoencoder has no
prior to draw from, and a VAE's codes often fill the prior unevenly, so samples from a
fitted mixture usually look more like the data (Ghosh et al., "From variational to
deterministic autoencoders", ICLR 2020).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from vaekit.data.validation import check_positive_int


def _check_mixture(sampler: Any) -> None:
    if not hasattr(sampler, "mixture_"):
        raise NotFittedError("GaussianMixtureSampler is not fitted yet; call fit(X) with data the model can encode")


class PriorSampler:
    """Codes from the standard normal prior N(0, I) of a VAE.

    Parameters
    ----------
    estimator : a fitted vaekit estimator
    """

    def __init__(self, estimator: Any) -> None:
        check_is_fitted(estimator, "model_")
        self.estimator = estimator

    def sample_latent(self, n_samples: int, random_state: int | np.random.RandomState | None = None) -> np.ndarray:
        """Draw codes; ndarray of float32, shape (n_samples, latent_dim)."""
        rng = check_random_state(random_state)
        return rng.standard_normal((check_positive_int("n_samples", n_samples), self.estimator.latent_dim_)).astype(
            np.float32
        )

    def sample(self, n_samples: int, random_state: int | np.random.RandomState | None = None) -> np.ndarray:
        """Decoded means of drawn codes; shape (n_samples, *input_shape_)."""
        return self.estimator.inverse_transform(self.sample_latent(n_samples, random_state))


class GaussianMixtureSampler(PriorSampler):
    """Codes from a Gaussian mixture fitted to the latent means of some data.

    Parameters
    ----------
    estimator : a fitted vaekit estimator (AutoEncoder, VAE, ...)
    n_components : int, default=10
    covariance_type : {"full", "diag", "tied", "spherical"}, default="full"
    random_state : int or None, default=0

    Examples
    --------
    >>> from vaekit import AutoEncoder, datasets
    >>> from vaekit.samplers import GaussianMixtureSampler
    >>> X, _ = datasets.load("digits")
    >>> ae = AutoEncoder(latent_dim=4, epochs=2, random_state=0, verbose=0).fit(X)
    >>> GaussianMixtureSampler(ae, n_components=5).fit(X).sample(3, random_state=0).shape
    (3, 8, 8)
    """

    def __init__(
        self, estimator: Any, n_components: int = 10, covariance_type: str = "full", random_state: int | None = 0
    ) -> None:
        super().__init__(estimator)
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.random_state = random_state

    def fit(self, X: Any) -> GaussianMixtureSampler:
        """Fit the mixture on ``estimator.transform(X)``; X as the estimator takes it."""
        codes = np.asarray(self.estimator.transform(X), dtype=np.float64)  # (n, latent)
        if len(codes) < self.n_components:
            raise ValueError(
                f"a {self.n_components}-component mixture needs at least that many samples; got {len(codes)}"
            )
        self.mixture_ = GaussianMixture(
            self.n_components, covariance_type=self.covariance_type, random_state=self.random_state
        ).fit(codes)
        return self

    def sample_latent(self, n_samples: int, random_state: int | np.random.RandomState | None = None) -> np.ndarray:
        """Draw codes from the fitted mixture; shape (n_samples, latent_dim), float32."""
        _check_mixture(self)
        n = check_positive_int("n_samples", n_samples)
        rng = check_random_state(random_state)
        mixture = self.mixture_
        counts = rng.multinomial(n, mixture.weights_)
        parts = []
        for k, count in enumerate(counts):
            if count:
                cov = mixture.covariances_
                if self.covariance_type == "full":
                    cov_k = cov[k]
                elif self.covariance_type == "tied":
                    cov_k = cov
                elif self.covariance_type == "diag":
                    cov_k = np.diag(cov[k])
                else:
                    cov_k = np.eye(mixture.means_.shape[1]) * cov[k]
                parts.append(rng.multivariate_normal(mixture.means_[k], cov_k, size=count))
        codes = np.concatenate(parts)[rng.permutation(n)]
        return codes.astype(np.float32)

    def score_latent(self, Z: np.ndarray) -> np.ndarray:
        """Log-density of codes under the mixture; shape (n,)."""
        _check_mixture(self)
        return self.mixture_.score_samples(np.asarray(Z, dtype=np.float64))
