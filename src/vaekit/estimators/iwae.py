"""The importance-weighted autoencoder (Burda, Grosse & Salakhutdinov, ICLR 2016):
the VAE's networks trained on the k-sample bound; see :mod:`vaekit.models.iwae`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from vaekit.estimators._params import NETWORK_CONSTRAINTS, POSITIVE_INT, TABLE_CONSTRAINTS, TRAINING_CONSTRAINTS
from vaekit.estimators.vae import VAE
from vaekit.models.iwae import IWAEModel


class IWAE(VAE):
    """Importance-weighted autoencoder: a VAE trained on the k-sample bound L_k.

    The bound has no KL weight, so there is no ``beta``, warm-up or capacity.
    ``score_samples`` gives the ELBO like a VAE's; for the tighter estimate of log p(x)
    use :func:`vaekit.evaluation.metrics.log_likelihood`.

    Parameters
    ----------
    {network_parameters}
    n_importance : int, default=5
        k, the posterior draws per sample in the bound (k = 1 is the VAE).
    {training_parameters}

    Attributes
    ----------
    {shared_attributes}

    Examples
    --------
    >>> from vaekit import IWAE, datasets
    >>> X, _ = datasets.load("digits")
    >>> iwae = IWAE(latent_dim=2, n_importance=5, epochs=2, random_state=0, verbose=0).fit(X)
    >>> iwae.transform(X).shape
    (1797, 2)
    """

    kind = "iwae"
    module = IWAEModel
    module_params = ("n_importance",)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **NETWORK_CONSTRAINTS,
        **TABLE_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
        "n_importance": [POSITIVE_INT],
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
        n_importance: int = 5,
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
