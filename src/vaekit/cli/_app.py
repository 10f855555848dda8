"""The ``vaekit`` application object, its error handling, and what several commands share:
the data options, reading DATA, loading MODEL, and checking an output path."""

from __future__ import annotations

import functools
import inspect
import traceback
import typing
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
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
                typer.echo(f"vaekit {name}: note: {text}", err=True)

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
                message = "DATA " + message[2:]
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
ImageMode = Annotated[str, typer.Option("--image-mode", help="Image folders: auto, grey or rgb.")]
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


def _split_list(text: str | None) -> list[str] | None:
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


def _read(
    source: str,
    columns: str | None,
    label: str | None,
    id_column: str | None,
    key: str | None,
    image_size: str | None,
    split: str | None,
    data_dir: Path | None,
    header: bool | None = None,
    image_mode: str = "auto",
    sep: str | None = None,
    decimal: str | None = None,
    estimator: Any = None,
) -> Any:
    """Read DATA; options not given default to how ``estimator`` read its training data,
    and the result is matched to the model (:func:`_match`).

    A model trained by ``vaekit train`` remembers its read options (``read_options_``):
    those that apply to this source are used again, a saved label or id column only
    if this table has it, a saved separator only if the table's header splits into
    the model's columns with it (else the separator is detected). A model trained on named columns reads just those columns
    (others are ignored by name; a missing one is an error that names it).
    """
    from vaekit.data.loaded import DataFileError
    from vaekit.data.read import accepted_options, column_names

    given: dict[str, Any] = {
        "columns": _split_list(columns), "label": label, "id_column": id_column, "key": key,
        "image_size": image_size, "header": header, "image_mode": None if image_mode == "auto" else image_mode,
        "sep": sep, "decimal": decimal,
    }  # fmt: skip
    if estimator is not None:
        accepted = accepted_options(source)
        saved = {k: v for k, v in (getattr(estimator, "read_options_", None) or {}).items() if k in accepted}
        trained_on = getattr(estimator, "feature_names_in_", None)
        names = None
        if "label" in accepted:
            names = column_names(source, sep=given["sep"] or saved.get("sep"), header=given["header"])
            fits = names is not None and (trained_on is None or {str(n) for n in trained_on} <= set(names))
            if given["sep"] is None and "sep" in saved and not fits:  # another dialect: let it be detected
                del saved["sep"]
                saved.pop("decimal", None)
                names = column_names(source, header=given["header"])
        chose_columns = given["columns"] is not None
        for name, value in saved.items():
            if given.get(name) is None and (
                name not in ("label", "id_column") or (names is not None and value in names)
            ):
                given[name] = value
        if not chose_columns and trained_on is not None and names is not None and "columns" in accepted:
            missing = [str(n) for n in trained_on if str(n) not in names]
            if len(missing) == len(trained_on):  # none of them: not this kind of table; the reader will say why
                return _match(estimator, _read_with(source, given, split, data_dir))
            if missing:
                raise DataFileError(
                    f"'{source}': the model was trained on the columns {', '.join(map(str, trained_on))}, and this "
                    f"table lacks {', '.join(missing)}; give a table with those columns (others are ignored)"
                )
            given["columns"] = [str(n) for n in trained_on]
    loaded = _read_with(source, given, split, data_dir)
    return loaded if estimator is None else _match(estimator, loaded)


def _read_with(source: str, given: dict[str, Any], split: str | None, data_dir: Path | None) -> Any:
    from vaekit.data.read import parse_image_size, read_data

    image_size, mode = given.pop("image_size"), given.pop("image_mode") or "auto"
    size = None if image_size is None else parse_image_size(str(image_size))
    return read_data(source, **given, image_size=size, split=split, data_dir=data_dir, image_mode=mode)


def _model_header(path: Path) -> Any:
    """What ``path``'s model needs of its data (:class:`~vaekit.io.modelfile.ModelHeader`), read
    without torch: a command checks its data with it before :func:`_load_model`."""
    from vaekit.io.modelfile import read_header

    return read_header(path)


def _load_model(path: Path) -> Any:
    """A model folder, or a run folder holding one in model/."""
    from vaekit.estimators import load

    return load(path)


def _match(estimator: Any, loaded: Any) -> Any:
    """Fit ``loaded`` to the model: its columns by name (:func:`~vaekit.data.columns.align_loaded`),
    or a one-line error naming the file, what the model expects and what to do.

    Images that differ from the model's only in their channels (RGB for a grey model, or
    grey for an RGB one) are named so, and the fix is the image mode, not the size.
    """
    from vaekit.data.columns import align_loaded
    from vaekit.data.loaded import DataFileError

    names = getattr(estimator, "feature_names_in_", None)
    loaded = align_loaded(loaded, None if names is None else [str(n) for n in names])
    if getattr(estimator, "table_", None) is not None or getattr(estimator, "table", False):
        return loaded  # a mixed table's model takes its columns by name; it encodes them itself
    loaded = loaded.numeric()  # text or gaps: the first one named, for a model of numbers only
    expected, got = tuple(estimator.input_shape_), tuple(loaded.X.shape[1:])
    flattened = len(got) == 1 and len(expected) > 1 and got[0] == int(np.prod(expected))
    if got == expected or flattened:
        return loaded
    if len(expected) >= 2 and len(got) >= 2:  # images
        hints = ["resize them with `image_size`"] if got[-2:] != expected[-2:] else []
        if _channels(got) != _channels(expected):
            mode = {1: "grey", 3: "rgb"}.get(_channels(expected))
            folder = Path(str(loaded.source)).expanduser().is_dir()
            if mode is not None and folder:
                hints.append(f"read them as {_image_kind(expected)} with `image_mode` {mode}")
            else:
                hints.append(f"give {_image_kind(expected)} images of shape {expected}")
        hint = " and ".join(hints) or f"give images of shape {expected}"
        raise DataFileError(
            f"{loaded.source}: {_image_kind(got)} images of shape {got}, but the model was trained on "
            f"{_image_kind(expected)} images of shape {expected}; {hint}"
        )
    hint = "resize them with `image_size`" if len(expected) >= 2 else "choose the model's columns with `columns`"
    what = f"{got[0]} features" if len(got) == 1 else f"samples of shape {got}"
    want_text = f"{expected[0]} features" if len(expected) == 1 else f"samples of shape {expected}"
    raise DataFileError(f"{loaded.source}: {what}, but the model was trained on {want_text}; {hint}")


def _channels(shape: tuple[int, ...]) -> int:
    """The channels of one image of ``shape``: (H, W) is grey, (C, H, W) has C."""
    return 1 if len(shape) == 2 else shape[0]


def _image_kind(shape: tuple[int, ...]) -> str:
    """'grey', 'RGB', 'RGBA' or 'C-channel' for one image of ``shape``."""
    return {1: "grey", 3: "RGB", 4: "RGBA"}.get(_channels(shape), f"{_channels(shape)}-channel")


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
