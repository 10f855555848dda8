"""The VQ-VAE: nearest-code quantization, straight-through and codebook gradients, the
moving-average codebook, training on digits, codebook usage, saving and sampling."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from vaekit import VQVAE, datasets, load
from vaekit.models.quantizer import VectorQuantizer
from vaekit.models.vqvae import VQVAEModel
from vaekit.training.batches import TensorBatches
from vaekit.training.loop import train
from vaekit.training.optim import TrainingConfig


def _model(ema: bool = False, commitment_cost: float = 0.25, seed: int = 0) -> VQVAEModel:
    """6 features -> 2 slots of 2 numbers, 16 codes."""
    torch.manual_seed(seed)
    return VQVAEModel(
        (6,), 4, "gaussian", "mlp", (8,), "relu", codebook_size=16, code_dim=2, commitment_cost=commitment_cost, ema=ema
    )


def _grad_norm(term: torch.Tensor, params: list[torch.Tensor]) -> float:
    grads = torch.autograd.grad(term, params, retain_graph=True, allow_unused=True)
    return float(sum(g.norm() for g in grads if g is not None))


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    X, _ = datasets.load("digits")
    return X


@pytest.fixture(scope="module")
def digits_vq(digits: np.ndarray) -> VQVAE:
    return VQVAE(
        latent_dim=8, code_dim=2, codebook_size=32, architecture="conv", epochs=6, random_state=0, verbose=0
    ).fit(digits)


def test_quantization_picks_the_nearest_codebook_vector() -> None:
    model = _model()
    z_e = 2.0 * torch.randn(200, 4)  # (B, latent)
    indices = model.quantizer.nearest(z_e)  # (B, 2)
    distances = (z_e.reshape(200, 2, 1, 2) - model.quantizer.codebook).pow(2).sum(-1)  # (B, 2, K), brute force
    assert indices.shape == (200, 2) and indices.dtype == torch.long
    torch.testing.assert_close(indices, distances.argmin(-1), rtol=0, atol=0)
    assert len(indices.unique()) > 4  # not one code for everything: the test could fail
    x = torch.randn(50, 6)
    z_q = model.encode(x).mode()  # (50, 4)
    codes = model.encode_indices(x)  # (50, 2)
    torch.testing.assert_close(
        z_q, model.quantizer.codebook[codes].reshape(50, 4), rtol=0, atol=0
    )  # exactly the codebook rows
    torch.testing.assert_close(model.decode_indices(codes).mean, model.decode(z_q).mean)


def test_straight_through_reaches_the_encoder_not_the_codebook() -> None:
    model = _model()
    out = model.loss(torch.randn(32, 6))
    encoder = list(model.encoder.parameters())
    assert _grad_norm(out.reconstruction.sum(), encoder) > 0  # zero without the straight-through copy
    assert _grad_norm(out.reconstruction.sum(), list(model.decoder.parameters())) > 0
    assert _grad_norm(out.reconstruction.sum(), [model.quantizer.codebook]) == 0  # the decoder sees sg(e)
    torch.testing.assert_close(out.kl, torch.full((32,), 2 * math.log(16)))  # n_slots * log K
    with pytest.raises(ValueError, match="beta must be 1"):
        model.loss(torch.randn(4, 6), beta=0.5)


@pytest.mark.parametrize("ema", [False, True])
def test_commitment_reaches_the_encoder_and_codebook_loss_the_codebook(ema: bool) -> None:
    x = torch.randn(32, 6)
    model = _model(ema=ema, commitment_cost=0.25).eval()  # eval: no moving-average step
    out = model.loss(x)
    quantizer_terms = out.loss - out.reconstruction.mean()
    z_e = model.encoder(x)  # (B, latent)
    squared = (z_e - model.encode(x).mode()).pow(2).sum(-1).mean()  # ||z_e - e||^2, batch mean
    # codebook term (weight 1, none with ema) + commitment term (weight 0.25)
    torch.testing.assert_close(quantizer_terms, (0.25 if ema else 1.25) * squared)
    assert _grad_norm(quantizer_terms, list(model.encoder.parameters())) > 0  # commitment
    if not ema:
        assert _grad_norm(quantizer_terms, [model.quantizer.codebook]) > 0  # codebook loss
    no_commitment = _model(ema=ema, commitment_cost=0.0).eval().loss(x)
    # with commitment_cost = 0 nothing but the reconstruction reaches the encoder
    assert _grad_norm(no_commitment.loss - no_commitment.reconstruction.mean(), list(model.encoder.parameters())) == 0


def test_ema_codebook_has_no_gradient_but_moves_in_training_only() -> None:
    model = _model(ema=True)
    assert "quantizer.codebook" not in dict(model.named_parameters())
    assert {"quantizer.codebook", "quantizer.ema_cluster_size", "quantizer.ema_weight"} <= set(model.state_dict())
    x = torch.randn(64, 6)
    before = model.quantizer.codebook.clone()
    model.eval()
    model.loss(x)
    torch.testing.assert_close(model.quantizer.codebook, before, rtol=0, atol=0)  # evaluation leaves it alone
    model.train()
    out = model.loss(x)
    out.loss.backward()
    assert not model.quantizer.codebook.requires_grad and model.quantizer.codebook.grad is None
    assert not torch.equal(model.quantizer.codebook, before)
    # with a fixed encoder, repeated steps are Lloyd's iterations: each used code
    # settles at the mean of the encoder outputs assigned to it (decay 0.9 to be quick)
    model.quantizer = VectorQuantizer(4, 16, 2, ema=True, decay=0.9)  # a fresh codebook
    for _ in range(300):
        model.loss(x)
    with torch.no_grad():
        flat = model.encoder(x).reshape(-1, 2)  # (B * S, D)
        codes = model.quantizer.nearest(model.encoder(x)).reshape(-1)  # (B * S,)
    for k in codes.unique():
        torch.testing.assert_close(model.quantizer.codebook[k], flat[codes == k].mean(0), atol=1e-3, rtol=0)


def test_ema_training_loop_updates_the_saved_buffers() -> None:
    model = _model(ema=True)
    sizes = model.quantizer.ema_cluster_size.clone()
    data = torch.randn(64, 6)
    config = TrainingConfig(epochs=1, patience=None, verbose=0)
    train(model, TensorBatches(data, 32, True, torch.Generator().manual_seed(0)), None, config)
    assert not torch.equal(model.quantizer.ema_cluster_size, sizes)
    # two batches of 32 samples x 2 slots: the total size moves from 16 towards 64
    expected = 16 * 0.99**2 + 64 * (1 - 0.99**2)
    torch.testing.assert_close(model.quantizer.ema_cluster_size.sum(), torch.tensor(expected))


def test_training_lowers_the_reconstruction_on_digits(digits: np.ndarray, digits_vq: VQVAE) -> None:
    history = digits_vq.history_
    assert history["train_reconstruction"][-1] < 0.8 * history["train_reconstruction"][0]
    assert history["train_kl"][-1] == pytest.approx(4 * math.log(32))
    assert digits_vq.likelihood_ == "bernoulli" and digits_vq.code_frequencies_.shape == (32,)
    assert digits_vq.code_frequencies_.sum() == pytest.approx(1.0)
    Z = digits_vq.transform(digits)  # (n, 8): codebook vectors laid end to end
    codes = digits_vq.codes(digits)  # (n, 4)
    assert codes.shape == (1797, 4) and codes.dtype == np.int64
    codebook = digits_vq.model_.quantizer.codebook.detach().numpy()  # (K, 2)
    np.testing.assert_array_equal(Z, codebook[codes].reshape(1797, 8))
    np.testing.assert_array_equal(digits_vq.decode_codes(codes), digits_vq.reconstruct(digits))
    np.testing.assert_array_equal(digits_vq.inverse_transform(Z), digits_vq.reconstruct(digits))


def test_codebook_usage(digits: np.ndarray, digits_vq: VQVAE) -> None:
    usage = digits_vq.codebook_usage(digits)
    codes = digits_vq.codes(digits).ravel()
    share = np.bincount(codes, minlength=32) / codes.size
    share = share[share > 0]
    assert usage["codebook_size"] == 32
    assert usage["used_codes"] == len(np.unique(codes)) <= 32
    assert 1.0 <= usage["perplexity"] <= usage["used_codes"]
    assert usage["perplexity"] == pytest.approx(np.exp(-(share * np.log(share)).sum()))
    assert usage["perplexity"] > 4  # spread over several codes after 6 epochs (measured: 6.9, 12 used)


def test_score_samples_adds_the_constant_kl(digits: np.ndarray, digits_vq: VQVAE) -> None:
    reconstruction, kl = digits_vq.loss_terms(digits[:50])
    np.testing.assert_allclose(kl, 4 * math.log(32))
    np.testing.assert_allclose(digits_vq.score_samples(digits[:50]), -(reconstruction + kl))
    assert (reconstruction > 0).all()


@pytest.mark.parametrize("ema", [False, True])
def test_save_load_round_trip(ema: bool, digits: np.ndarray, digits_vq: VQVAE, tmp_path: Path) -> None:
    vq = (
        digits_vq
        if not ema
        else VQVAE(latent_dim=4, code_dim=2, codebook_size=16, ema=True, epochs=2, random_state=0, verbose=0).fit(
            digits[:300]
        )
    )
    same = load(vq.save(tmp_path / "vq"))
    assert type(same) is VQVAE and same.ema is ema
    np.testing.assert_array_equal(same.transform(digits), vq.transform(digits))
    np.testing.assert_array_equal(same.codes(digits), vq.codes(digits))
    np.testing.assert_array_equal(same.code_frequencies_, vq.code_frequencies_)
    np.testing.assert_array_equal(same.sample(5, random_state=1), vq.sample(5, random_state=1))
    if ema:
        torch.testing.assert_close(same.model_.quantizer.ema_weight, vq.model_.quantizer.ema_weight, rtol=0, atol=0)


def test_latent_dim_must_be_a_multiple_of_code_dim(digits: np.ndarray) -> None:
    with pytest.raises(ValueError, match="latent_dim=5 is not a multiple of code_dim=2"):
        VQVAE(latent_dim=5, code_dim=2, verbose=0).fit(digits[:50])
    with pytest.raises(ValueError, match="not a multiple"):
        VQVAEModel((6,), 5, codebook_size=8, code_dim=2)
    with pytest.raises(ValueError, match="The 'codebook_size' parameter of VQVAE must be an int in the range"):
        VQVAE(codebook_size=0, verbose=0).fit(digits[:50])
    # A model is whole once constructed: its codebook exists (K defaults to 128, one slot).
    assert VQVAEModel((6,), 4).quantizer.codebook.shape == (128, 4)


def test_sample_shapes_and_codes(digits: np.ndarray, digits_vq: VQVAE) -> None:
    drawn = digits_vq.sample(7, random_state=0)
    assert drawn.shape == (7, 8, 8) and drawn.dtype == np.float32
    np.testing.assert_array_equal(drawn, digits_vq.sample(7, random_state=0))
    assert not np.array_equal(drawn, digits_vq.sample(7, random_state=1))
    one_code = copy.deepcopy(digits_vq)
    one_code.code_frequencies_ = np.eye(32)[3]  # only code 3 used in training
    np.testing.assert_array_equal(one_code.sample(4, random_state=0), one_code.decode_codes(np.full((4, 4), 3)))
    with pytest.raises(ValueError, match="codes must lie in"):
        digits_vq.decode_codes(np.full((2, 4), 32))


def test_quantize_snaps_each_slot_to_its_nearest_code(digits: np.ndarray, digits_vq: VQVAE) -> None:
    codebook = digits_vq.model_.quantizer.codebook.detach().numpy()  # (32, 2)
    Z = np.random.default_rng(0).normal(size=(20, 8)).astype(np.float32) * 2
    Q = digits_vq.quantize(Z)
    assert Q.shape == (20, 8) and Q.dtype == np.float32
    slots, q_slots = Z.reshape(-1, 2), Q.reshape(-1, 2)  # (80, 2) each
    nearest = ((slots[:, None, :] - codebook[None]) ** 2).sum(-1).argmin(1)  # brute force
    np.testing.assert_allclose(q_slots, codebook[nearest], rtol=1e-6)
    codes = digits_vq.transform(digits[:10])  # already codebook vectors: unchanged
    np.testing.assert_array_equal(digits_vq.quantize(codes), codes)
    with pytest.raises(ValueError, match=r"Z has shape \(20, 6\), but VQVAE decodes \(n_samples, 8\)"):
        digits_vq.quantize(Z[:, :6])


def test_latent_walk_figures_decode_codes_not_raw_points(digits_vq: VQVAE) -> None:
    """Figures decode ``project_latent(Z)``: the codebook vectors for a VQ-VAE."""
    Z = np.random.default_rng(1).normal(size=(5, 8)).astype(np.float32)
    np.testing.assert_array_equal(digits_vq.project_latent(Z), digits_vq.quantize(Z))
    assert not np.allclose(digits_vq.project_latent(Z), Z)
