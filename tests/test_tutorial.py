"""The seed tutorial's claim: its VAE (6 inputs, Dense 5-5-4 with ReLU, 2-D latent)
finds the hidden factors of ``latent-factors`` without labels, better than PCA.

The full measurement over seeds, with the demo's settings, is
``benchmarks/tutorial_factors.py``; this test is a shorter run of one seed.
"""

import numpy as np
from sklearn.decomposition import PCA

from vaekit import VAE, datasets
from vaekit.demo import TUTORIAL_PARAMS
from vaekit.evaluation.metrics import factor_recovery_r2


def test_tutorial_vae_recovers_both_factors_better_than_pca() -> None:
    X, factors = datasets.load("latent-factors")
    params = {**TUTORIAL_PARAMS, "epochs": 60, "kl_warmup_epochs": 10, "n_init": 1}
    vae = VAE(random_state=0, verbose=0, **params).fit(X)
    widths = [m.out_features for m in vae.model_.encoder.modules() if hasattr(m, "out_features")]
    assert widths == [5, 5, 4, 4]  # Dense 5-5-4, then mean and log-variance of a 2-D latent
    vae_r2 = factor_recovery_r2(vae.transform(X), factors)
    pca_r2 = factor_recovery_r2(PCA(2).fit_transform(vae.scaling_.transform(X)), factors)
    assert vae_r2[0] > 0.95 and vae_r2[1] > 0.5, vae_r2
    assert pca_r2[1] < 0.2, pca_r2  # PCA's two components miss the second factor
    assert vae_r2.mean() > pca_r2.mean() + 0.2


def test_factor_recovery_r2_scores_truth_high_and_noise_low() -> None:
    rng = np.random.default_rng(0)
    factors = rng.uniform(-1, 1, size=(500, 2))
    assert (factor_recovery_r2(factors, factors) > 0.98).all()
    assert (factor_recovery_r2(rng.normal(size=(500, 2)), factors) < 0.05).all()
    bent = np.column_stack([np.sin(1.2 * factors[:, 0]), np.tanh(factors[:, 1])])  # monotone in each factor
    assert (factor_recovery_r2(bent, factors) > 0.95).all()
