"""Training: one explicit loop over a batch source, and what it needs.

- :mod:`~vaekit.training.loop`: the loop, early stopping, schedules, threads and devices;
- :mod:`~vaekit.training.batches`: batches of data streamed from disk;
- :mod:`~vaekit.training.ensemble`: restarts of an MLP trained at once as one vectorized ensemble;
- :mod:`~vaekit.training.checkpoint` and :mod:`~vaekit.training.checkpoint_check`: checkpoints that
  resume bit for bit, every value checked before a resume uses it;
- :mod:`~vaekit.training.distributed`: torchrun's process group (DistributedDataParallel).
"""
