"""What every estimator shares: fit, batched inference, conditioning, and the declaration
of a model kind.

A model kind is declared once, by its estimator class::

    class VQVAE(AutoEncoder):
        kind = "vqvae"                       # config.toml's and the CLI's name for it
        module = VQVAEModel                  # the nn.Module it trains
        module_params = ("codebook_size", "code_dim", "commitment_cost", "ema")
        fitted_state = {"code_frequencies_": Array(shape=lambda e: (e.codebook_size,))}  # saved, loaded, checked
        variational = False                  # does its encoder give a Gaussian q(z|x)?

Subclassing registers the kind (:data:`REGISTRY`); the CLI's ``--model`` choices, the
keys of ``config.toml``, and save/load are all derived from these declarations.

Conditioning (the conditional VAE of Sohn et al., 2015) is a capability of this base:
every method takes ``y=None``; a class with ``conditional = True`` needs the labels,
one-hot encodes them in :meth:`_conditions`, and hands them to its module.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from vaekit.data.table.kinds import FEW_LEVELS
from vaekit.estimators import _outliers, findings
from vaekit.estimators._fingerprint import fit_fingerprint
from vaekit.estimators._fitdata import FitData, array_data, is_streamed, is_streamed_data, stream_data
from vaekit.estimators._generate import Generation
from vaekit.estimators._inputs import InputChecks, _check_feature_names
from vaekit.estimators._outliers import OutlierMethods
from vaekit.estimators._params import (
    AUTO_MIN_STEPS,
    SHARED_STATE,
    auto_training,
    check_positive_int,
    fill_docstring,
    resolve_latent_dim,
)
from vaekit.estimators._resolve import (
    DataSummary,
    resolve_likelihood,
    resolve_preprocessing,
)
from vaekit.estimators._restarts import train_restarts
from vaekit.io import model as io
from vaekit.models import AutoEncoderModel
from vaekit.training.batches import Batch
from vaekit.training.checkpoint import start_fit
from vaekit.training.distributed import device_for, world
from vaekit.training.optim import TrainingConfig
from vaekit.training.runtime import DEFAULT_THREADS, resolve_device, with_threads
from vaekit.training.threads import choose_threads

REGISTRY: dict[str, type[BaseAutoEncoder]] = {}
"""Estimator classes by kind ("vae", "vqvae", ...), filled as classes are declared."""

# Fields of TrainingConfig that an estimator parameter of the same name sets.
_TRAINING_FIELDS = (
    "epochs", "lr", "lr_schedule", "beta", "kl_warmup_epochs", "grad_clip", "patience", "verbose", "precision",
)  # fmt: skip


class BaseAutoEncoder(
    InputChecks,
    Generation,
    OutlierMethods,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """The shared machinery; a subclass declares its kind (see the module docstring)."""

    kind: ClassVar[str] = ""
    module: ClassVar[type[AutoEncoderModel]] = AutoEncoderModel
    module_params: ClassVar[tuple[str, ...]] = ()
    fitted_state: ClassVar[dict[str, io.Codec]] = SHARED_STATE
    variational: ClassVar[bool] = False
    conditional: ClassVar[bool] = False
    warmup_likelihoods: ClassVar[tuple[str, ...]] = ()  # beyond WARMUP_LIKELIHOODS: where "auto" warms up
    auto_max_steps: ClassVar[int | None] = None  # epochs="auto" on a long table: at most ~this many steps
    auto_min_steps: ClassVar[int] = AUTO_MIN_STEPS  # epochs="auto" on a short table: at least this many steps
    few_levels: ClassVar[int] = FEW_LEVELS  # a table's numbers with 3 to this many values are ordered levels
    doc_fragments: ClassVar[dict[str, str]] = {}  # "{name}" lines of docstrings, for this class and its subclasses
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fragments: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            fragments.update(klass.__dict__.get("doc_fragments", {}))
        cls.__doc__ = fill_docstring(cls.__doc__, fragments)
        if "kind" in cls.__dict__:
            if cls.kind in REGISTRY:
                raise TypeError(f"model kind {cls.kind!r} is declared twice: {REGISTRY[cls.kind]} and {cls}")
            REGISTRY[cls.kind] = cls

    @classmethod
    def declared_state(cls) -> dict[str, io.Codec]:
        """Every fitted attribute saved with the model, from this class and its bases."""
        state: dict[str, io.Codec] = {}
        for klass in reversed(cls.__mro__):
            state.update(klass.__dict__.get("fitted_state", {}))
        return state

    def _set_params_from(self, arguments: dict[str, Any]) -> None:
        """Store each ``__init__`` argument as an attribute of the same name (scikit-learn style)."""
        for name, value in arguments.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        """Declared constraints, then the checks that involve several parameters."""
        self._validate_params()
        if self.hidden is not None and any(isinstance(h, bool) or int(h) < 1 for h in self.hidden):
            raise ValueError(f"hidden must be a sequence of positive widths, got {self.hidden!r}")

    def _training_config(self) -> TrainingConfig:
        """The loop's settings, "auto" ones resolved for the training rows (``training_settings_``)."""
        n_batches = math.ceil(self.n_train_ / self.batch_size)
        params = auto_training(
            self.get_params(),
            n_batches,
            self.likelihood_,
            self.warmup_likelihoods,
            self.auto_max_steps,
            self.auto_min_steps,
        )
        config = TrainingConfig(**{name: params[name] for name in _TRAINING_FIELDS if name in params})
        self.training_settings_: dict[str, float | None] = {"epochs": config.epochs, "patience": config.patience}
        if "kl_warmup_epochs" in params:
            self.training_settings_["kl_warmup_epochs"] = config.kl_warmup_epochs
        if self.get_params().get("beta") == "auto":
            self.training_settings_["beta"] = config.beta
        return config

    def _module_kwargs(self) -> dict[str, Any]:
        """The kind's extra constructor arguments of its module (``module_params``)."""
        return {name: getattr(self, name) for name in self.module_params}

    def _build_model(self) -> AutoEncoderModel:
        """A fresh module from the fitted shape attributes (used by fit and load)."""
        return self.module(
            self.input_shape_,
            self.latent_dim_,
            self.likelihood_,
            self.architecture_,
            self.hidden_,
            self.activation,
            n_conditions=len(self.classes_) if self.conditional else 0,
            layout=self.codec_.layout(),
            **self._module_kwargs(),
        )

    # ------------------------------------------------------------------- fit
    @with_threads
    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        checkpoint_dir: str | Path | None = None,
        resume_from: str | Path | None = None,
        checkpoint_minutes: float | None = None,
        buffer_rows: int | None = None,
        workers: int | None = None,
    ) -> BaseAutoEncoder:
        """Train on X (and, for a conditional model, its labels y).

        Under ``torchrun`` (``WORLD_SIZE`` > 1 in the environment) every process calls
        ``fit`` on the same data and trains its share of each batch through
        DistributedDataParallel (see :mod:`vaekit.training.distributed`); all end with the same model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or (n_samples, C, H, W), or data on disk
            Data on disk is streamed, never read whole: a path to a ``.npy`` file, a
            Parquet file or folder, a CSV or an image folder, or a memory-mapped array
            (``np.load(path, mmap_mode="r")``); see :mod:`vaekit.data.stream`.
        y : array-like of shape (n_samples,) or None
            Class labels, needed by a conditional model; ignored by the others.
        checkpoint_dir : path or None
            A folder (new, or empty) that gets a checkpoint after every epoch (see
            :mod:`vaekit.training.checkpoint`): weights, optimizer, scheduler, RNG states, history.
        resume_from : path or None
            A ``checkpoint_dir`` of an earlier, interrupted fit on the same data with the
            same parameters: training continues where it stopped, with the same result
            as if it had not stopped, and keeps checkpointing there.
        checkpoint_minutes : float or None
            Checkpoint at the first epoch end after this many minutes instead of after
            every epoch.
        buffer_rows : int or None
            Streamed data: the rows of the shuffle buffer (default: 96 MiB of rows, see
            :func:`~vaekit.estimators._fitdata.default_buffer_rows`); the chunks' order is
            shuffled every epoch, and the buffer is shuffled as it fills. When it holds
            every row, the shuffle is the in-memory one.
        workers : int or None
            Streamed data: loader processes that read chunks ahead (default: some for
            an image folder, which they decode, none otherwise).

        Returns
        -------
        self
        """
        self._check_params()
        _check_feature_names(self, X, reset=True)  # feature_names_in_ from a DataFrame's columns
        for stale in ("table_", "table_frame_", "column_bounds_"):
            self.__dict__.pop(stale, None)
        rng = check_random_state(self.random_state)
        seeds = [int(s) for s in rng.randint(np.iinfo(np.int32).max - 2, size=self.n_init)]
        self.device_ = device_for(resolve_device(self.device))
        here = world()
        if is_streamed(X):
            data = stream_data(self, X, y, rng, here, buffer_rows, workers)
        else:
            data = array_data(self, X, y, rng, here)
        try:
            self._train_on(data, seeds, here, checkpoint_dir, resume_from, checkpoint_minutes)
        finally:
            data.close()  # a streamed Parquet file's decoded copy
        return self

    def _train_on(
        self,
        data: FitData,
        seeds: list[int],
        here: Any,
        checkpoint_dir: str | Path | None,
        resume_from: str | Path | None,
        checkpoint_minutes: float | None,
    ) -> None:
        """:meth:`fit`'s training, the model's choice among the restarts and what is fitted after it."""
        self.n_train_ = data.n_train
        self.latent_dim_ = resolve_latent_dim(self.latent_dim, self.likelihood_)
        folder = checkpoint_dir if checkpoint_dir is not None else resume_from
        if folder is not None:
            fingerprint = fit_fingerprint(self, {**data.description, "digest": data.digest()}, seeds, here.size)
            start_fit(Path(folder), fingerprint, resume=resume_from is not None, write=here.main)
        every = None if checkpoint_minutes is None else 60.0 * float(checkpoint_minutes)
        try:
            threads = self._choose_threads(data, here.parallel)  # "auto": timed on this machine, now
            runs = train_restarts(self, seeds, data, None if folder is None else Path(folder), every)
            self.training_settings_.update(threads)
            self.training_settings_["step"] = runs[0][1].step  # type: ignore[assignment]  # a str among numbers
            self.init_losses_ = [result.best_loss for _, result in runs]
            self.model_, result = runs[int(np.argmin(self.init_losses_))]
            self.model_.eval()
            self.history_ = result.history
            self.best_epoch_ = result.best_epoch
            self.n_epochs_ = len(result.history["epoch"])
            self._after_fit(data.rows(True))
            # the threshold of predict(), from every training row; the held-out rows' scores calibrate p_values()
            self._fit_offset(data.rows(False), data.constant, data.validation, lambda: data.rows(True))
            findings.emit(findings.fit_findings(self))  # stopped at the cap while improving; best inside the warm-up
        finally:
            self.__dict__.pop("_fitting_threads", None)

    def _choose_threads(self, data: FitData, parallel: bool) -> dict[str, Any]:
        """Under ``threads="auto"``, time the training step at 1 thread and at torch's default, and train with
        the faster (:func:`~vaekit.training.threads.choose_threads`); what was chosen and why."""
        if self.threads != "auto":
            return {}
        if data.workers:  # loader processes decode the stream on the other cores
            return {"threads": 1, "threads_reason": f"streamed with {data.workers} loader processes"}
        with torch.random.fork_rng(devices=[]):  # the probe draws noise; the fit's own draws stay as they were
            torch.manual_seed(0)
            model = self._build_model().to(self.device_)
            batch: Batch
            if is_streamed_data(data):  # a step's time depends on the batch's shape, not its values: no read
                batch = torch.rand((self.batch_size, *self.input_shape_), device=self.device_)
            else:
                batch = next(iter(data.make_train(torch.Generator(self.device_).manual_seed(0))))
            chosen, facts = choose_threads(model, batch, DEFAULT_THREADS, parallel)
        torch.set_num_threads(chosen)  # with_threads gives the caller's count back after fit
        self._fitting_threads = chosen  # the scores and summaries inside this fit too (removed when it ends)
        return facts

    def _resolve_likelihood(self, X: np.ndarray | DataSummary) -> str:
        """``likelihood_`` for numeric X (a kind may choose differently for "auto")."""
        return resolve_likelihood(self.likelihood, X)

    def _resolve_preprocessing(self, X: np.ndarray | DataSummary) -> str:
        """The scaling of numeric X, after ``likelihood_`` (a kind may choose differently for "auto")."""
        return resolve_preprocessing(self.preprocessing, self.likelihood_, X)

    def _after_fit(self, rows: Iterator[tuple[np.ndarray, np.ndarray | None]]) -> None:
        """Hook for state derived from the trained model (the AE's latent Gaussian).

        ``rows``: the training rows in model units with their conditions, chunk by chunk.
        """

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """``fit(X, y).transform(X)``, passing y on to a conditional model's transform."""
        return self.fit(X, y, **fit_params).transform(X, y if self.conditional else None)

    # ------------------------------------------------------- batched inference
    # --------------------------------------------------------------- public
    def transform(self, X: Any, y: Any = None) -> np.ndarray:
        """Posterior means (the codes for a plain autoencoder).

        Parameters
        ----------
        X : array-like of shape (n_samples, *input_shape_)
        y : array-like of shape (n_samples,), one label, or None
            Labels, for a conditional model only.

        Returns
        -------
        ndarray of float32, shape (n_samples, latent_dim)
        """
        X_model = self._check_X(X)
        return self._codes(X_model, self._conditions(y, len(X_model), "transform"))

    def inverse_transform(self, X: Any, y: Any = None, *, plausible: bool = True) -> np.ndarray:
        """Decoded means of latent vectors, in the units of the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
        y : labels (one, or one per row) for a conditional model, else None
        plausible : bool, default=True
            Each number within its column's observed range, rounded as its values were, each
            count on its observed support (a table's columns; see :mod:`vaekit.data.table.bounds`).
            False gives the decoder's values as they are, for measuring the model itself.

        Returns
        -------
        ndarray of float32, shape (n_samples, *input_shape_)
        """
        Z = self._check_latent(X)
        return self._decode_means(Z, self._conditions(y, len(Z), "inverse_transform"), plausible)

    def reconstruct(self, X: Any, y: Any = None, *, plausible: bool = True) -> Any:
        """Decode the posterior mean of each sample: same shape as X (images stay images).

        ``plausible``: as for :meth:`inverse_transform`.

        Returns
        -------
        ndarray of float32, shape (n_samples, *input_shape_); for a model of a DataFrame, a
        DataFrame with X's index, in X's order
        """
        X_model = self._check_X(X)
        C = self._conditions(y, len(X_model), "reconstruct")
        out = self._decode_means(self._codes(X_model, C), C, plausible)
        if isinstance(out, pd.DataFrame) and isinstance(X, pd.DataFrame):
            out.index = X.index
        return out

    def project_latent(self, Z: Any) -> np.ndarray:
        """The latent points the decoder was trained on nearest to Z: Z itself here.

        Figures that walk the latent space decode ``project_latent(Z)``; a VQ-VAE
        snaps each slot to its nearest codebook vector.

        Returns
        -------
        ndarray of float32, shape (n_samples, latent_dim)
        """
        return self._check_latent(Z, "Z")

    def loss_terms(
        self, X: Any, y: Any = None, *, n_samples: int = 1, random_state: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Reconstruction -log p(x|z) and KL(q(z|x) || p(z)) per sample, in nats.

        The reconstruction term is averaged over ``n_samples`` draws z ~ q(z|x) from a
        generator seeded with ``random_state`` (a plain autoencoder has one code and
        no KL), and is in the units of X: the log-Jacobian of the preprocessing is
        included, so -(reconstruction + kl) is the ELBO of X itself.

        Parameters
        ----------
        X : array-like of shape (n, *input_shape_)
        y : labels of X, for a conditional model only
        n_samples : int, default=1
        random_state : int, default=0

        Returns
        -------
        reconstruction, kl : ndarray of float64, shape (n,) each
        """
        X_model = self._check_X(X)
        C = self._conditions(y, len(X_model), "loss_terms")
        return self._loss_terms(X_model, C, check_positive_int("n_samples", n_samples), random_state)

    def score_samples(self, X: Any, y: Any = None, *, n_samples: int = 1, random_state: int = 0) -> np.ndarray:
        """Per-sample -(reconstruction + KL) in nats (see :meth:`loss_terms`); higher is better.

        For a VAE this is the ELBO, a Monte-Carlo estimate over ``n_samples`` draws of eps that
        are a function of the row's values and ``random_state`` only: a row gets the same score
        alone as among any other rows, and the same X the same scores. For a plain
        autoencoder it is log p(x | z = code(x)).

        A table's row with every entry missing gets no score (NaN, with one note): there
        is nothing in it to judge; ``predict`` leaves it +1 (see :func:`~vaekit.estimators._outliers.unscored`).
        A row with gaps has each gap counted at its column's usual part of a training row's score
        (:func:`~vaekit.estimators._outliers.gap_cost`), so that gaps do not make a row look normal.

        Returns
        -------
        ndarray of float64, shape (n_samples_X,)
        """
        X_model = self._check_X(X)
        C = self._conditions(y, len(X_model), "score_samples")
        reconstruction, kl = self._loss_terms(X_model, C, check_positive_int("n_samples", n_samples), random_state)
        return _outliers.unscored(self, X_model, -(reconstruction + kl))

    def _scores(self, X_model: np.ndarray, C: np.ndarray | None) -> np.ndarray:
        """:meth:`score_samples` (its defaults) of rows in model units: what ``offset_`` is fitted on."""
        reconstruction, kl = self._loss_terms(X_model, C)
        return -(reconstruction + kl)

    def score(self, X: Any, y: Any = None) -> float:
        """Mean of :meth:`score_samples` over X (nats per sample; higher is better), over the rows that
        get a score (NaN when none does).

        y is the labels of X for a conditional model, and ignored otherwise.
        """
        return _outliers.mean_score(self.score_samples(X, y if self.conditional else None))

    def diagnostics(self, X: Any, y: Any = None) -> dict[str, Any]:
        """Measures particular to this kind of model on X, by name ({} here).

        Each is a dict of numbers with a ``summary``: one line that says them in words, which
        the command line prints as it is, knowing no kind.
        :func:`vaekit.evaluation.metrics.evaluate_model` and every run report them.
        """
        check_is_fitted(self, "model_")
        return {}

    def explorer_extras(self) -> dict[str, Any]:
        """What the explorer page needs of this kind beyond the decoder: ``codebook`` (None, or
        ``size``, ``code_dim`` and ``vectors``, a tensor (K, D), for a quantized latent space)
        and ``facts`` (lines the page shows about the model)."""
        facts = ["Conditional model: the decoder also takes the class chosen below; hovering a row uses its own."]
        return {"codebook": None, "facts": facts if self.conditional else []}

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into the directory ``path``.

        See :func:`vaekit.io.model.save`.
        """
        return io.save(self, path, overwrite=overwrite)

    @property
    def _n_features_out(self) -> int:
        if not hasattr(self, "model_"):  # get_feature_names_out before fit: NotFittedError, as scikit-learn's
            raise AttributeError("_n_features_out is set by fit")
        return self.latent_dim_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.non_deterministic = False
        tags.target_tags.required = self.conditional
        tags.input_tags.allow_nan = True  # gaps in a table are modelled (the mixed-table path), not refused
        return tags
