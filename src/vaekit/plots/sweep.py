"""Reconstruction error against latent size: the curve of ``vaekit sweep``, PCA dashed beside it.

The rows come from :func:`vaekit.runs.sweep.run_sweep`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_sweep"]


def plot_sweep(rows: Sequence[dict[str, Any]], title: str = "") -> Figure:
    """Squared reconstruction error against latent size, one line per model, PCA dashed.

    Parameters
    ----------
    rows : sequence of dict
        One per (model, latent size), with at least the keys ``model`` (e.g. "vae";
        "pca" for the baseline), ``latent_dim``, ``squared_error`` (per sample, summed
        over features) and ``split`` (the part measured), as
        :func:`vaekit.runs.sweep.run_sweep` returns them.
    title : str
        Default "Reconstruction error against latent size".

    Returns
    -------
    Figure
        One axes; the latent sizes on a log2 x axis.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.6))
    ax = fig.add_subplot()
    for model in dict.fromkeys(r["model"] for r in rows):
        points = sorted((r["latent_dim"], r["squared_error"]) for r in rows if r["model"] == model)
        dims, errors = zip(*points, strict=True)
        style: dict[str, Any] = {"linestyle": "--", "color": "0.35"} if model == "pca" else {}
        ax.plot(dims, errors, marker="o", label=model.upper(), **style)
    ax.set_xscale("log", base=2)
    all_dims = sorted({r["latent_dim"] for r in rows})
    ax.set_xticks(all_dims, [str(d) for d in all_dims])
    ax.set_xlabel("latent size (PCA: components)")
    where = f"{rows[0]['split']} part, {rows[0].get('units', 'data units')}" if rows else ""
    ax.set_ylabel(f"squared error per sample\n({where})")
    ax.set_title(title or "Reconstruction error against latent size")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
