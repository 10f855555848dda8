"""How a run reads its data and holds out a test part: the ``[data]`` table of ``config.toml``.

Light on purpose (numpy and pandas, no torch): ``vaekit train`` reads and checks the
data before it imports the estimators, so a refused file costs a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.data import builtin as datasets
from vaekit.data.loaded import LoadedData
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
}
"""The ``[data]`` keys of a run's configuration and their defaults."""


@dataclass
class Split:
    """The rows a run trains on and the rows it is measured on."""

    train: LoadedData
    test: LoadedData | None
    how: str  # how the test part was chosen, for the report


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
