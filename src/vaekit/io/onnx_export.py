"""A fitted model as two ONNX graphs, for use outside Python and PyTorch (onnxruntime, ONNX.js, ...).

:func:`export_onnx` writes, into a new folder:

- ``encoder.onnx``: input ``x``, rows in the user's units ``(n, *input_shape_)`` float32 -> output ``z``,
  the latent means ``(n, latent_dim_)`` (``transform``), the model's preprocessing (standardization)
  inside the graph;
- ``decoder.onnx``: input ``z`` ``(n, latent_dim_)`` float32 -> output ``x``, the decoded means in the
  user's units ``(n, *input_shape_)`` (``inverse_transform(Z, plausible=False)``: the per-column bounds
  and rounding of a table of numbers are not in the graph);
- ``README.md``: a model card with the names, shapes, units and opset.

``n`` is a dynamic axis. Exported with ``torch.onnx.export`` (the dynamo exporter, which needs the
``onnx`` and ``onnxscript`` packages: ``pip install vaekit[onnx]``). What is not exported, with the reason
in the refusal: a table with categories or gaps (its one-hot and gap encoding is built in pandas, outside
the network), a conditional model (its labels), and a VQ-VAE (its codebook lookup).
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from pathlib import Path
from typing import Any, cast

import torch
from torch import Tensor, nn

__all__ = ["OPSET", "export_onnx"]

OPSET = 18
"""The ONNX opset of the exported graphs (onnxruntime 1.14 and later run it)."""


class _Units(nn.Module):
    """The model's preprocessing, in the graph: the user's units <-> the model's ((x - mean) / scale, its
    asinh for "robust-asinh"; the identity without a scaling)."""

    def __init__(self, scaling: Any) -> None:
        super().__init__()
        self.asinh = scaling.kind == "robust-asinh"
        self.register_buffer(
            "mean", None if scaling.mean is None else torch.as_tensor(scaling.mean, dtype=torch.float32)
        )
        self.register_buffer(
            "scale", None if scaling.scale is None else torch.as_tensor(scaling.scale, dtype=torch.float32)
        )

    def to_model(self, x: Tensor) -> Tensor:
        mean, scale = cast(Tensor | None, self.mean), cast(Tensor | None, self.scale)
        if mean is None or scale is None:
            return x
        x = (x - mean) / scale
        return torch.asinh(x) if self.asinh else x

    def to_user(self, x: Tensor) -> Tensor:
        mean, scale = cast(Tensor | None, self.mean), cast(Tensor | None, self.scale)
        if mean is None or scale is None:
            return x
        return (torch.sinh(x) if self.asinh else x) * scale + mean


class _Encoder(nn.Module):
    """User-unit rows (n, *input_shape) -> latent means (n, latent)."""

    def __init__(self, model: nn.Module, units: _Units) -> None:
        super().__init__()
        self.model, self.units = model, units

    def forward(self, x: Tensor) -> Tensor:
        return self.model.encode(self.units.to_model(x)).mode()  # type: ignore[operator]  # AutoEncoderModel.encode


class _Decoder(nn.Module):
    """Latent codes (n, latent) -> decoded means in the user's units (n, *input_shape)."""

    def __init__(self, model: nn.Module, units: _Units) -> None:
        super().__init__()
        self.model, self.units = model, units

    def forward(self, z: Tensor) -> Tensor:
        return self.units.to_user(self.model.decode(z).mean)  # type: ignore[operator]  # AutoEncoderModel.decode


def _refusal(estimator: Any) -> str | None:
    """Why ``estimator`` cannot be exported (None when it can)."""
    name = type(estimator).__name__
    if estimator.codec_.tabular:
        return (
            f"{name} was fitted on a table with categories or gaps, whose one-hot and gap encoding is done in "
            "pandas before the network: only models of numeric arrays and images export to ONNX"
        )
    if estimator.conditional:
        return f"{name} is conditional: its encoder and decoder take labels, which the exported graphs do not"
    if getattr(estimator, "kind", "") == "vqvae":
        return f"{name}'s codebook lookup (a nearest-neighbour search) is not exported to ONNX"
    return None


def export_onnx(estimator: Any, folder: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``encoder.onnx``, ``decoder.onnx`` and a model card into ``folder`` (see the module docstring).

    Parameters
    ----------
    estimator : a fitted vaekit estimator of numeric arrays or images
    folder : path
        A new folder, or an existing empty one (or, with ``overwrite``, one this function wrote).
    overwrite : bool
        Replace the files of an earlier export.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    ValueError
        The model cannot be exported (a mixed table, a conditional model, a VQ-VAE), or the folder
        holds other files.
    ImportError
        The ``onnx`` or ``onnxscript`` package is missing.
    """
    why = _refusal(estimator)
    if why is not None:
        raise ValueError(why)
    folder = Path(folder)
    written = {"encoder.onnx", "decoder.onnx", "README.md"}
    if folder.exists():
        if not folder.is_dir():
            raise ValueError(f"{folder} is a file; give a folder for the exported graphs")
        present = {p.name for p in folder.iterdir()}
        if present - written or (present and not overwrite):
            raise ValueError(
                f"{folder} already holds {', '.join(sorted(present)[:5])}; give a new or empty folder"
                + ("" if present - written else ", or overwrite=True (--force) to replace an earlier export")
            )
    for package in ("onnx", "onnxscript"):
        try:
            __import__(package)
        except ImportError:
            raise ImportError(f"exporting to ONNX needs the {package} package: pip install 'vaekit[onnx]'") from None
    folder.mkdir(parents=True, exist_ok=True)
    units = _Units(estimator.scaling_)
    model = estimator.model_.to("cpu").eval()
    shape, latent = tuple(estimator.input_shape_), int(estimator.latent_dim_)
    rows = torch.export.Dim("n", min=1)
    graphs = (
        ("encoder.onnx", _Encoder(model, units), torch.zeros((2, *shape)), "x", "z"),
        ("decoder.onnx", _Decoder(model, units), torch.zeros((2, latent)), "z", "x"),
    )
    quiet = logging.getLogger("torch.onnx")  # its exporter logs each torchvision op it skips
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        for file, module, example, name_in, name_out in graphs:
            _export(file, module, example, name_in, name_out, rows, folder)
    finally:
        quiet.setLevel(level)
        estimator.model_.to(estimator.device_)
    (folder / "README.md").write_text(_model_card(estimator, shape, latent))
    return folder


def _export(
    file: str, module: nn.Module, example: Tensor, name_in: str, name_out: str, rows: Any, folder: Path
) -> None:
    """One graph into ``folder / file``, with a dynamic first axis."""
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's own deprecation notes, not the user's business
        program = torch.onnx.export(
            module.eval(),
            (example,),
            dynamo=True,
            opset_version=OPSET,
            input_names=[name_in],
            output_names=[name_out],
            dynamic_shapes=({0: rows},),
            verbose=False,
        )
    assert program is not None  # the dynamo exporter returns its program
    program.save(str(folder / file), external_data=False)


def _model_card(estimator: Any, shape: tuple[int, ...], latent: int) -> str:
    """The folder's README: what each graph takes and gives, in which units."""
    dims = " x ".join(str(s) for s in shape)
    scaling = estimator.scaling_
    units = {
        "standardize": "standardized inside the graph with the training data's per-feature mean and standard "
        "deviation, so give it raw values",
        "robust-asinh": "scaled inside the graph as at fit (asinh of (x - median) / (IQR / 1.349) per feature), "
        "so give it raw values",
    }.get(scaling.kind, "given as they were at fit (no preprocessing)")
    names = list(estimator.codec_.names or [])
    columns = f"\nColumns, in order: {json.dumps(names)}\n" if names and len(shape) == 1 and len(names) < 200 else ""
    return f"""# {type(estimator).__name__} exported to ONNX (opset {OPSET})

Made by vaekit from a model with likelihood `{estimator.likelihood_}`, architecture
`{estimator.architecture_}`, {math.prod(shape)} input values per row and a {latent}-dimensional latent code.

| graph | input | output |
|---|---|---|
| `encoder.onnx` | `x`: float32 (n, {dims}), in the training data's units | `z`: float32 (n, {latent}), the latent means (`transform`) |
| `decoder.onnx` | `z`: float32 (n, {latent}) | `x`: float32 (n, {dims}), the decoded means in the data's units (`inverse_transform(Z, plausible=False)`) |

`n`, the number of rows, is free. Inputs are {units}. The decoder's outputs are not clipped to each
column's observed range nor rounded (vaekit's `plausible=True` does that in Python).{columns}
```python
import numpy as np, onnxruntime as ort
encoder = ort.InferenceSession("encoder.onnx")
z = encoder.run(["z"], {{"x": X.astype(np.float32)}})[0]
```
"""
