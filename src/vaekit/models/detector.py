"""The anomaly detector's network: a VAE that may leave out, from each batch's objective,
the rows it explains worst (a trimmed likelihood), so that it does not learn to explain
the anomalies it is to find.

Evaluation (validation, scores) always uses every row; only training is trimmed, and
only after ``trim_after`` epochs on every row.
"""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor

from vaekit.distributions import Randomness
from vaekit.models.ae import LossOutput
from vaekit.models.vae import VAEModel


class DetectorModel(VAEModel):
    """A :class:`~vaekit.models.vae.VAEModel` trained on a trimmed objective.

    Parameters
    ----------
    *network, **vae_options
        The arguments of :class:`~vaekit.models.vae.VAEModel`.
    trim_fraction : float, default=0
        After ``trim_after`` epochs, each batch's objective leaves out its
        ``trim_fraction`` highest-loss rows; 0 is the VAE's objective.
    trim_after : float, default=0
        Epochs of training on every row before trimming starts.
    """

    def __init__(self, *network: Any, trim_fraction: float = 0.0, trim_after: float = 0.0, **vae_options: Any) -> None:
        super().__init__(*network, **vae_options)
        self.trim_fraction = float(trim_fraction)
        self.trim_after = float(trim_after)

    def stackable(self) -> bool:
        """Not while trimming: which rows are left out depends on the whole batch."""
        return self.trim_fraction == 0 and super().stackable()

    def loss(
        self,
        x: Tensor,
        condition: Tensor | None = None,
        *,
        beta: float = 1.0,
        generator: Randomness = None,
        progress: float = math.inf,
    ) -> LossOutput:
        """The VAE's objective, over the batch's best-explained rows once trimming has started."""
        out = super().loss(x, condition, beta=beta, generator=generator, progress=progress)
        if not (self.training and self.trim_fraction > 0 and self.capacity is None):
            return out
        if not self.trim_after <= progress < math.inf:
            return out
        per_sample = out.reconstruction + beta * out.kl  # (B,)
        kept = max(1, math.ceil((1.0 - self.trim_fraction) * len(per_sample)))
        return LossOutput(per_sample.topk(kept, largest=False).values.mean(), out.reconstruction, out.kl)
