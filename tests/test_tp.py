"""The tp:* family (Takanami–Pehlevan's d → ∞ CoT-depth theory, Marchenko–Pastur stand-in): the limit profile, its
four phases, the optimal-depth law, the exact finite-size errors converging to the limit, and the checks."""

import math

import mpmath
import pytest
import sympy as sp

from derivations import finite_cot, marchenko_pastur, registry, tp
from derivations.optimal_depth import depth_from_errors
from derivations.records import tp as records
from icl_errors import InputError
from verify.runner import run_check

R = sp.Rational
IDS = ["tp:error-limit", "tp:phases", "tp:optimal-depth"]

# declared parameters -> a value set per record (exact inputs); the fuzz test takes its examples from here
PARAMETERS = {
    "tp:error-limit": {"c": R(1, 2), "gamma": R(1, 2), "k": 3},
    "tp:phases": {"c": R(1, 4), "gamma": 2},
    "tp:optimal-depth": {"c": 1, "gamma": R(1, 4), "cap": 6},
}
# what of evaluate's value the statement's first part equals
PROJECTIONS = {"tp:error-limit": lambda v: v, "tp:phases": lambda v: v.limit, "tp:optimal-depth": lambda v: v.k_star}


@pytest.mark.parametrize("record_id", IDS)
def test_evaluate_takes_exactly_the_declared_parameters(record_id):
    record = registry.get(record_id)
    params = PARAMETERS[record_id]
    assert {p.name for p in record.parameters} == set(params)
    assert all(p.symbol is not None for p in record.parameters)
    assert record.proof.count("\n") >= 3 and record.uses and "stand-in" in record.source.remark
    with pytest.raises(InputError, match="missing parameter"):
        record.evaluate(**{k: v for k, v in params.items() if k != "c"})
    with pytest.raises(InputError, match="unknown parameter"):
        record.evaluate(**params, extra=1)


@pytest.mark.parametrize("record_id", IDS)
def test_statement_equals_evaluate(record_id):
    record = registry.get(record_id)
    params = PARAMETERS[record_id]
    assert sp.simplify(record.statement_value(**params) - PROJECTIONS[record_id](record.evaluate(**params))) == 0


def test_moment_sum_statement_part_is_the_same_value():
    params = PARAMETERS["tp:error-limit"]
    stated = sp.hyperexpand(registry.get("tp:error-limit").statement_value(1, **params))
    assert sp.simplify(stated - registry.get("tp:error-limit").evaluate(**params)) == 0


@pytest.mark.parametrize("record_id", IDS)
def test_check_passes_and_control_is_rejected(record_id):
    report = run_check(registry.get(record_id), seed=0)
    assert report.prediction.outcome == "pass", report.prediction
    assert report.control.outcome == "fail", report.control


# --- the limit profile ---------------------------------------------------------------------------------------------


def test_profile_agrees_with_the_symbolic_mp_error_and_the_notation_object():
    for c, gamma in ((R(1, 2), R(1, 2)), (R(2, 3), R(3)), (R(1), R(1, 4))):
        profile = tp.mp_error_profile(c, gamma, 4)
        assert profile[0] == 1
        for k in range(5):
            assert profile[k] == marchenko_pastur.marchenko_pastur_error(c, gamma, k)
            assert records.mp_profile(c, gamma, k).doit() == profile[k]


def _quadrature(c: float, gamma: float, k: int) -> float:
    """∫(1 − cλ)^{2k} dMP_γ by quadrature of the density (λ = 1 + γ + 2√γ cos θ) plus the atom: independent of the
    moment sum."""
    a, b = 1 + gamma, 2 * math.sqrt(gamma)

    def integrand(theta):
        lam = a + b * mpmath.cos(theta)
        return (1 - c * lam) ** (2 * k) * b ** 2 * mpmath.sin(theta) ** 2 / (2 * mpmath.pi * gamma * lam)

    return float(mpmath.quad(integrand, [0, mpmath.pi])) + max(0.0, 1 - 1 / gamma)


@pytest.mark.parametrize("c, gamma", [(R(1, 2), R(1, 2)), (R(1, 4), R(2)), (R(1), R(1, 4)), (R(1, 3), R(9, 10))])
def test_profile_is_the_integral_against_the_mp_density(c, gamma):
    profile = tp.mp_error_profile(c, gamma, 12)
    for k in (1, 3, 12):
        assert abs(float(profile[k]) - _quadrature(float(c), float(gamma), k)) < 1e-9 * max(1, float(profile[k]))


def test_finite_size_errors_converge_to_the_limit_at_order_one_over_d():
    """Exact (1/d)E‖e_k‖² of the pretrained model at γ = 1/2, τ = 1 (m = 2d, n = d), d = 2 … 512: the gap shrinks
    monotonically, d·gap tends to the exact leading coefficient, and the limit is tp.mp_error at c∞ = τ/(1 + τ)."""
    dims = [2, 4, 8, 16, 32, 64, 128, 256, 512]
    for k, coefficient in ((1, R(1, 4)), (2, R(15, 64)), (4, R(1587, 8192))):
        rows = marchenko_pastur.bridge_rows(dims, R(1, 2), 1, k)
        assert all(row.limit == tp.mp_error(tp.trained_scale(1), R(1, 2), k) for row in rows)
        gaps = [row.gap for row in rows]
        assert all(0 < b < a for a, b in zip(gaps, gaps[1:]))
        assert marchenko_pastur.gap_leading_order(R(1, 2), 1, k) == (1, coefficient)
        assert abs(rows[-1].gap * 512 - coefficient) < R(1, 1000)
        assert tp.finite_error_profile(512, R(1, 2), 1, k)[k] == rows[-1].per_dimension
    # the general exact engine (any Σ) gives the same finite-size values where it runs
    errors = finite_cot.cot_errors(sp.eye(2), 2, sp.eye(2), 4, 4)
    assert [e / 2 for e in errors] == tp.finite_error_profile(2, R(1, 2), 1, 4)


# --- phases --------------------------------------------------------------------------------------------------------


def test_the_four_phases_and_their_boundaries():
    assert tp.phase(R(1, 2), R(1, 4)) == tp.Phase("exponential", 0, R(49, 64), None)
    assert tp.phase(R(1, 4), 1).name == "polynomial" and tp.phase(R(1, 4), 1).exponent == R(1, 2)
    assert tp.phase(R(8, 9), R(1, 4)).name == "polynomial" and tp.phase(R(8, 9), R(1, 4)).exponent == R(3, 2)
    saturation = tp.phase(R(1, 4), 2)
    assert saturation.name == "saturation" and saturation.limit == R(1, 2)
    assert tp.phase(1, R(1, 4)).name == "overthinking" and tp.phase(1, R(1, 4)).limit == sp.oo
    assert tp.phase(R(1, 2), 9).name == "overthinking"   # cλ₊ = 8 > 2 beats saturation
    assert [p.name for p in map(lambda cg: tp.phase(*cg), ((R(1, 2), R(1, 4)), (R(1, 4), 1), (R(1, 4), 2),
                                                          (1, R(1, 4))))] == list(tp.PHASES)


def test_each_phase_shows_its_behaviour_in_the_exact_profile():
    exponential = tp.mp_error_profile(R(1, 2), R(1, 4), 120)
    assert abs(float(exponential[120] / exponential[119]) - 49 / 64) < 0.01        # e(k)^{1/k} → ρ²
    hard_edge = tp.mp_error_profile(R(1, 4), 1, 200)
    assert abs(float(hard_edge[200]) * math.sqrt(200) - 1 / math.sqrt(2 * math.pi / 4)) < 0.003
    soft_edge = tp.mp_error_profile(R(8, 9), R(1, 4), 200)
    slope = math.log(float(soft_edge[200] / soft_edge[100])) / math.log(2)
    assert abs(slope + 1.5) < 0.05                                                   # k^{−3/2}
    saturation = tp.mp_error_profile(R(1, 4), 2, 60)
    assert all(b < a for a, b in zip(saturation[1:], saturation[2:])) and saturation[60] > R(1, 2)
    rate = float(tp.phase(R(1, 4), 2).rate)               # e(k) − 1/2 ~ ρ^{2k} k^{−3/2}: ratio ρ²(1 − 3/(2k))
    assert abs(float((saturation[60] - R(1, 2)) / (saturation[59] - R(1, 2))) - rate * (1 - 1.5 / 60)) < 0.005
    overthinking = tp.mp_error_profile(1, R(1, 4), 60)
    assert depth_from_errors(overthinking).k_star == 3 and overthinking[60] > 10 ** 8 * overthinking[3]


# --- optimal depth -------------------------------------------------------------------------------------------------


def test_optimal_depth_law_near_the_overthinking_edge():
    upper = tp.mp_edges(R(1, 4))[1]
    assert upper == R(9, 4)
    for epsilon, k_star in ((R(1, 10), 8), (R(1, 20), 15), (R(1, 40), 30), (R(1, 80), 60)):
        c = (2 + epsilon) / upper
        assert tp.asymptotic_optimal_depth(c, R(1, 4), 100).k_star == k_star
        assert abs(k_star - tp.overthinking_depth_law(c, R(1, 4))) <= 1
    for c, gamma in ((R(1, 2), R(1, 4)), (R(1, 4), 1), (R(1, 4), 2)):   # no overthinking: k*_∞ beyond any cap
        assert tp.asymptotic_optimal_depth(c, gamma, 40).at_cap


def test_finite_size_optimal_depth_beside_the_asymptotic_one():
    """The table of the record's errata, recomputed where it is cheap; at d = 512 k*(d) reaches k*_∞ = 4."""
    assert tp.asymptotic_optimal_depth(tp.trained_scale(4), R(1, 2)).k_star == 4
    for name, rows in records.DEPTH_TABLE[:2]:
        for d, k_star in rows[:5]:
            tau, gamma = (4, R(1, 2)) if "τ = 4" in name else (8, R(1, 4))
            assert tp.finite_optimal_depth(d, gamma, tau).k_star == k_star, (name, d)
    assert tp.finite_optimal_depth(512, R(1, 2), 4).k_star == 4


# --- bad input -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, message", [
    (lambda: tp.mp_error(0, R(1, 2), 1), "c must be a positive rational"),
    (lambda: tp.mp_error(R(1, 2), -1, 1), "gamma must be a positive rational"),
    (lambda: tp.mp_error(R(1, 2), sp.sqrt(2), 1), "gamma must be a positive rational"),
    (lambda: tp.mp_error(R(1, 2), R(1, 2), 201), "above the limit 200"),
    (lambda: tp.mp_error(R(1, 2), R(1, 2), 2.5), "k must be an integer"),
    (lambda: tp.asymptotic_optimal_depth(1, R(1, 4), 1), "cap must be an integer ≥ 2"),
    (lambda: tp.overthinking_depth_law(R(1, 2), R(1, 4)), "needs overthinking"),
    (lambda: tp.overthinking_depth_law(1, 1), "γ ≠ 1"),
    (lambda: tp.finite_error_profile(3, R(1, 2), R(1, 2), 2), "integer m = d/γ and n = τd"),
    (lambda: tp.finite_error_profile(8, R(1, 2), 1, 9), "above the limit 8"),
    (lambda: tp.finite_error_profile(10 ** 6, R(1, 2), 1, 2), "d must be an integer in 1..4096"),
    (lambda: registry.get("tp:phases").evaluate(c="x", gamma=1), "c must be a number"),
])
def test_bad_input_is_refused_with_the_problem_named(call, message):
    with pytest.raises(InputError, match=message):
        call()
