"""Save and load: bit-identical round trips and clear errors for damaged directories."""

import json
from pathlib import Path

import numpy as np
import pytest

from vaekit import VAE, AutoEncoder, load
from vaekit.io.model import ModelFileError


@pytest.fixture(scope="module")
def table() -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.normal(size=(120, 5)) * [1, 10, 100, 1, 1]).astype(np.float32)


@pytest.fixture(scope="module")
def fitted(table: np.ndarray) -> VAE:
    return VAE(latent_dim=2, epochs=3, hidden=(16, 8), random_state=0, verbose=0).fit(table)


@pytest.mark.parametrize("estimator_class", [AutoEncoder, VAE])
def test_round_trip_is_bit_identical(tmp_path: Path, estimator_class: type, table: np.ndarray) -> None:
    est = estimator_class(latent_dim=3, epochs=2, random_state=0, verbose=0).fit(table)
    est.save(tmp_path / "model")
    same = load(tmp_path / "model")
    assert type(same) is estimator_class
    assert same.get_params() == est.get_params()
    np.testing.assert_array_equal(same.transform(table), est.transform(table))
    np.testing.assert_array_equal(same.reconstruct(table), est.reconstruct(table))
    np.testing.assert_array_equal(same.score_samples(table), est.score_samples(table))
    np.testing.assert_array_equal(same.sample(3, random_state=0), est.sample(3, random_state=0))
    assert same.history_ == est.history_
    assert same.likelihood_ == est.likelihood_ and same.input_shape_ == est.input_shape_


def test_round_trip_of_images_with_learned_variance(tmp_path: Path) -> None:
    X = np.random.default_rng(1).random((40, 28, 20), dtype=np.float32)
    vae = VAE(latent_dim=2, likelihood="gaussian-learned", hidden=(16,), epochs=1, random_state=0, verbose=0).fit(X)
    same = load(vae.save(tmp_path / "faces"))
    np.testing.assert_array_equal(same.reconstruct(X), vae.reconstruct(X))


def test_config_records_what_a_reader_needs(tmp_path: Path, fitted: VAE) -> None:
    config = json.loads((fitted.save(tmp_path / "m") / "config.json").read_text())
    assert config["class"] == "VAE" and config["kind"] == "vae" and config["format"] == "vaekit-model"
    assert config["format_version"] == 2
    assert config["fitted"]["likelihood_"] == "gaussian-learned"
    assert config["fitted"]["scaling_"] == "standardize"
    assert config["fitted"]["input_shape_"] == [5]
    assert config["fitted"]["n_train_"] == fitted.n_train_ > 0
    assert config["params"]["hidden"] == [16, 8]
    assert "vaekit_version" in config and "torch_version" in config
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors"]


def test_no_pickle_in_the_weights(tmp_path: Path, fitted: VAE) -> None:
    raw = (fitted.save(tmp_path / "m") / "model.safetensors").read_bytes()
    assert b"\x80\x04" not in raw[:16] and raw[8:9] == b"{"  # safetensors: u64 length, then JSON header


def test_existing_directory_is_not_overwritten(tmp_path: Path, fitted: VAE) -> None:
    target = fitted.save(tmp_path / "m")
    before = (target / "model.safetensors").read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        fitted.save(target)
    assert (target / "model.safetensors").read_bytes() == before
    fitted.save(target, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary leftovers


def test_a_foreign_directory_is_never_replaced(tmp_path: Path, fitted: VAE) -> None:
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("years of work")
    with pytest.raises(FileExistsError, match="not a vaekit model"):
        fitted.save(precious, overwrite=True)
    assert (precious / "chapter1.tex").read_text() == "years of work"


def test_unfitted_estimator_cannot_be_saved(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not fitted"):
        VAE().save(tmp_path / "m")


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="does not exist"):
        load(tmp_path / "nowhere")


def test_missing_weights(tmp_path: Path, fitted: VAE) -> None:
    target = fitted.save(tmp_path / "m")
    (target / "model.safetensors").unlink()
    with pytest.raises(ModelFileError, match="model.safetensors is missing"):
        load(target)


def test_truncated_weights(tmp_path: Path, fitted: VAE) -> None:
    target = fitted.save(tmp_path / "m")
    weights = target / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        load(target)


def test_corrupt_config(tmp_path: Path, fitted: VAE) -> None:
    target = fitted.save(tmp_path / "m")
    (target / "config.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load(target)


def test_weights_that_do_not_match_the_config(tmp_path: Path, fitted: VAE, table: np.ndarray) -> None:
    target = fitted.save(tmp_path / "m")
    other = VAE(latent_dim=4, epochs=1, hidden=(16, 8), random_state=0, verbose=0).fit(table)
    other_dir = other.save(tmp_path / "other")
    (target / "model.safetensors").write_bytes((other_dir / "model.safetensors").read_bytes())
    with pytest.raises(ModelFileError, match="does not match config.json|but the model needs"):
        load(target)


def test_a_newer_format_is_refused(tmp_path: Path, fitted: VAE) -> None:
    target = fitted.save(tmp_path / "m")
    config = json.loads((target / "config.json").read_text())
    config["format_version"] = 99
    (target / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="newer vaekit"):
        load(target)


def test_load_errors_are_value_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        load(tmp_path)


def test_feature_names_are_saved_and_checked(tmp_path: Path, table: np.ndarray) -> None:
    import pandas as pd

    names = [f"col_{i}" for i in range(table.shape[1])]
    frame = pd.DataFrame(table, columns=names)
    vae = VAE(epochs=1, verbose=0, random_state=0).fit(frame)
    assert list(vae.feature_names_in_) == names
    same = load(vae.save(tmp_path / "m"))
    assert list(same.feature_names_in_) == names and same.feature_names_in_.dtype == object
    np.testing.assert_array_equal(same.transform(frame), vae.transform(frame))
    # DataFrames are matched to the training columns by name: reordered or wider tables work ...
    wider = frame[names[::-1]].assign(extra="text")
    np.testing.assert_array_equal(same.transform(wider), vae.transform(frame))
    # ... and a missing column is named
    with pytest.raises(ValueError, match=f"X lacks {names[0]}"):
        same.transform(frame[names[1:]])
    fitted_on_array = VAE(epochs=1, verbose=0, random_state=0).fit(table)
    assert not hasattr(fitted_on_array, "feature_names_in_")
    assert (
        "feature_names_in_"
        not in json.loads((fitted_on_array.save(tmp_path / "a") / "config.json").read_text())["fitted"]
    )


def test_a_conditional_model_without_its_classes_is_refused_by_its_declaration(tmp_path: Path) -> None:
    from vaekit import ConditionalVAE

    X = np.random.default_rng(0).random((60, 4)).astype(np.float32)
    ConditionalVAE(epochs=1, verbose=0, random_state=0).fit(X, np.arange(60) % 3).save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["fitted"]["classes_"] = []
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match='"fitted": "classes_" is .*not a list of classes'):
        load(tmp_path / "m")
