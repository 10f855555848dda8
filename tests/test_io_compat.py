"""Models saved by format 1 (vaekit before the estimator declarations) still load, and
give the outputs they gave then (fixtures in tests/data/format_v1, see its README)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vaekit import load

FIXTURES = Path(__file__).parent / "data" / "format_v1"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def test_every_kind_has_a_fixture() -> None:
    assert set(CASES) >= {"ae", "vae", "vae_capacity", "dae", "iwae", "cvae", "vqvae", "vqvae_ema"}


@pytest.mark.parametrize("name", CASES)
def test_format_1_model_loads_with_the_same_outputs(name: str) -> None:
    model = load(FIXTURES / name, device="cpu")
    expected = np.load(FIXTURES / f"{name}.expected.npz", allow_pickle=False)
    probe, Z = expected["probe"], expected["Z"]
    if model.n_features_in_ == 4:  # the table fixtures were fit on a DataFrame with columns a..d
        import pandas as pd

        probe = pd.DataFrame(probe, columns=["a", "b", "c", "d"])
    y = expected.get("labels")
    np.testing.assert_allclose(model.transform(probe, y), expected["transform"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.reconstruct(probe, y), expected["reconstruct"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.inverse_transform(Z, y), expected["inverse_transform"], rtol=1e-5, atol=1e-6)
    # A VAE's Monte-Carlo score draws each row's eps from its own values since issue 25 (so a row
    # scores the same alone as in its file): its expected scores were recorded then, by the code
    # that reads this format-1 file; the deterministic kinds' are the scores of commit ba916d3.
    scores = expected["score_samples_row_draws"] if "score_samples_row_draws" in expected else expected["score_samples"]
    np.testing.assert_allclose(model.score_samples(probe, y), scores, rtol=1e-5, atol=1e-5)


def test_format_1_model_resaves_as_format_2(tmp_path: Path) -> None:
    import json

    model = load(FIXTURES / "vqvae_ema", device="cpu")
    model.save(tmp_path / "again")
    config = json.loads((tmp_path / "again" / "config.json").read_text())
    assert config["format_version"] == 2 and config["kind"] == "vqvae"
    again = load(tmp_path / "again")
    np.testing.assert_array_equal(again.code_frequencies_, model.code_frequencies_)
    np.testing.assert_array_equal(again.model_.quantizer.codebook.numpy(), model.model_.quantizer.codebook.numpy())
