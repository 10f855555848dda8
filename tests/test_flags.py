"""The command line's words: every flag a message names exists, column options name the flag typed, one note per fact."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer

import vaekit
from conftest import TINY, CliRun
from vaekit.cli import app
from vaekit.cli.flags import kind_options, to_flags

SOURCE = Path(vaekit.__file__).parent
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?![\w-])")
OTHER_PROGRAMS = {"--nproc-per-node"}
"""Flags of other programs that vaekit's help quotes (torchrun's)."""
PYTHON_ONLY = {"images", "names"}
"""Parameters that messages of :mod:`vaekit.data` name and that the command line always passes itself
(``write_images``'s images and names): no user of ``vaekit`` meets them."""


def cli_flags() -> set[str]:
    """Every long option of every ``vaekit`` command, and the kind options ``vaekit train`` parses itself."""
    flags = {"--help"}

    def walk(command: object) -> None:
        for param in getattr(command, "params", []):
            if getattr(param, "param_type_name", "") == "option":
                flags.update(o for o in param.opts + param.secondary_opts if o.startswith("--"))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    for name, option in kind_options().items():
        flags.add(name)
        if isinstance(option.example, bool):
            flags.add("--no-" + name[2:])
    return flags


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes that are no command's help (a command's docstring is its --help text)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            command = any("command" in ast.unparse(d) for d in getattr(node, "decorator_list", []))
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and not command:
                found.add(id(first.value))
    return found


def _declared(tree: ast.AST) -> set[int]:
    """ids of the strings that declare an option (argparse's add_argument, typer.Option): not messages."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "add_argument",
            "Option",
        ):
            found.update(id(a) for a in node.args if isinstance(a, ast.Constant))
    return found


def named_flags() -> dict[str, list[str]]:
    """Each ``--flag`` in a string of the package's source (messages, help), with where it is."""
    named: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree) | _declared(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                for flag in FLAG.findall(node.value):
                    named.setdefault(flag, []).append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    return named


def test_every_flag_a_message_names_exists() -> None:
    named, known = named_flags(), cli_flags()
    assert len(named) > 30  # the scan finds the flags the messages name
    unknown = {flag: where for flag, where in named.items() if flag not in known | OTHER_PROGRAMS}
    assert not unknown, f"messages name flags that no command has: {unknown}"


def test_the_scan_catches_a_flag_that_does_not_exist() -> None:
    assert FLAG.findall("use --column-types or --no-header, not -x") == ["--column-types", "--no-header"]
    assert "--column-types" not in cli_flags()


def test_every_parameter_a_message_backticks_becomes_an_existing_flag() -> None:
    """Library messages name parameters in backticks; on the command line each is a flag that exists."""
    known = cli_flags()
    names = set()
    for path in sorted((SOURCE / "data").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                names.update(re.findall(r"(?<![`:\w])`([a-z_]+)`(?!`)", node.value))
    assert {"columns", "id_column", "label", "column_types"} <= names
    for name in names - PYTHON_ONLY:
        shown = FLAG.findall(to_flags(f"`{name}`"))
        assert shown and set(shown) <= known, f"`{name}` becomes {to_flags(f'`{name}`')!r} on the command line"


@pytest.fixture(scope="module")
def rows_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 rows; column 'c' has 10 levels seen once each, so some of them are only in the test rows."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=60), "n": rng.integers(0, 8, 60), "c": rng.choice(["p", "q"], 60)})
    frame.loc[range(0, 60, 6), "c"] = [f"rare{i}" for i in range(10)]
    path = tmp_path_factory.mktemp("rows") / "rows.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("flag", "column", "message"),
    [
        ("--categorical", "nope", "column 'nope', given as categorical (--categorical), is not a column"),
        ("--numeric", "nope", "column 'nope', given as continuous (--numeric), is not a column"),
        ("--count", "c", "column 'c' was given as count (--count) but holds text"),
        ("--binary", "a", "column 'a' was given as binary (--binary) but has"),
        ("--columns", "nope", "no column 'nope' for --columns"),
        ("--label", "nope", "no column 'nope' for --label"),
        ("--id", "nope", "no column 'nope' for --id"),
    ],
)
def test_a_column_option_error_names_the_flag_typed(
    cli: CliRun, rows_csv: Path, tmp_path: Path, flag: str, column: str, message: str
) -> None:
    result = cli("train", rows_csv, flag, column, "--out", tmp_path / "run", *TINY, ok=False)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vaekit train: error: ") and message in lines[0], lines
    assert "--column-types" not in result.stderr


def test_each_note_is_printed_once_per_command(cli: CliRun, rows_csv: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    train = cli("train", rows_csv, "--out", run, "--test-fraction", "0.3", *TINY)
    notes = [line for line in train.stderr.splitlines() if "note:" in line]
    assert len(notes) == 1 and "values not seen in training are treated as missing" in notes[0], notes
    score = cli("score", run, rows_csv, "-o", tmp_path / "scores.csv")
    notes = [line for line in score.stderr.splitlines() if "note:" in line]
    assert len(notes) == 1, notes
    named = re.findall(r"'(rare\d)'", notes[0])
    assert len(named) == len(set(named))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("train", "{csv}", "--test-fraction", "1.5"), "--test-fraction must be in [0, 1)"),
        (("convert", "{csv}", "{out}", "--row-group-rows", "0"), "--row-group-rows must be a positive integer"),
        (("train", "digits", "--image-size", "0x5"), "--image-size '0x5' is not an image size"),
    ],
)
def test_a_bare_parameter_name_in_an_error_becomes_the_flag(
    args: tuple[str, ...], expected: str, cli: CliRun, rows_csv: Path, tmp_path: Path
) -> None:
    argv = [a.format(csv=rows_csv, out=tmp_path / "o.parquet") for a in args]
    result = cli(*argv, ok=False)
    assert expected in result.stderr, result.stderr


def test_a_column_named_like_a_parameter_stays_its_name() -> None:
    message = "column 'test_fraction' is not a column; test_fraction must be in [0, 1)"
    mapped = to_flags(message, {"test_fraction": "--test-fraction"})
    assert mapped == "column 'test_fraction' is not a column; --test-fraction must be in [0, 1)"
