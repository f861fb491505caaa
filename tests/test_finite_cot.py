"""The exact finite-size CoT error engine: against the Wick engine, the brute-force reference, limits, MC, variance."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import registry
from derivations.finite_cot import (cot_error, cot_error_coefficients, cot_error_second_moment, cot_error_variance,
                                   cot_errors, monte_carlo_samples)
from benchmarks.isserlis_reference import reference_cot_error
from derivations.pretraining import gamma_closed_form
from derivations.test_time import limit_error
from derivations.weight_error import cot_weight_error
from icl_errors import InputError
from tests.strategies import rational_spd
from verify.quantities import CotWeightError
from verify.runner import run_check
from verify.statistics import FAIL, PASS

R = sp.Rational
LAMBDA = sp.diag(1, R(1, 2), R(1, 4))
DENSE_TRAIN = sp.Matrix([[1, R(1, 4), 0], [R(1, 4), 1, 0], [0, 0, R(1, 2)]])
DENSE_TEST = sp.Matrix([[2, R(1, 2), 0], [R(1, 2), 1, R(1, 3)], [0, R(1, 3), R(1, 2)]])
m_sym, n_sym = sp.symbols("m n", positive=True)


@pytest.mark.parametrize("k", [1, 2])
def test_engine_equals_the_wick_engine_on_dense_covariances(k):
    G = gamma_closed_form(DENSE_TRAIN, 7).inv()
    wick = cot_weight_error(k, -G, sp.eye(3), DENSE_TEST, 5)
    assert cot_error(DENSE_TRAIN, 7, DENSE_TEST, 5, k) == sp.nsimplify(wick)


@settings(max_examples=8)
@given(train=rational_spd(2), test=rational_spd(2), n=st.integers(1, 30), m=st.integers(1, 12), k=st.integers(0, 2))
def test_engine_equals_the_brute_force_isserlis_reference(train, test, n, m, k):
    G = gamma_closed_form(train, n).inv()
    assert cot_error(train, n, test, m, k) == reference_cot_error(G, test, m, k)


def test_engine_equals_the_reference_at_depth_three():
    G = gamma_closed_form(DENSE_TRAIN[:2, :2], 3).inv()
    assert cot_error(DENSE_TRAIN[:2, :2], 3, DENSE_TEST[:2, :2], 4, 3) == reference_cot_error(G, DENSE_TEST[:2, :2], 4, 3)


def test_known_numbers_of_the_paper_example():
    assert limit_error(LAMBDA, 20, LAMBDA, 1) == R(52742, 405769)           # 0.12998, Cor. 3.5 at k = 1
    errors = cot_errors(LAMBDA, 20, LAMBDA, 10, 4)
    assert errors[0] == 3 and errors[1] > errors[2] < errors[3] < errors[4]       # falls, minimum at k = 2, rises
    assert float(errors[1]) == pytest.approx(1.0506, abs=1e-4)


@pytest.mark.parametrize("k", [1, 2])
def test_symbolic_m_limit_is_the_frobenius_norm_of_the_deterministic_power(k):
    expr = cot_error(DENSE_TRAIN, 7, DENSE_TEST, m_sym, k)
    assert sp.simplify(sp.limit(expr, m_sym, sp.oo) - limit_error(DENSE_TRAIN, 7, DENSE_TEST, k)) == 0
    assert expr.subs(m_sym, 5) == cot_error(DENSE_TRAIN, 7, DENSE_TEST, 5, k)


def test_matched_diagonal_limit_is_the_scaling_law_symbolically_in_n():
    lam = sp.diag(1, R(1, 3))
    k = 2
    expr = cot_error(lam, n_sym, lam, m_sym, k)
    scaling_law = sum((1 + n_sym / (1 + lam.trace() / lam[j, j])) ** (-2 * k) for j in range(2))
    assert sp.simplify(sp.limit(expr, m_sym, sp.oo) - scaling_law) == 0
    assert sp.simplify(expr.subs({n_sym: 4, m_sym: 3}) - cot_error(lam, 4, lam, 3, k)) == 0


def test_one_dimensional_closed_form():
    # d = 1: E(1 − Gs)² w² with s ~ χ²_m/m (E s = 1, E s² = 1 + 2/m) and G = n/(n + 2).
    G = n_sym / (n_sym + 2)
    expected = 1 - 2 * G + G ** 2 * (1 + 2 / m_sym)
    assert sp.simplify(cot_error([[1]], n_sym, [[1]], m_sym, 1) - expected) == 0


def test_inverse_m_coefficients_reproduce_the_error():
    coefficients = cot_error_coefficients(LAMBDA, 20, LAMBDA, 3)
    for k, c in enumerate(coefficients):
        assert len(c) <= max(1, 2 * k)
        assert sum(cj * R(1, 10) ** j for j, cj in enumerate(c)) == cot_errors(LAMBDA, 20, LAMBDA, 10, 3)[k]
        assert c[0] == limit_error(LAMBDA, 20, LAMBDA, k)


def test_fourth_moment_matches_the_chi_square_closed_form_in_one_dimension():
    # ‖e_1‖⁴ = (1 − Gs)⁴ w⁴, E w⁴ = 3, E s^j = Π_{i<j} (m + 2i)/m.
    G, m = R(5, 7), 6
    moments = [sp.prod([R(m + 2 * i, m) for i in range(j)]) for j in range(5)]
    expected = 3 * sum(sp.binomial(4, j) * (-G) ** j * moments[j] for j in range(5))
    n = 5  # Γ = (n + 2)/n for Λ = 1, so G = 5/7
    assert cot_error_second_moment([[1]], n, [[1]], m, 1) == expected


def test_variance_agrees_with_monte_carlo():
    lam = sp.diag(1, R(1, 2))
    n, m, k = 10, 30, 2
    rng = np.random.default_rng(np.random.SeedSequence(11))
    quantity = CotWeightError.single(np.array([[1.0, 0.0], [0.0, 0.5]]), m,
                                       -np.array(gamma_closed_form(lam, n).inv().evalf(), dtype=float), k)
    values = quantity.draw(rng, 200_000)[:, 0]
    mean, second = cot_error(lam, n, lam, m, k), cot_error_second_moment(lam, n, lam, m, k)
    assert abs(values.mean() - float(mean)) < 4 * values.std() / np.sqrt(len(values))
    squares = values ** 2
    assert abs(squares.mean() - float(second)) < 5 * squares.std() / np.sqrt(len(squares))
    assert cot_error_variance(lam, n, lam, m, k) == second - mean ** 2


def test_fourth_moment_on_dense_covariances_agrees_with_monte_carlo():
    train, test = DENSE_TRAIN[:2, :2], DENSE_TEST[:2, :2]
    rng = np.random.default_rng(np.random.SeedSequence(5))
    quantity = CotWeightError.single(np.array(test.evalf(), dtype=float), 12,
                                       -np.array(gamma_closed_form(train, 4).inv().evalf(), dtype=float), 1)
    squares = quantity.draw(rng, 400_000)[:, 0] ** 2
    exact = float(cot_error_second_moment(train, 4, test, 12, 1))
    assert abs(squares.mean() - exact) < 4 * squares.std() / np.sqrt(len(squares))
    assert squares.std() / np.sqrt(len(squares)) < 0.02 * exact     # precise enough to see a wrong term


def test_monte_carlo_sample_size_from_the_exact_variance():
    lam = sp.diag(1, R(1, 2))
    variance = cot_error_variance(lam, 10, lam, 30, 2)
    samples = monte_carlo_samples(lam, 10, lam, 30, 2, R(1, 100))
    assert samples == sp.ceiling(variance * 10_000) and samples - 1 < variance * 10_000 <= samples
    assert monte_carlo_samples(lam, 10, lam, 30, 2, 0.01) == samples
    with pytest.raises(InputError, match="standard_error must be positive"):
        monte_carlo_samples(lam, 10, lam, 30, 2, 0)


def test_exact_error_agrees_with_monte_carlo_at_small_m():
    rng = np.random.default_rng(np.random.SeedSequence(7))
    quantity = CotWeightError.single(np.array(DENSE_TEST.evalf(), dtype=float), 8,
                                       -np.array(gamma_closed_form(DENSE_TRAIN, 6).inv().evalf(), dtype=float), 1)
    values = quantity.draw(rng, 200_000)[:, 0]
    exact = float(cot_error(DENSE_TRAIN, 6, DENSE_TEST, 8, 1))
    assert abs(values.mean() - exact) < 4 * values.std() / np.sqrt(len(values))
    assert abs(values.mean() - float(limit_error(DENSE_TRAIN, 6, DENSE_TEST, 1))) > 0.1   # the limit is rejected


def test_record_evaluates_exactly_and_its_check_rejects_the_asymptotic_control():
    record = registry.get("tts:exact-cot-error")
    assert record.evaluate(Sigma_train=[[1]], n=20, Sigma_test=[[1]], m=10, k=0) == 1
    assert record.evaluate(Sigma_train=LAMBDA, n=20, Sigma_test=LAMBDA, m=10, k=1) == cot_errors(LAMBDA, 20, LAMBDA, 10, 1)[1]
    report = run_check(record, samples=400_000)
    assert report.prediction.outcome == PASS and report.control.outcome == FAIL


@pytest.mark.parametrize("kwargs, message", [
    ({"Sigma_test": [[1, 2], [2, 1]]}, "positive semi-definite"),
    ({"Sigma_test": [[1, 0], [0, 0]]}, "positive definite"),
    ({"Sigma_test": [[1]]}, "Sigma_train is 2×2 but Sigma_test is 1×1"),
    ({"m": 0}, "m must be an integer"),
    ({"n": R(1, 2)}, "n must be an integer"),
    ({"k": -1}, "k must be an integer ≥ 0"),
    ({"Sigma_train": [[sp.sqrt(2), 0], [0, 1]]}, "Sigma_train must have rational entries"),
    ({"Sigma_train": [[0, 0], [0, 0]]}, "Sigma_train must not be zero"),
])
def test_bad_input_is_an_input_error(kwargs, message):
    args = {"Sigma_train": [[1, 0], [0, 1]], "n": 5, "Sigma_test": [[1, 0], [0, 1]], "m": 4, "k": 1} | kwargs
    with pytest.raises(InputError, match=message):
        cot_error(**args)
