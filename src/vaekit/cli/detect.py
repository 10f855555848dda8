"""``vaekit score``: each row's anomaly score, flag and the features that make it odd."""

from __future__ import annotations

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


def top_features(contributions: np.ndarray, names: list[str], top: int) -> list[str]:
    """Per row, its ``top`` largest contributions as "name (x.xx)" joined by "; ".

    contributions : (n, n_features) nats; names : n_features names.
    """
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :top]
    return ["; ".join(f"{names[j]} ({contributions[i, j]:.2f})" for j in order[i]) for i in range(len(contributions))]


@app.command(epilog="Example: vaekit score runs/cardio-detector cardio.csv -o scores.csv")
@friendly
@data_options
def score(
    model: Annotated[Path, typer.Argument(help="Model or run folder.")],
    data: Annotated[str, typer.Argument(help="File, image folder or built-in dataset name.")],
    output: Output,
    top: Annotated[
        int, typer.Option("--top", help="Features named per row, largest share of its score first.", min=1, max=100)
    ] = 3,
    force: Force = False,
    read: ReadOptions | None = None,
) -> None:
    """Score each row of DATA: anomaly_score (-log-likelihood in nats, higher = odder), flag (1 where it is below
    the model's threshold, set by train --contamination) and the features that contribute most to it."""
    import pandas as pd

    from vaekit.data.write import write_array

    _check_output(output, force, inputs=(data, model))
    header_ = _model_header(model)
    loaded = _read(data, read, header_)
    estimator = _load_model(model)
    X, y = loaded.inputs(estimator.conditional)
    anomaly = -np.asarray(estimator.score_samples(X, y), dtype=np.float64)  # (n,)
    offset = getattr(estimator, "offset_", None)  # None: saved before vaekit had thresholds
    contributions = np.asarray(estimator.explain(X, y), dtype=np.float64).reshape(len(anomaly), -1)
    names = estimator.codec_.names or [str(n) for n in loaded.feature_names or []]
    if len(names) != contributions.shape[1]:
        names = [f"p{j}" for j in range(contributions.shape[1])]  # pixels, flattened as the CSV writers do
    outputs = {"anomaly_score": anomaly}
    if offset is not None:
        decision = -anomaly - offset
        flags = (decision < 0).astype(np.int64)
        outputs.update(decision=decision, flag=flags)
    else:
        flags = np.zeros(len(anomaly), dtype=np.int64)
    scored = ~np.isnan(anomaly)  # a row with every entry missing has no score (a note says so), nor features
    reasons = np.where(scored, top_features(contributions, names, top), "")
    result = pd.DataFrame({**outputs, "top_features": reasons})
    write_array(output, result, ids=loaded.ids, id_name=loaded.id_name, overwrite=force)
    n = len(result)
    if offset is None:
        typer.echo(
            f"scored {n:,} rows; wrote {output} without flags: {model} has no anomaly threshold (it was saved by "
            "an older vaekit); train it again (vaekit train --contamination auto) to flag rows"
        )
    else:
        typer.echo(
            f"scored {n:,} rows; {int(flags.sum()):,} flagged ({flags.mean():.1%}) below the threshold "
            f"(anomaly_score above {-offset:.4g} nats); wrote {output}"
        )
    worst = [i for i in np.argsort(-anomaly, kind="stable") if scored[i]][:SHOWN]
    ids = loaded.ids if loaded.ids is not None else np.arange(n)
    for i in worst:
        typer.echo(
            f"  row {ids[i]}: anomaly_score {anomaly[i]:.4g}{' (flagged)' if flags[i] else ''}: {result['top_features'][i]}"
        )
