"""Mixed tables through the estimators (issue 12): categories, counts, yes/no columns and gaps.

The generated table has known structure: two latent factors drive every column, a
categorical column is a function of the first factor, a yes/no column of the second,
so recovery and imputation can be asserted against chance and against the column
means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vaekit
from vaekit.data.loaded import DataFileError
from vaekit.data.validation import InputError

FAST = {"epochs": 400, "patience": None, "kl_warmup_epochs": 10, "verbose": 0, "random_state": 0, "hidden": (32,)}


def structured_table(n: int = 400, seed: int = 0, missing: float = 0.1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(table with gaps, the complete table): factors t1, t2 -> 2 numbers, a count, a category, a yes/no."""
    rng = np.random.default_rng(seed)
    t1, t2 = rng.normal(size=n), rng.normal(size=n)
    full = pd.DataFrame(
        {
            "length": 10 + 3 * t1 + 0.3 * rng.normal(size=n),
            "weight": 200 + 50 * t2 + 5 * rng.normal(size=n),
            "eggs": rng.poisson(np.exp(1 + 0.5 * t1)),
            "kind": pd.Categorical(np.where(t1 < -0.5, "small", np.where(t1 < 0.5, "mid", "large"))),
            "heavy": np.where(t2 > 0, "yes", "no"),
        }
    )
    gappy = full.copy()
    for column in gappy.columns:
        hide = rng.random(n) < missing
        gappy[column] = gappy[column].astype(object).where(~hide, None) if column != "kind" else gappy[column]
        if column == "kind":
            gappy.loc[hide, "kind"] = np.nan
    gappy["length"] = gappy["length"].astype(float)
    gappy["weight"] = gappy["weight"].astype(float)
    gappy["eggs"] = gappy["eggs"].astype("Int64")
    return gappy, full


@pytest.fixture(scope="module")
def fitted() -> tuple[vaekit.VAE, pd.DataFrame, pd.DataFrame]:
    gappy, full = structured_table()
    return vaekit.VAE(**FAST).fit(gappy), gappy, full


def test_a_table_with_categories_and_gaps_is_modelled_column_by_column(fitted: tuple) -> None:
    model, gappy, _ = fitted
    assert model.likelihood_ == "mixed" and model.n_features_in_ == 5
    kinds = {c.name: c.kind for c in model.table_.columns}
    assert kinds == {"length": "continuous", "weight": "continuous", "eggs": "count", "kind": "categorical",
                     "heavy": "binary"}  # fmt: skip
    Z = model.transform(gappy)
    assert Z.shape == (len(gappy), 8) == (len(gappy), model.latent_dim_) and np.isfinite(Z).all()  # 'auto'
    scores = model.score_samples(gappy)
    assert scores.shape == (len(gappy),) and np.isfinite(scores).all()


def test_outputs_come_back_in_the_users_types(fitted: tuple) -> None:
    model, gappy, _ = fitted
    for out in (model.reconstruct(gappy.head(20)), model.sample(30, random_state=0), model.impute(gappy.head(20))):
        assert list(out.columns) == list(gappy.columns)
        assert set(out["kind"].dropna()) <= {"small", "mid", "large"}
        assert set(out["heavy"].dropna()) <= {"yes", "no"}
        assert out["eggs"].dropna().apply(lambda v: float(v).is_integer() and v >= 0).all()
    assert isinstance(model.reconstruct(gappy.head(3))["kind"].dtype, pd.CategoricalDtype)


def test_reconstruction_recovers_the_structure(fitted: tuple) -> None:
    model, _, full = fitted
    out = model.reconstruct(full)
    accuracy = (out["kind"].astype(str) == full["kind"].astype(str)).mean()
    assert accuracy > 0.8  # chance is about 0.38
    assert (out["heavy"] == full["heavy"]).mean() > 0.8
    r = np.corrcoef(out["length"], full["length"])[0, 1]
    assert r > 0.9


def test_impute_fills_only_the_gaps_and_beats_the_column_means(fitted: tuple) -> None:
    model, gappy, full = fitted
    filled = model.impute(gappy)
    observed = gappy.notna()
    for column in gappy.columns:
        kept = observed[column]
        assert (filled.loc[kept, column].astype(str) == gappy.loc[kept, column].astype(str)).all(), column
        assert filled[column].notna().all(), column
    hidden = ~observed["length"]
    error = np.abs(filled.loc[hidden, "length"] - full.loc[hidden, "length"]).mean()
    baseline = np.abs(gappy["length"].mean() - full.loc[hidden, "length"]).mean()
    assert error < 0.7 * baseline
    hidden = ~observed["kind"]
    assert (filled.loc[hidden, "kind"].astype(str) == full.loc[hidden, "kind"].astype(str)).mean() > 0.6
    draws = model.impute(gappy.head(50), n_draws=3, random_state=0)
    assert len(draws) == 3 and all(d.notna().all().all() for d in draws)


def test_an_unseen_category_is_a_gap_with_a_warning_and_a_missing_column_an_error(fitted: tuple) -> None:
    model, gappy, _ = fitted
    odd = gappy.head(5).copy()
    odd["heavy"] = ["yes", "no", "maybe", "yes", "no"]
    with pytest.warns(UserWarning, match="maybe"):
        model.transform(odd)
    with pytest.raises((DataFileError, InputError), match="kind"):
        model.transform(gappy.drop(columns=["kind"]))


def test_numpy_with_gaps_gives_numpy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4))
    X[rng.random(X.shape) < 0.1] = np.nan
    model = vaekit.AutoEncoder(epochs=30, verbose=0, random_state=0).fit(X)
    assert model.likelihood_ == "mixed"
    filled = model.impute(X)
    assert isinstance(filled, np.ndarray) and filled.shape == X.shape and not np.isnan(filled).any()
    assert np.array_equal(filled[~np.isnan(X)], X[~np.isnan(X)])
    assert isinstance(model.sample(4), np.ndarray)


def test_a_table_model_saves_and_loads(fitted: tuple, tmp_path) -> None:  # type: ignore[no-untyped-def]
    model, gappy, _ = fitted
    model.save(tmp_path / "m")
    loaded = vaekit.load(tmp_path / "m")
    assert np.allclose(loaded.transform(gappy), model.transform(gappy), atol=1e-5)
    pd.testing.assert_frame_equal(loaded.impute(gappy.head(30)), model.impute(gappy.head(30)))


def test_column_types_override_and_bad_tables() -> None:
    gappy, _ = structured_table(n=120)
    model = vaekit.VAE(**{**FAST, "epochs": 5}, column_types={"eggs": "continuous"}).fit(gappy)
    assert {c.name: c.kind for c in model.table_.columns}["eggs"] == "continuous"
    empty = gappy.assign(nothing=np.nan)
    with pytest.raises(DataFileError, match="nothing"):
        vaekit.VAE(**FAST).fit(empty)
    rows, _ = structured_table(n=400)
    many = rows.assign(code=[f"c{i % 150}" for i in range(len(rows))])
    with pytest.raises(DataFileError, match=r"150 levels.*max_categories"):
        vaekit.VAE(**FAST, max_categories=100).fit(many)


def test_complete_numeric_tables_keep_the_plain_path() -> None:
    X = np.random.default_rng(0).normal(size=(60, 3))
    model = vaekit.VAE(**{**FAST, "epochs": 2}).fit(pd.DataFrame(X, columns=list("abc")))
    assert model.likelihood_ == "gaussian-learned" and not hasattr(model, "table_")  # a variance per column
    with pytest.raises(InputError, match="impute"):
        model.impute(X)


def test_the_cli_trains_on_a_mixed_csv_and_imputes_its_gaps(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    gappy, _ = structured_table(n=150, seed=3)
    gappy.insert(0, "name", [f"r{i}" for i in range(len(gappy))])
    csv = tmp_path / "mixed.csv"
    gappy.to_csv(csv, index=False)
    run = tmp_path / "run"
    result = cli("train", csv, "--id", "name", "--count", "eggs", "--out", run, "--epochs", "3", "--quiet")
    assert "per column" in result.stdout and "categories:" in result.stdout
    assert (run / "figures" / "marginals.png").exists() and "marginals" in (run / "report.html").read_text()
    result = cli("impute", run, csv, "-o", tmp_path / "filled.csv")
    filled = pd.read_csv(tmp_path / "filled.csv")
    assert list(filled.columns) == list(gappy.columns)  # the id column first, then the model's columns
    assert filled.drop(columns="name").notna().all().all()
    assert set(filled["kind"]) <= {"small", "mid", "large"} and set(filled["heavy"]) <= {"yes", "no"}
    kept = gappy["length"].notna()
    assert np.allclose(filled.loc[kept, "length"], gappy.loc[kept, "length"])
    assert f"filled {int(gappy.drop(columns='name').isna().sum().sum()):,} missing entries" in result.stdout
    cli("reconstruct", run, csv, "-o", tmp_path / "rebuilt.csv")
    rebuilt = pd.read_csv(tmp_path / "rebuilt.csv")
    assert "reconstruction_nll" in rebuilt.columns and set(rebuilt["kind"]) <= {"small", "mid", "large"}
    evaluated = cli("evaluate", run, csv)
    assert "per column" in evaluated.stdout and "kind " in evaluated.stdout and "% right" in evaluated.stdout
    cli("sample", run, "-n", "7", "-o", tmp_path / "samples.csv")
    assert len(pd.read_csv(tmp_path / "samples.csv")) == 7
    drawn = cli("impute", run, csv, "-o", tmp_path / "draw.csv", "--draws", "2")
    assert (tmp_path / "draw-1.csv").exists() and (tmp_path / "draw-2.csv").exists(), drawn.stdout


def test_the_cli_refuses_impute_with_a_model_of_numbers(cli, table_run, table_csv, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = cli("impute", table_run, table_csv, "-o", tmp_path / "f.csv", ok=False)
    assert "cannot fill gaps" in result.stderr and not (tmp_path / "f.csv").exists()


def test_the_readme_example_for_a_table_with_gaps_runs_as_written() -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## Tables with categories and gaps") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace: dict = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    assert {c.name: c.kind for c in namespace["vae"].table_.columns} == {
        "species": "categorical", "bill_mm": "continuous", "eggs": "categorical", "sex": "binary"}  # fmt: skip
    assert [c.name for c in namespace["vae"].table_.columns if c.ordered] == ["eggs"]
    assert namespace["filled"].notna().all().all() and len(namespace["draws"]) == 5


def test_the_latent_scatter_colours_by_a_column_with_gaps() -> None:
    from vaekit.plots.latent import plot_latent_scatter

    Z = np.random.default_rng(0).normal(size=(50, 2))
    mass = np.linspace(3000.0, 6000.0, 50)
    mass[[3, 7]] = np.nan
    figure = plot_latent_scatter(Z, mass, label_name="body_mass_g")
    assert "2 rows without a body_mass_g left out" in figure.axes[0].get_title()
    with pytest.raises(ValueError, match="all missing"):
        plot_latent_scatter(Z, np.full(50, np.nan))


@pytest.mark.parametrize("cell", [[1, 2], {"x": 1}, (1, 2), np.zeros(2)], ids=["list", "dict", "tuple", "array"])
def test_nested_values_are_refused_at_fit_and_read_as_text_after(cell: object) -> None:
    frame = pd.DataFrame({"a": np.arange(30.0), "b": ["x", "y", "z"] * 10})
    nested = frame.astype(object)
    nested["b"] = [cell] * 30
    with pytest.raises(DataFileError, match=f"column 'b' holds {type(cell).__name__} values"):
        vaekit.VAE(epochs=1, verbose=0).fit(nested)
    model = vaekit.VAE(epochs=1, verbose=0, random_state=0).fit(frame)
    odd = frame.astype(object)
    odd.at[4, "a"] = cell
    odd.at[5, "b"] = cell
    with pytest.warns(UserWarning, match="not numbers are treated as missing"):
        Z = model.transform(odd)
    assert np.isfinite(Z).all()
    filled = model.impute(odd)
    assert filled.at[4, "a"] is cell and filled.at[5, "b"] is cell  # written by the user: kept as it is


def test_pandas_in_pandas_out_with_the_inputs_index_order_and_categories() -> None:
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "c": pd.Categorical(rng.choice(["a", "b"], n)),
            "k": rng.poisson(3, n).astype(float),
        }
    )
    frame.loc[[3, 10, 50], "x"] = np.nan
    frame.loc[[7, 60], "c"] = np.nan
    model = vaekit.VAE(latent_dim=2, hidden=(8,), epochs=3, random_state=0, verbose=0).fit(frame)
    filtered = frame.iloc[::-3]  # another order, an index that is not 0..n-1
    filled, plain = model.impute(filtered), model.impute(filtered.reset_index(drop=True))
    assert filled.index.equals(filtered.index) and isinstance(filled["c"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(filled.reset_index(drop=True), plain)
    named = filtered.set_axis([f"row {i}" for i in filtered.index])  # a string index
    pd.testing.assert_frame_equal(model.impute(named).reset_index(drop=True), plain)
    assert not model.impute(named).isna().any().any()
    rebuilt = model.reconstruct(filtered)
    assert rebuilt.index.equals(filtered.index) and list(rebuilt.columns) == ["x", "c", "k"]
    np.testing.assert_allclose(model.score_samples(filtered), model.score_samples(frame)[filtered.index.to_numpy()])
    codes = model.set_output(transform="pandas").transform(named)
    assert codes.index.equals(named.index)
