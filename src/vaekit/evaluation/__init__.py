"""Measuring a fitted model.

- :mod:`~vaekit.evaluation.metrics`: ELBO, reconstruction, KL, squared error, active units, the PCA baseline;
- :mod:`~vaekit.evaluation.likelihood`: importance-sampled estimates of log p(x);
- :mod:`~vaekit.evaluation.fidelity`: how close synthetic rows are to real ones;
- :mod:`~vaekit.evaluation.table_metrics`: per-column measures of a table model.
"""
