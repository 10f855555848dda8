"""What ``"auto"`` and ``None`` settings become, given the training data."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from vaekit.data.validation import InputError
from vaekit.nn import default_hidden

UNIT_INTERVAL_LIKELIHOODS = ("bernoulli", "continuous-bernoulli")
"""Likelihoods of data in [0, 1], which are never standardized."""


def binary_share(X: np.ndarray) -> float:
    """Share of the values of X that are exactly 0 or 1 (two comparisons: np.isin took 8 times as long on MNIST)."""
    if X.size == 0:
        return 0.0
    return float(np.count_nonzero(X == 0.0) + np.count_nonzero(X == 1.0)) / X.size


@dataclass(frozen=True)
class DataSummary:
    """What the "auto" choices look at: the data's shape, range and share of exact 0s and 1s.

    Made from an array (:meth:`of`) or from one streaming pass over data on disk
    (:meth:`of_statistics`), so a stream gets the choices the same array would.
    """

    shape: tuple[int, ...]  # (n_samples, *sample_shape)
    minimum: float
    maximum: float
    binary_share: float

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @classmethod
    def of(cls, X: np.ndarray | DataSummary) -> DataSummary:
        if isinstance(X, DataSummary):
            return X
        if X.size == 0:
            return cls(tuple(X.shape), 0.0, 0.0, 0.0)
        return cls(tuple(X.shape), float(X.min()), float(X.max()), binary_share(X))

    @classmethod
    def of_statistics(cls, stats: Any, sample_shape: tuple[int, ...]) -> DataSummary:
        """From a :class:`vaekit.data.stream.StreamStatistics`."""
        return cls(
            (int(stats.n_rows), *sample_shape), float(stats.min.min()), float(stats.max.max()), stats.binary_share
        )


def looks_like_pixels(X: np.ndarray | DataSummary) -> bool:
    """True for data in [0, 1] that is an image stack or has many exact 0s and 1s."""
    X = DataSummary.of(X)
    if X.minimum < 0.0 or X.maximum > 1.0:
        return False
    return X.ndim >= 3 or X.binary_share >= 0.1


SMALL_IMAGE_VALUES = 28 * 28
"""``architecture="auto"`` gives the MLP to images of at most this many values (28 x 28 grey).

Measured by ``benchmarks/architecture.py`` (VAE, latent_dim 2, one thread): at equal
wall time the MLP reached a higher test ELBO than the conv net on the digits (8 x 8:
-24.70 against -25.93 nats), the Frey faces (28 x 20: 141.90 against 134.56) and
10,000 MNIST images (28 x 28: -149.84 against -171.44); given 3.6-6.8 times the
MLP's time, the conv net passed it only on the Frey faces, by 0.7 nats. Larger images
were not measured and keep the conv net.
"""


def resolve_architecture(architecture: str, X: np.ndarray | DataSummary) -> str:
    """ "auto" -> "conv" for image stacks (n, H, W) or (n, C, H, W) of more than
    :data:`SMALL_IMAGE_VALUES` values, "mlp" for smaller images and for tables."""
    if architecture == "auto":
        return "conv" if X.ndim >= 3 and math.prod(X.shape[1:]) > SMALL_IMAGE_VALUES else "mlp"
    if architecture == "conv" and X.ndim == 2:
        raise InputError(
            f"architecture='conv' needs images (n, H, W) or (n, C, H, W); X is a table of shape {X.shape}. "
            "Reshape it, or use architecture='mlp'."
        )
    return architecture


BINARY_SHARE_FOR_BERNOULLI = 0.5
"""Pixel-like data with at least this share of exact 0s and 1s gets a Bernoulli."""


def resolve_likelihood(likelihood: str, X: np.ndarray | DataSummary) -> str:
    """ "auto" -> a likelihood chosen from X; otherwise checks the one given.

    "auto" gives "gaussian-learned" (a learned variance per column) for a table of numbers (n, d),
    "gaussian" for other images, unless X looks like pixels in [0, 1]
    (:func:`looks_like_pixels`). Pixel-like data that is mostly binary (at least
    :data:`BINARY_SHARE_FOR_BERNOULLI` of its values exactly 0 or 1, as MNIST's 0.82
    or the digits' 0.58) gets "bernoulli"; grey levels (the Frey faces: 0.000) get
    "continuous-bernoulli", a proper density on [0, 1].

    Measured by ``benchmarks/image_likelihood.py`` (VAE, MLP, latent_dim 2, two
    seeds; squared error per held-out image / PCA's with 2 components, active units):
    on the Frey faces the continuous Bernoulli gave 0.60 and 0.61 with 2/2 active
    units, the Bernoulli 0.72 and 0.95 (2/2, 1/2), the learned-variance Gaussian
    1.03 and 1.50 (the second collapsed) and the unit Gaussian 1.47 twice, collapsed
    (KL 0.00). On 10,000 MNIST images the Bernoulli gave 0.81 and 0.78, the Gaussians
    0.77-0.80, all 2/2 active, and the continuous Bernoulli 1.21 and 1.18 with a KL
    of 74-82 nats (its density grows without bound at exact 0s and 1s, and its mean
    pulls the strokes towards grey), hence the split on the share of exact 0s and 1s.

    Tables of numbers get a learned variance per column, as a mixed table's numeric columns
    do: under a unit variance on standardized columns, rebuilding a column perfectly saves at
    most about 0.5 nat, so for weak signals the KL term makes collapse the optimum. Measured by
    ``benchmarks/small_tables.py`` (16 small real tables, seeds 0-2): test squared error / PCA's
    with 2 components 1.094 (unit) against 0.893 (learned), worse than PCA in 50% against 29% of
    runs, better on 15 of the 16 tables.
    """
    X = DataSummary.of(X)
    if likelihood == "auto":
        if not looks_like_pixels(X):
            return "gaussian-learned" if X.ndim == 2 else "gaussian"
        return "bernoulli" if X.binary_share >= BINARY_SHARE_FOR_BERNOULLI else "continuous-bernoulli"
    if likelihood in UNIT_INTERVAL_LIKELIHOODS and (X.minimum < 0.0 or X.maximum > 1.0):
        raise InputError(
            f"likelihood={likelihood!r} needs data in [0, 1]; X ranges from {X.minimum:g} to {X.maximum:g}. "
            "Scale it to [0, 1] or use likelihood='gaussian'."
        )
    return likelihood


def resolve_hidden(hidden: tuple[int, ...] | None, architecture: str, sample_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The encoder widths: as given, else one dense layer of 256 after convolutions, else two from the input size."""
    if hidden is not None:
        return tuple(int(h) for h in hidden)
    return (256,) if architecture == "conv" else default_hidden(math.prod(sample_shape))


def resolve_preprocessing(preprocessing: str, likelihood: str, X: np.ndarray | DataSummary) -> str:
    """ "auto" standardizes tables under a Gaussian likelihood; images and [0, 1] (Bernoulli) data stay as they are."""
    if preprocessing != "auto":
        return preprocessing
    return "standardize" if likelihood not in UNIT_INTERVAL_LIKELIHOODS and X.ndim == 2 else "none"
