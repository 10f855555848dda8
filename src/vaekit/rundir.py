"""A run folder on disk: whether a path is one, and how a new one is put in place.

Light on purpose (no torch, no scikit-learn): ``vaekit train`` checks its ``--out``
before it reads the data or imports anything heavy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vaekit.data.atomic import replace_dir, staging_dir

RUN_FILES = ("config.toml", "metrics.json")


def is_run_dir(path: Path) -> bool:
    """True for a directory written by :func:`vaekit.runs.train_run` (so ``force`` may replace it)."""
    return path.is_dir() and all((path / name).is_file() for name in RUN_FILES)


def next_free(path: Path) -> Path:
    """``path`` if it does not exist, else ``path-2``, ``path-3``, ..."""
    if not path.exists():
        return path
    i = 2
    while path.with_name(f"{path.name}-{i}").exists():
        i += 1
    return path.with_name(f"{path.name}-{i}")


def check_target(out: Path, force: bool) -> None:
    """Raise unless ``out`` may be written: absent, or a run directory and ``force``."""
    if not out.exists():
        return
    if not force:
        raise FileExistsError(f"{out} already exists; use `force` to replace it, or `out` to choose another folder")
    if not is_run_dir(out):
        raise FileExistsError(
            f"{out} exists and is not a vaekit run directory; refusing to replace it even with `force`"
        )


@contextmanager
def staged_directory(out: Path, force: bool) -> Iterator[Path]:
    """Yield a staging folder beside ``out``; on success it becomes ``out``."""
    check_target(out, force)
    with staging_dir(out) as staging:
        yield staging
        check_target(out, force)  # nothing appeared meanwhile that we may not replace
        replace_dir(staging, out)
