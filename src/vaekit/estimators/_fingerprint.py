"""What a fit is, as JSON: the record a checkpoint keeps so that a resume of another fit is refused."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from vaekit._version import __version__

IGNORED_PARAMS = ("verbose",)
"""Parameters that do not change the numbers a fit computes."""


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.tolist() if hasattr(v, "tolist") else repr(v)))


def data_digest(X: np.ndarray) -> str:
    """A BLAKE2 digest of the rows' bytes (the same values give the same digest)."""
    digest = hashlib.blake2b(digest_size=16)
    step = max(1, (64 << 20) // max(1, X[:1].nbytes))  # about 64 MB at a time
    for start in range(0, len(X), step):
        digest.update(np.ascontiguousarray(X[start : start + step]).data)
    return digest.hexdigest()


def fit_fingerprint(estimator: Any, data: dict[str, Any], seeds: list[int], world_size: int) -> dict[str, Any]:
    """The class, parameters, data and launch of a fit; equal for a fit that resumes it.

    Parameters
    ----------
    estimator : BaseAutoEncoder
    data : dict
        Rows, sample shape and a digest of the values, as fit read them.
    seeds : list of int
        The restarts' seeds.
    world_size : int
        Processes of a data-parallel launch (1 without ``torchrun``).
    """
    params = {k: v for k, v in estimator.get_params().items() if k not in IGNORED_PARAMS}
    return _json_safe(
        {
            "class": type(estimator).__name__,
            "vaekit_version": __version__,
            "params": params,
            "data": data,
            "seeds": seeds,
            "processes": world_size,
        }
    )
