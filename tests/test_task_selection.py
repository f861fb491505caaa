"""Task hardness, the multi-task optimum, the task-selection QP and the true objective (2510.03605 §4)."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from derivations import hardness as hard
from derivations import multitask, pretraining, qp_surrogate, task_selection, test_time
from derivations import settings as experiment
from derivations.lsa import error_operator
from icl_errors import InputError
from tests.strategies import rational_spd

R = sp.Rational


# --- hardness ------------------------------------------------------------------------------------------------------

def test_hardness_exact_values():
    assert hard.hardness(sp.diag(1, R(1, 2), R(1, 10))) == 16
    assert hard.hardness(sp.eye(4)) == 4
    # [[2, 1], [1, 2]] has eigenvalues 1, 3: Hard = 4
    assert hard.hardness([[2, 1], [1, 2]]) == 4
    # irrational eigenvalues stay exact: [[1, 1], [1, 2]] -> λ_min = (3 − √5)/2, Hard = 3/λ_min = 3(3 + √5)/2
    assert sp.simplify(hard.hardness([[1, 1], [1, 2]]) - 3 * (3 + sp.sqrt(5)) / 2) == 0


@settings(max_examples=6)
@given(rational_spd(2), st.sampled_from([R(1, 3), 2, 7]))
def test_hardness_is_scale_free_and_at_least_d(Lambda, c):
    assert sp.simplify(hard.hardness(c * Lambda) - hard.hardness(Lambda)) == 0
    assert hard.hardness(Lambda) >= 2


def test_hardness_rejects_singular_and_non_symmetric():
    with pytest.raises(InputError, match="singular"):
        hard.hardness(sp.diag(1, 0))
    with pytest.raises(InputError, match="not symmetric"):
        hard.hardness([[1, 2], [0, 1]])
    with pytest.raises(InputError, match="numeric entries"):
        hard.hardness(sp.diag(sp.Symbol("a"), 1))


def test_per_direction_limit_is_the_contraction_squared_for_symbolic_n():
    n = sp.Symbol("n", positive=True)
    Lambda = sp.diag(1, R(1, 2), R(1, 10))
    V = pretraining.stationary_preconditioner(Lambda, n)
    limit = hard.direction_errors(V, Lambda, sp.oo)
    expected = hard.contraction(Lambda, n).applyfunc(lambda c: c ** 2)
    assert (limit - expected).applyfunc(sp.simplify) == sp.zeros(3, 1)


def test_weakest_direction_is_worst_and_finite_m_adds_error():
    Lambda = sp.diag(1, R(1, 2), R(1, 10))
    V = pretraining.stationary_preconditioner(Lambda, 20)
    limit = hard.direction_errors(V, Lambda, sp.oo)
    finite = hard.direction_errors(V, Lambda, 100)
    assert limit[0] < limit[1] < limit[2]
    assert all(f > lim for f, lim in zip(finite, limit))
    worst = 1 / (1 + sp.Integer(20) / (1 + hard.hardness(Lambda)))
    assert limit[2] == worst ** 2


def test_direction_errors_bad_input():
    with pytest.raises(InputError, match="shape"):
        hard.direction_errors(sp.eye(2), sp.eye(3), 5)
    with pytest.raises(InputError, match="m must be an integer"):
        hard.direction_errors(sp.eye(2), sp.eye(2), 0)


# --- multi-task optimum --------------------------------------------------------------------------------------------

@settings(max_examples=6)
@given(rational_spd(2), rational_spd(2), st.sampled_from([(3, 7), (5, 5), (2, 40)]),
       st.sampled_from([R(1, 4), R(1, 2), R(5, 6)]))
def test_solved_optimum_is_the_closed_form(L1, L2, lengths, p):
    tasks = [multitask.Task.of(L1, lengths[0]), multitask.Task.of(L2, lengths[1])]
    weights = [p, 1 - p]
    solved = multitask.multitask_preconditioner(tasks, weights)
    assert (solved - multitask.multitask_closed_form(tasks, weights)).applyfunc(sp.simplify) == sp.zeros(2, 2)


def test_single_task_reduces_to_theorem_3_1():
    Lambda = sp.Matrix([[1, R(1, 3)], [R(1, 3), R(1, 2)]])
    task = multitask.Task.of(Lambda, 6)
    assert multitask.multitask_preconditioner([task], [1]) == pretraining.stationary_preconditioner(Lambda, 6)
    assert multitask.multitask_gamma([task], [1]) == pretraining.gamma_closed_form(Lambda, 6)


def test_naive_preconditioner_differs_unless_tasks_agree():
    T1 = multitask.Task.of(sp.diag(4, R(1, 2)), 10)
    T2 = multitask.Task.of(sp.diag(1, 2), 10)
    weights = [R(1, 3), R(2, 3)]
    assert multitask.naive_preconditioner([T1, T2], weights) != multitask.multitask_preconditioner([T1, T2], weights)
    assert multitask.naive_preconditioner([T1, T1], weights) == multitask.multitask_preconditioner([T1, T1], weights)


def test_numeric_mixture_matches_exact():
    tasks = experiment.experiment_tasks()
    weights = [R(1, 10), R(2, 10), R(3, 10), R(4, 10)]
    exact = np.array(multitask.multitask_preconditioner(tasks, weights).evalf(20), dtype=float)
    numeric = multitask.NumericMixture.of(tasks).preconditioner(np.array([0.1, 0.2, 0.3, 0.4]))
    assert np.allclose(numeric, exact, rtol=1e-12, atol=1e-14)


def test_multitask_bad_input():
    T = multitask.Task.of(sp.eye(2), 5)
    with pytest.raises(InputError, match="sum to 1"):
        multitask.multitask_preconditioner([T, T], [R(1, 2), R(1, 3)])
    with pytest.raises(InputError, match="non-negative"):
        multitask.multitask_preconditioner([T, T], [2, -1])
    with pytest.raises(InputError, match="2 entries"):
        multitask.multitask_preconditioner([T, T], [1])
    with pytest.raises(InputError, match="same dimension"):
        multitask.multitask_preconditioner([T, multitask.Task.of(sp.eye(3), 5)], [R(1, 2), R(1, 2)])
    with pytest.raises(InputError, match="one prompt length"):
        multitask.naive_preconditioner([T, multitask.Task.of(sp.eye(2), 6)], [R(1, 2), R(1, 2)])


# --- true objective and the QP --------------------------------------------------------------------------------------

def test_population_error_is_the_matrix_power():
    V = sp.Matrix([[-1, R(1, 5)], [0, R(-1, 2)]])
    Sigma = sp.Matrix([[1, R(1, 4)], [R(1, 4), R(1, 2)]])
    for k in range(4):
        P = (sp.eye(2) + V * Sigma) ** k
        assert test_time.population_error(V, Sigma, k) == sp.factor((P * P.T).trace())


def test_error_operator_at_sigma_is_the_population_power():
    V = sp.Matrix([[-1, R(1, 5)], [R(1, 3), R(-1, 2)]])
    Sigma = sp.diag(2, R(1, 3))
    E2 = error_operator(2, V, sp.eye(2), sp.eye(2)).at(Sigma)
    assert E2 == -(sp.eye(2) + V * Sigma) ** 2


def test_true_objective_matches_exact_value():
    tasks = experiment.experiment_tasks()
    Sigma = experiment.power_law_spectrum(R(3, 5))
    weights = [R(1, 10), R(2, 10), R(3, 10), R(4, 10)]
    V = multitask.multitask_preconditioner(tasks, weights)
    exact = float(test_time.population_error(V, Sigma, 2))
    numeric = task_selection.TrueObjective.of(tasks, Sigma, 2)(np.array([0.1, 0.2, 0.3, 0.4]))
    assert numeric == pytest.approx(exact, rel=1e-10)


def test_power_law_spectrum_is_exact_normalised_and_ordered():
    L = experiment.power_law_spectrum(R(4, 5))
    assert L.trace() == 5 and all(L[i, i] > L[i + 1, i + 1] for i in range(4))
    assert experiment.power_law_spectrum(0) == sp.eye(5)
    with pytest.raises(InputError, match="alpha"):
        experiment.power_law_spectrum(-1)


def test_qp_exact_solution_satisfies_kkt_and_beats_scipy():
    rng = np.random.default_rng(3)
    covs = [sp.diag(2, 1, R(1, 2)), sp.diag(1, 1, 1), sp.diag(R(1, 2), R(3, 2), 1), sp.diag(3, R(1, 5), 1)]
    Sigma = sp.diag(R(3, 2), 1, R(2, 3))
    pi = qp_surrogate.solve_surrogate_qp(covs, Sigma)
    assert sum(pi) == 1 and all(p >= 0 for p in pi)
    best = float(qp_surrogate.surrogate_objective(pi, covs, Sigma))
    f = lambda p: float(qp_surrogate.surrogate_objective([float(x) for x in p], covs, Sigma))
    numeric = minimize(f, np.full(4, 0.25), method="SLSQP", bounds=[(0, 1)] * 4,
                       constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1}])
    assert best <= numeric.fun + 1e-9
    for p in rng.dirichlet(np.ones(4), size=20):
        assert best <= f(p) + 1e-12


@settings(max_examples=5)
@given(rational_spd(2), rational_spd(2), rational_spd(2), rational_spd(2))
def test_qp_on_dense_covariances_beats_a_simplex_grid(Sigma, L1, L2, L3):
    covs = [L1, L2, L3]
    pi = qp_surrogate.solve_surrogate_qp(covs, Sigma)
    best = qp_surrogate.surrogate_objective(pi, covs, Sigma)
    grid = [(R(a, 12), R(b, 12), 1 - R(a + b, 12)) for a in range(13) for b in range(13 - a)]
    assert all(best <= qp_surrogate.surrogate_objective(p, covs, Sigma) for p in grid)


def test_qp_is_blind_to_prompt_length_and_splits_equal_covariances():
    tasks = experiment.experiment_tasks()
    pi = qp_surrogate.solve_surrogate_qp([t.Lambda for t in tasks], experiment.power_law_spectrum(R(1, 2)))
    assert pi[0] == pi[2] and pi[1] == pi[3]
    # Σ equal to one candidate: the QP puts all of that covariance's mass on it
    pi = qp_surrogate.solve_surrogate_qp([t.Lambda for t in tasks], tasks[1].Lambda)
    assert pi == [0, R(1, 2), 0, R(1, 2)]


def test_qp_bad_input():
    with pytest.raises(InputError, match="shape"):
        qp_surrogate.solve_surrogate_qp([sp.eye(2)], sp.eye(3))
    with pytest.raises(InputError, match="at least one"):
        qp_surrogate.solve_surrogate_qp([], sp.eye(3))


def test_prop_4_3_holds_for_hard_tests_and_fails_for_easy_ones():
    tasks = experiment.experiment_tasks()
    masses = {}
    for alpha in (R(1, 5), R(3, 5), R(1)):
        objective = task_selection.TrueObjective.of(tasks, experiment.power_law_spectrum(alpha), 2)
        optimum = task_selection.optimise_true_objective(objective, resolution=2)
        for vertex in np.eye(4):
            assert optimum.value <= objective(vertex) + 1e-12
        masses[alpha] = task_selection.hard_mass(optimum.weights)
    assert masses[R(1, 5)] < 0.05          # easy test task: Prop. 4.3's "half on hard" fails
    assert masses[R(3, 5)] > 0.7 and masses[R(1)] > 0.99


TEST_ALPHAS = (R(1, 5), R(2, 5), R(3, 5), R(4, 5), R(1))


def test_averaged_selection_orders_the_task_types():
    average = task_selection.averaged_selection(TEST_ALPHAS, None, 2)
    names = [t.name for t in experiment.TASK_TYPES]
    assert names[int(np.argmax(average))] == "Hard-Long"
    assert average[names.index("Easy-Short")] <= min(average) + 1e-6
    assert average[names.index("Hard-Short")] < 1e-3   # the tie at 0 the notes report


def test_finite_m_selection_has_the_papers_order():
    """At m = 50 test examples (k = 1) the averaged selection is Easy-Short < Hard-Short < Easy-Long < Hard-Long."""
    assert list(np.argsort(task_selection.averaged_selection(TEST_ALPHAS, 50, 1))) == [0, 1, 2, 3]
    with pytest.raises(InputError, match="k = 1 only"):
        task_selection.averaged_selection(TEST_ALPHAS, 50, 2)


def test_selection_pattern_does_not_depend_on_the_dimension():
    """d was not recovered from the paper: the same ranking holds at d = 3 as at d = 5."""
    assert list(np.argsort(task_selection.averaged_selection(TEST_ALPHAS, 50, 1, d=3))) == [0, 1, 2, 3]
    limit = task_selection.averaged_selection(TEST_ALPHAS, None, 2, d=3)
    assert int(np.argmax(limit)) == 3 and limit[0] < 1e-3 and limit[1] < 1e-3


def test_finite_objective_matches_the_exact_one_step_error():
    from derivations.weight_error import one_step_error
    tasks = experiment.experiment_tasks()
    Sigma = experiment.power_law_spectrum(R(2, 5))
    weights = [R(1, 10), R(2, 10), R(3, 10), R(4, 10)]
    exact = float(one_step_error(multitask.multitask_preconditioner(tasks, weights), Sigma, 30))
    numeric = task_selection.FiniteTestObjective.of(tasks, Sigma, 30)(np.array([0.1, 0.2, 0.3, 0.4]))
    assert numeric == pytest.approx(exact, rel=1e-10)


def test_rational_weights_sum_to_one():
    weights = task_selection.rational_weights([0.12345, 0.5, 0.37655])
    assert sum(weights) == 1 and weights[0] == R(123, 1000)


def test_prop_4_3_threshold_between_alpha_044_and_048():
    tasks = experiment.experiment_tasks()
    masses = [task_selection.hard_mass(task_selection.optimise_true_objective(
        task_selection.TrueObjective.of(tasks, experiment.power_law_spectrum(alpha), 2), 2).weights)
        for alpha in (R(11, 25), R(12, 25))]
    assert masses[0] < 0.5 < masses[1]


def test_true_optimum_is_harder_than_the_qp_and_far_from_it():
    from derivations import registry
    for alpha in (R(2, 5), R(3, 5), R(4, 5)):
        selection = registry.get("tts:prop-4.3").evaluate(Sigma=experiment.power_law_spectrum(alpha), k=2)
        assert selection.true_hard_mass >= float(selection.qp_hard_mass) - 1e-9
        assert selection.total_variation >= 0.5 - 1e-9
        assert selection.true_value <= selection.constrained_value + 1e-15
