"""Outcome supervision (2603.01293 Prop. 6.1, App. E, §6): exact identities, the exact population loss and its
derivatives, the simulator's backprop and Hessian, GD training with divergence detection, and the five records."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import outcome
from derivations.notation import substitute

from derivations.records import synergy_outcome
from derivations.weight_error import cot_weight_error
from icl_errors import InputError
from tests.strategies import rational_matrices, rational_spd
from verify.outcome_supervision import (OutcomeCurvature, OutcomeTrainingOutcome, final_answer_errors, fixed_prompts,
                                        outcome_curvature, outcome_loss_and_gradient, prompt_grams, train_outcome_runs)
from verify.runner import run_check
from verify.statistics import FAIL, PASS

R = sp.Rational
A2 = sp.diag(1, R(1, 2))
V2 = sp.Matrix([[R(-1, 2), R(1, 5)], [R(1, 7), R(-2, 3)]])
W2 = sp.Matrix([[1, R(1, 3)], [0, R(3, 4)]])
PROMPTS = [(sp.Matrix([[2, 1], [1, 3]]) / 3, sp.Matrix([1, -2])), (sp.diag(1, R(1, 2)), sp.Matrix([R(1, 2), 1]))]
RECORDS = {record.id: record for record in synergy_outcome.RECORDS}   # directly: another module may fail to import
IDS = ("synergy:prop-6.1", "synergy:os-gradient", "synergy:os-population-loss", "synergy:claim-os-sharpness",
       "synergy:claim-os-cases")


# --- exact identities ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", range(5))
def test_rollout_identities_hold_in_the_free_algebra(k):
    assert outcome.rollout_identity(k).holds


@settings(max_examples=10)
@given(rational_matrices(2, -1, 1), rational_spd(2), rational_spd(2), st.integers(1, 3))
def test_loss_from_the_rollout_is_prop_6_1(V, S1, S2, k):
    prompts = [(S1, sp.Matrix([1, -1])), (S2, sp.Matrix([R(1, 2), 2]))]
    derived = outcome.outcome_loss(V, W2, prompts, k)
    assert derived == outcome.outcome_loss_closed_form(V, W2, prompts, k)
    identity_case = outcome.outcome_loss(V, sp.eye(2), prompts, k)
    power_form = sum(((sp.eye(2) + V * S) ** k * w).norm() ** 2 for S, w in prompts) / 4
    assert sp.simplify(identity_case - power_form) == 0


@settings(max_examples=6)
@given(rational_matrices(2, -1, 1), rational_spd(2), st.integers(1, 3))
def test_gradient_formula_of_app_E_is_the_derivative(V, S, k):
    prompts = [(S, sp.Matrix([1, R(-1, 3)])), PROMPTS[0]]
    assert outcome.os_gradient(V, prompts, k) == outcome.os_gradient_formula(V, prompts, k)


def test_gradient_formula_in_three_dimensions_and_its_control():
    V = sp.Matrix([[R(-1, 2), R(1, 5), 0], [R(1, 7), R(-2, 3), R(1, 4)], [0, R(1, 9), R(-1, 3)]])
    prompts = [(sp.Matrix([[2, 1, 0], [1, 3, 1], [0, 1, 1]]) / 3, sp.Matrix([1, -2, 1]))]
    assert outcome.os_gradient(V, prompts, 2) == outcome.os_gradient_formula(V, prompts, 2)
    assert outcome.os_gradient(V, prompts, 2) != outcome.os_gradient_formula(V, prompts, 2, transposes=False)


def test_hessian_is_symmetric_and_matches_the_gradient():
    H = outcome.os_hessian(V2, PROMPTS, 3)
    assert H == H.T
    t = sp.Symbol("t")
    E = sp.Matrix([[0, 1], [0, 0]])
    directional = sp.diff(outcome.outcome_loss(V2 + t * E, sp.eye(2), PROMPTS, 3), t, 2).subs(t, 0)
    assert directional == H[1, 1]


def test_rejects_bad_input():
    with pytest.raises(InputError, match="at least one prompt"):
        outcome.outcome_loss(V2, W2, [], 2)
    with pytest.raises(InputError, match="k must be an integer"):
        outcome.outcome_loss(V2, W2, PROMPTS, -1)
    with pytest.raises(InputError, match="positive definite"):
        outcome.population_os_error(V2, sp.diag(1, 0), 5, 1)
    with pytest.raises(InputError, match="rational"):
        outcome.population_os_error(V2, sp.diag(1, sp.sqrt(2)), 5, 1)
    with pytest.raises(InputError, match="V_tilde is 2×2 but A is 3×3"):
        outcome.population_os_error(V2, sp.eye(3), 5, 1)


# --- the exact population loss at finite n -------------------------------------------------------------------------

@settings(max_examples=8)
@given(rational_matrices(2, -1, 1), rational_spd(2), st.integers(2, 9), st.integers(1, 2))
def test_population_error_equals_the_wick_engine(V, A, n, k):
    assert outcome.population_os_error(V, A, n, k) == cot_weight_error(k, V, sp.eye(2), A, n)


def test_population_error_at_singular_preconditioners():
    for V in (sp.zeros(2, 2), sp.Matrix([[1, 2], [R(1, 2), 1]])):
        for k in (1, 2):
            assert outcome.population_os_error(V, A2, 5, k) == cot_weight_error(k, V, sp.eye(2), A2, 5)


def test_population_gradient_and_hessian_are_the_derivatives_of_the_wick_polynomial():
    V = sp.Matrix(2, 2, lambda r, c: sp.Symbol(f"v{r}{c}"))
    for k in (1, 2):
        loss = sp.expand(cot_weight_error(k, V, sp.eye(2), A2, 5) / 2)
        at = dict(zip(V, V2))
        gradient = V.applyfunc(lambda v: sp.diff(loss, v).xreplace(at))
        hessian = sp.Matrix(4, 4, lambda a, b: sp.diff(loss, list(V)[a], list(V)[b]).xreplace(at))
        assert outcome.population_os_gradient(V2, A2, 5, k) == gradient
        assert outcome.population_os_hessian(V2, A2, 5, k) == hessian


def test_population_loss_tends_to_the_n_to_infinity_value():
    limit = ((sp.eye(2) + V2 * A2) ** 2).norm() ** 2
    errors = [outcome.population_os_error(V2, A2, n, 2) for n in (10, 100, 1000)]
    gaps = [abs(float(e - limit)) for e in errors]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 0.01


@pytest.mark.parametrize("rho", [R(1, 2), R(9, 10), R(3, 2)])
def test_isotropic_sharpness_is_k_times_2k_minus_1_not_k_squared(rho):
    """M = ρI, A = I, n → ∞: λ_max ∇²½‖M^k‖²_F = k(2k − 1)ρ^{2k−2} (Gauss–Newton k² plus residual k(k − 1))."""
    V = (rho - 1) * sp.eye(2)
    for k in (1, 2, 3):
        top = outcome.largest_eigenvalue(outcome.limit_os_hessian(V, sp.eye(2), k))
        assert abs(top - k * (2 * k - 1) * rho ** (2 * k - 2)) < 1e-30


def test_finite_n_sharpness_profile_grows_with_the_k_squared_factor():
    profile = outcome.sharpness_profile(synergy_outcome._SH_V, synergy_outcome._SH_A, synergy_outcome._SH_N, 3)
    growth = profile.growth()
    claimed, no_k2 = profile.claimed_growth(), profile.claimed_growth(k_squared=False)
    for g, c, c0 in zip(growth[1:], claimed[1:], no_k2[1:]):
        assert abs(g / c - 1) < 0.1 and g / c0 > 4


def test_app_E_bound_fails_for_a_nilpotent_transition_and_the_op_norm_bound_holds():
    S = sp.Matrix([[2, 1], [1, 1]])
    V = (sp.Matrix([[0, 1], [0, 0]]) - sp.eye(2)) * S.inv()          # M = I + VS nilpotent: ρ(M) = 0
    bounds = outcome.app_e_bounds(V, S, sp.Matrix([1, 1]), 2)
    assert bounds.residual == sp.zeros(2, 1)                          # a global minimum: M² w* = 0
    assert bounds.printed_bound == 0 < bounds.hessian_top <= bounds.proved_bound


@settings(max_examples=10)
@given(rational_spd(2), st.lists(st.integers(-3, 3), min_size=2, max_size=2).filter(any))
def test_op_norm_bound_holds_at_one_step_minima(S, w):
    w = sp.Matrix(w)
    V = -w * w.T * S.inv() / (w.T * w)[0]                             # (I + VS) w* = 0
    bounds = outcome.app_e_bounds(V, S, w, 1)
    assert bounds.residual == sp.zeros(2, 1)
    assert bounds.hessian_top <= bounds.proved_bound.evalf(40) * (1 + sp.Float(10) ** -30)


def test_cases_at_the_pretrained_init():
    aligned = outcome.pretrained_transition(sp.eye(2), 50, sp.diag(0, R(1, 2)))
    new = outcome.pretrained_transition(sp.diag(1, R(1, 10)), 50, sp.diag(0, 1))
    assert outcome.spectral_radius(aligned) < 1 < 5 < outcome.spectral_radius(new)
    assert aligned == sp.diag(R(3, 53), R(-22, 53))           # Γ₀ = (53/50)I, Σ = diag(1, 3/2)
    case1 = outcome.os_case(sp.eye(2), sp.diag(0, R(1, 2)), 50, 20, 2, R(1, 20))
    case2 = outcome.os_case(sp.diag(1, R(1, 10)), sp.diag(0, 1), 50, 20, 2, R(1, 20))
    assert case1.stable and not case2.stable and case2.hessian_top > 50 * case1.hessian_top


# --- the simulator -------------------------------------------------------------------------------------------------

def _prompts(rng, d=2, m=6, batch=5):
    return rng.standard_normal((batch, d, m)), rng.standard_normal((batch, d))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_backprop_gradient_matches_finite_differences(k):
    rng = np.random.default_rng(k)
    X, w = _prompts(rng)
    V = -np.eye(2) / 2 + 0.1 * rng.standard_normal((2, 2))
    _, grad = outcome_loss_and_gradient(X, w, V, k)
    eps = 1e-6
    for a in range(2):
        for b in range(2):
            E = np.zeros((2, 2))
            E[a, b] = eps
            plus, _ = outcome_loss_and_gradient(X, w, V + E, k)
            minus, _ = outcome_loss_and_gradient(X, w, V - E, k)
            np.testing.assert_allclose(grad[:, a, b], (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_simulated_loss_and_curvature_equal_the_exact_ones_on_the_same_prompts():
    """ℓ on one prompt, and the curvature uᵀ∇²ℓu averaged over w* = the exact Hessian summed over the basis tasks."""
    rng = np.random.default_rng(3)
    X, w = _prompts(rng, batch=1)
    V = np.array([[-0.5, 0.2], [0.125, -0.625]])
    u = np.array([0.5, -0.5, 0.7, 0.1])
    loss, _ = outcome_loss_and_gradient(X, w, V, 3)
    curvature = outcome_curvature(X, V, 3, u)
    rational = lambda x: sp.Rational(repr(float(x)))
    S = sp.Matrix(X[0] @ X[0].T / X.shape[2]).applyfunc(rational)
    S = (S + S.T) / 2
    V_exact = sp.Matrix(V.tolist()).applyfunc(rational)
    prompt = [(S, sp.Matrix([rational(x) for x in w[0]]))]
    assert loss[0] == pytest.approx(float(outcome.outcome_loss(V_exact, sp.eye(2), prompt, 3)), rel=1e-12)
    exact = sum(np.array(outcome.os_hessian(V_exact, [(S, sp.Matrix(e))], 3).evalf(20).tolist(), dtype=float)
                for e in ([1, 0], [0, 1]))
    assert curvature[0] == pytest.approx(u @ exact @ u, rel=1e-6)


def test_final_answer_errors_reject_k_zero():
    X, w = _prompts(np.random.default_rng(0))
    with pytest.raises(InputError, match="k must be an integer >= 1"):
        final_answer_errors(X, w, -np.eye(2), 0)


def test_training_reports_divergence_as_a_step_and_decrease_otherwise():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 2, 20))
    w = rng.standard_normal((32, 2))
    V0 = -np.eye(2) / 2
    data = fixed_prompts(prompt_grams(X, w)[None], w[None])
    calm = train_outcome_runs(data, V0, 1, 20, 2, 0.05, 30)
    assert calm.finished[0] and calm.decreased[0] and calm.losses[0, -1] < calm.losses[0, 0]
    wild = train_outcome_runs(data, V0, 1, 20, 2, 1e6, 30)
    assert 1 <= wild.diverged_at[0] <= 30 and not wild.decreased[0]
    with pytest.raises(InputError, match="step must be"):
        train_outcome_runs(data, V0, 1, 20, 2, -1.0, 3)


def test_training_quantity_rows_are_indicators():
    q = OutcomeTrainingOutcome((np.eye(2),), (-np.eye(2) / 2,), n=10, prompts=8, k=1, step=0.05, steps=5)
    rows = q.resolved().draw(np.random.default_rng(0), 3)
    assert rows.shape == (3, 2) and set(np.unique(rows)) <= {0.0, 1.0}
    assert q.draws_per_unit == 8


def test_curvature_quantity_shape():
    q = OutcomeCurvature(np.eye(2), 10, -np.eye(2) / 2, (1, 2), (np.eye(4)[0], np.eye(4)[1]))
    assert q.resolved().draw(np.random.default_rng(0), 7).shape == (7, 2)


# --- the records ---------------------------------------------------------------------------------------------------

def _record_parameters(record_id):
    if record_id in ("synergy:prop-6.1",):
        return dict(V_tilde=V2, W_tilde=W2, S=PROMPTS[0][0], w_star=PROMPTS[0][1], k=3)
    if record_id == "synergy:os-gradient":
        return dict(V_tilde=V2, S=PROMPTS[0][0], w_star=PROMPTS[0][1], k=3)
    if record_id == "synergy:claim-os-cases":
        return synergy_outcome._case_setting()
    return dict(V_tilde=V2, A=A2, n=8, k=2)


@pytest.mark.parametrize("record_id", IDS)
def test_statement_rhs_equals_evaluate(record_id):
    record = RECORDS[record_id]
    params = _record_parameters(record_id)
    assert {p.name for p in record.parameters} == set(params)
    assert record.statement_value(**params) == record.evaluate(**params)
    assert record.latex


def test_prop_6_1_evaluate_takes_lists_of_prompts():
    record = RECORDS["synergy:prop-6.1"]
    S_list, w_list = [S for S, _ in PROMPTS], [w for _, w in PROMPTS]
    assert record.evaluate(V_tilde=V2, W_tilde=W2, S=S_list, w_star=w_list, k=2) == \
        outcome.outcome_loss_closed_form(V2, W2, PROMPTS, 2)


def test_case_statement_rho_is_the_transition_radius():
    record = RECORDS["synergy:claim-os-cases"]
    rho = record.statement()[1]
    values = {synergy_outcome.Sigma0_a: sp.ImmutableMatrix(sp.eye(2)),
              synergy_outcome.Delta_a: sp.ImmutableMatrix(sp.diag(0, R(1, 2))), synergy_outcome.n0: 50}
    assert sp.simplify(substitute(rho, values, synergy_outcome.d, 2) - R(22, 53)) == 0


@pytest.mark.parametrize("record_id", IDS)
def test_record_checks_pass_and_reject_their_controls(record_id):
    report = run_check(RECORDS[record_id], seed=1)
    assert report.prediction.outcome == PASS, report.prediction.summary()
    assert report.control.outcome == FAIL, report.control.summary()
