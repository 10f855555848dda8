"""The NumPy forward pass (:mod:`vaekit.io.numpy_forward`) against the estimators it stands in for.

``vaekit encode``, ``decode`` and ``reconstruct`` of a model of numeric rows run without torch;
their numbers must be the estimator's (to 1e-4), and every other model must still go through
the estimator. Whether the command imports torch is checked in ``test_cli_smoke.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.numpy import load_file, save_file

from vaekit import IWAE, VAE, VQVAE, AutoEncoder, BetaTCVAE, ConditionalVAE, DenoisingAutoEncoder, OutlierDetector
from vaekit.estimators import REGISTRY, BaseAutoEncoder, estimator_class, load
from vaekit.io.numpy_forward import ACTIVATIONS, KINDS, NumpyModel, numpy_model
from vaekit.models.ae import AutoEncoderModel
from vaekit.models.vae import VAEModel
from vaekit.nn import ACTIVATIONS as TORCH_ACTIVATIONS
from vaekit.nn import make_activation

pytestmark = pytest.mark.filterwarnings("ignore:training stopped at its cap")  # the models train 1 or 2 epochs

TOLERANCE = 1e-4
QUICK: dict[str, Any] = {"epochs": 2, "hidden": (8, 4), "verbose": 0, "random_state": 0}


def rows(n: int = 60, d: int = 5, seed: int = 0) -> np.ndarray:
    """Correlated numeric rows with a few far values, in units far from 1."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(n, 1))
    X = np.hstack([t, 3 * t + rng.normal(size=(n, 1)), rng.normal(size=(n, d - 2))]) * 40 + 100
    X[:3] *= 5  # far values: robust-asinh compresses them
    return X.astype(np.float32)


def frame(X: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(X, columns=[f"c{j}" for j in range(X.shape[1])])


def saved(estimator: BaseAutoEncoder, X: Any, folder: Path) -> tuple[BaseAutoEncoder, NumpyModel]:
    """``estimator`` fitted on X and saved; the estimator loaded back and its NumPy twin."""
    estimator.fit(X).save(folder)
    fast = numpy_model(folder)
    assert fast is not None, f"{type(estimator).__name__} did not take the NumPy path"
    return load(folder), fast


def close(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype == np.float32, (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE * max(1.0, float(np.abs(b).max())))


CASES = {
    "vae": lambda: VAE(latent_dim=2, **QUICK),  # gaussian-learned, standardized
    "ae": lambda: AutoEncoder(latent_dim=2, **QUICK),
    "detector": lambda: OutlierDetector(latent_dim=2, **QUICK),  # robust-asinh
    "vae-no-preprocessing": lambda: VAE(latent_dim=3, preprocessing="none", likelihood="gaussian", **QUICK),
    "dae-tanh": lambda: DenoisingAutoEncoder(latent_dim=2, activation="tanh", **QUICK),
    "iwae-elu": lambda: IWAE(latent_dim=2, activation="elu", **QUICK),
    "btcvae-silu": lambda: BetaTCVAE(latent_dim=2, activation="silu", **QUICK),
    "vae-leaky-relu": lambda: VAE(latent_dim=2, activation="leaky_relu", hidden=(6,), epochs=1, verbose=0),
    "ae-sigmoid": lambda: AutoEncoder(latent_dim=2, activation="sigmoid", **QUICK),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_numpy_pass_gives_the_estimators_numbers(case: str, tmp_path: Path) -> None:
    scale = 0.01 if case == "vae-no-preprocessing" else 1.0  # numbers near 1 for a model of the raw values
    estimator, fast = saved(CASES[case](), frame(scale * rows()), tmp_path / "model")
    assert fast.variational == estimator.variational and fast.latent_dim_ == estimator.latent_dim_
    assert fast.input_shape_ == estimator.input_shape_ and fast.scaling_.kind == estimator.scaling_.kind
    assert list(fast.feature_names_in_) == list(estimator.feature_names_in_)
    if case == "detector":
        assert fast.scaling_.kind == "robust-asinh"
    new = frame(scale * rows(n=50, seed=1))  # rows it was not fitted on, as a DataFrame (what the command gives)
    close(fast.transform(new), estimator.transform(new))
    if estimator.variational:
        for got, want in zip(fast.encode(new), estimator.encode(new)):
            close(got, want)
    Z = np.random.default_rng(2).normal(size=(40, estimator.latent_dim_)).astype(np.float32) * 2
    for plausible in (True, False):
        close(fast.inverse_transform(Z, plausible=plausible), estimator.inverse_transform(Z, plausible=plausible))
        close(fast.reconstruct(new, plausible=plausible), estimator.reconstruct(new, plausible=plausible))


@pytest.mark.parametrize("likelihood", ["bernoulli", "continuous-bernoulli"])
def test_decoded_means_of_the_unit_interval_likelihoods(likelihood: str, tmp_path: Path) -> None:
    X = np.random.default_rng(0).uniform(size=(60, 6)).astype(np.float32)
    estimator, fast = saved(VAE(latent_dim=2, likelihood=likelihood, **QUICK), X, tmp_path / "model")
    assert fast.feature_names_in_ is None
    close(fast.transform(X), estimator.transform(X))
    Z = np.concatenate([np.zeros((1, 2)), np.random.default_rng(1).normal(size=(30, 2)) * 3]).astype(np.float32)
    close(fast.inverse_transform(Z), estimator.inverse_transform(Z))  # logits near 0: the Taylor branch too


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_are_torchs(name: str) -> None:
    x = np.concatenate([np.linspace(-100, 100, 2001), [-1e-3, 0.0, 1e-3]]).astype(np.float32)
    with np.errstate(over="ignore"):
        got = ACTIVATIONS[name](x)
    want = make_activation(name)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert got.dtype == np.float32


def test_every_activation_but_gelu_and_every_kind_but_the_refused_ones_is_covered() -> None:
    """A new activation or model kind is a decision: run it here (and test it), or leave it to torch."""
    assert set(TORCH_ACTIVATIONS) - set(ACTIVATIONS) == {"gelu"}  # NumPy has no erf
    assert {cls.__name__ for cls in REGISTRY.values()} - set(KINDS) == {"ConditionalVAE", "VQVAE"}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_kinds_compute_what_the_numpy_pass_assumes(name: str) -> None:
    """Each kind's transform is its encoder's output (or its first half), and its decoded mean the
    likelihood's mean of its decoder's output: no kind overrides the methods that say so."""
    cls = estimator_class(name)
    assert cls.variational == KINDS[name] and not cls.conditional
    for method in ("transform", "inverse_transform", "reconstruct", "_codes", "_decode_means", "_check_X"):
        assert getattr(cls, method) is getattr(BaseAutoEncoder, method), (name, method)
    if cls.variational:
        assert cls.encode is VAE.encode
    assert issubclass(cls.module, AutoEncoderModel)
    assert cls.module.decode is AutoEncoderModel.decode
    assert cls.module.encode is (VAEModel.encode if KINDS[name] else AutoEncoderModel.encode)
    assert cls.module.encoder_outputs is (VAEModel if KINDS[name] else AutoEncoderModel).encoder_outputs


# ----------------------------------------------------------------- the models it leaves to torch
def _mixed() -> pd.DataFrame:
    table = frame(rows(n=60, d=3))
    table["kind"] = np.where(np.arange(60) % 3 == 0, "a", "b")
    return table


def _digits() -> np.ndarray:
    from vaekit import datasets

    return datasets.load("digits")[0][:150]


LEFT_TO_TORCH = {
    "mixed table": (lambda: VAE(latent_dim=2, **QUICK), _mixed),
    "images, conv": (lambda: VAE(latent_dim=2, epochs=1, verbose=0, random_state=0), _digits),
    "images, mlp": (lambda: AutoEncoder(latent_dim=2, architecture="mlp", **QUICK), _digits),
    "conditional": (lambda: ConditionalVAE(latent_dim=2, **QUICK), None),
    "vq-vae": (lambda: VQVAE(latent_dim=2, **QUICK), lambda: rows()),
    "gelu": (lambda: VAE(latent_dim=2, activation="gelu", **QUICK), lambda: rows()),
}


@pytest.mark.parametrize("case", list(LEFT_TO_TORCH))
def test_models_the_numpy_pass_cannot_run_exactly_are_left_to_torch(case: str, tmp_path: Path) -> None:
    make, data = LEFT_TO_TORCH[case]
    estimator = make()
    if data is None:
        X = rows()
        estimator.fit(X, np.arange(len(X)) % 2)
    else:
        estimator.fit(data())
    estimator.save(tmp_path / "model")
    assert numpy_model(tmp_path / "model") is None


def _edit(folder: Path, config: Any = None, tensors: Any = None) -> None:
    if config is not None:
        entries = json.loads((folder / "config.json").read_text())
        config(entries)
        (folder / "config.json").write_text(json.dumps(entries))
    if tensors is not None:
        weights = {key: value.copy() for key, value in load_file(str(folder / "model.safetensors")).items()}
        tensors(weights)
        save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})


DAMAGE = {
    "device cuda": ({"config": lambda c: c["params"].update(device="cuda")}),
    "older format": ({"config": lambda c: c.update(format_version=1)}),
    "a NaN weight": ({"tensors": lambda t: t["model.decoder.net.0.weight"].__setitem__((0, 0), np.nan)}),
    "a NaN in the state": ({"tensors": lambda t: t["state.scaling_.mean"].__setitem__(0, np.nan)}),
    "a missing weight": ({"tensors": lambda t: t.pop("model.encoder.net.2.bias")}),
    "an extra weight": ({"tensors": lambda t: t.update({"model.extra": np.zeros(2, np.float32)})}),
    "another width": ({"config": lambda c: c["fitted"].update(hidden_=[8, 5])}),
    "a negative scale": ({"tensors": lambda t: t["state.scaling_.scale"].__setitem__(0, -1.0)}),
    "unknown scaling": ({"config": lambda c: c["fitted"].update(scaling_="minmax")}),
    "bounds of another width": ({"config": lambda c: c["fitted"].update(column_bounds_=[])}),
    "a corrupt weights file": ({}),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_model_it_does_not_read_exactly_is_left_to_the_estimators_loader(damage: str, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    VAE(latent_dim=2, **QUICK).fit(frame(rows())).save(folder)
    assert numpy_model(folder) is not None
    if damage == "a corrupt weights file":
        (folder / "model.safetensors").write_bytes(b"\x00" * 16)
    _edit(folder, **DAMAGE[damage])
    assert numpy_model(folder) is None


# ----------------------------------------------------------------- the commands
@pytest.fixture(scope="module")
def numeric_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, BaseAutoEncoder]:
    """A numeric CSV (a 'name' id column and 5 numbers) and a VAE saved from a fit on its numbers."""
    folder = tmp_path_factory.mktemp("numeric")
    table = frame(rows())
    table.insert(0, "name", [f"r{i}" for i in range(len(table))])
    table.to_csv(folder / "rows.csv", index=False)
    VAE(latent_dim=2, **QUICK).fit(table.drop(columns="name")).save(folder / "model")
    return folder / "rows.csv", folder / "model", load(folder / "model")


def _no_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands below must not load the estimator."""

    def refuse(path: Any) -> Any:
        raise AssertionError("the command loaded the estimator (torch) where the NumPy pass applies")

    monkeypatch.setattr("vaekit.cli.use._load_model", refuse)


def test_encode_decode_reconstruct_take_the_numpy_pass(
    cli: Any, numeric_model: tuple[Path, Path, BaseAutoEncoder], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv, model, estimator = numeric_model
    X = pd.read_csv(csv).drop(columns="name")
    _no_torch(monkeypatch)
    encoded = cli("encode", model, csv, "--id", "name", "-o", tmp_path / "z.csv", "--logvar")
    assert (
        encoded.stdout
        == f"wrote {len(X)} x 4 latents to {tmp_path / 'z.csv'}, one row per row of DATA named by row, name\n"
    )
    z = pd.read_csv(tmp_path / "z.csv")
    assert list(z.columns) == ["row", "name", "z0", "z1", "logvar0", "logvar1"]
    mean, logvar = estimator.encode(X)
    close(z[["z0", "z1"]].to_numpy(np.float32), mean)
    close(z[["logvar0", "logvar1"]].to_numpy(np.float32), logvar)
    decoded = cli("decode", model, tmp_path / "z.csv", "-o", tmp_path / "d.csv")
    assert decoded.stdout.startswith(f"wrote {len(X)} decoded samples to {tmp_path / 'd.csv'}")
    d = pd.read_csv(tmp_path / "d.csv")
    assert list(d.columns) == ["row", "name", *X.columns]
    close(d[X.columns].to_numpy(np.float32), estimator.inverse_transform(z[["z0", "z1"]].to_numpy(np.float32)))
    cli("reconstruct", model, csv, "--id", "name", "-o", tmp_path / "r.csv")
    r = pd.read_csv(tmp_path / "r.csv")
    close(r[X.columns].to_numpy(np.float32), estimator.reconstruct(X))
    expected = ((X.to_numpy(np.float64) - estimator.reconstruct(X)) ** 2).sum(axis=1)
    np.testing.assert_allclose(r["reconstruction_error"], expected, rtol=1e-3)


def test_what_only_the_estimator_says_is_still_said(
    cli: Any, numeric_model: tuple[Path, Path, BaseAutoEncoder], tmp_path: Path
) -> None:
    """--logvar of an autoencoder, --class of a model that is not conditional, the wrong latents:
    the estimator's own messages (the command loads it)."""
    csv, model, _ = numeric_model
    X = pd.read_csv(csv).drop(columns="name")
    AutoEncoder(latent_dim=2, **QUICK).fit(X).save(tmp_path / "ae")
    refused = cli("encode", tmp_path / "ae", csv, "--id", "name", "-o", tmp_path / "z.csv", "--logvar", ok=False)
    assert "--logvar needs a variational model" in refused.stderr and "holds a AutoEncoder" in refused.stderr
    cli("encode", model, csv, "--id", "name", "-o", tmp_path / "z.csv")
    refused = cli("decode", model, tmp_path / "z.csv", "--class", "a", "-o", tmp_path / "d.csv", ok=False)
    assert "--class applies to a conditional model" in refused.stderr and "this is a VAE" in refused.stderr
    np.save(tmp_path / "z3.npy", np.zeros((4, 3), np.float32))
    refused = cli("decode", model, tmp_path / "z3.npy", "-o", tmp_path / "d.csv", ok=False)
    assert "VAE decodes (n_samples, 2) latent vectors" in refused.stderr


def test_names_the_model_was_not_fitted_with_are_left_to_the_estimator(
    cli: Any, numeric_model: tuple[Path, Path, BaseAutoEncoder], tmp_path: Path
) -> None:
    """A model fitted on an array, given a CSV with a header: the estimator's note about the names."""
    csv, _, _ = numeric_model
    X = pd.read_csv(csv).drop(columns="name")
    VAE(latent_dim=2, **QUICK).fit(X.to_numpy()).save(tmp_path / "array-model")
    estimator = load(tmp_path / "array-model")
    assert numpy_model(tmp_path / "array-model") is not None
    result = cli("encode", tmp_path / "array-model", csv, "--id", "name", "-o", tmp_path / "z.csv")
    assert "was fitted without feature names" in result.stderr
    close(pd.read_csv(tmp_path / "z.csv")[["z0", "z1"]].to_numpy(np.float32), estimator.transform(X.to_numpy()))


@pytest.mark.parametrize("case", ["mixed table", "images, conv"])
def test_the_commands_still_run_models_left_to_torch(case: str, cli: Any, tmp_path: Path) -> None:
    make, data = LEFT_TO_TORCH[case]
    X = data()
    estimator = make().fit(X)
    estimator.save(tmp_path / "model")
    if isinstance(X, pd.DataFrame):
        X.to_csv(tmp_path / "data.csv", index=False)
        source = tmp_path / "data.csv"
    else:
        np.save(tmp_path / "data.npy", X)
        source = tmp_path / "data.npy"
    cli("encode", tmp_path / "model", source, "-o", tmp_path / "z.csv")
    z = pd.read_csv(tmp_path / "z.csv")[["z0", "z1"]].to_numpy(np.float32)
    close(z, estimator.transform(X))
    cli("reconstruct", tmp_path / "model", source, "-o", tmp_path / ("r.csv" if case == "mixed table" else "r.npz"))
