"""How close a generated table is to a real one: marginals, associations and gaps, column by column.

:func:`fidelity` compares two :class:`pandas.DataFrame` with the same columns (a real
table and one generated from a model fitted to it) and returns plain, JSON-able
numbers. Every measure is 0 for two identical tables.

Each column has one *kind*, read from the **real** frame's dtype:

- ``numeric``: a numeric dtype that is not bool (float, int, nullable ``Int64``/``Float64``).
  Counts and small integer columns (a year, a number of cylinders) are numeric too.
- ``categorical``: everything else -- strings, ``object``, ``category``, bool. Values are
  compared as they are (``True`` and ``"True"`` are different levels).

Measures (each on the *observed* values only: a missing value is NaN/None/NA):

- ``ks[column]`` (numeric columns): the two-sample Kolmogorov-Smirnov statistic
  (:func:`scipy.stats.ks_2samp`), the largest distance between the two empirical
  distribution functions, in [0, 1].
- ``tvd[column]`` (categorical columns): the total-variation distance between the
  two frequency tables, 1/2 x sum over levels of \\|p_real(level) - p_synthetic(level)\\|,
  in [0, 1] (1: no level in common).
- ``association_difference``: the mean, over all pairs of columns, of
  \\|a_real - a_synthetic\\|, where the association a of a pair is computed on the rows
  where both columns are observed:

  * numeric-numeric: Pearson's correlation r, in [-1, 1] (so this term is in [0, 2]);
  * categorical-categorical: Cramér's V = sqrt(chi^2 / (n x (min(r, c) - 1))) of the
    r x c contingency table of the levels present (no small-sample correction), in [0, 1];
  * numeric-categorical: the correlation ratio eta = sqrt(between-group sum of squares /
    total sum of squares) of the numeric column grouped by the categorical one, in [0, 1].

  A pair with no variation (a constant column on those rows) or fewer than 2 rows
  where both are observed has association 0: nothing varies together.
- ``missing_rate_difference[column]``: \\|share missing in real - share missing in
  synthetic\\|, in [0, 1].

Means (``mean_ks``, ``mean_tvd``, ``mean_missing_rate_difference``) are plain means over
the columns where the measure is defined. A measure that cannot be computed (a column
with no observed value in one of the frames, no numeric column for ``mean_ks``, fewer
than 2 columns for ``association_difference``) is None, never NaN, so that the result
can be written with :func:`json.dumps` as is.

Beyond these, what users of other tools trust (each defined in its own module):

- ``quality``, ``column_shapes_score``, ``column_pair_trends_score`` and their parts: the
  scores of SDMetrics' single-table QualityReport, computed here
  (:mod:`vaekit.evaluation.quality`); 1 is best.
- ``c2st_auc``: how well a classifier tells synthetic rows from real ones, 0.5 is best;
  ``dcr_median``, ``exact_copy_share`` and their real-holdout references
  ``dcr_holdout_median``, ``holdout_exact_copy_share``: how close synthetic rows are to
  real ones, a privacy check (:mod:`vaekit.evaluation.detection`). ``detection=False``
  skips these (they are None then): they fit classifiers and search neighbours.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from vaekit.evaluation.detection import c2st_auc, closest_records
from vaekit.evaluation.quality import quality

__all__ = ["column_kind", "fidelity"]


def column_kind(column: pd.Series) -> str:
    """``"numeric"`` for a numeric, non-bool dtype; ``"categorical"`` for everything else."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return "categorical"
    return "numeric"


def _listed(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _check_columns(real: pd.DataFrame, synthetic: pd.DataFrame) -> list[str]:
    """The real frame's column names, after checking that both frames have the same set; else one-line ValueError."""
    for name, frame in (("real", real), ("synthetic", synthetic)):
        if not isinstance(frame, pd.DataFrame):
            raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
        if frame.columns.has_duplicates:
            duplicated = [str(c) for c in frame.columns[frame.columns.duplicated()].unique()]
            raise ValueError(f"{name} has duplicate column names: {_listed(duplicated)}")
    names = [str(c) for c in real.columns]
    synthetic_names = {str(c) for c in synthetic.columns}
    only_real = [n for n in names if n not in synthetic_names]
    only_synthetic = [str(c) for c in synthetic.columns if str(c) not in set(names)]
    if only_real or only_synthetic:
        parts = []
        if only_real:
            parts.append(f"only in real: {_listed(only_real)}")
        if only_synthetic:
            parts.append(f"only in synthetic: {_listed(only_synthetic)}")
        raise ValueError(f"real and synthetic must have the same columns; {'; '.join(parts)}")
    return names


def _numbers(column: pd.Series, name: str, which: str) -> np.ndarray:
    """A numeric column as float64 of shape (n_rows,), NaN where missing; ValueError on text or infinities."""
    if column_kind(column) != "numeric":
        raise ValueError(f"column {name!r} is numeric in real but {column.dtype} in {which}")
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)  # (n_rows,)
    if np.isinf(values).any():
        raise ValueError(f"column {name!r} of {which} holds infinite values")
    return values


def _labels(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A categorical column as integer codes of shape (n_rows,) (-1 where missing) and its levels."""
    codes, levels = pd.factorize(column.astype(object), use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(levels, dtype=object)


def _ks(a: np.ndarray, b: np.ndarray) -> float | None:
    """KS statistic between the observed values of two float arrays; None when one has none."""
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size == 0 or b.size == 0:
        return None
    return float(ks_2samp(a, b).statistic)


def _tvd(a: pd.Series, b: pd.Series) -> float | None:
    """Total-variation distance between the observed level frequencies of two columns; None when one has none."""
    p = a.dropna().astype(object).value_counts(normalize=True)
    q = b.dropna().astype(object).value_counts(normalize=True)
    if p.empty or q.empty:
        return None
    p, q = p.align(q, fill_value=0.0)
    return float(0.5 * np.abs(p.to_numpy(dtype=np.float64) - q.to_numpy(dtype=np.float64)).sum())


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r of two float arrays of shape (n,) without gaps; 0 when either is constant or n < 2."""
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    x, y = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(x @ x) * float(y @ y))
    return 0.0 if denominator == 0 else float(np.clip((x @ y) / denominator, -1.0, 1.0))


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    """Cramér's V of two code arrays of shape (n,) without gaps (codes >= 0); 0 when either has one level."""
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    n_a, n_b = int(a.max(initial=-1)) + 1, int(b.max(initial=-1)) + 1
    if a.size < 2 or min(n_a, n_b) < 2:
        return 0.0
    observed = np.zeros((n_a, n_b))  # (levels of a, levels of b)
    np.add.at(observed, (a, b), 1.0)
    n = float(a.size)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n  # all > 0: only present levels
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    return float(np.clip(math.sqrt(chi2 / (n * (min(n_a, n_b) - 1))), 0.0, 1.0))


def _eta(x: np.ndarray, codes: np.ndarray) -> float:
    """Correlation ratio of floats x (n,) grouped by codes (n,), both without gaps; 0 when x is constant or n < 2."""
    if x.size < 2 or np.ptp(x) == 0:
        return 0.0
    _, groups = np.unique(codes, return_inverse=True)
    counts = np.bincount(groups).astype(np.float64)  # (n_groups,)
    means = np.bincount(groups, weights=x) / counts  # (n_groups,)
    mean = x.mean()
    total = float(((x - mean) ** 2).sum())
    between = float((counts * (means - mean) ** 2).sum())
    return float(np.clip(math.sqrt(between / total), 0.0, 1.0))


def _association(left: tuple[str, np.ndarray], right: tuple[str, np.ndarray]) -> tuple[str, float]:
    """The measure's name and the association of two encoded columns on the rows where both are observed.

    Each side is (kind, values): float64 with NaN gaps for ``numeric``, int64 codes with
    -1 gaps for ``categorical``; both of shape (n_rows,).
    """
    (kind_a, a), (kind_b, b) = left, right
    observed_a = ~np.isnan(a) if kind_a == "numeric" else a >= 0
    observed_b = ~np.isnan(b) if kind_b == "numeric" else b >= 0
    both = observed_a & observed_b
    a, b = a[both], b[both]
    if kind_a == "numeric" and kind_b == "numeric":
        return "pearson", _pearson(a, b)
    if kind_a == "categorical" and kind_b == "categorical":
        return "cramers_v", _cramers_v(a, b)
    if kind_a == "numeric":
        return "eta", _eta(a, b)
    return "eta", _eta(b, a)


def _mean(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else None


def fidelity(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    detection: bool = True,
    random_state: int = 0,
    max_pairs: int | None = None,
) -> dict[str, Any]:
    """Compare a generated table with the real one: marginals, pairwise associations and gaps.

    See the module's documentation for the kinds of columns and the formulas.

    Parameters
    ----------
    real : DataFrame of shape (n_real, n_columns)
        The real table, gaps as NaN/None/NA. Its dtypes decide each column's kind.
    synthetic : DataFrame of shape (n_synthetic, n_columns)
        The generated table: the same column names (in any order); any number of rows.
        A column numeric in ``real`` must be numeric here too.
    detection : bool
        Whether to run the classifier two-sample test and the closest-record distances
        (about a second on a few thousand rows); their keys are None when False.
    random_state : int
        Seeds the folds and subsamples of the classifier test and the real holdout of DCR (and the
        pairs drawn under ``max_pairs``).
    max_pairs : int or None
        The associations and pair trends over at most this many column pairs, drawn at random (in
        column order) when the table has more; None: every pair. A table of 784 columns has 306,936
        pairs, which took 98 s.

    Returns
    -------
    dict
        Plain Python values only (float, int, str, None, dict, list):

        - ``kinds``: {column: "numeric" or "categorical"}
        - ``ks``: {numeric column: KS statistic or None}; ``mean_ks``: float or None
        - ``tvd``: {categorical column: TVD or None}; ``mean_tvd``: float or None
        - ``association_difference``: float or None (fewer than 2 columns)
        - ``associations``: a list, one dict per pair of columns, with ``columns``
          ([a, b]), ``measure`` ("pearson", "cramers_v" or "eta"), ``real``,
          ``synthetic`` and ``difference`` (its absolute value)
        - ``missing_rate``: {column: {"real": share, "synthetic": share}}
        - ``missing_rate_difference``: {column: \\|difference\\|};
          ``mean_missing_rate_difference``: float or None (no columns)
        - ``n_real``, ``n_synthetic``: row counts; ``n_pairs``, ``n_pairs_total``: the column pairs
          measured, and all there are
        - ``quality``, ``column_shapes_score``, ``column_pair_trends_score``: floats in
          [0, 1] or None; ``column_shapes`` ({column: score}) and ``column_pair_trends``
          (a list of {``columns``, ``metric``, ``score``}): SDMetrics' QualityReport
        - ``c2st_auc``: float in [0, 1] or None; ``dcr_median``, ``exact_copy_share``,
          ``dcr_holdout_median``, ``holdout_exact_copy_share``: float or None

    Raises
    ------
    ValueError
        One line: the frames' column names differ (naming the difference), a frame
        has duplicate column names, a numeric column of ``real`` is not numeric in
        ``synthetic``, or a numeric column holds infinite values.

    Examples
    --------
    >>> import pandas as pd
    >>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, None], "c": ["a", "b", "a", "b"]})
    >>> result = fidelity(real, real)
    >>> result["mean_ks"], result["mean_tvd"], result["association_difference"]
    (0.0, 0.0, 0.0)
    >>> fidelity(real, real[["x"]])
    Traceback (most recent call last):
    ...
    ValueError: real and synthetic must have the same columns; only in real: 'c'
    """
    names = _check_columns(real, synthetic)
    real = real.set_axis([str(c) for c in real.columns], axis=1)
    synthetic = synthetic.set_axis([str(c) for c in synthetic.columns], axis=1)[names]
    kinds = {name: column_kind(real[name]) for name in names}

    ks: dict[str, float | None] = {}
    tvd: dict[str, float | None] = {}
    encoded_real: dict[str, tuple[str, np.ndarray]] = {}
    encoded_synthetic: dict[str, tuple[str, np.ndarray]] = {}
    for name in names:
        if kinds[name] == "numeric":
            a, b = _numbers(real[name], name, "real"), _numbers(synthetic[name], name, "synthetic")
            ks[name] = _ks(a, b)
            encoded_real[name], encoded_synthetic[name] = ("numeric", a), ("numeric", b)
        else:
            tvd[name] = _tvd(real[name], synthetic[name])
            # One set of codes for both frames, so a level means the same in each.
            both = pd.concat([real[name].astype(object), synthetic[name].astype(object)], ignore_index=True)
            codes, _ = _labels(both)
            encoded_real[name] = ("categorical", codes[: len(real)])
            encoded_synthetic[name] = ("categorical", codes[len(real) :])

    pairs = [(first, second) for i, first in enumerate(names) for second in names[i + 1 :]]
    n_pairs_total = len(pairs)
    if max_pairs is not None and len(pairs) > max_pairs:
        keep = np.sort(np.random.default_rng(random_state).choice(len(pairs), max_pairs, replace=False))
        pairs = [pairs[k] for k in keep]
    associations: list[dict[str, Any]] = []
    for first, second in pairs:
        measure, a_real = _association(encoded_real[first], encoded_real[second])
        _, a_synthetic = _association(encoded_synthetic[first], encoded_synthetic[second])
        associations.append(
            {
                "columns": [first, second],
                "measure": measure,
                "real": a_real,
                "synthetic": a_synthetic,
                "difference": abs(a_real - a_synthetic),
            }
        )

    def share_missing(frame: pd.DataFrame, name: str) -> float:
        return float(frame[name].isna().mean()) if len(frame) else 0.0

    missing_rate = {
        name: {"real": share_missing(real, name), "synthetic": share_missing(synthetic, name)} for name in names
    }
    missing_difference = {name: abs(rates["real"] - rates["synthetic"]) for name, rates in missing_rate.items()}
    return {
        "kinds": kinds,
        "ks": ks,
        "mean_ks": _mean(list(ks.values())),
        "tvd": tvd,
        "mean_tvd": _mean(list(tvd.values())),
        "association_difference": _mean([pair["difference"] for pair in associations]),
        "associations": associations,
        "missing_rate": missing_rate,
        "missing_rate_difference": missing_difference,
        "mean_missing_rate_difference": _mean(list(missing_difference.values())),
        "n_real": len(real),
        "n_synthetic": len(synthetic),
        "n_pairs": len(pairs),
        "n_pairs_total": n_pairs_total,
        **quality(real, synthetic, kinds, pairs),
        "c2st_auc": c2st_auc(real, synthetic, kinds, random_state) if detection else None,
        **(
            closest_records(real, synthetic, kinds, random_state)
            if detection
            else dict.fromkeys(("dcr_median", "exact_copy_share", "dcr_holdout_median", "holdout_exact_copy_share"))
        ),
    }
