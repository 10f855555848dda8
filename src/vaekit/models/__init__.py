"""The networks of each model kind, one ``nn.Module`` per file, each owning its loss.

An estimator class (:mod:`vaekit.estimators`) names the module it trains; nothing
here keeps a list of kinds.
"""

from vaekit.models.ae import LIKELIHOODS, AutoEncoderModel, LossOutput

__all__ = ["LIKELIHOODS", "AutoEncoderModel", "LossOutput"]
