"""Data for vaekit: a user's files in and out, the built-in datasets, preprocessing.

Read from the small parts up:

- :mod:`~vaekit.data.validation` -- :func:`check_array` and :class:`InputError`,
  the checks every array passes;
- :mod:`~vaekit.data.loaded` -- :class:`LoadedData`, what reading gives, and
  :class:`DataFileError`, how it fails;
- :mod:`~vaekit.data.table.columns` -- choosing a table's columns by name or position,
  and aligning a table to a model's training columns;
- :mod:`~vaekit._atomic` -- the one atomic writer (a file or a folder appears
  whole or not at all), used by every module that writes;
- one module per format: :mod:`~vaekit.data.delimited` (CSV/TSV, whose separator,
  decimal mark and header :mod:`~vaekit.data.dialect` detects),
  :mod:`~vaekit.data.parquet`, :mod:`~vaekit.data.npy` (``.npy``/``.npz``),
  :mod:`~vaekit.data.idx`, :mod:`~vaekit.data.images` (image folders), with
  :mod:`~vaekit.data.table.frames` turning a data frame into checked features;
- :mod:`~vaekit.data.read` -- :func:`read_data`, the one entry for a user's file,
  folder or dataset name; :mod:`~vaekit.data.write` -- :func:`write_array`;
- :mod:`~vaekit.data.builtin` -- the built-in datasets (``vaekit.datasets``):
  digits, latent-factors, MNIST, Fashion-MNIST, Frey faces;
- :mod:`~vaekit.data.preprocessing` -- the scaling fitted and saved with a model;
- :mod:`~vaekit.data.stream` -- data bigger than memory, read in chunks (``.npy``,
  Parquet, text tables, image folders), and its statistics in one pass;
- mixed tables (categories, counts, yes/no columns, gaps): :mod:`~vaekit.data.table.kinds`
  infers each column's kind, :mod:`~vaekit.data.table.encoder` -- :class:`TableEncoder`,
  a table to the encoded matrix a model reads and back, laid out as
  :mod:`~vaekit.data.table.layout` says; :mod:`~vaekit.data.split` -- how a run reads
  its data and holds out a test part.

Messages below the command line name Python parameters in backticks
(```columns```, ```overwrite```); the command line shows its flags there instead.
Nothing is imported here, so that importing one module costs only that module.
"""
