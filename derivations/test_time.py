r"""Test-time scaling of the trained LSA (arXiv 2510.03605 §3–4), derived from the model's own recursion.

Training (Thm 3.1, derived in ``derivations.pretraining``, not repeated here): the minimiser of the weight-prediction
loss is Ṽ* = −Γ⁻¹ with W̃ = I, Γ = (1 + 1/n)Λ + tr(Λ)/n·I (Λ the training covariance, n the training length).

Test time (Prop 3.2): feeding the trained parameters into the derived CoT step ``derivations.lsa.cot_step`` gives, with
S the sample covariance of the m test examples and w the test task,

    w_{i+1} = w_i − Γ⁻¹ S (w_i − w),      ŵ_k = (I − (I − Γ⁻¹S)^k) w    after k steps from ŵ_0 = 0

(the paper indexes the start as w_1, so its w_{k+1} is our ŵ_k). The error is e_k = −(I − Γ⁻¹S)^k w and, with
w ~ N(0, I) integrated out, E‖e_k‖² = E_S ‖(I − Γ⁻¹S)^k‖²_F.

m → ∞ (Cor 3.5, Rem 4.1): in the Wick expansion of E_S every pairing that links two different S factors carries a
power 1/m, so the limit keeps only the pairing inside each factor, i.e. S is replaced by the test covariance Σ:

    lim_{m→∞} E‖e_k‖² = ‖(I − Γ⁻¹Σ)^k‖²_F.

For Σ = Λ each eigen-direction contracts by 1 − λ_j/Γ_jj = 1/(1 + n/(1 + tr Λ/λ_j)), which gives the scaling law
Σ_j (1 + n/(1 + tr Λ/λ_j))^{−2k} ≤ d(1 + n/(1 + Hard))^{−2k}, Hard(Λ) = tr Λ/λ_min (Thm 3.3, Cor 3.5).
"""

from __future__ import annotations

from functools import cache

import sympy as sp
from flint import fmpq, fmpq_mat

from derivations import lsa
from derivations.hardness import hardness
from derivations.moments import MatrixLike, expected_chain
from derivations.pretraining import gamma_star, population_gradient, solve_in_symbolic_n, trained_preconditioner
from derivations.validation import (SYMBOLIC_STEPS_LIMIT, cot_steps, exact_covariance, exact_matrix, exact_scalar,
                                    prompt_length)
from derivations.weight_error import one_step_error
from icl_errors import InputError


# --- Theorem 3.1: the mean path of stochastic gradient descent ---------------------------------------------------


def loss_hessian(Lambda: MatrixLike, n: int) -> sp.Matrix:
    """A with ∇L(Ṽ) = Ṽ A + ∇L(0): read off the derived (linear) population gradient; A = E_n[S²] (Wick)."""
    Lambda, n = exact_covariance(Lambda, "Lambda"), prompt_length(n)
    V, grad = population_gradient(Lambda, n)
    zero = {v: 0 for v in V}
    identity = {V[r, c]: int(r == c) for r in range(V.rows) for c in range(V.cols)}
    return (grad.xreplace(identity) - grad.xreplace(zero)).applyfunc(sp.expand)


def mean_sgd_iterate(Lambda: MatrixLike, n: int, learning_rate: object, steps: int) -> sp.Matrix:
    """E[Ṽ_t] of SGD with fresh batches from Ṽ_0 = 0, W̃ = I: Ṽ* + (0 − Ṽ*)(I − ηA)^t, exact.

    The per-prompt gradient of ½‖(I + ṼS)w‖² is affine in Ṽ with coefficients independent of the current iterate
    (the batch is fresh), so the mean iterate follows gradient descent on the population loss exactly.
    """
    eta = exact_scalar(learning_rate, "learning_rate")
    if not eta.is_positive:
        raise InputError(f"learning_rate must be positive, got {eta}")
    Lambda, n = sp.ImmutableMatrix(exact_covariance(Lambda, "Lambda")), prompt_length(n)
    V_star = trained_preconditioner(Lambda, n)
    M = sp.eye(V_star.rows) - eta * _hessian(Lambda, n)
    return V_star - V_star * _power(M, cot_steps(steps, "steps"))


# --- Proposition 3.2: CoT as a pseudo-Newton method ---------------------------------------------------------------

G_inv, S_nc = sp.symbols(r"\Gamma^{-1} S", commutative=False)


def pseudo_newton_polynomial(k: int) -> tuple[sp.Expr, sp.Expr]:
    """(derived, closed): ŵ_k/w from k derived CoT steps with Ṽ = −Γ⁻¹, W̃ = I, and 1 − (1 − Γ⁻¹S)^k.

    Both are non-commutative polynomials in the symbols Γ⁻¹ and S; the tests prove them equal.
    """
    k = cot_steps(k, maximum=SYMBOLIC_STEPS_LIMIT)
    one, w = sp.Integer(1), sp.Integer(0)
    for _ in range(k):
        w = lsa.cot_step(w, one, -G_inv, one, S_nc)
    return sp.expand(w), sp.expand(1 - (1 - G_inv * S_nc) ** k)


def pseudo_newton_estimate(Gamma_inverse: sp.Matrix, S: sp.Matrix, w: sp.Matrix, k: int) -> sp.Matrix:
    """ŵ_k = (I − (I − Γ⁻¹S)^k) w (Prop 3.2), the power taken exactly in python-flint."""
    identity = sp.eye(S.rows)
    return (identity - _power(identity - Gamma_inverse * S, cot_steps(k))) * w


def pseudo_newton_iterates(Gamma_inverse: sp.Matrix, S: sp.Matrix, w: sp.Matrix, k: int,
                           shift: int = 0) -> list[sp.Matrix]:
    """ŵ_1..ŵ_k of Prop 3.2; ``shift`` = 1 gives the off-by-one exponent i + 1 (a negative control)."""
    return [pseudo_newton_estimate(Gamma_inverse, S, w, i + shift) for i in range(1, k + 1)]


# --- Theorem 3.3: direct ICL (k = 1) ------------------------------------------------------------------------------


def direct_icl_error(Lambda: MatrixLike, n: int, m: int) -> sp.Expr:
    """E‖ŵ_1 − w‖² of the trained LSA (Ṽ = −Γ⁻¹ from training length n) on test prompts of m examples, Σ = Λ."""
    Lambda = exact_covariance(Lambda, "Lambda")
    return one_step_error(trained_preconditioner(Lambda, n), Lambda, prompt_length(m, "m"))


def direct_icl_error_formula(Lambda: MatrixLike, n: int, m: int) -> sp.Expr:
    """d − 2tr(Γ⁻¹Λ) + tr(Γ⁻² E_m[S²]), E_m[S²] from the Wick engine (the tests prove it equals the above)."""
    Lambda = exact_covariance(Lambda, "Lambda")
    Gi = gamma_star(Lambda, n).inv()
    second = expected_chain([sp.eye(Lambda.rows)] * 3, Lambda, prompt_length(m, "m"))
    return sp.expand(Lambda.rows - 2 * (Gi * Lambda).trace() + (Gi * Gi * second).trace())


def direct_icl_bound(Lambda: MatrixLike, n: int, m: int) -> sp.Expr:
    """The printed bound (d/n²)(1 + Hard)² + (d/m)(1 + Hard) (Thm 3.3)."""
    Lambda, n, m = exact_covariance(Lambda, "Lambda"), prompt_length(n), prompt_length(m, "m")
    H = hardness(Lambda)
    return Lambda.rows * (1 + H) ** 2 / n ** 2 + Lambda.rows * (1 + H) / m


# --- Corollary 3.5 and Remark 4.1: the m → ∞ error ----------------------------------------------------------------


def population_error(V_tilde: MatrixLike, Sigma: MatrixLike, k: int) -> sp.Expr:
    """lim_{m→∞} E‖ŵ_k − w*‖² = ‖E_k(Σ)‖²_F for any Ṽ (W̃ = I, ŵ_0 = 0): the one m → ∞ error of the house.

    In the Wick expansion over m test examples every pairing linking two S factors costs 1/m, so the limit puts
    S = Σ into the derived error operator. With W̃ = I each derived CoT step multiplies the error by P = I + ṼΣ
    (``step_operator``), so E_k(Σ) = −P^k (Prop 3.2 / 2603.01293 Prop 6.1), taken exactly in python-flint; the
    tests compare with the derived E_k at S = Σ (``SPoly.at``) and with the m → ∞ limit of
    ``derivations.weight_error.cot_weight_error`` for k ≤ 2.
    """
    E = _power(step_operator(V_tilde, Sigma), cot_steps(k))
    return (E * E.T).trace()


def step_operator(V_tilde: MatrixLike, Sigma: MatrixLike) -> sp.Matrix:
    """P = −E_1(Σ) = I + ṼΣ, the one-step error operator of the LSA at S = Σ (derived from the CoT step)."""
    V, Sigma = exact_matrix(V_tilde, "V_tilde"), exact_covariance(Sigma, "Sigma")
    if Sigma.shape != V.shape:
        raise InputError(f"Sigma has shape {Sigma.shape} but the model's Ṽ {V.shape}")
    identity = sp.eye(V.rows)
    return -lsa.error_operator(1, V, identity, identity).at(Sigma)


def limit_error(Lambda: MatrixLike, n: int, Sigma: MatrixLike, k: int) -> sp.Expr:
    """lim_{m→∞} E‖ŵ_k − w‖² of the LSA pretrained on (Λ, n): ``population_error`` at Ṽ = −Γ⁻¹ (Cor 3.5)."""
    return population_error(trained_preconditioner(exact_covariance(Lambda, "Lambda"), n), Sigma, k)


def contraction(Lambda: MatrixLike, n: int, Sigma: MatrixLike) -> sp.Matrix:
    """P = I − Γ⁻¹Σ, the one-step error operator of the trained LSA at S = Σ (derived, not typed)."""
    return step_operator(trained_preconditioner(exact_covariance(Lambda, "Lambda"), n), Sigma)


@cache
def _hessian(Lambda: sp.ImmutableMatrix, n: sp.Expr) -> sp.Matrix:
    return loss_hessian(Lambda, n)


def scaling_law_eigen(Lambda: MatrixLike, n: int, k: int) -> sp.Expr:
    """Σ_j (1 + n/(1 + tr Λ/λ_j))^{−2k} (Cor 3.5, Σ = Λ), over the exact eigenvalues of Λ."""
    Lambda, n, k = exact_covariance(Lambda, "Lambda"), prompt_length(n), cot_steps(k)
    T = Lambda.trace()
    return sp.Add(*(multiplicity * (1 + n / (1 + T / lam)) ** (-2 * k)
                    for lam, multiplicity in Lambda.eigenvals().items()))


def scaling_law_bound(Lambda: MatrixLike, n: int, k: int) -> sp.Expr:
    """d (1 + n/(1 + Hard(Λ)))^{−2k} (Cor 3.5)."""
    Lambda, n, k = exact_covariance(Lambda, "Lambda"), prompt_length(n), cot_steps(k)
    return Lambda.rows * (1 + n / (1 + hardness(Lambda))) ** (-2 * k)


def minimal_training_length(Lambda: MatrixLike, k: int, epsilon: object, n_max: int = 10 ** 6) -> int:
    """n*(k, ε): the smallest training length n with lim_m E‖ŵ_k − w‖² ≤ ε on the training task (Σ = Λ).

    The error is decreasing in n (each direction contracts by 1/(1 + n/(1 + tr Λ/λ_j))), so an exponential search
    followed by bisection on exact values finds it; InputError when even n_max does not reach ε.
    """
    Lambda, k = exact_covariance(Lambda, "Lambda"), cot_steps(k)
    eps = exact_scalar(epsilon, "epsilon")
    if not eps.is_positive:
        raise InputError(f"epsilon must be positive, got {eps}")

    solve_in_symbolic_n(Lambda)

    def reaches(n: int) -> bool:
        return limit_error(Lambda, n, Lambda, k) <= eps

    high = 1
    while not reaches(high):
        high *= 2
        if high > n_max:
            raise InputError(f"no training length n ≤ {n_max} reaches error {eps} at k = {k}")
    low = high // 2  # reaches(low) is False (or low = 0)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if reaches(middle) else (middle, high)
    return high


def remark_trace(Lambda: MatrixLike, n: int, Sigma: MatrixLike, k: int) -> sp.Expr:
    """tr((I − Γ^{−1/2}ΣΓ^{−1/2})^{2k}) as printed in Rem 4.1, computed as tr((I − Γ⁻¹Σ)^{2k}).

    I − Γ^{−1/2}ΣΓ^{−1/2} = Γ^{1/2}(I − Γ⁻¹Σ)Γ^{−1/2} is similar to P = I − Γ⁻¹Σ, so the traces of their powers agree
    (exact, no square roots). By Schur, tr(P^{2k}) = Σ|ν_i|^{2k} ≤ ‖P^k‖²_F, equality iff P^k is normal.
    """
    P = contraction(Lambda, n, Sigma)
    return _power(P, 2 * cot_steps(k)).trace()


def overthinks(Lambda: MatrixLike, n: int, Sigma: MatrixLike) -> bool:
    """ρ(I − Γ⁻¹Σ) > 1, decided exactly: Γ⁻¹Σ has eigenvalues μ ≥ 0 (similar to Γ^{−1/2}ΣΓ^{−1/2}), so
    max|1 − μ| > 1 ⇔ μ_max > 2 ⇔ 2Γ − Σ is not positive semi-definite. Then ‖P^k‖²_F → ∞ (more steps hurt)."""
    Lambda = exact_covariance(Lambda, "Lambda")
    Sigma = exact_covariance(Sigma, "Sigma")
    return not (2 * gamma_star(Lambda, n) - Sigma).is_positive_semidefinite


def spectral_radius(Lambda: MatrixLike, n: int, Sigma: MatrixLike) -> float:
    """ρ(I − Γ⁻¹Σ) to double precision (for reports; the decision is ``overthinks``)."""
    P = contraction(Lambda, n, Sigma)
    return max(abs(complex(v.evalf(30))) for v in P.eigenvals())


def _power(M: sp.Matrix, k: int) -> sp.Matrix:
    """M^k for a rational matrix, by python-flint's exact fmpq_mat (SymPy's power is slow for large k)."""
    F = fmpq_mat(M.rows, M.cols, [fmpq(int(x.p), int(x.q)) for x in (sp.Rational(v) for v in M)])
    P = F ** k if k else fmpq_mat(M.rows, M.cols, [int(r == c) for r in range(M.rows) for c in range(M.cols)])
    return sp.Matrix(M.rows, M.cols, [sp.Rational(int(P[r, c].p), int(P[r, c].q))
                                      for r in range(M.rows) for c in range(M.cols)])
