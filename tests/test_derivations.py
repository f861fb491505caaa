"""The LSA derivation, the pretraining fixed point and the post-test error: exact identities and properties."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import lsa, pretraining
from derivations.notation import substitute
from derivations.records.synergy import A as A_sym, Sigma as Sigma_sym, d as d_sym, post_test_statement
from derivations.weight_error import cot_weight_error, frobenius_error, one_step_error
from icl_errors import InputError
from tests.strategies import rational_matrices, rational_spd

n = sp.Symbol("n", positive=True)


def test_block_derivation_gives_the_recursion_and_keeps_the_layout():
    step = lsa.derive_cot_step()
    assert step.appended_column_has_layout
    claimed = lsa.w_hat + lsa.V_tilde * lsa.S * (lsa.W_tilde * lsa.w_hat - lsa.w_star)
    assert sp.expand(step.w_next - claimed) == sp.ZeroMatrix(lsa.d, 1)


def test_derived_step_is_not_the_sign_flipped_recursion():
    flipped = lsa.w_hat - lsa.V_tilde * lsa.S * (lsa.W_tilde * lsa.w_hat - lsa.w_star)
    assert sp.expand(lsa.derive_cot_step().w_next - flipped) != sp.ZeroMatrix(lsa.d, 1)


def test_error_operator_with_identity_W_is_power_of_one_step():
    V = sp.Matrix(2, 2, sp.symbols("a b c e"))
    S = sp.Matrix(2, 2, sp.symbols("s11 s12 s12 s22"))
    for k in range(4):
        E = lsa.error_operator(k, V, sp.eye(2), sp.eye(2))
        value = sum((c * _chain_value(mats, S) for c, mats in E.terms), sp.zeros(2, 2))
        assert (value + (sp.eye(2) + V * S) ** k).applyfunc(sp.expand) == sp.zeros(2, 2)


def _chain_value(mats, S):
    out = mats[0]
    for M in mats[1:]:
        out = out * S * M
    return out


def test_one_step_error_does_not_depend_on_W_tilde():
    V, W = sp.Matrix(2, 2, sp.symbols("a b c e")), sp.Matrix(2, 2, sp.symbols("p q r t"))
    Sigma = sp.Matrix([[2, 1], [1, 1]])
    assert sp.expand(cot_weight_error(1, V, W, Sigma, n) - one_step_error(V, Sigma, n)) == 0


def test_gamma_derived_for_symbolic_diagonal_sigma():
    s = sp.symbols("s1:4", positive=True)
    Sigma = sp.diag(*s)
    diff = pretraining.gamma_star(Sigma, n) - pretraining.gamma_closed_form(Sigma, n)
    assert diff.applyfunc(sp.simplify) == sp.zeros(3, 3)


@settings(max_examples=8)
@given(rational_spd(3), st.integers(min_value=1, max_value=50))
def test_gamma_derived_for_rational_spd_and_is_spd(Sigma, n_value):
    G = pretraining.gamma_star(Sigma, n_value)
    assert G == pretraining.gamma_closed_form(Sigma, n_value)
    assert G.is_symmetric() and G.is_positive_definite


def test_gamma_with_symbolic_n_for_dense_sigma():
    Sigma = sp.Matrix([[2, 1, 0], [1, 3, 1], [0, 1, 1]])
    diff = pretraining.gamma_star(Sigma, n) - pretraining.gamma_closed_form(Sigma, n)
    assert diff.applyfunc(sp.simplify) == sp.zeros(3, 3)


def test_minimal_error_reproduces_known_value_and_formula():
    Sigma = sp.diag(1, sp.Rational(1, 2), sp.Rational(1, 4))
    value = pretraining.minimal_error(Sigma, 20)
    assert value == sp.Rational(376, 637)
    G = pretraining.gamma_closed_form(Sigma, 20)
    assert value == 3 - (G.inv() * Sigma).trace()


def test_isotropic_error_is_huang_wang_lee():
    D = pretraining.isotropic_derivation()
    assert sp.simplify(D.minimal_error - D.d * (D.d + 1) / (D.n + D.d + 1)) == 0
    assert sp.simplify(D.c_star - D.n / (D.n + D.d + 1)) == 0
    assert D.minimal_error.subs({D.d: 4, D.n: 6}) == sp.Rational(20, 11)


def test_gradient_flow_lands_on_the_fixed_point():
    flow = pretraining.gradient_flow(sp.diag(1, sp.Rational(1, 2)), 10, t_end=60.0)
    assert flow.distance[0] > 1.0
    assert flow.distance[-1] < 1e-6
    assert np.all(np.diff(flow.distance) <= 1e-12)


def test_lemma_a1_statement_equals_derivation_symbolically():
    A = sp.Matrix(2, 2, sp.symbols("a11 a12 a21 a22"))
    Sigma = sp.Matrix(2, 2, sp.symbols("s11 s12 s12 s22"))
    statement = substitute(post_test_statement(A_sym).xreplace({sp.Symbol("n", positive=True, integer=True): n}),
                           {A_sym: A, Sigma_sym: Sigma}, d_sym, 2)
    derived = frobenius_error(A, Sigma, n)
    assert sp.expand(statement - derived) == 0
    typo = substitute(post_test_statement(A_sym, coefficient=2).xreplace(
        {sp.Symbol("n", positive=True, integer=True): n}), {A_sym: A, Sigma_sym: Sigma}, d_sym, 2)
    assert sp.expand(typo - derived) != 0


@given(rational_matrices(3), rational_spd(3))
def test_prop_51_is_lemma_a1_with_A_equal_V(V, Sigma):
    assert sp.expand(one_step_error(V, Sigma, 7) - frobenius_error(V, Sigma, 7)) == 0


@pytest.mark.parametrize("Sigma, message", [
    ([[1, 2, 3], [4, 5, 6]], "square"),
    ([[1, 2], [0, 1]], "not symmetric"),
    ([[1, 2], [2, 1]], "not positive semi-definite"),
    ([[float("nan"), 0], [0, 1]], "finite"),
])
def test_bad_covariances_are_named(Sigma, message):
    with pytest.raises(InputError, match=message):
        pretraining.gamma_star(Sigma, 5)


@pytest.mark.parametrize("n_value", [0, -3, 2.5])
def test_bad_prompt_lengths_are_named(n_value):
    with pytest.raises(InputError, match="n must be an integer"):
        pretraining.gamma_star([[1, 0], [0, 1]], n_value)
