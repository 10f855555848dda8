"""vaekit: autoencoders and variational autoencoders with a scikit-learn interface.

>>> from vaekit import VAE, datasets
>>> X, y = datasets.load("digits")

``__all__`` is the whole public surface: every model kind, the functions the README
uses, and the built-in data sets; ``dir(vaekit)`` lists exactly it. The names are
imported on first use, so that ``import vaekit`` (and the command line's ``--help``)
does not pay for importing torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vaekit._version import __version__

if TYPE_CHECKING:
    from vaekit.data import builtin as datasets
    from vaekit.data.read import read_data
    from vaekit.estimators import (
        IWAE,
        VAE,
        VQVAE,
        AutoEncoder,
        BetaTCVAE,
        ConditionalVAE,
        DenoisingAutoEncoder,
        OutlierDetector,
        load,
    )
    from vaekit.evaluation.fidelity import fidelity
    from vaekit.evaluation.likelihood import log_likelihood
    from vaekit.samplers import GaussianMixtureSampler, PriorSampler

_ESTIMATORS = (
    "AutoEncoder", "BetaTCVAE", "ConditionalVAE", "DenoisingAutoEncoder", "IWAE", "OutlierDetector", "VAE", "VQVAE",
)  # fmt: skip
_LAZY: dict[str, tuple[str, str | None]] = {
    **{name: ("vaekit.estimators", name) for name in (*_ESTIMATORS, "load")},
    "GaussianMixtureSampler": ("vaekit.samplers", "GaussianMixtureSampler"),
    "PriorSampler": ("vaekit.samplers", "PriorSampler"),
    "fidelity": ("vaekit.evaluation.fidelity", "fidelity"),
    "log_likelihood": ("vaekit.evaluation.likelihood", "log_likelihood"),
    "datasets": ("vaekit.data.builtin", None),
    "read_data": ("vaekit.data.read", "read_data"),
}

__all__ = [  # noqa: RUF022 -- the model kinds first, then the functions
    "AutoEncoder",
    "BetaTCVAE",
    "ConditionalVAE",
    "DenoisingAutoEncoder",
    "IWAE",
    "OutlierDetector",
    "VAE",
    "VQVAE",
    "GaussianMixtureSampler",
    "PriorSampler",
    "__version__",
    "datasets",
    "fidelity",
    "load",
    "log_likelihood",
    "read_data",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        # A model kind declared after this list was written is found in the registry
        # (only class-like names are looked up, so probes such as __wrapped__ stay cheap).
        registry = importlib.import_module("vaekit.estimators").REGISTRY if name[:1].isupper() else {}
        if name not in {kind.__name__ for kind in registry.values()}:
            raise AttributeError(f"module 'vaekit' has no attribute {name!r}")
        _LAZY[name] = ("vaekit.estimators", name)
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
