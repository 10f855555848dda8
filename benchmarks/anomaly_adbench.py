"""Anomaly detection on ADBench's tables: vaekit's OutlierDetector against PyOD and scikit-learn.

Protocol (ADBench, unsupervised): for each of the 14 tables in ``../shared/datasets/adbench``
and each seed, a stratified 70/30 split (``train_test_split(..., stratify=y, random_state=seed)``);
each detector is fitted on the training rows without their labels and scores the test rows
(higher = more anomalous); AUROC and average precision of those scores, and the seconds of
``fit`` alone. One torch thread; every detector first fits once, untimed, on a small random
table, so that first-call costs (numba's JIT in PyOD, torch's kernels) land on no one's clock.

Detectors: vaekit's (the ``VAEKIT`` factories below; ``-score_samples``), scikit-learn's
``IsolationForest`` (``-score_samples``) and, as measured peers, PyOD's ``AutoEncoder``,
``VAE``, ``IForest``, ``ECOD`` and ``KNN`` (k = 5, the distance to the 5th neighbour) with their defaults (``random_state=seed``, ``verbose=0``;
``decision_function``). PyOD is never a vaekit dependency: it lives in ``benchmarks/.peers``
(installed by ``bash benchmarks/peers.sh``), which goes at the end of ``sys.path``. For the
default vaekit detector the precision and recall of its own flags (``predict == -1``, threshold
``contamination="auto"``) are reported too.

PyOD's defaults, as measured: its VAE clamps the KL term to [0, ``capacity``] and ``capacity``
defaults to 0, so the KL term is zero (no prior, no gradient: a noisy autoencoder), and its
scores draw a fresh latent sample on every ``decision_function`` call (two calls differ);
ECOD is transductive: it scores the test rows with the ECDFs of the training *and* test rows
together, so a row's score depends on the rows scored with it.

``--mnist`` adds a one-class image task: for each digit d and seed, fit on ``--mnist-train``
training images of d drawn with that seed (pixels in [0, 1], flattened), score a fixed 2,000
of the test images, all digits (anomaly = another digit); AUROC per digit and the mean.

Run it from the repository root (the full run is long: campaign and shuttle have 41k and 49k rows)::

    bash benchmarks/peers.sh                                    # once: PyOD into benchmarks/.peers
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/anomaly_adbench.py
    .venv/bin/python benchmarks/anomaly_adbench.py --tables glass,WBC --seeds 0    # smoke run
    .venv/bin/python benchmarks/anomaly_adbench.py --mnist --no-tables --digits 0 --mnist-train 500
    .venv/bin/python benchmarks/anomaly_adbench.py --detectors "vaekit (default),PyOD AutoEncoder,PyOD VAE"

Options: ``--seeds`` (default 0,1,2), ``--tables`` (substrings of file names), ``--detectors``
(names, or substrings of names, comma-separated), ``--skip-peers`` (no PyOD), ``--data`` (the
ADBench folder), ``--mnist``, ``--no-tables`` (MNIST only), ``--digits``, ``--mnist-train``,
``--mnist-data`` (the folder holding ``mnist/``), ``--clean`` (ADBench's semi-supervised setting:
each detector is fitted on the training split's normal rows only, and scores the same test rows). The output (stdout) is Markdown; progress
goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import torch
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split

import vaekit
from vaekit import VAE, AutoEncoder, datasets

try:
    from vaekit import OutlierDetector
except ImportError:  # not written yet: the peers run alone
    OutlierDetector = None

DEFAULT = "vaekit (default)"
PYOD_AE, PYOD_VAE = "PyOD AutoEncoder", "PyOD VAE"


def budget(min_steps: int, max_steps: int, **params: Any) -> Callable[[int], Any]:
    """The default detector with another "auto" training budget (at least ``min_steps`` optimizer steps,
    at most about ``max_steps``) and ``params``."""

    class Budget(OutlierDetector):  # type: ignore[misc,valid-type]
        auto_min_steps = min_steps
        auto_max_steps = max_steps

    return lambda seed: Budget(random_state=seed, verbose=0, **params)


# name -> (seed -> an unfitted detector with scikit-learn's IsolationForest contract)
VAEKIT: dict[str, Callable[[int], Any]] = {
    DEFAULT: lambda seed: OutlierDetector(random_state=seed, verbose=0),
    "vaekit likelihood alone": lambda seed: OutlierDetector(random_state=seed, verbose=0, isolation=0.0),
    "vaekit 1k-5k steps": budget(1000, 5000),
    "vaekit before (likelihood alone; 3k-10k steps)": budget(3000, 10_000, isolation=0.0),
    "vaekit standardized": lambda seed: OutlierDetector(random_state=seed, verbose=0, preprocessing="standardize"),
    "vaekit AE": lambda seed: AutoEncoder(random_state=seed, verbose=0),
    "vaekit VAE": lambda seed: VAE(random_state=seed, verbose=0),
}

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
PEERS = Path(__file__).resolve().parent / ".peers"
FLAG_COLUMNS = ("anomalies", "flagged", "precision", "recall", "fdp", "fdr_recall")
FDR_LEVEL = 0.1  # predict(X, fdr=FDR_LEVEL): Benjamini-Hochberg over the conformal p-values
MNIST_TEST = 2000
GOAL_WINS = 10


@dataclass
class Detector:
    name: str
    make: Callable[[int], Any]  # seed -> unfitted detector
    score: Callable[[Any, np.ndarray], np.ndarray]  # (fitted, X) -> anomaly scores, higher = more anomalous
    images: bool = False  # takes MNIST as (n, 28, 28) images, as a user would give it (PyOD needs flat rows)


@dataclass
class Trial:
    auroc: float
    ap: float
    seconds: float
    precision: float = float("nan")
    recall: float = float("nan")
    flagged: float = float("nan")  # share of test rows flagged
    anomalies: float = float("nan")  # share of test rows that are anomalies
    fdp: float = float("nan")  # predict(fdr=FDR_LEVEL): flagged normal rows / flagged rows (0 when none is flagged)
    fdr_recall: float = float("nan")  # predict(fdr=FDR_LEVEL): share of the anomalies flagged


def negated_score_samples(model: Any, X: np.ndarray) -> np.ndarray:
    return -np.asarray(model.score_samples(X), dtype=np.float64)


def pyod_decision_function(model: Any, X: np.ndarray) -> np.ndarray:
    return np.asarray(model.decision_function(X), dtype=np.float64)


def pyod_factory(cls: type) -> Callable[[int], Any]:
    """Defaults, except the seed (``random_state`` or ``seed``) and ``verbose=0`` where accepted."""
    params = inspect.signature(cls.__init__).parameters
    seed_name = next((name for name in ("random_state", "seed") if name in params), None)

    def make(seed: int) -> Any:
        kwargs: dict[str, Any] = {"verbose": 0} if "verbose" in params else {}
        if seed_name is not None:
            kwargs[seed_name] = seed
        return cls(**kwargs)

    return make


def load_pyod() -> tuple[dict[str, type], str]:
    """PyOD's five detector classes (none when it does not import) and a line saying which."""
    if PEERS.is_dir() and str(PEERS) not in sys.path:
        sys.path.append(str(PEERS))  # last: .venv's torch, numpy, scikit-learn come first
    try:
        import pyod
        from pyod.models.auto_encoder import AutoEncoder as PyodAE
        from pyod.models.ecod import ECOD
        from pyod.models.iforest import IForest
        from pyod.models.knn import KNN
        from pyod.models.vae import VAE as PyodVAE
    except ImportError as exc:
        return {}, f"PyOD not importable ({exc}): run `bash benchmarks/peers.sh`; PyOD skipped."
    classes = {PYOD_AE: PyodAE, PYOD_VAE: PyodVAE, "PyOD IForest": IForest, "PyOD ECOD": ECOD, "PyOD kNN": KNN}
    return classes, f"PyOD {pyod.__version__} from {Path(pyod.__file__).parent.parent}"


def build_detectors(skip_peers: bool, wanted: str | None) -> tuple[list[Detector], list[str]]:
    notes: list[str] = []
    found: list[Detector] = []
    if OutlierDetector is None:
        notes.append("vaekit.OutlierDetector does not exist (yet): only the peers run.")
    else:
        found += [Detector(name, make, negated_score_samples, images=True) for name, make in VAEKIT.items()]
    found.append(
        Detector("sklearn IsolationForest", lambda seed: IsolationForest(random_state=seed), negated_score_samples)
    )
    if skip_peers:
        notes.append("PyOD skipped (--skip-peers).")
    else:
        classes, line = load_pyod()
        notes.append(line)
        found += [Detector(name, pyod_factory(cls), pyod_decision_function) for name, cls in classes.items()]
    if wanted:
        keys = [key.strip().lower() for key in wanted.split(",") if key.strip()]
        names = {d.name.lower() for d in found}
        exact = [key for key in keys if key in names]
        loose = [key for key in keys if key not in names]
        found = [d for d in found if d.name.lower() in exact or any(key in d.name.lower() for key in loose)]
        if not found:
            sys.exit(f"error: --detectors {wanted!r} matches none of the detectors available")
    return found, notes


def warm_up(detectors: Sequence[Detector], n_features: int) -> None:
    """One untimed fit and score per detector on random data; failures show up in the real runs."""
    X = np.random.default_rng(0).normal(size=(256, n_features))
    for detector in detectors:
        try:
            model = detector.make(0)
            model.fit(X)
            detector.score(model, X)
        except Exception:
            pass


def run_trial(detector: Detector, seed: int, X_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray) -> Trial:
    if detector.images and X_train.shape[1] == 28 * 28:  # MNIST's flat rows back into images
        X_train, X_test = X_train.reshape(-1, 28, 28), X_test.reshape(-1, 28, 28)
    model = detector.make(seed)
    started = time.perf_counter()
    model.fit(X_train)
    seconds = time.perf_counter() - started
    scores = detector.score(model, X_test)
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{int((~np.isfinite(scores)).sum())} scores are not finite")
    trial = Trial(roc_auc_score(y_test, scores), average_precision_score(y_test, scores), seconds)
    if detector.name == DEFAULT:
        flags = np.asarray(model.predict(X_test)) == -1
        hits = int((flags & (y_test == 1)).sum())
        trial.precision = hits / flags.sum() if flags.any() else float("nan")
        trial.recall = hits / max(int(y_test.sum()), 1)
        trial.flagged, trial.anomalies = float(flags.mean()), float(y_test.mean())
        found = np.asarray(model.predict(X_test, fdr=FDR_LEVEL)) == -1
        trial.fdp = float((found & (y_test == 0)).sum() / found.sum()) if found.any() else 0.0
        trial.fdr_recall = float((found & (y_test == 1)).sum() / max(int(y_test.sum()), 1))
    return trial


Results = dict[str, dict[str, list[Trial]]]  # task (table or digit) -> detector -> trials over seeds


def run_task(
    task: str,
    splits: Sequence[tuple[int, np.ndarray, np.ndarray, np.ndarray]],
    detectors: Sequence[Detector],
    results: Results,
    errors: list[str],
) -> None:
    """Every detector on every (seed, X_train, X_test, y_test) of one task; what raises goes to ``errors``."""
    row = results.setdefault(task, {})
    for detector in detectors:
        for seed, X_train, X_test, y_test in splits:
            try:
                row.setdefault(detector.name, []).append(run_trial(detector, seed, X_train, X_test, y_test))
            except Exception as exc:  # reported, and the benchmark goes on
                errors.append(f"{detector.name} on {task}, seed {seed}: {type(exc).__name__}: {str(exc)[:200]}")
        trials = row.get(detector.name, [])
        if trials:
            print(f"  {task:<18} {detector.name:<24} AUROC {np.mean([t.auroc for t in trials]):.3f}", file=sys.stderr)


def mean_of(trials: Sequence[Trial], what: str) -> float:
    values = [getattr(t, what) for t in trials]
    values = [v for v in values if not np.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def cell(trials: Sequence[Trial] | None, what: str, spread: bool = True) -> str:
    if not trials:
        return "error"
    values = [getattr(t, what) for t in trials]
    text = f"{np.mean(values):.3f}"
    if spread and len(values) > 1:
        text += f" ({min(values):.2f}–{max(values):.2f})"
    return text


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def per_task_table(results: Results, names: Sequence[str], what: str, first: str, spread: bool = True) -> str:
    rows = [[task] + [cell(row.get(name), what, spread) for name in names] for task, row in results.items()]
    means = [mean_over_tasks(results, name, what) for name in names]
    rows.append(["**mean**"] + [number(m) for m in means])
    return markdown([first, *names], rows)


def number(value: float) -> str:
    return "—" if np.isnan(value) else f"{value:.3f}"


def mean_over_tasks(results: Results, name: str, what: str) -> float:
    """Mean over the tasks where ``name`` has results (a precision without any flags is left out)."""
    means = [m for row in results.values() if row.get(name) and not np.isnan(m := mean_of(row[name], what))]
    return float(np.mean(means)) if means else float("nan")


def load_tables(folder: Path, wanted: str | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    paths = sorted(folder.glob("*.npz"), key=lambda p: (int(p.stem.split("_")[0]) if p.stem[0].isdigit() else 0, p))
    if wanted:
        keys = [key.strip().lower() for key in wanted.split(",") if key.strip()]
        paths = [p for p in paths if any(key in p.name.lower() for key in keys)]
    if not paths:
        sys.exit(f"error: no ADBench .npz tables in {folder}" + (f" matching {wanted!r}" if wanted else ""))
    tables = {}
    for path in paths:
        with np.load(path, allow_pickle=False) as data:
            tables[path.stem] = (np.asarray(data["X"], dtype=np.float64), np.asarray(data["y"]).astype(int).ravel())
    return tables


def report_tables(results: Results, names: Sequence[str]) -> None:
    print("\n## AUROC on the test rows (mean over seeds; min–max)\n")
    print(per_task_table(results, names, "auroc", "table"))
    print("\n## Average precision on the test rows (mean over seeds; min–max)\n")
    print(per_task_table(results, names, "ap", "table"))
    print("\n## Fit seconds (mean over seeds)\n")
    print(per_task_table(results, names, "seconds", "table", spread=False))
    if DEFAULT in names:
        print(
            f"\n## {DEFAULT}: its own flags on the test rows: `predict == -1` (contamination='auto'), and "
            f"`predict(X, fdr={FDR_LEVEL})` (its false discovery proportion, averaged: the empirical FDR)\n"
        )
        rows = []
        for task, row in results.items():
            trials = row.get(DEFAULT)
            if trials:
                rows.append([task] + [number(mean_of(trials, w)) for w in FLAG_COLUMNS])
        rows.append(["**mean**"] + [number(mean_over_tasks(results, DEFAULT, w)) for w in FLAG_COLUMNS])
        header = ["table", "share anomalous", "share flagged", "precision", "recall"]
        print(markdown([*header, f"FDP at fdr={FDR_LEVEL}", f"recall at fdr={FDR_LEVEL}"], rows))
    summary(results, names)


def summary(results: Results, names: Sequence[str]) -> None:
    n_tasks = len(results)
    print("\n## Summary over tables\n")
    rows = []
    for name in names:
        count = sum(1 for row in results.values() if row.get(name))
        rows.append(
            [name]
            + [number(mean_over_tasks(results, name, w)) for w in ("auroc", "ap", "seconds")]
            + [f"{count} of {n_tasks}"]
        )
    print(markdown(["detector", "mean AUROC", "mean AP", "mean fit s", "tables"], rows))
    if DEFAULT not in names:
        return
    auroc = {name: mean_over_tasks(results, name, "auroc") for name in names}
    others = {name: value for name, value in auroc.items() if name != DEFAULT and not np.isnan(value)}
    print()
    if others and not np.isnan(auroc[DEFAULT]):
        best = max(others, key=lambda name: others[name])
        gap = auroc[DEFAULT] - others[best]
        verdict = "met" if gap > 0 else "not met"
        print(f"Goal (highest mean AUROC): {verdict} (by {abs(gap):.4f} against {best}, over {n_tasks} tables)")
    else:
        print("Goal (highest mean AUROC): not judged (no other detector measured)")
    if PYOD_AE in names and PYOD_VAE in names:
        both = [row for row in results.values() if row.get(DEFAULT) and row.get(PYOD_AE) and row.get(PYOD_VAE)]
        ours = [mean_of(row[DEFAULT], "auroc") for row in both]
        over_ae = sum(o > mean_of(row[PYOD_AE], "auroc") for o, row in zip(ours, both))
        over_vae = sum(o > mean_of(row[PYOD_VAE], "auroc") for o, row in zip(ours, both))
        wins = sum(
            o > max(mean_of(row[PYOD_AE], "auroc"), mean_of(row[PYOD_VAE], "auroc")) for o, row in zip(ours, both)
        )
        verdict = "met" if wins >= GOAL_WINS else "not met"
        if n_tasks != 14:
            verdict = f"not judged ({n_tasks} tables run, the goal is for all 14)"
        print(
            f"Goal (beats PyOD AE and VAE on >= {GOAL_WINS} of 14 tables): {verdict}: "
            f"beats both on {wins} of {len(both)}, the AE on {over_ae}, the VAE on {over_vae}"
        )
        ours_s, ae_s = mean_over_tasks(results, DEFAULT, "seconds"), mean_over_tasks(results, PYOD_AE, "seconds")
        verdict = "met" if ours_s <= ae_s else "not met"
        print(f"Goal (fit time <= PyOD AutoEncoder's): {verdict} ({ours_s:.3f} s against {ae_s:.3f} s per fit)")
    else:
        print("Goals against PyOD's AutoEncoder and VAE: not judged (PyOD not measured)")
    if DEFAULT in names:
        fdr = mean_over_tasks(results, DEFAULT, "fdp")
        verdict = "met" if fdr <= FDR_LEVEL else "not met"
        print(
            f"Goal (empirical FDR of predict(fdr={FDR_LEVEL}) within the level): {verdict} ({fdr:.3f}; recall "
            f"{mean_over_tasks(results, DEFAULT, 'fdr_recall'):.3f})"
        )


def run_mnist(args: argparse.Namespace, detectors: Sequence[Detector], seeds: Sequence[int], errors: list[str]) -> None:
    X_train, y_train = datasets.load("mnist", split="train", data_dir=args.mnist_data)
    X_test, y_test = datasets.load("mnist", split="test", data_dir=args.mnist_data)
    X_train = np.asarray(X_train, dtype=np.float32).reshape(len(X_train), -1)  # (60000, 784) in [0, 1]
    X_test = np.asarray(X_test, dtype=np.float32).reshape(len(X_test), -1)
    if X_train.max() > 1.0:
        X_train, X_test = X_train / 255.0, X_test / 255.0
    keep = np.random.default_rng(0).choice(len(X_test), MNIST_TEST, replace=False)  # the same for every digit
    X_test, y_test = X_test[keep], np.asarray(y_test)[keep]
    results: Results = {}
    for digit in args.digits:
        pool = np.flatnonzero(np.asarray(y_train) == digit)
        splits = []
        for seed in seeds:
            chosen = np.random.default_rng(seed).choice(pool, min(args.mnist_train, len(pool)), replace=False)
            splits.append((seed, X_train[chosen], X_test, (y_test != digit).astype(int)))
        run_task(f"digit {digit}", splits, detectors, results, errors)
    names = [d.name for d in detectors]
    print(f"\n## MNIST one-class: AUROC (fit on {args.mnist_train} images of the digit; {MNIST_TEST} test images)\n")
    print(per_task_table(results, names, "auroc", "normal digit"))
    print("\n## MNIST one-class: fit seconds\n")
    print(per_task_table(results, names, "seconds", "normal digit", spread=False))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ints = lambda text: [int(v) for v in text.split(",") if v.strip()]  # noqa: E731
    parser.add_argument("--seeds", type=ints, default=[0, 1, 2], help="comma-separated (default 0,1,2)")
    parser.add_argument("--tables", help="comma-separated substrings of the .npz file names")
    parser.add_argument("--detectors", help="comma-separated detector names (or substrings of them)")
    parser.add_argument("--skip-peers", action="store_true", help="leave PyOD out")
    parser.add_argument("--data", type=Path, default=SHARED / "adbench", help="the folder of ADBench .npz tables")
    parser.add_argument(
        "--clean",
        action="store_true",
        help="ADBench's semi-supervised setting: fit on the training split's normal rows only (labels used to drop them)",
    )
    parser.add_argument("--mnist", action="store_true", help="also run the one-class MNIST task")
    parser.add_argument("--no-tables", action="store_true", help="skip the ADBench tables (with --mnist)")
    parser.add_argument("--digits", type=ints, default=list(range(10)), help="normal digits (default 0..9)")
    parser.add_argument("--mnist-train", type=int, default=2000, help="training images per digit (default 2000)")
    parser.add_argument("--mnist-data", type=Path, default=SHARED, help="the folder that holds mnist/")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(1)
    detectors, notes = build_detectors(args.skip_peers, args.detectors)
    tables = {} if args.no_tables else load_tables(args.data, args.tables)
    names = [d.name for d in detectors]
    print("# Anomaly detection: ADBench tables" + (", MNIST one-class" if args.mnist else "") + "\n")
    print(
        f"{datetime.datetime.now().isoformat(timespec='seconds')}; vaekit {vaekit.__version__}, torch {torch.__version__}, "
        f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, Python {platform.python_version()}; "
        f"{os.cpu_count()} cores ({platform.machine()}), torch threads {torch.get_num_threads()}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; seeds {','.join(map(str, args.seeds))}; "
        f"stratified 70/30 splits{'; fitted on the normal training rows only (--clean)' if args.clean else ''}; "
        f"fit seconds exclude one untimed warm-up fit per detector."
    )
    print("\n" + "\n".join(f"- {note}" for note in notes))
    results: Results = {}
    errors: list[str] = []
    if tables:
        warm_up(detectors, n_features=8)
    for table, (X, y) in tables.items():
        splits = []
        for seed in args.seeds:
            X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
            if args.clean:  # rows known to be normal: the training split's anomalies are left out
                X_train = X_train[y_train == 0]
            splits.append((seed, X_train, X_test, y_test))
        run_task(table, splits, detectors, results, errors)
    if results:
        report_tables(results, names)
    if args.mnist:
        warm_up(detectors, n_features=784)
        run_mnist(args, detectors, args.seeds, errors)
    if errors:
        print("\n## Notes: detectors that raised\n")
        print("\n".join(f"- {note}" for note in errors))


if __name__ == "__main__":
    main()
