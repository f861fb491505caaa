r"""Expected weight-prediction error of the LSA after k CoT steps, from the model's own recursion.

With ŵ_0 = 0 the derived step (``derivations.lsa``) gives ŵ_k − w* = E_k(S) w*, a polynomial in S. For
w* ~ N(0, I_d) independent of the prompt, E_w‖E_k w*‖² = ‖E_k‖²_F, so

    E‖ŵ_k − w*‖² = E_S tr(E_k E_kᵀ),

integrated exactly by the Wick engine. k = 1, W̃ = I is 2603.01293 Prop. 5.1 (eq. 5.1) and Lemma A.1 with A = Ṽ.
"""

from __future__ import annotations

import sympy as sp

from derivations.lsa import error_operator
from derivations.moments import MatrixLike, identity_like
from derivations.spoly import SPoly
from derivations.validation import WICK_STEPS_LIMIT, cot_steps


def cot_weight_error(k: int, V_t: MatrixLike, W_t: MatrixLike, Sigma: MatrixLike, n: sp.Expr | int) -> sp.Expr:
    """E‖ŵ_k − w*‖² for prompts of n examples x ~ N(0, Σ), w* ~ N(0, I), LSA parameters (Ṽ, W̃), ŵ_0 = 0.

    Wick's theorem over the 4k slots of E_k E_kᵀ: k ≤ 3 (validation.WICK_STEPS_LIMIT); finite_cot is the engine for
    larger k at Ṽ = −Γ⁻¹."""
    E_k = error_operator(cot_steps(k, maximum=WICK_STEPS_LIMIT), V_t, W_t, identity_like(Sigma))
    return (E_k * E_k.T).expected_trace(Sigma, n)


def one_step_error(V_t: MatrixLike, Sigma: MatrixLike, n: sp.Expr | int) -> sp.Expr:
    """E‖ŵ_1 − w*‖² (one LSA step, no CoT); W̃ does not enter because ŵ_0 = 0."""
    identity = identity_like(Sigma)
    return cot_weight_error(1, V_t, identity, Sigma, n)


def frobenius_error(A: MatrixLike, Sigma: MatrixLike, n: sp.Expr | int) -> sp.Expr:
    r"""E‖I + A Ŝ‖²_F over the sample covariance Ŝ of n draws from N(0, Σ) (2603.01293 Lemma A.1)."""
    identity = identity_like(Sigma)
    M = SPoly.constant(identity) + A * SPoly.sample_covariance(identity)
    return (M * M.T).expected_trace(Sigma, n)
