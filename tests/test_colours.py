"""One colour per class in every figure and in the explorer (issue 25, item 9)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from matplotlib.colors import to_hex

from conftest import CliRun
from vaekit.plots.colours import CLASS_COLOURS, class_colours, label_categories
from vaekit.plots.latent import plot_latent_scatter


def test_classes_come_in_one_order_numbers_by_value() -> None:
    codes, names = label_categories(np.array([10, 2, 2, 1]))  # type: ignore[misc]  # classes, not None
    assert names == ["1", "2", "10"] and codes.tolist() == [2, 1, 1, 0]  # not "1", "10", "2"
    codes, names = label_categories(np.array(["owl", "cat", None, "cat"], dtype=object))  # type: ignore[misc]
    assert names == ["cat", "owl"] and codes.tolist() == [1, 0, -1, 0]
    codes, names = label_categories(np.array([3.0, np.nan, 1.0]))  # type: ignore[misc]
    assert names == ["1", "3"] and codes.tolist() == [1, -1, 0]
    assert label_categories(np.arange(21)) is None  # too many numbers: a scale
    assert label_categories(np.array([0.5, 1.0])) is None


def test_a_class_keeps_its_colour_however_many_classes_there_are() -> None:
    assert class_colours(3) == list(CLASS_COLOURS[:3])
    assert class_colours(15)[:3] == class_colours(3)


def test_the_latent_figure_and_the_explorer_colour_a_class_alike(digits_run, cli: CliRun, tmp_path: Path) -> None:
    run, _ = digits_run
    cli("explore", run, "-o", tmp_path / "explore.html")
    text = (tmp_path / "explore.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="vaekit-data">(.*?)</script>', text, re.S)[1])
    label = data["columns"][0]
    assert label["name"] == "digit" and label["categories"] == [str(d) for d in range(10)]
    figure = plot_latent_scatter(np.random.default_rng(0).normal(size=(10, 2)), np.arange(10), "digit")
    legend = figure.axes[0].get_legend()
    shown = {
        text.get_text(): to_hex(handle.get_color()) for text, handle in zip(legend.get_texts(), legend.legend_handles)
    }
    assert [shown[name] for name in label["categories"]] == label["colours"]
    names = data["points"]["names"]
    assert len(names) == data["points"]["n"] and names[:2] == ["row 0", "row 1"]
