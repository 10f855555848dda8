"""Which likelihood should ``likelihood="auto"`` pick for grey images?

A VAE (MLP, latent_dim 2 by default) is fitted on the Frey faces (grey levels,
almost no pixel exactly 0 or 1) and on an MNIST subset (nearly binary: most pixels
exactly 0 or 1) under each likelihood: "bernoulli", "gaussian" (unit variance: on
pixels in [0, 1] a very weak likelihood), "gaussian-learned" and
"continuous-bernoulli" (Loaiza-Ganem & Cunningham, 2019). For each fit it reports,
on held-out images: the squared error per image of the reconstructions (decoded
posterior means) divided by that of PCA with as many components fitted on the same
training images (below 1 beats PCA), the mean KL in nats, the active units
(Burda et al., 2016) and whether the posterior collapsed (no active unit).
Fashion-MNIST is not in the offline data folder, so it is not measured.

Run it from the repository root::

    VAEKIT_DATA=/work/shared/datasets .venv/bin/python benchmarks/image_likelihood.py
    .venv/bin/python benchmarks/image_likelihood.py --seeds 0 --epochs-scale 0.2  # smoke run

``--figures DIR`` writes a manifold PNG per fit (latent_dim 2 only).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from vaekit import VAE, datasets
from vaekit.evaluation.likelihood import active_units

LIKELIHOODS = ("bernoulli", "gaussian", "gaussian-learned", "continuous-bernoulli")


def load_sets(data_dir: str | None, mnist_train: int, mnist_test: int) -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """name -> (train images, test images, epochs)."""
    frey, _ = datasets.load("frey-faces", data_dir=data_dir)  # (1965, 28, 20) in [0, 1]
    order = np.random.default_rng(0).permutation(len(frey))
    mnist_tr, _ = datasets.load("mnist", "train", data_dir=data_dir)
    mnist_te, _ = datasets.load("mnist", "test", data_dir=data_dir)
    return {
        "frey-faces": (frey[order[:1600]], frey[order[1600:]], 150),
        "mnist-10k": (mnist_tr[:mnist_train], mnist_te[:mnist_test], 20),
    }


def binary_share(X: np.ndarray) -> float:
    """Share of values exactly 0 or 1."""
    return float(np.isin(X, (0.0, 1.0)).mean())


def pca_error(train: np.ndarray, test: np.ndarray, k: int) -> float:
    """Mean squared error per image (summed over pixels) of PCA with k components."""
    a, b = train.reshape(len(train), -1), test.reshape(len(test), -1)
    pca = PCA(k, random_state=0).fit(a)
    return float(((pca.inverse_transform(pca.transform(b)) - b) ** 2).sum(axis=1).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("VAEKIT_DATA"))
    parser.add_argument("--latent-dims", type=int, nargs="+", default=[2])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs-scale", type=float, default=1.0)
    parser.add_argument("--mnist-train", type=int, default=10_000)
    parser.add_argument("--mnist-test", type=int, default=2_000)
    parser.add_argument("--figures", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sets = load_sets(args.data_dir, args.mnist_train, args.mnist_test)
    print(
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, torch {torch.__version__}, 1 thread"
    )
    for name, (train, test, _) in sets.items():
        print(
            f"{name}: {len(train)} train / {len(test)} test images {train.shape[1:]}, "
            f"share of pixels exactly 0 or 1: {binary_share(train):.3f}"
        )
    print()
    print("| data | latent | likelihood | seed | error / PCA | test KL (nats) | active units | collapsed | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (train, test, epochs) in sets.items():
        for k in args.latent_dims:
            pca = pca_error(train, test, k)
            for likelihood in LIKELIHOODS:
                for seed in args.seeds:
                    start = time.perf_counter()
                    vae = VAE(
                        latent_dim=k,
                        likelihood=likelihood,
                        architecture="mlp",
                        random_state=seed,
                        epochs=max(1, round(epochs * args.epochs_scale)),
                        verbose=0,
                    ).fit(train)
                    seconds = time.perf_counter() - start
                    error = float(((vae.reconstruct(test) - test) ** 2).reshape(len(test), -1).sum(axis=1).mean())
                    _, kl = vae.loss_terms(test)
                    n_active, _ = active_units(vae, test)
                    print(
                        f"| {name} | {k} | {likelihood} | {seed} | {error / pca:.2f} | {kl.mean():.2f} | "
                        f"{n_active}/{k} | {'yes' if n_active == 0 else 'no'} | {seconds:.0f} |",
                        flush=True,
                    )
                    if args.figures is not None and k == 2:
                        from vaekit.plots import make_figure, save_figure

                        args.figures.mkdir(parents=True, exist_ok=True)
                        save_figure(make_figure("manifold", vae), args.figures / f"{name}-{likelihood}-{seed}.png")


if __name__ == "__main__":
    main()
