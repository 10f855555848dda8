"""Is the false discovery rate of ``predict(X, fdr=q)`` at most q? (issue 27, item 2)

Per ADBench table (``../shared/datasets/adbench``) and seed: the stratified 70/30 split of
``benchmarks/anomaly_adbench.py``; the default :class:`vaekit.OutlierDetector` fitted on

- ``clean``: the training split's normal rows only (ADBench's semi-supervised setting, where the
  held-out calibration rows are exchangeable with the normal test rows: the guarantee applies), and
- ``unlabelled``: every training row, anomalies included (the unsupervised setting: calibration rows
  hold anomalies too, which makes the p-values of everything larger: conservative, less power).

Then ``predict(X_test, fdr=q)`` for q in ``LEVELS``. Printed per setting and level, over tables and
seeds: the false discovery proportion (flagged normal rows / flagged rows, 0 when none is flagged)
averaged (the FDR estimate, which must be at most q), the share of anomalies found (power), the share
of runs that flagged nothing, and, for reference, the share of normal test rows with p <= q (validity
of the p-values: at most q). Large tables are cut to ``MAX_TRAIN`` training rows (rng 0) to bound time.

    .venv/bin/python benchmarks/conformal_fdr.py [--seeds 0,1,2] [--tables glass,pima]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anomaly_adbench import SHARED, load_tables
from vaekit import OutlierDetector

LEVELS = (0.05, 0.1, 0.2)
MAX_TRAIN = 5000


def trial(X_fit: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, seed: int) -> dict[float, tuple[float, ...]]:
    """Per level: (false discovery proportion, power, flagged nothing, share of normal rows with p <= level)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = OutlierDetector(random_state=seed, verbose=0).fit(X_fit)
        p = model.p_values(X_test)
    out = {}
    for level in LEVELS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flagged = model.predict(X_test, fdr=level) == -1
        false = int((flagged & (y_test == 0)).sum())
        out[level] = (
            false / flagged.sum() if flagged.any() else 0.0,
            float(flagged[y_test == 1].mean()),
            float(not flagged.any()),
            float(np.mean(p[y_test == 0] <= level)),
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--tables", default=None)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    tables = load_tables(SHARED / "adbench", args.tables)
    results: dict[str, dict[float, list[tuple[float, ...]]]] = {"clean": {}, "unlabelled": {}}
    print("| table | setting | " + " | ".join(f"FDP at {q}" for q in LEVELS) + " | power at 0.1 | s |")
    print("|---|---|" + "---:|" * (len(LEVELS) + 2))
    for name, (X, y) in tables.items():
        for setting in results:
            rows, started = [], time.perf_counter()
            for seed in seeds:
                X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
                X_fit = X_train[y_train == 0] if setting == "clean" else X_train
                if len(X_fit) > MAX_TRAIN:
                    X_fit = X_fit[np.random.default_rng(0).choice(len(X_fit), MAX_TRAIN, replace=False)]
                rows.append(trial(X_fit, X_test, y_test, seed))
                for level, values in rows[-1].items():
                    results[setting].setdefault(level, []).append(values)
            fdp = " | ".join(f"{np.mean([r[q][0] for r in rows]):.3f}" for q in LEVELS)
            power = np.mean([r[0.1][1] for r in rows])
            seconds = (time.perf_counter() - started) / len(seeds)
            print(f"| {name} | {setting} | {fdp} | {power:.3f} | {seconds:.1f} |", flush=True)
    print("\n| setting | level | FDR (mean FDP) | power | runs flagging nothing | normal rows with p <= level |")
    print("|---|---:|---:|---:|---:|---:|")
    for setting, by_level in results.items():
        for level, values in by_level.items():
            fdr, power, none, share = np.mean(values, axis=0)
            print(f"| {setting} | {level} | {fdr:.3f} | {power:.3f} | {none:.2f} | {share:.3f} |")


if __name__ == "__main__":
    main()
