"""What a run finds (:mod:`vaekit.runs.findings`) on degenerate inputs: a PCA that reconstructs the
rows exactly is no yardstick (no division, no 1e31x ratios), a validation split that
leaves no training rows is refused in one line, and the constant-column test is
relative to each column's own magnitude."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import Result

from vaekit import VAE, AutoEncoder
from vaekit.data.codec import ArrayCodec
from vaekit.data.preprocessing import CONSTANT_RELATIVE_STD, ConstantFeatureWarning, Scaling, constant_features
from vaekit.estimators import load
from vaekit.evaluation.metrics import PCA_EXACT_TOLERANCE, pca_baseline, pca_exact_note
from vaekit.runs.config import default_config, to_toml
from vaekit.runs.findings import against_pca, findings, pca_ratio
from vaekit.runs.report import metrics_table
from vaekit.runs.run import train_run
from vaekit.runs.sweep import format_table
from vaekit.training.batches import TensorBatches
from vaekit.training.loop import train
from vaekit.training.optim import TrainingConfig

TINY = ("--epochs", "2", "--hidden", "16", "--quiet")
CliRun = Callable[..., Result]  # the `cli` fixture of conftest.py


def _gauss(n: int, d: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def _table(path: Path, X: np.ndarray) -> Path:
    pd.DataFrame(X, columns=[f"c{j}" for j in range(X.shape[1])]).to_csv(path, index=False)
    return path


# ------------------------------------------------------------ 5: an exact PCA
@pytest.mark.parametrize(
    ("X", "k", "why"),
    [
        (_gauss(100, 2), 2, "2 components for 2 columns"),
        (_gauss(1, 3), 1, "the training rows do not vary"),
        (np.zeros((50, 3), np.float32), 2, "the training rows do not vary"),
        (np.full((50, 3), 7.0, np.float32), 2, "the training rows do not vary"),
        (np.hstack([_gauss(60, 1), 2 * _gauss(60, 1), -_gauss(60, 1)]), 1, "vary along only 1 direction"),
    ],
    ids=["k=d", "one-row", "zeros", "constant", "rank-1"],
)
def test_pca_baseline_says_when_pca_is_exact(X: np.ndarray, k: int, why: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # sklearn's 0/0 must not reach the user as a note
        warnings.simplefilter("ignore", ConstantFeatureWarning)
        result = pca_baseline(X, X, k, Scaling.fit(X, "standardize"))
    assert result["exact"] is True and result["squared_error_scaled"] < 1e-20
    note = pca_exact_note(result)
    assert "reconstructs these rows exactly" in note and why in note and "says nothing" in note


def test_pca_baseline_is_not_exact_on_ordinary_data() -> None:
    X = _gauss(200, 5)
    result = pca_baseline(X[:150], X[150:], 2, Scaling.fit(X[:150], "standardize"))
    assert result["exact"] is False and result["n_features"] == 5
    assert result["squared_error_scaled"] > 1e3 * PCA_EXACT_TOLERANCE * 5


def _metrics(ours: float, theirs: float, **pca: object) -> dict:
    held = {"n": 40, "active_units": 2, "column_r2": [0.5, 0.5], "squared_error_scaled": ours}
    return {
        "test": held,
        "pca": {"split": "test", "squared_error_scaled": theirs, "n_components": 2, "units": "u", **pca},
    }


@pytest.mark.parametrize(
    ("theirs", "pca"),
    [(0.0, {"exact": True, "n_features": 2}), (1e-31, {"exact": True, "n_features": 2}), (0.0, {})],
    ids=["0", "1e-31", "legacy-0"],
)
def test_against_pca_and_findings_do_not_divide_by_an_exact_pca(theirs: float, pca: dict) -> None:
    metrics = _metrics(1.7, theirs, **pca)
    line = against_pca(metrics)
    assert "reconstructs these rows exactly" in line and "x PCA's" not in line and "1.7" in line
    estimator = SimpleNamespace(latent_dim_=2, n_features_in_=2, codec_=ArrayCodec(Scaling(), (2,), ["a", "b"]))
    assert findings(estimator, metrics) == []  # no "worse than PCA" warning, no ZeroDivisionError
    assert pca_ratio(1.7, metrics["pca"]) is None


def test_a_large_but_real_ratio_is_written_compactly() -> None:
    metrics = _metrics(1234.5, 0.1, exact=False)
    assert "1.23e+04x PCA's, worse than PCA" in against_pca(metrics)
    estimator = SimpleNamespace(latent_dim_=2, n_features_in_=2, codec_=ArrayCodec(Scaling(), (2,)))
    assert "(1.23e+04x its squared error)" in findings(estimator, metrics)[0]


def test_the_report_and_sweep_table_label_an_exact_pca() -> None:
    metrics = _metrics(1.7, 1e-31, exact=True, n_features=2)
    assert "exact: no yardstick" in metrics_table(metrics)
    row = {"split": "test", "units": "u", "latent_dim": 2}
    rows = [
        {**row, "model": "vae", "squared_error": 1.7},
        {**row, "model": "pca", "squared_error": 1e-31, "exact": True},
    ]
    table = format_table(rows)
    assert "exact" in table and "e-31" not in table


@pytest.mark.parametrize(
    ("X", "exact"),
    [(_gauss(60, 2), True), (_gauss(1, 3), True), (np.full((40, 3), 7.0, np.float32), True), (_gauss(60, 4), False)],
    ids=["two-columns", "one-row", "constant", "four-columns"],
)
def test_train_run_on_degenerate_tables_writes_the_run(tmp_path: Path, X: np.ndarray, exact: bool) -> None:
    config = default_config()
    config["data"]["source"] = str(_table(tmp_path / "t.csv", X))
    config["training"]["epochs"] = 2
    config["model"]["hidden"] = [8]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantFeatureWarning)
        metrics = train_run(config, tmp_path / "run", verbose=0)
    assert metrics["pca"]["exact"] is exact
    assert (tmp_path / "run" / "report.html").is_file() and (tmp_path / "run" / "metrics.json").is_file()
    assert not any("worse than PCA" in text for text in metrics["warnings"]) or not exact
    assert ("reconstructs these rows exactly" in against_pca(metrics)) is exact


def test_cli_train_on_degenerate_tables(cli: CliRun, tmp_path: Path) -> None:
    for name, X in [("two", _gauss(60, 2)), ("one", _gauss(1, 2)), ("const", np.full((40, 3), 7.0, np.float32))]:
        result = cli("train", str(_table(tmp_path / f"{name}.csv", X)), "--out", str(tmp_path / name), *TINY)
        assert (tmp_path / name / "report.html").is_file()
        assert "Traceback" not in result.stderr and "e+3" not in result.stdout
    assert "note: 3 of 3 features are constant" in result.stderr


# ------------------------------------------------ 6: no rows left to train on
@pytest.mark.parametrize(("n", "fraction", "most"), [(100, 0.999, "0.99"), (10, 0.95, "0.9")])
def test_a_validation_split_that_leaves_no_training_rows_is_refused(n: int, fraction: float, most: str) -> None:
    with pytest.raises(ValueError, match=f"validation_fraction={fraction} of {n} rows") as caught:
        VAE(validation_fraction=fraction, epochs=1, verbose=0).fit(_gauss(n, 3))
    message = str(caught.value)
    assert "\n" not in message and f"use at most {most}," in message and "leaves none to train on" in message


def test_one_training_row_left_by_the_split_is_enough() -> None:
    vae = VAE(validation_fraction=0.9, epochs=2, hidden=(8,), verbose=0).fit(_gauss(10, 3))
    assert vae.n_train_ == 1


def test_the_loop_refuses_empty_training_batches() -> None:
    from vaekit.models import AutoEncoderModel

    model = AutoEncoderModel((3,), 2, "gaussian", "mlp", (8,), "relu")
    with pytest.raises(ValueError, match="nothing to train on"):
        train(model, TensorBatches(torch.zeros(0, 3), 4), None, TrainingConfig(epochs=1, verbose=0))


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("cls", [VAE, AutoEncoder])
def test_one_and_two_row_fits(cls: type, n: int) -> None:
    X = _gauss(n, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantFeatureWarning)
        model = cls(epochs=2, hidden=(8,), verbose=0).fit(X)
    assert model.n_train_ == n and model.transform(X).shape == (n, 2) and np.isfinite(model.reconstruct(X)).all()


def test_cli_refuses_a_validation_split_with_no_training_rows(cli: CliRun, tmp_path: Path) -> None:
    config = default_config()
    config["data"]["source"] = str(_table(tmp_path / "t.csv", _gauss(100, 3)))
    config["training"]["validation_fraction"] = 0.999
    (tmp_path / "c.toml").write_text(to_toml(config))
    result = cli("train", "--config", str(tmp_path / "c.toml"), "--out", str(tmp_path / "run"), "--quiet", ok=False)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "error: validation_fraction=0.999" in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()


# ---------------------------------------------- 9: constant means constant for its scale
def test_small_scale_features_are_standardized_without_a_warning() -> None:
    rng = np.random.default_rng(0)
    X = np.c_[1e-9 + 1e-10 * rng.normal(size=500), 1e-30 * rng.normal(size=500), rng.normal(size=500)]
    X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConstantFeatureWarning)
        scaling = Scaling.fit(X, "standardize")
    np.testing.assert_allclose(scaling.transform(X).std(axis=0), 1.0, rtol=1e-3)
    assert scaling.scale[0] == pytest.approx(1e-10, rel=0.1)


def test_constant_features_are_named_in_a_warning() -> None:
    rng = np.random.default_rng(0)
    wobble = np.where(rng.random(200) < 0.5, np.float32(7.0), np.nextafter(np.float32(7.0), np.float32(8.0)))
    X = np.c_[rng.normal(size=200), np.zeros(200), np.full(200, 7.0), wobble, 1e6 + rng.normal(size=200)]
    X = X.astype(np.float32)
    assert constant_features(X).tolist() == [False, True, True, True, False]
    with pytest.warns(ConstantFeatureWarning, match=r"3 of 5 features are constant .*: b, c, d;") as caught:
        scaling = Scaling.fit(X, "standardize", names=["a", "b", "c", "d", "e"])
    assert len(caught) == 1 and "\n" not in str(caught[0].message)
    assert scaling.scale[1:4].tolist() == [1.0, 1.0, 1.0] and scaling.scale[4] == pytest.approx(1.0, rel=0.1)
    with pytest.warns(ConstantFeatureWarning, match=r"x1, x2, x3 \(numbered from x0\)"):
        Scaling.fit(X, "standardize")
    assert np.spacing(np.float32(7.0)) / 2 < CONSTANT_RELATIVE_STD * 7.0  # one rounding step's wobble: std ulp/2


def test_a_fit_warns_and_saved_scaling_loads(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=(100, 2)), 1e-9 + 1e-10 * rng.normal(size=100), np.full(100, 3.0)].astype(np.float32)
    with pytest.warns(ConstantFeatureWarning, match="1 of 4 features are constant"):
        vae = VAE(epochs=1, hidden=(8,), verbose=0).fit(X)
    assert vae.scaling_.scale[2] < 1e-9 and vae.scaling_.scale[3] == 1.0
    loaded = load(vae.save(tmp_path / "model"))
    np.testing.assert_array_equal(loaded.scaling_.scale, vae.scaling_.scale)
    np.testing.assert_array_equal(loaded.transform(X), vae.transform(X))
