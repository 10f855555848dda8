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

Thresholds with a guarantee: ``fit`` keeps the scores of the rows it held out of
training (``validation_fraction``) as ``calibration_scores_``, and :meth:`p_values` gives
each row the conformal p-value of its score among them (Vovk et al.; Bates et al. 2023,
"Testing for outliers with conformal p-values"). ``predict(X, fdr=q)`` flags the rows
Benjamini-Hochberg rejects at level q over those p-values: if the normal rows are
exchangeable with the training rows, the expected share of normal rows among the flagged
ones is at most q. ``contamination="auto"`` stays Tukey's fence, with ``fdr`` beside it:
BH's flags depend on the batch scored together (a row alone is judged against
1 / (n_calibration + 1), the smallest p-value there is), while ``offset_`` gives a row the
same flag in any batch, as scikit-learn's ``predict`` does; and a rate is the user's choice.
The held-out rows also choose the epoch kept (early stopping), which favours them slightly;
``benchmarks/conformal_fdr.py`` measures what that does to the rate.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Iterable
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
REASON_QUANTILE = 0.9
"""A feature's part of a score is a reason for a row when it is above this quantile of its training parts."""
BASELINE_ROWS = 2_000
"""Training rows whose terms give each feature's usual part of a score (``feature_baseline_``): enough for a
median and a 0.9 quantile (their standard errors are about 0.03 and 0.02 of the spread), at 0.1 s for MNIST."""
THRESHOLD_ROWS = 2_000
"""``offset_`` is the quantile of at least this many training rows' scores (evenly spaced; all of a shorter
file): the quartiles of Tukey's fence to within about 1% of rank. A contamination c asks for more
(:func:`threshold_rows`)."""
CALIBRATION_ROWS = 2_000
"""At most this many held-out rows (evenly spaced) are scored as ``calibration_scores_``: any subset of
them keeps the p-values valid, and the smallest p-value is 1 / 2,001 (about 5e-4)."""
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


def gap_cost(estimator: Any, X_model: np.ndarray) -> np.ndarray:
    """Per row (n,), the usual cost of the entries it is missing: the sum over its gaps of the column's
    ``feature_baseline_`` (in the user's units); 0 for a model not fitted on a table, or before baselines.

    A gap adds nothing to log p(x_obs), so a row with gaps would score as more normal than the same row
    complete, the more so the more gaps it has. Counting each gap at its column's usual part of a score
    compares rows with different gaps on one scale: a row is not made normal by what it lacks.
    """
    layout = estimator.codec_.layout()
    baseline = getattr(estimator, "feature_baseline_", None)
    if layout is None or baseline is None:
        return np.zeros(len(X_model))
    usual = np.array(
        [b + (math.log(c.scale) if c.kind == "continuous" else 0.0) for b, c in zip(baseline, layout, strict=True)]
    )  # (n_columns,): nats in the user's units, as the scores are
    gaps = np.asarray(X_model)[:, [column.observed_at for column in layout]] <= 0.5  # (n, n_columns)
    return gaps.astype(np.float64) @ usual


def unscored(estimator: Any, X_model: np.ndarray, scores: np.ndarray, warn: bool = True) -> np.ndarray:
    """``scores`` (n,) less each row's :func:`gap_cost`, with NaN for the rows that have every entry
    missing, and one note naming them.

    A row with nothing observed adds nothing to the likelihood: its ELBO is -KL alone, the
    highest of all, which would call it the most normal row there is. It is no evidence
    either way, so it gets no score; ``predict`` (``decision_function < 0``) then leaves it
    +1, as a row nothing is known against.
    """
    scores = np.asarray(scores, dtype=np.float64) - gap_cost(estimator, X_model)
    empty = unobserved_rows(estimator, X_model)
    if empty is None or not empty.any():
        return scores
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


def threshold_rows(contamination: float | str) -> int:
    """Training rows to score for ``offset_``: :data:`THRESHOLD_ROWS`, or 100 / c for a contamination c
    (about 100 rows below the threshold: its rank to within about 10%).

    >>> threshold_rows("auto"), threshold_rows(0.1), threshold_rows(0.001)
    (2000, 2000, 100000)
    """
    if contamination == "auto":
        return THRESHOLD_ROWS
    return max(THRESHOLD_ROWS, math.ceil(100.0 / float(contamination)))


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


def conformal_p_values(calibration: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """``(1 + #{calibration <= score}) / (n_calibration + 1)`` per score (n,), NaN where the score is NaN.

    ``calibration``: the held-out rows' scores, sorted (higher = more normal).

    >>> conformal_p_values(np.array([1.0, 2.0, 3.0]), np.array([0.5, 2.0, 9.0, np.nan])).tolist()
    [0.25, 0.75, 1.0, nan]
    """
    scores = np.asarray(scores, dtype=np.float64)
    below = np.searchsorted(calibration, scores, side="right")  # (n,)
    return np.where(np.isnan(scores), np.nan, (1.0 + below) / (len(calibration) + 1.0))


def benjamini_hochberg(p_values: np.ndarray, level: float) -> np.ndarray:
    """bool (n,): the p-values the Benjamini-Hochberg procedure rejects at ``level``; NaN is never rejected.

    >>> benjamini_hochberg(np.array([0.001, 0.02, 0.03, 0.5, np.nan]), 0.1).tolist()
    [True, True, True, False, False]
    """
    from scipy.stats import false_discovery_control

    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.0 < float(level) < 1.0:
        raise InputError(f"fdr must be a level between 0 and 1 (e.g. 0.1), got {level!r}")
    p_values = np.asarray(p_values, dtype=np.float64)
    rejected = np.zeros(len(p_values), dtype=bool)
    scored = ~np.isnan(p_values)
    if scored.any():
        rejected[scored] = false_discovery_control(p_values[scored], method="bh") <= float(level)
    return rejected


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

    def _fit_offset(
        self,
        rows: Iterable[tuple[np.ndarray, np.ndarray | None]],
        constant: bool,
        held_out: np.ndarray,
        rows_again: Callable[[], Iterable[tuple[np.ndarray, np.ndarray | None]]],
    ) -> None:
        """Set ``offset_`` from the training rows (model units, chunk by chunk), per ``contamination``, and
        ``calibration_scores_`` (sorted) from the rows held out of training (``held_out``: bool (n_rows,)).

        Both from evenly spaced rows, not all of them (:func:`threshold_rows`, :data:`CALIBRATION_ROWS`):
        a row's score does not depend on the others, so the rows scored get the scores they would
        get in a pass over the file, and a long file costs no more than a quantile's precision needs.
        ``constant``: the rows are all the same. ``rows_again()``: the training rows once more, for
        :meth:`_fit_baselines`.
        """
        self._fit_baselines(rows_again())  # first: the scores count each gap at its column's usual part
        n_rows, n_held = len(held_out), int(held_out.sum())
        step = max(1, math.ceil(n_rows / threshold_rows(self.contamination)))  # type: ignore[attr-defined]  # a mixin
        held_step = max(1, math.ceil(n_held / CALIBRATION_ROWS))
        for_offset = np.arange(n_rows) % step == 0  # (n_rows,)
        for_calibration = held_out & ((np.cumsum(held_out) - 1) % held_step == 0)  # every held_step-th held-out row
        parts, picked, offset_at, calibration_at, trained_at, start = [], [], [], [], [], 0
        for X_model, C in rows:
            at = slice(start, start + len(X_model))
            start += len(X_model)
            pick = for_offset[at] | for_calibration[at]
            if not pick.any():
                continue
            X_pick, C_pick = X_model[pick], None if C is None else C[pick]
            parts.append(self._score_parts(X_pick, C_pick))
            picked.append(X_pick)
            offset_at.append(for_offset[at][pick])
            calibration_at.append(for_calibration[at][pick])
            trained_at.append(~held_out[at][pick])
        if not parts:
            raise InputError("every training row has every entry missing; there is nothing to learn from")
        every_part = np.concatenate(parts)  # (m, n_parts)
        at_offset, at_calibration = np.concatenate(offset_at), np.concatenate(calibration_at)
        self._fit_score_parts(every_part[at_offset & np.concatenate(trained_at)])  # training rows only
        combined = unscored(self, np.concatenate(picked), self._combine_parts(every_part), warn=False)
        calibration_scores = combined[at_calibration]
        self.calibration_scores_ = np.sort(calibration_scores[~np.isnan(calibration_scores)])
        every = combined[at_offset]
        every = every[~np.isnan(every)]  # rows with every entry missing: no evidence either way
        if not len(every):
            raise InputError("every training row has every entry missing; there is nothing to learn from")
        self.offset_ = fit_offset(every, self.contamination, constant=constant)  # type: ignore[attr-defined]  # a mixin, as above

    def _score_parts(self, X_model: np.ndarray, C: np.ndarray | None) -> np.ndarray:
        """(n, n_parts): what ``_scores`` combines (:meth:`_combine_parts`); here the score itself."""
        return np.asarray(self._scores(X_model, C), dtype=np.float64)[:, None]  # type: ignore[attr-defined]  # a mixin, as above

    def _fit_score_parts(self, parts: np.ndarray) -> None:
        """Fit how the parts combine, from training rows' parts (m, n_parts); nothing to fit here."""

    def _combine_parts(self, parts: np.ndarray) -> np.ndarray:
        """The score (n,) of parts (n, n_parts)."""
        return parts[:, 0]

    def _fit_baselines(self, rows: Iterable[tuple[np.ndarray, np.ndarray | None]]) -> None:
        """``feature_baseline_`` (n_terms,) and ``latent_baseline_``: the median over (at most
        :data:`BASELINE_ROWS` of, evenly spaced) the training rows of each feature's :meth:`explain` term (its observed
        entries, for a table) and of the KL: what the reasons of a row are measured from; ``feature_spread_``
        and ``latent_spread_``: how far above the median the :data:`REASON_QUANTILE` lies, how much a
        part usually varies (a part is a reason when it is further above its median than that)."""
        layout = self.codec_.layout()  # type: ignore[attr-defined]  # a mixin, as above
        terms, kls = [], []

        def both(x: Tensor, c: Tensor | None) -> tuple[Tensor, Tensor]:
            posterior = self.model_.encode(x, c)  # type: ignore[attr-defined]  # a mixin, as above
            nll = -self.model_.decode(posterior.mode(), c).log_prob_elements(x)  # type: ignore[attr-defined]
            return nll, posterior.kl()  # one pass: the explain terms and the KL of each row

        step = max(1, math.ceil(self.n_train_ / BASELINE_ROWS))  # type: ignore[attr-defined]  # every step-th row:
        for X_model, C in rows:  # spread over the file, which may be sorted, not its first rows
            X_model = X_model[::step]
            C = None if C is None else C[::step]
            part, kl_part = self._map_batches(both, X_model, C)  # type: ignore[attr-defined]  # a mixin, as above
            part = part.astype(np.float64).reshape(len(X_model), -1)  # (n, n_terms)
            if layout is not None:  # a gap's term is 0 by definition, not a value to take the median of
                part[X_model[:, [column.observed_at for column in layout]] <= 0.5] = np.nan
            terms.append(part)
            kls.append(kl_part.astype(np.float64))
        every, kl = np.concatenate(terms), np.concatenate(kls)
        quantile = np.nanquantile if layout is not None else np.quantile  # gaps (NaN) only in a table; half the time
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a column with no observed entry: its median is NaN
            median, high = quantile(every, [0.5, REASON_QUANTILE], axis=0)
        self.feature_baseline_ = np.nan_to_num(median, nan=0.0)
        self.feature_spread_ = np.nan_to_num(high - median, nan=0.0)
        self.latent_baseline_ = float(np.median(kl))
        self.latent_spread_ = float(np.quantile(kl, REASON_QUANTILE) - self.latent_baseline_)

    def _terms(self, X_model: np.ndarray, C: np.ndarray | None) -> np.ndarray:
        """-log p(x_j | z) at the posterior mean per feature or column, float64 (n, *terms) (0 in a gap)."""

        def terms(x: Tensor, c: Tensor | None) -> Tensor:
            z = self.model_.encode(x, c).mode()  # type: ignore[attr-defined]  # a mixin, as above
            return -self.model_.decode(z, c).log_prob_elements(x)  # type: ignore[attr-defined]  # per feature or column; a mixin, as above

        return self._map_batches(terms, X_model, C).astype(np.float64)  # type: ignore[attr-defined]  # a mixin, as above

    def latent_culprits(self, X: Any, y: Any = None) -> np.ndarray:
        """For a table: how much each column adds to the row's KL, as the drop in KL(q(z|x) || N(0, I)) when
        that column alone is hidden (read as a gap) and the row encoded again.

        When the latent part of a score is what is unusual (a combination of values), the columns whose
        hiding brings the code back toward the usual ones are the combination's members.

        Returns
        -------
        ndarray of float64, shape (n_samples, n_columns)
            Nats; 0 for a column the row is missing. Every entry 0 for a model not fitted on a table.
        """
        X_model = self._check_X(X)  # type: ignore[attr-defined]  # a mixin, as above
        C = self._conditions(y, len(X_model), "latent_culprits")  # type: ignore[attr-defined]  # a mixin, as above
        layout = self.codec_.layout()  # type: ignore[attr-defined]  # a mixin, as above
        if layout is None:
            names: list[str] = self.codec_.names or []  # type: ignore[attr-defined]  # a mixin, as above
            return np.zeros((len(X_model), len(names)))

        def drops(x: Tensor, c: Tensor | None) -> Tensor:
            kl = self.model_.encode(x, c).kl()  # type: ignore[attr-defined]  # (B,); a mixin, as above
            out = []
            for column in layout:
                hidden = x.clone()
                hidden[:, column.in_offset : column.observed_at + 1] = 0.0  # its values and its indicator
                out.append(kl - self.model_.encode(hidden, c).kl())  # type: ignore[attr-defined]  # a mixin, as above
            return torch.stack(out, dim=1)  # (B, n_columns)

        culprits = self._map_batches(drops, X_model, C).astype(np.float64)  # type: ignore[attr-defined]  # a mixin
        culprits[X_model[:, [column.observed_at for column in layout]] <= 0.5] = 0.0
        return culprits

    def decision_function(self, X: Any, y: Any = None) -> np.ndarray:
        """``score_samples(X) - offset_``: negative for the rows :meth:`predict` flags.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
        """
        check_is_fitted(self, "offset_")
        return self.score_samples(X, y) - self.offset_  # type: ignore[attr-defined]  # a mixin, as above

    def p_values(self, X: Any, y: Any = None) -> np.ndarray:
        """Conformal p-values: how usual each row's score is among rows held out of training.

        ``(1 + #{calibration scores <= s(x)}) / (n_calibration + 1)``, with the
        ``score_samples`` of the ``validation_fraction`` of the training rows that fit held
        out (``calibration_scores_``). For a row exchangeable with the training rows (drawn
        from the same distribution) P(p <= a) <= a for every a: a small p-value is evidence
        that the row is not one of them. The smallest possible p-value is
        1 / (n_calibration + 1), so a short table cannot give strong evidence.

        Returns
        -------
        ndarray of float64, shape (n_samples,)
            In (0, 1]; NaN for a row with every entry missing (no score).

        Raises
        ------
        InputError
            The model has no calibration rows (fitted with ``validation_fraction=0``, or saved
            by a version without them).
        """
        check_is_fitted(self, "offset_")
        calibration = getattr(self, "calibration_scores_", None)
        if calibration is None or not len(calibration):
            raise InputError(
                "p-values need training rows held out as calibration: fit with validation_fraction > 0 (the "
                "default 0.1 holds out a tenth), or refit a model saved by an earlier vaekit"
            )
        return conformal_p_values(calibration, self.score_samples(X, y))  # type: ignore[attr-defined]  # a mixin, as above

    def predict(self, X: Any, y: Any = None, *, fdr: float | None = None) -> np.ndarray:
        """+1 for a normal row, -1 for an anomaly, as scikit-learn's detectors.

        Parameters
        ----------
        fdr : float in (0, 1) or None
            None: flag the rows with ``decision_function < 0`` (the ``contamination``
            threshold). A level q: flag the rows the Benjamini-Hochberg procedure rejects
            at q over the conformal :meth:`p_values` of the rows of X; if the normal rows of
            X are exchangeable with the training rows, the expected share of normal rows
            among the flagged ones is at most q (the false discovery rate). The flags then
            depend on the other rows in X, as BH's do.

        Returns
        -------
        ndarray of int, shape (n_samples,)
            A row with every entry missing has no score and is left +1 (see :func:`unscored`).
        """
        if fdr is None:
            return np.where(self.decision_function(X, y) < 0.0, -1, 1)
        return np.where(benjamini_hochberg(self.p_values(X, y), fdr), -1, 1)

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X, y).predict(X)``: flags for the training rows themselves, shape (n_samples,)."""
        self.fit(X, y)  # type: ignore[attr-defined]  # a mixin, as above
        return self.predict(X, y if self.conditional else None)  # type: ignore[attr-defined]  # a mixin, as above

    def explain(self, X: Any, y: Any = None, *, relative: bool = True) -> Any:
        """Each feature's part in a row's score: why a row scores low.

        ``-log p(x_j | z)`` at z = the posterior mean (the code, for a plain autoencoder),
        in nats, per feature of an array or image (a per-pixel error map) and per column
        of a mixed table, in the model's units (standardized columns), so that columns
        measured in grams and in metres compare.

        Parameters
        ----------
        relative : bool, default=True
            True: less the feature's usual term, its median over the training rows
            (``feature_baseline_``), so that a wide or noisy column, which always costs
            many nats, is not the reason for every row, and a column at its usual value
            (a constant one above all) gets about 0. Positive = more than usual: a reason.
            A gap is 0 either way. False: the terms themselves, which sum to the row's
            reconstruction term less the preprocessing's log-Jacobian.

        Returns
        -------
        ndarray of float64, shape (n_samples, *input_shape_); or, for a model
        fitted on a DataFrame, a DataFrame with its columns and the input's index
        """
        X_model = self._check_X(X)  # type: ignore[attr-defined]  # a mixin, as above
        C = self._conditions(y, len(X_model), "explain")  # type: ignore[attr-defined]  # a mixin, as above
        nll = self._terms(X_model, C)
        baseline = getattr(self, "feature_baseline_", None)  # None: saved by an earlier vaekit
        if relative and baseline is not None:
            flat = nll.reshape(len(nll), -1)
            flat -= baseline
            layout = self.codec_.layout()  # type: ignore[attr-defined]  # a mixin, as above
            if layout is not None:
                flat[X_model[:, [column.observed_at for column in layout]] <= 0.5] = 0.0
        names = self.codec_.names  # type: ignore[attr-defined]  # a mixin, as above
        if isinstance(X, pd.DataFrame) and names is not None and nll.ndim == 2:
            return pd.DataFrame(nll, columns=names, index=X.index)
        return nll
