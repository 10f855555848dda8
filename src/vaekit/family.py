"""The model family beyond the plain autoencoder and the VAE, each a small change of one.

* :class:`DenoisingAutoEncoder` -- an :class:`~vaekit.AutoEncoder` whose encoder sees a
  corrupted input while training (Vincent et al., "Extracting and composing robust
  features with denoising autoencoders", ICML 2008).
* :class:`IWAE` -- the VAE's networks trained on the k-sample importance-weighted
  bound (Burda et al., ICLR 2016; :mod:`vaekit.models.iwae`).
* :class:`ConditionalVAE` -- encoder and decoder both see a class label (Sohn et al.,
  "Learning structured output representation using deep conditional generative
  models", NeurIPS 2015), so ``sample(n, y=...)`` draws a chosen class.
* :class:`VQVAE` -- an :class:`~vaekit.AutoEncoder` whose code is quantized to a
  learned codebook (van den Oord et al., "Neural Discrete Representation Learning",
  NeurIPS 2017; :mod:`vaekit.models.vqvae`).

The beta-VAE, with beta != 1 or Burgess et al.'s capacity objective, is
:class:`~vaekit.VAE` with ``beta`` or ``capacity`` set: a parameter, not a class.
Each class here repeats the parameter list of its parent because scikit-learn reads
an estimator's parameters from its ``__init__`` signature.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from vaekit.data.validation import InputError, check_array
from vaekit.estimators import (
    ESTIMATORS,
    PREDICT_BATCH,
    VAE,
    AutoEncoder,
    _BaseAutoEncoder,
)
from vaekit.models import AutoEncoderModel, VQVAEModel
from vaekit.training import TrainingConfig

CORRUPTIONS = ("gaussian", "mask")


def _store(estimator: Any, params: dict[str, Any]) -> None:
    """Set each ``__init__`` argument as an attribute of the same name (scikit-learn style)."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


class DenoisingAutoEncoder(AutoEncoder):
    """Autoencoder trained to rebuild x from a corrupted copy of it.

    Takes the parameters of :class:`~vaekit.AutoEncoder`, and:

    corruption : {"gaussian", "mask"}, default="gaussian"
        "gaussian" adds N(0, noise_level^2) noise to each input value (in model
        units: standardized features for tables, [0, 1] for pixels); "mask" sets
        each value to 0 with probability ``noise_level``.
    noise_level : float, default=0.2

    Corruption is applied to the encoder's input at training time only; the loss
    compares the reconstruction with the clean x, and transform, reconstruct and
    the validation loss use clean inputs.

    Examples
    --------
    >>> from vaekit import datasets
    >>> from vaekit.family import DenoisingAutoEncoder
    >>> X, _ = datasets.load("digits")
    >>> dae = DenoisingAutoEncoder(latent_dim=8, corruption="mask", noise_level=0.3,
    ...                            epochs=2, random_state=0, verbose=0).fit(X)
    >>> dae.transform(X).shape
    (1797, 8)
    """

    def __init__(
        self,
        latent_dim: int = 2,
        *,
        hidden: tuple[int, ...] | None = None,
        activation: str = "relu",
        architecture: str = "auto",
        likelihood: str = "gaussian",
        preprocessing: str = "auto",
        corruption: str = "gaussian",
        noise_level: float = 0.2,
        epochs: int = 100,
        batch_size: int = 128,
        lr: float = 1e-3,
        lr_schedule: str = "constant",
        validation_fraction: float = 0.1,
        patience: int | None = 10,
        n_init: int = 1,
        grad_clip: float | None = None,
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 1,
    ) -> None:
        _store(self, locals())

    def _check_params(self) -> None:
        super()._check_params()
        if self.corruption not in CORRUPTIONS:
            raise ValueError(f"corruption must be one of {CORRUPTIONS}, got {self.corruption!r}")
        limit = 1.0 if self.corruption == "mask" else np.inf
        if not (isinstance(self.noise_level, (int, float)) and 0 <= self.noise_level < limit):
            bound = "[0, 1)" if self.corruption == "mask" else ">= 0"
            raise ValueError(f"noise_level must be a number in {bound} for corruption={self.corruption!r}, got {self.noise_level!r}")

    def _training_config(self) -> TrainingConfig:
        config = super()._training_config()
        config.corruption = self.corruption
        config.noise_level = float(self.noise_level)
        return config


class IWAE(VAE):
    """Importance-weighted autoencoder: a VAE trained on the k-sample bound L_k.

    Takes the parameters of :class:`~vaekit.VAE` except ``beta``, the warm-up and
    the capacity options (the bound has no KL weight), and:

    n_importance : int, default=5
        k, the posterior draws per sample in the bound (k = 1 is the VAE).

    ``score_samples`` gives the ELBO like a VAE's; for the tighter estimate of
    log p(x) use :func:`vaekit.evaluation.log_likelihood`.

    Examples
    --------
    >>> from vaekit import datasets
    >>> from vaekit.family import IWAE
    >>> X, _ = datasets.load("digits")
    >>> iwae = IWAE(latent_dim=2, n_importance=5, epochs=2, random_state=0, verbose=0).fit(X)
    >>> iwae.transform(X).shape
    (1797, 2)
    """

    _model_family = "iwae"
    # Fixed, not parameters: the importance-weighted bound has no KL weight.
    beta = 1.0
    kl_warmup_epochs = 0.0
    capacity = None
    capacity_epochs = 0.0
    gamma = 1000.0

    def __init__(
        self,
        latent_dim: int = 2,
        *,
        hidden: tuple[int, ...] | None = None,
        activation: str = "relu",
        architecture: str = "auto",
        likelihood: str = "auto",
        preprocessing: str = "auto",
        n_importance: int = 5,
        epochs: int = 100,
        batch_size: int = 128,
        lr: float = 1e-3,
        lr_schedule: str = "constant",
        validation_fraction: float = 0.1,
        patience: int | None = 10,
        n_init: int = 1,
        grad_clip: float | None = None,
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 1,
    ) -> None:
        _store(self, locals())

    def _check_params(self) -> None:
        super()._check_params()
        k = self.n_importance
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"n_importance must be a positive integer, got {k!r}")

    def _build_model(self) -> AutoEncoderModel:
        model = super()._build_model()
        model.n_importance = int(self.n_importance)  # type: ignore[assignment]
        return model


class ConditionalVAE(VAE):
    """VAE whose encoder q(z|x, y) and decoder p(x|z, y) both see a class label y.

    Takes the parameters of :class:`~vaekit.VAE`. ``fit(X, y)`` needs the labels
    (any hashable values; ``classes_`` lists them); the methods that encode
    (``transform``, ``reconstruct``, ``score_samples``, ``loss_terms``) need the
    labels of their X too, and ``inverse_transform(Z, y)`` and ``sample(n, y=...)``
    decode for the given classes. ``sample(n)`` without ``y`` draws classes in
    proportion to the training labels.

    Not checked by scikit-learn's estimator checks: its transform needs ``y``.

    Examples
    --------
    >>> from vaekit import datasets
    >>> from vaekit.family import ConditionalVAE
    >>> X, y = datasets.load("digits")
    >>> cvae = ConditionalVAE(latent_dim=2, epochs=2, random_state=0, verbose=0).fit(X, y)
    >>> cvae.sample(4, y=7, random_state=0).shape
    (4, 8, 8)
    """

    _model_family = "vae"

    # ------------------------------------------------------------- conditions
    def _n_conditions(self) -> int:
        return len(self.classes_)

    def _fit_conditions(self, y: Any, n_samples: int) -> np.ndarray:
        if y is None:
            raise InputError("ConditionalVAE.fit needs the labels y (one per sample of X)")
        labels = np.asarray(y)
        if labels.ndim != 1 or len(labels) != n_samples:
            raise InputError(f"y must have one label per sample: shape ({n_samples},), got {labels.shape}")
        classes, counts = np.unique(labels, return_counts=True)
        if len(classes) > 20 and len(classes) > n_samples // 2:
            raise InputError(
                f"y has {len(classes)} distinct values for {n_samples} samples: a conditional VAE needs class "
                "labels (a few values, each shared by many samples), not a continuous target"
            )
        self.classes_ = classes
        self.class_prior_ = counts / counts.sum()
        return self._one_hot(labels)

    def _one_hot(self, y: Any, n_samples: int | None = None) -> np.ndarray:
        """Labels -> one-hot (n, n_classes) float32; a single label is repeated n_samples times."""
        labels = np.asarray(y)
        if labels.ndim == 0 and n_samples is not None:
            labels = np.full(n_samples, labels.item(), dtype=labels.dtype)
        if labels.ndim != 1 or (n_samples is not None and len(labels) != n_samples):
            raise InputError(f"y must hold one label per row ({n_samples} rows), got shape {labels.shape}")
        index = np.searchsorted(self.classes_, labels)
        index = np.clip(index, 0, len(self.classes_) - 1)
        unknown = self.classes_[index] != labels
        if unknown.any():
            raise InputError(
                f"y holds the label {labels[unknown][0]!r}, unseen in fit; known classes: {list(self.classes_)}"
            )
        one_hot = np.zeros((len(labels), len(self.classes_)), np.float32)
        one_hot[np.arange(len(labels)), index] = 1.0
        return one_hot

    def _labels_for(self, X_model: np.ndarray, y: Any) -> np.ndarray:
        if y is None:
            raise InputError("ConditionalVAE needs the labels y of these samples (its encoder sees them)")
        return self._one_hot(y, len(X_model))

    # ------------------------------------------------------------ public API
    def transform(self, X: Any, y: Any = None) -> np.ndarray:  # type: ignore[override]
        """Posterior means given X and its labels y; shape (n_samples, latent_dim)."""
        X_model = self._check_X(X)
        return self._codes(X_model, self._labels_for(X_model, y))

    def encode(self, X: Any, y: Any = None) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[override]
        raise NotImplementedError("ConditionalVAE.encode is not available; use transform(X, y)")

    def reconstruct(self, X: Any, y: Any = None) -> np.ndarray:  # type: ignore[override]
        """Decode each sample's posterior mean with its own label; same shape as X."""
        X_model = self._check_X(X)
        C = self._labels_for(X_model, y)
        return self._decode_means(self._codes(X_model, C), C)

    def inverse_transform(self, X: Any, y: Any = None) -> np.ndarray:  # type: ignore[override]
        """Decoded means of latent vectors X (n, latent_dim) for labels y (one, or one per row)."""
        check_is_fitted(self, "model_")
        Z = check_array(X, "latent array")
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim:
            raise InputError(f"latent array has shape {Z.shape}; expected (n_samples, {self.latent_dim})")
        if y is None:
            raise InputError("ConditionalVAE.inverse_transform needs the label(s) y to decode for")
        return self._decode_means(Z, self._one_hot(y, len(Z)))

    def sample(  # type: ignore[override]
        self, n_samples: int = 1, random_state: int | np.random.RandomState | None = None, y: Any = None
    ) -> np.ndarray:
        """Decoded draws z ~ N(0, I) for class y (one label, or one per sample).

        Without y, classes are drawn in proportion to the training labels.

        Returns
        -------
        ndarray of float32, shape (n_samples, *input_shape_)
        """
        check_is_fitted(self, "model_")
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        rng = check_random_state(random_state)
        Z = self._draw_prior(int(n_samples), rng)
        if y is None:
            y = self.classes_[rng.choice(len(self.classes_), size=int(n_samples), p=self.class_prior_)]
        return self._decode_means(Z, self._one_hot(y, int(n_samples)))

    def loss_terms(  # type: ignore[override]
        self, X: Any, n_samples: int = 1, random_state: int = 0, y: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Reconstruction and KL per sample given the labels y; see VAE.loss_terms."""
        C = self._labels_for(self._check_X(X), y)
        return super().loss_terms(X, n_samples, random_state, _C=C)

    def score_samples(self, X: Any, y: Any = None, n_samples: int = 1, random_state: int = 0) -> np.ndarray:  # type: ignore[override]
        """Per-sample ELBO of log p(x | y), in nats."""
        reconstruction, kl = self.loss_terms(X, n_samples, random_state, y=y)
        return -(reconstruction + kl)

    def score(self, X: Any, y: Any = None) -> float:
        """Mean ELBO of log p(x | y) over X."""
        return float(np.mean(self.score_samples(X, y)))


class VQVAE(AutoEncoder):
    """Vector-quantized autoencoder (VQ-VAE): each slot of the code is a codebook entry.

    The encoder's ``latent_dim`` outputs are cut into ``latent_dim // code_dim`` slots;
    each slot is replaced by its nearest of ``codebook_size`` learned vectors, so a
    sample is coded by ``n_slots`` integers (``codes``) and ``transform`` gives the
    quantized latent vectors (codebook vectors laid end to end). Trained on the
    reconstruction loss plus the codebook and commitment terms of van den Oord et al.
    (2017); see :mod:`vaekit.models.vqvae`.

    Takes the parameters of :class:`~vaekit.AutoEncoder`, with ``likelihood="auto"``
    by default (Bernoulli for pixel-like data in [0, 1], Gaussian otherwise), and:

    codebook_size : int, default=128
        K, the number of codebook vectors.
    code_dim : int, default=2
        Dimension of one codebook vector; ``latent_dim`` must be a multiple of it.
    commitment_cost : float, default=0.25
        Weight of the commitment term ||z_e - sg(e)||^2.
    ema : bool, default=False
        Update the codebook by exponential moving averages of the encoder outputs
        assigned to each code (decay 0.99) instead of by the codebook loss.

    ``score_samples`` is -(reconstruction + n_slots * log K) per sample: the paper's
    bound log p(x|z_q) - KL, where the KL of the one-hot posterior from the uniform
    prior over K codes per slot is the constant n_slots * log K nats. The training
    history records that constant as ``train_kl``/``val_kl``, so ``train_loss`` is
    reconstruction + n_slots * log K, while ``val_loss`` is the minimized objective
    (reconstruction + codebook + commitment terms, without the constant). ``inverse_transform`` decodes any latent vector as given (it does not
    quantize it; :meth:`quantize` does); ``decode_codes`` decodes code indices.

    Attributes
    ----------
    code_frequencies_ : ndarray of float64, shape (codebook_size,)
        Share of all slots of the training samples assigned to each code (sums to 1);
        :meth:`sample` draws each slot uniformly from the codes with a non-zero share.

    Other attributes as :class:`~vaekit.AutoEncoder`; ``latent_mean_`` and
    ``latent_cov_`` describe the quantized training codes (figures centre on them),
    but :meth:`sample` does not use them.

    Examples
    --------
    >>> from vaekit import datasets
    >>> from vaekit.family import VQVAE
    >>> X, _ = datasets.load("digits")
    >>> vq = VQVAE(latent_dim=8, code_dim=2, codebook_size=32, epochs=2, random_state=0, verbose=0).fit(X)
    >>> vq.codes(X).shape, vq.transform(X).shape, vq.likelihood_
    ((1797, 4), (1797, 8), 'bernoulli')
    >>> usage = vq.codebook_usage(X)
    >>> 1.0 <= usage["perplexity"] <= usage["used_codes"] <= 32
    True
    """

    _model_family = "vqvae"

    def __init__(
        self,
        latent_dim: int = 2,
        *,
        hidden: tuple[int, ...] | None = None,
        activation: str = "relu",
        architecture: str = "auto",
        likelihood: str = "auto",
        preprocessing: str = "auto",
        codebook_size: int = 128,
        code_dim: int = 2,
        commitment_cost: float = 0.25,
        ema: bool = False,
        epochs: int = 100,
        batch_size: int = 128,
        lr: float = 1e-3,
        lr_schedule: str = "constant",
        validation_fraction: float = 0.1,
        patience: int | None = 10,
        n_init: int = 1,
        grad_clip: float | None = None,
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 1,
    ) -> None:
        _store(self, locals())

    def _check_params(self) -> None:
        super()._check_params()
        for name in ("codebook_size", "code_dim"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.latent_dim % self.code_dim:
            raise ValueError(
                f"latent_dim={self.latent_dim} is not a multiple of code_dim={self.code_dim}: the latent "
                "vector is cut into slots of code_dim numbers, each quantized to one codebook vector"
            )
        cost = self.commitment_cost
        if isinstance(cost, bool) or not (isinstance(cost, (int, float)) and cost >= 0):
            raise ValueError(f"commitment_cost must be a number >= 0, got {cost!r}")
        if self.ema not in (True, False):
            raise ValueError(f"ema must be True or False, got {self.ema!r}")

    def _build_model(self) -> AutoEncoderModel:
        model = super()._build_model()
        assert isinstance(model, VQVAEModel)
        return model.configure(int(self.codebook_size), int(self.code_dim), float(self.commitment_cost), bool(self.ema))

    @property
    def n_slots(self) -> int:
        """Number of code indices per sample, ``latent_dim // code_dim``."""
        return self.latent_dim // self.code_dim

    def _after_fit(self, train_data: torch.Tensor) -> None:
        super()._after_fit(train_data)  # latent_mean_, latent_cov_ of the quantized codes (for figures)
        counts = np.bincount(self._indices(train_data.cpu().numpy()).ravel(), minlength=self.codebook_size)
        self.code_frequencies_ = counts / counts.sum()  # (K,)

    # -------------------------------------------------------------- codes
    @torch.no_grad()
    def _indices(self, X_model: np.ndarray) -> np.ndarray:
        """Code indices (n, n_slots) of X in model units."""
        self.model_.eval()
        out = [self.model_.encode_indices(self._rows(X_model, i)).cpu() for i in range(0, len(X_model), PREDICT_BATCH)]
        return torch.cat(out).numpy()

    def codes(self, X: Any) -> np.ndarray:
        """Index of the codebook vector chosen for each slot of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, *input_shape_)

        Returns
        -------
        ndarray of int64, shape (n_samples, n_slots)
            Values in [0, codebook_size).
        """
        return self._indices(self._check_X(X))

    def decode_codes(self, codes: Any) -> np.ndarray:
        """Decoded means of code indices, in the units of the training data.

        Parameters
        ----------
        codes : array-like of int, shape (n_samples, n_slots)

        Returns
        -------
        ndarray of float32, shape (n_samples, *input_shape_)
        """
        check_is_fitted(self, "model_")
        indices = np.asarray(codes)
        if indices.ndim != 2 or indices.shape[1] != self.n_slots or indices.dtype.kind not in "iu":
            raise InputError(
                f"codes must be integers of shape (n_samples, {self.n_slots}); got {indices.dtype} {indices.shape}"
            )
        if indices.size and (indices.min() < 0 or indices.max() >= self.codebook_size):
            raise InputError(f"codes must lie in [0, {self.codebook_size}); got {indices.min()}..{indices.max()}")
        return self._decode_means(self._lookup(indices))

    def quantize(self, Z: Any) -> np.ndarray:
        """Each slot of each latent vector replaced by its nearest codebook vector.

        The decoder was trained on codebook vectors only; the figures that walk the
        latent space (manifold, interpolation, traversals) decode quantized points.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)

        Returns
        -------
        ndarray of float32, shape (n_samples, latent_dim)
        """
        check_is_fitted(self, "model_")
        Z = check_array(Z, "Z")
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim:
            raise InputError(f"Z must have shape (n_samples, {self.latent_dim}); got {Z.shape}")
        with torch.no_grad():
            indices = self.model_.nearest(torch.as_tensor(Z, dtype=torch.float32, device=self.device_))
        return self._lookup(indices.cpu().numpy())

    def _lookup(self, indices: np.ndarray) -> np.ndarray:
        """Code indices (n, n_slots) -> quantized latent vectors (n, latent_dim), float32."""
        with torch.no_grad():
            Z = self.model_.lookup(torch.as_tensor(indices, dtype=torch.long, device=self.device_))  # (n, latent)
        return Z.cpu().numpy()

    def codebook_usage(self, X: Any) -> dict[str, float | int]:
        """How evenly X uses the codebook, over all slots of all samples.

        Returns
        -------
        dict with ``perplexity`` (exp of the entropy of the average code usage: from 1,
        one code for everything, to K, all codes equally), ``used_codes`` (entries
        chosen at least once) and ``codebook_size`` (K).
        """
        counts = np.bincount(self.codes(X).ravel(), minlength=self.codebook_size)  # (K,)
        share = counts[counts > 0] / counts.sum()
        return {
            "perplexity": float(np.exp(-(share * np.log(share)).sum())),
            "used_codes": int((counts > 0).sum()),
            "codebook_size": int(self.codebook_size),
        }

    # ----------------------------------------------------------- generating
    def _draw_prior(self, n_samples: int, rng: np.random.RandomState) -> np.ndarray:
        """Each slot's code drawn uniformly from the codes used on the training data."""
        used = np.flatnonzero(self.code_frequencies_)  # (n_used,)
        return self._lookup(used[rng.randint(len(used), size=(n_samples, self.n_slots))])  # (n, latent)

    # -------------------------------------------------------------- scoring
    def loss_terms(
        self, X: Any, n_samples: int = 1, random_state: int = 0, *, _C: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Reconstruction -log p(x|z_q) and the constant KL n_slots * log K, per sample, in nats.

        The code is deterministic, so ``n_samples`` and ``random_state`` change
        nothing; the reconstruction includes the preprocessing's log-Jacobian, as in
        :meth:`~vaekit.AutoEncoder.loss_terms`.

        Returns
        -------
        reconstruction, kl : ndarray of float64, shape (n,) each
        """
        reconstruction, _ = super().loss_terms(X, n_samples, random_state, _C=_C)
        return reconstruction, np.full(len(reconstruction), self.n_slots * math.log(self.codebook_size))

    def score_samples(self, X: Any) -> np.ndarray:
        """log p(x|z_q) - n_slots * log K per sample, in nats (the paper's bound on log p(x)).

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        reconstruction, kl = self.loss_terms(X)
        return -(reconstruction + kl)


FAMILY: dict[str, type[_BaseAutoEncoder]] = {
    "DenoisingAutoEncoder": DenoisingAutoEncoder,
    "IWAE": IWAE,
    "ConditionalVAE": ConditionalVAE,
    "VQVAE": VQVAE,
}
ESTIMATORS.update(FAMILY)
