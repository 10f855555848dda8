"""Training: one explicit loop over a batch source, and what it needs.

- :mod:`~vaekit.training.loop`: the loop;
- :mod:`~vaekit.training.optim`: the training settings, Adam, schedules and the KL warm-up;
- :mod:`~vaekit.training.history`: per-epoch history, best weights, early stopping;
- :mod:`~vaekit.training.runtime`: threads, devices, denormals, progress;
- :mod:`~vaekit.training.batches`: batches in memory and streamed from disk;
- :mod:`~vaekit.training.ensemble`: restarts of an MLP trained at once as one vectorized ensemble;
- :mod:`~vaekit.training.checkpoint` and :mod:`~vaekit.training.checkpoint_check`: checkpoints that
  resume bit for bit, every value checked before a resume uses it;
- :mod:`~vaekit.training.distributed`: torchrun's process group (DistributedDataParallel).
"""
