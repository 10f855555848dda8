"""The written-out training step of a plain MLP (V)AE against autograd on the model's own loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import vaekit.training.loop as loop
from vaekit import VAE, AutoEncoder
from vaekit.distributions import MemberGenerators
from vaekit.models import fused
from vaekit.models.ae import AutoEncoderModel
from vaekit.models.btcvae import BetaTCVAEModel
from vaekit.models.iwae import IWAEModel
from vaekit.models.vae import VAEModel
from vaekit.training.batches import TensorBatches
from vaekit.training.ensemble import stack_models
from vaekit.training.loop import member_losses, train
from vaekit.training.optim import TrainingConfig, flat_parameters


def _batch(shape: tuple[int, ...], likelihood: str, rows: int = 24) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(rows, *shape, generator=g)
    return x.round() if likelihood == "bernoulli" else x * 3 - 1  # (rows, *shape)


def _gradients(model: AutoEncoderModel, x: torch.Tensor, beta: float, written: bool) -> tuple[torch.Tensor, ...]:
    """The flat gradient and the loss terms of one step, by autograd or written out, from the same noise."""
    with flat_parameters(model) as (params, zero_grad):
        zero_grad()
        generator = torch.Generator().manual_seed(7)
        if written:
            plan = fused.plan(model)
            assert plan is not None
            out = fused.fused_step(plan, x, beta, generator)
        else:
            out = model.loss(x, beta=beta, generator=generator)
            out.loss.backward()
        return params[0].grad.clone(), out.loss.detach(), out.reconstruction.detach(), out.kl.detach()


@pytest.mark.parametrize("likelihood", fused.LIKELIHOODS)
@pytest.mark.parametrize("kind", [VAEModel, AutoEncoderModel])
@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_the_written_step_gives_autograds_gradients(likelihood: str, kind: type, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    model = kind(shape, 2, likelihood, "mlp", (8, 6))
    if likelihood == "gaussian-learned":
        with torch.no_grad():
            model.decoder_logvar.uniform_(-1, 1)  # not the zeros it starts at
    x = _batch(shape, likelihood)
    by_autograd = _gradients(model, x, 0.3, written=False)
    written = _gradients(model, x, 0.3, written=True)
    assert by_autograd[0].abs().max() > 1e-3  # a gradient worth comparing
    for expected, got in zip(by_autograd, written, strict=True):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
@pytest.mark.parametrize("kind", [VAEModel, AutoEncoderModel])
def test_stacked_restarts_get_each_members_gradient(likelihood: str, kind: type) -> None:
    members = []
    for seed in range(3):
        torch.manual_seed(seed)
        members.append(kind((5,), 2, likelihood, "mlp", (8, 6)))
    stacked = stack_models(members)
    assert stacked is not None
    x = torch.cat([_batch((5,), likelihood, rows=10)] * 3)  # (3 * 10, 5): member-major rows

    def step(written: bool) -> tuple[torch.Tensor, ...]:
        with flat_parameters(stacked) as (params, zero_grad):
            zero_grad()
            noise = MemberGenerators([torch.Generator().manual_seed(s) for s in (1, 2, 3)])
            if written:
                plan = fused.plan(stacked)
                assert plan is not None and plan.members == 3
                out = fused.fused_step(plan, x, 0.5, noise)
            else:
                out = stacked.loss(x, beta=0.5, generator=noise)
                member_losses(out, 3).sum().backward()  # the loop's objective: each member's own mean
            return params[0].grad.clone(), member_losses(out, 3).detach(), out.reconstruction.detach(), out.kl.detach()

    for expected, got in zip(step(False), step(True), strict=True):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("hidden", [(), (7,), (9, 8, 6)])
def test_any_depth_of_network_gets_autograds_gradients(hidden: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    model = VAEModel((5,), 3, "gaussian", "mlp", hidden)
    x = _batch((5,), "gaussian", rows=1 if not hidden else 17)  # one row too
    for expected, got in zip(_gradients(model, x, 1.0, False), _gradients(model, x, 1.0, True), strict=True):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_the_step_adds_into_the_gradient_it_finds() -> None:
    torch.manual_seed(0)
    model = VAEModel((5,), 2, "gaussian", "mlp", (8,))
    x = _batch((5,), "gaussian")
    with flat_parameters(model) as (params, zero_grad):
        zero_grad()
        plan = fused.plan(model)
        assert plan is not None
        fused.fused_step(plan, x, 1.0, torch.Generator().manual_seed(3))
        once = params[0].grad.clone()
        fused.fused_step(plan, x, 1.0, torch.Generator().manual_seed(3))
        torch.testing.assert_close(params[0].grad, 2 * once)


@pytest.mark.parametrize(
    "make",
    [
        lambda: VAEModel((5,), 2, "gaussian", "mlp", (8,), activation="tanh"),
        lambda: VAEModel((5,), 2, "continuous-bernoulli", "mlp", (8,)),
        lambda: VAEModel((5,), 2, "gaussian", "mlp", (8,), n_conditions=2),
        lambda: VAEModel((5,), 2, "gaussian", "mlp", (8,), capacity=5.0),
        lambda: VAEModel((1, 8, 8), 2, "bernoulli", "conv", (16,)),
        lambda: IWAEModel((5,), 2, "gaussian", "mlp", (8,)),
        lambda: BetaTCVAEModel((5,), 2, "gaussian", "mlp", (8,)),
    ],
    ids=["tanh", "continuous-bernoulli", "conditions", "capacity", "conv", "iwae", "beta-tc"],
)
def test_other_models_train_through_autograd(make) -> None:  # type: ignore[no-untyped-def]
    model = make()
    with flat_parameters(model):
        assert fused.plan(model) is None


def test_no_plan_without_a_gradient_to_add_into() -> None:
    model = VAEModel((5,), 2, "gaussian", "mlp", (8,))
    assert fused.plan(model) is None  # outside the loop's flat gradient
    handle = model.decoder.net[0].register_forward_hook(lambda *args: None)
    with flat_parameters(model):
        assert fused.plan(model) is None  # a hook would not run
    handle.remove()
    handle = torch.nn.modules.module.register_module_forward_hook(lambda *args: None)
    try:
        with flat_parameters(model):
            assert fused.plan(model) is None  # a global hook would not run either
    finally:
        handle.remove()
    with flat_parameters(model):
        assert fused.plan(model) is not None


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian-learned"])
def test_training_written_out_ends_where_autograd_does(likelihood: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _batch((6,), likelihood, rows=96)
    config = TrainingConfig(epochs=5, lr=1e-2, kl_warmup_epochs=2, patience=None, verbose=0)

    def fit() -> tuple[dict[str, torch.Tensor], list[float]]:
        torch.manual_seed(0)
        model = VAEModel((6,), 2, likelihood, "mlp", (16, 8))
        batches = TensorBatches(data, 32, generator=torch.Generator().manual_seed(1))
        result = train(model, batches, None, config, generator=torch.Generator().manual_seed(2))
        return model.state_dict(), result.history["train_loss"]

    weights, losses = fit()
    monkeypatch.setattr(loop.fused, "plan", lambda model: None)  # every step through autograd
    expected_weights, expected_losses = fit()
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-5)
    for name, value in expected_weights.items():
        torch.testing.assert_close(weights[name], value, rtol=1e-4, atol=1e-5)


def test_estimators_train_written_out(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[bool] = []
    original = fused.fused_step
    monkeypatch.setattr(loop.fused, "fused_step", lambda *a: used.append(True) or original(*a))
    X = np.random.default_rng(0).random((64, 4))
    for estimator in (VAE(epochs=2, verbose=0), AutoEncoder(epochs=2, verbose=0), VAE(n_init=3, epochs=2, verbose=0)):
        used.clear()
        estimator.fit(X)
        assert used, type(estimator).__name__
        assert estimator.training_settings_["step"] == "written out"
    conv = VAE(architecture="conv", epochs=1, verbose=0).fit(np.random.default_rng(0).random((16, 8, 8)))
    assert conv.training_settings_["step"] == "autograd"
