"""The explorer page: one self-contained HTML file (no server, no network request).

:func:`build_page` puts the decoder (:mod:`vaekit.explorer.weights`), the rows
(:mod:`vaekit.explorer.points`) and the page's own script and style
(``decoder.js``, the model's decoder, then ``explorer.js``, the page, and ``explorer.css``: package data) into one string of HTML;
:func:`write_page` writes it atomically, refusing to replace a file unless told to.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import Any

from vaekit._atomic import write_atomic
from vaekit.explorer.arrays import float32_b64, uint8_b64
from vaekit.explorer.points import Column, Points, projection
from vaekit.explorer.weights import decoder_spec
from vaekit.plots.colours import class_colours


def _asset(name: str) -> str:
    return resources.files("vaekit.explorer").joinpath(name).read_text(encoding="utf-8")


def _column(column: Column, label: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": column.name, "kind": column.kind, "label": label}
    if column.kind == "number":
        out["values"] = float32_b64(column.values)  # NaN where missing
    else:
        out["values"] = column.values.tolist()  # level indices, -1 where missing
        out["categories"] = column.categories
        out["colours"] = class_colours(len(column.categories))  # as the figures colour them
    return out


def page_data(estimator: Any, points: Points, source: str) -> dict[str, Any]:
    """Everything the page's script reads, as JSON types (see ``explorer.js``)."""
    columns = ([_column(points.label, label=True)] if points.label is not None else []) + [
        _column(c) for c in points.columns
    ]
    images = None
    if points.images is not None:
        images = {
            "shape": list(points.images.shape[1:]),  # (H, W, C), C 1 or 3
            "lo": points.lo,
            "hi": points.hi,
            "pixels": uint8_b64(points.images, deflate=True),
        }
    return {
        "model": decoder_spec(estimator),
        "points": {
            "n": len(points.rows),
            "rows": points.rows.tolist(),
            "names": points.names,  # as latents.csv, vaekit score and the figures name them
            "latents": float32_b64(points.latents),  # (n, latent_dim)
            "class_index": None if points.class_index is None else points.class_index.tolist(),
        },
        "projection": projection(points.latents),
        "columns": columns,
        "label_first": points.label is not None,
        "images": images,
        "source": source,
        "note": points.note,
    }


def _facts(estimator: Any, points: Points, source: str) -> list[str]:
    kind = type(estimator).__name__
    facts = [
        f"{kind}, latent_dim={estimator.latent_dim_}, {estimator.likelihood_} likelihood, "
        f"{estimator.architecture_} network (hidden {', '.join(map(str, estimator.hidden_))}); data: {source}, "
        f"{len(points.rows):,} of {points.n_total:,} rows drawn at their latent means (transform).",
        "Move over the plot (points or empty space) to decode that latent point in this page with the model's own "
        "weights; click to pin it; the sliders walk each latent dimension.",
    ]
    return facts + list(estimator.explorer_extras()["facts"])


def build_page(estimator: Any, points: Points, source: str) -> str:
    """The whole page as HTML text.

    Parameters
    ----------
    estimator : fitted BaseAutoEncoder
    points : Points
        From :func:`~vaekit.explorer.points.collect_points`.
    source : str
        What the data is, for the page's header.
    """
    data = json.dumps(page_data(estimator, points, source), separators=(",", ":"))
    data = data.replace("</", "<\\/").replace("<!--", "<\\u0021--")  # cannot end the script element
    title = f"vaekit explorer: {type(estimator).__name__} on {source}"
    facts = "".join(f"<p>{html.escape(line)}</p>" for line in _facts(estimator, points, source))
    note = f'<p class="note" id="note">{html.escape(points.note)}</p>' if points.note else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>\n{_asset('explorer.css')}</style>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1>{facts}{note}</header>\n"
        '<main id="vaekit-explorer"></main>\n'
        f'<script type="application/json" id="vaekit-data">{data}</script>\n'
        f"<script>\n{_asset('decoder.js')}\n{_asset('explorer.js')}</script>\n"
        "</body>\n</html>\n"
    )


def write_page(text: str, path: str | Path, overwrite: bool = False) -> Path:
    """Write the page to ``path`` atomically; an existing file only with ``overwrite``."""
    return write_atomic(path, text, overwrite=overwrite)
