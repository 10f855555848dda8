"""Data-parallel training on PyTorch's own machinery: ``torchrun`` and ``DistributedDataParallel``.

Nothing here launches processes: ``torchrun`` does, and sets ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK`` and the rendezvous in each one's environment. A fit
that finds ``WORLD_SIZE > 1`` there joins the process group (gloo on the CPU, NCCL on
CUDA), trains its share of every batch, and averages gradients through DDP.

Data is split as ``DistributedSampler`` with ``set_epoch`` splits it: every rank
draws the same permutation each epoch (the order generator is seeded alike on
every rank and advances once per epoch) and takes its own contiguous share of each
batch (:class:`vaekit.training.loop.TensorBatches`); a stream is split by rows of the
epoch's chunk order (:class:`vaekit.training.batches.StreamBatches`). Every rank gets
the same number of batches, so no collective waits on a rank that has run out.

Threads: ``torchrun`` sets ``OMP_NUM_THREADS=1`` for more than one process per
machine, and the estimators' ``threads="auto"`` trains on one thread per process.

Only rank 0 writes (checkpoints, the model, the run folder). When one rank fails,
it exits with its error; ``torchrun`` then stops the others and prints that
rank's error, so the job ends instead of hanging on a collective. A process on
another machine is not ``torchrun``'s to stop: there the others meet its absence
in their next collective, as an error of the backend that :func:`lost_process`
turns into one line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

TIMEOUT = timedelta(minutes=10)
"""How long a collective waits for a missing rank before failing."""

_BACKEND = re.compile(r"gloo|nccl|c10d|ProcessGroup", re.IGNORECASE)
_SOURCE = re.compile(r"^\[[^\]]*\]\s*")  # gloo's "[.../pair.cc:537] " before its message


@dataclass(frozen=True)
class World:
    """This process's place among the data-parallel processes."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def parallel(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        """Rank 0: the process that writes."""
        return self.rank == 0


def world() -> World:
    """The launch ``torchrun`` describes in the environment (one process when it is absent)."""
    try:
        size = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError as err:
        raise ValueError(f"RANK, WORLD_SIZE or LOCAL_RANK in the environment is not a whole number ({err})") from None
    if size < 1 or not 0 <= rank < size:
        raise ValueError(f"the environment says RANK={rank} of WORLD_SIZE={size}, which is not a valid rank")
    return World(rank, size, local_rank)


def is_main_process() -> bool:
    """False on the ranks other than 0 of a ``torchrun`` launch."""
    return world().main


def device_for(device: torch.device) -> torch.device:
    """Under ``torchrun``, a bare ``cuda`` becomes this process's own GPU, ``cuda:LOCAL_RANK``."""
    here = world()
    if here.parallel and device.type == "cuda" and device.index is None:
        return torch.device("cuda", here.local_rank % max(1, torch.cuda.device_count()))
    return device


def join(device: torch.device) -> World:
    """Join the process group of this launch (once), on the backend for ``device``.

    gloo for the CPU, NCCL for CUDA. Returns the world; a single process joins nothing.
    """
    here = world()
    if not here.parallel or dist.is_initialized():
        return here
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend, timeout=TIMEOUT)
    return here


def all_sum(values: torch.Tensor) -> torch.Tensor:
    """``values`` summed over every rank (itself when training in one process)."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def barrier() -> None:
    """Wait for every rank (nothing when training in one process)."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()


def lost_process(err: BaseException) -> ConnectionError | None:
    """The error of a collective whose peer is gone (failed, killed, its machine lost), in one line.

    None for any other error, and in a single process. The backend's own message
    (gloo's or NCCL's, raised as a RuntimeError) is kept, without its source file.
    """
    here = world()
    text = (str(err).strip().splitlines() or [""])[0]
    if not here.parallel or not (isinstance(err, dist.DistError) or _BACKEND.search(text)):
        return None
    detail = _SOURCE.sub("", text).split(". This is typically")[0].rstrip(".")[:200]
    return ConnectionError(
        f"rank {here.rank} of {here.size} lost another process of this torchrun job ({detail}): "
        "that process failed or was killed, and its own log says why"
    )
