"""The simulator against explicit loops and against the CoT recursion it is used to check (from first principles).

Known consequence of the sparse pattern, used here only as an independent check:
ŵ_{i+1} = ŵ_i + Ṽ S (W̃ ŵ_i − w*), S = X Xᵀ / n.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icl_errors import InputError
from verify.sampling import covariance_root, draw_covariates, draw_prompts, draw_tasks
from verify.simulator import (block_slices, cot_rollout, embed, lsa_forward, lsa_last_column, sparse_key_query_matrix,
                              sparse_value_matrix, weight_prediction_error)

seeds = st.integers(0, 2**32 - 1)


def random_spd(rng: np.random.Generator, d: int) -> np.ndarray:
    A = rng.standard_normal((d, d))
    return A @ A.T / d + 0.1 * np.eye(d)


def random_instance(rng: np.random.Generator, batch: int, d: int, n: int):
    """Prompts with x ~ N(0, Σ) for a random SPD Σ, and random ŵ_0."""
    prompts = draw_prompts(rng, covariance_root(random_spd(rng, d)), n, batch)
    return prompts.X, prompts.w_star, prompts.y, rng.standard_normal((batch, d))


def recursion(X: np.ndarray, w_star: np.ndarray, V_tilde: np.ndarray, W_tilde: np.ndarray, w0: np.ndarray,
              k: int) -> np.ndarray:
    """ŵ_1..ŵ_k of ŵ_{i+1} = ŵ_i + Ṽ S (W̃ ŵ_i − w*) per prompt, shape (batch, k, d)."""
    out = np.empty((X.shape[0], k, X.shape[1]))
    for b in range(X.shape[0]):
        S = X[b] @ X[b].T / X.shape[2]
        w = w0[b]
        for i in range(k):
            w = w + V_tilde @ S @ (W_tilde @ w - w_star[b])
            out[b, i] = w
    return out


# ---------------------------------------------------------------- layout


def test_block_slices_and_sparse_pattern():
    blocks = block_slices(2)
    assert blocks == (slice(0, 2), slice(2, 3), slice(3, 5), slice(5, 6))
    V_t, W_t = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 6.0], [7.0, 8.0]])
    V, W = sparse_value_matrix(V_t), sparse_key_query_matrix(W_t)
    expected_V, expected_W = np.zeros((6, 6)), np.zeros((6, 6))
    expected_V[3:5, 0:2] = V_t
    expected_W[0:2, 3:5] = W_t
    expected_W[2, 5] = -1.0
    np.testing.assert_array_equal(V, expected_V)
    np.testing.assert_array_equal(W, expected_W)
    with pytest.raises(InputError, match="V_tilde must be a non-empty square matrix"):
        sparse_value_matrix(np.ones((2, 3)))
    with pytest.raises(InputError, match="W_tilde"):
        sparse_key_query_matrix(np.ones(3))


def test_embed_layout():
    X = np.arange(12.0).reshape(2, 2, 3)
    y = -np.arange(6.0).reshape(2, 3)
    Z = embed(X, y, np.array([7.0, 8.0]))
    assert Z.shape == (2, 6, 4)
    np.testing.assert_array_equal(Z[:, 0:2, :3], X)
    np.testing.assert_array_equal(Z[:, 2, :3], y)
    np.testing.assert_array_equal(Z[:, 3:6, :3], 0.0)
    np.testing.assert_array_equal(Z[:, :, 3], [[0, 0, 0, 7, 8, 1]] * 2)
    np.testing.assert_array_equal(embed(X, y)[:, 3:5, 3], 0.0)
    with pytest.raises(InputError, match="y must have shape"):
        embed(X, y[:, :2])
    with pytest.raises(InputError, match="w0 must have shape"):
        embed(X, y, np.zeros(3))


# ---------------------------------------------------------------- the layer


@settings(deadline=None, max_examples=30)
@given(seed=seeds, d=st.integers(1, 3), n=st.integers(1, 5), batch=st.integers(1, 3), shared=st.booleans())
def test_lsa_forward_equals_per_prompt_loop(seed, d, n, batch, shared):
    rng = np.random.default_rng(seed)
    D = 2 * d + 2
    X, _, y, w0 = random_instance(rng, batch, d, n)
    Z = embed(X, y, w0)
    Z += rng.standard_normal(Z.shape)  # any Z, not only embeddings
    shape = (D, D) if shared else (batch, D, D)
    V, W = rng.standard_normal(shape), rng.standard_normal(shape)
    out = lsa_forward(Z, V, W, n)
    for b in range(batch):
        Vb, Wb = (V, W) if shared else (V[b], W[b])
        expected = Z[b] + Vb @ Z[b] @ (Z[b].T @ Wb @ Z[b]) / n
        np.testing.assert_allclose(out[b], expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
    last = lsa_last_column(Z, V, W, n)
    np.testing.assert_allclose(last, out[:, :, -1], rtol=1e-12, atol=1e-12 * np.abs(out).max())


@settings(deadline=None, max_examples=30)
@given(seed=seeds, d=st.integers(1, 3), n=st.integers(1, 5), k=st.integers(0, 4))
def test_rollout_appends_the_full_last_output_column(seed, d, n, k):
    """cot_rollout (last-column shortcut) equals Z_{i+1} = [Z_i, f(Z_i)[:, −1]] with the full f, for full V, W."""
    rng = np.random.default_rng(seed)
    D = 2 * d + 2
    X, _, y, w0 = random_instance(rng, 2, d, n)
    Z = embed(X, y, w0)
    V, W = rng.standard_normal((2, D, D)) / np.sqrt(D)
    Z_k, w_hats = cot_rollout(Z, V, W, n, k)
    for _ in range(k):
        Z = np.concatenate([Z, lsa_forward(Z, V, W, n)[:, :, -1:]], axis=2)
    assert Z_k.shape == Z.shape == (2, D, n + 1 + k)
    np.testing.assert_allclose(Z_k, Z, rtol=1e-12, atol=1e-12 * np.abs(Z).max())
    np.testing.assert_array_equal(w_hats, Z_k[:, d + 1:2 * d + 1, n + 1:].transpose(0, 2, 1))


# ---------------------------------------------------------------- the CoT recursion


def rollout_deviation(seed: int, d: int, n: int, k: int, sparse: bool) -> tuple[float, np.ndarray]:
    """(max |ŵ_i (rollout) − ŵ_i (recursion)| / scale, Z_k), the recursion using Ṽ = V[w, x], W̃ = W[x, w]."""
    rng = np.random.default_rng(seed)
    D = 2 * d + 2
    blocks = block_slices(d)
    X, w_star, y, w0 = random_instance(rng, 3, d, n)
    if sparse:
        V_t, W_t = rng.standard_normal((2, d, d)) / np.sqrt(d)
        V, W = sparse_value_matrix(V_t), sparse_key_query_matrix(W_t)
    else:
        V, W = rng.standard_normal((2, D, D)) / np.sqrt(D)
        V_t, W_t = V[blocks.w, blocks.x], W[blocks.x, blocks.w]
    Z_k, w_hats = cot_rollout(embed(X, y, w0), V, W, n, k)
    expected = recursion(X, w_star, V_t, W_t, w0, k)
    assert w_hats.shape == (3, k, d)
    deviation = float(np.max(np.abs(w_hats - expected), initial=0.0)) / max(1.0, np.abs(expected).max(initial=0.0))
    return deviation, Z_k


@settings(deadline=None, max_examples=60)
@given(seed=seeds, d=st.integers(1, 4), n=st.integers(1, 6), k=st.integers(0, 4))
def test_sparse_rollout_is_the_recursion(seed, d, n, k):
    deviation, Z_k = rollout_deviation(seed, d, n, k, sparse=True)
    assert deviation <= 1e-10
    blocks = block_slices(d)
    appended = Z_k[:, :, n + 1:]
    assert np.all(appended[:, blocks.x] == 0.0)
    assert np.all(appended[:, blocks.y] == 0.0)
    assert np.all(appended[:, blocks.one] == 1.0)


@settings(deadline=None, max_examples=30)
@given(seed=seeds, d=st.integers(1, 4), n=st.integers(1, 6), k=st.integers(1, 4))
def test_full_rollout_is_not_the_recursion(seed, d, n, k):
    """Negative control: off the sparse pattern the same comparison fails."""
    deviation, _ = rollout_deviation(seed, d, n, k, sparse=False)
    assert deviation > 1e-6


def test_weight_prediction_error_reads_the_last_rollout_step():
    rng = np.random.default_rng(7)
    d, n = 3, 4
    prompts = draw_prompts(rng, covariance_root(random_spd(rng, d)), n, 5)
    V = sparse_value_matrix(rng.standard_normal((d, d)) / 2)
    W = sparse_key_query_matrix(np.eye(d) + rng.standard_normal((d, d)) / 4)
    np.testing.assert_allclose(weight_prediction_error(prompts.X, prompts.w_star, V, W, 0),
                               np.sum(prompts.w_star ** 2, axis=1), rtol=1e-15)
    for k in (1, 3):
        _, w_hats = cot_rollout(embed(prompts.X, prompts.y), V, W, n, k)
        expected = np.sum((w_hats[:, -1] - prompts.w_star) ** 2, axis=1)
        np.testing.assert_allclose(weight_prediction_error(prompts.X, prompts.w_star, V, W, k), expected, rtol=1e-13)


def test_layer_rejects_bad_input():
    Z = embed(np.ones((1, 2, 3)), np.ones((1, 3)))
    V = np.zeros((6, 6))
    with pytest.raises(InputError, match="k must be an integer >= 0"):
        cot_rollout(Z, V, V, 3, -1)
    with pytest.raises(InputError, match="n must be an integer >= 1"):
        lsa_forward(Z, V, V, 0)
    with pytest.raises(InputError, match="V must have shape"):
        lsa_forward(Z, np.zeros((5, 5)), V, 3)
    with pytest.raises(InputError, match="D = 5"):
        cot_rollout(np.ones((1, 5, 2)), np.zeros((5, 5)), np.zeros((5, 5)), 1, 1)
    with pytest.raises(InputError, match="w_star must have shape"):
        weight_prediction_error(np.ones((1, 2, 3)), np.ones((1, 3)), V, V, 1)


# ---------------------------------------------------------------- sampling


@settings(deadline=None, max_examples=40)
@given(seed=seeds, d=st.integers(1, 6), rank=st.integers(0, 6))
def test_covariance_root_reproduces_sigma(seed, d, rank):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, min(rank, d)))
    Sigma = A @ A.T if rank < d else random_spd(rng, d)  # singular PSD (even 0) or SPD
    R = covariance_root(Sigma)
    np.testing.assert_allclose(R @ R.T, Sigma, rtol=0, atol=1e-12 * max(1.0, np.abs(Sigma).max()))
    np.testing.assert_array_equal(R, R.T)


@pytest.mark.parametrize("Sigma, message", [
    (np.ones((2, 3)), r"Sigma must be a square matrix, got shape \(2, 3\)"),
    (np.ones(3), r"Sigma must be a square matrix, got shape \(3,\)"),
    (np.array([[1.0, 0.5], [0.0, 1.0]]), "Sigma is not symmetric"),
    (np.diag([1.0, -0.5]), r"Sigma is not positive semi-definite \(smallest eigenvalue -0.5\)"),
    (np.array([[1.0, np.nan], [np.nan, 1.0]]), "Sigma has a non-finite entry"),
])
def test_covariance_root_names_the_problem(Sigma, message):
    with pytest.raises(InputError, match=f"^{message}$"):
        covariance_root(Sigma)


def test_draw_covariates_has_covariance_sigma_and_is_reproducible():
    Sigma = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    root = covariance_root(Sigma)
    X = draw_covariates(np.random.default_rng(np.random.SeedSequence(1234)), root, 50, 400)
    assert X.shape == (400, 3, 50)
    np.testing.assert_array_equal(X, draw_covariates(np.random.default_rng(np.random.SeedSequence(1234)), root, 50,
                                                      400))
    columns = X.transpose(1, 0, 2).reshape(3, -1)  # 20 000 i.i.d. columns
    count = columns.shape[1]
    sample = columns @ columns.T / count
    # x_i x_j has variance Σ_ii Σ_jj + Σ_ij² for Gaussian x with mean 0.
    standard_error = np.sqrt((np.outer(np.diag(Sigma), np.diag(Sigma)) + Sigma ** 2) / count)
    assert np.all(np.abs(sample - Sigma) <= 5 * standard_error)


def test_draw_prompts_is_noiseless_and_tasks_are_standard():
    rng = np.random.default_rng(np.random.SeedSequence(1234))
    prompts = draw_prompts(rng, covariance_root(np.diag([1.0, 0.0])), 3, 2)  # a singular Σ is fine
    assert prompts.X.shape == (2, 2, 3) and prompts.w_star.shape == (2, 2) and prompts.y.shape == (2, 3)
    np.testing.assert_array_equal(prompts.X[:, 1], 0.0)
    np.testing.assert_allclose(prompts.y, np.einsum("bd,bdn->bn", prompts.w_star, prompts.X), rtol=1e-15)
    w = draw_tasks(rng, 2, 20_000)
    # Entries of w wᵀ have variance 1 + δ_ij.
    assert np.all(np.abs(w.T @ w / len(w) - np.eye(2)) <= 5 * np.sqrt((1 + np.eye(2)) / len(w)))


@pytest.mark.parametrize("n, batch, message", [(0, 1, "n must be an integer >= 1, got 0"),
                                               (2, 0, "batch must be an integer >= 1, got 0"),
                                               (2.5, 1, "n must be an integer, got 2.5"),
                                               (True, 1, "n must be an integer >= 1, got True")])
def test_draw_covariates_rejects_bad_counts(n, batch, message):
    with pytest.raises(InputError, match=f"^{message}$"):
        draw_covariates(np.random.default_rng(0), np.eye(2), n, batch)
