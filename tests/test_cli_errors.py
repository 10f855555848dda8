"""Every command, with bad arguments: one line on stderr, exit 1 (or 2 for a usage error), never a traceback.

The commands and their parameters are read from the application itself, so a new
command or option is walked too. Each case changes one thing in an otherwise valid
invocation: a positional argument becomes a bad file or folder, or an option gets a
bad value. A bug (an exception the command does not turn into a user error) exits 70
with "internal error", which fails here as well.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer.main
from typer.testing import CliRunner

from conftest import CliRun
from vaekit.cli import app

COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]
QUICK = ["--epochs", "1", "--hidden", "4", "--quiet"]
"""Options that keep a training command fast when a bad value is accepted."""
BAD_VALUES = ["-1", "0", "abc", "", "x" * 300]
"""Values for every option that takes one (after the first value an option accepts, the rest are skipped:
a free-form option such as --data-dir takes them all, and each accepted value costs a training run)."""
TRAIN_BAD_VALUES = ["-1", "abc", "x" * 300]
"""For train and sweep, whose accepted values each cost a whole run: "0" and "" are valid for most of their
options (--seed 0, --patience 0, --categorical ''), so they are left to the other commands' walks."""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Good and bad inputs: a small table and a run trained on it, and a palette of broken files."""
    root = tmp_path_factory.mktemp("walk")
    rng = np.random.default_rng(0)
    table = root / "table.csv"
    pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"]).to_csv(table, index=False)
    latents = root / "latents.csv"
    pd.DataFrame(rng.normal(size=(5, 2)), columns=["z0", "z1"]).to_csv(latents, index=False)
    run = root / "run"
    result = CliRunner().invoke(app, ["train", str(table), "--out", str(run), "--latent-dim", "2", *QUICK])
    assert result.exit_code == 0, result.output
    bad = {
        "missing": root / "does-not-exist.csv",
        "empty": root / "empty.csv",
        "garbage": root / "garbage.csv",
        "folder": root / "a-folder",
        "text-column": root / "text.csv",
        "npy-garbage": root / "garbage.npy",
        "config-garbage": root / "bad-model",
    }
    bad["empty"].write_bytes(b"")
    bad["garbage"].write_bytes(bytes(rng.integers(0, 256, size=512, dtype=np.uint8)))
    bad["folder"].mkdir()
    bad["text-column"].write_text("a,b,c\n1,x,2\n3,y,4\n")
    bad["npy-garbage"].write_bytes(b"\x93NUMPY\x01\x00" + bytes(rng.integers(0, 256, size=100, dtype=np.uint8)))
    bad["config-garbage"].mkdir()
    (bad["config-garbage"] / "config.json").write_text(json.dumps({"format": "vaekit-model", "class": 3}))
    (bad["config-garbage"] / "model.safetensors").write_bytes(b"\x00" * 16)
    return {"table": table, "latents": latents, "run": run, "root": root, **bad}


def valid_args(command: str, files: dict[str, Path], out: Path) -> list[str]:
    """A valid invocation of ``command`` (the walk changes one thing in it)."""
    run, table = str(files["run"]), str(files["table"])
    return {
        "train": [table, "--out", str(out / "run"), *QUICK],
        "sweep": [table, "--out", str(out / "sweep"), "--latent-dims", "1", "--models", "ae", *QUICK],
        "encode": [run, table, "-o", str(out / "z.csv")],
        "decode": [run, str(files["latents"]), "-o", str(out / "d.csv")],
        "reconstruct": [run, table, "-o", str(out / "r.csv")],
        "sample": [run, "-o", str(out / "s.csv"), "-n", "3"],
        "evaluate": [run, table],
        "impute": [run, table, "-o", str(out / "f.csv")],
        "score": [run, table, "-o", str(out / "scores.csv")],
        "explore": [run, table, "-o", str(out / "e.html")],
        "plot": [run, table, "--kind", "latent", "-o", str(out / "p.png")],
        "summary": [run],
        "datasets": [],
        "convert": [table, str(out / "table.parquet")],
        "export": [run, "-o", str(out / "onnx")],
    }[command]


def cases() -> list[tuple[str, str, str]]:
    """(command, what is changed, the bad value) for every command, argument and option.

    An option several commands share through one code path is walked in one of them:
    the data options (read by ``_read``) in ``encode`` and ``train`` (which reads through
    the run configuration), the training options in ``train`` rather than ``sweep``.
    """
    found = []
    walked: set[tuple[str, str]] = set()
    for name in sorted(COMMANDS, key=lambda n: (n not in ("encode", "train"), n)):
        for param in COMMANDS[name].params:
            if param.param_type_name == "argument":
                found += [(name, f"argument {param.name}", bad) for bad in
                          ("missing", "empty", "garbage", "folder", "text-column", "npy-garbage", "config-garbage")]  # fmt: skip
                continue
            if getattr(param, "is_flag", False):
                continue
            option = param.opts[0]
            family = (
                "train" if name in ("train", "sweep") else "use" if "model" in COMMANDS[name].params[0].name else name
            )
            if (family, option) in walked and option not in ("--output",):
                continue
            walked.add((family, option))
            values = TRAIN_BAD_VALUES if family == "train" else BAD_VALUES
            found += [(name, option, value) for value in values]
    return found


def substitute(args: list[str], command: str, what: str, bad: str, files: dict[str, Path]) -> list[str]:
    if what.startswith("argument "):
        names = [p.name for p in COMMANDS[command].params if p.param_type_name == "argument"]
        position = names.index(what.removeprefix("argument "))
        args = list(args)
        args[position] = str(files[bad])
        return args
    if what in args:  # replace the value already given
        args = list(args)
        args[args.index(what) + 1] = bad
        return args
    return [*args, what, bad]


def groups() -> list[tuple[str, str]]:
    """(command, what is changed) pairs: one test each, so the walk spreads over the test workers."""
    return sorted({(name, what) for name, what, _ in cases()})


@pytest.mark.parametrize(("command", "changed"), groups())
def test_every_command_gives_one_line_errors_never_a_traceback(
    command: str, changed: str, files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a bad --out or --data-dir value is a relative path: keep it here
    runner = CliRunner()
    checked = 0
    failures: list[str] = []
    accepted: set[str] = set()
    for name, what, bad in cases():
        if (name, what) != (command, changed) or what in accepted:
            continue
        out = tmp_path / f"case{checked}"
        out.mkdir()
        args = [command, *substitute(valid_args(command, files, out), command, what, bad, files)]
        result = runner.invoke(app, args, catch_exceptions=True)
        checked += 1
        if result.exit_code == 0:
            accepted.add(what)  # a bad-looking value the command accepts (e.g. --seed 0) is fine if it works
            continue
        stderr = result.stderr.strip()
        problem = None
        if not isinstance(result.exception, SystemExit) or result.exit_code not in (1, 2):
            problem = f"exit {result.exit_code}, {type(result.exception).__name__}: {result.exception}"
        elif "Traceback" in result.output or "Traceback" in stderr:
            problem = "a traceback"
        elif result.exit_code == 1 and not stderr.splitlines()[-1].startswith(f"vaekit {command}: error: "):
            problem = f"not a one-line error: {stderr[-300:]!r}"
        if problem:
            failures.append(f"vaekit {' '.join(args[:1])} {what}={bad[:20]!r}: {problem}")
    assert checked > 0
    assert not failures, f"{len(failures)} of {checked} cases:\n" + "\n".join(failures[:20])


def test_the_walk_covers_every_command_and_option() -> None:
    walked = {(name, what) for name, what, _ in cases()}
    options = {what for _, what, _ in cases()}
    for name, command in COMMANDS.items():
        for param in command.params:
            if param.param_type_name == "argument":
                assert (name, f"argument {param.name}") in walked
            elif not getattr(param, "is_flag", False):
                assert param.opts[0] in options, (name, param.opts)


@pytest.mark.parametrize("command", ["encode", "reconstruct", "score", "impute", "plot", "explore"])
@pytest.mark.parametrize("where", ["the data", "a link to the data", "a hard link to the data", "inside the run"])
def test_no_output_is_written_onto_an_input(
    command: str, where: str, cli: CliRun, table_csv: Path, table_run: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data.csv"
    shutil.copy(table_csv, data)
    output = {
        "the data": data,
        "a link to the data": tmp_path / "link.csv",
        "a hard link to the data": tmp_path / "hard.csv",
        "inside the run": table_run / "extra.csv",
    }[where]
    if where == "a link to the data":
        output.symlink_to(data)
    if where == "a hard link to the data":
        os.link(data, output)
    if command in ("plot", "explore"):  # outputs of their own kinds
        output = output.with_suffix(".png" if command == "plot" else ".html")
        if where != "inside the run":
            data.rename(output)
            data = output
    before = hashlib.sha256(data.read_bytes()).hexdigest()
    run_files = sorted(p.name for p in table_run.iterdir())
    extra = ["--kind", "latent"] if command == "plot" else []
    result = cli(
        command, table_run, data, "--id", "name", "--label", "group", "-o", output, "--force", *extra, ok=False
    )
    assert "input" in result.stderr and "error:" in result.stderr, result.stderr
    assert hashlib.sha256(data.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in table_run.iterdir()) == run_files


def test_the_library_x_is_data_on_the_command_line(cli: CliRun, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=60), "k": rng.choice(["u", "v"], size=60)}).to_csv(
        tmp_path / "t.csv", index=False
    )
    cli("train", tmp_path / "t.csv", "--out", tmp_path / "run", "--epochs", "1", "--quiet")
    result = cli("score", tmp_path / "run", "digits", "-o", tmp_path / "s.csv", ok=False)
    assert "error: DATA 'digits' must be a table" in result.stderr, result.stderr
