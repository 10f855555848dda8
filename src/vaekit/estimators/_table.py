"""Mixed tables in an estimator: the path fit takes for categories, counts and gaps.

An estimator fitted on a table with non-numeric columns or missing values (or with
``likelihood="mixed"``) keeps a :class:`~vaekit.data.table.encoder.TableEncoder` in
``table_``. Inputs are encoded by it (values plus one observed indicator per
column, :mod:`vaekit.data.table.layout`); the decoder emits one likelihood per
column (:class:`~vaekit.distributions.mixed.MixedTable`), summed over the observed
entries only; outputs come back in the user's own types: a DataFrame with the
original names, dtypes and category labels when the model was fitted on one, else
a NumPy array.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from vaekit.data.codec import as_frame, frame_as_array
from vaekit.data.table.encoder import TableEncoder
from vaekit.data.table.kinds import as_number, missing_mask
from vaekit.data.validation import InputError

NON_NUMERIC_KINDS = "OSUbcm"  # numpy dtype kinds a mixed table may hold: object, strings, bool, category, dates


def needs_table(X: Any, likelihood: str, column_types: Any) -> bool:
    """Whether fit takes the mixed-table path for X.

    Yes for ``likelihood="mixed"`` or given ``column_types``; for a DataFrame with a
    non-numeric column or a missing value; for a 2-D numeric array with NaN. Images
    and complete numeric tables keep the plain path (their figures are unchanged).
    """
    if likelihood == "mixed" or column_types:
        return True
    if isinstance(X, pd.DataFrame):
        if any(not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype) for dtype in X.dtypes):
            return True
        return bool(X.isna().to_numpy().any())
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind == "f":
        return bool(np.isnan(X).any()) and not np.isinf(X).any()  # inf: refused by the plain path's checks
    return False


def fit_table(estimator: Any, X: Any) -> np.ndarray:
    """Fit ``estimator.table_`` on X; the encoded table (n, n_encoded) float32 to train on."""
    names = getattr(estimator, "feature_names_in_", None)
    frame = as_frame(X, None if names is None else [str(n) for n in names])
    estimator.table_ = TableEncoder.fit(
        frame, estimator.column_types, estimator.max_categories, few_levels=estimator.few_levels
    )
    estimator.table_frame_ = isinstance(X, pd.DataFrame)
    return estimator.table_.encode(frame)


def gaps(estimator: Any, X: Any) -> np.ndarray:
    """bool (n, n_columns): the entries of X that :func:`impute` fills, its empty ones (NaN, None, NA,
    an empty or blank text)."""
    frame = as_frame(X, [str(n) for n in estimator.table_.names])
    at = _positions(frame)
    missing = np.zeros((len(frame), len(estimator.table_.columns)), dtype=bool)
    for j, spec in enumerate(estimator.table_.columns):
        if spec.name in at:  # the encoder names a column that is absent
            missing[:, j] = missing_mask(frame.iloc[:, at[spec.name]])
    return missing


def _positions(frame: pd.DataFrame) -> dict[str, int]:
    """Each column name (as text) -> its first position in ``frame``."""
    at: dict[str, int] = {}
    for position, name in enumerate(frame.columns):
        at.setdefault(str(name), position)
    return at


def fill_gaps(estimator: Any, X: Any, values: np.ndarray, plausible: bool = True) -> Any:
    """X with its missing entries (only those) replaced by ``values`` (n, n_columns, target space).

    Only empty entries are filled (:func:`gaps`). A value the model reads as missing without
    its being empty (text in a number column, a level not seen in training: each named in a
    note) is kept as the user wrote it, as is every column the model does not know. Each
    column keeps its dtype where that can hold the filled values (a ``category`` column its
    categories, plus any filled level it lacks; a float column of whole numbers gets whole
    numbers), else takes the fitted one.
    """
    table = estimator.table_
    frame = as_frame(X, [str(n) for n in table.names])
    filled = table.to_frame(values, index=frame.index, plausible=plausible)
    missing = gaps(estimator, frame)  # (n, n_columns)
    at = _positions(frame)
    out = frame.copy()
    for j, spec in enumerate(table.columns):
        if missing[:, j].any():
            position = at[spec.name]
            out.isetitem(position, _filled_column(frame.iloc[:, position], filled.iloc[:, j], missing[:, j], spec))
    if isinstance(X, pd.DataFrame):
        return out
    return frame_as_array(out)


def _filled_column(column: pd.Series, fills: pd.Series, gaps: np.ndarray, spec: Any) -> pd.Series:
    """``column`` with its entries at ``gaps`` replaced by those of ``fills`` (the fitted dtype), in
    ``column``'s dtype where it holds them."""
    new = fills.to_numpy(dtype=object)[gaps]
    if spec.kind == "continuous" and _whole_numbers(column, gaps):
        new = np.array([v if pd.isna(v) else int(np.round(float(v))) for v in new], dtype=object)
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):  # its own categories, and any filled level they lack
        values = column.astype(object).to_numpy(copy=True)
        values[gaps] = new
        extra = [v for v in dict.fromkeys(new) if not pd.isna(v) and v not in set(dtype.categories)]
        categories = list(dtype.categories) + extra
        return pd.Series(
            pd.Categorical(values, categories=categories, ordered=dtype.ordered), index=column.index, name=column.name
        )
    values = column.to_numpy(dtype=object, copy=True)
    values[gaps] = new
    for candidate in (dtype, fills.dtype):
        try:
            kept = pd.Series(values, index=column.index, name=column.name).astype(candidate)
        except (TypeError, ValueError, OverflowError):
            continue
        as_given = kept.to_numpy(dtype=object)[gaps]
        if all(_same(a, b) for a, b in zip(as_given, new)):
            return kept
    return pd.Series(values, index=column.index, name=column.name, dtype=object)


def _same(a: Any, b: Any) -> bool:
    """Whether a value a column holds is the filled value ``b`` (numbers compared as numbers)."""
    if pd.isna(b) or pd.isna(a):
        return bool(pd.isna(a) and pd.isna(b))
    if isinstance(b, (int, float, np.number)) and not isinstance(b, (bool, np.bool_)):
        try:
            return bool(np.isclose(float(a), float(b), rtol=1e-6, atol=0.0))
        except (TypeError, ValueError):
            return False
    return bool(a == b) if not isinstance(a, str) or isinstance(b, str) else False


def _whole_numbers(column: pd.Series, gaps: np.ndarray) -> bool:
    """Whether the observed entries of ``column`` are all whole numbers (then filled numbers are too)."""
    observed = column[~gaps]
    if not len(observed):
        return False
    if pd.api.types.is_numeric_dtype(observed.dtype) and not pd.api.types.is_bool_dtype(observed.dtype):
        numbers = observed.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        numbers = np.array([as_number(v) if as_number(v) is not None else np.nan for v in observed], dtype=np.float64)
    numbers = numbers[np.isfinite(numbers)]
    return bool(len(numbers)) and bool(np.all(numbers == np.round(numbers)))


def require_table(estimator: Any, method: str) -> None:
    """Refuse ``method`` on a model that is not fitted (NotFittedError), or without ``table_``."""
    check_is_fitted(estimator, "model_")
    if getattr(estimator, "table_", None) is None:
        raise InputError(
            f"{type(estimator).__name__}.{method} needs a model fitted on a table with gaps or categories "
            '(or with likelihood="mixed"); this one was fitted on complete numeric data'
        )


IMPUTE_SAMPLES = 1000
"""Draws of z per row behind each imputed value (:func:`_weighted_point`), on a table of at most
:data:`IMPUTE_DRAWS` / 1000 rows; fewer on a longer one (:func:`impute_samples`). Measured with
``benchmarks/impute_study.py`` (issue 26): against 100 draws, 1000 changed the RMSE and accuracy of
the default model by less than their seed noise (nine tables, seed 0), and lowered the RMSE of a
model with a wider posterior (latent_dim=8, beta=0.5) on six tables the setting was not chosen on,
0.798 to 0.786 (accuracy 0.654 to 0.665; seeds 0-1); the self-normalized weights' bias falls as 1/K."""

IMPUTE_MIN_SAMPLES = 100
"""The fewest draws per row, however long the table (:func:`impute_samples`)."""

IMPUTE_DRAWS = 1_000_000
"""Decoded rows one imputation may cost (rows x draws): a long table gets fewer draws per row."""


def impute_samples(n_rows: int) -> int:
    """Draws of z per row for a table of ``n_rows``: :data:`IMPUTE_SAMPLES`, fewer as the table grows
    (rows x draws at most :data:`IMPUTE_DRAWS`), never below :data:`IMPUTE_MIN_SAMPLES`."""
    return max(IMPUTE_MIN_SAMPLES, min(IMPUTE_SAMPLES, IMPUTE_DRAWS // max(1, n_rows)))


IMPUTE_ROUNDS = 1
"""Rounds of :func:`_weighted_point`: after each but the last, the gaps are filled with the
expected encoded values and the row is encoded again, giving the next round's proposal
(iterated conditional means; 1: the plain MIWAE estimate)."""


IMPUTE_ELEMENTS = 2**24
"""At most about this many numbers per (K, rows, encoded width) tensor in :func:`_weighted_point`:
rows are imputed in chunks small enough (64 MB in float32), whatever K and the table's width."""


def _weighted_point(
    model: Any,
    x: Any,
    c: Any,
    generator: Any,
    samples: int | None = None,
    rounds: int | None = None,
    ordered: dict[int, Any] | None = None,
    levels: bool = False,
) -> Any:
    """Each column's most probable value given the row's observed entries, (B, n_columns) target space.

    The importance-weighted estimate of Mattei & Frellsen (MIWAE, ICML 2019):
    K = ``samples`` (:data:`IMPUTE_SAMPLES`) draws z_k ~ q(z|x_obs), weights w_k proportional
    to p(x_obs|z_k) p(z_k) / q(z_k|x_obs), and per column the weighted mean of the
    decoded means (numbers, counts) or of the decoded probabilities, whose most
    probable level is taken (yes/no, categories); for the columns in ``ordered`` (few-valued
    numbers: column -> its level values, float64 (K,)), the level nearest their expected value. A plain
    autoencoder has one code (K = 1): its decoded point.

    With ``rounds`` (:data:`IMPUTE_ROUNDS`) above 1, each round but the last fills the gaps of
    x (B, n_encoded) with the weighted expected encoded row and encodes that again: the proposal
    of the next round. The weights always score the observed entries only, so any proposal
    estimates the same conditional means; a closer one with less noise.

    With ``levels``, a pair: the point and (B, n_levels), each yes/no and categorical column's
    level probabilities given the observed entries, the columns' blocks side by side in column order
    (:func:`level_blocks`).
    """
    import torch

    from vaekit.distributions import DiagonalGaussian, standard_normal_log_prob

    samples = IMPUTE_SAMPLES if samples is None else samples
    rounds = IMPUTE_ROUNDS if rounds is None else rounds
    rows = max(1, IMPUTE_ELEMENTS // max(1, samples * x.shape[-1]))  # rows per chunk: K * rows * width bounded
    if x.shape[0] > rows:
        parts = [
            _weighted_point(
                model,
                x[i : i + rows],
                None if c is None else c[i : i + rows],
                generator,
                samples,
                rounds,
                ordered,
                levels,
            )
            for i in range(0, x.shape[0], rows)
        ]
        if levels:
            return torch.cat([p for p, _ in parts]), torch.cat([q for _, q in parts])
        return torch.cat(parts)
    posterior = model.encode(x, c)
    if not isinstance(posterior, DiagonalGaussian):
        table = model.decode(posterior.mode(), c)
        if levels:
            probs = [p for p in table.probabilities() if p is not None]
            return table.point(), torch.cat(probs, dim=-1) if probs else table.point()[:, :0]
        return table.point()
    for round_ in range(rounds):
        z = posterior.rsample(samples, generator=generator)  # (K, B, latent)
        table = model.decode(z, c)
        log_w = table.log_prob(x) + standard_normal_log_prob(z) - posterior.log_prob(z)  # (K, B), as the IWAE's
        w = torch.softmax(log_w, dim=0).unsqueeze(-1)  # (K, B, 1)
        if round_ + 1 < rounds:
            gap = (1.0 - x[:, table.index.all_observed]) @ model.column_positions  # (B, n_encoded): 1 in each gap
            filled = torch.where(gap > 0, (w * table.mean).sum(dim=0), x)  # (B, n_encoded): expected rows in gaps
            filled[:, table.index.all_observed] = 1.0  # every entry now reads as observed
            posterior = model.encode(filled, c)
    point = (w * table.point()).sum(dim=0)  # (B, n_columns): weighted means of numbers and counts
    blocks = []
    for j, probs in enumerate(table.probabilities()):
        if probs is None:
            continue
        mixture = (w * probs).sum(dim=0)  # (B, K): each level's probability given the observed entries
        blocks.append(mixture)
        if ordered and j in ordered:  # few numbers: the level nearest the expected value
            values = torch.as_tensor(ordered[j], dtype=mixture.dtype, device=mixture.device)  # (K,)
            expected = mixture @ values  # (B,)
            point[:, j] = (expected[:, None] - values).abs().argmin(dim=-1).to(point.dtype)
        else:  # yes/no and categories: the most probable level
            point[:, j] = mixture.argmax(dim=-1).to(point.dtype)
    counts = [j for j, column in enumerate(model.table_head.layout) if column.kind == "count"]
    point[:, counts] = point[:, counts].round()
    if levels:
        return point, torch.cat(blocks, dim=-1) if blocks else point[:, :0]
    return point


def level_blocks(table: Any) -> dict[int, slice]:
    """Column -> its slice of the level probabilities :func:`_weighted_point` gives with ``levels``:
    each yes/no (2 levels) and categorical (K) column of ``table`` (a TableEncoder), in column order."""
    out: dict[int, slice] = {}
    start = 0
    for j, layout in enumerate(table.layout()):
        if layout.kind in ("binary", "categorical"):
            width = 2 if layout.kind == "binary" else layout.n_params
            out[j] = slice(start, start + width)
            start += width
    return out


def impute(
    estimator: Any,
    X: Any,
    y: Any = None,
    *,
    n_draws: int | None = None,
    random_state: int | None = None,
    plausible: bool = True,
    refine: bool = True,
) -> Any:
    """X with only its missing entries filled (see :meth:`BaseAutoEncoder.impute`)."""
    import torch

    require_table(estimator, "impute")
    estimator.__dict__.pop("imputation_weights_", None)  # an earlier call's weights say nothing of this one
    X_model = estimator._check_X(X)
    C = estimator._conditions(y, len(X_model), "impute")
    if n_draws is None:
        generator = torch.Generator(estimator.device_).manual_seed(0 if random_state is None else int(random_state))
        samples = impute_samples(len(X_model))
        ordered = {
            j: np.array(spec.categories, dtype=np.float64)
            for j, spec in enumerate(estimator.table_.columns)
            if spec.ordered
        }

        def predict(x_model: np.ndarray, c: np.ndarray | None, draws: int) -> tuple[np.ndarray, np.ndarray]:
            return estimator._map_batches(
                lambda x, c: _weighted_point(estimator.model_, x, c, generator, draws, ordered=ordered, levels=True),
                x_model,
                c,
            )

        values, levels = predict(X_model, C, samples)
        if refine:
            from vaekit.estimators._refine import refine as with_forests

            seed = 0 if random_state is None else int(random_state)
            blocks = level_blocks(estimator.table_)
            values, estimator.imputation_weights_ = with_forests(
                estimator, X_model, C, values, levels, blocks, predict, seed
            )
        return fill_gaps(estimator, X, values, plausible)
    if isinstance(n_draws, bool) or not isinstance(n_draws, int) or n_draws < 1:
        raise InputError(f"n_draws must be a positive number of imputations, or None; got {n_draws!r}")
    generator = torch.Generator(estimator.device_).manual_seed(0 if random_state is None else int(random_state))

    def draw(x: Any, c: Any) -> Any:
        z = estimator.model_.encode(x, c).rsample(generator=generator)  # (B, latent): one draw of q(z|x)
        return estimator.model_.decode(z, c).sample(generator)

    return [fill_gaps(estimator, X, estimator._map_batches(draw, X_model, C), plausible) for _ in range(n_draws)]
