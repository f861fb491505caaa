"""The fast CoT kernel (Gram block of the prompt, rank-one updates, embedding held as blocks) equals the plain layer
f(Z) = Z + V Z (Zᵀ W Z)/n of ``lsa_forward`` applied step by step to the materialized embedding, to 1e-12, for
random full V, W (shared or per prompt) and for V, W with arbitrary zero rows and columns."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icl_errors import InputError
from verify import simulator
from verify.sampling import draw_prompts
from verify.simulator import (block_slices, cot_error_basis_average, cot_error_path, cot_rollout, embed, lsa_forward,
                              sparse_key_query_matrix, sparse_value_matrix)

seeds = st.integers(0, 2**32 - 1)


def plain_rollout(Z: np.ndarray, V: np.ndarray, W: np.ndarray, n: int, k: int) -> np.ndarray:
    """Z_k by the definition: k times Z ← [Z, lsa_forward(Z)[:, :, −1]]."""
    for _ in range(k):
        Z = np.concatenate([Z, lsa_forward(Z, V, W, n)[:, :, -1:]], axis=2)
    return Z


def layer_matrices(rng: np.random.Generator, D: int, batch: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    shape = (D, D) if kind != "per-prompt" else (batch, D, D)
    V, W = rng.standard_normal((2,) + shape) / np.sqrt(D)
    if kind == "holes":    # zero columns of V and zero rows of W at random places: a non-contiguous Gram support
        V[..., :, rng.random(D) < 0.4] = 0.0
        W[..., rng.random(D) < 0.4, :] = 0.0
    return V, W


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12 * scale)


@settings(deadline=None, max_examples=40)
@given(seed=seeds, d=st.integers(1, 4), n=st.integers(1, 7), k=st.integers(0, 5),
       kind=st.sampled_from(["shared", "per-prompt", "holes"]))
def test_rollout_equals_the_plain_layer(seed, d, n, k, kind):
    rng = np.random.default_rng(seed)
    batch, D = 3, 2 * d + 2
    prompts = draw_prompts(rng, np.eye(d), n, batch)
    Z0 = embed(prompts.X, prompts.y, rng.standard_normal((batch, d)))
    V, W = layer_matrices(rng, D, batch, kind)
    Z_k, w_hats = cot_rollout(Z0, V, W, n, k)
    expected = plain_rollout(Z0, V, W, n, k)
    assert Z_k.shape == expected.shape
    assert_close(Z_k, expected)
    np.testing.assert_array_equal(w_hats, Z_k[:, block_slices(d).w, n + 1:].transpose(0, 2, 1))


@settings(deadline=None, max_examples=40)
@given(seed=seeds, d=st.integers(1, 4), n=st.integers(1, 7), k=st.integers(0, 5),
       kind=st.sampled_from(["shared", "per-prompt", "holes", "sparse"]))
def test_error_path_without_materializing_z_equals_the_plain_layer(seed, d, n, k, kind):
    """cot_error_path (embedding held as (X, y) and z_0; Gram from its blocks) against the materialized embedding."""
    rng = np.random.default_rng(seed)
    batch, D = 3, 2 * d + 2
    prompts = draw_prompts(rng, np.eye(d), n, batch)
    if kind == "sparse":
        V = sparse_value_matrix(rng.standard_normal((d, d)))
        W = sparse_key_query_matrix(rng.standard_normal((d, d)))
    else:
        V, W = layer_matrices(rng, D, batch, kind)
    path = cot_error_path(prompts.X, prompts.w_star, V, W, k)
    expected = plain_rollout(embed(prompts.X, prompts.y), V, W, n, k)[:, block_slices(d).w, n + 1:]
    assert path.shape == (batch, k, d)
    assert_close(path + prompts.w_star[:, None, :], expected.transpose(0, 2, 1))


def test_blocks_of_prompts_give_the_same_path(monkeypatch):
    """cot_error_path rolls prompts out in blocks (PROMPT_BLOCK): 16-prompt blocks, per-prompt V and W included."""
    rng = np.random.default_rng(3)
    d, n, k, batch = 3, 5, 3, 50
    prompts = draw_prompts(rng, np.eye(d), n, batch)
    for kind in ("shared", "per-prompt"):
        V, W = layer_matrices(rng, 2 * d + 2, batch, kind)
        whole = cot_error_path(prompts.X, prompts.w_star, V, W, k)
        monkeypatch.setattr(simulator, "PROMPT_BLOCK", 1)
        blocked = cot_error_path(prompts.X, prompts.w_star, V, W, k)
        monkeypatch.undo()
        expected = plain_rollout(embed(prompts.X, prompts.y), V, W, n, k)[:, block_slices(d).w, n + 1:]
        assert_close(blocked + prompts.w_star[:, None, :], expected.transpose(0, 2, 1))
        assert_close(blocked, whole)


def test_fast_path_at_benchmark_size():
    """One larger case (d = 20, m = 80, k = 4), full random V and W."""
    rng = np.random.default_rng(18)
    d, n, k, batch = 20, 80, 4, 4
    prompts = draw_prompts(rng, np.eye(d), n, batch)
    V, W = layer_matrices(rng, 2 * d + 2, batch, "shared")
    expected = plain_rollout(embed(prompts.X, prompts.y), V, W, n, k)[:, block_slices(d).w, n + 1:]
    assert_close(cot_error_path(prompts.X, prompts.w_star, V, W, k) + prompts.w_star[:, None, :],
                 expected.transpose(0, 2, 1))


@settings(deadline=None, max_examples=40)
@given(seed=seeds, d=st.integers(1, 4), n=st.integers(1, 6), k=st.integers(0, 4), holes=st.booleans())
def test_basis_average_is_the_sum_over_basis_tasks_of_the_plain_layer(seed, d, n, k, holes):
    rng = np.random.default_rng(seed)
    batch = 3
    X = rng.standard_normal((batch, d, n))
    V_tilde, W_tilde = rng.standard_normal((2, d, d))
    if holes:      # zero columns of Ṽ and rows of W̃: the Gram block is read in fewer rows and columns
        V_tilde[:, rng.random(d) < 0.4] = 0.0
        W_tilde[rng.random(d) < 0.4, :] = 0.0
    V, W = sparse_value_matrix(V_tilde), sparse_key_query_matrix(W_tilde)
    if holes and rng.random() < 0.5:
        W[d, 2 * d + 1] = 0.0          # W[y, one] = 0: the layer does not read the label row y at all
    expected = np.zeros(batch)
    for j in range(d):
        w_star = np.tile(np.eye(d)[j], (batch, 1))
        Z_k = plain_rollout(embed(X, np.einsum("bd,bdn->bn", w_star, X)), V, W, n, k)
        error = (Z_k[:, block_slices(d).w, -1] if k else 0.0) - w_star
        expected += np.sum(error ** 2, axis=1)
    averages = cot_error_basis_average(X @ X.transpose(0, 2, 1), n, V, W, tuple(range(k + 1)))   # one rollout, all k
    assert_close(averages[:, -1], expected)
    assert_close(averages[:, 0], np.full(batch, float(d)))      # k = 0: ŵ_0 = 0, the error is ‖w*‖²


def test_basis_average_is_the_mean_over_gaussian_tasks():
    """E[‖ŵ_k − w*‖² | X] over w* ~ N(0, I): the plain estimator on one prompt with many tasks agrees (5 SE)."""
    rng = np.random.default_rng(5)
    d, n, k, tasks = 3, 6, 3, 100_000
    X = rng.standard_normal((1, d, n))
    V, W = sparse_value_matrix(-0.5 * np.eye(d)), sparse_key_query_matrix(np.eye(d))
    errors = np.sum(cot_error_path(np.repeat(X, tasks, axis=0), rng.standard_normal((tasks, d)), V, W, k)[:, -1] ** 2,
                    axis=1)
    average = cot_error_basis_average(X @ X.transpose(0, 2, 1), n, V, W, (k,))[0, 0]
    assert abs(errors.mean() - average) < 5 * errors.std() / np.sqrt(tasks)


def test_bad_input_is_rejected():
    d = 2
    V, W = sparse_value_matrix(np.eye(d)), sparse_key_query_matrix(np.eye(d))
    X, w_star = np.ones((1, d, 3)), np.ones((1, d))
    with pytest.raises(InputError, match="X must have shape"):
        cot_error_path(np.ones((d, 3)), w_star, V, W, 1)
    with pytest.raises(InputError, match="k must be an integer >= 0"):
        cot_error_path(X, w_star, V, W, -1)
    with pytest.raises(InputError, match="V must have shape"):
        cot_error_path(X, w_star, np.eye(5), W, 1)
    with pytest.raises(InputError, match="sparse pattern"):
        cot_error_basis_average(np.ones((1, d, d)), 3, np.ones((6, 6)), W, (1,))
    with pytest.raises(InputError, match="shared by all prompts"):
        cot_error_basis_average(np.ones((1, d, d)), 3, V[None], W, (1,))


def test_task_average_has_the_same_mean_and_a_smaller_variance():
    from verify.quantities import CotWeightError, PromptGroup

    Sigma, V = np.diag([1.0, 0.5, 0.25]), -np.diag([0.8, 1.1, 1.6])
    plain = CotWeightError(Sigma, (PromptGroup(8, (V,), (1, 2)),))
    averaged = CotWeightError(Sigma, (PromptGroup(8, (V,), (1, 2)),), task_average=True)
    a = plain.draw(np.random.default_rng(0), 40_000)
    b = averaged.draw(np.random.default_rng(1), 40_000)
    se = np.sqrt(a.var(axis=0) / len(a) + b.var(axis=0) / len(b))
    assert np.all(np.abs(a.mean(axis=0) - b.mean(axis=0)) < 4.5 * se)
    assert np.all(b.var(axis=0) < a.var(axis=0) / 2)
    with pytest.raises(InputError, match="task_average"):
        CotWeightError(Sigma, plain.groups, per_direction=True, task_average=True)
