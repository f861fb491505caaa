"""The batched outcome-supervision simulator equals a plain per-run definition on the same inputs: GD by the
column backprop (``outcome_loss_and_gradient``) one run at a time, tests by pushing each basis task through the layer
(``final_answer_errors``)."""

import numpy as np

from verify.os_experiments import OSArm, post_test_error, train_and_test_runs
from verify.outcome_supervision import (draw_training_prompts, final_answer_errors, fixed_prompts,
                                        outcome_loss_and_gradient, prompt_grams, train_outcome_runs)
from verify.sampling import covariance_root, draw_covariates, draw_tasks

BLOWUP = 1e8


def _plain_gd(X, w, V0, k, step, steps, online):
    """One run on X (steps + 1, B, d, n), w (steps + 1, B, d), the prompts of each step: (Ṽ, diverged_at, losses)."""
    V, losses = np.array(V0, dtype=float), []
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps if online else steps + 1):
            per_prompt, grad = outcome_loss_and_gradient(X[t], w[t], V, k)
            losses.append(per_prompt.mean())
            if not np.isfinite(losses[-1]) or losses[-1] > BLOWUP * losses[0] or not np.all(np.isfinite(grad)):
                return V, t, losses
            if t < steps:
                V = V - step * grad.mean(axis=0)
    return V, (-1 if np.all(np.isfinite(V)) else steps), losses


def _inputs(rng, runs, steps, B, d, n):
    """Prompts per run and step; the last run's covariates scaled up so that it diverges."""
    X = rng.standard_normal((runs, steps + 1, B, d, n))
    X[-1] *= 4.0
    return X, rng.standard_normal((runs, steps + 1, B, d))


def test_batched_training_equals_plain_runs():
    rng = np.random.default_rng(7)
    runs, steps, B, d, n = 4, 12, 6, 2, 8
    V0 = np.array([[-0.6, 0.1], [0.05, -0.4]])
    X, w = _inputs(rng, runs, steps, B, d, n)
    grams = prompt_grams(X, w)
    for k, online in ((1, False), (2, False), (2, True), (3, True)):
        if online:
            source = lambda t, live: (grams[live, t], w[live, t])
        else:
            source = fixed_prompts(grams[:, 0], w[:, 0])
        batched = train_outcome_runs(source, V0, runs, n, k, 0.05, steps, BLOWUP, last_loss=not online)
        for r in range(runs):
            data = (X[r], w[r]) if online else (np.repeat(X[r, :1], steps + 1, 0), np.repeat(w[r, :1], steps + 1, 0))
            V, stop, losses = _plain_gd(*data, V0, k, 0.05, steps, online)
            assert batched.diverged_at[r] == stop, (k, online, r)
            np.testing.assert_allclose(batched.losses[r, :len(losses)], losses, rtol=1e-10)
            if stop < 0:
                np.testing.assert_allclose(batched.V_tilde[r], V, rtol=1e-10, atol=1e-12)
        assert np.any(batched.finished) and not np.all(batched.finished)


def test_post_test_error_is_the_mean_over_basis_tasks_of_the_layer_error():
    root = covariance_root(np.array([[1.0, 0.3], [0.3, 2.0]]))
    V = np.array([[-0.7, 0.1], [0.2, -0.3]])
    batched = post_test_error(np.random.default_rng(3), root, V, 9, 50)
    X = draw_covariates(np.random.default_rng(3), root, 9, 50)
    plain = sum(np.sum(final_answer_errors(X, np.tile(e, (50, 1)), V, 1) ** 2, axis=1) for e in np.eye(2)).mean()
    assert abs(batched - plain) < 1e-10 * plain


def test_quantity_rows_equal_the_plain_definition_on_the_same_draws():
    """A data-set arm: the rows of ``train_and_test_runs`` = plain GD then plain tests, drawing in the same order
    (every run's training X, then w*, then each finished run's test covariates)."""
    arm = OSArm(np.diag([1.0, 2.0]), -np.eye(2) / 2, 10, 8, 2, 0.05, 15)
    rows = train_and_test_runs(np.random.default_rng(5), arm, 12, 40, 3)
    rng, root = np.random.default_rng(5), covariance_root(arm.Sigma)
    X = draw_covariates(rng, root, arm.n, 3 * arm.prompts).reshape(3, arm.prompts, 2, arm.n)
    w = draw_tasks(rng, 2, 3 * arm.prompts).reshape(3, arm.prompts, 2)
    for r in range(3):
        same = lambda a: np.repeat(a[None], arm.steps + 1, 0)
        V, stop, _ = _plain_gd(same(X[r]), same(w[r]), arm.V_init, arm.k, arm.step, arm.steps, False)
        assert stop < 0 and rows[r, 0] == 1.0
        test = draw_covariates(rng, root, 12, 40)
        plain = sum(np.sum(final_answer_errors(test, np.tile(e, (40, 1)), V, 1) ** 2, axis=1) for e in np.eye(2))
        assert abs(rows[r, 1] - plain.mean()) < 1e-10 * plain.mean()


def test_training_prompts_are_drawn_x_first_then_tasks():
    root = covariance_root(np.eye(2))
    grams, w = draw_training_prompts(np.random.default_rng(1), root, 5, 4, 3)
    rng = np.random.default_rng(1)
    X = draw_covariates(rng, root, 5, 12).reshape(3, 4, 2, 5)
    np.testing.assert_array_equal(w, draw_tasks(rng, 2, 12).reshape(3, 4, 2))
    np.testing.assert_allclose(grams, prompt_grams(X, w), rtol=1e-14)


def test_a_data_set_run_whose_quadratic_loss_rises_counts_as_diverged():
    """k = 1 on a data set: GD on a convex quadratic with a stable step only lowers the loss, so a rise marks
    η λ_max > 2 on that data set. At η = 1 two of these four data sets are unstable; their losses grow to 670 and 9
    in six steps, far below the general 1e8 × blow-up rule, which keeps them as finished (the control)."""
    from verify.os_experiments import train_runs
    from verify.outcome_supervision import draw_training_prompts, fixed_prompts, train_outcome_runs

    arm = OSArm(np.eye(2), np.zeros((2, 2)), 10, 8, 1, 1.0, 6)
    runs = train_runs(np.random.default_rng(0), arm, 4)
    np.testing.assert_array_equal(runs.finished, [True, False, True, False])
    assert np.all(np.diff(runs.losses[runs.finished], axis=1) < 0)          # the stable runs descend throughout
    data = fixed_prompts(*draw_training_prompts(np.random.default_rng(0), covariance_root(np.eye(2)), 10, 8, 4))
    general = train_outcome_runs(data, np.zeros((2, 2)), 4, 10, 1, 1.0, 6)
    assert np.all(general.finished)
