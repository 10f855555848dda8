"""Does correcting an image's score for its complexity help the detector tell images apart? (issue 27, item 4)

Likelihoods of deep generative models rank simple images (few strokes, mostly dark) as normal whatever
the model was trained on (Nalisnick et al., ICLR 2019). Serra et al. (ICLR 2020) correct for it: S(x) =
-log p(x) - L(x), with L(x) the length of a generic compressor's code for x. Here L(x) is zlib's
(deflate, level 9) code for the image's 8-bit pixels, in nats (``compressed_nats``).

The one-class task: the default ``OutlierDetector`` fitted on ``--train`` MNIST training images of one
digit, scoring 2,000 MNIST test images of every digit (the same 2,000 for every digit; anomalies: the
other digits). Printed per normal digit, seed 0: the AUROC of -log p(x) and of S(x), from one fit.

    .venv/bin/python benchmarks/image_complexity.py [--digits 0,1,...,9] [--train 2000]

Result (2026-12-05, digits 0-3, then stopped): the correction hurts, 0.975 -> 0.911, 0.999 -> 0.273,
0.856 -> 0.702, 0.832 -> 0.681. The detector's Bernoulli -log p(x) of MNIST is about 100 nats while
deflate's 8-bit code is several hundred, so L(x) swamps the score; Serra et al. subtract it from the
likelihood of the 8-bit image itself, in the same units. vaekit does not apply it (see RESULTS.md).
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from vaekit import OutlierDetector, datasets

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def compressed_nats(images: np.ndarray) -> np.ndarray:
    """zlib's (deflate, level 9) code length of each image's 8-bit pixels (n, *shape) in [0, 1], in nats (n,)."""
    pixels = np.round(np.clip(np.asarray(images, dtype=np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)
    return np.array(
        [8.0 * len(zlib.compress(row.tobytes(), 9)) * math.log(2.0) for row in pixels.reshape(len(pixels), -1)]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--digits", default="0,1,2,3,4,5,6,7,8,9")
    parser.add_argument("--train", type=int, default=2000)
    args = parser.parse_args()
    X_train, y_train = datasets.load("mnist", split="train", data_dir=DATA)
    X_test, y_test = datasets.load("mnist", split="test", data_dir=DATA)
    keep = np.random.default_rng(0).choice(len(X_test), 2000, replace=False)
    X_test, y_test = np.asarray(X_test)[keep], np.asarray(y_test)[keep]
    complexity = compressed_nats(X_test)  # (2000,)
    print(f"MNIST one-class, {args.train} training images of the digit, 2,000 test images, seed 0\n")
    print("| normal digit | AUROC -log p(x) | AUROC -log p(x) - L(x) | fit s |")
    print("|---|---:|---:|---:|")
    raw, corrected = [], []
    for digit in [int(d) for d in args.digits.split(",")]:
        pool = np.flatnonzero(np.asarray(y_train) == digit)
        chosen = np.random.default_rng(0).choice(pool, min(args.train, len(pool)), replace=False)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = OutlierDetector(random_state=0, verbose=0).fit(np.asarray(X_train)[chosen])
            seconds = time.perf_counter() - started
            anomaly = -model.score_samples(X_test)
        odd = (y_test != digit).astype(int)
        raw.append(roc_auc_score(odd, anomaly))
        corrected.append(roc_auc_score(odd, anomaly - complexity))
        print(f"| {digit} | {raw[-1]:.3f} | {corrected[-1]:.3f} | {seconds:.1f} |", flush=True)
    print(f"| mean | {np.mean(raw):.3f} | {np.mean(corrected):.3f} | |")


if __name__ == "__main__":
    main()
