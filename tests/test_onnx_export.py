"""ONNX export: the graphs give transform and inverse_transform within 1e-4 (issue 28, item 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import CliRun
from vaekit import VAE, ConditionalVAE, OutlierDetector, datasets, load

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

from vaekit.io.onnx_export import OPSET, export_onnx  # noqa: E402  # after the skips

QUICK = dict(epochs=2, random_state=0, verbose=0)


def run(folder: Path, graph: str, name: str, value: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(folder / graph))
    return session.run(None, {name: value.astype(np.float32)})[0]


def numbers(n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.normal(size=(n, 2)) @ rng.normal(size=(2, 6)) * 50.0 + 1000.0).astype(np.float32)


@pytest.mark.parametrize(
    ("make", "data"),
    [
        (lambda: OutlierDetector(**QUICK), "numbers"),  # learned variance
        (lambda: VAE(**QUICK), "digits"),  # 8 x 8 images, MLP, Bernoulli
        (lambda: VAE(architecture="conv", **QUICK), "digits"),  # convolutions
    ],
    ids=["detector-numbers", "vae-mlp-images", "vae-conv-images"],  # a standardized VAE: the CLI test
)
def test_exported_graphs_match_transform_and_inverse_transform(make, data: str, tmp_path: Path) -> None:
    X = numbers() if data == "numbers" else np.asarray(datasets.load("digits")[0][:300], dtype=np.float32)
    model = make().fit(X)
    folder = export_onnx(model, tmp_path / "onnx")
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "decoder.onnx", "encoder.onnx"]
    z = run(folder, "encoder.onnx", "x", X[:37])  # any number of rows
    np.testing.assert_allclose(z, model.transform(X[:37]), atol=1e-4, rtol=1e-4)
    back = run(folder, "decoder.onnx", "z", z)
    expected = model.inverse_transform(z, plausible=False)
    np.testing.assert_allclose(back, expected, atol=1e-4 * max(1.0, float(np.abs(expected).max())), rtol=1e-4)
    card = (folder / "README.md").read_text()
    assert f"opset {OPSET}" in card and f"float32 (n, {model.latent_dim_})" in card


def test_what_cannot_be_exported_is_refused_in_one_line(tmp_path: Path) -> None:
    table = pd.DataFrame({"a": np.arange(40.0), "k": ["x", "y"] * 20})
    with pytest.raises(ValueError, match="table with categories or gaps.*only models of numeric arrays"):
        export_onnx(VAE(**QUICK).fit(table), tmp_path / "t")
    X = numbers(60)
    with pytest.raises(ValueError, match="conditional"):
        export_onnx(ConditionalVAE(**QUICK).fit(X, np.arange(60) % 2), tmp_path / "c")
    assert not (tmp_path / "t").exists() and not (tmp_path / "c").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="already holds notes.txt"):
        export_onnx(VAE(**QUICK).fit(X), tmp_path / "mine", overwrite=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"


def test_vaekit_export_writes_the_graphs(cli: CliRun, tmp_path: Path) -> None:
    data = tmp_path / "rows.csv"
    pd.DataFrame(numbers(120), columns=[f"f{j}" for j in range(6)]).to_csv(data, index=False)
    cli("train", data, "--epochs", "2", "--quiet", "--out", tmp_path / "run")
    out = cli("export", tmp_path / "run", "-o", tmp_path / "onnx").stdout
    assert "encoder.onnx" in out and (tmp_path / "onnx" / "decoder.onnx").is_file()
    model, X = load(tmp_path / "run"), numbers(120)
    assert model.scaling_.kind == "standardize"  # a VAE's, standardized inside the graph
    z = run(tmp_path / "onnx", "encoder.onnx", "x", X)
    np.testing.assert_allclose(z, model.transform(X), atol=1e-4, rtol=1e-4)
    back = run(tmp_path / "onnx", "decoder.onnx", "z", z)
    np.testing.assert_allclose(back, model.inverse_transform(z, plausible=False), atol=1e-4 * 1100, rtol=1e-4)
    cli("export", tmp_path / "run", "-o", tmp_path / "onnx", ok=False)  # exists: not overwritten
    cli("export", tmp_path / "run", "-o", tmp_path / "onnx", "--force")
