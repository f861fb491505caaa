"""Exact finite-size test-time theory of 2510.03605 at depth (exact k-step error, optimal depth): ids ``tts:*``."""

from __future__ import annotations

from functools import partial

import sympy as sp

from derivations import finite_cot, test_time
from derivations.optimal_depth import optimal_depth as optimal_depth_of
from derivations.convention import JAVANMARD
from derivations.notation import (ArgMin, Eigenvalue, Equation, Expectation, ExpectedSquaredError,
                                  FrobeniusNormSquared, RegularisedCovariance)
from derivations.pretraining import gamma_closed_form, trained_preconditioner
from derivations.settings import DEPTH_LAMBDA
from derivations.registry import MonteCarloCheck, NegativeControl, Parameter, Record, Source
from verify.quantities import CotWeightError, PromptGroup

d, n, m, k, K = sp.symbols("d n m k K", positive=True, integer=True)
Sigma_train = sp.MatrixSymbol(r"\Lambda", d, d)
Sigma_test = sp.MatrixSymbol(r"\Sigma", d, d)
S_hat = sp.MatrixSymbol("S_{m}", d, d)   # the sample covariance of m test examples
Gamma = RegularisedCovariance(Sigma_train, n)   # prints Γ; the third statement spells it out (Thm 3.1)
I = sp.Identity(d)
R = sp.Rational
TRAINED = sp.MatMul(-1, sp.Inverse(Gamma), evaluate=False)   # Ṽ = −Γ⁻¹


def _step(left: sp.MatrixExpr, right: sp.MatrixExpr) -> sp.MatAdd:
    """I − left·right, kept as written (SymPy's * would spell Γ out)."""
    return sp.MatAdd(I, sp.MatMul(-1, left, right, evaluate=False), evaluate=False)


def error_k(Sigma: sp.MatrixExpr = Sigma_test, m_test: sp.Expr = m) -> ExpectedSquaredError:
    """E‖ŵ_k − w*‖² (the error e_k) of the trained LSA on m_test examples from N(0, Σ)."""
    return ExpectedSquaredError(TRAINED, Sigma, m_test, k)


_PARAMETERS = (Parameter("Sigma_train", "training feature covariance Λ (rational, positive definite)",
                         symbol=Sigma_train),
               Parameter("n", "training prompt length (integer ≥ 1 or a symbol)", symbol=n),
               Parameter("Sigma_test", "test feature covariance Σ (rational, positive definite)", symbol=Sigma_test),
               Parameter("m", "test prompt length (integer ≥ 1 or a symbol)", symbol=m))
_ASSUMPTIONS = ("trained LSA Ṽ = −Γ⁻¹, W̃ = I with Γ = (1 + 1/n)Λ + tr(Λ)/n·I (Thm 3.1)",
                "test prompts: m examples x ~ N(0, Σ), w* ~ N(0, I_d), no noise, ŵ_0 = 0",
                "k CoT steps at test time by appending columns (Prop. 3.2): e_k = (I − Γ⁻¹Ŝ)^k w* up to sign")

_LAMBDA = DEPTH_LAMBDA
_N = 20


def _v_tilde(n_):
    """The pretrained Ṽ* = −Γ⁻¹ for training length n at the check's Λ (derivations.pretraining)."""
    return trained_preconditioner(_LAMBDA, n_)


# --- tts:exact-cot-error -----------------------------------------------------------------------------------------

_EX_TEST = sp.Matrix([[1, R(1, 4), 0], [R(1, 4), R(1, 2), R(1, 8)], [0, R(1, 8), R(1, 4)]])
_EX_M, _EX_K = 10, 2


def _exact_error(Sigma_train, n, Sigma_test, m, k):
    return finite_cot.cot_error(Sigma_train, n, Sigma_test, m, k)


exact_cot_error = Record(
    id="tts:exact-cot-error",
    kind="theorem",
    title="exact finite-m test error of the pretrained LSA after k CoT steps",
    source=Source("2510.03605", "Prop. 3.2 and Cor. 3.5", remark="beyond the paper: exact at finite n, m, d, any k"),
    also_from=(Source("2502.21212", "Huang-Wang-Lee, k-step error E tr((I − CS)^{2k})"),),
    convention=JAVANMARD,
    assumptions=_ASSUMPTIONS,
    parameters=_PARAMETERS + (Parameter("k", "number of CoT steps (integer ≥ 0)", symbol=k),),
    statement=lambda: [
        Equation(error_k(), Expectation(sp.Trace(sp.MatMul(sp.MatPow(_step(sp.Inverse(Gamma), S_hat), k),
                                                           sp.MatPow(_step(S_hat, sp.Inverse(Gamma)), k),
                                                           evaluate=False)), S_hat, Sigma_test, m)),
        Equation(sp.Limit(error_k(), m, sp.oo), FrobeniusNormSquared(sp.MatPow(_step(sp.Inverse(Gamma), Sigma_test), k))),
        Equation(Gamma, gamma_closed_form(Sigma_train, n))],
    evaluator=_exact_error,
    proof=(
        "By tts:prop-3.2, ŵ_k − w* = −(I − Γ⁻¹S_m)^k w* with S_m the sample covariance of the m test examples; "
        "averaging over w* ~ N(0, I_d) gives E tr[(I − Γ⁻¹S_m)^k(I − S_mΓ⁻¹)^k], the first part. The trace is a "
        "polynomial of degree 2k in the entries of S_m, and mS_m is Wishart(m, Σ): its moments (Isserlis' "
        "pairings, or the coefficients of the Wishart moment generating function det(I − 2ΘΣ/m)^{−m/2}) are "
        "polynomials in 1/m, so the error is an exact rational function of m. Each pairing that links two "
        "different examples costs 1/m, so as m → ∞ S_m → Σ and the limit is ‖(I − Γ⁻¹Σ)^k‖²_F."),
    uses=("tts:prop-3.2", "base:wishart-second-moment", "tts:cor-3.5", "base:gamma-star"),
    derivation=(
        "derivations.finite_cot: Σ_test = LDLᵀ (exact LDLᵀ) whitens Ŝ = LTLᵀ, T = W/m with W ~ Wishart(m, D); then "
        "(I − Γ⁻¹Ŝ)^k = L^{−T}(I − HT)^kLᵀ, H = LᵀΓ⁻¹L, and the error is tr(M_k B M_kᵀ B⁻¹), B = LᵀL, a polynomial of "
        "degree 2k in the d(d+1)/2 entries of T (python-flint fmpq_mpoly). Its expectation pairs its coefficients "
        "with those of the Wishart MGF det(I − 2ΘD/m)^{−m/2} (E[t^α] = α![φ^α]MGF, off-diagonal φ = 2Θ), whose "
        "homogeneous parts follow from a d-term recurrence (derivations.wishart_mgf); only monomials with every "
        "index of even degree survive, so products are taken class by class. Why this algorithm: the Wick sum has "
        "(4k − 1)!! pairings (2·10⁶ at k = 4, 6·10³¹ at k = 8); the cumulant series needs tr((ΘΣ)^j) up to j = 2k, "
        "dense polynomials; the determinant recurrence needs only d + 1 principal-minor sums, and the whitening "
        "makes the Wishart law diagonal so parity discards all but 2^{1−d} of the cross terms (benchmarks/README.md: "
        "8,245× the brute-force Isserlis reference at d = 3, k = 4; k = 8 at d = 3 in 2.7 s; k = 4 at d = 5 in 4.9 s). "
        "Symbolic m enters as u = 1/m in the "
        "MGF, symbolic n through the common denominator of Γ⁻¹. Agrees with the Wick engine (cot_weight_error) for "
        "k ≤ 2, with the brute-force Isserlis reference (benchmarks.isserlis_reference), and symbolically: "
        "lim_{m→∞} = ‖(I − Γ⁻¹Σ)^k‖²_F, which for Σ = Λ = diag(λ) is Σ_j (1 + n/(1 + trΛ/λ_j))^{−2k} "
        "(Cor. 3.5; 52742/405769 ≈ 0.12998 at Λ = diag(1, ½, ¼), n = 20, k = 1). Example, d = 1, Λ = Σ = 1, "
        "symbolic n and m: E‖e_1‖² = 2(2m + n²)/(m(n + 2)²), E‖e_2‖² = 4(4m³ + 12m²n² + 3mn⁴ − 16mn³ + 12n⁴)/"
        "(m³(n + 2)⁴). The check uses a dense Σ ≠ Λ at m = 10, where the exact value 1.596 is ten times the m → ∞ "
        "value 0.154; the verifier sizes the sample from the exact variance 101.57 (finite_cot.cot_error_variance, "
        "standard deviation 10.08): z*·SE ≤ 0.8 × tolerance needs 240 240 prompts."),
    check=MonteCarloCheck(
        quantity=CotWeightError.single(_EX_TEST, _EX_M, partial(_v_tilde, _N), _EX_K),
        expected=lambda: finite_cot.cot_error(_LAMBDA, _N, _EX_TEST, _EX_M, _EX_K),
        control=NegativeControl("the m → ∞ value ‖(I − Γ⁻¹Σ)^k‖²_F (the paper's asymptotic regime) at m = 10",
                                expected=lambda: test_time.limit_error(_LAMBDA, _N, _EX_TEST, _EX_K)),
        tolerance=0.1,
        variance=lambda: finite_cot.cot_error_variance(_LAMBDA, _N, _EX_TEST, _EX_M, _EX_K),
    ),
)

# --- tts:optimal-depth -------------------------------------------------------------------------------------------

# Two points of each region at Λ = Σ = diag(1, ½, ¼): (n, m, depths read).
_DEPTH_POINTS = ((40, 8, (1, 2)), (20, 6, (1, 2)),            # k* = 1
                 (20, 10, (1, 2, 3)), (10, 8, (1, 2, 3)),       # k* = 2 (finite > 1)
                 (20, 100, (1, 2, 3)), (5, 100, (1, 2, 3)))     # argmin at the cap 12: unbounded as m → ∞


def _depth_profile_quantity() -> CotWeightError:
    """The simulated errors at every (point, k): each point draws its own prompts of its m, with its trained Ṽ; the
    error of each prompt is averaged exactly over the task (the d basis tasks pushed through it)."""
    return CotWeightError(_LAMBDA, tuple(PromptGroup(m_, (partial(_v_tilde, n_),), ks) for n_, m_, ks in _DEPTH_POINTS),
                          task_average=True)


def _depth_profile(limit: bool) -> sp.Matrix:
    values = []
    for n_, m_, ks in _DEPTH_POINTS:
        if limit:
            values += [test_time.limit_error(_LAMBDA, n_, _LAMBDA, k_) for k_ in ks]
        else:
            errors = finite_cot.cot_errors(_LAMBDA, n_, _LAMBDA, m_, max(ks))
            values += [errors[k_] for k_ in ks]
    return sp.Matrix(values)


def _optimal_depth(Sigma_train, n, Sigma_test, m, cap):
    return optimal_depth_of(Sigma_train, n, Sigma_test, m, cap)


def _limit_statement():
    """Matched covariances (test Σ = Λ): lim_m E‖e_k‖² = Σ_j (1 + n/(1 + tr Λ/λ_j))^{−2k} over Λ's eigenvalues."""
    j = sp.Symbol("j", integer=True, positive=True)
    per_direction = (1 + n / (1 + sp.Trace(Sigma_train) / Eigenvalue(Sigma_train, j))) ** (-2 * k)
    matched = sp.Subs(sp.Limit(error_k(Sigma_train), m, sp.oo), Sigma_test, Sigma_train)   # prints |_{Σ=Λ}
    return Equation(matched, sp.Sum(per_direction, (j, 1, d)))


optimal_depth_record = Record(
    returns=("an OptimalDepth: k_star (None when the minimum sits at the cap), the minimal error, the exact errors "
             "E‖e_k‖² for k = 0..cap, and the region ('k*=1', 'finite' or 'unbounded/not found')"),
    id="tts:optimal-depth",
    kind="proposition",
    title="the optimal number of CoT steps k*(n, m) at finite test length, and its three regions",
    source=Source("2510.03605", "Remark 4.1 (overthinking), Cor. 3.5",
                  remark="beyond the paper: exact k* at finite m; overthinking with matched covariances"),
    convention=JAVANMARD,
    assumptions=_ASSUMPTIONS + ("k* searched over 1 ≤ k ≤ cap; at the cap it is reported as not found",),
    parameters=(_PARAMETERS[0], Parameter("n", "training prompt length (integer ≥ 1)", symbol=n), _PARAMETERS[2],
                Parameter("m", "test prompt length (integer ≥ 1)", symbol=m),
                Parameter("cap", "largest k searched (integer ≥ 2, at most 40)", symbol=K)),
    statement=lambda: [
        Equation(sp.Symbol("k^{*}"), ArgMin(error_k(), k, 1, K)),
        _limit_statement(),
        Equation(sp.Limit(error_k(), k, sp.oo), sp.oo)],
    evaluator=_optimal_depth,
    proof=(
        "k* is the argmin over 1 ≤ k ≤ K of the exact errors of tts:exact-cot-error; three regions follow. (i) m "
        "→ ∞ with Σ = Λ: the error Σ_j ρ_j^{2k} with every ρ_j < 1 (tts:cor-3.5) decreases for ever, so k* = ∞ "
        "(it sits at the cap). (ii) Finite m: Γ⁻¹S_m has an unbounded spectrum (S_m is Wishart), so with positive "
        "probability some eigenvalue of I − Γ⁻¹S_m exceeds 1 + ε in modulus; by Schur's inequality E‖e_k‖² ≥ E "
        "Σ_i |λ_i(I − Γ⁻¹S_m)|^{2k} → ∞, so k* is finite: thinking first helps, then hurts, even with matched "
        "covariances. (iii) k* = 1 when already E‖e_2‖² ≥ E‖e_1‖², which happens at small m."),
    uses=("tts:exact-cot-error", "tts:cor-3.5", "tts:rem-4.1"),
    derivation=(
        "derivations.optimal_depth: the exact errors E‖e_k‖², k ≤ cap, from one pass of the exact engine, and their "
        "argmin. Regions: (i) m → ∞ with Σ = Λ: the limit Σ_j ρ_j^{2k}, ρ_j = 1/(1 + n/(1 + trΛ/λ_j)) < 1, decreases "
        "for ever, k* = ∞ (Cor. 3.5); (ii) any finite m: GS has unbounded spectrum, P(‖I − GS‖ > 1 + ε) > 0, and by "
        "Schur E‖e_k‖² ≥ E Σ_i |λ_i(I − GS)|^{2k} → ∞, so k* is finite — thinking first helps, then hurts, even with "
        "matched covariances; (iii) k* = 1 iff E‖e_2‖² ≥ E‖e_1‖² (small m). At Λ = Σ = diag(1, ½, ¼), n = 20: "
        "k* = 1 for m ≤ 6, 2 at m = 8, 10, 3 at 15, 4 at 20, 6 at 30 and beyond the cap 8 from m = 50 on; the heat "
        "map (icl-theory figures depth-kstar) covers the (n, m) plane. The check reads the simulated errors at "
        "k* − 1, k*, k* + 1 (or k = 1, 2, 3) at two points of each region from one rollout per prompt, each prompt's "
        "error averaged exactly over the task (the d basis tasks pushed through it). Sample size: with one task per "
        "prompt the heaviest-tailed component (m = 10, k = 3) has standard deviation 17.1 (exact variance, "
        "finite_cot.monte_carlo_samples), which needed 320 000 prompts for a resolution of 0.76 × the tolerance "
        "0.25; the task average cut that to 0.33 × at the same size (measured), so 200 000 prompts give about "
        "0.42 ×, a margin for batch means that under-estimate the SE of such a tail."),
    check=MonteCarloCheck(
        quantity=_depth_profile_quantity(),
        expected=lambda: _depth_profile(limit=False),
        control=NegativeControl("the m → ∞ profile (errors decreasing in k, k* unbounded) at the same points",
                                expected=lambda: _depth_profile(limit=True)),
        tolerance=0.25,
        samples=200_000,
    ),
)

RECORDS = [exact_cot_error, optimal_depth_record]
