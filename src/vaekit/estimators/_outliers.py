"""Anomaly detection on every model kind: scikit-learn's outlier-detection contract.

Every estimator of the family is a detector, as scikit-learn's ``IsolationForest``
is: ``score_samples`` (higher = more normal, in nats), ``decision_function`` (=
``score_samples - offset_``; negative = anomaly), ``predict`` (+1 normal, -1
anomaly), ``fit_predict``, and ``explain`` (each feature's share of a row's
negative log-likelihood: the "why" of a flag).

Why on the family rather than as a wrapper estimator: the threshold is fitted
state like any other (``offset_``, declared once and saved in ``config.json``),
so ``save``/``load``, ``vaekit train --contamination`` and ``vaekit score`` work for
every kind with no second file format, and a user's own ``VAE(...)`` or
``AutoEncoder(...)`` flags rows with no re-fit inside a wrapper. The default
*detector* is one kind of the family, :class:`vaekit.OutlierDetector` (a VAE with a
learned per-feature variance, scored by importance-sampled log p(x)), chosen by
``benchmarks/anomaly_adbench.py``.

``contamination``: a float c puts ``offset_`` at the c-quantile of the training
rows' scores (a share c of them is flagged, as in ``IsolationForest``). ``"auto"``
needs no guess of the anomaly rate: it is Tukey's fence, Q1 - 1.5 IQR of the
training scores (:data:`AUTO_FENCE`), the boxplot rule; a row scoring below it is
further below the bulk than 1.5 interquartile ranges. The scores are log-densities
in nats, whose lower tail is long for the rows a model explains badly.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import pandas as pd
import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor

from vaekit.data.loaded import DataNoteWarning
from vaekit.data.validation import InputError
from vaekit.distributions import standard_normal_log_prob

AUTO_FENCE = 1.5
"""``contamination="auto"``: flag scores below Q1 - AUTO_FENCE x IQR of the training scores (Tukey)."""
MAX_CHUNK_FLOATS = 1 << 23
"""Importance sampling decodes at most this many values at once (32 MB of float32)."""


class UnscoredRowsWarning(DataNoteWarning):
    """Rows of a table with every entry missing: nothing to judge them by, so they get no score.

    ``score_samples`` and ``decision_function`` give them NaN, ``score`` leaves them out of
    its mean, ``predict`` leaves them +1 (not flagged) and ``vaekit score`` writes an empty
    score with flag 0. A :class:`~vaekit.data.loaded.DataNoteWarning`: the command line prints
    it as a note.
    """


def unobserved_rows(estimator: Any, X_model: np.ndarray) -> np.ndarray | None:
    """bool (n,): the rows of an encoded table with no observed entry; None for a model not fitted on a table."""
    layout = estimator.codec_.layout()
    if layout is None:
        return None
    observed_at = [column.observed_at for column in layout]
    return cast(np.ndarray, ~(np.asarray(X_model)[:, observed_at] > 0.5).any(axis=1))  # any(axis=1) of 2-D: an array


def unscored(estimator: Any, X_model: np.ndarray, scores: np.ndarray, warn: bool = True) -> np.ndarray:
    """``scores`` (n,) with NaN for the rows that have every entry missing, and one note naming them.

    A row with nothing observed adds nothing to the likelihood: its ELBO is -KL alone, the
    highest of all, which would call it the most normal row there is. It is no evidence
    either way, so it gets no score; ``predict`` (``decision_function < 0``) then leaves it
    +1, as a row nothing is known against.
    """
    empty = unobserved_rows(estimator, X_model)
    if empty is None or not empty.any():
        return scores
    scores = np.array(scores, dtype=np.float64)
    scores[empty] = np.nan
    if warn:
        rows = np.flatnonzero(empty)
        shown = ", ".join(str(i) for i in rows[:5]) + (f", ... ({len(rows)} in all)" if len(rows) > 5 else "")
        what = (
            f"1 row has every entry missing (row {shown}"
            if len(rows) == 1
            else f"{len(rows)} rows have every entry missing (rows {shown}"
        )
        warnings.warn(
            f"{what}; counting from 0): no score (NaN), and not flagged as anomalies",
            UnscoredRowsWarning,
            stacklevel=3,
        )
    return scores


def mean_score(scores: np.ndarray) -> float:
    """The mean of the scores that are not NaN (rows without a score left out); NaN when none is."""
    scores = np.asarray(scores, dtype=np.float64)
    scored = scores[~np.isnan(scores)]
    return float(np.mean(scored)) if len(scored) else float("nan")


class ConstantScoresWarning(UserWarning):
    """Every training row got the same score (a constant training set): no row can be told apart."""


def fit_offset(scores: np.ndarray, contamination: float | str, constant: bool = False) -> float:
    """The threshold on ``score_samples`` from the training rows' scores (n,); see the module docstring.

    ``constant``: the training rows are all the same (warned, as when every score is).
    """
    scores = np.asarray(scores, dtype=np.float64)
    if constant or np.ptp(scores) == 0.0:
        warnings.warn(
            "the training rows are all the same (or all get the same score): the scores cannot tell rows apart, "
            "so predict()'s flags say nothing",
            ConstantScoresWarning,
            stacklevel=3,
        )
    if contamination == "auto":
        q1, q3 = np.percentile(scores, [25.0, 75.0])
        return float(q1 - AUTO_FENCE * (q3 - q1))
    return float(np.percentile(scores, 100.0 * float(contamination)))


def importance_log_likelihood(estimator: Any, X_model: np.ndarray, C: np.ndarray | None, n_samples: int) -> np.ndarray:
    """Importance-sampled log p(x) per row (n,) in model units, with the same K draws of eps for every row.

    ``logmeanexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)]`` with ``z_k = mu(x) +
    sigma(x) * eps_k`` and ``eps_1..K`` drawn once from a generator seeded with 0:
    common random numbers, so a row's score depends on that row alone, not on the
    other rows or an earlier call. The sums run in float64 on a float64 copy of the
    network: in float32 a matrix product's rounding depends on how many rows it
    holds (BLAS blocking), which moved scores by ~1e-6 between batches.
    """
    eps = torch.randn(n_samples, estimator.latent_dim_, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    eps = eps.to(estimator.device_)
    model = copy.deepcopy(estimator.model_).double().eval()

    def log_px(x: Tensor, c: Tensor | None) -> Tensor:
        x = x.double()
        c = None if c is None else c.double()
        posterior = model.encode(x, c)
        per_row = max(1, x[0].numel())
        step = max(1, MAX_CHUNK_FLOATS // (per_row * len(x)))
        weights = []
        for start in range(0, n_samples, step):
            z = posterior.mean + posterior.std * eps[start : start + step, None, :]  # (k, B, latent)
            log_p = model.decode(z, c).log_prob(x)  # (k, B)
            weights.append(log_p + standard_normal_log_prob(z) - posterior.log_prob(z))
        return torch.logsumexp(torch.cat(weights), dim=0) - math.log(n_samples)

    return estimator._map_batches(log_px, X_model, C).astype(np.float64)


def to_user_units(estimator: Any, log_p: np.ndarray, X_model: np.ndarray) -> np.ndarray:
    """Log-densities of model-unit rows (n,) as densities of the user's values (the preprocessing's Jacobian)."""
    return log_p - estimator.codec_.log_scale(X_model)


class OutlierMethods:
    """``decision_function``, ``predict``, ``fit_predict`` and ``explain`` for :class:`BaseAutoEncoder`."""

    def _fit_offset(self, rows: Iterable[tuple[np.ndarray, np.ndarray | None]], constant: bool) -> None:
        """Set ``offset_`` from the training rows (model units, chunk by chunk), per ``contamination``.

        ``constant``: the rows are all the same.
        """
        scores = np.concatenate(
            [unscored(self, X_model, self._scores(X_model, C), warn=False) for X_model, C in rows]  # type: ignore[attr-defined]  # a mixin: BaseAutoEncoder defines it
        )
        scores = scores[~np.isnan(scores)]  # rows with every entry missing: no evidence either way
        if not len(scores):
            raise InputError("every training row has every entry missing; there is nothing to learn from")
        self.offset_ = fit_offset(scores, self.contamination, constant=constant)  # type: ignore[attr-defined]  # a mixin, as above

    def decision_function(self, X: Any, y: Any = None) -> np.ndarray:
        """``score_samples(X) - offset_``: negative for the rows :meth:`predict` flags.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        check_is_fitted(self, "offset_")
        return self.score_samples(X, y) - self.offset_  # type: ignore[attr-defined]  # a mixin, as above

    def predict(self, X: Any, y: Any = None) -> np.ndarray:
        """+1 for a normal row, -1 for an anomaly (``decision_function < 0``), as scikit-learn's detectors.

        Returns
        -------
        ndarray of int, shape (n_samples,)
            A row with every entry missing has no score and is left +1 (see :func:`unscored`).
        """
        return np.where(self.decision_function(X, y) < 0.0, -1, 1)

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X, y).predict(X)``: flags for the training rows themselves, shape (n_samples,)."""
        self.fit(X, y)  # type: ignore[attr-defined]  # a mixin, as above
        return self.predict(X, y if self.conditional else None)  # type: ignore[attr-defined]  # a mixin, as above

    def explain(self, X: Any, y: Any = None) -> Any:
        """Each feature's negative log-likelihood at the row's most likely code: why a row scores low.

        ``-log p(x_j | z)`` at z = the posterior mean (the code, for a plain
        autoencoder), in nats, per feature of an array or image (a per-pixel error
        map) and per column of a mixed table (0 where the entry is missing). The
        terms are in the model's units (standardized columns), so that columns
        measured in grams and in metres compare: a row's terms sum to its
        reconstruction term less the preprocessing's log-Jacobian (the sum of the
        log scales, the same for every row).

        Returns
        -------
        ndarray of float64, shape (n_samples, *input_shape_); or, for a model
        fitted on a DataFrame, a DataFrame with its columns and the input's index
        """
        X_model = self._check_X(X)  # type: ignore[attr-defined]  # a mixin, as above
        C = self._conditions(y, len(X_model), "explain")  # type: ignore[attr-defined]  # a mixin, as above

        def terms(x: Tensor, c: Tensor | None) -> Tensor:
            z = self.model_.encode(x, c).mode()  # type: ignore[attr-defined]  # a mixin, as above
            return -self.model_.decode(z, c).log_prob_elements(x)  # type: ignore[attr-defined]  # per feature or column; a mixin, as above

        nll = self._map_batches(terms, X_model, C).astype(np.float64)  # type: ignore[attr-defined]  # a mixin, as above
        names = self.codec_.names  # type: ignore[attr-defined]  # a mixin, as above
        if isinstance(X, pd.DataFrame) and names is not None and nll.ndim == 2:
            return pd.DataFrame(nll, columns=names, index=X.index)
        return nll
