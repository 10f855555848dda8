"""impute's random forest beside the VAE (vaekit.estimators._refine, issue 26).

Each column with gaps gets a forest fitted on its observed entries, blended with the VAE's
imputation by the weight that predicts those entries best out of sample. The forest must win
where a crisp rule decides a column (which a smooth decoder blurs), stay out where it has too
little to learn from, and leave every observed entry as given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import TINY, CliRun
from vaekit import VAE
from vaekit.estimators import _refine

QUICK = {"epochs": 40, "hidden": (16,), "latent_dim": 2, "verbose": 0, "random_state": 0}


def rule_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Two numbers and two columns a crisp rule on them decides: whether their signs agree (a
    category) and a step of the first (a number)."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame(
        {
            "a": a,
            "b": b,
            "agree": np.where((a > 0) == (b > 0), "same", "differ").astype(object),
            "step": np.where(a > 0, 5.0, -5.0) + 0.1 * rng.normal(size=n),
        }
    )


@pytest.fixture(scope="module")
def gapped() -> tuple[pd.DataFrame, pd.DataFrame, VAE]:
    full = rule_table()
    masked = full.copy()
    rng = np.random.default_rng(1)
    masked.loc[rng.choice(len(full), 60, replace=False), "agree"] = None
    masked.loc[rng.choice(len(full), 60, replace=False), "step"] = np.nan
    return full, masked, VAE(**QUICK).fit(masked)


def test_the_forest_takes_over_a_column_a_crisp_rule_decides(gapped: tuple[pd.DataFrame, pd.DataFrame, VAE]) -> None:
    full, masked, model = gapped
    hidden = masked["agree"].isna().to_numpy()
    alone = model.impute(masked, refine=False)
    blended = model.impute(masked)
    accuracy_alone = float((alone["agree"][hidden] == full["agree"][hidden]).mean())
    accuracy = float((blended["agree"][hidden] == full["agree"][hidden]).mean())
    assert model.imputation_weights_["agree"] > 0.5
    assert accuracy > 0.9 and accuracy > accuracy_alone


def test_a_number_a_rule_decides_is_imputed_closer(gapped: tuple[pd.DataFrame, pd.DataFrame, VAE]) -> None:
    full, masked, model = gapped
    hidden = masked["step"].isna().to_numpy()
    truth = full["step"][hidden].to_numpy()

    def rmse(out: pd.DataFrame) -> float:
        return float(np.sqrt(np.mean((out["step"][hidden].to_numpy(dtype=float) - truth) ** 2)))

    blended = model.impute(masked)
    assert model.imputation_weights_["step"] > 0
    assert rmse(blended) < rmse(model.impute(masked, refine=False))
    assert rmse(blended) < 1.0  # the step is 10 wide: a blur between its sides scores about 5


def test_observed_entries_are_kept_and_weights_cover_each_column_with_a_gap(
    gapped: tuple[pd.DataFrame, pd.DataFrame, VAE],
) -> None:
    _, masked, model = gapped
    out = model.impute(masked, random_state=3)
    seen = masked.notna().to_numpy()
    assert (out.astype(object).to_numpy()[seen] == masked.astype(object).to_numpy()[seen]).all()
    assert out.notna().all().all()
    assert set(model.imputation_weights_) == {"agree", "step"}
    assert all(0.0 <= w <= 1.0 for w in model.imputation_weights_.values())
    assert model.impute(masked, random_state=3).equals(out)  # seeded: the same table again
    model.impute(masked, refine=False)
    assert not hasattr(model, "imputation_weights_")  # no forest this time: no stale weights from the last call


def test_a_column_with_too_few_observed_entries_keeps_the_vaes_values(
    gapped: tuple[pd.DataFrame, pd.DataFrame, VAE],
) -> None:
    _, masked, model = gapped
    sparse = masked.copy()
    sparse.loc[_refine.MIN_ROWS - 5 :, "step"] = np.nan  # fewer observed entries than a forest needs
    blended = model.impute(sparse)
    assert model.imputation_weights_["step"] == 0.0
    pd.testing.assert_series_equal(blended["step"], model.impute(sparse, refine=False)["step"])


def test_the_weight_is_the_blend_nearest_the_truth() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=200)
    noise = rng.normal(size=200)
    assert _refine._best_weight(truth + noise, truth, truth) == 1.0
    assert _refine._best_weight(truth, truth + noise, truth) == 0.0
    assert _refine._best_weight(truth + noise, truth - noise, truth) == 0.5  # errors that cancel halfway
    assert _refine._best_weight(truth, truth, truth) == 0.0  # a tie keeps the VAE


def test_vaekit_impute_names_the_forests_share_and_no_forest_leaves_it_out(cli: CliRun, tmp_path: Path) -> None:
    full = rule_table(n=120)
    full.loc[::7, "agree"] = None
    full.loc[3::7, "step"] = np.nan
    data = tmp_path / "data.csv"
    full.to_csv(data, index=False)
    run = tmp_path / "run"
    cli("train", data, "--out", run, *TINY)
    blended = cli("impute", run, data, "-o", tmp_path / "a.csv")
    assert "a random forest's share of each filled column" in blended.stdout
    assert "agree " in blended.stdout and "step " in blended.stdout
    alone = cli("impute", run, data, "-o", tmp_path / "b.csv", "--no-forest")
    assert "random forest" not in alone.stdout
    assert "filled 35 missing entries in 120 rows" in alone.stdout
    kept = pd.read_csv(tmp_path / "b.csv").notna()
    assert kept.all().all()


def test_a_conditional_models_forest_reads_the_conditions() -> None:
    from vaekit.estimators.cvae import ConditionalVAE

    rng = np.random.default_rng(4)
    y = rng.choice(["p", "q"], 300)
    frame = pd.DataFrame({"a": rng.normal(size=300), "k": np.where(y == "p", "x", "z").astype(object)})
    masked = frame.copy()
    masked.loc[1::4, "k"] = None
    model = ConditionalVAE(epochs=1, hidden=(4,), latent_dim=2, verbose=0, random_state=0).fit(masked, y)
    hidden = masked["k"].isna().to_numpy()
    out = model.impute(masked, y)
    assert model.imputation_weights_["k"] > 0.5  # the label alone decides k: the forest learns it from y
    assert (out["k"][hidden] == frame["k"][hidden]).mean() > 0.95
