"""A folder of PNG and JPEG images streamed in blocks of files, decoded when a block is read.

The folder's layout, the order of its files, their labels and the decoding are those
of :func:`vaekit.data.images.read_image_folder`. Opening the source lists the files
and reads the first one's header only; the size and the colour mode come from it:

- without ``image_size`` every image must have the first one's size: another size is
  the in-memory reader's one-line error, naming the two files, when its block is read;
- ``image_mode="auto"`` is grey when the first image is grey, and a colour image
  found later is an error (the in-memory reader looks at every file first; set
  ``image_mode`` to read such a folder as a stream). A grey image among colour ones
  is repeated over the three channels, as in memory.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from vaekit.data.images import GREY_MODES, IMAGE_MODES, _common_size, _load, _probe, find_images
from vaekit.data.loaded import DataFileError, quoted
from vaekit.data.stream.base import check_chunk_index, even_bounds

__all__ = ["FILES_PER_CHUNK", "ImageFolderChunks"]

FILES_PER_CHUNK = 256
"""Images decoded per chunk."""


class ImageFolderChunks:
    """The images of a folder, decoded ``files_per_chunk`` at a time.

    Parameters
    ----------
    source : str or path-like
        The folder.
    image_size : (int, int) or None, default=None
        ``(height, width)`` to resize every image to; None: all must have the first one's size.
    image_mode : {"auto", "grey", "rgb"}, default="auto"
        "auto": grey if the first image is grey, else RGB.
    files_per_chunk : int, default=256

    Attributes
    ----------
    files : list of Path
    ids : ndarray of str, shape (n_rows,)
        The files' paths relative to the folder.
    labels : ndarray of str, shape (n_rows,), or None
        The sub-folder of each file, when the images are in sub-folders.
    """

    feature_names = None

    def __init__(
        self,
        source: str | os.PathLike[str],
        *,
        image_size: tuple[int, int] | None = None,
        image_mode: str = "auto",
        files_per_chunk: int = FILES_PER_CHUNK,
    ) -> None:
        self.folder, self.name = Path(source).expanduser(), str(source)
        mode = {"gray": "grey"}.get(str(image_mode).lower(), str(image_mode).lower())
        if mode not in IMAGE_MODES:
            raise DataFileError(f"{quoted(self.name)}: `image_mode` {image_mode!r} is none of {', '.join(IMAGE_MODES)}")
        self.files, labels = find_images(self.folder, source=self.name)
        first_mode, first_size = _probe(self.files[0])
        self._auto = mode == "auto"
        self._grey = mode == "grey" or (self._auto and first_mode in GREY_MODES)
        self._check_size = image_size is None
        self._size = first_size if image_size is None else (int(image_size[0]), int(image_size[1]))
        self.sample_shape = self._size if self._grey else (3, *self._size)
        self.n_rows = len(self.files)
        self.ids = np.array([path.relative_to(self.folder).as_posix() for path in self.files], dtype=str)
        self.labels = None if labels is None else np.array(labels, dtype=str)
        self._bounds = even_bounds(self.n_rows, max(1, int(files_per_chunk)))
        self.n_chunks = len(self._bounds)

    def chunk_bounds(self, i: int) -> tuple[int, int]:
        """``(start, stop)``: the images of chunk ``i``, in the folder's order."""
        return self._bounds[check_chunk_index(i, self.n_chunks)]

    def read_chunk(self, i: int) -> np.ndarray:
        """Chunk ``i``: ndarray of float32 in [0, 1], shape ``(images, H, W)`` or ``(images, 3, H, W)``."""
        start, stop = self.chunk_bounds(i)
        out = np.empty((stop - start, *self.sample_shape), dtype=np.float32)
        for j, path in enumerate(self.files[start:stop]):
            mode, size = _probe(path)
            if self._check_size and size != self._size:
                _common_size([self.files[0], path], [self._size, size], self.folder, self.name)  # raises
            if self._auto and self._grey and mode not in GREY_MODES:
                first, this = (p.relative_to(self.folder).as_posix() for p in (self.files[0], path))
                raise DataFileError(
                    f"{quoted(self.name)}: '{this}' has colour (mode {mode}) but the first image '{first}' is grey, "
                    "and a stream takes the mode of its first image; read the folder with `image_mode` rgb (or grey)"
                )
            out[j] = _load(path, grey=self._grey, size=self._size)
        return out
