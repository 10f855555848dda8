"""Checking what a fitted estimator is given: columns by name, shapes, images' channels, labels and codes.

A mixin of :class:`~vaekit.estimators._base.BaseAutoEncoder`: each check compares the
input with what ``fit`` saw and says, in one line, what is wrong and where.
"""

from __future__ import annotations

import math
import os
from typing import Any, ClassVar

import numpy as np
from sklearn.utils.validation import _check_feature_names as _sklearn_feature_names
from sklearn.utils.validation import check_is_fitted

from vaekit.data.codec import ArrayCodec, DataCodec, TableCodec
from vaekit.data.loaded import LoadedData
from vaekit.data.options import ReadOptions, read_like
from vaekit.data.preprocessing import Scaling
from vaekit.data.table.columns import align_columns
from vaekit.data.validation import InputError, check_array, check_sample_shape
from vaekit.estimators._labels import one_hot


def _check_feature_names(estimator: Any, X: Any, reset: bool) -> None:
    """scikit-learn's check of a DataFrame's column names, after refusing names given twice in one line."""
    columns = getattr(X, "columns", None)
    if columns is not None:
        names = [str(c) for c in columns]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise InputError(
                f"X has columns with the same name: {', '.join(repr(n) for n in twice[:5])}; "
                "each column needs a name of its own"
            )
    _sklearn_feature_names(estimator, X, reset=reset)


class InputChecks:
    """Checks of inputs against the fitted state (the attributes below, set by ``fit``)."""

    input_shape_: tuple[int, ...]
    latent_dim_: int
    conditional: ClassVar[bool]
    classes_: np.ndarray
    scaling_: Scaling

    @property
    def codec_(self) -> DataCodec:
        """The fitted data's codec (:mod:`vaekit.data.codec`): a table's encoder, or the scaling of arrays
        and images. Set by ``fit`` (built from ``table_`` or ``scaling_``, which are what is saved)."""
        table = self.__dict__.get("table_")
        if table is not None:
            return TableCodec(table, bool(self.__dict__.get("table_frame_", False)))
        names = self.__dict__.get("feature_names_in_")
        return ArrayCodec(
            self.scaling_,
            tuple(self.input_shape_),
            None if names is None else [str(n) for n in names],
            self.__dict__.get("column_bounds_"),
        )

    def read_data(self, source: str | os.PathLike[str], **options: Any) -> LoadedData:
        """Read a file (a folder of images, a built-in data set) as this model read its training data.

        Options not given (``columns``, ``label``, ``id_column``, ``sep``, ``decimal``, ...: those
        of :class:`~vaekit.data.options.ReadOptions`) default to how the training data was read;
        a table's columns are matched to the model's by name.

        Returns
        -------
        LoadedData
            ``.inputs(model.conditional)`` gives what ``transform``, ``score_samples`` and
            the rest take.

        Examples
        --------
        >>> from vaekit import VAE, datasets
        >>> X, _ = datasets.load("digits")
        >>> vae = VAE(epochs=1, verbose=0, random_state=0).fit(X)
        >>> vae.read_data("digits").X.shape
        (1797, 8, 8)
        """
        check_is_fitted(self, "model_")
        return read_like(source, ReadOptions(**options), self)

    def validate_input(self, X: Any, name: str = "X") -> np.ndarray:
        """X as the fitted model reads it, in X's own units.

        Checked against what fit saw: a DataFrame is matched to the training columns
        by name (reordered columns and extra columns are fine, missing ones are an
        error naming them); flattened images are reshaped; NaN, infinite values and
        a wrong shape are errors that say where.

        Returns
        -------
        ndarray of float32, shape (n_samples, *input_shape_)
        """
        check_is_fitted(self, "model_")
        names = getattr(self, "feature_names_in_", None)
        if names is not None and hasattr(X, "columns"):
            X = align_columns(X, [str(n) for n in names], source=name)
        _check_feature_names(self, X, reset=False)
        array = check_array(X, name)
        expected = self.input_shape_
        if array.ndim == 2 and len(expected) > 1 and array.shape[1] == math.prod(expected):
            array = array.reshape(len(array), *expected)  # flattened images are accepted
        got = array.shape[1:]
        have, want = (1 if len(s) == 2 else s[0] for s in (got, expected)) if len(got) >= 2 else (0, 0)
        if len(expected) >= 2 and have != want and got[-2:] == expected[-2:]:
            kinds = {1: "grey", 3: "RGB"}  # only the channels differ: the fix is the colour mode, not the size
            how = {1: " (e.g. X.mean(axis=1))", 3: " (e.g. np.repeat(X[:, None], 3, axis=1))"}.get(want, "")
            raise InputError(
                f"{name} has {kinds.get(have, f'{have}-channel')} images of shape {got}, but {type(self).__name__} "
                f"was fitted on {kinds.get(want, f'{want}-channel')} images of shape {expected}; convert them{how}, "
                f"or read a folder of images with read_data(folder, image_mode={'grey' if want == 1 else 'rgb'!r})"
            )
        check_sample_shape(array, expected, type(self).__name__, name)
        return array

    def _check_X(self, X: Any, name: str = "X") -> np.ndarray:
        """:meth:`validate_input`, in model units (the preprocessing applied)."""
        check_is_fitted(self, "model_")
        codec = self.codec_
        if isinstance(codec, TableCodec):
            return codec.encode(X, name)  # (n, n_encoded), gaps and all
        return codec.encode(self.validate_input(X, name))

    def _conditions(self, y: Any, n_rows: int, method: str) -> np.ndarray | None:
        """The one place that reads labels: one-hot (n_rows, n_classes) float32, or None.

        A conditional model needs y (one label, repeated, or one per row); any other
        model takes none.
        """
        if not self.conditional:
            if y is not None:
                raise InputError(f"{type(self).__name__}.{method} takes no labels y: the model is not conditional")
            return None
        if y is None:
            raise InputError(f"{type(self).__name__}.{method} needs the labels y (its encoder and decoder see them)")
        return one_hot(self.classes_, y, n_rows)

    def _check_latent(self, Z: Any, name: str = "latent array") -> np.ndarray:
        check_is_fitted(self, "model_")
        Z = check_array(Z, name)
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim_:
            raise InputError(
                f"{name} has shape {Z.shape}, but {type(self).__name__} decodes (n_samples, {self.latent_dim_}) latent vectors"
            )
        return Z
