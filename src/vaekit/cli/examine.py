"""Commands that measure and show a trained model: evaluate, plot, summary; and the built-in datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vaekit.cli._app import (
    DataDir,
    Force,
    Seed,
    _check_output,
    _load_model,
    _model_header,
    _read,
    app,
    data_options,
    friendly,
)
from vaekit.plots import FIGURES  # the figure kinds, for --kind's help; imports neither matplotlib nor torch

if TYPE_CHECKING:
    from vaekit.data.options import ReadOptions


@app.command(epilog="Example: vaekit evaluate runs/mnist-vae mnist --split test --json")
@friendly
@data_options
def evaluate(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    data: Annotated[str, typer.Argument(help="File, image folder or built-in dataset name.")],
    samples: Annotated[int, typer.Option("--samples", help="Posterior draws per row for the reconstruction term.")] = 1,
    log_likelihood: Annotated[
        int,
        typer.Option(
            "--log-likelihood",
            "-k",
            help="Importance samples per row for log p(x) (0: skip; 1000 is the usual figure).",
        ),
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    seed: Seed = 0,
    read: ReadOptions | None = None,
) -> None:
    """ELBO, reconstruction and KL in nats per row, squared error, and PCA on the same rows beside them."""
    loaded = _read(data, read, _model_header(model))
    from vaekit.evaluation.likelihood import positive_density_note
    from vaekit.evaluation.metrics import evaluate_model

    estimator = _load_model(model)  # after the data is read and checked: importing torch takes seconds
    X, y = loaded.inputs(estimator.conditional)
    result = evaluate_model(
        estimator,
        X,
        n_samples=samples,
        random_state=seed,
        y=y,
        log_likelihood_samples=log_likelihood or None,
    )
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"{type(estimator).__name__} on {data} ({result['n']:,} rows, {result['likelihood']} likelihood):")
    if result["elbo"] is not None:
        typer.echo(f"  ELBO            {result['elbo']:12.4f} nats per row ({samples} posterior draw(s) per row)")
    if result.get("log_likelihood") is not None:
        typer.echo(
            f"  log p(x)        {result['log_likelihood']:12.4f} nats per row (importance-sampled, K={log_likelihood}); "
            f"{result['bits_per_dim']:.4f} bits per dimension"
        )
    note = positive_density_note(result["elbo"], result.get("log_likelihood"))
    if note is not None:
        typer.echo(f"  note: {note}")
    typer.echo(f"  reconstruction  {result['reconstruction']:12.4f} nats per row (-log p(x|z))")
    typer.echo(f"  KL              {result['kl']:12.4f} nats per row")
    if result.get("active_units") is not None:
        typer.echo(
            f"  active units    {result['active_units']:12d} of {estimator.latent_dim_} (posterior mean varies by > 0.01)"
        )
    for name, measured in result.items():  # the kind's own measures (diagnostics), each with its summary
        if isinstance(measured, dict) and isinstance(measured.get("summary"), str):
            typer.echo(f"  {name:<15} {measured['summary']}")
    if result.get("table") is not None:  # a mixed table: each column against its mean or most frequent value
        from vaekit.evaluation.table_metrics import table_summary

        typer.echo(f"  per column      {table_summary(result['table'])}")
        for column in result["table"]["columns"]:
            if column.get("accuracy") is not None:
                how = f"{column['accuracy']:.1%} right (most frequent value {column['baseline_accuracy']:.1%})"
            elif column.get("rmse") is not None:
                how = f"RMSE {column['rmse']:.3f} sd, R2 {column['r2'] if column['r2'] is None else round(column['r2'], 3)}"
            else:
                how = "never observed here"
            typer.echo(f"    {column['name']:<20} {column['kind']:<12} {how}; {1 - column['observed']:.1%} missing")
        return
    typer.echo(
        f"  squared error   {result['squared_error']:12.6g} per row (sum over features); MSE {result['mse']:.6g} per element"
    )
    pca = result["pca_in_sample"]
    typer.echo(
        f"  PCA, {pca['n_components']} comp.   {pca['squared_error']:12.6g} per row; MSE {pca['mse']:.6g} "
        "(fitted on these same rows: in-sample, so flattering to PCA)"
    )


@app.command(epilog="Example: vaekit plot runs/digits-vae digits --kind manifold -o manifold.png")
@friendly
@data_options
def plot(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    data: Annotated[
        str | None,
        typer.Argument(
            help=f"File, folder or dataset (needed by {', '.join(k for k, f in FIGURES.items() if f.needs_data)}).",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help=", ".join(FIGURES) + ".")] = "latent",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="PNG file (default: <kind>.png).", show_default=False)
    ] = None,
    seed: Seed = 0,
    force: Force = False,
    read: ReadOptions | None = None,
) -> None:
    """Draw one figure of a model (on DATA where the figure needs it)."""
    output = output if output is not None else Path(f"{kind}.png")
    _check_output(output, force, inputs=(data, model))
    loaded = None if data is None else _read(data, read, _model_header(model))
    from vaekit.plots import make_figure, save_figure

    estimator = _load_model(model)
    save_figure(make_figure(kind, estimator, loaded, seed), output)
    typer.echo(f"wrote {output}")


@app.command(epilog="Example: vaekit summary runs/digits-vae -o layers.png")
@friendly
def summary(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also draw the layers as a PNG.", show_default=False)
    ] = None,
    force: Force = False,
) -> None:
    """Every layer with its output shape and parameter count (Keras' plot_model(show_shapes=True))."""
    from vaekit.plots import format_layer_table, layer_table, plot_layers

    if output is not None:
        _check_output(output, force, inputs=(model,))
    estimator = _load_model(model)
    rows = layer_table(estimator)
    typer.echo(
        f"{type(estimator).__name__}: latent_dim={estimator.latent_dim_}, {estimator.likelihood_} likelihood, "
        f"{estimator.architecture_} {tuple(estimator.hidden_)}, input {tuple(estimator.input_shape_)}"
    )
    typer.echo(format_layer_table(rows))
    if output is not None:
        from vaekit.plots import save_figure

        save_figure(plot_layers(rows, f"{type(estimator).__name__}, latent_dim={estimator.latent_dim_}"), output)
        typer.echo(f"wrote {output}")


@app.command(epilog="Example: vaekit datasets --data-dir ~/data")
@friendly
def datasets(data_dir: DataDir = None) -> None:
    """The built-in datasets and where each is read from."""
    from vaekit.data import builtin

    for name in builtin.list():
        info = builtin.describe(name, data_dir)
        shape = "x".join(str(s) for s in info.sample_shape)
        sizes = ", ".join(f"{k or 'all'} {v:,}" for k, v in info.n_samples.items())
        if info.source == "embedded":
            where = "embedded"
        elif info.present:
            where = f"found in {info.where}"
        else:
            where = (
                f"missing: put {', '.join(info.files)} in <dir>/{name}/ (--data-dir, $VAEKIT_DATA or ~/.cache/vaekit)"
            )
        typer.echo(f"{name:15s} {shape:7s} {sizes:38s} {where}")
        typer.echo(f"{'':15s} {info.description}")
