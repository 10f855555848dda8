"""Baselines on the model's footing (PCA fitted on the same preprocessed columns) and
the warnings that keep a first run honest (collapse, columns worse than their mean)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA

from vaekit import VAE
from vaekit.data.preprocessing import Scaling
from vaekit.evaluation.metrics import column_r2, evaluate_model, pca_baseline
from vaekit.runs.config import default_config
from vaekit.runs.findings import against_pca, findings
from vaekit.runs.run import train_run


@pytest.fixture(scope="module")
def scaled_table() -> np.ndarray:
    """300 rows: 4 correlated columns of scale 1 and one pure-noise column of scale 1e4."""
    rng = np.random.default_rng(0)
    t = rng.normal(size=(300, 1))
    structured = np.hstack([t, 2 * t, -t, t + 0.1 * rng.normal(size=(300, 1))]) + 0.05 * rng.normal(size=(300, 4))
    noise = 1e4 * rng.normal(size=(300, 1))
    return np.hstack([structured, noise]).astype(np.float32)


def test_pca_is_fitted_on_the_models_units(scaled_table: np.ndarray) -> None:
    train, test = scaled_table[:240], scaled_table[240:]
    scaling = Scaling.fit(train, "standardize")
    result = pca_baseline(train, test, 1, scaling)
    pca = PCA(1).fit(scaling.transform(train).astype(np.float64))
    z = scaling.transform(test).astype(np.float64)
    expected = ((z - pca.inverse_transform(pca.transform(z))) ** 2).sum(axis=1).mean()
    assert result["units"] == "standardized columns"
    assert result["squared_error_scaled"] == pytest.approx(expected, rel=1e-6)
    # In standardized units one component captures the 4 correlated columns and leaves the
    # noise column (about 1 unit of variance); fitted on the raw values it would chase the
    # noise column instead, leaving about 4 units of structured variance.
    assert result["squared_error_scaled"] < 1.6
    raw = pca_baseline(train, test, 1)
    assert raw["units"] == "the data's units" and raw["squared_error"] < result["squared_error"]


def test_the_model_is_measured_in_the_same_units(scaled_table: np.ndarray) -> None:
    vae = VAE(latent_dim=1, hidden=(16,), epochs=30, random_state=0, verbose=0).fit(scaled_table)
    result = evaluate_model(vae, scaled_table[:50])
    z, z_hat = vae.scaling_.transform(scaled_table[:50]), vae.scaling_.transform(vae.reconstruct(scaled_table[:50]))
    assert result["units"] == "standardized columns"
    assert result["squared_error_scaled"] == pytest.approx(((z - z_hat) ** 2).sum(axis=1).mean(), rel=1e-5)
    assert result["squared_error"] > 1e6  # the raw figure is dominated by the 1e4 column
    np.testing.assert_allclose(result["column_r2"], column_r2(z, z_hat))
    assert result["pca_in_sample"]["units"] == "standardized columns"


def test_column_r2() -> None:
    X = np.array([[0.0, 1.0, 5.0], [2.0, 3.0, 5.0], [4.0, 5.0, 5.0]])
    X_hat = np.array([[0.0, 3.0, 5.0], [2.0, 3.0, 5.0], [4.0, 3.0, 5.0]])
    r2 = column_r2(X, X_hat)
    assert r2[0] == 1.0 and r2[1] == 0.0 and np.isnan(r2[2])  # exact, the mean, a constant column


def _metrics(active: int | None, r2: list[float], ours: float, pca: float) -> dict:
    held = {"active_units": active, "column_r2": r2, "squared_error_scaled": ours}
    return {
        "test": held,
        "pca": {"split": "test", "squared_error_scaled": pca, "n_components": 2, "units": "standardized columns"},
    }


def test_findings_name_collapse_bad_columns_and_a_lost_baseline() -> None:
    from vaekit.data.codec import ArrayCodec
    from vaekit.data.preprocessing import Scaling

    estimator = SimpleNamespace(latent_dim_=2, n_features_in_=3, codec_=ArrayCodec(Scaling(), (3,), ["a", "b", "c"]))
    assert findings(estimator, _metrics(2, [0.9, 0.5, 0.1], 1.0, 2.0)) == []
    found = findings(estimator, _metrics(1, [0.9, -0.3, 0.1], 3.0, 2.0))
    assert len(found) == 3
    assert "only 1 of 2 latent dimensions are used" in found[0] and "`kl_warmup_epochs`" in found[0]
    assert "1 of 3 columns are reconstructed worse than by their mean" in found[1] and "b (R2 -0.30)" in found[1]
    assert "worse than PCA with 2 components" in found[2] and "1.50x" in found[2]
    assert against_pca(_metrics(2, [], 1.0, 2.0)).endswith("0.50x PCA's, better than PCA")


def test_a_run_reports_like_for_like_and_its_warnings(scaled_table: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "scaled.csv"
    pd.DataFrame(scaled_table, columns=["a", "b", "c", "d", "noise"]).to_csv(path, index=False)
    config = default_config()
    config["data"]["source"] = str(path)
    config["training"]["epochs"] = 3
    metrics = train_run(config, tmp_path / "run", verbose=0)
    assert metrics["pca"]["units"] == "standardized columns" and metrics["test"]["units"] == "standardized columns"
    assert isinstance(metrics["warnings"], list)
    report = (tmp_path / "run" / "report.html").read_text()
    assert "against PCA" in report and "standardized columns" in report
    assert "active units" in report and "R2 per column" in report
    for text in metrics["warnings"]:
        assert text.split(":")[0][:40] in report
