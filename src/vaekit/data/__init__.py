"""Data sources for vaekit: built-in datasets, file readers and preprocessing.

The built-in datasets live in :mod:`vaekit.data.datasets` (``load``, ``list``,
``describe``); the IDX reader in :mod:`vaekit.data.idx`; the opt-in downloader in
:mod:`vaekit.data.download`; the generated ``latent-factors`` set in
:mod:`vaekit.data.synthetic`.
"""
