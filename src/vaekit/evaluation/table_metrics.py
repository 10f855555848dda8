"""How well a model of a mixed table rebuilds each column, beside the simplest baseline.

For a table with categories and gaps there is no PCA on the same footing; the
baseline is the one a data scientist would reach for first: each number predicted
by its column's mean, each category by its most frequent level. Measured on the
observed entries only: a gap has nothing to compare with.
"""

from __future__ import annotations

from typing import Any

import numpy as np

NUMERIC_KINDS = ("continuous", "count")


def table_reconstruction(estimator: Any, X: Any, y: Any = None) -> dict[str, Any]:
    """Per-column reconstruction of X by a model fitted on a mixed table (its ``codec_`` is a :class:`~vaekit.data.codec.TableCodec`).

    Parameters
    ----------
    estimator : a fitted estimator with ``table_``
    X : DataFrame or array of shape (n_samples, n_columns), gaps allowed
    y : labels of X, for a conditional model only

    Returns
    -------
    dict with ``columns``: one dict per column with ``name``, ``kind``,
    ``observed`` (share of the rows where it is present), and either ``rmse``
    (numbers and counts: root mean squared error in units of the column's standard
    deviation, observed entries only), ``r2`` (1 - SSE / SST) and ``baseline_rmse``
    (the column's mean as the prediction, ~1), or ``accuracy`` (yes/no and
    categories) and ``baseline_accuracy`` (the most frequent value); and the means
    over columns ``mean_rmse``, ``mean_baseline_rmse``, ``mean_accuracy``,
    ``mean_baseline_accuracy`` (None where the table has no such column).
    """
    codec = estimator.codec_
    frame = codec.as_frame(X)
    truth = codec.values(frame)  # (n, n_columns), target space, NaN where missing
    observed = codec.observed(frame)  # (n, n_columns)
    rebuilt = codec.values(estimator.reconstruct(X, y))
    columns = []
    for j, spec in enumerate(codec.columns):
        seen = observed[:, j]
        entry: dict[str, Any] = {"name": spec.name, "kind": spec.kind, "observed": float(seen.mean())}
        t, r = truth[seen, j], rebuilt[seen, j]
        if not seen.any():
            columns.append(entry)
            continue
        if spec.kind in NUMERIC_KINDS:
            spread = float(np.std(t)) or 1.0
            sse, sst = float(np.sum((t - r) ** 2)), float(np.sum((t - t.mean()) ** 2))
            entry["rmse"] = float(np.sqrt(np.mean((t - r) ** 2)) / spread)
            entry["baseline_rmse"] = float(np.sqrt(np.mean((t - t.mean()) ** 2)) / spread)
            entry["r2"] = None if sst == 0 else 1.0 - sse / sst
        else:
            _, counts = np.unique(t, return_counts=True)
            entry["accuracy"] = float(np.mean(t == r))
            entry["baseline_accuracy"] = float(counts.max() / counts.sum())
        columns.append(entry)

    def mean(key: str) -> float | None:
        values = [c[key] for c in columns if c.get(key) is not None]
        return float(np.mean(values)) if values else None

    return {
        "columns": columns,
        **{
            key: mean(key.removeprefix("mean_"))
            for key in ("mean_rmse", "mean_baseline_rmse", "mean_accuracy", "mean_baseline_accuracy")
        },
    }


def table_summary(result: dict[str, Any]) -> str:
    """One line on :func:`table_reconstruction`'s result, against the column-mean / most-frequent baseline."""
    parts = []
    if result["mean_rmse"] is not None:
        parts.append(
            f"numbers: RMSE {result['mean_rmse']:.3f} standard deviations (column means: "
            f"{result['mean_baseline_rmse']:.3f})"
        )
    if result["mean_accuracy"] is not None:
        parts.append(
            f"categories: {result['mean_accuracy']:.1%} right (most frequent value: "
            f"{result['mean_baseline_accuracy']:.1%})"
        )
    return "; ".join(parts) + " -- mean over columns, observed entries"
