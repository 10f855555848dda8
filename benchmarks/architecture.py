"""Which network should ``architecture="auto"`` give small images: the MLP or the conv net, at equal wall time?

For each image set (the built-in digits, 8x8; the Frey faces, 28x20; a 10,000-image
subset of MNIST, 28x28, the Fashion-MNIST size too), a VAE with a 2-D latent:

1. the MLP with every other setting default (``epochs="auto"``, early stopping):
   its wall time W and its test ELBO;
2. the conv net trained for as many epochs as fit in W (its time per epoch measured
   on 2 epochs first; no early stopping): the comparison at equal wall time;
3. the conv net with every setting default: what it reaches, and how long it takes.

One torch thread; a 90/10 train/test split with seed 0; the test ELBO with 10 draws per
image. Run: ``.venv/bin/python benchmarks/architecture.py [--sets digits,frey-faces,mnist]``.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from vaekit import VAE, datasets

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
MNIST_ROWS = 10_000


def load(name: str) -> np.ndarray:
    if name == "mnist":
        X, _ = datasets.load("mnist", split="train", data_dir=SHARED)
        return np.asarray(X[np.random.default_rng(0).choice(len(X), MNIST_ROWS, replace=False)])
    X, _ = datasets.load(name, data_dir=SHARED)
    return np.asarray(X)


def fit(X_train: np.ndarray, X_test: np.ndarray, **params: Any) -> tuple[float, float, int]:
    """(wall seconds, test ELBO per image, epochs run) of a VAE fitted with ``params``."""
    model = VAE(latent_dim=2, random_state=0, verbose=0, threads=1, **params)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_train)
    wall = time.perf_counter() - started
    return wall, float(model.score_samples(X_test, n_samples=10).mean()), model.n_epochs_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="digits,frey-faces,mnist")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread; VAE latent_dim=2; test ELBO in nats per image (higher is better)\n")
    print("| images | rows | MLP (defaults): s / epochs / test ELBO | conv in the MLP's time: epochs / test ELBO "
          "| conv (defaults): s / epochs / test ELBO |")  # fmt: skip
    print("|---|---|---|---|---|")
    for name in args.sets.split(","):
        X = load(name)
        X_train, X_test = train_test_split(X, test_size=0.1, random_state=0)
        mlp_wall, mlp_elbo, mlp_epochs = fit(X_train, X_test, architecture="mlp")
        probe_wall, _, _ = fit(X_train, X_test, architecture="conv", epochs=2, patience=None)
        budget = max(1, math.floor(mlp_wall / (probe_wall / 2)))
        _, equal_elbo, _ = fit(X_train, X_test, architecture="conv", epochs=budget, patience=None)
        conv_wall, conv_elbo, conv_epochs = fit(X_train, X_test, architecture="conv")
        print(
            f"| {name} {X.shape[1:]} | {len(X):,} | {mlp_wall:.1f} / {mlp_epochs} / {mlp_elbo:.2f} "
            f"| {budget} / {equal_elbo:.2f} | {conv_wall:.1f} / {conv_epochs} / {conv_elbo:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
