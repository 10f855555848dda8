"""``vaekit explore``: the interactive explorer page, or an Embedding Projector folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vaekit.cli._app import (
    Force,
    Seed,
    _check_output,
    _load_model,
    _model_header,
    _read,
    _refuse_onto_inputs,
    app,
    data_options,
    friendly,
)

FORMATS = ("html", "projector")
MAX_POINTS = 100_000  # vaekit.explorer.points.MAX_POINTS, here so that --help imports nothing heavy

if TYPE_CHECKING:
    from vaekit.data.options import ReadOptions


def run_data(run: Path) -> dict[str, Any]:
    """The ``[data]`` table of a run folder's ``config.toml``: where its training data came from.

    Raises
    ------
    ValueError
        ``run`` is a model folder (it has no data of its own), or its config.toml is unreadable.
    """
    config_file = run / "config.toml"
    if not config_file.is_file():
        raise ValueError(
            f"{run} is a model folder, not a run folder with a config.toml, so it has no data of its own; "
            "give DATA (a file, folder or built-in dataset name)"
        )
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(config_file.read_text(encoding="utf-8")).get("data", {})
    except (OSError, ValueError) as err:
        raise ValueError(f"{config_file} cannot be read ({err}); give DATA") from None
    if not isinstance(data, dict) or not isinstance(data.get("source"), str):
        raise ValueError(f"{config_file} names no data source ([data] source); give DATA")
    return data


def _run_source(run: Path, saved: dict[str, Any], model_header: Any) -> str:
    """The data a run was trained on: the file or folder its model recorded (by absolute path, so any
    working folder finds it), with a note when it changed since; else ``[data] source`` of its
    config.toml (a built-in dataset, or a run of an older vaekit).

    A changed file is still read, with a note: the explorer shows the model on the rows as they
    are now, which is what a user who added rows or fixed a value wants; the note says that
    they differ from the ones it was trained on.

    Raises
    ------
    DataFileError
        The recorded data is gone, or an older run's source is not found: the message says to
        give DATA.
    """
    from vaekit.data import builtin
    from vaekit.data.loaded import DataFileError, quoted
    from vaekit.data.provenance import check_source

    fix = f"give the data to explore: vaekit explore {run} DATA"
    found = check_source(model_header.read_options_, f"the model in {run}", fix)
    if found is None:  # no record: the config's source, as given to train (a dataset name, or a path)
        source = str(saved["source"])
        if source.strip().lower().replace("_", "-") not in builtin.list() and not Path(source).expanduser().exists():
            raise DataFileError(
                f"{run} was trained on {quoted(source)}, which is not found from here ({Path.cwd()}); {fix}"
            )
        return source
    path, note = found
    if note is not None:
        typer.echo(f"vaekit explore: note: {note}", err=True)
    return path


@app.command(epilog="Example: vaekit explore runs/digits-vae -o explore.html   (then open explore.html in a browser)")
@friendly
@data_options
def explore(
    run: Annotated[Path, typer.Argument(help="Run or model folder.")],
    data: Annotated[
        str | None,
        typer.Argument(help="File, folder or dataset (default: the run's own data).", show_default=False),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The HTML file, or the folder for --format projector.  [default: explore.html]",
            show_default=False,
        ),
    ] = None,
    format_: Annotated[
        str,
        typer.Option("--format", help="html (one self-contained page) or projector (an Embedding Projector folder)."),
    ] = "html",
    max_points: Annotated[
        int, typer.Option("--max-points", help=f"Rows drawn, at most {MAX_POINTS:,}; more are subsampled with --seed.")
    ] = MAX_POINTS,
    seed: Seed = 0,
    force: Force = False,
    read: ReadOptions | None = None,
) -> None:
    """A page to explore a model's latent space: the rows' latent means, and the decoder running in the browser."""
    if format_ not in FORMATS:
        raise ValueError(f"--format {format_!r} is not one of {', '.join(FORMATS)}")
    if not 1 <= max_points <= MAX_POINTS:
        raise ValueError(f"--max-points {max_points} is not between 1 and {MAX_POINTS:,} (the most one page holds)")
    output = output if output is not None else Path("explore.html" if format_ == "html" else "projector")
    if format_ == "html":
        _check_output(output, force, inputs=(data, run))
    else:
        _refuse_onto_inputs(output, (data, run))
        if output.exists() and not force:
            raise FileExistsError(f"{output} already exists; use --force to replace it")
    model_header = _model_header(run)  # a run without a model fails here, before the data is read
    if data is None:
        saved = run_data(run)
        data = _run_source(run, saved, model_header)
        assert read is not None  # data_options gives it
        read = read.replace(
            split=read.split if read.split is not None else saved.get("split"),
            data_dir=read.data_dir if read.data_dir is not None else saved.get("data_dir"),
        )
    loaded = _read(data, read, model_header)
    from vaekit.explorer import write_explorer, write_projector_folder

    estimator = _load_model(run)  # after the data is read and checked: importing torch takes seconds
    write = write_explorer if format_ == "html" else write_projector_folder
    points = write(estimator, loaded, output, max_points=max_points, seed=seed, overwrite=force)
    if points.note:
        typer.echo(f"vaekit explore: note: {points.note}", err=True)
    typer.echo(f"wrote {output} ({len(points.rows):,} points)")
