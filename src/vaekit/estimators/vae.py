"""The variational autoencoder (Kingma & Welling, "Auto-Encoding Variational Bayes",
ICLR 2014), with the beta-VAE's KL weight (Higgins et al., 2017) and the capacity
objective of Burgess et al. (2018) as parameters; see :mod:`vaekit.models.vae`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import StrOptions
from torch import Tensor

from vaekit.estimators._base import BaseAutoEncoder
from vaekit.estimators._latent_prior import LatentMixturePrior
from vaekit.estimators._params import NETWORK_CONSTRAINTS, NON_NEGATIVE, TABLE_CONSTRAINTS, TRAINING_CONSTRAINTS
from vaekit.models.vae import VAEModel

VAE_DOC = """\
    beta : float or "auto", default="auto"
        Weight of KL(q(z|x) || N(0, I)); 1 gives the ELBO. "auto" is 0.5 for a table
        with categories or gaps (``likelihood_`` "mixed": a wider posterior imputed
        better, ``benchmarks/impute_study.py``) and 1 for other data;
        ``training_settings_["beta"]`` says which.
    kl_warmup_epochs : float or "auto", default="auto"
        Raise the KL weight linearly from 0 to beta over this many epochs; 0 turns
        the warm-up off. "auto": for a unit-variance Gaussian or a mixed table, over at least
        10 epochs and :data:`~vaekit.estimators._params.AUTO_WARMUP_STEPS` optimizer steps, and at
        most a tenth of the epochs; none for a learned variance or pixels, where it was measured
        to cost (see :data:`~vaekit.estimators._params.WARMUP_LIKELIHOODS`).
    capacity : float or None, default=None
        Train on Burgess et al.'s (2018) capacity objective instead:
        reconstruction + gamma * |KL - C|, with C (nats) rising linearly from 0 to
        ``capacity`` over ``capacity_epochs`` (beta is then unused). Early stopping
        waits until C has reached its final value.
    capacity_epochs : float, default=0
        Epochs over which C rises.
    gamma : float, default=1000
        Weight of |KL - C| in the capacity objective."""


class VAE(LatentMixturePrior, BaseAutoEncoder):
    """Variational autoencoder with a beta-weighted KL term.

    The encoder gives q(z|x) = N(mean, diag(exp(logvar))); the loss is
    -log p(x|z) + beta * KL(q(z|x) || N(0, I)) per sample, in nats.

    Parameters
    ----------
    {network_parameters}
    {vae_parameters}
    {training_parameters}

    Attributes
    ----------
    {shared_attributes}

    Examples
    --------
    >>> from vaekit import VAE, datasets
    >>> X, _ = datasets.load("digits")
    >>> vae = VAE(latent_dim=2, epochs=2, random_state=0, verbose=0).fit(X)
    >>> vae.transform(X).shape, vae.likelihood_
    ((1797, 2), 'bernoulli')
    """

    kind = "vae"
    doc_fragments: ClassVar[dict[str, str]] = {"vae_parameters": VAE_DOC}
    module = VAEModel
    module_params: ClassVar[tuple[str, ...]] = ("capacity", "capacity_epochs", "gamma")
    model_: VAEModel  # set by fit
    variational = True
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **NETWORK_CONSTRAINTS,
        **TABLE_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
        "beta": [NON_NEGATIVE, StrOptions({"auto"})],
        "kl_warmup_epochs": [NON_NEGATIVE, StrOptions({"auto"})],
        "capacity": [NON_NEGATIVE, None],
        "capacity_epochs": [NON_NEGATIVE],
        "gamma": [NON_NEGATIVE],
    }

    def __init__(
        self,
        latent_dim: int | str = "auto",
        *,
        hidden: tuple[int, ...] | None = None,
        activation: str = "relu",
        architecture: str = "auto",
        likelihood: str = "auto",
        preprocessing: str = "auto",
        column_types: dict[str, str] | None = None,
        max_categories: int = 200,
        contamination: float | str = "auto",
        beta: float | str = "auto",
        kl_warmup_epochs: float | str = "auto",
        capacity: float | None = None,
        capacity_epochs: float = 0.0,
        gamma: float = 1000.0,
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

    def encode(self, X: Any, y: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Mean and log-variance of q(z|x) (or q(z|x, y)) for each sample.

        Returns
        -------
        mean, logvar : ndarray of float32, shape (n_samples, latent_dim) each
        """
        X_model = self._check_X(X)

        def moments(x: Tensor, c: Tensor | None) -> tuple[Tensor, Tensor]:
            posterior = self.model_.encode(x, c)
            return posterior.mean, posterior.logvar

        return self._map_batches(moments, X_model, self._conditions(y, len(X_model), "encode"))
