"""``vaekit train`` as a function, and the run folder it writes.

- :mod:`~vaekit.runs.folder`: what a run folder is, how a new one replaces an old one in one
  step, and the lock on a run in training (light: no torch);
- :mod:`~vaekit.runs.config`: a run's configuration (``config.toml``);
- :mod:`~vaekit.runs.run`: train, measure and write a run (:func:`~vaekit.runs.run.train_run`);
- :mod:`~vaekit.runs.findings`: what a run measured and found, in numbers and in words;
- :mod:`~vaekit.runs.report`: the self-contained report page;
- :mod:`~vaekit.runs.sweep`: a sweep of runs over latent sizes and kinds.
"""
