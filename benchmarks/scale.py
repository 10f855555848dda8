"""Scale benchmark: streamed data against in-memory data, and 1 against 2 processes (issue 15).

The model is the MNIST reference VAE (MLP 784-400-20, Bernoulli decoder on logits,
Adam lr 1e-3, batch 128), trained through the public API, one torch thread per
process. Every measured fit runs in a fresh subprocess, alone, so that its peak
resident memory (``VmHWM`` in ``/proc/self/status``, see :func:`peak_rss_mb`) is its own.

Parts (each prints a Markdown table for ``benchmarks/RESULTS.md``)::

    .venv/bin/python benchmarks/scale.py memory      # 4 GB .npy and Parquet streamed, 1 GB slices in memory
    .venv/bin/python benchmarks/scale.py processes   # MNIST, 1 process against torchrun with 2
    .venv/bin/python benchmarks/scale.py shuffle     # the quality cost of the streamed shuffle
    .venv/bin/python benchmarks/scale.py all

``memory`` writes ``--rows`` (default 1,300,000) MNIST-like float32 rows of 784
values (MNIST training images, cycled, with a little uniform noise, clipped to
[0, 1]) to ``--workdir`` as ``big.npy`` (4.08 GB) and ``big.parquet``, and a 1 GB
slice of each (``--slice-rows``, default 340,000), then trains one epoch on each.
Samples per second are training rows over the seconds of the training epoch (the
loop, reading included: ``history_["seconds"]``); the fit's wall time also counts
the statistics pass, validation and the anomaly threshold's scoring pass.

``processes`` trains ``--epochs`` epochs on MNIST's 60,000 training images in
memory, in one process and under ``torchrun --standalone --nproc-per-node 2`` (the
same global batch of 128, 64 rows per process), and reports the test loss (nats per
image: -ELBO averaged over the 10,000 test images).

``shuffle`` trains ``--epochs`` epochs on MNIST streamed from a ``.npy`` file with a
small shuffle buffer against the full shuffle (the buffer holds every row), on the
file as it comes and sorted by label (the worst case for a chunked shuffle).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = {
    "latent_dim": 20,
    "hidden": (400,),
    "architecture": "mlp",
    "likelihood": "bernoulli",
    "batch_size": 128,
    "lr": 1e-3,
    "patience": None,
    "random_state": 1,
    "threads": 1,
    "verbose": 0,
}


def data_dir() -> Path:
    return Path(os.environ.get("VAEKIT_DATA", ROOT.parent / "shared" / "datasets"))


def mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train and test images (n, 784) float32 in [0, 1], and their labels."""
    from vaekit import datasets

    X, y = datasets.load("mnist", split="train", data_dir=data_dir())
    Xt, yt = datasets.load("mnist", split="test", data_dir=data_dir())
    flat = lambda a: np.ascontiguousarray(a.reshape(len(a), -1), dtype=np.float32)  # noqa: E731
    return flat(X), np.asarray(y), flat(Xt), np.asarray(yt)


# ---------------------------------------------------------------- one measured fit (child process)
def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM of /proc/self/status (its own, from exec on).

    ``ru_maxrss`` would do elsewhere, but on Linux a child started by fork + exec
    inherits its parent's peak in it, which would count this benchmark's MNIST copy.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Fit as ``spec`` says, in this process; return the figures."""
    import torch

    from vaekit import VAE

    torch.set_num_threads(1)
    source: Any = spec["source"]
    if spec.get("in_memory"):
        if source.endswith(".npy"):
            source = np.load(source)
        else:
            import pandas as pd

            source = pd.read_parquet(source).to_numpy(dtype=np.float32)
    params = {**REFERENCE, "epochs": spec["epochs"], **spec.get("params", {})}
    started = time.perf_counter()
    vae = VAE(**params).fit(source, **spec.get("fit_params", {}))
    wall = time.perf_counter() - started
    result: dict[str, Any] = {
        "rank": int(os.environ.get("RANK", "0")),
        "wall_s": wall,
        "train_s": float(sum(vae.history_["seconds"])),
        "n_train": int(vae.n_train_),
        "peak_rss_mb": peak_rss_mb(),
    }
    result["samples_per_s"] = result["n_train"] * spec["epochs"] / result["train_s"]
    if spec.get("test"):
        Xt = np.load(spec["test"])
        result["test_loss"] = float(-vae.score_samples(Xt, random_state=0).mean())
    return result


def run_child(spec: dict[str, Any], processes: int = 1) -> dict[str, Any]:
    """``child(spec)`` in a fresh process (or ``processes`` under torchrun); rank 0's result."""
    with tempfile.TemporaryDirectory() as folder:
        spec = {**spec, "out": folder}
        launcher = [sys.executable]
        if processes > 1:
            launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}"]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        subprocess.run([*launcher, __file__, "_child", json.dumps(spec)], check=True, env=env)
        return json.loads((Path(folder) / "rank0.json").read_text())


# ----------------------------------------------------------------------------------- the parts
def write_big(workdir: Path, rows: int, slice_rows: int) -> dict[str, Path]:
    """big.npy / slice.npy and their Parquet twins in ``workdir`` (kept between runs)."""
    from numpy.lib.format import open_memmap

    from vaekit.data.stream import convert_to_parquet

    workdir.mkdir(parents=True, exist_ok=True)
    paths = {name: workdir / name for name in ("big.npy", "slice.npy", "big.parquet", "slice.parquet")}
    if not paths["big.npy"].exists():
        X, _, _, _ = mnist()
        rng = np.random.default_rng(0)
        out = open_memmap(workdir / "big.tmp.npy", mode="w+", dtype=np.float32, shape=(rows, 784))
        for start in range(0, rows, 50_000):
            stop = min(start + 50_000, rows)
            block = X[np.arange(start, stop) % len(X)] + rng.uniform(0, 0.05, size=(stop - start, 784))
            out[start:stop] = np.clip(block, 0.0, 1.0)
        out.flush()
        del out
        os.replace(workdir / "big.tmp.npy", paths["big.npy"])
    if not paths["slice.npy"].exists():
        big = np.load(paths["big.npy"], mmap_mode="r")
        np.save(workdir / "slice.tmp.npy", np.asarray(big[:slice_rows]))
        os.replace(workdir / "slice.tmp.npy", paths["slice.npy"])
    for name in ("big", "slice"):
        if not paths[f"{name}.parquet"].exists():
            convert_to_parquet(paths[f"{name}.npy"], paths[f"{name}.parquet"])
    return paths


def part_memory(args: argparse.Namespace) -> None:
    paths = write_big(Path(args.workdir), args.rows, args.slice_rows)
    print("\n### Streamed against in memory: one epoch of the MNIST reference VAE, one thread\n")
    print("| data | path | rows trained | samples/s | fit wall s | peak RSS (MB) |")
    print("|---|---|---|---|---|---|")
    rates: dict[tuple[str, str], float] = {}
    for kind in args.formats:
        for name, in_memory in (("slice", True), ("slice", False), ("big", False)):
            path = paths[f"{name}.{kind}"]
            r = run_child({"source": str(path), "in_memory": in_memory, "epochs": 1})
            how = "in memory" if in_memory else "streamed"
            rates[(f"{name}.{kind}", how)] = r["samples_per_s"]
            size = path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*"))
            print(
                f"| {path.name} ({size / 1e9:.2f} GB) | {how} | {r['n_train']:,} | {r['samples_per_s']:,.0f} | "
                f"{r['wall_s']:.1f} | {r['peak_rss_mb']:,.0f} |"
            )
    for kind in args.formats:
        ratio = rates[(f"slice.{kind}", "streamed")] / rates[(f"slice.{kind}", "in memory")]
        print(f"\n{kind}: streamed / in-memory throughput on the 1 GB slice = {ratio:.2f} (goal >= 0.90)")


def part_processes(args: argparse.Namespace) -> None:
    X, _, Xt, _ = mnist()
    with tempfile.TemporaryDirectory() as folder:
        train, test = Path(folder) / "train.npy", Path(folder) / "test.npy"
        np.save(train, X)
        np.save(test, Xt)
        spec = {"source": str(train), "in_memory": True, "epochs": args.epochs, "test": str(test)}
        one = run_child(spec)
        two = run_child(spec, processes=2)
    print(f"\n### 1 against 2 processes: MNIST reference VAE, {args.epochs} epochs, one thread per process\n")
    print("| processes | samples/s | training s | test loss (nats/image) |")
    print("|---|---|---|---|")
    for n, r in ((1, one), (2, two)):
        print(f"| {n} | {r['samples_per_s']:,.0f} | {r['train_s']:.1f} | {r['test_loss']:.2f} |")
    print(f"\nspeed-up with 2 processes: {two['samples_per_s'] / one['samples_per_s']:.2f}x")


def part_shuffle(args: argparse.Namespace) -> None:
    X, y, Xt, _ = mnist()
    print(f"\n### The streamed shuffle's quality cost: MNIST from a .npy, {args.epochs} epochs\n")
    print("| file order | shuffle | test loss (nats/image) | samples/s |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        test = Path(folder) / "test.npy"
        np.save(test, Xt)
        for order_name, order in (
            ("as it comes", np.arange(len(X))),
            ("sorted by label", np.argsort(y, kind="stable")),
        ):
            path = Path(folder) / "train.npy"
            np.save(path, X[order])
            buffers = (("full (buffer holds every row)", len(X)), ("default buffer (96 MiB: 32,099 rows)", None))
            for label, buffer_rows in (*buffers, ("buffer 8,192 rows", 8192)):
                spec = {
                    "source": str(path),
                    "epochs": args.epochs,
                    "test": str(test),
                    "fit_params": {} if buffer_rows is None else {"buffer_rows": buffer_rows},
                }
                r = run_child(spec)
                print(f"| {order_name} | {label} | {r['test_loss']:.2f} | {r['samples_per_s']:,.0f} |")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "_child":
        spec = json.loads(sys.argv[2])
        result = child(spec)
        Path(spec["out"], f"rank{result['rank']}.json").write_text(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=("memory", "processes", "shuffle", "all"))
    parser.add_argument("--rows", type=int, default=1_300_000)
    parser.add_argument("--slice-rows", type=int, default=340_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--formats", nargs="+", default=["npy", "parquet"], choices=["npy", "parquet"])
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "vaekit-scale"))
    args = parser.parse_args()
    import torch

    print(
        f"{datetime.date.today()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}"
    )
    for part in ("memory", "processes", "shuffle") if args.part == "all" else (args.part,):
        {"memory": part_memory, "processes": part_processes, "shuffle": part_shuffle}[part](args)


if __name__ == "__main__":
    main()
