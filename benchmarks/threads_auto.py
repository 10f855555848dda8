"""``threads="auto"`` against 1 thread and torch's default, quiet and beside busy processes (issue 28, item 1).

Per model, the three settings in turn in one process, ``--repeats`` times (the median kept): the training
seconds of the fit (``history_["seconds"]``, so the probe's own steps are in "auto"'s total: the fit's wall
time is printed too), and what "auto" chose (``training_settings_``). Busy neighbours: processes spinning
one core each in a Python loop, started here.

Models: the MNIST reference VAE (784-400-20 MLP, batch 128) for one epoch on the 60,000 training images,
and the default VAE on scikit-learn's digits (8 x 8) for 30 epochs.

    .venv/bin/python benchmarks/threads_auto.py [--busy 0,1] [--repeats 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from vaekit import VAE, datasets

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--busy", default="0,1")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    mnist = np.asarray(datasets.load("mnist", split="train", data_dir=SHARED)[0], dtype=np.float32)
    digits = np.asarray(datasets.load("digits")[0], dtype=np.float32)
    models = {
        "MNIST reference, 1 epoch": (mnist, dict(architecture="mlp", hidden=(400,), latent_dim=20, epochs=1)),
        "digits, 30 epochs": (digits, dict(epochs=30)),
    }
    default = torch.get_num_threads()
    print(f"torch {torch.__version__}, default threads {default}\n")
    print("| model | busy neighbours | threads | training s | fit s | auto chose |")
    print("|---|---:|---|---:|---:|---|")
    for busy in [int(b) for b in args.busy.split(",")]:
        spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
        try:
            time.sleep(0.5)
            for name, (X, params) in models.items():
                for threads in (1, default, "auto"):
                    train, wall, chose = [], [], ""
                    for _ in range(args.repeats):
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            started = time.perf_counter()
                            model = VAE(patience=None, random_state=0, verbose=0, threads=threads, **params).fit(X)
                            wall.append(time.perf_counter() - started)
                        train.append(sum(model.history_["seconds"]))
                        if threads == "auto":
                            chose = (
                                f"{model.training_settings_['threads']} ({model.training_settings_['threads_reason']})"
                            )
                    label = f"{threads}" + (" (torch default)" if threads == default else "")
                    print(
                        f"| {name} | {busy} | {label} | {statistics.median(train):.2f} | {statistics.median(wall):.2f} "
                        f"| {chose} |",
                        flush=True,
                    )
        finally:
            for spinner in spinners:
                spinner.kill()


if __name__ == "__main__":
    main()
