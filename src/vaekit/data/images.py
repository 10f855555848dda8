"""Folders of PNG and JPEG images, read with Pillow into :class:`LoadedData`.

A folder holds its images either directly, or in sub-folders whose names become
the labels (``cats/001.png``, ``dogs/001.png``), not both. Images are taken in the
natural order of their paths, numbers by their value (``2.png`` before ``10.png``,
``img9.png`` before ``img10.png``; the sub-folders likewise), as a file browser shows
them; that order numbers the rows (``row`` 0, 1, ... in every output, see
:mod:`vaekit.data.rows`), and the ids are the paths, relative to the folder. Hidden files
and folders (names starting with ``.``) are ignored; other files that are not
``.png``, ``.jpg`` or ``.jpeg`` (a README, a CSV of notes) are skipped, and
named in the error if no image is left. Deeper sub-folders are not searched.

Greyscale images (Pillow modes ``1``, ``L``, ``LA``, ``I``, ``I;16``) give an array
``(n, H, W)``; if any image has colour, all are converted to RGB ``(n, 3, H, W)``
(an alpha channel is dropped). Values are scaled to [0, 1] (8-bit by 255, 16-bit
by 65535). All images must have the same size unless ``image_size`` resizes them.
"""

from __future__ import annotations

import re
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from vaekit.data.loaded import DataFileError, DataNoteWarning, LoadedData, brief, checked, quoted

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
GREY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N"})
IMAGE_MODES = ("auto", "grey", "rgb")

__all__ = ["IMAGE_MODES", "IMAGE_SUFFIXES", "find_images", "natural_key", "read_image_folder"]
_RESAMPLE = Image.Resampling.LANCZOS  # sharp when shrinking, no aliasing
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError, ZeroDivisionError,
               Image.DecompressionBombError)  # fmt: skip
"""What Pillow raises for a damaged image (OSError: UnidentifiedImageError, "image file is truncated")."""
_PNG_PIXELS_PER_BYTE = 8 * 1032
"""The most pixels one byte of a PNG file can hold: 1-bit pixels, at deflate's best ratio (1032:1)."""


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".") and path.is_file()


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[int, int | str, str], ...]:
    """The key that sorts names as a person reads them: runs of digits by their value.

    ``2.png`` comes before ``10.png`` and ``img9`` before ``img10``; a number before
    text at the same place; text without regard to case (``B`` after ``a``); names
    that tie so (``7`` and ``007``, ``a`` and ``A``) by their characters.

    >>> sorted(["10.png", "b.png", "2.png", "A.png", "1.png"], key=natural_key)
    ['1.png', '2.png', '10.png', 'A.png', 'b.png']
    """
    parts = _DIGITS.split(name)  # text, digits, text, digits, ..., text
    key = tuple((0, int(part), part) if i % 2 else (1, part.casefold(), part) for i, part in enumerate(parts) if part)
    return (*((k[0], k[1], "") for k in key), (2, 0, name))


def _visible(folder: Path) -> list[Path]:
    """The entries of ``folder`` that are not hidden, in natural order of their names (:func:`natural_key`)."""
    return sorted(
        (path for path in folder.iterdir() if not path.name.startswith(".")), key=lambda p: natural_key(p.name)
    )


def find_images(folder: Path, *, source: str) -> tuple[list[Path], list[str] | None]:
    """The image files of ``folder`` and, when they are in sub-folders, their labels.

    Returns
    -------
    files : list of Path
        In natural order of their path relative to ``folder`` (:func:`natural_key`: sub-folder, then name).
    labels : list of str or None
        The sub-folder name of each file; None when the images are directly in ``folder``.
    """
    entries = _visible(folder)
    top = [path for path in entries if _is_image(path)]
    skipped = [path for path in entries if path.is_file() and not _is_image(path)]
    nested: list[Path] = []
    labels: list[str] = []
    for sub in (path for path in entries if path.is_dir()):
        sub_entries = _visible(sub)
        images = [path for path in sub_entries if _is_image(path)]
        skipped += [path for path in sub_entries if path.is_file() and not _is_image(path)]
        nested += images
        labels += [sub.name] * len(images)
    if top and nested:
        raise DataFileError(
            f"{quoted(source)}: has images both directly inside (e.g. '{top[0].name}') and in sub-folders "
            f"(e.g. '{nested[0].parent.name}'); put them all in sub-folders (one per label) or all directly "
            "in the folder"
        )
    if not top and not nested:
        note = ""
        if skipped:
            note = f" ({len(skipped)} other file(s) skipped, e.g. '{skipped[0].relative_to(folder).as_posix()}')"
        raise DataFileError(
            f"{quoted(source)}: no PNG or JPEG images (.png, .jpg, .jpeg) in the folder or its sub-folders{note}"
        )
    return (top, None) if top else (nested, labels)


def _probe(path: Path) -> tuple[str, tuple[int, int]]:
    """Mode and ``(height, width)`` of an image, from its header only.

    A PNG header that announces more pixels than the file's bytes can hold is refused
    here, before anything is allocated for them.
    """
    try:
        with Image.open(path) as image:
            mode, height, width, kind = image.mode, image.height, image.width, image.format
    except _UNREADABLE as err:
        raise DataFileError(f"{quoted(path)}: not a readable image ({brief(err)}); remove or replace it") from err
    if kind == "PNG":
        size = path.stat().st_size
        problem = _png_chunk_problem(path, size)
        if problem is None and height * width > _PNG_PIXELS_PER_BYTE * size + 8192:
            problem = f"its header says {height}x{width} pixels, more than its {size:,} bytes can hold"
        if problem is not None:
            raise DataFileError(
                f"{quoted(path)}: not a readable image ({problem}: it is damaged); remove or replace it"
            )
    return mode, (height, width)


def _png_chunk_problem(path: Path, size: int) -> str | None:
    """A PNG chunk whose length runs past the end of the file, or None.

    Pillow reads a chunk by its length field, so a damaged one would ask for up to 4 GiB.
    """
    with open(path, "rb") as f:
        position = f.seek(8)  # past the signature
        while position + 8 <= size:
            length, kind = struct.unpack(">I4s", f.read(8))
            if position + 12 + length > size:
                name = kind.decode("latin-1") if kind.isalpha() else kind.hex()
                return f"its {name} chunk claims {length:,} bytes, past the end of the file"
            if kind == b"IEND":
                break
            position = f.seek(length + 4, 1)  # the data and the checksum
    return None


def _load(path: Path, *, grey: bool, size: tuple[int, int]) -> np.ndarray:
    """One image as float32 in [0, 1]: ``(H, W)`` if ``grey`` else ``(3, H, W)``."""
    height, width = size
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode.startswith("I"):  # 16- or 32-bit grey
                pixels = np.asarray(image, dtype=np.float32) / np.float32(65535)  # (h, w)
                image = Image.fromarray(pixels)  # mode "F", which every filter handles
            else:
                image = image.convert("L" if grey or image.mode in GREY_MODES else "RGB")
            if image.size != (width, height):
                image = image.resize((width, height), _RESAMPLE)
            pixels = np.asarray(image, dtype=np.float32)  # (H, W) or (H, W, 3)
    except _UNREADABLE as err:
        raise DataFileError(f"{quoted(path)}: not a readable image ({brief(err)}); remove or replace it") from err
    if image.mode != "F":
        pixels = pixels / np.float32(255)
    pixels = np.clip(pixels, 0, 1)  # Lanczos overshoots a little on float images
    if grey:
        return pixels
    if pixels.ndim == 2:  # a grey image among colour ones
        return np.broadcast_to(pixels, (3, height, width))
    return pixels.transpose(2, 0, 1)  # (3, H, W)


def _common_size(files: list[Path], sizes: list[tuple[int, int]], folder: Path, source: str) -> tuple[int, int]:
    """The size every image has, or an error naming two images that differ."""
    for path, size in zip(files, sizes, strict=True):
        if size != sizes[0]:
            (h0, w0), (h1, w1) = sizes[0], size
            first, other = (p.relative_to(folder).as_posix() for p in (files[0], path))
            raise DataFileError(
                f"{quoted(source)}: images differ in size: '{first}' is {h0}x{w0} (height x width) but '{other}' "
                f"is {h1}x{w1}; resize them all to one size with `image_size` (for example {h0}x{w0})"
            )
    return sizes[0]


def read_image_folder(
    folder: Path, *, source: str, image_size: tuple[int, int] | None = None, image_mode: str = "auto"
) -> LoadedData:
    """Read every image of a folder (see the module docstring for the layout).

    Parameters
    ----------
    folder : Path
    source : str
        The folder as the user gave it, for messages.
    image_size : (int, int) or None, default=None
        ``(height, width)`` to resize every image to (Lanczos filter); None: all
        images must already have the same size.
    image_mode : {"auto", "grey", "rgb"}, default="auto"
        "auto": grey if every image is grey, else RGB. Fix it to read two folders
        the same way (a model trained on grey images needs grey input).

    Returns
    -------
    LoadedData
        ``X`` of shape (n_images, H, W) for grey or (n_images, 3, H, W) for RGB,
        float32 in [0, 1]; ``ids`` the relative paths; ``labels`` the sub-folder
        names (``label_name="folder"``) or None.
    """
    mode = {"gray": "grey"}.get(str(image_mode).lower(), str(image_mode).lower())
    if mode not in IMAGE_MODES:
        raise DataFileError(f"{quoted(source)}: `image_mode` {image_mode!r} is none of {', '.join(IMAGE_MODES)}")
    files, labels = find_images(folder, source=source)
    probes = [_probe(path) for path in files]
    grey = mode == "grey" or (mode == "auto" and all(m in GREY_MODES for m, _ in probes))
    if image_size is None:
        size = _common_size(files, [s for _, s in probes], folder, source)
    else:
        size = (int(image_size[0]), int(image_size[1]))
        resized = [s for _, s in probes if (s[1], s[0]) != size]  # PIL sizes are (width, height)
        if resized:
            shown = ", ".join(f"{w}x{h}" for w, h in sorted(set(resized))[:4])
            warnings.warn(
                f"{quoted(source)}: {len(resized)} of {len(files)} images resized to {size[0]}x{size[1]} "
                f"(height x width, as `image_size` asks) from {shown}{', ...' if len(set(resized)) > 4 else ''}",
                DataNoteWarning,
                stacklevel=2,
            )
    first = _load(files[0], grey=grey, size=size)  # before allocating for all: the size is real
    X = np.empty((len(files), *first.shape), dtype=np.float32)  # (n, [3,] H, W)
    X[0] = first
    for i, path in enumerate(files[1:], start=1):
        X[i] = _load(path, grey=grey, size=size)
    return LoadedData(
        X=checked(X, source),
        labels=np.array(labels, dtype=str) if labels is not None else None,
        ids=np.array([path.relative_to(folder).as_posix() for path in files], dtype=str),
        feature_names=None,
        label_name="folder" if labels is not None else None,
        id_name="file",
        source=source,
        kind="images",
    )
