"""A training run on disk: ``vaekit train`` as a function.

:func:`train_run` reads the data named in a configuration, holds out a test part,
trains, measures, and writes a run directory::

    runs/NAME/
      model/           the saved estimator (config.json + model.safetensors)
      config.toml      the exact configuration: ``vaekit train --config`` repeats the run
      history.csv      per-epoch train/validation loss, reconstruction and KL
      metrics.json     train and test ELBO, reconstruction, KL, squared error, PCA baseline
      latents.csv      the latent means of every row in the file's order: row number, id, z0, ..., label, split
      figures/*.png    training curves, latent scatter, reconstructions, samples, ...
      report.html      one self-contained page with all of the above
      explore.html     the interactive latent-space explorer (:mod:`vaekit.explorer`), linked from the report

While it trains, the folder holds only ``config.toml``, its marker (which says it is
training), ``train.lock`` and ``checkpoint/``, a checkpoint after every epoch: a run
that was stopped is refused by every command that reads a model, and ``vaekit train
--resume`` continues it. Everything else is written into a hidden staging folder
and renamed into place at the end, replacing the run in training in one step.
A run that replaces another (``force``) trains in ``RUN/next/`` and the old run
stays whole and readable until the new one is complete (see :mod:`vaekit.runs.folder`).

Under ``torchrun`` every process trains; only rank 0 writes the folder.
"""

from __future__ import annotations

import csv
import json
import platform
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from vaekit._version import __version__
from vaekit.data.loaded import LoadedData
from vaekit.data.provenance import source_record
from vaekit.data.rows import CONVENTION, key_columns
from vaekit.data.split import RunRows, Split, load_split
from vaekit.data.write import write_array
from vaekit.estimators.findings import FindingWarning
from vaekit.runs.config import estimator_params, to_toml
from vaekit.runs.findings import (
    against_pca,
    findings,
    measure,
    quality_facts,
    shape_text,
    slow_conv_note,
)
from vaekit.runs.folder import (
    NEXT,
    Training,
    abandon_run,
    check_not_busy,
    check_target,
    is_run_dir,
    next_free,
    resumable_folder,
    resume_run,
    staged_directory,
    start_run,
    training_folder,
)

__all__ = ["Split", "check_target", "is_run_dir", "load_split", "next_free", "train_run"]


class SlowTrainingWarning(UserWarning):
    """The chosen settings will train slowly on this machine, and faster ones exist."""


def write_history(history: dict[str, list[float]], path: Path) -> None:
    """history_ as CSV: one row per epoch, one column per key."""
    keys = list(history)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(keys)
        for row in zip(*(history[k] for k in keys)):
            writer.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in row])


def write_latents(estimator: Any, everything: RunRows, path: Path) -> None:
    """Latent means of every row in the file's order: ``row``, the id column, ``z0``, ..., the label,
    ``split``, and for a model with an anomaly threshold each row's ``anomaly_score`` and ``flag``,
    the numbers ``vaekit score`` gives the same rows.

    ``row`` is each row's number in the file (:mod:`vaekit.data.rows`), so a join
    with the user's table, by position or by ``row``, pairs each row with its code.
    """
    from vaekit.plots.anomaly import anomaly_scores, has_threshold

    data = everything.data
    Z = estimator.transform(*data.inputs(estimator.conditional))  # (n, latent)
    extra: dict[str, np.ndarray] = {}
    if data.labels is not None:
        extra[data.label_name or "label"] = data.labels
    extra["split"] = everything.part
    if has_threshold(estimator):
        scores = anomaly_scores(estimator, data)  # (n,), the scores the report's figures draw
        extra["anomaly_score"] = scores
        extra["flag"] = (scores > -float(estimator.offset_)).astype(np.int64)
    names = [f"z{i}" for i in range(Z.shape[1])]
    keys = key_columns(data, everything.rows, taken=[*names, *extra])
    write_array(path, Z, column_names=names, keys=keys, extra_columns=extra)


# [data] keys of config.toml -> the read_data option each is
_READ_OPTIONS = {
    "columns": "columns",
    "label": "label",
    "id": "id_column",
    "key": "key",
    "image_size": "image_size",
    "image_mode": "image_mode",
    "header": "header",
    "sep": "sep",
    "decimal": "decimal",
    "na_values": "na_values",
    "thousands": "thousands",
    "keep_ids": "keep_ids",
}


def read_options(data_config: dict[str, Any], train: LoadedData, estimator: Any) -> dict[str, Any]:
    """How the training data was read, as :func:`~vaekit.data.read.read_data` options.

    What the configuration gave (an ``image_size`` only if it was asked for: images of another size
    than the model's are then resized, with a note; without it they are refused, as ``train``
    refuses mixed sizes); for a file or folder also its absolute path and digest
    (:func:`~vaekit.data.provenance.source_record`), which ``vaekit explore RUN`` reads it again by.
    """
    options = {name: data_config[key] for key, name in _READ_OPTIONS.items() if data_config.get(key) is not None}
    if options.get("image_mode") == "auto":
        del options["image_mode"]
    options.update(source_record(str(data_config["source"])))  # where explore finds it again, and if it changed
    return options


def _write_explorer(estimator: Any, everything: RunRows, path: Path, seed: int) -> str | None:
    """The explorer page on every row of the run, in the file's order; a note when it cannot be written."""
    from vaekit.explorer import write_explorer

    if estimator.conditional and everything.data.labels is None:
        return None
    try:
        write_explorer(estimator, everything.data, path, seed=seed)
    except ValueError as err:  # a layer the page cannot run, more rows than it holds, ...
        return f"not written: {err}"
    return None


SYNTHETIC_KEYS = (
    "quality", "column_shapes_score", "column_pair_trends_score", "c2st_auc",
    "dcr_median", "dcr_holdout_median", "exact_copy_share", "holdout_exact_copy_share",
)  # fmt: skip
SYNTHETIC_ROWS = 2000  # at most this many training rows and as many generated ones: about a second
SYNTHETIC_PAIRS = 2000  # at most this many column pairs (63 columns have 1,953): 784 columns' 306,936 took 98 s


def synthetic_summary(estimator: Any, train: LoadedData, seed: int) -> dict[str, Any] | None:
    """:func:`vaekit.evaluation.fidelity.fidelity` of generated rows against (up to 2,000 of) the training
    rows, its quality, C2ST and closest-record figures and ``n``; None but for an unconditional table model."""
    if estimator.conditional or train.kind != "table":
        return None
    from vaekit.data.codec import as_frame
    from vaekit.evaluation.fidelity import fidelity

    names = list(estimator.codec_.names or []) or None
    real = as_frame(train.inputs(False)[0], names)
    real = real[names] if names else real
    if len(real) > SYNTHETIC_ROWS:
        real = real.sample(SYNTHETIC_ROWS, random_state=seed)
    generated = as_frame(estimator.sample(len(real), random_state=seed), [str(c) for c in real.columns])
    result = fidelity(real.reset_index(drop=True), generated, random_state=seed, max_pairs=SYNTHETIC_PAIRS)
    pairs = {"pairs": result["n_pairs"], "pairs_total": result["n_pairs_total"]}
    return {**{key: result[key] for key in SYNTHETIC_KEYS}, "n": len(real), **pairs}


def _anomaly_fact(estimator: Any, everything: RunRows, split: Split) -> dict[str, str]:
    """The anomaly threshold and the rows it flags, as ``vaekit score`` on the whole file flags them;
    {} for a model without a threshold (saved by an older vaekit, or conditional)."""
    from vaekit.data.rows import row_names
    from vaekit.plots.anomaly import anomaly_counts, anomaly_scores, has_threshold, score_text
    from vaekit.runs.report import anomaly_fact

    if not has_threshold(estimator):
        return {}
    threshold, flagged, n = anomaly_counts(estimator, everything.data)  # the scores the figures draw
    rows = "rows" if split.test is None else "rows, train and test"
    if split.fit_source is not None:
        rows += ", a random sample of each (the data was streamed)"
    scores = anomaly_scores(estimator, everything.data)
    top = [i for i in np.argsort(-scores, kind="stable") if not np.isnan(scores[i])][:5]
    oddest = ", ".join(
        f"{name} ({scores[i]:.4g}{', flagged' if scores[i] > threshold else ''})"
        for i, name in zip(top, row_names(everything.data, top), strict=True)
    )
    return {
        "anomalies": anomaly_fact(threshold, estimator.contamination, flagged, n, rows),
        "anomaly score": f"{score_text(estimator)[1]}, in nats; per row in latents.csv (anomaly_score, flag)",
        "oddest rows": oddest,
    }


def _rows_fact(split: Split) -> str:
    """How the report, the figures and ``latents.csv`` name the rows (:data:`vaekit.data.rows.CONVENTION`)."""
    text = (
        CONVENTION
        + " latents.csv lists every row in the file's order: its row number (row), its id where it has one, its "
        "latent means, and split (train or test)."
    )
    if split.numbered == "part":
        text += " This data set has its own train and test files: each numbers its rows from 0, and split says which."
    return text


def check_resumable(out: Path) -> Path:
    """:func:`~vaekit.runs.folder.resumable_folder`, refused (:class:`~vaekit.runs.folder.RunBusyError`)
    while another process trains it."""
    folder = resumable_folder(out)
    check_not_busy(folder)
    return folder


def _say_stopped(training: Training) -> None:
    """On stderr: where the stopped run is, and how to continue it."""
    import sys

    kept = (
        f"{training.out} still holds the run it was to replace; the new one is in {training.folder}"
        if training.folder.name == NEXT and training.folder != Path(training.out)
        else f"the run is kept in {training.out}"
    )
    print(f"stopped: {kept}; continue it with `vaekit train --resume {training.out}`", file=sys.stderr)


@contextmanager
def _until_written(training: Training, main: bool, resume: bool) -> Iterator[None]:
    """Training and writing the run: when stopped (Ctrl-C), the run in training stays, to be resumed;
    when a new run fails, in training or after, it leaves nothing of its own, and any run it was to
    replace stays as it was (a resumed run that fails stays, to be resumed again)."""
    try:
        yield
    except KeyboardInterrupt:
        if main:
            training.release()
            _say_stopped(training)
        raise
    except Exception:
        if main:
            if resume:
                training.release()
            else:
                abandon_run(training)
        raise


def train_run(
    config: dict[str, dict[str, Any]],
    out: Path,
    force: bool = False,
    verbose: int = 1,
    split: Split | None = None,
    resume: bool = False,
    checkpoint_minutes: float | None = None,
) -> dict[str, Any]:
    """Train as ``config`` says and write the run directory ``out``; returns the metrics.

    ``split`` is the data already read as ``config["data"]`` says (by :func:`load_split`,
    with the training seed); None reads it here. ``resume`` continues the run in
    training at ``out`` from its checkpoint (see :func:`check_resumable`).
    ``checkpoint_minutes``: checkpoint at most this often instead of every epoch.
    Under ``torchrun``, ranks other than 0 train and return ``{}``.
    """
    from vaekit.nn import count_parameters
    from vaekit.plots import format_layer_table, layer_table, run_figures
    from vaekit.runs.report import render_report, synthetic_fact
    from vaekit.training.checkpoint import FIT_FILE
    from vaekit.training.distributed import is_main_process, world

    main = is_main_process()
    if resume and main:
        check_resumable(out)
    elif main:
        check_target(out, force)  # fail before a long training, not after it
    seed = int(config["training"]["seed"])
    estimator_class, params = estimator_params(config)
    class_name = estimator_class.__name__
    split = load_split(config["data"], seed) if split is None else split
    estimator = estimator_class(verbose=verbose, **params)
    note = slow_conv_note(params, split.train.X.shape)
    if note and verbose and main:
        warnings.warn(note, SlowTrainingWarning, stacklevel=2)
    config_text = to_toml(
        config, header=f"vaekit {__version__} run configuration.\nRepeat the run: vaekit train --config THIS_FILE"
    )
    inputs = split.train.inputs(estimator.conditional) if split.fit_source is None else (split.fit_source,)
    if main:
        training = resume_run(out) if resume else start_run(out, force, config_text)
    else:  # the other ranks of torchrun only read the checkpoint of a resumed run
        training = Training(Path(out), (training_folder(out) or Path(out)) if resume else Path(out), None)
    checkpoint = training.checkpoint
    started = time.perf_counter()
    with _until_written(training, main, resume):
        with warnings.catch_warnings():  # what fit finds is among the run's findings (metrics["warnings"])
            warnings.simplefilter("ignore", FindingWarning)
            estimator.fit(
                *inputs,
                checkpoint_dir=checkpoint,
                resume_from=checkpoint if resume and (checkpoint / FIT_FILE).is_file() else None,
                checkpoint_minutes=checkpoint_minutes,
            )
        wall = time.perf_counter() - started
        if not main:
            return {}

        metrics: dict[str, Any] = {
            "vaekit_version": __version__,
            "model": class_name,
            "data": {
                "source": config["data"]["source"],
                "kind": split.train.kind,
                "sample_shape": list(estimator.input_shape_),
                "n_train": split.n_train,
                "n_test": split.n_test,
                "streamed": split.fit_source is not None,
                "test_part": split.how,
            },
            "likelihood": estimator.likelihood_,
            "latent_dim": estimator.latent_dim_,
            "architecture": estimator.architecture_,
            "hidden": list(estimator.hidden_),
            "preprocessing": estimator.scaling_.kind,
            "n_parameters": count_parameters(estimator.model_),
            "device": str(estimator.device_),
            "processes": world().size,
            "wall_time_s": round(wall, 3),
            "epochs_run": estimator.n_epochs_,
            "best_epoch": estimator.best_epoch_,
            "python": platform.python_version(),
            **measure(estimator, split, seed),
        }
        metrics["synthetic"] = None if split.fit_source is not None else synthetic_summary(estimator, split.train, seed)
        metrics["warnings"] = findings(estimator, metrics)
        estimator.read_options_ = read_options(config["data"], split.train, estimator)
        layers = format_layer_table(layer_table(estimator))
        with staged_directory(training) as stage:
            estimator.save(stage / "model")
            (stage / "config.toml").write_text(config_text)
            write_history(estimator.history_, stage / "history.csv")
            (stage / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
            everything = split.everything()  # train and test rows in the file's order
            write_latents(estimator, everything, stage / "latents.csv")
            figures = run_figures(estimator, split.train, split.test, stage / "figures", seed, everything.data)
            explorer_note = _write_explorer(estimator, everything, stage / "explore.html", seed)
            facts = {
                **{f"warning {i}": text for i, text in enumerate(metrics["warnings"], start=1)},
                "data": f"{config['data']['source']} ({shape_text(estimator, split)})",
                "rows": f"{metrics['data']['n_train']:,} train, {metrics['data']['n_test']:,} test ({split.how})",
                "model": f"{class_name}, latent_dim={estimator.latent_dim_}, {estimator.architecture_} {tuple(estimator.hidden_)}, "
                f"{metrics['n_parameters']:,} parameters",
                "likelihood": estimator.likelihood_,
                "training": f"{estimator.n_epochs_} epochs (best {estimator.best_epoch_}), {wall:.1f} s on {estimator.device_}"
                + (f" in each of {world().size} processes (torchrun)" if world().size > 1 else ""),
                ("per column" if metrics["pca"] is None else "against PCA"): against_pca(metrics),
                **quality_facts(estimator, metrics),
                **({"generated rows": synthetic_fact(metrics["synthetic"])} if metrics["synthetic"] else {}),
                **_anomaly_fact(estimator, everything, split),
                "row names": _rows_fact(split),
                **({"explorer": explorer_note} if explorer_note else {}),
            }
            page = render_report(
                f"vaekit run: {out.name}",
                facts,
                metrics,
                [(stage / "figures" / f, c) for f, c in figures],
                layers,
                config_text,
                explorer="explore.html" if (stage / "explore.html").exists() else None,
            )
            (stage / "report.html").write_text(page, encoding="utf-8")
        return metrics
