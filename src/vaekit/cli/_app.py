"""The ``vaekit`` application object, its error handling, and what several commands share:
the data options, reading DATA, loading MODEL, and checking an output path."""

from __future__ import annotations

import functools
import inspect
import sys
import traceback
import typing
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.exceptions import TyperException

from vaekit._version import __version__
from vaekit.cli.flags import to_flags

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
INTERNAL_ERROR = 70
"""Exit status of an unexpected exception (a bug), as BSD's EX_SOFTWARE; a user error exits 1."""
F = TypeVar("F", bound=Callable[..., Any])


def _options(command: Callable[..., Any]) -> dict[str, str]:
    """A command's options: parameter name -> its longest flag (``test_fraction`` -> ``--test-fraction``)."""
    try:
        hints = typing.get_type_hints(command, include_extras=True)
    except Exception:  # an annotation that does not resolve: no names to map
        return {}
    found = {}
    for name, hint in hints.items():
        for info in getattr(hint, "__metadata__", ()):
            # in Annotated[..., typer.Option("--flag", ...)] typer keeps the first name as `default`
            names = [*(getattr(info, "param_decls", None) or ()), getattr(info, "default", None)]
            flags = [d for part in names if isinstance(part, str) for d in part.split("/") if d.startswith("--")]
            if isinstance(info, typer.models.OptionInfo) and flags:
                found[name] = max(flags, key=len)
    return found


def friendly(command: F) -> F:
    """Run a command; turn the errors a user can act on into one line and exit 1."""

    options = _options(command)
    takes_data = "data" in inspect.signature(command).parameters

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        name = command.__name__.rstrip("_")
        shown: set[Any] = set()

        def note(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
            # One line per fact: the library warns each time it meets one (the same rows are
            # encoded for the metrics, the figures and the explorer), the user reads it once.
            fact = getattr(message, "fact", None)
            if fact is not None:  # values of a column: only those not named yet
                new = [v for v in message.values if (fact, v) not in shown]  # type: ignore[union-attr]  # a warning with a fact has values
                if not new:
                    return
                shown.update((fact, v) for v in new)
                if len(new) < len(message.values):  # type: ignore[union-attr]  # as above
                    message = message.restated(new)  # type: ignore[union-attr]  # and restated
            text = to_flags(str(message), options)
            if text not in shown:
                shown.add(text)
                # About the model (a finding), or the data. A finding's class exists only once its module is
                # imported, which imports torch: a command that has not imported it (vaekit encode of a table
                # of numbers, which runs without torch) has no findings, and need not import it to know.
                findings = sys.modules.get("vaekit.estimators.findings")
                finding = findings is not None and issubclass(category, findings.FindingWarning)
                kind = "warning" if finding else "note"
                typer.echo(f"vaekit {name}: {kind}: {text}", err=True)

        try:
            with warnings.catch_warnings():
                warnings.showwarning = note  # the library's warnings, in the CLI's words
                return command(*args, **kwargs)
        except (ValueError, OSError) as err:
            if _state["debug"]:
                traceback.print_exc()
            # The first line says what is wrong; a few messages add lines on how to fix it.
            message = to_flags(str(err).strip() or type(err).__name__, options)
            if takes_data and message.startswith("X "):  # the library's name for what the user gave as DATA
                given = kwargs.get("data")
                message = ("DATA " if given is None else f"DATA '{given}' ") + message[2:]
            typer.echo(f"vaekit {name}: error: {message}", err=True)
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt):  # usage errors: typer reports them
            raise
        except Exception as err:  # a bug: still one line, with how to see and report it
            if _state["debug"]:
                traceback.print_exc()
            first = (str(err).strip().splitlines() or [""])[0][:300]
            typer.echo(
                f"vaekit {name}: internal error: {type(err).__name__}: {first} -- this is a bug in vaekit; "
                f"rerun with `vaekit --debug {name} ...` for the traceback, and report it",
                err=True,
            )
            raise typer.Exit(INTERNAL_ERROR) from None

    return wrapper  # type: ignore[return-value]  # functools.wraps: wrapper takes and gives what command does


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vaekit {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    _state["debug"] = debug


# ----------------------------------------------------------------- shared options
Columns = Annotated[
    str | None,
    typer.Option("--columns", help="Comma-separated feature columns of a table (default: all but --label/--id)."),
]
Label = Annotated[str | None, typer.Option("--label", help="Column (or .npz key) used only to colour plots.")]
IdColumn = Annotated[str | None, typer.Option("--id", help="Column (or .npz key) carried through to outputs.")]
Key = Annotated[str | None, typer.Option("--key", help="Array to read from an .npz file.")]
ImageSize = Annotated[str | None, typer.Option("--image-size", help="Resize a folder of images to HxW, e.g. 28x20.")]
Split = Annotated[str | None, typer.Option("--split", help="Split of a built-in dataset: train or test.")]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where built-in datasets' files are (default: $VAEKIT_DATA, ~/.cache/vaekit)."),
]
Output = Annotated[Path, typer.Option("--output", "-o", help="Output file; its suffix picks the format.")]
Force = Annotated[bool, typer.Option("--force", help="Replace an existing output.")]
LrSchedule = Annotated[
    str | None,
    typer.Option(
        "--lr-schedule",
        help="constant, cosine (to 0 at the last epoch) or plateau (/10 when the validation loss stalls).  [default: constant]",
        show_default=False,
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed.")]


def _parse_threads(value: str | None) -> int | str | None:
    """``--threads``: "auto" or a positive number of CPU threads (None: not given)."""
    if value is None or value == "auto":
        return value
    if not value.isdigit() or int(value) < 1:
        raise typer.BadParameter(f"{value!r} is not 'auto' or a positive number of threads")
    return int(value)


Threads = Annotated[
    str | None,
    typer.Option(
        "--threads",
        help="CPU threads torch uses: a number or auto (1; torch's one per core is many times slower "
        "when anything else runs on the machine).  [default: auto]",
        callback=_parse_threads,
        show_default=False,
    ),
]
Header = Annotated[
    bool | None,
    typer.Option(
        "--header/--no-header",
        help="Whether a CSV's first line names the columns (default: detected).",
        show_default=False,
    ),
]
ImageMode = Annotated[
    str | None,
    typer.Option("--image-mode", help="Image folders: auto, grey or rgb.  [default: auto]", show_default=False),
]
Sep = Annotated[
    str | None,
    typer.Option(
        "--sep",
        help="Separator of a text table: one character (',' ';' '|'), tab or whitespace (default: detected).",
        show_default=False,
    ),
]
Decimal = Annotated[
    str | None,
    typer.Option(
        "--decimal",
        help="Decimal mark of a text table: . or , (default: ',' for a ';' file with numbers like 1,5).",
        show_default=False,
    ),
]

NaValues = Annotated[
    str | None,
    typer.Option(
        "--na-values",
        help="Comma-separated tokens that mark a missing value in a table, e.g. NA,None,-99 (default: only "
        "empty cells; a column of numbers also reads its few stray tokens as gaps, named in a note).",
        show_default=False,
    ),
]
Thousands = Annotated[
    str | None,
    typer.Option(
        "--thousands",
        help="Separator between thousands in a table's numbers, e.g. , for 1,234 (default: detected where "
        "digits are grouped by three).",
        show_default=False,
    ),
]
KeepIds = Annotated[
    bool | None,
    typer.Option(
        "--keep-ids",
        help="Model the columns that number or name the rows (R's row names, a column of 1..n) as features "
        "(default: the first is the row id, unless --id names one, and none is a feature).",
        show_default=False,
    ),
]

DATA_OPTIONS: dict[str, tuple[Any, Any]] = {
    "columns": (Columns, None),
    "label": (Label, None),
    "id_column": (IdColumn, None),
    "key": (Key, None),
    "image_size": (ImageSize, None),
    "split": (Split, None),
    "data_dir": (DataDir, None),
    "header": (Header, None),
    "image_mode": (ImageMode, None),
    "sep": (Sep, None),
    "decimal": (Decimal, None),
    "na_values": (NaValues, None),
    "thousands": (Thousands, None),
    "keep_ids": (KeepIds, None),
}
"""How to read DATA: each option's type (with its flag) and default, declared once for every
command that reads data (:func:`data_options`; ``vaekit train`` keeps them in its configuration)."""


def _split_list(text: str | None) -> list[str] | None:
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


def data_options(command: F) -> F:
    """Give a command the data options (:data:`DATA_OPTIONS`) as flags, handed to it as one
    :class:`~vaekit.data.options.ReadOptions` in its parameter ``read``.

    Typer reads a command's options from its signature: the wrapper's signature is the
    command's, ``read`` replaced by the options, so each is declared once, here.
    """
    signature = inspect.signature(command)
    kept = [  # their annotations evaluated as Typer would (``read``'s may name a type only a type checker sees)
        p.replace(annotation=eval(p.annotation, command.__globals__) if isinstance(p.annotation, str) else p.annotation)
        for p in signature.parameters.values()
        if p.name != "read"
    ]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        for name, (annotation, default) in DATA_OPTIONS.items()
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from vaekit.data.options import ReadOptions  # when the command runs: --help imports no pandas

        values = {name: kwargs.pop(name, default) for name, (_, default) in DATA_OPTIONS.items()}
        return command(*args, read=ReadOptions(**values), **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]  # read by inspect.signature, and so by Typer
    wrapper.__annotations__ = {
        **{k: v for k, v in command.__annotations__.items() if k != "read"},
        **{name: annotation for name, (annotation, _) in DATA_OPTIONS.items()},
    }
    return wrapper  # type: ignore[return-value]  # the wrapper takes the data options in place of `read`: a new signature, by design


def _read(source: str, read: Any, model: Any = None) -> Any:
    """DATA read with the command's data options (:func:`~vaekit.data.options.read_like`), options not
    given as ``model`` read its training data."""
    from vaekit.data.options import read_like

    return read_like(source, read, model)


def _model_header(path: Path) -> Any:
    """What ``path``'s model needs of its data (:class:`~vaekit.io.modelfile.ModelHeader`), read
    without torch: a command checks its data with it before :func:`_load_model`."""
    from vaekit.io.modelfile import read_header

    return read_header(path)


def _load_model(path: Path) -> Any:
    """A model folder, or a run folder holding one in model/."""
    from vaekit.estimators import load

    return load(path)


def _numpy_model(path: Path) -> Any:
    """The model at ``path`` with its networks in NumPy (:class:`~vaekit.io.numpy_forward.NumpyModel`),
    where that gives the estimator's numbers without importing torch (a model of rows of numbers, an MLP,
    ...); else None, and the command loads the estimator (:func:`_load_model`)."""
    from vaekit.io.numpy_forward import numpy_model

    return numpy_model(path)


def _class_label(estimator: Any, text: str | None) -> Any:
    """The class of a conditional model named by ``text`` (None for other models)."""
    if not estimator.conditional:
        if text is not None:
            raise ValueError(
                f"--class applies to a conditional model (--model cvae); this is a {type(estimator).__name__}"
            )
        return None
    if text is None:
        return None
    for value in estimator.classes_:
        if str(value) == text:
            return value
    raise ValueError(
        f"--class {text!r} is not a class of this model; its classes: {', '.join(map(str, estimator.classes_))}"
    )


def _refuse_onto_inputs(output: Path, inputs: tuple[str | Path | None, ...]) -> None:
    """Refuse an output that is, holds or lies inside one of ``inputs`` that exists (a built-in data name is none)."""
    from vaekit.data.write import refuse_output_onto_input

    for source in inputs:
        if source is not None and (Path(source).expanduser().exists() or Path(source).expanduser().is_symlink()):
            refuse_output_onto_input(Path(source).expanduser(), Path(output).expanduser(), source_name=str(source))


def _check_output(path: Path, force: bool, *, images: bool = False, inputs: tuple[str | Path | None, ...] = ()) -> None:
    """Refuse an output file that exists (without --force), or a folder (even with it), or one that
    would write onto one of the command's ``inputs`` (DATA, the model: even with --force).

    ``images``: the command can also write a folder of PNG images (``-o DIR/``, which it
    checks itself); its errors then say so, and a name without a suffix is refused here
    rather than after the work is done.
    """
    _refuse_onto_inputs(path, inputs)
    hint = f"; for a model of images, -o {path}/ (ending in a slash) writes one PNG per image into it" if images else ""
    if path.is_dir():
        raise IsADirectoryError(
            f"{path} is a folder; -o takes a file name (a folder is not replaced, even with --force){hint}"
        )
    if images and not path.suffix and not path.exists():
        raise ValueError(f"{path} has no suffix to choose the output's format by (.csv, .npy, .png, ...){hint}")
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; use --force to replace it")
