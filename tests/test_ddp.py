"""Data-parallel training under torchrun: 2 CPU processes on gloo, rendezvous on localhost only.

The first test launches ``torchrun --standalone`` (a rendezvous on a free port of
localhost) as a real subprocess, bounded in time. The second launches two ``torchrun``
agents of one process each, as two machines of a cluster would (``--nnodes 2``, a
c10d rendezvous on a free port of 127.0.0.1), to train with ``vaekit train``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

import vaekit
from conftest import TINY
from vaekit import AutoEncoder

FIT = """
import json, os, sys
import numpy as np
from safetensors.torch import save_file
import vaekit.training.loop as training
from vaekit import AutoEncoder

rng = np.random.default_rng(0)
t = rng.normal(size=(400, 2))
X = np.hstack([t, t @ rng.normal(size=(2, 4)) + 0.1 * rng.normal(size=(400, 4))]).astype(np.float32)
PARAMS = dict(latent_dim=2, hidden=(8,), batch_size=32, epochs=40, patience=2, lr=0.01, random_state=0, verbose=0, threads=1)
if __name__ == "__main__":
    out, rank = sys.argv[1], os.environ.get("RANK", "0")
    est = AutoEncoder(**PARAMS).fit(X)
    save_file({k: v.contiguous() for k, v in est.model_.state_dict().items()}, f"{out}/rank{rank}.safetensors")
    with open(f"{out}/rank{rank}.json", "w") as f:
        json.dump({"epochs": est.n_epochs_, "best": est.best_epoch_, "val": est.history_["val_loss"]}, f)
    # then a second fit, in which rank 1 fails in its third epoch while rank 0 waits in a collective
    if rank == "1":
        real, calls = training._evaluate, [0]
        def evaluate(*args, **kwargs):
            calls[0] += 1
            if calls[0] == 3:
                raise ValueError("rank 1 cannot go on: its disk went away")
            return real(*args, **kwargs)
        training._evaluate = evaluate
    AutoEncoder(**PARAMS).fit(X)
    open(f"{out}/second-fit-rank{rank}", "w").close()  # never reached
"""


NODE = """
import json, os, runpy, sys
from pathlib import Path
from safetensors.torch import save_file
from vaekit.estimators._base import BaseAutoEncoder

# `python -m vaekit ARGS` for each ARGS of runs.json in turn; each process's PID (and its agent's)
# and its trained weights beside this script
here, rank = Path(__file__).parent, os.environ["RANK"]
(here / f"rank{rank}.pid").write_text(f"{os.getpid()} {os.getppid()}")
real = BaseAutoEncoder.fit
def fit(self, *args, **kwargs):
    real(self, *args, **kwargs)
    save_file({k: v.contiguous() for k, v in self.model_.state_dict().items()}, str(here / f"rank{rank}.safetensors"))
    return self
BaseAutoEncoder.fit = fit
for args in json.loads((here / "runs.json").read_text()):
    sys.argv = ["vaekit", *args]
    try:
        runpy.run_module("vaekit", run_name="__main__")
    except SystemExit as end:
        if end.code:
            raise
"""


def _launcher() -> list[str]:
    launcher = Path(sys.executable).with_name("torchrun")
    return [str(launcher)] if launcher.exists() else [sys.executable, "-m", "torch.distributed.run"]


def _torchrun(script: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [*_launcher(), "--standalone", "--nproc-per-node", "2", str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_two_processes_train_the_model_one_process_trains_and_a_failing_rank_ends_the_job(tmp_path: Path) -> None:
    script = tmp_path / "fit.py"
    script.write_text(textwrap.dedent(FIT))
    done = _torchrun(script, str(tmp_path))
    # the second fit: rank 1's error stops the job (torchrun ends rank 0, waiting in a collective), no hang
    assert done.returncode != 0 and "rank 1 cannot go on: its disk went away" in done.stderr, done.stderr[-3000:]
    assert not list(tmp_path.glob("second-fit-*"))
    namespace: dict[str, object] = {}
    exec(textwrap.dedent(FIT).split('if __name__ == "__main__":')[0], namespace)
    alone = AutoEncoder(**namespace["PARAMS"]).fit(namespace["X"])  # type: ignore[arg-type]
    ranks = [load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1)]
    runs = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    # DDP keeps the ranks' weights equal; early stopping, decided on all-reduced losses, stops both at one epoch
    assert all(torch.equal(ranks[0][k], ranks[1][k]) for k in ranks[0])
    assert runs[0] == runs[1]
    assert runs[0]["epochs"] == alone.n_epochs_ < 40 and runs[0]["best"] == alone.best_epoch_
    np.testing.assert_allclose(runs[0]["val"], alone.history_["val_loss"], rtol=1e-4)
    for name, value in alone.model_.state_dict().items():  # the same global batches: the same model
        torch.testing.assert_close(ranks[0][name], value, rtol=1e-4, atol=1e-5)


class Nodes:
    """Two ``torchrun`` agents, each the one process of a machine, in ``folder``: ``vaekit RUN`` for each RUN.

    Node 0 holds the rendezvous store (``is_host=1``), node 1 joins it; each agent's
    output is in ``node{i}.out``/``.err``, and its process's own stderr under ``logs/node{i}``.
    """

    def __init__(self, folder: Path, *runs: list[str]) -> None:
        self.folder = folder
        script = folder / "node.py"
        script.write_text(textwrap.dedent(NODE))
        (folder / "runs.json").write_text(json.dumps(runs))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        launch = [
            *_launcher(),
            *("--nnodes", "2", "--nproc-per-node", "1", "--max-restarts", "0"),
            *("--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", uuid.uuid4().hex),
            "--local-addr", "127.0.0.1",
        ]  # fmt: skip
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        self.agents = []
        for node in (0, 1):
            options = ("--rdzv-conf", f"is_host={1 - node},join_timeout=30,read_timeout=30")
            logs = ("--log-dir", str(folder / "logs" / f"node{node}"), "--tee", "2")
            with open(folder / f"node{node}.out", "w") as out, open(folder / f"node{node}.err", "w") as err:
                self.agents.append(
                    subprocess.Popen(
                        [*launch, *options, *logs, str(script)],
                        stdout=out,
                        stderr=err,
                        cwd=folder,
                        env=env,
                        start_new_session=True,
                    )
                )

    def wait(self, timeout: float = 90) -> list[int]:
        """Each agent's exit status (subprocess.TimeoutExpired after ``timeout`` s in all)."""
        deadline = time.monotonic() + timeout
        return [agent.wait(max(0.1, deadline - time.monotonic())) for agent in self.agents]

    def stop(self) -> None:
        """Kill the agents still running, with their processes."""
        for agent in self.agents:
            if agent.poll() is None:
                os.killpg(agent.pid, signal.SIGKILL)
                agent.wait()

    def text(self, name: str) -> str:
        return (self.folder / name).read_text()

    def report(self) -> str:
        return "\n".join(f"{name}:\n{self.text(name)[-2000:]}" for name in ("node0.err", "node1.err"))


def test_two_machines_train_one_run_and_a_machine_killed_in_training_ends_the_job(
    tmp_path: Path, table_csv: Path
) -> None:
    runs, data = tmp_path / "runs", [str(table_csv), "--id", "name", "--label", "group"]
    endless = ["--epochs", "100000", "--patience", "0", "--hidden", "16", "--quiet"]
    nodes = Nodes(
        tmp_path,
        ["train", *data, "--out", str(runs / "two"), *TINY],
        ["train", *data, "--out", str(runs / "killed"), *endless],
    )
    try:  # rank 1's process is killed in the second run, once rank 0 has written a checkpoint of it
        deadline = time.monotonic() + 60
        while not list(runs.glob("killed/checkpoint/*/epoch-*")):
            assert time.monotonic() < deadline and all(a.poll() is None for a in nodes.agents), nodes.report()
            time.sleep(0.05)
        pid, agent = map(int, (tmp_path / "rank1.pid").read_text().split())
        os.kill(pid, signal.SIGKILL)
        codes = nodes.wait()
    finally:  # after a failed assertion or a hang
        nodes.stop()
    # the first run: rank 0 alone wrote it, it loads, and every rank trained the same weights
    written = [i for i in (0, 1) if f"Run written to {runs / 'two'}" in nodes.text(f"node{i}.out")]
    assert len(written) == 1 and json.loads((runs / "two" / "metrics.json").read_text())["processes"] == 2
    model = vaekit.load(runs / "two", device="cpu").model_.state_dict()
    ranks = [load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1)]
    assert ranks[0].keys() == ranks[1].keys() == model.keys()
    assert all(torch.equal(ranks[0][k], ranks[1][k]) and torch.equal(ranks[0][k], model[k]) for k in model)
    # the second: both machines exit non-zero, no hang; rank 0 meets the lost process in its next
    # collective and says so in one line, not a traceback, and leaves nothing of the new run
    killed = [a.pid for a in nodes.agents].index(agent)
    survivor = 1 - killed
    assert codes[killed] != 0 and codes[survivor] != 0, nodes.report()
    (stderr,) = (tmp_path / "logs" / f"node{survivor}").glob("**/stderr.log")
    lines = stderr.read_text().strip().splitlines()
    assert lines and lines[-1].startswith("vaekit train: error: rank 0 of 2 lost another process"), nodes.report()
    assert "Traceback" not in stderr.read_text() and lines[-1] in nodes.text(f"node{survivor}.err")
    assert [p.name for p in runs.iterdir()] == ["two"]
