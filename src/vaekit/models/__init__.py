"""Model families, one file each, registered by name."""

from vaekit.models.ae import LIKELIHOODS, AutoEncoderModel, LossOutput
from vaekit.models.iwae import IWAEModel
from vaekit.models.vae import VAEModel
from vaekit.models.vqvae import VQVAEModel

MODELS: dict[str, type[AutoEncoderModel]] = {
    "ae": AutoEncoderModel,
    "vae": VAEModel,
    "iwae": IWAEModel,
    "vqvae": VQVAEModel,
}

__all__ = ["LIKELIHOODS", "MODELS", "AutoEncoderModel", "IWAEModel", "LossOutput", "VAEModel", "VQVAEModel"]
