"""SDMetrics-compatible quality of a synthetic table: *Column Shapes* and *Column Pair Trends*.

Written from the definitions of SDMetrics 0.32's single-table ``QualityReport``
(``KSComplement``, ``TVComplement``, ``CorrelationSimilarity``, ``ContingencySimilarity``
and the report's own discretization), without depending on SDMetrics. Every score is in
[0, 1], 1 for identical distributions.

Column Shapes, one score per column, on its observed values (gaps left out):

- numeric: 1 - the two-sample KS statistic (values rounded to 14 decimals first, as SDMetrics does);
- categorical: 1 - the total-variation distance of the two level frequency tables.

Column Pair Trends, one score per pair of columns:

- two numeric columns: 1 - \\|r_real - r_synthetic\\| / 2, Pearson's r on the rows where
  both are observed. No score (None) when a column is constant in either frame (SDMetrics
  refuses the pair) or r is undefined (fewer than 2 such rows).
- any other pair: 1 - TVD of the two joint frequency tables, each normalized by its frame's
  row count, a gap being a value of its own. A numeric column of such a pair is binned
  first, **each frame on its own range**, as the report does: 10 equal-width bins from
  ``numpy.histogram_bin_edges`` of the frame's observed values, ``numpy.digitize``
  (so a bin's number, not its edges, is what the two frames share; the largest value and
  a gap both fall in bin 11, exactly as in SDMetrics).

Column Shapes is the mean of the defined column scores. Column Pair Trends is the mean over
the pairs that are **associated in the real table** only, as the QualityReport of SDMetrics
0.32 counts them (its defaults): a numeric pair when \\|r_real\\| > 0.5, any other pair when
the Cramér's V (no correction) of its real contingency table, gaps and bins included, is
above 0.3 (a table with one row or column level is not associated). Every pair still gets
its score, with ``counted`` saying whether it enters the mean; no pair counted: no score.
``quality`` is the mean of the two defined property scores (SDMetrics' ``nanmean``).

Where this differs from SDMetrics: a column's kind is read from its dtype
(:func:`vaekit.evaluation.fidelity.column_kind`: numbers, counts and years are numeric;
strings and bools categorical), not from SDV's metadata detection, which may call a small
integer column categorical or an identifier ``id`` (left out by SDMetrics). Datetimes are
not converted to numbers here (a datetime column is categorical). A pair below the
thresholds keeps its score here, where SDMetrics writes NaN (neither counts). Checked
against SDMetrics 0.32 (benchmarks/tables.py, 30 generated tables of the shared data, with these kinds
as its metadata): the same overall score to 1e-16.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

__all__ = ["column_shape", "pair_trend", "quality"]

MAX_DECIMALS = 14  # sys.float_info.dig - 1, as SDMetrics' KSComplement rounds
N_BINS = 10  # numpy.histogram_bin_edges' default, as the QualityReport uses it
REAL_CORRELATION_THRESHOLD = 0.5  # sdmetrics.reports.utils.DEFAULT_REAL_CORRELATION_THRESHOLD
REAL_ASSOCIATION_THRESHOLD = 0.3  # sdmetrics.reports.utils.DEFAULT_REAL_ASSOCIATION_THRESHOLD


def _floats(column: pd.Series) -> np.ndarray:
    """A numeric column as float64 of shape (n_rows,), NaN where missing."""
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def column_shape(real: pd.Series, synthetic: pd.Series, kind: str) -> float | None:
    """1 - KS (numeric) or 1 - TVD (categorical) of the observed values; None when one side has none."""
    if kind == "numeric":
        a, b = _floats(real), _floats(synthetic)
        a, b = np.round(a[~np.isnan(a)], MAX_DECIMALS), np.round(b[~np.isnan(b)], MAX_DECIMALS)
        if a.size == 0 or b.size == 0:
            return None
        return float(1.0 - ks_2samp(a, b).statistic)
    p = real.dropna().astype(object).value_counts(normalize=True)
    q = synthetic.dropna().astype(object).value_counts(normalize=True)
    if p.empty or q.empty:
        return None
    p, q = p.align(q, fill_value=0.0)
    return float(1.0 - 0.5 * np.abs(p.to_numpy(dtype=np.float64) - q.to_numpy(dtype=np.float64)).sum())


def _bins(values: np.ndarray) -> np.ndarray:
    """Bin numbers of shape (n_rows,) for floats (n_rows,): 10 bins on their own observed range, NaN in bin 11."""
    observed = values[~np.isnan(values)]
    if observed.size == 0:
        return np.full(values.shape, N_BINS + 1, dtype=np.int64)
    return np.digitize(values, np.histogram_bin_edges(observed, bins=N_BINS)).astype(np.int64)


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's r of floats x, y (n,) on the rows where both are observed; None when undefined."""
    both = ~np.isnan(x) & ~np.isnan(y)
    x, y = x[both], y[both]
    if x.size < 2:
        return None
    x, y = x - x.mean(), y - y.mean()
    denominator = float(np.sqrt((x @ x) * (y @ y)))
    return None if denominator == 0 else float(np.clip((x @ y) / denominator, -1.0, 1.0))


def _constant(values: np.ndarray) -> bool:
    """Whether a float column (n,) has exactly one distinct observed value (pandas' nunique() == 1)."""
    observed = values[~np.isnan(values)]
    return observed.size > 0 and bool(np.all(observed == observed[0]))


def _joint_tvd(a_real: np.ndarray, b_real: np.ndarray, a_synthetic: np.ndarray, b_synthetic: np.ndarray) -> float:
    """TVD of the joint frequencies of two code pairs, real (n,) and synthetic (m,), codes >= 0."""
    width = int(max(b_real.max(initial=0), b_synthetic.max(initial=0))) + 1
    size = (int(max(a_real.max(initial=0), a_synthetic.max(initial=0))) + 1) * width
    p = np.bincount(a_real * width + b_real, minlength=size) / max(a_real.size, 1)
    q = np.bincount(a_synthetic * width + b_synthetic, minlength=size) / max(a_synthetic.size, 1)
    return float(0.5 * np.abs(p - q).sum())


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cramér's V of the table of two code arrays (n,) (codes >= 0), levels present only; None below 2 x 2."""
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    n_a, n_b = int(a.max(initial=-1)) + 1, int(b.max(initial=-1)) + 1
    if min(n_a, n_b) < 2:
        return None
    observed = np.zeros((n_a, n_b))  # (levels of a, levels of b)
    np.add.at(observed, (a, b), 1.0)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / a.size  # all > 0: present levels only
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (a.size * (min(n_a, n_b) - 1))))


def _levels(real: pd.Series, synthetic: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """One set of codes (>= 0, a gap its own code) for a categorical column of both frames: (n,), (m,)."""
    both = pd.concat([real.astype(object), synthetic.astype(object)], ignore_index=True)
    codes, _ = pd.factorize(both, use_na_sentinel=True)
    codes = codes.astype(np.int64) + 1  # the gap -1 becomes 0
    return codes[: len(real)], codes[len(real) :]


def pair_trend(
    real: tuple[pd.Series, pd.Series], synthetic: tuple[pd.Series, pd.Series], kinds: tuple[str, str]
) -> dict[str, object]:
    """One pair of columns: ``metric`` ("correlation" or "contingency"), ``score`` (or None),
    ``real_association`` (r, or Cramér's V; None when undefined) and ``counted`` (associated enough
    in the real table to enter the Column Pair Trends mean)."""
    if kinds == ("numeric", "numeric"):
        columns = [_floats(c) for c in (*real, *synthetic)]
        r_real = _pearson(columns[0], columns[1])
        r_synthetic = _pearson(columns[2], columns[3])
        if any(_constant(c) for c in columns) or r_real is None or r_synthetic is None:
            return {"metric": "correlation", "score": None, "real_association": r_real, "counted": False}
        return {
            "metric": "correlation",
            "score": 1.0 - abs(r_real - r_synthetic) / 2.0,
            "real_association": r_real,
            "counted": abs(r_real) > REAL_CORRELATION_THRESHOLD,
        }
    codes: list[tuple[np.ndarray, np.ndarray]] = []
    for j in range(2):
        if kinds[j] == "numeric":
            codes.append((_bins(_floats(real[j])), _bins(_floats(synthetic[j]))))
        else:
            codes.append(_levels(real[j], synthetic[j]))
    v_real = _cramers_v(codes[0][0], codes[1][0]) if len(real[0]) else None
    return {
        "metric": "contingency",
        "score": 1.0 - _joint_tvd(codes[0][0], codes[1][0], codes[0][1], codes[1][1]),
        "real_association": v_real,
        "counted": v_real is not None and v_real > REAL_ASSOCIATION_THRESHOLD,
    }


def _mean(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else None


def quality(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    kinds: dict[str, str],
    pairs: list[tuple[str, str]] | None = None,
) -> dict[str, object]:
    """Column Shapes, Column Pair Trends and their mean, as SDMetrics' QualityReport defines them.

    Parameters
    ----------
    real : DataFrame of shape (n_real, n_columns)
    synthetic : DataFrame of shape (n_synthetic, n_columns)
        The same column names (checked by the caller), any number of rows.
    kinds : dict
        {column: "numeric" or "categorical"}, in the order the pairs are listed.
    pairs : list of (column, column) or None
        The column pairs the pair trends are computed over; None: every pair (SDMetrics' report).

    Returns
    -------
    dict
        ``column_shapes`` ({column: score or None}), ``column_shapes_score``,
        ``column_pair_trends`` (a list of {``columns``, ``metric``, ``score``,
        ``real_association``, ``counted``}),
        ``column_pair_trends_score`` and ``quality``: floats in [0, 1] or None.
    """
    names = list(kinds)
    shapes = {name: column_shape(real[name], synthetic[name], kinds[name]) for name in names}
    if pairs is None:
        pairs = [(first, second) for i, first in enumerate(names) for second in names[i + 1 :]]
    trends: list[dict[str, object]] = []
    for first, second in pairs:
        trend = pair_trend(
            (real[first], real[second]), (synthetic[first], synthetic[second]), (kinds[first], kinds[second])
        )
        trends.append({"columns": [first, second], **trend})
    shapes_score = _mean(list(shapes.values()))
    trends_score = _mean([pair["score"] for pair in trends if pair["counted"]])  # type: ignore[misc]
    return {
        "column_shapes": shapes,
        "column_shapes_score": shapes_score,
        "column_pair_trends": trends,
        "column_pair_trends_score": trends_score,
        "quality": _mean([shapes_score, trends_score]),
    }
