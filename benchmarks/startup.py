"""The fixed cost of a command: wall seconds of ``vaekit`` commands that do almost no work
(issue 10, item 7).

Each command runs as a fresh ``python -m vaekit.cli`` process on a 333-row, 6-column
CSV (and a small model trained on it once, first), ``--repeats`` times; the median is
printed. With ``--before SRC`` the same commands also run on another checkout's
``src`` (e.g. a ``git worktree`` of an earlier commit), interleaved with this one, so
the two columns are measured side by side. Also times the bare imports that bound
the cost from below.

Then the pair that issue 28 (item 5) judges: ``vaekit encode`` of a 178-row numeric CSV (scikit-learn's
wine table, 13 columns, with a VAE trained on it) against ``python -c "import torch"``, alternating
one fresh process of each, ``--pair-repeats`` times (5), medians printed: a table of numbers is encoded
in NumPy (``vaekit.io.numpy_forward``), so encoding it must cost less than importing torch.

Usage: .venv/bin/python benchmarks/startup.py [--repeats 3] [--pair-repeats 5] [--before /tmp/old/src]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SRC = Path(__file__).resolve().parents[1] / "src"


def timed(args: list[str], src: Path) -> tuple[float, int]:
    """Wall seconds and exit status of ``python ARGS`` with ``src`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(src), "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True)
    return time.perf_counter() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pair-repeats", type=int, default=5, help="processes of each of encode wine, import torch")
    parser.add_argument("--before", type=Path, default=None, help="another checkout's src folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vaekit-startup-"))
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(333, 6)), columns=list("abcdef")).to_csv(work / "small.csv", index=False)
    (work / "wrong.csv").write_text("a,b\n1,x\n2,y\n")
    cli = ["-m", "vaekit.cli"]
    sources = {"now": SRC} if args.before is None else {"before": args.before, "now": SRC}
    for name, src in sources.items():
        _, status = timed([*cli, "train", str(work / "small.csv"), "--out", str(work / f"run-{name}"), "--epochs", "2",
                           "--quiet"], src)  # fmt: skip
        assert status == 0, f"training the small model failed with {name}"
    commands = {
        "vaekit --help": lambda run: [*cli, "--help"],
        "vaekit datasets": lambda run: [*cli, "datasets"],
        "encode a 333-row CSV": lambda run: [
            *cli,
            "encode",
            run,
            str(work / "small.csv"),
            "-o",
            str(work / "z.csv"),
            "--force",
        ],
        "encode a refused CSV": lambda run: [*cli, "encode", run, str(work / "wrong.csv"), "-o", str(work / "y.csv")],
        "encode, no such model": lambda run: [
            *cli,
            "encode",
            str(work / "nothing"),
            str(work / "small.csv"),
            "-o",
            str(work / "x.csv"),
        ],
        "train a refused CSV": lambda run: [*cli, "train", str(work / "wrong.csv"), "--out", str(work / "never")],
        "import torch": lambda run: ["-c", "import torch"],
        "import sklearn.base": lambda run: ["-c", "import sklearn.base"],
        "import pandas": lambda run: ["-c", "import pandas"],
    }
    print(f"| command | {' | '.join(f'{n} (s)' for n in sources)} |")
    print(f"|---|{'---:|' * len(sources)}")
    for label, make in commands.items():
        times: dict[str, list[float]] = {name: [] for name in sources}
        for _ in range(args.repeats):
            for name, src in sources.items():  # interleaved: both columns see the same machine
                seconds, _ = timed(make(str(work / f"run-{name}")), src)
                times[name].append(seconds)
        print(f"| {label} | {' | '.join(f'{statistics.median(t):.2f}' for t in times.values())} |")
    encode_against_import_torch(work, sources, args.pair_repeats)


def encode_against_import_torch(work: Path, sources: dict[str, Path], repeats: int) -> None:
    """``vaekit encode`` of the wine table (178 rows) and ``import torch``, one process of each in turn."""
    from sklearn.datasets import load_wine

    load_wine(as_frame=True).frame.drop(columns="target").to_csv(work / "wine.csv", index=False)
    vaekit = str(Path(sys.executable).with_name("vaekit"))  # the console script, run by this Python
    for name, src in sources.items():
        _, status = timed([vaekit, "train", str(work / "wine.csv"), "--out", str(work / f"wine-{name}"), "--epochs",
                           "2", "--quiet"], src)  # fmt: skip
        assert status == 0, f"training the wine model failed with {name}"
    pair = {
        "vaekit encode, 178-row CSV (wine)": lambda name: [
            vaekit,
            "encode",
            str(work / f"wine-{name}"),
            str(work / "wine.csv"),
            "-o",
            str(work / "zw.csv"),
            "--force",
        ],
        'python -c "import torch"': lambda name: ["-c", "import torch"],
    }
    times: dict[tuple[str, str], list[float]] = {(label, name): [] for label in pair for name in sources}
    for _ in range(repeats):
        for name, src in sources.items():
            for label, make in pair.items():  # alternating: both rows see the same machine
                seconds, status = timed(make(name), src)
                assert status == 0, f"{label} failed with {name}"
                times[label, name].append(seconds)
    print(f"\n| interleaved, median of {repeats} | {' | '.join(f'{n} (s)' for n in sources)} |")
    print(f"|---|{'---:|' * len(sources)}")
    for label in pair:
        print(f"| {label} | {' | '.join(f'{statistics.median(times[label, n]):.2f}' for n in sources)} |")


if __name__ == "__main__":
    main()
