"""One row identity (issue 25, item 2): every output names the file's rows the same way.

A row is named by its number in the file (``row``, from 0 at the first data row, the
header not counted) and its id where it has one (an id column's value, an image's path):
:mod:`vaekit.data.rows`. A run's ``latents.csv`` lists every row in the file's order, so
it maps back to the user's file by position and by ``row``; ``vaekit score`` and the run
flag the same rows with the same scores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import Result

from vaekit.data.loaded import LoadedData
from vaekit.data.rows import NUMBERED, key_columns, row_name, row_names, row_numbers, user_ids, with_row_ids
from vaekit.data.split import DATA_DEFAULTS, describe, load_split
from vaekit.data.write import write_array

CliRun = Callable[..., Result]
TINY = ("--epochs", "2", "--hidden", "8", "--quiet")


def table(n: int = 5, ids: bool = False) -> LoadedData:
    return LoadedData(
        X=np.arange(2 * n, dtype=np.float32).reshape(n, 2), labels=None,
        ids=np.array([f"id{i}" for i in range(n)]) if ids else None, feature_names=["a", "b"], label_name=None,
        id_name="name" if ids else None, source="t.csv", kind="table",
    )  # fmt: skip


# ------------------------------------------------------------------ the convention
def test_rows_without_ids_are_named_by_their_number_from_zero() -> None:
    data = table()
    assert user_ids(data) == (None, None)
    assert row_numbers(data).tolist() == [0, 1, 2, 3, 4]
    assert row_names(data, [3, 0]) == ["row 3", "row 0"]
    named = with_row_ids(data)
    assert named.id_name == NUMBERED and named.ids is not None and named.ids.tolist() == [0, 1, 2, 3, 4]
    assert user_ids(named) == (None, None)  # row numbers are no id
    assert list(key_columns(data)) == ["row"]


def test_rows_with_ids_keep_their_number_and_their_id() -> None:
    data = table(ids=True)
    assert with_row_ids(data) is data
    columns = key_columns(data)
    assert list(columns) == ["row", "name"] and columns["name"][2] == "id2" and columns["row"][2] == 2
    assert row_names(data, [2]) == ["row 2 (name id2)"]
    assert row_name(7, "file", "cats/10.png") == "cats/10.png"  # an image's path names it alone
    # an output that has its own column called row keeps it: the numbers move aside
    assert list(key_columns(data, taken=["row", "z0"])) == ["vaekit_row", "name"]
    theirs = dataclasses.replace(data, id_name="row")  # the user's id column is called row
    assert user_ids(theirs)[1] == "row" and row_numbers(theirs).tolist() == [0, 1, 2, 3, 4]
    columns = key_columns(theirs)
    assert list(columns) == ["vaekit_row", "row"] and columns["row"][1] == "id1"


def test_a_test_row_keeps_its_number_in_the_file() -> None:
    """The parts of a run name their rows by the file's numbers, and merge back into the file's order."""
    config = {**DATA_DEFAULTS, "source": "latent-factors", "test_fraction": 0.25}
    split = load_split(config, seed=3)
    assert split.test is not None and split.test.id_name == NUMBERED
    everything = split.everything()
    n = split.n_train + split.n_test
    assert everything.rows.tolist() == list(range(n))
    whole = load_split({**config, "test_fraction": 0.0}, seed=3).train
    np.testing.assert_array_equal(everything.data.X, whole.X)  # row i is the file's row i
    np.testing.assert_array_equal(split.test.X, whole.X[split.test.ids.astype(int)])
    assert (everything.part == "test").sum() == split.n_test
    assert sorted(everything.rows[everything.part == "test"].tolist()) == split.test.ids.tolist()


def test_write_array_puts_the_row_names_first_and_keeps_them_in_npz(tmp_path: Path) -> None:
    Z = np.zeros((3, 2), dtype=np.float32)
    keys = {"row": np.array([4, 5, 9]), "file": np.array(["a/1.png", "a/2.png", "b/10.png"])}
    write_array(tmp_path / "z.csv", Z, keys=keys, extra_columns={"folder": np.array(["a", "a", "b"])})
    assert list(pd.read_csv(tmp_path / "z.csv").columns) == ["row", "file", "z0", "z1", "folder"]
    write_array(tmp_path / "z.npz", Z, keys=keys, extra_columns={"file_kind": np.array(["png"] * 3)})
    with np.load(tmp_path / "z.npz") as archive:
        assert archive.files == ["X", "row", "ids", "file_kind"]
        assert archive["row"].tolist() == [4, 5, 9] and archive["ids"][2] == "b/10.png"
    with pytest.raises(ValueError, match="'row' is used twice"):
        write_array(tmp_path / "y.csv", Z, column_names=["row", "z1"], keys={"row": np.arange(3)})


# ------------------------------------------------------------------ a run of a table
@pytest.fixture(scope="module")
def plain_run(tmp_path_factory: pytest.TempPathFactory, cli: CliRun) -> tuple[Path, Path]:
    """A table without an id column (60 rows, 6 held out), and a VAE run on it."""
    rng = np.random.default_rng(1)
    t = rng.normal(size=(60, 1))
    frame = pd.DataFrame(np.hstack([t, -t, t**2]) + 0.1 * rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    folder = tmp_path_factory.mktemp("plain")
    path = folder / "plain.csv"
    frame.to_csv(path, index=False)
    out = folder / "run"
    cli("train", path, "--out", out, *TINY)
    return path, out


def test_latents_csv_maps_back_to_the_files_rows(plain_run: tuple[Path, Path], cli: CliRun, tmp_path: Path) -> None:
    path, out = plain_run
    latents = pd.read_csv(out / "latents.csv")
    assert list(latents.columns[:3]) == ["row", "z0", "z1"]
    assert latents["row"].tolist() == list(range(60))  # the file's order, test rows in their place
    test_rows = latents.loc[latents["split"] == "test", "row"].tolist()
    assert len(test_rows) == 6 and test_rows != list(range(54, 60))  # not train-then-test
    cli("encode", out, path, "-o", tmp_path / "z.csv")
    encoded = pd.read_csv(tmp_path / "z.csv")  # the same file encoded alone
    assert list(encoded.columns) == ["row", "z0", "z1"]
    np.testing.assert_allclose(latents[["z0", "z1"]], encoded[["z0", "z1"]], rtol=1e-5, atol=1e-6)
    page = (out / "report.html").read_text()
    assert "Row numbers count from 0 at the first data row, the header not counted" in page


def test_score_and_the_run_flag_the_same_rows(plain_run: tuple[Path, Path], cli: CliRun, tmp_path: Path) -> None:
    path, out = plain_run
    said = cli("score", out, path, "-o", tmp_path / "s.csv").stdout
    scores = pd.read_csv(tmp_path / "s.csv")
    latents = pd.read_csv(out / "latents.csv")
    assert scores["row"].tolist() == latents["row"].tolist()
    np.testing.assert_allclose(scores["anomaly_score"], latents["anomaly_score"], rtol=1e-9)
    assert scores["flag"].tolist() == latents["flag"].tolist()
    page = (out / "report.html").read_text()
    flagged = int(latents["flag"].sum())
    summary = "flagged: anomaly_score above "
    assert summary in said and summary in page  # the same words
    assert f": {flagged} of 60 rows" in said and f": {flagged} of 60 rows, train and test" in page
    oddest = int(latents["row"][latents["anomaly_score"].idxmax()])
    assert f"\n  row {oddest}: anomaly_score" in said and f"<td>row {oddest} (" in page
    assert "-ELBO, an upper bound on -log p(x)" in said


# ------------------------------------------------------------------ a folder of images
@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sub-folders of 12 grey 8x8 images each, named 1.png ... 12.png."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    folder = tmp_path_factory.mktemp("photos") / "photos"
    for digit, name in ((0, "zeros"), (1, "ones")):
        (folder / name).mkdir(parents=True)
        for i, image in enumerate(digits.images[digits.target == digit][:12], start=1):
            Image.fromarray((image * 15).astype(np.uint8)).save(folder / name / f"{i}.png")
    return folder


def test_an_image_folder_through_train_encode_and_decode(photos: Path, cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "run"
    said = cli("train", photos, "--out", out, *TINY).stdout.splitlines()[0]
    assert said.startswith(f"read 24 images from '{photos}': 8x8 pixels (height x width), grey, in natural order")
    assert "labels: the sub-folder names, 2 values: ones, zeros" in said
    latents = pd.read_csv(out / "latents.csv")
    assert list(latents.columns[:4]) == ["row", "file", "z0", "z1"]
    assert latents["file"].tolist()[:4] == ["ones/1.png", "ones/2.png", "ones/3.png", "ones/4.png"]
    assert latents["file"].tolist()[9:13] == ["ones/10.png", "ones/11.png", "ones/12.png", "zeros/1.png"]
    cli("encode", out, photos, "-o", tmp_path / "z.csv")
    decoded = tmp_path / "decoded"
    cli("decode", out, tmp_path / "z.csv", "-o", f"{decoded}/")  # no --id: the file names encode wrote
    assert sorted(p.name for p in decoded.iterdir()) == sorted(
        f"{d}_{i}.png" for d in ("ones", "zeros") for i in range(1, 13)
    )
    text = cli("encode", out, photos, "-o", tmp_path / "z.npy").stdout
    assert "a .npy holds one array, so row, file, folder are not in it" in text
    page = (out / "report.html").read_text()
    assert "a table's rows" not in page  # the reconstructions caption describes images
    assert "reconstructions (test data): originals (top) above their reconstructions" in page


def test_the_split_says_what_it_read_of_a_table(tmp_path: Path) -> None:
    frame = pd.DataFrame({"name": [f"n{i}" for i in range(30)], "x": np.arange(30.0), "kind": ["a", "b"] * 15})
    frame.to_csv(tmp_path / "t.csv", index=False)
    split = load_split({**DATA_DEFAULTS, "source": str(tmp_path / "t.csv"), "id": "name", "label": "kind"}, 0)
    assert describe(split) == (
        f"read 30 rows x 1 feature column from '{tmp_path / 't.csv'}'; labels: column 'kind', 2 values: a, b; "
        "ids: column 'name'; 27 train, 3 test (10% of the rows, drawn with seed 0)"
    )


def test_image_files_are_taken_in_natural_order(tmp_path: Path) -> None:
    from vaekit.data.images import natural_key
    from vaekit.data.read import read_data

    for name in ("10.png", "2.png", "1.png", "img10.png", "img9.png", "B.png", "a.png"):
        Image.fromarray(np.zeros((2, 2), dtype=np.uint8)).save(tmp_path / name)
    assert read_data(tmp_path).ids.tolist() == ["1.png", "2.png", "10.png", "a.png", "B.png", "img9.png", "img10.png"]
    assert sorted(["b10", "b2", "b1"], key=natural_key) == ["b1", "b2", "b10"]
