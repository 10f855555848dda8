"""Plausible synthetic values: out of range, negative, fractional, before and after (issue 25, item 5).

Fits the default VAE (a few epochs) on each shared mixed table, samples 1000 rows
twice from the same draws: with the encoder's bounds (``to_frame(plausible=True)``,
the default) and without (the values as before), and prints, over the synthetic
cells of the number columns (continuous and count, missing cells left out):

- ``out of range``: outside the real column's observed [min, max];
- ``negative``: below 0, in the columns whose real values are never negative;
- ``fractional``: not a whole number, in the columns whose real values all are;
- ``count unseen``: a count value no real row has (cylinders 7), for information;

each as the share of those cells (and the worst column), then the fidelity measures
(:func:`vaekit.evaluation.fidelity.fidelity`) of each sample against the real table.

Usage: .venv/bin/python benchmarks/plausible_values.py [--seeds 0,1,2] [--epochs 60]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from vaekit import VAE
from vaekit.evaluation.fidelity import fidelity

TABLES = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "tables"
DROP = {  # identifiers, dates and free text: what the table encoder refuses or a user leaves out
    "penguins.csv": [],
    "cars.csv": ["Name", "Year"],
    "penguins-raw.csv": ["studyName", "Sample Number", "Individual ID", "Date Egg", "Comments"],
}
CHECKS = ("out of range", "negative", "fractional", "count unseen")


def violations(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, str]) -> dict[str, tuple[float, str]]:
    """Per check: (share of the applicable synthetic cells that fail it, 'worst column share')."""
    failed = {check: [0, 0, 0.0, ""] for check in CHECKS}  # failures, cells, worst share, worst column
    for name, kind in kinds.items():
        if kind not in ("continuous", "count"):
            continue
        seen = pd.to_numeric(real[name], errors="coerce").dropna().to_numpy(dtype=float)
        out = pd.to_numeric(synthetic[name], errors="coerce").dropna().to_numpy(dtype=float)
        tests = {"out of range": (out < seen.min()) | (out > seen.max())}
        if seen.min() >= 0:
            tests["negative"] = out < 0
        if np.all(seen == np.round(seen)):
            tests["fractional"] = out != np.round(out)
        if kind == "count":
            tests["count unseen"] = ~np.isin(out, seen)
        for check, bad in tests.items():
            entry = failed[check]
            entry[0] += int(bad.sum())
            entry[1] += len(bad)
            if len(bad) and bad.mean() > entry[2]:
                entry[2], entry[3] = float(bad.mean()), name
    return {
        check: (f / n if n else float("nan"), f"{worst:.1%} {column}" if column else "-")
        for check, (f, n, worst, column) in failed.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    print(
        f"VAE(latent_dim=2, epochs={args.epochs}), {args.rows} sampled rows, seeds {seeds}; shares of synthetic cells"
    )
    print("\n| table | check | before | after | worst column before (seed 0) | worst column after (seed 0) |")
    print("|---|---|---:|---:|---|---|")
    measures: dict[str, dict[str, list[float]]] = {}
    for table, drop in DROP.items():
        real = pd.read_csv(TABLES / table).drop(columns=drop)
        shares: dict[str, dict[str, list]] = {"before": {}, "after": {}}
        for seed in seeds:
            vae = VAE(latent_dim=2, epochs=args.epochs, random_state=seed, verbose=0).fit(real)
            encoder = vae.codec_.table
            kinds = {spec.name: spec.kind for spec in encoder.columns}
            bounds = encoder.bounds
            for when in ("before", "after"):
                encoder.bounds = None if when == "before" else bounds
                synthetic = vae.sample(args.rows, random_state=seed)
                for check, value in violations(real, synthetic, kinds).items():
                    shares[when].setdefault(check, []).append(value)
                result = fidelity(real, synthetic)
                for key in ("mean_ks", "mean_tvd", "association_difference", "mean_missing_rate_difference"):
                    measures.setdefault(f"{table}|{key}", {}).setdefault(when, []).append(result[key])
            encoder.bounds = bounds
        for check in CHECKS:
            before, after = shares["before"][check], shares["after"][check]
            if all(np.isnan(v) for v, _ in before):
                continue  # no column this check applies to
            mean_before, mean_after = np.nanmean([v for v, _ in before]), np.nanmean([v for v, _ in after])
            print(f"| {table} | {check} | {mean_before:.2%} | {mean_after:.2%} | {before[0][1]} | {after[0][1]} |")
    print("\nFidelity (vaekit.evaluation.fidelity; 0 = identical tables), mean over seeds:\n")
    print("| table | measure | before | after | change |")
    print("|---|---|---:|---:|---:|")
    for key, by_when in measures.items():
        table, measure = key.split("|")
        before, after = float(np.mean(by_when["before"])), float(np.mean(by_when["after"]))
        print(f"| {table} | {measure} | {before:.4f} | {after:.4f} | {after - before:+.4f} |")


if __name__ == "__main__":
    main()
