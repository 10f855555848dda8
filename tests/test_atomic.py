"""Tests of vaekit._atomic: files and folders appear whole, or not at all.

Each test checks the target's content and that no temporary file or folder is left
beside it, after a success and after a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vaekit import _atomic as atomic
from vaekit._atomic import atomic_file, replace_dir, staging_dir, write_atomic


class _Boom(RuntimeError):
    pass


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- files


def test_write_atomic_bytes_and_text(tmp_path: Path) -> None:
    assert write_atomic(tmp_path / "a.bin", b"\x00\x01") == tmp_path / "a.bin"
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    write_atomic(str(tmp_path / "b.txt"), "caf\u00e9\nline\r\n")  # a str path; text is UTF-8, newlines as given
    assert (tmp_path / "b.txt").read_bytes() == "caf\u00e9\nline\r\n".encode()
    assert _names(tmp_path) == ["a.bin", "b.txt"]


def test_write_atomic_refuses_an_existing_file_unless_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "z.csv"
    target.write_text("precious")
    with pytest.raises(FileExistsError, match=r"z\.csv' already exists; use `overwrite` to replace it"):
        write_atomic(target, "new")
    assert target.read_text() == "precious" and _names(tmp_path) == ["z.csv"]
    write_atomic(target, "new", overwrite=True)
    assert target.read_text() == "new" and _names(tmp_path) == ["z.csv"]


def test_a_folder_is_not_replaced_by_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(FileExistsError):
        write_atomic(tmp_path / "out", b"x")
    assert (tmp_path / "out").is_dir() and _names(tmp_path) == ["out"]


def test_failed_write_leaves_no_temporary_and_keeps_the_target(tmp_path: Path) -> None:
    target = tmp_path / "x.npy"
    target.write_bytes(b"old")
    with pytest.raises(_Boom), atomic_file(target, overwrite=True) as temporary:
        temporary.write_bytes(b"half")
        raise _Boom
    assert target.read_bytes() == b"old" and _names(tmp_path) == ["x.npy"]
    with pytest.raises(_Boom), atomic_file(tmp_path / "new.npy") as temporary:
        raise _Boom
    assert _names(tmp_path) == ["x.npy"]


def test_failed_rename_leaves_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_replace(src: object, dst: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    (tmp_path / "t.txt").write_text("old")
    with pytest.raises(OSError, match="disk gone"):
        write_atomic(tmp_path / "t.txt", "new", overwrite=True)
    assert _names(tmp_path) == ["t.txt"] and (tmp_path / "t.txt").read_text() == "old"


def test_temporary_is_hidden_beside_the_target_and_keeps_its_suffix(tmp_path: Path) -> None:
    target = tmp_path / "images-idx3-ubyte.gz"
    with atomic_file(target) as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".")
        assert temporary.name.endswith(target.name) and temporary.exists() and not target.exists()
        temporary.write_bytes(b"data")
    assert _names(tmp_path) == [target.name] and target.read_bytes() == b"data"


def test_a_file_that_appears_during_the_write_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "race.txt"
    with pytest.raises(FileExistsError, match="already exists"), atomic_file(target) as temporary:
        temporary.write_text("mine")
        target.write_text("theirs")  # someone else got there first
    assert target.read_text() == "theirs" and _names(tmp_path) == ["race.txt"]


def test_file_system_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(atomic.os, "link", no_links)
    write_atomic(tmp_path / "a.txt", "first")
    with pytest.raises(FileExistsError):
        write_atomic(tmp_path / "a.txt", "second")
    assert (tmp_path / "a.txt").read_text() == "first" and _names(tmp_path) == ["a.txt"]


@pytest.mark.skipif(os.name != "posix", reason="umask is POSIX")
def test_permissions_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "f", b"x")
        with staging_dir(tmp_path / "d") as staging:
            replace_dir(staging, tmp_path / "d")
    finally:
        os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o755


# ---------------------------------------------------------------- folders


def test_staging_dir_then_replace_dir_creates_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "model"  # parents are created
    with staging_dir(target) as staging:
        assert staging.parent == target.parent and staging.name.startswith(".") and _names(staging) == []
        (staging / "config.json").write_text("{}")
        replace_dir(staging, target)
    assert _names(target.parent) == ["model"] and _names(target) == ["config.json"]


def test_replace_dir_swaps_a_folder_and_removes_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with staging_dir(target) as staging:
        (staging / "new.txt").write_text("new")
        replace_dir(staging, target)
    assert _names(target) == ["new.txt"] and _names(tmp_path) == ["model"]


def test_failure_in_staging_keeps_the_old_folder_and_removes_the_staging(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(_Boom), staging_dir(target) as staging:
        (staging / "half.txt").write_text("half")
        raise _Boom
    assert _names(tmp_path) == ["model"] and _names(target) == ["old.txt"]


def test_staging_not_moved_is_removed(tmp_path: Path) -> None:
    with staging_dir(tmp_path / "never") as staging:
        (staging / "f").write_text("x")
    assert _names(tmp_path) == []


def test_replace_dir_puts_the_old_folder_back_if_the_new_one_cannot_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    real_rename = os.rename

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst) == target and Path(src).name.startswith(".tmp-"):
            raise OSError("cannot move the new folder")
        real_rename(src, dst)

    with staging_dir(target) as staging:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)  # the two-rename fallback
        monkeypatch.setattr(atomic.os, "rename", rename)
        with pytest.raises(OSError, match="cannot move the new folder"):
            replace_dir(staging, target)
        monkeypatch.undo()
    assert _names(tmp_path) == ["model"] and _names(target) == ["old.txt"]
