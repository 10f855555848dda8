"""vaekit.evaluation.fidelity: marginal distances, association differences and missing rates; plot_marginals draws them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.stats.contingency import association, crosstab

from vaekit.evaluation.fidelity import column_kind, fidelity
from vaekit.plots.marginals import plot_marginals
from vaekit.plots.save import save_figure


def mixed_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Numbers (correlated), a count, a string category tied to the numbers, a bool, and gaps."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x": x,
            "y": 2.0 * x + rng.normal(scale=0.3, size=n),
            "count": rng.poisson(3.0, size=n),
            "colour": np.where(x > 0.5, "red", np.where(x < -0.5, "blue", "green")),
            "flag": x + rng.normal(scale=0.5, size=n) > 0,
        }
    )
    frame.loc[::7, "y"] = np.nan
    frame["colour"] = frame["colour"].astype(object)
    frame.loc[::11, "colour"] = None
    return frame


def test_kinds_follow_the_real_dtypes() -> None:
    frame = mixed_table()
    assert [column_kind(frame[c]) for c in frame] == ["numeric", "numeric", "numeric", "categorical", "categorical"]
    assert column_kind(pd.Series([1, None], dtype="Int64")) == "numeric"
    assert column_kind(pd.Series(["a", "b"], dtype="category")) == "categorical"


def test_identical_frames_score_zero_everywhere() -> None:
    frame = mixed_table()
    result = fidelity(frame, frame.copy())
    assert set(result["ks"]) == {"x", "y", "count"} and set(result["tvd"]) == {"colour", "flag"}
    assert all(value == 0.0 for value in result["ks"].values())
    assert all(value == 0.0 for value in result["tvd"].values())
    assert result["mean_ks"] == 0.0 and result["mean_tvd"] == 0.0
    assert result["association_difference"] == pytest.approx(0.0, abs=1e-12)
    assert len(result["associations"]) == 10  # 5 columns: 10 pairs
    assert all(value == 0.0 for value in result["missing_rate_difference"].values())
    assert result["mean_missing_rate_difference"] == 0.0
    assert result["missing_rate"]["y"]["real"] == pytest.approx(len(frame[::7]) / len(frame))


def test_result_is_plain_json() -> None:
    frame = mixed_table()
    result = fidelity(frame, mixed_table(seed=1).sample(frac=1.0, random_state=0))
    assert json.loads(json.dumps(result)) == result  # no numpy scalars, no NaN
    for key in ("mean_ks", "mean_tvd", "association_difference", "mean_missing_rate_difference"):
        assert type(result[key]) is float
    assert all(type(v) is float for v in result["ks"].values())
    assert all(type(pair["real"]) is float for pair in result["associations"])
    assert result["n_real"] == result["n_synthetic"] == 300


def test_a_shifted_numeric_column_has_a_large_ks() -> None:
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=500)})
    result = fidelity(real, pd.DataFrame({"x": rng.normal(loc=3.0, size=500)}))
    assert result["ks"]["x"] > 0.8
    assert fidelity(real, pd.DataFrame({"x": rng.normal(size=500)}))["ks"]["x"] < 0.15


def test_tvd_of_swapped_frequencies_is_computed_by_hand() -> None:
    real = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 30 + ["c"] * 20})
    swapped = pd.DataFrame({"c": ["a"] * 20 + ["b"] * 30 + ["c"] * 50})
    # 1/2 (|0.5 - 0.2| + |0.3 - 0.3| + |0.2 - 0.5|) = 0.3
    assert fidelity(real, swapped)["tvd"]["c"] == pytest.approx(0.3)
    # a level only one side has counts fully: 1/2 (|0.5 - 0| + ... ) with "d" new
    other = pd.DataFrame({"c": ["d"] * 10 + ["a"] * 10})
    assert fidelity(real, other)["tvd"]["c"] == pytest.approx(0.5 * (0.0 + 0.3 + 0.2 + 0.5))
    # missing values are left out of the frequencies
    gappy = pd.DataFrame({"c": ["a"] * 20 + ["b"] * 30 + ["c"] * 50 + [None] * 100})
    assert fidelity(real, gappy)["tvd"]["c"] == pytest.approx(0.3)


def test_bool_columns_are_categorical() -> None:
    real = pd.DataFrame({"b": [True] * 75 + [False] * 25})
    result = fidelity(real, pd.DataFrame({"b": [True] * 25 + [False] * 75}))
    assert result["ks"] == {} and result["tvd"]["b"] == pytest.approx(0.5)


def test_independent_columns_lose_the_associations() -> None:
    real = mixed_table(n=1000)
    rng = np.random.default_rng(1)
    independent = pd.DataFrame({c: rng.permutation(real[c].to_numpy()) for c in real})  # same marginals
    result = fidelity(real, independent)
    assert result["mean_ks"] == pytest.approx(0.0) and result["mean_tvd"] == pytest.approx(0.0)
    pairs = {tuple(pair["columns"]): pair for pair in result["associations"]}
    assert pairs[("x", "y")]["measure"] == "pearson" and pairs[("x", "y")]["real"] > 0.95
    assert pairs[("x", "colour")]["measure"] == "eta" and pairs[("x", "colour")]["real"] > 0.8
    assert pairs[("colour", "flag")]["measure"] == "cramers_v" and pairs[("colour", "flag")]["real"] > 0.5
    for key in (("x", "y"), ("x", "colour"), ("colour", "flag")):
        assert pairs[key]["difference"] > 0.5, pairs[key]
    assert result["association_difference"] > 0.3
    close = fidelity(real, mixed_table(n=1000, seed=5))  # another draw of the same process
    assert close["association_difference"] < 0.1


def test_associations_match_their_textbook_formulas() -> None:
    real = mixed_table(n=400).dropna()
    result = fidelity(real, real)
    pairs = {tuple(pair["columns"]): pair["real"] for pair in result["associations"]}
    v = association(crosstab(real["colour"], real["flag"]).count, method="cramer")
    assert pairs[("colour", "flag")] == pytest.approx(v)
    assert pairs[("x", "y")] == pytest.approx(np.corrcoef(real["x"], real["y"])[0, 1])
    groups = real.groupby("colour")["x"]
    between = (groups.count() * (groups.mean() - real["x"].mean()) ** 2).sum()
    total = ((real["x"] - real["x"].mean()) ** 2).sum()
    assert pairs[("x", "colour")] == pytest.approx(np.sqrt(between / total))


def test_a_constant_column_has_no_association() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "k": [5.0] * 4, "c": ["a"] * 4})
    result = fidelity(frame, frame)
    assert all(pair["real"] == 0.0 for pair in result["associations"])


def test_missing_rates_are_compared_per_column() -> None:
    real = pd.DataFrame({"x": [1.0, None, 3.0, 4.0, None], "c": ["a", "b", None, "a", "b"]})
    synthetic = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "c": [None, None, None, "a", "b"]})
    result = fidelity(real, synthetic)
    assert result["missing_rate_difference"] == {"x": pytest.approx(0.4), "c": pytest.approx(0.4)}
    assert result["mean_missing_rate_difference"] == pytest.approx(0.4)


def test_a_column_without_observed_values_has_no_distance() -> None:
    real = pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]})
    synthetic = pd.DataFrame({"x": [np.nan, np.nan], "c": [None, None]})
    result = fidelity(real, synthetic)
    assert result["ks"] == {"x": None} and result["tvd"] == {"c": None}
    assert result["mean_ks"] is None and result["mean_tvd"] is None
    json.dumps(result)


def test_column_order_does_not_matter() -> None:
    frame = mixed_table()
    assert fidelity(frame, frame[frame.columns[::-1]])["mean_ks"] == 0.0


@pytest.mark.parametrize(
    ("synthetic_columns", "message"),
    [
        (["x", "y"], r"only in real: 'c'$"),
        (["x", "c", "z"], r"only in synthetic: 'z'$"),
        (["x", "C", "y"], r"only in real: 'c'; only in synthetic: 'C'$"),
    ],
)
def test_different_columns_are_one_line_naming_the_difference(synthetic_columns: list[str], message: str) -> None:
    real = pd.DataFrame({"x": [1.0], "y": [2.0], "c": ["a"]})
    synthetic = pd.DataFrame({name: [1.0] for name in synthetic_columns})
    with pytest.raises(ValueError, match=message) as caught:
        fidelity(real, synthetic)
    assert "\n" not in str(caught.value)


def test_a_numeric_column_generated_as_text_is_refused() -> None:
    with pytest.raises(ValueError, match=r"column 'x' is numeric in real but (str|object)"):
        fidelity(pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"x": ["1", "2"]}))
    with pytest.raises(ValueError, match=r"column 'x' of synthetic holds infinite values"):
        fidelity(pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"x": [1.0, np.inf]}))


def test_marginals_figure_draws_numbers_categories_bools_and_gaps(tmp_path: Path) -> None:
    real = mixed_table()
    synthetic = mixed_table(seed=3)
    synthetic["x"] += 1.0
    synthetic["flag"] = synthetic["flag"].astype("boolean")  # nullable, to hold gaps
    synthetic.loc[:40, "flag"] = pd.NA
    fig = plot_marginals(real, synthetic)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5
    titles = [ax.get_title() for ax in visible]
    assert titles[0].startswith("x\nKS ") and titles[3].startswith("colour\nTVD ")
    assert "missing" in titles[1] and "missing" in titles[4]  # y and flag have gaps
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["real", "generated"]
    path = save_figure(fig, tmp_path / "marginals.png")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width > 600 and image.height > 300


def test_marginals_figure_shows_at_most_max_columns() -> None:
    frame = pd.DataFrame({f"c{j}": np.arange(20.0) * j for j in range(15)})
    fig = plot_marginals(frame, frame, max_columns=6)
    assert sum(ax.get_visible() for ax in fig.axes) == 6
    assert "first 6 of 15 columns" in fig.get_suptitle()
    with pytest.raises(ValueError, match="max_columns"):
        plot_marginals(frame, frame, max_columns=0)


# ----------------------------------------------------------------------------- quality, C2ST, DCR


def test_a_bootstrap_of_real_rows_scores_near_one_and_is_all_copies() -> None:
    real = mixed_table(n=400)
    result = fidelity(real, real.sample(400, replace=True, random_state=0))
    assert result["quality"] > 0.85 and result["column_shapes_score"] > 0.9
    assert result["column_pair_trends_score"] > 0.8
    assert result["exact_copy_share"] == 1.0 and result["dcr_median"] == 0.0
    assert result["holdout_exact_copy_share"] == 0.0 and result["dcr_holdout_median"] > 0.1
    assert result["c2st_auc"] < 0.6  # copies: below 0.5, the classifier learns twins with the wrong label
    identical = fidelity(real, real)
    assert identical["quality"] == pytest.approx(1.0) and identical["exact_copy_share"] == 1.0


def test_independent_noise_has_low_quality_and_is_told_apart() -> None:
    real = mixed_table(n=400)
    rng = np.random.default_rng(1)
    noise = pd.DataFrame(
        {
            "x": rng.uniform(-5.0, 5.0, size=400),
            "y": rng.uniform(-10.0, 0.0, size=400),
            "count": rng.integers(0, 30, size=400),
            "colour": rng.choice(np.array(["red", "blue", "green"], dtype=object), size=400, p=[0.8, 0.1, 0.1]),
            "flag": rng.random(400) < 0.05,
        }
    )
    result = fidelity(real, noise)
    assert result["quality"] < 0.6, result["quality"]
    assert result["c2st_auc"] > 0.95
    assert result["exact_copy_share"] == 0.0 and result["dcr_median"] > result["dcr_holdout_median"]
    draw = fidelity(real, mixed_table(n=400, seed=9))  # the same process: hard to tell apart, no copies
    assert draw["c2st_auc"] < 0.65 and draw["quality"] > 0.85 and draw["exact_copy_share"] == 0.0


def test_column_shapes_and_correlation_trends_follow_sdmetrics_formulas() -> None:
    real = mixed_table(n=300).dropna()
    other = mixed_table(n=300, seed=4).dropna()
    result = fidelity(real, other)
    assert result["column_shapes"]["x"] == pytest.approx(1.0 - result["ks"]["x"])
    assert result["column_shapes"]["colour"] == pytest.approx(1.0 - result["tvd"]["colour"])
    pairs = {tuple(p["columns"]): p for p in result["column_pair_trends"]}
    r_real, r_other = np.corrcoef(real["x"], real["y"])[0, 1], np.corrcoef(other["x"], other["y"])[0, 1]
    assert pairs[("x", "y")]["metric"] == "correlation"
    assert pairs[("x", "y")]["score"] == pytest.approx(1.0 - abs(r_real - r_other) / 2.0)
    shapes = [v for v in result["column_shapes"].values() if v is not None]
    # SDMetrics' QualityReport counts only the pairs associated in the real table: |r| > 0.5, Cramér's V > 0.3
    assert pairs[("x", "y")]["counted"] and pairs[("x", "y")]["real_association"] == pytest.approx(r_real)
    v = association(crosstab(real["colour"], real["flag"]).count, method="cramer")
    assert pairs[("colour", "flag")]["real_association"] == pytest.approx(v) and pairs[("colour", "flag")]["counted"]
    assert not pairs[("x", "count")]["counted"]  # independent columns
    trends = [p["score"] for p in result["column_pair_trends"] if p["counted"]]
    assert 0 < len(trends) < len(pairs)
    assert result["quality"] == pytest.approx((np.mean(shapes) + np.mean(trends)) / 2.0)


def test_contingency_counts_gaps_as_a_level_and_bins_each_frame_on_its_own_range() -> None:
    real = pd.DataFrame({"c": ["a", "a", None, "b"], "d": ["u", "v", "u", "v"]})
    synthetic = pd.DataFrame({"c": ["a", None, None, "b"], "d": ["u", "v", "u", "v"]})
    pairs = fidelity(real, synthetic)["column_pair_trends"]
    # joint shares: (a,u) 1/4 vs 1/4, (a,v) 1/4 vs 0, (gap,u) 1/4 vs 1/4, (gap,v) 0 vs 1/4, (b,v) 1/4 vs 1/4
    assert pairs[0]["metric"] == "contingency" and pairs[0]["score"] == pytest.approx(0.75)
    # SDMetrics' QualityReport bins a number on each frame's own range: shifting it changes nothing
    rng = np.random.default_rng(0)
    numbers = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(["p", "q"], size=200)})
    shifted = numbers.assign(x=numbers["x"] + 100.0)
    result = fidelity(numbers, shifted)
    assert result["column_pair_trends"][0]["score"] == pytest.approx(1.0)
    assert result["column_shapes"]["x"] == pytest.approx(0.0)


def test_a_constant_numeric_pair_has_no_correlation_score() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "k": [5.0] * 6})
    result = fidelity(frame, frame)
    assert result["column_pair_trends"] == [
        {"columns": ["x", "k"], "metric": "correlation", "score": None, "real_association": None, "counted": False}
    ]
    assert result["column_pair_trends_score"] is None and result["quality"] == pytest.approx(1.0)


def test_dcr_is_zero_for_copied_rows_with_gaps_and_counts_differences() -> None:
    real = pd.DataFrame({"x": [0.0, 1.0, np.nan, 3.0, 4.0, 5.0], "c": ["a", None, "b", "a", "b", "a"]})
    copies = real.iloc[[1, 2, 2, 5]].reset_index(drop=True)  # gaps included
    result = fidelity(real, copies, detection=True)
    assert result["dcr_median"] == 0.0 and result["exact_copy_share"] == 1.0
    moved = copies.assign(c=["b", "b", "a", "b"])  # rows 0, 2 and 3 change a level
    far = fidelity(real, moved)
    assert far["exact_copy_share"] < 1.0 and far["dcr_median"] > 0.0


def test_detection_can_be_skipped_and_everything_stays_plain_json() -> None:
    frame = mixed_table()
    skipped = fidelity(frame, mixed_table(seed=2), detection=False)
    for key in ("c2st_auc", "dcr_median", "exact_copy_share", "dcr_holdout_median", "holdout_exact_copy_share"):
        assert skipped[key] is None
    assert type(skipped["quality"]) is float
    result = fidelity(frame, mixed_table(seed=2))
    assert json.loads(json.dumps(result)) == result
    assert all(type(result[k]) is float for k in ("quality", "c2st_auc", "dcr_median", "exact_copy_share"))
    empty = fidelity(pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"x": [np.nan, np.nan]}))
    assert empty["column_shapes"] == {"x": None} and empty["quality"] is None
    json.dumps(empty)


@pytest.mark.filterwarnings("ignore:training stopped at its cap")
def test_a_table_run_reports_its_generated_rows() -> None:
    import vaekit
    from vaekit.data.loaded import LoadedData
    from vaekit.runs.report import synthetic_fact
    from vaekit.runs.run import synthetic_summary

    frame = mixed_table(n=200)
    model = vaekit.VAE(epochs=2, hidden=(16,), latent_dim=2, random_state=0, verbose=0).fit(frame)
    X = np.zeros((len(frame), frame.shape[1]), dtype=np.float32)  # a mixed table's numbers; the model reads frame
    loaded = LoadedData(X, None, None, list(frame.columns), None, None, "test", "table", frame=frame)
    summary = synthetic_summary(model, loaded, seed=0)
    assert summary is not None and summary["n"] == 200
    assert 0.0 <= summary["quality"] <= 1.0 and 0.0 <= summary["c2st_auc"] <= 1.0
    line = synthetic_fact(summary)
    assert line.startswith("quality ") and "C2ST AUC" in line and "exact copies" in line
    assert "column pairs" not in line  # every pair was measured
    wide = synthetic_fact({**summary, "pairs": 2000, "pairs_total": 306936})
    assert wide.endswith("; pair trends over 2,000 of the 306,936 column pairs, drawn at random")
    numbers = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    plain = vaekit.VAE(epochs=2, random_state=0, verbose=0).fit(numbers)
    as_table = LoadedData(numbers, None, None, ["a", "b", "c"], None, None, "test", "table")
    assert synthetic_summary(plain, as_table, seed=0)["n"] == 50  # type: ignore[index]  # a table of numbers too
    images = LoadedData(numbers.reshape(50, 1, 3), None, None, None, None, None, "test", "images")
    assert synthetic_summary(plain, images, seed=0) is None


def test_max_pairs_measures_a_seeded_sample_of_the_column_pairs() -> None:
    rng = np.random.default_rng(0)
    real = pd.DataFrame(rng.normal(size=(200, 8)), columns=[f"c{j}" for j in range(8)])
    synthetic = pd.DataFrame(rng.normal(size=(200, 8)), columns=real.columns)
    every = fidelity(real, synthetic, detection=False)
    assert every["n_pairs"] == every["n_pairs_total"] == 28 and len(every["associations"]) == 28
    some = fidelity(real, synthetic, detection=False, max_pairs=5)
    assert some["n_pairs"] == 5 and some["n_pairs_total"] == 28
    chosen = [pair["columns"] for pair in some["associations"]]
    assert chosen == [pair["columns"] for pair in some["column_pair_trends"]]  # the same pairs in both
    assert chosen == sorted(chosen, key=lambda p: (int(p[0][1:]), int(p[1][1:])))  # in column order
    again = fidelity(real, synthetic, detection=False, max_pairs=5)
    assert [p["columns"] for p in again["associations"]] == chosen  # seeded by random_state
    assert fidelity(real, synthetic, detection=False, max_pairs=28)["n_pairs"] == 28
