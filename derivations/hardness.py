r"""Task hardness (arXiv 2510.03605 Theorem 3.3 / Corollary 3.5): Hard(Λ) = tr(Λ)/λ_min(Λ), and why.

For the LSA pretrained on one task Λ with prompts of n examples (Ṽ = −Γ⁻¹, Theorem 3.1) and tested on the same task
with m examples, the one-step error operator is I + ṼS (``derivations.lsa.error_operator``). Its expected outer
product E[(I + ṼS)(I + ṼS)ᵀ] (Wick engine) has diagonal entries E(ŵ_1 − w*)_j² — the error per coordinate. For a
diagonal Λ the coordinates are the eigen-directions ("skills") and, as m → ∞ (S → Λ),

    E(ŵ_1 − w*)_j² → (1 − λ_j/γ_j)² = (1 + n/(1 + tr Λ/λ_j))⁻²,   γ_j = (1 + 1/n)λ_j + tr Λ/n,

which increases as λ_j decreases: the weakest skill is learnt worst, and the worst direction's contraction is
1/(1 + n/(1 + Hard(Λ))), the rate of Corollary 3.5. Hard(Λ) is scale free and ≥ d, with equality iff Λ ∝ I.
"""

from __future__ import annotations

import sympy as sp

from derivations.lsa import error_operator
from derivations.moments import MatrixLike
from derivations.validation import exact_covariance, exact_matrix, prompt_length
from icl_errors import InputError


def smallest_eigenvalue(Lambda: MatrixLike) -> sp.Expr:
    """λ_min(Λ), exact (SymPy's eigenvalues, compared numerically to pick the smallest)."""
    Lambda = exact_covariance(Lambda, "Lambda")
    if not all(x.is_number for x in Lambda):
        raise InputError("Lambda must have numeric entries to order its eigenvalues")
    eigenvalues = list(Lambda.eigenvals())
    return min(eigenvalues, key=lambda ev: sp.re(ev.evalf(30)))


def hardness(Lambda: MatrixLike) -> sp.Expr:
    """Hard(Λ) = tr(Λ)/λ_min(Λ) (Theorem 3.3); InputError for a singular Λ (infinitely hard)."""
    Lambda = exact_covariance(Lambda, "Lambda")
    smallest = smallest_eigenvalue(Lambda)
    if smallest == 0:
        raise InputError("Lambda is singular: λ_min = 0, so Hard(Λ) = tr Λ/λ_min is infinite")
    return sp.simplify(Lambda.trace() / smallest)


def direction_errors(V_tilde: MatrixLike, Sigma: MatrixLike, m: sp.Expr | int) -> sp.Matrix:
    """E(ŵ_1 − w*)_j² for j = 1..d: the diagonal of E[E_1E_1ᵀ], test prompts of m examples from N(0, Σ), exact.

    m = sympy.oo gives the m → ∞ limit (every 1/m term of the Wick expansion vanishes).
    """
    V = exact_matrix(V_tilde, "V_tilde")
    Sigma = exact_covariance(Sigma, "Sigma")
    if V.shape != Sigma.shape:
        raise InputError(f"V_tilde has shape {V.shape} but Sigma has shape {Sigma.shape}")
    m = m if m == sp.oo else prompt_length(m, "m")
    E = error_operator(1, V, sp.eye(V.rows), sp.eye(V.rows))
    second = (E * E.T).expectation(Sigma, m)
    return sp.Matrix([sp.factor(second[j, j]) for j in range(V.rows)])


def contraction(Lambda: MatrixLike, n: sp.Expr | int) -> sp.Matrix:
    """The statement's per-direction m → ∞ contraction 1/(1 + n/(1 + tr Λ/λ_j)) for diagonal Λ."""
    Lambda = exact_covariance(Lambda, "Lambda")
    if not Lambda.is_diagonal():
        raise InputError("the per-direction form needs a diagonal Lambda (coordinates = eigen-directions)")
    n = prompt_length(n)
    return sp.Matrix([1 / (1 + n / (1 + Lambda.trace() / Lambda[j, j])) for j in range(Lambda.rows)])
