"""Seed spread of the MNIST reference VAE's test loss (not a test).

The reference setup of ``mnist_vae.py`` (784-400-20, Bernoulli on logits, Adam 1e-3,
batch 128, 10 epochs) trained through vaekit and by the hand-written loop of
``mnist_vae.py`` with the same seeds, to show how much of a test-loss figure is the
luck of one seed, and whether vaekit differs from plain PyTorch beyond that luck.
Prints a Markdown table.

    .venv/bin/python benchmarks/mnist_vae_seeds.py --seeds 1,2,3,4,5
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch

from mnist_vae import (
    default_data_dir,
    fit_vaekit,
    hand_epoch,
    load_mnist,
    start_hand_run,
    test_loss,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    X_train, X_test = load_mnist(args.data_dir or default_data_dir(), None)
    print(
        "| seed | vaekit train loss, epoch 10 | vaekit test (1 draw) | vaekit test (10 draws) | hand-written test (1 draw) |"
    )
    print("|---:|---:|---:|---:|---:|")
    ours, theirs = [], []
    for seed in seeds:
        vae, _ = fit_vaekit(X_train, 10, seed=seed)
        one = -float(vae.score_samples(X_test).mean())
        ten = -float(vae.score_samples(X_test, n_samples=10).mean())
        hand = start_hand_run(torch.from_numpy(X_train), seed=seed)
        for _ in range(10):
            hand_epoch(hand)
        hand.model.eval()
        hand_loss = test_loss(hand.model.encode, hand.model.decode, torch.from_numpy(X_test), seed=seed)
        ours.append(one)
        theirs.append(hand_loss)
        print(
            f"| {seed} | {vae.history_['train_loss'][-1]:.3f} | {one:.3f} | {ten:.3f} | {hand_loss:.3f} |", flush=True
        )
    if len(seeds) > 1:
        for name, values in (("vaekit", ours), ("hand-written", theirs)):
            print(
                f"\n{name}: mean {statistics.mean(values):.3f}, standard deviation {statistics.stdev(values):.3f}, "
                f"min {min(values):.3f} nats per image over {len(values)} seeds (1 draw per image)"
            )


if __name__ == "__main__":
    main()
