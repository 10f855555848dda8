"""Commands that apply a trained model to data: encode, decode, reconstruct, sample (impute: :mod:`vaekit.cli.impute`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from vaekit.cli._app import (
    Force,
    IdColumn,
    Key,
    Output,
    Seed,
    _check_output,
    _class_label,
    _load_model,
    _model_header,
    _numpy_model,
    _read,
    _refuse_onto_inputs,
    app,
    data_options,
    friendly,
)

if TYPE_CHECKING:
    from vaekit.data.options import ReadOptions


@app.command(epilog="Example: vaekit encode runs/digits-vae digits -o latents.csv")
@friendly
@data_options
def encode(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    data: Annotated[str, typer.Argument(help="File, image folder or built-in dataset name.")],
    output: Output,
    logvar: Annotated[bool, typer.Option("--logvar", help="Also write the log-variances (VAE).")] = False,
    force: Force = False,
    read: ReadOptions | None = None,
) -> None:
    """Latent means (z0, z1, ...) of every row of DATA, one output row per input row, in DATA's order. A table
    starts with the columns that name the rows: row (its number, from 0 at the first data row; images in natural
    order of their paths), then the id column or the image's file name; a .npy file holds the latents alone."""
    from vaekit.data.rows import key_columns
    from vaekit.data.write import write_array

    _check_output(output, force, inputs=(data, model))
    loaded = _read(data, read, _model_header(model))
    fast = _numpy_model(model)  # a table of numbers and an MLP: no torch, whose import takes seconds
    if fast is not None and fast.takes(loaded) and (fast.variational or not logvar):
        estimator = fast
    else:
        estimator = _load_model(model)  # after the data is read and checked
    names = [f"z{i}" for i in range(estimator.latent_dim_)]
    if logvar:
        if not estimator.variational:
            raise ValueError(
                f"--logvar needs a variational model (a Gaussian q(z|x)); {model} holds a {type(estimator).__name__}"
            )
        Z, logvars = estimator.encode(*loaded.inputs(estimator.conditional))
        Z = np.concatenate([Z, logvars], axis=1)
        names += [f"logvar{i}" for i in range(estimator.latent_dim_)]
    else:
        Z = estimator.transform(*loaded.inputs(estimator.conditional))
    extra = {} if loaded.labels is None else {loaded.label_name or "label": loaded.labels}
    keys = key_columns(loaded, taken=[*names, *extra])
    if _holds_one_array(output):
        write_array(output, Z, overwrite=force)
        left_out = ", ".join([*keys, *extra])
        typer.echo(
            f"wrote {len(Z):,} x {Z.shape[1]} latents to {output}, in DATA's order; a .npy holds one array, so "
            f"{left_out} {'is' if len(keys) + len(extra) == 1 else 'are'} not in it: write .npz, .csv or .parquet "
            "to keep them"
        )
        return
    write_array(output, Z, column_names=names, keys=keys, extra_columns=extra, overwrite=force)
    typer.echo(
        f"wrote {len(Z):,} x {Z.shape[1]} latents to {output}, one row per row of DATA named by {', '.join(keys)}"
    )


def _holds_one_array(output: str | Path) -> bool:
    """True when ``output`` is a ``.npy`` file, which holds the array alone (no row names, no labels)."""
    return Path(output).suffix.lower() == ".npy"


@app.command(epilog="Example: vaekit decode runs/digits-vae/model latents.csv -o decoded.png")
@friendly
def decode(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    latents: Annotated[str, typer.Argument(help="Latent vectors: CSV/Parquet with columns z0, z1, ... (or .npy).")],
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="CSV/Parquet/.npy/.npz, .png for an image grid, or DIR/ for one PNG per row."
        ),
    ],
    id_column: IdColumn = None,
    key: Key = None,
    force: Force = False,
    label: Annotated[
        str | None, typer.Option("--class", help="Conditional models: the class to decode for.", show_default=False)
    ] = None,
) -> None:
    """Decoded means of latent vectors, e.g. a file written by `vaekit encode`. The rows keep the names that file
    gives them (its row and id columns, e.g. an image's file name, which DIR/ then names its PNG files by); --id
    names another column."""
    import re
    import warnings

    from vaekit.data.loaded import DataNoteWarning

    _check_output_or_folder(output, force, (latents, model))
    names = [f"z{i}" for i in range(_model_header(model).latent_dim)]
    id_name, row_name = _latent_keys(latents, names, id_column)
    with warnings.catch_warnings():  # the row numbers are read next: no note that they are left out here
        if row_name is not None:
            warnings.filterwarnings("ignore", message=f".*column '{re.escape(row_name)}'", category=DataNoteWarning)
        loaded = _read_latents(latents, names, id_name or row_name, key)
    keys: dict[str, Any] = {}
    if row_name is not None:
        keys[row_name] = loaded.ids if id_name is None else _read_latents(latents, names, row_name, key).ids
    if id_name is not None:
        keys[str(loaded.id_name)] = loaded.ids
    fast = _numpy_model(model) if label is None else None  # without torch, as encode
    if fast is not None and fast.takes_latents(loaded.X):
        estimator = fast
    else:
        estimator = _load_model(model)  # after the latents are read and checked: importing torch takes seconds
    chosen = _class_label(estimator, label)
    if chosen is None and estimator.conditional:
        raise ValueError("this conditional model decodes for a class: give one with --class")
    decoded = estimator.inverse_transform(loaded.X, chosen)
    _write_samples(estimator, decoded, output, force, keys=keys)
    named = f", named by {', '.join(keys)}" if keys and not _holds_one_array(output) else ""
    typer.echo(f"wrote {len(decoded):,} decoded samples to {_shown(output)}{named}")


def _latent_keys(latents: str, names: list[str], id_column: str | None) -> tuple[str | None, str | None]:
    """The columns of a latents file that name its rows: ``(id column, row-number column)``, either None.

    ``--id`` names the id column; without it, the column that ``vaekit encode`` (or a run's
    ``latents.csv``) wrote before the latents, other than the row numbers: an image's
    ``file``, a table's id column; ``ids`` in an ``.npz`` file.
    """
    from vaekit.data.read import column_names
    from vaekit.data.rows import numbers_column

    try:
        columns = column_names(latents) or []
    except ValueError:
        columns = []  # the reader names what is wrong with the file below
    row_name = numbers_column(columns)
    if id_column is not None:
        return id_column, None if row_name == id_column else row_name
    leading = columns[: columns.index(names[0])] if names[0] in columns else ["ids"] if "ids" in columns else []
    id_name = next((name for name in leading if name != row_name), None)
    return id_name, row_name


def _read_latents(latents: str, names: list[str], id_column: str | None, key: str | None) -> Any:
    """The latents file read: its columns z0, z1, ... (or the whole array of a file without column names)."""
    from vaekit.data.loaded import DataFileError
    from vaekit.data.read import read_data

    try:
        return read_data(latents, columns=names, id_column=id_column, key=key)
    except DataFileError as missing_names:
        # Only a file without column names (an array, a CSV without a header) is taken whole.
        loaded = read_data(latents, id_column=id_column, key=key)
        generic = [f"x{i}" for i in range(loaded.X.shape[-1])]
        if loaded.feature_names is not None and [str(n) for n in loaded.feature_names] != generic:
            raise missing_names
        return loaded


def _refuse_png_of_rows(estimator: Any, output: Path, hint: str = "") -> None:
    """A one-line error, naming ``output``, when it is a PNG and the model's samples are table rows."""
    if output.suffix.lower() == ".png" and len(estimator.input_shape_) < 2:
        raise ValueError(
            f"{output}: a PNG needs images, and this model gives table rows; write .csv, .parquet or .npy "
            f"instead (e.g. -o {output.with_suffix('.csv')}){hint}"
        )


def _is_folder(output: str | Path) -> bool:
    """True when ``-o`` names a folder: it ends with a slash, or is a folder that exists."""
    return str(output).endswith(("/", os.sep)) or Path(output).expanduser().is_dir()


def _check_output_or_folder(output: str, force: bool, inputs: tuple[str | Path | None, ...]) -> None:
    """Refuse an existing output file without --force (a folder is checked when written), and an output
    file or folder that is, holds or lies in one of ``inputs``."""
    if not _is_folder(output):
        _check_output(Path(output), force, images=True, inputs=inputs)
    else:
        _refuse_onto_inputs(Path(output), inputs)


def _shown(output: str) -> str:
    """The output as a message names it: a folder with its trailing slash."""
    return output if not _is_folder(output) or output.endswith(("/", os.sep)) else output + "/"


def _write_samples(
    estimator: Any,
    X: Any,
    output: str | Path,
    force: bool,
    keys: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    title: str | None = None,
) -> None:
    """Decoded or reconstructed rows to ``output``: a table (``keys``, the row-name columns, first), a
    PNG grid, or a folder of PNG files named by the rows' ids, else by their row numbers."""
    from vaekit.data.rows import numbers_column
    from vaekit.data.write import write_array, write_images

    keys = keys or {}
    if _is_folder(output):
        if len(estimator.input_shape_) < 2:
            raise ValueError(
                f"{output}: a folder gets one PNG per row, which needs images, and this model gives table rows; "
                "write .csv, .parquet or .npy instead"
            )
        numbers = numbers_column(keys)
        ids = [values for name, values in keys.items() if name != numbers]
        names = ids[0] if ids else [f"{int(r):06d}" for r in keys[numbers]] if numbers else None
        write_images(output, X, names=names, overwrite=force)
        return
    output = Path(output)
    if output.suffix.lower() == ".png":
        _refuse_png_of_rows(estimator, output)
        from vaekit.plots import image_grid, save_figure

        save_figure(image_grid(X, title=title), output)
        return
    names = getattr(estimator, "feature_names_in_", None)
    write_array(
        output,
        X,
        column_names=None if names is None else list(names),
        keys=None if _holds_one_array(output) else keys,
        extra_columns=extra,
        overwrite=force,
    )


@app.command(epilog="Example: vaekit reconstruct runs/digits-vae digits -o recon.csv")
@friendly
@data_options
def reconstruct(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    data: Annotated[str, typer.Argument(help="File, image folder or built-in dataset name.")],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="CSV/Parquet/.npy/.npz, .png (a few rows above their reconstructions), or DIR/ for one PNG per row.",
        ),
    ],
    force: Force = False,
    read: ReadOptions | None = None,
) -> None:
    """Reconstructions of DATA, with each row's squared reconstruction error."""
    _check_output_or_folder(output, force, (data, model))
    model_header = _model_header(model)
    _refuse_png_of_rows(
        model_header, Path(output), f"; to draw a few rows: vaekit plot {model} {data} --kind reconstructions"
    )
    loaded = _read(data, read, model_header)
    from vaekit.data.rows import key_columns, row_names
    from vaekit.evaluation.errors import reconstruction_error

    fast = _numpy_model(model)  # without torch, as encode
    estimator = fast if fast is not None and fast.takes(loaded) else _load_model(model)
    X_hat = estimator.reconstruct(*loaded.inputs(estimator.conditional))
    if (
        estimator.codec_.tabular
    ):  # categories have no squared error: -log p(x|z) of each row's observed entries, in nats
        errors = estimator.loss_terms(*loaded.inputs(estimator.conditional))[0]
        error_name, error_what = "reconstruction_nll", "-log p(x|z) per row (nats, observed entries)"
    else:
        errors = reconstruction_error(loaded.X, X_hat)  # (n,)
        error_name, error_what = "reconstruction_error", "squared error per row"
    n_rows = len(X_hat)
    if not _is_folder(output) and Path(output).suffix.lower() == ".png":
        from vaekit.plots import make_figure, save_figure
        from vaekit.plots.kinds import N_RECONSTRUCTIONS

        save_figure(make_figure("reconstructions", estimator, loaded), Path(output))  # rows spread across labels
        spread = "spread across the labels" if loaded.labels is not None else "chosen at random"
        written = f"{min(N_RECONSTRUCTIONS, n_rows)} of {n_rows:,} rows ({spread}) and their reconstructions"
    else:
        columns = [str(c) for c in getattr(estimator, "feature_names_in_", [])]
        keys = key_columns(loaded, taken=[*columns, error_name])
        _write_samples(estimator, X_hat, output, force, keys=keys, extra={error_name: errors})
        written = f"{n_rows:,} reconstructions"
    worst = int(np.nanargmax(errors)) if np.isfinite(errors).any() else 0
    typer.echo(
        f"wrote {written} to {_shown(output)}; {error_what}, over all {n_rows:,} rows: "
        f"mean {np.nanmean(errors):.4g}, max {errors[worst]:.4g} ({row_names(loaded, [worst])[0]})"
    )


@app.command(epilog="Example: vaekit sample runs/digits-vae -n 64 -o samples.png")
@friendly
def sample(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="PNG grid (images), CSV/Parquet/.npy/.npz, or DIR/ (a PNG each).")
    ],
    n: Annotated[int, typer.Option("-n", "--n-samples", help="How many samples.")] = 64,
    label: Annotated[
        str | None,
        typer.Option(
            "--class",
            help="Conditional models: the class to generate (default: drawn as in training).",
            show_default=False,
        ),
    ] = None,
    seed: Seed = 0,
    force: Force = False,
) -> None:
    """Draws from the model's prior, decoded (a VAE's N(0, I); an autoencoder's fitted Gaussian)."""
    _check_output_or_folder(output, force, (model,))
    estimator = _load_model(model)
    chosen = _class_label(estimator, label)
    X = estimator.sample(n, random_state=seed, y=chosen)
    _write_samples(estimator, X, output, force, title=f"{n} samples from the prior (seed {seed})")
    typer.echo(f"wrote {n} samples to {_shown(output)}")
