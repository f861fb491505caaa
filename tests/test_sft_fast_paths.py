"""The fast paths of verify/sft_proportional.py against plain definitions: the trained value blocks by Cholesky
solves equal the pseudo-inverse formulas on the same data, and the SFT features drawn in law have the law of
features computed from drawn examples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from verify.sampling import covariance_root, draw_covariates
from verify.sft_proportional import pseudo_inverse, sft_features, sft_value_blocks


def plain_value_blocks(Omega, Phi, A, V_pre, eta):
    """The module docstring's definitions, read literally: SVD pseudo-inverses and d × d projections."""
    identity = np.eye(Omega.shape[0])
    M = A @ Omega
    M_pinv, Phi_pinv = np.linalg.pinv(M), np.linalg.pinv(Phi)
    V_S = -eta * Omega @ M_pinv + V_pre @ (identity - M @ M_pinv)
    first_order = V_S - V_S @ (Phi - M) @ M_pinv
    minimiser = -eta * Omega @ Phi_pinv + V_pre @ (identity - Phi @ Phi_pinv)
    return [first_order, minimiser]


def plain_features(rng, root_A, Omega, m):
    """Φ = [X_τX_τᵀw*_τ/m]_τ with the m examples of every prompt drawn."""
    X = draw_covariates(rng, root_A, m, Omega.shape[1])                    # (B, d, m)
    return np.einsum("bdn,bn->db", X, np.einsum("bdn,db->bn", X, Omega)) / m


@pytest.mark.parametrize("d, B, rank", [(12, 5, 12), (12, 30, 12), (60, 20, 60), (16, 4, 8), (16, 13, 8),
                                        (16, 32, 8)])
def test_value_blocks_equal_the_pseudo_inverse_definition(d, B, rank):
    """Full-rank data (Cholesky solves) and a singular A (rank 8 < d: rank-deficient Φ, SVD fallback)."""
    rng = np.random.default_rng(d * 100 + B)
    A = np.diag(np.r_[rng.uniform(0.1, 1.0, rank), np.zeros(d - rank)])
    Omega = rng.standard_normal((d, B))
    Phi = A @ Omega + A @ rng.standard_normal((d, B)) / 3
    V_pre = -np.diag(rng.uniform(0.5, 2.0, d))
    fast = sft_value_blocks(Omega, Phi, A, V_pre, 0.5, ("first-order", "minimiser"))
    for block, plain in zip(fast, plain_value_blocks(Omega, Phi, A, V_pre, 0.5)):
        assert np.max(np.abs(block - plain)) <= 1e-10 * np.max(np.abs(plain))


def test_pseudo_inverse_of_a_rank_deficient_matrix_is_the_svd_one():
    rng = np.random.default_rng(1)
    M = rng.standard_normal((10, 3)) @ rng.standard_normal((3, 6))          # rank 3 < 6
    assert np.allclose(pseudo_inverse(M), np.linalg.pinv(M), rtol=0, atol=1e-10)
    assert np.allclose(pseudo_inverse(M.T), np.linalg.pinv(M.T), rtol=0, atol=1e-10)


@pytest.mark.parametrize("singular", [False, True])
def test_features_drawn_in_law_match_features_from_drawn_examples(singular):
    """Two samplers of Φ for fixed tasks, 20 000 prompts each: equal means and covariances (within 5 standard
    errors) and equal laws of two statistics (Kolmogorov–Smirnov) — a non-diagonal A, singular or not."""
    d, m, B = 3, 5, 20_000
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((d, d)))[0]
    A = Q @ np.diag([1.5, 0.4, 0.0 if singular else 0.2]) @ Q.T
    root = covariance_root(A)
    Omega = np.tile(np.array([[0.7], [-1.2], [0.4]]), (1, B))
    in_law = sft_features(np.random.default_rng(2), root, Omega, m).T      # (B, d)
    examples = plain_features(np.random.default_rng(3), root, Omega, m).T
    for statistic in (lambda F: F, lambda F: np.einsum("bi,bj->bij", F, F).reshape(B, -1)):
        a, b = statistic(in_law), statistic(examples)
        standard_error = np.sqrt((a.var(0) + b.var(0)) / B)
        assert np.all(np.abs(a.mean(0) - b.mean(0)) <= 5 * standard_error + 1e-12)
    for statistic in (lambda F: np.linalg.norm(F, axis=1), lambda F: F @ np.array([1.0, 2.0, -1.0])):
        assert ks_2samp(statistic(in_law), statistic(examples)).pvalue > 1e-3
