"""Seed spread of the MNIST reference VAE's test loss (not a test).

The reference setup of ``mnist_vae.py`` (784-400-20, Bernoulli on logits, Adam 1e-3,
batch 128, 10 epochs) trained through vaekit with several seeds, to show how much of
a test-loss figure is the luck of one seed. Prints a Markdown table.

    .venv/bin/python benchmarks/mnist_vae_seeds.py --seeds 1,2,3,4,5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mnist_vae import default_data_dir, fit_vaekit, load_mnist  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    X_train, X_test = load_mnist(args.data_dir or default_data_dir(), None)
    print("| seed | train loss, epoch 10 | test loss (1 draw/image) | test loss (10 draws/image) | fit s |")
    print("|---:|---:|---:|---:|---:|")
    losses = []
    for seed in seeds:
        started = time.perf_counter()
        vae, _ = fit_vaekit(X_train, 10, seed=seed)
        seconds = time.perf_counter() - started
        one = -float(vae.score_samples(X_test).mean())
        ten = -float(vae.score_samples(X_test, n_samples=10).mean())
        losses.append(ten)
        print(f"| {seed} | {vae.history_['train_loss'][-1]:.3f} | {one:.3f} | {ten:.3f} | {seconds:.1f} |", flush=True)
    if len(losses) > 1:
        print(f"\nmean {statistics.mean(losses):.3f}, standard deviation {statistics.stdev(losses):.3f} "
              f"nats per image over {len(losses)} seeds (10 draws per image)")


if __name__ == "__main__":
    main()
