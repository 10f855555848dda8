"""Every model kind is declared once, by its estimator class, and everything else is
derived from that: the registry, the docs, config.toml, the CLI's options, save/load."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import vaekit
from vaekit.cli.flags import flag, kind_options
from vaekit.estimators import REGISTRY, BaseAutoEncoder, estimator_class, load
from vaekit.runs.config import DEFAULTS, default_config, estimator_params
from vaekit.runs.config import kind_options as options_of

KINDS = list(REGISTRY)
NOT_SAVED = {"model_", "device_"}  # the network is the weights; the device is chosen at load


def test_the_registry_holds_every_kind_once() -> None:
    assert {"vae", "ae", "dae", "iwae", "cvae", "vqvae", "btcvae"} <= set(KINDS)
    for kind, cls in REGISTRY.items():
        assert cls.kind == kind and estimator_class(kind) is cls and estimator_class(cls.__name__) is cls
        assert getattr(vaekit, cls.__name__) is cls  # exported from the top level
    with pytest.raises(ValueError, match="unknown model kind 'pca'; the kinds are .*btcvae"):
        estimator_class("pca")
    with pytest.raises(TypeError, match="declared twice"):
        type("Again", (BaseAutoEncoder,), {"kind": "vae"})


@pytest.mark.parametrize("kind", KINDS)
def test_help_shows_every_parameter(kind: str) -> None:
    cls = REGISTRY[kind]
    documented = set(re.findall(r"^    (\w+) : ", cls.__doc__ or "", re.MULTILINE))
    assert set(cls().get_params()) <= documented, set(cls().get_params()) - documented
    assert "{" + "network_parameters}" not in (cls.__doc__ or "")


@pytest.mark.parametrize("kind", KINDS)
def test_config_and_cli_options_come_from_the_declaration(kind: str) -> None:
    cls = REGISTRY[kind]
    options = kind_options()
    for name in options_of(cls):
        assert name in DEFAULTS["model"]
        assert kind in options[flag(name)].kinds
    config = default_config()
    config["model"]["model"] = kind
    built, params = estimator_params(config)
    assert built is cls and set(params) <= set(cls().get_params())


@pytest.fixture(scope="module")
def table() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 120)
    return (rng.normal(size=(120, 4)) + np.eye(3, 4)[y]).astype(np.float32), y


@pytest.mark.parametrize("kind", KINDS)
def test_every_fitted_attribute_is_declared_and_survives_save_and_load(
    kind: str, table: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    X, y = table
    cls = REGISTRY[kind]
    options = {"latent_dim": 4, "code_dim": 2, "codebook_size": 8} if kind == "vqvae" else {}
    model = cls(hidden=(8,), epochs=2, random_state=0, verbose=0, **options).fit(X, y)
    fitted = {name for name in vars(model) if name.endswith("_") and not name.startswith("_")}
    assert fitted - NOT_SAVED <= set(cls.declared_state()), fitted - NOT_SAVED - set(cls.declared_state())
    labels = y if cls.conditional else None
    same = load(model.save(tmp_path / kind))
    assert type(same) is cls and same.get_params() == model.get_params()
    for name in fitted - NOT_SAVED - {"scaling_"}:
        np.testing.assert_equal(getattr(same, name), getattr(model, name), err_msg=name)
    assert same.scaling_.kind == model.scaling_.kind
    for key, array in model.scaling_.arrays().items():
        np.testing.assert_array_equal(same.scaling_.arrays()[key], array)
    np.testing.assert_array_equal(same.transform(X, labels), model.transform(X, labels))
    np.testing.assert_array_equal(same.sample(3, random_state=0), model.sample(3, random_state=0))


def test_the_public_surface_is_all_and_holds_every_kind() -> None:
    assert dir(vaekit) == sorted(vaekit.__all__)
    assert {kind.__name__ for kind in REGISTRY.values()} <= set(vaekit.__all__)
    for name in vaekit.__all__:
        assert getattr(vaekit, name) is not None, name


# The shared parameters, in the order every kind's __init__ lists them: the model's form first,
# then (after the kind's own) the training's. A kind's own parameters sit between the two.
SHARED_HEAD = (
    "latent_dim", "hidden", "activation", "architecture", "likelihood", "preprocessing", "column_types",
    "max_categories", "contamination",
)  # fmt: skip
SHARED_TAIL = (
    "epochs", "batch_size", "lr", "lr_schedule", "validation_fraction", "patience", "n_init", "grad_clip", "device",
    "precision", "threads", "random_state", "verbose",
)  # fmt: skip
OWN_DEFAULTS = {
    ("AutoEncoder", "likelihood"): "gaussian",  # the square loss of a plain autoencoder
    ("DenoisingAutoEncoder", "likelihood"): "gaussian",
    ("OutlierDetector", "latent_dim"): 8,  # chosen by measurement on the anomaly tables
    ("VQVAE", "latent_dim"): 2,  # a whole number of code_dim slots, known before the data
}
"""Shared parameters whose default a kind sets on purpose, with the reason."""


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_kind_takes_the_shared_parameters_in_order_with_the_same_defaults(kind: str) -> None:
    import inspect

    estimator = REGISTRY[kind]
    parameters = inspect.signature(estimator.__init__).parameters
    names = [n for n in parameters if n != "self"]
    assert tuple(names[: len(SHARED_HEAD)]) == SHARED_HEAD, names
    assert tuple(names[-len(SHARED_TAIL) :]) == SHARED_TAIL, names
    reference = inspect.signature(REGISTRY["vae"].__init__).parameters
    for name in (*SHARED_HEAD, *SHARED_TAIL):
        expected = OWN_DEFAULTS.get((estimator.__name__, name), reference[name].default)
        assert parameters[name].default == expected, f"{estimator.__name__}({name}=...) defaults differently"
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY or name == "latent_dim", name
