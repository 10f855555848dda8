"""The parameters every estimator shares: their constraints and their documentation.

Constraints use scikit-learn's declarative form (``_parameter_constraints``, checked
by ``BaseEstimator._validate_params``), so every bad value gets a message of the same
form: "The 'lr' parameter of VAE must be a float in the range (0.0, inf). Got -1
instead." The documentation of the shared parameters is written once here and put
into each class's docstring where it says ``{network_parameters}`` and
``{training_parameters}``, so ``help(VAE)`` shows every parameter.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from vaekit.data.table.bounds import ColumnBounds
from vaekit.data.table.encoder import TableEncoder
from vaekit.data.validation import check_positive_int
from vaekit.io import model as io
from vaekit.models import LIKELIHOODS
from vaekit.nn import ACTIVATIONS
from vaekit.training.optim import LR_SCHEDULES

__all__ = ["check_positive_int"]  # re-exported for the estimators' method arguments


class _TableCodec:
    """A mixed table's encoder (:class:`~vaekit.data.table.encoder.TableEncoder`), all in JSON."""

    def dump(self, value: TableEncoder) -> tuple[Any, dict[str, Any]]:
        return value.to_json(), {}

    def load(self, value: Any, arrays: Any) -> TableEncoder:
        return TableEncoder.from_json(value)

    def problem(self, estimator: Any, value: Any) -> str | None:
        return None  # checked against the sample shape in io.model


TABLE: io.Codec = _TableCodec()


class _BoundsCodec:
    """Each column's plausible values (:class:`~vaekit.data.table.bounds.ColumnBounds`), in JSON; a table
    of numbers has them here, a mixed table in its encoder."""

    def dump(self, value: list[ColumnBounds] | None) -> tuple[Any, dict[str, Any]]:
        return None if value is None else [bounds.to_json() for bounds in value], {}

    def load(self, value: Any, arrays: Any) -> list[ColumnBounds] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            raise ValueError(f"column bounds must be a list, got {type(value).__name__}")
        return [ColumnBounds.from_json(entry, f"column {j}") for j, entry in enumerate(value)]

    def problem(self, estimator: Any, value: Any) -> str | None:
        n = getattr(estimator, "n_features_in_", None)
        if value is not None and n is not None and len(value) != n:
            return f"it has {len(value)} columns' bounds for {n} features"
        return None


COLUMN_BOUNDS: io.Codec = _BoundsCodec()

SHARED_STATE: dict[str, io.Codec] = {
    "input_shape_": io.INT_TUPLE,
    "n_features_in_": io.INT,
    "latent_dim_": io.INT,
    "feature_names_in_": io.NAMES,
    "likelihood_": io.VALUE,
    "architecture_": io.VALUE,
    "hidden_": io.INT_TUPLE,
    "scaling_": io.SCALING,
    "history_": io.VALUE,
    "best_epoch_": io.INT,
    "n_epochs_": io.INT,
    "n_train_": io.INT,
    "init_losses_": io.VALUE,
    "classes_": io.LABELS,
    "read_options_": io.VALUE,
    "table_": TABLE,
    "column_bounds_": COLUMN_BOUNDS,
    "table_frame_": io.VALUE,
    "training_settings_": io.VALUE,
    "class_prior_": io.Array(shape=lambda e: (len(getattr(e, "classes_", ())),)),
    "offset_": io.VALUE,
    "calibration_scores_": io.Array(),
    "feature_baseline_": io.Array(),
    "feature_spread_": io.Array(),
    "latent_baseline_": io.VALUE,
    "latent_spread_": io.VALUE,
}
"""The fitted attributes every estimator saves (a kind adds its own in ``fitted_state``)."""

AUTO_MIN_STEPS = 3000
"""``epochs="auto"``: at least this many optimizer steps (and at least 100 epochs)."""
AUTO_PATIENCE_STEPS = 500
"""``patience="auto"``: at least this many optimizer steps without improvement (and 10 epochs)."""
AUTO_WARMUP_STEPS = 300
"""``kl_warmup_epochs="auto"``: the KL weight rises over this many optimizer steps (and at least 10 epochs),
at most :data:`AUTO_WARMUP_SHARE` of the training, for the likelihoods in :data:`WARMUP_LIKELIHOODS`."""
AUTO_WARMUP_SHARE = 0.1
"""``kl_warmup_epochs="auto"`` never spans more than this share of the epochs."""
WARMUP_LIKELIHOODS = ("gaussian", "mixed")
"""The likelihoods that get a KL warm-up by default: those where collapse can be the optimum.

Under a unit-variance Gaussian on standardized columns, rebuilding a column perfectly saves at
most about 0.5 nat, so for weak signals the KL term makes collapse the optimum, and a warm-up
helped (round two, ``benchmarks/small_tables.py``: 11 tables, test error / PCA's 1.24 -> 1.17).
With a learned variance per column the reconstruction term has no such ceiling: on 16 small
tables over 3 seeds the warm-up made it worse (error / PCA 0.893 with it, 0.875 without; the
lowest R^2 / PCA's R^2 0.07 with, 0.47 without). On MNIST (Bernoulli, the reference recipe of
10 epochs, seeds 1-4) a warm-up of 1 epoch cost 0.35 nats and one of 0.3 epochs about 0.2 (105.93
and ~105.8 against 105.58 nats without). A mixed table keeps the warm-up it was measured with.
"""


def auto_training(
    params: dict[str, Any],
    n_batches: int,
    likelihood: str = "gaussian",
    warmup_likelihoods: tuple[str, ...] = (),
    max_steps: int | None = None,
    min_steps: int = AUTO_MIN_STEPS,
) -> dict[str, Any]:
    """The "auto" training settings resolved for ``n_batches`` batches per epoch and the fitted ``likelihood``.

    Measured on 11 small tables over 2 seeds (``benchmarks/small_tables.py``, RESULTS.md):
    counting in optimizer steps rather than epochs, with a KL warm-up, took the test
    error of the default VAE from 2.18x to 1.17x that of PCA (standardized units) and
    ended the collapse of one latent dimension on most of them. The warm-up is for the
    likelihoods where collapse can be the optimum (:data:`WARMUP_LIKELIHOODS`, and any a kind adds in
    ``warmup_likelihoods``), over at most :data:`AUTO_WARMUP_SHARE` of the epochs, so a short explicit
    budget is not spent warming up.

    ``max_steps`` (a kind's ``auto_max_steps``): a long table's "auto" epochs stop at about this many
    steps, where 100 epochs would be more (never below ``min_steps``, a kind's ``auto_min_steps``:
    :data:`AUTO_MIN_STEPS` unless the kind says otherwise).
    """
    resolved = dict(params)
    if resolved.get("beta") == "auto":
        resolved["beta"] = TABLE_BETA if likelihood == "mixed" else 1.0
    if resolved.get("epochs") == "auto":
        most = 100 if max_steps is None else min(100, math.ceil(max_steps / n_batches))
        resolved["epochs"] = max(most, math.ceil(min_steps / n_batches))
    if resolved.get("patience") == "auto":
        resolved["patience"] = max(10, math.ceil(AUTO_PATIENCE_STEPS / n_batches))
    if resolved.get("kl_warmup_epochs") == "auto":
        warmup = 0.0
        if likelihood in (*WARMUP_LIKELIHOODS, *warmup_likelihoods):
            epochs = float(resolved.get("epochs", 100))
            warmup = min(float(max(10, math.ceil(AUTO_WARMUP_STEPS / n_batches))), AUTO_WARMUP_SHARE * epochs)
        resolved["kl_warmup_epochs"] = warmup
    return resolved


TABLE_LATENT_DIM = 8
"""``latent_dim="auto"`` for a table of mixed columns or gaps (``likelihood_`` "mixed"); 2 for other data."""
TABLE_BETA = 0.5
"""``beta="auto"`` for a table of mixed columns or gaps; 1 for other data.

Both measured by ``benchmarks/impute_study.py`` (issue 26) on 3 shared and 6 other mixed tables, seeds 0-2:
latent 8 with beta 0.5 took the numbers' imputation RMSE from 0.506 to 0.491 (shared) and 0.828 to 0.786
(the other six), lower than the latent-2, beta-1 model's on 9 of 9 tables; latent 8 or beta 0.5 alone gained
less. ``benchmarks/tables.py`` part (b) measures the synthetic rows of the same model.
"""


def resolve_latent_dim(latent_dim: int | str, likelihood: str) -> int:
    """``latent_dim_``: an int as given; "auto" is :data:`TABLE_LATENT_DIM` for a mixed table, else 2.

    >>> resolve_latent_dim("auto", "mixed"), resolve_latent_dim("auto", "bernoulli"), resolve_latent_dim(3, "mixed")
    (8, 2, 3)
    """
    if latent_dim == "auto":
        return TABLE_LATENT_DIM if likelihood == "mixed" else 2
    return int(latent_dim)


POSITIVE_INT = Interval(Integral, 1, None, closed="left")
NON_NEGATIVE = Interval(Real, 0, None, closed="left")

NETWORK_CONSTRAINTS: dict[str, list[Any]] = {
    "latent_dim": [POSITIVE_INT, StrOptions({"auto"})],
    "hidden": [None, "array-like"],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "architecture": [StrOptions({"auto", "mlp", "conv"})],
    "likelihood": [StrOptions({"auto", *LIKELIHOODS})],
    "preprocessing": [StrOptions({"auto", "standardize", "robust-asinh", "none"})],
    "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
}
TABLE_CONSTRAINTS: dict[str, list[Any]] = {
    "column_types": [None, dict],
    "max_categories": [POSITIVE_INT],
}
"""How a mixed table's columns are read (``vaekit train`` sets them from its [data] options)."""
TRAINING_CONSTRAINTS: dict[str, list[Any]] = {
    "epochs": [POSITIVE_INT, StrOptions({"auto"})],
    "batch_size": [POSITIVE_INT],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "patience": [Interval(Integral, 0, None, closed="left"), None, StrOptions({"auto"})],
    "n_init": [POSITIVE_INT],
    "grad_clip": [Interval(Real, 0, None, closed="neither"), None],
    "device": [str, torch.device],
    "precision": [StrOptions({"float32", "bf16"})],
    "threads": [Interval(Integral, 1, 4096, closed="both"), StrOptions({"auto"}), None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


NETWORK_DOC = """\
    latent_dim : int or "auto", default="auto"
        Size of the latent code z. "auto" is 8 for a table with categories or gaps
        (modelled column by column, ``likelihood_`` "mixed"), where it imputed and
        sampled better than 2 (``benchmarks/impute_study.py``), and 2 for other data;
        ``latent_dim_`` says which. The OutlierDetector's default is 8, the VQ-VAE's 2.
    hidden : sequence of int or None, default=None
        Encoder widths (the decoder mirrors them). None picks two layers from the
        input size for tables, one dense layer of 256 after the convolutions for images.
    activation : str, default="relu"
        One of relu, elu, gelu, tanh, leaky_relu, silu, sigmoid.
    architecture : {"auto", "mlp", "conv"}, default="auto"
        "auto" uses convolutions for image stacks of more than 28 x 28 values and an
        MLP for smaller images and tables (at equal wall time the MLP did better on
        8 x 8, 28 x 20 and 28 x 28 images; ``benchmarks/architecture.py``).
    likelihood : {"auto", "gaussian", "gaussian-learned", "bernoulli", "continuous-bernoulli", "mixed"}
        p(x|z). "gaussian" has unit variance (the square loss up to a constant),
        "gaussian-learned" one learned variance per feature, "bernoulli" reads the
        decoder's output as logits (data in [0, 1]), "continuous-bernoulli" too, as
        a proper density on [0, 1] (Loaiza-Ganem & Cunningham, 2019). "auto" picks,
        for pixel-like data in [0, 1], Bernoulli when at least half the values are
        exactly 0 or 1 (MNIST), else the continuous Bernoulli (grey levels, as the
        Frey faces), and Gaussian for other data; ``likelihood_`` says which.
    preprocessing : {"auto", "standardize", "robust-asinh", "none"}, default="auto"
        "auto" standardizes tables modelled with a Gaussian likelihood (the
        OutlierDetector: "robust-asinh", asinh of each column centred on its median and
        scaled by its interquartile range); it is undone on every output.
    column_types : dict of str to str or None, default=None
        Mixed tables: the kind of a column by name, overriding what is inferred:
        "continuous" (or "numeric"), "count", "binary" or "categorical". A table
        with non-numeric columns or missing values (or ``likelihood="mixed"``) is
        modelled column by column: a Gaussian with a learned variance for numbers,
        a negative binomial for counts, a Bernoulli for yes/no columns and a softmax
        for categories, summed over the observed entries only; ``table_`` holds the
        columns' kinds, categories and scales.
    max_categories : int, default=200
        Mixed tables: a categorical column with more levels is refused.
    contamination : "auto" or float in (0, 0.5], default="auto"
        Where :meth:`predict` draws the line between normal rows and anomalies
        (``offset_``, set by ``fit`` from the training rows' ``score_samples``; of a
        long file, from 2,000 evenly spaced rows, or 100 / c for a float c):
        a float is the share of training rows flagged, as in scikit-learn's
        ``IsolationForest``; "auto" needs no guess of the rate and flags a row whose
        score is below Q1 - 1.5 IQR of the training scores (Tukey's fence; see
        :mod:`vaekit.estimators._outliers`)."""

TRAINING_DOC = """\
    epochs : int or "auto", default="auto"
        Most passes over the data (early stopping may end sooner). "auto":
        enough for at least :data:`AUTO_MIN_STEPS` optimizer steps, and at least
        100 (a table of 200 rows has 2 batches per epoch, so 100 epochs would be
        only 200 steps); ``training_settings_`` records the value used.
    batch_size : int, default=128
    lr : float, default=1e-3
        Adam's learning rate.
    lr_schedule : {"constant", "cosine", "plateau"}, default="constant"
        "cosine" lowers the rate after every batch on a half cosine from ``lr`` to 0
        at the last epoch; "plateau" divides it by 10 when the validation loss (the
        training loss without validation) has not improved for
        ``max(1, min(5, patience // 2))`` epochs (5 with ``patience=None``).
        ``history_["lr"]`` holds the rate at the end of each epoch.
    validation_fraction : float, default=0.1
        Share of samples held out for early stopping (none below 10 samples).
    patience : int, "auto" or None, default="auto"
        Epochs without validation improvement before stopping (best weights are
        restored); None never stops early. "auto": at least 10 epochs and at least
        :data:`AUTO_PATIENCE_STEPS` optimizer steps, so that small data is not
        stopped inside the early plateau where a VAE's KL is still near 0.
    n_init : int, default=1
        Training runs from different random initializations; the one with the lowest
        (validation) loss is kept. Small networks that can get stuck gain from 5-10.
    grad_clip : float or None, default=None
        Clip the gradient norm to this value.
    device : str, default="auto"
        "auto" picks CUDA, then Apple MPS, then CPU.
    precision : {"float32", "bf16"}, default="float32"
        "bf16" trains the forward pass under bfloat16 autocast (mixed precision, for
        GPUs that have it); the weights, the optimizer and every reported loss stay
        float32.
    threads : int, "auto" or None, default="auto"
        CPU threads torch uses while this estimator trains or runs (fit, transform,
        scoring...); the caller's setting is restored afterwards. "auto": a fit times
        a few of its own steps at 1 thread and at torch's default and trains with the
        faster (:mod:`vaekit.training.threads`; ``training_settings_["threads"]``);
        small steps keep 1, and inference runs on 1 (torch's default of one thread per
        core made small networks 7-20x slower on a machine where anything else runs).
        None leaves torch's setting as it is.
    random_state : int, RandomState or None, default=None
        Seeds the initialization, the validation split, the batches and the draws.
    verbose : int, default=1
        0 hides the progress bar."""

ATTRIBUTES_DOC = """\
    model_ : torch.nn.Module
        The trained network (``kind``'s module).
    input_shape_ : tuple of int
        Shape of one sample.
    n_features_in_ : int
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        Column names when fit on a DataFrame with string column names; DataFrames
        given later are matched to them by name (reordered or wider tables work).
    likelihood_, architecture_ : str
    hidden_ : tuple of int
    scaling_ : Scaling
    history_ : dict of str to list of float
        Per epoch: train/val loss, reconstruction and KL (nats per sample), beta,
        learning rate, seconds.
    best_epoch_, n_epochs_ : int
    n_train_ : int
        Rows trained on (after the validation split).
    init_losses_ : list of float
        Best monitored loss of each of the ``n_init`` runs.
    training_settings_ : dict
        The ``epochs``, ``patience`` (and ``kl_warmup_epochs``) training used, with
        "auto" resolved; ``threads``; and ``step``: "written out" where a plain MLP
        model trained with its step written out by hand (:mod:`vaekit.models.fused`, the
        same arithmetic without autograd's bookkeeping), else "autograd".
    read_options_ : dict
        Set by ``vaekit train`` (:func:`vaekit.runs.run.train_run`): how the training
        data was read (``columns``, ``label``, ``id_column``, ``sep``, ``image_size``,
        ...), so that every command reads the same kind of file again without flags."""


SHARED_DOCS = {
    "network_parameters": NETWORK_DOC,
    "training_parameters": TRAINING_DOC,
    "shared_attributes": ATTRIBUTES_DOC,
}


def fill_docstring(doc: str | None, fragments: dict[str, str]) -> str | None:
    """Put documentation fragments into a class docstring: a line ``    {name}`` becomes
    ``fragments[name]`` (or the shared fragment of that name)."""
    if doc is None:
        return None
    for name, text in {**SHARED_DOCS, **fragments}.items():
        doc = doc.replace("    {" + name + "}", text)
    return doc
