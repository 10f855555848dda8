"""A saved model's encoder and decoder run with NumPy: ``vaekit encode``, ``decode`` and ``reconstruct``
without importing torch or scikit-learn.

Importing torch takes a second or more; encoding a small table takes milliseconds. For the models
whose forward pass is a few matrix products, this module reads the weights with ``safetensors.numpy``
and computes what the estimator's ``transform``, ``encode``, ``inverse_transform`` and ``reconstruct``
give, in float32 as torch does (equal to about 1e-6; the tests hold them to 1e-4), with the
estimator's own preprocessing (:class:`~vaekit.data.preprocessing.Scaling`, through the same
:class:`~vaekit.data.codec.ArrayCodec`).

:func:`numpy_model` gives a :class:`NumpyModel` only where that is exact, and None anywhere else,
so that the caller loads the estimator instead (the torch path, with its own checks and messages):

- rows of numbers (a 1-D ``input_shape_``), not a table with categories or gaps (whose encoding is
  the estimator's), nor images (convolutions);
- the MLP architecture, with an activation computed here as torch computes it (:data:`ACTIVATIONS`;
  GELU, whose ``erf`` NumPy lacks, is not among them);
- a kind whose code is the encoder's output (an autoencoder) or its first half (a VAE's posterior
  mean): :data:`KINDS`. Not a conditional model (labels), nor the VQ-VAE (a codebook lookup), the
  same refusals as :mod:`vaekit.io.onnx_export`;
- a model saved in the current format, for the CPU or ``device="auto"`` (an explicit "cuda" or
  "mps" is the estimator's to honour or refuse), whose weights are exactly the network the config
  describes, all finite, with a valid scaling.

Scores (``vaekit score``, ``evaluate``) and samples stay on torch: they draw random codes with
torch's generators and use the likelihood's densities.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.data.codec import ArrayCodec
from vaekit.data.preprocessing import SCALING_KINDS, Scaling
from vaekit.data.table.bounds import ColumnBounds
from vaekit.data.validation import check_array, check_sample_shape
from vaekit.io.modelfile import FORMAT_VERSION, WEIGHTS_NAME, ModelFileError, read_config

__all__ = ["ACTIVATIONS", "KINDS", "NumpyModel", "numpy_model"]

KINDS: dict[str, bool] = {
    "AutoEncoder": False,
    "DenoisingAutoEncoder": False,
    "VAE": True,
    "IWAE": True,
    "BetaTCVAE": True,
    "OutlierDetector": True,
}
"""The estimator classes this module runs, by name: whether each is variational (its encoder emits a
mean and a log-variance, and ``transform`` is the mean) or not (``transform`` is the code itself).
The tests check this against the classes themselves."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))  # exp overflows to inf for very negative x: 1 / inf = 0, as torch gives


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda x: np.maximum(x, 0.0),
    "leaky_relu": lambda x: np.where(x > 0, x, x * np.float32(0.01)),  # nn.LeakyReLU's default slope
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),  # nn.ELU's alpha = 1
    "silu": lambda x: x * _sigmoid(x),
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
}
"""torch's activations (:data:`vaekit.nn.ACTIVATIONS`) in NumPy, elementwise on float32 arrays."""

_LIKELIHOOD_MEANS: dict[str, Callable[[np.ndarray], np.ndarray]] = {}
"""The decoder's output -> the mean of p(x|z), per likelihood (filled below)."""

_CB_TAYLOR_BELOW = 0.1  # as vaekit.distributions.ContinuousBernoulli


def _continuous_bernoulli_mean(eta: np.ndarray) -> np.ndarray:
    """E[x] of the continuous Bernoulli on logits ``eta``, as :class:`vaekit.distributions.ContinuousBernoulli`."""
    small = np.abs(eta) < _CB_TAYLOR_BELOW
    safe = np.where(small, np.float32(_CB_TAYLOR_BELOW), eta)
    exact = 0.5 + 0.5 / np.tanh(0.5 * safe) - 1.0 / safe
    taylor = 0.5 + eta / 12.0 - eta**3 / 720.0
    return np.where(small, taylor, exact)


_LIKELIHOOD_MEANS.update(
    {
        "gaussian": lambda params: params,
        "gaussian-learned": lambda params: params,
        "bernoulli": _sigmoid,
        "continuous-bernoulli": _continuous_bernoulli_mean,
    }
)

BATCH = 4096
"""Rows per forward pass, as the estimator's batched inference (``PREDICT_BATCH``)."""

Layers = list[tuple[np.ndarray, np.ndarray]]
"""An MLP's linear layers: ``(weight (out, in), bias (out,))`` each, in order."""


@dataclass(frozen=True)
class NumpyModel:
    """A saved model's networks as NumPy arrays, with the attributes of the estimator that
    the commands read (``latent_dim_``, ``input_shape_``, ``feature_names_in_``, ``codec_``, ...).

    Shapes: ``n`` rows of ``d = input_shape_[0]`` numbers in the user's units; codes of
    ``latent_dim_`` numbers. The methods take and give what the estimator's methods of the
    same names do, for a model that is not conditional (``y`` must be None).
    """

    class_name: str
    variational: bool
    input_shape_: tuple[int, ...]
    latent_dim_: int
    likelihood_: str
    feature_names_in_: np.ndarray | None
    codec_: ArrayCodec
    activation: Callable[[np.ndarray], np.ndarray]
    encoder: Layers
    decoder: Layers
    conditional: bool = False

    @property
    def scaling_(self) -> Scaling:
        return self.codec_.scaling

    # ------------------------------------------------------------ what it takes
    def takes(self, loaded: Any) -> bool:
        """Whether ``transform(*loaded.inputs())`` here is the estimator's: the rows have the model's
        shape, and their column names are the model's (the estimator warns about names it was not
        fitted with, or the lack of them; that is left to it).

        ``loaded``: :class:`~vaekit.data.loaded.LoadedData` read for this model.
        """
        X = loaded.inputs(False)[0]
        columns = getattr(X, "columns", None)
        names = None if columns is None else [str(c) for c in columns]
        fitted = None if self.feature_names_in_ is None else [str(n) for n in self.feature_names_in_]
        return names == fitted and tuple(np.shape(X)[1:]) == self.input_shape_

    def takes_latents(self, Z: Any) -> bool:
        """Whether ``Z`` is ``(n, latent_dim_)`` codes of at least one row (others: the estimator's message)."""
        shape = np.shape(Z)
        return len(shape) == 2 and shape[0] > 0 and shape[1] == self.latent_dim_

    # ------------------------------------------------------------ the estimator's methods
    def transform(self, X: Any, y: Any = None) -> np.ndarray:
        """Posterior means (an autoencoder's codes): X (n, d) -> float32 (n, latent_dim_)."""
        return self._encoded(X, y)[:, : self.latent_dim_]

    def encode(self, X: Any, y: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """A VAE's posterior means and log-variances: X (n, d) -> float32 (n, latent_dim_) each."""
        if not self.variational:
            raise TypeError(f"{self.class_name} is not variational: it has no log-variances")
        out = self._encoded(X, y)
        return out[:, : self.latent_dim_], out[:, self.latent_dim_ :]

    def inverse_transform(self, X: Any, y: Any = None, *, plausible: bool = True) -> np.ndarray:
        """Decoded means in the user's units: codes (n, latent_dim_) -> float32 (n, d); ``plausible``
        as the estimator's (each column within its observed range, rounded as its values were)."""
        self._no_labels(y)
        Z = check_array(X, "latent array")
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim_:
            raise ValueError(f"latent array has shape {Z.shape}; this model decodes (n, {self.latent_dim_})")
        mean = _LIKELIHOOD_MEANS[self.likelihood_]
        values = _batched(lambda z: mean(_mlp(z, self.decoder, self.activation)), Z)
        return self.codec_.decode(values, plausible=plausible)

    def reconstruct(self, X: Any, y: Any = None, *, plausible: bool = True) -> np.ndarray:
        """The decoded mean of each row's code: X (n, d) -> float32 (n, d)."""
        return self.inverse_transform(self.transform(X, y), plausible=plausible)

    # ------------------------------------------------------------ inside
    def _encoded(self, X: Any, y: Any) -> np.ndarray:
        """The encoder's outputs (n, latent_dim_, or twice that for a VAE) of rows in the user's units,
        checked and preprocessed as the estimator's ``_check_X`` does."""
        self._no_labels(y)
        array = check_array(X, "X")
        check_sample_shape(array, self.input_shape_, self.class_name, "X")
        return _batched(lambda x: _mlp(x, self.encoder, self.activation), self.codec_.encode(array))

    def _no_labels(self, y: Any) -> None:
        if y is not None:
            raise ValueError(f"{self.class_name} takes no labels y: the model is not conditional")


def _mlp(x: np.ndarray, layers: Layers, activation: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """:class:`vaekit.nn.MLP`: (n, in) -> (n, out), the activation between the linear layers."""
    for i, (weight, bias) in enumerate(layers):
        x = x @ weight.T + bias
        if i < len(layers) - 1:
            x = activation(x)
    return x


def _batched(forward: Callable[[np.ndarray], np.ndarray], X: np.ndarray) -> np.ndarray:
    """``forward`` over X (n, ...) in :data:`BATCH` rows at a time, float32 (n, ...) out.

    NumPy's warnings about overflow are silenced: torch gives the same inf and 0 without them.
    """
    X = np.ascontiguousarray(X, dtype=np.float32)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        parts = [forward(X[start : start + BATCH]) for start in range(0, len(X), BATCH)]
    return np.concatenate(parts).astype(np.float32, copy=False)


# ------------------------------------------------------------------------ loading
def numpy_model(path: str | Path) -> NumpyModel | None:
    """The model saved at ``path`` (a model or run folder) as a :class:`NumpyModel`, or None where
    its NumPy forward pass would not be exactly the estimator's (see the module docstring), or the
    folder is not a valid model: loading the estimator then gives its numbers or its error.
    """
    try:
        folder, config = read_config(path)
    except ModelFileError:
        return None
    try:
        return _from_config(folder, config)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, OSError):
        return None


def _from_config(folder: Path, config: dict[str, Any]) -> NumpyModel | None:
    """:func:`numpy_model` from the parsed ``config.json``; may raise for an entry of the wrong type or value."""
    params, fitted = config["params"], config["fitted"]
    class_name = config["class"]
    if config["format_version"] != FORMAT_VERSION or class_name not in KINDS:
        return None
    if fitted.get("table_") is not None or fitted.get("architecture_") != "mlp":
        return None
    if params.get("device") not in ("auto", "cpu") or params.get("activation") not in ACTIVATIONS:
        return None
    likelihood = fitted["likelihood_"]
    if likelihood not in _LIKELIHOOD_MEANS:
        return None
    shape = tuple(_whole(v) for v in fitted["input_shape_"])
    latent = _whole(fitted["latent_dim_"])
    hidden = [_whole(v) for v in fitted["hidden_"]]
    if len(shape) != 1 or min([*shape, *hidden, latent]) < 1:
        return None
    (d,) = shape
    if _whole(fitted.get("n_features_in_", d)) != d:
        return None
    names = fitted.get("feature_names_in_")
    if names is not None and (len(names) != d or not all(isinstance(n, str) for n in names)):
        return None

    tensors = _read_weights(folder / WEIGHTS_NAME)
    if tensors is None:
        return None
    variational = KINDS[class_name]
    encoder_sizes = [d, *hidden, (2 if variational else 1) * latent]
    decoder_sizes = [latent, *reversed(hidden), d]
    expected = {
        **_linear_shapes("model.encoder.net", encoder_sizes),
        **_linear_shapes("model.decoder.net", decoder_sizes),
        **({"model.decoder_logvar": (d,)} if likelihood == "gaussian-learned" else {}),
    }
    weights = {key: value for key, value in tensors.items() if key.startswith("model.")}
    if set(weights) != set(expected) or any(
        weights[key].shape != want or weights[key].dtype != np.float32 for key, want in expected.items()
    ):
        return None  # another network than the config describes: the estimator says which tensor differs

    scaling = _scaling(fitted.get("scaling_", "none"), tensors, shape)
    bounds = _bounds(fitted.get("column_bounds_"), d)
    return NumpyModel(
        class_name=class_name,
        variational=variational,
        input_shape_=shape,
        latent_dim_=latent,
        likelihood_=likelihood,
        feature_names_in_=None if names is None else np.asarray(names, dtype=object),
        codec_=ArrayCodec(scaling, shape, names, bounds),
        activation=ACTIVATIONS[params["activation"]],
        encoder=_layers(weights, "model.encoder.net", len(encoder_sizes) - 1),
        decoder=_layers(weights, "model.decoder.net", len(decoder_sizes) - 1),
    )


def _whole(value: Any) -> int:
    """A config's whole number (a bool or a fraction is not one)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not a whole number")
    return value


def _read_weights(file: Path) -> dict[str, np.ndarray] | None:
    """Every tensor of ``model.safetensors``, or None where one is not finite (or the file does not read)."""
    from safetensors.numpy import load_file  # NumPy only: no torch

    try:
        tensors = load_file(str(file))
    except Exception:  # a truncated or corrupt file, a dtype NumPy lacks: the estimator's loader names it
        return None
    for tensor in tensors.values():
        if tensor.dtype.kind in "fc" and not np.isfinite(tensor).all():
            return None
    return tensors


def _linear_shapes(prefix: str, sizes: Sequence[int]) -> dict[str, tuple[int, ...]]:
    """The weight and bias shapes of :class:`vaekit.nn.MLP` on 1-D rows: its linear layers are modules
    0, 2, 4, ... (an activation between each two)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        shapes[f"{prefix}.{2 * i}.weight"] = (n_out, n_in)
        shapes[f"{prefix}.{2 * i}.bias"] = (n_out,)
    return shapes


def _layers(weights: dict[str, np.ndarray], prefix: str, n_layers: int) -> Layers:
    return [(weights[f"{prefix}.{2 * i}.weight"], weights[f"{prefix}.{2 * i}.bias"]) for i in range(n_layers)]


def _scaling(kind: Any, tensors: dict[str, np.ndarray], shape: tuple[int, ...]) -> Scaling:
    """The saved preprocessing, or ValueError where it is not a valid one for rows of ``shape``."""
    if kind not in SCALING_KINDS:
        raise ValueError(f"scaling_ {kind!r} is not a preprocessing")
    prefix = "state.scaling_."
    arrays = {key.removeprefix(prefix): value for key, value in tensors.items() if key.startswith(prefix)}
    scaling = Scaling.from_saved(kind, arrays)
    if scaling.mean is None or scaling.scale is None:
        if arrays:
            raise ValueError("scaling_ 'none' with arrays")
        return scaling
    if scaling.mean.shape != shape or scaling.scale.shape != shape or not (scaling.scale > 0).all():
        raise ValueError("scaling_ of another shape, or a scale that is not positive")
    return scaling


def _bounds(value: Any, n_columns: int) -> list[ColumnBounds] | None:
    """The columns' plausible values (``column_bounds_``; None: none saved), or ValueError where not valid."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != n_columns:
        raise ValueError(f"column_bounds_ is not {n_columns} columns' bounds")
    return [ColumnBounds.from_json(entry, f"column {j}") for j, entry in enumerate(value)]
