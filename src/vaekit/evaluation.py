"""Measurements of a fitted model against known truth and against PCA.

* :func:`factor_recovery_r2` -- how well a code predicts known hidden factors:
  cross-validated R^2 of a k-nearest-neighbour regression from the code to each
  factor. k-NN does not care how the code is rotated, bent or scaled, only whether
  nearby codes have nearby factors, so it asks "is the factor in the code?".
* :func:`pca_reconstruction_error` -- the linear baseline at the same latent size,
  measured the same way as the model's reconstruction error.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neighbors import KNeighborsRegressor


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
