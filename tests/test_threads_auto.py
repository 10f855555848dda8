"""threads="auto": one thread for small steps and data-parallel processes, else the faster of 1 and torch's default."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vaekit import VAE
from vaekit.estimators import _base as base
from vaekit.training import threads as probe
from vaekit.training.runtime import DEFAULT_THREADS


class Tiny(torch.nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(width, width)


def test_small_steps_and_parallel_processes_keep_one_thread_untimed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probe, "_time_steps", lambda *a: pytest.fail("timed"))
    batch = torch.zeros(128, 8)
    assert probe.choose_threads(Tiny(8), batch, 4, parallel=False) == (
        1,
        {"threads": 1, "threads_reason": "small step"},
    )
    big = Tiny(400)  # 128 rows x 160,400 parameters: past MIN_WORK
    assert probe.choose_threads(big, torch.zeros(128, 400), 4, parallel=True)[0] == 1
    assert probe.choose_threads(big, torch.zeros(128, 400), 1, parallel=False)[1]["threads_reason"] == "one core"


@pytest.mark.parametrize(("one", "many", "chosen"), [(1.0, 0.5, 4), (1.0, 0.85, 1), (1.0, 3.0, 1)])
def test_the_default_is_kept_only_when_clearly_faster(
    monkeypatch: pytest.MonkeyPatch, one: float, many: float, chosen: int
) -> None:
    monkeypatch.setattr(probe, "_time_steps", lambda model, x, c, threads: one if threads == 1 else many)
    count, facts = probe.choose_threads(Tiny(400), torch.zeros(128, 400), 4, parallel=False)
    assert count == chosen == facts["threads"] and facts["threads_reason"].startswith("timed")


def test_a_fit_records_its_choice_and_gives_the_callers_count_back() -> None:
    before = torch.get_num_threads()
    X = np.random.default_rng(0).normal(size=(300, 64)).astype(np.float32)
    model = VAE(epochs=1, hidden=(256,), random_state=0, verbose=0).fit(X)  # 128 x ~70k parameters: timed
    assert model.training_settings_["threads"] in (1, DEFAULT_THREADS)
    assert str(model.training_settings_["threads_reason"]).startswith(("timed", "one core"))
    assert torch.get_num_threads() == before and "_fitting_threads" not in model.__dict__
    fixed = VAE(epochs=1, threads=1, random_state=0, verbose=0).fit(X)
    assert "threads" not in fixed.training_settings_  # only "auto" is chosen, and said


def test_freed_memory_is_handed_back_without_error() -> None:
    from vaekit.training.runtime import release_freed_memory

    release_freed_memory()  # glibc's malloc_trim where there is one, a no-op elsewhere
    release_freed_memory()


def test_a_streamed_fit_times_its_step_on_a_batch_of_its_shape(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    shapes: list[tuple[int, ...]] = []
    real = probe._time_steps

    def spy(model: torch.nn.Module, x: torch.Tensor, condition: object, threads: int) -> float:
        shapes.append(tuple(x.shape))
        return real(model, x, condition, threads)

    monkeypatch.setattr(probe, "_time_steps", spy)
    monkeypatch.setattr(base, "DEFAULT_THREADS", 2)  # as on a machine of 2 cores or more (the suite may run on 1)
    path = f"{tmp_path}/rows.npy"
    np.save(path, np.random.default_rng(0).normal(size=(300, 64)).astype(np.float32))
    model = VAE(epochs=1, hidden=(256,), random_state=0, verbose=0).fit(path)  # streamed from disk
    assert shapes and set(shapes) == {(128, 64)}  # timed at 1 thread and the default, on a batch of its shape
    assert str(model.training_settings_["threads_reason"]).startswith("timed")
