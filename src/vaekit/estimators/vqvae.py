"""The vector-quantized autoencoder (van den Oord, Vinyals & Kavukcuoglu, "Neural
Discrete Representation Learning", NeurIPS 2017); see :mod:`vaekit.models.vqvae`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, ClassVar, cast

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from vaekit.data.validation import InputError
from vaekit.estimators._params import NON_NEGATIVE, POSITIVE_INT
from vaekit.estimators.ae import AutoEncoder
from vaekit.io import model as io
from vaekit.models.vqvae import VQVAEModel


class VQVAE(AutoEncoder):
    """Vector-quantized autoencoder (VQ-VAE): each slot of the code is a codebook entry.

    The encoder's ``latent_dim`` outputs are cut into ``latent_dim // code_dim`` slots;
    each slot is replaced by its nearest of ``codebook_size`` learned vectors, so a
    sample is coded by ``n_slots`` integers (``codes``) and ``transform`` gives the
    quantized latent vectors (codebook vectors laid end to end). Trained on the
    reconstruction loss plus the codebook and commitment terms.

    ``score_samples`` is -(reconstruction + n_slots * log K) per sample: the paper's
    bound log p(x|z_q) - KL, where the KL of the one-hot posterior from the uniform
    prior over K codes per slot is the constant n_slots * log K nats. The training
    history records that constant as ``train_kl``/``val_kl``, so ``train_loss`` is
    reconstruction + n_slots * log K, while ``val_loss`` is the minimized objective
    (reconstruction + codebook + commitment terms, without the constant).
    ``inverse_transform`` decodes any latent vector as given; :meth:`quantize` snaps
    it to the codebook; ``decode_codes`` decodes code indices.

    Parameters
    ----------
    {network_parameters}
    codebook_size : int, default=128
        K, the number of codebook vectors.
    code_dim : int, default=2
        Dimension of one codebook vector; ``latent_dim`` must be a multiple of it.
    commitment_cost : float, default=0.25
        Weight of the commitment term ||z_e - sg(e)||^2.
    ema : bool, default=False
        Update the codebook by exponential moving averages of the encoder outputs
        assigned to each code (decay 0.99) instead of by the codebook loss.
    {training_parameters}

    ``likelihood`` defaults to "auto" here.

    Attributes
    ----------
    {shared_attributes}
    code_frequencies_ : ndarray of float64, shape (codebook_size,)
        Share of all slots of the training samples assigned to each code (sums to 1);
        :meth:`sample` draws each slot uniformly from the codes with a non-zero share.
    latent_mean_, latent_cov_ : ndarray
        Mean and covariance of the quantized training codes (figures centre on them).

    Examples
    --------
    >>> from vaekit import VQVAE, datasets
    >>> X, _ = datasets.load("digits")
    >>> vq = VQVAE(latent_dim=8, code_dim=2, codebook_size=32, epochs=2, random_state=0, verbose=0).fit(X)
    >>> vq.codes(X).shape, vq.transform(X).shape, vq.likelihood_
    ((1797, 4), (1797, 8), 'bernoulli')
    >>> usage = vq.codebook_usage(X)
    >>> 1.0 <= usage["perplexity"] <= usage["used_codes"] <= 32
    True
    """

    kind = "vqvae"
    module = VQVAEModel
    module_params = ("codebook_size", "code_dim", "commitment_cost", "ema")
    model_: VQVAEModel  # set by fit
    fitted_state: ClassVar[dict[str, io.Codec]] = {"code_frequencies_": io.Array(shape=lambda e: (e.codebook_size,))}
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **AutoEncoder._parameter_constraints,
        "latent_dim": [POSITIVE_INT],  # a whole number of code_dim slots, checked before fit
        "codebook_size": [POSITIVE_INT],
        "code_dim": [POSITIVE_INT],
        "commitment_cost": [NON_NEGATIVE],
        "ema": ["boolean"],
    }

    def __init__(
        self,
        latent_dim: int = 2,
        *,
        hidden: tuple[int, ...] | None = None,
        activation: str = "relu",
        architecture: str = "auto",
        likelihood: str = "auto",
        preprocessing: str = "auto",
        column_types: dict[str, str] | None = None,
        max_categories: int = 200,
        contamination: float | str = "auto",
        codebook_size: int = 128,
        code_dim: int = 2,
        commitment_cost: float = 0.25,
        ema: bool = False,
        epochs: int | str = "auto",
        batch_size: int = 128,
        lr: float = 1e-3,
        lr_schedule: str = "constant",
        validation_fraction: float = 0.1,
        patience: int | str | None = "auto",
        n_init: int = 1,
        grad_clip: float | None = None,
        device: str = "auto",
        precision: str = "float32",
        threads: int | str | None = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 1,
    ) -> None:
        self._set_params_from(locals())

    def _check_params(self) -> None:
        super()._check_params()
        if self.latent_dim % self.code_dim:
            raise ValueError(
                f"latent_dim={self.latent_dim} is not a multiple of code_dim={self.code_dim}: the latent "
                "vector is cut into slots of code_dim numbers, each quantized to one codebook vector"
            )

    @property
    def n_slots(self) -> int:
        """Number of code indices per sample, ``latent_dim // code_dim``."""
        return self.latent_dim // self.code_dim

    def _after_fit(self, rows: Iterator[tuple[np.ndarray, np.ndarray | None]]) -> None:
        chunks = list(rows)  # read twice: the latent Gaussian of the quantized codes, then the code counts
        super()._after_fit(iter(chunks))
        counts = cast(  # an array: there is at least one chunk
            np.ndarray, sum(np.bincount(self._indices(X, C).ravel(), minlength=self.codebook_size) for X, C in chunks)
        )
        self.code_frequencies_ = counts / counts.sum()  # (K,)

    # -------------------------------------------------------------- codes
    def _indices(self, X_model: np.ndarray, C: np.ndarray | None = None) -> np.ndarray:
        """Code indices (n, n_slots) of X in model units."""
        return self._map_batches(self.model_.encode_indices, X_model, C)

    def codes(self, X: Any, y: Any = None) -> np.ndarray:
        """Index of the codebook vector chosen for each slot of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, *input_shape_)

        Returns
        -------
        ndarray of int64, shape (n_samples, n_slots)
            Values in [0, codebook_size).
        """
        X_model = self._check_X(X)
        return self._indices(X_model, self._conditions(y, len(X_model), "codes"))

    def decode_codes(self, codes: Any, y: Any = None) -> np.ndarray:
        """Decoded means of code indices, in the units of the training data.

        Parameters
        ----------
        codes : array-like of int, shape (n_samples, n_slots)

        Returns
        -------
        ndarray of float32, shape (n_samples, *input_shape_)
        """
        check_is_fitted(self, "model_")
        indices = np.asarray(codes)
        if indices.ndim != 2 or indices.shape[1] != self.n_slots or indices.dtype.kind not in "iu":
            raise InputError(
                f"codes must be integers of shape (n_samples, {self.n_slots}); got {indices.dtype} {indices.shape}"
            )
        if indices.size and (indices.min() < 0 or indices.max() >= self.codebook_size):
            raise InputError(f"codes must lie in [0, {self.codebook_size}); got {indices.min()}..{indices.max()}")
        return self._decode_means(self._lookup(indices), self._conditions(y, len(indices), "decode_codes"))

    def quantize(self, Z: Any) -> np.ndarray:
        """Each slot of each latent vector replaced by its nearest codebook vector.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)

        Returns
        -------
        ndarray of float32, shape (n_samples, latent_dim)
        """
        Z = self._check_latent(Z, "Z")
        return self._lookup(self._map_batches(self.model_.quantizer.nearest, Z))

    project_latent = quantize

    def _lookup(self, indices: np.ndarray) -> np.ndarray:
        """Code indices (n, n_slots) -> quantized latent vectors (n, latent_dim), float32."""
        with torch.no_grad():
            Z = self.model_.quantizer.lookup(torch.as_tensor(indices, dtype=torch.long, device=self.device_))
        return Z.cpu().numpy()

    def codebook_usage(self, X: Any, y: Any = None) -> dict[str, float | int]:
        """How evenly X uses the codebook, over all slots of all samples.

        Returns
        -------
        dict with ``perplexity`` (exp of the entropy of the average code usage: from 1,
        one code for everything, to K, all codes equally), ``used_codes`` (entries
        chosen at least once) and ``codebook_size`` (K).
        """
        counts = np.bincount(self.codes(X, y).ravel(), minlength=self.codebook_size)  # (K,)
        share = counts[counts > 0] / counts.sum()
        return {
            "perplexity": float(np.exp(-(share * np.log(share)).sum())),
            "used_codes": int((counts > 0).sum()),
            "codebook_size": int(self.codebook_size),
        }

    def diagnostics(self, X: Any, y: Any = None) -> dict[str, Any]:
        """``{"codebook": codebook_usage(X, y)}``, with its ``summary`` line."""
        usage: dict[str, Any] = self.codebook_usage(X, y)
        usage["summary"] = (
            f"{usage['used_codes']} of {usage['codebook_size']} codes used; perplexity {usage['perplexity']:.1f}"
        )
        return {"codebook": usage}

    def explorer_extras(self) -> dict[str, Any]:
        """The codebook, which the explorer can snap each slot of z to."""
        quantizer = self.model_.quantizer
        extras = super().explorer_extras()
        extras["codebook"] = {
            "size": int(quantizer.codebook_size),
            "code_dim": int(quantizer.code_dim),
            "vectors": quantizer.codebook,  # (K, D)
        }
        extras["facts"].append(
            "VQ-VAE: with 'snap to the nearest code', each slot of z is replaced by its nearest codebook vector."
        )
        return extras

    def _draw_prior(self, n_samples: int, rng: np.random.RandomState) -> np.ndarray:
        """Each slot's code drawn uniformly from the codes used on the training data."""
        used = np.flatnonzero(self.code_frequencies_)  # (n_used,)
        return self._lookup(used[rng.randint(len(used), size=(n_samples, self.n_slots))])  # (n, latent)

    def _loss_terms(
        self, X_model: np.ndarray, C: np.ndarray | None, n_samples: int = 1, random_state: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Reconstruction -log p(x|z_q) and the constant KL n_slots * log K, per sample, in nats.

        What ``loss_terms``, ``score_samples`` and the threshold ``offset_`` all read (the
        threshold and the scores it is compared with carry the same constant). The code is
        deterministic, so ``n_samples`` and ``random_state`` change nothing.

        Returns
        -------
        reconstruction, kl : ndarray of float64, shape (n,) each
        """
        reconstruction, _ = super()._loss_terms(X_model, C, n_samples, random_state)
        return reconstruction, np.full(len(reconstruction), self.n_slots * math.log(self.codebook_size))
