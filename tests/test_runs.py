"""Run-folder helpers: the hint for a slow convolutional network on the CPU."""

from __future__ import annotations

import pytest

from vaekit.runs.findings import slow_conv_note


@pytest.mark.parametrize(
    "architecture, shape, noted",
    [
        ("auto", (60000, 28, 28), True),  # MNIST: the conv net would take minutes per epoch
        ("auto", (20000, 3, 32, 32), True),
        ("auto", (1797, 8, 8), False),  # digits: fast enough
        ("auto", (1965, 28, 20), False),  # Frey faces
        ("conv", (60000, 28, 28), False),  # asked for by name: the user chose it
        ("mlp", (60000, 28, 28), False),
        ("auto", (60000, 784), False),  # a table gets an MLP anyway
    ],
)
def test_slow_conv_note(architecture: str, shape: tuple[int, ...], noted: bool) -> None:
    note = slow_conv_note({"architecture": architecture, "device": "cpu"}, shape)
    assert (note is not None) == noted
    if noted:
        assert note is not None and "`architecture` mlp" in note and f"{shape[0]:,} images" in note
