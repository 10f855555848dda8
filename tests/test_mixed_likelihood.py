"""The mixed-table likelihood against torch.distributions, with gaps, sample dims, draws and a fit."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from vaekit.data.table.layout import ColumnLayout, params_per_column
from vaekit.distributions.mixed import MIN_LOGVAR, MixedTable, MixedTableHead

# kind, levels (categorical), center, scale (count)
SPEC: list[tuple[str, int, float, float]] = [
    ("continuous", 0, 0.0, 1.0),
    ("count", 0, 1.2, 0.7),
    ("binary", 0, 0.0, 1.0),
    ("categorical", 3, 0.0, 1.0),
    ("continuous", 0, 0.0, 1.0),
    ("categorical", 4, 0.0, 1.0),
    ("count", 0, 0.0, 1.0),
    ("categorical", 3, 0.0, 1.0),
]


def make_layout(spec: Sequence[tuple[str, int, float, float]] = SPEC) -> list[ColumnLayout]:
    layout, in_offset, param_offset = [], 0, 0
    for kind, levels, center, scale in spec:
        n_inputs = levels if kind == "categorical" else 1
        n_params = params_per_column(kind, levels)
        layout.append(ColumnLayout(kind, in_offset, n_inputs, param_offset, n_params, center, scale))
        in_offset += n_inputs + 1
        param_offset += n_params
    return layout


LAYOUT = make_layout()
N_PARAMS = sum(c.n_params for c in LAYOUT)
N_ENCODED = LAYOUT[-1].observed_at + 1
CONTINUOUS = [j for j, c in enumerate(LAYOUT) if c.kind == "continuous"]


def encode(values: Tensor, observed: Tensor, layout: Sequence[ColumnLayout] = LAYOUT) -> Tensor:
    """Target-space values (B, n_columns) and a 0/1 mask -> the encoded table (B, n_encoded)."""
    x = torch.zeros(values.shape[0], layout[-1].observed_at + 1, dtype=torch.float64)
    for j, col in enumerate(layout):
        v, seen = values[:, j], observed[:, j].bool()
        if col.kind == "categorical":
            block = F.one_hot(v.long(), col.n_inputs).to(x.dtype)
            x[:, col.in_offset : col.observed_at] = torch.where(seen[:, None], block, 0.0)
        else:
            enc = (torch.log1p(v) - col.center) / col.scale if col.kind == "count" else v
            x[:, col.in_offset] = torch.where(seen, enc, 0.0)
        x[:, col.observed_at] = seen.to(x.dtype)
    return x


def random_case(batch: int = 7, seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """(params (B, n_params), logvar (n_continuous,), target values (B, n_columns)), float64."""
    g = torch.Generator().manual_seed(seed)
    params = torch.randn(batch, N_PARAMS, generator=g, dtype=torch.float64) * 1.5
    logvar = torch.randn(len(CONTINUOUS), generator=g, dtype=torch.float64) * 0.5
    values = torch.empty(batch, len(LAYOUT), dtype=torch.float64)
    for j, col in enumerate(LAYOUT):
        if col.kind == "continuous":
            values[:, j] = torch.randn(batch, generator=g, dtype=torch.float64) * 2
        elif col.kind == "count":
            values[:, j] = torch.randint(0, 40, (batch,), generator=g).to(torch.float64)
        else:
            values[:, j] = torch.randint(0, max(col.n_inputs, 2), (batch,), generator=g).to(torch.float64)
    return params, logvar, values


def reference_columns(params: Tensor, logvar: Tensor, values: Tensor) -> Tensor:
    """Each column's log-probability from torch.distributions, (..., B, n_columns)."""
    columns, c = [], 0
    for j, col in enumerate(LAYOUT):
        p, v = params[..., col.param_offset : col.param_offset + col.n_params], values[:, j]
        if col.kind == "continuous":
            dist = torch.distributions.Normal(p[..., 0], torch.exp(0.5 * logvar[c]))
            c += 1
        elif col.kind == "count":
            dist = torch.distributions.NegativeBinomial(total_count=p[..., 1].exp(), logits=p[..., 0] - p[..., 1])
        elif col.kind == "binary":
            dist = torch.distributions.Bernoulli(logits=p[..., 0])
        else:
            dist = torch.distributions.Categorical(logits=p)
        columns.append(dist.log_prob(v))
    return torch.stack(columns, dim=-1)


def test_each_kind_matches_torch_distributions() -> None:
    params, logvar, values = random_case()
    x = encode(values, torch.ones_like(values))
    table = MixedTable(params, LAYOUT, logvar)
    expected = reference_columns(params, logvar, values)
    torch.testing.assert_close(table.log_prob_columns(x), expected)
    torch.testing.assert_close(table.log_prob(x), expected.sum(-1))


def test_float32_matches_too() -> None:
    params, logvar, values = random_case(seed=3)
    x = encode(values, torch.ones_like(values)).float()
    got = MixedTable(params.float(), LAYOUT, logvar.float()).log_prob_columns(x)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.double(), reference_columns(params, logvar, values), rtol=1e-4, atol=1e-4)


def test_count_tends_to_poisson_as_dispersion_grows() -> None:
    layout = make_layout([("count", 0, 0.5, 2.0)])
    counts = torch.arange(0, 30, dtype=torch.float64)[:, None]
    x = encode(counts, torch.ones_like(counts), layout)
    log_mean = torch.full((30, 1), math.log(6.0), dtype=torch.float64)
    params = torch.cat([log_mean, torch.full_like(log_mean, 25.0)], dim=1)  # r = e^25
    got = MixedTable(params, layout, torch.zeros(0, dtype=torch.float64)).log_prob(x)
    expected = torch.distributions.Poisson(torch.tensor(6.0, dtype=torch.float64)).log_prob(counts[:, 0])
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)


def test_missing_entries_add_exactly_nothing_even_over_garbage() -> None:
    params, logvar, values = random_case(batch=40, seed=1)
    params.requires_grad_(True)
    logvar.requires_grad_(True)
    observed = (torch.rand(values.shape, generator=torch.Generator().manual_seed(2)) < 0.6).to(torch.float64)
    full = MixedTable(params, LAYOUT, logvar).log_prob_columns(encode(values, torch.ones_like(values)))
    x = encode(values, observed)
    garbage = torch.tensor([math.inf, -math.inf, math.nan, 1e308, -1e30, 3.7])
    for j, col in enumerate(LAYOUT):  # write garbage into every missing value slot
        rows = observed[:, j] == 0
        fill = garbage[torch.arange(int(rows.sum())) % len(garbage)].to(x.dtype)
        x[rows, col.in_offset : col.observed_at] = fill[:, None]
    table = MixedTable(params, LAYOUT, logvar)
    got = table.log_prob_columns(x)
    assert torch.isfinite(got).all()
    assert (got[observed == 0] == 0).all()
    torch.testing.assert_close(got[observed == 1], full.detach()[observed == 1])
    got.sum().backward()
    assert params.grad is not None and torch.isfinite(params.grad).all()
    assert logvar.grad is not None and torch.isfinite(logvar.grad).all()
    # A row with nothing observed contributes nothing and pulls on no parameter.
    none_seen = MixedTable(params, LAYOUT, logvar).log_prob(encode(values, torch.zeros_like(values)))
    assert (none_seen == 0).all()


def test_leading_sample_dims_broadcast_against_the_table() -> None:
    params, logvar, values = random_case(batch=5, seed=4)
    stacked = torch.stack([params, params * 0.5, -params])  # (S, B, n_params)
    x = encode(values, torch.ones_like(values))  # (B, n_encoded)
    table = MixedTable(stacked, LAYOUT, logvar)
    got = table.log_prob_columns(x)
    assert got.shape == (3, 5, len(LAYOUT))
    for s in range(3):
        torch.testing.assert_close(got[s], MixedTable(stacked[s], LAYOUT, logvar).log_prob_columns(x))
    torch.testing.assert_close(got, reference_columns(stacked, logvar, values))
    assert table.log_prob(x).shape == (3, 5)
    assert table.mean.shape == (3, 5, N_ENCODED)
    assert table.point().shape == table.sample().shape == (3, 5, len(LAYOUT))
    # The other way round: one set of params against (S, B, n_encoded) tables.
    assert MixedTable(params, LAYOUT, logvar).log_prob(x.expand(2, -1, -1)).shape == (2, 5)


def test_gradients_reach_params_and_the_head() -> None:
    head = MixedTableHead(LAYOUT)
    assert head.n_params == N_PARAMS
    _, _, values = random_case(seed=5)
    params = torch.randn(7, N_PARAMS, requires_grad=True)
    head(params).log_prob(encode(values, torch.ones_like(values)).float()).sum().backward()
    assert params.grad is not None and (params.grad != 0).all()
    assert head.logvar.grad is not None and (head.logvar.grad != 0).all()


def test_head_starts_at_unit_variance_and_floors_the_variance() -> None:
    head = MixedTableHead(LAYOUT)
    assert head.logvar.shape == (len(CONTINUOUS),)
    assert torch.equal(head(torch.zeros(1, N_PARAMS)).logvar, torch.zeros(len(CONTINUOUS)))
    with torch.no_grad():
        head.logvar.fill_(-30.0)
    torch.testing.assert_close(head(torch.zeros(1, N_PARAMS)).logvar, torch.full((2,), MIN_LOGVAR))
    assert math.isclose(MIN_LOGVAR, math.log(1e-4))


def test_mean_is_the_expected_encoded_row() -> None:
    params, logvar, _ = random_case(seed=6)
    mean = MixedTable(params, LAYOUT, logvar).mean
    assert mean.shape == (7, N_ENCODED)
    for col in LAYOUT:
        p = params[:, col.param_offset : col.param_offset + col.n_params]
        got = mean[:, col.in_offset : col.observed_at]
        if col.kind == "continuous":
            expected = p
        elif col.kind == "count":
            expected = (torch.log1p(p[:, :1].exp()) - col.center) / col.scale
        elif col.kind == "binary":
            expected = torch.sigmoid(p)
        else:
            expected = torch.softmax(p, dim=-1)
        torch.testing.assert_close(got, expected)
        assert (mean[:, col.observed_at] == 1).all()


def test_point_and_probabilities() -> None:
    params, logvar, _ = random_case(seed=7)
    table = MixedTable(params, LAYOUT, logvar)
    point, probabilities = table.point(), table.probabilities()
    assert point.shape == (7, len(LAYOUT)) and len(probabilities) == len(LAYOUT)
    for j, col in enumerate(LAYOUT):
        p = params[:, col.param_offset : col.param_offset + col.n_params]
        if col.kind == "continuous":
            torch.testing.assert_close(point[:, j], p[:, 0])
            assert probabilities[j] is None
        elif col.kind == "count":
            torch.testing.assert_close(point[:, j], p[:, 0].exp().round())
            assert probabilities[j] is None
        elif col.kind == "binary":
            pr = probabilities[j]
            assert pr is not None and pr.shape == (7, 2)
            torch.testing.assert_close(pr[:, 1], torch.sigmoid(p[:, 0]))
            torch.testing.assert_close(pr.sum(-1), torch.ones(7, dtype=pr.dtype))
            assert torch.equal(point[:, j], (pr[:, 1] >= 0.5).to(point.dtype))
        else:
            pr = probabilities[j]
            assert pr is not None and pr.shape == (7, col.n_inputs)
            torch.testing.assert_close(pr, torch.softmax(p, dim=-1))
            assert torch.equal(point[:, j], p.argmax(-1).to(point.dtype))


def test_samples_have_the_model_moments_and_follow_the_generator() -> None:
    params, logvar, _ = random_case(batch=2, seed=8)
    params = params.clamp(-2.0, 2.0)
    table = MixedTable(params.expand(40_000, -1, -1), LAYOUT, logvar)  # (N, B, n_params)
    draws = table.sample(torch.Generator().manual_seed(0))
    assert draws.shape == (40_000, 2, len(LAYOUT))
    assert torch.equal(draws, table.sample(torch.Generator().manual_seed(0)))
    c = 0
    for j, col in enumerate(LAYOUT):
        p, d = params[:, col.param_offset : col.param_offset + col.n_params], draws[..., j]
        if col.kind == "continuous":
            torch.testing.assert_close(d.mean(0), p[:, 0], atol=0.05, rtol=0)
            torch.testing.assert_close(d.var(0), logvar[c].exp().expand(2), atol=0, rtol=0.05)
            c += 1
            continue
        assert torch.equal(d, d.round()) and (d >= 0).all()
        if col.kind == "count":
            m, r = p[:, 0].exp(), p[:, 1].exp()
            torch.testing.assert_close(d.mean(0), m, atol=0, rtol=0.05)
            torch.testing.assert_close(d.var(0), m + m**2 / r, atol=0, rtol=0.15)
        elif col.kind == "binary":
            torch.testing.assert_close(d.mean(0), torch.sigmoid(p[:, 0]), atol=0.015, rtol=0)
        else:
            frequencies = F.one_hot(d.long(), col.n_inputs).to(d.dtype).mean(0)
            torch.testing.assert_close(frequencies, torch.softmax(p, -1), atol=0.015, rtol=0)


def test_fit_recovers_the_tables_distribution() -> None:
    """Free params (one row, shared by all) fit by Adam recover the observed data's statistics."""
    g = torch.Generator().manual_seed(9)
    n = 1000
    layout = make_layout(
        [("continuous", 0, 0.0, 1.0), ("count", 0, 1.0, 0.8), ("binary", 0, 0.0, 1.0), ("categorical", 3, 0.0, 1.0)]
    )
    values = torch.stack(
        [
            1.5 + 0.5 * torch.randn(n, generator=g, dtype=torch.float64),
            torch.poisson(torch._standard_gamma(torch.full((n,), 2.0), generator=g) * 2.0, generator=g).double(),
            (torch.rand(n, generator=g) < 0.3).double(),
            torch.multinomial(torch.tensor([0.2, 0.5, 0.3]), n, replacement=True, generator=g).double(),
        ],
        dim=1,
    )
    # Gaps that depend on the value, so fitting the gaps too would shift every statistic.
    observed = torch.ones_like(values)
    observed[(values[:, 2] == 1) & (torch.rand(n, generator=g) < 0.5), 2] = 0
    observed[(values[:, 3] == 0) & (torch.rand(n, generator=g) < 0.5), 3] = 0
    observed[(values[:, 0] > 1.5) & (torch.rand(n, generator=g) < 0.5), 0] = 0
    x = encode(values, observed, layout).float()
    head = MixedTableHead(layout)
    free = torch.zeros(1, head.n_params, requires_grad=True)
    optimizer = torch.optim.Adam([free, *head.parameters()], lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        loss = -head(free.expand(n, -1)).log_prob(x).mean()
        loss.backward()
        optimizer.step()
    fitted = head(free.detach())
    seen = [values[observed[:, j] == 1, j] for j in range(4)]
    assert fitted.mean[0, 0].item() == pytest.approx(seen[0].mean().item(), abs=0.005)
    assert head.logvar.exp().item() == pytest.approx(seen[0].var().item(), rel=0.02)
    assert fitted.point()[0, 1].item() == seen[1].mean().round().item()
    log_mean = free[0, 1] * 0.8 + 1.0  # the head reads a count's log mean on its column's scale (0.8) and center (1.0)
    assert log_mean.exp().item() == pytest.approx(seen[1].mean().item(), rel=0.01)
    probabilities = fitted.probabilities()
    assert probabilities[2] is not None and probabilities[3] is not None
    assert probabilities[2][0, 1].item() == pytest.approx(seen[2].mean().item(), abs=0.005)
    frequencies = F.one_hot(seen[3].long(), 3).double().mean(0).float()
    torch.testing.assert_close(probabilities[3][0], frequencies, atol=0.005, rtol=0)


def test_mismatched_shapes_and_layouts_are_refused() -> None:
    params, logvar, values = random_case()
    with pytest.raises(ValueError, match="params"):
        MixedTable(params[:, :-1], LAYOUT, logvar)
    with pytest.raises(ValueError, match="logvar"):
        MixedTable(params, LAYOUT, logvar[:1])
    with pytest.raises(ValueError, match="x has"):
        MixedTable(params, LAYOUT, logvar).log_prob(encode(values, torch.ones_like(values))[:, :-1])
    with pytest.raises(ValueError, match="kind"):
        MixedTableHead([ColumnLayout("ordinal", 0, 1, 0, 1)])
    with pytest.raises(ValueError, match="n_params"):
        MixedTableHead([ColumnLayout("count", 0, 1, 0, 1)])


def test_the_head_reads_a_counts_log_mean_on_its_columns_scale() -> None:
    """An untrained decoder (outputs 0) starts at the column's typical count, exp(center), not at 1."""
    layout = make_layout([("count", 0, 4.6, 0.5), ("continuous", 0, 0.0, 1.0)])
    head = MixedTableHead(layout)
    table = head(torch.zeros(3, head.n_params))
    assert torch.allclose(table.point()[:, 0], torch.full((3,), float(round(math.exp(4.6)))))
    table = head(torch.ones(3, head.n_params))
    assert torch.allclose(table.point()[:, 0], torch.full((3,), float(round(math.exp(4.6 + 0.5)))))


def test_an_underdispersed_count_keeps_a_finite_loss_and_gradient() -> None:
    """A count with less spread than a Poisson's drives its dispersion up; the head caps it before float32 overflows."""
    layout = make_layout([("count", 0, 1.5, 0.5)])
    head = MixedTableHead(layout)
    params = torch.zeros(4, head.n_params)
    params[:, 1] = 200.0  # log r far past exp's float32 range
    params.requires_grad_(True)
    x = encode(torch.tensor([[4.0], [4.0], [6.0], [8.0]], dtype=torch.float64), torch.ones(4, 1), layout).float()
    table = head(params)
    log_p = table.log_prob(x)
    log_p.sum().backward()
    assert torch.isfinite(log_p).all() and torch.isfinite(params.grad).all()
    poisson = torch.distributions.Poisson(torch.exp(table.params[:, 0].detach()))  # r = 1e5: Poisson to ~1e-3 nats
    torch.testing.assert_close(log_p.detach(), poisson.log_prob(torch.tensor([4.0, 4.0, 6.0, 8.0])), atol=2e-3, rtol=0)
