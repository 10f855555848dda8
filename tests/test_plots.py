"""Figures: tiled shapes, decode grids, labels and colour bars, atomic PNG writes, bad input,
and the table of figure kinds that runs and the command line read."""

import dataclasses
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image
from scipy.stats import norm

from vaekit import VAE, VQVAE, AutoEncoder, ConditionalVAE, plots
from vaekit.data.loaded import LoadedData
from vaekit.plots import (
    FIGURES,
    FigureKind,
    _estimator,
    available_kinds,
    image_grid,
    kinds,
    make_figure,
    plot_feature_errors,
    plot_history,
    plot_interpolation,
    plot_latent_scatter,
    plot_manifold,
    plot_reconstructions,
    plot_samples,
    plot_traversals,
    run_figures,
    save_figure,
)
from vaekit.plots._rows import spread_rows
from vaekit.plots.features import plot_table_reconstructions


class RecordingDecoder:
    """A fake decoder: image k is H x W, left half cdf(z[k, 0]), right half cdf(z[k, -1])."""

    def __init__(self, height: int = 6, width: int = 4) -> None:
        self.height, self.width = height, width
        self.calls: list[np.ndarray] = []

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        self.calls.append(Z.copy())
        images = np.empty((len(Z), self.height, self.width), np.float32)  # (m, H, W)
        images[:, :, : self.width // 2] = norm.cdf(Z[:, :1, None])
        images[:, :, self.width // 2 :] = norm.cdf(Z[:, -1:, None])
        return images


def labelled_lines(ax: Any, *labels: str) -> list[Any]:
    """The lines of ``ax`` with these labels, in this order."""
    by_label = {line.get_label(): line for line in ax.lines}
    return [by_label[label] for label in labels]


def tiled(fig: Figure, index: int = 0) -> np.ndarray:
    """The array drawn by the one imshow of axes ``index``."""
    return np.asarray(fig.axes[index].images[0].get_array())


def tick_texts(labels: list) -> list[str]:
    return [label.get_text() for label in labels]


def history(n_epochs: int = 5, kl: float = 2.0, val: bool = True) -> dict[str, list[float]]:
    recon = [50.0 / (e + 1) for e in range(n_epochs)]
    val_loss = [r + kl + 10 * abs(e - 2) for e, r in enumerate(recon)]  # lowest at epoch 3
    nan = [math.nan] * n_epochs
    return {
        "epoch": [float(e + 1) for e in range(n_epochs)],
        "beta": [1.0] * n_epochs,
        "train_loss": [r + kl for r in recon],
        "train_reconstruction": recon,
        "train_kl": [kl] * n_epochs,
        "val_loss": val_loss if val else nan,
        "val_reconstruction": [v - kl for v in val_loss] if val else nan,
        "val_kl": [kl] * n_epochs if val else nan,
        "seconds": [0.1] * n_epochs,
    }


# --------------------------------------------------------------------- image_grid
@pytest.mark.parametrize(
    ("shape", "n_cols", "expected"),
    [
        ((6, 8, 8), 3, (17, 26)),  # 2 rows x 3 columns of 8x8 with 1-pixel separators
        ((5, 28, 20), None, (57, 62)),  # about square: 3 columns of 20-wide faces, 2 rows
        ((7, 5, 4), 10, (5, 34)),  # n_cols beyond n: one row of 7
        ((4, 1, 6, 9), 4, (6, 39)),  # one channel is grey
        ((4, 3, 32, 32), None, (65, 65, 3)),  # RGB, channels last for imshow
    ],
)
def test_image_grid_tiles_with_one_pixel_separators(shape: tuple, n_cols: int | None, expected: tuple) -> None:
    images = np.random.default_rng(0).random(shape, dtype=np.float32)
    fig = image_grid(images, n_cols=n_cols)
    assert isinstance(fig, Figure)
    grid = tiled(fig)
    assert grid.shape == expected
    first = images[0] if images.ndim == 3 else np.moveaxis(images[0], 0, -1).squeeze()
    height, width = first.shape[:2]
    np.testing.assert_allclose(grid[:height, :width], first)
    assert np.all(grid[:, width] == 1.0) and np.all(grid[height : height + 1] == 1.0)  # white separators


def test_image_grid_keeps_the_aspect_ratio_of_non_square_images() -> None:
    fig = image_grid(np.zeros((12, 28, 20)), n_cols=4)  # Frey faces: 28 rows x 20 columns
    box = fig.axes[0].get_position()
    width_in, height_in = box.width * fig.get_figwidth(), box.height * fig.get_figheight()
    rows, cols = tiled(fig).shape
    assert (rows, cols) == (3 * 29 - 1, 4 * 21 - 1)
    assert height_in / width_in == pytest.approx(rows / cols, rel=1e-6)  # square pixels
    assert fig.axes[0].get_xticks().size == 0 and fig.axes[0].get_yticks().size == 0


def test_image_grid_shows_unit_range_as_is_and_rescales_other_ranges() -> None:
    unit = np.linspace(0, 1, 2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4)
    fig = image_grid(unit, n_cols=2, title="unit")
    np.testing.assert_allclose(tiled(fig)[:4, :4], unit[0])
    assert fig.axes[0].get_title() == "unit"
    fig = image_grid(unit * 255 - 20, n_cols=2)
    np.testing.assert_allclose(tiled(fig)[:4, :4], unit[0], atol=1e-6)  # min-max over the whole grid
    assert "min-max" in fig.axes[0].get_title()
    fig = image_grid(unit * 1.02 - 0.01, n_cols=2)  # a decoder's small overshoot is clipped, not rescaled
    np.testing.assert_allclose(tiled(fig)[:4, :4], np.clip(unit[0] * 1.02 - 0.01, 0, 1))
    assert fig.axes[0].get_title() == ""


def test_image_grid_shows_channel_zero_of_other_channel_counts() -> None:
    images = np.random.default_rng(1).random((3, 4, 5, 6), dtype=np.float32)  # 4 channels
    fig = image_grid(images, n_cols=3)
    assert tiled(fig).shape == (5, 3 * 7 - 1)
    np.testing.assert_allclose(tiled(fig)[:, :6], images[0, 0])
    assert "channel 0 of 4" in fig.axes[0].get_title()


def test_image_grid_row_titles_label_each_row() -> None:
    fig = image_grid(np.zeros((6, 8, 8)), n_cols=3, row_titles=["first", "second"])
    assert tick_texts(fig.axes[0].get_yticklabels()) == ["first", "second"]
    np.testing.assert_allclose(fig.axes[0].get_yticks(), [3.5, 12.5])  # row centres


def test_plot_samples_is_a_titled_grid() -> None:
    fig = plot_samples(np.zeros((9, 8, 8)))
    assert tiled(fig).shape == (26, 26)
    assert fig.axes[0].get_title() == "Samples from the prior"


# ------------------------------------------------------------ plot_reconstructions
def test_reconstructions_wrap_into_labelled_pairs_of_rows() -> None:
    rng = np.random.default_rng(2)
    originals = rng.random((12, 6, 5), dtype=np.float32)
    reconstructions = rng.random((12, 6, 5), dtype=np.float32)
    fig = plot_reconstructions(originals, reconstructions, n=12, n_cols=5)
    assert len(fig.axes) == 3  # 5 + 5 + 2 samples
    for ax in fig.axes:
        assert ax.images[0].get_array().shape == (2 * 6 + 1, 5 * 6 - 1)
        assert tick_texts(ax.get_yticklabels()) == ["original", "reconstruction"]
    first = tiled(fig, 0)
    np.testing.assert_allclose(first[:6, :5], originals[0])
    np.testing.assert_allclose(first[7:, :5], reconstructions[0])
    last = tiled(fig, 2)
    np.testing.assert_allclose(last[:6, 6:11], originals[11])
    assert np.all(last[:, 12:] == 1.0)  # empty cells are blank


def test_reconstructions_are_scaled_together() -> None:
    originals = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3) * 10  # range 0-170
    fig = plot_reconstructions(originals, originals / 2, n=2)
    grid = tiled(fig)
    np.testing.assert_allclose(grid[4:, :3], grid[:3, :3] / 2, atol=1e-6)  # same scale for both rows


# ------------------------------------------------------------------ plot_manifold
def test_manifold_decodes_the_prior_quantile_grid() -> None:
    decode = RecordingDecoder()
    fig = plot_manifold(decode, latent_dim=4, n=5, dims=(2, 0))
    assert len(decode.calls) == 1
    Z = decode.calls[0]
    assert Z.shape == (25, 4) and Z.dtype == np.float32
    values = norm.ppf(np.linspace(0.05, 0.95, 5))
    grid_z = Z.reshape(5, 5, 4)  # (row, column, latent)
    np.testing.assert_allclose(grid_z[:, :, 2], np.tile(values, (5, 1)), rtol=1e-6)  # left to right
    np.testing.assert_allclose(grid_z[:, :, 0], np.tile(values[::-1, None], (1, 5)), rtol=1e-6)  # bottom up
    assert np.all(grid_z[:, :, [1, 3]] == 0)
    assert tiled(fig).shape == (5 * 7 - 1, 5 * 5 - 1)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "z[2]" and ax.get_ylabel() == "z[0]"
    assert tick_texts(ax.get_xticklabels()) == ["-1.64", "-0.60", "0.00", "0.60", "1.64"]  # no "-0.00"
    assert tick_texts(ax.get_yticklabels()) == ["1.64", "0.60", "0.00", "-0.60", "-1.64"]


def test_manifold_places_each_decoded_image_in_its_cell() -> None:
    fig = plot_manifold(RecordingDecoder(), latent_dim=2, n=4)
    grid = tiled(fig)
    values = norm.ppf(np.linspace(0.05, 0.95, 4))
    top_right = grid[0:6, 3 * 5 : 3 * 5 + 4]  # cell (row 0, column 3): z[0] largest, z[1] largest
    np.testing.assert_allclose(top_right[:, 0], norm.cdf(values[-1]), rtol=1e-5)
    bottom_left = grid[3 * 7 : 3 * 7 + 6, 0:4]
    np.testing.assert_allclose(bottom_left[:, 3], norm.cdf(values[0]), rtol=1e-5)


def test_manifold_of_one_latent_dim_is_one_row() -> None:
    decode = RecordingDecoder()
    fig = plot_manifold(decode, latent_dim=1, n=7)
    assert decode.calls[0].shape == (7, 1)
    assert tiled(fig).shape == (6, 7 * 5 - 1)
    assert fig.axes[0].get_xlabel() == "z[0]"


# ------------------------------------------------------- interpolation, traversals
def test_interpolation_decodes_the_straight_line_between_codes() -> None:
    decode = RecordingDecoder()
    start, end = np.array([-2.0, 0.0, 1.0]), np.array([2.0, 1.0, -1.0])
    fig = plot_interpolation(decode, start, end, steps=5)
    Z = decode.calls[0]
    assert Z.shape == (5, 3)
    np.testing.assert_allclose(Z[0], start)
    np.testing.assert_allclose(Z[-1], end)
    np.testing.assert_allclose(Z[2], (start + end) / 2)
    assert tiled(fig).shape == (6, 5 * 5 - 1)
    assert tick_texts(fig.axes[0].get_xticklabels()) == ["z_start", "z_end"]


def test_traversals_walk_one_dim_per_row() -> None:
    decode = RecordingDecoder()
    center = np.arange(12, dtype=np.float64) / 10
    fig = plot_traversals(decode, center)
    Z = decode.calls[0].reshape(10, 9, 12)  # (walked dim, value, latent): the first 10 of 12 dims
    np.testing.assert_allclose(plots.TRAVERSAL_VALUES, np.linspace(-3, 3, 9))
    for row in range(10):
        np.testing.assert_allclose(Z[row, :, row], np.linspace(-3, 3, 9))
        others = np.delete(Z[row], row, axis=1)
        np.testing.assert_allclose(others, np.tile(np.delete(center, row), (9, 1)), rtol=1e-6)
    assert tiled(fig).shape == (10 * 7 - 1, 9 * 5 - 1)
    ax = fig.axes[0]
    assert tick_texts(ax.get_yticklabels()) == [f"z[{k}]" for k in range(10)]
    assert tick_texts(ax.get_xticklabels())[0] == "-3" and "first 10 of 12" in ax.get_title()


def test_traversals_of_chosen_dims_and_values() -> None:
    decode = RecordingDecoder()
    fig = plot_traversals(decode, np.zeros(4), dims=[3, 1], values=[-1.0, 1.0])
    Z = decode.calls[0]
    np.testing.assert_allclose(Z, [[0, 0, 0, -1], [0, 0, 0, 1], [0, -1, 0, 0], [0, 1, 0, 0]])
    assert tick_texts(fig.axes[0].get_yticklabels()) == ["z[3]", "z[1]"]


# ------------------------------------------------------------ plot_latent_scatter
def test_scatter_of_two_dims_plots_the_latents_themselves() -> None:
    Z = np.random.default_rng(3).normal(size=(50, 2))
    fig = plot_latent_scatter(Z)
    ax = fig.axes[0]
    np.testing.assert_allclose(np.sort(ax.collections[0].get_offsets()[:, 0]), np.sort(Z[:, 0]))
    assert ax.get_xlabel() == "z[0] (latent mean)" and ax.get_ylabel() == "z[1] (latent mean)"
    assert len(fig.axes) == 1  # no colour bar without labels


def test_scatter_of_many_dims_shows_principal_components_and_their_variance() -> None:
    rng = np.random.default_rng(4)
    Z = rng.normal(size=(2000, 5)) * [4.0, 2.0, 1.0, 1.0, 1.0]  # variances 16, 4, 1, 1, 1 of 23
    ax = plot_latent_scatter(Z).axes[0]
    assert ax.get_xlabel().startswith("PC 1 of latent means (") and "% of variance" in ax.get_xlabel()
    share_1 = float(ax.get_xlabel().split("(")[1].split("%")[0])
    share_2 = float(ax.get_ylabel().split("(")[1].split("%")[0])
    assert share_1 == pytest.approx(100 * 16 / 23, abs=3) and share_2 == pytest.approx(100 * 4 / 23, abs=2)


def test_continuous_labels_get_a_labelled_colour_bar() -> None:
    rng = np.random.default_rng(5)
    fig = plot_latent_scatter(rng.normal(size=(300, 2)), rng.uniform(size=300), label_name="factor 1")
    assert len(fig.axes) == 2  # the scatter and its colour bar
    assert fig.axes[1].get_ylabel() == "factor 1"


@pytest.mark.parametrize(
    ("labels", "names"),
    [
        (np.arange(300) % 3, ["0", "1", "2"]),
        (np.array(["dog", "cat", "bird"])[np.arange(300) % 3], ["bird", "cat", "dog"]),
        ((np.arange(300) % 12).astype(float), [str(k) for k in range(12)]),  # integral floats
    ],
)
def test_categorical_labels_get_one_legend_entry_per_class(labels: np.ndarray, names: list[str]) -> None:
    fig = plot_latent_scatter(np.random.default_rng(6).normal(size=(300, 2)), labels, label_name="class")
    legend = fig.axes[0].get_legend()
    assert tick_texts(legend.get_texts()) == names and legend.get_title().get_text() == "class"
    assert len(fig.axes) == 1
    colours = fig.axes[0].collections[0].get_facecolors()
    assert len(np.unique(colours.round(6), axis=0)) == len(names)


def test_one_latent_dim_with_classes_is_a_strip_per_class() -> None:
    fig = plot_latent_scatter(np.arange(40.0)[:, None], np.arange(40) % 4, label_name="digit")
    ax = fig.axes[0]
    assert tick_texts(ax.get_yticklabels()) == ["0", "1", "2", "3"]
    assert ax.get_xlabel() == "z[0] (latent mean)" and ax.get_ylabel() == "digit"
    assert plot_latent_scatter(np.arange(40.0)[:, None]).axes[0].get_xlabel() == "sample index"


def test_many_points_get_small_translucent_markers() -> None:
    Z = np.random.default_rng(7).normal(size=(70_000, 2))
    points = plot_latent_scatter(Z, np.arange(70_000) % 10).axes[0].collections[0]
    assert points.get_sizes()[0] < 2 and points.get_alpha() <= 0.3
    assert len(points.get_offsets()) == 70_000


# ------------------------------------------------------------------- plot_history
def test_history_draws_each_term_for_train_and_validation_and_marks_the_best_epoch() -> None:
    fig = plot_history(history())
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "nats per sample"
        labels = [line.get_label() for line in ax.get_lines()]
        assert labels == ["train", "validation", "best epoch (3)"]
        assert list(ax.get_lines()[2].get_xdata()) == [3.0, 3.0]
    assert "best epoch 3 of 5" in fig.get_suptitle()
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), [2.0] * 5)  # the KL panel


def test_history_of_an_autoencoder_says_there_is_no_kl_term() -> None:
    fig = plot_history(history(kl=0.0))
    assert len(fig.axes) == 1  # reconstruction is the whole loss: one panel
    assert "no KL term" in fig.axes[0].get_title() and "autoencoder" in fig.axes[0].get_title()


def test_history_without_validation_uses_the_training_loss() -> None:
    fig = plot_history(history(val=False))
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["train", "best epoch (5)"]
    assert "no validation" in fig.get_suptitle()


def test_history_spanning_orders_of_magnitude_is_on_a_log_scale() -> None:
    values = history(n_epochs=4)
    values["train_kl"] = values["val_kl"] = [100.0, 10.0, 1.0, 0.5]
    fig = plot_history(values)
    assert fig.axes[1].get_yscale() == "log" and fig.axes[0].get_yscale() == "linear"


def test_history_shows_a_changing_learning_rate_and_hides_a_constant_one() -> None:
    values = history()
    values["lr"] = [1e-3] * 5
    assert len(plot_history(values).axes) == 3  # constant: nothing added
    values["lr"] = [1e-3, 1e-3, 1e-4, 1e-4, 1e-5]  # a plateau schedule's cuts
    fig = plot_history(values)
    assert len(fig.axes) == 4
    rate_ax = fig.axes[-1]
    assert rate_ax.get_ylabel().startswith("learning rate")
    np.testing.assert_allclose(rate_ax.get_lines()[0].get_ydata(), values["lr"])


# ------------------------------------------------------------ plot_feature_errors
def test_feature_errors_draw_error_over_variance_worst_first() -> None:
    rng = np.random.default_rng(8)
    X = rng.normal(size=(200, 50)) * np.linspace(1, 2, 50)
    X_hat = X + rng.normal(size=X.shape) * np.linspace(0.1, 1, 50)  # error grows with the index
    names = [f"feature {j}" for j in range(50)]
    fig = plot_feature_errors(X, X_hat, feature_names=names)
    ax = fig.axes[0]
    assert "worst 30 of 50" in fig.get_suptitle() and "relative to its variance, 1 - R" in fig.get_suptitle()
    mse, variance = ((X_hat - X) ** 2).mean(axis=0), X.var(axis=0)
    ratio = mse / variance
    worst = np.argsort(-ratio)[:30]
    shown = tick_texts(ax.get_yticklabels())
    assert len(shown) == 30 and shown[int(np.argmax(ax.get_yticks()))] == names[worst[0]]  # top
    np.testing.assert_allclose([bar.get_width() for bar in ax.containers[0]], ratio[worst])
    raw = tick_texts(ax.child_axes[0].get_yticklabels())  # the right-hand labels, in the data's units
    top = raw[int(np.argmax(ax.get_yticks()))]
    assert f"MSE {mse[worst[0]]:.3g} of variance {variance[worst[0]]:.3g}" in top
    assert f"{1 - ratio[worst[0]]:.2f}" in top


def test_feature_errors_are_readable_whatever_the_columns_scales() -> None:
    """Columns 1e-2 to 1e2 apart (a factor 1e4), each reconstructed with 1 - R^2 between 0.1 and 0.9:
    every bar of every panel is long enough to see, and each column's raw error is written out."""
    rng = np.random.default_rng(15)
    scales = np.array([1e-2, 1e-1, 1.0, 1e1, 1e2])
    shares = np.array([0.9, 0.1, 0.5, 0.3, 0.7])  # of each column's variance, left unexplained
    X = rng.normal(size=(500, 5)) * scales
    X_hat = X + rng.normal(size=X.shape) * scales * np.sqrt(shares)
    fig = plot_feature_errors(X, X_hat, feature_names=["tiny", "small", "unit", "large", "huge"])
    for ax in fig.axes:
        for container in ax.containers:
            widths = np.array([bar.get_width() for bar in container])
            assert widths.min() > 0.05 * ax.get_xlim()[1], (ax.get_title(), widths)
    mse = ((X_hat - X) ** 2).mean(axis=0)
    labels = " ".join(tick_texts(fig.axes[0].child_axes[0].get_yticklabels()))
    assert all(f"MSE {value:.3g} " in labels for value in mse)


def test_feature_errors_cut_a_very_long_bar_and_write_its_value() -> None:
    rng = np.random.default_rng(16)
    X = rng.normal(size=(100, 3))
    X_hat = X + rng.normal(size=X.shape) * np.array([0.5, 0.5, 4.0])  # 1 - R^2 about 16 for the last
    ax = plot_feature_errors(X, X_hat).axes[0]
    assert ax.get_xlim()[1] == plots.features.MAX_RATIO_SHOWN
    ratio = ((X_hat - X) ** 2).mean(axis=0) / X.var(axis=0)
    assert f"{ratio[2]:.3g} \u2192" in [text.get_text() for text in ax.texts]


def test_feature_errors_of_a_constant_feature() -> None:
    X = np.c_[np.zeros(10), np.arange(10.0)]
    fig = plot_feature_errors(X, X + 0.5)
    assert "constant feature" in [text.get_text() for text in fig.axes[0].texts]
    assert tick_texts(fig.axes[0].get_yticklabels())[-1] == "x[0]"  # listed last, at the bottom


# ------------------------------------------------------------ plot_table_reconstructions
def test_table_reconstructions_standardize_each_column() -> None:
    rng = np.random.default_rng(17)
    X = rng.normal(size=(50, 3)) * np.array([1e-3, 1.0, 1e3]) + np.array([0.0, 5.0, -2e3])
    X_hat = X + rng.normal(size=X.shape) * np.array([1e-4, 0.1, 1e2])
    fig = plot_table_reconstructions(X[:4], X_hat[:4], ["a", "b", "c"], [f"id{i}" for i in range(4)], reference=X)
    assert len(fig.axes) == 4 and [ax.get_title() for ax in fig.axes] == ["id0", "id1", "id2", "id3"]
    assert tick_texts(fig.axes[0].get_yticklabels()) == ["a", "b", "c"]
    z = (X - X.mean(axis=0)) / X.std(axis=0)
    z_hat = (X_hat - X.mean(axis=0)) / X.std(axis=0)
    original, reconstruction = labelled_lines(fig.axes[2], "original", "reconstruction")
    np.testing.assert_allclose(original.get_xdata(), z[2])
    np.testing.assert_allclose(reconstruction.get_xdata(), z_hat[2])
    np.testing.assert_array_equal(original.get_ydata(), [2, 1, 0])  # the first column at the top
    assert fig.get_suptitle() == "4 rows and their reconstructions (3 columns, each standardized)"


# -------------------------------------------------------------------- save_figure
def test_save_figure_writes_a_png_atomically(tmp_path: Path) -> None:
    fig = image_grid(np.random.default_rng(9).random((16, 28, 20)), n_cols=4)
    target = tmp_path / "run" / "figures" / "grid.png"
    assert save_figure(fig, target) == target
    with Image.open(target) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert 200 < width < 2000 and 200 < height < 2000
    assert height / width == pytest.approx(4 * 29 / (4 * 21), rel=0.1)  # faces stay taller than wide
    save_figure(plot_history(history()), target)  # replaces the file
    assert Image.open(target).size != (width, height)
    assert sorted(p.name for p in target.parent.iterdir()) == ["grid.png"]  # no temporary file left


def test_save_figure_leaves_nothing_when_drawing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fig = image_grid(np.zeros((4, 8, 8)))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, tmp_path / "grid.png")
    assert list(tmp_path.iterdir()) == []


def test_plots_never_import_pyplot() -> None:
    code = "import sys, vaekit.plots; assert 'matplotlib.pyplot' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_plots_loads_neither_torch_nor_matplotlib() -> None:
    """The command line builds its --kind help from FIGURES at import time: it must stay light."""
    code = "import sys, vaekit.plots; print(sorted({'torch', 'matplotlib', 'sklearn', 'scipy'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------- bad input
def _decode(Z: np.ndarray) -> np.ndarray:
    return np.zeros((len(Z), 4, 4))


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda: image_grid(np.zeros((4, 8))), "shape"),
        (lambda: image_grid(np.zeros((0, 8, 8))), "empty"),
        (lambda: image_grid(np.full((2, 4, 4), np.nan)), "NaN"),
        (lambda: image_grid(np.zeros((2, 32, 32, 3))), "channels-last"),
        (lambda: image_grid(np.zeros((4, 8, 8)), n_cols=0), "n_cols"),
        (lambda: image_grid(np.zeros((4, 8, 8)), n_cols=2, row_titles=["a"]), "row_titles"),
        (lambda: plot_reconstructions(np.zeros((4, 8, 8)), np.zeros((3, 8, 8))), "must match"),
        (lambda: plot_reconstructions(np.zeros((0, 8, 8)), np.zeros((0, 8, 8))), "empty"),
        (lambda: plot_manifold(_decode, 2, n=1), "at least 2"),
        (lambda: plot_manifold(_decode, 3, dims=(1, 1)), "dims"),
        (lambda: plot_manifold(_decode, 2, dims=(0, 2)), "dims"),
        (lambda: plot_manifold(_decode, 0), "latent_dim"),
        (lambda: plot_manifold(lambda Z: np.zeros((3, 4, 4)), 2, n=4), "decode returned"),
        (lambda: plot_manifold(lambda Z: np.zeros((len(Z), 16)), 2, n=4), "decode returned"),
        (lambda: plot_interpolation(_decode, np.zeros(2), np.zeros(3)), "must match"),
        (lambda: plot_interpolation(_decode, np.zeros((1, 2)), np.zeros((1, 2))), "1-D"),
        (lambda: plot_interpolation(_decode, np.zeros(2), np.zeros(2), steps=1), "steps"),
        (lambda: plot_traversals(_decode, np.zeros(3), dims=[3]), "dims"),
        (lambda: plot_traversals(_decode, np.zeros(3), dims=[1, 1]), "dims"),
        (lambda: plot_traversals(_decode, np.zeros(3), values=[]), "values"),
        (lambda: plot_traversals(_decode, np.array([])), "z_center"),
        (lambda: plot_latent_scatter(np.zeros(10)), "shape"),
        (lambda: plot_latent_scatter(np.zeros((0, 2))), "shape"),
        (lambda: plot_latent_scatter(np.full((3, 2), np.inf)), "NaN"),
        (lambda: plot_latent_scatter(np.zeros((10, 2)), np.zeros(9)), "one value per sample"),
        (lambda: plot_latent_scatter(np.zeros((10, 2)), np.zeros((10, 2))), "pick one column"),
        (lambda: plot_latent_scatter(np.zeros((1, 3))), "at least 2 samples"),
        (lambda: plot_history({}), "train_loss"),
        (lambda: plot_history({"train_loss": []}), "empty"),
        (lambda: plot_history({"train_loss": [1.0, 2.0], "train_kl": [1.0]}), "train_kl"),
        (lambda: plot_feature_errors(np.zeros((5, 2, 2)), np.zeros((5, 2, 2))), "reshape"),
        (lambda: plot_feature_errors(np.zeros((5, 3)), np.zeros((4, 3))), "must match"),
        (lambda: plot_feature_errors(np.zeros((0, 3)), np.zeros((0, 3))), "shape"),
        (lambda: plot_feature_errors(np.zeros((5, 3)), np.zeros((5, 3)), ["a", "b"]), "feature_names"),
        (lambda: plot_table_reconstructions(np.zeros((2, 3)), np.zeros((2, 3)), row_labels=["a"]), "row_labels"),
        (
            lambda: plot_table_reconstructions(np.zeros((2, 3)), np.zeros((2, 3)), reference=np.zeros((5, 2))),
            r"reference must have shape \(n_samples, 3\)",
        ),
        (lambda: save_figure(Figure(), "/tmp/figure.pdf"), ".png"),
    ],
)
def test_bad_input_raises_value_error(draw: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw()


# ------------------------------------------------------------- the figure kinds
KIND_NAMES = [
    "history",
    "latent",
    "manifold",
    "reconstructions",
    "samples",
    "interpolation",
    "traversals",
    "feature-errors",
    "marginals",
    "anomaly-scores",
    "anomalies",
    "layers",
]


def _loaded(X: np.ndarray, labels: np.ndarray | None = None, feature_names: list[str] | None = None) -> LoadedData:
    kind = "table" if X.ndim == 2 else "images"
    return LoadedData(
        X=X,
        labels=labels,
        ids=None,
        feature_names=feature_names,
        label_name="digit" if labels is not None else None,
        id_name=None,
        source="test data",
        kind=kind,
    )


@pytest.fixture(scope="module")
def image_data() -> LoadedData:
    rng = np.random.default_rng(10)
    return _loaded(rng.random((40, 8, 8), dtype=np.float32), labels=np.arange(40) % 3)


@pytest.fixture(scope="module")
def table_data() -> LoadedData:
    X = np.random.default_rng(11).normal(size=(40, 5)).astype(np.float32)
    return _loaded(X, feature_names=[f"f{j}" for j in range(5)])


@pytest.fixture(scope="module")
def image_vae(image_data: LoadedData) -> VAE:
    return VAE(latent_dim=3, hidden=(16,), architecture="mlp", epochs=2, verbose=0, random_state=0).fit(image_data.X)


@pytest.fixture(scope="module")
def table_ae(table_data: LoadedData) -> AutoEncoder:
    X = pd.DataFrame(table_data.X, columns=table_data.feature_names)  # as a run fits it: with the column names
    return AutoEncoder(latent_dim=2, hidden=(8,), epochs=2, verbose=0, random_state=0).fit(X)


@pytest.fixture(scope="module")
def image_cvae(image_data: LoadedData) -> ConditionalVAE:
    model = ConditionalVAE(latent_dim=2, hidden=(16,), architecture="mlp", epochs=2, verbose=0, random_state=0)
    return model.fit(image_data.X, image_data.labels)


def test_one_table_of_figure_kinds() -> None:
    assert list(FIGURES) == KIND_NAMES
    for name, kind in FIGURES.items():
        assert isinstance(kind, FigureKind) and kind.name == name and kind.description
        assert kind.requires <= set(kinds.REQUIREMENTS) and callable(kind.draw)
    with pytest.raises(ValueError, match="requires"):
        FigureKind(
            "odd", "a figure for no model", needs_data=False, draw=FIGURES["history"].draw, requires=frozenset({"x"})
        )
    assert [k for k, f in FIGURES.items() if f.needs_data] == [
        "latent",
        "reconstructions",
        "interpolation",
        "feature-errors",
        "marginals",
        "anomaly-scores",
        "anomalies",
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        FIGURES["history"].needs_data = True  # type: ignore[misc]


def test_available_kinds_follow_the_data_and_the_conditioning(
    image_vae: VAE, table_ae: AutoEncoder, image_cvae: ConditionalVAE
) -> None:
    assert available_kinds(image_vae) == [k for k in KIND_NAMES if k not in ("feature-errors", "marginals")]
    assert available_kinds(table_ae) == [
        "history", "latent", "reconstructions", "feature-errors", "anomaly-scores", "anomalies", "layers"
    ]  # fmt: skip
    assert available_kinds(image_cvae) == ["history", "latent", "reconstructions", "samples", "layers"]


@pytest.mark.parametrize(
    ("kind", "model", "message"),
    [
        ("bogus", "image_vae", "unknown figure kind 'bogus'; choose one of: history, latent, manifold, "),
        ("feature-errors", "image_vae", r"`kind` feature-errors applies to tables only; .* shape \(8, 8\)"),
        ("manifold", "table_ae", r"`kind` manifold applies to images only; .* shape \(5,\)"),
        ("manifold", "image_cvae", "`kind` manifold walks the latent space alone; this model is conditional"),
        ("latent", "image_vae", "`kind` latent needs `data` to draw from"),
    ],
)
def test_make_figure_refuses_what_does_not_apply(
    kind: str, model: str, message: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(ValueError, match=message):
        make_figure(kind, request.getfixturevalue(model))


def test_make_figure_draws_each_kind_of_an_image_model(image_vae: VAE, image_data: LoadedData) -> None:
    for kind in available_kinds(image_vae):
        assert isinstance(make_figure(kind, image_vae, image_data), Figure), kind
    samples = tiled(make_figure("samples", image_vae))
    assert samples.shape == (8 * 9 - 1, 8 * 9 - 1)  # 64 samples of 8 x 8, 8 per row
    np.testing.assert_allclose(samples[:8, :8], np.clip(image_vae.sample(64, random_state=0)[0], 0, 1), atol=1e-6)
    shown = tiled(make_figure("reconstructions", image_vae, image_data))  # 10 rows spread across the labels
    first = spread_rows(len(image_data.X), 10, image_data.labels, seed=0)[0]
    np.testing.assert_allclose(shown[:8, :8], image_data.X[first], atol=1e-6)


def test_a_conditional_model_samples_one_row_per_class(image_cvae: ConditionalVAE) -> None:
    fig = make_figure("samples", image_cvae, seed=3)
    assert tiled(fig).shape == (3 * 9 - 1, 8 * 9 - 1)
    assert tick_texts(fig.axes[0].get_yticklabels()) == ["0", "1", "2"]
    np.testing.assert_allclose(
        tiled(fig)[9:17, :8], np.clip(image_cvae.sample(8, random_state=3, y=1)[0], 0, 1), atol=1e-6
    )
    with pytest.raises(ValueError, match="label"):
        make_figure("latent", image_cvae, _loaded(np.zeros((4, 8, 8), np.float32)))


def test_table_reconstructions_are_rows_column_by_column(table_ae: AutoEncoder, table_data: LoadedData) -> None:
    fig = make_figure("reconstructions", table_ae, table_data)
    rows = spread_rows(len(table_data.X), kinds.N_RECONSTRUCTIONS, table_data.labels, seed=0)  # not the first rows
    titles = [f"row {i}" for i in rows]
    assert len(fig.axes) == kinds.N_RECONSTRUCTIONS and fig.axes[0].get_title() == titles[0]  # not the error chart
    assert fig.get_suptitle().startswith("10 of 40 rows")
    assert tick_texts(fig.axes[0].get_yticklabels()) == [f"f{j}" for j in range(5)]
    X = table_data.X.astype(np.float64)
    X_hat = table_ae.reconstruct(pd.DataFrame(table_data.X[rows], columns=table_data.feature_names))
    # the fourth row shown, standardized by all 40 rows
    original, reconstruction = labelled_lines(fig.axes[3], "original", "reconstruction")
    np.testing.assert_allclose(original.get_xdata(), (X[rows[3]] - X.mean(0)) / X.std(0), rtol=1e-5)
    np.testing.assert_allclose(reconstruction.get_xdata(), (X_hat[3] - X.mean(0)) / X.std(0), rtol=1e-4, atol=1e-5)
    with_ids = dataclasses.replace(table_data, ids=np.array([f"id{i}" for i in range(40)]), id_name="name")
    assert (
        make_figure("reconstructions", table_ae, with_ids).axes[1].get_title() == f"row {rows[1]}\n(name id{rows[1]})"
    )


def test_the_latent_scatter_of_many_rows_shows_a_seeded_subset(
    table_ae: AutoEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kinds, "MAX_SCATTER_POINTS", 30)
    data = _loaded(
        np.random.default_rng(12).normal(size=(50, 5)).astype(np.float32), feature_names=[f"f{j}" for j in range(5)]
    )
    ax = make_figure("latent", table_ae, data, seed=1).axes[0]
    assert (
        len(ax.collections[0].get_offsets()) == 30 and ax.get_title() == "latent means of 30 rows (a random 30 of 50)"
    )


def test_run_figures_write_every_kind_that_applies_with_its_caption(
    image_vae: VAE, table_ae: AutoEncoder, image_data: LoadedData, table_data: LoadedData, tmp_path: Path
) -> None:
    written = run_figures(image_vae, image_data, _loaded(image_data.X[:5]), tmp_path / "images")
    assert [name for name, _ in written] == [f"{k}.png" for k in available_kinds(image_vae)]
    captions = dict(written)
    assert captions["latent.png"] == f"latent (all rows): {FIGURES['latent'].description}"
    assert captions["interpolation.png"].startswith("interpolation (test data): decoded points")
    assert captions["manifold.png"] == f"manifold: {FIGURES['manifold'].description}"
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == sorted(captions)
    written = run_figures(table_ae, table_data, None, tmp_path / "table")
    assert [name for name, _ in written] == [
        "history.png", "latent.png", "feature-errors.png", "anomaly-scores.png", "anomalies.png", "layers.png"
    ]  # fmt: skip
    assert dict(written)["feature-errors.png"].startswith("feature-errors (training data): per-feature")


def test_figures_of_a_vq_vae_decode_codebook_vectors() -> None:
    X = np.random.default_rng(13).random((40, 8, 8), dtype=np.float32)
    vq = VQVAE(
        latent_dim=4, code_dim=2, codebook_size=8, hidden=(16,), architecture="mlp", epochs=1, verbose=0, random_state=0
    ).fit(X)
    Z = np.random.default_rng(14).normal(size=(5, 4)).astype(np.float32)
    decode = _estimator.decoder(vq)
    np.testing.assert_array_equal(decode(Z), vq.inverse_transform(vq.quantize(Z)))
    assert not np.allclose(decode(Z), vq.inverse_transform(Z))
