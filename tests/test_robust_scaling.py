"""The detector's robust-asinh scaling: median and IQR, asinh, and a score in the user's units (issue 27)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from vaekit import OutlierDetector, load
from vaekit.data.preprocessing import IQR_PER_SD, Scaling


def heavy(n: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = np.c_[rng.standard_t(2, size=n) * 5 + 100, rng.normal(size=n), np.r_[np.zeros(n - 40), rng.normal(size=40)]]
    return X.astype(np.float32)  # a heavy-tailed column, a normal one, one with IQR 0


def test_robust_asinh_centres_on_the_median_and_scales_by_the_iqr() -> None:
    X = heavy()
    scaling = Scaling.fit(X, "robust-asinh")
    q1, median, q3 = np.percentile(X.astype(np.float64), [25, 50, 75], axis=0)
    np.testing.assert_allclose(scaling.mean, median, rtol=1e-6)
    np.testing.assert_allclose(scaling.scale[:2], ((q3 - q1) / IQR_PER_SD)[:2], rtol=1e-6)
    assert scaling.scale[2] == pytest.approx(X[:, 2].std(), rel=1e-5)  # IQR 0: the standard deviation
    U = scaling.transform(X)
    assert np.abs(U).max() < 10  # the far values compressed
    np.testing.assert_allclose(scaling.inverse_transform(U), X, rtol=1e-4, atol=1e-3)
    again = Scaling.from_saved("robust-asinh", scaling.arrays())
    np.testing.assert_array_equal(again.transform(X), U)


def test_its_log_jacobian_is_the_derivative_of_the_transform() -> None:
    X = heavy(50).astype(np.float64)
    scaling = Scaling.fit(X, "robust-asinh")
    U = np.arcsinh((X - scaling.mean) / scaling.scale)  # float64
    h = 1e-5
    derivative = (
        np.arcsinh((X + h - scaling.mean) / scaling.scale) - np.arcsinh((X - h - scaling.mean) / scaling.scale)
    ) / (2 * h)
    np.testing.assert_allclose(scaling.log_abs_det_jacobian(U), np.log(derivative).sum(axis=1), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="depends on the rows"):
        scaling.log_abs_det_jacobian()


def test_the_detector_scores_in_the_users_units(tmp_path: Path) -> None:
    X = heavy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = OutlierDetector(epochs=5, random_state=0, verbose=0).fit(X)
        tenfold = OutlierDetector(epochs=5, random_state=0, verbose=0).fit(X * 10)
    assert model.scaling_.kind == "robust-asinh"
    # the same model in model units; a density of values ten times larger is ten times thinner per column
    np.testing.assert_allclose(tenfold.score_samples(X * 10), model.score_samples(X) - 3 * np.log(10), atol=2e-3)
    model.save(tmp_path / "m")
    np.testing.assert_allclose(load(tmp_path / "m").score_samples(X), model.score_samples(X))
    np.testing.assert_allclose(model.inverse_transform(model.transform(X[:5])).shape, (5, 3))
