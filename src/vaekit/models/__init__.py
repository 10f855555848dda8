"""Model families, one file each, registered by name."""

from vaekit.models.ae import LIKELIHOODS, AutoEncoderModel, LossOutput
from vaekit.models.vae import VAEModel

MODELS: dict[str, type[AutoEncoderModel]] = {"ae": AutoEncoderModel, "vae": VAEModel}

__all__ = ["LIKELIHOODS", "MODELS", "AutoEncoderModel", "LossOutput", "VAEModel"]
