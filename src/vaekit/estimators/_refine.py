"""A random forest beside the VAE's imputation, blended per column by out-of-sample error.

The table VAE's conditional of one column given the others is smooth: a crisp rule such as
"8 cylinders, so made in the USA" is blurred by the decoder, where a tree finds it in one
split (``benchmarks/impute_study.py``: on cars the VAE imputed Origin right 0.65 of the time, a
random forest on the same columns 0.80). Neither wins on every column, so each column with
gaps gets both, weighed by how each does on that column's observed entries:

1. the VAE fills every gap (:func:`~vaekit.estimators._table._weighted_point`);
2. for column j, a random forest is fitted on the rows where j is observed, its features the
   other columns as filled in step 1 (target space: standardized numbers, level indices) and a
   conditional model's conditions;
   its out-of-bag predictions are honest ones for those rows;
3. the VAE predicts the same rows with column j hidden (fewer importance draws: a check,
   not the answer);
4. the forest's weight w in ``WEIGHTS`` is the one whose blend ``(1 - w) * vae + w * forest``
   has the lowest squared error on those rows (numbers; level probabilities for categories: the
   Brier score), and the gaps of j get that blend: the number, or the most probable level
   (for a few-valued number, the level nearest the blend's expected value).

A column with fewer than ``MIN_ROWS`` observed entries, or one level only, keeps the VAE's
values (w = 0). Everything is seeded by the imputation's ``random_state``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Predict = Callable[[np.ndarray, np.ndarray | None, int], tuple[np.ndarray, np.ndarray]]
"""The VAE's imputation of rows in model units (n, n_encoded), given their conditions and the number
of importance draws: the points (n, n_columns) and level probabilities (n, n_levels)."""

WEIGHTS = np.linspace(0.0, 1.0, 11)
"""The forest's weights tried per column (0: the VAE alone, 1: the forest alone)."""

MIN_ROWS = 20
"""Observed entries a column needs before a forest is fitted for it."""

MAX_ROWS = 1000
"""Observed entries a column's forest is fitted on at most (evenly spaced rows beyond that). A table of 5,000
rows and 40 columns with gaps took 18 s of forests at 1,000 (2,000: 30 s, 500: 13 s; the VAE alone 3 s), with
RMSE 0.229, 0.224, 0.233 and accuracy 0.916 either way (VAE alone 0.247, 0.910): the cost is about linear in
the rows and in the columns with gaps, times the columns."""

CHECK_ROWS = 500
"""Observed entries at most on which the VAE's own prediction of the column is checked."""

CHECK_SAMPLES = 100
"""Importance draws per row in that check."""

TREES = 100
"""Trees per forest. 50 lost category accuracy in ``benchmarks/impute_study.py`` (seeds 0-1: 0.818 -> 0.810 on the
shared tables, 0.676 -> 0.672 on the held-out ones)."""


def _spaced(rows: np.ndarray, at_most: int) -> np.ndarray:
    """At most ``at_most`` evenly spaced entries of ``rows`` (all of them if fewer)."""
    if len(rows) <= at_most:
        return rows
    return rows[np.linspace(0, len(rows) - 1, at_most).round().astype(np.intp)]


def _forest(kind: str, seed: int) -> Any:
    """A random forest with out-of-bag predictions: a classifier for ``kind`` "levels", else a regressor
    (a third of the features per split, as Breiman's default for regression)."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    common = {"n_estimators": TREES, "oob_score": True, "random_state": seed, "n_jobs": 1}
    if kind == "levels":
        return RandomForestClassifier(**common)
    return RandomForestRegressor(max_features=1 / 3, **common)


def _class_probs(forest: Any, probs: np.ndarray, n_levels: int) -> np.ndarray:
    """(n, n_levels): ``probs`` over ``forest.classes_`` (level indices) spread to every level."""
    out = np.zeros((len(probs), n_levels))
    out[:, forest.classes_.astype(np.intp)] = probs
    return out


def _best_weight(vae: np.ndarray, forest: np.ndarray, truth: np.ndarray) -> float:
    """The weight in WEIGHTS whose blend of ``vae`` and ``forest`` (n,) or (n, K) is nearest ``truth``
    (same shape) in mean squared error; ties go to the VAE (the smaller weight)."""
    errors = [float(np.mean(((1.0 - w) * vae + w * forest - truth) ** 2)) for w in WEIGHTS]
    return round(float(WEIGHTS[int(np.argmin(np.round(errors, 12)))]), 2)


def refine(
    estimator: Any,
    X_model: np.ndarray,
    C: np.ndarray | None,
    values: np.ndarray,
    levels: np.ndarray,
    blocks: dict[int, slice],
    predict: Predict,
    seed: int,
) -> tuple[np.ndarray, dict[str, float]]:
    """The VAE's imputation ``values`` with each gap's column blended with a random forest.

    Parameters
    ----------
    estimator : a fitted estimator with ``table_`` (a TableEncoder) and ``model_``
    X_model : ndarray of shape (n, n_encoded)
        The rows as the model reads them (the observed flags say which entries are gaps).
    C : ndarray of shape (n, n_conditions) or None
        A conditional model's conditions.
    values : ndarray of shape (n, n_columns)
        The VAE's imputation in target space (every entry; only the gaps are used).
    levels : ndarray of shape (n, n_levels)
        The VAE's level probabilities of the yes/no and categorical columns, side by side.
    blocks : dict
        Column -> its slice of ``levels`` (:func:`~vaekit.estimators._table.level_blocks`).
    predict : callable
        The VAE's imputation of other rows (:data:`Predict`): the check of step 3.
    seed : int

    Returns
    -------
    values : ndarray of shape (n, n_columns)
        ``values`` with the gaps of the refined columns replaced.
    weights : dict
        Column name -> the forest's weight there, for each column with a gap.
    """
    table = estimator.table_
    truth, observed = table.targets(X_model)  # (n, n_columns) each
    filled = np.where(observed, truth, values)  # the VAE's completion: the forests' features
    layouts = table.layout()
    out = values.copy()
    weights: dict[str, float] = {}
    for j, spec in enumerate(table.columns):
        gaps = np.flatnonzero(~observed[:, j])
        if not len(gaps):
            continue
        weights[spec.name] = 0.0
        seen = _spaced(np.flatnonzero(observed[:, j]), MAX_ROWS)
        target = filled[seen, j]  # observed there: the entries as given
        if len(seen) < MIN_ROWS or len(np.unique(target)) < 2 or filled.shape[1] < 2:
            continue
        features = np.delete(filled, j, axis=1)
        if C is not None:  # a conditional model's conditions are the forest's features too
            features = np.hstack([features, np.asarray(C, dtype=np.float64).reshape(len(C), -1)])
        layout = layouts[j]
        kind = "levels" if j in blocks else "number"
        forest = _forest(kind, seed).fit(features[seen], target.astype(np.intp) if kind == "levels" else target)
        check = _spaced(np.arange(len(seen)), CHECK_ROWS)
        hidden = X_model[seen[check]].copy()  # the checked rows with column j hidden from the VAE
        hidden[:, layout.in_offset : layout.observed_at + 1] = 0.0
        vae_point, vae_levels = predict(hidden, None if C is None else C[seen[check]], CHECK_SAMPLES)
        if kind == "levels":
            n_levels = blocks[j].stop - blocks[j].start
            oob = np.nan_to_num(_class_probs(forest, forest.oob_decision_function_, n_levels)[check])
            onehot = np.eye(n_levels)[target[check].astype(np.intp)]
            w = _best_weight(vae_levels[:, blocks[j]], oob, onehot)
            if w > 0:
                blend = (1.0 - w) * levels[gaps, blocks[j]] + w * _class_probs(
                    forest, forest.predict_proba(features[gaps]), n_levels
                )
                out[gaps, j] = _decide(spec, blend)
        else:
            oob = forest.oob_prediction_[check]
            usable = np.isfinite(oob)
            w = _best_weight(vae_point[usable, j], oob[usable], target[check][usable])
            if w > 0:
                out[gaps, j] = (1.0 - w) * values[gaps, j] + w * forest.predict(features[gaps])
                if layout.kind == "count":
                    out[gaps, j] = np.round(out[gaps, j])
        weights[spec.name] = w
    return out, weights


def _decide(spec: Any, probs: np.ndarray) -> np.ndarray:
    """The imputed level index of each row's level probabilities ``probs`` (n, K): the most probable,
    or for a few-valued number (``spec.ordered``) the level nearest the expected value."""
    if getattr(spec, "ordered", False):
        values = np.asarray(spec.categories, dtype=np.float64)
        expected = probs @ values
        return np.abs(expected[:, None] - values).argmin(axis=1).astype(np.float64)
    return probs.argmax(axis=1).astype(np.float64)
