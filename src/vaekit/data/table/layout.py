"""Where each column of a mixed table sits in the model's input and in the decoder's output.

A mixed table (numbers, counts, yes/no and categorical columns, with gaps) reaches
the network as one float matrix, the *encoded* table, of shape (n, n_encoded): for
each column in order, its values (``n_inputs`` numbers) and then one *observed*
indicator (1 observed, 0 missing). The decoder emits, for each column,
``n_params`` numbers that parameterize that column's likelihood. A
:class:`ColumnLayout` per column records both places, so the likelihood can read
its targets and its parameters without knowing anything else about the table.

Encoded values, per kind:

- ``continuous``: (value - center) / scale; 0 when missing. Params: 1 (the mean,
  in the same standardized units; the variance is one learned number per column).
- ``count`` (non-negative integers): (log1p(value) - center) / scale; 0 when
  missing. The count itself is ``round(expm1(encoded * scale + center))``. Params:
  2 (log of the mean and log of the dispersion of a negative binomial).
- ``binary``: 0 or 1 (the second of the column's two values is 1); 0 when
  missing. Params: 1 (the logit of 1).
- ``categorical`` with K levels: a one-hot row of K; all zeros when missing.
  Params: K (the logits).
"""

from __future__ import annotations

from dataclasses import dataclass

COLUMN_KINDS = ("continuous", "count", "binary", "categorical")


@dataclass(frozen=True)
class ColumnLayout:
    """One column's place in the encoded table and in the decoder's output.

    Attributes
    ----------
    kind : {"continuous", "count", "binary", "categorical"}
    in_offset : int
        First position of the column's values in the encoded row.
    n_inputs : int
        How many values: K for a categorical column with K levels, else 1. The
        observed indicator follows them, at ``in_offset + n_inputs``.
    param_offset : int
        First position of the column's parameters in the decoder's output.
    n_params : int
        1 (continuous, binary), 2 (count) or K (categorical).
    center, scale : float
        The standardization of a continuous column (of log1p of a count); 0 and 1
        for the other kinds.
    """

    kind: str
    in_offset: int
    n_inputs: int
    param_offset: int
    n_params: int
    center: float = 0.0
    scale: float = 1.0

    @property
    def observed_at(self) -> int:
        """Position of the observed indicator in the encoded row."""
        return self.in_offset + self.n_inputs


def params_per_column(kind: str, n_levels: int = 0) -> int:
    """How many decoder outputs a column of ``kind`` takes (``n_levels`` for a categorical one)."""
    if kind not in COLUMN_KINDS:
        raise ValueError(f"column kind {kind!r} is not one of {COLUMN_KINDS}")
    return {"continuous": 1, "count": 2, "binary": 1, "categorical": n_levels}[kind]
