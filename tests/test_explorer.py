"""The explorer's Python side, without a browser: the page is one self-contained file of a
bounded size, the Embedding Projector folder has the projector's formats, and bad input
is one line. The page's JavaScript is tested in ``test_explorer_browser.py``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import CliRun
from vaekit import VAE, load
from vaekit.data.read import read_data
from vaekit.explorer import write_explorer
from vaekit.explorer.arrays import from_float32_b64
from vaekit.explorer.points import choose_rows
from vaekit.explorer.weights import decoder_spec, network_layers

PAGE_LIMIT_MB = 10.0
"""A page of 10,000 points stays below this."""


def _one_line_error(result: object) -> str:
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("vaekit explore: error: "), result.stderr  # type: ignore[attr-defined]
    return lines[0]


def _assert_self_contained(text: str) -> None:
    assert text.count("<html") == 1
    assert not re.search(r"https?://", text), re.search(r".{40}https?://.{40}", text)
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, re.IGNORECASE)
    assert not re.search(r"<link\b", text, re.IGNORECASE)
    assert not re.search(r"@import|url\(", text)  # nothing fetched by the style either


# ---------------------------------------------------------------- the page
def test_page_from_a_run_is_one_self_contained_file_of_its_own_data(digits_run, cli: CliRun, tmp_path: Path) -> None:
    run, _ = digits_run
    out = tmp_path / "explore.html"
    result = cli("explore", run, "-o", out)
    assert result.stdout.strip() == f"wrote {out} (1,797 points)"  # the run's own data: all of the digits
    assert [p.name for p in tmp_path.iterdir()] == ["explore.html"]
    text = out.read_text(encoding="utf-8")
    _assert_self_contained(text)
    assert (
        "window.vaekitDecode = " in text and "window.vaekitDecode(z, cls) -> Array" in text
    )  # documented in the source
    data = json.loads(re.search(r'<script type="application/json" id="vaekit-data">(.*?)</script>', text, re.S)[1])
    estimator = load(run)
    latents = from_float32_b64(data["points"]["latents"]).reshape(-1, 2)
    np.testing.assert_allclose(latents, estimator.transform(read_data("digits").X), rtol=1e-5, atol=1e-6)
    assert data["points"]["n"] == 1797 and data["columns"][0]["name"] == "digit"


def test_weights_are_the_models_own(digits_run) -> None:
    estimator = load(digits_run[0])
    spec = decoder_spec(estimator)
    ops = [layer["op"] for layer in spec["layers"]]
    assert ops[:2] == ["linear", "activation"] and ops[-1] in ("linear", "reshape")  # 8x8 images: the MLP
    assert spec["likelihood"] == "bernoulli"
    weights = [p for p in estimator.model_.decoder.parameters()]
    exported = [from_float32_b64(layer[k]) for layer in spec["layers"] for k in ("weight", "bias") if k in layer]
    assert len(exported) == len(weights)
    for got, want in zip(exported, weights):
        np.testing.assert_array_equal(got, want.detach().numpy().ravel())


def test_a_layer_the_page_cannot_run_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="cannot run a Dropout layer"):
        network_layers(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout()), 2)
    with pytest.raises(ValueError, match="dilation=1"):
        network_layers(torch.nn.Sequential(torch.nn.Unflatten(1, (1, 2, 2)), torch.nn.Conv2d(1, 1, 3, dilation=2)), 4)


def test_ten_thousand_points_of_an_mlp_fit_in_the_size_limit(tmp_path: Path) -> None:
    digits = read_data("digits")
    X = np.clip(
        np.concatenate([digits.X] * 6)[:10_000] + np.random.default_rng(0).normal(0, 0.02, (10_000, 8, 8)), 0, 1
    )
    np.save(tmp_path / "many.npy", X.astype(np.float32))
    loaded = read_data(tmp_path / "many.npy")
    model = VAE(latent_dim=8, architecture="mlp", epochs=1, random_state=0, verbose=0).fit(loaded.X)
    points = write_explorer(model, loaded, tmp_path / "explore.html")
    size_mb = (tmp_path / "explore.html").stat().st_size / 1e6
    assert len(points.rows) == 10_000 and size_mb < PAGE_LIMIT_MB, size_mb
    _assert_self_contained((tmp_path / "explore.html").read_text())


def test_more_rows_than_asked_are_subsampled_with_a_seed_and_a_note(digits_run, cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "few.html"
    result = cli("explore", digits_run[0], "-o", out, "--max-points", "100", "--seed", "3")
    note = "showing 100 of 1,797 rows, drawn at random with seed 3"
    assert note in result.stderr and note in out.read_text()
    rows, _ = choose_rows(1797, 100, 3)
    assert np.array_equal(rows, choose_rows(1797, 100, 3)[0]) and len(set(rows.tolist())) == 100
    assert result.stdout.strip() == f"wrote {out} (100 points)"


# ---------------------------------------------------------------- bad input: one line each
def test_an_existing_page_is_replaced_only_with_force(digits_run, cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "explore.html"
    out.write_text("mine")
    line = _one_line_error(cli("explore", digits_run[0], "-o", out, ok=False))
    assert "already exists; use --force" in line and out.read_text() == "mine"
    cli("explore", digits_run[0], "-o", out, "--force")
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_a_run_without_a_model_is_one_line(cli: CliRun, tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.toml").write_text('[data]\nsource = "digits"\n')
    line = _one_line_error(cli("explore", tmp_path / "run", "-o", tmp_path / "e.html", ok=False))
    assert "config.json is missing" in line and not (tmp_path / "e.html").exists()


def test_a_model_folder_needs_data(digits_run, cli: CliRun, tmp_path: Path) -> None:
    line = _one_line_error(cli("explore", digits_run[0] / "model", "-o", tmp_path / "e.html", ok=False))
    assert "has no data of its own; give DATA" in line
    cli("explore", digits_run[0] / "model", "digits", "-o", tmp_path / "e.html")


def test_data_of_another_shape_is_one_line(digits_run, cli: CliRun, tmp_path: Path) -> None:
    np.save(tmp_path / "other.npy", np.zeros((10, 5, 5), np.float32))
    line = _one_line_error(cli("explore", digits_run[0], tmp_path / "other.npy", "-o", tmp_path / "e.html", ok=False))
    assert "(5, 5)" in line and "(8, 8)" in line


def test_too_many_points_or_an_unknown_format_is_one_line(digits_run, cli: CliRun, tmp_path: Path) -> None:
    line = _one_line_error(cli("explore", digits_run[0], "-o", tmp_path / "e.html", "--max-points", "100001", ok=False))
    assert "100,000" in line
    line = _one_line_error(cli("explore", digits_run[0], "--format", "svg", "-o", tmp_path / "e", ok=False))
    assert "html, projector" in line


# ---------------------------------------------------------------- Embedding Projector
def test_projector_folder_of_images(digits_run, cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "projector"
    cli("explore", digits_run[0], "--format", "projector", "-o", out)
    config = json.loads((out / "projector_config.json").read_text())
    (embedding,) = config["embeddings"]
    assert embedding["tensorShape"] == [1797, 2]
    assert embedding["tensorPath"] == "latents.bytes" and embedding["metadataPath"] == "metadata.tsv"
    tensor = np.fromfile(out / embedding["tensorPath"], dtype="<f4").reshape(embedding["tensorShape"])
    np.testing.assert_allclose(tensor, load(digits_run[0]).transform(read_data("digits").X), rtol=1e-5, atol=1e-6)
    lines = (out / "metadata.tsv").read_text().splitlines()
    assert lines[0] == "row\tdigit" and len(lines) == 1798 and lines[1] == "0\t0"  # a header, then one line per row
    sprite = Image.open(out / embedding["sprite"]["imagePath"])
    assert embedding["sprite"]["singleImageDim"] == [8, 8]
    assert sprite.size == (43 * 8, 43 * 8) and sprite.mode == "L"  # ceil(sqrt(1797)) = 43 thumbnails a side
    first = np.asarray(sprite)[:8, :8]
    np.testing.assert_array_equal(first, np.round(read_data("digits").X[0] * 255).astype(np.uint8))
    line = _one_line_error(cli("explore", digits_run[0], "--format", "projector", "-o", out, ok=False))
    assert "already exists" in line
    cli("explore", digits_run[0], "--format", "projector", "-o", out, "--force")


def test_projector_folder_of_a_table_names_its_columns(table_run, cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "projector"
    cli("explore", table_run, "--format", "projector", "-o", out)
    (embedding,) = json.loads((out / "projector_config.json").read_text())["embeddings"]
    assert "sprite" not in embedding and embedding["tensorShape"] == [200, 2]
    assert (out / "latents.bytes").stat().st_size == 200 * 2 * 4
    lines = (out / "metadata.tsv").read_text().splitlines()
    assert lines[0].split("\t") == ["row", "group", "a", "b", "c", "d"] and len(lines) == 201
    assert lines[1].split("\t")[1] in ("high", "low")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    line = _one_line_error(
        cli("explore", table_run, "--format", "projector", "-o", tmp_path / "mine", "--force", ok=False)
    )
    assert "not replaced, even with --force" in line and (tmp_path / "mine" / "notes.txt").read_text() == "keep"
