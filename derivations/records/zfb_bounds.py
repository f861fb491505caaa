"""Zhang–Frei–Bartlett (JMLR 25(49), 2024; arXiv 2306.09927) Corollary 4.3, the bound form: ``zfb:cor-4.3``.

Convention (ZHANG_FREI_BARTLETT): label prediction ŷ = x_qᵀΓ⁻¹h, h = (1/M)Σ y_i x_i, of the layer trained on prompts of
N examples (Γ = (1 + 1/N)Λ + tr(Λ)/N·I); tested on prompts of M examples of a fixed task a with ‖a‖ ≤ 1, no noise.
In the toolkit's w-target convention (JAVANMARD) this is the Λ-weighted error of the one-step estimate ŵ_1 = Γ⁻¹Sa,
E(ŷ − y_q)² = E‖ŵ_1 − a‖²_Λ (derivations/records/field.py docstring).

The statement as anchors.md §A.1 records it [V]: the trained transformer learns the class of linear models
{x ↦ ⟨a, x⟩ : ‖a‖ ≤ 1} up to error ε̃ = (1 + 2d + d²κ) tr(Λ)/N² (κ = λ_max/λ_min), and if M ≥ (d + 1) tr(Λ)/ε the
prediction error is at most ε + ε̃. The exact error is ``field.prediction_error`` with E[aaᵀ] = B (Thm 4.2 at σ = 0).
"""

from __future__ import annotations

import mpmath
import sympy as sp

from derivations import field
from derivations.convention import ZHANG_FREI_BARTLETT
from derivations.notation import Equation, ExtremeEigenvalue, Maximum, NormBall
from derivations.registry import DeterministicCheck, NegativeControl, Parameter, Record, Source
from derivations.validation import exact_covariance, exact_scalar, prompt_length
from icl_errors import InputError
from verify.hwl_quantities import BoundInstance

d, N, M = sp.symbols("d N M", positive=True, integer=True)
epsilon = sp.Symbol("epsilon", positive=True)
_a = sp.MatrixSymbol("a", d, 1)
_risk = sp.Function("R")   # R(a) = E(ŷ − ⟨a, x_q⟩)² (the record's assumptions)
Lambda = sp.MatrixSymbol("Lambda", d, d)
DIGITS = 40     # κ and the largest eigenvalue are algebraic: compared at 40 significant digits


def worst_case_error(Lambda, N, M) -> sp.Expr:
    """sup over ‖a‖ ≤ 1 of E(ŷ − ⟨a, x_q⟩)²: the error is aᵀQa (linear in B = aaᵀ), so the sup is λ_max(Q); Q is read
    off ``field.prediction_error`` by polarisation, Q_ij = err(B = (E_ij + E_ji)/2). A 40-digit number."""
    L = exact_covariance(Lambda, "Lambda")
    size = L.rows

    def error(i: int, j: int) -> sp.Expr:
        B = sp.zeros(size, size)
        B[i, j] += sp.Rational(1, 2)
        B[j, i] += sp.Rational(1, 2)
        return field.prediction_error(L, N, M, B)

    return max(_eigenvalues(sp.Matrix(size, size, lambda i, j: error(min(i, j), max(i, j)))))


def _eigenvalues(A: sp.Matrix) -> list[sp.Float]:
    """The eigenvalues of a symmetric rational matrix at DIGITS significant digits (mpmath's symmetric solver)."""
    with mpmath.workdps(DIGITS + 10):
        values = mpmath.eigsy(mpmath.matrix([[mpmath.mpf(sp.Rational(x).p) / sp.Rational(x).q for x in A.row(i)]
                                             for i in range(A.rows)]), eigvals_only=True)
        return [sp.Float(str(v), DIGITS) for v in values]


def corollary_bound(Lambda, N, epsilon, with_kappa: bool = True) -> sp.Expr:
    """ε + ε̃, ε̃ = (1 + 2d + d²κ) tr(Λ)/N² (κ = λ_max/λ_min); ``with_kappa=False`` drops the d²κ term (the control)."""
    L = exact_covariance(Lambda, "Lambda")
    eigenvalues = _eigenvalues(L)
    if min(eigenvalues) <= 0:
        raise InputError("Lambda must be positive definite (κ = λ_max/λ_min)")
    size, trace, N_ = L.rows, L.trace(), prompt_length(N, "N")
    condition = max(eigenvalues) / min(eigenvalues) if with_kappa else 0
    return exact_scalar(epsilon, "epsilon") + (1 + 2 * size + size ** 2 * condition) * trace / N_ ** 2


def _hypothesis(Lambda, N, M, epsilon) -> tuple[sp.Matrix, sp.Expr, sp.Expr]:
    L = exact_covariance(Lambda, "Lambda")
    M_, eps = prompt_length(M, "M"), exact_scalar(epsilon, "epsilon")
    if not (eps.is_number and eps > 0):
        raise InputError(f"epsilon must be a positive number, got {eps}")
    if M_ < (L.rows + 1) * L.trace() / eps:
        raise InputError(f"the corollary needs M ≥ (d + 1) tr(Λ)/ε = {(L.rows + 1) * L.trace() / eps}, got M = {M_}")
    return L, M_, eps


def _evaluate(Lambda, N, M, epsilon) -> sp.Expr:
    """The bound ε + ε̃ at a setting satisfying the hypothesis (InputError otherwise)."""
    L, M_, eps = _hypothesis(Lambda, N, M, epsilon)
    return corollary_bound(L, N, eps)


def _holds(instance, with_kappa: bool = True) -> list[float]:
    """1 when the exact worst-case error is at most the bound on this instance, 0 when the bound is violated."""
    L = sp.Matrix(instance["Lambda"]).applyfunc(sp.Rational)
    error = worst_case_error(L, instance["N"], instance["M"])
    return [1.0 if error <= corollary_bound(L, instance["N"], sp.Rational(instance["epsilon"]), with_kappa) else 0.0]


def _statement() -> list[sp.Basic]:
    """[ε + ε̃ = ε + (1 + 2d + d²κ) tr(Λ)/N² with κ = λ_max(Λ)/λ_min(Λ), sup_{‖a‖≤1} error ≤ ε + ε̃]."""
    condition = ExtremeEigenvalue(Lambda, True) / ExtremeEigenvalue(Lambda, False)
    bound = epsilon + (1 + 2 * d + d ** 2 * condition) * sp.Trace(Lambda) / N ** 2
    total = epsilon + sp.Symbol("epsilontilde", positive=True)     # ε + ε̃ (SymPy prints the name as \tilde{\epsilon})
    return [Equation(total, bound), sp.LessThan(Maximum(_risk(_a), _a, NormBall(1)), total)]


cor_43 = Record(
    id="zfb:cor-4.3",
    kind="corollary",
    title="the trained LSA learns linear models up to ε̃ = (1 + 2d + d²κ)tr(Λ)/N² once M ≥ (d+1)tr(Λ)/ε",
    source=Source("2306.09927", "Corollary 4.3", remark="statement as recorded in anchors.md A.1 [V]"),
    convention=ZHANG_FREI_BARTLETT,
    assumptions=("trained (Thm 4.1) on prompts of N examples, x ~ N(0, Λ), w ~ N(0, I), no noise",
                 "tested on prompts of M ≥ (d + 1) tr(Λ)/ε examples of a fixed task a, ‖a‖ ≤ 1, no noise",
                 "κ = λ_max(Λ)/λ_min(Λ); R(a) = E(ŷ − ⟨a, x_q⟩)², the prediction error on the task a"),
    parameters=(Parameter("Lambda", "covariance Λ (positive definite)", symbol=Lambda),
                Parameter("N", "training prompt length", symbol=N), Parameter("M", "test prompt length", symbol=M),
                Parameter("epsilon", "target error ε > 0 (with M ≥ (d + 1) tr(Λ)/ε)", symbol=epsilon)),
    statement=_statement,
    evaluator=_evaluate,
    returns="the bound ε + ε̃ (a 40-digit number; κ is algebraic) at a setting satisfying the hypothesis",
    derivation=("field.prediction_error (ZFB Thm 4.2 at σ = 0, the Wick engine at the solved Γ_N⁻¹) is linear in "
                "B = aaᵀ; worst_case_error reads its matrix Q by polarisation and takes λ_max(Q) = sup_{‖a‖≤1} aᵀQa. "
                "The check draws random instances with a direction of Λ near tr(Λ)/N (where the bias is largest) "
                "and M at the hypothesis' edge, and tests the inequality."),
    proof=("Thm 4.2 at σ = 0: err(a) = (1/M)aᵀ(Λ³Γ⁻² + tr(Γ⁻²Λ²)Λ)a + (1/N²)aᵀΓ⁻²Λ(Λ + tr(Λ)I)²a (all commute).\n"
           "Γ ⪰ Λ gives Γ⁻²Λ² ⪯ I: the first term is ≤ (λ_max + d·tr Λ)‖a‖²/M ≤ (d + 1)tr(Λ)/M ≤ ε.\n"
           "Γ⁻² ⪯ Λ⁻²: the second is ≤ aᵀ(Λ + 2tr(Λ)I + tr(Λ)²Λ⁻¹)a/N² ≤ (λ_max + 2trΛ + trΛ²/λ_min)/N².\n"
           "λ_max ≤ trΛ, 2trΛ ≤ 2d·trΛ and trΛ/λ_min ≤ dκ ≤ d²κ give ≤ (1 + 2d + d²κ)tr(Λ)/N² = ε̃.\n"
           "Dropping d²κ fails: at a direction with λ ≈ tr(Λ)/N the bias is ≈ tr(Λ)/(4N) ≫ (1 + 2d)tr(Λ)/N²."),
    uses=("zfb:thm-4.2", "zfb:noiseless-error", "zfb:thm-4.1"),
    check=DeterministicCheck(
        quantity=BoundInstance(d=2, n_max=60),
        expected=_holds,
        control=NegativeControl("the bound without the d²κ term, ε + (1 + 2d)tr(Λ)/N²",
                                expected=lambda instance: _holds(instance, with_kappa=False)),
        rtol=0.5,
        instances=12,
    ),
)

RECORDS = [cor_43]
