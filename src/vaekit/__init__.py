"""vaekit: autoencoders and variational autoencoders with a scikit-learn interface.

>>> from vaekit import VAE, datasets
>>> X, y = datasets.load("digits")

The public names are imported on first use, so that ``import vaekit`` (and the
command line's ``--help``) does not pay for importing torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vaekit._version import __version__

if TYPE_CHECKING:
    from vaekit.data import builtin as datasets
    from vaekit.estimators import (
        IWAE,
        VAE,
        VQVAE,
        AutoEncoder,
        ConditionalVAE,
        DenoisingAutoEncoder,
        load,
    )

__all__ = [
    "IWAE",
    "VAE",
    "VQVAE",
    "AutoEncoder",
    "ConditionalVAE",
    "DenoisingAutoEncoder",
    "__version__",
    "datasets",
    "load",
]

_LAZY = {
    **{name: ("vaekit.estimators", name) for name in __all__ if name not in ("__version__", "datasets")},
    "datasets": ("vaekit.data.builtin", None),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        # A model kind declared after this list was written is found in the registry
        # (only class-like names are looked up, so probes such as __wrapped__ stay cheap).
        if not name[:1].isupper() or name not in importlib.import_module("vaekit.estimators").__all__:
            raise AttributeError(f"module 'vaekit' has no attribute {name!r}")
        _LAZY[name] = ("vaekit.estimators", name)
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
