"""The figures of a run folder: every kind of figure that applies to the model, drawn once each into
``figures/``, from the rows each kind is drawn from (see :class:`~vaekit.plots.kinds.FigureKind`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaekit.plots.kinds import FIGURES, available_kinds, fits, make_figure

if TYPE_CHECKING:
    from vaekit.data.loaded import LoadedData
    from vaekit.plots._estimator import Estimator

__all__ = ["all_rows", "run_figures"]


def all_rows(train: LoadedData, test: LoadedData | None) -> LoadedData:
    """Train rows followed by test rows (labels and ids kept only if both parts have them).

    A run draws its figures from its rows in the file's order instead
    (:meth:`vaekit.data.split.Split.everything`, given to :func:`run_figures`).
    """
    if test is None:
        return train
    labels = None
    if train.labels is not None and test.labels is not None:
        labels = np.concatenate([train.labels, test.labels])
    frame = None
    if train.frame is not None and test.frame is not None:
        import pandas as pd

        frame = pd.concat([train.frame, test.frame], ignore_index=True)
    ids = None
    if train.ids is not None and test.ids is not None:
        ids = np.concatenate([train.ids, test.ids])
    return dataclasses.replace(train, X=np.concatenate([train.X, test.X]), labels=labels, ids=ids, frame=frame)


def run_figures(
    estimator: Estimator,
    train: LoadedData,
    test: LoadedData | None,
    folder: Path,
    seed: int = 0,
    everything: LoadedData | None = None,
) -> list[tuple[str, str]]:
    """Every figure that applies, drawn on the test part (else train), saved as PNGs.

    Parameters
    ----------
    estimator : fitted autoencoder or VAE
    train, test : LoadedData
        A run's two parts; ``test`` is None when nothing was held out.
    folder : Path
        Where ``<kind>.png`` files are written (created if missing).
    seed : int
    everything : LoadedData or None
        Every row, train and test, in the file's order, which the kinds drawn from
        all rows take; None: :func:`all_rows`.

    Returns
    -------
    list of (file name inside ``folder``, caption)
        In :data:`FIGURES` order; a caption is "<kind> (<rows drawn>): <description>",
        the description the one for the model's data (:meth:`FigureKind.describe`).
    """
    from vaekit.plots.save import save_figure

    data = test if test is not None else train
    part = "test" if test is not None else "training"
    everything = all_rows(train, test) if everything is None else everything
    written = []
    for name in available_kinds(estimator):
        kind = FIGURES[name]
        if not fits(kind.in_runs_for, estimator):
            continue
        if kind.all_rows_in_runs:
            figure, on = make_figure(name, estimator, everything, seed), " (all rows)"
        else:
            figure, on = make_figure(name, estimator, data, seed), f" ({part} data)" if kind.needs_data else ""
        file_name = f"{name}.png"
        save_figure(figure, folder / file_name)
        written.append((file_name, f"{name}{on}: {kind.describe(estimator)}"))
    return written
