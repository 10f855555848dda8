"""Reasons relative to each feature's usual part, the latent code as a reason, and gaps counted (issue 27)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from vaekit import VAE, OutlierDetector

QUICK = dict(epochs=150, verbose=0, random_state=0, hidden=(16,))


def frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = rng.normal(size=n)
    return pd.DataFrame(
        {
            "t": t,
            "u": 2 * t + 0.1 * rng.normal(size=n),
            "wide": rng.uniform(1, 31, n).round(),  # a day of the month: always costly, never the reason
            "constant": np.full(n, 7.0),
        }
    )


def test_a_wide_column_and_a_constant_one_are_not_the_reason_of_every_row() -> None:
    data = frame()
    data.loc[:9, "u"] += 6.0  # ten rows off the line: u is their reason
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = OutlierDetector(**QUICK).fit(data)
    from vaekit.cli.detect import top_features

    raw = model.explain(data, relative=False)
    relative = model.explain(data)
    assert (raw.idxmax(axis=1) == "wide").mean() > 0.5  # what the old reasons named
    reasons = top_features(relative.to_numpy(), list(data.columns), 3, spread=model.feature_spread_)
    assert np.mean(["wide" in r for r in reasons[10:]]) < 0.2  # about the 10% above its 0.9 quantile
    assert np.mean([r.startswith("u ") for r in reasons[:10]]) >= 0.8  # the rows off the line: u first
    assert not any("constant" in r for r in reasons)  # at its usual value: never a reason
    assert model.feature_baseline_.shape == model.feature_spread_.shape == (4,)


def test_gaps_do_not_make_a_row_look_normal() -> None:
    data = frame()[["t", "u", "wide"]]
    data.loc[50:59, "t"] = np.nan  # a few gaps in training: a table with gaps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = VAE(**QUICK).fit(data)
    rows = data.iloc[100:200].copy()
    full = model.score_samples(rows)
    gappy = rows.copy()
    gappy[["t", "wide"]] = np.nan  # the same rows, two of three entries missing
    partial = model.score_samples(gappy)
    raw = partial + (model.feature_baseline_[[0, 2]]).sum()  # what log p(x_obs) alone would give, roughly
    assert np.mean(raw > full) > 0.9  # without the gaps' usual cost the rows would look more normal
    assert abs(np.median(partial - full)) < abs(np.median(raw - full))  # with it they sit on one scale


def test_vaekit_score_names_the_latent_code_when_the_combination_is_odd() -> None:
    from vaekit.cli.detect import LATENT_REASON, top_features

    parts = np.array([[0.5, -1.0], [-0.2, -0.1], [0.3, 0.2]])
    reasons = top_features(parts, ["a", "b"], 2, np.array([2.0, -1.0, 0.0]))
    assert reasons == [f"{LATENT_REASON} (+2.00); a (+0.50)", "none above usual", "a (+0.30); b (+0.20)"]
    spread = np.array([0.4, 0.1])  # a part is a reason only further above its median than it usually reaches
    assert top_features(parts, ["a", "b"], 2, spread=spread) == ["a (+0.50)", "none above usual", "b (+0.20)"]


def test_image_reasons_are_regions() -> None:
    from vaekit.cli.detect import image_regions

    names, member = image_regions((1, 8, 8))
    assert len(names) == 16 and names[0] == "rows 0-1, columns 0-1" and names[-1] == "rows 6-7, columns 6-7"
    assert member.shape == (64, 16) and (member.sum(axis=1) == 1).all()  # each pixel in one region
    excess = np.zeros((1, 8, 8))
    excess[0, 6, 7] = 5.0  # the bottom-right corner
    assert names[int(np.argmax(excess.reshape(1, -1) @ member))] == "rows 6-7, columns 6-7"
    names, member = image_regions((28, 20))
    assert names[1] == "rows 0-6, columns 5-9" and member.shape == (560, 16)


def test_the_columns_behind_an_unusual_latent_code_are_named() -> None:
    from vaekit.cli.detect import top_features

    rng = np.random.default_rng(0)
    t = rng.normal(size=400)
    data = pd.DataFrame({"a": t + 0.05 * rng.normal(size=400), "b": t + 0.05 * rng.normal(size=400)})
    data["c"] = rng.normal(size=400)
    data["k"] = np.where(rng.uniform(size=400) < 0.5, "x", "y")
    data.loc[3, "a"] = np.nan  # a table with a gap: modelled column by column
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = VAE(**QUICK).fit(data)
    odd = data.iloc[:5].copy()
    odd["a"], odd["b"] = 3.5, 3.5  # far out together, as the data runs: the code is what is unusual
    culprits = model.latent_culprits(odd)
    assert culprits.shape == (5, 4)
    assert all(set(row) == {0, 1} for row in np.argsort(-culprits, axis=1)[:, :2])  # a and b, not c or k
    latent = model.loss_terms(odd)[1] - model.latent_baseline_
    reasons = top_features(
        model.explain(odd).to_numpy(),
        list(data.columns),
        1,
        latent,
        model.feature_spread_,
        model.latent_spread_,
        culprits,
    )
    assert all(r.startswith("latent code (an unusual combination of values: a, b") for r in reasons)
    assert model.latent_culprits(data.iloc[3:4])[0, 0] == 0.0  # a gap adds nothing
