"""A model on disk: a folder of ``config.json`` and ``model.safetensors``, no pickle.

- :mod:`~vaekit.io.modelfile`: what a model folder is, read without importing torch
  (the command line checks a path before it imports anything heavy);
- :mod:`~vaekit.io.codecs`: how each piece of fitted state becomes JSON and tensors;
- :mod:`~vaekit.io.model`: saving and loading an estimator, its fitted
  state, and the upgrade of older files;
- :mod:`~vaekit.io.numpy_forward`: a saved MLP of numeric rows run with NumPy, without
  torch (``vaekit encode``, ``decode`` and ``reconstruct`` of such a model).
"""
