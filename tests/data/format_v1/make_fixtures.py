"""How the fixtures here were made, at commit ba916d3 (format_version 1), run from the repository root.

Kept as a record only: the code it imports no longer exists in this form.
import json, numpy as np
from pathlib import Path
from vaekit import datasets
from vaekit.estimators import AutoEncoder, VAE
from vaekit.family import DenoisingAutoEncoder, IWAE, ConditionalVAE, VQVAE
import pandas as pd

out = Path("tests/data/format_v1")
X, y = datasets.load("digits")
X, y = X[:300], y[:300]
rng = np.random.default_rng(0)
T = rng.normal(size=(120, 4)).astype(np.float32)
table = pd.DataFrame(T, columns=["a", "b", "c", "d"])
common = dict(epochs=2, random_state=0, verbose=0)
cases = {
    "ae": (AutoEncoder(latent_dim=2, hidden=(8,), **common), table, None),
    "vae": (VAE(latent_dim=2, hidden=(8,), **common), X, None),
    "vae_capacity": (VAE(latent_dim=2, hidden=(8,), capacity=5.0, capacity_epochs=1, **common), table, None),
    "dae": (DenoisingAutoEncoder(latent_dim=2, hidden=(8,), corruption="mask", noise_level=0.3, architecture="mlp", **common), X, None),
    "iwae": (IWAE(latent_dim=2, hidden=(8,), n_importance=3, architecture="mlp", **common), X, None),
    "cvae": (ConditionalVAE(latent_dim=2, hidden=(8,), architecture="mlp", **common), X, y),
    "vqvae": (VQVAE(latent_dim=4, code_dim=2, codebook_size=8, hidden=(8,), architecture="mlp", **common), X, None),
    "vqvae_ema": (VQVAE(latent_dim=4, code_dim=2, codebook_size=8, ema=True, hidden=(8,), **common), table, None),
}
for name, (est, data, labels) in cases.items():
    est.fit(data, labels) if labels is not None else est.fit(data)
    est.save(out / name, overwrite=True)
    probe = data[:5] if not isinstance(data, pd.DataFrame) else data.iloc[:5]
    args = (probe, labels[:5]) if labels is not None else (probe,)
    expected = {"transform": est.transform(*args), "reconstruct": est.reconstruct(*args)}
    Z = np.linspace(-1, 1, 5 * est.latent_dim, dtype=np.float32).reshape(5, est.latent_dim)
    expected["inverse_transform"] = est.inverse_transform(Z, labels[:5]) if labels is not None else est.inverse_transform(Z)
    if labels is not None:
        expected["score_samples"] = est.score_samples(*args)
    else:
        expected["score_samples"] = est.score_samples(probe)
    expected["probe"] = np.asarray(probe, dtype=np.float32); expected["Z"] = Z
    if labels is not None: expected["labels"] = np.asarray(labels[:5])
    np.savez(out / f"{name}.expected.npz", **expected)
    print(name, type(est).__name__, {k: v.shape for k, v in expected.items()})
