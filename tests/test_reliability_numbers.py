"""Numbers on degenerate inputs (issue 11, items 5, 6 and 9): a PCA that reconstructs the
rows exactly is no yardstick (no division, no 1e31x ratios), a validation split that
leaves no training rows is refused in one line, and the constant-column test is
relative to each column's own magnitude."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import Result

from vaekit import VAE
from vaekit.data.preprocessing import CONSTANT_RELATIVE_STD, ConstantFeatureWarning, Scaling, constant_features
from vaekit.estimators import load

TINY = ("--epochs", "2", "--hidden", "16", "--quiet")
CliRun = Callable[..., Result]  # the `cli` fixture of conftest.py


def _gauss(n: int, d: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def _table(path: Path, X: np.ndarray) -> Path:
    pd.DataFrame(X, columns=[f"c{j}" for j in range(X.shape[1])]).to_csv(path, index=False)
    return path


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
