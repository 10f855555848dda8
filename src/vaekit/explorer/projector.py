"""The rows' latent means as a folder for TensorFlow's Embedding Projector.

The standalone Embedding Projector (projector.tensorflow.org, or its TensorBoard
plugin) reads a ``projector_config.json`` naming, per embedding, ``tensorName``,
``tensorShape`` [n, d], ``tensorPath`` (raw little-endian float32, row after row),
``metadataPath`` (a TSV: one label per line without a header when it has one column,
else a header line of column names) and, for images, ``sprite`` with ``imagePath``
(one PNG of every thumbnail in a square grid, row-major, at most 8192 pixels a side)
and ``singleImageDim`` [width, height].
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from vaekit._atomic import replace_dir, staging_dir
from vaekit.explorer.points import Points

TENSOR_FILE = "latents.bytes"
METADATA_FILE = "metadata.tsv"
SPRITE_FILE = "sprite.png"
CONFIG_FILE = "projector_config.json"
PROJECTOR_FILES = (TENSOR_FILE, METADATA_FILE, SPRITE_FILE, CONFIG_FILE)
MAX_SPRITE_SIDE = 8192
"""The Embedding Projector's limit on the sprite's width and height, in pixels."""


def _cell(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return ""
    return " ".join(str(value).split())  # no tabs or line breaks inside a cell


def metadata_lines(points: Points) -> list[str]:
    """The TSV's lines: a header line of column names, then one line per row (row index first)."""
    columns = ([points.label] if points.label is not None else []) + list(points.columns)
    lines = ["\t".join(["row", *(_cell(c.name) for c in columns)])]
    for i, row in enumerate(points.rows):
        cells = [str(int(row))]
        for c in columns:
            v = c.values[i]
            if c.kind == "category":
                cells.append("" if v < 0 else _cell(c.categories[int(v)]))
            else:
                cells.append(_cell(float(v)) if not np.isnan(v) else "")
        lines.append("\t".join(cells))
    return lines


def sprite(images: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Thumbnails (n, H, W, C) uint8 in a square grid, shrunk so that it fits in
    :data:`MAX_SPRITE_SIDE`; the grid (side, side[, 3]) and one thumbnail's [width, height]."""
    from PIL import Image

    n, h, w, c = images.shape
    per_side = math.ceil(math.sqrt(n))
    shrink = min(1.0, MAX_SPRITE_SIDE / (per_side * max(h, w)))
    th, tw = max(1, int(h * shrink)), max(1, int(w * shrink))
    grid = np.zeros((per_side * th, per_side * tw, c), dtype=np.uint8)
    for i in range(n):
        tile = images[i]
        if (th, tw) != (h, w):
            mode = "L" if c == 1 else "RGB"
            tile = np.asarray(Image.fromarray(tile[..., 0] if c == 1 else tile, mode).resize((tw, th)))
            tile = tile.reshape(th, tw, c)
        r, k = divmod(i, per_side)
        grid[r * th : (r + 1) * th, k * tw : (k + 1) * tw] = tile
    return (grid[..., 0] if c == 1 else grid), [tw, th]


def write_projector(points: Points, folder: str | Path, name: str, overwrite: bool = False) -> Path:
    """Write the Embedding Projector folder; an existing one is replaced only with ``overwrite``
    and only when it holds nothing but these files (nothing else a user put there is lost).

    Returns
    -------
    Path
        ``folder``.
    """
    from PIL import Image

    folder = Path(folder)
    if folder.exists():
        if not overwrite:
            raise FileExistsError(f"{folder} already exists; use --force to replace it")
        foreign = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else [folder.name]
        if not folder.is_dir() or not set(foreign) <= set(PROJECTOR_FILES):
            raise ValueError(
                f"{folder} is not an Embedding Projector folder written by vaekit (it holds "
                f"{', '.join(foreign[:5])}); it is not replaced, even with --force"
            )
    latents = np.ascontiguousarray(points.latents, dtype="<f4")
    embedding: dict[str, Any] = {
        "tensorName": name,
        "tensorShape": [int(s) for s in latents.shape],
        "tensorPath": TENSOR_FILE,
        "metadataPath": METADATA_FILE,
    }
    with staging_dir(folder) as staging:
        (staging / TENSOR_FILE).write_bytes(latents.tobytes())
        (staging / METADATA_FILE).write_text("\n".join(metadata_lines(points)) + "\n", encoding="utf-8")
        if points.images is not None:
            grid, single = sprite(points.images)
            Image.fromarray(grid).save(staging / SPRITE_FILE)
            embedding["sprite"] = {"imagePath": SPRITE_FILE, "singleImageDim": single}
        (staging / CONFIG_FILE).write_text(json.dumps({"embeddings": [embedding]}, indent=2) + "\n")
        replace_dir(staging, folder)
    return folder
