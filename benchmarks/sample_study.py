"""Synthetic rows of a table: codes from N(0, I) against the latent mixture, and a table of numbers' rows as
decoded means against draws from p(x|z) (issue 26, item 1). Prints one Markdown row per table, seed and way:

- ``before``: codes from N(0, I); a mixed table's rows drawn from p(x|z), a table of numbers' decoded means;
- ``N(0,I)+draws``: codes from N(0, I), every table's rows drawn from p(x|z);
- ``after``: the defaults of this version: codes from the latent mixture, rows drawn.

Columns: mean KS statistic of the numeric columns, association difference
(:func:`vaekit.evaluation.fidelity.fidelity`), and the cross-validated AUC of a gradient-boosted classifier
telling real from synthetic rows (one-hot categories, 5 folds; 0.5 is ideal). Tables: the three shared
ones as ``benchmarks/tables.py`` reads them, and (marked *) tables the change was not written for:
scikit-learn's wine and diabetes, and three ADBench tables' features.

    .venv/bin/python benchmarks/sample_study.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn import datasets as skd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score

from vaekit import VAE
from vaekit.evaluation.fidelity import fidelity

HERE = Path(__file__).resolve().parent
ADBENCH = HERE.parent.parent / "shared" / "datasets" / "adbench"


def c2st(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int) -> float:
    """Cross-validated AUC of a classifier telling real rows (n, d) from synthetic ones."""
    both = pd.concat([real, synthetic], ignore_index=True)
    X = pd.get_dummies(both, dummy_na=True).astype(float).to_numpy()
    y = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    clf = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    return float(cross_val_score(clf, X, y, cv=folds, scoring="roc_auc").mean())


def tables() -> dict[str, pd.DataFrame]:
    sys.path.insert(0, str(HERE))
    import tables as shared  # benchmarks/tables.py: how the shared tables are read

    out = {name: shared.load(name) for name in shared.DROPPED}
    wine, diabetes = skd.load_wine(), skd.load_diabetes(scaled=False)
    out["wine*"] = pd.DataFrame(wine.data, columns=wine.feature_names)
    out["diabetes*"] = pd.DataFrame(diabetes.data, columns=diabetes.feature_names)
    for name in ("29_Pima", "47_yeast", "14_glass"):
        X = np.load(ADBENCH / f"{name}.npz")["X"]
        out[name + "*"] = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    return out


def frame(values: Any, columns: pd.Index) -> pd.DataFrame:
    return values if isinstance(values, pd.DataFrame) else pd.DataFrame(np.asarray(values), columns=columns)


def main() -> None:
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    print("| table | seed | way | mean KS | association difference | C2ST AUC |\n|---|---:|---|---:|---:|---:|")
    for name, table in tables().items():
        for seed in (0, 1):
            vae = VAE(random_state=seed, verbose=0).fit(table)
            n, latent = len(table), vae.latent_dim_
            after = frame(vae.sample(n, random_state=seed), table.columns)
            vae._draw_prior = lambda k, rng, d=latent: rng.standard_normal((k, d)).astype(np.float32)  # type: ignore[method-assign]
            drawn = frame(vae.sample(n, random_state=seed), table.columns)
            vae._draws_rows = lambda: False  # type: ignore[method-assign]
            before = frame(vae.sample(n, random_state=seed), table.columns)
            for way, synthetic in (("before", before), ("N(0,I)+draws", drawn), ("after", after)):
                found = fidelity(table, synthetic)
                print(
                    f"| {name} | {seed} | {way} | {found['mean_ks']:.4f} | {found['association_difference']:.4f} "
                    f"| {c2st(table, synthetic, seed):.3f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
