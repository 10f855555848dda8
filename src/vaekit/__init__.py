"""vaekit: autoencoders and variational autoencoders with a scikit-learn interface.

>>> from vaekit import VAE, datasets
>>> X, y = datasets.load("digits")
"""

from vaekit._version import __version__
from vaekit.data import datasets
from vaekit.estimators import VAE, AutoEncoder
from vaekit.io import load

__all__ = ["VAE", "AutoEncoder", "__version__", "datasets", "load"]
