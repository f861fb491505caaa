"""The Wick engine: known identities exactly, and brute-force Monte Carlo within its confidence interval."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from derivations.moments import expected_chain, expected_S, expected_SBS, expected_trace, perfect_pairings
from tests.strategies import rational_matrices, rational_spd

n = sp.Symbol("n", positive=True)


def test_pairing_counts_are_double_factorials():
    assert [len(perfect_pairings(2 * r)) for r in range(1, 5)] == [1, 3, 15, 105]


def test_abstract_second_moment_is_zfb_identity():
    d = sp.Symbol("d", positive=True, integer=True)
    Sigma, B = sp.MatrixSymbol("Sigma", d, d), sp.MatrixSymbol("B", d, d)
    expected = Sigma * B * Sigma + (Sigma * B.T * Sigma + sp.Trace(B * Sigma) * Sigma) / n
    assert sp.expand(expected_SBS(B, Sigma, n) - expected) == sp.ZeroMatrix(d, d)


@given(rational_spd(2), rational_matrices(2))
def test_explicit_second_moment_matches_identity(Sigma, B):
    formula = Sigma * B * Sigma + (Sigma * B.T * Sigma + (B * Sigma).trace() * Sigma) / n
    assert (expected_SBS(B, Sigma, n) - formula).applyfunc(sp.simplify) == sp.zeros(2, 2)
    assert expected_S(Sigma, n) == Sigma


def test_fourth_moment_scalar_case_is_gaussian_moment():
    # d = 1, Σ = s: S = s χ²_n / n, E[S^4] = s^4 (n)(n+2)(n+4)(n+6)/n^4.
    s = sp.Symbol("s", positive=True)
    value = expected_trace([sp.eye(1)] * 4, sp.Matrix([[s]]), n)
    assert sp.simplify(value - s ** 4 * n * (n + 2) * (n + 4) * (n + 6) / n ** 4) == 0


def _monte_carlo_trace(mats, Sigma, n_value, draws, seed):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    L = np.linalg.cholesky(np.array(Sigma, dtype=float))
    values = np.empty(draws)
    for start in range(0, draws, 20_000):
        stop = min(draws, start + 20_000)
        X = L @ rng.standard_normal((stop - start, L.shape[0], n_value))
        S = X @ X.transpose(0, 2, 1) / n_value
        P = np.broadcast_to(np.eye(L.shape[0]), S.shape)
        for A in mats:
            P = P @ np.array(A, dtype=float) @ S
        values[start:stop] = np.trace(P, axis1=1, axis2=2)
    batch_means = values.reshape(40, -1).mean(axis=1)
    return values.mean(), batch_means.std(ddof=1) / np.sqrt(40)


@settings(max_examples=4)
@given(st.integers(min_value=1, max_value=4), st.data())
def test_trace_moments_agree_with_brute_force_monte_carlo(r, data):
    Sigma = data.draw(rational_spd(2))
    mats = [data.draw(rational_matrices(2, -1, 1)) for _ in range(r)]
    n_value = data.draw(st.integers(min_value=2, max_value=6))
    exact = float(expected_trace(mats, Sigma, n_value))
    mean, se = _monte_carlo_trace(mats, Sigma, n_value, 80_000, seed=r)
    z_crit = norm.isf(1e-4 / 2)
    assert abs(mean - exact) <= z_crit * se + 1e-12, (mean, se, exact)


def test_wrong_moment_is_rejected_by_the_same_monte_carlo():
    # Negative control for the MC comparison above: dropping the 1/n term must be detected.
    Sigma = sp.Matrix([[2, 1], [1, 1]])
    B = sp.Matrix([[1, 2], [0, 1]])
    wrong = float((Sigma * Sigma * B * Sigma).trace())   # E tr(S S B S) replaced by its n → ∞ limit tr(ΣΣBΣ)
    mean, se = _monte_carlo_trace([sp.eye(2), sp.eye(2), B], Sigma, 3, 80_000, seed=7)
    exact = float(expected_trace([sp.eye(2), sp.eye(2), B], Sigma, 3))
    assert abs(mean - exact) <= norm.isf(1e-4 / 2) * se
    assert abs(mean - wrong) > norm.isf(1e-4 / 2) * se


def test_expected_chain_needs_a_matrix():
    with pytest.raises(ValueError):
        expected_chain([], sp.eye(2), n)
