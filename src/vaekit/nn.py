"""Encoder and decoder networks built from the data's shape.

* Vectors ``(n, features)`` get a multilayer perceptron.
* Images ``(n, H, W)`` or ``(n, C, H, W)`` get a convolutional encoder that halves
  the spatial size with stride-2 convolutions while the image is at least 8 pixels
  on its short side (at most three times), and a mirrored decoder whose transposed
  convolutions restore the exact input size, odd or even, square or not.

Every network maps ``(B, *in_shape) -> (B, *out_shape)``; the models decide what the
outputs mean (a code, mean and log-variance, logits...).
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn.modules import module as torch_module

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def make_activation(name: str) -> nn.Module:
    """A fresh activation module from its name (one of :data:`ACTIVATIONS`)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation={name!r} is not one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def default_hidden(n_features: int) -> tuple[int, ...]:
    """Hidden sizes for an MLP on ``n_features`` inputs: two layers, wide then half.

    6 features -> (64, 32); 64 -> (128, 64); 784 -> (512, 256).
    """
    width = min(512, max(64, 2 * 2 ** math.ceil(math.log2(max(n_features, 1)))))
    return (width, width // 2)


def hooked(module: nn.Module) -> bool:
    """Whether calling ``module`` would run a hook of its own or a global one: then it must be called,
    not its ``forward`` (nor a step written out without it, :mod:`vaekit.models.fused`)."""
    return bool(
        module._forward_hooks
        or module._forward_pre_hooks
        or module._backward_hooks
        or module._backward_pre_hooks
        or _global_hooks()
    )


def _global_hooks() -> bool:
    return bool(
        torch_module._global_forward_hooks
        or torch_module._global_forward_pre_hooks
        or torch_module._global_backward_hooks
        or torch_module._global_backward_pre_hooks
    )


class MLP(nn.Sequential):
    """Linear layers with an activation between them (none after the last).

    Maps ``(B, *in_shape) -> (B, *out_shape)``; inputs are flattened first.

    ``forward`` calls each layer's own ``forward`` when no hook is registered on it:
    ``Module.__call__`` costs about 1.5 us a layer, and a training step of the digits MLP
    calls 16 modules (``benchmarks/small_data.py``).
    """

    def forward(self, x: Tensor) -> Tensor:
        for layer in self._modules.values():
            assert layer is not None
            x = layer(x) if hooked(layer) else layer.forward(x)
        return x

    def __init__(
        self,
        in_shape: Sequence[int],
        hidden: Sequence[int],
        out_shape: Sequence[int],
        activation: str = "relu",
    ) -> None:
        sizes = [math.prod(in_shape), *hidden]
        layers: list[nn.Module] = [nn.Flatten()] if len(in_shape) > 1 else []
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [nn.Linear(n_in, n_out), make_activation(activation)]
        layers.append(nn.Linear(sizes[-1], math.prod(out_shape)))
        if len(out_shape) > 1:
            layers.append(nn.Unflatten(1, tuple(out_shape)))
        super().__init__(*layers)


def conv_stages(height: int, width: int, max_stages: int = 3) -> list[tuple[int, int]]:
    """Spatial sizes after each stride-2 stage, starting with the input's own.

    >>> conv_stages(28, 20)
    [(28, 20), (14, 10), (7, 5)]
    >>> conv_stages(8, 8)
    [(8, 8), (4, 4)]
    """
    sizes = [(height, width)]
    while len(sizes) <= max_stages and min(sizes[-1]) >= 8:
        h, w = sizes[-1]
        sizes.append(((h + 1) // 2, (w + 1) // 2))
    return sizes


def conv_channels(n_stages: int, base: int = 32) -> list[int]:
    """Channel counts per stage, doubling: 3 stages -> [32, 64, 128]."""
    return [base * 2**i for i in range(n_stages)]


class ConvEncoder(nn.Module):
    """Stride-2 3x3 convolutions, then a dense layer: ``(B, C, H, W) -> (B, out_features)``.

    ``hidden`` gives the dense layer widths after the convolutions.
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        out_features: int,
        hidden: Sequence[int] = (256,),
        activation: str = "relu",
    ) -> None:
        super().__init__()
        channels, height, width = image_shape
        sizes = conv_stages(height, width)
        widths = conv_channels(len(sizes) - 1)
        layers: list[nn.Module] = []
        for c_in, c_out in zip([channels, *widths[:-1]], widths):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), make_activation(activation)]
        self.convs = nn.Sequential(*layers)
        last_h, last_w = sizes[-1]
        flat = (widths[-1] if widths else channels) * last_h * last_w
        self.head = MLP((flat,), hidden, (out_features,), activation)

    def forward(self, x: Tensor) -> Tensor:
        h = self.convs(x)  # (B, C_last, h, w)
        return self.head(h.flatten(1))  # (B, out_features)


class ConvDecoder(nn.Module):
    """Mirror of :class:`ConvEncoder`: ``(B, in_features) -> (B, C_out, H, W)``.

    Each transposed convolution picks its output padding so that the spatial size
    comes back exactly to the encoder's size at that stage.
    """

    def __init__(
        self,
        in_features: int,
        image_shape: Sequence[int],
        hidden: Sequence[int] = (256,),
        activation: str = "relu",
    ) -> None:
        super().__init__()
        channels, height, width = image_shape
        sizes = conv_stages(height, width)
        widths = conv_channels(len(sizes) - 1)
        first_c = widths[-1] if widths else channels
        self.start_shape = (first_c, *sizes[-1])
        self.head = nn.Sequential(
            MLP((in_features,), hidden, self.start_shape, activation), make_activation(activation)
        )
        layers: list[nn.Module] = []
        c_outs = [*reversed(widths[:-1]), widths[0]] if widths else []
        for (c_in, c_out), (target_h, target_w) in zip(zip(reversed(widths), c_outs), reversed(sizes[:-1])):
            # Conv2d(k=3, s=2, p=1) maps t -> ceil(t / 2); this inverts it exactly.
            padding = (1 - target_h % 2, 1 - target_w % 2)
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=padding),
                make_activation(activation),
            ]
        self.deconvs = nn.Sequential(*layers)
        self.out = nn.Conv2d(widths[0] if widths else channels, channels, 3, padding=1)

    def forward(self, z: Tensor) -> Tensor:
        h = self.head(z)  # (B, C_last, h, w)
        return self.out(self.deconvs(h))  # (B, C, H, W)


class ImageAdapter(nn.Module):
    """Wraps a network on ``(B, C, H, W)`` so it also takes grey images ``(B, H, W)``."""

    def __init__(self, net: nn.Module, sample_shape: Sequence[int], is_input: bool) -> None:
        super().__init__()
        self.net = net
        self.sample_shape = tuple(sample_shape)
        self.is_input = is_input

    def forward(self, t: Tensor) -> Tensor:
        if self.is_input:
            lead = t.shape[: t.dim() - len(self.sample_shape)]
            out = self.net(t.reshape(-1, *_as_chw(self.sample_shape)))
            return out.reshape(*lead, *out.shape[1:])
        lead = t.shape[:-1]
        out = self.net(t.reshape(-1, t.shape[-1]))
        return out.reshape(*lead, *self.sample_shape)


def _as_chw(sample_shape: Sequence[int]) -> tuple[int, int, int]:
    return (1, *sample_shape) if len(sample_shape) == 2 else tuple(sample_shape)  # type: ignore[return-value]  # an image's sample_shape is (H, W) or (C, H, W)


def build_encoder(
    sample_shape: Sequence[int],
    out_features: int,
    architecture: str,
    hidden: Sequence[int],
    activation: str,
) -> nn.Module:
    """Encoder network ``(..., B, *sample_shape) -> (..., B, out_features)``."""
    if architecture == "conv":
        conv = ConvEncoder(_as_chw(sample_shape), out_features, hidden, activation)
        return ImageAdapter(conv, sample_shape, is_input=True)
    return _Batched(MLP(sample_shape, hidden, (out_features,), activation), len(sample_shape))


def build_decoder(
    latent_dim: int,
    sample_shape: Sequence[int],
    architecture: str,
    hidden: Sequence[int],
    activation: str,
) -> nn.Module:
    """Decoder network ``(..., B, latent_dim) -> (..., B, *sample_shape)``."""
    hidden_reversed = tuple(reversed(tuple(hidden)))
    if architecture == "conv":
        conv = ConvDecoder(latent_dim, _as_chw(sample_shape), hidden_reversed, activation)
        return ImageAdapter(conv, sample_shape, is_input=False)
    return _Batched(MLP((latent_dim,), hidden_reversed, sample_shape, activation), 1)


class _Batched(nn.Module):
    """Lets a network on ``(B, *in)`` take extra leading dims ``(K, B, *in)``."""

    def __init__(self, net: nn.Module, in_dims: int) -> None:
        super().__init__()
        self.net = net
        self.in_dims = in_dims

    def forward(self, t: Tensor) -> Tensor:
        net = self.net if hooked(self.net) else self.net.forward
        if t.dim() == self.in_dims + 1:
            return net(t)
        lead = t.shape[: t.dim() - self.in_dims]
        out = net(t.reshape(-1, *t.shape[t.dim() - self.in_dims :]))
        return out.reshape(*lead, *out.shape[1:])


class EnsembleLinear(nn.Module):
    """R linear layers of the same shape: (R, M, in) -> (R, M, out), member r's layer on block r.

    ``weight`` (R, in, out) holds each member's weight transposed and ``bias`` (R, 1, out)
    its bias, so that the layer is one ``baddbmm``.
    """

    def __init__(self, layers: Sequence[nn.Linear]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.stack([layer.weight.detach().t() for layer in layers]).contiguous())
        biases = [layer.bias for layer in layers]
        self.bias = None if biases[0] is None else nn.Parameter(torch.stack([b.detach()[None] for b in biases]))

    def forward(self, x: Tensor) -> Tensor:
        if self.bias is None:
            return torch.bmm(x, self.weight)
        return torch.baddbmm(self.bias, x, self.weight)

    def member(self, r: int) -> dict[str, Tensor]:
        """Member r's layer, as ``nn.Linear``'s state: weight (out, in), bias (out,)."""
        state = {"weight": self.weight[r].detach().t().contiguous()}
        if self.bias is not None:
            state["bias"] = self.bias[r, 0].detach().clone()
        return state


class EnsembleMLP(nn.Sequential):
    """R copies of one :class:`MLP`: (R * M, *in_shape) -> (R * M, *out_shape),
    member r's rows at r*M .. (r+1)*M.

    The layers keep the MLP's positions (and so its parameter names): each
    ``nn.Linear`` becomes an :class:`EnsembleLinear`, the flattening and unflattening
    become reshapes around the whole stack.
    """

    def __init__(self, mlps: Sequence[MLP]) -> None:
        layers: list[nn.Module] = []
        for i, module in enumerate(mlps[0]):
            if type(module) is nn.Linear:
                layers.append(EnsembleLinear([mlp[i] for mlp in mlps]))  # type: ignore[misc]  # the members share their layers: each one's layer i is an nn.Linear
            elif isinstance(module, nn.Flatten | nn.Unflatten):
                layers.append(nn.Identity())
            else:  # an activation
                layers.append(copy.deepcopy(module))
        super().__init__(*layers)
        linear = [m for m in self if isinstance(m, EnsembleLinear)]
        self.members, self.n_in = linear[0].weight.shape[:2]
        last = mlps[0][-1]
        self.out_shape = (
            tuple(last.unflattened_size) if isinstance(last, nn.Unflatten) else (linear[-1].weight.shape[2],)
        )

    def forward(self, x: Tensor) -> Tensor:
        h = x.reshape(self.members, -1, self.n_in)  # (R, M, in)
        for layer in self:
            h = layer(h)
        return h.reshape(-1, *self.out_shape)  # (R * M, *out_shape)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__ = [
    "MLP",
    "ConvDecoder",
    "ConvEncoder",
    "EnsembleLinear",
    "EnsembleMLP",
    "build_decoder",
    "build_encoder",
    "conv_stages",
    "count_parameters",
    "default_hidden",
    "hooked",
]
