"""The tutorial's curve: reconstruction error against latent size, AE and VAE beside PCA.

Runs ``vaekit.runs.sweep.run_sweep`` (what ``vaekit sweep`` runs) on a data set and prints
the table: squared reconstruction error per test sample (sum over features of
(x - x_hat)^2, x_hat decoded from the posterior mean, pixels in [0, 1]) for each model
and latent size, PCA with as many components fitted on the same training rows, and
the training seconds. The figure and the run folders go to ``--out``.

    .venv/bin/python benchmarks/latent_sweep.py digits
    .venv/bin/python benchmarks/latent_sweep.py mnist --data-dir ../shared/datasets --epochs 10
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import time
from datetime import date
from pathlib import Path

import torch

from vaekit.plots import plot_sweep, save_figure
from vaekit.runs.config import default_config
from vaekit.runs.sweep import parse_dims, run_sweep, write_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", help="built-in dataset name or file")
    parser.add_argument("--latent-dims", default="1,2,4,8,16,32")
    parser.add_argument("--models", default="ae,vae")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--architecture", default="auto", help="auto (conv for images), mlp or conv")
    parser.add_argument("--hidden", default=None, help="e.g. 512,256")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="default: runs/bench-sweep-<data>")
    args = parser.parse_args()

    config = default_config()
    config["data"]["source"] = args.data
    config["data"]["data_dir"] = args.data_dir
    config["model"]["architecture"] = args.architecture
    config["model"]["hidden"] = None if args.hidden is None else [int(h) for h in args.hidden.split(",")]
    config["training"]["epochs"] = args.epochs
    config["training"]["seed"] = args.seed
    out = args.out or Path("runs") / f"bench-sweep-{args.data}"
    if out.exists():
        shutil.rmtree(out)  # this script's own output folder
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    rows = run_sweep(config, parse_dims(args.latent_dims), args.models.split(","), out, verbose=0)
    elapsed = time.perf_counter() - started
    write_table(rows, out / "sweep.csv")
    save_figure(plot_sweep(rows, f"{args.data}: reconstruction error against latent size"), out / "sweep.png")

    print(
        f"# Latent sweep on {args.data}: {date.today()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"Python {platform.python_version()}; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(
        f"settings: models {args.models}, epochs <= {args.epochs} (early stopping, patience 10), "
        f"architecture {args.architecture}, hidden {args.hidden or 'default'}, seed {args.seed}; total {elapsed:.0f} s"
    )
    print(f"squared reconstruction error per {rows[0]['split']} sample, sum over features, data units\n")
    models = list(dict.fromkeys(r["model"] for r in rows))
    lookup = {(r["model"], r["latent_dim"]): r for r in rows}
    print(
        "| latent size | "
        + " | ".join(m.upper() for m in models)
        + " | "
        + " | ".join(f"{m.upper()} s" for m in models if m != "pca")
        + " |"
    )
    print("|---:|" + "---:|" * (2 * len(models) - 1))
    for dim in sorted({r["latent_dim"] for r in rows}):
        errors = [f"{lookup[(m, dim)]['squared_error']:.3f}" if (m, dim) in lookup else "" for m in models]
        seconds = [f"{lookup[(m, dim)]['wall_time_s']:.0f}" for m in models if m != "pca" and (m, dim) in lookup]
        print(f"| {dim} | " + " | ".join(errors) + " | " + " | ".join(seconds) + " |")
    print(f"\nfigure: {out / 'sweep.png'}")


if __name__ == "__main__":
    main()
