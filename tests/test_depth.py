"""Optimal CoT depth k*, the real-Wishart moment recursion and the Marchenko–Pastur bridge, the depth sampler."""

import numpy as np
import pytest
import sympy as sp

from derivations import registry
from derivations.marchenko_pastur import (bridge_rows, d_sym, gap_leading_order, isotropic_error,
                                      marchenko_pastur_error, marchenko_pastur_moment, m_sym, wishart_trace_moment)
from derivations.finite_cot import cot_error, cot_errors
from derivations.optimal_depth import optimal_depth
from icl_errors import InputError
from verify.quantities import CotWeightError, PromptGroup
from verify.runner import run_check
from verify.statistics import FAIL

R = sp.Rational
LAMBDA = sp.diag(1, R(1, 2), R(1, 4))


@pytest.mark.parametrize("m, k_star, region", [(5, 1, "k*=1"), (10, 2, "finite"), (15, 3, "finite")])
def test_optimal_depth_in_the_first_two_regions(m, k_star, region):
    result = optimal_depth(LAMBDA, 20, LAMBDA, m, cap=6)
    assert (result.k_star, result.region) == (k_star, region)
    assert result.minimum == result.errors[k_star] == min(result.errors[1:])


def test_optimal_depth_at_the_cap_is_reported_as_not_found():
    result = optimal_depth(LAMBDA, 20, LAMBDA, 100, cap=4)
    assert result.at_cap and result.region == "unbounded/not found"
    assert list(result.errors[1:]) == sorted(result.errors[1:], reverse=True)


def test_finite_m_errors_eventually_rise_while_the_limit_decreases():
    errors = cot_errors(sp.diag(1, R(1, 2)), 10, sp.diag(1, R(1, 2)), 8, 10)
    assert errors[10] > errors[9] > errors[8] and errors[8] > min(errors[1:])


def test_optimal_depth_rejects_bad_input():
    with pytest.raises(InputError, match="cap must be an integer ≥ 2"):
        optimal_depth(LAMBDA, 20, LAMBDA, 10, cap=1)
    with pytest.raises(InputError, match="numeric n and m"):
        optimal_depth(LAMBDA, 20, LAMBDA, sp.Symbol("m", positive=True), cap=3)
    with pytest.raises(InputError, match="cap must be an integer"):
        optimal_depth(LAMBDA, 20, LAMBDA, 10, cap=R(5, 2))


def test_real_wishart_trace_moments():
    d, m = d_sym, m_sym
    assert sp.expand(wishart_trace_moment(1) - d * m) == 0
    assert sp.expand(wishart_trace_moment(2) - m * d * (m + d + 1)) == 0
    assert sp.expand(wishart_trace_moment(3) - d * m * (d ** 2 + 3 * d * m + 3 * d + m ** 2 + 3 * m + 4)) == 0


@pytest.mark.parametrize("d, k", [(1, 3), (2, 2), (3, 2)])
def test_isotropic_error_equals_the_general_engine(d, k):
    n, m = 5, 4
    assert isotropic_error(d, m, R(n, n + d + 1), k) == cot_error(sp.eye(d), n, sp.eye(d), m, k)


@pytest.mark.parametrize("j", range(1, 7))
def test_wishart_moments_tend_to_marchenko_pastur_moments(j):
    gamma = sp.Symbol("gamma", positive=True)
    per_dimension = (wishart_trace_moment(j) / (d_sym * m_sym ** j)).subs(d_sym, gamma * m_sym)
    assert sp.simplify(sp.limit(per_dimension, m_sym, sp.oo) - marchenko_pastur_moment(j, gamma)) == 0
    assert marchenko_pastur_moment(2, gamma) == 1 + gamma


def test_bridge_gap_shrinks_like_one_over_d():
    assert gap_leading_order(R(1, 2), 1, 1) == (1, R(1, 4))
    rows = bridge_rows([64, 512], R(1, 2), 1, 2)
    power, coefficient = gap_leading_order(R(1, 2), 1, 2)
    assert power == 1
    assert float(rows[-1].gap * rows[-1].d) == pytest.approx(float(coefficient), rel=0.01)
    assert rows[-1].limit == marchenko_pastur_error(R(1, 2), R(1, 2), 2)
    with pytest.raises(InputError, match="needs integer m"):
        bridge_rows([3], R(1, 2), R(1, 2), 1)


def test_depth_profile_sampler_shape_and_bad_input():
    quantity = CotWeightError(np.eye(2), (PromptGroup(6, (-0.5 * np.eye(2),), (1, 2)),
                                          PromptGroup(9, (-0.5 * np.eye(2),), (3,))))
    values = quantity.draw(np.random.default_rng(np.random.SeedSequence(3)), 50)
    assert values.shape == (50, 3) and np.all(values >= 0)
    with pytest.raises(InputError, match="k must be an integer >= 0"):
        CotWeightError(np.eye(2), (PromptGroup(6, (-0.5 * np.eye(2),), (-1, 1)),))


def test_depth_record_control_is_rejected():
    record = registry.get("tts:optimal-depth")
    assert record.evaluate(Sigma_train=LAMBDA, n=20, Sigma_test=LAMBDA, m=10, cap=4).k_star == 2
    report = run_check(record, samples=40_000)
    assert report.control.outcome == FAIL and report.prediction.outcome != FAIL
