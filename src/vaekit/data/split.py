"""How a run reads its data and holds out a test part: the ``[data]`` table of ``config.toml``.

Light on purpose (numpy and pandas, no torch): ``vaekit train`` reads and checks the
data before it imports the estimators, so a refused file costs a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.data import builtin as datasets
from vaekit.data.loaded import DataNoteWarning, LoadedData
from vaekit.data.read import parse_image_size, read_data
from vaekit.data.rows import NUMBERED, row_numbers, with_row_ids

DATA_DEFAULTS: dict[str, Any] = {
    "source": None,
    "columns": None,
    "label": None,
    "id": None,
    "key": None,
    "image_size": None,
    "split": None,
    "data_dir": None,
    "header": None,
    "image_mode": "auto",
    "sep": None,
    "decimal": None,
    "na_values": None,
    "thousands": None,
    "keep_ids": None,
    "test_fraction": 0.1,
    "categorical": None,
    "numeric": None,
    "count": None,
    "binary": None,
    "max_categories": 200,
    "stream": "auto",
}
"""The ``[data]`` keys of a run's configuration and their defaults."""

STREAM_CHOICES = ("auto", "always", "never")
STREAM_ABOVE_BYTES = 2 << 30
"""``stream = "auto"`` streams a ``.npy``, Parquet or text table larger than this (2 GiB) on disk."""
SAMPLE_ROWS = 10_000
"""A streamed run is measured and drawn on at most this many training rows, and as many test rows."""


@dataclass
class Split:
    """The rows a run trains on and the rows it is measured on.

    Each part names its rows as the file does (:mod:`vaekit.data.rows`): by the
    data's ids, else by their row numbers in the file (``id_name`` :data:`~vaekit.data.rows.NUMBERED`),
    so a test row keeps its number. A streamed run (:func:`load_stream_split`) trains
    on ``fit_source``, its training rows on disk; ``train`` and ``test`` are then
    random samples of the two parts, in memory, for the metrics, figures and explorer.

    ``train_rows`` and ``test_rows`` are each part's row numbers in the file, in the
    file's order (shape (n,) each; None: 0, 1, ... of the part). ``numbered`` says what
    they count: "file", the rows of the one file both parts come from, or "part", each
    part's own rows (a built-in data set's own train and test files).
    """

    train: LoadedData
    test: LoadedData | None
    how: str  # how the test part was chosen, for the report
    fit_source: Any = None  # a vaekit.data.stream.ChunkSource of the training rows, when streamed
    n_train: int = -1  # rows of each part (when streamed, more than the samples hold)
    n_test: int = -1
    train_rows: np.ndarray | None = None
    test_rows: np.ndarray | None = None
    numbered: str = "file"

    def __post_init__(self) -> None:
        if self.n_train < 0:
            self.n_train = len(self.train.X)
        if self.n_test < 0:
            self.n_test = 0 if self.test is None else len(self.test.X)
        parts = [self.train] + ([self.test] if self.test is not None else [])
        if self.train_rows is None and self.numbered == "file" and any(p.id_name != NUMBERED for p in parts[1:]):
            self.numbered = "part"  # rows named by ids alone: where each lies in the file is not known
        if self.train_rows is None:
            self.train_rows = row_numbers(self.train)
        if self.test_rows is None and self.test is not None:
            self.test_rows = row_numbers(self.test)

    def everything(self) -> RunRows:
        """Every row the run holds in memory, train and test together, in the file's order."""
        return all_rows(self)


@dataclass
class RunRows:
    """A run's rows, train and test together, in the file's order (for a built-in set's own
    train and test files: the train rows, then the test rows).

    Attributes
    ----------
    data : LoadedData
        The rows; named by the data's ids, else by their row numbers (``id_name`` ``NUMBERED``).
    rows : ndarray of shape (n,)
        Each row's number in its file.
    part : ndarray of str, shape (n,)
        "train" or "test".
    """

    data: LoadedData
    rows: np.ndarray
    part: np.ndarray


def all_rows(split: Split) -> RunRows:
    """:meth:`Split.everything`: the training and test rows merged back into the file's order."""
    train, test = split.train, split.test
    assert split.train_rows is not None
    if test is None:
        return RunRows(train, split.train_rows, np.full(len(train.X), "train"))
    assert split.test_rows is not None
    rows = np.concatenate([split.train_rows, split.test_rows])
    part = np.concatenate([np.full(len(train.X), "train"), np.full(len(test.X), "test")])
    order = np.argsort(rows, kind="stable") if split.numbered == "file" else np.arange(len(rows))

    def merged(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
        return None if a is None or b is None else np.concatenate([a, b])[order]

    frame = None
    if train.frame is not None and test.frame is not None:
        import pandas as pd

        frame = pd.concat([train.frame, test.frame], ignore_index=True).iloc[order].reset_index(drop=True)
    ids, id_name = merged(train.ids, test.ids), train.id_name
    if train.id_name != test.id_name:  # a built-in set's two files: named by their numbers in each
        ids, id_name = rows[order], NUMBERED
    X = np.concatenate([train.X, test.X])[order]
    data = dataclasses.replace(
        train, X=np.ascontiguousarray(X), labels=merged(train.labels, test.labels), ids=ids, id_name=id_name,
        frame=frame,
    )  # fmt: skip
    return RunRows(data, rows[order], part[order])


def _subset(data: LoadedData, rows: np.ndarray) -> LoadedData:
    def pick(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[rows]

    return LoadedData(
        X=np.ascontiguousarray(data.X[rows]),
        labels=pick(data.labels),
        ids=pick(data.ids),
        feature_names=data.feature_names,
        label_name=data.label_name,
        id_name=data.id_name,
        source=data.source,
        kind=data.kind,
        frame=None if data.frame is None else data.frame.iloc[rows].reset_index(drop=True),
        problem=data.problem,
    )


def load_split(data_config: dict[str, Any], seed: int) -> Split:
    """Read the data and choose the test part.

    A built-in set with its own test split (MNIST) is measured on it; otherwise a
    seeded ``test_fraction`` of the rows is held out (none when it is 0, or for fewer
    than 20 rows).
    """
    source = str(data_config["source"])
    if should_stream(data_config):
        return load_stream_split(data_config, seed)
    options = {
        "columns": data_config["columns"],
        "label": data_config["label"],
        "id_column": data_config["id"],
        "key": data_config["key"],
        "image_size": _image_size(data_config["image_size"]),
        "data_dir": data_config["data_dir"],
        "header": data_config["header"],
        "image_mode": data_config["image_mode"],
        "sep": data_config["sep"],
        "decimal": data_config["decimal"],
        "na_values": data_config.get("na_values"),
        "thousands": data_config.get("thousands"),
        "keep_ids": data_config.get("keep_ids"),
    }
    builtin_with_test = not Path(source).exists() and source in datasets.list() and data_config["split"] is None
    if builtin_with_test and "test" in datasets.describe(source, data_config["data_dir"]).splits:
        train = with_row_ids(read_data(source, split="train", **options))
        test = with_row_ids(read_data(source, split="test", **options))
        return Split(train, test, "the data set's own test split", numbered="part")
    data = with_row_ids(read_data(source, split=data_config["split"], **options))
    for note in data.notes:  # how the rows that a model is to be trained on were read
        warnings.warn(note, DataNoteWarning, stacklevel=2)
    fraction = float(data_config["test_fraction"])
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {fraction}")
    n_test = round(fraction * len(data.X)) if len(data.X) >= 20 else 0
    if n_test == 0:
        return Split(data, None, "none held out", train_rows=np.arange(len(data.X)))
    order = np.random.default_rng(seed).permutation(len(data.X))
    test_rows, train_rows = np.sort(order[:n_test]), np.sort(order[n_test:])
    return Split(
        _subset(data, train_rows),
        _subset(data, test_rows),
        f"{fraction:.0%} of the rows, drawn with seed {seed}",
        train_rows=train_rows,
        test_rows=test_rows,
    )


def _image_size(value: Any) -> tuple[int, int] | None:
    return None if value is None else parse_image_size(str(value))


def _streamable_size(path: Path) -> int | None:
    """Bytes on disk of a file or Parquet folder a run could stream, or None when it is not one."""
    if path.is_file() and path.suffix.lower() in (".npy", ".parquet", ".pq", ".csv", ".tsv", ".txt"):
        return path.stat().st_size
    if path.is_dir():
        parts = list(path.glob("*.parquet"))
        return sum(p.stat().st_size for p in parts) if parts else None
    return None


def should_stream(data_config: dict[str, Any]) -> bool:
    """Whether the run streams its data: ``stream`` "always", or "auto" and a file past :data:`STREAM_ABOVE_BYTES`."""
    how = data_config.get("stream", "auto")
    if how not in STREAM_CHOICES:
        raise ValueError(f"stream must be one of {', '.join(STREAM_CHOICES)}, got {how!r}")
    if how != "auto":
        return how == "always"
    size = _streamable_size(Path(str(data_config["source"])))
    return size is not None and size > STREAM_ABOVE_BYTES


_MEMORY_ONLY = ("columns", "label", "id", "key", "split", "categorical", "numeric", "count", "binary")


def load_stream_split(data_config: dict[str, Any], seed: int, sample_rows: int = SAMPLE_ROWS) -> Split:
    """Open the data on disk and hold out a seeded ``test_fraction`` of its rows, reading none of them whole.

    The training rows are a :class:`~vaekit.data.stream.RowSubset` (``fit_source``);
    ``train`` and ``test`` hold up to ``sample_rows`` rows of each part, drawn at
    random, in memory, with their row numbers in the file as ids.
    """
    from vaekit.data.stream import RowSubset, open_stream, read_rows
    from vaekit.data.stream.statistics import check_finite

    given = [key for key in _MEMORY_ONLY if data_config.get(key) not in (None, [])]
    if given:
        raise ValueError(
            f"a streamed run reads every column of a numeric table or image folder; {', '.join(given)} "
            "(and labels, ids and mixed columns) need the data in memory: leave them out, or do not stream"
        )
    source = open_stream(
        str(data_config["source"]),
        sep=data_config["sep"],
        decimal=data_config["decimal"],
        header=data_config["header"],
        image_size=_image_size(data_config["image_size"]),
        image_mode=data_config["image_mode"],
    )
    fraction = float(data_config["test_fraction"])
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {fraction}")
    n = source.n_rows
    n_test = round(fraction * n) if n >= 20 else 0
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    test = np.zeros(n, dtype=bool)
    test[order[:n_test]] = True
    kind = "images" if len(source.sample_shape) >= 2 else "table"

    names, labels = (
        getattr(source, "ids", None),
        getattr(source, "labels", None),
    )  # an image folder's files, sub-folders
    drawn: dict[str, np.ndarray] = {}

    def sample(part: np.ndarray, which: str) -> LoadedData:
        rows = drawn[which] = np.sort(rng.choice(part, size=min(sample_rows, len(part)), replace=False))
        return LoadedData(
            X=check_finite(source, read_rows(source, rows), rows), labels=None if labels is None else labels[rows],
            ids=rows if names is None else names[rows], feature_names=source.feature_names,
            label_name=None if labels is None else "folder", id_name=NUMBERED if names is None else "file",
            source=str(data_config["source"]), kind=kind,
        )  # fmt: skip

    train_rows, test_rows = np.flatnonzero(~test), np.flatnonzero(test)
    how = f"{fraction:.0%} of the rows, drawn with seed {seed}" if n_test else "none held out"
    how += f"; streamed: measured on {min(sample_rows, len(train_rows)):,} training rows drawn at random"
    if n_test:
        how += f" and {min(sample_rows, n_test):,} test rows"
    train_sample, test_sample = sample(train_rows, "train"), sample(test_rows, "test") if n_test else None
    return Split(
        train_sample,
        test_sample,
        how,
        fit_source=RowSubset(source, ~test) if n_test else source,
        n_train=n - n_test,
        n_test=n_test,
        train_rows=drawn["train"],
        test_rows=drawn.get("test"),
    )


def describe(split: Split) -> str:
    """What a run read, in one line for ``vaekit train`` to print first.

    The rows or images, their size (and for images, grey or RGB, and their order),
    where the labels and the ids came from, and how the test part was held out. For
    example ``"read 36 images from 'photos': 16x16 pixels (height x width), grey, in
    natural order of their paths (2.png before 10.png); labels: the sub-folder names, 3
    values: cats, dogs, owls; 32 train, 4 test (10% of the rows, drawn with seed 0)"``.
    """
    data, n = split.train, split.n_train + split.n_test
    source = f"'{data.source}'"
    if data.kind == "images":
        shape = data.X.shape[1:]
        mode = "grey" if len(shape) == 2 else "RGB" if shape[0] == 3 else f"{shape[0]} channels"
        parts = [f"read {n:,} images from {source}: {shape[-2]}x{shape[-1]} pixels (height x width), {mode}"]
        if data.id_name == "file":
            parts[0] += ", in natural order of their paths (2.png before 10.png)"
    else:
        width = data.X.shape[1]
        parts = [f"read {n:,} rows x {width} feature column{'s' if width != 1 else ''} from {source}"]
    if data.labels is not None:
        values = np.unique(np.asarray(data.labels).astype(str))
        shown = ", ".join(values[:6]) + (", ..." if len(values) > 6 else "")
        where = "the sub-folder names" if data.label_name == "folder" else f"column '{data.label_name}'"
        parts.append(f"labels: {where}, {len(values)} values: {shown}")
    if data.ids is not None and data.id_name not in (NUMBERED, "file"):
        parts.append(f"ids: column '{data.id_name}'" if data.id_name else "ids: the first column (no name)")
    if split.fit_source is not None:
        parts.append("streamed from disk")
    held = f"all {n:,} train" if split.test is None else f"{split.n_train:,} train, {split.n_test:,} test"
    return "; ".join([*parts, f"{held} ({split.how})"])
