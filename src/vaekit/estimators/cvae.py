"""The conditional VAE (Sohn, Lee & Yan, "Learning structured output representation
using deep conditional generative models", NeurIPS 2015): encoder q(z|x, y) and decoder
p(x|z, y) both see a class label, so ``sample(n, y=...)`` draws a chosen class.

Conditioning itself is the base estimator's (:meth:`BaseAutoEncoder._conditions`);
this class only switches it on.
"""

from __future__ import annotations

from vaekit.estimators.vae import VAE


class ConditionalVAE(VAE):
    """VAE whose encoder q(z|x, y) and decoder p(x|z, y) both see a class label y.

    ``fit(X, y)`` needs the labels (any hashable values; ``classes_`` lists them). The
    methods that encode (``transform``, ``encode``, ``reconstruct``,
    ``score_samples``, ``loss_terms``) need the labels of their X too, and
    ``inverse_transform(Z, y)`` and ``sample(n, y=...)`` decode for the given classes
    (one label, or one per row). ``sample(n)`` without ``y`` draws classes in
    proportion to the training labels.

    Parameters
    ----------
    {network_parameters}
    {vae_parameters}
    {training_parameters}

    Attributes
    ----------
    {shared_attributes}
    classes_ : ndarray of shape (n_classes,)
    class_prior_ : ndarray of float64, shape (n_classes,)
        Share of each class in the training labels.

    Examples
    --------
    >>> from vaekit import ConditionalVAE, datasets
    >>> X, y = datasets.load("digits")
    >>> cvae = ConditionalVAE(latent_dim=2, epochs=2, random_state=0, verbose=0).fit(X, y)
    >>> cvae.sample(4, y=7, random_state=0).shape
    (4, 8, 8)
    """

    kind = "cvae"
    conditional = True
