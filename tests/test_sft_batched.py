"""The fast SFT paths of verify/post_training.py and verify/frontload_experiments.py equal plain per-row definitions on
the same random inputs (to 1e-10): the Ṽ gradient read from the layer's readout moments against the layer's
``loss_and_gradients``, GD of many runs at once against one run at a time on that gradient, the exact w* average of
the post-test against the basis tasks pushed through ``weight_prediction_error``, and the batched quantities against
row-by-row loops that draw in the same order."""

from __future__ import annotations

import numpy as np
import pytest

from verify.frontload_experiments import PipelineContrast
from verify.post_training import (SFTPostTestError, SFTProblem, SFTTrainedPreconditioner, draw_sft_problem,
                                  gradient_descent, gradient_descent_endpoints, mean_post_test_error)
from verify.sampling import covariance_root, draw_covariates, draw_gram
from verify.simulator import sparse_key_query_matrix, sparse_value_matrix, weight_prediction_error

TOLERANCE = 1e-12
A_SINGULAR = np.diag([1.0, 0.5, 0.0])


def plain_curvature(problem: SFTProblem, V: np.ndarray) -> float:
    """λ_max of the Hessian in Ṽ, probed by differences of the layer's gradient (``SFTProblem.gradients``)."""
    d = problem.d
    base = problem.gradients(V)[0]
    hessian = np.empty((d * d, d * d))
    for j in range(d * d):
        probe = V.copy().ravel()
        probe[j] += 1.0
        hessian[:, j] = (problem.gradients(probe.reshape(d, d))[0] - base).ravel()
    return float(np.linalg.eigvalsh((hessian + hessian.T) / 2)[-1])


def plain_descent(problem: SFTProblem, V: np.ndarray, gamma: float, steps: int = 100_000) -> np.ndarray:
    """GD on the layer's gradient, one run, until an update moves Ṽ by less than TOLERANCE."""
    for _ in range(steps):
        previous, V = V, V - gamma * problem.gradients(V)[0]
        if np.linalg.norm(V - previous) < TOLERANCE:
            break
    return V


def plain_fine_tune(rng: np.random.Generator, root: np.ndarray, n: int, B: int, eta: float, k: int,
                    inits: list[np.ndarray]) -> list[np.ndarray]:
    if B == 0:
        return list(inits)
    problem = draw_sft_problem(rng, root, n, B, eta, k)[0]
    gamma = 1.0 / plain_curvature(problem, inits[0])
    return [plain_descent(problem, V, gamma) for V in inits]


@pytest.mark.parametrize("k", [0, 2])
def test_value_gradient_equals_the_layer_gradient(k):
    rng = np.random.default_rng(k)
    problem = draw_sft_problem(rng, covariance_root(A_SINGULAR), 3, 20, 0.4, k)[0]
    for _ in range(3):
        V = rng.standard_normal((3, 3))
        np.testing.assert_allclose(problem.value_gradient(V), problem.gradients(V)[0], rtol=0, atol=1e-10)
        assert np.all(problem.value_gradient(V)[:, 2] == 0.0)       # the kernel direction of A: exactly zero


def test_descent_of_many_runs_at_once_equals_one_run_at_a_time():
    rng = np.random.default_rng(1)
    root = covariance_root(np.diag([1.0, 0.8, 0.6]))
    problems = [draw_sft_problem(rng, root, 4, B, 0.5, 1)[0] for B in (1, 3, 6)]
    inits = [-np.eye(3), rng.standard_normal((3, 3)) / 3]
    runs = [(problem, V) for problem in problems for V in inits]
    gamma = np.array([1.0 / plain_curvature(problem, inits[0]) for problem, _ in runs])
    batched = gradient_descent_endpoints([p for p, _ in runs], np.array([V for _, V in runs]), gamma, 100_000,
                                         tolerance=TOLERANCE)
    for (problem, V), g, end in zip(runs, gamma, batched):
        np.testing.assert_allclose(end, plain_descent(problem, V, g), rtol=0, atol=1e-10)
        np.testing.assert_allclose(end, gradient_descent(problem, V, g, 100_000, tolerance=TOLERANCE)[-1], rtol=0,
                                   atol=1e-10)


def test_post_test_error_is_the_mean_over_the_basis_tasks_through_the_layer():
    rng = np.random.default_rng(2)
    X = draw_covariates(rng, covariance_root(np.diag([1.5, 1.0, 0.5])), 5, 50)
    V_tilde = -np.diag([0.6, 0.8, 1.1]) + 0.1 * rng.standard_normal((3, 3))
    V, W = sparse_value_matrix(V_tilde), sparse_key_query_matrix(np.eye(3))
    per_task = [weight_prediction_error(X, np.tile(e, (len(X), 1)), V, W, 1) for e in np.eye(3)]
    assert mean_post_test_error(X @ X.transpose(0, 2, 1), 5, V_tilde) == pytest.approx(
        float(np.mean(np.sum(per_task, axis=0))), abs=1e-10)


def test_trained_preconditioner_rows_equal_the_plain_definition():
    quantity = SFTTrainedPreconditioner(A=A_SINGULAR, n=2, B=40, eta=1.0, k=1, V_init=-np.eye(3) / 2).resolved()
    rows = quantity.draw(np.random.default_rng(3), 3)
    rng, root = np.random.default_rng(3), covariance_root(A_SINGULAR)
    plain = [plain_fine_tune(rng, root, 2, 40, 1.0, 1, [-np.eye(3) / 2])[0].ravel() for _ in range(3)]
    np.testing.assert_allclose(rows, plain, rtol=0, atol=1e-10)
    assert np.all(rows[:, [2, 5, 8]] == [0.0, 0.0, -0.5])            # Ṽ e_3 = Ṽ_0 e_3 bit for bit


def test_post_test_error_rows_equal_the_plain_definition():
    quantity = SFTPostTestError(A=A_SINGULAR, n=3, B=30, eta=0.5, k=1, V_init=-np.eye(3) / 2,
                                Sigma_test=np.diag([1.1, 1.0, 1.0]), n_test=4, test_prompts=20).resolved()
    rows = quantity.draw(np.random.default_rng(4), 2)
    rng, root, test_root = np.random.default_rng(4), covariance_root(A_SINGULAR), covariance_root(np.diag([1.1, 1, 1]))
    plain = []
    for _ in range(2):
        V_tilde = plain_fine_tune(rng, root, 3, 30, 0.5, 1, [-np.eye(3) / 2])[0]
        plain.append([mean_post_test_error(draw_gram(rng, test_root, 4, 20), 4, V_tilde)])
    np.testing.assert_allclose(rows, plain, rtol=0, atol=1e-10)


@pytest.mark.parametrize("contrast", [True, False])
def test_pipeline_contrast_rows_equal_the_plain_definition(contrast):
    inits = (-np.diag([1.0, 0.5]), -np.diag([0.4, 0.9]))
    arms = ((np.diag([1.0, 0.0]), 0), (np.diag([1.0, 0.0]), 3), (np.diag([0.8, 0.4]), 5))
    quantity = PipelineContrast(inits=inits, arms=arms, n=5, eta=0.5, k=1, Sigma_test=np.diag([1.2, 1.0]), n_test=6,
                                test_prompts=30, contrast=contrast).resolved()
    rows = quantity.draw(np.random.default_rng(5), 3)
    rng = np.random.default_rng(5)
    plain = []
    for _ in range(3):
        trained = [plain_fine_tune(rng, covariance_root(A), 5, B, 0.5, 1, list(inits)) for A, B in arms]
        test = draw_gram(rng, covariance_root(np.diag([1.2, 1.0])), 6, 30)
        row = []
        for models in trained:
            errors = [mean_post_test_error(test, 6, V) for V in models]
            row.extend([errors[0] - e for e in errors[1:]] if contrast else errors)
        plain.append(row)
    np.testing.assert_allclose(rows, plain, rtol=0, atol=1e-10)
