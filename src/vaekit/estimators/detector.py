"""The default anomaly detector: a VAE whose score is an importance-sampled log p(x).

Chosen by ``benchmarks/anomaly_adbench.py`` (ADBench's unsupervised protocol, the 14
shared tables; see ``benchmarks/RESULTS.md``). Four choices differ from a plain
:class:`~vaekit.VAE`, each measured there:

- on rows of numbers (X of shape (n, n_features)), ``likelihood="auto"`` gives the
  Gaussian with a learned variance per feature ("gaussian-learned") on standardized
  columns, even when every value lies in [0, 1] (where a VAE's "auto" reads the rows
  as pixels): a feature the model predicts tightly then weighs more in the score
  than a noisy one (a squared error treats them alike);
- ``score_samples`` is log p(x) by importance sampling with K = ``n_samples`` draws
  (the IWAE bound, tighter than the ELBO), with the same K draws of noise for every
  row, so scores are deterministic: the same row gets the same score on every call,
  in any batch and after save/load (on the tables, seed 0, it beat the one-draw
  ELBO on 7 of 9);
- ``latent_dim=8`` rather than 2: a VAE switches off the dimensions it does not
  need (their KL goes to 0), and on the 14 tables (seed 0) the mean AUROC was 0.816
  with 2 dimensions, 0.814 with 4 and 0.821 with 8.

- on rows of numbers, ``preprocessing="auto"`` is "robust-asinh": each column centred
  on its median, divided by its interquartile range / 1.349, then asinh (linear near
  the centre, logarithmic in the tails), with the score in the user's units (its
  Jacobian included). ``benchmarks/detector_study.py`` chose it on 7 of the 14 tables
  (mean AUROC 0.828 -> 0.846, seed 0) and checked it on the other 7 (0.795 -> 0.801,
  seeds 0-1; IsolationForest 0.795); plain robust scaling diverged on shuttle, whose
  far values the asinh compresses.

- on rows of numbers, the score adds an isolation forest's (``isolation=0.5``; Liu, Ting & Zhou
  2008), grown on the training rows: ``log p(x) + (isolation / (1 - isolation)) * (s_l / s_f) *
  (f(x) - median f)``, where f is scikit-learn's ``IsolationForest.score_samples`` and s_l, s_f the
  interquartile ranges of log p and f over the training rows that set the threshold, so at 0.5 the two
  weigh alike and the score stays in nats of log p's spread. The likelihood misses anomalies that sit in a
  region the decoder spreads over (optdigits, pendigits, wine), the forest those that lie inside the
  range of every feature (letter, vowels, Wilt). On 22 ADBench tables none of this was chosen on, the
  mean AUROC is 0.744 with the forest and 0.738 without (IsolationForest alone 0.733), and on the 14
  shared tables 0.822 and 0.820 (``benchmarks/anomaly_adbench.py``, seeds 0-2, RESULTS.md).
  ``explain`` stays the likelihood's; the forest's part is :meth:`OutlierDetector.isolation_part`, a
  reason of its own.

Leaving each batch's highest-loss rows out (``trim_fraction``) did not help there
(0.815 at 0.05) and is off by default. Images ((n, H, W) or (n, C, H, W)) and
mixed tables keep a VAE's ``"auto"`` likelihoods.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from vaekit.estimators import _outliers
from vaekit.estimators._params import (
    NETWORK_CONSTRAINTS,
    NON_NEGATIVE,
    TABLE_CONSTRAINTS,
    TRAINING_CONSTRAINTS,
    auto_training,
)
from vaekit.estimators._resolve import UNIT_INTERVAL_LIKELIHOODS, DataSummary, resolve_likelihood
from vaekit.estimators.vae import VAE
from vaekit.io import model as io
from vaekit.models.detector import DetectorModel
from vaekit.models.isolation import IsolationTrees

TRIM_WARMUP_SHARE = 0.2
"""``trim_fraction > 0``: the first 20% of the resolved epochs train on every row."""

DETECTOR_DOC = """\
    n_samples : int, default=100
        K, the importance samples per row behind ``score_samples``.
    trim_fraction : float in [0, 0.5), default=0
        Robust training for data that holds anomalies: after the first 20% of the
        epochs, each batch leaves out its ``trim_fraction`` highest-loss rows.
    isolation : float in [0, 1), default=0.5
        On rows of numbers, the share of an isolation forest in the score (0: log p(x) alone). The
        forest's term is scaled to log p's spread on the training rows, so the score stays in nats.
        Tables with categories or gaps, and images, are scored by log p(x) alone."""

ISOLATION_ROWS = 4096
"""At most this many training rows (evenly spaced) grow the isolation forest (each tree takes 256 of them)."""


class OutlierDetector(VAE):
    """Anomaly detector: a VAE scored by importance-sampled log p(x), with scikit-learn's outlier contract.

    ``fit(X)`` trains on rows that may contain anomalies (no labels);
    ``score_samples(X)`` is log p(x) in nats (higher = more normal);
    ``decision_function(X) = score_samples(X) - offset_`` is negative for the rows
    ``predict(X)`` flags with -1; ``explain(X)`` gives each feature's share of a
    row's negative log-likelihood. PyOD users: PyOD's ``decision_function`` is
    ``-decision_function`` here (higher = more anomalous there) and its 0/1
    ``labels_`` are ``predict(X) == -1``.

    Parameters
    ----------
    {network_parameters}
    {vae_parameters}
    {detector_parameters}
    {training_parameters}

    Attributes
    ----------
    {shared_attributes}

    Examples
    --------
    >>> import numpy as np
    >>> from vaekit import OutlierDetector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 4))
    >>> detector = OutlierDetector(epochs=5, random_state=0, verbose=0).fit(X)  # latent_dim=8
    >>> detector.predict(X).shape, detector.decision_function(X).dtype
    ((300,), dtype('float64'))
    """

    kind = "detector"
    fitted_state: ClassVar[dict[str, io.Codec]] = {
        "isolation_": io.ISOLATION,
        "isolation_center_": io.VALUE,
        "isolation_scale_": io.VALUE,
        "isolation_spread_": io.VALUE,
    }
    doc_fragments: ClassVar[dict[str, str]] = {"detector_parameters": DETECTOR_DOC}
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **NETWORK_CONSTRAINTS,
        **TABLE_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
        "beta": [NON_NEGATIVE],
        "kl_warmup_epochs": [NON_NEGATIVE, StrOptions({"auto"})],
        "capacity": [NON_NEGATIVE, None],
        "capacity_epochs": [NON_NEGATIVE],
        "gamma": [NON_NEGATIVE],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "trim_fraction": [Interval(Real, 0, 0.5, closed="left")],
        "isolation": [Interval(Real, 0, 1, closed="left")],
    }
    module = DetectorModel
    module_params = (*VAE.module_params, "trim_fraction")
    # Its learned-variance Gaussian keeps the KL warm-up it was chosen with: without it the mean AUROC
    # on 11 ADBench tables (seeds 0-1) fell from 0.803 to 0.792 (glass 0.815 -> 0.747).
    warmup_likelihoods = ("gaussian-learned",)
    few_levels = 0  # a value a column never took in training must count as unusual, not as a gap
    # epochs="auto" trains at least 1,000 optimizer steps (3,000 for the other kinds) and stops at about
    # 3,000 where 100 epochs would be more (benchmarks/anomaly_adbench.py, seeds 0-2, RESULTS.md): against
    # 3,000 and 10,000, 1,000 and 5,000 kept the mean AUROC (0.820 on the 14 shared tables, 0.735 -> 0.737
    # on 22 other ADBench tables) at 0.59 of the fit time; 3,000 at most, measured after, is in RESULTS.md.
    auto_min_steps = 1000
    auto_max_steps = 3000

    def __init__(
        self,
        latent_dim: int = 8,
        *,
        hidden: tuple[int, ...] | None = None,
        activation: str = "relu",
        architecture: str = "auto",
        likelihood: str = "auto",
        preprocessing: str = "auto",
        column_types: dict[str, str] | None = None,
        max_categories: int = 200,
        contamination: float | str = "auto",
        beta: float = 1.0,
        kl_warmup_epochs: float | str = "auto",
        capacity: float | None = None,
        capacity_epochs: float = 0.0,
        gamma: float = 1000.0,
        n_samples: int = 100,
        trim_fraction: float = 0.0,
        isolation: float = 0.5,
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
        kwargs = super()._module_kwargs()
        n_train = getattr(self, "n_train_", None)
        if self.trim_fraction > 0 and n_train:
            n_batches = math.ceil(n_train / self.batch_size)
            epochs = auto_training(
                self.get_params(), n_batches, max_steps=self.auto_max_steps, min_steps=self.auto_min_steps
            )["epochs"]
            kwargs["trim_after"] = TRIM_WARMUP_SHARE * epochs
        return kwargs

    def _resolve_likelihood(self, X: np.ndarray | DataSummary) -> str:
        if self.likelihood == "auto" and X.ndim == 2:  # rows of features, even when they lie in [0, 1]
            return "gaussian-learned"
        return resolve_likelihood(self.likelihood, X)

    def _resolve_preprocessing(self, X: np.ndarray | DataSummary) -> str:
        if self.preprocessing == "auto" and X.ndim == 2 and self.likelihood_ not in UNIT_INTERVAL_LIKELIHOODS:
            return "robust-asinh"  # rows of features: far values compressed, scored in the user's units
        return super()._resolve_preprocessing(X)

    def score_samples(self, X: Any, y: Any = None) -> np.ndarray:  # type: ignore[override]  # no n_samples, random_state: its own params
        """Importance-sampled log p(x) per row, in nats, in X's units; higher is more normal.

        A table's row with gaps has each gap counted at its column's usual part of a score, and a
        row with every entry missing gets NaN (see :func:`~vaekit.estimators._outliers.unscored`).

        Returns
        -------
        ndarray of float64, shape (n_samples_X,)
        """
        X_model = self._check_X(X)
        scores = self._scores(X_model, self._conditions(y, len(X_model), "score_samples"))
        return _outliers.unscored(self, X_model, scores)

    def _scores(self, X_model: np.ndarray, C: np.ndarray | None) -> np.ndarray:
        return self._combine_parts(self._score_parts(X_model, C))

    def _score_parts(self, X_model: np.ndarray, C: np.ndarray | None) -> np.ndarray:
        """(n, 2): log p(x) and the forest's score; (n, 1): log p(x), where there is no forest (a table,
        images, isolation=0, or a model saved before the forest)."""
        log_p = self._log_likelihood(X_model, C)
        trees = getattr(self, "isolation_", None)
        if trees is None:
            return log_p[:, None]
        return np.stack([log_p, trees.score_samples(self.scaling_.inverse_transform(X_model))], axis=1)

    def _fit_score_parts(self, parts: np.ndarray) -> None:
        """``isolation_center_`` and ``isolation_scale_`` from training rows' parts (m, 2): the forest's term is
        ``scale * (forest - center)``, with the forest's median as the center and the ratio of the
        interquartile ranges of log p and of the forest, times isolation / (1 - isolation), as the scale."""
        if parts.shape[1] < 2:
            return
        if len(parts) < 2:  # no training row to measure the spreads on
            self.__dict__.pop("isolation_", None)
            return
        low_l, high_l = np.quantile(parts[:, 0], [0.25, 0.75])
        low_f, center, high_f = np.quantile(parts[:, 1], [0.25, 0.5, 0.75])
        spread_l, spread_f = float(high_l - low_l), float(high_f - low_f)
        if not (np.isfinite(spread_l) and spread_l > 0 and spread_f > 0):  # all alike: nothing to weigh
            self.__dict__.pop("isolation_", None)
            return
        self.isolation_center_ = float(center)
        self.isolation_scale_ = float(self.isolation / (1.0 - self.isolation) * spread_l / spread_f)
        self.isolation_spread_ = float(self.isolation_scale_ * (center - np.quantile(parts[:, 1], 0.1)))

    def isolation_part(self, X: Any) -> np.ndarray | None:
        """Nats the isolation forest adds to each row's anomaly score (``-score_samples``) above what it adds
        to the median training row: large where few random splits isolate the row. None without a forest
        (a table, images, ``isolation=0``). ``isolation_spread_`` is how far above 0 it reaches on a tenth of
        the training rows: the reasons name the forest only beyond that.

        Returns
        -------
        ndarray of float64, shape (n_samples,), or None
        """
        check_is_fitted(self, "offset_")
        trees = getattr(self, "isolation_", None)
        if trees is None or getattr(self, "isolation_scale_", None) is None:
            return None
        forest = trees.score_samples(self.scaling_.inverse_transform(self._check_X(X)))
        return -self.isolation_scale_ * (forest - self.isolation_center_)

    def _combine_parts(self, parts: np.ndarray) -> np.ndarray:
        if parts.shape[1] < 2 or getattr(self, "isolation_", None) is None:
            return parts[:, 0]
        return parts[:, 0] + self.isolation_scale_ * (parts[:, 1] - self.isolation_center_)

    @property
    def score_text(self) -> tuple[str, str] | None:
        """What ``-score_samples`` is, for reports (:func:`vaekit.plots._estimator.score_text`); None: -log p(x)."""
        if getattr(self, "isolation_", None) is None:
            return None
        return (
            "-log p(x) - forest",
            f"-log p(x) (importance sampling, K={self.n_samples}) minus a scaled isolation-forest score",
        )

    def _log_likelihood(self, X_model: np.ndarray, C: np.ndarray | None) -> np.ndarray:
        """Importance-sampled log p(x) (n,) of rows in model units, in the user's units."""
        log_p = _outliers.importance_log_likelihood(self, X_model, C, self.n_samples)
        return _outliers.to_user_units(self, log_p, X_model)

    def _after_fit(self, rows: Iterator[tuple[np.ndarray, np.ndarray | None]]) -> None:
        """Also grow the isolation forest (``isolation_``) on at most :data:`ISOLATION_ROWS` evenly spaced
        training rows; its scale comes with the threshold (:meth:`_fit_score_parts`)."""
        for stale in ("isolation_", "isolation_center_", "isolation_scale_", "isolation_spread_"):
            self.__dict__.pop(stale, None)
        if not self.isolation or getattr(self, "table_", None) is not None or len(self.input_shape_) != 1:
            super()._after_fit(rows)
            return
        step = max(1, math.ceil(self.n_train_ / ISOLATION_ROWS))
        kept: list[np.ndarray] = []

        def passing() -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
            for X_model, C in rows:
                kept.append(X_model[::step])
                yield X_model, C

        chunks = passing()
        super()._after_fit(chunks)
        for _ in chunks:  # the rows the mixture's pass left (a conditional model takes none)
            pass
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self.isolation_ = IsolationTrees.fit(self.scaling_.inverse_transform(np.concatenate(kept)), seed)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "outlier_detector"
        return tags
