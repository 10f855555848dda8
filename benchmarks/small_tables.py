"""Do the default training settings learn on small tables? (issue 10, item 2)

Trains the default VAE (latent_dim=2) on small real tables, over seeds, with a few
candidate settings for early stopping, training length and KL warm-up, and prints one
table: test squared error in standardized units as a ratio to PCA with 2 components
fitted on the same standardized training rows (< 1: the VAE reconstructs better),
test KL (nats), active units, epochs run and seconds.

Tables (all offline): scikit-learn's wine, breast cancer and diabetes (features
only); the Palmer penguins' four measurements (rows with gaps dropped); statsmodels'
anes96, fair, star98, macrodata and ccard when statsmodels is installed (it is not a
vaekit dependency: ``pip install statsmodels`` in the benchmark's environment); and
seven ADBench tables from ../shared/datasets/adbench (features only, labels unused).
Each table: a seeded 80/20 split, the same for every setting.

Usage: .venv/bin/python benchmarks/small_tables.py [--seeds 0,1,2] [--settings a,b,c] [--tables wine,fair]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn import datasets as skdata

from vaekit import VAE
from vaekit.evaluation.metrics import evaluate_model, pca_baseline

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
STATSMODELS = ("anes96", "fair", "star98", "macrodata", "ccard")
ADBENCH = ("14_glass", "42_WBC", "18_Ionosphere", "29_Pima", "47_yeast", "4_breastw", "6_cardio")


def tables() -> dict[str, np.ndarray]:
    found = {
        "wine": skdata.load_wine().data,
        "breast-cancer": skdata.load_breast_cancer().data,
        "diabetes": skdata.load_diabetes().data,
    }
    penguins = SHARED / "tables" / "penguins.csv"
    if penguins.exists():
        frame = pd.read_csv(penguins)
        found["penguins"] = (
            frame[["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]].dropna().to_numpy()
        )
    try:  # statsmodels' bundled tables, when statsmodels is installed (not a vaekit dependency)
        import statsmodels.api as sm

        for name in STATSMODELS:
            found[name] = getattr(sm.datasets, name).load_pandas().data.to_numpy()
    except ImportError:
        pass
    for name in ADBENCH:
        path = SHARED / "adbench" / f"{name}.npz"
        if path.exists():
            found[name.split("_", 1)[1]] = np.load(path, allow_pickle=False)["X"]
    return {k: np.asarray(v, dtype=np.float32) for k, v in found.items()}


def settings(n_train: int) -> dict[str, dict]:
    """Candidate settings; 'steps' ones scale epochs and patience to optimizer steps."""
    batches = math.ceil(n_train * 0.9 / 128)  # batches per epoch after the validation split
    by_steps = {"epochs": max(100, math.ceil(3000 / batches)), "patience": max(10, math.ceil(500 / batches))}
    return {
        "default": {"epochs": 100, "patience": 10, "kl_warmup_epochs": 0.0},
        "steps": by_steps,
        "steps+warmup": {**by_steps, "kl_warmup_epochs": max(10, math.ceil(300 / batches))},
        "now": {},  # the defaults of this version (after this study: steps+warmup, as "auto")
        "before": {"epochs": 100, "patience": 10, "kl_warmup_epochs": 0.0},  # the defaults before it
        "no-stop": {"patience": None},
        "unit": {"likelihood": "gaussian"},  # issue 25: a unit-variance Gaussian on standardized columns
        "learned": {"likelihood": "gaussian-learned"},  # issue 25: a learned variance per column
        "learned-no-warmup": {"likelihood": "gaussian-learned", "kl_warmup_epochs": 0.0},
    }


def r2(truth: np.ndarray, rebuilt: np.ndarray) -> float:
    """1 - SSE / SST over every entry of ``truth`` (n, d), columns centred on their own means."""
    return float(1.0 - ((truth - rebuilt) ** 2).sum() / ((truth - truth.mean(axis=0)) ** 2).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--settings", default="default,steps,steps+warmup")
    parser.add_argument("--tables", default=None, help="comma-separated table names (default: all found)")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    chosen = args.settings.split(",")
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, seeds {seeds}; python {sys.version.split()[0]}")
    print(
        "| table | rows x cols | setting | error / PCA (std. units) | R² / PCA's R² | test KL | active units "
        "| epochs | s |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    summary: dict[str, list[float]] = {name: [] for name in chosen}
    r2_summary: dict[str, list[float]] = {name: [] for name in chosen}
    found = tables()
    names = list(found) if args.tables is None else args.tables.split(",")
    unknown = [n for n in names if n not in found]
    if unknown:
        parser.error(f"unknown or unavailable tables {unknown}; found: {', '.join(found)}")
    for name in names:
        X = found[name]
        for setting in chosen:
            ratios, r2_ratios, kls, actives, epochs, seconds = [], [], [], [], [], []
            for seed in seeds:
                order = np.random.default_rng(seed).permutation(len(X))
                n_test = len(X) // 5
                test, train = X[order[:n_test]], X[order[n_test:]]
                params = settings(len(train))[setting]
                started = time.perf_counter()
                vae = VAE(latent_dim=2, random_state=seed, verbose=0, **params).fit(train)
                seconds.append(time.perf_counter() - started)
                result = evaluate_model(vae, test, pca=False)
                pca = pca_baseline(train, test, 2, vae.scaling_)
                ratios.append(result["squared_error_scaled"] / pca["squared_error_scaled"])
                scaled = vae.scaling_.transform(test)  # standardized with the training rows' statistics
                ours = r2(scaled, vae.scaling_.transform(vae.reconstruct(test)))
                theirs = 1.0 - pca["squared_error_scaled"] * len(test) / ((scaled - scaled.mean(0)) ** 2).sum()
                r2_ratios.append(ours / theirs)
                kls.append(result["kl"])
                actives.append(result["active_units"])
                epochs.append(vae.n_epochs_)
            summary[setting] += ratios
            r2_summary[setting] += r2_ratios
            print(
                f"| {name} | {X.shape[0]} x {X.shape[1]} | {setting} | {np.mean(ratios):.3f} ({min(ratios):.2f}-{max(ratios):.2f}) "
                f"| {np.mean(r2_ratios):.2f} ({min(r2_ratios):.2f}-{max(r2_ratios):.2f}) "
                f"| {np.mean(kls):.2f} | {np.mean(actives):.1f} | {np.mean(epochs):.0f} | {np.mean(seconds):.1f} |",
                flush=True,
            )
    print()
    for setting, ratios in summary.items():
        print(
            f"{setting}: mean error / PCA over all tables and seeds {np.mean(ratios):.3f}, "
            f"worse than PCA in {np.mean(np.array(ratios) > 1):.0%} of runs; R² / PCA's: mean "
            f"{np.mean(r2_summary[setting]):.2f}, lowest {min(r2_summary[setting]):.2f}, below 0.3 in "
            f"{np.mean(np.array(r2_summary[setting]) < 0.3):.0%} of runs"
        )


if __name__ == "__main__":
    main()
