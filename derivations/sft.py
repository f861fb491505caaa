r"""Supervised fine-tuning (process supervision) of the LSA at finite size (arXiv 2603.01293 §3–§5.1).

Setting (eq. 3.5). B post-training prompts τ with S_τ = X_τX_τᵀ/n, tasks w*_τ, ground-truth CoT targets
w_{i,τ} = (1 − ρ^i) w*_τ with ρ = 1 − η. Teacher forcing: the input Z_{i,τ} carries the *true* w_0..w_i in its
w-columns, and the next-token target is (0_d, 0, w_{i+1,τ}, 1). Ω = [w*_1..w*_B], Φ = [S_1w*_1..S_Bw*_B], M = ΦΦᵀ.

Everything here is derived from the layer, never typed in:

* ``derive_sft_loss``: the derived CoT step (``derivations.lsa``, eq. A.1) evaluated at the teacher-forced input gives
  the residual R_i = ṼS(W̃ − I)w* − ρ^i(ṼSW̃ + ηI)w* (App. A.1); at W̃ = I every term carries ρ^i, so
  R_i = ρ^i R_0 with R_0 = −(ṼS + ηI)w*, and summing ‖R_i‖² over i = 0..k gives the weight
  c_k = Σ_{i≤k} ρ^{2i}:  L_SFT(Ṽ, I) = c_k/(2B) ‖ṼΦ + ηΩ‖²_F.
* Theorem 4.1: ``sft_minimiser`` solves the stationarity condition of L_SFT(Ṽ, I) + λ‖Ṽ − Ṽ_0‖²_F exactly (λ symbolic)
  and takes λ → 0⁺; ``sft_minimiser_closed_form`` is the paper's (4.1) Ṽ* = −ηΩΦ† − Γ₀⁻¹(I − ΦΦ†) (tests prove them
  equal, also when Φ is column-rank deficient, B > rank A, where the minimum loss is positive).
* Theorem 4.2: the derived gradient is affine in Ṽ, ∇L = ṼH + C; GD Ṽ ← Ṽ − γ∇L is the affine map Ṽ ↦ ṼG + c with
  G = I − γH = I − γ c_k M/B, so Ṽ_t − Ṽ* = (Ṽ_0 − Ṽ*)G^t and the rate on range(M) is
  α = max(|1 − γc_kλ_max/B|, |1 − γc_kλ⁺_min/B|).
* Proposition 4.3: the B → ∞ limits (1/B)ΩΦᵀ → E[w wᵀ S] = A, (1/B)ΦΦᵀ → E[S w wᵀ S] = E[S²] from the Wick engine
  (``derivations.moments``), and ΦΦ† → the projector onto range E[S²] = range A, give
  Ṽ_∞ = −η A E[S²]† − Γ₀⁻¹(I − AA†) = −η(((n+1)/n)A + tr(A)/n·AA†)† − Γ₀⁻¹(I − AA†)   (eq. 4.2).
* §5.1: hardness ‖I − Γ₀⁻¹A‖²_F, the allocation rule A ≈ η(P_UΣ₀P_U + Δ), and the exact post-test error
  one_step_error(Ṽ_∞(A), Σ₀ + Δ, n_test) (Prop. 5.1) that an allocation is judged by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import sympy as sp

from derivations.lsa import S as S_symbol, cot_step, derive_cot_step, d as d_symbol
from derivations.moments import expected_S, expected_SBS
from derivations.validation import cot_steps, exact_covariance, exact_matrix, exact_scalar, prompt_length
from derivations.weight_error import one_step_error
from icl_errors import InputError

eta_symbol = sp.Symbol(r"\eta", positive=True)
step_symbol = sp.Symbol("i", integer=True, nonnegative=True)
_w_star = sp.MatrixSymbol("w^{*}", d_symbol, 1)
_V = sp.MatrixSymbol(r"\tilde{V}", d_symbol, d_symbol)
_W = sp.MatrixSymbol(r"\tilde{W}", d_symbol, d_symbol)


# --- the SFT loss, from the derived step ---------------------------------------------------------------------------

def cot_rate(eta: object) -> sp.Expr:
    """η as an exact number in (0, 1] (the SFT CoT rate of eq. 3.5), or a positive symbol."""
    value = exact_scalar(eta, "eta")
    if value.is_number and not (0 < value <= 1):
        raise InputError(f"eta must lie in (0, 1], got {value}")
    return value


def teacher_forced_target(i: int | sp.Expr, eta: sp.Expr, w_star):
    """w_i = (1 − (1 − η)^i) w* (eq. 3.5): the ground-truth i-th CoT iterate fed to the model."""
    return (1 - (1 - eta) ** i) * w_star


def teacher_forced_residual(i: int | sp.Expr, eta: sp.Expr, V_t, W_t, S_value, w_star):
    """w-block of f(Z_i)[:, −1] − (0, 0, w_{i+1}, 1), from the derived step with teacher-forced input w_i.

    The derived appended column is (0, 0, ŵ_{i+1}, 1) (``appended_column_has_layout``), so only the w block differs
    from the target.
    """
    if not derive_cot_step().appended_column_has_layout:
        raise AssertionError("the derived CoT column lost its layout (0, 0, w, 1)")
    w_i = teacher_forced_target(i, eta, w_star)
    return cot_step(w_i, w_star, V_t, W_t, S_value) - teacher_forced_target(i + 1, eta, w_star)


def _matrix_terms(expr: sp.MatrixExpr) -> dict[sp.MatrixExpr, sp.Expr]:
    """A matrix expression Σ c_j M_j as {M_j: c_j} (scalar coefficients collected)."""
    terms: dict[sp.MatrixExpr, sp.Expr] = {}
    for part in (expr.args if isinstance(expr, sp.MatAdd) else (expr,)):
        coefficient, matrix = part.as_coeff_mmul()
        matrix = matrix.doit()                    # MatMul(w*) → w*: one key per matrix term
        terms[matrix] = terms.get(matrix, 0) + coefficient
    return terms


@dataclass(frozen=True)
class SFTLossDerivation:
    """The teacher-forced residual (general W̃) and its factorisation at W̃ = I."""

    residual: dict                           # {matrix term: coefficient} of R_i, symbolic i, η, Ṽ, W̃, S, w*
    ratio: sp.Expr                           # R_i / R_0 at W̃ = I (independent of the matrices)
    base_residual: dict                      # {matrix term: coefficient} of R_0 at W̃ = I

    def loss_weight(self, k: int, eta: sp.Expr) -> sp.Expr:
        """c_k = Σ_{i=0}^{k} (R_i/R_0)² — the weight of ‖R_0‖² in the summed per-step losses."""
        return sp.expand(sum((self.ratio ** 2).subs(step_symbol, j).subs(eta_symbol, eta) for j in range(k + 1)))


@cache
def derive_sft_loss() -> SFTLossDerivation:
    """R_i from the derived step; at W̃ = I show every coefficient is ρ^i times that of R_0 (so R_i = ρ^i R_0)."""
    residual = _matrix_terms(sp.expand(teacher_forced_residual(step_symbol, eta_symbol, _V, _W, S_symbol, _w_star)))
    at_identity = sp.expand(teacher_forced_residual(step_symbol, eta_symbol, _V, sp.Identity(d_symbol), S_symbol,
                                                    _w_star))
    terms = {m: sp.powsimp(sp.factor(c)) for m, c in _matrix_terms(at_identity).items()}
    base = {m: sp.simplify(c.subs(step_symbol, 0)) for m, c in terms.items()}
    ratios = {sp.simplify(sp.powsimp(terms[m] / base[m], force=True)) for m in terms}
    if len(ratios) != 1:
        raise AssertionError(f"the teacher-forced residual does not factor at W̃ = I: ratios {ratios}")
    return SFTLossDerivation(residual, ratios.pop(), base)


def loss_weight(k: object, eta: object) -> sp.Expr:
    """c_k = Σ_{i=0}^{k} (1 − η)^{2i} (Thm 4.2), obtained from the derived residual ratio R_i/R_0."""
    return derive_sft_loss().loss_weight(cot_steps(k), cot_rate(eta))


def prompt_features(covariances: Sequence[object], tasks: object) -> tuple[sp.Matrix, sp.Matrix]:
    """(Φ, Ω) from the B sample covariances S_τ and the d×B task matrix Ω = [w*_1..w*_B]."""
    Omega = exact_matrix(tasks, "Omega")
    if len(covariances) != Omega.cols:
        raise InputError(f"{len(covariances)} sample covariances for {Omega.cols} tasks")
    Phi = sp.Matrix.hstack(*[exact_matrix(S, "S") * Omega[:, t] for t, S in enumerate(covariances)])
    return Phi, Omega


def sft_loss(V_t: object, W_t: object, covariances: Sequence[object], tasks: object, eta: object,
             k: object) -> sp.Expr:
    """L_SFT(Ṽ, W̃) = 1/(2B) Σ_τ Σ_{i=0}^{k} ‖R_{i,τ}‖² with R from the derived step (any W̃; App. A.1)."""
    Omega, eta, k = exact_matrix(tasks, "Omega"), cot_rate(eta), cot_steps(k)
    V_t, W_t = exact_matrix(V_t, "V_tilde"), exact_matrix(W_t, "W_tilde")
    total = sp.Integer(0)
    for t, S in enumerate(covariances):
        for i in range(k + 1):
            R = teacher_forced_residual(i, eta, V_t, W_t, exact_matrix(S, "S"), Omega[:, t])
            total += (R.T * R)[0, 0]
    return sp.expand(total / (2 * Omega.cols))


def _base_residuals(V_t: sp.Matrix, Phi: sp.Matrix, Omega: sp.Matrix, eta: sp.Expr) -> sp.Matrix:
    """[R_{0,τ}] = the derived R_0 = −(ṼS + ηI)w* for every prompt (column τ of ṼΦ is ṼS_τw*_τ)."""
    values = {_V * S_symbol * _w_star: V_t * Phi, _w_star: Omega}
    R0 = sp.zeros(*Omega.shape)
    for term, coefficient in derive_sft_loss().base_residual.items():
        R0 += coefficient.subs(eta_symbol, eta) * values[term]
    return R0


def sft_loss_closed_form(V_t: object, Phi: object, Omega: object, eta: object, k: object,
                         expand: bool = True) -> sp.Expr:
    """c_k/(2B) ‖ṼΦ + ηΩ‖²_F, with c_k and R_0 = −(ṼS + ηI)w* taken from ``derive_sft_loss``."""
    V_t, Phi, Omega, eta = (exact_matrix(V_t, "V_tilde"), exact_matrix(Phi, "Phi"), exact_matrix(Omega, "Omega"),
                            cot_rate(eta))
    R0 = _base_residuals(V_t, Phi, Omega, eta)
    loss = loss_weight(k, eta) * sp.Add(*[x ** 2 for x in R0]) / (2 * Omega.cols)
    return sp.expand(loss) if expand else loss


# --- Theorem 4.1 --------------------------------------------------------------------------------------------------

def _unknowns(rows: int, cols: int, name: str) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"{name}_{r + 1}{c + 1}"))


@dataclass(frozen=True)
class AffineGradient:
    """∇_Ṽ L_SFT(Ṽ, I) = Ṽ H + C, read off the derived loss by differentiation."""

    H: sp.Matrix
    C: sp.Matrix


def sft_gradient(Phi: object, Omega: object, eta: object, k: object) -> AffineGradient:
    """The gradient of the derived loss c_k/(2B)‖R_0‖² in the entries of Ṽ, as Ṽ ↦ ṼH + C.

    The derived residuals are linear in Ṽ: vec R_0 = J vec Ṽ − b (read off by ``linear_eq_to_matrix``), so
    ∇_{vec Ṽ} L = (c_k/B) Jᵀ(J vec Ṽ − b) (the chain rule, done exactly); H and C are read off that gradient and the
    form ṼH + C is verified.
    """
    Phi, Omega, eta = exact_matrix(Phi, "Phi"), exact_matrix(Omega, "Omega"), cot_rate(eta)
    d = Phi.rows
    V = _unknowns(d, d, "v")
    unknowns = list(V)
    J, b = sp.linear_eq_to_matrix(list(_base_residuals(V, Phi, Omega, eta)), unknowns)
    weight = loss_weight(k, eta) / Omega.cols
    hessian, offset = weight * J.T * J, -weight * J.T * b
    grad = sp.Matrix(d, d, list(hessian * sp.Matrix(unknowns) + offset))
    C = sp.Matrix(d, d, list(offset))
    H = sp.Matrix(d, d, lambda r, c: hessian[c, r])        # row 0 of ∇ at Ṽ = e_0e_rᵀ is row r of H
    if (grad - (V * H + C)).applyfunc(sp.expand) != sp.zeros(d, d):
        raise AssertionError("the SFT gradient is not of the form ṼH + C")
    return AffineGradient(H, C)


def sft_minimiser(Phi: object, Omega: object, eta: object, V_init: object, k: object = 1) -> sp.Matrix:
    """lim_{λ→0⁺} argmin_Ṽ L_SFT(Ṽ, I) + λ‖Ṽ − Ṽ_0‖²_F (Thm 4.1 with W̃ = I), exact.

    Stationarity: ṼH + C + 2λ(Ṽ − Ṽ_0) = 0, i.e. Ṽ = (2λṼ_0 − C)(H + 2λI)⁻¹, solved for symbolic λ; the limit is
    taken entrywise after cancelling. The limit does not depend on k (Remark 4.1): c_k scales H and C alike.
    """
    V_init = exact_matrix(V_init, "V_init")
    gradient = sft_gradient(Phi, Omega, eta, k)
    lam = sp.Symbol("lambda", positive=True)
    d = V_init.rows
    path = (2 * lam * V_init - gradient.C) * (gradient.H + 2 * lam * sp.eye(d)).adjugate()
    determinant = sp.factor((gradient.H + 2 * lam * sp.eye(d)).det())
    return path.applyfunc(lambda e: sp.limit(sp.cancel(e / determinant), lam, 0, "+"))


def sft_minimiser_closed_form(Phi: object, Omega: object, eta: object, V_init: object) -> sp.Matrix:
    """The paper's (4.1): Ṽ* = −ηΩΦ† + Ṽ_0(I − ΦΦ†) with Ṽ_0 = −Γ₀⁻¹ (exact pseudoinverse)."""
    Phi, Omega, V_init, eta = (exact_matrix(Phi, "Phi"), exact_matrix(Omega, "Omega"),
                               exact_matrix(V_init, "V_init"), cot_rate(eta))
    pinv = Phi.pinv()
    return -eta * Omega * pinv + V_init * (sp.eye(Phi.rows) - Phi * pinv)


def minimum_norm_solution(Phi: object, Omega: object, eta: object) -> sp.Matrix:
    """−ηΩΦ†: the least-squares solution nearest to 0 instead of −Γ₀⁻¹ (Thm 4.1's control)."""
    Phi, Omega = exact_matrix(Phi, "Phi"), exact_matrix(Omega, "Omega")
    return -cot_rate(eta) * Omega * Phi.pinv()


def minimum_sft_loss(Phi: object, Omega: object, eta: object, k: object, V_init: object) -> sp.Expr:
    """L_SFT(Ṽ*, I): zero iff ηΩ lies in the row space of Φ (e.g. Φ of full column rank), positive otherwise."""
    return sft_loss_closed_form(sft_minimiser_closed_form(Phi, Omega, eta, V_init), Phi, Omega, eta, k)


def weight_gradient_at_identity(V_t: object, covariances: Sequence[object], tasks: object, eta: object,
                                k: object) -> sp.Matrix:
    """∂L_SFT/∂W̃ at W̃ = I, from the derived general-W̃ loss (zero when the loss is zero; not in general)."""
    V_t = exact_matrix(V_t, "V_tilde")
    d = V_t.rows
    W = _unknowns(d, d, "u")
    loss = sft_loss(V_t, W, covariances, tasks, eta, k)
    at_identity = {W[r, c]: int(r == c) for r in range(d) for c in range(d)}
    return W.applyfunc(lambda u: sp.diff(loss, u).xreplace(at_identity))


# --- Theorem 4.2 and Remark 4.1 -----------------------------------------------------------------------------------

def gd_trajectory(Phi: object, Omega: object, eta: object, k: object, gamma: object, V_init: object,
                  steps: int) -> list[sp.Matrix]:
    """Ṽ_0..Ṽ_steps of GD Ṽ ← Ṽ − γ∇L_SFT(Ṽ, I) from Ṽ_0, iterating the derived affine gradient exactly."""
    gradient = sft_gradient(Phi, Omega, eta, k)
    gamma, V = exact_scalar(gamma, "gamma"), exact_matrix(V_init, "V_init")
    G, shift = sp.eye(V.rows) - gamma * gradient.H, -gamma * gradient.C
    path = [V]
    for _ in range(steps):
        V = V * G + shift
        path.append(V)
    return path


def gd_contraction(Phi: object, eta: object, k: object, gamma: object) -> sp.Matrix:
    """G = I − γH with H the derived Hessian factor (H = c_kΦΦᵀ/B): Ṽ_t − Ṽ* = (Ṽ_0 − Ṽ*)G^t (proof of Thm 4.2)."""
    Phi = exact_matrix(Phi, "Phi")
    H = sft_gradient(Phi, sp.zeros(*Phi.shape), eta, k).H
    return sp.eye(Phi.rows) - exact_scalar(gamma, "gamma") * H


def real_eigenvalues(M: sp.Matrix) -> list[sp.Expr]:
    """Eigenvalues of a symmetric rational matrix with multiplicity: the exact real roots of its characteristic
    polynomial (rationals, surds or CRootOf), which SymPy can compare (Max/Min) unlike casus-irreducibilis radicals."""
    return M.charpoly().all_roots()


def _curvatures(Phi: object, eta: object, k: object) -> list[sp.Expr]:
    """Non-zero eigenvalues of H (with multiplicity): the curvatures of L_SFT(·, I) on range(M)."""
    Phi = exact_matrix(Phi, "Phi")
    H = sft_gradient(Phi, sp.zeros(*Phi.shape), eta, k).H
    values = [root for root in real_eigenvalues(H) if root != 0]
    if not values:
        raise InputError("Phi is zero: the SFT loss does not depend on Ṽ")
    return values


def convergence_rate(Phi: object, eta: object, k: object, gamma: object) -> sp.Expr:
    """α = spectral radius of G on range(M) = max over curvatures μ of |1 − γμ| (Thm 4.2).

    Δ_0 = Ṽ_0 − Ṽ* satisfies Δ_0(I − ΦΦ†) = 0, so only the eigenvalues of G on range(M) act on it.
    """
    gamma = exact_scalar(gamma, "gamma")
    return sp.Max(*[sp.Abs(1 - gamma * mu) for mu in _curvatures(Phi, eta, k)])


def critical_step(Phi: object, eta: object, k: object) -> sp.Expr:
    """2/μ_max = 2B/(c_k λ_max(M)): GD on L_SFT(·, I) contracts iff 0 < γ < it (Thm 4.2)."""
    return 2 / sp.Max(*_curvatures(Phi, eta, k))


def optimal_step(Phi: object, eta: object, k: object) -> sp.Expr:
    """1/μ_max = B/(c_k λ_max(M)): the step of Thm 4.2's second statement (rate 1 − λ⁺_min/λ_max)."""
    return critical_step(Phi, eta, k) / 2


# --- Proposition 4.3 ----------------------------------------------------------------------------------------------

def projector_onto_range(M: sp.Matrix) -> sp.Matrix:
    """MM† (exact): the orthogonal projector onto range(M)."""
    return (M * M.pinv()).applyfunc(sp.simplify)


def population_sft_minimiser(A: object, n: object, eta: object, V_init: object) -> sp.Matrix:
    """lim_{B→∞} Ṽ*: Ṽ_∞ = −η E[wwᵀS] E[Swwᵀ S]† + Ṽ_0(I − Π) with Π the projector onto range E[S²].

    (1/B)ΩΦᵀ and (1/B)ΦΦᵀ are averages of i.i.d. w wᵀS and S w wᵀS; with E_w[wwᵀ] = I their limits are E[S] and
    E[S I S] from the Wick engine; −ηΩΦ† = −η (ΩΦᵀ/B)(ΦΦᵀ/B)† and ΦΦ† = projector onto range(ΦΦᵀ).
    """
    A, n, eta = exact_covariance(A, "A"), prompt_length(n), cot_rate(eta)
    V_init = exact_matrix(V_init, "V_init")
    cross = expected_S(A, n)                                 # lim (1/B) Ω Φᵀ
    second = expected_SBS(sp.eye(A.rows), A, n)              # lim (1/B) Φ Φᵀ
    projector = projector_onto_range(second)
    return (-eta * cross * second.pinv() + V_init * (sp.eye(A.rows) - projector)).applyfunc(sp.simplify)


def population_sft_closed_form(A: object, n: object, eta: object, V_init: object, coefficient: object = None,
                               trace_term: bool = True) -> sp.Matrix:
    """The paper's (4.2): −η(((n+1)/n)A + tr(A)/n·AA†)† + Ṽ_0(I − AA†).

    ``coefficient`` replaces (n+1)/n and ``trace_term=False`` drops tr(A)/n (the negative controls).
    """
    A, n, eta = exact_covariance(A, "A"), prompt_length(n), cot_rate(eta)
    V_init = exact_matrix(V_init, "V_init")
    projector = projector_onto_range(A)
    c = (n + 1) / n if coefficient is None else exact_scalar(coefficient, "coefficient")
    inner = c * A + (A.trace() / n * projector if trace_term else sp.zeros(*A.shape))
    return (-eta * inner.pinv() + V_init * (sp.eye(A.rows) - projector)).applyfunc(sp.simplify)


# --- §5.1: data allocation ----------------------------------------------------------------------------------------

def pretrained_hardness(A: object, Gamma0: object) -> sp.Expr:
    """L_pre(A) = ‖I − Γ₀⁻¹A‖²_F (§5.1: the pretrained model's population error on N(0, A) prompts)."""
    A, Gamma0 = exact_covariance(A, "A"), exact_covariance(Gamma0, "Gamma0")
    E = sp.eye(A.rows) - Gamma0.inv() * A
    return sp.expand((E * E.T).trace())


def allocation_rule(Sigma0: object, Delta: object, eta: object) -> sp.Matrix:
    """The paper's A ≈ η(P_UΣ₀P_U + Δ) with U = range(Δ) (§5.1, large n)."""
    Sigma0, Delta = exact_covariance(Sigma0, "Sigma0"), exact_covariance(Delta, "Delta")
    P = projector_onto_range(Delta)
    return cot_rate(eta) * (P * Sigma0 * P + Delta)


def post_test_error(A: object, n: object, eta: object, V_init: object, Sigma_test: object,
                    n_test: object) -> sp.Expr:
    """E‖ŵ_1 − w*‖² on test prompts N(0, Σ) of n_test examples for the population SFT model Ṽ_∞(A) (Prop. 5.1)."""
    V_inf = population_sft_minimiser(A, n, eta, V_init)
    return one_step_error(V_inf, exact_covariance(Sigma_test, "Sigma_test"), prompt_length(n_test, "n_test"))


def range_basis(M: object) -> sp.Matrix:
    """A basis of range(M) as the columns of a d×r matrix (exact column space)."""
    basis = exact_matrix(M, "M").columnspace()
    if not basis:
        raise InputError("the shift Δ is zero: it has no range to allocate data on")
    return sp.Matrix.hstack(*basis)


@dataclass(frozen=True)
class Allocation:
    """The exact optimum of the post-test error over SFT covariances A = QΨQᵀ supported on U = range(Δ)."""

    A: sp.Matrix              # the optimal A
    error: sp.Expr            # its post-test error (population SFT, B → ∞)
    rule: sp.Matrix           # the paper's η(P_UΣ₀P_U + Δ)
    rule_error: sp.Expr


def optimal_allocation(Sigma0: object, Delta: object, n: object, eta: object, V_init: object,
                       n_test: object) -> Allocation:
    """argmin over A on U = range Δ of post_test_error(A, …, Σ₀ + Δ, n_test): exact for rank Δ = 1 (A = a·qqᵀ),
    by a numerical optimiser over A = QΨQᵀ for larger rank (``_numerical_allocation``).

    The error is a rational function of a > 0 (Ṽ_∞(a·qqᵀ) of eq. 4.2 acts as −η·(scalar/a) on U and as Ṽ_0 on U⊥);
    its stationary points are solved exactly and the one with the smallest error is kept.
    """
    Sigma0, Delta = exact_covariance(Sigma0, "Sigma0"), exact_covariance(Delta, "Delta")
    Q = range_basis(Delta)
    if Q.cols != 1:
        return _numerical_allocation(Sigma0, Delta, Q, n, eta, V_init, n_test)
    a = sp.Symbol("a", positive=True)
    Sigma_test = Sigma0 + Delta
    error = sp.cancel(post_test_error(a * Q * Q.T, n, eta, V_init, Sigma_test, n_test))
    candidates = [s for s in sp.solve(sp.numer(sp.together(sp.diff(error, a))), a) if s.is_positive]
    if not candidates:
        raise ValueError("the post-test error has no interior minimum over A on range(Δ)")
    best = min(candidates, key=lambda s: error.subs(a, s))
    rule = allocation_rule(Sigma0, Delta, eta)
    return Allocation(best * Q * Q.T, sp.simplify(error.subs(a, best)), rule,
                      post_test_error(rule, n, eta, V_init, Sigma_test, n_test))


def _numerical_allocation(Sigma0: sp.Matrix, Delta: sp.Matrix, Q: sp.Matrix, n: object, eta: object,
                          V_init: object, n_test: object) -> Allocation:
    """argmin over A = QΨQᵀ supported on U = range(Δ) (Ψ ≻ 0, r×r, r = rank Δ ≥ 2) of the exact post-test error.

    With Q orthonormal, AA† = QQᵀ and eq. 4.2 gives Ṽ_∞ = −ηQ((n+1)/n Ψ + tr(Ψ)/n I_r)⁻¹Qᵀ + Ṽ_0(I − QQᵀ). The exact
    error (Prop. 5.1, a quadratic polynomial in the entries of Ṽ, derived once with symbolic Ṽ) is minimised over
    Ψ = LLᵀ by BFGS from the paper's rule; the result is a float optimum (``A`` in Floats), its error exact at that A.
    """
    import numpy as np
    from scipy.optimize import minimize

    from derivations.pretraining import preconditioner_symbols

    n_, n_test_, eta_ = prompt_length(n), prompt_length(n_test, "n_test"), cot_rate(eta)
    d, r = Delta.rows, Q.cols
    V_symbols = preconditioner_symbols(d)
    error_of = sp.lambdify([list(V_symbols)], one_step_error(V_symbols, Sigma0 + Delta, n_test_), modules="numpy")
    basis = np.linalg.qr(np.array(Q.evalf(30), dtype=float))[0]
    outside = np.eye(d) - basis @ basis.T
    V0 = np.array(exact_matrix(V_init, "V_init").evalf(30), dtype=float)
    eta_f, n_f = float(eta_), float(n_)

    def error(parameters: np.ndarray) -> float:
        L = np.zeros((r, r))
        L[np.tril_indices(r)] = parameters
        Psi = L @ L.T + 1e-12 * np.eye(r)
        M = (n_f + 1) / n_f * Psi + np.trace(Psi) / n_f * np.eye(r)
        V = -eta_f * basis @ np.linalg.solve(M, basis.T) + V0 @ outside
        return float(error_of(V.ravel()))

    rule = allocation_rule(Sigma0, Delta, eta)
    Psi_rule = basis.T @ np.array(rule.evalf(30), dtype=float) @ basis
    start = np.linalg.cholesky(Psi_rule + 1e-9 * np.eye(r))[np.tril_indices(r)]
    result = minimize(error, start, method="BFGS", options={"gtol": 1e-12, "maxiter": 2000})
    L = np.zeros((r, r))
    L[np.tril_indices(r)] = result.x
    A = sp.Matrix(basis @ (L @ L.T) @ basis.T).applyfunc(lambda x: sp.Float(x, 15))
    return Allocation(A, sp.Float(error(result.x), 15), rule,
                      post_test_error(rule, n, eta, V_init, Sigma0 + Delta, n_test))


def test_matched_allocation(Sigma_test: object, n: object, eta: object, n_test: object) -> sp.Matrix:
    """The full-rank A with Ṽ_∞(A) = the test-optimal one-step block −Γ_test⁻¹ (Γ_test the Γ of Σ_test at n_test).

    Solves ((n+1)/n)A + tr(A)/n·I = ηΓ_test (the full-rank case of eq. 4.2) for A; raises if that A is not PSD.
    """
    Sigma_test, n, eta = exact_covariance(Sigma_test, "Sigma_test"), prompt_length(n), cot_rate(eta)
    n_test = prompt_length(n_test, "n_test")
    d = Sigma_test.rows
    target = eta * ((1 + 1 / n_test) * Sigma_test + Sigma_test.trace() / n_test * sp.eye(d))
    unknowns = sp.Matrix(d, d, lambda r, c: sp.Symbol(f"a_{min(r, c)}{max(r, c)}"))
    equations = list((n + 1) / n * unknowns + unknowns.trace() / n * sp.eye(d) - target)
    (solution,) = sp.solve(equations, sorted(set(unknowns), key=str), dict=True)
    A = unknowns.xreplace(solution).applyfunc(sp.simplify)
    exact_covariance(A, "the test-matched A")
    return A
