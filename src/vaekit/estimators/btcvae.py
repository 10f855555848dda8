"""The beta-TCVAE (Chen, Li, Grosse & Duvenaud, "Isolating Sources of Disentanglement
in Variational Autoencoders", NeurIPS 2018): a VAE whose KL term is split into mutual
information, total correlation and dimension-wise KL, weighted apart; see
:mod:`vaekit.models.btcvae`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.utils._param_validation import StrOptions

from vaekit.estimators._params import NETWORK_CONSTRAINTS, NON_NEGATIVE, TABLE_CONSTRAINTS, TRAINING_CONSTRAINTS
from vaekit.estimators.vae import VAE
from vaekit.models.btcvae import SAMPLINGS, BetaTCVAEModel
from vaekit.training.optim import TrainingConfig


class BetaTCVAE(VAE):
    """beta-TCVAE: a VAE that penalizes the total correlation of its code.

    Loss per sample: -log p(x|z) + alpha * MI + beta * TC + gamma * dimKL, the three
    parts of the KL estimated on each minibatch by minibatch-weighted sampling. A
    larger ``beta`` pushes the latent dimensions towards statistical independence
    (disentanglement) at a smaller cost in reconstruction than the beta-VAE's, which
    weighs all three parts.

    Parameters
    ----------
    {network_parameters}
    alpha : float, default=1.0
        Weight of the index-code mutual information I(x; z).
    beta : float, default=6.0
        Weight of the total correlation KL(q(z) || prod_j q(z_j)).
    gamma : float, default=1.0
        Weight of the dimension-wise KL, sum_j KL(q(z_j) || N(0, 1)).
    sampling : {"mws", "mss"}, default="mws"
        How log q(z) is estimated on a minibatch: the paper's minibatch-weighted
        sampling, or its minibatch stratified sampling (a consistent value; the same
        objective up to how the batch's own posteriors are weighted).
    kl_warmup_epochs : float or "auto", default="auto"
        Raise all three weights linearly from 0 over this many epochs, as the VAE's
        KL weight (0: no warm-up).
    {training_parameters}

    Attributes
    ----------
    {shared_attributes}

    Examples
    --------
    >>> from vaekit import BetaTCVAE, datasets
    >>> X, _ = datasets.load("digits")
    >>> tc = BetaTCVAE(latent_dim=4, beta=6.0, epochs=2, random_state=0, verbose=0).fit(X)
    >>> tc.transform(X).shape
    (1797, 4)
    """

    kind = "btcvae"
    module = BetaTCVAEModel
    module_params = ("alpha", "beta", "gamma", "sampling")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **NETWORK_CONSTRAINTS,
        **TABLE_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
        "alpha": [NON_NEGATIVE],
        "beta": [NON_NEGATIVE],
        "gamma": [NON_NEGATIVE],
        "sampling": [StrOptions(set(SAMPLINGS))],
        "kl_warmup_epochs": [NON_NEGATIVE, StrOptions({"auto"})],
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
        alpha: float = 1.0,
        beta: float = 6.0,
        gamma: float = 1.0,
        sampling: str = "mws",
        kl_warmup_epochs: float | str = "auto",
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

    def _module_kwargs(self) -> dict[str, Any]:
        return {**super()._module_kwargs(), "dataset_size": self.n_train_}

    def _training_config(self) -> TrainingConfig:
        config = super()._training_config()
        config.beta = 1.0  # beta weighs the TC inside the model's loss; the loop's factor is the warm-up's
        return config
