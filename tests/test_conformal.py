"""Conformal p-values and Benjamini-Hochberg flags (issue 27, item 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import CliRun
from vaekit import VAE, OutlierDetector, load
from vaekit.data.validation import InputError
from vaekit.estimators._outliers import benjamini_hochberg, conformal_p_values

QUICK = dict(epochs=20, verbose=0, random_state=0, hidden=(16,))


def normal_rows(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, 2)) @ rng.normal(size=(2, 5)) + 0.1 * rng.normal(size=(n, 5))).astype(np.float32)


def test_p_values_count_the_held_out_scores_at_or_below() -> None:
    calibration = np.array([-3.0, -2.0, -1.0, 0.0])
    p = conformal_p_values(calibration, np.array([-9.0, -2.0, -1.5, 5.0, np.nan]))
    np.testing.assert_allclose(p, [1 / 5, 3 / 5, 3 / 5, 1.0, np.nan])


def test_benjamini_hochberg_matches_the_step_up_rule() -> None:
    rng = np.random.default_rng(0)
    p = np.r_[rng.uniform(0, 0.002, 10), rng.uniform(size=90)]
    ranked = np.sort(p)
    k = max([i + 1 for i in range(len(p)) if ranked[i] <= 0.1 * (i + 1) / len(p)], default=0)
    assert benjamini_hochberg(p, 0.1).sum() == k >= 10
    assert not benjamini_hochberg(np.array([0.5, np.nan]), 0.1).any()
    for level in (0.0, 1.0, -0.1, True, "0.1"):
        with pytest.raises(InputError, match="fdr must be a level between 0 and 1"):
            benjamini_hochberg(p, level)  # type: ignore[arg-type]


def test_calibration_comes_from_the_held_out_rows_and_is_saved(tmp_path: Path) -> None:
    X = normal_rows(300, 0)
    model = VAE(**QUICK).fit(X)
    assert model.calibration_scores_.shape == (30,)  # validation_fraction 0.1
    assert np.all(np.diff(model.calibration_scores_) >= 0)
    model.save(tmp_path / "m")
    np.testing.assert_array_equal(load(tmp_path / "m").p_values(X), model.p_values(X))
    unheld = VAE(**QUICK, validation_fraction=0.0).fit(X)
    with pytest.raises(InputError, match="validation_fraction > 0"):
        unheld.p_values(X)


def test_p_values_of_new_normal_rows_are_uniform_and_flags_keep_the_fdr() -> None:
    # exchangeable normal rows: P(p <= a) <= a; planted rows far off the plane get the smallest p-values
    shares, fdp = [], []
    for seed in range(3):
        rows = normal_rows(1230, seed)  # one distribution: 1000 to fit, 230 new
        model = OutlierDetector(**QUICK, validation_fraction=0.3).fit(rows[:1000])
        fresh = rows[1000:]
        odd = fresh[:30] + np.random.default_rng(seed).choice([-6.0, 6.0], size=(30, 5))
        rows = np.r_[odd, fresh[30:]]
        p = model.p_values(rows)
        shares.append(np.mean(p[30:] <= 0.2))
        flagged = model.predict(rows, fdr=0.1) == -1
        assert flagged[:30].mean() >= 0.8  # the planted rows are found
        fdp.append(flagged[30:].sum() / max(1, flagged.sum()))
    assert np.mean(shares) <= 0.2 + 0.05
    assert np.mean(fdp) <= 0.1 + 0.05
    assert (model.predict(rows) == np.where(model.decision_function(rows) < 0, -1, 1)).all()  # the default


def test_vaekit_score_writes_p_values_and_flags_by_fdr(cli: CliRun, tmp_path: Path) -> None:
    X = normal_rows(400, 1)
    X[:10] += 4.0
    data = tmp_path / "rows.csv"
    pd.DataFrame(X, columns=[f"f{j}" for j in range(5)]).to_csv(data, index=False)
    run = tmp_path / "run"
    cli("train", data, "--model", "detector", "--epochs", "20", "--hidden", "16", "--quiet", "--out", run)
    out = cli("score", run, data, "-o", tmp_path / "s.csv", "--fdr", "0.2").stdout
    scores = pd.read_csv(tmp_path / "s.csv")
    assert list(scores.columns) == ["row", "anomaly_score", "p_value", "flag", "top_features"]
    assert "flagged by Benjamini-Hochberg at a false discovery rate of 0.2" in out
    assert "no p-value is below" in out  # 40 held-out rows: p-values of 1/41 at best
    bad = cli("score", run, data, "-o", tmp_path / "t.csv", "--fdr", "2", ok=False)
    assert "fdr must be a level between 0 and 1" in bad.stderr and not (tmp_path / "t.csv").exists()
