"""What a person should know before trusting a model: Python warnings of their own classes, and the
flags the command line suggests, which must run as written."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from vaekit import VAE, AutoEncoder
from vaekit.cli.flags import to_flags
from vaekit.data.codec import ArrayCodec
from vaekit.data.preprocessing import Scaling
from vaekit.estimators import findings as f
from vaekit.evaluation.metrics import evaluate_model

X = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
X[:, 1] = X[:, 0] + 0.1 * X[:, 1]


def _model(**overrides: object) -> SimpleNamespace:
    settings = {"latent_dim_": 2, "n_features_in_": 4, "codec_": ArrayCodec(Scaling(), (4,), ["a", "b", "c", "d"])}
    return SimpleNamespace(**{**settings, **overrides})


def test_fit_warns_when_it_stops_at_its_cap_while_improving_and_the_warning_can_be_filtered() -> None:
    with pytest.warns(f.EpochCapWarning, match="stopped at its cap of 3 epochs while still improving"):
        VAE(latent_dim=2, epochs=3, patience=None, random_state=0, verbose=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", f.FindingWarning)
        warnings.simplefilter("ignore", f.EpochCapWarning)  # filtered by its class, the others still errors
        VAE(latent_dim=2, epochs=3, patience=None, random_state=0, verbose=0).fit(X)


def test_evaluate_model_warns_of_collapse_where_the_cli_does() -> None:
    collapsed = VAE(latent_dim=3, beta=50.0, epochs=20, random_state=0, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", f.EpochCapWarning)
        collapsed.fit(X)
    with pytest.warns(f.PosteriorCollapseWarning, match="latent dimensions are used"):
        evaluate_model(collapsed, X)


def test_each_finding_from_what_was_measured() -> None:
    model = _model(history_={"val_loss": [3.0, 2.0, 1.5]}, training_settings_={"epochs": 3, "kl_warmup_epochs": 5.0})
    model.n_epochs_, model.best_epoch_ = 3, 3
    assert [type(w) for w in f.fit_findings(model)] == [f.EpochCapWarning, f.WarmupBestEpochWarning]
    model.training_settings_ = {"epochs": 100, "kl_warmup_epochs": 0.0}
    assert f.fit_findings(model) == []  # stopped early, no warm-up: nothing to say
    result = {
        "active_units": 1,
        "column_r2": [0.9, -0.2, 0.5, 0.1],
        "squared_error_scaled": 2.0,
        "table": {"columns": [{"name": "kind", "accuracy": 0.11, "baseline_accuracy": 0.44}]},
    }
    found = f.evaluation_findings(_model(), result, "test", pca={"squared_error_scaled": 1.0, "n_components": 2})
    assert [type(w) for w in found] == [
        f.PosteriorCollapseWarning,
        f.ColumnsWorseThanMeanWarning,
        f.CategoriesWorseThanModeWarning,
        f.WorseThanPCAWarning,
    ]
    assert "b (R2 -0.20)" in str(found[1]) and "kind (11% right, the most frequent value 44%)" in str(found[2])
    gap = f.gap_finding({"elbo": 19.5}, {"elbo": -10.1}, n_features=10)
    assert isinstance(gap, f.TrainTestGapWarning) and "+19.5" in str(gap)
    assert f.gap_finding({"elbo": -100.0}, {"elbo": -101.5}, n_features=784) is None  # small per feature


SUGGESTED = re.compile(r"(--[a-z][a-z-]*)(?: \(e\.g\. ([0-9.]+)\)| ([0-9][0-9.]*|ae)\b)?")


def test_every_flag_a_finding_suggests_runs_as_written(cli, table_csv: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = {"active_units": 0, "column_r2": [-1.0], "table": {"columns": []}, "squared_error_scaled": 2.0}
    model = _model(history_={"val_loss": [2.0, 1.0]}, training_settings_={"epochs": 2, "kl_warmup_epochs": 3.0})
    model.n_epochs_, model.best_epoch_ = 2, 1
    messages = [
        *f.fit_findings(model),
        *f.evaluation_findings(model, result, pca={"squared_error_scaled": 1.0, "n_components": 2}),
        f.gap_finding({"elbo": 50.0}, {"elbo": 0.0}, 1),
    ]
    suggested: dict[str, str] = {}
    for message in messages:
        for flag, example, value in SUGGESTED.findall(to_flags(str(message))):
            suggested.setdefault(flag, example or value or "")
    assert {"--kl-warmup", "--beta", "--patience", "--epochs", "--latent-dim", "--model", "--hidden"} <= set(suggested)
    values = {"--beta": "0.5", "--latent-dim": "1", "--epochs": "2", "--hidden": "8", "--model": "ae"}
    given = {flag: example or values.get(flag, "0") for flag, example in suggested.items()}
    vae = [token for flag, value in given.items() if flag not in ("--model", "--epochs") for token in (flag, value)]
    for args in (["--model", "vae", *vae], ["--model", given["--model"], "--patience", given["--patience"]]):
        out = tmp_path / f"run{len(args)}"
        cli("train", table_csv, "--id", "name", "--label", "group", *args, "--epochs", given["--epochs"], "--out", out)
        assert (out / "model").is_dir(), args  # every suggested flag, with its value, ran as written


def test_findings_suggest_only_what_the_kind_takes() -> None:
    result = {"active_units": 0, "column_r2": [-1.0, 0.5, 0.5, 0.5], "squared_error_scaled": 2.0}
    pca = {"squared_error_scaled": 1.0, "n_components": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae = AutoEncoder(latent_dim=2, epochs=1, random_state=0, verbose=0).fit(X)
        vae = VAE(latent_dim=2, epochs=1, random_state=0, verbose=0).fit(X)
    said_ae = " ".join(str(m) for m in f.evaluation_findings(ae, result, pca=pca))
    said_vae = " ".join(str(m) for m in f.evaluation_findings(vae, result, pca=pca))
    assert "beta" not in said_ae and "plain autoencoder" not in said_ae  # an autoencoder has neither
    assert "`beta` below 1" in said_vae and "plain autoencoder (`model` ae)" in said_vae
