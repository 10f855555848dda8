"""The interactive explorer: a self-contained HTML page whose JavaScript runs the model's
decoder, and an Embedding Projector folder.

- :func:`write_explorer` -- ``vaekit explore RUN -o explore.html``: a latent scatter of up to
  :data:`~vaekit.explorer.points.MAX_POINTS` rows; hover a point for its input and its
  reconstruction; move anywhere to decode that latent point in the page.
- :func:`write_projector_folder` -- ``vaekit explore RUN --format projector -o DIR``.

Modules: :mod:`~vaekit.explorer.weights` (the decoder as a list of layers),
:mod:`~vaekit.explorer.points` (latents, labels, thumbnails), :mod:`~vaekit.explorer.page`
(the HTML), :mod:`~vaekit.explorer.projector`; ``explorer.js`` and ``explorer.css`` are
package data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vaekit.explorer.page import build_page, write_page
from vaekit.explorer.points import MAX_POINTS, Points, collect_points
from vaekit.explorer.projector import write_projector
from vaekit.explorer.weights import decoder_spec


def write_explorer(
    estimator: Any,
    loaded: Any,
    path: str | Path,
    *,
    max_points: int = MAX_POINTS,
    seed: int = 0,
    overwrite: bool = False,
) -> Points:
    """Write the explorer page of ``estimator`` on the rows of ``loaded`` to ``path``.

    Parameters
    ----------
    estimator : fitted BaseAutoEncoder
    loaded : LoadedData
        The data, matched to the model.
    path : str or Path
        The HTML file; an existing one is replaced only with ``overwrite``.
    max_points : int, default=MAX_POINTS
        More rows than this are subsampled with ``seed`` (the page says so).
    seed : int, default=0

    Returns
    -------
    Points
        The rows drawn.
    """
    points = collect_points(estimator, loaded, max_points, seed)
    write_page(build_page(estimator, points, str(loaded.source)), path, overwrite=overwrite)
    return points


def write_projector_folder(
    estimator: Any,
    loaded: Any,
    folder: str | Path,
    *,
    max_points: int = MAX_POINTS,
    seed: int = 0,
    overwrite: bool = False,
) -> Points:
    """Write the rows' latent means, metadata and sprite as an Embedding Projector folder."""
    points = collect_points(estimator, loaded, max_points, seed)
    write_projector(points, folder, f"{type(estimator).__name__} latent means", overwrite=overwrite)
    return points


__all__ = [
    "MAX_POINTS",
    "build_page",
    "collect_points",
    "decoder_spec",
    "write_explorer",
    "write_projector_folder",
]
