"""The ``vaekit`` command line, run in-process with Typer's ``CliRunner``.

Each test calls the same Typer app the ``vaekit`` script runs, with the same
arguments, and checks exit codes, stdout, stderr and the files written. The run
folders that tests only read (a VAE on the built-in digits, a VAE on a CSV table)
are trained once per session in ``conftest.py``. What only a real process shows
(exit codes as the shell sees them, start-up imports, one end-to-end training) is
checked in ``test_cli_smoke.py``.
"""

from __future__ import annotations

import gzip
import json
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import Result

CliRun = Callable[..., Result]  # the `cli` fixture of conftest.py: cli(*args, ok=True) -> Result
TINY = ("--epochs", "2", "--hidden", "16", "--quiet")  # as the session runs of conftest.py


def error_line(result: Result) -> str:
    """The one-line error a failing command printed on stderr (and nothing on stdout).

    Notes on what was read before the error (a short line read as gaps, say) may come first,
    and ``vaekit train``'s first line, what it read, once its options are understood.
    """
    lines = [line for line in result.stderr.strip().splitlines() if ": note: " not in line]
    assert len(lines) == 1, f"expected one line on stderr besides notes, got:\n{result.stderr}"
    assert "error:" in lines[0] and lines[0].startswith("vaekit ")
    said = [line for line in result.stdout.splitlines() if not line.startswith("read ")]
    assert said == [], f"a failing command printed on stdout:\n{result.stdout}"
    return lines[0]


def assert_png(path: Path, min_side: int = 100) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert min(image.size) >= min_side, f"{path.name} is only {image.size}"
        assert max(image.size) <= 4000


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file as MNIST's: magic 0x0000_08_<ndim>, big-endian sizes, the bytes."""
    assert array.dtype == np.uint8
    return bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes() + array.tobytes()


# ---------------------------------------------------------------- start-up and help
def _commands() -> list[str]:
    import typer

    from vaekit.cli import app

    return sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", _commands())
def test_every_command_help_shows_an_example(cli: CliRun, command: str) -> None:
    result = cli(command, "--help")
    assert "Example: vaekit " + command in result.stdout
    assert result.stdout.startswith(f"Usage: vaekit {command} ") and result.stderr == ""


def test_version(cli: CliRun) -> None:
    from vaekit import __version__

    assert cli("--version").stdout == f"vaekit {__version__}\n"


def test_datasets_lists_every_builtin_set(cli: CliRun) -> None:
    out = cli("datasets").stdout
    for name in ("digits", "latent-factors", "mnist", "fashion-mnist", "frey-faces"):
        assert name in out
    assert "embedded" in out


# ---------------------------------------------------------------------- train
def test_train_writes_a_complete_run_folder(digits_run: tuple[Path, Result]) -> None:
    out, result = digits_run
    for name in (
        "config.toml",
        "history.csv",
        "metrics.json",
        "latents.csv",
        "report.html",
        "model/config.json",
        "model/model.safetensors",
    ):
        assert (out / name).is_file(), name
    assert "report.html" in result.stdout.strip().splitlines()[-1]
    assert result.stderr == ""  # --quiet: no progress bar
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["likelihood"] == "bernoulli" and metrics["data"]["sample_shape"] == [8, 8]
    assert metrics["data"]["n_train"] + metrics["data"]["n_test"] == 1797
    for part in ("train", "test"):
        assert np.isclose(metrics[part]["elbo"], -(metrics[part]["reconstruction"] + metrics[part]["kl"]))
        assert metrics[part]["mse"] == pytest.approx(metrics[part]["squared_error"] / 64)
    assert metrics["pca"]["n_components"] == 2 and metrics["pca"]["squared_error"] > 0
    history = pd.read_csv(out / "history.csv")
    assert len(history) == 2 and {"train_reconstruction", "train_kl", "val_loss"} <= set(history.columns)
    latents = pd.read_csv(out / "latents.csv")
    assert list(latents.columns) == ["row", "z0", "z1", "digit", "split", "anomaly_score", "flag"]
    assert latents["row"].tolist() == list(range(1797))  # the data set's order, train and test rows in place
    assert (latents["split"] == "test").sum() == metrics["data"]["n_test"]
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert figures == sorted(
        f"{k}.png"
        for k in (
            "history",
            "latent",
            "manifold",
            "reconstructions",
            "samples",
            "interpolation",
            "traversals",
            "anomaly-scores",
            "anomalies",
            "layers",
        )
    )
    for png in (out / "figures").glob("*.png"):
        assert_png(png)
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == len(figures) and "<table>" in page


def test_config_repeats_the_run(cli: CliRun, table_run: Path, tmp_path: Path) -> None:
    out = table_run
    again = tmp_path / "again"
    cli("train", "--config", out / "config.toml", "--out", again, "--quiet")
    first = json.loads((out / "metrics.json").read_text())
    second = json.loads((again / "metrics.json").read_text())
    assert second["train"] == first["train"] and second["test"] == first["test"]
    assert (again / "config.toml").read_text() == (out / "config.toml").read_text()


def test_train_refuses_to_overwrite_without_force(cli: CliRun, digits_run: tuple[Path, Result], tmp_path: Path) -> None:
    out, _ = digits_run
    before = (out / "metrics.json").read_bytes()
    line = error_line(cli("train", "digits", "--out", out, *TINY, ok=False))
    assert "already exists" in line and "--force" in line
    assert (out / "metrics.json").read_bytes() == before
    # a folder that is not a run is never replaced, even with --force
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("mine")
    line = error_line(cli("train", "digits", "--out", precious, "--force", *TINY, ok=False))
    assert "not a vaekit run" in line and (precious / "notes.txt").read_text() == "mine"
    assert [p.name for p in precious.iterdir()] == ["notes.txt"]


def test_train_force_replaces_a_run(cli: CliRun, table_run: Path, table_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    shutil.copytree(table_run, out)  # a finished run, trained with seed 0
    assert "seed = 0" in (out / "config.toml").read_text()
    cli("train", table_csv, "--id", "name", "--label", "group", "--out", out, "--force", "--seed", "5", *TINY)
    assert "seed = 5" in (out / "config.toml").read_text()
    assert json.loads((out / "metrics.json").read_text()) != json.loads((table_run / "metrics.json").read_text())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging folders left behind"


def test_default_run_folder_is_numbered_not_overwritten(cli: CliRun, table_csv: Path, in_tmp_path: Path) -> None:
    args = ("train", table_csv, "--id", "name", "--label", "group", *TINY)
    (in_tmp_path / "runs" / "measurements-vae").mkdir(parents=True)  # taken (by anything: a run or not)
    (in_tmp_path / "runs" / "measurements-vae" / "notes.txt").write_text("mine")
    second = cli(*args).stdout
    assert "runs/measurements-vae-2/" in second
    assert sorted(p.name for p in (in_tmp_path / "runs").iterdir()) == ["measurements-vae", "measurements-vae-2"]
    assert (in_tmp_path / "runs" / "measurements-vae" / "notes.txt").read_text() == "mine"
    assert (in_tmp_path / "runs" / "measurements-vae-2" / "metrics.json").is_file()


# ----------------------------------------------------------------- a user's CSV
def test_columns_are_matched_by_name(cli: CliRun, table_run: Path, table_csv: Path, tmp_path: Path) -> None:
    shuffled = tmp_path / "shuffled.csv"
    frame = pd.read_csv(table_csv)
    frame[["d", "c", "name", "b", "a"]].to_csv(shuffled, index=False)  # no label column, other order
    cli("encode", table_run, shuffled, "--id", "name", "-o", tmp_path / "z1.csv")
    cli("encode", table_run, table_csv, "--id", "name", "--label", "group", "-o", tmp_path / "z2.csv")
    np.testing.assert_array_equal(
        pd.read_csv(tmp_path / "z1.csv")[["z0", "z1"]], pd.read_csv(tmp_path / "z2.csv")[["z0", "z1"]]
    )


def test_csv_table_round_trip(cli: CliRun, table_run: Path, table_csv: Path, tmp_path: Path) -> None:
    metrics = json.loads((table_run / "metrics.json").read_text())
    assert metrics["data"]["kind"] == "table" and metrics["data"]["sample_shape"] == [4]
    latents = tmp_path / "z.csv"
    cli("encode", table_run, table_csv, "--id", "name", "--label", "group", "-o", latents, "--logvar")
    z = pd.read_csv(latents)
    assert list(z.columns) == ["row", "name", "z0", "z1", "logvar0", "logvar1", "group"]
    assert len(z) == 200 and z["name"].iloc[7] == "row7" and z["row"].iloc[7] == 7
    decoded = tmp_path / "decoded.csv"
    cli("decode", table_run, latents, "--id", "name", "-o", decoded)
    x_hat = pd.read_csv(decoded)
    assert list(x_hat.columns) == ["row", "name", "a", "b", "c", "d"] and len(x_hat) == 200
    cli("decode", table_run, latents, "-o", tmp_path / "named.csv")  # the names encode wrote, without --id
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "named.csv"), x_hat)
    recon = tmp_path / "recon.csv"
    out = cli("reconstruct", table_run, table_csv, "--id", "name", "--label", "group", "-o", recon).stdout
    r = pd.read_csv(recon)
    assert {"a", "b", "c", "d", "reconstruction_error"} <= set(r.columns)
    # decoding the latent means gives the reconstruction
    np.testing.assert_allclose(
        r[["a", "b", "c", "d"]].to_numpy(), x_hat[["a", "b", "c", "d"]].to_numpy(), rtol=1e-4, atol=1e-5
    )
    original = pd.read_csv(table_csv)[["a", "b", "c", "d"]].to_numpy()
    np.testing.assert_allclose(
        r["reconstruction_error"], ((original - r[["a", "b", "c", "d"]].to_numpy()) ** 2).sum(1), rtol=1e-4
    )
    assert "squared error per row" in out


def test_table_figures_and_samples(cli: CliRun, table_run: Path, tmp_path: Path) -> None:
    figures = sorted(p.name for p in (table_run / "figures").glob("*.png"))
    assert figures == [
        "anomalies.png", "anomaly-scores.png", "feature-errors.png", "history.png", "latent.png", "layers.png"
    ]  # fmt: skip
    samples = tmp_path / "s.csv"
    cli("sample", table_run, "-n", "7", "-o", samples)
    assert list(pd.read_csv(samples).columns) == ["a", "b", "c", "d"] and len(pd.read_csv(samples)) == 7
    line = error_line(cli("plot", table_run, "--kind", "manifold", "-o", tmp_path / "m.png", ok=False))
    assert "images only" in line and not (tmp_path / "m.png").exists()
    line = error_line(cli("sample", table_run, "-n", "4", "-o", tmp_path / "s.png", ok=False))
    assert "needs images" in line and not (tmp_path / "s.png").exists()


def test_evaluate_json(cli: CliRun, table_run: Path, table_csv: Path) -> None:
    result = json.loads(cli("evaluate", table_run, table_csv, "--id", "name", "--label", "group", "--json").stdout)
    assert (
        result["n"] == 200 and result["likelihood"] == "gaussian-learned"
    )  # a table of numbers: a variance per column
    assert np.isclose(result["elbo"], -(result["reconstruction"] + result["kl"]))
    text = cli("evaluate", table_run, table_csv, "--id", "name", "--label", "group").stdout
    assert "ELBO" in text and "MSE" in text


# ------------------------------------------------------------ images and formats
def test_image_outputs(cli: CliRun, digits_run: tuple[Path, Result], tmp_path: Path) -> None:
    out, _ = digits_run
    cli("sample", out, "-n", "16", "-o", tmp_path / "s.png")
    assert_png(tmp_path / "s.png")
    cli("sample", out, "-n", "5", "-o", tmp_path / "s.npy")
    assert np.load(tmp_path / "s.npy").shape == (5, 8, 8)
    cli("reconstruct", out, "digits", "-o", tmp_path / "r.png")
    assert_png(tmp_path / "r.png")
    for kind in ("history", "latent", "manifold", "traversals", "interpolation", "layers"):
        cli("plot", out, "digits", "--kind", kind, "-o", tmp_path / f"{kind}.png")
        assert_png(tmp_path / f"{kind}.png")
    text = cli("summary", out, "-o", tmp_path / "summary.png").stdout
    assert "total parameters" in text and "Linear" in text  # 8x8 images get the MLP
    assert_png(tmp_path / "summary.png")


@pytest.mark.parametrize("fmt", ["npy", "npz", "idx.gz", "idx", "parquet", "pngs"])
def test_every_input_format_encodes(cli: CliRun, digits_run: tuple[Path, Result], tmp_path: Path, fmt: str) -> None:
    from vaekit import datasets, load

    out, _ = digits_run
    X, y = datasets.load("digits")
    X, y = X[:30], y[:30]
    pixels = np.round(X * 255).astype(np.uint8)  # (30, 8, 8)
    extra: list[str] = []
    if fmt == "npy":
        path = tmp_path / "x.npy"
        np.save(path, X)
    elif fmt == "npz":
        path = tmp_path / "x.npz"
        np.savez(path, images=X, labels=y)
        extra = ["--key", "images", "--label", "labels"]
    elif fmt == "idx":
        path = tmp_path / "x-idx3-ubyte"
        path.write_bytes(idx_bytes(pixels))
    elif fmt == "idx.gz":
        path = tmp_path / "x-idx3-ubyte.gz"
        path.write_bytes(gzip.compress(idx_bytes(pixels)))
    elif fmt == "parquet":
        path = tmp_path / "x.parquet"
        pd.DataFrame(X.reshape(30, 64), columns=[f"p{i}" for i in range(64)]).to_parquet(path)
    else:
        path = tmp_path / "pngs"
        for i, image in enumerate(pixels):
            folder = path / f"digit{y[i]}"
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"{i:02d}.png")
    target = tmp_path / "z.csv"
    cli("encode", out, path, *extra, "-o", target)
    z = pd.read_csv(target)
    assert len(z) == 30 and {"z0", "z1"} <= set(z.columns)
    # each format gives the codes of the same pixels (8-bit formats hold them rounded to /255)
    stored = X if fmt in ("npy", "npz", "parquet") else pixels.astype(np.float32) / 255
    rows = np.arange(30)
    if fmt == "pngs":
        assert set(z["folder"]) == {f"digit{d}" for d in y}
        rows = np.array([int(Path(name).stem) for name in z["file"]])  # files are listed by folder
    expected = load(out / "model").transform(stored[rows])
    np.testing.assert_allclose(z[["z0", "z1"]].to_numpy(), expected, rtol=1e-5, atol=1e-5)


def test_train_on_an_image_folder(cli: CliRun, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i in range(24):
        folder = tmp_path / "faces" / ("a" if i % 2 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (14, 10, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    out = tmp_path / "run"
    cli("train", tmp_path / "faces", "--out", out, *TINY)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["sample_shape"] == [3, 14, 10]
    assert_png(out / "figures" / "reconstructions.png")


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "content, expected",
    [
        ("a,b,c,d\n1,2,3,4\n5,oops,7,8\n", ["bad.csv", "'b'", "line 3", "oops"]),
        ("a,b,c,d\n1,2,3,4\n5,6,7\n", ["bad.csv", "missing", "line 3"]),
        ("a,b,c,d\n1,2,3,4\n5,6,7,8,9\n", ["bad.csv", "line 3"]),
        ("a,b,c\n1,2,3\n", ["bad.csv", "lacks d"]),
        ("1,2,3\n4,5,6\n", ["bad.csv", "3 features", "trained on 4 features"]),
    ],
    ids=["non-numeric", "missing", "ragged", "missing-column", "feature-count"],
)
def test_bad_csv_gives_one_line_error(
    cli: CliRun, table_run: Path, tmp_path: Path, content: str, expected: list[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    line = error_line(cli("encode", table_run, path, "-o", tmp_path / "z.csv", ok=False))
    assert line.startswith("vaekit encode: error: ")
    for piece in expected:
        assert piece in line, f"{piece!r} not in {line!r}"
    assert not (tmp_path / "z.csv").exists()


def test_unreadable_image_names_the_file(cli: CliRun, digits_run: tuple[Path, Result], tmp_path: Path) -> None:
    out, _ = digits_run
    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "good.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    line = error_line(cli("encode", out, folder, "-o", tmp_path / "z.csv", ok=False))
    assert "broken.png" in line


def test_debug_shows_the_traceback(cli: CliRun, table_run: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,x\n")
    args = ("encode", table_run, path, "-o", tmp_path / "z.csv")
    plain = cli(*args, ok=False)
    assert "Traceback" not in plain.stderr
    debug = cli("--debug", *args, ok=False)
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert debug.stderr.strip().splitlines()[-1] == plain.stderr.strip()  # the same one line, last


def test_missing_model_and_unknown_data(cli: CliRun, tmp_path: Path, table_run: Path) -> None:
    line = error_line(cli("encode", tmp_path / "nowhere", "digits", "-o", tmp_path / "z.csv", ok=False))
    assert "nowhere" in line
    line = error_line(cli("encode", table_run, "no-such-thing.csv", "-o", tmp_path / "z.csv", ok=False))
    assert "no-such-thing.csv" in line
    assert not (tmp_path / "z.csv").exists()


def test_outputs_are_not_overwritten_without_force(
    cli: CliRun, table_run: Path, table_csv: Path, tmp_path: Path
) -> None:
    target = tmp_path / "z.csv"
    target.write_text("precious\n")
    args = ("encode", table_run, table_csv, "--id", "name", "--label", "group", "-o", target)
    line = error_line(cli(*args, ok=False))
    assert "--force" in line and target.read_text() == "precious\n"
    cli(*args, "--force")
    assert len(pd.read_csv(target)) == 200


# ------------------------------------------------------------- the model family
@pytest.mark.parametrize("kind, extra", [("ae", []), ("dae", ["--noise-level", "0.3"]), ("iwae", ["--k", "3"])])
def test_train_each_model_kind(cli: CliRun, table_csv: Path, tmp_path: Path, kind: str, extra: list[str]) -> None:
    out = tmp_path / kind
    cli("train", table_csv, "--id", "name", "--label", "group", "--model", kind, *extra, "--out", out, *TINY)
    metrics = json.loads((out / "metrics.json").read_text())
    names = {"ae": "AutoEncoder", "dae": "DenoisingAutoEncoder", "iwae": "IWAE"}
    assert metrics["model"] == names[kind]
    assert (metrics["test"]["elbo"] is None) == (kind in ("ae", "dae"))
    config = (out / "config.toml").read_text()
    assert f'model = "{kind}"' in config


def test_option_of_another_model_is_refused(cli: CliRun, tmp_path: Path) -> None:
    line = error_line(cli("train", "digits", "--model", "ae", "--beta", "4", "--out", tmp_path / "x", *TINY, ok=False))
    assert "--beta" in line and "--model ae" in line
    assert not (tmp_path / "x").exists()


def test_lr_schedule_flag_reaches_the_run(cli: CliRun, table_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "cosine"
    data = (table_csv, "--id", "name", "--label", "group")
    cli("train", *data, "--model", "ae", "--lr-schedule", "cosine", "--patience", "0", "--out", out, *TINY)
    assert 'lr_schedule = "cosine"' in (out / "config.toml").read_text()
    lrs = pd.read_csv(out / "history.csv")["lr"].tolist()
    assert len(lrs) == 2 and 0 < lrs[0] < 1e-3 and lrs[1] == pytest.approx(0.0, abs=1e-12)
    line = error_line(cli("train", *data, "--lr-schedule", "step", "--out", tmp_path / "bad", *TINY, ok=False))
    assert "--lr-schedule must be a str among" in line and "'cosine'" in line and "Got 'step'" in line
    assert not (tmp_path / "bad").exists()


def test_conditional_vae_generates_a_chosen_class(cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "cvae"
    cli("train", "digits", "--model", "cvae", "--out", out, *TINY)
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert "samples.png" in figures and "manifold.png" not in figures
    cli("sample", out, "-n", "6", "--class", "3", "-o", tmp_path / "threes.npy")
    assert np.load(tmp_path / "threes.npy").shape == (6, 8, 8)
    line = error_line(cli("sample", out, "-n", "2", "--class", "11", "-o", tmp_path / "x.npy", ok=False))
    assert "'11' is not a class" in line
    z = tmp_path / "z.csv"
    cli("encode", out, "digits", "-o", z)  # the built-in set brings its labels
    assert len(pd.read_csv(z)) == 1797
    line = error_line(cli("decode", out, z, "-o", tmp_path / "d.npy", ok=False))
    assert "--class" in line
    cli("decode", out, z, "--class", "5", "-o", tmp_path / "d.npy")
    assert np.load(tmp_path / "d.npy").shape == (1797, 8, 8)


def test_cvae_needs_a_label(cli: CliRun, table_csv: Path, tmp_path: Path) -> None:
    line = error_line(
        cli(
            "train",
            table_csv,
            "--id",
            "name",
            "--columns",
            "a,b,c,d",
            "--model",
            "cvae",
            "--out",
            tmp_path / "c",
            *TINY,
            ok=False,
        )
    )
    assert "--label" in line
    assert not (tmp_path / "c").exists()


def test_sweep_draws_error_against_latent_size(cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    # one kind keeps the suite short; the AE is swept in test_threads.py::test_sweep_passes_threads
    text = cli("sweep", "latent-factors", "--latent-dims", "1,2", "--models", "vae", "--out", out, *TINY).stdout
    table = pd.read_csv(out / "sweep.csv")
    assert sorted(zip(table["model"], table["latent_dim"])) == [("pca", 1), ("pca", 2), ("vae", 1), ("vae", 2)]
    pca = table[table["model"] == "pca"].set_index("latent_dim")["squared_error"]
    assert pca[2] < pca[1]  # PCA with more components reconstructs better
    assert_png(out / "sweep.png")
    assert (out / "vae-z2" / "metrics.json").is_file() and "latent_dim" in text
    line = error_line(
        cli("sweep", "latent-factors", "--latent-dims", "1,2", "--models", "vae", "--out", out, *TINY, ok=False)
    )
    assert "already exists" in line


def test_evaluate_log_likelihood_and_pca(cli: CliRun, digits_run: tuple[Path, Result]) -> None:
    out, _ = digits_run
    result = json.loads(cli("evaluate", out, "digits", "-k", "20", "--json").stdout)
    assert result["log_likelihood"] >= result["elbo"] - 0.5 and result["log_likelihood_samples"] == 20
    assert result["pca_in_sample"]["n_components"] == 2 and result["bits_per_dim"] > 0
    assert 0 <= result["active_units"] <= 2


def test_vqvae_from_the_command_line(cli: CliRun, table_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "vq"
    data = (table_csv, "--id", "name", "--label", "group")
    cli(
        "train",
        *data,
        "--model",
        "vqvae",
        "--latent-dim",
        "4",
        "--code-dim",
        "2",
        "--codebook-size",
        "16",
        "--out",
        out,
        *TINY,
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "VQVAE" and 1 <= metrics["codebook"]["used_codes"] <= 16
    assert metrics["test"]["kl"] == pytest.approx(2 * np.log(16))  # the uniform prior over 16 codes, 2 slots
    assert "codebook" in cli("evaluate", out, *data).stdout
    line = error_line(
        cli("train", *data, "--model", "vqvae", "--latent-dim", "3", "--out", tmp_path / "bad", *TINY, ok=False)
    )
    assert "multiple of code_dim" in line and not (tmp_path / "bad").exists()


# ----------------------------------------------------------------------
# The rough edges of a first run on a table (issue 10, item 8), from the command line.
#
# - ``reconstruct``/``decode``/``sample -o x.png`` on a table model: one line saying a
#   PNG needs images and what to write instead;
# - ``plot --kind reconstructions`` on a table draws rows, not another chart;
# - ``evaluate -k`` prints no scikit-learn warning;
# - a positive ELBO (a density above 1, correct for continuous data) is explained where
#   it is printed, and only then.
#
# The figures themselves are tested in ``test_plots.py``, the note's text in
# ``test_evaluation.py`` and ``test_summary.py``.


READ = ("--id", "name", "--label", "group")  # how table_csv is read
NOTE = "note: a positive ELBO or log p(x) (negative bits per dimension) is no error"


def one_error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == "", result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def small_units_run(table_csv: Path, cli: CliRun, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``table_csv`` in units 1000 times smaller, and a run on it: its ELBO is positive."""
    frame = pd.read_csv(table_csv)
    frame[["a", "b", "c", "d"]] /= 1000
    folder = tmp_path_factory.mktemp("small-units")
    csv = folder / "small.csv"
    frame.to_csv(csv, index=False)
    cli("train", csv, *READ, "--out", folder / "run", *TINY)
    return folder / "run", csv


# ------------------------------------------------------------------ PNG of table rows
def test_reconstruct_to_png_on_a_table_says_what_to_write(
    cli: CliRun, table_run: Path, table_csv: Path, tmp_path: Path
) -> None:
    line = one_error_line(cli("reconstruct", table_run, table_csv, *READ, "-o", tmp_path / "x.png", ok=False))
    assert line.startswith(f"vaekit reconstruct: error: {tmp_path / 'x.png'}: a PNG needs images")
    assert "write .csv, .parquet or .npy instead" in line and f"-o {tmp_path / 'x.csv'}" in line
    assert "--kind reconstructions" in line and "shape" not in line
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("command", ["decode", "sample"])
def test_decode_and_sample_to_png_on_a_table_say_what_to_write(
    command: str, cli: CliRun, table_run: Path, table_csv: Path, tmp_path: Path
) -> None:
    if command == "decode":
        cli("encode", table_run, table_csv, *READ, "-o", tmp_path / "z.csv")
        args: tuple = ("decode", table_run, tmp_path / "z.csv")
    else:
        args = ("sample", table_run, "-n", "4")
    line = one_error_line(cli(*args, "-o", tmp_path / "s.png", ok=False))
    assert line == (
        f"vaekit {command}: error: {tmp_path / 's.png'}: a PNG needs images, and this model gives table rows; "
        f"write .csv, .parquet or .npy instead (e.g. -o {tmp_path / 's.csv'})"
    )
    assert not (tmp_path / "s.png").exists()


# ------------------------------------------------------- plot --kind reconstructions
def test_plot_reconstructions_of_a_table_is_not_the_feature_errors(
    cli: CliRun, table_run: Path, table_csv: Path, tmp_path: Path
) -> None:
    for kind in ("reconstructions", "feature-errors"):
        out = cli("plot", table_run, table_csv, *READ, "--kind", kind, "-o", tmp_path / f"{kind}.png").stdout
        assert out.strip() == f"wrote {tmp_path / f'{kind}.png'}"
    assert (tmp_path / "reconstructions.png").read_bytes() != (tmp_path / "feature-errors.png").read_bytes()


# -------------------------------------------------------------------- evaluate -k
def test_evaluate_with_importance_sampling_warns_of_nothing(cli: CliRun, table_run: Path, table_csv: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # not only once per place: none may hide behind an earlier test's
        result = cli("evaluate", table_run, table_csv, *READ, "-k", "20")
    assert [str(w.message) for w in caught] == []  # the library's warnings are printed by the CLI, as notes
    notes = [line for line in result.stderr.splitlines() if "importance" in line or "log p(x)" in line]
    assert "log p(x)" in result.stdout and notes == []  # only findings about the model itself, if any


# ------------------------------------------------------------------ positive ELBOs
def test_evaluate_explains_a_positive_elbo_only_then(
    cli: CliRun, table_run: Path, table_csv: Path, small_units_run: tuple[Path, Path]
) -> None:
    usual = cli("evaluate", table_run, table_csv, *READ, "-k", "5").stdout
    assert "ELBO" in usual and NOTE not in usual  # a negative ELBO needs no note
    run, csv = small_units_run
    text = cli("evaluate", run, csv, *READ, "-k", "5").stdout
    elbo = float(text.split("ELBO")[1].split()[0])
    assert elbo > 0 and text.count(NOTE) == 1


def test_the_report_explains_a_positive_elbo_only_then(table_run: Path, small_units_run: tuple[Path, Path]) -> None:
    sentence = "A positive ELBO or log p(x) (negative bits per dimension) is no error"
    assert sentence not in (table_run / "report.html").read_text(encoding="utf-8")
    assert sentence in (small_units_run[0] / "report.html").read_text(encoding="utf-8")


def test_columns_named_twice_are_one_line() -> None:
    import numpy as np

    from vaekit import VAE
    from vaekit.data.validation import InputError

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), columns=["a", "a", "b"])
    with pytest.raises(InputError, match="X has columns with the same name: 'a'"):
        VAE(epochs=1, verbose=0).fit(frame)
