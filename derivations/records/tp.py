r"""Takanami–Pehlevan's d → ∞ theory of CoT depth (arXiv 2606.03217) beside the toolkit's exact finite size: ``tp:*``.

What was found of the paper (search of stored pages, 2026-11; anchors.md A.6): the abstract and the first lines of
the introduction (arxiv.org/html/2606.03217, v1, 2 Jun 2026). Quoted: "we study a theoretically solvable model of
CoT for in-context weight prediction in linear regression, where test-time reasoning is represented as an iterative
refinement of the weight-parameter estimate. Using tools from random matrix theory under high-dimensional
asymptotics, we derive an exact formula for the generalization error as a function of reasoning depth, pretraining
data amount, and context length. Our analysis reveals a sharp phase transition separating exponential and
polynomial improvement, saturation, and overthinking, and characterizes how the optimal reasoning depth scales."
and "deeper reasoning is most effective with sufficiently rich pretraining and in-context information, whereas
limited pretraining or context makes longer reasoning prone to error amplification or saturation." Their formula,
phase boundaries and depth law were NOT retrievable. The records below are therefore a clearly labelled stand-in: the
Marchenko–Pastur integral model of anchors.md A.6 [R], derived in ``derivations.tp``; no statement here is theirs.

Convention map (TAKANAMI_PEHLEVAN [R] onto JAVANMARD). Their "reasoning depth" is the toolkit's k (CoT steps appended
at test time, ŵ_{i+1} = ŵ_i + ṼŜ(ŵ_i − w*)); their "context length" is the test prompt length m, entering as the
ratio γ = d/m; their "pretraining data amount" is read here as the training prompt length n = τd, which fixes the
pretrained preconditioner Ṽ = −cI, c = n/(n + d + 1) → τ/(1 + τ) (2510.03605 Thm 3.1 at Λ = I). Errors are per
dimension, (1/d)E‖ŵ_k − w*‖². Isotropic covariates and tasks, no noise, target w (as Huang–Wang–Lee and Javanmard).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import sympy as sp

from derivations import tp
from derivations.convention import TAKANAMI_PEHLEVAN
from derivations.notation import ArgMin, Equation, ExpectedSquaredError
from derivations.registry import MonteCarloCheck, NegativeControl, Parameter, Record, Source
from verify.quantities import CotWeightError, PromptGroup

c, gamma, epsilon = sp.symbols("c gamma epsilon", positive=True)
d, m, k, K = sp.symbols("d m k K", positive=True, integer=True)
lam = sp.Symbol("lambda", nonnegative=True)
k_opt = sp.Symbol("k_opt")
R = sp.Rational

SOURCE_REMARK = ("stand-in: the paper's formula was not retrievable (abstract only); this is the Marchenko-Pastur "
                 "integral model of anchors.md A.6 [R], derived here and not attributed to the authors")
_ASSUMPTIONS = ("isotropic test prompts: m examples x ~ N(0, I_d), w* ~ N(0, I_d), no noise, ŵ_0 = 0",
                "layer Ṽ = −cI, W̃ = I (the pretrained model at Λ = I has c = n/(n + d + 1) → τ/(1 + τ), n = τd)",
                "proportional limit d, m → ∞ with γ = d/m fixed; k fixed; errors per dimension")
_C = Parameter("c", "preconditioner scale c > 0 (rational); Ṽ = −cI", symbol=c)
_GAMMA = Parameter("gamma", "context ratio γ = d/m > 0 (rational)", symbol=gamma)


def mp_profile(c_: sp.Expr = c, gamma_: sp.Expr = gamma, k_: sp.Expr = k) -> tp.MarchenkoPasturIntegral:
    """∫(1 − cλ)^{2k} dMP_γ(λ), the stand-in's depth profile."""
    return tp.MarchenkoPasturIntegral((1 - c_ * lam) ** (2 * k_), lam, gamma_)


def _per_dimension_error() -> sp.Expr:
    """(1/d) E‖ŵ_k − w*‖² of the layer Ṽ = −cI on m isotropic examples (printed)."""
    return ExpectedSquaredError(sp.MatMul(-c, sp.Identity(d), evaluate=False), sp.Identity(d), m, k) / d


def _scaled(values, scale: int) -> sp.Matrix:
    return sp.Matrix([scale * v for v in values])


def _scaled_identity(scale, d_: int) -> np.ndarray:
    """Ṽ = −scale·I_d as floats (a deferred field of the quantity)."""
    return -float(scale) * np.eye(d_)


# --- tp:error-limit ------------------------------------------------------------------------------------------------

_LIM_D, _LIM_GAMMA, _LIM_TAU, _LIM_KS = 48, R(1, 2), 1, (1, 2, 4)
_LIM_M, _LIM_N = 96, 48
_LIM_C = R(_LIM_N, _LIM_N + _LIM_D + 1)   # the pretrained scale n/(n + d + 1) = 48/97


def _limit_expected() -> sp.Matrix:
    profile = tp.finite_error_profile(_LIM_D, _LIM_GAMMA, _LIM_TAU, max(_LIM_KS))
    return _scaled([profile[k_] for k_ in _LIM_KS], _LIM_D)


def _limit_control() -> sp.Matrix:
    """The MP law at the training ratio d/n = 1 in place of the test ratio d/m = 1/2."""
    return _scaled([tp.mp_error(tp.trained_scale(_LIM_TAU), R(_LIM_D, _LIM_N), k_) for k_ in _LIM_KS], _LIM_D)


error_limit = Record(
    id="tp:error-limit",
    kind="theorem",
    title="d → ∞ error of k CoT steps: (1/d)E‖ŵ_k − w*‖² → ∫(1 − cλ)^{2k} dMP_γ(λ) (stand-in)",
    source=Source("2606.03217", "abstract: exact formula in depth, pretraining data and context length",
                  remark=SOURCE_REMARK),
    also_from=(Source("2502.21212", "Huang-Wang-Lee, k-step error E tr((I − CS)^{2k}); anchors.md A.4 [R, C]"),),
    convention=TAKANAMI_PEHLEVAN,
    assumptions=_ASSUMPTIONS,
    parameters=(_C, _GAMMA, Parameter("k", "number of CoT steps (integer ≥ 0, at most 200)", symbol=k)),
    statement=lambda: [
        Equation(sp.Limit(_per_dimension_error(), d, sp.oo), mp_profile()),
        Equation(mp_profile(), 1 + sp.Sum(sp.binomial(2 * k, sp.Symbol("j")) * (-c) ** sp.Symbol("j") * sp.Sum(
            sp.binomial(sp.Symbol("j"), sp.Symbol("r")) * sp.binomial(sp.Symbol("j"), sp.Symbol("r") + 1)
            / sp.Symbol("j") * gamma ** sp.Symbol("r"), (sp.Symbol("r"), 0, sp.Symbol("j") - 1)),
            (sp.Symbol("j"), 1, 2 * k)))],
    evaluator=lambda c, gamma, k: tp.mp_error(c, gamma, k),
    derivation=(
        "derivations.tp.mp_error_profile: the moment sum Σ_j C(2k, j)(−c)^j m_j(γ), m_j(γ) = Σ_{r<j} N(j, r + 1)γ^r "
        "(Narayana numbers; the limits of (1/d)E tr Ŝ^j, proved exactly in derivations.marchenko_pastur), in integer "
        "arithmetic (exact to k = 200). Convergence of the toolkit's exact finite-size errors, pretrained model at "
        "γ = 1/2, τ = 1 (m = 2d, n = d, c = d/(2d + 1)), per dimension [exact, marchenko_pastur.bridge_rows]: "
        "k = 1: d = 2: 0.48000, 4: 0.43210, 8: 0.40484, 16: 0.39027, 32: 0.38272, 64: 0.37888, 128: 0.37695, "
        "256: 0.37598, 512: 0.37549 → 0.375; k = 2: 0.32880, 0.28121, 0.25485, 0.24095, 0.23382, 0.23021, 0.22839, "
        "0.22748, 0.22702 → 0.2265625; k = 4: 0.22581, 0.16129, 0.13759, 0.12596, 0.12005, 0.11706, 0.11555, "
        "0.11480, 0.11442 → 0.1140442. The gap is a/d + O(1/d²) with a = 1/4, 15/64, 1587/8192 at k = 1, 2, 4 "
        "(marchenko_pastur.gap_leading_order; d·gap at d = 512: 0.2498, 0.2342, 0.1936). The general engine "
        "finite_cot.cot_errors gives the same values at d = 2, 4 (0.48, 0.3288, 0.2258; 0.4321, 0.2812, 0.1613). "
        "Check: the real layer (CotWeightError, CoT columns appended, the d basis tasks averaged) at d = 48, "
        "m = 96, n = 48 against the exact finite-size value 48·(0.38017, 0.23142, 0.11806) (limit 48·(0.375, "
        "0.22656, 0.11404)); 1 000 prompts give SE ≈ 0.01. Control: the same MP law at the training ratio d/n = 1 in "
        "place of the test ratio d/m (48·(0.5, 0.375, 0.27344)), rejected."),
    proof=(
        "e_k = −(I − cŜ)^k w*, so E_w‖e_k‖² = tr(I − cŜ)^{2k} = Σ_{j≤2k} C(2k, j)(−c)^j tr Ŝ^j.\n"
        "(1/d)E tr Ŝ^j is an exact polynomial in d, m (Wishart recursion, derivations/marchenko_pastur.py);\n"
        "with m = d/γ it tends to m_j(γ) = Σ_{r<j} N(j, r + 1)γ^r, the j-th moment of MP_γ.\n"
        "A finite sum of convergent terms converges: (1/d)E‖e_k‖² → Σ_j C(2k, j)(−c)^j m_j(γ) = ∫(1 − cλ)^{2k} dMP_γ.\n"
        "For the pretrained model c = n/(n + d + 1) → τ/(1 + τ) (n = τd), and the sum is continuous in c.\n"
        "The error per dimension is rational in d, so the gap has an exact order: a/d + O(1/d²)."),
    uses=("tts:exact-cot-error", "tts:thm-3.1", "base:wishart-second-moment"),
    check=MonteCarloCheck(
        quantity=CotWeightError(np.eye(_LIM_D), (PromptGroup(_LIM_M, (partial(_scaled_identity, _LIM_C, _LIM_D),),
                                                             _LIM_KS),), task_average=True),
        expected=_limit_expected,
        control=NegativeControl("the MP law at the training ratio d/n = 1 in place of the test ratio d/m = 1/2",
                                expected=_limit_control),
        tolerance=0.15,
        samples=400,
    ),
)

# --- tp:phases -----------------------------------------------------------------------------------------------------

_PH_D = 32
# (c, γ, depths): one point per regime.
_PH_POINTS = ((R(1, 2), R(1, 4), (2, 8)),     # exponential: cλ₊ = 9/8 < 2, γ < 1
              (R(1, 4), R(1), (2, 8)),        # polynomial: γ = 1 (hard edge)
              (R(1, 4), R(2), (2, 8)),        # saturation: γ = 2, cλ₊ ≈ 1.46, floor 1 − 1/γ = 1/2
              (R(1), R(1, 4), (2, 5)))        # overthinking: cλ₊ = 9/4 > 2


def _phase_quantity() -> CotWeightError:
    return CotWeightError(np.eye(_PH_D), tuple(
        PromptGroup(int(_PH_D / g_), (partial(_scaled_identity, c_, _PH_D),), ks) for c_, g_, ks in _PH_POINTS),
        task_average=True)


def _phase_profile(population: bool) -> sp.Matrix:
    """Exact finite-size errors d·(1/d)E‖e_k‖² at each (point, k); or the population value d(1 − c)^{2k} (Ŝ = I)."""
    from derivations.marchenko_pastur import isotropic_error

    values = []
    for c_, g_, ks in _PH_POINTS:
        for k_ in ks:
            values.append(_PH_D * (1 - c_) ** (2 * k_) if population else isotropic_error(_PH_D, int(_PH_D / g_), c_, k_))
    return sp.Matrix(values)


phases = Record(
    returns=("a Phase: name ('exponential', 'polynomial', 'saturation' or 'overthinking'), the limit lim_k e(k), the "
             "per-step factor ρ² of the geometric part and the polynomial exponent (when ρ = 1)"),
    id="tp:phases",
    kind="proposition",
    title="four depth regimes of the d → ∞ error: exponential, polynomial, saturation, overthinking (stand-in)",
    source=Source("2606.03217", "abstract: phase transition (exponential / polynomial / saturation / overthinking)",
                  remark=SOURCE_REMARK),
    convention=TAKANAMI_PEHLEVAN,
    assumptions=_ASSUMPTIONS,
    parameters=(_C, _GAMMA),
    statement=lambda: [
        Equation(sp.Limit(mp_profile(), k, sp.oo),
                 sp.Piecewise((sp.oo, c * (1 + sp.sqrt(gamma)) ** 2 > 2), (1 - 1 / gamma, gamma > 1), (0, True))),
        Equation(sp.Symbol("lambda_+"), (1 + sp.sqrt(gamma)) ** 2)],
    evaluator=lambda c, gamma: tp.phase(c, gamma),
    derivation=(
        "derivations.tp.phase: exact comparisons of c(1 ± √γ)² with 0 and 2 (λ± = (1 ± √γ)², the MP edges; the "
        "second statement part shows λ₊). Regimes: overthinking iff cλ₊ > 2 (e(k) → ∞); else saturation iff γ > 1 "
        "(e(k) → 1 − 1/γ, the atom of MP at 0: the null space of Ŝ is never corrected); else polynomial iff γ = 1 "
        "(hard edge, e(k)√k → 1/√(2πc): 0.79726 at c = 1/4, k = 400 against 0.79788) or cλ₊ = 2 (soft edge, "
        "k^{−3/2}); else exponential, e(k)^{1/k} → ρ², ρ = max|1 − cλ±|. Read with the trained c = τ/(1 + τ): rich "
        "context (small γ) gives exponential improvement, γ ≥ 1 (context shorter than d) saturation or slow decay, "
        "and c(1 + √γ)² > 2 overthinking. Check: the real layer at d = 32 in each regime (points (c, γ) = (1/2, 1/4), "
        "(1/4, 1), (1/4, 2), (1, 1/4); k = 2 and 8, or 2 and 5), against the exact finite-size errors "
        "(4.853, 0.279; 15.861, 8.867; 19.750, 16.792; 4.927, 6.434); d → ∞ limits per dimension 0.1494, 0.0080; "
        "0.4922, 0.2717; 0.6133, 0.5218; 0.1406, 0.1285. Control: the population prediction d(1 − c)^{2k} (Ŝ = I, no MP "
        "spread), which decays geometrically in every regime: no saturation, no overthinking (0 at c = 1)."),
    proof=(
        "On the support of MP_γ, |1 − cλ| ≤ ρ = max(|1 − cλ₋|, |1 − cλ₊|), except on the atom λ = 0 of mass (1 − 1/γ)₊.\n"
        "If cλ₊ > 2, the MP mass where |1 − cλ| ≥ 1 + δ is positive for small δ > 0: e(k) ≥ (1 + δ)^{2k}·mass → ∞.\n"
        "If cλ₊ ≤ 2 and γ > 1: e(k) = (1 − 1/γ) + ∫_{λ>0}(1 − cλ)^{2k}dMP_γ, and the integral → 0 (dominated "
        "convergence; |1 − cλ| < 1 a.e. on λ > 0).\n"
        "If γ < 1 and cλ₊ < 2: ρ < 1 and e(k) ≤ ρ^{2k}, with e(k)^{1/k} → ρ² (the edge carries mass).\n"
        "If γ = 1: the density is √((4 − λ)/λ)/(2π) ~ 1/(π√λ) at 0; Laplace's method gives e(k)√k → 1/√(2πc).\n"
        "If γ < 1 and cλ₊ = 2: near λ₊, (1 − cλ)^{2k} ≈ e^{−2kc(λ₊ − λ)} against √(λ₊ − λ): e(k) ~ k^{−3/2}."),
    uses=("tp:error-limit", "tts:rem-4.1"),
    check=MonteCarloCheck(
        quantity=_phase_quantity(),
        expected=lambda: _phase_profile(population=False),
        control=NegativeControl("the population prediction d(1 − c)^{2k} (Ŝ = I: geometric decay in every regime)",
                                expected=lambda: _phase_profile(population=True)),
        tolerance=0.6,
        samples=5_000,
    ),
)

# --- tp:optimal-depth ----------------------------------------------------------------------------------------------

_OD_D, _OD_GAMMA, _OD_TAU, _OD_KS = 32, R(1, 2), 4, (2, 3, 4)
_OD_M, _OD_N = 64, 128
_OD_C = R(_OD_N, _OD_N + _OD_D + 1)   # 128/161 → c∞ = 4/5; c∞λ₊ = 2.33 > 2: overthinking, k*_∞ = 4

# The toolkit's exact finite-size k*(d) beside the asymptotic k*_∞ (pretrained model, m = d/γ, n = τd, cap 8).
DEPTH_TABLE = (
    ("γ = 1/2, τ = 4 (overthinking, k*_∞ = 4)", ((2, 1), (4, 2), (8, 2), (16, 3), (32, 3), (64, 3), (128, 3),
                                                 (256, 4), (512, 4))),
    ("γ = 1/4, τ = 8 (soft edge cλ₊ = 2, k*_∞ = ∞)", ((2, 2), (4, 2), (8, 4), (16, 5), (32, 7), (64, None),
                                                       (128, None), (256, None), (512, None))),
    ("γ = 1/2, τ = 1 (exponential, k*_∞ = ∞)", ((2, 4), (4, 6), (8, None), (16, None), (512, None))),
)


def _depth_expected(limit: bool) -> sp.Matrix:
    if limit:
        return _scaled([tp.mp_error(tp.trained_scale(_OD_TAU), _OD_GAMMA, k_) for k_ in _OD_KS], _OD_D)
    profile = tp.finite_error_profile(_OD_D, _OD_GAMMA, _OD_TAU, max(_OD_KS))
    return _scaled([profile[k_] for k_ in _OD_KS], _OD_D)


optimal_depth = Record(
    returns=("an OptimalDepth of the d → ∞ profile: k_star (None when the minimum sits at the cap: unbounded or "
             "beyond it), the minimal e(k), the exact e(k) for k = 0..cap"),
    id="tp:optimal-depth",
    kind="proposition",
    title="asymptotic optimal CoT depth k*_∞ and its law 3/(4ε) near the overthinking edge, beside the exact k*(d)",
    source=Source("2606.03217", "abstract: 'characterizes how the optimal reasoning depth scales'",
                  remark=SOURCE_REMARK),
    convention=TAKANAMI_PEHLEVAN,
    assumptions=_ASSUMPTIONS + ("k*_∞ searched over 1 ≤ k ≤ cap (at most 200); at the cap it is reported as not found",
                                "the law k*_∞ ≈ 3/(4ε), ε = c(1 + √γ)² − 2 → 0+, needs γ ≠ 1"),
    parameters=(_C, _GAMMA, Parameter("cap", "largest k searched (integer ≥ 2, at most 200)", symbol=K)),
    statement=lambda: [
        Equation(k_opt, ArgMin(mp_profile(), k, 1, K)),
        Equation(sp.Limit(epsilon * k_opt, epsilon, 0, "+"), R(3, 4))],
    evaluator=lambda c, gamma, cap: tp.asymptotic_optimal_depth(c, gamma, cap),
    errata=(
        "Where the finite-size k* differs from the asymptotic one (exact, pretrained isotropic model, m = d/γ, "
        "n = τd, search cap 8; None = beyond the cap): "
        + "; ".join(f"{name}: " + ", ".join(f"d = {d_}: {'>8' if ks is None else ks}" for d_, ks in rows)
                    for name, rows in DEPTH_TABLE)
        + ". In the overthinking phase k*(d) < k*_∞ at small d and reaches it from below (d ≥ 256); in the "
          "exponential and edge phases k*_∞ = ∞ while every finite d has a finite k* (the finite-m overthinking of "
          "tts:optimal-depth), which grows with d.",
        "Stand-in versus the abstract: here τ (training length per dimension) enters only through c = τ/(1 + τ), so "
        "richer pretraining moves c toward 1 and can *cause* overthinking (c(1 + √γ)² > 2); the abstract says limited "
        "pretraining makes longer reasoning prone to amplification. Their pretraining variable is presumably the "
        "number of pretraining prompts (finite-sample noise in the learned Γ, as in Lu et al. 2405.11751), which this "
        "stand-in does not model."),
    derivation=(
        "derivations.tp.asymptotic_optimal_depth: the argmin over 1 ≤ k ≤ cap of the exact d → ∞ profile e(k) "
        "(tp:error-limit); derivations.tp.overthinking_depth_law: k*_∞ ≈ 3/(4ε). Exact argmins at γ = 1/4 "
        "(λ₊ = 9/4), c = (2 + ε)/λ₊: ε = 1/2, 1/4, 1/10, 1/20, 1/40, 1/80 give k*_∞ = 2, 3, 8, 15, 30, 60 against "
        "3/(4ε) = 1.5, 3, 7.5, 15, 30, 60. In the exponential, polynomial and saturation phases e(k) decreases for "
        "ever: k*_∞ = ∞ (at the cap: not found). The finite-size k*(d) (derivations.tp.finite_optimal_depth, the "
        "exact Wishart-moment engine, cap 8) is tabulated in errata. Check: the real layer at d = 32, m = 64, "
        "n = 128 (the pretrained c = 128/161) at k = 2, 3, 4 against the exact finite-size errors "
        "32·(0.24707, 0.21932, 0.24553), argmin k*(32) = 3. Control: the d → ∞ profile 32·(0.232, 0.18995, "
        "0.18555) at the same k, argmin k*_∞ = 4 — rejected: at d = 32 the finite-size k* is not the asymptotic one."),
    proof=(
        "Let ε = cλ₊ − 2 > 0 and write λ = 2/c + x near the upper edge: (1 − cλ)^{2k} = (1 + cx)^{2k} ≈ e^{2kcx}.\n"
        "The MP density there is ≈ A√(λ₊ − λ), so the edge contributes A e^{2kε} Γ(3/2) (2kc)^{−3/2}.\n"
        "The rest of the support has |1 − cλ| < 1 (γ ≠ 1) plus, if γ > 1, the constant atom 1 − 1/γ:\n"
        "its k-dependence decays geometrically and is negligible for k of order 1/ε.\n"
        "So d/dk log e(k) ≈ 2ε − 3/(2k), which vanishes at k = 3/(4ε): k*_∞ = 3/(4ε) + O(1), i.e. ε·k*_∞ → 3/4.\n"
        "In the other phases e(k) decreases for ever, k*_∞ = ∞; at every finite d, k*(d) is finite (tts:optimal-depth)."),
    uses=("tp:error-limit", "tp:phases", "tts:optimal-depth"),
    check=MonteCarloCheck(
        quantity=CotWeightError(np.eye(_OD_D), (PromptGroup(_OD_M, (partial(_scaled_identity, _OD_C, _OD_D),),
                                                            _OD_KS),), task_average=True),
        expected=lambda: _depth_expected(limit=False),
        control=NegativeControl("the d → ∞ profile (argmin k*_∞ = 4) at d = 32, where the exact k*(32) = 3",
                                expected=lambda: _depth_expected(limit=True)),
        tolerance=0.4,
        samples=10_000,
    ),
)

RECORDS = [error_limit, phases, optimal_depth]
