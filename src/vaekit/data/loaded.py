"""What the data-file readers return, and how they fail.

:class:`LoadedData` is the one result of :func:`vaekit.data.read.read_data`,
whatever the source: a table, a stack of images, or a built-in dataset, with the
labels and ids that travel beside the features. :class:`DataFileError` is the one
error: its message names the file (and the line, row or column where it applies)
and says what to do. :class:`DataNoteWarning` is a note about how a file was read.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from vaekit.data.validation import InputError, check_array


class DataFileError(InputError):
    """A data file, folder or dataset name cannot be read or used as it is.

    A ``ValueError`` (through :class:`~vaekit.data.validation.InputError`). The
    message is one line: the file, where in it, what is wrong, and what to do.
    """


class DataNoteWarning(UserWarning):
    """A one-line note about how a file was read: something left out or guessed.

    For example a row index that pandas wrote as the first column of a CSV, and
    that a reader left out of the features. The command line prints it as a note.
    """


@dataclass
class LoadedData:
    """Features read from a file, a folder or a built-in dataset.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), (n_samples, H, W) or (n_samples, C, H, W)
        float32, C-contiguous and finite. Images are scaled to [0, 1].
    labels : ndarray of shape (n_samples,) or None
        Numbers or strings used only to colour plots.
    ids : ndarray of shape (n_samples,) or None
        Row identifiers carried through to output files.
    feature_names : list of str or None
        The names of the columns of a table; None for images.
    label_name, id_name : str or None
        Where ``labels`` and ``ids`` came from (a column name, ``"folder"``, ...).
    source : str
        The path or dataset name as given, for messages.
    kind : {"table", "images"}
    frame : DataFrame of shape (n_samples, n_features) or None
        A mixed table's feature columns as read (text, categories, yes/no columns,
        missing values), which a model reads column by column; ``X`` then holds each
        value as a number, NaN where it is missing or not a number. None when every
        feature is a finite number.
    problem : str or None
        For a mixed table: the one-line error, naming the file, the line, the column
        and the value, that :meth:`numeric` raises for a model of numbers only.
    notes : tuple of str
        What a model trained on these rows should say about how they were read, beyond
        the notes (:class:`DataNoteWarning`) a reader gives at each reading; the readers
        of this package give every note at once and leave this empty.
    """

    X: np.ndarray
    labels: np.ndarray | None
    ids: np.ndarray | None
    feature_names: list[str] | None
    label_name: str | None
    id_name: str | None
    source: str
    kind: str
    frame: Any = None
    problem: str | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n_samples = len(self.X)
        for name in ("labels", "ids"):
            values = getattr(self, name)
            if values is not None and values.shape != (n_samples,):
                raise ValueError(f"{name} must have shape ({n_samples},) like X, got {values.shape}")
        if self.kind not in ("table", "images"):
            raise ValueError(f"kind must be 'table' or 'images', got {self.kind!r}")
        if self.feature_names is not None and (self.X.ndim != 2 or len(self.feature_names) != self.X.shape[1]):
            raise ValueError(f"{len(self.feature_names)} feature names for X of shape {self.X.shape}")

    @property
    def n_samples(self) -> int:
        """Number of samples (rows or images)."""
        return len(self.X)

    def numeric(self) -> LoadedData:
        """This data, for a model of numbers only: itself, or the error naming the first value
        that is not a number (a mixed table is for a model fitted on one).

        Raises
        ------
        DataFileError
            The table holds text, categories or missing values.
        """
        if self.frame is not None:
            raise DataFileError(self.problem or f"{quoted(self.source)}: not every value is a number")
        return self

    def inputs(self, conditional: bool = False) -> tuple[Any, np.ndarray | None]:
        """What an estimator's ``fit``/``transform``/... take from this data: ``(X, y)``.

        X is a DataFrame for a table with column names (so that the estimator matches
        columns by name), the array otherwise; y is the labels for a conditional
        model, else None.

        Raises
        ------
        DataFileError
            ``conditional`` and there are no labels.
        """
        X: Any = self.X
        if self.frame is not None:
            X = self.frame
        elif self.kind == "table" and self.feature_names is not None:
            import pandas as pd

            X = pd.DataFrame(self.X, columns=[str(name) for name in self.feature_names], copy=False)
        if not conditional:
            return X, None
        if self.labels is None:
            raise DataFileError(
                f"{quoted(self.source)}: a conditional model needs the label of each row; name its column with `label`"
            )
        return X, self.labels


def quoted(source: object) -> str:
    """``'source'`` in single quotes, as file names appear in messages (no repr escaping)."""
    return f"'{source}'"


def checked(X: np.ndarray, source: str) -> np.ndarray:
    """Run :func:`~vaekit.data.validation.check_array`, naming ``source`` in any error.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), (n_samples, H, W) or (n_samples, C, H, W)
    source : str
        The file or dataset the array came from.

    Returns
    -------
    ndarray of float32, C-contiguous, same shape as X

    Raises
    ------
    DataFileError
        With check_array's message, which starts with the quoted ``source``.
    """
    try:
        return check_array(X, name=quoted(source))
    except InputError as err:
        raise DataFileError(str(err)) from err


def reraise_interrupt(err: BaseException) -> None:
    """Raise the Ctrl-C (or SIGTERM) that a library wrapped in an error of its own, if it did.

    pandas' C parser turns a ``KeyboardInterrupt`` raised while it reads into a
    ``ParserError`` ("Calling read(nbytes) on source failed"): a stop is a stop, never
    a file that "cannot be read".
    """
    seen = err.__cause__ or err.__context__
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            raise seen
        seen = seen.__cause__ or seen.__context__


def brief(err: BaseException, limit: int = 200) -> str:
    """A library's error as one short line, to quote inside a message of vaekit's own.

    Third-party messages may span lines (NumPy's header errors, pyarrow's thrift
    errors) or quote a whole header; runs of whitespace become one space and the
    text is cut at ``limit`` characters.

    >>> brief(ValueError("Cannot parse header:\\n  'x'"))
    "Cannot parse header: 'x'"
    """
    text = re.sub(r"\s+", " ", str(err)).strip() or type(err).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_at_most(f: IO[bytes] | io.BufferedIOBase, size: int, *, start: bytes = b"", chunk: int = 1 << 20) -> bytearray:
    """``start``, then up to ``size`` bytes of ``f`` read in chunks: fewer if the stream ends first.

    Memory grows with what the stream holds, not with ``size``: a header that claims
    terabytes costs nothing when the data is not there (``f.read(size)`` of a buffered
    or compressed stream may reserve ``size`` bytes at once).
    """
    buffer = bytearray(start)
    end = len(buffer) + size
    while len(buffer) < end:
        part = f.read(min(chunk, end - len(buffer)))
        if not part:
            break
        buffer += part
    return buffer


def feature_names_for(n_features: int) -> list[str]:
    """``["x0", "x1", ...]``: the names of the columns of a table that has no header."""
    return [f"x{j}" for j in range(n_features)]
