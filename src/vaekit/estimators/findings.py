"""What a person should know before trusting a fitted model, as Python warnings of their own classes.

Each finding is a :class:`FindingWarning` subclass, so it can be filtered like any warning
(``warnings.simplefilter("ignore", PosteriorCollapseWarning)``) or turned into an error in a
test. The same findings reach every front door:

* ``fit`` warns what its history shows (:func:`fit_findings`): a run that stopped at its epoch
  cap while still improving, and best weights taken while the KL weight was still warming up;
* :func:`~vaekit.evaluation.metrics.evaluate_model` warns what the evaluated rows show
  (:func:`evaluation_findings`): posterior collapse, columns reconstructed worse than their
  mean, categories worse than their most frequent value, a model worse than PCA;
* ``vaekit train`` lists them all, with the gap between the training and test ELBO
  (:func:`gap_finding`), in its output and report (:mod:`vaekit.runs.findings`).

Each message says what to try, naming parameters in backticks (the command line shows its flags).
"""

from __future__ import annotations

import warnings
from typing import Any


class FindingWarning(UserWarning):
    """Something about a fitted model that a person should know before trusting it."""


class PosteriorCollapseWarning(FindingWarning):
    """Latent dimensions the model does not use: the KL term switched them off."""


class ColumnsWorseThanMeanWarning(FindingWarning):
    """Columns reconstructed worse than by their mean (R^2 below 0)."""


class CategoriesWorseThanModeWarning(FindingWarning):
    """Categorical columns reconstructed less often right than by their most frequent value."""


class WorseThanPCAWarning(FindingWarning):
    """The model reconstructs worse than PCA with as many components."""


class TrainTestGapWarning(FindingWarning):
    """The ELBO of the training rows is far above that of the held-out rows: the model overfits."""


class EpochCapWarning(FindingWarning):
    """Training ended at its epoch cap while it was still improving."""


class WarmupBestEpochWarning(FindingWarning):
    """The weights kept are from an epoch inside the KL warm-up: a model of a weaker KL term."""


GAP_NATS_PER_FEATURE = 0.5
"""A train/test ELBO gap above this many nats per feature (and above :data:`GAP_MIN_NATS`) is named."""
GAP_MIN_NATS = 2.0
PCA_RATIO = 1.005
"""A squared error above this multiple of PCA's is named (below it, the two are even)."""


def fit_findings(estimator: Any) -> list[FindingWarning]:
    """What a fitted estimator's history shows (no data needed)."""
    found: list[FindingWarning] = []
    history = getattr(estimator, "history_", None) or {}
    settings = getattr(estimator, "training_settings_", None) or {}
    epochs_cap, n_epochs = settings.get("epochs"), getattr(estimator, "n_epochs_", 0)
    best = getattr(estimator, "best_epoch_", None)
    losses = history.get("val_loss") or history.get("train_loss") or []
    if epochs_cap is not None and n_epochs >= int(epochs_cap) and best == n_epochs and len(losses) >= 2:
        found.append(
            EpochCapWarning(
                f"training stopped at its cap of {n_epochs} epochs while still improving (the last epoch was the "
                f"best, loss {losses[-2]:.4g} -> {losses[-1]:.4g}): more `epochs` may give a better model"
            )
        )
    warmup = float(settings.get("kl_warmup_epochs") or 0.0)
    if best is not None and warmup > 0 and best < warmup:
        found.append(
            WarmupBestEpochWarning(
                f"the weights kept are from epoch {best}, inside the KL warm-up of {warmup:g} epochs: they fit a "
                "smaller KL weight than the model's. Try a shorter `kl_warmup_epochs` (0 turns it off) or more "
                "`patience`"
            )
        )
    return found


def pca_ratio(ours: float, pca: dict[str, Any]) -> float | None:
    """``ours`` over PCA's squared error in the model's units; None when PCA reconstructs the rows exactly.

    Exact is :func:`~vaekit.evaluation.metrics.pca_baseline`'s ``exact`` (an error at most
    :data:`~vaekit.evaluation.metrics.PCA_EXACT_TOLERANCE` of the rows' spread; an error of 0
    in a result without that key): a ratio to it would only measure round-off.
    """
    theirs = pca["squared_error_scaled"]
    if pca.get("exact") or theirs <= 0:
        return None
    return ours / theirs


def evaluation_findings(
    estimator: Any, result: Any, rows: str = "evaluated", pca: dict[str, Any] | None = None
) -> list[FindingWarning]:
    """What an :class:`~vaekit.evaluation.result.Evaluation` of the ``rows`` rows shows.

    ``pca``: PCA's result to compare the squared error with (a run's, fitted on the training rows);
    default: the result's own ``pca_in_sample``, if any (fitted on the same rows: flattering to PCA).
    """
    found: list[FindingWarning] = []
    takes = getattr(estimator, "get_params", None)  # only where the kind takes a beta
    beta = ", a `beta` below 1" if takes is None or "beta" in takes() else ""
    active = result.get("active_units")
    # latent_dim="auto" is generous on purpose (8 for a mixed table): the VAE switches off what it does not
    # need, which is no collapse; only none used at all is
    floor = 1 if getattr(estimator, "latent_dim", None) == "auto" else estimator.latent_dim_
    if active is not None and active < floor:
        found.append(
            PosteriorCollapseWarning(
                f"only {active} of {estimator.latent_dim_} latent dimensions are used ({rows} rows: the posterior mean "
                "of the others does not vary): the KL term switched them off (posterior collapse). Try "
                f"`kl_warmup_epochs` (e.g. 20){beta}, more `epochs` with `patience` 0 (early stopping can "
                "end training inside the collapse), or a smaller `latent_dim`"
            )
        )
    r2 = result.get("column_r2")
    if r2:
        names = estimator.codec_.names or [f"x{j}" for j in range(len(r2))]
        worse = [f"{name} (R2 {value:.2f})" for name, value in zip(names, r2) if value is not None and value < 0]
        if worse:
            found.append(
                ColumnsWorseThanMeanWarning(
                    f"{len(worse)} of {len(r2)} columns are reconstructed worse than by their mean on the {rows} rows: "
                    f"{', '.join(worse[:8])}{', ...' if len(worse) > 8 else ''}. Try a larger `latent_dim`"
                    f"{beta}, or longer training (`patience` 0)"
                )
            )
    table = result.get("table") or {}
    wrong = [
        f"{c['name']} ({c['accuracy']:.0%} right, the most frequent value {c['baseline_accuracy']:.0%})"
        for c in table.get("columns", [])
        if c.get("accuracy") is not None and c["accuracy"] < c["baseline_accuracy"]
    ]
    if wrong:
        found.append(
            CategoriesWorseThanModeWarning(
                f"{len(wrong)} categorical columns are reconstructed less often right than by their most frequent "
                f"value on the {rows} rows: {', '.join(wrong[:8])}{', ...' if len(wrong) > 8 else ''}. Try a larger "
                f"`latent_dim`{beta}, or longer training (`patience` 0)"
            )
        )
    yardstick = pca if pca is not None else result.get("pca_in_sample")
    ours = result.get("squared_error_scaled")
    ratio = None if yardstick is None or ours is None else pca_ratio(ours, yardstick)
    if ratio is not None and ratio > PCA_RATIO:
        where = "the training rows" if pca is not None else "these same rows"
        found.append(
            WorseThanPCAWarning(
                f"the model reconstructs worse than PCA with {yardstick['n_components']} components, fitted on "
                f"{where} in the same units ({_times(ratio)} its squared error). Try longer training (`patience` 0, "
                f"more `epochs`){beta}"
                + (", or a plain autoencoder (`model` ae)" if getattr(estimator, "variational", True) else "")
            )
        )
    return found


def gap_finding(train: Any, test: Any, n_features: int) -> FindingWarning | None:
    """A :class:`TrainTestGapWarning` when the training rows' mean ELBO is far above the test rows'."""
    if train is None or test is None or train.get("elbo") is None or test.get("elbo") is None:
        return None
    gap = float(train["elbo"]) - float(test["elbo"])
    if gap <= max(GAP_MIN_NATS, GAP_NATS_PER_FEATURE * n_features):
        return None
    return TrainTestGapWarning(
        f"the training rows' ELBO ({train['elbo']:+.4g} nats) is far above the test rows' ({test['elbo']:+.4g}): "
        f"the model fits its training rows {gap:.3g} nats better, so it overfits. Try a smaller network "
        "(`hidden`), fewer `epochs` or a smaller `patience`, or more data"
    )


def emit(found: list[FindingWarning], stacklevel: int = 3) -> None:
    """Warn each finding, in its own class."""
    for finding in found:
        warnings.warn(finding, stacklevel=stacklevel)


def _times(ratio: float) -> str:
    """A ratio for a sentence: "1.50x", or "1.2e+03x" for large ones."""
    return f"{ratio:.2f}x" if ratio < 100 else f"{ratio:.3g}x"


__all__ = [
    "CategoriesWorseThanModeWarning",
    "ColumnsWorseThanMeanWarning",
    "EpochCapWarning",
    "FindingWarning",
    "PosteriorCollapseWarning",
    "TrainTestGapWarning",
    "WarmupBestEpochWarning",
    "WorseThanPCAWarning",
    "emit",
    "evaluation_findings",
    "fit_findings",
    "gap_finding",
    "pca_ratio",
]
