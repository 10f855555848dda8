"""Layer-by-layer description of a model: the tutorial's ``plot_model(show_shapes=True)``.

:func:`layer_table` runs one dummy sample through the encoder and the decoder with
forward hooks on every leaf layer and records each layer's output shape and number
of parameters; :func:`format_layer_table` prints it; :func:`plot_layers` draws it as
a column of boxes (a PNG the user can put in a report).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vaekit.plots import _estimator

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure
    from torch import nn

    from vaekit.plots._estimator import Estimator

__all__ = ["LayerRow", "format_layer_table", "layer_table", "plot_layers"]

PART_COLOURS = {
    "input": "#d9d9d9",
    "encoder": "#9ecae1",
    "latent": "#fdae6b",
    "decoder": "#a1d99b",
    "output": "#d9d9d9",
}


@dataclass(frozen=True)
class LayerRow:
    """One layer: where it sits, what it is, its output shape (batch dim omitted)."""

    part: str  # "input", "encoder", "latent", "decoder", "output"
    name: str
    kind: str
    output_shape: tuple[int, ...]
    n_params: int


def _leaf_rows(part: str, network: nn.Module, t: torch.Tensor) -> tuple[list[LayerRow], torch.Tensor]:
    """Run ``t`` (1, *in) through ``network``; a row per leaf module, in call order."""
    import torch

    rows: list[LayerRow] = []
    names = {module: name for name, module in network.named_modules()}

    def hook(module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        shape = tuple(output.shape[1:]) if isinstance(output, torch.Tensor) else ()
        n_params = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append(LayerRow(part, names[module].removeprefix("net."), type(module).__name__, shape, n_params))

    leaves = [m for m in network.modules() if not any(True for _ in m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        out = network(t)
    finally:
        for handle in handles:
            handle.remove()
    return rows, out


def layer_table(estimator: Estimator) -> list[LayerRow]:
    """Every layer of a fitted estimator's model with its output shape and parameters.

    Returns
    -------
    list of LayerRow
        Input, the encoder's layers, the latent code (mean and log-variance for a
        VAE), the decoder's layers, and the likelihood's parameters.
    """
    import torch

    model = estimator.model_
    with torch.no_grad():
        encoder_input, decoder_input, k = _estimator.network_inputs(estimator)
        kind = "Input" + (f" + condition ({k})" if k else "")
        rows = [LayerRow("input", "x", kind, tuple(estimator.input_shape_), 0)]
        encoder_rows, _ = _leaf_rows("encoder", model.encoder, encoder_input)
        rows += encoder_rows
        latent = "mean, log-variance" if estimator.variational else "code"
        rows.append(LayerRow("latent", "z", f"Latent ({latent})", (estimator.latent_dim_,), 0))
        decoder_rows, decoded = _leaf_rows("decoder", model.decoder, decoder_input)  # input (1, latent + k)
        rows += decoder_rows
    extra = sum(p.numel() for name, p in model.named_parameters() if not name.startswith(("encoder.", "decoder.")))
    rows.append(LayerRow("output", "p(x|z)", f"Likelihood ({estimator.likelihood_})", tuple(decoded.shape[1:]), extra))
    return rows


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def format_layer_table(rows: list[LayerRow]) -> str:
    """The rows as an aligned text table, with the parameter total on the last line."""
    header = ("part", "layer", "type", "output shape", "params")
    body = [(r.part, r.name, r.kind, _shape(r.output_shape), f"{r.n_params:,}") for r in rows]
    widths = [max(len(row[i]) for row in (header, *body)) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        left = [c.ljust(w) for c, w in zip(cells[:-1], widths[:-1], strict=True)]
        return "  ".join([*left, cells[-1].rjust(widths[-1])]).rstrip()

    rule = "-" * len(line(header))
    total = sum(r.n_params for r in rows)
    return "\n".join([line(header), rule, *(line(b) for b in body), rule, f"total parameters: {total:,}"])


def plot_layers(rows: list[LayerRow], title: str = "") -> Figure:
    """A column of boxes, one per layer, each labelled with its type and output shape.

    Parameters
    ----------
    rows : list of LayerRow
        As :func:`layer_table` returns them, drawn top to bottom.
    title : str
        Written above the first box; none when empty.

    Returns
    -------
    Figure
        One axes (without axis lines) holding a box per row and arrows between them.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    n = len(rows)
    fig = Figure(figsize=(5.0, 0.55 * n + 0.8))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, n + (0.6 if title else 0.2))
    ax.axis("off")
    for i, row in enumerate(rows):
        y = n - 1 - i
        box = FancyBboxPatch(
            (0.08, y - 0.32), 0.84, 0.64, boxstyle="round,pad=0.02", fc=PART_COLOURS[row.part], ec="#444444"
        )
        ax.add_patch(box)
        params = f"   {row.n_params:,} params" if row.n_params else ""
        ax.text(0.5, y + 0.08, f"{row.part}: {row.kind}", ha="center", va="center", fontsize=9)
        ax.text(
            0.5,
            y - 0.17,
            f"output {_shape(row.output_shape)}{params}",
            ha="center",
            va="center",
            fontsize=8,
            color="#333333",
        )
        if i < n - 1:
            ax.annotate(
                "", xy=(0.5, y - 0.62), xytext=(0.5, y - 0.36), arrowprops={"arrowstyle": "->", "color": "#444444"}
            )
    if title:
        ax.text(0.5, n - 0.1, title, ha="center", va="center", fontsize=10, weight="bold")
    return fig
