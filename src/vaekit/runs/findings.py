"""What a run measured and what it found: metrics on train and test, PCA beside them, and the
plain-words facts and warnings that the report and the command line print."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from vaekit.data.loaded import LoadedData
from vaekit.data.split import Split
from vaekit.estimators.findings import FindingWarning, evaluation_findings, fit_findings, gap_finding, pca_ratio


def measure(estimator: Any, split: Split, seed: int) -> dict[str, Any]:
    """ELBO, reconstruction, KL and squared error on train and test; PCA beside them."""
    from vaekit.evaluation.metrics import evaluate_model, pca_baseline

    def evaluate(data: LoadedData) -> dict[str, Any]:
        X, y = data.inputs(estimator.conditional)
        with warnings.catch_warnings():  # its findings are the run's (findings()), not warned twice
            warnings.simplefilter("ignore", FindingWarning)
            return evaluate_model(estimator, X, random_state=seed, y=y, pca=False)

    metrics: dict[str, Any] = {"train": evaluate(split.train)}
    held = split.test if split.test is not None else split.train
    metrics["test"] = evaluate(split.test) if split.test else None
    metrics.update(estimator.diagnostics(*held.inputs(estimator.conditional)))  # a VQ-VAE's codebook usage
    if estimator.codec_.tabular:  # no PCA on the same footing: per-column baselines instead
        metrics["pca"] = None
        return metrics
    n_components = min(estimator.latent_dim_, estimator.n_features_in_, len(split.train.X))
    metrics["pca"] = {
        **pca_baseline(split.train.X, held.X, n_components, estimator.codec_.scaling),
        "split": "test" if split.test is not None else "train",
    }
    return metrics


def shape_text(estimator: Any, split: Split) -> str:
    """What the data is, for the report: its kind and sample shape, or a mixed table's columns by kind."""
    columns = estimator.codec_.columns
    if columns is None:
        return f"{split.train.kind}, sample shape {tuple(estimator.input_shape_)}"
    kinds = [c.kind for c in columns]
    counted = ", ".join(f"{kinds.count(k)} {k}" for k in ("continuous", "count", "binary", "categorical") if k in kinds)
    return f"a mixed table of {len(kinds)} columns: {counted}"


def _held(metrics: dict[str, Any]) -> str:
    """The part a run is judged on: "test", or "train" when nothing was held out."""
    return "test" if metrics.get("test") else "train"


def _times(ratio: float) -> str:
    """A ratio for a sentence: "1.50x", or "1.2e+03x" for large ones."""
    return f"{ratio:.2f}x" if ratio < 100 else f"{ratio:.3g}x"


def against_pca(metrics: dict[str, Any]) -> str:
    """One line: the model's squared error beside PCA's, on the same rows and in the same units.

    Both are measured in the model's units (standardized columns for a table under a
    Gaussian likelihood), PCA fitted on the training rows as the model saw them. When
    PCA reconstructs the rows exactly there is no ratio: the line says so instead.
    """
    from vaekit.evaluation.metrics import pca_exact_note

    pca = metrics["pca"]
    if pca is None:  # a mixed table: each column against its mean or its most frequent value
        from vaekit.evaluation.table_metrics import table_summary

        part = _held(metrics)
        return f"{part} rows: {table_summary(metrics[part]['table'])}"
    ours, theirs = metrics[pca["split"]]["squared_error_scaled"], pca["squared_error_scaled"]
    ratio = pca_ratio(ours, pca)
    if ratio is None:
        return f"squared error per {pca['split']} sample, {pca['units']}: {ours:.4g}; {pca_exact_note(pca)}"
    verdict = "better than" if ratio < 0.995 else "worse than" if ratio > 1.005 else "level with"
    return (
        f"squared error per {pca['split']} sample, {pca['units']}: {ours:.4g} against {theirs:.4g} for PCA with "
        f"{pca['n_components']} components fitted the same way: {_times(ratio)} PCA's, {verdict} PCA"
    )


def quality_facts(estimator: Any, metrics: dict[str, Any]) -> dict[str, str]:
    """Active units and per-column R^2 on the held-out part, for the top of the report."""
    part = _held(metrics)
    held = metrics[part]
    facts = {}
    if held.get("active_units") is not None:
        facts["active units"] = (
            f"{held['active_units']} of {estimator.latent_dim_} latent dimensions used ({part} rows)"
        )
    r2 = held.get("column_r2")
    if r2:
        names = [str(n) for n in getattr(estimator, "feature_names_in_", [f"x{j}" for j in range(len(r2))])]
        pairs = sorted(((v, n) for n, v in zip(names, r2) if v is not None), key=lambda pair: pair[0])
        shown = ", ".join(f"{n} {v:.2f}" for v, n in pairs[:12]) + (", ..." if len(pairs) > 12 else "")
        facts["R2 per column"] = f"{shown} ({part} rows, worst first; 1 = perfect, 0 = no better than the mean)"
    table = held.get("table")
    if table:
        right = [
            f"{c['name']} {c['accuracy']:.0%} (most frequent {c['baseline_accuracy']:.0%})"
            for c in table["columns"]
            if c.get("accuracy") is not None
        ]
        if right:
            facts["categories right"] = f"{', '.join(right)} ({part} rows, observed entries)"
        seen = metrics["train"]["table"]["columns"]
        gaps = [f"{c['name']} {1 - c['observed']:.1%}" for c in seen if c["observed"] < 1]
        facts["missing per column"] = (", ".join(gaps) or "none") + " (training rows; gaps add nothing to the loss)"
    return facts


def findings(estimator: Any, metrics: dict[str, Any]) -> list[str]:
    """What a person should know before trusting a run, each with what to try; [] when all is well.

    The findings of :mod:`vaekit.estimators.findings`, read from the held-out part (the test rows,
    else the training rows) with PCA fitted on the training rows as the yardstick, and what the
    training history shows (epoch cap, warm-up), and the gap between the training and test ELBO.
    Python users get the same as warnings of their own classes, from ``fit`` and ``evaluate_model``.
    """
    part = _held(metrics)
    found = fit_findings(estimator) + evaluation_findings(estimator, metrics[part], part, pca=metrics["pca"])
    gap = gap_finding(metrics.get("train"), metrics.get("test"), estimator.n_features_in_)
    return [str(finding) for finding in [*found, *([gap] if gap is not None else [])]]


SLOW_CONV_VALUES = 5_000_000  # image values per epoch above which a conv net on a CPU is slow


def slow_conv_note(params: dict[str, Any], shape: tuple[int, ...]) -> str | None:
    """A hint to use an MLP when a convolutional network would train on a large image stack on the CPU.

    ``shape`` is the training data's, (n, H, W) or (n, C, H, W); ``params`` the estimator's.
    Measured on 2 CPU cores: 75-80 s per 60,000-image MNIST epoch for the conv net,
    under 20 s for a 784-1000-500-250 MLP.
    """
    from vaekit.training.runtime import resolve_device

    if params["architecture"] != "auto" or len(shape) < 3 or int(np.prod(shape)) <= SLOW_CONV_VALUES:
        return None
    if resolve_device(params["device"]).type != "cpu":
        return None
    return (
        f"a convolutional network on {shape[0]:,} images trains on the CPU here, "
        "which can take minutes per epoch; `architecture` mlp is several times faster"
    )
