"""Reconstruction against latent size: the tutorial's curve, with PCA on the same axes.

:func:`run_sweep` trains each model kind at each latent size with one configuration
(the same data, test part and seed), writing an ordinary run folder for each, and
collects the test squared error in the model's units (standardized columns for a
table under a Gaussian likelihood, so that no column's scale dominates); PCA with as
many components is fitted on the same training rows in the same units and measured on
the same rows. :func:`vaekit.plots.plot_sweep` draws the curve; ``sweep.csv`` and ``sweep.png``
sit beside the run folders.
"""

from __future__ import annotations

import copy
import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COLUMNS = (
    "model",
    "latent_dim",
    "split",
    "units",
    "squared_error",
    "mse",
    "squared_error_raw",
    "elbo",
    "epochs_run",
    "wall_time_s",
    "run",
)


def parse_dims(text: str) -> list[int]:
    """ "1,2,4" -> [1, 2, 4]; a clear error for anything else."""
    try:
        dims = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        dims = []
    if not dims or min(dims) < 1 or len(set(dims)) != len(dims):
        raise ValueError(f"`latent_dims` {text!r} must be distinct positive integers separated by commas, e.g. 1,2,4,8")
    return sorted(dims)


def run_sweep(
    config: dict[str, dict[str, Any]],
    latent_dims: Sequence[int],
    models: Sequence[str],
    out: Path,
    force: bool = False,
    verbose: int = 0,
) -> list[dict[str, Any]]:
    """Train every (model, latent size) and return one row per result, PCA included.

    Parameters
    ----------
    config : dict
        A run configuration (see :mod:`vaekit.runs.config`); its model kind and latent
        size are replaced in turn.
    latent_dims : sequence of int
    models : sequence of str
        Model kinds, e.g. ("ae", "vae").
    out : Path
        The sweep folder; each run goes to ``out/<model>-z<d>``.

    Returns
    -------
    list of dict with the keys of :data:`COLUMNS` (``model`` is "pca" for the baseline).
    """
    from vaekit.data.split import load_split
    from vaekit.runs.run import check_target, train_run

    for dim in latent_dims:  # refuse before training anything, not halfway through
        for kind in models:
            check_target(out / f"{kind}-z{dim}", force)
    split = load_split(config["data"], int(config["training"]["seed"]))
    if split.train.frame is not None:
        raise ValueError(
            f"'{config['data']['source']}': a sweep compares each model with PCA, which needs a table of numbers "
            "without gaps; this one has text, categories or missing values: train one model with `vaekit train`"
        )
    rows: list[dict[str, Any]] = []
    for dim in latent_dims:
        pca_row: dict[str, Any] | None = None
        for kind in models:
            run_config = copy.deepcopy(config)
            run_config["model"]["model"] = kind
            run_config["model"]["latent_dim"] = int(dim)
            run_dir = out / f"{kind}-z{dim}"
            metrics = train_run(run_config, run_dir, force=force, verbose=verbose)
            part = "test" if metrics["test"] else "train"
            rows.append(
                {
                    "model": kind,
                    "latent_dim": dim,
                    "split": part,
                    "units": metrics[part]["units"],
                    "squared_error": metrics[part]["squared_error_scaled"],
                    "mse": metrics[part]["mse_scaled"],
                    "squared_error_raw": metrics[part]["squared_error"],
                    "elbo": metrics[part]["elbo"],
                    "epochs_run": metrics["epochs_run"],
                    "wall_time_s": metrics["wall_time_s"],
                    "run": run_dir.name,
                }
            )
            pca = metrics["pca"]
            pca_row = {
                "model": "pca",
                "latent_dim": pca["n_components"],
                "split": pca["split"],
                "units": pca["units"],
                "squared_error": pca["squared_error_scaled"],
                "mse": pca["mse_scaled"],
                "squared_error_raw": pca["squared_error"],
                "elbo": None,
                "epochs_run": None,
                "wall_time_s": None,
                "run": "",
                "exact": bool(pca.get("exact", False)),  # not a column: format_table says "exact"
            }
        if pca_row is not None:
            rows.append(pca_row)
    return rows


def write_table(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """The rows as CSV, in :data:`COLUMNS` order."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row[k] is None else row[k] for k in COLUMNS})


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """A text table: one line per latent size, one column per model (squared error).

    A PCA that reconstructs the rows exactly (``exact``, see
    :func:`vaekit.evaluation.metrics.pca_baseline`) shows "exact" rather than its round-off.
    """
    models = list(dict.fromkeys(r["model"] for r in rows))
    dims = sorted({r["latent_dim"] for r in rows})
    lookup = {(r["model"], r["latent_dim"]): r for r in rows}
    header = "latent_dim  " + "  ".join(f"{m:>12s}" for m in models)
    where = f"{rows[0]['split']} part, {rows[0]['units']}" if rows else ""
    lines = [f"squared reconstruction error per sample ({where}; PCA fitted on the same units)", header]
    for dim in dims:
        cells = [_cell(lookup.get((m, dim))) for m in models]
        lines.append(f"{dim:10d}  " + "  ".join(cells))
    return "\n".join(lines)


def _cell(row: dict[str, Any] | None) -> str:
    """One squared error of :func:`format_table`, 12 wide: blank, "exact", or the number."""
    if row is None:
        return f"{'':12s}"
    return f"{'exact':>12s}" if row.get("exact") else f"{row['squared_error']:12.4g}"
