"""Huang–Wang–Lee (``hwl:*``) and ZFB Corollary 4.3 (``zfb:cor-4.3``): exact identities, statements, bad input,
and the checks with their negative controls."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from derivations import field, hwl, registry
from derivations.records import zfb_bounds
from icl_errors import InputError
from verify.hwl_quantities import BoundInstance, gd_cot_columns

R = sp.Rational

PARAMETERS = {
    "hwl:thm-3.1": {"d": 3, "n": 6},
    "hwl:thm-4.1": {"d": 2, "eta": R(1, 2)},
    "hwl:cot-error": {"d": 2, "n": 5, "eta": R(1, 2), "k": 2},
    "zfb:cor-4.3": {"Lambda": sp.Matrix([[1, R(1, 4)], [R(1, 4), R(1, 2)]]), "N": 4, "M": 40, "epsilon": R(1, 4)},
}


def test_learned_point_is_minus_eta_identity_and_identity():
    V_t, W_t = hwl.learned_point(3, R(2, 3))
    assert V_t == -R(2, 3) * sp.eye(3) and W_t == sp.eye(3)


def test_one_cot_step_at_the_no_cot_step_is_the_no_cot_floor():
    """k = 1 with η = n/(n + d + 1) is the no-CoT optimum: both engines give d(d + 1)/(n + d + 1)."""
    assert hwl.cot_error(3, 6, R(6, 10), 1) == hwl.no_cot_floor(3, 6) == R(6, 5)
    assert hwl.cot_error(2, 8, R(1, 2), 0) == 2


def test_cot_beats_the_floor_only_when_n_is_well_above_d():
    assert hwl.cot_error(2, 8, R(1, 2), 3) < hwl.no_cot_floor(2, 8)
    errors = [hwl.cot_error(3, 6, R(3, 5), k) for k in range(1, 5)]
    assert errors[1] < errors[0] < errors[3]          # at n = 2d the CoT error turns back up (0.84, then 1.89)


def test_no_cot_floor_is_the_base_records_value():
    assert registry.get("hwl:thm-3.1").evaluate(d=4, n=6) == registry.get("base:no-cot-isotropic-error").evaluate(d=4, n=6)


def test_gd_columns_are_least_squares_gd_iterates():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((1, 2, 5))
    w_star = rng.standard_normal(2)
    y = (w_star @ X[0])[None]
    path = gd_cot_columns(X, y, 0.5, 3)[0]
    S = X[0] @ X[0].T / 5
    w = np.zeros(2)
    for i in range(3):
        w = w - 0.5 * S @ (w - w_star)
        assert np.allclose(path[i + 1], w)


def test_worst_case_error_of_a_diagonal_covariance_is_the_worst_axis():
    L, N, M = sp.diag(1, R(1, 8)), 4, 30
    axes = [field.prediction_error(L, N, M, sp.diag(*[int(i == j) for j in range(2)])) for i in range(2)]
    assert abs(zfb_bounds.worst_case_error(L, N, M) - max(axes)) < 1e-30


def test_bound_instances_are_exact_and_satisfy_the_hypothesis():
    instance, output = BoundInstance(d=3, n_max=20).instance(np.random.default_rng(4))
    L = sp.Matrix(instance["Lambda"]).applyfunc(sp.Rational)
    assert L == L.T and all(v > 0 for v in L.eigenvals()) and list(output) == [1.0]
    assert instance["M"] >= 4 * L.trace() / sp.Rational(instance["epsilon"])


@pytest.mark.parametrize("record_id", sorted(PARAMETERS))
def test_statement_equals_evaluate(record_id):
    record, params = registry.get(record_id), PARAMETERS[record_id]
    value = record.evaluate(**params)
    stated = record.statement_value(**params)
    if record_id == "zfb:cor-4.3":            # κ is algebraic: the bound agrees to the 40 digits of evaluate
        assert abs(sp.N(stated, 50) - value) < 1e-30
        return
    if isinstance(value, sp.MatrixBase):
        assert sp.Matrix(stated) == value
    else:
        assert sp.simplify(stated - value) == 0


@pytest.mark.parametrize("record_id, params, match", [
    ("hwl:thm-4.1", {"d": 4, "eta": R(1, 2)}, "limit"),
    ("hwl:thm-4.1", {"d": 2, "eta": -1}, "eta"),
    ("hwl:cot-error", {"d": 2, "n": 5, "eta": sp.sqrt(2), "k": 2}, "rational"),
    ("hwl:cot-error", {"d": 2, "n": 0, "eta": R(1, 2), "k": 2}, "n must be"),
    ("hwl:thm-3.1", {"d": 2, "n": -3}, "n must be"),
    ("zfb:cor-4.3", {"Lambda": sp.diag(1, 1), "N": 4, "M": 3, "epsilon": R(1, 4)}, "M ≥"),
    ("zfb:cor-4.3", {"Lambda": sp.diag(1, 1), "N": 4, "M": 40, "epsilon": 0}, "epsilon"),
])
def test_bad_input_is_refused(record_id, params, match):
    with pytest.raises(InputError, match=match):
        registry.get(record_id).evaluate(**params)


@pytest.mark.parametrize("record_id", ["hwl:thm-4.1", "hwl:cot-error", "zfb:cor-4.3"])
def test_check_passes_and_control_is_rejected(record_id):
    report = registry.get(record_id).verify(samples=None)
    assert report.prediction.outcome == "pass" and report.control.outcome == "fail", report


def test_full_gradient_check_passes_and_control_is_rejected():
    report = registry.get("hwl:thm-3.1").verify()
    assert report.passed, report


def test_extrema_over_several_variables_and_a_norm_ball_print_as_the_papers_write_them():
    assert registry.get("hwl:thm-3.1").latex.startswith(r"\min_{V, W} L{\left(V,W \right)} = ")
    assert r"\max_{\|a\| \le 1} R{\left(a \right)} \leq \epsilon + \tilde{\epsilon}" in registry.get("zfb:cor-4.3").latex
