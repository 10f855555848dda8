"""Where and how training runs: the device, the CPU threads, flushing denormals, and how often progress is shown."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from numbers import Integral
from typing import Any, TypeVar, cast

import torch
from tqdm.auto import tqdm

T = TypeVar("T")


LOG_PROGRESS_INTERVAL = 10.0  # seconds between progress updates written to a file or pipe


def progress_interval() -> float:
    """Seconds between progress-bar updates: tqdm's 0.1 on a terminal or in a notebook,
    :data:`LOG_PROGRESS_INTERVAL` when stderr is a file or a pipe, so that a log gets a
    line every few seconds instead of one per epoch."""
    if any(cls.__name__ == "tqdm_notebook" for cls in tqdm.__mro__):  # a widget redraws in place
        return 0.1
    isatty = getattr(sys.stderr, "isatty", None)
    return 0.1 if isatty is not None and isatty() else LOG_PROGRESS_INTERVAL


@contextmanager
def flush_denormals() -> Iterator[None]:
    """Treat denormal floats as zero on the CPU while training, then switch back off.

    Tiny gradients make Adam's second-moment estimates denormal; CPUs handle those
    dozens of times slower (a 6-5-5-4 VAE went from 16 s to over 400 s). PyTorch has
    no getter for this flag, so it is restored to its default, off.
    """
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


AUTO_THREADS = 1
"""``threads="auto"``: the CPU threads torch uses to run a model, and to start a fit with (a fit then
times its step and may take :data:`DEFAULT_THREADS`: :mod:`vaekit.training.threads`)."""
DEFAULT_THREADS = torch.get_num_threads()
"""torch's own thread count when vaekit was imported (one per core, or OMP_NUM_THREADS)."""


def resolve_threads(threads: int | str | None) -> int | None:
    """The thread count ``threads`` asks for: "auto" -> :data:`AUTO_THREADS`, None -> None.

    None means "leave torch's setting alone" (torch's default is one thread per core),
    and so does a value that is not a positive integer: the estimator's parameter check
    refuses it with scikit-learn's message.
    """
    if isinstance(threads, str):
        return AUTO_THREADS if threads == "auto" else None
    if isinstance(threads, Integral) and not isinstance(threads, bool) and threads >= 1:
        return int(threads)
    return None


@contextmanager
def torch_threads(threads: int | str | None) -> Iterator[None]:
    """Run the block with torch using ``threads`` CPU threads, then restore the caller's count.

    Torch's default, one thread per core, spends most of its time waiting for busy
    cores when anything else runs on the machine: small networks trained 7-20x slower
    than on one thread (``benchmarks/threads.py``, RESULTS.md). None leaves the count as is.
    """
    wanted = resolve_threads(threads)
    previous = torch.get_num_threads()
    if wanted is None or wanted == previous:
        yield
        return
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def with_threads(method: Callable[..., T]) -> Callable[..., T]:
    """Decorate an estimator method to run under :func:`torch_threads` with its ``threads`` parameter."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        threads = getattr(self, "threads", None)
        if threads == "auto":  # inside a fit that timed its step: the count it chose, for all of the fit
            threads = self.__dict__.get("_fitting_threads", threads)
        with torch_threads(threads):
            return method(self, *args, **kwargs)

    return wrapper


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, Windows, musl)."""
    try:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None
    return cast("Callable[[int], int] | None", trim)


_TRIM = _malloc_trim()


def release_freed_memory() -> None:
    """Hand the heap memory the process has freed back to the system (glibc's ``malloc_trim(0)``; a no-op
    elsewhere). glibc keeps freed blocks of a few hundred KB for reuse, and a long streamed epoch's
    batches and activations, allocated and freed across threads, left them to grow with the rows."""
    if _TRIM is not None:
        _TRIM(0)


def resolve_device(device: str | torch.device) -> torch.device:
    """'auto' -> CUDA if available, then Apple MPS, then CPU; anything else as given."""
    if str(device) != "auto":
        try:
            resolved = torch.device(device)
        except (RuntimeError, TypeError, ValueError):
            resolved = None
        if resolved is None or resolved.type not in ("cpu", "cuda", "mps"):
            raise ValueError(f"device={device!r} is not a device vaekit trains on: use auto, cpu, cuda, cuda:N or mps")
        if resolved.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was asked for, but CUDA is not available here")
        if resolved.type == "mps" and not (
            getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
        ):
            raise ValueError(f"device={device!r} was asked for, but Apple's MPS is not available here")
        return resolved
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
