"""The anomaly figures (score histogram, oddest rows) and their place in a run's report."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from vaekit import VAE, AutoEncoder, ConditionalVAE
from vaekit.data.loaded import LoadedData
from vaekit.plots import available_kinds, make_figure
from vaekit.plots.anomaly import anomaly_counts, anomaly_scores, plot_anomaly_scores


@pytest.fixture(scope="module")
def table_data() -> LoadedData:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    X[0] = 8.0  # one odd row
    return LoadedData(X, None, None, ["alpha", "beta", "gamma", "delta"], None, None, "test", "table")


@pytest.fixture(scope="module")
def table_ae(table_data: LoadedData) -> AutoEncoder:
    X = pd.DataFrame(table_data.X, columns=table_data.feature_names)
    return AutoEncoder(latent_dim=2, hidden=(8,), epochs=2, verbose=0, random_state=0).fit(X)


@pytest.fixture(scope="module")
def image_data() -> LoadedData:
    from vaekit.data.read import read_data

    digits = read_data("digits")  # 8 x 8 images with their labels
    return dataclasses.replace(digits, X=digits.X[:80], labels=digits.labels[:80], ids=None)


@pytest.fixture(scope="module")
def image_vae(image_data: LoadedData) -> VAE:
    model = VAE(latent_dim=2, hidden=(16,), architecture="mlp", epochs=2, verbose=0, random_state=0)
    return model.fit(image_data.X)


def _threshold_line(fig: Figure) -> float:
    (line,) = [line for line in fig.axes[0].get_lines() if line.get_gid() == "threshold"]
    x = np.unique(line.get_xdata())
    assert len(x) == 1
    return float(x[0])


def test_score_histogram_draws_the_threshold_at_minus_offset(table_ae: AutoEncoder, table_data: LoadedData) -> None:
    fig = make_figure("anomaly-scores", table_ae, table_data)
    assert isinstance(fig, Figure)
    assert _threshold_line(fig) == pytest.approx(-table_ae.offset_)
    X = pd.DataFrame(table_data.X, columns=table_data.feature_names)
    np.testing.assert_allclose(anomaly_scores(table_ae, table_data), -table_ae.score_samples(X))
    threshold, flagged, n = anomaly_counts(table_ae, table_data)
    assert (threshold, flagged, n) == (-table_ae.offset_, int((table_ae.predict(X) == -1).sum()), 60)
    assert f"{flagged:,} of 60 rows" in fig.axes[0].get_title()


def test_score_histogram_turns_log_when_counts_span_decades() -> None:
    scores = np.concatenate([np.zeros(5000), [50.0]])
    assert plot_anomaly_scores(scores, 10.0).axes[0].get_yscale() == "log"
    assert plot_anomaly_scores(np.arange(100.0), 90.0).axes[0].get_yscale() == "linear"


def test_top_anomalies_of_a_table_name_the_columns(table_ae: AutoEncoder, table_data: LoadedData) -> None:
    fig = make_figure("anomalies", table_ae, table_data)
    assert isinstance(fig, Figure)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 8
    labels = [t.get_text() for t in shown[0].get_yticklabels()]
    assert len(labels) == 3 and all(label.split(" = ")[0] in table_data.feature_names for label in labels)
    assert shown[0].get_title().startswith("row 0\nscore ")  # the odd row scores highest


def test_top_anomalies_of_images_show_images_over_error_maps(image_vae: VAE, image_data: LoadedData) -> None:
    assert _threshold_line(make_figure("anomaly-scores", image_vae, image_data)) == pytest.approx(-image_vae.offset_)
    fig = make_figure("anomalies", image_vae, image_data)
    assert isinstance(fig, Figure)
    images = [ax for ax in fig.axes if ax.get_images()]
    assert len(images) == 16  # 8 images above their 8 maps (the colour bar holds no image)
    assert images[0].get_images()[0].get_array().shape == (8, 8)


def test_no_anomaly_figures_without_a_threshold_or_for_a_conditional_model(
    table_ae: AutoEncoder, image_data: LoadedData
) -> None:
    assert {"anomaly-scores", "anomalies"} <= set(available_kinds(table_ae))
    old = AutoEncoder(latent_dim=2, hidden=(8,), epochs=1, verbose=0, random_state=0).fit(
        np.ones((10, 3)) * np.arange(10)[:, None]
    )
    del old.offset_  # as a model saved by an older vaekit
    assert not {"anomaly-scores", "anomalies"} & set(available_kinds(old))
    with pytest.raises(ValueError, match="anomaly threshold"):
        make_figure("anomalies", old, image_data)
    cvae = ConditionalVAE(latent_dim=2, hidden=(8,), architecture="mlp", epochs=1, verbose=0, random_state=0)
    cvae.fit(image_data.X[:30], image_data.labels[:30])
    assert not {"anomaly-scores", "anomalies"} & set(available_kinds(cvae))


def test_a_run_shows_the_anomaly_figures_and_threshold(table_run: Path) -> None:
    assert (table_run / "figures" / "anomaly-scores.png").is_file()
    assert (table_run / "figures" / "anomalies.png").is_file()
    page = (table_run / "report.html").read_text()
    assert "anomaly-scores (all rows): histogram" in page and "anomalies (all rows): the 8 highest" in page
    assert "<th>anomalies</th><td>flagged: anomaly_score above " in page  # as vaekit score says it
    assert " of 200 rows, train and test (" in page and "contamination=auto" in page
    assert "-ELBO, an upper bound on -log p(x)" in page and "-log p(x) (nats)" not in page


def test_figures_call_a_bound_a_bound(table_ae: AutoEncoder, image_vae: VAE, table_data: LoadedData) -> None:
    """A VAE's anomaly score is -ELBO, an upper bound on -log p(x); an autoencoder's is -log p(x|z)."""
    from vaekit import OutlierDetector
    from vaekit.plots.anomaly import score_text

    assert score_text(image_vae) == ("-ELBO", "-ELBO, an upper bound on -log p(x)")
    assert score_text(table_ae)[0] == "-log p(x|z)"
    assert (
        score_text(OutlierDetector(n_samples=7))[0] == "-log p(x)"
        and "K=7" in score_text(OutlierDetector(n_samples=7))[1]
    )
    vae = VAE(latent_dim=2, hidden=(8,), epochs=2, verbose=0, random_state=0)
    vae.fit(pd.DataFrame(table_data.X, columns=table_data.feature_names))
    histogram = make_figure("anomaly-scores", vae, table_data)
    assert histogram.axes[0].get_xlabel() == "anomaly score = -ELBO, nats (higher = odder)"
    assert "-ELBO, an upper bound on -log p(x)" in histogram.axes[0].get_title()
    assert (
        "(anomaly score -ELBO, an upper bound on -log p(x), nats;"
        in make_figure("anomalies", vae, table_data).get_suptitle()
    )
    autoencoder = make_figure("anomaly-scores", table_ae, table_data)
    assert autoencoder.axes[0].get_xlabel() == "anomaly score = -log p(x|z), nats (higher = odder)"
