"""Likelihood and baselines: importance sampling against the ELBO and against exact PPCA."""

import copy
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.decomposition import PCA

from vaekit import VAE, AutoEncoder, datasets
from vaekit.estimators.findings import FindingWarning
from vaekit.evaluation.metrics import (
    active_units,
    bits_per_dim,
    evaluate_model,
    log_likelihood,
    pca_baseline,
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """These models are tiny: one thread is faster, and steady on a shared, busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def table() -> np.ndarray:
    """latent-factors (2000, 6) in units of 10, so the preprocessing's Jacobian is far from 0."""
    X, _ = datasets.load("latent-factors")
    return 10.0 * X


@pytest.fixture(scope="module")
def table_vae(table: np.ndarray) -> VAE:
    vae = VAE(latent_dim=2, hidden=(32,), epochs=30, batch_size=256, lr=1e-2, verbose=0, random_state=0)
    return vae.fit(table)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    X, _ = datasets.load("digits")
    return X.reshape(len(X), 64)


@pytest.fixture(scope="module")
def digits_vae(digits: np.ndarray) -> VAE:
    """An MLP VAE whose posterior is far enough from Gaussian for a clear IWAE gap."""
    vae = VAE(latent_dim=2, hidden=(64,), epochs=30, batch_size=256, lr=1e-2, verbose=0, random_state=0)
    return vae.fit(digits)


@pytest.fixture(scope="module")
def ppca_data() -> np.ndarray:
    """x = W z + mu + eps with z ~ N(0, I_2) and eps ~ N(0, I_8): a PPCA with sigma^2 = 1."""
    rng = np.random.default_rng(0)
    W = rng.normal(0.0, 1.0, size=(8, 2))
    mu = rng.normal(0.0, 1.0, size=8)
    z = rng.standard_normal((2000, 2))
    return (z @ W.T + mu + rng.standard_normal((2000, 8))).astype(np.float32)


@pytest.fixture(scope="module")
def linear_vae(ppca_data: np.ndarray) -> VAE:
    vae = VAE(
        latent_dim=2,
        hidden=(),
        likelihood="gaussian",
        preprocessing="none",
        epochs=150,
        batch_size=500,
        lr=3e-2,
        patience=20,
        kl_warmup_epochs=0,  # the plain ELBO from the start: its optimum is the PPCA solution
        verbose=0,
        random_state=0,
    )
    return vae.fit(ppca_data)


def exact_gaussian_log_likelihood(X: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """log N(x; mean, cov) per row, in float64."""
    diff = X.astype(np.float64) - mean
    _, logdet = np.linalg.slogdet(cov)
    mahalanobis = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    return -0.5 * (X.shape[1] * math.log(2 * math.pi) + logdet + mahalanobis)


# ------------------------------------------------------------ importance sampling
def test_importance_sampling_rises_from_the_elbo_with_k(digits: np.ndarray, digits_vae: VAE) -> None:
    # Means over 1797 rows; with seeds 1-3 the three estimates move by < 0.01 nats,
    # while the steps below are 0.2 and 0.05 nats.
    elbo = digits_vae.score_samples(digits, n_samples=20).mean()
    estimates = {k: log_likelihood(digits_vae, digits, k, random_state=1).mean() for k in (1, 10, 100)}
    assert abs(estimates[1] - elbo) < 0.05  # K = 1 is the ELBO, with more noise
    assert estimates[10] - estimates[1] > 0.1
    assert estimates[100] - estimates[10] > 0.02
    assert estimates[100] - elbo > 0.1


def test_one_sample_importance_weight_is_the_elbo_in_expectation(table: np.ndarray, table_vae: VAE) -> None:
    # K = 1: log p(x|z) + log p(z) - log q(z|x); the ELBO uses the closed-form KL instead.
    # Both draw z from the same seeded generator, so the difference per row is only
    # log p(z) - log q(z|x) + KL, whose expectation is 0. Tolerance: 4 standard errors.
    one = log_likelihood(table_vae, table, 1, random_state=0)
    elbo = table_vae.score_samples(table, n_samples=1, random_state=0)
    difference = one - elbo
    standard_error = difference.std() / math.sqrt(len(difference))
    assert abs(difference.mean()) < 4 * standard_error + 1e-6
    assert difference.std() > 0  # the two really are different estimators


def test_log_likelihood_is_seeded_shaped_and_batch_bounded(table: np.ndarray, table_vae: VAE) -> None:
    a = log_likelihood(table_vae, table[:300], 50, random_state=3)
    b = log_likelihood(table_vae, table[:300], 50, random_state=3)
    c = log_likelihood(table_vae, table[:300], 50, random_state=4)
    small_batches = log_likelihood(table_vae, table[:300], 50, batch_size=7, random_state=3)
    assert a.shape == (300,) and a.dtype == np.float64 and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert abs(small_batches.mean() - a.mean()) < 0.05  # same quantity, other draws


def test_k_is_split_into_chunks_without_changing_the_estimate(
    table: np.ndarray, table_vae: VAE, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vaekit.evaluation.likelihood

    whole = log_likelihood(table_vae, table[:64], 40, batch_size=16, random_state=0)
    monkeypatch.setattr(vaekit.evaluation.likelihood, "MAX_CHUNK_FLOATS", 16 * 6 * 3)  # 3 draws per decoder call
    assert vaekit.evaluation.likelihood._chunk_sizes(40, 6, 16) == (16, 3)
    chunked = log_likelihood(table_vae, table[:64], 40, batch_size=16, random_state=0)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-5)


def plain_bernoulli_log_likelihood(vae: VAE, X: np.ndarray, n_samples: int, batch_size: int, seed: int) -> np.ndarray:
    """The estimate written out in float64 numpy, for a Bernoulli VAE without preprocessing.

    The draws are log_likelihood's: one seeded generator, K draws per batch of rows.
    """
    model = vae.model_.eval()
    x_all = torch.as_tensor(X, dtype=torch.float32).reshape(len(X), *model.sample_shape)
    generator = torch.Generator().manual_seed(seed)
    estimates = []
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            x = x_all[start : start + batch_size]  # (B, *sample_shape)
            posterior = model.encode(x)
            z = posterior.rsample(n_samples, generator=generator)  # (K, B, latent)
            logits = model.decode(z).logits.double().numpy().reshape(n_samples, len(x), -1)  # (K, B, n)
            pixels = x.double().numpy().reshape(len(x), -1)  # (B, n)
            z, mean, logvar = (t.double().numpy() for t in (z, posterior.mean, posterior.logvar))
            log_px = (pixels * logits - np.logaddexp(0.0, logits)).sum(axis=-1)  # (K, B)
            log_pz = -0.5 * (math.log(2 * math.pi) + z**2).sum(axis=-1)
            log_qz = -0.5 * (math.log(2 * math.pi) + logvar + (z - mean) ** 2 / np.exp(logvar)).sum(axis=-1)
            log_w = log_px + log_pz - log_qz
            top = log_w.max(axis=0)
            estimates.append(top + np.log(np.exp(log_w - top).mean(axis=0)))  # logmeanexp over K
    return np.concatenate(estimates)


@pytest.mark.parametrize("data", ["digit images", "13 columns in [0, 1]"])
def test_bernoulli_estimate_equals_a_plain_float64_computation(data: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # log_likelihood computes a Bernoulli log p(x|z) in its own form (products of
    # sigmoids, one logarithm per 64 features) and decodes in pieces; the numbers must
    # be those of the textbook formula in float64. 13 features fold unevenly (13 -> 7
    # -> 4 -> 2 -> 1); 4 draws per piece split K = 10 unevenly, 7 rows a batch split 60.
    import vaekit.evaluation.likelihood

    if data == "digit images":
        X = datasets.load("digits")[0][:60]  # (60, 8, 8) in [0, 1]
    else:
        rng = np.random.default_rng(0)
        X = (0.7 * rng.random((60, 1)) * rng.random((1, 13)) + 0.3 * rng.random((60, 13))).astype(np.float32)
        X[:, :4] = X[:, :4] > 0.5  # some binary columns, the rest grey levels
    vae = VAE(
        latent_dim=2,
        hidden=(16,),
        likelihood="bernoulli",
        preprocessing="none",
        epochs=3,
        verbose=0,
        random_state=0,
    ).fit(X)
    n_features = math.prod(X.shape[1:])
    monkeypatch.setattr(vaekit.evaluation.likelihood, "MAX_CHUNK_FLOATS", 7 * n_features * 4)
    assert vaekit.evaluation.likelihood._chunk_sizes(10, n_features, 7) == (7, 4)
    estimate = log_likelihood(vae, X, 10, batch_size=7, random_state=5)
    expected = plain_bernoulli_log_likelihood(vae, X, 10, batch_size=7, seed=5)
    np.testing.assert_allclose(estimate, expected, rtol=0, atol=5e-5)  # observed 2e-6
    assert not np.allclose(estimate, plain_bernoulli_log_likelihood(vae, X, 10, batch_size=7, seed=6), atol=1e-2)


def test_auto_threads_leave_torch_its_count_and_a_number_is_used(table: np.ndarray, table_vae: VAE) -> None:
    # threads="auto" means one thread for training; the large products of an
    # evaluation run on torch's count (the caller's setting). A number is used as given.
    seen: list[int] = []
    vae = copy.deepcopy(table_vae)
    vae.model_.decoder.register_forward_pre_hook(lambda module, args: seen.append(torch.get_num_threads()))
    caller = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert vae.threads == "auto"
        log_likelihood(vae, table[:20], 5)
        vae.set_params(threads=1)
        log_likelihood(vae, table[:20], 5)
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(caller)
    assert seen[0] == 2 and seen[-1] == 1
    assert after == 2  # the caller's count is restored


def test_log_likelihood_of_images_and_of_flattened_images_agree() -> None:
    X, _ = datasets.load("digits")
    vae = VAE(latent_dim=2, architecture="conv", hidden=(16,), epochs=1, verbose=0, random_state=0).fit(X[:200])
    assert vae.architecture_ == "conv"
    images = log_likelihood(vae, X[:50], 8)
    np.testing.assert_allclose(images, log_likelihood(vae, X[:50].reshape(50, 64), 8))
    assert (images < 0).all()  # a Bernoulli probability of grey levels is below 1


# ------------------------------------------------------------------ exact PPCA
def test_linear_gaussian_vae_matches_probabilistic_pca(ppca_data: np.ndarray, linear_vae: VAE) -> None:
    """A linear VAE with a unit-variance Gaussian decoder is PPCA with sigma^2 = 1.

    Its marginal is p(x) = N(x; b, W W^T + I) for decoder weights W and bias b, read
    here through the public API (b = decode(0), W[:, j] = decode(e_j) - b). Three
    comparisons, in nats per sample:

    1. the importance-sampled estimate against that exact value of the same model:
       within 0.01 below it and at most 0.005 above it (it is a lower bound in
       expectation; 0.005 leaves room for Monte-Carlo noise);
    2. the exact value against the PPCA maximum likelihood, sklearn's
       ``PCA(2).fit(X).score(X)`` (noise variance fitted, 0.991 on these data):
       within 0.02 below it, and never above it, since the fitted model is one of
       the PPCA models the MLE maximizes over;
    3. hence the estimate against sklearn's value: within 0.03 below, 0.005 above.

    Observed (seed 0): estimate - exact = +0.0003, exact - MLE = -0.0014.
    """
    X = ppca_data
    bias = linear_vae.inverse_transform(np.zeros((1, 2), np.float32))[0].astype(np.float64)
    W = linear_vae.inverse_transform(np.eye(2, dtype=np.float32)).astype(np.float64).T - bias[:, None]
    exact = exact_gaussian_log_likelihood(X, bias, W @ W.T + np.eye(8)).mean()
    estimate = log_likelihood(linear_vae, X, 200).mean()
    pca = PCA(n_components=2).fit(X.astype(np.float64))
    mle = pca.score(X.astype(np.float64))
    assert abs(pca.noise_variance_ - 1.0) < 0.05  # the data really have unit noise
    assert -0.01 < estimate - exact < 0.005
    assert -0.02 < exact - mle <= 1e-9
    assert -0.03 < estimate - mle < 0.005


def test_importance_sampling_closes_the_gap_of_a_wrong_posterior(ppca_data: np.ndarray, linear_vae: VAE) -> None:
    # At the optimum the diagonal posterior of a linear VAE is exact (Lucas et al.,
    # 2019), so the ELBO and the K = 100 estimate nearly agree. Widening q(z|x) by
    # e^2 in variance makes the ELBO loose; importance sampling recovers most of it.
    elbo = linear_vae.score_samples(ppca_data, n_samples=10).mean()
    estimate = log_likelihood(linear_vae, ppca_data, 100).mean()
    assert -0.01 <= estimate - elbo < 0.05  # equal up to the two Monte-Carlo errors (~0.005 each here)
    wrong = copy.deepcopy(linear_vae)
    last = [m for m in wrong.model_.encoder.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.bias[2:] += 2.0  # outputs 2, 3 are the log-variances
    wrong_elbo = wrong.score_samples(ppca_data, n_samples=10).mean()
    wrong_estimate = log_likelihood(wrong, ppca_data, 100).mean()
    assert elbo - wrong_elbo > 1.0
    assert estimate - wrong_estimate < 0.2 * (estimate - wrong_elbo)


# ---------------------------------------------------------------------- errors
def test_autoencoder_has_no_likelihood(table: np.ndarray) -> None:
    ae = AutoEncoder(latent_dim=2, epochs=1, verbose=0, random_state=0).fit(table[:100])
    assert not ae.variational
    with pytest.raises(ValueError, match="deterministic code.*no likelihood.*score_samples"):
        log_likelihood(ae, table[:10], 10)
    with pytest.raises(ValueError, match="deterministic code"):
        active_units(ae, table[:10])
    result = evaluate_model(ae, table[:50], log_likelihood_samples=10)
    assert result["elbo"] is None and result["log_likelihood"] is None and result["active_units"] is None


@pytest.mark.parametrize(
    "kwargs, message",
    [({"n_samples": 0}, "n_samples"), ({"n_samples": 2.5}, "n_samples"), ({"batch_size": 0}, "batch_size")],
)
def test_bad_arguments_are_named(table: np.ndarray, table_vae: VAE, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        log_likelihood(table_vae, table[:10], **kwargs)


def test_feature_count_is_checked(table: np.ndarray, table_vae: VAE) -> None:
    with pytest.raises(ValueError, match="6"):
        log_likelihood(table_vae, table[:10, :5], 10)


# --------------------------------------------------------------- bits per dim
def test_bits_per_dim_arithmetic() -> None:
    assert bits_per_dim(784 * math.log(2), 784) == pytest.approx(1.0)
    assert bits_per_dim(100.0, 10) == pytest.approx(10 / math.log(2))
    assert isinstance(bits_per_dim(1.0, 1), float)
    per_row = bits_per_dim(np.array([0.0, 2 * math.log(2), 6 * math.log(2)]), 2)
    np.testing.assert_allclose(per_row, [0.0, 1.0, 3.0])
    with pytest.raises(ValueError, match="n_dims"):
        bits_per_dim(1.0, 0)


# --------------------------------------------------------------- active units
def test_active_units_are_the_variance_of_posterior_means(table: np.ndarray, table_vae: VAE) -> None:
    count, variances = active_units(table_vae, table)
    assert variances.shape == (2,) and variances.dtype == np.float64
    np.testing.assert_allclose(variances, table_vae.transform(table).astype(np.float64).var(axis=0), rtol=1e-5)
    assert count == int((variances > 0.01).sum()) == 2  # both factors are in the code
    assert active_units(table_vae, table, threshold=float(variances.max()))[0] == 0


def test_a_unit_with_constant_posterior_mean_is_inactive(table: np.ndarray, table_vae: VAE) -> None:
    vae = copy.deepcopy(table_vae)
    last = [m for m in vae.model_.encoder.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight[1].zero_()  # output 1 is the mean of latent dim 1: now a constant
    count, variances = active_units(vae, table)
    assert count == 1 and variances[1] == 0.0 and variances[0] > 0.01


# ----------------------------------------------------------------- PCA baseline
def test_pca_baseline_equals_sklearn(table: np.ndarray) -> None:
    train, test = table[:1500], table[1500:]
    result = pca_baseline(train, test, 3)
    pca = PCA(n_components=3).fit(train.astype(np.float64))
    X_test = test.astype(np.float64)
    squared = ((X_test - pca.inverse_transform(pca.transform(X_test))) ** 2).sum(axis=1)
    assert result["n_components"] == 3
    assert result["squared_error"] == pytest.approx(squared.mean(), rel=1e-9)
    assert result["mse"] == pytest.approx(squared.mean() / 6, rel=1e-9)
    assert pca_baseline(train, test, 6)["squared_error"] == pytest.approx(0.0, abs=1e-8)


def test_pca_baseline_flattens_images() -> None:
    X, _ = datasets.load("digits")
    result = pca_baseline(X[:1000], X[1000:], 5)
    flat = pca_baseline(X[:1000].reshape(1000, 64), X[1000:].reshape(-1, 64), 5)
    assert result == flat and result["mse"] == pytest.approx(result["squared_error"] / 64)


# --------------------------------------------------------------- evaluate_model
def test_evaluate_model_with_log_likelihood(table: np.ndarray, table_vae: VAE) -> None:
    assert table_vae.variational
    result = evaluate_model(table_vae, table, n_samples=10, log_likelihood_samples=100)
    assert result["log_likelihood_samples"] == 100
    assert result["log_likelihood"] >= result["elbo"]
    assert result["log_likelihood"] == pytest.approx(log_likelihood(table_vae, table, 100).mean())
    assert result["bits_per_dim"] == pytest.approx(-result["log_likelihood"] / (6 * math.log(2)))
    assert result["active_units"] == active_units(table_vae, table)[0]
    assert np.isclose(result["elbo"], -(result["reconstruction"] + result["kl"]))
    plain = evaluate_model(table_vae, table, n_samples=10)
    assert plain.log_likelihood is None and plain["bits_per_dim"] is None  # not asked for
    assert {k: plain[k] for k in ("elbo", "reconstruction", "kl", "mse")} == {
        k: result[k] for k in ("elbo", "reconstruction", "kl", "mse")
    }


# ------------------------------------------------ positive log-densities, feature names
def test_a_positive_elbo_is_the_same_model_in_smaller_units(table: np.ndarray) -> None:
    """The same data in units 1000 times smaller: the same standardized fit, a density 1000^6 times
    higher, so an ELBO that is positive and correct; only then is the explanation given."""
    from vaekit.evaluation.likelihood import POSITIVE_DENSITY_NOTE, positive_density_note

    X = table[:300]
    params = {"latent_dim": 2, "hidden": (16,), "epochs": 3, "verbose": 0, "random_state": 0}
    big = evaluate_model(VAE(**params).fit(X), X, log_likelihood_samples=5)
    small = evaluate_model(VAE(**params).fit(X / 1000), X / 1000, log_likelihood_samples=5)
    shift = 6 * math.log(1000)  # log |det| of the change of units
    assert small["elbo"] == pytest.approx(big["elbo"] + shift, abs=1e-3)
    assert big["elbo"] < 0 < small["elbo"] and small["log_likelihood"] > 0 > small["bits_per_dim"]
    assert positive_density_note(big["elbo"], big["log_likelihood"]) is None
    assert positive_density_note(small["elbo"], small["log_likelihood"]) == POSITIVE_DENSITY_NOTE
    assert positive_density_note(-1.0, 0.5) == POSITIVE_DENSITY_NOTE  # log p(x) >= ELBO: it can turn first
    assert positive_density_note(None, None) is None  # an autoencoder has neither


def test_a_model_fitted_on_a_dataframe_is_evaluated_without_warnings(table: np.ndarray) -> None:
    frame = pd.DataFrame(table[:200], columns=[f"c{j}" for j in range(6)])
    vae = VAE(latent_dim=2, hidden=(16,), epochs=2, verbose=0, random_state=0).fit(frame)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate_model(vae, frame, log_likelihood_samples=20)
        log_likelihood(vae, frame[list(reversed(frame.columns))], 5)  # columns taken by name
        active_units(vae, frame)
    assert [str(w.message) for w in caught if not issubclass(w.category, FindingWarning)] == []  # none about names


def test_an_evaluation_is_a_dataclass_and_a_dict_that_agree() -> None:
    import json

    from vaekit.evaluation.result import Evaluation

    result = Evaluation(n=3, elbo=None, reconstruction=1.5, kl=0.0, likelihood="gaussian", active_units=None)
    result.update({"mse": 2.0, "codebook": {"used": 3}})  # a field and an entry a model adds about itself
    result["elbo"] = -1.5
    result.kl = 0.25
    assert (result.mse, result.elbo, result["kl"], result["codebook"]) == (2.0, -1.5, 0.25, {"used": 3})
    assert json.loads(json.dumps(result))["mse"] == 2.0 and result.get("table") is None
    assert not hasattr(result, "codebook")  # not a field: an entry only
