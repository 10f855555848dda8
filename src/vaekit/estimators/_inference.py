"""Batched inference: a fitted model run over rows in batches, in eval mode, without gradients.

A mixin of :class:`~vaekit.estimators._base.BaseAutoEncoder`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor

from vaekit.data.codec import DataCodec, TableCodec
from vaekit.estimators._fitdata import PREDICT_BATCH
from vaekit.models import AutoEncoderModel
from vaekit.training.runtime import with_threads


class BatchedInference:
    """Rows in batches through the fitted model (the attributes below, set by ``fit``)."""

    device_: torch.device
    model_: AutoEncoderModel

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

    def _decode_means(self, Z: np.ndarray, C: np.ndarray | None) -> Any:
        """Decoded means of codes Z (n, latent), in the user's units (a mixed table: each
        column's most probable value, in the user's types)."""
        codec: DataCodec = self.codec_  # type: ignore[attr-defined]  # InputChecks' property, beside this mixin
        if isinstance(codec, TableCodec):  # each column's most probable value
            return codec.decode(self._map_batches(lambda z, c: self.model_.decode(z, c).point(), Z, C))  # type: ignore[union-attr]  # a table's model decodes to a MixedTable
        return codec.decode(self._map_batches(lambda z, c: self.model_.decode(z, c).mean, Z, C))
