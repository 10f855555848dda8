"""MNIST VAE benchmark: quality and speed of vaekit on the classic reference setup.

The setup is that of the PyTorch examples VAE (``examples/vae/main.py``): an MLP
784-400-20 with ReLU, a Bernoulli decoder on logits, Adam with lr 1e-3, batch 128,
10 epochs, seed 1, pixels uint8/255 in [0, 1] (not binarized). vaekit trains it
through its public API (``VAE(...).fit``) on the MNIST training set (60,000
images) and is evaluated on the test set (10,000 images).

What it measures
----------------
(a) Quality: the test loss in nats per image, summed BCE + KL over the test set
    divided by its size (one posterior sample per image, as in the PyTorch
    example's test loop), as ``-vae.score_samples(X_test).mean()``, and recomputed
    independently from ``vae.model_``. The target is <= 105.6 nats (the widely
    logged result of this setup is 105.56-105.59 after epoch 10); it only applies
    to the full run (all 60,000 images, 10 epochs).
(b) Speed: median seconds per epoch of vaekit against a minimal hand-written
    PyTorch loop of the same model on the same float32 tensor (batches sliced from a
    ``torch.randperm``, as vaekit does), in the same process with the same torch
    thread settings. The requirement is vaekit / hand-written <= 1.05, judged on
    ``--rounds`` interleaved rounds of one epoch each, each side training a fresh
    model (vaekit's epoch is a ``fit(epochs=1)``, timed by its
    ``history_["seconds"]``), in ABBA order so that load elsewhere on a shared
    machine hits both alike. The runs of (a) are timed
    too (the hand loop's epochs run half before and half after vaekit's fit), and
    so is fit's wall time, which includes its setup.

The output is Markdown, ready to paste into ``benchmarks/RESULTS.md``.

Run it from the repository root::

    .venv/bin/python benchmarks/mnist_vae.py
    .venv/bin/python benchmarks/mnist_vae.py --epochs 1 --subset 5000   # smoke run
    .venv/bin/python benchmarks/mnist_vae.py --threads 1   # steadier timings on a busy machine

Options: ``--epochs`` (default 10), ``--subset N`` (train on the first N training
images), ``--data-dir``, ``--rounds`` (interleaved timing rounds, default 10; 0
skips them) and ``--threads`` (torch intra-op threads for both sides).

MNIST is read with ``vaekit.datasets.load("mnist", data_dir=DATA)``; DATA is
``--data-dir``, else the environment variable ``VAEKIT_DATA``, else
``<repo>/../shared/datasets``.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vaekit import VAE, datasets

LATENT_DIM = 20
HIDDEN = 400
N_PIXELS = 784
BATCH_SIZE = 128
LR = 1e-3
SEED = 1
TARGET_NATS = 105.6  # PyTorch examples VAE after 10 epochs: 105.56-105.59
MAX_OVERHEAD = 1.05  # vaekit seconds per epoch / hand-written loop's
EVAL_BATCH = 4096
WARMUP_BATCHES = 20
MNIST_FILES = ("train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz")


# ---------------------------------------------------------------- data


def default_data_dir() -> Path:
    """``$VAEKIT_DATA`` if set, else ``<repo>/../shared/datasets``."""
    if env := os.environ.get("VAEKIT_DATA"):
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def load_mnist(data_dir: Path, subset: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Flattened float32 train (first ``subset`` images) and test images in [0, 1]."""
    missing = [name for name in MNIST_FILES if not (data_dir / "mnist" / name).is_file()]
    if missing:
        sys.exit(
            f"error: MNIST not found: {data_dir / 'mnist'} lacks {', '.join(missing)} "
            "(pass --data-dir DIR or set VAEKIT_DATA=DIR, where DIR/mnist/ holds the IDX .gz files)"
        )
    try:
        X_train, _ = datasets.load("mnist", split="train", data_dir=data_dir)  # (60000, 28, 28)
        X_test, _ = datasets.load("mnist", split="test", data_dir=data_dir)  # (10000, 28, 28)
    except ValueError as exc:  # corrupt or unexpected files; the message names the file
        sys.exit(f"error: {str(exc).splitlines()[0]}")
    if subset is not None:
        X_train = X_train[:subset]
    return X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)  # (n, 784)


# ---------------------------------------------------------------- the hand-written baseline


class HandVAE(nn.Module):
    """The PyTorch examples VAE, written out: 784-400-(20 mean, 20 logvar), 20-400-784 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.enc1 = nn.Linear(N_PIXELS, HIDDEN)
        self.enc2 = nn.Linear(HIDDEN, 2 * LATENT_DIM)
        self.dec1 = nn.Linear(LATENT_DIM, HIDDEN)
        self.dec2 = nn.Linear(HIDDEN, N_PIXELS)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mean, logvar = self.enc2(F.relu(self.enc1(x))).chunk(2, dim=-1)  # (B, latent) each
        return mean, logvar

    def decode(self, z: Tensor) -> Tensor:
        return self.dec2(F.relu(self.dec1(z)))  # (B, 784) logits

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mean, logvar = self.encode(x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)  # (B, latent)
        return self.decode(z), mean, logvar


def summed_loss(logits: Tensor, x: Tensor, mean: Tensor, logvar: Tensor) -> Tensor:
    """Summed BCE (on logits) + closed-form KL(q(z|x) || N(0, I)) over the batch, in nats."""
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum()
    return bce + kl


@dataclass
class HandRun:
    """The hand-written loop's state, so that its epochs can be run a few at a time."""

    data: Tensor  # (n, 784)
    model: HandVAE
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    seconds: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)


def start_hand_run(data: Tensor, seed: int = SEED) -> HandRun:
    torch.manual_seed(seed)
    model = HandVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    return HandRun(data, model, optimizer, torch.Generator().manual_seed(seed + 1))


def hand_epoch(run: HandRun) -> None:
    """One epoch: slice a randperm into batches, as vaekit does; loss = summed / batch size."""
    started = time.perf_counter()
    run.model.train()
    n = len(run.data)
    total = torch.zeros(())
    order = torch.randperm(n, generator=run.generator)
    for start in range(0, n, BATCH_SIZE):
        x = run.data[order[start : start + BATCH_SIZE]]  # (B, 784)
        logits, mean, logvar = run.model(x)
        loss = summed_loss(logits, x, mean, logvar) / len(x)
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        run.optimizer.step()
        total += loss.detach() * len(x)
    run.losses.append(total.item() / n)
    run.seconds.append(time.perf_counter() - started)


def warm_up(data: Tensor) -> None:
    """A few untimed steps of a throwaway model, so that neither side pays first-call costs."""
    run = start_hand_run(data[: WARMUP_BATCHES * BATCH_SIZE])
    hand_epoch(run)


# ---------------------------------------------------------------- test loss


Encode = Callable[[Tensor], tuple[Tensor, Tensor]]  # x -> (mean, logvar)
Decode = Callable[[Tensor], Tensor]  # z -> logits


@torch.no_grad()
def test_loss(encode: Encode, decode: Decode, X: Tensor, seed: int) -> float:
    """Summed BCE + KL over X divided by len(X), one posterior sample per image.

    ``encode(x) -> (mean, logvar)``, ``decode(z) -> logits``. Noise is drawn per image
    from ``seed``.
    """
    generator = torch.Generator().manual_seed(seed)
    total = 0.0
    for start in range(0, len(X), EVAL_BATCH):
        x = X[start : start + EVAL_BATCH]  # (B, 784)
        mean, logvar = encode(x)
        eps = torch.randn(mean.shape, generator=generator)
        z = mean + torch.exp(0.5 * logvar) * eps  # (B, latent)
        total += float(summed_loss(decode(z), x, mean, logvar))
    return total / len(X)


def vaekit_parts(vae: VAE) -> tuple[Encode, Decode]:
    """encode/decode of a fitted vaekit VAE, as (mean, logvar) and raw logits."""
    model = vae.model_.eval()

    def encode(x: Tensor) -> tuple[Tensor, Tensor]:
        posterior = model.encode(x)
        return posterior.mean, posterior.logvar

    return encode, model.decoder


# ---------------------------------------------------------------- the run


def fit_vaekit(
    X_train: np.ndarray, epochs: int, seed: int = SEED, estimator: type[VAE] = VAE, **params: Any
) -> tuple[VAE, float]:
    """Fit the reference setup (``params`` add to or override it, e.g. an IWAE's k); returns (model, seconds)."""
    settings: dict[str, Any] = {
        "latent_dim": LATENT_DIM,
        "hidden": (HIDDEN,),
        "architecture": "mlp",
        "likelihood": "bernoulli",
        "preprocessing": "none",
        "batch_size": BATCH_SIZE,
        "lr": LR,
        "validation_fraction": 0.0,
        "patience": None,
        "kl_warmup_epochs": "auto",  # the default: none for a Bernoulli likelihood (issue 25), as the recipe has none
        "threads": None,  # torch's thread setting, as the hand loop gets ("auto" would train on 1 thread)
        "verbose": 0,
        "device": "cpu",
    }
    vae = estimator(**{**settings, **params}, epochs=epochs, random_state=seed)
    started = time.perf_counter()
    vae.fit(X_train)
    return vae, time.perf_counter() - started


def interleaved_epochs(X_train_np: np.ndarray, rounds: int) -> tuple[list[float], list[float]]:
    """Seconds of one epoch of vaekit and of the hand loop per round, in ABBA order.

    Each round trains a fresh model with a fresh optimizer on each side: vaekit as a
    whole ``fit(epochs=1)``, timed by its ``history_['seconds']`` (setup excluded),
    the hand loop as a new run. Fresh on both sides matters: a just-created Adam
    measured slower per step than one that has run for a while, so a long-lived hand
    run against fresh fits would flatter the hand loop. The alternating order makes
    a burst of load elsewhere on the machine hit both sides alike.
    """
    data = torch.from_numpy(X_train_np)  # (n, 784), shares memory with X_train_np
    ours: list[float] = []
    theirs: list[float] = []
    for i in range(rounds):
        if i % 2 == 0:
            theirs.append(one_hand_epoch(data))
        ours.append(fit_vaekit(X_train_np, 1)[0].history_["seconds"][0])
        if i % 2 == 1:
            theirs.append(one_hand_epoch(data))
    return ours, theirs


def one_hand_epoch(data: Tensor) -> float:
    """Seconds of the first epoch of a fresh hand-written run."""
    run = start_hand_run(data)
    hand_epoch(run)
    return run.seconds[0]


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def load_average() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def machine_was_busy() -> bool:
    """True when the 1-minute load average, taken before this run, exceeded the usable CPUs."""
    return hasattr(os, "getloadavg") and os.getloadavg()[0] > usable_cpus()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}; {os.cpu_count()} CPUs ({usable_cpus()} usable); torch {torch.__version__}, "
        f"{torch.get_num_threads()} intra-op / {torch.get_num_interop_threads()} inter-op threads; "
        f"Python {platform.python_version()}, {platform.system()}"
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    parser.add_argument("--subset", type=int, default=None, help="train on the first N training images only")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="directory holding mnist/ (default: $VAEKIT_DATA, else ../shared/datasets)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=10,
        help="interleaved timing rounds, one fresh epoch of each side per round (default 10; 0 skips)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch intra-op threads for both sides (default: torch's own choice); 1 is steadier on a busy machine",
    )
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be positive")
    if args.epochs < 1 or (args.subset is not None and args.subset < 1) or args.rounds < 0:
        parser.error("--epochs and --subset must be positive, --rounds >= 0")
    return args


@dataclass
class Results:
    """Everything the report prints."""

    command: str
    n_train: int
    n_test: int
    epochs: int
    vae: VAE
    fit_seconds: float
    hand: HandRun
    score_loss: float  # -score_samples(X_test).mean()
    own_draws_loss: float  # recomputed with a draw per image
    hand_loss: float
    interleaved: tuple[list[float], list[float]]  # vaekit, hand epoch seconds; empty without rounds
    load_before: str
    load_after: str
    busy: bool  # load average above the usable CPUs before the run

    @property
    def full_run(self) -> bool:
        return self.n_train == 60000 and self.epochs == 10


def measure(X_train_np: np.ndarray, X_test_np: np.ndarray, epochs: int, rounds: int, command: str) -> Results:
    """Train both (hand epochs 1..h, vaekit's whole fit, the other hand epochs), score them, then time."""
    load_before, busy = load_average(), machine_was_busy()
    X_train, X_test = torch.from_numpy(X_train_np), torch.from_numpy(X_test_np)  # (n, 784), shared memory
    warm_up(X_train)
    hand = start_hand_run(X_train)
    first_half = math.ceil(epochs / 2)
    for _ in range(first_half):
        hand_epoch(hand)
    vae, fit_seconds = fit_vaekit(X_train_np, epochs)
    for _ in range(epochs - first_half):
        hand_epoch(hand)

    score_loss = -float(vae.score_samples(X_test_np).mean())
    encode, decode = vaekit_parts(vae)
    hand.model.eval()
    losses = {
        "own_draws_loss": test_loss(encode, decode, X_test, seed=SEED),
        "hand_loss": test_loss(hand.model.encode, hand.model.decode, X_test, seed=SEED),
    }
    interleaved = interleaved_epochs(X_train_np, rounds) if rounds else ([], [])
    return Results(
        command=command,
        n_train=len(X_train_np),
        n_test=len(X_test_np),
        epochs=epochs,
        vae=vae,
        fit_seconds=fit_seconds,
        hand=hand,
        score_loss=score_loss,
        **losses,
        interleaved=interleaved,
        load_before=load_before,
        load_after=load_average(),
        busy=busy,
    )


def report_header(r: Results) -> None:
    print(f"## MNIST VAE (784-400-20, Bernoulli on logits, Adam 1e-3, batch {BATCH_SIZE}, seed {SEED})\n")
    print(f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"- machine: {machine()}")
    print(f"- command: `{r.command}`")
    print(f"- load average (1/5/15 min) at start: {r.load_before}, at end: {r.load_after}")
    if r.busy:
        print("- warning: the machine was busy when the run started: timings are unreliable (try `--threads 1`)")
    print(
        f"- data: MNIST train, first {r.n_train:,} of 60,000 images, {r.epochs} epoch(s); "
        f"evaluated on MNIST test ({r.n_test:,}); pixels uint8/255, not binarized"
    )
    if not r.full_run:
        print(f"- note: not the full run (60,000 images, 10 epochs): the {TARGET_NATS} nats target does not apply")
    print()


def report_quality(r: Results) -> None:
    print(
        f"### (a) Test loss, nats per image: summed BCE + KL over the {r.n_test:,} test images / {r.n_test:,}, "
        "one posterior sample per image\n"
    )
    rows = [
        (
            "vaekit `-score_samples(X_test).mean()` (its own seeded draw per image)",
            r.score_loss,
            f"<= {TARGET_NATS}",
            verdict(r.score_loss <= TARGET_NATS),
        ),
        (
            "cross-check: recomputed in this script from `vae.model_`, other draws (the PyTorch example's test loop)",
            r.own_draws_loss,
            f"within 0.3 of {r.score_loss:.3f}",
            verdict(abs(r.own_draws_loss - r.score_loss) < 0.3),
        ),
        ("hand-written PyTorch loop, an independent draw per image", r.hand_loss, "", ""),
    ]
    print("| estimator | nats per image | target | verdict |")
    print("|---|---:|---:|---|")
    for name, value, target, ok in rows:
        print(f"| {name} | {value:.3f} | {target} | {ok} |")
    print("\nTrain loss per epoch (nats per image, averaged over the epoch while training):\n")
    print("| epoch | vaekit | hand-written |")
    print("|---:|---:|---:|")
    for epoch, (ours, theirs) in enumerate(zip(r.vae.history_["train_loss"], r.hand.losses), start=1):
        print(f"| {epoch} | {ours:.3f} | {theirs:.3f} |")
    print()


def speed_row(name: str, ours: list[float], theirs: list[float], judged: bool) -> str:
    """One table row comparing median epoch seconds."""
    ratio = statistics.median(ours) / statistics.median(theirs)
    limit, ok = (f"<= {MAX_OVERHEAD}", verdict(ratio <= MAX_OVERHEAD)) if judged else ("", "")
    return (
        f"| {name} | {statistics.median(ours):.3f} | {statistics.median(theirs):.3f} | {ratio:.3f} | {limit} | {ok} |"
    )


def seconds_list(values: list[float]) -> str:
    return ", ".join(f"{s:.3f}" for s in values)


def report_speed(r: Results) -> None:
    ours, theirs = r.vae.history_["seconds"], r.hand.seconds
    rounds_ours, rounds_theirs = r.interleaved
    fit_per_epoch = r.fit_seconds / r.vae.n_epochs_
    print(f"### (b) Seconds per epoch on {r.n_train:,} images, batch {BATCH_SIZE}, same process and threads\n")
    print("| measure | vaekit | hand-written | vaekit / hand | limit | verdict |")
    print("|---|---:|---:|---:|---:|---|")
    if rounds_ours:
        name = f"median epoch, {len(rounds_ours)} interleaved rounds (ABBA), fresh models"
        print(speed_row(name, rounds_ours, rounds_theirs, judged=True))
    name = "median epoch of the runs in (a) (hand: half before, half after vaekit's fit)"
    print(speed_row(name, ours, theirs, judged=not rounds_ours))
    print(
        f"| fit wall time / epochs (includes setup) vs. mean hand epoch, runs in (a) | {fit_per_epoch:.3f} | "
        f"{statistics.mean(theirs):.3f} | {fit_per_epoch / statistics.mean(theirs):.3f} | | |"
    )
    print(f"\nvaekit epochs in (a), `history_['seconds']`: {seconds_list(ours)}; fit wall time {r.fit_seconds:.3f} s  ")
    print(f"hand epochs in (a), in run order: {seconds_list(theirs)}  ")
    if rounds_ours:
        print(f"interleaved rounds, vaekit `fit(epochs=1)`: {seconds_list(rounds_ours)}  ")
        print(f"interleaved rounds, hand: {seconds_list(rounds_theirs)}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    data_dir = (args.data_dir or default_data_dir()).expanduser()
    X_train, X_test = load_mnist(data_dir, args.subset)
    command = " ".join([".venv/bin/python benchmarks/mnist_vae.py", *(sys.argv[1:] if argv is None else argv)])
    results = measure(X_train, X_test, args.epochs, args.rounds, command)
    report_header(results)
    report_quality(results)
    report_speed(results)


if __name__ == "__main__":
    main()
