"""scikit-learn estimators, one module per family, each class declaring its model kind.

``REGISTRY`` maps each kind ("vae", "vqvae", ...) to its class; it is filled by the
declarations themselves (:mod:`vaekit.estimators._base`). Every module of this
package is imported here, so a new family module needs no line in this file: its
classes are registered and exported (``from vaekit import NewKind``) as soon as it
exists. The round-one classes are also imported by name below, for readers and type
checkers.

They follow the scikit-learn contract: ``__init__`` only stores its keyword
arguments, ``fit(X, y=None)`` validates and returns ``self``, fitted state ends in
``_``, ``transform`` gives the posterior mean and ``inverse_transform`` decodes.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import TYPE_CHECKING

from vaekit.estimators._base import REGISTRY, BaseAutoEncoder
from vaekit.estimators._fitdata import PREDICT_BATCH
from vaekit.estimators.ae import AutoEncoder, DenoisingAutoEncoder
from vaekit.estimators.cvae import ConditionalVAE
from vaekit.estimators.iwae import IWAE
from vaekit.estimators.vae import VAE
from vaekit.estimators.vqvae import VQVAE
from vaekit.io import model as io

if TYPE_CHECKING:  # found by discovery below at run time; named here for type checkers
    from vaekit.estimators.btcvae import BetaTCVAE as BetaTCVAE
    from vaekit.estimators.detector import OutlierDetector as OutlierDetector

# A new family module is found without being listed here: declaring its class is enough.
for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
globals().update({cls.__name__: cls for cls in REGISTRY.values()})


def estimator_class(name: str) -> type[BaseAutoEncoder]:
    """The estimator class of a kind ("vae") or a class name ("VAE").

    Raises
    ------
    ValueError
        The name is neither; the message lists the kinds.
    """
    if name in REGISTRY:
        return REGISTRY[name]
    for cls in REGISTRY.values():
        if cls.__name__ == name:
            return cls
    raise ValueError(f"unknown model kind {name!r}; the kinds are {', '.join(REGISTRY)}")


def load(path: str | Path, device: str | None = None) -> BaseAutoEncoder:
    """Load an estimator saved with ``save``, from its folder or from a run folder.

    Parameters
    ----------
    path : str or Path
        The model directory, or a run directory written by ``vaekit train`` (its
        ``model/`` is loaded).
    device : str or None
        Where to put the model; None uses the saved ``device`` parameter ("auto" by
        default: CUDA, then MPS, then CPU).

    Raises
    ------
    vaekit.io.model.ModelFileError
        The directory is missing, incomplete, corrupt, names an unknown class, or
        its weights do not match its config. The message names the file.
    """
    saved = io.read(path)
    try:
        cls = estimator_class(saved.class_name)
    except ValueError as err:
        raise io.ModelFileError(
            f"{saved.path / io.CONFIG_NAME} names an unknown class {saved.class_name!r} ({err})"
        ) from None
    return io.restore(cls(), saved, device)


__all__ = [
    "IWAE",
    "PREDICT_BATCH",
    "REGISTRY",
    "VAE",
    "VQVAE",
    "AutoEncoder",
    "BaseAutoEncoder",
    "ConditionalVAE",
    "DenoisingAutoEncoder",
    "estimator_class",
    "load",
]
__all__ += sorted(cls.__name__ for cls in REGISTRY.values() if cls.__name__ not in __all__)  # found by discovery
