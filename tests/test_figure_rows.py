"""Which rows the figures draw (spread across the labels, seeded) and PNG files per row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from vaekit.data.codec import ArrayCodec
from vaekit.data.loaded import LoadedData
from vaekit.data.preprocessing import Scaling
from vaekit.data.write import write_images
from vaekit.plots import make_figure
from vaekit.plots._rows import describe_rows, spread_rows

N_LABELS, PER_LABEL = 5, 10


def sorted_by_label(n_labels: int = N_LABELS, per_label: int = PER_LABEL) -> LoadedData:
    """An image data set as a folder loads: rows sorted by label; row i's pixels all equal i / n."""
    n = n_labels * per_label
    X = np.broadcast_to((np.arange(n, dtype=np.float32) / n)[:, None, None], (n, 4, 4)).copy()  # (n, 4, 4)
    labels = np.repeat([f"class{k}" for k in range(n_labels)], per_label)
    return LoadedData(X, labels, None, None, "folder", None, "fake", "images")


class FakeImageModel:
    """Just what the reconstructions and interpolation figures ask of a fitted model; records its inputs."""

    conditional = False
    variational = True
    latent_dim = 2
    input_shape_ = (4, 4)
    codec_ = ArrayCodec(Scaling(), (4, 4))

    def __init__(self) -> None:
        self.seen: list[np.ndarray] = []

    def reconstruct(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        self.seen.append(np.asarray(X))
        return np.asarray(X) * 0.5

    def transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        self.seen.append(np.asarray(X))
        return np.asarray(X).reshape(len(X), -1)[:, :2]

    def project_latent(self, Z: np.ndarray) -> np.ndarray:
        return Z

    def inverse_transform(self, Z: np.ndarray, y: Any = None) -> np.ndarray:
        return np.broadcast_to(Z[:, :1, None], (len(Z), 4, 4)).copy()


def rows_seen(model: FakeImageModel, n: int) -> np.ndarray:
    """The row indices the model was given (each row's pixels are its index / n)."""
    return np.rint(model.seen[0][:, 0, 0] * n).astype(int)


# ------------------------------------------------------------------ spread_rows
@pytest.mark.parametrize("n", [N_LABELS, 8, 23])
def test_spread_rows_cover_every_label_and_repeat_for_a_seed(n: int) -> None:
    labels = np.repeat(np.arange(N_LABELS), PER_LABEL)
    rows = spread_rows(len(labels), n, labels, seed=3)
    assert len(rows) == n and len(set(rows.tolist())) == n
    assert set(labels[rows].tolist()) == set(range(N_LABELS))
    counts = np.bincount(labels[rows], minlength=N_LABELS)
    assert counts.max() - counts.min() <= 1  # round-robin: as even as n allows
    np.testing.assert_array_equal(rows, spread_rows(len(labels), n, labels, seed=3))
    assert not np.array_equal(rows, spread_rows(len(labels), n, labels, seed=4))


def test_spread_rows_without_labels_is_a_seeded_sample_in_row_order() -> None:
    rows = spread_rows(1000, 10, None, seed=0)
    assert len(set(rows.tolist())) == 10 and np.all(np.diff(rows) > 0)
    assert not np.array_equal(rows, np.arange(10))  # not the first rows
    np.testing.assert_array_equal(rows, spread_rows(1000, 10, None, seed=0))
    assert spread_rows(3, 10, None, seed=0).tolist() == [0, 1, 2]  # at most all rows


def test_spread_rows_take_labelled_rows_first_and_string_labels() -> None:
    labels = np.array(["a", None, "b", "a", np.nan, "b"], dtype=object)
    rows = spread_rows(6, 2, labels, seed=1)
    assert sorted(labels[rows].tolist()) == ["a", "b"]
    assert set(spread_rows(6, 6, labels, seed=1).tolist()) == set(range(6))


def test_describe_rows_says_what_was_drawn() -> None:
    labels = np.repeat(np.arange(10), 200)
    rows = spread_rows(2000, 10, labels, seed=0)
    assert describe_rows(rows, 2000, labels) == "10 of 2,000 rows, all 10 labels"
    assert describe_rows(rows[:3], 2000, labels) == "3 of 2,000 rows, 3 of 10 labels"
    assert describe_rows(np.arange(5), 5) == "all 5 rows"


# ------------------------------------------------------------ the figures' rows
def test_reconstructions_of_a_label_sorted_folder_show_every_label() -> None:
    data, model = sorted_by_label(), FakeImageModel()
    figure = make_figure("reconstructions", model, data, seed=0)  # type: ignore[arg-type]
    rows = rows_seen(model, len(data.X))
    assert len(rows) == 10
    assert set(data.labels[rows].tolist()) == {f"class{k}" for k in range(N_LABELS)}  # not the first 10: one label
    assert figure.axes[0].get_title().startswith("10 of 50 rows, all 5 labels, and their reconstructions")
    again = FakeImageModel()
    make_figure("reconstructions", again, data, seed=0)  # type: ignore[arg-type]
    np.testing.assert_array_equal(rows, rows_seen(again, len(data.X)))


def test_interpolation_joins_rows_of_two_labels_and_names_them() -> None:
    data, model = sorted_by_label(), FakeImageModel()
    figure = make_figure("interpolation", model, data, seed=0)  # type: ignore[arg-type]
    rows = rows_seen(model, len(data.X))
    assert len(rows) == 2 and data.labels[rows[0]] != data.labels[rows[1]]
    label = figure.axes[0].get_xlabel()
    assert f"row {rows[0]} (folder {data.labels[rows[0]]})" in label and "of 50 rows" in label


# ------------------------------------------------------------------ write_images
@pytest.mark.parametrize("shape", [(3, 5, 4), (3, 1, 5, 4), (3, 3, 5, 4)])
def test_write_images_round_trip_within_one_level(tmp_path: Path, shape: tuple[int, ...]) -> None:
    images = np.random.default_rng(0).random(shape, dtype=np.float32)
    files = write_images(tmp_path / "out", images)
    assert [f.name for f in files] == ["000000.png", "000001.png", "000002.png"]
    for file, image in zip(files, images, strict=True):
        with Image.open(file) as png:
            assert png.mode == ("RGB" if shape[1] == 3 else "L")
            pixels = np.asarray(png, dtype=np.float32) / 255  # (H, W) or (H, W, 3)
        expected = image.transpose(1, 2, 0) if shape[1] == 3 else image.reshape(5, 4)
        assert np.abs(pixels - expected).max() <= 0.5 / 255 + 1e-6


def test_write_images_names_by_id_and_never_deletes(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    images = np.zeros((2, 3, 3))
    with pytest.raises(FileExistsError, match="not empty; use `overwrite`"):
        write_images(folder, images, names=["cat/1.png", "dog/2.png"])
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    write_images(folder, images, names=["cat/1.png", "dog/2.png"], overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == ["cat_1.png", "dog_2.png", "keep.txt"]
    with pytest.raises(ValueError, match="both be named 'a_b.png'"):
        write_images(tmp_path / "twice", images, names=["a/b", "a_b"])
    with pytest.raises(ValueError, match="C = 1 .grey. or 3 .RGB."):
        write_images(tmp_path / "bad", np.zeros((2, 2, 3, 3)))


# ------------------------------------------------------------------ the commands
def test_reconstruct_says_what_it_drew_and_writes_a_png_per_row(cli: Any, digits_run: Any, tmp_path: Path) -> None:
    out, _ = digits_run
    text = cli("reconstruct", out, "digits", "-o", tmp_path / "r.png").stdout
    cli("reconstruct", out, "digits", "-o", tmp_path / "r.npz")
    reconstructions = np.load(tmp_path / "r.npz")["X"]  # (n, 8, 8) in row order
    n = len(reconstructions)
    assert f"wrote 10 of {n:,} rows (spread across the labels) and their reconstructions" in text
    folder = f"{tmp_path}/pngs/"
    assert f"wrote {n:,} reconstructions to {folder}" in cli("reconstruct", out, "digits", "-o", folder).stdout
    files = sorted(Path(folder).glob("*.png"))
    assert len(files) == n
    for file in files[:: max(1, n // 50)]:
        with Image.open(file) as png:
            pixels = np.asarray(png, dtype=np.float32) / 255
        expected = np.clip(reconstructions[int(file.stem)], 0, 1)
        assert np.abs(pixels - expected).max() <= 1 / 255
    again = cli("reconstruct", out, "digits", "-o", folder, ok=False).stderr
    assert "is not empty; use --force" in again and len(again.strip().splitlines()) == 1
    cli("sample", out, "-n", "4", "-o", f"{tmp_path}/drawn/")
    assert sorted(p.name for p in (tmp_path / "drawn").iterdir()) == [f"{i:06d}.png" for i in range(4)]
