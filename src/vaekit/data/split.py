"""How a run reads its data and holds out a test part: the ``[data]`` table of ``config.toml``.

Light on purpose (numpy and pandas, no torch): ``vaekit train`` reads and checks the
data before it imports the estimators, so a refused file costs a fraction of a second.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.data import builtin as datasets
from vaekit.data.loaded import DataNoteWarning, LoadedData
from vaekit.data.read import parse_image_size, read_data

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

    A streamed run (:func:`load_stream_split`) trains on ``fit_source``, its training
    rows on disk; ``train`` and ``test`` are then random samples of the two parts,
    in memory, for the metrics, figures and explorer.
    """

    train: LoadedData
    test: LoadedData | None
    how: str  # how the test part was chosen, for the report
    fit_source: Any = None  # a vaekit.data.stream.ChunkSource of the training rows, when streamed
    n_train: int = -1  # rows of each part (when streamed, more than the samples hold)
    n_test: int = -1

    def __post_init__(self) -> None:
        if self.n_train < 0:
            self.n_train = len(self.train.X)
        if self.n_test < 0:
            self.n_test = 0 if self.test is None else len(self.test.X)


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
    }
    builtin_with_test = not Path(source).exists() and source in datasets.list() and data_config["split"] is None
    if builtin_with_test and "test" in datasets.describe(source, data_config["data_dir"]).splits:
        train = read_data(source, split="train", **options)
        return Split(train, read_data(source, split="test", **options), "the data set's own test split")
    data = read_data(source, split=data_config["split"], **options)
    for note in data.notes:  # how the rows that a model is to be trained on were read
        warnings.warn(note, DataNoteWarning, stacklevel=2)
    fraction = float(data_config["test_fraction"])
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {fraction}")
    n_test = round(fraction * len(data.X)) if len(data.X) >= 20 else 0
    if n_test == 0:
        return Split(data, None, "none held out")
    order = np.random.default_rng(seed).permutation(len(data.X))
    test_rows, train_rows = np.sort(order[:n_test]), np.sort(order[n_test:])
    return Split(
        _subset(data, train_rows), _subset(data, test_rows), f"{fraction:.0%} of the rows, drawn with seed {seed}"
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

    def sample(part: np.ndarray) -> LoadedData:
        rows = np.sort(rng.choice(part, size=min(sample_rows, len(part)), replace=False))
        return LoadedData(
            X=check_finite(source, read_rows(source, rows), rows), labels=None, ids=rows, feature_names=source.feature_names, label_name=None,
            id_name="row", source=str(data_config["source"]), kind=kind,
        )  # fmt: skip

    train_rows, test_rows = np.flatnonzero(~test), np.flatnonzero(test)
    how = f"{fraction:.0%} of the rows, drawn with seed {seed}" if n_test else "none held out"
    how += f"; streamed: measured on {min(sample_rows, len(train_rows)):,} training rows drawn at random"
    if n_test:
        how += f" and {min(sample_rows, n_test):,} test rows"
    return Split(
        sample(train_rows),
        sample(test_rows) if n_test else None,
        how,
        fit_source=RowSubset(source, ~test) if n_test else source,
        n_train=n - n_test,
        n_test=n_test,
    )
