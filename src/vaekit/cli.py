"""The ``vaekit`` command line: a thin layer over the Python API.

Every command parses its options, calls the library, and prints or writes the
result. Heavy imports (torch, matplotlib, pandas) happen inside the commands, so
``vaekit --help`` stays fast. Errors the user can act on (bad data, a missing model,
a file that would be overwritten) are printed as one line on stderr with exit code
1; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import json
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import typer
from typer.core import TyperCommand

from vaekit._version import __version__
from vaekit.cli_flags import kind_options, kind_options_help, parse_kind_options, to_flags
from vaekit.plots import FIGURES  # the figure kinds, for --kind's help; imports neither matplotlib nor torch

app = typer.Typer(
    name="vaekit",
    help="Autoencoders and VAEs for your own data: train, encode, decode, sample, evaluate, plot.\n\n"
    "Example: vaekit train digits --latent-dim 2 --epochs 50",
    epilog="DATA is a file (CSV/TSV, Parquet, .npy, .npz, IDX), a folder of images, or a built-in "
    "dataset name (see `vaekit datasets`). MODEL is a saved model folder or a run folder.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
_state = {"debug": False}
F = TypeVar("F", bound=Callable[..., Any])


def friendly(command: F) -> F:
    """Run a command; turn the errors a user can act on into one line and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        name = command.__name__.rstrip("_")

        def note(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
            typer.echo(f"vaekit {name}: note: {to_flags(str(message))}", err=True)

        try:
            with warnings.catch_warnings():
                warnings.showwarning = note  # the library's warnings, in the CLI's words
                return command(*args, **kwargs)
        except (ValueError, OSError) as err:
            if _state["debug"]:
                traceback.print_exc()
            # The first line says what is wrong; a few messages add lines on how to fix it.
            message = to_flags(str(err).strip() or type(err).__name__)
            typer.echo(f"vaekit {name}: error: {message}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vaekit {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    _state["debug"] = debug


# ----------------------------------------------------------------- shared options
Columns = Annotated[str | None, typer.Option("--columns", help="Comma-separated feature columns of a table (default: all but --label/--id).")]
Label = Annotated[str | None, typer.Option("--label", help="Column (or .npz key) used only to colour plots.")]
IdColumn = Annotated[str | None, typer.Option("--id", help="Column (or .npz key) carried through to outputs.")]
Key = Annotated[str | None, typer.Option("--key", help="Array to read from an .npz file.")]
ImageSize = Annotated[str | None, typer.Option("--image-size", help="Resize a folder of images to HxW, e.g. 28x20.")]
Split = Annotated[str | None, typer.Option("--split", help="Split of a built-in dataset: train or test.")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where built-in datasets' files are (default: $VAEKIT_DATA, ~/.cache/vaekit).")]
Output = Annotated[Path, typer.Option("--output", "-o", help="Output file; its suffix picks the format.")]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing output.")]
LrSchedule = Annotated[str | None, typer.Option("--lr-schedule", help="constant, cosine (to 0 at the last epoch) or plateau (/10 when the validation loss stalls).  [default: constant]", show_default=False)]
Seed = Annotated[int, typer.Option("--seed", help="Random seed.")]
Header = Annotated[bool | None, typer.Option("--header/--no-header", help="Whether a CSV's first line names the columns (default: detected).", show_default=False)]
ImageMode = Annotated[str, typer.Option("--image-mode", help="Image folders: auto, grey or rgb.")]


def _split_list(text: str | None) -> list[str] | None:
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


def _read(source: str, columns: str | None, label: str | None, id_column: str | None, key: str | None,
          image_size: str | None, split: str | None, data_dir: Path | None, header: bool | None = None,
          image_mode: str = "auto") -> Any:
    from vaekit.data.read import parse_image_size, read_data

    return read_data(
        source,
        columns=_split_list(columns),
        label=label,
        id_column=id_column,
        key=key,
        image_size=None if image_size is None else parse_image_size(image_size),
        split=split,
        data_dir=data_dir,
        header=header,
        image_mode=image_mode,
    )


def _load_model(path: Path) -> Any:
    """A model folder, or a run folder holding one in model/."""
    from vaekit.estimators import load

    return load(path)


def _match(estimator: Any, loaded: Any) -> Any:
    """Fit ``loaded`` to the model: its columns by name (:func:`~vaekit.data.columns.align_loaded`),
    or a one-line error naming the file, what the model expects and what to do."""
    from vaekit.data.columns import align_loaded
    from vaekit.data.loaded import DataFileError

    names = getattr(estimator, "feature_names_in_", None)
    loaded = align_loaded(loaded, None if names is None else [str(n) for n in names])
    expected, got = tuple(estimator.input_shape_), tuple(loaded.X.shape[1:])
    flattened = len(got) == 1 and len(expected) > 1 and got[0] == int(np.prod(expected))
    if got != expected and not flattened:
        hint = "resize them with `image_size`" if len(expected) >= 2 else "choose the model's columns with `columns`"
        what = f"{got[0]} features" if len(got) == 1 else f"samples of shape {got}"
        want_text = f"{expected[0]} features" if len(expected) == 1 else f"samples of shape {expected}"
        raise DataFileError(f"{loaded.source}: {what}, but the model was trained on {want_text}; {hint}")
    return loaded


def _class_label(estimator: Any, text: str | None) -> Any:
    """The class of a conditional model named by ``text`` (None for other models)."""
    if not estimator.conditional:
        if text is not None:
            raise ValueError(f"--class applies to a conditional model (--model cvae); this is a {type(estimator).__name__}")
        return None
    if text is None:
        return None
    for value in estimator.classes_:
        if str(value) == text:
            return value
    raise ValueError(f"--class {text!r} is not a class of this model; its classes: {', '.join(map(str, estimator.classes_))}")


def _check_output(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; use --force to replace it")


# ------------------------------------------------------------------------- train
class _TrainCommand(TyperCommand):
    """``vaekit train``: its help lists the model kinds and their options, read from the estimators."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        super().format_epilog(ctx, formatter)
        with formatter.section("Model kinds and the options each takes (in brackets)"):
            formatter.write_dl(kind_options_help())


@app.command(
    cls=_TrainCommand,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog="Example: vaekit train data.csv --label species --latent-dim 2 --out runs/iris",
)
@friendly
def train(
    ctx: typer.Context,
    data: Annotated[str | None, typer.Argument(help="File, image folder or built-in dataset name.", show_default=False)] = None,
    config: Annotated[Path | None, typer.Option("--config", help="A config.toml (e.g. from an earlier run); options given here override it.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model kind (listed below; cvae is conditional on --label).  [default: vae]", show_default=False)] = None,
    latent_dim: Annotated[int | None, typer.Option("--latent-dim", help="Size of the latent code.  [default: 2]", show_default=False)] = None,
    hidden: Annotated[str | None, typer.Option("--hidden", help="Encoder widths, e.g. 256,64 (the decoder mirrors them).", show_default=False)] = None,
    activation: Annotated[str | None, typer.Option("--activation", help="relu, elu, gelu, tanh, ...", show_default=False)] = None,
    architecture: Annotated[str | None, typer.Option("--architecture", help="auto, mlp or conv.", show_default=False)] = None,
    likelihood: Annotated[str | None, typer.Option("--likelihood", help="auto, gaussian, gaussian-learned or bernoulli.", show_default=False)] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", help="Most epochs (early stopping may end sooner).  [default: 100]", show_default=False)] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="[default: 128]", show_default=False)] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Adam learning rate.  [default: 0.001]", show_default=False)] = None,
    lr_schedule: LrSchedule = None,
    patience: Annotated[int | None, typer.Option("--patience", help="Epochs without improvement before stopping; 0 never stops early.", show_default=False)] = None,
    test_fraction: Annotated[float | None, typer.Option("--test-fraction", help="Rows held out for test metrics.  [default: 0.1]", show_default=False)] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.  [default: 0]", show_default=False)] = None,
    device: Annotated[str | None, typer.Option("--device", help="auto, cpu, cuda, cuda:1, mps.", show_default=False)] = None,
    columns: Columns = None,
    label: Label = None,
    id_column: IdColumn = None,
    key: Key = None,
    image_size: ImageSize = None,
    split: Split = None,
    data_dir: DataDir = None,
    header: Header = None,
    image_mode: Annotated[str | None, typer.Option("--image-mode", help="Image folders: auto, grey or rgb.", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run folder (default: runs/<data>-<model>, numbered if taken).", show_default=False)] = None,
    force: Force = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Train an autoencoder or VAE on DATA and write a run folder (model, metrics, figures, report.html)."""
    from vaekit.runconfig import default_config, read_config
    from vaekit.runs import next_free, train_run

    try:  # options that only some kinds take, derived from the estimators
        kind_values = parse_kind_options(ctx.args, kind_options())
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    cfg = read_config(config) if config is not None else default_config()
    given = {
        ("data", "source"): data, ("data", "columns"): _split_list(columns), ("data", "label"): label,
        ("data", "id"): id_column, ("data", "key"): key, ("data", "image_size"): image_size,
        ("data", "split"): split, ("data", "header"): header, ("data", "image_mode"): image_mode, ("data", "data_dir"): None if data_dir is None else str(data_dir),
        ("data", "test_fraction"): test_fraction, ("model", "model"): model, ("model", "latent_dim"): latent_dim,
        ("model", "hidden"): None if hidden is None else _parse_hidden(hidden), ("model", "activation"): activation,
        ("model", "architecture"): architecture, ("model", "likelihood"): likelihood,
        **{("model", name): value for name, value in kind_values.items()},
        ("training", "epochs"): epochs, ("training", "batch_size"): batch_size,
        ("training", "lr"): lr, ("training", "lr_schedule"): lr_schedule, ("training", "seed"): seed,
        ("training", "device"): device,
    }
    _apply(cfg, given, patience)
    if out is None:
        stem = Path(str(cfg["data"]["source"])).name.split(".")[0] or "data"
        out = next_free(Path("runs") / f"{stem}-{cfg['model']['model']}")
    metrics = train_run(cfg, out, force=force, verbose=0 if quiet else 1)
    _print_metrics(metrics)
    typer.echo(f"Run written to {out}/ -- open {out / 'report.html'} (model in {out / 'model'})")


def _apply(cfg: dict[str, dict[str, Any]], given: dict[tuple[str, str], Any], patience: int | None) -> None:
    """Options given on the command line override the configuration file's values."""
    for (table, name), value in given.items():
        if value is not None:
            cfg[table][name] = value
    if patience is not None:
        cfg["training"]["patience"] = None if patience == 0 else patience
    if cfg["data"]["source"] is None:
        raise ValueError("no DATA: give a file, an image folder or a built-in dataset name (or --config with [data] source)")


def _parse_hidden(text: str) -> list[int]:
    try:
        widths = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        raise ValueError(f"--hidden {text!r} must be comma-separated positive integers, e.g. 256,64") from None
    if not widths or min(widths) < 1:
        raise ValueError(f"--hidden {text!r} must be comma-separated positive integers, e.g. 256,64")
    return widths


def _print_metrics(metrics: dict[str, Any]) -> None:
    typer.echo(f"{metrics['model']} ({metrics['likelihood']} likelihood) on {metrics['device']}: "
               f"{metrics['epochs_run']} epochs (best {metrics['best_epoch']}) in {metrics['wall_time_s']:.1f} s")
    for part in ("train", "test"):
        m = metrics.get(part)
        if m:
            elbo = f"ELBO {m['elbo']:.3f}, " if m["elbo"] is not None else ""
            typer.echo(f"  {part:5s} {elbo}reconstruction {m['reconstruction']:.3f}, KL {m['kl']:.3f} nats; "
                       f"squared error {m['squared_error']:.4g} per sample (MSE {m['mse']:.4g})")
    pca = metrics.get("pca")
    if pca:
        typer.echo(f"  PCA with {pca['n_components']} components ({pca['split']}): squared error "
                   f"{pca['squared_error']:.4g} per sample (MSE {pca['mse']:.4g})")


@app.command(epilog="Example: vaekit sweep digits --latent-dims 1,2,4,8,16 --models ae,vae --epochs 100")
@friendly
def sweep(
    data: Annotated[str | None, typer.Argument(help="File, image folder or built-in dataset name.", show_default=False)] = None,
    latent_dims: Annotated[str, typer.Option("--latent-dims", help="Latent sizes to train, comma-separated.")] = "1,2,4,8,16,32",
    models: Annotated[str, typer.Option("--models", help="Model kinds to train at each size (see `vaekit train --help`; not conditional ones).")] = "ae,vae",
    config: Annotated[Path | None, typer.Option("--config", help="A config.toml for everything but model and latent size.")] = None,
    hidden: Annotated[str | None, typer.Option("--hidden", help="Encoder widths, e.g. 256,64.", show_default=False)] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", help="Most epochs per run.  [default: 100]", show_default=False)] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", show_default=False)] = None,
    lr: Annotated[float | None, typer.Option("--lr", show_default=False)] = None,
    lr_schedule: LrSchedule = None,
    patience: Annotated[int | None, typer.Option("--patience", help="0 never stops early.", show_default=False)] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="[default: 0]", show_default=False)] = None,
    device: Annotated[str | None, typer.Option("--device", show_default=False)] = None,
    test_fraction: Annotated[float | None, typer.Option("--test-fraction", show_default=False)] = None,
    columns: Columns = None, label: Label = None, id_column: IdColumn = None, key: Key = None,
    image_size: ImageSize = None, split: Split = None, data_dir: DataDir = None, header: Header = None,
    out: Annotated[Path | None, typer.Option("--out", help="Sweep folder (default: runs/sweep-<data>).", show_default=False)] = None,
    force: Force = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Train each model at each latent size; draw reconstruction error against latent size, PCA beside it."""
    from vaekit.estimators import REGISTRY
    from vaekit.plots import plot_sweep, save_figure
    from vaekit.runconfig import default_config, read_config
    from vaekit.sweep import (
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
    cfg = read_config(config) if config is not None else default_config()
    _apply(cfg, {
        ("data", "source"): data, ("data", "columns"): _split_list(columns), ("data", "label"): label,
        ("data", "id"): id_column, ("data", "key"): key, ("data", "image_size"): image_size, ("data", "split"): split,
        ("data", "data_dir"): None if data_dir is None else str(data_dir), ("data", "header"): header,
        ("data", "test_fraction"): test_fraction, ("model", "hidden"): None if hidden is None else _parse_hidden(hidden),
        ("training", "epochs"): epochs, ("training", "batch_size"): batch_size, ("training", "lr"): lr,
        ("training", "lr_schedule"): lr_schedule, ("training", "seed"): seed, ("training", "device"): device,
    }, patience)
    if out is None:
        out = Path("runs") / f"sweep-{Path(str(cfg['data']['source'])).name.split('.')[0] or 'data'}"
    rows = run_sweep(cfg, dims, kinds, out, force=force, verbose=0 if quiet else 1)
    write_table(rows, out / "sweep.csv")
    save_figure(plot_sweep(rows, f"{cfg['data']['source']}: reconstruction error against latent size"), out / "sweep.png")
    typer.echo(format_table(rows))
    typer.echo(f"Sweep written to {out}/ -- sweep.png, sweep.csv and one run folder per model and size")


# ------------------------------------------------------------------ encode etc.
@app.command(epilog="Example: vaekit encode runs/digits-vae digits -o latents.csv")
@friendly
def encode(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    data: Annotated[str, typer.Argument(help="File, image folder or built-in dataset name.")],
    output: Output,
    logvar: Annotated[bool, typer.Option("--logvar", help="Also write the log-variances (VAE).")] = False,
    columns: Columns = None, label: Label = None, id_column: IdColumn = None, key: Key = None,
    image_size: ImageSize = None, split: Split = None, data_dir: DataDir = None, header: Header = None,
    image_mode: ImageMode = "auto", force: Force = False,
) -> None:
    """Latent means (z0, z1, ...) of every row of DATA, one output row per input row."""
    from vaekit.data.write import write_array
    _check_output(output, force)
    estimator = _load_model(model)
    loaded = _match(estimator, _read(data, columns, label, id_column, key, image_size, split, data_dir, header, image_mode))
    names = [f"z{i}" for i in range(estimator.latent_dim)]
    if logvar:
        if not estimator.variational:
            raise ValueError(f"--logvar needs a variational model (a Gaussian q(z|x)); {model} holds a {type(estimator).__name__}")
        Z, logvars = estimator.encode(*loaded.inputs(estimator.conditional))
        Z = np.concatenate([Z, logvars], axis=1)
        names += [f"logvar{i}" for i in range(estimator.latent_dim)]
    else:
        Z = estimator.transform(*loaded.inputs(estimator.conditional))
    extra = {} if loaded.labels is None else {loaded.label_name or "label": loaded.labels}
    write_array(output, Z, column_names=names, ids=loaded.ids, id_name=loaded.id_name, extra_columns=extra, overwrite=force)
    typer.echo(f"wrote {len(Z):,} x {Z.shape[1]} latents to {output}")


@app.command(epilog="Example: vaekit decode runs/digits-vae/model latents.csv -o decoded.png")
@friendly
def decode(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    latents: Annotated[str, typer.Argument(help="Latent vectors: CSV/Parquet with columns z0, z1, ... (or .npy).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV/Parquet/.npy/.npz, or .png for an image grid.")],
    id_column: IdColumn = None, key: Key = None, force: Force = False,
    label: Annotated[str | None, typer.Option("--class", help="Conditional models: the class to decode for.", show_default=False)] = None,
) -> None:
    """Decoded means of latent vectors, e.g. a file written by `vaekit encode`."""
    from vaekit.data.loaded import DataFileError
    from vaekit.data.read import read_data

    _check_output(output, force)
    estimator = _load_model(model)
    names = [f"z{i}" for i in range(estimator.latent_dim)]
    try:
        loaded = read_data(latents, columns=names, id_column=id_column, key=key)
    except DataFileError as missing_names:
        # Only a file without column names (an array, a CSV without a header) is taken whole.
        loaded = read_data(latents, id_column=id_column, key=key)
        generic = [f"x{i}" for i in range(loaded.X.shape[-1])]
        if loaded.feature_names is not None and [str(n) for n in loaded.feature_names] != generic:
            raise missing_names
    chosen = _class_label(estimator, label)
    if chosen is None and estimator.conditional:
        raise ValueError("this conditional model decodes for a class: give one with --class")
    decoded = estimator.inverse_transform(loaded.X, chosen)
    _write_samples(estimator, decoded, output, force, ids=loaded.ids, id_name=loaded.id_name)
    typer.echo(f"wrote {len(decoded):,} decoded samples to {output}")


def _write_samples(estimator: Any, X: Any, output: Path, force: bool, ids: Any = None, id_name: str | None = None,
                   extra: dict[str, Any] | None = None, title: str | None = None) -> None:
    from vaekit.data.write import write_array

    if output.suffix.lower() == ".png":
        if len(estimator.input_shape_) < 2:
            raise ValueError(f"{output}: a PNG grid needs images; this model's samples are table rows (write .csv instead)")
        from vaekit.plots import image_grid, save_figure

        save_figure(image_grid(X, title=title), output)
        return
    names = getattr(estimator, "feature_names_in_", None)
    write_array(output, X, column_names=None if names is None else list(names), ids=ids, id_name=id_name,
                extra_columns=extra, overwrite=force)


@app.command(epilog="Example: vaekit reconstruct runs/digits-vae digits -o recon.csv")
@friendly
def reconstruct(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    data: Annotated[str, typer.Argument(help="File, image folder or built-in dataset name.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV/Parquet/.npy/.npz, or .png (originals above reconstructions).")],
    columns: Columns = None, label: Label = None, id_column: IdColumn = None, key: Key = None,
    image_size: ImageSize = None, split: Split = None, data_dir: DataDir = None, header: Header = None,
    image_mode: ImageMode = "auto", force: Force = False,
) -> None:
    """Reconstructions of DATA, with each row's squared reconstruction error."""
    from vaekit.evaluation import reconstruction_error
    _check_output(output, force)
    estimator = _load_model(model)
    loaded = _match(estimator, _read(data, columns, label, id_column, key, image_size, split, data_dir, header, image_mode))
    X_hat = estimator.reconstruct(*loaded.inputs(estimator.conditional))
    errors = reconstruction_error(loaded.X, X_hat)  # (n,)
    if output.suffix.lower() == ".png":
        from vaekit.plots import plot_reconstructions, save_figure

        save_figure(plot_reconstructions(loaded.X[:10], X_hat[:10]), output)
    else:
        _write_samples(estimator, X_hat, output, force, ids=loaded.ids, id_name=loaded.id_name,
                       extra={"reconstruction_error": errors})
    typer.echo(f"wrote {len(X_hat):,} reconstructions to {output}; squared error per row: "
               f"mean {errors.mean():.4g}, max {errors.max():.4g} (row {int(errors.argmax())})")


@app.command(epilog="Example: vaekit sample runs/digits-vae -n 64 -o samples.png")
@friendly
def sample(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="PNG grid (images), CSV/Parquet/.npy/.npz.")],
    n: Annotated[int, typer.Option("-n", "--n-samples", help="How many samples.")] = 64,
    label: Annotated[str | None, typer.Option("--class", help="Conditional models: the class to generate (default: drawn as in training).", show_default=False)] = None,
    seed: Seed = 0,
    force: Force = False,
) -> None:
    """Draws from the model's prior, decoded (a VAE's N(0, I); an autoencoder's fitted Gaussian)."""
    _check_output(output, force)
    estimator = _load_model(model)
    chosen = _class_label(estimator, label)
    X = estimator.sample(n, random_state=seed, y=chosen)
    _write_samples(estimator, X, output, force, title=f"{n} samples from the prior (seed {seed})")
    typer.echo(f"wrote {n} samples to {output}")


@app.command(epilog="Example: vaekit evaluate runs/mnist-vae mnist --split test --json")
@friendly
def evaluate(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    data: Annotated[str, typer.Argument(help="File, image folder or built-in dataset name.")],
    samples: Annotated[int, typer.Option("--samples", help="Posterior draws per row for the reconstruction term.")] = 1,
    log_likelihood: Annotated[int, typer.Option("--log-likelihood", "-k", help="Importance samples per row for log p(x) (0: skip; 1000 is the usual figure).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    seed: Seed = 0,
    columns: Columns = None, label: Label = None, id_column: IdColumn = None, key: Key = None,
    image_size: ImageSize = None, split: Split = None, data_dir: DataDir = None, header: Header = None,
    image_mode: ImageMode = "auto",
) -> None:
    """ELBO, reconstruction and KL in nats per row, squared error, and PCA on the same rows beside them."""
    from vaekit.evaluation import evaluate_model
    estimator = _load_model(model)
    loaded = _match(estimator, _read(data, columns, label, id_column, key, image_size, split, data_dir, header, image_mode))
    X, y = loaded.inputs(estimator.conditional)
    result = evaluate_model(
        estimator, X, n_samples=samples, random_state=seed, y=y,
        log_likelihood_samples=log_likelihood or None,
    )
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"{type(estimator).__name__} on {data} ({result['n']:,} rows, {result['likelihood']} likelihood):")
    if result["elbo"] is not None:
        typer.echo(f"  ELBO            {result['elbo']:12.4f} nats per row ({samples} posterior draw(s) per row)")
    if result.get("log_likelihood") is not None:
        typer.echo(f"  log p(x)        {result['log_likelihood']:12.4f} nats per row (importance-sampled, K={log_likelihood}); "
                   f"{result['bits_per_dim']:.4f} bits per dimension")
    typer.echo(f"  reconstruction  {result['reconstruction']:12.4f} nats per row (-log p(x|z))")
    typer.echo(f"  KL              {result['kl']:12.4f} nats per row")
    if result.get("active_units") is not None:
        typer.echo(f"  active units    {result['active_units']:12d} of {estimator.latent_dim} (posterior mean varies by > 0.01)")
    if "codebook" in result:
        usage = result["codebook"]
        typer.echo(f"  codebook        {usage['used_codes']:12d} of {usage['codebook_size']} codes used; perplexity {usage['perplexity']:.1f}")
    typer.echo(f"  squared error   {result['squared_error']:12.6g} per row (sum over features); MSE {result['mse']:.6g} per element")
    pca = result["pca_in_sample"]
    typer.echo(f"  PCA, {pca['n_components']} comp.   {pca['squared_error']:12.6g} per row; MSE {pca['mse']:.6g} "
               "(fitted on these same rows: in-sample, so flattering to PCA)")


@app.command(epilog="Example: vaekit plot runs/digits-vae digits --kind manifold -o manifold.png")
@friendly
def plot(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    data: Annotated[str | None, typer.Argument(help=f"File, folder or dataset (needed by {', '.join(k for k, f in FIGURES.items() if f.needs_data)}).", show_default=False)] = None,
    kind: Annotated[str, typer.Option("--kind", help=", ".join(FIGURES) + ".")] = "latent",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="PNG file (default: <kind>.png).", show_default=False)] = None,
    seed: Seed = 0,
    columns: Columns = None, label: Label = None, id_column: IdColumn = None, key: Key = None,
    image_size: ImageSize = None, split: Split = None, data_dir: DataDir = None, header: Header = None,
    image_mode: ImageMode = "auto", force: Force = False,
) -> None:
    """Draw one figure of a model (on DATA where the figure needs it)."""
    from vaekit.plots import make_figure, save_figure

    output = output if output is not None else Path(f"{kind}.png")
    _check_output(output, force)
    estimator = _load_model(model)
    loaded = None if data is None else _match(
        estimator, _read(data, columns, label, id_column, key, image_size, split, data_dir, header, image_mode)
    )
    save_figure(make_figure(kind, estimator, loaded, seed), output)
    typer.echo(f"wrote {output}")


@app.command(epilog="Example: vaekit summary runs/digits-vae -o layers.png")
@friendly
def summary(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also draw the layers as a PNG.", show_default=False)] = None,
    force: Force = False,
) -> None:
    """Every layer with its output shape and parameter count (Keras' plot_model(show_shapes=True))."""
    from vaekit.plots import format_layer_table, layer_table, plot_layers

    if output is not None:
        _check_output(output, force)
    estimator = _load_model(model)
    rows = layer_table(estimator)
    typer.echo(f"{type(estimator).__name__}: latent_dim={estimator.latent_dim}, {estimator.likelihood_} likelihood, "
               f"{estimator.architecture_} {tuple(estimator.hidden_)}, input {tuple(estimator.input_shape_)}")
    typer.echo(format_layer_table(rows))
    if output is not None:
        from vaekit.plots import save_figure

        save_figure(plot_layers(rows, f"{type(estimator).__name__}, latent_dim={estimator.latent_dim}"), output)
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
            where = f"missing: put {', '.join(info.files)} in <dir>/{name}/ (--data-dir, $VAEKIT_DATA or ~/.cache/vaekit)"
        typer.echo(f"{name:15s} {shape:7s} {sizes:38s} {where}")
        typer.echo(f"{'':15s} {info.description}")


def main() -> None:
    """Entry point of the ``vaekit`` console script."""
    app(prog_name="vaekit")


if __name__ == "__main__":
    sys.exit(main())
