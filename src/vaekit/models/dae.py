"""Denoising autoencoder (Vincent, Larochelle, Bengio & Manzagol, "Extracting and
composing robust features with denoising autoencoders", ICML 2008).

While training, the encoder sees a corrupted copy of x and the decoder is scored on
the clean x: Gaussian noise with standard deviation ``noise_level`` ("gaussian"), or
each value set to 0 with probability ``noise_level`` ("mask"). In evaluation mode the
encoder sees x itself, so validation, transform and reconstruct use clean inputs.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from vaekit.distributions import Randomness, draw
from vaekit.models.ae import AutoEncoderModel

CORRUPTIONS = ("gaussian", "mask")


def corrupt(x: Tensor, corruption: str, noise_level: float, generator: Randomness = None) -> Tensor:
    """A corrupted copy of x (same shape): ``x + noise_level * N(0, 1)`` or x masked."""
    if corruption == "mask":
        keep = draw("uniform", tuple(x.shape), generator, x) >= noise_level
        return x * keep  # each value dropped with probability noise_level
    if corruption == "gaussian":
        return x + noise_level * draw("normal", tuple(x.shape), generator, x)
    raise ValueError(f"corruption must be one of {CORRUPTIONS}, got {corruption!r}")


class DenoisingAutoEncoderModel(AutoEncoderModel):
    """An :class:`AutoEncoderModel` whose encoder sees a corrupted input while training.

    Parameters
    ----------
    *network, **network_options
        The arguments of :class:`~vaekit.models.ae.AutoEncoderModel` (sample shape,
        latent size, likelihood, architecture, widths, activation, conditions).
    corruption : {"gaussian", "mask"}, default="gaussian"
    noise_level : float, default=0.2
        Standard deviation of the added noise, or the probability of a value being dropped.
    """

    def __init__(
        self,
        *network: Any,
        corruption: str = "gaussian",
        noise_level: float = 0.2,
        **network_options: Any,
    ) -> None:
        super().__init__(*network, **network_options)
        if corruption not in CORRUPTIONS:
            raise ValueError(f"corruption must be one of {CORRUPTIONS}, got {corruption!r}")
        self.corruption = corruption
        self.noise_level = float(noise_level)

    def encoder_view(self, x: Tensor, generator: Randomness = None) -> Tensor:
        return corrupt(x, self.corruption, self.noise_level, generator)
