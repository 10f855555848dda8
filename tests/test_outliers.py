"""Anomaly detection: scikit-learn's outlier contract on every kind, OutlierDetector, explain, vaekit score."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from conftest import CliRun
from vaekit import VAE, VQVAE, AutoEncoder, OutlierDetector, datasets, load
from vaekit.estimators import REGISTRY
from vaekit.estimators._outliers import AUTO_FENCE, ConstantScoresWarning, UnscoredRowsWarning, fit_offset

QUICK = dict(epochs=40, verbose=0, random_state=0, hidden=(16,))


def planted(n: int = 400, n_out: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rows on a 2-D plane in 6-D, with ``n_out`` rows pushed off it; (X (n, 6), y (n,) 1 = planted)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)) @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(n, 6))
    y = np.zeros(n, dtype=int)
    y[:n_out] = 1
    X[:n_out] += rng.choice([-1.0, 1.0], size=(n_out, 6)) * 2.0  # off the plane, within the data's range
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def detector() -> tuple[OutlierDetector, np.ndarray, np.ndarray]:
    X, y = planted()
    return OutlierDetector(**QUICK, n_samples=20).fit(X), X, y


def test_the_contract_holds_on_every_family_member(detector: tuple[OutlierDetector, np.ndarray, np.ndarray]) -> None:
    X, y = planted()
    for model in (detector[0], VAE(**QUICK).fit(X), AutoEncoder(**QUICK).fit(X)):
        scores, decision, flags = model.score_samples(X), model.decision_function(X), model.predict(X)
        np.testing.assert_array_equal(decision, scores - model.offset_)
        np.testing.assert_array_equal(flags, np.where(decision < 0, -1, 1))
        assert set(np.unique(flags)) <= {-1, 1}
        assert roc_auc_score(y, -scores) > 0.9, type(model).__name__  # the planted rows score low


def test_the_detector_finds_the_planted_rows_with_auto(
    detector: tuple[OutlierDetector, np.ndarray, np.ndarray],
) -> None:
    model, X, y = detector
    assert model.likelihood_ == "gaussian-learned"
    flagged = model.predict(X) == -1
    assert flagged[y == 1].mean() >= 0.75  # recall
    assert flagged.mean() < 0.15  # it does not flag the bulk


def test_a_share_flags_that_share_of_the_training_rows() -> None:
    X, _ = planted()
    model = AutoEncoder(**QUICK, contamination=0.1).fit(X)
    assert (model.predict(X) == -1).mean() == pytest.approx(0.1, abs=0.01)
    np.testing.assert_array_equal(model.fit_predict(X), model.predict(X))


def test_auto_is_tukeys_fence_on_the_training_scores() -> None:
    scores = np.arange(101, dtype=float)  # Q1 25, Q3 75
    assert fit_offset(scores, "auto") == 25 - AUTO_FENCE * 50
    assert fit_offset(scores, 0.1) == pytest.approx(10.0)


def test_scores_are_deterministic_across_calls_batches_and_save_load(
    detector: tuple[OutlierDetector, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    model, X, _ = detector
    full = model.score_samples(X)
    np.testing.assert_array_equal(full, model.score_samples(X))
    np.testing.assert_allclose(model.score_samples(X[::-1])[::-1], full, rtol=1e-12)
    np.testing.assert_allclose(np.concatenate([model.score_samples(X[i : i + 7]) for i in range(0, len(X), 7)]), full,
                               rtol=1e-12)  # fmt: skip
    model.save(tmp_path / "m")
    again = load(tmp_path / "m")
    assert again.offset_ == model.offset_ and again.n_samples == model.n_samples
    np.testing.assert_array_equal(again.score_samples(X), full)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


def test_more_importance_samples_tighten_the_bound(detector: tuple[OutlierDetector, np.ndarray, np.ndarray]) -> None:
    model, X, _ = detector
    elbo = VAE.score_samples(model, X).mean()  # the ELBO of the same network
    log_p = model._log_likelihood(model._check_X(X), None)  # the score's likelihood part (isolation aside)
    assert log_p.mean() >= elbo - 0.05


def test_explain_adds_up_to_the_rows_negative_log_likelihood() -> None:
    X, _ = planted()
    model = AutoEncoder(**QUICK).fit(X)
    terms = model.explain(X, relative=False)
    assert terms.shape == X.shape
    np.testing.assert_allclose(model.explain(X), terms - model.feature_baseline_, atol=1e-9)  # above usual
    log_scales = np.log(model.scaling_.scale).sum()  # the terms are in standardized units
    np.testing.assert_allclose(terms.sum(axis=1), -model.score_samples(X) - log_scales, rtol=1e-4, atol=1e-4)
    frame = pd.DataFrame(X, columns=list("abcdef"), index=np.arange(100, 100 + len(X)))
    explained = AutoEncoder(**QUICK).fit(frame).explain(frame)
    assert list(explained.columns) == list("abcdef") and explained.index[0] == 100


def test_explain_gives_an_error_map_for_images() -> None:
    X, _ = datasets.load("digits")
    model = VAE(epochs=2, verbose=0, random_state=0).fit(X[:200])
    assert model.explain(X[:5]).shape == (5, 8, 8)


def test_a_rare_category_given_the_row_is_an_anomaly() -> None:
    rng = np.random.default_rng(1)
    t = rng.normal(size=300)
    frame = pd.DataFrame({"t": t, "u": 2 * t + 0.1 * rng.normal(size=300), "side": np.where(t > 0, "right", "left")})
    wrong = np.flatnonzero(np.abs(t) > 1.0)[:6]  # six rows far from the boundary get the other side
    frame.loc[wrong, "side"] = np.where(frame.loc[wrong, "t"] > 0, "left", "right")
    gaps = np.setdiff1d(np.arange(10, 21), wrong)
    frame.loc[gaps, "u"] = np.nan  # gaps are fine
    model = VAE(**{**QUICK, "epochs": 300}).fit(frame)
    scores = model.score_samples(frame)
    assert roc_auc_score(np.isin(np.arange(300), wrong), -scores) > 0.9
    explained = model.explain(frame)
    assert (explained.iloc[wrong].idxmax(axis=1) == "side").mean() >= 0.5  # the reason names the column
    assert (explained.loc[gaps, "u"] == 0).all()  # a gap contributes nothing


@pytest.mark.parametrize("bad", [0.0, 0.6, -0.1, "high", None])
def test_contamination_out_of_range_is_one_line(bad: object) -> None:
    X, _ = planted(100)
    with pytest.raises(ValueError, match="contamination") as info:
        AutoEncoder(**QUICK, contamination=bad).fit(X)
    assert "\n" not in str(info.value)


def test_bad_input_at_scoring(detector: tuple[OutlierDetector, np.ndarray, np.ndarray]) -> None:
    model, X, _ = detector
    with pytest.raises(NotFittedError):
        OutlierDetector().predict(X)
    with pytest.raises(ValueError, match="6"):
        model.predict(X[:, :4])
    gappy = X[:5].copy()
    gappy[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"row 3.*column 2|column 2.*row 3") as info:
        model.predict(gappy)
    assert "\n" not in str(info.value)
    frame = pd.DataFrame(X, columns=list("abcdef"))
    fitted = AutoEncoder(**QUICK).fit(frame)
    with pytest.raises(ValueError, match="lacks f"):
        fitted.predict(frame.drop(columns="f"))


def test_a_constant_training_set_is_warned() -> None:
    with pytest.warns(ConstantScoresWarning, match="all the same"):
        AutoEncoder(**QUICK).fit(np.ones((50, 3), dtype=np.float32))


def test_vaekit_score_writes_scores_flags_and_reasons(cli: CliRun, tmp_path: Path) -> None:
    X, y = planted()
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(6)])
    frame.insert(0, "name", [f"r{i}" for i in range(len(X))])
    data = tmp_path / "rows.csv"
    frame.to_csv(data, index=False)
    run = tmp_path / "run"
    cli("train", data, "--id", "name", "--model", "detector", "--contamination", "0.05", "--epochs", "40",
        "--hidden", "16", "--quiet", "--out", run)  # fmt: skip
    assert load(run).contamination == 0.05
    result = cli("score", run, data, "--id", "name", "-o", tmp_path / "scores.csv", "--top", "2")
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert list(scores.columns) == ["row", "name", "anomaly_score", "p_value", "decision", "flag", "top_features"]
    assert scores["p_value"].between(0, 1).all() and scores["p_value"][y == 1].max() < 0.1  # the planted rows
    assert scores["row"].tolist() == list(range(len(X)))  # the file's rows, numbered as pandas numbers them
    assert scores["flag"].sum() == pytest.approx(0.05 * len(X), abs=0.03 * len(X))
    assert roc_auc_score(y, scores["anomaly_score"]) > 0.9
    reasons = scores["top_features"][0].split("; ")  # --top 2: the isolation forest's part, or features
    assert len(reasons) == 2 and any(reason.startswith("f") for reason in reasons)
    assert "flagged" in result.stdout
    cli("score", run, data, "--id", "name", "-o", tmp_path / "scores.csv", ok=False)  # exists: not overwritten
    from typer.testing import CliRunner

    from vaekit.cli import app

    bad = CliRunner().invoke(app, ["train", str(data), "--contamination", "0.7", "--out", str(tmp_path / "r2")])
    assert bad.exit_code == 2 and "--contamination must be auto or a share in (0, 0.5]" in bad.stderr
    assert not (tmp_path / "r2").exists()


def test_the_readme_example_runs_as_written() -> None:
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## Finding anomalies") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace: dict = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    assert namespace["why"].shape == (10, 6)
    assert len(set(namespace["odd"]) & set(range(10))) >= 8  # the pushed rows score lowest
    assert (namespace["flags"][:10] == -1).mean() >= 0.8


def _mixed(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = rng.normal(size=n)
    return pd.DataFrame(
        {"a": t + 0.1 * rng.normal(size=n), "b": 2 * t, "k": np.where(t > 0, "hi", "lo"), "n": rng.poisson(2, n)}
    )


@pytest.mark.parametrize("cls", [VAE, AutoEncoder, OutlierDetector, VQVAE])
def test_a_row_with_every_entry_missing_gets_no_score(cls: type) -> None:
    """Nothing observed is no evidence: not the most normal row (its ELBO would be -KL alone), but NaN."""
    model = cls(epochs=3, hidden=(16,), verbose=0, random_state=0).fit(_mixed())
    X = _mixed(seed=1).astype(object)
    X.iloc[[2, 5], :] = None
    with pytest.warns(UnscoredRowsWarning):
        scores = model.score_samples(X)
    for method in ("score_samples", "decision_function", "predict", "score"):
        with pytest.warns(UnscoredRowsWarning, match=r"^2 rows have every entry missing \(rows 2, 5;") as caught:
            result = getattr(model, method)(X)
        assert len(caught) == 1, f"{method}: {len(caught)} notes"
        if method == "predict":
            assert result[2] == result[5] == 1  # not flagged: nothing is known against them
        elif method == "score":
            assert result == pytest.approx(np.nanmean(scores))  # over the rows that have a score
        else:
            assert np.isnan(result[[2, 5]]).all() and not np.isnan(np.delete(result, [2, 5])).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a table without such rows: no note
        assert not np.isnan(model.score_samples(_mixed(seed=1))).any()


def test_vaekit_score_leaves_a_row_with_every_entry_missing_unscored(cli: CliRun, tmp_path: Path) -> None:
    data = tmp_path / "rows.csv"
    _mixed().to_csv(data, index=False)
    run = tmp_path / "run"
    cli("train", data, "--epochs", "2", "--hidden", "16", "--quiet", "--out", run)
    rows = data.read_text().splitlines()
    rows[3] = ",,,"  # the third data row: every field empty
    data.write_text("\n".join(rows) + "\n")
    result = cli("score", run, data, "-o", tmp_path / "scores.csv")
    assert result.stderr.count("note:") == 1
    assert "1 row has every entry missing (row 2; counting from 0): no score (NaN), and not flagged" in result.stderr
    scores = pd.read_csv(tmp_path / "scores.csv", keep_default_na=False, dtype=str)
    assert scores.loc[2, "anomaly_score"] == "" and scores.loc[2, "flag"] == "0" and scores.loc[2, "top_features"] == ""
    assert (scores.drop(index=2)["anomaly_score"] != "").all()
    assert "row 2:" not in result.stdout  # the rows shown as the oddest have scores


def test_a_vqvaes_threshold_flags_the_share_it_was_given() -> None:
    """offset_ and score_samples carry the same n_slots * log K: a share c flags c of the training rows."""
    X, _ = planted()
    model = VQVAE(epochs=3, hidden=(16,), verbose=0, random_state=0, contamination=0.1).fit(X)
    assert np.mean(model.predict(X) == -1) == pytest.approx(0.1, abs=0.02)


def test_the_detectors_model_trims_only_in_training_after_its_warm_up() -> None:
    import torch

    from vaekit.models.detector import DetectorModel

    torch.manual_seed(0)
    model = DetectorModel((4,), 2, "gaussian", "mlp", (8,), "relu", trim_fraction=0.25, trim_after=1.0)
    x = torch.randn(8, 4)
    x[0] += 20.0  # a row the model explains worst

    def loss(progress: float) -> tuple[float, float]:
        out = model.loss(x, beta=1.0, generator=torch.Generator().manual_seed(1), progress=progress)
        per_row = (out.reconstruction + out.kl).detach()
        return float(out.loss), float(per_row.mean())

    model.train()
    trimmed, full = loss(2.0)
    kept = torch.Generator().manual_seed(1)
    out = model.loss(x, beta=1.0, generator=kept, progress=2.0)
    per_row = (out.reconstruction + out.kl).detach()
    assert trimmed == pytest.approx(float(per_row.sort().values[:6].mean()))  # 8 rows, the 2 worst left out
    assert trimmed < full
    assert loss(0.5)[0] == pytest.approx(loss(0.5)[1])  # before trim_after: every row
    model.eval()
    assert loss(2.0)[0] == pytest.approx(loss(2.0)[1])  # evaluation: every row
    assert not model.stackable()


@pytest.mark.parametrize("kind", sorted(k for k, cls in REGISTRY.items() if not cls.conditional))
def test_a_row_scored_alone_gets_its_score_among_all_rows(kind: str) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 5)).astype(np.float32)
    X[:, 1] += X[:, 0]
    model = REGISTRY[kind](latent_dim=2, hidden=(8,), epochs=2, random_state=0, verbose=0).fit(X)
    together = model.score_samples(X)
    for i in (0, 137, 299):
        np.testing.assert_allclose(model.score_samples(X[i : i + 1]), together[i : i + 1], rtol=1e-12)
    np.testing.assert_allclose(model.score_samples(X[::-1]), together[::-1], rtol=1e-12)


def test_a_table_row_scored_alone_gets_its_score_among_all_rows() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {"x": rng.normal(size=200), "kind": rng.choice(["a", "b", "c"], 200), "n": rng.poisson(3, 200)}
    )
    frame.loc[5, "x"] = np.nan
    model = VAE(latent_dim=2, hidden=(8,), epochs=2, random_state=0, verbose=0).fit(frame)
    together = model.score_samples(frame)
    for i in (0, 5, 199):
        np.testing.assert_allclose(model.score_samples(frame.iloc[i : i + 1]), together[i : i + 1], rtol=1e-12)


def test_auto_epochs_of_the_detector_stop_near_its_step_cap_on_a_long_table_only() -> None:
    from vaekit.estimators._params import AUTO_MIN_STEPS, auto_training

    params = {"epochs": "auto"}
    assert auto_training(params, 50)["epochs"] == 100  # short table: 100 epochs either way
    assert auto_training(params, 50, max_steps=10_000)["epochs"] == 100
    assert auto_training(params, 400)["epochs"] == 100  # 40,000 steps without a cap
    assert auto_training(params, 400, max_steps=10_000)["epochs"] == 25  # 10,000 steps
    assert auto_training(params, 2, max_steps=10_000)["epochs"] == AUTO_MIN_STEPS // 2  # the floor holds
    assert auto_training(params, 2, max_steps=5000, min_steps=1000)["epochs"] == 500  # a kind's own floor
    assert OutlierDetector.auto_max_steps == 3000 and VAE.auto_max_steps is None
    assert OutlierDetector.auto_min_steps == 1000 and VAE.auto_min_steps == AUTO_MIN_STEPS


def test_the_detectors_budget_is_what_a_fit_trains() -> None:
    X = np.random.default_rng(0).normal(size=(250, 3))  # 225 training rows: 2 batches an epoch
    detector = OutlierDetector(hidden=(8,), random_state=0, verbose=0, patience=None).fit(X)
    assert detector.training_settings_["epochs"] == 500  # 1,000 steps
    assert len(detector.history_["epoch"]) == 500
