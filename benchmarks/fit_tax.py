"""The fixed cost of a fit: a one-epoch fit of the MNIST reference network against one hand-loop epoch (issue 28, item 2).

One process, ABBA order, ``--rounds`` rounds. vaekit is ``VAE(architecture="mlp", hidden=(400,),
latent_dim=20, epochs=1)`` with every other setting at its default (``threads="auto"``,
``validation_fraction=0.1``, the threshold, the reasons' baselines, the codes for sampling), timed as
the wall time of the whole ``fit`` call. The hand loop is ``benchmarks/mnist_vae.py``'s (the PyTorch
example's network, Adam, batch 128) for one epoch of the 60,000 images at torch's default threads.
Goal: the median ratio at most 1.05.

    .venv/bin/python benchmarks/fit_tax.py [--rounds 6]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch

from mnist_vae import default_data_dir, load_mnist, one_hand_epoch, warm_up
from vaekit import VAE


def fit_seconds(X: np.ndarray) -> tuple[float, float, dict[str, object]]:
    """(wall seconds of the whole fit, seconds of its training epoch, its training settings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the one-epoch cap's warning
        started = time.perf_counter()
        model = VAE(architecture="mlp", hidden=(400,), latent_dim=20, epochs=1, random_state=0, verbose=0).fit(X)
        wall = time.perf_counter() - started
    return wall, float(model.history_["seconds"][0]), dict(model.training_settings_)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    X, _ = load_mnist(default_data_dir(), None)  # (60000, 784) float32 in [0, 1]
    data = torch.from_numpy(X)
    warm_up(data)
    fit_seconds(X[:5000])  # first-call costs on the vaekit side too
    hand, fits, epochs = [], [], []
    settings: dict[str, object] = {}
    for i in range(args.rounds):
        if i % 2 == 0:
            hand.append(one_hand_epoch(data))
        wall, epoch, settings = fit_seconds(X)
        fits.append(wall)
        epochs.append(epoch)
        if i % 2 == 1:
            hand.append(one_hand_epoch(data))
    ratios = [f / h for f, h in zip(fits, hand, strict=True)]
    print(f"torch {torch.__version__}, default threads {torch.get_num_threads()}, {args.rounds} rounds (ABBA)")
    print(f"vaekit chose threads={settings.get('threads')} ({settings.get('threads_reason', '')})\n")
    print("| round | hand epoch s | vaekit fit s (wall) | of which the epoch s | fit / hand |")
    print("|---:|---:|---:|---:|---:|")
    for i, (h, f, e, r) in enumerate(zip(hand, fits, epochs, ratios, strict=True)):
        print(f"| {i} | {h:.3f} | {f:.3f} | {e:.3f} | {r:.3f} |")
    median = statistics.median(ratios)
    print(
        f"| **median** | {statistics.median(hand):.3f} | {statistics.median(fits):.3f} | "
        f"{statistics.median(epochs):.3f} | **{median:.3f}** |"
    )
    print(f"\nGoal (median fit / hand at most 1.05): {'met' if median <= 1.05 else 'not met'} ({median:.3f})")


if __name__ == "__main__":
    main()
