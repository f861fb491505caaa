"""Work is bounded: a size whose cost would run for hours is refused at once with an InputError naming the limit."""

import time

import pytest
import sympy as sp

from derivations import finite_cot, lsa, optimal_depth, test_time, weight_error
from derivations.validation import POWER_STEPS_LIMIT, SYMBOLIC_STEPS_LIMIT, WICK_STEPS_LIMIT
from icl_errors import InputError

R = sp.Rational
LAMBDA = sp.diag(1, R(1, 2))

REFUSED = [
    ("limit error, k = 10^12", lambda: test_time.limit_error(LAMBDA, 10, LAMBDA, 10 ** 12), "limit 10000"),
    ("scaling-law bound, k = 10^9", lambda: test_time.scaling_law_bound(LAMBDA, 10, 10 ** 9), "limit 10000"),
    ("pseudo-Newton estimate, k = 10^9",
     lambda: test_time.pseudo_newton_estimate(LAMBDA, LAMBDA, sp.Matrix([1, 1]), 10 ** 9), "limit 10000"),
    ("pseudo-Newton polynomial, k = 13", lambda: test_time.pseudo_newton_polynomial(SYMBOLIC_STEPS_LIMIT + 1),
     "limit 12"),
    ("error operator, k = 13", lambda: lsa.error_operator(13, -sp.eye(2), sp.eye(2), sp.eye(2)), "limit 12"),
    ("Wick error, k = 4", lambda: weight_error.cot_weight_error(WICK_STEPS_LIMIT + 1, -sp.eye(2), sp.eye(2),
                                                                 LAMBDA, 5), "limit 3"),
    ("finite-m error, k = 10^6", lambda: finite_cot.cot_error(LAMBDA, 4, LAMBDA, 5, 10 ** 6), "limit 40"),
    ("finite-m error, too many monomials", lambda: finite_cot.cot_error(sp.eye(8), 4, sp.eye(8), 5, 8),
     "monomials"),
    ("finite-m variance, too many monomials",
     lambda: finite_cot.cot_error_variance(sp.eye(5), 4, sp.eye(5), 5, 5), "monomials"),
    ("optimal depth, cap = 10^6", lambda: optimal_depth.optimal_depth(LAMBDA, 4, LAMBDA, 5, 10 ** 6), "limit 40"),
]


@pytest.mark.parametrize("name, call, limit", REFUSED, ids=[r[0] for r in REFUSED])
def test_sizes_beyond_the_ceiling_are_refused_at_once(name, call, limit):
    start = time.perf_counter()
    with pytest.raises(InputError, match=limit):
        call()
    assert time.perf_counter() - start < 5


def test_sizes_at_the_ceiling_still_run():
    assert test_time.limit_error(LAMBDA, 10, LAMBDA, POWER_STEPS_LIMIT) > 0
    assert weight_error.cot_weight_error(2, -sp.eye(2) / 2, sp.eye(2), LAMBDA, 5) > 0
