"""config.toml: written, read back identically, and bad files named in the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from vaekit.runs.config import (
    ConfigError,
    default_config,
    estimator_params,
    read_config,
    to_toml,
)


def test_round_trip_keeps_every_value(tmp_path: Path) -> None:
    config = default_config()
    config["data"].update(source="data.csv", columns=["a", "b"], label="kind", image_size="28x20")
    config["model"].update(model="ae", latent_dim=8, hidden=[64, 32], beta=1.0)
    config["training"].update(patience=None, grad_clip=5.0, lr=3e-4, seed=7)
    path = tmp_path / "config.toml"
    path.write_text(to_toml(config, header="test"))
    assert read_config(path) == config


def test_unset_options_are_comments_and_off_options_are_none() -> None:
    config = default_config()
    config["training"]["patience"] = None
    text = to_toml(config)
    assert "# label = ...  (not set)" in text
    assert 'patience = "none"' in text


def test_estimator_params_follow_the_model_kind() -> None:
    config = default_config()
    cls, params = estimator_params(config)
    assert cls.__name__ == "VAE" and "beta" not in params and params["random_state"] == 0  # the kind's own default
    config["model"]["beta"] = 4.0
    assert estimator_params(config)[1]["beta"] == 4.0
    config["model"]["model"] = "ae"
    with pytest.raises(ConfigError, match=r"`beta` applies to `model` .*vae.*, not to `model` ae"):
        estimator_params(config)
    config["model"]["beta"] = 1.0  # a default another kind would use, as older run configs list: ignored
    cls, params = estimator_params(config)
    assert cls.__name__ == "AutoEncoder" and "beta" not in params
    config["model"]["model"] = "gan"
    with pytest.raises(ConfigError, match="unknown model kind 'gan'; the kinds are"):
        estimator_params(config)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[model]\nlatent_dimm = 3\n", "unknown key 'latent_dimm' in [model]"),
        ("[modell]\n", "unknown table [modell]"),
        ('[model]\nlatent_dim = "two"\n', "latent_dim = 'two' must be \"auto\" or a number"),
        ("[training]\nlr = true\n", "lr = True must be a number"),
        ("[model\n", "is not valid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        read_config(path)
    assert str(path) in str(info.value) and expected in str(info.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(("kind", "expected"), [("vae", "auto"), ("ae", "auto"), ("detector", 8), ("vqvae", 2)])
def test_an_unchosen_latent_size_is_the_kinds_own_default(kind: str, expected: object) -> None:
    """The run config's latent_dim "auto" means "not chosen": a kind with a size of its own keeps it (the
    VQ-VAE takes no "auto", and the detector was chosen with 8, where "auto" would give a table of numbers 2)."""
    config = default_config()
    config["model"]["model"] = kind
    cls, params = estimator_params(config)
    assert params["latent_dim"] == expected
    cls(**params)._validate_params()  # the parameters are ones the kind takes
    config["model"]["latent_dim"] = 3  # a size the user chose is kept
    assert estimator_params(config)[1]["latent_dim"] == 3
