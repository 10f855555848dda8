"""Small-data training speed: vaekit's ``fit`` against a minimal hand-written PyTorch loop.

On small data a training step is a few tiny matrix products, so what a library does
around them (Python, the optimizer, bookkeeping) decides the speed. This script times
vaekit and a minimal hand-written loop side by side, in one process, on the same
network, data, batch size and number of optimizer steps, and prints a Markdown table
(seconds per optimizer step, the ratio vaekit / hand, the goal and a PASS/FAIL verdict):

1. the seed tutorial's network, ``vaekit.demo.TUTORIAL_PARAMS`` with ``n_init=1``
   (6 features, Dense 5-5-4 ReLU, 2-D latent, Gaussian likelihood, beta 0.05 with a
   20-epoch KL warm-up, batch 32, lr 2e-3, 150 epochs) on the built-in
   ``latent-factors`` set (2,000 rows). Goal: vaekit / hand <= 0.7;
2. the digits MLP: ``VAE(architecture="mlp")`` with the settings of ``vaekit train
   digits`` (``vaekit.runs.config.default_config()``: latent 2, batch 128, lr 1e-3,
   likelihood and epochs "auto") on its training rows (``vaekit.data.split.load_split``
   holds out 10 %: 1,617 of scikit-learn's 1,797 8x8 digits, pixels / 16 in [0, 1]).
   Goal <= 0.7;
3. the digits conv net: the same with ``architecture="conv"``, for ``--conv-epochs`` epochs (default 20). No goal (reported only);
4. the MNIST reference VAE of ``benchmarks/mnist_vae.py`` (784-400-20 MLP, ReLU,
   Bernoulli on logits, batch 128, Adam lr 1e-3) on the 60,000 training images for
   ``--mnist-epochs`` epochs (default 2), fitted by that script's ``fit_vaekit``.
   Goal <= 1.0;
5. ``n_init=5`` restarts of the tutorial network: the fit time of
   ``VAE(**TUTORIAL_PARAMS)`` (5 restarts) with ``vaekit.training.ensemble.ENABLED = True``
   (the restarts trained together, vectorized) against ``ENABLED = False`` (one after
   the other) and against ``n_init=1``. Goal: 5 vectorized restarts <= 1.5 x the time
   of one. Also printed: whether the vectorized and the sequential fits chose the same
   restart, and the largest difference of their ``init_losses_``. Without
   ``vaekit.training.ensemble`` (or when importing it fails) the row reads n/a.

The two sides (rows 1-4)
------------------------
* vaekit: the public API, ``VAE(...).fit(X)`` with ``verbose=0``, ``patience=None``,
  ``validation_fraction=0.0`` and ``device="cpu"``, so that it runs every epoch on
  every row; its steps are ``n_epochs_ * ceil(n_train_ / batch_size)``. Timed with
  ``time.perf_counter`` around the whole ``fit``: its setup (checking X, scaling,
  building the network) and, after the loop, the anomaly threshold it computes on the
  training rows are included.
* the hand loop, rows 1-3: the same network, a fresh ``est._build_model()`` of the
  fitted estimator built under the seed of vaekit's restart (so it starts from the
  same weights), an MLP's layers copied into torch's own ``nn.Sequential``
  (``plain_network``: the hand loop does not run vaekit's module code); the same rows in model units (``est.scaling_.transform(X)``); each
  epoch a ``torch.randperm`` order from a seeded generator, which also draws the
  noise, as vaekit does; ``torch.optim.Adam(params, lr=lr)`` with default settings
  (vaekit uses the fused Adam); the loss written out: the reconstruction negative
  log-likelihood (unit Gaussian, or Bernoulli on logits) plus beta times the
  closed-form KL, with z = mean + exp(logvar / 2) * eps, the batch mean, beta rising
  over the same KL warm-up; no validation, no early stopping. Timed around building
  the network and the optimizer and the whole loop. As in vaekit's loop, denormal
  floats are flushed to zero (``vaekit.training.loop.flush_denormals``), so that both
  sides do the same arithmetic at the same speed.
* the hand loop, row 4: ``mnist_vae.py``'s own reference loop (``HandVAE``, an
  ``nn.Linear`` network of the same layer sizes, seeded apart from vaekit's; its
  ``start_hand_run`` and ``hand_epoch``), timed around ``start_hand_run`` (network
  and optimizer) and its epochs, under the same denormal flushing.

The "check" column gives each side's training loss over its last epoch (nats per
row); rows 1-3 start from the same weights and draw the same order and noise, so
they should agree closely (the fused and the plain Adam round differently).

The whole table runs twice: first with ``torch.set_num_threads(1)`` and the
estimator's ``threads=1``, then with torch's default thread count and ``threads=None``.
Within a row the two sides alternate (vaekit, hand, vaekit, hand, ... ``--repeats``
times, default 3; row 5: vectorized, sequential, one) so that load elsewhere on the
machine hits both alike, and the medians are reported. Each row starts with a short
untimed warm-up of both sides (one epoch on the first few batches' rows).

Run it from the repository root::

    .venv/bin/python benchmarks/small_data.py
    .venv/bin/python benchmarks/small_data.py --quick   # smoke run, under a minute

Options: ``--quick`` (few epochs and small subsets: a smoke run, not a measurement),
``--repeats`` (interleaved pairs per row, default 3, with ``--quick`` 1), ``--mnist-epochs`` (default 2),
``--skip-mnist`` and ``--data-dir`` (the folder holding ``mnist/``; default
``$VAEKIT_DATA``, else ``<repo>/../shared/datasets``). The output is Markdown, ready to
paste into ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import importlib
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils import check_random_state
from torch import Tensor

import vaekit
from mnist_vae import BATCH_SIZE as MNIST_BATCH
from mnist_vae import (
    default_data_dir,
    fit_vaekit,
    hand_epoch,
    load_average,
    load_mnist,
    machine,
    start_hand_run,
    verdict,
    warm_up,
)
from vaekit import VAE, datasets
from vaekit.data.split import load_split
from vaekit.demo import TUTORIAL_PARAMS
from vaekit.models import AutoEncoderModel
from vaekit.runs.config import default_config, estimator_params
from vaekit.training.runtime import flush_denormals

SEED = 0  # random_state of rows 1-3 and 5; row 4 keeps mnist_vae.SEED
GOAL_SMALL = 0.7  # rows 1-2: vaekit seconds per step / hand loop's
GOAL_MNIST = 1.0  # row 4
GOAL_RESTARTS = 1.5  # row 5: 5 vectorized restarts / one
N_RESTARTS = 5
LOG_2PI = math.log(2.0 * math.pi)
REPEATS = 3
WARMUP_BATCHES = 4  # rows of the untimed warm-up fits, in batches
QUICK_EPOCHS = {"tutorial": 1, "digits-mlp": 2, "digits-conv": 1, "restarts": 1}  # --quick; else the settings' own
QUICK_MNIST_ROWS = 1000
QUICK_MNIST_EPOCHS = 1
QUICK_REPEATS = 1
COMMON = {"verbose": 0, "patience": None, "validation_fraction": 0.0, "device": "cpu"}


@dataclass
class Timing:
    """One timed run of one side."""

    seconds: float
    steps: int
    last_loss: float  # training loss over the last epoch, nats per row


class Pair(Protocol):
    """A row's two sides, run alternately."""

    def warm_up(self) -> None: ...

    def vaekit(self) -> Timing: ...

    def hand(self) -> Timing: ...


# ---------------------------------------------------------------- the hand loop of rows 1-3


@dataclass
class HandSetup:
    """What the hand loop takes from a fitted estimator."""

    model: Callable[[], AutoEncoderModel]  # a fresh network of the estimator's shape
    data: Tensor  # (n, *sample_shape), model units
    likelihood: str
    beta: float
    warmup_epochs: float
    batch_size: int
    lr: float
    epochs: int
    seed: int  # the network's seed; the generator of order and noise gets seed + 1, as in vaekit


def restart_seed(random_state: int) -> int:
    """The seed of the first restart, drawn as ``fit`` draws it from ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max - 2, size=1)[0])


def hand_setup(vae: VAE, X: np.ndarray, epochs: int) -> HandSetup:
    if vae.likelihood_ not in ("gaussian", "bernoulli"):
        raise ValueError(f"the hand loop writes out the gaussian and bernoulli likelihoods, not {vae.likelihood_!r}")
    data = np.ascontiguousarray(vae.scaling_.transform(X), dtype=np.float32)
    return HandSetup(
        model=vae._build_model,
        data=torch.from_numpy(data),
        likelihood=vae.likelihood_,
        beta=float(vae.training_settings_.get("beta", vae.beta)),  # "auto" resolved by the fit
        warmup_epochs=float(vae.training_settings_.get("kl_warmup_epochs", 0.0)),
        batch_size=vae.batch_size,
        lr=vae.lr,
        epochs=epochs,
        seed=restart_seed(vae.random_state),
    )


def negative_log_likelihood(output: Tensor, x: Tensor, likelihood: str) -> Tensor:
    """-log p(x|z) per row, summed over the features: (B, *sample_shape) -> (B,)."""
    if likelihood == "bernoulli":
        elements = F.binary_cross_entropy_with_logits(output, x, reduction="none")
    else:  # unit-variance Gaussian
        elements = 0.5 * ((x - output).pow(2) + LOG_2PI)
    return elements.flatten(1).sum(dim=1)


def plain_network(network: torch.nn.Module) -> torch.nn.Module:
    """An MLP of vaekit's as the hand loop would write it: torch's own ``nn.Sequential`` of copies
    of its layers (``Flatten``, ``Linear``, the activation, ``Unflatten``), the same weights, so
    that the time vaekit's module code saves or costs is not counted on the hand loop's side.
    A conv network is used as it is (its forward is vaekit's own code)."""
    layers = getattr(network, "net", None)
    if not isinstance(layers, torch.nn.Sequential):
        return network
    return torch.nn.Sequential(*(copy.deepcopy(layer) for layer in layers))


def hand_loop(s: HandSetup) -> Timing:
    """The minimal loop: randperm batches, reparameterized draw, NLL + beta * KL, Adam."""
    started = time.perf_counter()
    torch.manual_seed(s.seed)
    model = s.model()
    encoder, decoder = plain_network(model.encoder), plain_network(model.decoder)
    model.train()
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=s.lr)
    generator = torch.Generator().manual_seed(s.seed + 1)
    n = len(s.data)
    n_batches = math.ceil(n / s.batch_size)
    sums = torch.zeros(2)
    beta = s.beta
    with flush_denormals():
        for epoch in range(s.epochs):
            sums = torch.zeros(2)  # reconstruction, KL, summed over the epoch's rows
            order = torch.randperm(n, generator=generator)
            for i in range(n_batches):
                x = s.data[order[i * s.batch_size : (i + 1) * s.batch_size]]  # (B, *sample_shape)
                mean, logvar = encoder(x).chunk(2, dim=-1)  # (B, latent) each
                eps = torch.randn(mean.shape, generator=generator)
                z = mean + torch.exp(0.5 * logvar) * eps  # (B, latent)
                reconstruction = negative_log_likelihood(decoder(z), x, s.likelihood)  # (B,)
                kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)  # (B,)
                if s.warmup_epochs > 0:
                    beta = s.beta * min(1.0, (epoch + (i + 1) / n_batches) / s.warmup_epochs)
                loss = (reconstruction + beta * kl).mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                sums += torch.stack([reconstruction.detach().sum(), kl.detach().sum()])
    seconds = time.perf_counter() - started
    return Timing(seconds, s.epochs * n_batches, float(sums[0] + beta * sums[1]) / n)


# ---------------------------------------------------------------- the rows


def vaekit_timing(vae: VAE, X: np.ndarray) -> Timing:
    started = time.perf_counter()
    vae.fit(X)
    seconds = time.perf_counter() - started
    steps = vae.n_epochs_ * math.ceil(vae.n_train_ / vae.batch_size)
    return Timing(seconds, steps, vae.history_["train_loss"][-1])


class SmallPair:
    """Rows 1-3: a VAE with ``params`` on X, and the hand loop on its network."""

    def __init__(self, X: np.ndarray, params: dict[str, Any], threads: int | None) -> None:
        self.X = X
        self.params = {**params, **COMMON, "threads": threads, "random_state": SEED}
        self.setup: HandSetup | None = None

    def warm_up(self) -> None:
        rows = self.X[: WARMUP_BATCHES * self.params["batch_size"]]
        vae = VAE(**{**self.params, "epochs": 1}).fit(rows)
        hand_loop(hand_setup(vae, rows, 1))

    def vaekit(self) -> Timing:
        vae = VAE(**self.params)
        timing = vaekit_timing(vae, self.X)
        if self.setup is None:  # the epochs are known once "auto" is resolved
            self.setup = hand_setup(vae, self.X, vae.n_epochs_)
        return timing

    def hand(self) -> Timing:
        assert self.setup is not None, "vaekit runs first"
        return hand_loop(self.setup)


class MnistPair:
    """Row 4: ``mnist_vae.py``'s ``fit_vaekit`` and its hand-written reference loop."""

    def __init__(self, X: np.ndarray, epochs: int, threads: int | None) -> None:
        self.X = X
        self.data = torch.from_numpy(X)  # (n, 784)
        self.epochs = epochs
        self.threads = threads

    def warm_up(self) -> None:
        fit_vaekit(self.X[: WARMUP_BATCHES * MNIST_BATCH], 1, threads=self.threads)
        with flush_denormals():
            warm_up(self.data)

    def vaekit(self) -> Timing:
        vae, seconds = fit_vaekit(self.X, self.epochs, threads=self.threads)
        steps = vae.n_epochs_ * math.ceil(vae.n_train_ / vae.batch_size)
        return Timing(seconds, steps, vae.history_["train_loss"][-1])

    def hand(self) -> Timing:
        started = time.perf_counter()
        with flush_denormals():
            run = start_hand_run(self.data)
            for _ in range(self.epochs):
                hand_epoch(run)
        seconds = time.perf_counter() - started
        return Timing(seconds, self.epochs * math.ceil(len(self.data) / MNIST_BATCH), run.losses[-1])


def interleave(pair: Pair, repeats: int) -> tuple[list[Timing], list[Timing]]:
    pair.warm_up()
    ours: list[Timing] = []
    theirs: list[Timing] = []
    for _ in range(repeats):
        ours.append(pair.vaekit())
        theirs.append(pair.hand())
    return ours, theirs


def per_step_ms(timings: list[Timing]) -> float:
    return 1000.0 * statistics.median(t.seconds / t.steps for t in timings)


def goal_cells(ratio: float, goal: float | None) -> str:
    return " | " if goal is None else f"<= {goal} | {verdict(ratio <= goal)}"


def pair_row(name: str, pair: Pair, repeats: int, goal: float | None) -> str:
    ours, theirs = interleave(pair, repeats)
    steps = {t.steps for t in ours + theirs}
    if len(steps) != 1:
        raise RuntimeError(f"{name}: the two sides ran different numbers of steps: {sorted(steps)}")
    mine, hand = per_step_ms(ours), per_step_ms(theirs)
    ratio = mine / hand
    check = f"loss {ours[-1].last_loss:.3f} / {theirs[-1].last_loss:.3f}"
    return (
        f"| {name} | {steps.pop():,} | {mine:.3f} ms/step | {hand:.3f} ms/step | {ratio:.3f} "
        f"| {goal_cells(ratio, goal)} | {check} |"
    )


def restarts_row(X: np.ndarray, epochs: int | None, threads: int | None, repeats: int) -> str:
    """Row 5: n_init=5 vectorized against sequential and against n_init=1 (whole fits)."""
    name = f"tutorial network, {N_RESTARTS} restarts vectorized (whole fit)"
    try:
        ensemble = importlib.import_module("vaekit.training.ensemble")
    except ModuleNotFoundError:
        return f"| {name} | | n/a (vaekit.training.ensemble missing) | | | | | |"
    except Exception as exc:  # being written: a syntax or import error
        return f"| {name} | | n/a (import vaekit.training.ensemble failed: {type(exc).__name__}) | | | | | |"
    if not hasattr(ensemble, "ENABLED"):
        return f"| {name} | | n/a (vaekit.training.ensemble has no ENABLED) | | | | | |"
    params: dict[str, Any] = {**TUTORIAL_PARAMS, "verbose": 0, "device": "cpu", "threads": threads}
    if epochs is not None:
        params["epochs"] = epochs

    def fit(n_init: int, vectorized: bool, rows: np.ndarray = X, **extra: Any) -> tuple[VAE, float]:
        ensemble.ENABLED = vectorized
        vae = VAE(**{**params, **extra, "n_init": n_init, "random_state": SEED})
        started = time.perf_counter()
        vae.fit(rows)
        return vae, time.perf_counter() - started

    previous = ensemble.ENABLED
    vectorized: list[float] = []
    sequential: list[float] = []
    one: list[float] = []
    try:
        warm_up_rows = X[: WARMUP_BATCHES * int(params["batch_size"])]
        fit(2, True, warm_up_rows, epochs=1)
        fit(2, False, warm_up_rows, epochs=1)
        for _ in range(repeats):
            vec_vae, seconds = fit(N_RESTARTS, True)
            vectorized.append(seconds)
            seq_vae, seconds = fit(N_RESTARTS, False)
            sequential.append(seconds)
            one_vae, seconds = fit(1, True)
            one.append(seconds)
    finally:
        ensemble.ENABLED = previous
    vec, seq, single = statistics.median(vectorized), statistics.median(sequential), statistics.median(one)
    ratio = vec / single
    same = int(np.argmin(vec_vae.init_losses_)) == int(np.argmin(seq_vae.init_losses_))
    difference = float(np.max(np.abs(np.subtract(vec_vae.init_losses_, seq_vae.init_losses_))))
    steps = one_vae.n_epochs_ * math.ceil(one_vae.n_train_ / one_vae.batch_size)
    check = (
        f"sequential {seq:.2f} s (vectorized / sequential {vec / seq:.3f}); same restart chosen: "
        f"{'yes' if same else 'no'}; max abs difference of init_losses_ {difference:.2e}"
    )
    return (
        f"| {name} | {steps:,} per restart | {vec:.2f} s/fit | n_init=1: {single:.2f} s/fit | {ratio:.3f} "
        f"| {goal_cells(ratio, GOAL_RESTARTS)} | {check} |"
    )


# ---------------------------------------------------------------- data and the run


def digits_train() -> tuple[np.ndarray, dict[str, Any]]:
    """The training rows and estimator parameters of ``vaekit train digits``."""
    config = default_config()
    config["data"]["source"] = "digits"
    _, params = estimator_params(config)
    split = load_split(config["data"], int(config["training"]["seed"]))
    return np.asarray(split.train.X), params


def run_table(
    args: argparse.Namespace, threads: int | None, mnist: np.ndarray | None, digits: tuple[np.ndarray, dict[str, Any]]
) -> None:
    quick: dict[str, int | None] = dict(QUICK_EPOCHS) if args.quick else dict.fromkeys(QUICK_EPOCHS)
    X_factors, _ = datasets.load("latent-factors")
    X_digits, digits_params = digits

    def epochs(key: str) -> dict[str, int]:
        value = quick[key]
        return {} if value is None else {"epochs": value}

    print("| workload | steps | vaekit | hand loop | vaekit / hand | goal | verdict | check |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    rows: list[tuple[str, Callable[[], Pair], float | None]] = [
        (
            f"tutorial network (6-5-5-4-2, Gaussian), latent-factors {len(X_factors):,} rows, batch 32",
            lambda: SmallPair(X_factors, {**TUTORIAL_PARAMS, "n_init": 1, **epochs("tutorial")}, threads),
            GOAL_SMALL,
        ),
        (
            f"digits MLP, {len(X_digits):,} images 8x8, batch 128",
            lambda: SmallPair(X_digits, {**digits_params, "architecture": "mlp", **epochs("digits-mlp")}, threads),
            GOAL_SMALL,
        ),
        (
            f"digits conv net, {len(X_digits):,} images 8x8, batch 128",
            lambda: SmallPair(
                X_digits,
                {**digits_params, "architecture": "conv", "epochs": args.conv_epochs, **epochs("digits-conv")},
                threads,
            ),
            None,
        ),
    ]
    if mnist is not None:
        mnist_epochs = QUICK_MNIST_EPOCHS if args.quick else args.mnist_epochs
        rows.append(
            (
                f"MNIST reference VAE (784-400-20), {len(mnist):,} images, batch {MNIST_BATCH}",
                lambda: MnistPair(mnist, mnist_epochs, threads),
                GOAL_MNIST,
            )
        )
    for name, make, goal in rows:
        print(pair_row(name, make(), args.repeats, goal), flush=True)
    print(restarts_row(X_factors, quick["restarts"], threads, args.repeats), flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few epochs and small subsets: a smoke run")
    parser.add_argument(
        "--repeats", type=int, default=None, help="interleaved runs of each side per row (default 3; 1 with --quick)"
    )
    parser.add_argument("--mnist-epochs", type=int, default=2, help="epochs of the MNIST row (default 2)")
    parser.add_argument("--skip-mnist", action="store_true", help="leave out the MNIST row")
    parser.add_argument(
        "--threads",
        choices=("both", "1", "default"),
        default="both",
        help="the tables to run: 1 thread, torch's default threads, or both (default)",
    )
    parser.add_argument(
        "--conv-epochs", type=int, default=20, help="epochs of the digits conv row, which has no goal (default 20)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="directory holding mnist/ (default: $VAEKIT_DATA, else ../shared/datasets)",
    )
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = QUICK_REPEATS if args.quick else REPEATS
    if args.repeats < 1 or args.mnist_epochs < 1:
        parser.error("--repeats and --mnist-epochs must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    command = " ".join([".venv/bin/python benchmarks/small_data.py", *(sys.argv[1:] if argv is None else argv)])
    default_threads = torch.get_num_threads()
    mnist = None
    if not args.skip_mnist:
        X_mnist, _ = load_mnist((args.data_dir or default_data_dir()).expanduser(), None)
        mnist = X_mnist[:QUICK_MNIST_ROWS] if args.quick else X_mnist
    digits = digits_train()

    print("## Small-data training speed: vaekit against a hand-written PyTorch loop\n")
    print(f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"- machine: {machine()}")
    print(f"- vaekit {vaekit.__version__}")
    print(f"- command: `{command}`")
    print(f"- load average (1/5/15 min) at start: {load_average()}")
    print(
        f"- each row: vaekit's whole `fit` (setup included) and the hand loop, alternated {args.repeats} time(s), "
        "medians; the same network, data, batch size and number of steps on both sides"
    )
    if args.quick:
        print("- note: `--quick`, a smoke run (few epochs, small subsets): not a measurement, verdicts do not apply")
    tables = ((1, "1 thread"), (None, f"torch's default threads ({default_threads})"))
    for threads, title in tables if args.threads == "both" else tables[:1] if args.threads == "1" else tables[1:]:
        torch.set_num_threads(1 if threads == 1 else default_threads)
        print(f"\n### {title}: `torch.set_num_threads({torch.get_num_threads()})`, `threads={threads}`\n")
        run_table(args, threads, mnist, digits)
    print(f"\n- load average (1/5/15 min) at end: {load_average()}")


if __name__ == "__main__":
    main()
