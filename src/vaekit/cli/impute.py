"""``vaekit impute``: DATA with its gaps filled, and every other cell as the file holds it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from vaekit.cli._app import (
    Decimal,
    Force,
    IdColumn,
    KeepIds,
    Label,
    NaValues,
    Output,
    Seed,
    Sep,
    Thousands,
    _check_output,
    _load_model,
    _model_header,
    _read,
    app,
    friendly,
)


@app.command(epilog="Example: vaekit impute runs/penguins-vae penguins.csv -o filled.csv")
@friendly
def impute(
    model: Annotated[Path, typer.Argument(help="Model or run folder, trained on a table with gaps or categories.")],
    data: Annotated[str, typer.Argument(help="A table with missing values (empty fields, NA).")],
    output: Output,
    draws: Annotated[
        int | None,
        typer.Option(
            "--draws",
            help="Write this many completed tables, each drawn from the model (multiple imputation): "
            "OUTPUT with -1, -2, ... before its suffix.  [default: one table, each gap its most probable value]",
            show_default=False,
            min=1,
            max=1000,
        ),
    ] = None,
    forest: Annotated[
        bool,
        typer.Option(
            "--forest/--no-forest",
            help="Blend each column's imputation with a random forest fitted on its observed entries, by the "
            "weight that predicts those entries best out of sample (--no-forest: the model's alone).",
        ),
    ] = True,
    seed: Seed = 0,
    label: Label = None,
    id_column: IdColumn = None,
    sep: Sep = None,
    decimal: Decimal = None,
    na_values: NaValues = None,
    thousands: Thousands = None,
    keep_ids: KeepIds = None,
    force: Force = False,
) -> None:
    """DATA with its missing entries filled in, and only those: numbers by their conditional mean, categories by
    their most probable value (or --draws tables drawn from the model). The file keeps DATA's columns, in their
    order, and every other cell as written (a value the model cannot read, such as text in a number column, is kept,
    and named in a note)."""
    from vaekit.data.write import write_array
    from vaekit.estimators._table import gaps as gaps_of

    outputs = [output] if draws is None else [output.with_name(f"{output.stem}-{i}{output.suffix}") for i in
                                              range(1, draws + 1)]  # fmt: skip
    for path in outputs:
        _check_output(path, force, inputs=(data, model))
    header = _model_header(model)
    if not header.tabular:
        raise ValueError(
            f"{model} was trained on a table of numbers without gaps, so it cannot fill gaps; train on the table "
            "with its gaps (vaekit train DATA), or with --likelihood mixed"
        )
    from vaekit.data.options import ReadOptions

    # a table, read as the model read its training data: the few options that apply to one
    given = ReadOptions(label=label, id_column=id_column, sep=sep, decimal=decimal, na_values=na_values,
                        thousands=thousands, keep_ids=keep_ids)  # fmt: skip
    loaded = _read(data, given, header)
    estimator = _load_model(model)
    X, y = loaded.inputs(estimator.conditional)
    filled = estimator.impute(X, y, n_draws=draws, random_state=seed, refine=forest)
    tables = filled if isinstance(filled, list) else [filled]
    names = [str(n) for n in estimator.table_.names]
    as_written = _as_written(
        data, loaded, names, sep or (getattr(estimator, "read_options_", None) or {}).get("sep"), outputs[0]
    )
    n_gaps = int(gaps_of(estimator, X).sum())
    for path, table in zip(outputs, tables):
        if not hasattr(table, "columns"):
            import pandas as pd

            table = pd.DataFrame(table, columns=names)
        if as_written is not None:  # DATA's columns in DATA's order, each cell as written but the gaps
            frame = as_written.filled(table, gaps_of(estimator, X), loaded)
            write_array(path, frame, overwrite=force, sep=as_written.sep)
            continue
        extra = {} if loaded.labels is None else {loaded.label_name or "label": loaded.labels}  # kept, as read
        write_array(path, table, ids=loaded.ids, id_name=loaded.id_name, extra_columns=extra, overwrite=force)
    shown = str(outputs[0]) if len(outputs) == 1 else f"{outputs[0]} ... {outputs[-1]}"
    typer.echo(f"filled {n_gaps:,} missing entries in {len(X):,} rows; wrote {shown}")
    weights = getattr(estimator, "imputation_weights_", None) if forest and draws is None else None
    if weights:
        shares = ", ".join(f"{name} {w:.1f}" for name, w in weights.items())
        typer.echo(f"a random forest's share of each filled column (0: the model's values alone): {shares}")


class _Written:
    """DATA's cells as its file holds them, every column in the file's order.

    ``text``: a text table's fields as text, to be written to a text table with only the
    gaps replaced (so every other cell keeps its very characters), filled numbers written
    with DATA's ``decimal`` mark and the whole table with ``sep``, DATA's separator (None:
    the output's own); else the values as typed (a Parquet table's), whose model columns
    are replaced by the filled ones.
    """

    def __init__(self, frame: Any, text: bool, sep: str | None = None, decimal: str = ".") -> None:
        self.frame, self.text, self.sep, self.decimal = frame, text, sep, decimal

    def filled(self, table: Any, gaps: np.ndarray, loaded: Any) -> Any:
        """DATA with its gaps (``gaps``: bool (n, table's columns)) filled from ``table``."""
        out = self.frame.copy()
        out.index = table.index
        for j, name in enumerate(table.columns):
            if not self.text:
                out[name] = table[name]
            elif gaps[:, j].any():
                text = out[name].to_numpy(dtype=object)
                text[gaps[:, j]] = [_as_text(v, self.decimal) for v in table[name].to_numpy(dtype=object)[gaps[:, j]]]
                out[name] = text
        if not self.text:  # the label and ids as read (an id column read as text keeps its zeros)
            for name, values in ((loaded.label_name, loaded.labels), (loaded.id_name, loaded.ids)):
                if name in out.columns and values is not None:
                    out[name] = values
        return out


def _as_written(data: str, loaded: Any, modelled: list[str], sep: str | None, output: Path) -> _Written | None:
    """DATA's columns as its file holds them (:class:`_Written`); None when DATA is not a table file
    whose named columns include the model's.

    ``impute`` writes DATA back with only its gaps filled: the columns the model does not
    read (the label, ids, any other) untouched, in their places; to a text table from a text
    table, every other cell with its very characters, in DATA's dialect (its separator where
    the output has DATA's suffix, its decimal mark).
    """
    import pandas as pd

    from vaekit.data.loaded import DataFileError, brief, quoted
    from vaekit.data.read import column_names

    path = Path(data).expanduser()
    if loaded.kind != "table" or not path.is_file():
        return None
    try:
        names = column_names(data, sep=sep)
        if names is not None and not set(modelled) <= set(names):
            sep, names = None, column_names(data)  # the saved separator does not split this file: detected
    except DataFileError:
        return None
    if names is None or not set(modelled) <= set(names):
        return None
    text, out_sep = False, None
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
            frame.columns = [str(c) for c in frame.columns]
        else:
            from vaekit.data.delimited import resolve_dialect

            sep, decimal, has_header, _ = resolve_dialect(path, sep, None, None)
            if not has_header:
                return None
            text = re.search(r"\.(csv|tsv)(\.gz)?$", output.name.lower()) is not None
            if _suffix(output) == _suffix(path):  # the same kind of file: DATA's own separator
                out_sep = sep
            as_text: dict[str, Any] = {"dtype": str, "keep_default_na": False, "na_filter": False}
            options: dict[str, Any] = {"sep": sep, "index_col": False, "skipinitialspace": True, "encoding": "utf-8"}
            header = pd.read_csv(path, header=None, nrows=1, **options, **as_text)  # the names as written ('' too)
            frame = pd.read_csv(path, header=0, decimal=decimal, **options, **(as_text if text else {}))
            frame.columns = [str(c).strip() for c in header.iloc[0]]
    except (OSError, ValueError, ImportError) as err:
        raise DataFileError(f"{quoted(data)}: could not read its cells as written, to keep them: {brief(err)}") from err
    own = [*modelled, *(n for n in (loaded.label_name, loaded.id_name) if n is not None)]
    if any(list(frame.columns).count(name) != 1 for name in own):
        return None  # a column the model reads is named twice: the filled columns alone, as before
    if len(frame) != loaded.n_samples:
        raise DataFileError(
            f"{quoted(data)}: {len(frame):,} rows read as written, and {loaded.n_samples:,} for the model; "
            "the output would not keep every row"
        )
    return _Written(frame, text, out_sep if text else None, decimal if text else ".")


def _suffix(path: Path) -> str:
    """A text table's kind by its name: ``.csv``, ``.tsv``, ``.txt`` ..., without ``.gz``."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    return suffixes[-1] if suffixes else ""


def _as_text(value: Any, decimal: str = ".") -> str:
    """A filled value as a text table writes it: a whole number without a decimal part, a decimal
    number with ``decimal`` as its mark."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, float):
        return str(value).replace(".", decimal)
    return str(value)
