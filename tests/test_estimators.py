"""The scikit-learn facade: contract checks, the README example, shapes and bad input."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from vaekit import VAE, AutoEncoder, datasets
from vaekit.estimators import REGISTRY

FAST = dict(epochs=3, verbose=0, random_state=0)


# Every kind, from the registry, with none of scikit-learn's checks expected to fail (score_samples
# draws each row's eps from its own values, in float64, so subsets and reorderings score alike); a
# conditional one is left out: its transform needs the labels y, which the checks do not give.
@parametrize_with_checks([cls(**FAST) for cls in REGISTRY.values() if not cls.conditional])
def test_sklearn_compatible(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    X, _ = datasets.load("digits")
    return X


@pytest.fixture(scope="module")
def digits_vae(digits: np.ndarray) -> VAE:
    return VAE(latent_dim=2, epochs=5, random_state=0, verbose=0).fit(digits)


def test_readme_example_shapes(digits: np.ndarray, digits_vae: VAE) -> None:
    Z = digits_vae.transform(digits)
    assert Z.shape == (1797, 2) and Z.dtype == np.float32
    X_hat = digits_vae.inverse_transform(Z)
    assert X_hat.shape == digits.shape
    assert ((X_hat >= 0) & (X_hat <= 1)).all()  # Bernoulli means
    assert digits_vae.sample(16, random_state=0).shape == (16, 8, 8)
    elbo = digits_vae.score_samples(digits)
    assert elbo.shape == (1797,) and np.isfinite(elbo).all()
    assert digits_vae.score(digits) == pytest.approx(elbo.mean())
    scrambled = np.random.default_rng(0).permuted(digits.reshape(len(digits), -1), axis=1).reshape(digits.shape)
    assert digits_vae.score(scrambled) < elbo.mean() - 5.0  # digits with their pixels shuffled: far less likely


def test_fitted_attributes(digits_vae: VAE) -> None:
    assert digits_vae.likelihood_ == "bernoulli"
    assert digits_vae.architecture_ == "mlp"  # 8x8: at most SMALL_IMAGE_VALUES (benchmarks/architecture.py)
    assert digits_vae.input_shape_ == (8, 8) and digits_vae.n_features_in_ == 64
    history = digits_vae.history_
    assert len(history["epoch"]) == digits_vae.n_epochs_ == 5
    for key in ("train_reconstruction", "train_kl", "val_reconstruction", "val_kl"):
        assert len(history[key]) == 5 and all(np.isfinite(history[key]))
    assert history["train_reconstruction"][-1] < history["train_reconstruction"][0]


def test_reconstruct_equals_decoding_the_mean(digits: np.ndarray, digits_vae: VAE) -> None:
    np.testing.assert_array_equal(
        digits_vae.reconstruct(digits[:50]), digits_vae.inverse_transform(digits_vae.transform(digits[:50]))
    )


def test_flattened_images_are_accepted(digits: np.ndarray, digits_vae: VAE) -> None:
    np.testing.assert_array_equal(digits_vae.transform(digits[:20].reshape(20, -1)), digits_vae.transform(digits[:20]))


def test_sample_is_seeded(digits_vae: VAE) -> None:
    a, b = digits_vae.sample(4, random_state=1), digits_vae.sample(4, random_state=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, digits_vae.sample(4, random_state=2))


def test_more_elbo_draws_estimate_the_same_elbo(digits: np.ndarray, digits_vae: VAE) -> None:
    one = digits_vae.score_samples(digits[:100], n_samples=1)
    many = digits_vae.score_samples(digits[:100], n_samples=64)
    assert one.shape == many.shape == (100,)
    assert abs(one.mean() - many.mean()) < 0.05 * abs(many.mean())  # same quantity, less noise


def test_elbo_is_below_the_importance_sampled_log_likelihood(digits: np.ndarray, digits_vae: VAE) -> None:
    from vaekit import log_likelihood

    elbo = digits_vae.score_samples(digits[:100], n_samples=64)
    bound = log_likelihood(digits_vae, digits[:100], n_samples=64)  # log (1/K) sum_k p(x, z_k) / q(z_k | x)
    assert bound.shape == (100,)
    assert bound.mean() > elbo.mean() + 0.03  # the K-sample bound is tighter: KL(q || p(z | x)) > 0 on average


def test_same_seed_same_numbers(digits: np.ndarray) -> None:
    a = AutoEncoder(latent_dim=3, **FAST).fit(digits[:300])
    b = AutoEncoder(latent_dim=3, **FAST).fit(digits[:300])
    np.testing.assert_array_equal(a.transform(digits[:300]), b.transform(digits[:300]))
    c = AutoEncoder(latent_dim=3, epochs=3, verbose=0, random_state=1).fit(digits[:300])
    assert not np.array_equal(a.transform(digits[:300]), c.transform(digits[:300]))


@pytest.mark.parametrize("shape", [(30, 8, 8), (30, 28, 28), (30, 28, 20), (30, 3, 32, 32)])
@pytest.mark.parametrize("estimator_class", [AutoEncoder, VAE])
def test_image_shapes_round_trip(shape: tuple[int, ...], estimator_class: type) -> None:
    X = np.random.default_rng(0).random(shape, dtype=np.float32)
    est = estimator_class(latent_dim=4, epochs=1, hidden=(16,), verbose=0, random_state=0).fit(X)
    assert est.architecture_ == ("conv" if np.prod(shape[1:]) > 28 * 28 else "mlp")
    est = estimator_class(latent_dim=4, architecture="conv", epochs=1, hidden=(16,), verbose=0, random_state=0).fit(X)
    assert est.architecture_ == "conv"
    assert est.transform(X).shape == (30, 4)
    assert est.reconstruct(X).shape == shape
    assert est.sample(2, random_state=0).shape == (2, *shape[1:])


def test_table_is_standardized_and_inverted() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) * [1.0, 100.0, 0.01] + [0.0, 5000.0, -3.0]
    ae = AutoEncoder(latent_dim=3, epochs=200, lr=1e-2, patience=None, verbose=0, random_state=0).fit(X)
    assert ae.likelihood_ == "gaussian" and ae.scaling_.kind == "standardize"
    X_hat = ae.reconstruct(X)
    # With as many latent dims as features the reconstruction is close, in the user's units.
    relative = np.abs(X_hat - X).mean(axis=0) / X.std(axis=0)
    assert (relative < 0.2).all(), relative


def test_likelihood_auto() -> None:
    rng = np.random.default_rng(0)
    binaryish = (rng.random((50, 20)) > 0.7).astype(np.float32)
    assert VAE(epochs=1, verbose=0).fit(binaryish).likelihood_ == "bernoulli"
    table = rng.normal(size=(50, 4))  # a table of numbers: a learned variance per column
    assert VAE(epochs=1, verbose=0).fit(table).likelihood_ == "gaussian-learned"
    scaled = rng.random((50, 4))  # in [0, 1] but not pixel-like
    assert VAE(epochs=1, verbose=0).fit(scaled).likelihood_ == "gaussian-learned"
    images = rng.normal(size=(20, 6, 6))  # images that are not pixels in [0, 1]
    assert VAE(epochs=1, verbose=0).fit(images).likelihood_ == "gaussian"


def test_bernoulli_outside_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match=r"likelihood='bernoulli' needs data in \[0, 1\]"):
        VAE(likelihood="bernoulli", epochs=1, verbose=0).fit(np.full((20, 3), 2.0))


def test_autoencoder_samples_from_its_latent_gaussian(digits: np.ndarray) -> None:
    ae = AutoEncoder(latent_dim=2, **FAST).fit(digits)
    codes = ae.transform(digits)
    np.testing.assert_allclose(ae.latent_mean_, codes.mean(0), atol=0.1 * codes.std())
    assert ae.sample(5, random_state=0).shape == (5, 8, 8)


def test_clone_and_params() -> None:
    vae = VAE(latent_dim=5, beta=4.0, hidden=(32, 16))
    twin = clone(vae)
    assert twin.get_params() == vae.get_params()
    assert twin.set_params(beta=0.5).beta == 0.5
    assert vae.beta == 4.0


def test_unfitted_raises() -> None:
    with pytest.raises(NotFittedError):
        VAE().transform(np.zeros((2, 3)))


BAD_INPUTS = [
    # NaN in a table is a gap, modelled (tests/test_tables.py); in an image stack it is refused
    (np.where(np.arange(48).reshape(3, 4, 4) == 16, np.nan, 0.0), r"NaN at row 1, position \(0, 0\)"),
    (np.array([[0.0, 1.0], [2.0, np.inf]]), r"inf \(infinity\) at row 1, column 1"),
    (np.zeros((0, 3)), r"empty: 0 sample"),
    (np.zeros((4, 0)), r"0 feature"),
    (np.zeros(5), r"got 1 dimension"),
    (np.zeros((2, 2, 2, 2, 2)), r"got 5 dimension"),
    (np.array([[1.0, "a"], [2.0, 3.0]], dtype=object), r"non-numeric value at row 0, column 1: 'a'"),
    ([[1.0, 2.0], [3.0]], r"ragged"),
    (np.ones((3, 2), dtype=complex), r"Complex data not supported"),
]


@pytest.mark.parametrize(("X", "message"), BAD_INPUTS)
def test_bad_input_at_fit(X: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        VAE(epochs=1, verbose=0).fit(X)


def test_sparse_input_is_refused() -> None:
    scipy_sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(ValueError, match="sparse"):
        AutoEncoder(epochs=1, verbose=0).fit(scipy_sparse.csr_matrix(np.eye(5)))


def test_wrong_feature_count_at_transform() -> None:
    ae = AutoEncoder(**FAST).fit(np.random.default_rng(0).normal(size=(30, 4)))
    with pytest.raises(ValueError, match="X has 3 features, but AutoEncoder is expecting 4"):
        ae.transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"NaN at row 0, column 2"):
        ae.transform(np.array([[0.0, 0.0, np.nan, 0.0]]))


def test_wrong_image_size_at_transform(digits: np.ndarray, digits_vae: VAE) -> None:
    with pytest.raises(ValueError, match=r"samples of shape \(28, 28\).*fitted on samples of shape \(8, 8\)"):
        digits_vae.transform(np.zeros((2, 28, 28)))


def test_wrong_latent_width_at_inverse_transform(digits_vae: VAE) -> None:
    with pytest.raises(ValueError, match=r"decodes \(n_samples, 2\)"):
        digits_vae.inverse_transform(np.zeros((3, 5)))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            dict(latent_dim=0),
            r"The 'latent_dim' parameter of VAE must be an int in the range \[1, inf\) or a str among {'auto'}. Got 0",
        ),
        (
            dict(epochs=2.5),
            r"The 'epochs' parameter of VAE must be an int in the range \[1, inf\) or a str among \{'auto'\}. Got 2.5",
        ),
        (
            dict(likelihood="poisson"),
            r"The 'likelihood' parameter of VAE must be a str among .*'bernoulli'.* Got 'poisson'",
        ),
        (dict(architecture="rnn"), r"The 'architecture' parameter of VAE must be a str among .*'conv'.* Got 'rnn'"),
        (
            dict(validation_fraction=1.0),
            r"The 'validation_fraction' parameter of VAE must be a float in the range \[0.0, 1.0\)",
        ),
        (
            dict(beta=-1.0),
            r"The 'beta' parameter of VAE must be a float in the range \[0.0, inf\) or a str among {'auto'}. Got -1.0",
        ),
        (dict(activation="swish"), r"The 'activation' parameter of VAE must be a str among .*'gelu'.* Got 'swish'"),
        (dict(hidden=(16, 0)), r"hidden must be a sequence of positive widths"),
    ],
)
def test_bad_params(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        VAE(verbose=0, **params).fit(np.zeros((10, 3)))


def test_conv_on_a_table_is_refused() -> None:
    with pytest.raises(ValueError, match="architecture='conv' needs images"):
        VAE(architecture="conv", verbose=0).fit(np.zeros((10, 3)))


def test_n_init_keeps_the_run_with_the_lowest_loss() -> None:
    X = np.random.default_rng(0).normal(size=(60, 4))
    est = AutoEncoder(latent_dim=2, n_init=3, epochs=5, random_state=0, verbose=0).fit(X)
    assert len(est.init_losses_) == 3 and len(set(est.init_losses_)) == 3
    assert min(history_loss for history_loss in est.history_["val_loss"]) == pytest.approx(min(est.init_losses_))
    single = AutoEncoder(latent_dim=2, n_init=1, epochs=5, random_state=0, verbose=0).fit(X)
    assert single.init_losses_ == [pytest.approx(min(single.history_["val_loss"]))]


@pytest.mark.parametrize(("verbose", "shows_bar"), [(0, False), (1, True)])
def test_progress_bar_follows_verbose(capsys: pytest.CaptureFixture[str], verbose: int, shows_bar: bool) -> None:
    AutoEncoder(epochs=2, verbose=verbose, random_state=0).fit(np.random.default_rng(0).normal(size=(20, 3)))
    err = capsys.readouterr().err
    assert ("training" in err and "epoch" in err) is shows_bar


def test_larger_latent_reconstructs_better(digits: np.ndarray) -> None:
    """The tutorial's trade-off: more latent dimensions, smaller reconstruction error."""
    X = digits.reshape(len(digits), -1)  # as a table: MLP, standardized columns
    errors = []
    for latent_dim in (1, 4, 16):
        ae = AutoEncoder(latent_dim=latent_dim, epochs=40, lr=3e-3, patience=None, random_state=0, verbose=0).fit(X)
        errors.append(float(((ae.reconstruct(X) - X) ** 2).sum(axis=1).mean()))
    assert errors[0] > 1.5 * errors[1] > 2.25 * errors[2], errors
