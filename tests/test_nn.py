"""Networks built from the data's shape."""

import pytest
import torch

from vaekit.models.ae import AutoEncoderModel
from vaekit.models.vae import VAEModel
from vaekit.nn import build_decoder, build_encoder, conv_stages, count_parameters, default_hidden


@pytest.mark.parametrize("shape", [(8, 8), (28, 28), (28, 20), (3, 32, 32), (1, 9, 13), (2, 7, 30)])
def test_conv_networks_give_back_the_input_shape(shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    encoder = build_encoder(shape, 6, "conv", (32,), "relu")
    decoder = build_decoder(3, shape, "conv", (32,), "relu")
    x = torch.rand(4, *shape)
    assert encoder(x).shape == (4, 6)
    assert decoder(torch.randn(4, 3)).shape == (4, *shape)
    assert decoder(torch.randn(5, 4, 3)).shape == (5, 4, *shape)  # extra leading sample dim


@pytest.mark.parametrize("shape", [(8, 8), (28, 20), (3, 32, 32)])
def test_conv_vae_reconstruction_has_input_shape(shape: tuple[int, ...]) -> None:
    model = VAEModel(shape, latent_dim=2, likelihood="bernoulli", architecture="conv", hidden=(16,))
    x = torch.rand(3, *shape)
    out = model.loss(x)
    assert out.reconstruction.shape == (3,) and out.kl.shape == (3,)
    assert model.decode(model.encode(x).mean).mean.shape == x.shape


def test_conv_stage_sizes() -> None:
    assert conv_stages(28, 20) == [(28, 20), (14, 10), (7, 5)]
    assert conv_stages(8, 8) == [(8, 8), (4, 4)]
    assert conv_stages(32, 32) == [(32, 32), (16, 16), (8, 8), (4, 4)]
    assert conv_stages(5, 40) == [(5, 40)]  # too small to downsample


def test_tutorial_mlp_has_exactly_the_requested_layers() -> None:
    """6 inputs, Dense 5-5-4 with ReLU, a 2-D latent: the seed tutorial's VAE."""
    model = VAEModel((6,), latent_dim=2, likelihood="gaussian", architecture="mlp", hidden=(5, 5, 4))
    linears = [m for m in model.encoder.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(6, 5), (5, 5), (5, 4), (4, 4)]
    decoder_linears = [m for m in model.decoder.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in decoder_linears] == [(2, 4), (4, 5), (5, 5), (5, 6)]
    assert count_parameters(model) == sum(m.weight.numel() + m.bias.numel() for m in linears + decoder_linears)


def test_default_hidden_grows_with_input_size() -> None:
    assert default_hidden(6) == (64, 32)
    assert default_hidden(64) == (128, 64)
    assert default_hidden(784) == (512, 256)


def test_unknown_activation_is_rejected() -> None:
    with pytest.raises(ValueError, match="activation='swish'"):
        AutoEncoderModel((4,), 2, activation="swish")


def test_learned_variance_is_a_parameter_only_when_asked() -> None:
    learned = VAEModel((5,), 2, likelihood="gaussian-learned")
    fixed = VAEModel((5,), 2, likelihood="gaussian")
    assert "decoder_logvar" in dict(learned.named_parameters())
    assert "decoder_logvar" not in dict(fixed.named_parameters())


def test_an_mlp_runs_the_hooks_registered_on_its_layers() -> None:
    # forward skips Module.__call__ only for layers without hooks
    encoder = build_encoder((6,), 2, "mlp", (8, 4), "relu")
    x = torch.randn(5, 6)
    plain = encoder(x)
    seen: list[tuple[int, ...]] = []
    layer = encoder.net[1]  # the first ReLU
    handle = layer.register_forward_hook(lambda module, args, out: seen.append(tuple(out.shape)))
    doubled = layer.register_forward_hook(lambda module, args, out: out * 2)
    try:
        hooked = encoder(x)
    finally:
        handle.remove()
        doubled.remove()
    assert seen == [(5, 8)]
    assert not torch.equal(hooked, plain)
    torch.testing.assert_close(encoder(x), plain)
