"""``vaekit convert``: a text or ``.npy`` table rewritten as Parquet, the form a large table streams best from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vaekit.cli._app import Force, app, friendly


@app.command(epilog="Example: vaekit convert big.csv big.parquet   (then: vaekit train big.parquet ...)")
@friendly
def convert(
    source: Annotated[Path, typer.Argument(help="A .csv/.tsv/.txt table (optionally .gz) or a 2-D .npy file.")],
    dest: Annotated[Path, typer.Argument(help="The Parquet file to write (.parquet).")],
    row_group_rows: Annotated[
        int | None,
        typer.Option(
            "--row-group-rows",
            help="Rows per row group, the chunk a stream reads at once (default: about 16 MB of numbers).",
            show_default=False,
        ),
    ] = None,
    force: Force = False,
) -> None:
    """Rewrite a table as Parquet, one row group at a time (it need not fit in memory)."""
    from vaekit.data.stream import convert_to_parquet

    written = convert_to_parquet(source, dest, row_group_rows=row_group_rows, overwrite=force)
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(written).metadata
    typer.echo(
        f"wrote {written} ({metadata.num_rows:,} rows, {metadata.num_columns} columns, "
        f"{metadata.num_row_groups} row group{'s' if metadata.num_row_groups != 1 else ''})"
    )
