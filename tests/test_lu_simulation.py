"""The fast simulation of Lu et al.'s reduced linear-attention model (verify/lu_quantities.py) against its plain
definition: prompts of ℓ explicit examples, H_Z = x_{ℓ+1}[(d/ℓ)Σ y_i x_iᵀ, (1/ℓ)Σ y_i²] formed entry by entry, the
least-squares fit on the explicit feature matrix, and the squared error on explicit queries (issue 18 item 7)."""

import itertools

import numpy as np
import pytest
from scipy.stats import ks_2samp

from verify.lu_quantities import (FiniteSizeExtrapolation, ReducedAttentionTestError, context_vector,
                                  draw_context_statistics, least_squares_readout, normal_equations,
                                  query_averaged_error)


def plain_prompts(rng: np.random.Generator, tasks: np.ndarray, ell: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """ℓ + 1 explicit examples per task row: x_i ~ N(0, I_d/d) (query last), y_i = ⟨w, x_i⟩ + ε_i, ε_i ~ N(0, ρ)."""
    count, d = tasks.shape
    X = rng.standard_normal((count, ell + 1, d)) / np.sqrt(d)
    return X, np.einsum("cid,cd->ci", X, tasks) + np.sqrt(rho) * rng.standard_normal((count, ell + 1))


def plain_statistics(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """s = (d/ℓ) Σ_{i≤ℓ} y_i x_i and t = (1/ℓ) Σ_{i≤ℓ} y_i², by a loop over the examples."""
    ell, d = X.shape[1] - 1, X.shape[2]
    s = sum(y[:, i, None] * X[:, i] for i in range(ell)) * d / ell
    return s, sum(y[:, i] ** 2 for i in range(ell)) / ell


def plain_features(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """H_Z[a, b] = x_{ℓ+1, a} h_b, h = [s, t], entry by entry, flattened row-major."""
    s, t = plain_statistics(X, y)
    h = np.concatenate([s, t[:, None]], axis=1)
    ell, d = X.shape[1] - 1, X.shape[2]
    H = np.empty((len(X), d, d + 1))
    for a, b in itertools.product(range(d), range(d + 1)):
        H[:, a, b] = X[:, ell, a] * h[:, b]
    return H.reshape(len(X), -1)


@pytest.mark.parametrize("d, contexts", [(4, 60), (5, 200), (4, 15)])
def test_the_fit_equals_least_squares_on_the_explicit_features(d, contexts):
    """Same inputs: HᵀH, Hᵀy by symmetric pairs and Γ by Cholesky (or the SVD below 2 contexts per parameter) equal
    the explicit feature matrix's products and numpy's minimum-norm lstsq to 1e-10."""
    rng = np.random.default_rng(d + contexts)
    X, y = plain_prompts(rng, rng.standard_normal((contexts, d)), ell=2 * d, rho=0.3)
    H, labels = plain_features(X, y), y[:, -1]
    s, t = plain_statistics(X, y)
    queries, h = X[:, -1], context_vector(s, t)
    gram, moment = normal_equations(queries, h, labels)
    np.testing.assert_allclose(gram, H.T @ H, rtol=1e-10, atol=1e-10 * np.abs(H.T @ H).max())
    np.testing.assert_allclose(moment, H.T @ labels, rtol=1e-10, atol=1e-12)
    reference = np.linalg.lstsq(H, labels, rcond=None)[0]
    np.testing.assert_allclose(least_squares_readout(queries, h, labels), reference, rtol=1e-10,
                               atol=1e-10 * np.abs(reference).max())


def test_the_query_averaged_error_is_the_mean_over_explicit_queries():
    """E over x ~ N(0, I_d/d), ε ~ N(0, ρ) of (⟨Γ, x ⊗ h⟩ − ⟨w, x⟩ − ε)², a quadratic, is its mean over the
    cubature x ∈ {±e_a}, ε ∈ {±√ρ} (exact for degree 2: the same mean and covariance): equal to 1e-10."""
    rng = np.random.default_rng(7)
    d, rho, count = 3, 0.4, 5
    gamma, tasks = rng.standard_normal(d * (d + 1)), rng.standard_normal((count, d))
    s, t = rng.standard_normal((count, d)), rng.random(count)
    h = context_vector(s, t)
    explicit = np.zeros(count)
    for a, sign, noise in itertools.product(range(d), (1, -1), (np.sqrt(rho), -np.sqrt(rho))):
        x = sign * np.eye(d)[a]
        features = (x[None, :, None] * h[:, None, :]).reshape(count, -1)
        explicit += (features @ gamma - tasks @ x - noise) ** 2 / (4 * d)
    np.testing.assert_allclose(query_averaged_error(gamma, tasks, s, t, rho), explicit, rtol=1e-10)


@pytest.mark.parametrize("norm, ell, rho", [(np.sqrt(3), 5, 0.5), (0.4, 2, 0.0), (2.0, 1, 1.0)])
def test_the_sampled_statistics_have_the_law_of_explicit_examples(norm, ell, rho):
    """(s, t) drawn from the statistic's law and from ℓ explicit examples (d = 3, 20 000 each): two-sample KS tests on
    s along w, s along a direction ⟂ w, t and ‖s‖² all accept (p > 0.001; fixed seeds)."""
    rng = np.random.default_rng(int(10 * norm) + ell)
    count = 20_000
    w = norm * np.array([0.6, 0.0, 0.8])
    tasks = np.tile(w, (count, 1))
    fast = draw_context_statistics(rng, tasks, ell, rho)
    plain = plain_statistics(*plain_prompts(rng, tasks, ell, rho))
    orthogonal = np.array([0.8, 0.0, -0.6])
    for project in (lambda s, t: s @ w, lambda s, t: s @ orthogonal, lambda s, t: t,
                    lambda s, t: np.sum(s * s, axis=1)):
        assert ks_2samp(project(*fast), project(*plain)).pvalue > 1e-3


def test_the_extrapolation_averages_its_small_rows():
    """One row = (d₂ e₂ − d₁ mean of small_rows e₁)/(d₂ − d₁), the large row drawn first."""
    small = ReducedAttentionTestError(d=3, ell=6, k=6, contexts=40, rho=0.1, test_prompts=50)
    large = ReducedAttentionTestError(d=4, ell=8, k=8, contexts=70, rho=0.1, test_prompts=50)
    rows = FiniteSizeExtrapolation(small, large, small_rows=3).draw(np.random.default_rng(1), 2)
    rng = np.random.default_rng(1)
    e_large, e_small = large.draw(rng, 2), small.draw(rng, 6).reshape(2, 3, 1).mean(axis=1)
    np.testing.assert_allclose(rows, 4 * e_large - 3 * e_small, rtol=1e-12)
