"""The seed tutorial's VAE (6 inputs, Dense 5-5-4 with ReLU, 2-D latent) on latent-factors.

What is measured here is what holds today: after a short run the tutorial's tiny
network carries information on both hidden factors. Recovering both fully with this
exact architecture is an open problem: trained to convergence it tends to spend its
second latent dimension on the first factor (see the closing note of issue 2). The
k-NN R^2 figures beside PCA's are printed by ``python -m vaekit.demo``.
"""

import numpy as np

from vaekit import VAE, datasets
from vaekit.demo import TUTORIAL_PARAMS
from vaekit.evaluation import factor_recovery_r2


def test_tutorial_vae_learns_the_hidden_factors_without_labels() -> None:
    X, factors = datasets.load("latent-factors")
    params = {**TUTORIAL_PARAMS, "epochs": 60, "kl_warmup_epochs": 10, "n_init": 1}
    vae = VAE(random_state=1, verbose=0, **params).fit(X)
    assert [m.out_features for m in vae.model_.encoder.modules() if hasattr(m, "out_features")] == [5, 5, 4, 4]
    r2 = factor_recovery_r2(vae.transform(X), factors)
    assert r2.shape == (2,)
    # A code that knew nothing would score about 0 on both factors.
    assert r2.mean() > 0.4 and r2.min() > 0.3, r2


def test_factor_recovery_r2_scores_truth_high_and_noise_low() -> None:
    rng = np.random.default_rng(0)
    factors = rng.uniform(-1, 1, size=(500, 2))
    assert (factor_recovery_r2(factors, factors) > 0.98).all()
    assert (factor_recovery_r2(rng.normal(size=(500, 2)), factors) < 0.05).all()
    bent = np.column_stack([np.sin(1.2 * factors[:, 0]), np.tanh(factors[:, 1])])  # monotone in each factor
    assert (factor_recovery_r2(bent, factors) > 0.95).all()
