"""``vaekit export``: a model as ONNX graphs (:mod:`vaekit.io.onnx_export`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vaekit.cli._app import Force, _load_model, _refuse_onto_inputs, app, friendly


@app.command(epilog="Example: vaekit export runs/cardio-detector -o cardio-onnx")
@friendly
def export(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the graphs (new, or empty).")],
    force: Force = False,
) -> None:
    """Write the model as ONNX graphs into a folder: encoder.onnx (rows in the data's units -> latent means),
    decoder.onnx (latent codes -> decoded means) and README.md (names, shapes, units, opset). Run them with
    onnxruntime, without PyTorch. Models of numeric arrays and images; not a table with categories or gaps."""
    from vaekit.io.onnx_export import export_onnx

    _refuse_onto_inputs(output, (model,))
    estimator = _load_model(model)
    folder = export_onnx(estimator, output, overwrite=force)
    typer.echo(f"wrote {folder / 'encoder.onnx'}, {folder / 'decoder.onnx'} and {folder / 'README.md'}")
