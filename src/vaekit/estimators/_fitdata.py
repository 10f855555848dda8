"""The data a fit trains on, in memory or streamed from disk, behind one interface.

:func:`stream_data` is fit's path for data bigger than memory: a ``.npy`` file (or a
memory-mapped array), a Parquet file or folder, a CSV, or an image folder (see
:mod:`vaekit.data.stream`). It makes one pass for the statistics the "auto"
choices and the scaling need, holds out validation rows by a seeded random mask,
and trains on :class:`~vaekit.training.batches.StreamBatches`; fitted state that needs
every row (the anomaly threshold, the autoencoder's latent Gaussian) is computed
chunk by chunk afterwards. Nothing holds the whole data in memory.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from vaekit.data.preprocessing import Scaling
from vaekit.data.stream import ChunkSource, ImageFolderChunks, RowSubset, open_stream, stream_statistics
from vaekit.data.stream.decoded import decoded_copy, remove_copy
from vaekit.data.stream.parquet_chunks import ParquetChunks
from vaekit.data.table.bounds import ColumnBounds, fit_columns
from vaekit.data.validation import InputError, check_array
from vaekit.estimators import _table
from vaekit.estimators._fingerprint import data_digest
from vaekit.estimators._labels import fit_classes
from vaekit.estimators._resolve import (
    DataSummary,
    resolve_architecture,
    resolve_hidden,
)
from vaekit.training.batches import BatchSource, StreamBatches, TensorBatches
from vaekit.training.distributed import World

Rows = Iterator[tuple[np.ndarray, np.ndarray | None]]
"""Chunks of rows in model units ``(n_chunk, *input_shape_)``, with their conditions (or None)."""

PREDICT_BATCH = 4096
"""Rows per forward pass in every batched inference (transform, scores, likelihoods)."""


@dataclass
class FitData:
    """What :meth:`BaseAutoEncoder.fit` needs of its data, however it is held.

    Attributes
    ----------
    n_train : int
        Training rows (the rest of the rows are for validation).
    make_train : callable
        ``make_train(order_generator) -> BatchSource``: the training batches, shuffled
        by the generator (shared by every rank of a data-parallel run).
    val_batches : BatchSource or None
    description : dict
        Rows and sample shape (and a streamed source's name), for the checkpoint's record.
    digest : callable
        ``digest()`` -> a digest of the values, for the checkpoint's record: computed only for a fit
        that checkpoints (hashing MNIST's 188 MB took 0.13 s, a tenth of an epoch).
    rows : callable
        ``rows(train_only)`` -> the rows in model units, chunk by chunk.
    constant : bool
        Every row is the same.
    validation : ndarray of bool, shape (n_rows,)
        The rows held out of training, in the order ``rows(False)`` gives every row.
    workers : int
        Loader processes that read and decode a stream beside training (0: read inline, or in memory).
    scratch : Path or None
        The temporary folder of a streamed Parquet file's decoded copy
        (:mod:`vaekit.data.stream.decoded`), which :meth:`close` removes.
    """

    n_train: int
    make_train: Callable[[torch.Generator], BatchSource]
    val_batches: BatchSource | None
    description: dict[str, Any]
    digest: Callable[[], str]
    rows: Callable[[bool], Rows]
    constant: bool
    validation: np.ndarray
    workers: int = 0
    scratch: Path | None = None  # a temporary decoded copy of a Parquet stream, removed by close()

    def close(self) -> None:
        """Remove what the fit made only for itself (a decoded copy of a Parquet stream)."""
        remove_copy(self.scratch)


def is_streamed(X: Any) -> bool:
    """A path, a memory-mapped array or a chunk source: data that fit streams instead of reading whole."""
    return isinstance(X, (str, os.PathLike, np.memmap, ChunkSource))


def is_streamed_data(data: FitData) -> bool:
    """Whether ``data`` trains on batches streamed from disk (starting them costs a buffer's fill)."""
    return bool(data.description.get("source"))


def validation_mask(n_rows: int, fraction: float, rng: np.random.RandomState) -> np.ndarray:
    """Which rows validate (bool, (n_rows,)): the same rows the in-memory path holds out."""
    order = rng.permutation(n_rows)
    n_val = round(fraction * n_rows) if n_rows >= 10 else 0
    if n_val >= n_rows:
        raise ValueError(
            f"validation_fraction={fraction:g} of {n_rows} rows holds out all {n_val} for validation "
            f"and leaves none to train on: use at most {math.floor(1000 - 1000 / n_rows) / 1000:g}, or 0 for none"
        )
    mask = np.zeros(n_rows, dtype=bool)
    mask[order[:n_val]] = True
    return mask


DEFAULT_BUFFER_BYTES = 96 << 20
"""The shuffle buffer of a streamed fit holds about this much (96 MiB: 32,000 MNIST images), and the
permuted copy made when it is full as much again."""


def default_buffer_rows(sample_shape: tuple[int, ...], batch_size: int) -> int:
    """Rows of :data:`DEFAULT_BUFFER_BYTES` of float32 samples, and at least 16 batches.

    >>> default_buffer_rows((784,), 128), default_buffer_rows((10,), 128)
    (32099, 2516582)
    """
    return max(16 * batch_size, DEFAULT_BUFFER_BYTES // (4 * math.prod(sample_shape)))


def default_workers(source: ChunkSource) -> int:
    """Loader processes for ``source``: image files are decoded in others, ahead of training (up to 4,
    leaving a core to train); tables are read inline (a worker did not speed up Parquet measurably here)."""
    if isinstance(source, RowSubset):
        source = source.source
    return max(0, min(4, (os.cpu_count() or 1) - 1)) if isinstance(source, ImageFolderChunks) else 0


def _digest(source: ChunkSource) -> str:
    """A digest of the first and last chunks' values (the whole file would be another full pass)."""
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    for i in sorted({0, source.n_chunks - 1}):
        digest.update(source.read_chunk(i).data)
    return digest.hexdigest()


def stream_data(
    estimator: Any,
    X: Any,
    y: Any,
    rng: np.random.RandomState,
    here: World,
    buffer_rows: int | None,
    workers: int | None,
) -> FitData:
    """Set the estimator's shape, choices and scaling from one pass over X on disk; the streamed batches."""
    if estimator.conditional:  # the others ignore y, as they do in memory
        raise InputError(
            f"{type(estimator).__name__} is conditional: its labels and data must be in memory, not streamed from disk"
        )
    if estimator.likelihood == "mixed" or estimator.column_types:
        raise InputError("a streamed table takes numeric columns only; read a mixed table into memory instead")
    original = source = open_stream(X)
    scratch = None
    parquet = source.source if isinstance(source, RowSubset) else source  # vaekit train's training part
    if isinstance(parquet, ParquetChunks) and here.size == 1:  # decoded once, not on every pass
        decoded = decoded_copy(source)
        if decoded is not None:
            source, scratch = decoded
    try:
        return _streamed(estimator, original, source, scratch, rng, here, buffer_rows, workers)
    except BaseException:
        remove_copy(scratch)
        raise


def _streamed(
    estimator: Any,
    original: ChunkSource,
    source: ChunkSource,
    scratch: Path | None,
    rng: np.random.RandomState,
    here: World,
    buffer_rows: int | None,
    workers: int | None,
) -> FitData:
    """:func:`stream_data` from ``source``, the rows of the user's ``original`` (itself, or its decoded copy)."""
    stats = stream_statistics(source)
    names = original.feature_names
    if names is not None:
        estimator.feature_names_in_ = np.asarray(names, dtype=object)
    summary = DataSummary.of_statistics(stats, tuple(source.sample_shape))
    estimator.input_shape_ = tuple(int(s) for s in source.sample_shape)
    estimator.n_features_in_ = math.prod(estimator.input_shape_)
    estimator.architecture_ = resolve_architecture(estimator.architecture, summary)
    estimator.likelihood_ = estimator._resolve_likelihood(summary)
    estimator.hidden_ = resolve_hidden(estimator.hidden, estimator.architecture_, estimator.input_shape_)
    kind = estimator._resolve_preprocessing(summary)
    estimator.scaling_ = Scaling.from_statistics(stats, kind, names=names)
    if _bounded(estimator):  # a table of numbers: outputs within each column's observed range (not rounded:
        # whether a column holds whole numbers is not among the stream's statistics)
        low, high = np.asarray(stats.min, dtype=np.float64).ravel(), np.asarray(stats.max, dtype=np.float64).ravel()
        estimator.column_bounds_ = [ColumnBounds(float(a), float(b)) for a, b in zip(low, high, strict=True)]
    val = validation_mask(source.n_rows, estimator.validation_fraction, rng)
    transform = estimator.scaling_.transform
    device = estimator.device_
    buffer = default_buffer_rows(estimator.input_shape_, estimator.batch_size) if buffer_rows is None else buffer_rows
    if workers is None:
        workers = default_workers(source)
    local_batch = max(1, estimator.batch_size // here.size)  # the ranks together take batch_size rows

    def make_train(order: torch.Generator) -> BatchSource:
        return StreamBatches(
            source, local_batch, rows=~val, transform=transform, shuffle=True, generator=order,
            buffer_rows=buffer, device=device, rank=here.rank, world_size=here.size, num_workers=workers,
        )  # fmt: skip

    val_batches = None
    if val.any():
        val_batches = StreamBatches(
            source, 4096, rows=val, transform=transform, shuffle=False, buffer_rows=buffer, device=device,
            rank=here.rank, world_size=here.size, num_workers=workers,
        )  # fmt: skip

    def rows(train_only: bool) -> Rows:
        for i in range(source.n_chunks):
            start, stop = source.chunk_bounds(i)
            chunk = source.read_chunk(i)
            if train_only:
                chunk = chunk[~val[start:stop]]
            if len(chunk):
                yield transform(chunk), None

    return FitData(
        n_train=int((~val).sum()),
        make_train=make_train,
        val_batches=val_batches,
        description={
            "rows": source.n_rows,
            "shape": list(source.sample_shape),
            "source": original.name,
        },
        digest=lambda: _digest(original),
        rows=rows,
        constant=bool(np.all(stats.std == 0)),
        validation=val,
        workers=workers,
        scratch=scratch,
    )


def _bounded(estimator: Any) -> bool:
    """Whether the model's outputs get each column's bounds: a table of numbers (n, d) under a Gaussian,
    not images, nor pixels in [0, 1] (whose means are probabilities, never rounded)."""
    return len(estimator.input_shape_) == 1 and estimator.likelihood_ in ("gaussian", "gaussian-learned")


def array_data(estimator: Any, X: Any, y: Any, rng: np.random.RandomState, here: World) -> FitData:
    """Check X (and y) in memory, set the estimator's fitted shape, choices and scaling; the batches on the
    device (the in-memory twin of :func:`stream_data`)."""
    table = _table.needs_table(X, estimator.likelihood, estimator.column_types)
    X = _table.fit_table(estimator, X) if table else check_array(X)  # a mixed table: encoded (n, n_encoded)
    if estimator.conditional:
        estimator.classes_, estimator.class_prior_ = fit_classes(y, len(X), type(estimator).__name__)
    conditions = estimator._conditions(y if estimator.conditional else None, len(X), "fit")  # (n, k) or None
    estimator.input_shape_ = tuple(int(s) for s in X.shape[1:])
    estimator.n_features_in_ = len(estimator.table_.names) if table else math.prod(estimator.input_shape_)
    summary = DataSummary.of(X)
    estimator.architecture_ = resolve_architecture(estimator.architecture, summary)
    estimator.likelihood_ = "mixed" if table else estimator._resolve_likelihood(summary)
    if table and (estimator.architecture_ != "mlp" or estimator.likelihood in ("bernoulli", "continuous-bernoulli")):
        raise InputError(
            f"a table with categories or gaps is modelled column by column: it takes architecture='auto' or "
            f"'mlp' and likelihood='auto' or 'mixed' (got {estimator.architecture!r}, {estimator.likelihood!r})"
        )
    estimator.hidden_ = resolve_hidden(estimator.hidden, estimator.architecture_, estimator.input_shape_)
    names = getattr(estimator, "feature_names_in_", None)  # for the note on constant columns
    kind = "none" if table else estimator._resolve_preprocessing(summary)
    estimator.scaling_ = Scaling.fit(X, kind, names=None if names is None else [str(n) for n in names])
    if not table and _bounded(estimator):  # a table of numbers: outputs plausible per column, as a mixed table's
        estimator.column_bounds_ = fit_columns(X)
    val = validation_mask(len(X), estimator.validation_fraction, rng)
    n_val = int(val.sum())
    val_rows, train_rows = np.flatnonzero(val), np.flatnonzero(~val)
    X_model = estimator.scaling_.transform(X)
    data = torch.from_numpy(X_model).to(estimator.device_)
    condition = None if conditions is None else torch.from_numpy(conditions).to(estimator.device_)

    def subset(index: np.ndarray) -> Tensor | None:  # rows of data a source covers: no copy of them
        return torch.as_tensor(index, device=estimator.device_) if n_val else None

    val_batches = None
    if n_val:
        val_batches = TensorBatches(
            data,
            PREDICT_BATCH,
            False,
            condition=condition,
            rank=here.rank,
            world_size=here.size,
            subset=subset(val_rows),
        )
    train_subset = subset(train_rows)

    def make_train(order: torch.Generator) -> TensorBatches:
        return TensorBatches(
            data,
            estimator.batch_size,
            True,
            order,
            condition=condition,
            rank=here.rank,
            world_size=here.size,
            subset=train_subset,
        )

    def chunks(train_only: bool) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        if not (train_only and n_val):
            yield X_model, conditions
            return
        step = max(1, PIECE_BYTES // max(1, X_model[:1].nbytes))  # the training rows a piece at a time: a copy
        for start in range(0, len(train_rows), step):  # of them all at once cost 0.07 s on MNIST (fresh pages)
            at = train_rows[start : start + step]
            yield X_model[at], None if conditions is None else conditions[at]

    description = {"rows": len(X), "shape": list(X.shape[1:])}
    return FitData(
        len(train_rows), make_train, val_batches, description, lambda: data_digest(X), chunks, _same(X_model), val
    )


PIECE_BYTES = 8 << 20
"""``rows(True)`` of an array copies its training rows in pieces of about this many bytes."""


def _same(X_model: np.ndarray) -> bool:
    """Every row equals the first (NaN equal to NaN); the second row alone settles most data."""
    if len(X_model) < 2:
        return False
    for rows in (X_model[1:2], X_model[1:]):
        if not np.all((rows == X_model[:1]) | (np.isnan(rows) & np.isnan(X_model[:1]))):
            return False
    return True
