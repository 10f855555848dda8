"""Restarts trained as one vectorized ensemble equal restarts trained one after another."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import vaekit.estimators._restarts as base
import vaekit.training.ensemble as ensemble
from vaekit import IWAE, VAE, AutoEncoder, DenoisingAutoEncoder
from vaekit import ConditionalVAE as CVAE
from vaekit.distributions import MemberGenerators, draw
from vaekit.estimators.btcvae import BetaTCVAE
from vaekit.estimators.detector import OutlierDetector

rng = np.random.default_rng(0)
X = rng.normal(size=(150, 6)).astype(np.float32)
X[:, 3] = X[:, 0] + 0.1 * X[:, 1]
Y = rng.integers(0, 3, size=150)
# a unit-variance Gaussian: a learned decoder variance is a parameter outside the MLPs, not stacked
SMALL = {
    "latent_dim": 2,
    "hidden": (8, 4),
    "epochs": 8,
    "batch_size": 32,
    "n_init": 3,
    "likelihood": "gaussian",
    "random_state": 0,
    "verbose": 0,
}


def _fit(estimator: type, params: dict[str, Any], together: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(ensemble, "ENABLED", together)
    calls = {"together": 0}
    real = base.train_together

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls["together"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(base, "train_together", spy)
    model = estimator(**{**SMALL, **params}).fit(X, Y if estimator is CVAE else None)
    assert calls["together"] == int(together)  # the ensemble did the training, or was never asked
    return model


@pytest.mark.parametrize(
    ("estimator", "params"),
    [
        (VAE, {"patience": 1, "epochs": 12}),  # members stop early at different epochs
        (VAE, {"kl_warmup_epochs": 3, "lr_schedule": "cosine", "grad_clip": 0.5, "validation_fraction": 0.0}),
        (AutoEncoder, {"patience": None}),
        (DenoisingAutoEncoder, {"corruption": "mask", "noise_level": 0.3}),
        (CVAE, {}),
    ],
)
def test_restarts_together_equal_restarts_one_after_another(
    estimator: type, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    together = _fit(estimator, params, True, monkeypatch)
    alone = _fit(estimator, params, False, monkeypatch)
    np.testing.assert_allclose(together.init_losses_, alone.init_losses_, rtol=1e-4)
    assert together.n_epochs_ == alone.n_epochs_ and together.best_epoch_ == alone.best_epoch_
    for key in ("train_loss", "val_loss", "beta", "lr"):
        np.testing.assert_allclose(together.history_[key], alone.history_[key], rtol=1e-4, atol=1e-6)
    for name, value in alone.model_.state_dict().items():
        torch.testing.assert_close(together.model_.state_dict()[name], value, rtol=1e-3, atol=1e-4)
    labels = Y[:20] if estimator is CVAE else None
    np.testing.assert_allclose(
        together.transform(X[:20], labels), alone.transform(X[:20], labels), rtol=1e-3, atol=1e-4
    )


def test_members_keep_their_own_initialization_and_noise() -> None:
    """Stacked, each member computes exactly its own model on its own block of rows."""
    models = []
    for seed in range(3):
        torch.manual_seed(seed)
        models.append(VAE(**SMALL).fit(X[:40]).model_.train())
    stacked = ensemble.stack_models(models)
    assert stacked is not None
    x = torch.from_numpy(X[:10])
    gens = [torch.Generator().manual_seed(s) for s in (5, 6, 7)]
    out = stacked.loss(torch.cat([x] * 3), generator=MemberGenerators(gens))
    for r, model in enumerate(models):
        alone = model.loss(x, generator=torch.Generator().manual_seed(5 + r))
        torch.testing.assert_close(out.reconstruction[10 * r : 10 * (r + 1)], alone.reconstruction)
        torch.testing.assert_close(out.kl[10 * r : 10 * (r + 1)], alone.kl)
        for name, value in model.state_dict().items():
            torch.testing.assert_close(ensemble.member_state(stacked, r)[name], value)


def test_member_draws_are_each_members_own() -> None:
    like = torch.zeros(())
    stacked = draw("normal", (3, 12, 2), MemberGenerators([torch.Generator().manual_seed(s) for s in (1, 2)]), like, -2)
    for r, seed in enumerate((1, 2)):
        own = torch.randn((3, 6, 2), generator=torch.Generator().manual_seed(seed))
        assert torch.equal(stacked[:, 6 * r : 6 * (r + 1)], own)
    with pytest.raises(ValueError, match="does not split into 2"):
        draw("uniform", (5,), MemberGenerators([torch.Generator(), torch.Generator()]), like)


@pytest.mark.parametrize(
    ("estimator", "params"),
    [
        (VAE, {"likelihood": "gaussian-learned"}),  # a parameter outside the linear layers
        (IWAE, {}),
        (BetaTCVAE, {}),
        (VAE, {"capacity": 5.0}),  # a function of the batch mean KL
        (OutlierDetector, {"trim_fraction": 0.1}),  # leaves out the batch's worst rows
        (VAE, {"lr_schedule": "plateau"}),
    ],
)
def test_what_cannot_be_stacked_trains_one_restart_after_another(
    estimator: type, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    stacked: list[Any] = []
    real = ensemble.stack_models
    monkeypatch.setattr(ensemble, "stack_models", lambda models: stacked.append(real(models)) or stacked[-1])
    fitted = estimator(**{**SMALL, "epochs": 2, **params}).fit(X)
    assert len(fitted.init_losses_) == 3 and all(s is None for s in stacked)


def test_conv_networks_are_not_stacked() -> None:
    images = rng.random((12, 8, 8)).astype(np.float32)
    models = [VAE(latent_dim=2, architecture="conv", epochs=1, verbose=0).fit(images).model_ for _ in range(2)]
    assert ensemble.stack_models(models) is None
