"""Few-valued numeric columns as ordered levels, on and off (issue 26, item 3).

A column of numbers with 3 to ``FEW_LEVELS`` distinct values (and ``ROWS_PER_LEVEL`` rows per value) is
modelled as categorical over its values in order, imputed by the median level
(:mod:`vaekit.data.table.kinds`). This script fits the default VAE with the rule on and off
(``VAE.few_levels`` = 10 / 0) on each table, seeds 0-1, and prints per table: the imputation RMSE and
accuracy of ``benchmarks/tables.py``'s protocol (20% of observed entries hidden; RMSE over every numeric
column in standardized units), the RMSE over the few-valued columns alone, and the synthetic rows'
quality and C2ST AUC (:func:`vaekit.evaluation.fidelity.fidelity`, n rows against the n real ones).

Tables: the three shared ones, and (``*``) tables the rule was not written on, read as
``benchmarks/impute_study.py`` reads them (each cut to 400 rows): ADBench's breastw (nine 1-10
ratings), pima, wine (its 3-level binned alcohol stays a category) and diabetes.

    .venv/bin/python benchmarks/few_values.py [--tables cars,breastw] [--seeds 0,1]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import impute_study as study  # the held-out tables
import tables as protocol  # hide, score_imputation, Encoding
from vaekit import VAE
from vaekit.evaluation.fidelity import fidelity

TABLES = ("penguins", "penguins-raw", "cars", "breastw", "pima", "wine", "diabetes")


def few_valued(table: pd.DataFrame) -> list[str]:
    """The columns the rule makes ordered levels (as the default VAE reads ``table``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vae = VAE(epochs=1, verbose=0).fit(table)
    return [spec.name for spec in vae.table_.columns if spec.ordered]


def run(table: pd.DataFrame, seed: int, few_levels: int, columns: list[str]) -> tuple[float, ...]:
    """(RMSE, accuracy, RMSE of ``columns``, quality, C2ST AUC, seconds) of one fit pair."""
    encoding = protocol.Encoding.of(table)
    masked, hidden = protocol.hide(table, seed)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        VAE.few_levels = few_levels
        try:
            imputed = VAE(random_state=seed, verbose=0).fit(masked).impute(masked, random_state=seed)
            synthetic = VAE(random_state=seed, verbose=0).fit(table).sample(len(table), random_state=seed)
        finally:
            del VAE.few_levels  # back to the class default
    seconds = time.perf_counter() - started
    scores = protocol.score_imputation(table, imputed, hidden, encoding)
    errors = []
    for name in columns:
        rows = hidden[:, list(table.columns).index(name)]
        guess = pd.to_numeric(imputed[name][rows]).to_numpy(dtype=np.float64)
        truth = table[name][rows].to_numpy(dtype=np.float64)
        errors.append(((guess - truth) / encoding.sd[name]) ** 2)
    few_rmse = float(np.sqrt(np.concatenate(errors).mean())) if errors else float("nan")
    quality = fidelity(table, synthetic, random_state=seed)
    return scores["rmse"], scores["accuracy"], few_rmse, quality["quality"], quality["c2st_auc"], seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--seeds", default="0,1")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print("| table | few-valued columns | rule | RMSE | accuracy | RMSE few-valued | quality | C2ST AUC | s |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    means: dict[str, list[np.ndarray]] = {"off": [], "on": []}
    for name in args.tables.split(","):
        table = study.load(name)
        columns = few_valued(table)
        label = name if name in study.SHARED else name + "*"
        for rule, levels in (("off", 0), ("on", 10)):
            result = np.mean([run(table, seed, levels, columns) for seed in seeds], axis=0)
            means[rule].append(result)
            cells = " | ".join(f"{v:.3f}" for v in result[:5])
            print(f"| {label} | {', '.join(columns) or '-'} | {rule} | {cells} | {result[5]:.1f} |", flush=True)
    for rule, rows in means.items():
        cells = " | ".join(f"{v:.3f}" for v in np.nanmean(rows, axis=0)[:5])
        print(f"| mean | | {rule} | {cells} | |")


if __name__ == "__main__":
    main()
