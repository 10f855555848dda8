"""Batched inference: a fitted model run over rows in batches, in eval mode, without gradients.

A mixin of :class:`~vaekit.estimators._base.BaseAutoEncoder`; also the per-row loss terms that every score reads.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor

from vaekit.data.codec import DataCodec, TableCodec
from vaekit.distributions.row_noise import row_normals
from vaekit.estimators._fitdata import PREDICT_BATCH
from vaekit.estimators._outliers import to_user_units
from vaekit.models import AutoEncoderModel
from vaekit.training.runtime import with_threads


class BatchedInference:
    """Rows in batches through the fitted model (the attributes below, set by ``fit``)."""

    device_: torch.device
    model_: AutoEncoderModel
    latent_dim_: int

    def _batches(
        self, *arrays: np.ndarray | None, batch_size: int = PREDICT_BATCH
    ) -> Iterator[tuple[Tensor | None, ...]]:
        """Aligned row slices of ``arrays`` (None stays None), as tensors on the model's device."""
        n = next(len(a) for a in arrays if a is not None)
        for start in range(0, n, batch_size):
            yield tuple(
                None
                if a is None
                else torch.from_numpy(np.ascontiguousarray(a[start : start + batch_size])).to(self.device_)
                for a in arrays
            )

    @with_threads
    @torch.no_grad()
    def _map_batches(self, fn: Callable[..., Any], *arrays: np.ndarray | None) -> Any:
        """``fn`` over the batches of ``arrays`` in eval mode; tensor outputs concatenated on the CPU.

        ``fn`` returns a tensor or a tuple of tensors per batch; the result is an
        ndarray or a tuple of ndarrays.
        """
        self.model_.eval()
        outputs = [fn(*batch) for batch in self._batches(*arrays)]
        if isinstance(outputs[0], tuple):
            return tuple(torch.cat([o[i].cpu() for o in outputs]).numpy() for i in range(len(outputs[0])))
        return torch.cat([o.cpu() for o in outputs]).numpy()

    def _codes(self, X_model: np.ndarray, C: np.ndarray | None) -> np.ndarray:
        """Posterior modes (n, latent) of X in model units."""
        return self._map_batches(lambda x, c: self.model_.encode(x, c).mode(), X_model, C)

    def _decode_means(self, Z: np.ndarray, C: np.ndarray | None, plausible: bool = True) -> Any:
        """Decoded means of codes Z (n, latent), in the user's units (a mixed table: each
        column's most probable value, in the user's types)."""
        codec: DataCodec = self.codec_  # type: ignore[attr-defined]  # InputChecks' property, beside this mixin
        if isinstance(codec, TableCodec):  # each column's most probable value
            values = self._map_batches(lambda z, c: self.model_.decode(z, c).point(), Z, C)  # type: ignore[union-attr]  # a table's model decodes to a MixedTable
            return codec.decode(values, plausible=plausible)
        return codec.decode(self._map_batches(lambda z, c: self.model_.decode(z, c).mean, Z, C), plausible=plausible)

    def _loss_terms(
        self, X_model: np.ndarray, C: np.ndarray | None, n_samples: int = 1, random_state: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`loss_terms` of rows in model units.

        Each row's ``n_samples`` draws of eps are a function of its own values and ``random_state``
        (:func:`~vaekit.distributions.row_noise.row_normals`), and the network runs on a float64 copy:
        a row's terms depend on that row alone, not on the rows scored beside it (in float32 a matrix
        product's rounding depends on how many rows it holds), while different rows' draws are
        independent, so means over rows converge as with any generator.
        """
        model = copy.deepcopy(self.model_).double().eval()

        def terms(x: Tensor, c: Tensor | None) -> tuple[Tensor, Tensor]:
            eps = row_normals(x, c, n_samples, self.latent_dim_, random_state)  # (K, B, latent)
            x, c = x.double(), None if c is None else c.double()
            posterior = model.encode(x, c)
            z = posterior.rsample(n_samples, eps=eps)  # (K, B, latent): each row's own K draws
            return -model.decode(z, c).log_prob(x).mean(dim=0), posterior.kl()  # (B,), (B,)

        reconstruction, kl = self._map_batches(terms, X_model, C)
        # densities of the user's values, not standardized ones (the preprocessing's log-Jacobian)
        return -to_user_units(self, -reconstruction.astype(np.float64), X_model), kl.astype(np.float64)
