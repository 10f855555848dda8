"""Few-valued numbers as ordered levels, and the table defaults of latent_dim and beta (issue 26)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vaekit
from vaekit.data.table.encoder import TableEncoder
from vaekit.data.table.kinds import FEW_LEVELS, ROWS_PER_LEVEL, infer_column

FAST = dict(epochs=400, patience=None, hidden=(32,), random_state=0, verbose=0)


def table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.normal(0.0, 1.0, n)
    return pd.DataFrame(
        {
            "size": size,
            "rating": np.clip(np.round(3 + 1.5 * size), 1, 5).astype(np.int64),  # 1..5, follows size
            "colour": rng.choice(["red", "blue", "green"], n),
        }
    )


@pytest.mark.parametrize("levels", [3, 7, FEW_LEVELS])
def test_numbers_with_few_values_and_enough_rows_are_ordered_levels(levels: int) -> None:
    values = pd.Series(np.arange(ROWS_PER_LEVEL * levels) % levels * 2.5 + 1.0)
    spec = infer_column(values, "x")
    assert spec.kind == "categorical" and spec.ordered
    assert spec.categories == tuple(1.0 + 2.5 * k for k in range(levels))  # in increasing order


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (np.arange(ROWS_PER_LEVEL * 5 - 1) % 5, "count"),  # one row short of 10 per value
        (np.arange(200) % (FEW_LEVELS + 1), "count"),  # one value too many
        (np.arange(200) % 2, "binary"),
        (np.arange(200) % 5 + 0.5, "continuous"),  # few values, but given: off below
    ],
    ids=["too-few-rows", "too-many-values", "two-values", "off"],
)
def test_other_numbers_keep_their_kind(values: np.ndarray, kind: str) -> None:
    few = 0 if kind == "continuous" else FEW_LEVELS
    spec = infer_column(pd.Series(values), "x", few_levels=few)
    assert spec.kind == kind and not spec.ordered


def test_numbers_written_as_text_and_declared_kinds_are_not_made_ordered() -> None:
    assert not infer_column(pd.Series(["1", "2", "3"] * 20), "x").ordered
    numbers = pd.Series(np.arange(60) % 3)
    assert infer_column(numbers, "x", "count").kind == "count"
    assert not infer_column(numbers, "x", "categorical").ordered


def test_an_ordered_column_survives_saving(tmp_path) -> None:
    encoder = TableEncoder.fit(table())
    again = TableEncoder.from_json(encoder.to_json())
    assert [c.ordered for c in again.columns] == [False, True, False]
    assert again.columns[1].categories == (1, 2, 3, 4, 5)


def test_samples_and_imputations_of_an_ordered_column_are_its_values() -> None:
    full = table()
    gappy = full.copy()
    hidden = np.arange(0, len(full), 7)
    gappy.loc[hidden, "rating"] = pd.NA
    gappy["rating"] = gappy["rating"].astype("Int64")
    vae = vaekit.VAE(**FAST).fit(gappy)
    assert [c.name for c in vae.table_.columns if c.ordered] == ["rating"]
    filled = vae.impute(gappy, random_state=0)
    assert filled["rating"].dtype == gappy["rating"].dtype and filled["rating"].notna().all()
    assert set(filled["rating"]) <= {1, 2, 3, 4, 5}
    guessed = filled["rating"].to_numpy(dtype=float)[hidden]
    truth = full["rating"].to_numpy(dtype=float)[hidden]
    # the level nearest the conditional mean: better than the column's mean (rating follows size)
    assert np.sqrt(np.mean((guessed - truth) ** 2)) < np.std(truth)
    pd.testing.assert_series_equal(filled["rating"].drop(index=hidden), gappy["rating"].drop(index=hidden))
    drawn = vae.sample(200, random_state=0)["rating"]
    assert set(drawn) <= {1, 2, 3, 4, 5} and drawn.nunique() >= 3


def test_the_detector_keeps_few_valued_numbers_as_numbers() -> None:
    # a value a column never took in training must score as unusual, not be read as a gap
    frame = table()
    frame.loc[5, "size"] = np.nan
    detector = vaekit.OutlierDetector(epochs=2, random_state=0, verbose=0).fit(frame)
    assert detector.likelihood_ == "mixed" and not any(c.ordered for c in detector.table_.columns)


def test_latent_dim_and_beta_auto_by_the_data() -> None:
    mixed = vaekit.VAE(epochs=2, random_state=0, verbose=0).fit(table())
    assert mixed.get_params()["latent_dim"] == "auto" and mixed.get_params()["beta"] == "auto"
    assert mixed.latent_dim_ == 8 and mixed.training_settings_["beta"] == 0.5
    assert mixed.transform(table()).shape == (300, 8)
    numbers = vaekit.VAE(epochs=2, random_state=0, verbose=0).fit(np.random.default_rng(0).normal(size=(100, 4)))
    assert numbers.latent_dim_ == 2 and numbers.training_settings_["beta"] == 1.0
    given = vaekit.VAE(latent_dim=3, beta=2.0, epochs=2, random_state=0, verbose=0).fit(table())
    assert given.latent_dim_ == 3 and "beta" not in given.training_settings_


def test_latent_dim_auto_is_saved_and_loaded(tmp_path) -> None:
    vae = vaekit.VAE(epochs=2, random_state=0, verbose=0).fit(table())
    vae.save(tmp_path / "m")
    back = vaekit.load(tmp_path / "m")
    assert back.latent_dim == "auto" and back.latent_dim_ == 8
    np.testing.assert_allclose(back.transform(table()), vae.transform(table()), atol=1e-6)


def test_unused_dimensions_of_an_auto_latent_size_are_no_collapse() -> None:
    from types import SimpleNamespace

    from vaekit.data.codec import ArrayCodec
    from vaekit.data.preprocessing import Scaling
    from vaekit.estimators import findings

    codec = ArrayCodec(Scaling(), (4,), ["a", "b", "c", "d"])
    chosen = SimpleNamespace(latent_dim="auto", latent_dim_=8, n_features_in_=4, codec_=codec)
    given = SimpleNamespace(latent_dim=8, latent_dim_=8, n_features_in_=4, codec_=codec)
    kinds = lambda estimator, active: [  # noqa: E731
        type(w).__name__ for w in findings.evaluation_findings(estimator, {"active_units": active})
    ]
    assert "PosteriorCollapseWarning" not in kinds(chosen, 3)  # "auto" is generous: a VAE switches off the rest
    assert "PosteriorCollapseWarning" in kinds(chosen, 0)  # none used at all is collapse
    assert "PosteriorCollapseWarning" in kinds(given, 3)  # asked for 8, used 3: said
