"""A fitted estimator's decoder as plain data the page's JavaScript can run.

:func:`decoder_spec` walks the decoder network (:mod:`vaekit.nn`) in the order its
``forward`` runs and writes each layer as a dict with its weights in base64 float32
(:mod:`vaekit.explorer.arrays`); then the likelihood's mean (:mod:`vaekit.distributions`,
:mod:`vaekit.distributions.mixed`) and the inverse of the preprocessing
(:class:`~vaekit.data.preprocessing.Scaling`, or a mixed table's columns,
:mod:`vaekit.data.table.encoder`). The page decodes ``z`` to exactly what
``estimator.inverse_transform(z)`` gives, up to float32 rounding.

Layer dicts, each with ``in_shape`` and ``out_shape`` (one sample, no batch dim;
values are flat in C order, so a reshape changes only the shape):

- ``{"op": "linear", "weight": (out, in), "bias": (out,)}``
- ``{"op": "activation", "name": "relu" | "leaky_relu" | "elu" | "gelu" | "silu" | "tanh" | "sigmoid",
  "slope"/"alpha"/"approximate"}``
- ``{"op": "reshape"}``
- ``{"op": "conv_transpose2d" | "conv2d", "weight", "bias", "kernel", "stride", "padding",
  "output_padding"}`` (weights as torch holds them: (C_in, C_out, kh, kw) for the transposed
  convolution, (C_out, C_in, kh, kw) for the convolution)

A layer of a kind not listed here is refused with a ``ValueError`` naming it, so a new
network never gives a page that decodes wrongly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from torch import nn

from vaekit.explorer.arrays import float32_b64
from vaekit.nn import ConvDecoder, ImageAdapter, _Batched

_ACTIVATIONS: dict[type[nn.Module], str] = {
    nn.ReLU: "relu",
    nn.LeakyReLU: "leaky_relu",
    nn.ELU: "elu",
    nn.GELU: "gelu",
    nn.SiLU: "silu",
    nn.Tanh: "tanh",
    nn.Sigmoid: "sigmoid",
}


def _pair(value: Any) -> list[int]:
    return [int(v) for v in value] if isinstance(value, (tuple, list)) else [int(value), int(value)]


def _tensor(t: Any) -> str:
    return float32_b64(t.detach().cpu().numpy())


def _conv(module: nn.Conv2d | nn.ConvTranspose2d, shape: tuple[int, ...]) -> tuple[dict[str, Any], tuple[int, ...]]:
    """One convolution layer's dict and its output shape (C, H, W) for an input of ``shape``."""
    transposed = isinstance(module, nn.ConvTranspose2d)
    name = type(module).__name__
    if module.groups != 1 or _pair(module.dilation) != [1, 1] or module.padding_mode != "zeros":
        raise ValueError(f"the explorer decodes {name} layers with groups=1, dilation=1 and zero padding only")
    if isinstance(module.padding, str) or len(shape) != 3:
        raise ValueError(f"the explorer cannot export {name} with padding={module.padding!r} on input {shape}")
    (kh, kw), (sh, sw), (ph, pw) = _pair(module.kernel_size), _pair(module.stride), _pair(module.padding)
    _, h, w = shape
    if transposed:
        oph, opw = _pair(module.output_padding)
        out = (module.out_channels, (h - 1) * sh - 2 * ph + kh + oph, (w - 1) * sw - 2 * pw + kw + opw)
    else:
        oph = opw = 0
        out = (module.out_channels, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)
    bias = module.bias if module.bias is not None else np.zeros(module.out_channels, np.float32)
    layer = {
        "op": "conv_transpose2d" if transposed else "conv2d",
        "weight": _tensor(module.weight),
        "bias": float32_b64(bias) if isinstance(bias, np.ndarray) else _tensor(bias),
        "kernel": [kh, kw],
        "stride": [sh, sw],
        "padding": [ph, pw],
        "output_padding": [oph, opw],
    }
    return layer, out


def _walk(module: nn.Module, shape: tuple[int, ...], layers: list[dict[str, Any]]) -> tuple[int, ...]:
    """Append ``module``'s layers, in forward order, for one input of ``shape``; its output shape."""
    if isinstance(module, (ImageAdapter, _Batched)):  # they only add or remove leading dims
        return _walk(module.net, shape, layers)
    if isinstance(module, ConvDecoder):
        for part in (module.head, module.deconvs, module.out):
            shape = _walk(part, shape, layers)
        return shape
    if isinstance(module, nn.Sequential):
        for child in module:
            shape = _walk(child, shape, layers)
        return shape
    layer: dict[str, Any]
    if isinstance(module, nn.Linear):
        if shape != (module.in_features,):
            raise ValueError(f"a Linear layer of {module.in_features} inputs meets an input of shape {shape}")
        bias = module.bias if module.bias is not None else None
        layer = {
            "op": "linear",
            "weight": _tensor(module.weight),  # (out, in)
            "bias": float32_b64(np.zeros(module.out_features)) if bias is None else _tensor(bias),
        }
        out: tuple[int, ...] = (module.out_features,)
    elif isinstance(module, nn.Unflatten):
        out = tuple(int(s) for s in module.unflattened_size)
        layer = {"op": "reshape"}
    elif isinstance(module, nn.Flatten):
        out = (math.prod(shape),)
        layer = {"op": "reshape"}
    elif isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        layer, out = _conv(module, shape)
    elif type(module) in _ACTIVATIONS:
        out = shape
        layer = {"op": "activation", "name": _ACTIVATIONS[type(module)]}
        if isinstance(module, nn.LeakyReLU):
            layer["slope"] = float(module.negative_slope)
        elif isinstance(module, nn.ELU):
            layer["alpha"] = float(module.alpha)
        elif isinstance(module, nn.GELU):
            layer["approximate"] = module.approximate
    else:
        raise ValueError(f"the explorer cannot run a {type(module).__name__} layer in the page; it decodes "
                         f"{', '.join(sorted({'Linear', 'Conv2d', 'ConvTranspose2d', 'Unflatten', 'Flatten'}))} "
                         f"and the activations {', '.join(sorted(_ACTIVATIONS.values()))}")  # fmt: skip
    if math.prod(out) != math.prod(shape) and layer["op"] == "reshape":
        raise ValueError(f"a reshape from {shape} to {out} changes the number of values")
    layers.append({**layer, "in_shape": list(shape), "out_shape": list(out)})
    return out


def network_layers(decoder: nn.Module, n_inputs: int) -> tuple[list[dict[str, Any]], tuple[int, ...]]:
    """The layer dicts of ``decoder`` for an input of ``n_inputs`` numbers, and its output shape."""
    layers: list[dict[str, Any]] = []
    shape = _walk(decoder, (n_inputs,), layers)
    return layers, shape


def _mixed_columns(specs: list[Any], layouts: list[Any], bounds: list[Any] | None) -> list[dict[str, Any]]:
    """Per column of a mixed table (its specs, layouts and plausible values): where its parameters are,
    how its value comes back (see the JS)."""
    columns = []
    for j, (spec, layout) in enumerate(zip(specs, layouts, strict=True)):
        integer = _is_integer_dtype(spec.dtype)
        columns.append(
            {
                "name": spec.name,
                "kind": spec.kind,
                "param_offset": layout.param_offset,
                "n_params": layout.n_params,
                "center": float(layout.center),  # continuous: the standardization; count: of log1p(count)
                "scale": float(layout.scale),
                "integer": bool(integer),  # a continuous column of whole numbers comes back rounded
                "categories": [_scalar(v) for v in spec.categories],
                "bounds": None if bounds is None else bounds[j].to_json(),  # the page makes values plausible too
            }
        )
    return columns


def _is_integer_dtype(name: str) -> bool:
    """Whether a column saved with dtype ``name`` holds whole numbers (as ``TableEncoder.to_frame`` rounds them)."""
    import pandas as pd

    try:
        return bool(pd.api.types.is_integer_dtype(pd.api.types.pandas_dtype(name)))
    except TypeError:
        return False


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def decoder_spec(estimator: Any) -> dict[str, Any]:
    """Everything the page needs to decode as ``estimator.inverse_transform`` does.

    Returns
    -------
    dict with ``latent_dim``; ``classes`` (a conditional model's class labels, whose
    one-hot is appended to z, else None); ``layers`` and ``out_shape`` (the
    decoder network); ``likelihood`` ("bernoulli", "continuous-bernoulli",
    "gaussian", "gaussian-learned" or "mixed"); ``sample_shape`` (what
    ``inverse_transform`` gives per row); ``scaling`` (``mean`` and ``scale`` in
    base64 float32, and ``asinh``: whether the model's units are their asinh; or None); ``columns`` (a mixed table's, each with its ``bounds``, else None);
    ``bounds`` (a table of numbers' plausible values per column, else None);
    ``codebook`` (a VQ-VAE's: ``size``, ``code_dim``, ``vectors`` of shape (K, D)).
    """
    model = estimator.model_
    classes = list(estimator.classes_) if getattr(estimator, "conditional", False) else None
    n_inputs = estimator.latent_dim_ + (len(classes) if classes else 0)
    layers, out_shape = network_layers(model.decoder, n_inputs)
    codec = estimator.codec_
    scaling, layout = codec.scaling, codec.layout()
    spec: dict[str, Any] = {
        "latent_dim": int(estimator.latent_dim_),
        "classes": None if classes is None else [_scalar(c) for c in classes],
        "layers": layers,
        "out_shape": list(out_shape),
        "likelihood": estimator.likelihood_,
        "sample_shape": [int(s) for s in estimator.input_shape_],
        "scaling": None
        if scaling is None or scaling.mean is None
        else {
            "mean": float32_b64(scaling.mean),
            "scale": float32_b64(scaling.scale),
            "asinh": scaling.kind == "robust-asinh",
        },
        "columns": None if layout is None else _mixed_columns(codec.columns, layout, codec.table.bounds),
        "bounds": None if layout is not None or codec.bounds is None else [b.to_json() for b in codec.bounds],
        "codebook": None,
    }
    codebook = estimator.explorer_extras()["codebook"]  # the kind says what else its latent space has
    if codebook is not None:
        spec["codebook"] = {**codebook, "vectors": _tensor(codebook["vectors"])}  # (K, D)
    expected = math.prod(estimator.input_shape_) if layout is None else model.table_head.n_params
    if math.prod(out_shape) != expected:
        raise ValueError(f"the decoder gives {out_shape}, but the model's output has {expected} values")
    return spec
