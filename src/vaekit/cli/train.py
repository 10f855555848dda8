"""``vaekit train`` and ``vaekit sweep``: a run folder, or one per model kind and latent size."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from vaekit.cli._app import (
    Force,
    LrSchedule,
    Threads,
    _split_list,
    app,
    data_options,
    friendly,
)
from vaekit.cli.flags import kind_options, kind_options_help, parse_kind_options, stray_argument, to_flags

if TYPE_CHECKING:
    from vaekit.data.options import ReadOptions


class _TrainCommand(TyperCommand):
    """``vaekit train``: its help lists the model kinds and their options, read from the estimators."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        super().format_epilog(ctx, formatter)
        with formatter.section("Model kinds and the options each takes (in brackets)"):
            formatter.write_dl(kind_options_help())


ColumnList = Annotated[
    str | None,
    typer.Option(
        "--categorical",
        help="Columns to model as categories (comma-separated), e.g. a number code; a mixed table's other "
        "columns get their kind from their values.",
    ),
]


@app.command(
    cls=_TrainCommand,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog="Example: vaekit train data.csv --label species --latent-dim 2 --out runs/iris",
)
@friendly
@data_options
def train(
    ctx: typer.Context,
    data: Annotated[
        str | None, typer.Argument(help="File, image folder or built-in dataset name.", show_default=False)
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="A config.toml (e.g. from an earlier run); options given here override it."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Model kind (listed below; cvae is conditional on --label).  [default: vae]",
            show_default=False,
        ),
    ] = None,
    latent_dim: Annotated[
        int | None,
        typer.Option(
            "--latent-dim",
            help="Size of the latent code.  [default: 8 for a table with categories or gaps, else 2; the detector 8]",
            show_default=False,
        ),
    ] = None,
    hidden: Annotated[
        str | None,
        typer.Option("--hidden", help="Encoder widths, e.g. 256,64 (the decoder mirrors them).", show_default=False),
    ] = None,
    activation: Annotated[
        str | None, typer.Option("--activation", help="relu, elu, gelu, tanh, ...", show_default=False)
    ] = None,
    architecture: Annotated[
        str | None, typer.Option("--architecture", help="auto, mlp or conv.", show_default=False)
    ] = None,
    likelihood: Annotated[
        str | None,
        typer.Option(
            "--likelihood",
            help="auto, gaussian, gaussian-learned, bernoulli or continuous-bernoulli.",
            show_default=False,
        ),
    ] = None,
    contamination: Annotated[
        str | None,
        typer.Option(
            "--contamination",
            help="Where predict() and vaekit score flag anomalies: auto (below Q1 - 1.5 IQR of the training rows' "
            "scores) or the share of training rows to flag, in (0, 0.5].  [default: auto]",
            show_default=False,
        ),
    ] = None,
    epochs: Annotated[
        int | None,
        typer.Option(
            "--epochs",
            help="Most epochs (early stopping may end sooner).  [default: auto: 100, or more for small data, "
            "at least 3000 optimizer steps]",
            show_default=False,
        ),
    ] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="[default: 128]", show_default=False)] = None,
    lr: Annotated[
        float | None, typer.Option("--lr", help="Adam learning rate.  [default: 0.001]", show_default=False)
    ] = None,
    lr_schedule: LrSchedule = None,
    patience: Annotated[
        int | None,
        typer.Option(
            "--patience",
            help="Epochs without improvement before stopping; 0 never stops early.  [default: auto: 10, or more "
            "for small data, at least 500 optimizer steps]",
            show_default=False,
        ),
    ] = None,
    test_fraction: Annotated[
        float | None,
        typer.Option("--test-fraction", help="Rows held out for test metrics.  [default: 0.1]", show_default=False),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.  [default: 0]", show_default=False)] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="auto, cpu, cuda, cuda:1, mps.", show_default=False)
    ] = None,
    precision: Annotated[
        str | None,
        typer.Option(
            "--precision",
            help="float32, or bf16: mixed precision (bfloat16 autocast) for GPUs that have it.  [default: float32]",
            show_default=False,
        ),
    ] = None,
    threads: Threads = None,
    categorical: ColumnList = None,
    numeric: Annotated[
        str | None, typer.Option("--numeric", help="Columns to model as numbers (comma-separated).")
    ] = None,
    count: Annotated[
        str | None, typer.Option("--count", help="Columns to model as counts (negative binomial).")
    ] = None,
    binary: Annotated[str | None, typer.Option("--binary", help="Columns to model as yes/no (two values).")] = None,
    max_categories: Annotated[
        int | None,
        typer.Option(
            "--max-categories", help="Most levels of a categorical column.  [default: 200]", show_default=False, min=1
        ),
    ] = None,
    stream: Annotated[
        bool | None,
        typer.Option(
            "--stream/--no-stream",
            help="Stream DATA from disk in chunks instead of reading it whole (.npy, Parquet, CSV, image folder).  "
            "[default: stream a .npy, Parquet or text table over 2 GiB]",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Run folder (default: runs/<data>-<model>, numbered if taken).", show_default=False),
    ] = None,
    force: Force = False,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            help="Continue the run in this folder that was stopped or killed, from its last checkpoint "
            "(its config.toml; options given here must match it).",
            show_default=False,
        ),
    ] = None,
    checkpoint_minutes: Annotated[
        float | None,
        typer.Option(
            "--checkpoint-minutes",
            help="Checkpoint at the first epoch end after this many minutes.  [default: every epoch]",
            show_default=False,
            min=0.0,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    read: ReadOptions | None = None,
) -> None:
    """Train an autoencoder or VAE on DATA and write a run folder (model, metrics, figures, report.html).

    Under torchrun (torchrun --nproc-per-node N -m vaekit train DATA ...) every process trains its share of
    each batch; rank 0 writes the run.
    """
    assert read is not None  # data_options gives it
    data_settings = {
        "source": data, "columns": read.column_list(), "label": read.label, "id": read.id_column,
        "key": read.key, "image_size": read.image_size, "split": read.split,
        "data_dir": None if read.data_dir is None else str(read.data_dir), "header": read.header,
        "image_mode": read.image_mode, "sep": read.sep, "decimal": read.decimal, "test_fraction": test_fraction,
        "na_values": read.na_value_list(), "thousands": read.thousands, "keep_ids": read.keep_ids or None,
        "categorical": _split_list(categorical), "numeric": _split_list(numeric), "count": _split_list(count),
        "binary": _split_list(binary), "max_categories": max_categories,
        "stream": None if stream is None else ("always" if stream else "never"),
    }  # fmt: skip
    if resume is not None:
        from vaekit.runs.run import check_resumable

        if out is not None and out != resume:
            raise typer.BadParameter("--resume continues the run it names; leave --out out")
        folder = check_resumable(resume)
        out, config = resume, config if config is not None else folder / "config.toml"
    stray = stray_argument(ctx.args)
    if stray is not None:  # before the data is read: a mistyped option costs no wait
        raise typer.BadParameter(f"no such option or argument: {stray} (vaekit train --help lists the options)")
    early = None
    main = os.environ.get("RANK", "0") == "0"  # under torchrun, only rank 0 checks and writes --out
    if config is None and data is not None:
        # Check --out and read the data before importing torch: a refused file or folder costs
        # a fraction of a second, not the seconds that importing the estimators takes.
        from vaekit.data.split import DATA_DEFAULTS, load_split
        from vaekit.runs.folder import check_target

        if out is not None and main:
            check_target(out, force)
        given_data = {k: v for k, v in data_settings.items() if v is not None}
        early = load_split({**DATA_DEFAULTS, **given_data}, 0 if seed is None else seed)
    from vaekit.runs.run import next_free, train_run

    try:  # options that only some kinds take, derived from the estimators
        kind_values = parse_kind_options(ctx.args, kind_options())
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    cfg = _configure(
        config,
        patience,
        **data_settings,
        model=model,
        latent_dim=latent_dim,
        hidden=hidden,
        activation=activation,
        architecture=architecture,
        likelihood=likelihood,
        contamination=_contamination(contamination),
        **kind_values,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        lr_schedule=lr_schedule,
        seed=seed,
        device=device,
        precision=precision,
        threads=threads,
    )
    if early is None:  # a --config or --resume run: its data, read as its configuration says
        from vaekit.data.split import load_split

        early = load_split(cfg["data"], int(cfg["training"]["seed"]))
    if main:  # the options are understood: say what is to be trained on, before the training
        _say_read(early)
    if out is None:
        stem = Path(str(cfg["data"]["source"])).name.split(".")[0] or "data"
        out = next_free(Path("runs") / f"{stem}-{cfg['model']['model']}")
    try:
        metrics = train_run(
            cfg,
            out,
            force=force,
            verbose=0 if quiet else 1,
            split=early,
            resume=resume is not None,
            checkpoint_minutes=checkpoint_minutes,
        )
    except RuntimeError as err:  # under torchrun: a process on another machine is gone
        from vaekit.training.distributed import lost_process

        lost = lost_process(err)
        if lost is None:
            raise
        raise lost from err
    if not main:
        return
    _print_metrics(metrics)
    typer.echo(f"Run written to {out}/ -- open {out / 'report.html'} (model in {out / 'model'})")


def _say_read(split: Any) -> None:
    """The first line of ``vaekit train``: what it read (:func:`vaekit.data.split.describe`)."""
    from vaekit.data.split import describe

    typer.echo(describe(split))


def _contamination(text: str | None) -> float | str | None:
    """``--contamination``: "auto" or a share in (0, 0.5]."""
    if text is None or text == "auto":
        return text
    try:
        share = float(text)
    except ValueError:
        share = float("nan")
    if not 0.0 < share <= 0.5:
        raise typer.BadParameter(f"--contamination must be auto or a share in (0, 0.5], got {text!r}")
    return share


def _configure(config_file: Path | None, patience: int | None, **given: Any) -> dict[str, dict[str, Any]]:
    """The run configuration: the file's (or the defaults), with the options given here on top.

    Each option lands in the table of ``config.toml`` that holds its key; None means
    "not given".
    """
    from vaekit.runs.config import DEFAULTS, default_config, read_config

    cfg = read_config(config_file) if config_file is not None else default_config()
    given["hidden"] = None if given.get("hidden") is None else _parse_hidden(given["hidden"])
    for name, value in given.items():
        if value is not None:
            table = next(table for table, keys in DEFAULTS.items() if name in keys)
            cfg[table][name] = value
    if patience is not None:
        cfg["training"]["patience"] = None if patience == 0 else patience
    if cfg["data"]["source"] is None:
        raise ValueError(
            "no DATA: give a file, an image folder or a built-in dataset name (or --config with [data] source)"
        )
    return cfg


def _parse_hidden(text: str) -> list[int]:
    try:
        widths = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        raise ValueError(f"--hidden {text!r} must be comma-separated positive integers, e.g. 256,64") from None
    if not widths or min(widths) < 1:
        raise ValueError(f"--hidden {text!r} must be comma-separated positive integers, e.g. 256,64")
    return widths


def _print_metrics(metrics: dict[str, Any]) -> None:
    from vaekit.evaluation.likelihood import positive_density_note
    from vaekit.runs.findings import against_pca

    typer.echo(
        f"{metrics['model']} ({metrics['likelihood']} likelihood) on {metrics['device']}"
        + (f" x {metrics['processes']} processes" if metrics.get("processes", 1) > 1 else "")
        + ": "
        f"{metrics['epochs_run']} epochs (best {metrics['best_epoch']}) in {metrics['wall_time_s']:.1f} s"
    )
    for part in ("train", "test"):
        m = metrics.get(part)
        if m:
            elbo = f"ELBO {m['elbo']:.3f}, " if m["elbo"] is not None else ""
            active = (
                ""
                if m.get("active_units") is None
                else f", active units {m['active_units']} of {metrics['latent_dim']}"
            )
            if m["squared_error_scaled"] is None:  # a mixed table: measured per column (below)
                error = ""
            else:
                raw = f" ({m['squared_error']:.4g} in the data's units)" if m["units"] != "the data's units" else ""
                error = f"; squared error {m['squared_error_scaled']:.4g} per sample in {m['units']}{raw}"
            typer.echo(
                f"  {part:5s} {elbo}reconstruction {m['reconstruction']:.3f}, KL {m['kl']:.3f} nats{active}{error}"
            )
    note = positive_density_note(*(metrics[part]["elbo"] for part in ("train", "test") if metrics.get(part)))
    if note is not None:
        typer.echo(f"  note: {note}")
    against = "per column" if metrics.get("pca") is None else "against PCA"
    typer.echo(f"  {against}: {against_pca(metrics)}")
    for text in metrics.get("warnings", []):
        typer.echo(f"  warning: {to_flags(text)}")


@app.command(epilog="Example: vaekit sweep digits --latent-dims 1,2,4,8,16 --models ae,vae --epochs 100")
@friendly
@data_options
def sweep(
    data: Annotated[
        str | None, typer.Argument(help="File, image folder or built-in dataset name.", show_default=False)
    ] = None,
    latent_dims: Annotated[
        str, typer.Option("--latent-dims", help="Latent sizes to train, comma-separated.")
    ] = "1,2,4,8,16,32",
    models: Annotated[
        str,
        typer.Option(
            "--models", help="Model kinds to train at each size (see `vaekit train --help`; not conditional ones)."
        ),
    ] = "ae,vae",
    config: Annotated[
        Path | None, typer.Option("--config", help="A config.toml for everything but model and latent size.")
    ] = None,
    hidden: Annotated[
        str | None, typer.Option("--hidden", help="Encoder widths, e.g. 256,64.", show_default=False)
    ] = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", help="Most epochs per run.  [default: auto]", show_default=False)
    ] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", show_default=False)] = None,
    lr: Annotated[float | None, typer.Option("--lr", show_default=False)] = None,
    lr_schedule: LrSchedule = None,
    patience: Annotated[int | None, typer.Option("--patience", help="0 never stops early.", show_default=False)] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="[default: 0]", show_default=False)] = None,
    device: Annotated[str | None, typer.Option("--device", show_default=False)] = None,
    threads: Threads = None,
    test_fraction: Annotated[float | None, typer.Option("--test-fraction", show_default=False)] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Sweep folder (default: runs/sweep-<data>).", show_default=False)
    ] = None,
    force: Force = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    read: ReadOptions | None = None,
) -> None:
    """Train each model at each latent size; draw reconstruction error against latent size, PCA beside it."""
    assert read is not None  # data_options gives it
    from vaekit.estimators import REGISTRY
    from vaekit.plots import plot_sweep, save_figure
    from vaekit.runs.sweep import (
        format_table,
        parse_dims,
        run_sweep,
        write_table,
    )

    dims = parse_dims(latent_dims)
    kinds = [m.strip() for m in models.split(",") if m.strip()]
    unconditional = [kind for kind, cls in REGISTRY.items() if not cls.conditional]
    if not kinds or any(m not in unconditional for m in kinds):
        raise ValueError(f"--models {models!r}: choose among {', '.join(unconditional)}")
    cfg = _configure(
        config,
        patience,
        **dict(source=data, columns=read.column_list(), label=read.label, id=read.id_column, key=read.key),
        **dict(image_size=read.image_size, split=read.split, data_dir=read.data_dir, header=read.header),
        **dict(image_mode=read.image_mode, sep=read.sep, decimal=read.decimal, test_fraction=test_fraction),
        **dict(na_values=read.na_value_list(), thousands=read.thousands, keep_ids=read.keep_ids or None),
        hidden=hidden,
        **dict(epochs=epochs, batch_size=batch_size, lr=lr, lr_schedule=lr_schedule, seed=seed, device=device),
        threads=threads,
    )
    if out is None:
        out = Path("runs") / f"sweep-{Path(str(cfg['data']['source'])).name.split('.')[0] or 'data'}"
    rows = run_sweep(cfg, dims, kinds, out, force=force, verbose=0 if quiet else 1)
    write_table(rows, out / "sweep.csv")
    save_figure(
        plot_sweep(rows, f"{cfg['data']['source']}: reconstruction error against latent size"), out / "sweep.png"
    )
    typer.echo(format_table(rows))
    typer.echo(f"Sweep written to {out}/ -- sweep.png, sweep.csv and one run folder per model and size")
