"""How to read a user's data, once: the options of :func:`~vaekit.data.read.read_data` as one
value (:class:`ReadOptions`), and reading new data as a model read its training data
(:func:`read_like`), for the Python API (``estimator.read_data``) and every command alike.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.data.loaded import DataFileError, LoadedData
from vaekit.data.read import accepted_options, column_names, parse_image_size, read_data
from vaekit.data.table.columns import align_loaded

__all__ = ["ReadOptions", "read_like"]


@dataclass(frozen=True)
class ReadOptions:
    """The options of :func:`~vaekit.data.read.read_data`; None is "not given" (detected, or as the model read).

    ``columns`` and ``na_values`` may be comma-separated strings; ``image_size`` a string such as
    ``"28x20"`` or a pair; ``image_mode`` "auto", "grey" or "rgb".
    """

    columns: Sequence[str | int] | str | None = None
    label: str | None = None
    id_column: str | None = None
    key: str | None = None
    image_size: str | tuple[int, int] | None = None
    split: str | None = None
    data_dir: str | os.PathLike[str] | None = None
    header: bool | None = None
    image_mode: str | None = None
    sep: str | None = None
    decimal: str | None = None
    na_values: Sequence[str] | str | None = None
    thousands: str | None = None
    keep_ids: bool | None = None

    def replace(self, **changes: Any) -> ReadOptions:
        """These options with ``changes``."""
        return dataclasses.replace(self, **changes)

    def column_list(self) -> list[str | int] | None:
        """``columns`` as a list (a comma-separated string split), or None."""
        if isinstance(self.columns, str):
            return [c.strip() for c in self.columns.split(",") if c.strip()] or None
        return None if self.columns is None else list(self.columns)

    def _given(self) -> dict[str, Any]:
        return {
            "columns": self.column_list(), "label": self.label, "id_column": self.id_column, "key": self.key,
            "image_size": self.image_size, "header": self.header,
            "image_mode": None if self.image_mode in (None, "auto") else self.image_mode,
            "sep": self.sep, "decimal": self.decimal, "na_values": self.na_value_list(), "thousands": self.thousands,
            "keep_ids": self.keep_ids or None,
        }  # fmt: skip

    def na_value_list(self) -> list[str] | None:
        """``na_values`` as a list (a comma-separated string split), or None."""
        if self.na_values is None:
            return None
        items = self.na_values.split(",") if isinstance(self.na_values, str) else [str(v) for v in self.na_values]
        return [item.strip() for item in items if item.strip()] or None


def read_like(source: str | os.PathLike[str], options: ReadOptions | None = None, model: Any = None) -> LoadedData:
    """Read ``source``; options not given default to how ``model`` read its training data, and the
    result is matched to the model.

    A model trained by ``vaekit train`` remembers its read options (``read_options_``):
    those that apply to this source are used again, a saved label or id column only
    if this table has it, a saved separator only if the table's header splits into
    the model's columns with it (else the separator is detected). A model trained on
    named columns reads just those columns (others are ignored by name; a missing one
    is an error that names it).

    Parameters
    ----------
    source : str or path-like
        A file, a folder of images or a built-in dataset name.
    options : ReadOptions or None
    model : fitted estimator, a model's header (:class:`~vaekit.io.modelfile.ModelHeader`), or None
        Anything with the fitted ``read_options_``, ``feature_names_in_`` and ``input_shape_``.

    Returns
    -------
    LoadedData
        For a model of numbers only, ``X`` of the model's sample shape.
    """
    source = str(source)
    options = options or ReadOptions()
    given = options._given()
    if model is not None:
        accepted = accepted_options(source)
        saved = {k: v for k, v in (getattr(model, "read_options_", None) or {}).items() if k in accepted}
        trained_on = getattr(model, "feature_names_in_", None)
        names = None
        if "label" in accepted:
            names = column_names(source, sep=given["sep"] or saved.get("sep"), header=given["header"])
            fits = names is not None and (trained_on is None or {str(n) for n in trained_on} <= set(names))
            if given["sep"] is None and "sep" in saved and not fits:  # another dialect: let it be detected
                del saved["sep"]
                saved.pop("decimal", None)
                names = column_names(source, header=given["header"])
        chose_columns = given["columns"] is not None
        for name, value in saved.items():
            if given.get(name) is None and (
                name not in ("label", "id_column") or (names is not None and value in names)
            ):
                given[name] = value
        if not chose_columns and trained_on is not None and names is not None and "columns" in accepted:
            missing = [str(n) for n in trained_on if str(n) not in names]
            if len(missing) == len(trained_on):  # none of them: not this kind of table; the reader will say why
                return _match(model, _read_with(source, given, options))
            if missing:
                raise DataFileError(
                    f"'{source}': the model was trained on the columns {', '.join(map(str, trained_on))}, and this "
                    f"table lacks {', '.join(missing)}; give a table with those columns (others are ignored)"
                )
            given["columns"] = [str(n) for n in trained_on]
    loaded = _read_with(source, given, options)
    return loaded if model is None else _match(model, loaded)


def _read_with(source: str, given: dict[str, Any], options: ReadOptions) -> LoadedData:
    image_size, mode = given.pop("image_size"), given.pop("image_mode") or "auto"
    size = (
        None if image_size is None else parse_image_size(str(image_size)) if isinstance(image_size, str) else image_size
    )
    return read_data(source, **given, image_size=size, split=options.split, data_dir=options.data_dir, image_mode=mode)


def _match(estimator: Any, loaded: LoadedData) -> LoadedData:
    """Fit ``loaded`` to the model: its columns by name (:func:`~vaekit.data.table.columns.align_loaded`),
    or a one-line error naming the file, what the model expects and what to do.

    Images that differ from the model's only in their channels (RGB for a grey model, or
    grey for an RGB one) are named so, and the fix is the image mode, not the size.
    """
    names = getattr(estimator, "feature_names_in_", None)
    loaded = align_loaded(loaded, None if names is None else [str(n) for n in names])
    if getattr(estimator, "codec_", estimator).tabular:  # a fitted estimator's codec, or a ModelHeader
        return loaded  # a mixed table's model takes its columns by name; it encodes them itself
    loaded = loaded.numeric()  # text or gaps: the first one named, for a model of numbers only
    expected, got = tuple(estimator.input_shape_), tuple(loaded.X.shape[1:])
    flattened = len(got) == 1 and len(expected) > 1 and got[0] == int(np.prod(expected))
    if got == expected or flattened:
        return loaded
    if len(expected) >= 2 and len(got) >= 2:  # images
        size = f"{expected[-2]}x{expected[-1]}"
        hints = [f"resize them with `image_size` {size}"] if got[-2:] != expected[-2:] else []
        if _channels(got) != _channels(expected):
            mode = {1: "grey", 3: "rgb"}.get(_channels(expected))
            folder = Path(str(loaded.source)).expanduser().is_dir()
            if mode is not None and folder:
                hints.append(f"read them as {_image_kind(expected)} with `image_mode` {mode}")
            else:
                hints.append(f"give {_image_kind(expected)} images of shape {expected}")
        hint = " and ".join(hints) or f"give images of shape {expected}"
        raise DataFileError(
            f"{loaded.source}: {_image_kind(got)} images of shape {got}, but the model was trained on "
            f"{_image_kind(expected)} images of shape {expected}; {hint}"
        )
    hint = (
        f"resize them with `image_size` {expected[-2]}x{expected[-1]}"
        if len(expected) >= 2
        else "choose the model's columns with `columns`"
    )
    what = f"{got[0]} features" if len(got) == 1 else f"samples of shape {got}"
    want_text = f"{expected[0]} features" if len(expected) == 1 else f"samples of shape {expected}"
    raise DataFileError(f"{loaded.source}: {what}, but the model was trained on {want_text}; {hint}")


def _channels(shape: tuple[int, ...]) -> int:
    """The channels of one image of ``shape``: (H, W) is grey, (C, H, W) has C."""
    return 1 if len(shape) == 2 else shape[0]


def _image_kind(shape: tuple[int, ...]) -> str:
    """'grey', 'RGB', 'RGBA' or 'C-channel' for one image of ``shape``."""
    return {1: "grey", 3: "RGB", 4: "RGBA"}.get(_channels(shape), f"{_channels(shape)}-channel")
