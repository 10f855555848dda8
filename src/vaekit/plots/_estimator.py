"""What the figures ask of a fitted estimator beyond its public methods.

The drawing code calls the estimators' public methods (``transform(X, y)``,
``sample(n, y=...)``, ...) itself; what it needs beyond them is here: whether a model
was trained on images, how to decode a latent point as the decoder was trained on (a
VQ-VAE's decoder only ever saw codebook vectors), where latent walks start, and the
inputs of the networks for the layer table.

Written against the estimator API of :mod:`vaekit.estimators`: the class
attributes ``conditional`` and ``variational``, ``y=None`` on every method, and
``project_latent(Z)``. Nothing heavy is imported at module level (no torch, no
matplotlib), and nothing from the layers above the figures (:mod:`vaekit.runs.run`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

    from vaekit.estimators._base import BaseAutoEncoder as Estimator

__all__ = [
    "decoder",
    "is_images",
    "latent_center",
    "network_inputs",
    "score_text",
]


def is_images(estimator: Estimator) -> bool:
    """True when the model was trained on images (samples of shape (H, W) or (C, H, W))."""
    return len(estimator.input_shape_) >= 2


def score_text(estimator: Estimator) -> tuple[str, str]:
    """What the anomaly score ``-score_samples`` of this model is: a symbol, and the words that say so.

    A VAE's score is -ELBO, an upper bound on -log p(x); an importance-sampled score
    (``n_samples`` draws per row) is an estimate of -log p(x), an upper bound too in
    expectation, tighter than -ELBO; a plain autoencoder's is -log p(x | z) at the
    row's own code, the reconstruction term. A model may say it itself, as a
    ``score_text`` attribute ``(symbol, words)``.

    Returns
    -------
    (str, str)
        e.g. ``("-ELBO", "-ELBO, an upper bound on -log p(x)")``.
    """
    declared = getattr(estimator, "score_text", None)
    if isinstance(declared, tuple) and len(declared) == 2:
        return str(declared[0]), str(declared[1])
    if not estimator.variational:
        return "-log p(x|z)", "-log p(x|z) at the row's own code z: the reconstruction term, not a density of x"
    draws = estimator.get_params().get("n_samples")
    if isinstance(draws, int):
        return (
            "-log p(x)",
            f"-log p(x) estimated by importance sampling (K={draws}): an upper bound in expectation, tighter than -ELBO",
        )
    return "-ELBO", "-ELBO, an upper bound on -log p(x)"


def decoder(estimator: Estimator) -> Callable[[np.ndarray], np.ndarray]:
    """A function from latent points (m, latent_dim) to decoded means (m, *sample_shape).

    The points are first moved to where the decoder was trained (``project_latent``):
    a VQ-VAE's are snapped to their nearest codebook vectors; any other model's are
    kept as they are.
    """
    return lambda Z: estimator.inverse_transform(estimator.project_latent(np.asarray(Z, dtype=np.float32)))


def latent_center(estimator: Estimator) -> np.ndarray:
    """Where latent walks start, shape (latent_dim,): the prior's mean for a VAE, the mean
    training code for an autoencoder (which has no prior)."""
    center = getattr(estimator, "latent_mean_", None)
    return np.zeros(estimator.latent_dim_, np.float32) if center is None else np.asarray(center, np.float32)


def network_inputs(estimator: Estimator) -> tuple[torch.Tensor, torch.Tensor, int]:
    """What the encoder and the decoder networks take for one all-zero sample and code.

    Returns
    -------
    encoder_input : Tensor of shape (1, *encoder_input_shape)
        A zero sample, with a zero class indicator appended for a conditional model.
    decoder_input : Tensor of shape (1, latent_dim + n_classes)
        A zero code, likewise.
    n_classes : int
        Width of the class indicator; 0 for a model that is not conditional.
    """
    import torch

    model = estimator.model_
    device = next(model.parameters()).device
    x = torch.zeros((1, *estimator.input_shape_), device=device)  # (1, *sample_shape)
    k = int(getattr(model, "n_conditions", 0))
    condition = torch.zeros((1, k), device=device) if k else None  # (1, k): a conditional model's label
    z = torch.zeros((1, estimator.latent_dim_), device=device)  # (1, latent_dim)
    return model.encoder_input(x, condition), model.decoder_input(z, condition), k
