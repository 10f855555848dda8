"""``vaekit score``: each row's anomaly score, flag and the features that make it odd."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer

from vaekit.cli._app import (
    Force,
    Output,
    _check_output,
    _load_model,
    _model_header,
    _read,
    app,
    data_options,
    friendly,
)

SHOWN = 5  # rows printed after scoring

if TYPE_CHECKING:
    from vaekit.data.options import ReadOptions


LATENT_REASON = "latent code (an unusual combination of values)"
MIN_REASON_NATS = 0.1
"""A part of a score must be at least this far above its usual value to be a reason (a likelihood ratio of 1.1)."""


def top_features(
    contributions: np.ndarray,
    names: list[str],
    top: int,
    latent: np.ndarray | None = None,
    spread: np.ndarray | None = None,
    latent_spread: float = 0.0,
    culprits: np.ndarray | None = None,
) -> list[str]:
    """Per row, its ``top`` largest parts above usual as "name (+x.xx)" joined by "; ".

    contributions : (n, n_features) nats above each feature's median part (``explain``);
    names : n_features names; latent : (n,) nats of KL above its median, or None; spread :
    (n_features,) how far above its median a feature's part usually reaches (``feature_spread_``),
    and latent_spread the KL's: a part is a reason only above that, and above :data:`MIN_REASON_NATS`.
    culprits : (n, n_features) nats each column adds to the KL (``latent_culprits``), or None: the
    latent reason then names the (at most 3) columns that add most. A row with none gets "none above usual".
    """
    parts = contributions if latent is None else np.column_stack([contributions, latent])
    labels = names if latent is None else [*names, LATENT_REASON]
    floor = np.zeros(contributions.shape[1]) if spread is None else np.asarray(spread, dtype=np.float64)
    if latent is not None:
        floor = np.r_[floor, latent_spread]
    order = np.argsort(-parts, axis=1, kind="stable")[:, :top]
    out = []
    for i in range(len(parts)):
        shown = []
        for j in order[i]:
            if parts[i, j] <= max(floor[j], MIN_REASON_NATS):
                continue
            label = labels[j]
            if culprits is not None and j == len(names):  # the latent code: which columns make it unusual
                members = [
                    names[k] for k in np.argsort(-culprits[i], kind="stable")[:3] if culprits[i, k] > MIN_REASON_NATS
                ]
                label = f"{LATENT_REASON[:-1]}: {', '.join(members)})" if members else label
            shown.append(f"{label} (+{parts[i, j]:.2f})")
        out.append("; ".join(shown) if shown else "none above usual")
    return out


FOREST_REASON = "isolation forest (few random splits set the row apart)"
"""The reason the detector's isolation forest gives, when its part of a score is above usual."""

REGION_GRID = 4
"""An image's reasons are regions: its height and width cut into this many bands each."""


def image_regions(shape: tuple[int, ...]) -> tuple[list[str], np.ndarray]:
    """Regions of an image of ``shape`` ((H, W) or (C, H, W)): names ("rows 0-6, columns 7-13", inclusive,
    counted from 0) and which region each flattened pixel is in, float (n_pixels, n_regions) of 0/1."""
    height, width = shape[-2], shape[-1]
    rows = np.array_split(np.arange(height), min(REGION_GRID, height))
    cols = np.array_split(np.arange(width), min(REGION_GRID, width))
    names: list[str] = []
    member = np.zeros((*shape, len(rows) * len(cols)))
    for r in rows:
        for c in cols:
            member[..., r[0] : r[-1] + 1, c[0] : c[-1] + 1, len(names)] = 1.0
            names.append(f"rows {r[0]}-{r[-1]}, columns {c[0]}-{c[-1]}")
    return names, member.reshape(-1, len(names))


@app.command(epilog="Example: vaekit score runs/cardio-detector cardio.csv -o scores.csv")
@friendly
@data_options
def score(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    data: Annotated[str, typer.Argument(help="File, image folder or built-in dataset name.")],
    output: Output,
    top: Annotated[
        int,
        typer.Option(
            "--top",
            help="Reasons named per row: the features (or the latent code) furthest above their usual part of a score.",
            min=1,
            max=100,
        ),
    ] = 3,
    fdr: Annotated[
        float | None,
        typer.Option(
            "--fdr",
            help="Flag by false discovery rate instead of the threshold: the rows the Benjamini-Hochberg procedure "
            "rejects at this level (e.g. 0.1) over DATA's p-values.",
            show_default=False,
        ),
    ] = None,
    force: Force = False,
    read: ReadOptions | None = None,
) -> None:
    """Score each row of DATA: anomaly_score (nats, higher = odder: -ELBO for a VAE, -log p(x) for the detector),
    p_value (the share of training rows held out of fitting that score as odd or odder: small is unusual), flag (1
    where it is above the model's threshold, set by train --contamination, or with --fdr where Benjamini-Hochberg
    rejects at that level) and its reasons: the features whose part of the score is furthest above their usual part
    on training rows, or the latent code when the row's combination of values is what is unusual. Rows keep DATA's order; the first columns
    name them: row (its number, from 0 at the first data row), then the id column or file name."""
    import pandas as pd

    from vaekit.data.rows import key_columns, row_names
    from vaekit.data.write import write_array
    from vaekit.estimators._outliers import benjamini_hochberg, conformal_p_values
    from vaekit.plots.anomaly import flag_summary, score_text

    _check_output(output, force, inputs=(data, model))
    header_ = _model_header(model)
    loaded = _read(data, read, header_)
    estimator = _load_model(model)
    X, y = loaded.inputs(estimator.conditional)
    anomaly = -np.asarray(estimator.score_samples(X, y), dtype=np.float64)  # (n,)
    offset = getattr(estimator, "offset_", None)  # None: saved before vaekit had thresholds
    contributions = np.asarray(estimator.explain(X, y), dtype=np.float64).reshape(len(anomaly), -1)  # above usual
    latent = None
    if estimator.variational and getattr(estimator, "latent_baseline_", None) is not None:
        latent = np.asarray(estimator.loss_terms(X, y)[1], dtype=np.float64) - estimator.latent_baseline_
    names = estimator.codec_.names or [str(n) for n in loaded.feature_names or []]
    spread = getattr(estimator, "feature_spread_", None)  # None: saved by an earlier vaekit
    if len(estimator.input_shape_) >= 2:  # images: reasons are regions, each the sum of its pixels' parts
        names, member = image_regions(estimator.input_shape_)
        contributions, spread = contributions @ member, None
    elif len(names) != contributions.shape[1]:
        names = [f"x{j}" for j in range(contributions.shape[1])]
    isolated = estimator.isolation_part(X) if hasattr(estimator, "isolation_part") else None
    if isolated is not None:  # the detector's forest: a reason of its own, beside the features
        n_features = contributions.shape[1]
        contributions = np.column_stack([contributions, isolated])
        names = [*names, FOREST_REASON]
        floor = np.zeros(n_features) if spread is None else np.asarray(spread, dtype=np.float64)
        spread = np.r_[floor, float(getattr(estimator, "isolation_spread_", 0.0) or 0.0)]
    outputs: dict[str, np.ndarray] = {"anomaly_score": anomaly}
    calibration = getattr(estimator, "calibration_scores_", None)  # None: saved before p-values
    n_calibration = 0 if calibration is None else len(calibration)
    if calibration is not None and n_calibration:
        outputs["p_value"] = conformal_p_values(calibration, -anomaly)
    elif fdr is not None:
        raise ValueError(
            f"--fdr needs p-values, and {model} has no rows held out to compute them from: train it with "
            "validation_fraction above 0 (the default)"
        )
    if fdr is not None:
        flags = benjamini_hochberg(outputs["p_value"], fdr).astype(np.int64)
        outputs.update(flag=flags)
    elif offset is not None:
        decision = -anomaly - offset
        flags = (decision < 0).astype(np.int64)
        outputs.update(decision=decision, flag=flags)
    else:
        flags = np.zeros(len(anomaly), dtype=np.int64)
    scored = ~np.isnan(anomaly)  # a row with every entry missing has no score (a note says so), nor features
    latent_spread = float(getattr(estimator, "latent_spread_", 0.0) or 0.0)
    culprits = None
    if latent is not None and estimator.codec_.tabular:  # a table: name the columns of an unusual combination
        culprits = estimator.latent_culprits(X, y)
    reasons = np.where(scored, top_features(contributions, names, top, latent, spread, latent_spread, culprits), "")
    result = pd.DataFrame({**outputs, "top_features": reasons})
    keys = key_columns(loaded, taken=result.columns)
    write_array(output, result, keys=keys, overwrite=force)
    n = len(result)
    words = score_text(estimator)[1]
    if fdr is not None:
        typer.echo(
            f"scored {n:,} rows; {int(flags.sum()):,} flagged by Benjamini-Hochberg at a false discovery rate of "
            f"{fdr:g} (p-values from {n_calibration:,} held-out training rows); wrote {output}"
        )
        fewest = math.ceil(n / (fdr * (n_calibration + 1)))  # BH rejects k rows only if 1/(n_cal + 1) <= fdr k / n
        if fewest > 1:
            typer.echo(
                f"  with {n_calibration:,} held-out rows no p-value is below {1 / (n_calibration + 1):.3g}, so at this "
                f"level Benjamini-Hochberg flags nothing unless at least {fewest:,} of the {n:,} rows are that unusual: "
                f"train with a larger validation_fraction (more held-out rows; this model held out "
                f"{float(estimator.validation_fraction):g}) for finer p-values: set it under [training] in the run's "
                "config.toml and pass that to vaekit train --config, or give it to the estimator in Python"
            )
    elif offset is None:
        typer.echo(
            f"scored {n:,} rows; wrote {output} without flags: {model} has no anomaly threshold (it was saved by "
            "an older vaekit); train it again (vaekit train --contamination auto) to flag rows"
        )
    else:
        typer.echo(f"scored {n:,} rows; {flag_summary(-offset, int(flags.sum()), n)}; wrote {output}")
    typer.echo(f"  anomaly_score = {words}, in nats")
    worst = [i for i in np.argsort(-anomaly, kind="stable") if scored[i]][:SHOWN]
    for i, name in zip(worst, row_names(loaded, worst), strict=True):
        typer.echo(
            f"  {name}: anomaly_score {anomaly[i]:.4g}{' (flagged)' if flags[i] else ''}: {result['top_features'][i]}"
        )
