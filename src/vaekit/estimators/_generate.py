"""Generating from a fitted model: rows drawn from its prior, and a table's gaps filled.

A mixin of :class:`~vaekit.estimators._base.BaseAutoEncoder`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from vaekit.data.codec import DataCodec, TableCodec
from vaekit.data.validation import check_positive_int
from vaekit.estimators import _table
from vaekit.estimators._inference import BatchedInference


class Generation(BatchedInference):
    """``sample`` and ``impute``, on top of the batched inference (the attributes below, set by ``fit``)."""

    latent_dim_: int
    conditional: ClassVar[bool]
    classes_: np.ndarray
    class_prior_: np.ndarray
    device_: torch.device

    def sample(
        self,
        n_samples: int = 1,
        random_state: int | np.random.RandomState | None = None,
        y: Any = None,
        *,
        plausible: bool = True,
    ) -> np.ndarray:
        """Rows generated from codes drawn from the model's prior.

        Images are the decoded means of the codes. A table's rows are drawn from p(x|z) (its
        categories keep their spread, and a table of numbers with a learned variance its
        columns' spread). A conditional model decodes for the labels y (one, or one per
        sample); without y, classes are drawn in proportion to the training labels.
        ``plausible``: as for :meth:`inverse_transform`.

        Returns
        -------
        ndarray of float32, shape (n_samples, *input_shape_)
        """
        check_is_fitted(self, "model_")
        n_samples = check_positive_int("n_samples", n_samples)
        rng = check_random_state(random_state)
        Z = self._draw_prior(n_samples, rng)
        if self.conditional and y is None:
            y = self.classes_[rng.choice(len(self.classes_), size=n_samples, p=self.class_prior_)]
        C = self._conditions(y, n_samples, "sample")  # type: ignore[attr-defined]  # InputChecks', beside this mixin
        codec: DataCodec = self.codec_  # type: ignore[attr-defined]  # InputChecks' property, beside this mixin
        if isinstance(codec, TableCodec) or self._draws_rows():  # rows drawn from p(x|z)
            generator = torch.Generator(self.device_).manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
            return codec.decode(
                self._map_batches(lambda z, c: self.model_.decode(z, c).sample(generator), Z, C),  # type: ignore[union-attr]  # as in _decode_means
                plausible=plausible,
            )
        return self._decode_means(Z, C, plausible)

    def impute(
        self,
        X: Any,
        y: Any = None,
        *,
        n_draws: int | None = None,
        random_state: int | None = None,
        plausible: bool = True,
        refine: bool = True,
    ) -> Any:
        """X with only its missing entries filled; a model fitted on a table with gaps (or likelihood="mixed").

        Each row is encoded with its gaps (the encoder sees which entries are
        missing), and each gap gets its column's most probable value under the
        decoded p(x|z): the conditional mean of a number, the most probable
        category, and for a few-valued number (ordered levels) the level nearest
        its conditional mean. With ``refine`` (the default), each column with gaps also gets a
        random forest fitted on the rows where it is observed, blended with the VAE by the weight
        that predicts that column's observed entries best out of sample (see
        :mod:`vaekit.estimators._refine`; the weights are kept in ``imputation_weights_``). With
        ``n_draws``, a list of that many completed tables, each drawn (z from q(z|x), then x from
        p(x|z)), for multiple imputation (not refined).

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_columns), with NaN/None where missing
        y : labels, for a conditional model only
        n_draws : int or None, default=None
        random_state : int or None, default=None
            Seeds the draws.
        plausible : bool, default=True
            Each number within its column's observed range, rounded as its values were, each
            count on its observed support (a table's columns; see :mod:`vaekit.data.table.bounds`).
            False gives the decoder's values as they are, for measuring the model itself.
        refine : bool, default=True
            Blend each column's VAE imputation with a random forest's, per column by out-of-sample
            error (0 to 1 in steps of 0.1; 0 keeps the VAE's). False: the VAE's alone.

        Returns
        -------
        DataFrame (the input's columns, index and dtypes) or ndarray of shape (n_samples, n_columns);
        a list of ``n_draws`` of them with ``n_draws``.
        """
        return _table.impute(self, X, y, n_draws=n_draws, random_state=random_state, plausible=plausible, refine=refine)

    def _draws_rows(self) -> bool:
        """Whether ``sample`` draws a table of numbers' rows from p(x|z): under a learned variance per column,
        which is the columns' own spread (a unit variance on standardized columns would add one
        standard deviation of noise to every column)."""
        return len(self.input_shape_) == 1 and self.likelihood_ == "gaussian-learned"  # type: ignore[attr-defined]  # set by fit

    def _draw_prior(self, n_samples: int, rng: np.random.RandomState) -> np.ndarray:
        """Codes (n_samples, latent_dim) float32 from the model's prior."""
        return rng.standard_normal((n_samples, self.latent_dim_)).astype(np.float32)
