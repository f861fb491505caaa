"""Hand-derived gradients against finite differences, and training against the known population optimum.

The optimum Ṽ* = −Γ⁻¹, Γ = (1 + 1/n) Σ + tr(Σ)/n · I, is used only here, as the expected answer.
"""

import numpy as np
import pytest

from icl_errors import InputError
from verify.sampling import covariance_root, draw_prompts
from verify.simulator import block_slices, embed, lsa_forward, sparse_key_query_matrix, sparse_value_matrix
from verify.training import loss_and_gradients, per_prompt_value_gradient, train_lsa, weight_target

SIGMA = np.diag([1.0, 0.5, 0.25])
N = 20


def gamma(Sigma: np.ndarray, n: int) -> np.ndarray:
    return (1 + 1 / n) * Sigma + np.trace(Sigma) / n * np.eye(len(Sigma))


def random_problem(rng: np.random.Generator, d: int, n: int, batch: int):
    """Any Z_0 (an embedding with random ŵ_0 plus two extra random columns), full V, W and targets."""
    D = 2 * d + 2
    prompts = draw_prompts(rng, np.eye(d), n, batch)
    Z0 = embed(prompts.X, prompts.y, rng.standard_normal((batch, d)))
    Z0 = np.concatenate([rng.standard_normal((batch, D, 2)), Z0], axis=2)
    V, W = rng.standard_normal((2, D, D)) / np.sqrt(D)
    return Z0, V, W, rng.standard_normal((batch, D))


# ---------------------------------------------------------------- gradients


def test_gradients_match_central_differences():
    rng = np.random.default_rng(np.random.SeedSequence(1234))
    d, n = 2, 3
    Z0, V, W, target = random_problem(rng, d, n, batch=4)
    loss, grad_V, grad_W = loss_and_gradients(Z0, V, W, n, target)
    # The loss is quadratic in V (W fixed) and in W (V fixed): central differences are exact up to round-off.
    h = 1e-3
    for matrix, grad, which in ((V, grad_V, 0), (W, grad_W, 1)):
        numeric = np.empty_like(matrix)
        for index in np.ndindex(matrix.shape):
            step = np.zeros_like(matrix)
            step[index] = h
            args = [[V + step, W], [V - step, W]] if which == 0 else [[V, W + step], [V, W - step]]
            plus, minus = (loss_and_gradients(Z0, a, b, n, target)[0] for a, b in args)
            numeric[index] = (plus - minus) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=0, atol=1e-8 * np.abs(numeric).max())
    output = lsa_forward(Z0, V, W, n)[:, :, -1]
    assert loss == pytest.approx(0.5 * np.mean(np.sum((output - target) ** 2, axis=1)), rel=1e-13)


def test_per_prompt_value_gradient_is_the_v_tilde_block():
    rng = np.random.default_rng(5)
    d, n = 3, 4
    prompts = draw_prompts(rng, covariance_root(SIGMA), n, 6)
    V = sparse_value_matrix(rng.standard_normal((d, d)))
    W = sparse_key_query_matrix(rng.standard_normal((d, d)))
    per_prompt = per_prompt_value_gradient(prompts, V, W)
    _, grad_V, _ = loss_and_gradients(embed(prompts.X, prompts.y), V, W, n, weight_target(prompts.w_star))
    blocks = block_slices(d)
    assert per_prompt.shape == (6, d, d)
    np.testing.assert_allclose(per_prompt.mean(axis=0), grad_V[blocks.w, blocks.x], rtol=1e-13)


def test_w_tilde_gradient_vanishes_only_when_w0_is_zero():
    rng = np.random.default_rng(11)
    d, n = 2, 5
    blocks = block_slices(d)
    prompts = draw_prompts(rng, np.eye(d), n, 8)
    V = sparse_value_matrix(rng.standard_normal((d, d)))
    W = sparse_key_query_matrix(rng.standard_normal((d, d)))
    target = weight_target(prompts.w_star)
    _, _, grad_W = loss_and_gradients(embed(prompts.X, prompts.y), V, W, n, target)
    assert np.all(grad_W[blocks.x, blocks.w] == 0.0)
    _, _, grad_W = loss_and_gradients(embed(prompts.X, prompts.y, np.ones(d)), V, W, n, target)
    assert np.abs(grad_W[blocks.x, blocks.w]).max() > 1e-3


# ---------------------------------------------------------------- training


def test_sparse_sgd_reaches_minus_gamma_inverse():
    d = len(SIGMA)
    Gamma = gamma(SIGMA, N)
    # Each row of Ṽ sees the Hessian E[S w* w*ᵀ S] = E[S²] = Σ Γ (diagonal here): step 0.5 / λ_max.
    learning_rate = 0.5 / np.max(np.diag(SIGMA @ Gamma))
    result = train_lsa(np.random.default_rng(np.random.SeedSequence(1234)), SIGMA, N, steps=400,
                       learning_rate=learning_rate, batch=512)
    # The slowest mode contracts by (1 − η λ_min)^300 ≈ 1e-5 before the averaging window; averaging the last
    # 100 iterates removes most of the SGD noise (the final iterate alone is at ≈ 0.04).
    assert np.linalg.norm(result.V_tildes[-100:].mean(axis=0) + np.linalg.inv(Gamma)) < 0.05
    np.testing.assert_array_equal(result.W, sparse_key_query_matrix(np.eye(d)))  # W̃ gets zero gradient
    np.testing.assert_array_equal(result.V, sparse_value_matrix(result.V_tildes[-1]))
    # At Ṽ = −Γ⁻¹ the population loss ½ E‖(I + ṼS) w*‖² is ½ (d − tr(Γ⁻¹Σ)); batch losses average to it.
    optimal_loss = 0.5 * (d - np.trace(np.linalg.solve(Gamma, SIGMA)))
    assert abs(result.losses[-100:].mean() - optimal_loss) < 0.01


def test_full_mask_stays_near_the_sparse_pattern():
    d = len(SIGMA)
    blocks = block_slices(d)
    Gamma = gamma(SIGMA, N)
    # Every row of V sees the curvature c² E[(Z_0 u)(Z_0 u)ᵀ] with c = −W[y, one]; its trace at c = 1 is
    # tr E[S²] + E[(‖y‖²/n)²] = tr(ΣΓ) + (1 + 2/n)(tr(Σ)² + 2 tr(Σ²)). The flow conserves c² − ‖Ṽ‖²_F (the
    # output only depends on c Ṽ), which takes c from 1 to ≈ 2, so the step is 1 / (4 · trace).
    trace = np.trace(SIGMA @ Gamma) + (1 + 2 / N) * (np.trace(SIGMA) ** 2 + 2 * np.trace(SIGMA @ SIGMA))
    result = train_lsa(np.random.default_rng(np.random.SeedSequence(1234)), SIGMA, N, steps=1200,
                       learning_rate=1 / (4 * trace), batch=512, mask="full")
    c = -result.W[blocks.y, blocks.one].item()
    assert 1.5 < c < 2.5
    assert np.linalg.norm(c * result.V[blocks.w, blocks.x] + np.linalg.inv(Gamma)) < 0.1
    # The off-pattern entries have zero expected gradient on the sparse manifold: only SGD noise moves them.
    on_V, on_W = np.zeros((2 * d + 2,) * 2, dtype=bool), np.zeros((2 * d + 2,) * 2, dtype=bool)
    on_V[blocks.w, blocks.x] = True
    on_W[blocks.x, blocks.w] = on_W[blocks.y, blocks.one] = True
    assert np.abs(result.V[~on_V]).max() < 0.05
    assert np.abs(result.W[~on_W]).max() < 0.05
    # ∂L/∂W = (…) zᵀ with z = e_one when ŵ_0 = 0: only the last column of W ever moves.
    np.testing.assert_array_equal(result.W[:, :-1], sparse_key_query_matrix(np.eye(d))[:, :-1])


def test_fixed_batch_gd_reaches_the_empirical_minimiser():
    Sigma, n, batch, seed = np.diag([1.0, 0.3]), 5, 64, 3
    # train_lsa's one fixed batch is draw_prompts(rng, covariance_root(Σ), n, batch): redraw it here.
    prompts = draw_prompts(np.random.default_rng(seed), covariance_root(Sigma), n, batch)
    S = prompts.X @ prompts.X.transpose(0, 2, 1) / n
    Sw = np.einsum("bij,bj->bi", S, prompts.w_star)
    H = np.einsum("bi,bj->ij", Sw, Sw) / batch                  # mean S w wᵀ S
    B = np.einsum("bi,bj->ij", prompts.w_star, Sw) / batch      # mean w wᵀ S
    V_empirical = -B @ np.linalg.inv(H)                         # ŵ_1 = −Ṽ S w*; minimiser of mean ½‖(I + ṼS) w*‖²
    eigenvalues = np.linalg.eigvalsh(H)
    steps = int(np.ceil(40 * eigenvalues[-1] / eigenvalues[0]))
    result = train_lsa(np.random.default_rng(seed), Sigma, n, steps=steps, learning_rate=1 / eigenvalues[-1],
                       batch=batch, fresh_batches=False, record_every=10)
    np.testing.assert_allclose(result.V_tildes[-1], V_empirical, rtol=0, atol=1e-9 * np.abs(V_empirical).max())
    assert np.all(np.diff(result.losses) <= 1e-15)  # GD on a convex quadratic with η ≤ 1/λ_max never goes up


def test_history_layout_and_reproducibility():
    kwargs = dict(steps=7, learning_rate=0.1, batch=16, record_every=3)
    first = train_lsa(np.random.default_rng(9), SIGMA, N, **kwargs)
    second = train_lsa(np.random.default_rng(9), SIGMA, N, **kwargs)
    np.testing.assert_array_equal(first.steps, [0, 3, 6, 7])
    assert first.losses.shape == (4,) and first.V_tildes.shape == (4, 3, 3)
    np.testing.assert_array_equal(first.V_tildes[0], 0.0)
    np.testing.assert_array_equal(first.V, second.V)
    np.testing.assert_array_equal(first.losses, second.losses)


@pytest.mark.parametrize("kwargs, message", [
    (dict(mask="diagonal"), "mask must be 'sparse' or 'full'"),
    (dict(learning_rate=0.0), "learning_rate must be a finite positive number"),
    (dict(steps=-1), "steps must be an integer >= 0"),
    (dict(V_init=np.zeros((3, 3))), r"V_init must be a finite matrix of shape \(8, 8\)"),
])
def test_train_lsa_rejects_bad_input(kwargs, message):
    arguments = dict(steps=1, learning_rate=0.1, batch=4) | kwargs
    with pytest.raises(InputError, match=message):
        train_lsa(np.random.default_rng(0), SIGMA, N, **arguments)


@pytest.mark.parametrize("mask", ["sparse", "full"])
def test_runs_side_by_side_equal_separate_runs_on_the_same_prompts(monkeypatch, mask):
    """train_lsa(runs=R) is R independent runs: given the same prompts (run r takes the r-th block of each batch),
    every run's history equals a separate train_lsa run on its block, to round-off."""
    from verify import training
    from verify.sampling import Prompts

    runs, batch, steps = 3, 8, 5
    rng = np.random.default_rng(11)
    batches = [draw_prompts(rng, covariance_root(SIGMA), N, runs * batch) for _ in range(steps + 1)]

    def replay(blocks):
        queue = iter(blocks)
        monkeypatch.setattr(training, "draw_prompts", lambda *args: next(queue))

    replay(batches)
    together = train_lsa(np.random.default_rng(0), SIGMA, N, steps=steps, learning_rate=0.3, batch=batch,
                         mask=mask, runs=runs)
    assert together.V_tildes.shape == (runs, steps + 1, 3, 3) and together.losses.shape == (runs, steps + 1)
    for r in range(runs):
        part = slice(r * batch, (r + 1) * batch)
        replay([Prompts(p.X[part], p.w_star[part], p.y[part]) for p in batches])
        alone = train_lsa(np.random.default_rng(0), SIGMA, N, steps=steps, learning_rate=0.3, batch=batch, mask=mask)
        np.testing.assert_allclose(together.V_tildes[r], alone.V_tildes, rtol=0, atol=1e-12)
        np.testing.assert_allclose(together.losses[r], alone.losses, rtol=1e-12)
        np.testing.assert_allclose(together.W[r], alone.W, rtol=0, atol=1e-12)
    assert not np.allclose(together.V_tildes[0], together.V_tildes[1])     # the runs saw different prompts
