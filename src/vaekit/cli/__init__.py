"""The ``vaekit`` command line: a thin layer over the Python API.

Every command parses its options, calls the library, and prints or writes the
result. Heavy imports (torch, matplotlib, pandas) happen inside the commands, so
``vaekit --help`` stays fast. Errors the user can act on (bad data, a missing model,
a file that would be overwritten) are printed as one line on stderr with exit code
1; ``--debug`` shows the traceback instead.

The commands live in :mod:`vaekit.cli.train` (train, sweep), :mod:`vaekit.cli.use`
(encode, decode, reconstruct, sample), :mod:`vaekit.cli.impute` (impute),
:mod:`vaekit.cli.detect` (score) and :mod:`vaekit.cli.examine` (evaluate, plot,
summary, datasets), :mod:`vaekit.cli.explore` (explore), :mod:`vaekit.cli.convert` (convert) and :mod:`vaekit.cli.export` (export);
:mod:`vaekit.cli.flags` maps parameter names to flags.
"""

from __future__ import annotations

import signal
import sys

# Each module adds its commands to app, in the order --help lists them.
from vaekit.cli import train  # noqa: F401

# isort: split
from vaekit.cli import use  # noqa: F401

# isort: split
from vaekit.cli import impute  # noqa: F401

# isort: split
from vaekit.cli import detect  # noqa: F401

# isort: split
from vaekit.cli import examine  # noqa: F401

# isort: split
from vaekit.cli import explore  # noqa: F401

# isort: split
from vaekit.cli import convert  # noqa: F401

# isort: split
from vaekit.cli import export  # noqa: F401
from vaekit.cli._app import app

__all__ = ["Terminated", "app", "main"]

TERMINATED_EXIT = 128 + signal.SIGTERM
"""Exit status after SIGTERM, as a shell reports a process that it ended."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a batch scheduler's time limit): a command stops as Ctrl-C stops it,
    so a run in training keeps its checkpoint and says how to resume it."""


_terminated: list[int] = []


def _terminate(signum: int, frame: object) -> None:
    _terminated.append(signum)
    raise Terminated


def main() -> None:
    """Entry point of the ``vaekit`` console script."""
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        app(prog_name="vaekit")
    except SystemExit as done:
        if _terminated:  # stopped by SIGTERM, which typer reports as Ctrl-C (130)
            sys.exit(TERMINATED_EXIT)
        raise done from None
