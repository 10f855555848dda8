"""Deterministic autoencoders: :class:`AutoEncoder` and :class:`DenoisingAutoEncoder`.

The plain autoencoder (Hinton & Salakhutdinov, "Reducing the dimensionality of data
with neural networks", Science 2006) learns a code z = f(x) on the reconstruction
loss; the denoising one (Vincent et al., ICML 2008) rebuilds x from a corrupted copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import StrOptions

from vaekit.estimators._base import BaseAutoEncoder
from vaekit.estimators._params import NETWORK_CONSTRAINTS, NON_NEGATIVE, TABLE_CONSTRAINTS, TRAINING_CONSTRAINTS
from vaekit.io import model as io
from vaekit.models.ae import AutoEncoderModel
from vaekit.models.dae import CORRUPTIONS, DenoisingAutoEncoderModel


class AutoEncoder(BaseAutoEncoder):
    """Deterministic autoencoder trained on the reconstruction loss.

    With ``likelihood="gaussian"`` the loss is 0.5 * ||x - x_hat||^2 (plus a constant)
    per sample; ``"bernoulli"`` is the cross-entropy for data in [0, 1].

    Parameters
    ----------
    {network_parameters}
    {training_parameters}

    Attributes
    ----------
    {shared_attributes}
    latent_mean_, latent_cov_ : ndarray of shape (latent_dim,) and (latent_dim, latent_dim)
        Gaussian fitted to the training codes; :meth:`sample` draws from it.

    Examples
    --------
    >>> from vaekit import AutoEncoder, datasets
    >>> X, _ = datasets.load("digits")
    >>> ae = AutoEncoder(latent_dim=8, epochs=2, random_state=0, verbose=0).fit(X)
    >>> ae.transform(X).shape
    (1797, 8)
    """

    kind = "ae"
    module = AutoEncoderModel
    fitted_state: ClassVar[dict[str, io.Codec]] = {
        "latent_mean_": io.Array(shape=lambda e: (e.latent_dim_,)),
        "latent_cov_": io.Array(shape=lambda e: (e.latent_dim_, e.latent_dim_)),
    }
    variational = False
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **NETWORK_CONSTRAINTS,
        **TABLE_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
    }

    def __init__(
        self,
        latent_dim: int | str = "auto",
        *,
        hidden: tuple[int, ...] | None = None,
        activation: str = "relu",
        architecture: str = "auto",
        likelihood: str = "gaussian",
        preprocessing: str = "auto",
        column_types: dict[str, str] | None = None,
        max_categories: int = 200,
        contamination: float | str = "auto",
        epochs: int | str = "auto",
        batch_size: int = 128,
        lr: float = 1e-3,
        lr_schedule: str = "constant",
        validation_fraction: float = 0.1,
        patience: int | str | None = "auto",
        n_init: int = 1,
        grad_clip: float | None = None,
        device: str = "auto",
        precision: str = "float32",
        threads: int | str | None = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 1,
    ) -> None:
        self._set_params_from(locals())

    def _after_fit(self, rows: Iterator[tuple[np.ndarray, np.ndarray | None]]) -> None:
        """The Gaussian of the training codes: ``latent_mean_``, ``latent_cov_`` (merged chunk by chunk)."""
        n, mean, scatter = 0, np.zeros(self.latent_dim_), np.zeros((self.latent_dim_, self.latent_dim_))
        for X_model, C in rows:
            codes = self._codes(X_model, C).astype(np.float64)  # (m, latent)
            m, chunk_mean = len(codes), codes.mean(axis=0)
            centred = codes - chunk_mean
            delta = chunk_mean - mean  # Chan et al.'s pairwise merge of means and scatter matrices
            scatter += centred.T @ centred + np.outer(delta, delta) * (n * m / (n + m))
            mean += delta * (m / (n + m))
            n += m
        self.latent_mean_ = mean
        self.latent_cov_ = scatter / (n - 1) if n > 1 else np.eye(self.latent_dim_)

    def _draw_prior(self, n_samples: int, rng: np.random.RandomState) -> np.ndarray:
        draws = rng.multivariate_normal(self.latent_mean_, self.latent_cov_, size=n_samples)
        return draws.astype(np.float32)


class DenoisingAutoEncoder(AutoEncoder):
    """Autoencoder trained to rebuild x from a corrupted copy of it.

    Corruption is applied to the encoder's input at training time only; the loss
    compares the reconstruction with the clean x, and transform, reconstruct and the
    validation loss use clean inputs (:mod:`vaekit.models.dae`).

    Parameters
    ----------
    {network_parameters}
    corruption : {"gaussian", "mask"}, default="gaussian"
        "gaussian" adds N(0, noise_level^2) noise to each input value (in model
        units: standardized features for tables, [0, 1] for pixels); "mask" sets each
        value to 0 with probability ``noise_level``.
    noise_level : float, default=0.2
        The noise's standard deviation, or the drop probability (below 1) for "mask".
    {training_parameters}

    Attributes
    ----------
    {shared_attributes}
    latent_mean_, latent_cov_ : ndarray
        Gaussian fitted to the training codes, as :class:`AutoEncoder`.

    Examples
    --------
    >>> from vaekit import DenoisingAutoEncoder, datasets
    >>> X, _ = datasets.load("digits")
    >>> dae = DenoisingAutoEncoder(latent_dim=8, corruption="mask", noise_level=0.3,
    ...                            epochs=2, random_state=0, verbose=0).fit(X)
    >>> dae.transform(X).shape
    (1797, 8)
    """

    kind = "dae"
    module = DenoisingAutoEncoderModel
    module_params = ("corruption", "noise_level")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **AutoEncoder._parameter_constraints,
        "corruption": [StrOptions(set(CORRUPTIONS))],
        "noise_level": [NON_NEGATIVE],
    }

    def __init__(
        self,
        latent_dim: int | str = "auto",
        *,
        hidden: tuple[int, ...] | None = None,
        activation: str = "relu",
        architecture: str = "auto",
        likelihood: str = "gaussian",
        preprocessing: str = "auto",
        column_types: dict[str, str] | None = None,
        max_categories: int = 200,
        contamination: float | str = "auto",
        corruption: str = "gaussian",
        noise_level: float = 0.2,
        epochs: int | str = "auto",
        batch_size: int = 128,
        lr: float = 1e-3,
        lr_schedule: str = "constant",
        validation_fraction: float = 0.1,
        patience: int | str | None = "auto",
        n_init: int = 1,
        grad_clip: float | None = None,
        device: str = "auto",
        precision: str = "float32",
        threads: int | str | None = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 1,
    ) -> None:
        self._set_params_from(locals())

    def _check_params(self) -> None:
        super()._check_params()
        if self.corruption == "mask" and self.noise_level >= 1:
            raise ValueError(
                f"noise_level must be in [0, 1) for corruption='mask' (a drop probability), got {self.noise_level!r}"
            )
