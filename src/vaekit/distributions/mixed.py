"""p(x|z) for a mixed table: one likelihood per column, summed into one log-likelihood in nats.

The encoded table and the decoder's output follow :mod:`vaekit.data.table.layout`;
each column's :class:`~vaekit.data.table.layout.ColumnLayout` says where its values,
its observed indicator and its parameters sit. Per kind, with ``t`` the column's
target (what its value is, the *target space*):

- ``continuous``: Gaussian N(t; mu, exp(logvar_j)) in standardized units, ``t`` the
  encoded value, ``mu`` the one parameter, ``logvar_j`` one learned number per
  continuous column (held by :class:`MixedTableHead`).
- ``count``: negative binomial with mean ``m = exp(a)`` and dispersion ``r = exp(b)``
  (parameters ``a, b``), variance ``m + m^2 / r``, ``t = round(expm1(encoded * scale
  + center))``. With ``l = a - b`` (the logit of torch's ``NegativeBinomial(total_count=r,
  logits=l)``)::

      log p(t) = lgamma(t + r) - lgamma(r) - lgamma(t + 1) - r softplus(l) + t (l - softplus(l))

  which never forms ``m / (r + m)`` and so neither overflows nor takes log 0. As r
  grows it tends to Poisson(m); ``lgamma(t + r) - lgamma(r)`` is the difference of two
  large numbers, so it is formed in float64 (in float32 it is off by 0.08 nats at
  r = 1e5), and
  :class:`MixedTableHead` caps ``b`` at ``MAX_LOG_DISPERSION = log(1e5)``: a column
  with less spread than a Poisson's (a count of cylinders) would otherwise push r to
  float32's overflow and the loss to NaN (seen: cars, beta 0.5, epoch 330).
- ``binary``: Bernoulli on the logit of 1 (binary cross-entropy with logits).
- ``categorical`` with K levels: softmax over the K logits; ``t`` the argmax of the
  one-hot block.

A missing entry (observed indicator 0; an entry counts as observed where its indicator
is above 0.5) contributes exactly 0: its target is
replaced by a harmless value *before* any arithmetic and the result is selected with
:func:`torch.where`, so neither the value nor its gradient can be NaN or inf, whatever
the encoded table holds there.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vaekit.data.table.layout import COLUMN_KINDS, ColumnLayout, params_per_column

LOG_2PI = math.log(2.0 * math.pi)

MIN_LOGVAR = math.log(1e-4)
"""Floor of the continuous columns' log-variance used by :class:`MixedTableHead`."""


@dataclass(frozen=True)
class _CategoricalGroup:
    """The categorical columns with the same number of levels K (n of them)."""

    columns: Tensor  # (n,) positions among the table's columns
    values: Tensor  # (n, K) positions of the one-hot blocks in the encoded row
    observed: Tensor  # (n,) positions of the observed indicators
    params: Tensor  # (n, K) positions of the logits in the decoder's output


@dataclass(frozen=True)
class _Index:
    """Index tensors of a layout, built once per (layout, device)."""

    n_columns: int
    n_encoded: int
    n_params: int
    kinds: tuple[str, ...]
    # Per scalar kind: (n_kind,) positions of columns, values, observed indicators, first params.
    columns: dict[str, Tensor]
    values: dict[str, Tensor]
    observed: dict[str, Tensor]
    params: dict[str, Tensor]
    center: Tensor  # (n_count,) float64
    scale: Tensor  # (n_count,) float64
    groups: tuple[_CategoricalGroup, ...]
    order: Tensor  # (n_columns,) puts the per-kind results, concatenated in _SCALAR_KINDS then group order, in column order
    all_observed: Tensor  # (n_columns,) every observed indicator


_SCALAR_KINDS = ("continuous", "count", "binary")


@functools.lru_cache(maxsize=64)
def _index(layout: tuple[ColumnLayout, ...], device: torch.device) -> _Index:
    for j, col in enumerate(layout):
        if col.kind not in COLUMN_KINDS:
            raise ValueError(f"column {j}: kind {col.kind!r} is not one of {COLUMN_KINDS}")
        expected = params_per_column(col.kind, col.n_inputs)
        if col.n_params != expected or (col.kind != "categorical" and col.n_inputs != 1):
            raise ValueError(f"column {j} ({col.kind}): n_inputs={col.n_inputs}, n_params={col.n_params} do not fit")

    def positions(values: list[int] | list[list[int]]) -> Tensor:
        return torch.tensor(values, dtype=torch.long, device=device)

    columns: dict[str, Tensor] = {}
    values: dict[str, Tensor] = {}
    observed: dict[str, Tensor] = {}
    params: dict[str, Tensor] = {}
    for kind in _SCALAR_KINDS:
        js = [j for j, col in enumerate(layout) if col.kind == kind]
        columns[kind] = positions(js)
        values[kind] = positions([layout[j].in_offset for j in js])
        observed[kind] = positions([layout[j].observed_at for j in js])
        params[kind] = positions([layout[j].param_offset for j in js])
    counts = [col for col in layout if col.kind == "count"]
    groups = []
    for k in sorted({col.n_inputs for col in layout if col.kind == "categorical"}):
        js = [j for j, col in enumerate(layout) if col.kind == "categorical" and col.n_inputs == k]
        groups.append(
            _CategoricalGroup(
                columns=positions(js),
                values=positions([list(range(layout[j].in_offset, layout[j].in_offset + k)) for j in js]),
                observed=positions([layout[j].observed_at for j in js]),
                params=positions([list(range(layout[j].param_offset, layout[j].param_offset + k)) for j in js]),
            )
        )
    concatenated = torch.cat([columns[kind] for kind in _SCALAR_KINDS] + [g.columns for g in groups])
    return _Index(
        n_columns=len(layout),
        n_encoded=max((col.observed_at + 1 for col in layout), default=0),
        n_params=max((col.param_offset + col.n_params for col in layout), default=0),
        kinds=tuple(col.kind for col in layout),
        columns=columns,
        values=values,
        observed=observed,
        params=params,
        center=torch.tensor([col.center for col in counts], dtype=torch.float64, device=device),
        scale=torch.tensor([col.scale for col in counts], dtype=torch.float64, device=device),
        groups=tuple(groups),
        order=torch.argsort(concatenated),
        all_observed=positions([col.observed_at for col in layout]),
    )


class MixedTable:
    """p(x|z) for a mixed table: per column a Gaussian, negative binomial, Bernoulli or categorical.

    See the module's doc for the parameterizations. Every kind is computed at once
    for all its columns (categorical columns grouped by their number of levels).

    Parameters
    ----------
    params : Tensor of shape (..., B, n_params)
        The decoder's output, laid out as ``layout`` says.
    layout : sequence of ColumnLayout
        One per column of the table, in column order.
    logvar : Tensor of shape (n_continuous,)
        Log-variance of each continuous column, in the order those columns appear
        in ``layout``.
    """

    def __init__(self, params: Tensor, layout: Sequence[ColumnLayout], logvar: Tensor) -> None:
        self.layout = tuple(layout)
        self.index = _index(self.layout, params.device)
        if params.shape[-1] != self.index.n_params:
            raise ValueError(f"params have {params.shape[-1]} numbers per row; the layout needs {self.index.n_params}")
        n_continuous = len(self.index.columns["continuous"])
        if logvar.shape != (n_continuous,):
            raise ValueError(
                f"logvar has shape {tuple(logvar.shape)}; the layout has {n_continuous} continuous columns"
            )
        self.params = params
        self.logvar = logvar

    # ------------------------------------------------------------------ parts
    def _param(self, kind: str, shift: int = 0) -> Tensor:
        """(..., B, n_kind): the ``shift``-th parameter of every column of ``kind``."""
        return self.params[..., self.index.params[kind] + shift]

    def _count_scaling(self) -> tuple[Tensor, Tensor]:
        dtype = self.params.dtype
        return self.index.center.to(dtype), self.index.scale.to(dtype)

    def _targets(self, x: Tensor) -> dict[str, tuple[Tensor, Tensor]]:
        """Per kind, (observed mask, target with a harmless 0 where missing), each (B, n_kind).

        Categorical groups are keyed by their position in ``index.groups`` as a string.
        """
        if x.shape[-1] != self.index.n_encoded:
            raise ValueError(f"x has {x.shape[-1]} numbers per row; the layout encodes {self.index.n_encoded}")
        out: dict[str, tuple[Tensor, Tensor]] = {}
        for kind in _SCALAR_KINDS:
            if not len(self.index.values[kind]):  # no column of this kind: no work (each op costs ~10 us)
                continue
            seen = x[..., self.index.observed[kind]] > 0.5
            value = torch.where(seen, x[..., self.index.values[kind]], torch.zeros((), dtype=x.dtype, device=x.device))
            if kind == "count":
                center, scale = self._count_scaling()
                value = torch.expm1(value * scale + center).round().clamp(min=0.0)
                value = torch.where(seen, value, torch.zeros_like(value))
            out[kind] = (seen, value)
        for g, group in enumerate(self.index.groups):
            seen = x[..., group.observed] > 0.5
            block = torch.nan_to_num(x[..., group.values], nan=0.0, posinf=0.0, neginf=0.0)  # (B, n, K)
            out[str(g)] = (seen, torch.where(seen, block.argmax(dim=-1), 0))
        return out

    def _in_column_order(self, parts: list[Tensor]) -> Tensor:
        """Concatenate per-kind results (..., B, n_kind) and put them in column order."""
        shape = torch.broadcast_shapes(*(p.shape[:-1] for p in parts))
        joined = torch.cat([p.expand(*shape, p.shape[-1]) for p in parts], dim=-1)
        return joined[..., self.index.order]

    # ------------------------------------------------------------ likelihood
    def log_prob_elements(self, x: Tensor) -> Tensor:
        """:meth:`log_prob_columns`, under the name the other likelihoods give their per-feature terms."""
        return self.log_prob_columns(x)

    def log_prob_columns(self, x: Tensor) -> Tensor:
        """Each column's log-likelihood in nats, exactly 0 where the column is missing.

        Parameters
        ----------
        x : Tensor of shape (B, n_encoded)
            The encoded table; it may have leading dims that broadcast against
            the params' (...).

        Returns
        -------
        Tensor of shape (..., B, n_columns)
        """
        zero = torch.zeros((), dtype=self.params.dtype, device=self.params.device)
        parts = [torch.where(seen, value, zero) for seen, value in self._parts(x)]
        return self._in_column_order(parts)

    def _parts(self, x: Tensor) -> list[tuple[Tensor, Tensor]]:
        """Per kind present, (observed mask (B, n_kind), log-likelihood (..., B, n_kind)), in kind order."""
        targets = self._targets(x.to(self.params.dtype))
        parts: list[tuple[Tensor, Tensor]] = []
        if "continuous" in targets:
            seen, t = targets["continuous"]
            mu = self._param("continuous")
            parts.append((seen, -0.5 * (LOG_2PI + self.logvar + (t - mu).pow(2) * torch.exp(-self.logvar))))
        if "count" in targets:
            seen, t = targets["count"]
            r_log, logits = self._param("count", 1), self._param("count") - self._param("count", 1)
            r, t64 = torch.exp(r_log.double()), t.double()  # lgamma(t + r) - lgamma(r): float64 keeps it exact
            soft = F.softplus(logits)
            gammas = (torch.lgamma(t64 + r) - torch.lgamma(r) - torch.lgamma(t64 + 1.0)).to(logits.dtype)
            parts.append((seen, gammas - r.to(logits.dtype) * soft + t * (logits - soft)))
        if "binary" in targets:
            seen, t = targets["binary"]
            logit, t = torch.broadcast_tensors(self._param("binary"), t)
            parts.append((seen, -F.binary_cross_entropy_with_logits(logit, t, reduction="none")))
        for g, group in enumerate(self.index.groups):
            seen, level = targets[str(g)]
            log_p = torch.log_softmax(self.params[..., group.params], dim=-1)  # (..., B, n, K)
            shape = torch.broadcast_shapes(log_p.shape[:-1], level.shape)
            picked = log_p.expand(*shape, log_p.shape[-1]).gather(-1, level.expand(shape).unsqueeze(-1))
            parts.append((seen, picked.squeeze(-1)))
        return parts

    def log_prob(self, x: Tensor) -> Tensor:
        """Summed over the columns: x of shape (B, n_encoded) -> (..., B), in nats."""
        zero = torch.zeros((), dtype=self.params.dtype, device=self.params.device)
        total: Tensor | None = None
        for seen, value in self._parts(x):  # the sum needs no column order
            part = torch.where(seen, value, zero).sum(dim=-1)
            total = part if total is None else total + part
        assert total is not None
        return total

    def nll(self, x: Tensor) -> Tensor:
        """``-log_prob(x)``: (B, n_encoded) -> (..., B), in nats."""
        return -self.log_prob(x)

    # ------------------------------------------------------------ summaries
    @property
    def mean(self) -> Tensor:
        """The expected encoded row, of shape (..., B, n_encoded).

        Continuous: the mean (standardized units); count: ``(log1p(E[count]) - center)
        / scale`` with ``log1p(exp(a)) = softplus(a)``; binary: the probability of 1;
        categorical: the K probabilities; every observed indicator: 1.
        """
        index = self.index
        out = self.params.new_zeros(*self.params.shape[:-1], index.n_encoded)
        out[..., index.values["continuous"]] = self._param("continuous")
        center, scale = self._count_scaling()
        out[..., index.values["count"]] = (F.softplus(self._param("count")) - center) / scale
        out[..., index.values["binary"]] = torch.sigmoid(self._param("binary"))
        for group in index.groups:
            probs = torch.softmax(self.params[..., group.params], dim=-1)  # (..., B, n, K)
            out[..., group.values.flatten()] = probs.flatten(-2)
        out[..., index.all_observed] = 1.0
        return out

    def point(self) -> Tensor:
        """One value per column in the target space, of shape (..., B, n_columns).

        Continuous: the mean (standardized units); count: the mean ``exp(a)`` rounded
        to the nearest integer (not the mode); binary: 1.0 where the probability of 1
        is at least 0.5 (logit >= 0), else 0.0; categorical: the index of the
        largest logit, as a float.
        """
        parts = [
            self._param("continuous"),
            torch.exp(self._param("count")).round(),
            (self._param("binary") >= 0).to(self.params.dtype),
        ]
        parts += [self.params[..., g.params].argmax(dim=-1).to(self.params.dtype) for g in self.index.groups]
        return self._in_column_order(parts)

    def probabilities(self) -> list[Tensor | None]:
        """Per column: binary (..., B, 2) as [p0, p1]; categorical (..., B, K); None for numbers."""
        out: list[Tensor | None] = [None] * self.index.n_columns
        logit = self._param("binary")
        pairs = torch.stack([torch.sigmoid(-logit), torch.sigmoid(logit)], dim=-1)  # (..., B, n_binary, 2)
        for i, j in enumerate(self.index.columns["binary"].tolist()):
            out[j] = pairs[..., i, :]
        for group in self.index.groups:
            probs = torch.softmax(self.params[..., group.params], dim=-1)
            for i, j in enumerate(group.columns.tolist()):
                out[j] = probs[..., i, :]
        return out

    @torch.no_grad()
    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        """One draw per column in the target space, of shape (..., B, n_columns); not differentiable.

        Continuous: ``mu + exp(0.5 logvar) * eps``; count: Gamma-Poisson,
        ``lambda ~ Gamma(shape=r, scale=m / r)``, ``count ~ Poisson(lambda)``; binary:
        Bernoulli; categorical: Gumbel-max over the logits. Every draw comes from
        ``generator`` (on the params' device) when one is given.
        """

        def noise(like: Tensor) -> Tensor:
            return torch.rand(like.shape, generator=generator, dtype=like.dtype, device=like.device)

        mu = self._param("continuous")
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
        parts = [mu + torch.exp(0.5 * self.logvar) * eps]
        log_mean, log_r = self._param("count"), self._param("count", 1)
        rate = torch._standard_gamma(torch.exp(log_r), generator=generator) * torch.exp(log_mean - log_r)
        parts.append(torch.poisson(rate, generator=generator))
        p = torch.sigmoid(self._param("binary"))
        parts.append((noise(p) < p).to(p.dtype))
        for group in self.index.groups:
            logits = self.params[..., group.params]
            gumbel = -torch.log(-torch.log(noise(logits)))
            parts.append((logits + gumbel).argmax(dim=-1).to(logits.dtype))
        return self._in_column_order(parts)


MAX_LOG_DISPERSION = math.log(1e5)
"""A count's log dispersion b = log r is capped here (r = 1e5: Poisson to within float32 for counts below ~1e3)."""


class MixedTableHead(nn.Module):
    """The learned part of a mixed table's likelihood: one log-variance per continuous column.

    The log-variance starts at 0 (unit variance in standardized units). The value
    used is clamped at ``MIN_LOGVAR = log(1e-4)`` (a standard deviation of 0.01
    standardized units): a column of repeated values would otherwise drive its
    variance to 0 and its log-likelihood to +inf. Below the floor the clamp passes
    no gradient, so the parameter stays where it is.

    Parameters
    ----------
    layout : sequence of ColumnLayout
    """

    count_at: Tensor  # buffers, registered in __init__
    count_scale: Tensor
    count_center: Tensor

    def __init__(self, layout: Sequence[ColumnLayout]) -> None:
        super().__init__()
        self.layout = tuple(layout)
        index = _index(self.layout, torch.device("cpu"))  # checks the layout
        self._n_params = index.n_params
        self.logvar = nn.Parameter(torch.zeros(len(index.columns["continuous"])))
        # A count's log mean is read on its column's own scale: decoder output o -> o * scale + center (the
        # standardization of log1p(count)), so an untrained decoder (o ~ 0) starts at the column's typical
        # count instead of 1, which counts of ~100 (a horsepower) took hundreds of epochs to climb from.
        counts = [column for column in self.layout if column.kind == "count"]
        self.register_buffer("count_at", torch.tensor([c.param_offset for c in counts], dtype=torch.long), False)
        self.register_buffer("count_scale", torch.tensor([c.scale for c in counts], dtype=torch.float32), False)
        self.register_buffer("count_center", torch.tensor([c.center for c in counts], dtype=torch.float32), False)

    @property
    def n_params(self) -> int:
        """How many numbers the decoder emits per row."""
        return self._n_params

    def forward(self, params: Tensor) -> MixedTable:
        """params of shape (..., B, n_params) -> p(x|z)."""
        if len(self.count_at):
            log_mean = params[..., self.count_at] * self.count_scale.to(params.dtype) + self.count_center.to(
                params.dtype
            )
            params = params.index_copy(-1, self.count_at, log_mean)
            log_r = params[..., self.count_at + 1].clamp(max=MAX_LOG_DISPERSION)
            params = params.index_copy(-1, self.count_at + 1, log_r)
        return MixedTable(params, self.layout, self.logvar.clamp(min=MIN_LOGVAR))
