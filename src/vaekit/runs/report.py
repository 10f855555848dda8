"""``report.html``: one self-contained page that shows a training run at a glance.

Images are embedded as base64 PNGs, so the page can be mailed or moved on its own.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { padding: 0.25em 0.8em; border-bottom: 1px solid #eee; }
th { text-align: left; background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { display: inline-block; margin: 0.5em 1em 1em 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #eee; } figcaption { font-size: 0.9em; color: #555; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.note { color: #555; font-size: 0.9em; }
"""

METRIC_COLUMNS = (
    ("elbo", "ELBO (nats)"),
    ("reconstruction", "reconstruction -log p(x|z) (nats)"),
    ("kl", "KL (nats)"),
    ("squared_error_scaled", "squared error per sample, model units"),
    ("squared_error", "squared error per sample, data units"),
    ("mse", "MSE per element, data units"),
)


def _number(value: Any) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.1f}"
    return html.escape(str(value))


def metrics_table(metrics: dict[str, Any]) -> str:
    """HTML table: one row per evaluated split (and PCA), one column per measure.

    A PCA that reconstructs the rows exactly (``exact``) is labelled so: its error is round-off.
    """
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in METRIC_COLUMNS)
    rows = []
    for split in ("train", "test"):
        if isinstance(metrics.get(split), dict):
            values = metrics[split]
            cells = "".join(f'<td class="num">{_number(values.get(key))}</td>' for key, _ in METRIC_COLUMNS)
            rows.append(f"<tr><th>{split} (n={values.get('n', '?'):,})</th>{cells}</tr>")
    pca = metrics.get("pca")
    if isinstance(pca, dict):
        cells = "".join(
            f'<td class="num">{_number(pca.get(key)) if key in ("squared_error_scaled", "squared_error", "mse") else "&ndash;"}</td>'
            for key, _ in METRIC_COLUMNS
        )
        exact = ", exact: no yardstick" if pca.get("exact") else ""  # see vaekit.evaluation.metrics.pca_baseline
        rows.append(
            f"<tr><th>PCA, {pca.get('n_components')} components ({html.escape(str(pca.get('split')))}{exact})</th>"
            f"{cells}</tr>"
        )
    return f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"


def density_note(metrics: dict[str, Any]) -> str:
    """A paragraph that explains a positive ELBO (or log p(x)) of any split; "" when there is none."""
    from vaekit.evaluation.likelihood import positive_density_note

    figures = [
        values.get(key)
        for split in ("train", "test")
        if isinstance(values := metrics.get(split), dict)
        for key in ("elbo", "log_likelihood")
    ]
    note = positive_density_note(*figures)
    return "" if note is None else f'<p class="note">{html.escape(note[0].upper() + note[1:])}.</p>'


def anomaly_fact(threshold: float, contamination: Any, flagged: int, n: int, rows: str) -> str:
    """The report's line on the anomaly threshold, in the words ``vaekit score`` prints
    (:func:`~vaekit.plots.anomaly.flag_summary`), and where the threshold came from.

    ``threshold`` is on the anomaly score (``-offset_``, nats); ``rows`` says which rows
    were counted ("rows, train and test").
    """
    from vaekit.plots.anomaly import flag_summary

    return f"{flag_summary(threshold, flagged, n, rows)}; the threshold set by contamination={contamination}"


def synthetic_fact(summary: dict[str, Any]) -> str:
    """The report's line on generated rows of a table, from :func:`vaekit.runs.run.synthetic_summary`."""

    def number(key: str, form: str = ".2f") -> str:
        return "n/a" if summary.get(key) is None else format(summary[key], form)

    return (
        f"quality {number('quality')} (SDMetrics' score: column shapes {number('column_shapes_score')}, "
        f"pair trends {number('column_pair_trends_score')}; 1 is best), C2ST AUC {number('c2st_auc')} "
        f"(0.5: a classifier cannot tell them from real rows), median distance to the closest real row "
        f"{number('dcr_median')} (a real holdout's {number('dcr_holdout_median')}), exact copies of real rows "
        f"{number('exact_copy_share', '.1%')}; {summary['n']:,} generated rows against {summary['n']:,} training rows"
        + _pairs_note(summary)
    )


def _pairs_note(summary: dict[str, Any]) -> str:
    """How many column pairs the pair trends cover, when that is not all of them (a wide table)."""
    measured, total = summary.get("pairs"), summary.get("pairs_total")
    if measured is None or total is None or measured >= total:
        return ""
    return f"; pair trends over {measured:,} of the {total:,} column pairs, drawn at random"


def _facts(facts: dict[str, Any]) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{_number(v)}</td></tr>" for k, v in facts.items())
    return f"<table>{rows}</table>"


def _figure(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def render_report(
    title: str,
    facts: dict[str, Any],
    metrics: dict[str, Any],
    figures: Sequence[tuple[Path, str]],
    layer_text: str,
    config_text: str,
    explorer: str | None = None,
) -> str:
    """The whole page as a string.

    Parameters
    ----------
    title : str
    facts : dict
        Short key/value lines shown first (data, model, device, wall time, ...).
    metrics : dict
        As written to metrics.json (``train``/``test``/``pca`` entries are tabulated).
    figures : sequence of (png path, caption)
    layer_text : str
        The model summary table.
    config_text : str
        The run's config.toml.
    explorer : str or None
        The interactive explorer page beside the report (a relative link), if written.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        _facts(facts),
        *(
            [
                f'<p class="explore"><a href="{html.escape(explorer)}">Explore the latent space</a>: an interactive '
                "page (it works offline, from this folder) that decodes any point you move to with the model's own "
                "weights, shows each row beside its reconstruction, and walks each latent dimension.</p>"
            ]
            if explorer
            else []
        ),
        "<h2>Measures</h2>",
        metrics_table(metrics),
        '<p class="note">Per sample, in nats where stated; ELBO = -(reconstruction + KL), higher is better '
        "(a plain autoencoder has no ELBO). Squared error: sum over features of (x - x&#770;)&sup2;, x&#770; "
        "decoded from the posterior mean, in the model's units (standardized columns for a table under a "
        "Gaussian likelihood, so no column's scale dominates) and in the data's units. PCA: the same errors "
        "with as many components as latent dimensions, fitted on the training part in the model's units.</p>",
        density_note(metrics),
        "<h2>Figures</h2>",
        *(_figure(path, caption) for path, caption in figures),
        "<h2>Model</h2>",
        f"<pre>{html.escape(layer_text)}</pre>",
        "<h2>Configuration (config.toml)</h2>",
        f"<pre>{html.escape(config_text)}</pre>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
