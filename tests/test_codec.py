"""Every fitted estimator has one data codec (``codec_``), and the code around a model asks it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

import vaekit
from vaekit import VAE, AutoEncoder
from vaekit.data.codec import ArrayCodec, TableCodec

SRC = Path(vaekit.__file__).parent
SMALL = {"latent_dim": 2, "hidden": (8,), "epochs": 2, "random_state": 0, "verbose": 0}


def test_an_array_model_has_the_scaling_as_its_codec() -> None:
    X = np.random.default_rng(0).normal(loc=5.0, scale=3.0, size=(80, 4)).astype(np.float32)
    model = VAE(**SMALL).fit(X)
    codec = model.codec_
    assert isinstance(codec, ArrayCodec) and not codec.tabular and codec.columns is None
    assert codec.n_columns == codec.n_encoded == 4 and codec.layout() is None and codec.names is None
    encoded = codec.encode(X)
    np.testing.assert_allclose(encoded.mean(0), 0.0, atol=1e-5)  # standardized
    np.testing.assert_allclose(codec.decode(encoded), X, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(codec.log_scale(encoded), np.log(X.std(0, dtype=np.float64)).sum(), rtol=1e-5)


def test_a_table_model_has_the_table_encoder_as_its_codec() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"size": rng.normal(10.0, 2.0, 60), "colour": rng.choice(["red", "blue"], 60), "n": rng.integers(0, 15, 60)}
    )
    frame.loc[3, "size"] = np.nan
    model = AutoEncoder(**SMALL).fit(frame)
    codec = model.codec_
    assert isinstance(codec, TableCodec) and codec.tabular and codec.scaling is None
    assert codec.names == ["size", "colour", "n"] and codec.n_columns == 3
    assert [c.kind for c in codec.columns] == ["continuous", "binary", "count"]
    assert codec.n_encoded == model.input_shape_[0] and len(codec.layout()) == 3
    observed = codec.observed(frame)
    assert observed.shape == (60, 3) and not observed[3, 0] and observed[:, 1:].all()
    out = codec.decode(codec.values(frame), index=frame.index)  # the target space back in the user's types
    assert list(out.columns) == codec.names and set(out["colour"]) <= {"red", "blue"}
    np.testing.assert_allclose(out["size"].drop(index=3), frame["size"].drop(index=3), rtol=1e-5)
    assert out["n"].tolist() == frame["n"].tolist()


def test_no_module_outside_the_estimators_asks_which_kind_of_data_a_model_has() -> None:
    asking = re.compile(r"""getattr\([^)]*["']table_["']""")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "estimators" not in path.relative_to(SRC).parts and asking.search(path.read_text())
    ]
    assert offenders == []


def test_an_unfitted_model_has_no_codec() -> None:
    assert not hasattr(VAE(), "codec_")


def test_a_table_of_numbers_gives_plausible_values_and_keeps_its_bounds_when_saved(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    n = 300
    wage = np.round(rng.gamma(2.0, 15.0, n), 2)  # never negative, two decimals
    visits = rng.poisson(2.0, n).astype(float)  # whole numbers from 0
    share = np.clip(rng.normal(50, 30, n), 0, 100)  # a percentage, with many at its ends
    X = np.column_stack([wage, visits, share])
    model = VAE(latent_dim=2, hidden=(16,), epochs=30, random_state=0, verbose=0).fit(X)
    rows = model.sample(2000, random_state=0)
    assert (rows.min(axis=0) >= X.min(axis=0) - 1e-4).all() and (rows.max(axis=0) <= X.max(axis=0) + 1e-4).all()
    np.testing.assert_allclose(rows[:, 1], np.round(rows[:, 1]))  # whole numbers stay whole
    np.testing.assert_allclose(rows[:, 0], np.round(rows[:, 0], 2), atol=1e-4)  # two decimals stay two
    raw = model.sample(2000, random_state=0, plausible=False)
    assert (raw[:, 1] != np.round(raw[:, 1])).any()  # the decoder's own values: not rounded
    model.save(tmp_path / "m")
    again = vaekit.load(tmp_path / "m")
    np.testing.assert_array_equal(again.sample(50, random_state=1), model.sample(50, random_state=1))
    assert again.codec_.bounds == model.codec_.bounds


def test_images_get_no_bounds() -> None:
    X = np.random.default_rng(0).random((40, 6, 6)).astype(np.float32)
    assert VAE(**SMALL).fit(X).codec_.bounds is None
