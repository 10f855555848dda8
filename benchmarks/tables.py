"""Mixed tables with gaps: does vaekit impute and generate them better than simple baselines? (issue 12)

Three real tables from ../shared/datasets/tables (penguins, penguins-raw, cars), read with
pandas' defaults, after dropping the columns in ``DROPPED`` (identifiers, dates, free
text, and penguins-raw's two one-valued columns: nothing there to impute or learn).
Each remaining column is numeric (a numeric, non-bool dtype, counts and years included)
or categorical (strings, bool), as in :func:`vaekit.evaluation.fidelity.column_kind`.

(a) Imputation. Per seed, 20% of the observed entries are hidden, chosen uniformly
at random (``numpy.random.default_rng(seed)``); every imputer gets the table with those
entries removed (and the table's own gaps) and fills it. Scores, on the hidden entries only:

- RMSE over all hidden numeric entries together, each in standardized units:
  (imputed - true) / sd, with the column's mean and sd (ddof 0) of the values still
  observed after hiding. Predicting each column's mean scores about 1.
- accuracy over all hidden categorical entries together: share imputed exactly.

Imputers: vaekit (``VAE(random_state=seed, verbose=0).fit(masked).impute(masked,
random_state=seed)``) and scikit-learn's SimpleImputer, KNNImputer, IterativeImputer and a
MissForest-style IterativeImputer whose regressor is ``ExtraTreesRegressor(n_estimators=100,
random_state=seed)`` (10 rounds; the same encoding and the same first-level trick as
IterativeImputer's; MissForest proper uses random forests and classifies categories).
SimpleImputer: the column mean for numeric columns, the most frequent level for
categorical ones (``strategy="most_frequent"`` on the values themselves). KNNImputer
(5 neighbours, uniform weights) and IterativeImputer (BayesianRidge, 10 rounds,
``random_state=seed``) work on one float matrix: each numeric column standardized as
above; each categorical column one-hot over its observed levels, with all the block's
entries NaN where the value is missing. The imputed block's argmax is the imputed level
(KNN: the neighbours' majority level; Iterative: the largest of the regressed
indicators); numeric columns go back to their units (and are not rounded: integer
columns get fractional values); observed entries are kept as they were. IterativeImputer
gets each block without its first (most frequent) level's indicator, taken back as 1 -
the sum of the others before the argmax: with the whole block, each indicator is
regressed on the others, which sum to 1 - it on every complete row, and the imputed
block stays at the levels' frequencies (the same guesses as SimpleImputer's).

(b) Synthetic fidelity. Per seed, each generator is fitted on the whole table (gaps
included) and draws as many rows as it has; :func:`vaekit.evaluation.fidelity.fidelity` compares
them with the table. Generators: vaekit (``VAE(random_state=seed, verbose=0).fit(table)
.sample(n, random_state=seed)``); a Gaussian mixture (scikit-learn GaussianMixture, full
covariances, reg_covar 1e-3, its number of components from 1, 2, 3, 5, 8 by BIC) fitted
on the rows without gaps, encoded as in (a) (standardized numbers, one-hot levels), its
draws decoded by argmax per categorical block and unstandardized, integer columns
rounded; then each entry is hidden independently with its column's missing share in
the table, so that the mixture is not scored on gaps it cannot make; SDV 2.0.0's
GaussianCopulaSynthesizer and TVAESynthesizer (their defaults, metadata from
``Metadata.detect_from_dataframes``), peers measured here and never vaekit dependencies:
they live in ``benchmarks/.peers`` (``bash benchmarks/peers.sh``), which goes at the END of
``sys.path``, so .venv's own torch, numpy, pandas and scikit-learn are the ones used (sdv
declares pandas<3; it runs on .venv's pandas 3 here); and, as a reference only, the table's
rows resampled with replacement (copies: the distances of a sample of this size from the
table, the floor a generator could reach; every row an exact copy, and a C2ST AUC below 0.5,
since a row's twin sits in the other fold with the other label).

Measures (:func:`vaekit.evaluation.fidelity.fidelity`, ``random_state=seed``): mean KS, mean
TVD, association difference, missing-rate difference (lower is better); SDMetrics-compatible
quality (mean of Column Shapes and Column Pair Trends, higher is better); C2ST AUC of boosted
trees telling generated rows from real ones (5-fold; 0.5 is ideal); DCR: the median distance
of a generated row to its closest real row (standardized numbers, one-hot levels) beside the
same of a 20% holdout of real rows against the rest, and the share of generated rows that are
exact copies of a real row.

(c) Time: wall seconds of ``vaekit train penguins.csv --out <tmp> --quiet`` in a subprocess.

``--skip-vaekit`` runs the baselines only (before the mixed-table estimator exists).

Usage: .venv/bin/python benchmarks/tables.py [--seeds 0,1,2] [--tables penguins,cars] [--skip-vaekit] [--parts a,b,c]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (makes IterativeImputer importable)
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.mixture import GaussianMixture

from vaekit.evaluation.fidelity import column_kind, fidelity

TABLES = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "tables"
PEERS = Path(__file__).resolve().parent / ".peers"  # SDV, installed by benchmarks/peers.sh
DROPPED: dict[str, dict[str, str]] = {
    "penguins": {},
    "penguins-raw": {
        "Sample Number": "identifier (row number within a study)",
        "Individual ID": "identifier",
        "Date Egg": "date",
        "Comments": "free text",
        "Region": "one value only",
        "Stage": "one value only",
    },
    "cars": {"Name": "identifier", "Year": "date"},
}
HIDDEN_SHARE = 0.2
GMM_COMPONENTS = (1, 2, 3, 5, 8)
MISSFOREST = "MissForest-style (ExtraTrees)"
IMPUTERS = ("vaekit", "SimpleImputer", "KNNImputer", "IterativeImputer", MISSFOREST)
GENERATORS = ("vaekit", "Gaussian mixture", "SDV GaussianCopula", "SDV TVAE", "bootstrap (reference)")
# measure: (column title, lower is better)
FIDELITY_MEASURES = {
    "quality": ("quality", False),
    "c2st_auc": ("C2ST AUC", True),
    "mean_ks": ("mean KS", True),
    "mean_tvd": ("mean TVD", True),
    "association_difference": ("association", True),
    "mean_missing_rate_difference": ("missing", True),
    "dcr_median": ("DCR median", False),
    "exact_copy_share": ("copies", True),
}


def load(name: str) -> pd.DataFrame:
    """A shared table as pandas reads it, less its ``DROPPED`` columns."""
    frame = pd.read_csv(TABLES / f"{name}.csv")
    return frame.drop(columns=list(DROPPED[name]))


def kinds_of(table: pd.DataFrame) -> dict[str, str]:
    return {name: column_kind(table[name]) for name in table.columns}


# ----------------------------------------------------------------------------- encoding


@dataclass
class Encoding:
    """Standardized numbers and one-hot levels of a table, as one float matrix (gaps NaN)."""

    kinds: dict[str, str]
    mean: dict[str, float]  # numeric columns
    sd: dict[str, float]  # numeric columns (1 where constant)
    levels: dict[str, list[Any]]  # categorical columns: observed levels, most frequent first
    slices: dict[str, slice]  # where each column sits in the matrix

    @classmethod
    def of(cls, table: pd.DataFrame) -> Encoding:
        kinds = kinds_of(table)
        mean, sd, levels, slices, at = {}, {}, {}, {}, 0
        for name, kind in kinds.items():
            if kind == "numeric":
                values = table[name].to_numpy(dtype=np.float64, na_value=np.nan)
                mean[name] = float(np.nanmean(values))
                spread = float(np.nanstd(values))
                sd[name] = spread if spread > 0 else 1.0
                slices[name] = slice(at, at + 1)
                at += 1
            else:
                levels[name] = list(table[name].dropna().astype(object).value_counts().index)
                slices[name] = slice(at, at + len(levels[name]))
                at += len(levels[name])
        return cls(kinds, mean, sd, levels, slices)

    @property
    def width(self) -> int:
        return max(s.stop for s in self.slices.values())

    def encode(self, table: pd.DataFrame) -> np.ndarray:
        """The table as floats of shape (n_rows, width): standardized numbers, one-hot rows, NaN where missing."""
        out = np.full((len(table), self.width), np.nan)
        for name, kind in self.kinds.items():
            if kind == "numeric":
                values = table[name].to_numpy(dtype=np.float64, na_value=np.nan)
                out[:, self.slices[name].start] = (values - self.mean[name]) / self.sd[name]
            else:
                column = table[name].astype(object)
                observed = column.notna().to_numpy()
                block = np.stack([(column == level).to_numpy(dtype=np.float64) for level in self.levels[name]], axis=1)
                block[~observed] = np.nan
                out[:, self.slices[name]] = block
        return out

    def decode(self, matrix: np.ndarray, like: pd.DataFrame) -> pd.DataFrame:
        """A float matrix (n_rows, width) back to a table with ``like``'s columns: argmax levels, unstandardized numbers."""
        columns: dict[str, Any] = {}
        for name, kind in self.kinds.items():
            block = matrix[:, self.slices[name]]
            if kind == "numeric":
                columns[name] = block[:, 0] * self.sd[name] + self.mean[name]
            else:
                columns[name] = np.asarray(self.levels[name], dtype=object)[np.argmax(block, axis=1)]
        return pd.DataFrame(columns, index=like.index)[list(like.columns)]


# ----------------------------------------------------------------------------- imputation


def hide(table: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The table with ``HIDDEN_SHARE`` of its observed entries removed, and where: bool (n_rows, n_columns)."""
    observed = np.argwhere(table.notna().to_numpy())  # (n_observed, 2)
    rng = np.random.default_rng(seed)
    chosen = observed[rng.choice(len(observed), size=round(HIDDEN_SHARE * len(observed)), replace=False)]
    hidden = np.zeros(table.shape, dtype=bool)
    hidden[chosen[:, 0], chosen[:, 1]] = True
    return table.mask(hidden), hidden


def impute_simple(masked: pd.DataFrame, seed: int) -> pd.DataFrame:
    out = masked.copy()
    for name, kind in kinds_of(masked).items():
        if kind == "numeric":
            values = masked[[name]].to_numpy(dtype=np.float64, na_value=np.nan)
            out[name] = SimpleImputer(strategy="mean").fit_transform(values)[:, 0]
        else:
            values = masked[[name]].astype(object).where(masked[[name]].notna(), np.nan).to_numpy()
            out[name] = SimpleImputer(strategy="most_frequent").fit_transform(values)[:, 0]
    return out


def impute_with_matrix(imputer: Any, drop_first: bool = False) -> Callable[[pd.DataFrame, int], pd.DataFrame]:
    """An imputer of tables from a scikit-learn imputer of float matrices, through :class:`Encoding`.

    ``drop_first``: give the imputer each categorical block without its first (most
    frequent) level's indicator, and take that one back as 1 - the sum of the others
    before the argmax. IterativeImputer needs it: with the whole block, each indicator
    is regressed on the block's other indicators, which sum to 1 - it on every observed
    row, and a missing value's block never moves from the levels' frequencies (its
    argmax is then always the most frequent level, as SimpleImputer's).
    """

    def run(masked: pd.DataFrame, seed: int) -> pd.DataFrame:
        encoding = Encoding.of(masked)
        seeds = [key for key in imputer.get_params() if key == "random_state" or key.endswith("__random_state")]
        imputer.set_params(**dict.fromkeys(seeds, seed))  # the imputer's and its regressor's
        X = encoding.encode(masked)  # (n_rows, width)
        kept = np.ones(X.shape[1], dtype=bool)
        if drop_first:
            kept[[encoding.slices[name].start for name in encoding.levels]] = False
        filled = np.zeros_like(X)
        filled[:, kept] = imputer.fit_transform(X[:, kept])
        if drop_first:
            for name in encoding.levels:
                block = encoding.slices[name]
                filled[:, block.start] = 1.0 - filled[:, block.start + 1 : block.stop].sum(axis=1)
        decoded = encoding.decode(filled, masked)
        return masked.where(masked.notna(), decoded)  # observed entries exactly as they were

    return run


def impute_vaekit(masked: pd.DataFrame, seed: int) -> pd.DataFrame:
    from vaekit import VAE

    return VAE(random_state=seed, verbose=0).fit(masked).impute(masked, random_state=seed)


def score_imputation(table: pd.DataFrame, imputed: pd.DataFrame, hidden: np.ndarray, encoding: Encoding) -> dict:
    """RMSE (standardized units) over the hidden numeric entries, accuracy over the hidden categorical ones."""
    squared, correct, n_numeric, n_categorical, unfilled = 0.0, 0, 0, 0, 0
    for j, name in enumerate(table.columns):
        rows = hidden[:, j]
        if not rows.any():
            continue
        truth, guess = table[name][rows], imputed[name][rows]
        unfilled += int(guess.isna().sum())
        if encoding.kinds[name] == "numeric":
            t = truth.to_numpy(dtype=np.float64, na_value=np.nan)
            g = guess.to_numpy(dtype=np.float64, na_value=np.nan)
            squared += float(np.nansum(((g - t) / encoding.sd[name]) ** 2))
            n_numeric += int(np.isfinite(g).sum())
        else:
            correct += int((truth.astype(object).to_numpy() == guess.astype(object).to_numpy()).sum())
            n_categorical += int(rows.sum())
    return {
        "rmse": float(np.sqrt(squared / n_numeric)) if n_numeric else float("nan"),
        "accuracy": correct / n_categorical if n_categorical else float("nan"),
        "unfilled": unfilled,
    }


def changed_observed(masked: pd.DataFrame, imputed: pd.DataFrame) -> int:
    """How many entries observed in ``masked`` differ in ``imputed`` (an imputer should leave them alone)."""
    observed = masked.notna().to_numpy()
    same = (masked.astype(object).to_numpy() == imputed[list(masked.columns)].astype(object).to_numpy()) | ~observed
    return int((~same).sum())


# ----------------------------------------------------------------------------- generation


def generate_gmm(table: pd.DataFrame, seed: int) -> pd.DataFrame:
    complete = table.dropna()
    encoding = Encoding.of(complete)
    X = encoding.encode(complete)
    best: GaussianMixture | None = None
    for k in GMM_COMPONENTS:
        if k > len(X) // 5:
            break
        model = GaussianMixture(k, covariance_type="full", reg_covar=1e-3, random_state=seed, n_init=2).fit(X)
        if best is None or model.bic(X) < best.bic(X):
            best = model
    assert best is not None
    draws, _ = best.sample(len(table))
    rng = np.random.default_rng(seed)
    draws = draws[rng.permutation(len(draws))]  # GaussianMixture.sample returns the draws ordered by component
    out = encoding.decode(draws, pd.DataFrame(index=pd.RangeIndex(len(table)), columns=table.columns))
    for name in table.columns:
        if pd.api.types.is_integer_dtype(table[name].dtype):
            out[name] = np.round(out[name].to_numpy(dtype=np.float64)).astype(np.int64)
        elif encoding.kinds[name] == "categorical":
            out[name] = out[name].astype(table[name].dtype)
        gaps = rng.random(len(out)) < float(table[name].isna().mean())
        if gaps.any():
            out[name] = out[name].mask(gaps)
    return out


def generate_bootstrap(table: pd.DataFrame, seed: int) -> pd.DataFrame:
    return table.sample(len(table), replace=True, random_state=seed).reset_index(drop=True)


def generate_vaekit(table: pd.DataFrame, seed: int) -> pd.DataFrame:
    from vaekit import VAE

    return VAE(random_state=seed, verbose=0).fit(table).sample(len(table), random_state=seed)


def generate_sdv(kind: str) -> Callable[[pd.DataFrame, int], pd.DataFrame]:
    """A generator from SDV 2.0's ``GaussianCopulaSynthesizer`` or ``TVAESynthesizer``, with their defaults."""

    def run(table: pd.DataFrame, seed: int) -> pd.DataFrame:
        import torch
        from sdv import single_table
        from sdv.metadata import Metadata

        torch.manual_seed(seed)
        np.random.seed(seed)  # SDV draws from numpy's global generator
        metadata = Metadata.detect_from_dataframes({"table": table})
        synthesizer = getattr(single_table, f"{kind}Synthesizer")(metadata)
        synthesizer.fit({"table": table})  # SDV 2.0 takes and returns {table name: frame}
        drawn = synthesizer.sample(num_rows=len(table))
        return drawn["table"] if isinstance(drawn, dict) else drawn

    return run


# ----------------------------------------------------------------------------- printing


def spread(values: list[float], digits: int = 3) -> str:
    """'mean (min-max)' of a list over seeds; '-' when empty."""
    values = [v for v in values if v == v]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ({min(values):.{digits - 1}f}-{max(values):.{digits - 1}f})"


def verdict(measure: str, means: dict[str, float], lower_is_better: bool, baselines: list[str]) -> str:
    """One line: does vaekit's mean over tables beat every baseline's?"""
    if "vaekit" not in means or means["vaekit"] != means["vaekit"]:
        return f"{measure}: vaekit not measured"
    better = (lambda a, b: a < b) if lower_is_better else (lambda a, b: a > b)
    present = [b for b in baselines if b in means and means[b] == means[b]]
    best = min(present, key=lambda b: means[b]) if lower_is_better else max(present, key=lambda b: means[b])
    beats = all(better(means["vaekit"], means[b]) for b in present)
    return (
        f"{measure}: vaekit {means['vaekit']:.3f}, best baseline {best} {means[best]:.3f} -> "
        f"vaekit beats every baseline on the mean over tables: {'yes' if beats else 'no'}"
    )


def run_imputation(names: list[str], seeds: list[int], imputers: dict[str, Callable]) -> None:
    print("\n## (a) Imputation of hidden entries (20% of the observed ones)\n")
    print("RMSE in standardized units over the hidden numeric entries (lower is better; the column mean scores ~1);")
    print("accuracy over the hidden categorical entries (higher is better). Mean over seeds (min-max).\n")
    print(
        "| table | rows x cols (num + cat) | hidden num / cat (per seed) | imputer | RMSE (std. units) | accuracy | s |"
    )
    print("|---|---|---|---|---:|---:|---:|")
    per_table: dict[str, dict[str, tuple[float, float]]] = {}
    for name in names:
        table = load(name)
        kinds = kinds_of(table)
        n_numeric = sum(kind == "numeric" for kind in kinds.values())
        per_table[name] = {}
        for method, impute in imputers.items():
            rmse, accuracy, seconds, notes, counts = [], [], [], [], []
            for seed in seeds:
                masked, hidden = hide(table, seed)
                numeric_columns = np.array([kinds[c] == "numeric" for c in table.columns])
                counts.append((int(hidden[:, numeric_columns].sum()), int(hidden[:, ~numeric_columns].sum())))
                started = time.perf_counter()
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # IterativeImputer's convergence warnings
                        imputed = impute(masked, seed)
                except Exception as error:  # a benchmark reports a failing imputer and goes on
                    notes.append(f"seed {seed}: {type(error).__name__}: {str(error).splitlines()[0]}")
                    continue
                seconds.append(time.perf_counter() - started)
                scores = score_imputation(table, imputed, hidden, Encoding.of(masked))
                rmse.append(scores["rmse"])
                accuracy.append(scores["accuracy"])
                if scores["unfilled"]:
                    notes.append(
                        f"seed {seed}: {scores['unfilled']} hidden entries left missing (left out of the RMSE)"
                    )
                changed = changed_observed(masked, imputed)
                if changed:
                    notes.append(f"seed {seed}: changed {changed} observed entries")
            per_table[name][method] = (
                float(np.mean(rmse)) if rmse else float("nan"),
                float(np.mean(accuracy)) if accuracy else float("nan"),
            )
            shape = f"{table.shape[0]} x {table.shape[1]} ({n_numeric} + {table.shape[1] - n_numeric})"
            time_taken = f"{np.mean(seconds):.2f}" if seconds else "-"
            hidden_counts = " / ".join(f"{np.mean(c):.0f}" for c in zip(*counts))  # mean over seeds
            print(
                f"| {name} | {shape} | {hidden_counts} | {method} | {spread(rmse)} | {spread(accuracy)} | {time_taken} |",
                flush=True,
            )
            for note in notes:
                print(f"|  |  |  | ^ {note} |  |  |  |")
    print()
    print("| imputer | mean RMSE over tables | mean accuracy over tables |")
    print("|---|---:|---:|")
    means_rmse, means_accuracy = {}, {}
    for method in imputers:
        means_rmse[method] = float(np.mean([per_table[t][method][0] for t in names]))
        means_accuracy[method] = float(np.mean([per_table[t][method][1] for t in names]))
        print(f"| {method} | {means_rmse[method]:.3f} | {means_accuracy[method]:.3f} |")
    print()
    baselines = [m for m in imputers if m != "vaekit"]
    print(verdict("RMSE", means_rmse, True, baselines))
    print(verdict("accuracy", means_accuracy, False, baselines))


def sdmetrics_quality(table: pd.DataFrame, synthetic: pd.DataFrame) -> float | None:
    """SDMetrics' own QualityReport score (metadata: the kinds of ``column_kind``), None without SDMetrics.

    A check that vaekit's ``quality`` is SDMetrics' score; the benchmark prints the largest difference.
    """
    try:
        from sdmetrics.reports.single_table import QualityReport
    except ImportError:
        return None
    sdtypes = {"numeric": "numerical", "categorical": "categorical"}
    metadata = {"columns": {name: {"sdtype": sdtypes[kind]} for name, kind in kinds_of(table).items()}}
    report = QualityReport()
    try:
        report.generate(table, synthetic[list(table.columns)], metadata, verbose=False)
    except Exception as error:  # a check, not a measure: say so and go on
        print(f"(SDMetrics' QualityReport failed: {type(error).__name__}: {str(error).splitlines()[0]})")
        return None
    return float(report.get_score())


def run_fidelity(names: list[str], seeds: list[int], generators: dict[str, Callable]) -> None:
    print("\n## (b) Synthetic tables: vaekit.evaluation.fidelity of n generated rows against the n real ones\n")
    print("Mean over seeds (min-max). quality (SDMetrics' QualityReport score, computed by vaekit): higher is")
    print("better; C2ST AUC: 0.5 is ideal; 'association' is the mean |difference| of the pairwise associations")
    print("(Pearson r, Cramér's V, correlation ratio), 'missing' the mean |difference| of the missing shares,")
    print("both lower is better; DCR median: a generated row's distance to its closest real row (a real holdout's")
    print("is under each table's name); 'copies': the share of generated rows that are exact copies of real ones;")
    print("s: seconds to fit and sample.\n")
    titles = " | ".join(title for title, _ in FIDELITY_MEASURES.values())
    print(f"| table | generator | {titles} | s |")
    print("|---|---|" + "---:|" * (len(FIDELITY_MEASURES) + 1))
    per_table: dict[str, dict[str, dict[str, float]]] = {}
    checked: list[float] = []  # |vaekit's quality - SDMetrics' QualityReport score|
    for name in names:
        table = load(name)
        per_table[name] = {}
        holdout: list[float] = []
        for method, generate in generators.items():
            measured: dict[str, list[float]] = {m: [] for m in FIDELITY_MEASURES}
            seconds, notes = [], []
            for seed in seeds:
                started = time.perf_counter()
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        synthetic = generate(table, seed)
                    seconds.append(time.perf_counter() - started)
                    result = fidelity(table, synthetic, random_state=seed)
                    theirs = sdmetrics_quality(table, synthetic)
                    if theirs is not None and result["quality"] is not None:
                        checked.append(abs(theirs - result["quality"]))
                except Exception as error:
                    notes.append(f"seed {seed}: {type(error).__name__}: {str(error).splitlines()[0]}")
                    continue
                for m in FIDELITY_MEASURES:
                    measured[m].append(float("nan") if result[m] is None else result[m])
                if result["dcr_holdout_median"] is not None:
                    holdout.append(result["dcr_holdout_median"])
            per_table[name][method] = {m: float(np.mean(v)) if v else float("nan") for m, v in measured.items()}
            time_taken = f"{np.mean(seconds):.2f}" if seconds else "-"
            cells = " | ".join(spread(measured[m]) for m in FIDELITY_MEASURES)
            print(f"| {name} | {method} | {cells} | {time_taken} |", flush=True)
            for note in notes:
                print(f"|  | ^ {note} |" + "  |" * (len(FIDELITY_MEASURES) + 1))
        print(f"| {name} | (real 20% holdout vs the rest) |" + " |" * 6 + f" {spread(holdout)} | |  |")
    print()
    print(f"| generator | {titles} |")
    print("|---|" + "---:|" * len(FIDELITY_MEASURES))
    means: dict[str, dict[str, float]] = {m: {} for m in FIDELITY_MEASURES}
    for method in generators:
        for m in FIDELITY_MEASURES:
            means[m][method] = float(np.mean([per_table[t][method][m] for t in names]))
        print(f"| {method} | " + " | ".join(f"{means[m][method]:.3f}" for m in FIDELITY_MEASURES) + " |")
    print()
    if checked:
        print(
            f"quality against SDMetrics' own QualityReport (same kinds as metadata), {len(checked)} generated "
            f"tables: largest |difference| {max(checked):.2e}"
        )
    baselines = [m for m in generators if m not in ("vaekit", "bootstrap (reference)")]
    for m, (_, lower) in FIDELITY_MEASURES.items():
        if m not in ("dcr_median", "exact_copy_share"):  # privacy: closer is not better; read them beside the holdout
            print(verdict(m, means[m], lower, baselines))
    copula = "SDV GaussianCopula"
    if "vaekit" in generators and copula in generators:
        margin = means["quality"]["vaekit"] - means["quality"][copula]
        print(
            f"issue 26: quality vaekit - GaussianCopula = {margin:+.3f} (needs >= +0.02): {'yes' if margin >= 0.02 else 'no'}; "
            f"C2ST AUC vaekit {means['c2st_auc']['vaekit']:.3f} vs GaussianCopula {means['c2st_auc'][copula]:.3f}: "
            f"lower: {'yes' if means['c2st_auc']['vaekit'] < means['c2st_auc'][copula] else 'no'}"
        )


def run_timing(skip: bool) -> None:
    print("\n## (c) Time of `vaekit train penguins.csv --quiet`\n")
    if skip:
        print("skipped (--skip-vaekit)")
        return
    command = Path(sys.executable).with_name("vaekit")
    with tempfile.TemporaryDirectory() as folder:
        argv = [str(command), "train", str(TABLES / "penguins.csv"), "--out", str(Path(folder) / "run"), "--quiet"]
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
    if done.returncode == 0:
        print(f"{seconds:.1f} s wall (exit 0)")
    else:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        print(f"failed after {seconds:.1f} s, exit {done.returncode}: {last}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--tables", default=",".join(DROPPED), help=f"comma-separated, of {', '.join(DROPPED)}")
    parser.add_argument("--skip-vaekit", action="store_true", help="run the baselines only")
    parser.add_argument("--parts", default="a,b,c", help="which parts to run: a (imputation), b (synthetic), c (time)")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    names = args.tables.split(",")
    unknown = [n for n in names if n not in DROPPED]
    if unknown:
        parser.error(f"unknown tables {unknown}; known: {', '.join(DROPPED)}")
    if not args.skip_vaekit:
        import torch

        from vaekit import VAE

        missing = [method for method in ("fit", "impute", "sample") if not hasattr(VAE, method)]
        if missing:
            parser.error(
                f"vaekit.VAE has no {', '.join(missing)}(): the mixed-table estimator is not available in this "
                "version; run with --skip-vaekit for the baselines"
            )
        torch.set_num_threads(1)
    import sklearn

    print(
        f"python {sys.version.split()[0]}, pandas {pd.__version__}, scikit-learn {sklearn.__version__}; seeds {seeds}"
    )
    for name in names:
        dropped = ", ".join(f"{c} ({why})" for c, why in DROPPED[name].items()) or "none"
        print(f"- {name}: dropped {dropped}")

    imputers: dict[str, Callable] = {
        "vaekit": impute_vaekit,
        "SimpleImputer": impute_simple,
        "KNNImputer": impute_with_matrix(KNNImputer(n_neighbors=5)),
        "IterativeImputer": impute_with_matrix(IterativeImputer(max_iter=10, random_state=0), drop_first=True),
        MISSFOREST: impute_with_matrix(
            IterativeImputer(ExtraTreesRegressor(n_estimators=100, random_state=0), max_iter=10, random_state=0),
            drop_first=True,
        ),
    }
    generators: dict[str, Callable] = {
        "vaekit": generate_vaekit,
        "Gaussian mixture": generate_gmm,
        "SDV GaussianCopula": generate_sdv("GaussianCopula"),
        "SDV TVAE": generate_sdv("TVAE"),
        "bootstrap (reference)": generate_bootstrap,
    }
    if PEERS.is_dir() and str(PEERS) not in sys.path:
        sys.path.append(str(PEERS))  # last: .venv's torch, numpy, pandas, scikit-learn come first
    try:
        import sdv  # not a vaekit dependency

        print(f"- SDV {sdv.__version__} from {Path(sdv.__file__).parent.parent}")
    except ImportError:
        del generators["SDV GaussianCopula"], generators["SDV TVAE"]
        print(
            "- SDV is not installed (not a vaekit dependency; `bash benchmarks/peers.sh`): its generators are left out"
        )
    if args.skip_vaekit:
        del imputers["vaekit"], generators["vaekit"]
        print("- vaekit skipped (--skip-vaekit): baselines only")
    parts = set(args.parts.split(","))
    if "a" in parts:
        run_imputation(names, seeds, imputers)
    if "b" in parts:
        run_fidelity(names, seeds, generators)
    if "c" in parts:
        run_timing(args.skip_vaekit)


if __name__ == "__main__":
    main()
