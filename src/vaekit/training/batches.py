"""Training batches streamed from a :class:`~vaekit.data.stream.ChunkSource`: data bigger than memory.

:class:`StreamBatches` is the batch source of :func:`vaekit.training.loop.train` for data
on disk, as :class:`~vaekit.training.loop.TensorBatches` is for a tensor in memory. It
shuffles the way large-scale loaders do (a shuffle buffer over a shuffled order of
chunks, as ``tf.data``'s ``shuffle`` and WebDataset's ``shuffle`` do):

1. each epoch draws a new order of the chunks;
2. the chunks' selected rows are appended to a buffer; whenever it holds at least
   ``buffer_rows`` rows it is permuted and its full batches are emitted, the
   remainder carried over; at the end the rest is permuted and emitted, so only the
   last batch of an epoch may be short.

Memory is about ``buffer_rows`` rows plus one chunk. When the buffer holds every
selected row (``buffer_rows >= n_selected``, one process), the rows are read once,
kept on the device, and each epoch is one ``torch.randperm`` over them, so the
batches are exactly those of ``TensorBatches`` over the same rows and generator.

Data-parallel training (``world_size > 1``, DistributedDataParallel under torchrun):
every rank draws the same chunk order from the same generator; the epoch's selected
rows, in that order, are cut into ``world_size`` consecutive ranges of
``ceil(n_selected / world_size)`` rows, and rank ``r`` reads only the chunks that
overlap range ``r``. The last range wraps around to the first rows, as
``torch.utils.data.DistributedSampler`` pads, so every rank yields the same number
of batches and collectives never wait on a rank that has run out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import Tensor

from vaekit.data.stream import ChunkSource
from vaekit.data.stream.base import check_rows
from vaekit.data.validation import check_positive_int
from vaekit.training.runtime import release_freed_memory

__all__ = ["DEFAULT_BUFFER_ROWS", "StreamBatches"]

DEFAULT_BUFFER_ROWS = 1 << 16
"""Rows the shuffle buffer holds before it is permuted and emptied (65,536: 200 MB of MNIST images)."""

Key = tuple[int, int, int]
"""``(chunk, lo, hi)``: the selected rows ``lo:hi`` of a chunk, counted among its selected rows."""


Batch = Tensor | tuple[Tensor, Tensor]  # x, or x with its condition c


class BatchSource(Protocol):
    """What the loop trains on: an iterable of batches with a length."""

    def __iter__(self) -> Iterator[Batch]: ...

    def __len__(self) -> int: ...


class TensorBatches:
    """Batches of an in-memory tensor, reshuffled on every pass when ``shuffle``.

    Parameters
    ----------
    data : Tensor of shape (n, *sample_shape)
        Already on the training device.
    batch_size : int
    shuffle : bool
    generator : torch.Generator or None
        Drives the permutation; must live on ``data``'s device.
    condition : Tensor of shape (n, k) or None
        A condition per sample (conditional models); then each batch is a pair
        ``(x, c)`` sliced with the same rows.
    rank, world_size : int
        Data-parallel training: every rank draws the same permutation (seed the
        generators alike) and takes its own contiguous share of each batch of
        ``batch_size`` rows, so the ranks together see the batches one process would.
        A last batch with fewer rows than ranks is dropped, so that every rank has
        rows in every batch.
    subset : Tensor of shape (m,) or None
        The rows of ``data`` (and ``condition``) this source covers, as indices on ``data``'s
        device; None: all of them. Each batch gathers its rows from ``data`` directly, so a
        training/validation split copies no rows up front (on MNIST the copy of the training
        rows took 0.09 s, as much as 6% of an epoch).
    """

    def __init__(
        self,
        data: Tensor,
        batch_size: int,
        shuffle: bool = True,
        generator: torch.Generator | None = None,
        condition: Tensor | None = None,
        rank: int = 0,
        world_size: int = 1,
        subset: Tensor | None = None,
    ) -> None:
        self.data = data
        self.subset = subset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.condition = condition
        self.rank = rank
        self.world_size = world_size
        n = len(data) if subset is None else len(subset)
        tail = n % batch_size
        self._n_rows = n - tail if world_size > 1 and 0 < tail < world_size else n

    def __len__(self) -> int:
        return math.ceil(self._n_rows / self.batch_size)

    def global_rows(self, i: int) -> int:
        """Rows of batch ``i`` over every rank together."""
        return min(self.batch_size, self._n_rows - i * self.batch_size)

    def _rows(self, rows: slice | Tensor) -> Batch:
        if self.subset is not None:
            rows = self.subset[rows]  # positions in the subset -> rows of data
        if self.condition is None:
            return self.data[rows]  # (B, *sample_shape)
        return self.data[rows], self.condition[rows]  # (B, *sample_shape), (B, k)

    def __iter__(self) -> Iterator[Batch]:
        n = len(self.data) if self.subset is None else len(self.subset)
        if self.world_size > 1:
            yield from self._shares(n)
            return
        if not self.shuffle:
            for start in range(0, n, self.batch_size):
                yield self._rows(slice(start, start + self.batch_size))
            return
        order = torch.randperm(n, generator=self.generator, device=self.data.device)
        for start in range(0, n, self.batch_size):
            yield self._rows(order[start : start + self.batch_size])

    def _shares(self, n: int) -> Iterator[Batch]:
        """This rank's share of every batch (data-parallel)."""
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator, device=self.data.device)
        else:
            order = torch.arange(n, device=self.data.device)
        for start in range(0, self._n_rows, self.batch_size):
            rows = order[start : min(start + self.batch_size, self._n_rows)]
            yield self._rows(torch.tensor_split(rows, self.world_size)[self.rank])


def split_batch(batch: Batch) -> tuple[Tensor, Tensor | None]:
    """``x`` or ``(x, c)`` -> ``(x, c or None)``."""
    return batch if isinstance(batch, tuple) else (batch, None)


@dataclass
class _Failure:
    """An error raised in a loader worker, carried back whole (the loader's own re-raise adds lines)."""

    error: BaseException


class _ChunkRows(torch.utils.data.Dataset):
    """``dataset[(chunk, lo, hi)]``: those selected rows of the chunk, transformed, as a float32 tensor."""

    def __init__(self, source: ChunkSource, rows: np.ndarray | None, transform: Callable | None) -> None:
        self.source, self.rows, self.transform = source, rows, transform

    def __len__(self) -> int:
        return self.source.n_chunks

    def __getitem__(self, key: Key) -> Tensor:
        chunk, lo, hi = key
        start, stop = self.source.chunk_bounds(chunk)
        x = self.source.read_chunk(chunk)  # (stop - start, *sample_shape)
        if self.rows is not None and not self.rows[start:stop].all():
            x = x[self.rows[start:stop]]
        x = x[lo:hi]
        if self.transform is not None:
            x = self.transform(x)
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))  # (hi - lo, *sample_shape)


class _Caught(_ChunkRows):
    def __getitem__(self, key: Key) -> Tensor | _Failure:  # type: ignore[override]  # a failure is returned, not raised, to the loader
        try:
            return super().__getitem__(key)
        except Exception as err:
            return _Failure(err)


class _EpochKeys(torch.utils.data.Sampler):
    """The keys of the current epoch, set before each pass (a loader's workers outlive the epoch)."""

    def __init__(self) -> None:
        self.keys: list[Key] = []

    def __iter__(self) -> Iterator[Key]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


TRIM_ROWS = 8192
"""A streamed pass hands freed memory back to the system after every this many rows (64 training batches of
128; every second validation batch of 4,096: counted in batches, a validation pass of 0.1 of a 2.13 GB array
never reached a trim and the fit peaked at 1.73 GB instead of 0.86 GB)."""


class StreamBatches:
    """Shuffled batches of a chunked source (module docstring), on ``device``.

    Parameters
    ----------
    source : ChunkSource
    batch_size : int
    rows : ndarray of bool, shape (n_rows,), or None
        The rows of this split (training or validation); None: all. Chunks without
        a selected row are not read.
    transform : callable or None
        Applied to each chunk's selected rows, ndarray (k, *sample_shape) -> same
        shape, float32 (e.g. :meth:`~vaekit.data.preprocessing.Scaling.transform`).
    shuffle : bool, default=True
        False: the selected rows in file order (nothing drawn).
    generator : torch.Generator or None
        Drives every draw (None: torch's global generator). Required, seeded alike,
        on every rank when ``world_size > 1``.
    buffer_rows : int, default=DEFAULT_BUFFER_ROWS
    device : torch.device or str
    rank, world_size : int
        This process's place in data-parallel training.
    num_workers : int, default=0
        Loader processes that read (decode) chunks ahead; the batches are the same.
    """

    def __init__(
        self,
        source: ChunkSource,
        batch_size: int,
        *,
        rows: np.ndarray | None = None,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
        shuffle: bool = True,
        generator: torch.Generator | None = None,
        buffer_rows: int = DEFAULT_BUFFER_ROWS,
        device: torch.device | str = "cpu",
        rank: int = 0,
        world_size: int = 1,
        num_workers: int = 0,
    ) -> None:
        self.source = source
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.buffer_rows = check_positive_int("buffer_rows", buffer_rows)
        self.world_size = check_positive_int("world_size", world_size)
        if not 0 <= rank < self.world_size:
            raise ValueError(f"rank must be in 0..{self.world_size - 1}, got {rank!r}")
        if num_workers < 0:
            raise ValueError(f"num_workers must be 0 or more, got {num_workers!r}")
        if shuffle and self.world_size > 1 and generator is None:
            raise ValueError("world_size > 1 needs a generator seeded alike on every rank (the chunk order is shared)")
        self.rows = check_rows(rows, source.n_rows, source.name)
        self.transform, self.shuffle, self.generator = transform, shuffle, generator
        self.device, self.rank, self.num_workers = torch.device(device), rank, num_workers
        bounds = [source.chunk_bounds(i) for i in range(source.n_chunks)]
        self._counts = [  # selected rows of each chunk
            stop - start if self.rows is None else int(self.rows[start:stop].sum()) for start, stop in bounds
        ]
        self.n_selected = sum(self._counts)
        self.rows_per_rank = math.ceil(self.n_selected / self.world_size)
        self._whole = self.world_size == 1 and self.buffer_rows >= self.n_selected
        self._cache: Tensor | None = None  # every selected row, in file order, when the buffer holds them all
        self._keys = _EpochKeys()
        self._loader: torch.utils.data.DataLoader | None = None

    def __len__(self) -> int:
        return math.ceil(self.rows_per_rank / self.batch_size)

    # ------------------------------------------------------------------ reading
    def _draw_device(self) -> torch.device:
        return self.generator.device if self.generator is not None else self.device

    def _epoch_keys(self, order: list[int]) -> list[Key]:
        """This rank's keys: its range of the selected rows of the chunks in ``order``."""
        order = [i for i in order if self._counts[i]]
        if self.world_size == 1:
            return [(i, 0, self._counts[i]) for i in order]
        # rows [first, first + rows_per_rank) of the epoch's sequence, taken modulo n_selected: the
        # last range wraps around to the first rows, as DistributedSampler pads
        n, first = self.n_selected, self.rank * self.rows_per_rank % self.n_selected
        wanted = [(first, min(first + self.rows_per_rank, n)), (0, max(0, first + self.rows_per_rank - n))]
        starts = np.concatenate([[0], np.cumsum([self._counts[i] for i in order])]).tolist()
        keys = []
        for lo, hi in wanted:
            for i, start, stop in zip(order, starts[:-1], starts[1:]):
                a, b = max(lo, start), min(hi, stop)
                if a < b:
                    keys.append((i, a - start, b - start))
        return keys

    def _read(self, keys: list[Key]) -> Iterator[Tensor]:
        """The tensors of ``keys`` in order, on the device (through loader workers when asked)."""
        cuda = self.device.type == "cuda"
        if self.num_workers == 0:
            dataset = _ChunkRows(self.source, self.rows, self.transform)
            for key in keys:
                x = dataset[key]
                yield x.pin_memory().to(self.device, non_blocking=True) if cuda else x
            return
        if self._loader is None:
            self._loader = torch.utils.data.DataLoader(
                _Caught(self.source, self.rows, self.transform), batch_size=None, sampler=self._keys,
                num_workers=self.num_workers, pin_memory=cuda, persistent_workers=True,
            )  # fmt: skip
        self._keys.keys = keys
        failure = None
        for x in self._loader:
            if isinstance(x, _Failure):
                failure = x.error
                break
            yield x.to(self.device, non_blocking=True)
        if failure is not None:
            self._loader = None  # its workers stop now, not at a garbage collection (which waits 5 s for them)
            raise failure

    # ------------------------------------------------------------------ batches
    def _in_order(self, keys: list[Key]) -> Iterator[Tensor]:
        """Batches of the rows of ``keys`` in order; only the last one short."""
        carry: Tensor | None = None
        for x in self._read(keys):
            x = x if carry is None else torch.cat([carry, x])
            full = len(x) // self.batch_size * self.batch_size
            for start in range(0, full, self.batch_size):
                yield x[start : start + self.batch_size]  # (B, *sample_shape)
            carry = x[full:]
        if carry is not None and len(carry):
            yield carry

    def _shuffled(self, buffer: list[Tensor], generator: torch.Generator | None, last: bool) -> Iterator[Tensor]:
        """Permute the buffer's rows; emit its full batches (and the short rest if ``last``); leave the rest in it."""
        rows = torch.cat(buffer)  # (m, *sample_shape)
        device = generator.device if generator is not None else self.device
        order = torch.randperm(len(rows), generator=generator, device=device).to(rows.device)
        end = len(rows) if last else len(rows) // self.batch_size * self.batch_size
        for start in range(0, end, self.batch_size):
            yield rows[order[start : min(start + self.batch_size, end)]]  # (B, *sample_shape)
        buffer[:] = [rows[order[end:]]] if end < len(rows) else []

    def __iter__(self) -> Iterator[Tensor]:
        """One epoch: ``len(self)`` batches of shape (B, *sample_shape), float32 on ``device``.

        Every :data:`TRIM_ROWS` rows, the memory the process has freed is handed back to the system
        (:func:`~vaekit.training.runtime.release_freed_memory`): without it, glibc kept the batches' and
        activations' freed blocks, and a one-epoch fit of a 1.07 GB memory-mapped array peaked at 2.4 GB of
        anonymous memory, growing with the rows; with it, 0.79 GB, at the same speed (RESULTS.md, issue 28).
        """
        since = 0  # rows since the last trim: every TRIM_ROWS rows, whatever the batch size
        for batch in self._epoch():
            yield batch
            since += len(batch)
            if since >= TRIM_ROWS:
                release_freed_memory()
                since = 0

    def _epoch(self) -> Iterator[Tensor]:
        """The batches of one epoch (see :meth:`__iter__`)."""
        if self._whole:
            if self._cache is None:
                self._cache = torch.cat(list(self._read(self._epoch_keys(list(range(self.source.n_chunks))))))
                self._loader = None  # read once: its workers are done
            data = self._cache
            if not self.shuffle:
                for start in range(0, len(data), self.batch_size):
                    yield data[start : start + self.batch_size]
                return
            order = torch.randperm(len(data), generator=self.generator, device=self._draw_device()).to(data.device)
            for start in range(0, len(data), self.batch_size):
                yield data[order[start : start + self.batch_size]]  # (B, *sample_shape)
            return
        chunks = list(range(self.source.n_chunks))
        if not self.shuffle:
            yield from self._in_order(self._epoch_keys(chunks))
            return
        device = self._draw_device()
        chunks = torch.randperm(len(chunks), generator=self.generator, device=device).tolist()
        seed = int(torch.randint(0, 2**62, (1,), generator=self.generator, device=device))
        buffer_generator = torch.Generator(device).manual_seed(seed + self.rank)  # the buffers' own draws
        buffer: list[Tensor] = []
        held = 0
        for x in self._read(self._epoch_keys(chunks)):
            buffer.append(x)
            held += len(x)
            if held >= self.buffer_rows:
                yield from self._shuffled(buffer, buffer_generator, last=False)
                held = sum(len(b) for b in buffer)
        if held:
            yield from self._shuffled(buffer, buffer_generator, last=True)
