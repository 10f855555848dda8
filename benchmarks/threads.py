"""How many CPU threads should torch use to train? (issue 10, item 7)

Trains a small table model and an MNIST-size image model with 1 thread, 2 threads
and torch's default (one per physical core), alone and beside busy neighbours:
other processes each spinning one core in a pure-Python loop, as on a shared
machine. Every setting of one model runs in the same process, in turn, repeated
``--repeats`` times (the median is kept), so the ratios compare like with like.

Models (offline data):
- table: VAE (latent 2, default MLP) on 5,000 rows of ADBench shuttle (9 columns),
  ``--epochs`` epochs, batch 128;
- mnist: VAE (latent 8, the default convolutional network) on 2,000 MNIST digits
  (28 x 28), 1 epoch, batch 128.

Prints one table: seconds per fit and the ratio to one thread in the same row.

Usage: .venv/bin/python benchmarks/threads.py [--repeats 2] [--epochs 4] [--busy 0,1] [--models table,mnist]
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from vaekit import VAE

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
BUSY_LOOP = "while True: pass"


def table_data() -> np.ndarray:
    """5,000 rows of ADBench shuttle (its features; the labels are unused)."""
    X = np.load(SHARED / "adbench" / "32_shuttle.npz")["X"].astype(np.float32)
    return X[np.random.RandomState(0).permutation(len(X))[:5000]]


def mnist_data() -> np.ndarray:
    """The first 2,000 MNIST training digits as (n, 28, 28) floats in [0, 1]."""
    with gzip.open(SHARED / "mnist" / "train-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (raw.reshape(-1, 28, 28)[:2000] / 255.0).astype(np.float32)


def fit_seconds(make: Callable[[int | None], VAE], threads: int | None, X: np.ndarray) -> float:
    start = time.perf_counter()
    make(threads).fit(X)
    return time.perf_counter() - start


def start_busy(n: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(n)]


def stop_busy(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.kill()
        p.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=4, help="epochs of the table model")
    parser.add_argument("--busy", default="0,1", help="numbers of busy neighbour processes to try")
    parser.add_argument("--models", default="table,mnist", help="which of table, mnist")
    args = parser.parse_args()
    busy_counts = [int(b) for b in args.busy.split(",")]
    default = torch.get_num_threads()
    settings: list[int | None] = [1, 2] if default == 2 else [1, 2, None]
    label = {1: "1", 2: "2" + (" (torch default)" if default == 2 else ""), None: f"default ({default})"}

    common = dict(batch_size=128, patience=None, validation_fraction=0.0, random_state=0, verbose=0)
    models: dict[str, tuple[Callable[[int | None], VAE], Callable[[], np.ndarray]]] = {
        "table": (lambda t: VAE(2, epochs=args.epochs, threads=t, **common), table_data),
        "mnist": (lambda t: VAE(8, epochs=1, threads=t, **common), mnist_data),
    }
    print(f"# {platform.node()}: {os.cpu_count()} CPUs, torch {torch.__version__}, default threads {default}")
    print("| model | busy neighbours | threads | seconds | / 1 thread |")
    print("|---|---|---|---|---|")
    for name in args.models.split(","):
        make, load = models[name]
        X = load()
        fit_seconds(make, 1, X[:256])  # warm up (allocations, kernels)
        for n_busy in busy_counts:
            procs = start_busy(n_busy)
            try:
                time.sleep(0.5)
                times: dict[int | None, list[float]] = {t: [] for t in settings}
                for _ in range(args.repeats):
                    for t in settings:
                        times[t].append(fit_seconds(make, t, X))
            finally:
                stop_busy(procs)
            one = statistics.median(times[1])
            for t in settings:
                sec = statistics.median(times[t])
                print(f"| {name} | {n_busy} | {label[t]} | {sec:.2f} | {sec / one:.2f} |", flush=True)


if __name__ == "__main__":
    main()
