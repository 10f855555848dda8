"""Noise that belongs to a row: standard normal, a function of the row and the seed only."""

from __future__ import annotations

import numpy as np
import torch

from vaekit.distributions.row_noise import row_normals


def test_each_rows_draws_depend_on_that_row_and_the_seed_only() -> None:
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(50, 7)).astype(np.float32))
    whole = row_normals(x, None, 4, 3, seed=0)  # (K, B, dim)
    assert whole.shape == (4, 50, 3) and whole.dtype == torch.float64
    alone = row_normals(x[17:18], None, 4, 3, seed=0)
    assert torch.equal(alone[:, 0], whole[:, 17])
    assert torch.equal(row_normals(x.flip(0), None, 4, 3, seed=0), whole.flip(1))
    assert not torch.equal(row_normals(x, None, 4, 3, seed=1), whole)
    twice = torch.cat([x[:1], x[:1]])
    drawn = row_normals(twice, None, 4, 3, seed=0)
    assert torch.equal(drawn[:, 0], drawn[:, 1])  # equal rows, equal draws
    labels = torch.eye(2)[[0, 1]]
    conditioned = row_normals(twice, labels, 4, 3, seed=0)
    assert not torch.equal(conditioned[:, 0], conditioned[:, 1])  # the condition is part of the row


def test_the_draws_are_standard_normal_and_unrelated_across_rows_and_slots() -> None:
    x = torch.from_numpy(np.random.default_rng(1).normal(size=(20_000, 5)).astype(np.float32))
    eps = row_normals(x, None, 2, 4, seed=0).numpy().reshape(2, 20_000, 4)
    flat = eps.reshape(-1)
    assert abs(flat.mean()) < 0.02 and abs(flat.std() - 1.0) < 0.02
    assert abs(np.mean(flat**4) - 3.0) < 0.15  # the normal's fourth moment
    columns = eps.transpose(1, 0, 2).reshape(20_000, -1)  # (rows, K * dim)
    correlations = np.corrcoef(columns, rowvar=False)[np.triu_indices(8, 1)]
    assert np.abs(correlations).max() < 0.04
    neighbours = np.corrcoef(columns[:-1, 0], columns[1:, 0])[0, 1]  # consecutive rows
    assert abs(neighbours) < 0.04
