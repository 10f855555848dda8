"""The model family: each model trains, and each term of its loss reaches the gradient."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from vaekit import IWAE, VAE, AutoEncoder, ConditionalVAE, DenoisingAutoEncoder, load
from vaekit.models.ae import AutoEncoderModel
from vaekit.models.dae import DenoisingAutoEncoderModel, corrupt
from vaekit.models.iwae import IWAEModel
from vaekit.models.vae import VAEModel


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """300 rows of 6 features from 3 classes with different means."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    X = rng.normal(size=(300, 6)) + 3.0 * np.eye(3, 6)[y]
    return X.astype(np.float32), y


FAMILY = {
    "ae": lambda: AutoEncoder(latent_dim=2, hidden=(16,), epochs=15, random_state=0, verbose=0),
    "vae": lambda: VAE(latent_dim=2, hidden=(16,), epochs=15, random_state=0, verbose=0),
    "beta-vae": lambda: VAE(latent_dim=2, hidden=(16,), beta=4.0, epochs=15, random_state=0, verbose=0),
    "capacity-vae": lambda: VAE(
        latent_dim=2, hidden=(16,), capacity=3.0, capacity_epochs=5, gamma=100.0, epochs=15, random_state=0, verbose=0
    ),
    "dae": lambda: DenoisingAutoEncoder(
        latent_dim=2, hidden=(16,), noise_level=0.3, epochs=15, random_state=0, verbose=0
    ),
    "iwae": lambda: IWAE(latent_dim=2, hidden=(16,), n_importance=5, epochs=15, random_state=0, verbose=0),
    "cvae": lambda: ConditionalVAE(latent_dim=2, hidden=(16,), epochs=15, random_state=0, verbose=0),
}


@pytest.mark.parametrize("name", FAMILY)
def test_training_lowers_the_loss_and_saves(name: str, blobs: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    X, y = blobs
    est = FAMILY[name]().fit(X, y if name == "cvae" else None)
    history = est.history_
    assert history["train_reconstruction"][-1] < history["train_reconstruction"][0]
    same = load(est.save(tmp_path / name))
    args = (X, y) if name == "cvae" else (X,)
    np.testing.assert_array_equal(same.transform(*args), est.transform(*args))
    assert type(same) is type(est)


def _grad_norm(term: torch.Tensor, params: list[torch.nn.Parameter]) -> float:
    grads = torch.autograd.grad(term, params, retain_graph=True, allow_unused=True)
    return float(sum(g.norm() for g in grads if g is not None))


@pytest.mark.parametrize("model_class", [AutoEncoderModel, VAEModel, IWAEModel])
@pytest.mark.parametrize("conditional", [False, True])
def test_every_loss_term_reaches_the_gradient(model_class: type[AutoEncoderModel], conditional: bool) -> None:
    torch.manual_seed(0)
    k = 3 if conditional else 0
    model = model_class((6,), 2, "gaussian", "mlp", (8,), "relu", n_conditions=k)
    x = torch.randn(32, 6)
    c = torch.eye(3)[torch.randint(0, 3, (32,))] if conditional else None
    out = model.loss(x, generator=torch.Generator().manual_seed(0), condition=c)
    encoder, decoder = list(model.encoder.parameters()), list(model.decoder.parameters())
    assert _grad_norm(out.reconstruction.sum(), decoder) > 0
    assert _grad_norm(out.reconstruction.sum(), encoder) > 0
    if model_class is AutoEncoderModel:
        assert torch.all(out.kl == 0)
    else:
        assert _grad_norm(out.kl.sum(), encoder) > 0  # a KL fixed at zero would fail here
    assert _grad_norm(out.loss, encoder) > 0 and _grad_norm(out.loss, decoder) > 0
    if model_class is not IWAEModel:  # the loss is exactly reconstruction + beta * KL
        torch.testing.assert_close(out.loss, (out.reconstruction + out.kl).mean())
    if conditional:  # the condition changes what the decoder gives
        z = torch.zeros(1, 2)
        first = model.decode(z, torch.eye(3)[:1]).mean
        second = model.decode(z, torch.eye(3)[1:2]).mean
        assert not torch.allclose(first, second)


def test_beta_weights_the_kl_term() -> None:
    torch.manual_seed(0)
    model = VAEModel((6,), 2, "gaussian", "mlp", (8,), "relu")
    x = torch.randn(16, 6)
    one = model.loss(x, beta=1.0, generator=torch.Generator().manual_seed(0))
    four = model.loss(x, beta=4.0, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(four.loss - one.loss, 3.0 * one.kl.mean())


def test_iwae_bound_is_the_elbo_at_k1_and_tighter_above() -> None:
    torch.manual_seed(0)
    model = IWAEModel((6,), 2, "gaussian", "mlp", (8,), "relu")
    x = torch.randn(512, 6)
    model.n_importance = 1
    k1 = model.loss(x, generator=torch.Generator().manual_seed(1))
    # L_1 is the ELBO with a one-draw KL instead of the closed form: equal in expectation
    torch.testing.assert_close(k1.loss, (k1.reconstruction + k1.kl).mean(), atol=0.05, rtol=0)
    model.n_importance = 50
    k50 = model.loss(x, generator=torch.Generator().manual_seed(1))
    assert k50.loss < k1.loss - 0.05  # -L_50 < -L_1: the bound is higher


def test_iwae_refuses_a_kl_weight() -> None:
    model = IWAEModel((6,), 2, "gaussian", "mlp", (8,), "relu")
    with pytest.raises(ValueError, match="beta must be 1"):
        model.loss(torch.randn(4, 6), beta=0.5)


def test_corruption_changes_the_input_only_in_training() -> None:
    x = torch.ones(1000, 10)
    masked = corrupt(x, "mask", 0.3, torch.Generator().manual_seed(0))
    assert abs(float((masked == 0).float().mean()) - 0.3) < 0.03 and set(masked.unique().tolist()) == {0.0, 1.0}
    noisy = corrupt(x, "gaussian", 0.5, torch.Generator().manual_seed(0))
    assert abs(float((noisy - x).std()) - 0.5) < 0.03
    with pytest.raises(ValueError, match="corruption must be"):
        corrupt(x, "salt", 0.1, None)
    # The model corrupts what its encoder sees in training mode only: in eval mode its
    # loss is the plain autoencoder's on the same weights.
    torch.manual_seed(0)
    dae = DenoisingAutoEncoderModel((10,), 2, "gaussian", "mlp", (8,), "relu", corruption="mask", noise_level=0.5)
    plain = AutoEncoderModel((10,), 2, "gaussian", "mlp", (8,), "relu")
    plain.load_state_dict(dae.state_dict())
    data = torch.randn(64, 10)
    dae.eval()
    torch.testing.assert_close(dae.loss(data).loss, plain.loss(data).loss)
    dae.train()
    assert not torch.allclose(dae.loss(data, generator=torch.Generator().manual_seed(0)).loss, plain.loss(data).loss)


def test_capacity_objective_follows_c_over_training() -> None:
    torch.manual_seed(0)
    model = VAEModel((6,), 2, "gaussian", "mlp", (8,), "relu", capacity=4.0, capacity_epochs=8, gamma=10.0)
    assert model.schedule_epochs() == 8 and model.capacity_at(2) == 1.0 and model.capacity_at(100) == 4.0
    x = torch.randn(16, 6)
    out = model.loss(x, generator=torch.Generator().manual_seed(0), progress=2.0)
    expected = out.reconstruction.mean() + 10.0 * (out.kl.mean() - 1.0).abs()
    torch.testing.assert_close(out.loss, expected)


def test_denoising_autoencoder_trains_on_noisy_inputs(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = blobs
    clean = AutoEncoder(latent_dim=2, hidden=(16,), epochs=10, random_state=0, verbose=0).fit(X)
    noisy = DenoisingAutoEncoder(latent_dim=2, hidden=(16,), noise_level=1.0, epochs=10, random_state=0, verbose=0).fit(
        X
    )
    # same seed and networks: only the corrupted inputs differ, and they make training harder
    assert noisy.history_["train_reconstruction"][-1] > clean.history_["train_reconstruction"][-1]
    with pytest.raises(ValueError, match="noise_level"):
        DenoisingAutoEncoder(corruption="mask", noise_level=1.5).fit(X)


def test_capacity_pulls_the_kl_towards_c(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = blobs
    settings = dict(
        latent_dim=2,
        hidden=(16,),
        epochs=40,
        batch_size=32,
        lr=5e-3,
        patience=None,
        validation_fraction=0.0,
        likelihood="gaussian",  # unit variance: the KL has room to reach C (a learned variance buys it back)
        random_state=0,
        verbose=0,
    )
    plain = VAE(**settings).fit(X).history_["train_kl"][-1]
    for capacity in (1.0, 6.0):
        vae = VAE(capacity=capacity, capacity_epochs=10, gamma=100.0, **settings).fit(X)
        assert abs(vae.history_["train_kl"][-1] - capacity) < 0.3
    assert plain < 0.6  # without the capacity target this data's KL stays far below 6


def test_conditional_vae_generates_the_asked_class(blobs: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = blobs
    cvae = ConditionalVAE(latent_dim=2, hidden=(32,), epochs=60, random_state=0, verbose=0).fit(X, y)
    for label in range(3):
        drawn = cvae.sample(200, y=label, random_state=0)  # (200, 6)
        assert int(np.argmax(drawn.mean(axis=0)[:3])) == label  # the class's raised feature
    assert cvae.sample(5, random_state=0).shape == (5, 6)
    with pytest.raises(ValueError, match="needs the labels"):
        cvae.transform(X)
    with pytest.raises(ValueError, match="unseen in fit"):
        cvae.sample(2, y=9)
    with pytest.raises(ValueError, match="needs the labels y"):
        ConditionalVAE(epochs=1, verbose=0).fit(X)
