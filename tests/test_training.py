"""The training loop: batches, loss decrease, warm-up, early stopping, divergence."""

import copy
import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

import vaekit.training.loop as training_loop
from vaekit.models.ae import AutoEncoderModel
from vaekit.models.vae import VAEModel
from vaekit.training.batches import TensorBatches
from vaekit.training.loop import TrainingDivergedError, train
from vaekit.training.optim import TrainingConfig, flat_parameters, make_optimizer, step_function
from vaekit.training.optim import beta_at as _beta_at
from vaekit.training.runtime import resolve_device


def _data(n: int = 256, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(n, 1, generator=g) * 6 - 3
    return torch.cat([t.sin(), t.cos(), 0.5 * t, t.sin() * t.cos()], dim=1)  # (n, 4)


def test_tensor_batches_cover_every_sample_once_per_pass() -> None:
    data = torch.arange(10.0).unsqueeze(1)
    batches = TensorBatches(data, 4, shuffle=True, generator=torch.Generator().manual_seed(0))
    first = [b.squeeze(1).tolist() for b in batches]
    assert len(batches) == 3 and [len(b) for b in first] == [4, 4, 2]
    assert sorted(value for batch in first for value in batch) == list(range(10))
    second = [b.squeeze(1).tolist() for b in batches]
    assert first != second  # reshuffled on each pass
    ordered = [b.squeeze(1).tolist() for b in TensorBatches(data, 4, shuffle=False)]
    assert ordered == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


@pytest.mark.parametrize("model_class", [AutoEncoderModel, VAEModel])
def test_training_lowers_the_loss(model_class: type[AutoEncoderModel]) -> None:
    torch.manual_seed(0)
    model = model_class((4,), 2, "gaussian", "mlp", (16,))
    data = 3 * _data()  # large enough that reconstruction dominates the constant and KL
    batches = TensorBatches(data, 32, generator=torch.Generator().manual_seed(0))
    result = train(
        model,
        batches,
        None,
        TrainingConfig(epochs=30, lr=1e-2, patience=None, verbose=0),
        torch.Generator().manual_seed(1),
    )
    losses = result.history["train_loss"]
    assert len(losses) == 30
    assert losses[-1] < 0.7 * losses[0]


def test_every_loss_term_takes_part_in_the_gradient() -> None:
    torch.manual_seed(0)
    model = VAEModel((4,), 2, "gaussian", "mlp", (8,))
    out = model.loss(_data(16))
    for term in (out.reconstruction.mean(), out.kl.mean()):
        model.zero_grad()
        term.backward(retain_graph=True)
        grads = [p.grad.abs().sum() for p in model.encoder.parameters() if p.grad is not None]
        assert grads and sum(grads) > 0


def test_kl_warmup_schedule() -> None:
    config = TrainingConfig(beta=2.0, kl_warmup_epochs=4)
    assert _beta_at(config, 0, 0, 10) == pytest.approx(2.0 * 0.1 / 4)
    assert _beta_at(config, 1, 9, 10) == pytest.approx(1.0)
    assert _beta_at(config, 7, 3, 10) == 2.0
    assert _beta_at(TrainingConfig(beta=0.5), 0, 0, 10) == 0.5


def test_warmup_is_recorded_in_history() -> None:
    torch.manual_seed(0)
    model = VAEModel((4,), 2, "gaussian", "mlp", (8,))
    batches = TensorBatches(_data(64), 32, generator=torch.Generator().manual_seed(0))
    result = train(model, batches, None, TrainingConfig(epochs=4, kl_warmup_epochs=2, patience=None, verbose=0))
    assert result.history["beta"] == [0.5, 1.0, 1.0, 1.0]


def test_divergence_names_epoch_and_batch() -> None:
    torch.manual_seed(0)
    model = AutoEncoderModel((4,), 2, "gaussian", "mlp", (8,))
    data = _data(64)
    data[40, 2] = math.inf  # reaches the loss in the second batch of the first epoch
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, batch 2 of 2"):
        train(model, TensorBatches(data, 32, shuffle=False), None, TrainingConfig(epochs=3, verbose=0))


def test_early_stopping_restores_the_best_weights() -> None:
    torch.manual_seed(0)
    model = AutoEncoderModel((4,), 2, "gaussian", "mlp", (16,))
    data = _data(128)
    train_batches = TensorBatches(data[:96], 32, generator=torch.Generator().manual_seed(0))
    val_batches = TensorBatches(data[96:], 1024, shuffle=False)
    # A huge learning rate makes validation loss bounce, so the last epoch is rarely the best.
    result = train(model, train_batches, val_batches, TrainingConfig(epochs=60, lr=0.3, patience=3, verbose=0))
    history = result.history
    best = min(history["val_loss"])
    assert result.best_epoch == history["val_loss"].index(best) + 1
    assert result.stopped_early and len(history["epoch"]) == result.best_epoch + 4
    from vaekit.training.loop import evaluate

    assert evaluate(model, val_batches)["loss"] == pytest.approx(best, rel=1e-5)


def test_gradient_clipping_bounds_the_update() -> None:
    norms: list[float] = []

    def record(optimizer, args, kwargs):  # type: ignore[no-untyped-def]  # a global step pre-hook
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))

    handle = register_optimizer_step_pre_hook(record)
    data = _data(64) * 1000  # huge errors, huge gradients
    try:
        for clip, bounded in ((1e-3, True), (None, False)):
            norms.clear()
            torch.manual_seed(0)
            model = AutoEncoderModel((4,), 2, "gaussian", "mlp", (8,))
            train(
                model,
                TensorBatches(data, 32, shuffle=False),
                None,
                TrainingConfig(epochs=1, grad_clip=clip, patience=None, verbose=0),
            )
            assert len(norms) == 2
            assert (max(norms) <= 1e-3 * 1.0001) is bounded, norms
    finally:
        handle.remove()


def test_seeded_training_is_deterministic() -> None:
    def run() -> list[float]:
        torch.manual_seed(0)
        model = VAEModel((4,), 2, "gaussian", "mlp", (8,))
        batches = TensorBatches(_data(64), 16, generator=torch.Generator().manual_seed(3))
        return train(
            model, batches, None, TrainingConfig(epochs=3, patience=None, verbose=0), torch.Generator().manual_seed(4)
        ).history["train_loss"]

    assert run() == run()


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in {"cpu", "cuda", "mps"}
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


def test_without_validation_the_model_own_loss_is_monitored() -> None:
    """An IWAE trained without validation keeps the epoch with the best -L_k, not the best ELBO."""
    from vaekit.models.iwae import IWAEModel

    torch.manual_seed(0)
    model = IWAEModel((4,), 2, "gaussian", "mlp", (8,))
    model.n_importance = 50
    batches = TensorBatches(_data(128), 64, generator=torch.Generator().manual_seed(0))
    result = train(
        model,
        batches,
        None,
        TrainingConfig(epochs=3, lr=1e-3, patience=None, verbose=0),
        torch.Generator().manual_seed(1),
    )
    negative_elbos = result.history["train_loss"]  # reconstruction + KL: -ELBO >= -L_50
    assert result.best_loss < min(negative_elbos) - 0.1, (result.best_loss, negative_elbos)


def test_progress_updates_are_sparse_in_a_log(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from vaekit.training.runtime import LOG_PROGRESS_INTERVAL, progress_interval

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Terminal())
    assert progress_interval() == 0.1
    log = io.StringIO()  # a file or a pipe: not a terminal
    monkeypatch.setattr("sys.stderr", log)
    assert progress_interval() == LOG_PROGRESS_INTERVAL
    model = AutoEncoderModel((4,), 2, "gaussian", "mlp", (4,))
    train(model, TensorBatches(_data(64), 32), None, TrainingConfig(epochs=30, patience=None, verbose=1))
    assert log.getvalue().count("\r") <= 3, log.getvalue()  # start and end, not one per epoch


def test_bf16_mixed_precision_trains_float32_weights_and_reports_float32_losses() -> None:
    from vaekit import VAE

    X = np.random.default_rng(0).normal(size=(200, 6)).astype(np.float32)
    kw = {"latent_dim": 2, "hidden": (16,), "epochs": 5, "patience": None, "random_state": 0, "verbose": 0}
    full = VAE(**kw).fit(X)
    mixed = VAE(**kw, precision="bf16").fit(X)
    assert all(p.dtype == torch.float32 for p in mixed.model_.parameters())
    assert mixed.transform(X).dtype == np.float32 and np.isfinite(mixed.history_["train_loss"]).all()
    assert mixed.history_["train_loss"] != full.history_["train_loss"]  # the forward pass did run in bfloat16
    np.testing.assert_allclose(mixed.history_["val_loss"], full.history_["val_loss"], rtol=0.05)


def test_flat_parameters_train_as_the_parameters_themselves_and_are_released(tmp_path: Any) -> None:
    from safetensors.torch import save_file

    torch.manual_seed(0)
    flat_model = VAEModel((6,), 2, hidden=(5, 4))
    plain_model = VAEModel((6,), 2, hidden=(5, 4))
    plain_model.load_state_dict(flat_model.state_dict())
    x = torch.randn(32, 6)
    for model, enabled in ((flat_model, True), (plain_model, False)):
        with flat_parameters(model, enabled) as (params, zero_grad):
            assert len(params) == (1 if enabled else len(list(model.parameters())))
            optimizer = make_optimizer(params, 1e-2, torch.device("cpu"))
            for step in range(5):
                zero_grad()
                model.loss(x, generator=torch.Generator().manual_seed(step)).loss.backward()
                optimizer.step()
    for name, value in plain_model.state_dict().items():
        torch.testing.assert_close(flat_model.state_dict()[name], value, rtol=1e-6, atol=1e-7)
    assert not torch.equal(flat_model.encoder.net[0].weight, VAEModel((6,), 2, hidden=(5, 4)).encoder.net[0].weight)
    storages = {p.untyped_storage().data_ptr() for p in flat_model.parameters()}
    assert len(storages) == len(list(flat_model.parameters()))  # each its own again
    assert all(p.grad is None for p in flat_model.parameters())
    save_file(flat_model.state_dict(), str(tmp_path / "model.safetensors"))  # refuses tensors that share memory


def test_the_validation_pass_builds_no_autograd_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    """With gradients on, each epoch's validation sums chained every batch's graph: memory grew with the
    held-out rows (a streamed 2.13 GB array with 0.1 held out peaked at 1.33 GB instead of 0.86 GB)."""
    torch.manual_seed(0)
    model = VAEModel((6,), 2, likelihood="gaussian", hidden=(8,))
    data = torch.randn(96, 6)
    seen: list[tuple[bool, bool]] = []  # (training mode, gradients on) of every loss call
    real = model.loss

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append((model.training, torch.is_grad_enabled()))
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "loss", spy)
    monkeypatch.setattr(training_loop.fused, "plan", lambda model: None)  # train through the loss too
    train(
        model,
        TensorBatches(data[:64], 32),
        TensorBatches(data[64:], 16, shuffle=False),
        TrainingConfig(epochs=2, verbose=0),
    )
    assert (False, False) in seen and (False, True) not in seen  # validation ran, always without gradients
    assert (True, True) in seen  # training kept them


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_adam_called_directly_makes_the_same_updates(schedule: str) -> None:
    torch.manual_seed(0)
    fast_param, plain_param = torch.nn.Parameter(torch.randn(300)), torch.nn.Parameter(torch.zeros(300))
    plain_param.data.copy_(fast_param.data)
    fast, plain = (
        make_optimizer([fast_param], 1e-2, torch.device("cpu")),
        torch.optim.Adam([plain_param], lr=1e-2, fused=True),
    )
    cosine = schedule == "cosine"
    schedulers = [torch.optim.lr_scheduler.CosineAnnealingLR(o, 20) for o in (fast, plain)] if cosine else []
    update = step_function(fast, first_direct=not cosine)  # a scheduler wants Adam's own first step
    calls: list[int] = []
    original = fast.step
    fast.step = lambda *a, **k: calls.append(1) or original(*a, **k)  # type: ignore[method-assign]
    for i in range(20):
        grad = torch.randn(300)
        for p in (fast_param, plain_param):
            if p.grad is None or i == 10:  # the loop zeroes one gradient in place; a new one is followed
                p.grad = grad.clone()
            else:
                p.grad.copy_(grad)
        if i == 15:  # a loaded state replaces the state dict the direct call reads
            fast.load_state_dict(copy.deepcopy(fast.state_dict()))
        update()
        plain.step()
        for scheduler in schedulers:
            scheduler.step()
    assert len(calls) == (1 if cosine else 0)
    assert torch.equal(fast_param, plain_param)
    assert list(fast.state[fast_param]) == list(plain.state[plain_param])
    for key in ("exp_avg", "exp_avg_sq", "step"):
        assert torch.equal(fast.state[fast_param][key], plain.state[plain_param][key])


def test_training_does_not_import_torch_dynamo() -> None:
    # torch.optim imports torch._dynamo when an optimizer is first made and stepped: 0.85 s per process.
    # The loop (with validation) and the thread probe of threads="auto", in a fresh process.
    code = (
        "import sys, torch\n"
        "from vaekit.models.vae import VAEModel\n"
        "from vaekit.training.batches import TensorBatches\n"
        "from vaekit.training.loop import train\n"
        "from vaekit.training.optim import TrainingConfig\n"
        "from vaekit.training.threads import _time_steps\n"
        "model, x = VAEModel((3,), 2, 'gaussian', 'mlp', (8,)), torch.rand(40, 3)\n"
        "train(model, TensorBatches(x, 16), TensorBatches(x, 16, shuffle=False), TrainingConfig(epochs=2, verbose=0))\n"
        "_time_steps(model, x[:16], None, 1)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr[-2000:]
