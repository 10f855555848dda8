"""Measurements of a fitted model against known truth and against PCA.

* :func:`factor_recovery_r2` -- how well a code predicts known hidden factors:
  cross-validated R^2 of a k-nearest-neighbour regression from the code to each
  factor. k-NN does not care how the code is rotated, bent or scaled, only whether
  nearby codes have nearby factors, so it asks "is the factor in the code?".
* :func:`pca_reconstruction_error` -- the linear baseline at the same latent size,
  measured the same way as the model's reconstruction error.
* :func:`evaluate_model` -- ELBO, reconstruction and KL in nats, and squared error,
  of a fitted estimator on some data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neighbors import KNeighborsRegressor

if TYPE_CHECKING:
    from vaekit.estimators import _BaseAutoEncoder


def factor_recovery_r2(
    codes: np.ndarray, factors: np.ndarray, n_neighbors: int = 10, cv: int = 5
) -> np.ndarray:
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
            cross_val_score(
                KNeighborsRegressor(n_neighbors), codes, factors[:, j], cv=folds, scoring="r2"
            ).mean()
            for j in range(factors.shape[1])
        ]
    )


def pca_reconstruction_error(
    X_train: np.ndarray, X_test: np.ndarray, n_components: int
) -> np.ndarray:
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
    train = X_train.reshape(len(X_train), -1).astype(np.float64)
    test = X_test.reshape(len(X_test), -1).astype(np.float64)
    pca = PCA(n_components=n_components, random_state=0).fit(train)
    reconstructed = pca.inverse_transform(pca.transform(test))
    return ((test - reconstructed) ** 2).sum(axis=1)


def reconstruction_error(X: np.ndarray, X_hat: np.ndarray) -> np.ndarray:
    """Sum over features of (x - x_hat)^2 per sample; shapes (n, *sample_shape) -> (n,)."""
    diff = X.reshape(len(X), -1).astype(np.float64) - X_hat.reshape(len(X_hat), -1)
    return (diff**2).sum(axis=1)


def evaluate_model(
    estimator: _BaseAutoEncoder, X: Any, n_samples: int = 1, random_state: int = 0
) -> dict[str, Any]:
    """Means over X of what a fitted model achieves, per sample unless said.

    Parameters
    ----------
    estimator : a fitted AutoEncoder or VAE
    X : array-like of shape (n, *estimator.input_shape_)
    n_samples : int, default=1
        Posterior draws per sample for the reconstruction term (VAEs).
    random_state : int, default=0

    Returns
    -------
    dict with
        ``n``; ``elbo`` (nats; None for a plain autoencoder, which has no bound);
        ``reconstruction`` (-log p(x|z), nats) and ``kl`` (nats, 0 for an
        autoencoder); ``squared_error`` (sum over features of (x - x_hat)^2, with
        x_hat the decoded posterior mean, in the data's units) and ``mse`` (the same
        per element); ``likelihood``.
    """
    from vaekit.data.validation import check_array

    reconstruction, kl = estimator.loss_terms(X, n_samples, random_state)  # (n,), (n,)
    data = check_array(X)
    squared = reconstruction_error(data, estimator.reconstruct(data))  # (n,)
    variational = estimator._model_family != "ae"
    return {
        "n": len(data),
        "elbo": float(-(reconstruction + kl).mean()) if variational else None,
        "reconstruction": float(reconstruction.mean()),
        "kl": float(kl.mean()),
        "squared_error": float(squared.mean()),
        "mse": float(squared.mean() / estimator.n_features_in_),
        "likelihood": estimator.likelihood_,
    }
