"""The explorer page in a real browser: Debian's Chromium, driven headless by Playwright.

The page must load from file:// without one network request, draw every row, show a
hovered row's input, and its JavaScript decoder must give what
``estimator.inverse_transform`` gives (within 1e-4; categories exactly) for every
kind of decoder vaekit builds. Without a browser (or Playwright) every test here is
skipped with the reason in capitals; ``.ci/run`` installs both where it can.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from vaekit import VAE, VQVAE, AutoEncoder, ConditionalVAE
from vaekit.data.read import read_data
from vaekit.explorer import write_explorer
from vaekit.explorer.points import thumbnails

TOLERANCE = 1e-4


def _chromium() -> str | None:
    """The browser to drive: $VAEKIT_CHROMIUM, or Debian's chromium, or another Chrome on the PATH."""
    candidates = [os.environ.get("VAEKIT_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")]
    return next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("NO PLAYWRIGHT: the explorer's browser tests are SKIPPED; pip install -e '.[test]' installs it")
    executable = _chromium()
    if executable is None:
        pytest.skip(
            "NO BROWSER: the explorer's browser tests are SKIPPED; install Chromium (apt-get install chromium) "
            "or point $VAEKIT_CHROMIUM at a Chrome/Chromium binary"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


class Opened:
    """A loaded page and every request it made."""

    def __init__(self, page: Any, requests: list[str], wall_s: float) -> None:
        self.page, self.requests, self.wall_s = page, requests, wall_s

    def decode(self, Z: np.ndarray, classes: list[Any] | None = None) -> list[list[Any]]:
        return self.page.evaluate(
            "([Z, C]) => Z.map((z, i) => vaekitDecode(z, C ? C[i] : undefined))",
            [Z.tolist(), classes],
        )


@pytest.fixture(scope="module")
def open_page(browser: Any) -> Iterator[Any]:
    pages: list[Any] = []

    def open_(path: Path) -> Opened:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        pages.append(page)
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        started = time.perf_counter()
        page.goto(path.resolve().as_uri())
        page.wait_for_function("window.vaekitExplorer && window.vaekitExplorer.ready", timeout=20_000)
        assert not errors, errors
        return Opened(page, requests, time.perf_counter() - started)

    yield open_
    for page in pages:
        page.close()


def _page(tmp_path: Path, estimator: Any, loaded: Any, name: str = "explore.html") -> Path:
    path = tmp_path / name
    write_explorer(estimator, loaded, path)
    return path


def _random_latents(estimator: Any, X: Any, y: Any = None, n: int = 20) -> np.ndarray:
    """n latent points around and beyond the data's latents: 1.5 of their spread from their mean."""
    Z = estimator.transform(X, y)
    rng = np.random.default_rng(0)
    return (Z.mean(0) + 1.5 * Z.std(0) * rng.standard_normal((n, Z.shape[1]))).astype(np.float32)


def _assert_decodes_as_python(opened: Opened, estimator: Any, Z: np.ndarray, classes: list[Any] | None = None) -> None:
    got = opened.decode(Z, classes)
    for i, z in enumerate(Z):
        expected = estimator.inverse_transform(z[None], None if classes is None else [classes[i]])
        if isinstance(expected, pd.DataFrame):
            for column, want, have in zip(expected.columns, expected.iloc[0].tolist(), got[i]):
                if isinstance(want, (str, bool, np.bool_)):
                    assert have == want, f"row {i}, column {column}: page {have!r}, Python {want!r}"
                else:
                    assert np.isclose(float(have), float(want), rtol=TOLERANCE, atol=TOLERANCE), (i, column, have, want)
        else:
            np.testing.assert_allclose(
                np.asarray(got[i], dtype=np.float64), expected.ravel(), rtol=TOLERANCE, atol=TOLERANCE
            )


# ---------------------------------------------------------------- models, trained once
def _fit(estimator: Any, X: Any, y: Any = None) -> Any:
    return estimator.fit(X, y)


@pytest.fixture(scope="module")
def digits() -> Any:
    return read_data("digits")


@pytest.fixture(scope="module")
def digits_page(digits: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The digits with the convolutional decoder (8x8; "auto" gives small images the MLP)."""
    vae = _fit(VAE(latent_dim=2, architecture="conv", epochs=1, random_state=0, verbose=0), digits.X)
    assert vae.architecture_ == "conv"
    return vae, _page(tmp_path_factory.mktemp("digits"), vae, digits)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Path]:
    """A VAE on a table with a category, a yes/no column, gaps, counts and whole numbers."""
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "species": rng.choice(["Adelie", "Gentoo", "Chinstrap"], n),
            "bill_mm": np.round(rng.normal(45, 5, n), 1),
            "eggs": rng.poisson(2.0, n),
            "sex": rng.choice(["male", "female"], n),
            "year": rng.integers(2007, 2010, n) * 1.0,
        }
    )
    frame.loc[rng.choice(n, 30), "bill_mm"] = np.nan
    frame.loc[rng.choice(n, 20), "species"] = None
    folder = tmp_path_factory.mktemp("mixed")
    frame.to_csv(folder / "penguins.csv", index=False)
    loaded = read_data(folder / "penguins.csv")
    vae = _fit(VAE(latent_dim=3, epochs=2, random_state=0, verbose=0), loaded.frame)
    assert vae.likelihood_ == "mixed"
    return vae, loaded, _page(folder, vae, loaded)


# ---------------------------------------------------------------- the page itself
def test_loads_from_file_without_network_and_draws_every_row(digits_page: Any, digits: Any, open_page: Any) -> None:
    _, path = digits_page
    opened = open_page(path)
    outside = [url for url in opened.requests if not url.startswith(("file://", "data:"))]
    assert outside == []
    assert opened.requests == [path.resolve().as_uri()]  # the page itself, nothing else
    assert opened.page.evaluate("vaekitExplorer.pointsDrawn") == len(digits.X) == 1797


def test_hover_shows_the_rows_image_and_screenshot_is_not_blank(
    digits_page: Any, digits: Any, open_page: Any, tmp_path: Path
) -> None:
    from PIL import Image

    _, path = digits_page
    page = open_page(path).page
    positions = np.array(
        page.evaluate("Array.from({length: vaekitExplorer.pointsDrawn}, (_, i) => vaekitExplorer.screenOf(i))")
    )
    gaps = np.linalg.norm(positions[:, None] - positions[None], axis=-1) + np.eye(len(positions)) * 1e9
    row = int(np.argmax(gaps.min(axis=1)))  # the most isolated point: nothing else within reach of the mouse
    box = page.locator("#scatter").bounding_box()
    page.mouse.move(box["x"] + positions[row, 0], box["y"] + positions[row, 1])
    page.wait_for_function(f"vaekitExplorer.hovered === {row}", timeout=5000)
    shown = page.evaluate(
        "() => { const c = document.getElementById('hover-input'); "
        "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }"
    )
    pixels = np.asarray(shown, dtype=np.uint8).reshape(8, 8, 4)[..., 0]
    expected, _, _ = thumbnails(digits.X[[row]])
    np.testing.assert_array_equal(pixels, expected[0, ..., 0])
    assert page.locator("#hover-info").inner_text().startswith(f"row {row}, digit {digits.labels[row]}")

    shot = tmp_path / "explorer.png"
    page.screenshot(path=str(shot), full_page=True)
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 20  # points in many colours, text, a decoded image
    assert (image.min(axis=-1) < 200).mean() > 0.01


def test_hover_shows_the_table_row_with_its_names_and_categories(mixed: Any, open_page: Any) -> None:
    _, loaded, path = mixed
    page = open_page(path).page
    positions = np.array(
        page.evaluate("Array.from({length: vaekitExplorer.pointsDrawn}, (_, i) => vaekitExplorer.screenOf(i))")
    )
    gaps = np.linalg.norm(positions[:, None] - positions[None], axis=-1) + np.eye(len(positions)) * 1e9
    row = int(np.argmax(gaps.min(axis=1)))
    box = page.locator("#scatter").bounding_box()
    page.mouse.move(box["x"] + positions[row, 0], box["y"] + positions[row, 1])
    page.wait_for_function(f"vaekitExplorer.hovered === {row}", timeout=5000)
    for column in loaded.frame.columns:
        text = page.locator(f'#hover-table tr[data-column="{column}"] td.input').inner_text()
        value = loaded.frame[column].iloc[row]
        if pd.isna(value):
            assert text == "missing"
        elif isinstance(value, str):
            assert text == value
        else:
            assert float(text) == pytest.approx(float(value), rel=1e-4)


# ---------------------------------------------------------------- the decoder, every kind
def test_decodes_as_python_digits_conv(digits_page: Any, digits: Any, open_page: Any) -> None:
    vae, path = digits_page
    _assert_decodes_as_python(open_page(path), vae, _random_latents(vae, digits.X))


def test_decodes_as_python_mlp_on_images(digits: Any, open_page: Any, tmp_path: Path) -> None:
    vae = _fit(VAE(latent_dim=3, architecture="mlp", epochs=1, random_state=0, verbose=0), digits.X)
    page = open_page(_page(tmp_path, vae, digits))
    _assert_decodes_as_python(page, vae, _random_latents(vae, digits.X))


@pytest.fixture(scope="module")
def conv28(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """A 28x28 convolutional decoder (three stride-2 stages), one epoch on grey-level noise."""
    folder = tmp_path_factory.mktemp("conv28")
    X = np.random.default_rng(0).uniform(0, 1, (64, 28, 28)).astype(np.float32)
    np.save(folder / "noise.npy", X)
    loaded = read_data(folder / "noise.npy")
    vae = _fit(VAE(latent_dim=4, architecture="conv", epochs=1, random_state=0, verbose=0), loaded.X)
    assert vae.architecture_ == "conv" and vae.likelihood_ == "continuous-bernoulli"
    return vae, _page(folder, vae, loaded)


def test_decodes_as_python_conv_28x28_and_fast(conv28: Any, open_page: Any) -> None:
    vae, path = conv28
    opened = open_page(path)
    X = np.load(path.parent / "noise.npy")
    _assert_decodes_as_python(opened, vae, _random_latents(vae, X))
    times = opened.page.evaluate(
        "() => { const z = [0.1, -0.2, 0.3, 0.05]; for (let i = 0; i < 5; i++) vaekitDecode(z);"
        " const t = []; for (let i = 0; i < 15; i++) { const s = performance.now(); vaekitDecode(z); t.push(performance.now() - s); }"
        " return t; }"
    )
    decode_ms = statistics.median(times)
    print(f"\nexplorer: one decode of the 28x28 conv decoder in the page: {decode_ms:.1f} ms (median of 15)")
    assert decode_ms < 50


def test_decodes_as_python_numeric_table_every_activation(open_page: Any, tmp_path: Path) -> None:
    """A numeric table (standardized, Gaussian), once per activation the networks can use."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2)) @ rng.normal(size=(2, 5)) * [1, 10, 100, 0.1, 3] + [0, 5, -50, 1, 2]
    folder = tmp_path
    pd.DataFrame(X, columns=list("abcde")).to_csv(folder / "table.csv", index=False)
    loaded = read_data(folder / "table.csv")
    for activation in ("relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid"):
        model = AutoEncoder(latent_dim=2, hidden=(8,), activation=activation, epochs=1, random_state=0, verbose=0)
        model.fit(loaded.inputs()[0])
        assert model.scaling_.kind == "standardize"
        page = open_page(_page(folder, model, loaded, f"{activation}.html"))
        _assert_decodes_as_python(page, model, _random_latents(model, loaded.inputs()[0]))


def test_decodes_as_python_mixed_table_categories_exact(mixed: Any, open_page: Any) -> None:
    vae, loaded, path = mixed
    _assert_decodes_as_python(open_page(path), vae, _random_latents(vae, loaded.frame))


def test_decodes_as_python_conditional_vae_with_its_class(digits: Any, open_page: Any, tmp_path: Path) -> None:
    cvae = _fit(ConditionalVAE(latent_dim=2, epochs=1, random_state=0, verbose=0), digits.X, digits.labels)
    opened = open_page(_page(tmp_path, cvae, digits))
    classes = [int(c) for c in np.random.default_rng(1).choice(cvae.classes_, 20)]
    _assert_decodes_as_python(opened, cvae, _random_latents(cvae, digits.X, digits.labels), classes)
    assert opened.page.locator("#class-select option").count() == 10


def test_decodes_as_python_vqvae_snapped(digits: Any, open_page: Any, tmp_path: Path) -> None:
    vq = _fit(VQVAE(latent_dim=4, code_dim=2, codebook_size=16, epochs=1, random_state=0, verbose=0), digits.X)
    opened = open_page(_page(tmp_path, vq, digits))
    Z = _random_latents(vq, digits.X)
    snapped = np.asarray(opened.page.evaluate("Z => Z.map(vaekitQuantize)", Z.tolist()), dtype=np.float32)
    np.testing.assert_allclose(snapped, vq.quantize(Z), rtol=1e-6)
    _assert_decodes_as_python(opened, vq, vq.quantize(Z))
    assert opened.page.locator("#snap").is_checked()


def test_ten_thousand_points_interactive_in_two_seconds(digits: Any, open_page: Any, tmp_path: Path) -> None:
    X = np.concatenate([digits.X] * 6)[:10_000]
    X = np.clip(X + np.random.default_rng(0).normal(0, 0.02, X.shape), 0, 1).astype(np.float32)
    np.save(tmp_path / "many.npy", X)
    loaded = read_data(tmp_path / "many.npy")
    model = VAE(latent_dim=2, architecture="mlp", epochs=1, random_state=0, verbose=0).fit(X)
    opened = open_page(_page(tmp_path, model, loaded))
    ready_ms = opened.page.evaluate("vaekitExplorer.readyMs")
    size_mb = (tmp_path / "explore.html").stat().st_size / 1e6
    print(f"\nexplorer: 10,000 points ({size_mb:.1f} MB page) interactive {ready_ms:.0f} ms after navigation")
    assert opened.page.evaluate("vaekitExplorer.pointsDrawn") == 10_000
    assert ready_ms < 2000
