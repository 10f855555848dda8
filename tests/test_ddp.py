"""Data-parallel training under torchrun: 2 CPU processes on gloo, rendezvous on localhost only.

Each test launches ``torchrun --standalone`` (a rendezvous on a free port of
localhost) as a real subprocess, bounded in time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

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


def _torchrun(script: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    launcher = Path(sys.executable).with_name("torchrun")
    command = [str(launcher)] if launcher.exists() else [sys.executable, "-m", "torch.distributed.run"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [*command, "--standalone", "--nproc-per-node", "2", str(script), *args],
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
