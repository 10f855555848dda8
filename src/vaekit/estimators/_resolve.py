"""What ``"auto"`` and ``None`` settings become, given the training data."""

from __future__ import annotations

import math

import numpy as np

from vaekit.data.validation import InputError
from vaekit.nn import default_hidden


def looks_like_pixels(X: np.ndarray) -> bool:
    """True for data in [0, 1] that is an image stack or has many exact 0s and 1s."""
    if X.min() < 0.0 or X.max() > 1.0:
        return False
    return X.ndim >= 3 or float(np.isin(X, (0.0, 1.0)).mean()) >= 0.1


def resolve_architecture(architecture: str, X: np.ndarray) -> str:
    """ "auto" -> "conv" for image stacks (n, H, W) or (n, C, H, W), "mlp" for tables."""
    if architecture == "auto":
        return "conv" if X.ndim >= 3 else "mlp"
    if architecture == "conv" and X.ndim == 2:
        raise InputError(
            f"architecture='conv' needs images (n, H, W) or (n, C, H, W); X is a table of shape {X.shape}. "
            "Reshape it, or use architecture='mlp'."
        )
    return architecture


def resolve_likelihood(likelihood: str, X: np.ndarray) -> str:
    """ "auto" -> "bernoulli" for pixel-like data in [0, 1], "gaussian" otherwise."""
    if likelihood == "auto":
        return "bernoulli" if looks_like_pixels(X) else "gaussian"
    if likelihood == "bernoulli" and (X.min() < 0.0 or X.max() > 1.0):
        raise InputError(
            f"likelihood='bernoulli' needs data in [0, 1]; X ranges from {X.min():g} to {X.max():g}. "
            "Scale it to [0, 1] or use likelihood='gaussian'."
        )
    return likelihood


def resolve_hidden(hidden: tuple[int, ...] | None, architecture: str, sample_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The encoder widths: as given, else one dense layer of 256 after convolutions, else two from the input size."""
    if hidden is not None:
        return tuple(int(h) for h in hidden)
    return (256,) if architecture == "conv" else default_hidden(math.prod(sample_shape))


def resolve_preprocessing(preprocessing: str, likelihood: str, X: np.ndarray) -> str:
    """ "auto" standardizes tables under a Gaussian likelihood; images and Bernoulli data stay as they are."""
    if preprocessing != "auto":
        return preprocessing
    return "standardize" if likelihood != "bernoulli" and X.ndim == 2 else "none"
