"""The layer table (the tutorial's plot_model, :mod:`vaekit.plots.layers`) and the HTML report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vaekit import VAE, AutoEncoder
from vaekit.nn import count_parameters
from vaekit.plots import format_layer_table, layer_table, plot_layers
from vaekit.runs.report import metrics_table, render_report


@pytest.fixture(scope="module")
def tutorial_vae() -> VAE:
    X = np.random.default_rng(0).normal(size=(40, 6)).astype(np.float32)
    return VAE(latent_dim=2, hidden=(5, 5, 4), epochs=1, verbose=0, random_state=0).fit(X)


def test_tutorial_network_layer_by_layer(tutorial_vae: VAE) -> None:
    rows = layer_table(tutorial_vae)
    linear = [(r.part, r.output_shape, r.n_params) for r in rows if r.kind == "Linear"]
    assert linear == [
        ("encoder", (5,), 6 * 5 + 5),
        ("encoder", (5,), 5 * 5 + 5),
        ("encoder", (4,), 5 * 4 + 4),
        ("encoder", (4,), 4 * 4 + 4),  # mean and log-variance of a 2-D latent
        ("decoder", (4,), 2 * 4 + 4),
        ("decoder", (5,), 4 * 5 + 5),
        ("decoder", (5,), 5 * 5 + 5),
        ("decoder", (6,), 5 * 6 + 6),
    ]
    assert sum(r.n_params for r in rows) == count_parameters(tutorial_vae.model_)
    assert rows[0].output_shape == (6,) and rows[-1].output_shape == (6,)
    assert format_layer_table(rows).splitlines()[-1] == f"total parameters: {count_parameters(tutorial_vae.model_):,}"


def test_conv_shapes_and_learned_variance_are_counted() -> None:
    X = np.random.default_rng(0).random((20, 3, 12, 10)).astype(np.float32)
    ae = AutoEncoder(
        latent_dim=3, architecture="conv", likelihood="gaussian-learned", epochs=1, verbose=0, random_state=0
    ).fit(X)
    rows = layer_table(ae)
    assert rows[-1].output_shape == (3, 12, 10) and rows[-1].n_params == 3 * 12 * 10
    assert any(r.kind == "Conv2d" for r in rows) and sum(r.n_params for r in rows) == count_parameters(ae.model_)
    assert len(plot_layers(rows).axes) == 1


def test_report_embeds_figures_and_escapes_text(tmp_path: Path) -> None:
    png = tmp_path / "f.png"
    png.write_bytes(b"\x89PNG fake")
    metrics = {
        "train": {"n": 10, "elbo": -5.0, "reconstruction": 4.0, "kl": 1.0, "squared_error": 2.0, "mse": 0.5},
        "test": None,
        "pca": {"n_components": 2, "split": "train", "squared_error": 3.0, "mse": 0.75},
    }
    page = render_report("run <x>", {"data": "a&b"}, metrics, [(png, "caption")], "layers", "config")
    assert "run &lt;x&gt;" in page and "a&amp;b" in page
    assert page.count("data:image/png;base64,") == 1
    table = metrics_table(metrics)
    assert "train (n=10)" in table and "PCA, 2 components" in table and "test" not in table


@pytest.mark.parametrize(
    ("train_elbo", "test_elbo", "explained"),
    [(-5.0, -6.0, False), (-5.0, 2.5, True), (3.0, None, True), (None, None, False)],
)
def test_report_explains_a_positive_elbo_only_when_there_is_one(
    tmp_path: Path, train_elbo: float | None, test_elbo: float | None, explained: bool
) -> None:
    def split(elbo: float | None) -> dict:
        return {"n": 10, "elbo": elbo, "reconstruction": 1.0, "kl": 0.0, "squared_error": 1.0, "mse": 0.1}

    metrics = {"train": split(train_elbo), "test": None if test_elbo is None else split(test_elbo)}
    page = render_report("run", {}, metrics, [], "layers", "config")
    assert ("A positive ELBO or log p(x) (negative bits per dimension) is no error" in page) is explained
    assert ("exceeds 1 where the data are concentrated" in page) is explained
