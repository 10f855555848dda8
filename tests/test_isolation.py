"""The detector's isolation forest (vaekit.models.isolation, OutlierDetector(isolation=), issue 27).

The forest is grown by scikit-learn, kept as arrays (a saved model holds no pickles) and scored
by vaekit's own walk of them: the same numbers as scikit-learn's, and refused when damaged. In the
detector it adds to log p(x) on rows of numbers only, scaled to log p's spread.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest

from vaekit import OutlierDetector
from vaekit.models.isolation import IsolationTrees, average_path_length

QUICK = {"epochs": 5, "hidden": (8,), "n_samples": 8, "random_state": 0, "verbose": 0}


@pytest.mark.parametrize(("n", "d"), [(40, 1), (300, 5), (3000, 12)])
def test_the_arrays_score_as_scikit_learns_forest(n: int, d: int) -> None:
    rng = np.random.default_rng(n)
    X = rng.standard_t(3, size=(n, d)) * rng.uniform(0.1, 1000, size=d)  # heavy tails, unlike scales
    X[:, 0] = np.round(X[:, 0])  # ties
    forest = IsolationForest(random_state=1).fit(X)
    trees = IsolationTrees.from_sklearn(forest)
    Y = np.vstack([rng.standard_t(3, size=(500, d)) * 100, X[:50]])
    np.testing.assert_allclose(trees.score_samples(Y), forest.score_samples(Y), rtol=0, atol=1e-12)
    again = IsolationTrees.from_arrays(trees.arrays(), trees.normalizer)
    assert again == trees
    np.testing.assert_array_equal(again.score_samples(Y), trees.score_samples(Y))


def test_average_path_length_is_the_papers_c_of_n() -> None:
    np.testing.assert_allclose(average_path_length(np.array([0, 1, 2, 256])), [0, 0, 1, 10.244770920116851])


def test_damaged_arrays_are_refused_and_never_walked_forever() -> None:
    trees = IsolationTrees.fit(np.random.default_rng(0).normal(size=(200, 3)), random_state=0)
    arrays = trees.arrays()
    cycle = {**arrays, "left": np.where(arrays["left"] >= 0, 0, -1)}  # every inner node points back to node 0
    for bad in (cycle, {**arrays, "right": arrays["right"] + 10**6}, {**arrays, "threshold": arrays["threshold"][:5]}):
        with pytest.raises(ValueError, match="do not make a forest"):
            IsolationTrees.from_arrays(bad, trees.normalizer)
    with pytest.raises(ValueError, match="lacks roots"):
        IsolationTrees.from_arrays({k: v for k, v in arrays.items() if k != "roots"}, trees.normalizer)
    with pytest.raises(ValueError, match="must have shape"):
        trees.score_samples(np.zeros((4, 2)))


def test_the_detectors_score_is_log_p_plus_the_forests_scaled_term() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 4))
    model = OutlierDetector(**QUICK).fit(X)
    X_model = model._check_X(X)
    log_p = model._log_likelihood(X_model, None)
    assert model.isolation_scale_ > 0 and model.isolation_center_ < 0
    expected = log_p + model.isolation_scale_ * (
        model.isolation_.score_samples(model.scaling_.inverse_transform(X_model)) - model.isolation_center_
    )
    np.testing.assert_allclose(model.score_samples(X), expected, rtol=1e-12)
    assert "isolation-forest" in model.score_text[1]


def test_isolation_zero_is_the_likelihood_alone_and_a_refit_drops_the_old_forest() -> None:
    X = np.random.default_rng(1).normal(size=(200, 3))
    model = OutlierDetector(**QUICK).fit(X)
    assert model.isolation_ is not None
    model.set_params(isolation=0.0).fit(X)
    assert not hasattr(model, "isolation_") and not hasattr(model, "isolation_scale_")
    np.testing.assert_array_equal(model.score_samples(X), model._log_likelihood(model._check_X(X), None))
    assert model.score_text is None


def test_a_table_with_gaps_or_categories_is_scored_by_its_likelihood_alone() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.choice(["x", "y"], size=120)})
    frame.loc[3, "a"] = np.nan
    model = OutlierDetector(**QUICK).fit(frame)
    assert not hasattr(model, "isolation_")
    assert np.isfinite(model.score_samples(frame)).all()


def test_a_far_row_scores_lower_with_the_forest_than_any_training_row() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3))
    model = OutlierDetector(**QUICK).fit(X)
    far = np.array([[0.0, 0.0, 40.0]])
    assert model.score_samples(far)[0] < model.score_samples(X).min()
    assert model.predict(far)[0] == -1


@pytest.mark.parametrize("bad", [-0.1, 1.0, 2])
def test_an_isolation_share_outside_0_to_1_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="isolation"):
        OutlierDetector(isolation=bad, **QUICK).fit(np.zeros((50, 2)) + np.arange(50)[:, None])


def test_the_forests_part_of_a_score_is_a_reason_of_its_own() -> None:
    from vaekit.cli.detect import FOREST_REASON, top_features

    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 3))
    model = OutlierDetector(**QUICK).fit(X)
    parts = model.isolation_part(np.vstack([X[:50], [[0.0, 0.0, 40.0]]]))
    assert parts is not None and parts[-1] > model.isolation_spread_ > 0
    assert np.mean(model.isolation_part(X) > model.isolation_spread_) == pytest.approx(0.1, abs=0.05)
    reasons = top_features(parts[:, None], [FOREST_REASON], 3, spread=np.array([model.isolation_spread_]))
    assert reasons[-1].startswith(FOREST_REASON)
    assert OutlierDetector(**{**QUICK, "isolation": 0.0}).fit(X).isolation_part(X) is None
