"""Writing a figure to disk: a PNG, atomically, so a reader never sees half a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from vaekit._atomic import atomic_file

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["save_figure"]


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 120) -> Path:
    """Write ``fig`` as a PNG, atomically: a temporary file in the same folder, then a rename.

    Parent folders are created. The bounding box is fitted to the drawn content.

    Parameters
    ----------
    fig : Figure
    path : str or path-like
        Must end in ``.png``.
    dpi : int

    Returns
    -------
    Path
        ``path``.
    """
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise ValueError(f"save_figure writes PNG files; {str(target)!r} does not end in .png")
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(target, overwrite=True) as temporary:
        fig.savefig(temporary, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08)
    return target
