"""Every figure of vaekit, and the one table of figure kinds that runs, reports and the CLI read.

Modules, from the small parts up:

- :mod:`~vaekit.plots.images` -- image stacks: :func:`image_grid`, :func:`plot_samples`,
  :func:`plot_reconstructions`
- :mod:`~vaekit.plots.latent` -- the latent space: :func:`plot_manifold` (Kingma &
  Welling 2014, Fig. 4), :func:`plot_interpolation`, :func:`plot_traversals`,
  :func:`plot_latent_scatter`
- :mod:`~vaekit.plots.curves` -- training curves: :func:`plot_history`
- :mod:`~vaekit.plots.features` -- a table's error per feature: :func:`plot_feature_errors`
- :mod:`~vaekit.plots.layers` -- the model layer by layer: :func:`layer_table`,
  :func:`format_layer_table`, :func:`plot_layers`
- :mod:`~vaekit.plots.marginals` -- a mixed table's columns, real beside generated:
  :func:`~vaekit.plots.marginals.plot_marginals`
- :mod:`~vaekit.plots.anomaly` -- anomaly scores and the oddest rows:
  :func:`plot_anomaly_scores`, :func:`plot_image_anomalies`, :func:`plot_table_anomalies`
- :mod:`~vaekit.plots.sweep` -- error against latent size: :func:`plot_sweep`
- :mod:`~vaekit.plots.save` -- :func:`save_figure` (an atomic PNG write)
- :mod:`~vaekit.plots.kinds` -- :data:`FIGURES`, a :class:`FigureKind` per name, and
  :func:`make_figure`, :func:`available_kinds`, :func:`run_figures` that read it

Every function builds a :class:`matplotlib.figure.Figure` directly (no pyplot, so
the Agg canvas is used and no window ever opens) and returns it. Importing this
package imports neither matplotlib nor torch: they are imported where a figure is
drawn, so the command line can build its help from :data:`FIGURES` quickly.
"""

from vaekit.plots.anomaly import plot_anomaly_scores, plot_image_anomalies, plot_table_anomalies
from vaekit.plots.curves import plot_history
from vaekit.plots.features import plot_feature_errors
from vaekit.plots.images import image_grid, plot_reconstructions, plot_samples
from vaekit.plots.kinds import FIGURES, FigureKind, available_kinds, make_figure
from vaekit.plots.latent import (
    TRAVERSAL_VALUES,
    plot_interpolation,
    plot_latent_scatter,
    plot_manifold,
    plot_traversals,
)
from vaekit.plots.layers import LayerRow, format_layer_table, layer_table, plot_layers
from vaekit.plots.run_figures import run_figures
from vaekit.plots.save import save_figure
from vaekit.plots.sweep import plot_sweep

__all__ = [
    "FIGURES",
    "TRAVERSAL_VALUES",
    "FigureKind",
    "LayerRow",
    "available_kinds",
    "format_layer_table",
    "image_grid",
    "layer_table",
    "make_figure",
    "plot_anomaly_scores",
    "plot_feature_errors",
    "plot_history",
    "plot_image_anomalies",
    "plot_interpolation",
    "plot_latent_scatter",
    "plot_layers",
    "plot_manifold",
    "plot_reconstructions",
    "plot_samples",
    "plot_sweep",
    "plot_table_anomalies",
    "plot_traversals",
    "run_figures",
    "save_figure",
]
