"""Exact test-time results of 2510.03605 (derivations/test_time.py): every identity the records' derivations cite."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.linalg import sqrtm

from derivations import lsa, pretraining, test_time
from derivations.hardness import hardness
from derivations.moments import expected_chain
from derivations.pretraining import stationary_preconditioner
from derivations.records.tts import MISALIGNED, RECORDS
from derivations.settings import ISOTROPIC, TRAINING
from derivations.weight_error import cot_weight_error
from icl_errors import InputError
from tests.strategies import rational_spd

R = sp.Rational
m = sp.Symbol("m", positive=True)
RECORD = {r.id: r for r in RECORDS}


def derived_error_at_population(Lambda, n, Sigma, k):
    """‖E_k(Σ)‖²_F straight from the derived k-step error operator (no Prop 3.2 shortcut)."""
    identity = sp.eye(Lambda.rows)
    E = lsa.error_operator(k, stationary_preconditioner(Lambda, n), identity, identity).at(Sigma)
    return sp.expand((E * E.T).trace())


# ---------------------------------------------------------------- Prop 3.2


@pytest.mark.parametrize("k", range(7))
def test_cot_of_the_trained_model_is_pseudo_newton(k):
    derived, closed = test_time.pseudo_newton_polynomial(k)
    assert sp.expand(derived - closed) == 0


def test_pseudo_newton_closed_form_differs_from_the_off_by_one_exponent():
    derived, _ = test_time.pseudo_newton_polynomial(3)
    off_by_one = sp.expand(1 - (1 - test_time.G_inv * test_time.S_nc) ** 4)
    assert sp.expand(derived - off_by_one) != 0


def test_pseudo_newton_record_evaluates_exactly():
    S, w = sp.diag(2, 1), sp.Matrix([1, -1])
    value = RECORD["tts:prop-3.2"].evaluate(Lambda=sp.eye(2), n=2, S=S, w=w, k=2)
    Gamma = R(3, 2) * sp.eye(2) + sp.eye(2)  # (1 + 1/2)I + tr(I)/2·I
    P = sp.eye(2) - Gamma.inv() * S
    assert value == (sp.eye(2) - P ** 2) * w
    assert RECORD["tts:prop-3.2"].evaluate(Lambda=sp.eye(2), n=2, S=S, w=w, k=0) == sp.zeros(2, 1)


# ---------------------------------------------------------------- m → ∞ limit


@pytest.mark.parametrize("Sigma", [TRAINING, ISOTROPIC, MISALIGNED], ids=["matched", "isotropic", "misaligned"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_limit_error_is_the_derived_operator_at_the_population_covariance(Sigma, k):
    assert test_time.limit_error(TRAINING, 10, Sigma, k) == derived_error_at_population(TRAINING, 10, Sigma, k)


@pytest.mark.parametrize("k", [1, 2])
def test_limit_error_is_the_m_to_infinity_limit_of_the_exact_finite_m_error(k):
    Lambda = sp.diag(1, R(1, 2), R(1, 4))
    finite = cot_weight_error(k, stationary_preconditioner(Lambda, 20), sp.eye(3), Lambda, m)
    assert sp.limit(finite, m, sp.oo) == test_time.limit_error(Lambda, 20, Lambda, k)
    assert sp.limit(m * (finite - test_time.limit_error(Lambda, 20, Lambda, k)), m, sp.oo) > 0  # an O(1/m) gap


def test_scaling_law_example_value():
    # page example: Λ = diag(1, 1/2, 1/4), n = 20, k = 1 gives 0.12998
    assert float(test_time.limit_error(sp.diag(1, R(1, 2), R(1, 4)), 20, sp.diag(1, R(1, 2), R(1, 4)), 1)) == \
        pytest.approx(0.12998, abs=1e-5)


@given(st.lists(st.fractions(min_value=R(1, 8), max_value=3, max_denominator=8), min_size=1, max_size=3),
       st.integers(1, 60), st.integers(1, 4))
def test_scaling_law_eigen_sum_and_bound(eigenvalues, n, k):
    Lambda = sp.diag(*[R(f.numerator, f.denominator) for f in eigenvalues])
    value = test_time.limit_error(Lambda, n, Lambda, k)
    assert value == test_time.scaling_law_eigen(Lambda, n, k)
    assert value <= test_time.scaling_law_bound(Lambda, n, k)


def test_scaling_law_for_a_rotated_covariance_and_tightness_for_isotropic():
    Q = sp.Matrix([[R(3, 5), R(-4, 5)], [R(4, 5), R(3, 5)]])
    Lambda = Q * sp.diag(2, R(1, 3)) * Q.T
    assert test_time.limit_error(Lambda, 7, Lambda, 3) == test_time.scaling_law_eigen(sp.diag(2, R(1, 3)), 7, 3)
    iso = 2 * sp.eye(3)
    assert test_time.limit_error(iso, 9, iso, 2) == test_time.scaling_law_bound(iso, 9, 2)
    assert test_time.limit_error(TRAINING, 10, TRAINING, 2) < test_time.scaling_law_bound(TRAINING, 10, 2)


# ---------------------------------------------------------------- Thm 3.3


def test_direct_icl_error_matches_its_formula_and_known_value():
    Lambda = sp.diag(1, R(1, 2), R(1, 4))
    assert test_time.direct_icl_error(Lambda, 20, 20) == R(376, 637)  # the pretraining minimum at m = n
    assert test_time.direct_icl_error(Lambda, 20, m) == test_time.direct_icl_error_formula(Lambda, 20, m)
    assert hardness(TRAINING) == R(25, 3)


@pytest.mark.parametrize("Lambda", [sp.diag(1, R(1, 2), R(1, 4)), sp.eye(3), sp.diag(1, R(1, 10)), TRAINING])
@pytest.mark.parametrize("n", [5, 20, 100])
@pytest.mark.parametrize("m_test", [10, 100, 10 ** 6])
def test_direct_icl_error_lies_below_the_printed_bound(Lambda, n, m_test):
    assert test_time.direct_icl_error(Lambda, n, m_test) <= test_time.direct_icl_bound(Lambda, n, m_test)


def test_at_small_m_a_longer_training_context_is_worse():
    assert test_time.direct_icl_error(TRAINING, 100, 10) > test_time.direct_icl_error(TRAINING, 10, 10)


# ---------------------------------------------------------------- n*(k, ε)


def test_minimal_training_length_curve():
    eps = test_time.limit_error(TRAINING, 30, TRAINING, 1)
    curve = [test_time.minimal_training_length(TRAINING, k, eps) for k in range(1, 8)]
    assert curve == [30, 10, 6, 4, 3, 3, 2]


@given(st.integers(1, 5), st.fractions(min_value=R(1, 100), max_value=2, max_denominator=100))
def test_minimal_training_length_is_the_smallest_n(k, eps):
    eps = R(eps.numerator, eps.denominator)
    n_star = test_time.minimal_training_length(TRAINING, k, eps)
    assert test_time.limit_error(TRAINING, n_star, TRAINING, k) <= eps
    if n_star > 1:
        assert test_time.limit_error(TRAINING, n_star - 1, TRAINING, k) > eps
    assert test_time.minimal_training_length(TRAINING, k + 1, eps) <= n_star


# ---------------------------------------------------------------- Rem 4.1


def test_remark_trace_is_the_printed_trace_and_a_lower_bound():
    Gamma = np.array(pretraining.gamma_star(TRAINING, 10).evalf(30), dtype=float)
    root = np.real(sqrtm(np.linalg.inv(Gamma)))
    M = np.eye(4) - root @ np.array(MISALIGNED, dtype=float) @ root
    for k in (1, 2, 3):
        printed = np.trace(np.linalg.matrix_power(M, 2 * k))
        assert float(test_time.remark_trace(TRAINING, 10, MISALIGNED, k)) == pytest.approx(printed, rel=1e-10)
        assert test_time.remark_trace(TRAINING, 10, MISALIGNED, k) < test_time.limit_error(TRAINING, 10, MISALIGNED, k)
        assert test_time.remark_trace(TRAINING, 10, ISOTROPIC, k) == test_time.limit_error(TRAINING, 10, ISOTROPIC, k)


def test_overthinking_threshold_for_the_skewed_training_covariance():
    assert [test_time.overthinks(TRAINING, n, ISOTROPIC) for n in (8, 9, 10, 11, 30)] == [False, False, True, True, True]
    assert not test_time.overthinks(TRAINING, 30, TRAINING)
    radii = [test_time.spectral_radius(TRAINING, n, ISOTROPIC) for n in (10, 20, 30)]
    assert 1 < radii[0] < radii[1] < radii[2]  # larger n, faster divergence


@given(rational_spd(2), rational_spd(2), st.integers(1, 30))
def test_overthinking_criterion_matches_spectral_radius_and_eventual_growth(Lambda, Sigma, n):
    over = test_time.overthinks(Lambda, n, Sigma)
    radius = test_time.spectral_radius(Lambda, n, Sigma)
    if abs(radius - 1) > 1e-9:
        assert over == (radius > 1)
    if abs(radius - 1) > 0.05:
        # two steps apart: with eigenvalues of opposite signs and nearly equal size (−0.881 and 0.870 at
        # Λ = [[6, −5/3], [−5/3, 19/9]], Σ = [[27/4, 5/2], [5/2, 7/4]], n = 8) the error alternates from k to k + 1
        late = [test_time.limit_error(Lambda, n, Sigma, k) for k in (60, 62)]
        assert (late[1] > late[0]) == over


# ---------------------------------------------------------------- Thm 3.1 dynamics


def test_loss_hessian_is_the_wishart_second_moment():
    assert test_time.loss_hessian(TRAINING, 10) == expected_chain([sp.eye(4)] * 3, TRAINING, 10)


def test_mean_sgd_iterate_reaches_the_minimiser_within_the_check_resolution():
    V_star = stationary_preconditioner(TRAINING, 10)
    gap = test_time.mean_sgd_iterate(TRAINING, 10, R(1, 2), 150) - V_star
    assert 0 < float(sp.sqrt((gap * gap.T).trace())) < 1e-3
    assert test_time.mean_sgd_iterate(TRAINING, 10, R(1, 2), 0) == sp.zeros(4, 4)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("call, message", [
    (lambda: test_time.limit_error(TRAINING, 10, TRAINING, -1), "k must be an integer"),
    (lambda: test_time.limit_error(TRAINING, 10, sp.eye(3), 1), "Sigma has shape"),
    (lambda: test_time.minimal_training_length(TRAINING, 1, 0), "epsilon must be positive"),
    (lambda: test_time.minimal_training_length(TRAINING, 1, R(1, 10 ** 9), n_max=100), "no training length"),
    (lambda: test_time.mean_sgd_iterate(TRAINING, 10, -1, 3), "learning_rate must be positive"),
    (lambda: test_time.mean_sgd_iterate(TRAINING, 10, 1, -3), "steps must be an integer"),
    (lambda: RECORD["tts:cor-3.5"].evaluate(Lambda=[[1, 2], [0, 1]], n=3, k=1), "not symmetric"),
    (lambda: RECORD["tts:thm-3.3"].evaluate(Lambda=TRAINING, n=0, m=3), "n must be an integer"),
    (lambda: RECORD["tts:prop-3.2"].evaluate(Lambda=TRAINING, n=3, S=sp.eye(2), w=[[1], [2]], k=1), "S must be 4×4"),
    (lambda: RECORD["tts:claim-2"].evaluate(Lambda=TRAINING, n=3), "missing parameter"),
])
def test_bad_input_is_a_one_line_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_claim_records_evaluate():
    eps = test_time.limit_error(TRAINING, 30, TRAINING, 1)
    assert RECORD["tts:claim-1"].evaluate(Lambda=TRAINING, k=2, epsilon=eps) == 10
    assert RECORD["tts:claim-2"].evaluate(Lambda=TRAINING, n=10, Sigma=ISOTROPIC) == sp.true
    assert RECORD["tts:claim-2"].evaluate(Lambda=TRAINING, n=8, Sigma=ISOTROPIC) == sp.false
    assert RECORD["tts:thm-3.1"].evaluate(Lambda=TRAINING, n=10) == pretraining.gamma_star(TRAINING, 10)
