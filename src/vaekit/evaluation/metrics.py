"""Measurements of a fitted model against known truth and against PCA.

* :func:`factor_recovery_r2` -- how well a code predicts known hidden factors:
  cross-validated R^2 of a k-nearest-neighbour regression from the code to each
  factor. k-NN does not care how the code is rotated, bent or scaled, only whether
  nearby codes have nearby factors, so it asks "is the factor in the code?".
* :func:`pca_reconstruction_error` -- the linear baseline at the same latent size,
  measured the same way as the model's reconstruction error.
* :func:`pca_baseline` -- the same, as the summary figures a run reports, with
  whether PCA reconstructs the rows exactly (``exact``, see :data:`PCA_EXACT_TOLERANCE`),
  when a ratio to its error says nothing.
* :func:`evaluate_model` -- ELBO, reconstruction and KL in nats, squared error, and
  for VAEs the active units and, on request, the importance-sampled log-likelihood,
  of a fitted estimator on some data.

The likelihood tools (:func:`log_likelihood`, :func:`bits_per_dim`,
:func:`active_units`) live in :mod:`vaekit.evaluation.likelihood`, and :func:`reconstruction_error`
in :mod:`vaekit.evaluation.errors` (without torch, for ``vaekit reconstruct``); all are re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neighbors import KNeighborsRegressor

from vaekit.data.preprocessing import Scaling
from vaekit.estimators._params import check_positive_int
from vaekit.estimators.findings import emit, evaluation_findings
from vaekit.evaluation.errors import reconstruction_error
from vaekit.evaluation.likelihood import active_units, bits_per_dim, log_likelihood
from vaekit.evaluation.result import Evaluation

if TYPE_CHECKING:
    from vaekit.estimators import BaseAutoEncoder


def factor_recovery_r2(codes: np.ndarray, factors: np.ndarray, n_neighbors: int = 10, cv: int = 5) -> np.ndarray:
    """Cross-validated R^2 of k-NN regression from ``codes`` to each true factor.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, latent_dim)
    factors : ndarray of shape (n_samples, n_factors)
    n_neighbors : int
    cv : int
        Folds, shuffled with a fixed seed.

    Returns
    -------
    ndarray of shape (n_factors,)
        1 means the factor is a function of the code; 0 or below means it is absent.
    """
    codes = np.asarray(codes, dtype=np.float64)
    factors = np.asarray(factors, dtype=np.float64).reshape(len(codes), -1)
    folds = KFold(cv, shuffle=True, random_state=0)
    return np.array(
        [
            cross_val_score(KNeighborsRegressor(n_neighbors), codes, factors[:, j], cv=folds, scoring="r2").mean()
            for j in range(factors.shape[1])
        ]
    )


PCA_EXACT_TOLERANCE = 1e-9
"""PCA "reconstructs the rows exactly" when its squared error is at most this fraction of
the rows' squared distance to the training mean (the error of PCA with 0 components),
both in the model's units: a residual of at most 3e-5 of the data's spread. That is far
above float64 round-off of an exact fit (about 1e-30 of it) and far below anything a
network trained in float32 reaches (float32 alone rounds each value by up to 6e-8 of
it, and training is much coarser), so a ratio to PCA's error would only measure
round-off. It happens when there are no more columns than components, or the training
rows vary along no more directions than that (one row, constant columns)."""


def _fit_pca(train: np.ndarray, n_components: int) -> PCA:
    """PCA with ``n_components`` fitted on ``train`` (n, d), in float64.

    Rows without variance (one row, constant columns) make scikit-learn divide 0 by 0
    for the explained variances; those are not used here, so numpy's warning is muted.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return PCA(n_components=n_components, random_state=0).fit(train.astype(np.float64))


def _pca_reconstruct(train: np.ndarray, test: np.ndarray, n_components: int) -> np.ndarray:
    """PCA fitted on ``train`` (n, d) applied to ``test`` (m, d): the reconstructions, (m, d) float64."""
    pca = _fit_pca(train, n_components)
    return pca.inverse_transform(pca.transform(test.astype(np.float64)))


def _directions(pca: PCA) -> int:
    """In how many of its components the training rows of a fitted PCA vary (beyond round-off)."""
    variances = np.nan_to_num(np.asarray(pca.explained_variance_, dtype=np.float64), posinf=0.0)  # (k,)
    total = variances.sum()  # all the variance there is, when PCA is exact
    return int((variances > PCA_EXACT_TOLERANCE * total).sum()) if total > 0 else 0


def pca_reconstruction_error(X_train: np.ndarray, X_test: np.ndarray, n_components: int) -> np.ndarray:
    """Squared reconstruction error per test sample of PCA fitted on ``X_train``.

    Parameters
    ----------
    X_train : ndarray of shape (n_train, *sample_shape)
    X_test : ndarray of shape (n_test, *sample_shape)
    n_components : int

    Returns
    -------
    ndarray of shape (n_test,)
        Sum over features of (x - x_hat)^2, in the data's units.
    """
    test = X_test.reshape(len(X_test), -1).astype(np.float64)
    return reconstruction_error(test, _pca_reconstruct(X_train.reshape(len(X_train), -1), test, n_components))


def pca_baseline(
    X_train: np.ndarray, X_test: np.ndarray, n_components: int, scaling: Scaling | None = None
) -> dict[str, Any]:
    """PCA on the same footing as a model: fitted on ``X_train`` in the model's units,
    scored on ``X_test`` as :func:`evaluate_model` scores the model.

    Parameters
    ----------
    X_train, X_test, n_components
        As :func:`pca_reconstruction_error`.
    scaling : Scaling or None
        The model's preprocessing (``estimator.scaling_``): PCA is fitted on the data
        as the model sees it (standardized columns for a table under a Gaussian
        likelihood), so both are compared like for like. None: the data as given.

    Returns
    -------
    dict with
        ``n_components``; ``squared_error`` (mean over test samples of the sum over
        features of (x - x_hat)^2, in the data's units) and ``mse`` (the same per
        element); ``squared_error_scaled`` and ``mse_scaled``, the same in the
        model's units; ``units``, what those units are; ``n_features``; ``exact``,
        whether PCA reconstructs these rows exactly (its error in the model's units
        at most :data:`PCA_EXACT_TOLERANCE` of their squared distance to the
        training mean), so that a ratio to its error says nothing; and
        ``directions``, along how many of its components the training rows vary.
    """
    scale = scaling.transform if scaling is not None else (lambda X: X)
    n = len(X_test)
    test = scale(X_test).reshape(n, -1).astype(np.float64)  # (n, d), model units
    pca = _fit_pca(scale(X_train).reshape(len(X_train), -1), n_components)
    reconstructed = pca.inverse_transform(pca.transform(test))  # (n, d)
    raw = reconstructed if scaling is None else scaling.inverse_transform(reconstructed.reshape(X_test.shape))
    squared = reconstruction_error(X_test, np.asarray(raw))  # (n,), the data's units
    squared_scaled = reconstruction_error(test, reconstructed)  # (n,), model units
    spread = float(((test - pca.mean_) ** 2).sum(axis=1).mean())  # PCA with 0 components, model units
    n_features = int(np.prod(np.shape(X_test)[1:]))
    return {
        "n_components": int(n_components),
        "squared_error": float(squared.mean()),
        "mse": float(squared.mean() / n_features),
        "squared_error_scaled": float(squared_scaled.mean()),
        "mse_scaled": float(squared_scaled.mean() / n_features),
        "units": units(scaling),
        "n_features": n_features,
        "exact": bool(squared_scaled.mean() <= PCA_EXACT_TOLERANCE * spread),
        "directions": _directions(pca),
    }


def pca_exact_note(pca: dict[str, Any]) -> str:
    """Why PCA's error is no yardstick, for a :func:`pca_baseline` result with ``exact``:
    "PCA with 2 components reconstructs these rows exactly (2 components for 2 columns), ..."."""
    k, d = pca["n_components"], pca.get("n_features")
    if d is not None and k >= d:
        why = f"{_count(k, 'component')} for {_count(d, 'column')}"
    else:
        directions = pca.get("directions", k)
        why = (
            "the training rows do not vary"
            if not directions
            else f"the training rows vary along only {_count(directions, 'direction')}"
        )
    return (
        f"PCA with {_count(k, 'component')} reconstructs these rows exactly ({why}), so comparing with it says nothing"
    )


def _count(n: int, noun: str) -> str:
    """ "1 component", "2 components"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def units(scaling: Scaling | None) -> str:
    """What a model's units are, for labels: "standardized columns" or "the data's units"."""
    return "standardized columns" if scaling is not None and scaling.kind == "standardize" else "the data's units"


def column_r2(X: np.ndarray, X_hat: np.ndarray) -> np.ndarray:
    """R^2 of each column's reconstruction: 1 - sum (x - x_hat)^2 / sum (x - mean x)^2.

    1 is perfect; 0 is no better than predicting the column's mean; below 0 is worse.

    Parameters
    ----------
    X, X_hat : ndarray of shape (n_samples, n_features)

    Returns
    -------
    ndarray of float64, shape (n_features,)
        NaN for a column that is constant in X.
    """
    X = np.asarray(X, dtype=np.float64)
    residual = ((X - X_hat) ** 2).sum(axis=0)  # (n_features,)
    total = ((X - X.mean(axis=0)) ** 2).sum(axis=0)  # (n_features,)
    return np.divide(total - residual, total, out=np.full(X.shape[1], np.nan), where=total > 0)


def evaluate_model(
    estimator: BaseAutoEncoder,
    X: Any,
    n_samples: int = 1,
    random_state: int = 0,
    *,
    log_likelihood_samples: int | None = None,
    y: Any = None,
    pca: bool = True,
) -> Evaluation:
    """Means over X of what a fitted model achieves, per sample unless said.

    Parameters
    ----------
    estimator : a fitted AutoEncoder or VAE
    X : array-like of shape (n, *estimator.input_shape_)
    n_samples : int, default=1
        Posterior draws per sample for the reconstruction term (VAEs).
    random_state : int, default=0
    y : array-like of shape (n,) or None
        The labels of X, for a conditional model (whose encoder sees them); its
        figures are then those of p(x | y).
    log_likelihood_samples : int or None, default=None
        When given, also estimate log p(x) of a VAE by importance sampling with this
        many draws per sample (:func:`log_likelihood`; 1000 is the usual figure, and
        costs about K decoder passes over X).

    Returns
    -------
    Evaluation (a dict of these entries, also read as attributes: :class:`~vaekit.evaluation.result.Evaluation`) with
        ``n``; ``elbo`` (nats; None for a plain autoencoder, which has no bound);
        ``reconstruction`` (-log p(x|z), nats) and ``kl`` (nats, 0 for an
        autoencoder); ``squared_error`` (sum over features of (x - x_hat)^2, with
        x_hat the decoded posterior mean, in the data's units) and ``mse`` (the same
        per element); ``squared_error_scaled`` and ``mse_scaled``, the same in the
        model's units (standardized columns for a table under a Gaussian
        likelihood: comparable across columns of any scale), named in ``units``;
        ``column_r2`` for a table (R^2 of each column's reconstruction, in the
        training columns' order, see :func:`column_r2`; None for images); ``likelihood``; ``active_units`` (number of latent dimensions
        whose posterior mean varies over X by more than 0.01, see
        :func:`active_units`; None for an autoencoder).

        With ``log_likelihood_samples`` also: ``log_likelihood`` (mean importance-
        sampled log p(x), nats, in X's units; >= ``elbo`` up to Monte-Carlo noise),
        ``log_likelihood_samples`` (the K used) and ``bits_per_dim``
        (:func:`bits_per_dim` of -log_likelihood over ``n_features_in_``
        dimensions: a continuous-density figure, not the 256-level bits/dim of
        image models). The three are None for an autoencoder. For the ELBO in
        bits per dimension, use ``bits_per_dim(-result["elbo"], n_features_in_)``.

        With ``pca`` (the default), ``pca_in_sample``: PCA with as many components as latent dimensions, fitted
        and scored on X itself (:func:`pca_baseline`; in-sample, so flattering to
        PCA). Whatever the model adds about itself (:meth:`diagnostics`: a VQ-VAE's
        ``codebook`` usage) is merged in.
    """
    if log_likelihood_samples is not None:
        log_likelihood_samples = check_positive_int("log_likelihood_samples", log_likelihood_samples)
    reconstruction, kl = estimator.loss_terms(X, y, n_samples=n_samples, random_state=random_state)  # (n,), (n,)
    variational = estimator.variational
    result = Evaluation(
        n=len(reconstruction),
        elbo=float(-(reconstruction + kl).mean()) if variational else None,
        reconstruction=float(reconstruction.mean()),
        kl=float(kl.mean()),
        likelihood=estimator.likelihood_,
        active_units=active_units(estimator, X, y=y)[0] if variational else None,
    )
    if estimator.codec_.tabular:  # per-column measures: categories have no squared error, nor PCA
        result.update(_table_measures(estimator, X, y, log_likelihood_samples))
    else:
        result.update(_array_measures(estimator, X, y, log_likelihood_samples, random_state, pca))
    result.update(estimator.diagnostics(X, y))
    emit(evaluation_findings(estimator, result))  # collapse, columns worse than their mean, PCA ...
    return result


def _array_measures(
    estimator: Any, X: Any, y: Any, samples: int | None, random_state: int, pca: bool
) -> dict[str, Any]:
    """:func:`evaluate_model`'s squared errors, column R^2, log-likelihood and PCA for arrays and images."""
    data = estimator.validate_input(X)  # (n, *input_shape_), in the training columns' order
    X_hat = estimator.reconstruct(X, y)  # (n, *input_shape_)
    squared = reconstruction_error(data, X_hat)  # (n,)
    scaling = estimator.codec_.scaling
    scaled, scaled_hat = scaling.transform(data), scaling.transform(X_hat)
    squared_scaled = reconstruction_error(scaled, scaled_hat)  # (n,), model units
    n_features = estimator.n_features_in_
    result: dict[str, Any] = {
        "squared_error": float(squared.mean()),
        "mse": float(squared.mean() / n_features),
        "squared_error_scaled": float(squared_scaled.mean()),
        "mse_scaled": float(squared_scaled.mean() / n_features),
        "units": units(scaling),
        "column_r2": None
        if data.ndim != 2
        else [None if np.isnan(r) else float(r) for r in column_r2(scaled, scaled_hat)],
    }
    if samples is not None:
        mean_log_p = None
        if estimator.variational:
            mean_log_p = float(log_likelihood(estimator, X, samples, random_state=random_state, y=y).mean())
        result["log_likelihood"] = mean_log_p
        result["log_likelihood_samples"] = samples
        result["bits_per_dim"] = None if mean_log_p is None else bits_per_dim(-mean_log_p, n_features)
    if pca:
        n_components = min(estimator.latent_dim_, n_features, len(data))
        result["pca_in_sample"] = pca_baseline(data, data, n_components, scaling)
    return result


def _table_measures(estimator: Any, X: Any, y: Any, samples: int | None) -> dict[str, Any]:
    """:func:`evaluate_model`'s per-column measures for a table (:func:`~vaekit.evaluation.table_metrics.table_reconstruction`)."""
    from vaekit.evaluation.table_metrics import table_reconstruction

    table = table_reconstruction(estimator, X, y)
    result: dict[str, Any] = {
        "units": "per column: numbers in standard deviations, categories as the share right",
        "column_r2": [c.get("r2") for c in table["columns"]],
        "table": table,
    }
    if samples is not None:
        result["log_likelihood_samples"] = samples
    return result


__all__ = [
    "active_units",
    "bits_per_dim",
    "column_r2",
    "evaluate_model",
    "factor_recovery_r2",
    "log_likelihood",
    "pca_baseline",
    "pca_exact_note",
    "pca_reconstruction_error",
    "reconstruction_error",
]
