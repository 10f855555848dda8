"""Shared test set-up: one torch thread, and the CLI run in-process with models trained once.

``cli`` runs ``vaekit ARGS`` in this process with Typer's ``CliRunner`` (the real
subprocess checks are in ``test_cli_smoke.py``). ``digits_run`` and ``table_run``
are run folders trained once per session and shared by the tests that only read
them; a test that changes a run copies it first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner, Result

# The models in these tests are tiny; a second intra-op thread does not speed them
# up, and on a shared 2-core machine it makes them many times slower (threads wait
# on each other while other processes hold the cores). One thread also keeps the
# numbers independent of the machine's core count.
torch.set_num_threads(1)

TINY = ("--epochs", "2", "--hidden", "16", "--quiet")
"""Options of a quick training run: enough to write every part of a run folder."""

CliRun = Callable[..., Result]


@pytest.fixture(scope="session")
def cli() -> CliRun:
    """``cli(*args, ok=True)``: run ``vaekit ARGS`` in-process.

    ok=True asserts exit code 0, ok=False asserts exit code 1 (a user error, which
    the command reports on stderr). An exception the command does not turn into an
    exit code propagates with its traceback, as it is a bug, not a user error.
    """
    from vaekit.cli import app

    runner = CliRunner()

    def run(*args: str | Path, ok: bool = True) -> Result:
        argv = [str(a) for a in args]
        result = runner.invoke(app, argv, prog_name="vaekit", catch_exceptions=False)
        expected = 0 if ok else 1
        assert result.exit_code == expected, (
            f"vaekit {' '.join(argv)} gave exit code {result.exit_code}, expected {expected}:\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result

    return run


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory: pytest.TempPathFactory, cli: CliRun) -> tuple[Path, Result]:
    """A 2-D VAE (convolutional, the default for images) trained on the built-in digits."""
    out = tmp_path_factory.mktemp("digits") / "runs" / "digits"
    return out, cli("train", "digits", "--out", out, "--latent-dim", "2", *TINY)


@pytest.fixture(scope="session")
def table_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 rows: id column 'name', 4 numeric features, label column 'group' (text)."""
    rng = np.random.default_rng(0)
    t = rng.normal(size=(200, 1))
    features = np.hstack([t, 2 * t + 0.1 * rng.normal(size=(200, 1)), np.sin(t), rng.normal(size=(200, 1))])
    frame = pd.DataFrame(features, columns=["a", "b", "c", "d"])
    frame.insert(0, "name", [f"row{i}" for i in range(200)])
    frame["group"] = np.where(t[:, 0] > 0, "high", "low")
    path = tmp_path_factory.mktemp("table") / "measurements.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def table_run(table_csv: Path, cli: CliRun) -> Path:
    """A 2-D VAE (an MLP) trained on ``table_csv``, with its ids and labels."""
    out = table_csv.parent / "runs" / "table"
    cli("train", table_csv, "--id", "name", "--label", "group", "--out", out, *TINY)
    return out


@pytest.fixture()
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run the test with tmp_path as the working directory."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path


SLOW_FIRST = (
    "test_ddp.py::",
    "test_cli_smoke.py::test_train_end_to_end",
    "test_cli_smoke.py::test_a_refused_file",
    "test_cli.py::test_sweep_draws_error",
    "test_checkpoint.py::test_a_fit_killed",
    "test_tutorial.py::",
    "test_reliability_numbers.py::test_cli_train_on_degenerate_tables",
    "test_dialects.py::test_cli_sep_decimal_and_config_round_trip",
    "test_checkpoint.py::test_a_stopped_run",
    "test_fit_stream.py::test_vaekit_train_streams",
)
"""The longest tests (5-12 s each, most of them whole subprocesses), started first.

pytest-xdist hands tests to its workers in collection order; when these come last,
one worker runs them while the other has finished, and the suite takes 20-30 s longer.
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put :data:`SLOW_FIRST` at the front, otherwise keeping pytest's order."""
    items.sort(key=lambda item: not any(slow in item.nodeid for slow in SLOW_FIRST))
