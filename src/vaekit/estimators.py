"""scikit-learn estimators over the models: :class:`AutoEncoder` and :class:`VAE`.

They follow the scikit-learn contract: ``__init__`` only stores its keyword
arguments, ``fit(X, y=None)`` validates and returns ``self``, fitted state ends in
``_``, ``transform`` gives the posterior mean and ``inverse_transform`` decodes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from vaekit.data.preprocessing import Scaling
from vaekit.data.validation import InputError, check_array, check_sample_shape
from vaekit.models import LIKELIHOODS, MODELS, AutoEncoderModel
from vaekit.nn import ACTIVATIONS, default_hidden
from vaekit.training import (
    LR_SCHEDULES,
    TensorBatches,
    TrainingConfig,
    TrainingResult,
    resolve_device,
    train,
)

PREDICT_BATCH = 4096


def looks_like_pixels(X: np.ndarray) -> bool:
    """True for data in [0, 1] that is an image stack or has many exact 0s and 1s."""
    if X.min() < 0.0 or X.max() > 1.0:
        return False
    return X.ndim >= 3 or float(np.isin(X, (0.0, 1.0)).mean()) >= 0.1


class _BaseAutoEncoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Everything the autoencoder estimators share; subclasses choose the model."""

    _model_family = "ae"

    def __init__(
        self,
        latent_dim: int = 2,
        *,
        hidden: tuple[int, ...] | None = None,
        activation: str = "relu",
        architecture: str = "auto",
        likelihood: str = "gaussian",
        preprocessing: str = "auto",
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
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.activation = activation
        self.architecture = architecture
        self.likelihood = likelihood
        self.preprocessing = preprocessing
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.n_init = n_init
        self.grad_clip = grad_clip
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        def positive_int(name: str) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")

        for name in ("latent_dim", "epochs", "batch_size", "n_init"):
            positive_int(name)
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1), got {self.validation_fraction!r}")
        if self.patience is not None and self.patience < 0:
            raise ValueError(f"patience must be >= 0 or None, got {self.patience!r}")
        if self.architecture not in ("auto", "mlp", "conv"):
            raise ValueError(f"architecture must be 'auto', 'mlp' or 'conv', got {self.architecture!r}")
        if self.likelihood not in ("auto", *LIKELIHOODS):
            raise ValueError(f"likelihood must be 'auto' or one of {LIKELIHOODS}, got {self.likelihood!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")
        if self.hidden is not None and any(int(h) < 1 for h in self.hidden):
            raise ValueError(f"hidden must be a sequence of positive widths, got {self.hidden!r}")

    def _check_X(self, X: Any, name: str = "X") -> np.ndarray:
        """Validate X at predict time against the shape seen in fit; returns model units."""
        check_is_fitted(self, "model_")
        _check_feature_names(self, X, reset=False)
        array = check_array(X, name)
        expected = self.input_shape_
        if array.ndim == 2 and len(expected) > 1 and array.shape[1] == math.prod(expected):
            array = array.reshape(len(array), *expected)  # flattened images are accepted
        check_sample_shape(array, expected, type(self).__name__, name)
        return self.scaling_.transform(array)

    # ------------------------------------------------------------ resolution
    def _resolve_architecture(self, X: np.ndarray) -> str:
        if self.architecture == "auto":
            return "conv" if X.ndim >= 3 else "mlp"
        if self.architecture == "conv" and X.ndim == 2:
            raise InputError(
                "architecture='conv' needs images (n, H, W) or (n, C, H, W); X is a table "
                f"of shape {X.shape}. Reshape it, or use architecture='mlp'."
            )
        return self.architecture

    def _resolve_likelihood(self, X: np.ndarray) -> str:
        if self.likelihood == "auto":
            return "bernoulli" if looks_like_pixels(X) else "gaussian"
        if self.likelihood == "bernoulli" and (X.min() < 0.0 or X.max() > 1.0):
            raise InputError(
                f"likelihood='bernoulli' needs data in [0, 1]; X ranges from {X.min():g} to "
                f"{X.max():g}. Scale it to [0, 1] or use likelihood='gaussian'."
            )
        return self.likelihood

    def _resolve_hidden(self, sample_shape: tuple[int, ...], architecture: str) -> tuple[int, ...]:
        if self.hidden is not None:
            return tuple(int(h) for h in self.hidden)
        return (256,) if architecture == "conv" else default_hidden(math.prod(sample_shape))

    def _training_config(self) -> TrainingConfig:
        return TrainingConfig(
            epochs=self.epochs,
            lr=self.lr,
            lr_schedule=self.lr_schedule,
            grad_clip=self.grad_clip,
            patience=self.patience,
            verbose=self.verbose,
        )

    def _build_model(self) -> AutoEncoderModel:
        """A fresh model from the fitted shape attributes (used by fit and load)."""
        model_class = MODELS[self._model_family]
        return model_class(
            self.input_shape_,
            self.latent_dim,
            self.likelihood_,
            self.architecture_,
            self.hidden_,
            self.activation,
            n_conditions=self._n_conditions(),
        )

    def _n_conditions(self) -> int:
        """Width of the condition vector the model takes (0: unconditional)."""
        return 0

    def _fit_conditions(self, y: Any, n_samples: int) -> np.ndarray | None:
        """The condition of each training sample, (n, k) float32, or None (hook)."""
        return None

    # ------------------------------------------------------------------- fit
    def fit(self, X: Any, y: Any = None) -> _BaseAutoEncoder:
        """Train on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or (n_samples, C, H, W)
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        _check_feature_names(self, X, reset=True)  # feature_names_in_ from a DataFrame's columns
        X = check_array(X)
        conditions = self._fit_conditions(y, len(X))  # (n, k) or None
        rng = check_random_state(self.random_state)
        seeds = [int(s) for s in rng.randint(np.iinfo(np.int32).max - 2, size=self.n_init)]
        self.input_shape_ = tuple(int(s) for s in X.shape[1:])
        self.n_features_in_ = math.prod(self.input_shape_)
        self.architecture_ = self._resolve_architecture(X)
        self.likelihood_ = self._resolve_likelihood(X)
        self.hidden_ = self._resolve_hidden(self.input_shape_, self.architecture_)
        kind = self.preprocessing
        if kind == "auto":
            kind = "standardize" if self.likelihood_ != "bernoulli" and X.ndim == 2 else "none"
        self.scaling_ = Scaling.fit(X, kind)
        self.device_ = resolve_device(self.device)

        order = rng.permutation(len(X))
        n_val = int(round(self.validation_fraction * len(X))) if len(X) >= 10 else 0
        val_idx, train_idx = order[:n_val], order[n_val:]
        data = torch.from_numpy(self.scaling_.transform(X)).to(self.device_)
        condition = None if conditions is None else torch.from_numpy(conditions).to(self.device_)
        train_rows = torch.as_tensor(np.sort(train_idx), device=self.device_)
        train_data = data[train_rows] if n_val else data
        train_condition = condition[train_rows] if n_val and condition is not None else condition
        val_batches = None
        if n_val:
            val_rows = torch.as_tensor(np.sort(val_idx), device=self.device_)
            val_condition = None if condition is None else condition[val_rows]
            val_batches = TensorBatches(data[val_rows], PREDICT_BATCH, shuffle=False, condition=val_condition)
        runs = [self._train_once(seed, train_data, val_batches, train_condition) for seed in seeds]
        self.init_losses_ = [result.best_loss for _, result in runs]
        self.model_, result = runs[int(np.argmin(self.init_losses_))]
        self.model_.eval()
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.n_epochs_ = len(result.history["epoch"])
        self._after_fit(train_data)
        return self

    def _train_once(
        self,
        seed: int,
        train_data: torch.Tensor,
        val_batches: TensorBatches | None,
        train_condition: torch.Tensor | None = None,
    ) -> tuple[AutoEncoderModel, TrainingResult]:
        """One training run from the initialization drawn with ``seed``."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = self._build_model().to(self.device_)
        generator = torch.Generator(self.device_).manual_seed(seed + 1)
        train_batches = TensorBatches(train_data, self.batch_size, True, generator, condition=train_condition)
        result = train(model, train_batches, val_batches, self._training_config(), generator, val_seed=seed + 2)
        return model, result

    def _after_fit(self, train_data: torch.Tensor) -> None:
        """Hook for state derived from the trained model (the AE's latent Gaussian)."""

    # ------------------------------------------------------- batched inference
    def _rows(self, array: np.ndarray | None, start: int) -> torch.Tensor | None:
        """Rows start..start+PREDICT_BATCH of an array, as a tensor on the model's device."""
        return None if array is None else torch.from_numpy(array[start : start + PREDICT_BATCH]).to(self.device_)

    @torch.no_grad()
    def _codes(self, X_model: np.ndarray, C: np.ndarray | None = None) -> np.ndarray:
        """Posterior modes of X in model units (C: conditions, (n, k))."""
        self.model_.eval()
        out = [
            self.model_.encode(self._rows(X_model, i), self._rows(C, i)).mode().cpu()
            for i in range(0, len(X_model), PREDICT_BATCH)
        ]
        return torch.cat(out).numpy()

    @torch.no_grad()
    def _decode_means(self, Z: np.ndarray, C: np.ndarray | None = None) -> np.ndarray:
        """Decoded means of codes Z (n, latent), in the user's units."""
        self.model_.eval()
        out = [
            self.model_.decode(self._rows(Z, i), self._rows(C, i)).mean.cpu()
            for i in range(0, len(Z), PREDICT_BATCH)
        ]
        return self.scaling_.inverse_transform(torch.cat(out).numpy())

    # --------------------------------------------------------------- public
    def transform(self, X: Any) -> np.ndarray:
        """Posterior means (the codes for a plain autoencoder).

        Parameters
        ----------
        X : array-like of shape (n_samples, *input_shape_)

        Returns
        -------
        ndarray of float32, shape (n_samples, latent_dim)
        """
        return self._codes(self._check_X(X))

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Decoded means of latent vectors, in the units of the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)

        Returns
        -------
        ndarray of float32, shape (n_samples, *input_shape_)
        """
        check_is_fitted(self, "model_")
        Z = check_array(X, "latent array")
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim:
            raise InputError(
                f"latent array has shape {Z.shape}, but {type(self).__name__} decodes "
                f"(n_samples, {self.latent_dim}) latent vectors"
            )
        return self._decode_means(Z)

    def reconstruct(self, X: Any) -> np.ndarray:
        """Decode the posterior mean of each sample: same shape as X (images stay images)."""
        return self._decode_means(self._codes(self._check_X(X)))

    def sample(self, n_samples: int = 1, random_state: int | np.random.RandomState | None = None) -> np.ndarray:
        """Decoded means of codes drawn from the model's prior.

        Returns
        -------
        ndarray of float32, shape (n_samples, *input_shape_)
        """
        check_is_fitted(self, "model_")
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        rng = check_random_state(random_state)
        return self._decode_means(self._draw_prior(int(n_samples), rng))

    def _draw_prior(self, n_samples: int, rng: np.random.RandomState) -> np.ndarray:
        raise NotImplementedError

    def loss_terms(
        self, X: Any, n_samples: int = 1, random_state: int = 0, *, _C: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Reconstruction -log p(x|z) and KL(q(z|x) || p(z)) per sample, in nats.

        The reconstruction term is averaged over ``n_samples`` draws z ~ q(z|x) from a
        generator seeded with ``random_state`` (a plain autoencoder has one code and
        no KL), and is in the units of X: the log-Jacobian of the preprocessing is
        included, so -(reconstruction + kl) is the ELBO of X itself.

        Parameters
        ----------
        X : array-like of shape (n, *input_shape_)
        n_samples : int, default=1
        random_state : int, default=0

        Returns
        -------
        reconstruction, kl : ndarray of float64, shape (n,) each
        """
        X_model = self._check_X(X)
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        generator = torch.Generator(self.device_).manual_seed(random_state)
        reconstructions, kls = [], []
        with torch.no_grad():
            for i in range(0, len(X_model), PREDICT_BATCH):
                x, c = self._rows(X_model, i), self._rows(_C, i)
                assert x is not None
                posterior = self.model_.encode(x, c)
                z = posterior.rsample(n_samples, generator=generator)  # (K, B, latent)
                reconstructions.append(-self.model_.decode(z, c).log_prob(x).mean(dim=0).cpu())  # (B,)
                kls.append(posterior.kl().cpu())  # (B,)
        jacobian = self.scaling_.log_abs_det_jacobian()
        return torch.cat(reconstructions).double().numpy() - jacobian, torch.cat(kls).double().numpy()

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples` over X (nats per sample; higher is better)."""
        return float(np.mean(self.score_samples(X)))

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into the directory ``path``.

        See :func:`vaekit.io.save`.
        """
        from vaekit.io import save

        return save(self, path, overwrite=overwrite)

    @property
    def _n_features_out(self) -> int:
        return self.latent_dim

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.non_deterministic = False
        return tags


class AutoEncoder(_BaseAutoEncoder):
    """Deterministic autoencoder trained on the reconstruction loss.

    With ``likelihood="gaussian"`` the loss is 0.5 * ||x - x_hat||^2 (plus a constant)
    per sample; ``"bernoulli"`` is the cross-entropy for data in [0, 1].

    Parameters
    ----------
    latent_dim : int, default=2
    hidden : sequence of int or None
        Encoder widths (the decoder mirrors them). None picks two layers from the
        input size for tables, one dense layer of 256 after the convolutions for images.
    activation : str, default="relu"
    architecture : {"auto", "mlp", "conv"}
        "auto" uses convolutions for image stacks, an MLP for tables.
    likelihood : {"gaussian", "gaussian-learned", "bernoulli", "auto"}, default="gaussian"
    preprocessing : {"auto", "standardize", "none"}
        "auto" standardizes tables modelled with a Gaussian likelihood.
    epochs, batch_size, lr : training length, batch size and Adam learning rate.
    lr_schedule : {"constant", "cosine", "plateau"}, default="constant"
        "cosine" lowers the rate after every batch on a half cosine from ``lr`` to 0
        at the last epoch; "plateau" divides it by 10 when the validation loss (the
        training loss without validation) has not improved for
        ``max(1, min(5, patience // 2))`` epochs (5 with ``patience=None``). A
        decaying rate gets closer to the optimum than a constant one when training
        is long. ``history_["lr"]`` holds the rate at the end of each epoch.
    validation_fraction : float, default=0.1
        Share of samples held out for early stopping (none below 10 samples).
    patience : int or None, default=10
        Epochs without validation improvement before stopping; None never stops early.
    n_init : int, default=1
        Training runs from different random initializations; the one with the lowest
        (validation) loss is kept. Small networks that can get stuck (a few narrow
        ReLU layers) gain from 5-10.
    grad_clip : float or None
        Clip the gradient norm to this value.
    device : str, default="auto"
        "auto" picks CUDA, then Apple MPS, then CPU.
    random_state : int, RandomState or None
    verbose : int, default=1
        0 hides the progress bar.

    Attributes
    ----------
    model_ : AutoEncoderModel
    input_shape_ : tuple of int
    n_features_in_ : int
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        Column names when fit on a DataFrame with string column names; then
        DataFrames given later must have the same columns in the same order.
    likelihood_, architecture_ : str
    hidden_ : tuple of int
    scaling_ : Scaling
    history_ : dict of str to list of float
        Per epoch: train/val loss, reconstruction and KL (nats per sample), beta, learning rate, seconds.
    best_epoch_, n_epochs_ : int
    init_losses_ : list of float
        Best monitored loss of each of the ``n_init`` runs.
    latent_mean_, latent_cov_ : ndarray
        Gaussian fitted to the training codes; :meth:`sample` draws from it.

    Examples
    --------
    >>> from vaekit import AutoEncoder, datasets
    >>> X, _ = datasets.load("digits")
    >>> ae = AutoEncoder(latent_dim=8, epochs=2, random_state=0, verbose=0).fit(X)
    >>> ae.transform(X).shape
    (1797, 8)
    """

    _model_family = "ae"

    def _after_fit(self, train_data: torch.Tensor) -> None:
        codes = self._codes(train_data.cpu().numpy()).astype(np.float64)
        self.latent_mean_ = codes.mean(axis=0)
        cov = np.cov(codes, rowvar=False).reshape(self.latent_dim, self.latent_dim) if len(codes) > 1 else None
        self.latent_cov_ = cov if cov is not None else np.eye(self.latent_dim)

    def _draw_prior(self, n_samples: int, rng: np.random.RandomState) -> np.ndarray:
        draws = rng.multivariate_normal(self.latent_mean_, self.latent_cov_, size=n_samples)
        return draws.astype(np.float32)

    def score_samples(self, X: Any) -> np.ndarray:
        """log p(x | z = code(x)) per sample, in nats (the negative reconstruction loss).

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        reconstruction, _ = self.loss_terms(X)
        return -reconstruction


class VAE(_BaseAutoEncoder):
    """Variational autoencoder (Kingma & Welling, 2014) with a beta-weighted KL term.

    Takes the parameters of :class:`AutoEncoder`, with ``likelihood="auto"`` by
    default (Bernoulli for pixel-like data in [0, 1], Gaussian otherwise; the choice is
    in ``likelihood_``), and:

    beta : float, default=1.0
        Weight of KL(q(z|x) || N(0, I)); 1 gives the ELBO.
    kl_warmup_epochs : float, default=0
        Raise the KL weight linearly from 0 to beta over this many epochs.
    capacity : float or None, default=None
        Train on Burgess et al.'s (2018) capacity objective instead:
        reconstruction + gamma * |KL - C|, with C (nats) rising linearly from 0 to
        ``capacity`` over ``capacity_epochs`` (beta is then unused). Early stopping
        waits until C has reached its final value.
    capacity_epochs : float, default=0
    gamma : float, default=1000

    Examples
    --------
    >>> from vaekit import VAE, datasets
    >>> X, _ = datasets.load("digits")
    >>> vae = VAE(latent_dim=2, epochs=2, random_state=0, verbose=0).fit(X)
    >>> vae.transform(X).shape, vae.likelihood_
    ((1797, 2), 'bernoulli')
    """

    _model_family = "vae"

    def __init__(
        self,
        latent_dim: int = 2,
        *,
        hidden: tuple[int, ...] | None = None,
        activation: str = "relu",
        architecture: str = "auto",
        likelihood: str = "auto",
        preprocessing: str = "auto",
        beta: float = 1.0,
        kl_warmup_epochs: float = 0.0,
        capacity: float | None = None,
        capacity_epochs: float = 0.0,
        gamma: float = 1000.0,
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
        super().__init__(
            latent_dim,
            hidden=hidden,
            activation=activation,
            architecture=architecture,
            likelihood=likelihood,
            preprocessing=preprocessing,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            lr_schedule=lr_schedule,
            validation_fraction=validation_fraction,
            patience=patience,
            n_init=n_init,
            grad_clip=grad_clip,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
        self.beta = beta
        self.kl_warmup_epochs = kl_warmup_epochs
        self.capacity = capacity
        self.capacity_epochs = capacity_epochs
        self.gamma = gamma

    def _check_params(self) -> None:
        super()._check_params()
        if not (isinstance(self.beta, (int, float)) and self.beta >= 0):
            raise ValueError(f"beta must be a number >= 0, got {self.beta!r}")
        if not (isinstance(self.kl_warmup_epochs, (int, float)) and self.kl_warmup_epochs >= 0):
            raise ValueError(f"kl_warmup_epochs must be >= 0, got {self.kl_warmup_epochs!r}")
        if self.capacity is not None and not (isinstance(self.capacity, (int, float)) and self.capacity >= 0):
            raise ValueError(f"capacity must be a number of nats >= 0 or None, got {self.capacity!r}")
        for name in ("capacity_epochs", "gamma"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")

    def _training_config(self) -> TrainingConfig:
        config = super()._training_config()
        config.beta = float(self.beta)
        config.kl_warmup_epochs = float(self.kl_warmup_epochs)
        if self.capacity is not None:
            config.capacity = float(self.capacity)
            config.capacity_epochs = float(self.capacity_epochs)
            config.gamma = float(self.gamma)
        return config

    def _draw_prior(self, n_samples: int, rng: np.random.RandomState) -> np.ndarray:
        return rng.standard_normal((n_samples, self.latent_dim)).astype(np.float32)

    def encode(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Mean and log-variance of q(z|x) for each sample.

        Returns
        -------
        mean, logvar : ndarray of float32, shape (n_samples, latent_dim) each
        """
        X_model = self._check_X(X)
        means, logvars = [], []
        with torch.no_grad():
            for i in range(0, len(X_model), PREDICT_BATCH):
                posterior = self.model_.encode(torch.from_numpy(X_model[i : i + PREDICT_BATCH]).to(self.device_))
                means.append(posterior.mean.cpu())
                logvars.append(posterior.logvar.cpu())
        return torch.cat(means).numpy(), torch.cat(logvars).numpy()

    def score_samples(self, X: Any, n_samples: int = 1, random_state: int = 0) -> np.ndarray:
        """Per-sample ELBO, log p(x|z) averaged over z ~ q(z|x) minus KL, in nats.

        A Monte-Carlo estimate: each row gets its own ``n_samples`` draws from a
        generator seeded with ``random_state``, so the same X gives the same scores,
        and the mean over many rows has little noise (one draw shared by all rows
        would leave the whole mean resting on that single draw).

        Returns
        -------
        ndarray of float64, shape (n_samples_X,)
        """
        reconstruction, kl = self.loss_terms(X, n_samples, random_state)
        return -(reconstruction + kl)


ESTIMATORS: dict[str, type[_BaseAutoEncoder]] = {"AutoEncoder": AutoEncoder, "VAE": VAE}
