"""Outcome-supervision claims of arXiv 2603.01293 decided on the simulated layer: latent capability from balanced
pretraining (§4 row 1, §7, Insight 4), longer OS CoT hurts (row 10, Figs 3f/4f), OS benefits from more and longer
prompts (row 11, Figs 3d,e/4d,e). Exact predictions: derivations.os_claims (population GD on the exact finite-n OS
loss; the 1/B expansion of the k = 1 OS solution). Ids ``synergy:*``."""

from __future__ import annotations

from functools import partial

import sympy as sp

from derivations import os_claims, outcome
from derivations.convention import JAVANMARD
from derivations.notation import Equation, ExpectedSquaredError, Expectation, SpectralRadius
from derivations.registry import MonteCarloCheck, NegativeControl, Parameter, Record, Source
from derivations.validation import exact_matrix, prompt_length
from icl_errors import InputError
from verify.os_experiments import OSArm, OSPostTestError

d, n, k, n0, B, T = sp.symbols("d n k n_0 B T", positive=True, integer=True)
eta = sp.Symbol(r"\eta", positive=True)
b, u = sp.symbols("b u")                       # the balanced and the unbalanced pretraining choice
finite, Err = sp.Function("finite"), sp.Function("Err")   # run stayed finite (1/0); one-step post-test error
Sigma0, Delta, Sigma = (sp.MatrixSymbol(name, d, d) for name in (r"\Sigma_{0}", r"\Delta", r"\Sigma"))
Sigma0_bal, Sigma0_unb = (sp.MatrixSymbol(name, d, d) for name in (r"\Sigma_{0}^{b}", r"\Sigma_{0}^{u}"))
I = sp.Identity(d)
R = sp.Rational

_ASSUMPTIONS = (
    "sparse LSA (eq. 3.8), W̃ = I, ŵ_0 = 0; OS loss ½‖ŵ_k − w*‖² averaged over B prompts (eq. 3.4)",
    "init Ṽ_0 = −Γ₀⁻¹, Γ₀ = (1 + 1/n₀)Σ₀ + tr(Σ₀)/n₀·I (eq. 3.7, pretraining.trained_preconditioner)",
    "OS and test prompts: n examples x ~ N(0, Σ), Σ = Σ₀ + Δ, w* ~ N(0, I); test with one CoT step (§1.8)",
    "Σ₀, Δ diagonal: GD stays on diagonal Ṽ (sign symmetry, os_claims docstring)")
_ONLINE = 64          # prompts per GD step of the simulated online OS (B → ∞ is the exact prediction)
_TEST_PROMPTS = 1000  # fresh test prompts per trained model (each with the d basis tasks: the exact average over w*)


def _run_entries(Sigma_, V_init, n_, k_, step, steps) -> list[sp.Expr]:
    args = (Sigma_, V_init, n_, k_, step, steps)
    return [os_claims.PopulationOSFinished(*args), os_claims.PopulationOSPostTest(*args)]


# --- synergy:claim-latent-capability -------------------------------------------------------------------------------

_LC = dict(Sigma0_balanced=sp.eye(2), Sigma0_unbalanced=sp.diag(1, R(1, 10)), Delta=sp.diag(0, 1), n0=50, n=20, k=2,
           steps=40)


def _lc_step_symbol(Sigma0_: sp.Basic) -> sp.Expr:
    top = outcome.PopulationOSHessianTop(outcome.PretrainedInit(Sigma0_, n0), Sigma0_ + Delta, n, k)
    return 1 / sp.ceiling(top)


def _latent_capability(Sigma0_balanced, Sigma0_unbalanced, Delta, n0, n, k, steps) -> sp.Matrix:
    """[finished, Err after T steps] for the balanced then the unbalanced init, each at its step 1/⌈λ_max(H)⌉."""
    covariances, Delta, lengths, k, steps = os_claims.validated_setting(
        {"Sigma0_balanced": Sigma0_balanced, "Sigma0_unbalanced": Sigma0_unbalanced}, Delta, {"n0": n0, "n": n},
        k, steps)
    Sigma0_balanced, Sigma0_unbalanced = covariances.values()
    n0, n = lengths["n0"], lengths["n"]
    values = []
    for S0 in (Sigma0_balanced, Sigma0_unbalanced):
        Sigma_ = sp.Matrix(S0) + sp.Matrix(Delta)
        step = os_claims.stability_step(S0, Delta, n0, n, k)
        V0 = sp.diag(*os_claims.pretrained_init(S0, n0))
        values += [e.doit() for e in _run_entries(Sigma_, V0, n, k, step, steps)]
    return sp.Matrix(values)


def _lc_arm(which: int) -> OSArm:
    S0 = (_LC["Sigma0_balanced"], _LC["Sigma0_unbalanced"])[which]
    step = os_claims.stability_step(S0, _LC["Delta"], _LC["n0"], _LC["n"], _LC["k"])
    return OSArm(S0 + _LC["Delta"], sp.diag(*os_claims.pretrained_init(S0, _LC["n0"])), _LC["n"], _ONLINE, _LC["k"],
                 float(step), _LC["steps"], fresh=True)


def _lc_alike() -> sp.Matrix:
    """The control: the unbalanced run ends as close to its own B → ∞ optimum as the balanced one does."""
    finished_b, error_b, _, _ = _latent_capability(**_LC)
    optima = [os_claims.post_test_error(list(os_claims.trained_preconditioner(S0 + _LC["Delta"], _LC["n"]).diagonal()),
                                        S0 + _LC["Delta"], _LC["n"])
              for S0 in (_LC["Sigma0_balanced"], _LC["Sigma0_unbalanced"])]
    return sp.Matrix([finished_b, error_b, 1, optima[1] + error_b - optima[0]]).evalf(30)


claim_latent_capability = Record(
    id="synergy:claim-latent-capability",
    kind="claim",
    title="balanced pretraining leaves a latent capability that outcome supervision can use",
    source=Source("2603.01293", "§7 and Insight 4", remark="informal; formalised as in the theory note §1.9 [R]"),
    convention=JAVANMARD,
    assumptions=_ASSUMPTIONS + (
        "the same shift Δ for both pretraining choices; each trained with the step its own landscape tolerates, "
        "η = 1/⌈λ_max(∇²L_OS)⌉ at its init (half the linear-stability bound 2/λ_max, §6)",
        "'finished' = no loss above 10⁸ × the initial one (the simulator's divergence criterion)"),
    parameters=(Parameter("Sigma0_balanced", "balanced pretraining covariance Σ₀", symbol=Sigma0_bal),
                Parameter("Sigma0_unbalanced", "pretraining covariance small where Δ lives", symbol=Sigma0_unb),
                Parameter("Delta", "the post-test shift Δ (the same for both)", symbol=Delta),
                Parameter("n0", "pretraining prompt length", symbol=n0), Parameter("n", "OS prompt length", symbol=n),
                Parameter("k", "OS CoT steps", symbol=k), Parameter("steps", "GD steps T", symbol=T)),
    statement=lambda: [
        Equation(sp.Matrix([f(which) for which in (b, u) for f in (finite, Err)]),
                 sp.Matrix(_run_entries(Sigma0_bal + Delta, outcome.PretrainedInit(Sigma0_bal, n0), n, k,
                                        _lc_step_symbol(Sigma0_bal), T)
                           + _run_entries(Sigma0_unb + Delta, outcome.PretrainedInit(Sigma0_unb, n0), n, k,
                                          _lc_step_symbol(Sigma0_unb), T))),
        Equation(sp.Matrix([SpectralRadius(sp.MatrixSymbol(f"M_{{0,{which}}}", d, d)) for which in "bu"]),
                 sp.Matrix([SpectralRadius(I + outcome.PretrainedInit(S0, n0) * (S0 + Delta))
                            for S0 in (Sigma0_bal, Sigma0_unb)]))],
    evaluator=_latent_capability,
    proof=(
        "As in §6–7, a capability is latent when outcome supervision from Ṽ_0 = −Γ₀⁻¹ starts at a transition M₀ = I − "
        "Γ₀⁻¹Σ with ρ(M₀) < 1 (synergy:claim-os-cases). With Δ = diag(0, 1) and n₀ = 50, the balanced Σ₀ = I gives "
        "ρ(M₀) = 47/53; Σ₀ = diag(1, 1/10), small where Δ lives, gives 7.87, close to the App. B block value |α₁| = "
        "(1 − κ)/(ρ + κ) at ρ = 1/10. The curvature at the init differs accordingly (λ_max = 57.8 against 854.6 at n "
        "= 20, k = 2; synergy:claim-os-sharpness), and each model is trained with the step its own landscape "
        "tolerates, 1/⌈λ_max⌉. Population gradient descent on the exact loss (synergy:os-population-loss) for 40 "
        "steps brings the balanced model to a post-test error of 0.280, next to its optimum 0.278, but the unbalanced "
        "one only to 2.36 (optimum 0.261, start 73.5). The small step forced by the sharp start makes the rest of the "
        "path crawl: for n → ∞ the k = 2 loss is ½m⁴ per direction (m the transition entry), so m falls like "
        "t^{−1/2}. The claim thus holds as a statement about progress at a fixed training budget; both runs stay "
        "finite."),
    uses=("base:gamma-star", "synergy:claim-os-cases", "synergy:claim-os-sharpness", "synergy:os-population-loss",
          "synergy:prop-5.1"),
    derivation=(
        "At −Γ₀⁻¹ the population OS transition on Σ = Σ₀ + Δ is M₀ = I − Γ₀⁻¹Σ (outcome.pretrained_transition). "
        "Δ = diag(0, 1), n₀ = 50: balanced Σ₀ = I gives ρ(M₀) = 47/53 = 0.887 < 1; Σ₀ = diag(1, 1/10) (the 0.1-variance "
        "block where Δ lives) gives ρ(M₀) = 7.87, the App. B block value α₁ = (κ − 1)/(ρ + κ) with ρ = 1/10 and "
        "κ → tr(Σ₀)/n₀ (exactly 1 − (ρ + 1)/((1 + 1/n₀)ρ + κ) at finite n₀), ≈ −1/(ρ + κ). The exact population OS "
        "Hessian (n = 20, k = 2) has λ_max = 57.78 (balanced) and 854.6 (unbalanced), so the steps are 1/58 and 1/855. "
        "Population GD (os_claims.population_gd: exact finite-n loss as a polynomial on the diagonal, 30 digits) "
        "for T = 40 steps reaches Err = 0.2802 from the balanced init (its B → ∞ optimum −Γ_n⁻¹ has 0.2778; start "
        "1.413) and only 2.355 from the unbalanced one (optimum 0.2612; start 73.54): the step the sharp init "
        "tolerates makes the rest of the path crawl (the loss is quartic, ½m⁴ per direction, so m ~ t^{−1/2}). "
        "Check: online OS on the real layer (64 fresh prompts per step, backprop through the appended columns), "
        "Err from 1000 fresh test prompts per trained model, averaged exactly over w* (the d basis tasks). The "
        "finite batch leaves a remainder against the B → ∞ prediction: +0.00208 ± 0.00013 (balanced) and "
        "+0.00003 ± 0.0033 (unbalanced) over 6000 models, +0.0021 ± 0.0001 and +0.0035 ± 0.0020 over 16 000 at "
        "--precision high, declared as the check's bias."),
    check=MonteCarloCheck(
        quantity=OSPostTestError((partial(_lc_arm, 0), partial(_lc_arm, 1)), test_prompts=_TEST_PROMPTS),
        expected=lambda: _latent_capability(**_LC),
        control=NegativeControl("the two pretraining choices behave alike: the unbalanced run also ends within the "
                                "balanced run's excess of its own optimum", expected=_lc_alike),
        tolerance=0.15,
        samples=160 * 2 * _ONLINE * 40,   # 160 trained models per arm
        bias=0.003,   # online OS at B = 64 lies above population GD: +0.00208 ± 0.00013 (balanced arm, derivation)
    ),
)

# --- synergy:claim-os-longer-k-hurts -------------------------------------------------------------------------------

_KH = dict(Sigma0=sp.eye(2), Delta=sp.diag(0, 2), n0=50, n=20, step=R(1, 20), steps=40)
_KH_BATCH = 512       # online batch: the constant-step SGD noise of the k = 1 arm is O(η/B)
_KH_KS = (1, 2, 3)
_KH_TEST_PROMPTS = 4000


def _longer_k(Sigma0, Delta, n0, n, k, step, steps) -> sp.Matrix:
    """[finished, Err after T population GD steps on the k-step OS loss] from −Γ₀⁻¹."""
    covariances, Delta, lengths, k, steps = os_claims.validated_setting({"Sigma0": Sigma0}, Delta, {"n0": n0, "n": n}, k, steps)
    Sigma0, n0, n, step = covariances["Sigma0"], lengths["n0"], lengths["n"], os_claims.gd_step(step)
    Sigma_ = sp.Matrix(Sigma0) + sp.Matrix(Delta)
    V0 = sp.diag(*os_claims.pretrained_init(Sigma0, n0))
    return sp.Matrix([e.doit() for e in _run_entries(Sigma_, V0, n, k, step, steps)])


def _kh_values(same_as_first: bool = False) -> sp.Matrix:
    values = [_longer_k(k=k_, **_KH) for k_ in _KH_KS]
    return sp.Matrix.vstack(*([values[0]] * len(values) if same_as_first else values))


def _kh_arm(k_: int) -> OSArm:
    S0 = _KH["Sigma0"]
    return OSArm(S0 + _KH["Delta"], sp.diag(*os_claims.pretrained_init(S0, _KH["n0"])), _KH["n"], _KH_BATCH, k_,
                 float(_KH["step"]), _KH["steps"], fresh=True)


claim_os_longer_k_hurts = Record(
    id="synergy:claim-os-longer-k-hurts",
    kind="claim",
    title="longer outcome-supervised CoT hurts (at a fixed GD step)",
    source=Source("2603.01293", "§8, Figs 3f and 4f; §6 (6.1)", remark="empirical in the paper; here exact for the "
                  "linear model, holding only in part of the parameter space"),
    convention=JAVANMARD,
    assumptions=_ASSUMPTIONS + ("GD with a fixed step η for T steps on the k-step OS loss, k the only change",),
    parameters=(Parameter("Sigma0", "pretraining covariance Σ₀", symbol=Sigma0),
                Parameter("Delta", "post-test shift Δ", symbol=Delta),
                Parameter("n0", "pretraining prompt length", symbol=n0), Parameter("n", "OS prompt length", symbol=n),
                Parameter("k", "OS CoT steps", symbol=k), Parameter("step", "GD step η", symbol=eta),
                Parameter("steps", "GD steps T", symbol=T)),
    statement=lambda: Equation(sp.Matrix([finite(k), Err(k)]),
                               sp.Matrix(_run_entries(Sigma0 + Delta, outcome.PretrainedInit(Sigma0, n0), n, k, eta,
                                                      T))),
    evaluator=_longer_k,
    proof=(
        "Train Ṽ from −Γ₀⁻¹ by gradient descent with one step η for T steps on the k-step OS loss and post-test with "
        "one step (synergy:prop-5.1); only k changes, and two effects of k compete. The curvature at the init grows "
        "like k²ρ(M₀)^{2k−2}, faster at finite n (synergy:claim-os-sharpness): with Σ₀ = I, Δ = diag(0, 2) (ρ(M₀) = "
        "1.83) and η = 1/20, ηλ_max = 0.50, 20.7, 591 for k = 1, 2, 3, so k = 1 converges (Err 0.305) and k ≥ 2 "
        "diverges within two steps. When ρ(M₀) < 1 and training converges, longer k hurts slightly, because the "
        "k-step optimum is not the one-step optimum the test needs (Err 0.2627, 0.2642, 0.2702 at ρ = 0.18). But the "
        "gradient (synergy:os-gradient) scales like kρ^{2k−1}, which grows with k for ρ near 1, so with a small step "
        "and an unconverged run longer k helps (η = 1/100, ρ = 0.42: 0.311, 0.280, 0.268). The reproduction of Figs "
        "3f/4f is therefore partial: it holds where the step is large relative to the k-step sharpness or training "
        "has converged."),
    uses=("synergy:claim-os-sharpness", "synergy:os-gradient", "synergy:os-population-loss", "synergy:prop-5.1"),
    derivation=(
        "Population GD (os_claims.population_gd) on the exact finite-n OS loss ½E‖(I + ṼŜ)^k‖²_F from −Γ₀⁻¹, then the "
        "one-step post-test error. Check setting Σ₀ = I, Δ = diag(0, 2) (ρ(M₀) = 97/53 = 1.83), n₀ = 50, n = 20, "
        "η = 1/20, T = 40: Err = 0.3046 at k = 1 (ηλ_max(H) = 0.50 at the init); k = 2 diverges at step 2 "
        "(ηλ_max = 20.7) and k = 3 at step 1 (ηλ_max = 591; the sharpness grows like k²ρ^{2k−2} and more at "
        "finite n). Over the map (δ = 1/4, 1/2, 1, 3/2, 2, 3, i.e. ρ(M₀) = 0.18, 0.42, 0.89, 1.36, 1.83, 2.77; "
        "η = 1/20 and 1/100; T = 40; k = 1..3; figure synergy-outcome and its CSV) longer k "
        "hurts at η = 1/20 for every δ: slightly when ρ(M₀) < 1 (ρ = 0.18: Err 0.2627, 0.2642, 0.2702, the k-step "
        "optimum is not the one-step one; ρ = 0.89: 0.2779, 0.2814, k = 3 diverges) and by divergence of every k ≥ 2 "
        "once ρ(M₀) > 1; at η = 1/100 (training not converged in T steps) "
        "longer k HELPS when ρ(M₀) < 1 (ρ = 0.42: 0.311, 0.280, 0.268, the gradient k ρ^{2k−1} grows with k for ρ "
        "near 1) and k = 2 still helps at ρ = 1.36 (0.305, 0.298; k = 3 diverges); it hurts from ρ = 1.83 on "
        "(0.315, 0.327, k = 3 diverges). The linear model reproduces Fig 3f/4f only where the "
        "step is large relative to the k-step sharpness or training has converged. Near the stability edge the "
        "finite-B runs diverge at random (at ρ = 0.89, η = 1/20, 64 prompts per step: k = 3 escapes divergence in "
        "6 % of runs; at ρ = 0.42, η = 1/10 it diverges in 23 % although the B → ∞ run converges), so the check "
        "sits away from it. Check: online OS on the real layer (512 fresh prompts per step) at k = 1, 2, 3, Err "
        "from 4000 fresh test prompts per trained model, averaged exactly over w* (the d basis tasks; the spread "
        "between trained models is negligible at B = 512, so test prompts buy the precision). The finite batch "
        "leaves a remainder against the B → ∞ prediction: +0.00056 ± 0.00008 at k = 1 over 2000 models (+0.0005 ± "
        "0.00005 over 4000 at --precision high), declared as the check's bias."),
    check=MonteCarloCheck(
        quantity=OSPostTestError(tuple(partial(_kh_arm, k_) for k_ in _KH_KS), test_prompts=_KH_TEST_PROMPTS),
        expected=_kh_values,
        control=NegativeControl("k does not matter: every k ends like k = 1", expected=partial(_kh_values, True)),
        tolerance=0.02,
        samples=30 * 3 * _KH_BATCH * 40,   # 30 trained models per k
        bias=0.001,   # online OS at B = 512 lies above population GD: +0.00056 ± 0.00008 at k = 1 (derivation)
    ),
)

# --- synergy:claim-os-data -----------------------------------------------------------------------------------------

_DATA_SIGMA = sp.diag(1, 2)                  # Σ₀ = I plus Δ = diag(0, 1)
_DATA_ARMS = ((20, 32), (20, 64), (20, 128), (10, 64), (40, 64))   # (n, B)
_DATA_STEP, _DATA_STEPS, _DATA_N0 = R(1, 7), 90, 50


def _os_data(Sigma, n, B) -> sp.Expr:
    """E Err(Ṽ_B) = Err(Ṽ_∞) + c/B + O(B⁻²) (k = 1 OS solution on B prompts of n examples, test length n)."""
    covariances, _, lengths, _, _ = os_claims.validated_setting({"Sigma": Sigma}, sp.zeros(*exact_matrix(Sigma, "Sigma").shape),
                                             {"n": n}, 1, 0)
    Sigma, n = covariances["Sigma"], lengths["n"]
    if B is not sp.oo:
        B = prompt_length(B, "B")
        if not B.is_Integer:
            raise InputError(f"B must be a number of prompts (or sympy.oo), got {B}")
    V_infinity = outcome.PretrainedInit(Sigma, n).doit()
    limit = ExpectedSquaredError(V_infinity, sp.Matrix(Sigma), n, 1).doit()
    return limit if B is sp.oo else limit + os_claims.finite_b_coefficient(Sigma, n) / B


def _data_values(infinite_B: bool = False) -> sp.Matrix:
    values = []
    for n_, B_ in _DATA_ARMS:
        values += [1, _os_data(_DATA_SIGMA, n_, sp.oo if infinite_B else B_)]
    return sp.Matrix(values)


def _data_arm(n_: int, B_: int) -> OSArm:
    V0 = sp.diag(*os_claims.pretrained_init(sp.eye(2), _DATA_N0))
    return OSArm(_DATA_SIGMA, V0, n_, B_, 1, float(_DATA_STEP), _DATA_STEPS)


claim_os_data = Record(
    id="synergy:claim-os-data",
    kind="claim",
    title="outcome supervision improves with more prompts B and longer prompts n",
    source=Source("2603.01293", "§8, Figs 3d,e and 4d,e", remark="empirical in the paper (no closed form, §4 row 11); "
                  "here the k = 1 OS solution's exact B → ∞ error and 1/B coefficient"),
    convention=JAVANMARD,
    assumptions=_ASSUMPTIONS + (
        "k = 1 during OS (convex: GD converges to the least-squares solution Ṽ_B for B ≥ d); test length = n",
        "an asymptotic statement: exact up to O(B⁻²)"),
    parameters=(Parameter("Sigma", "OS and test covariance Σ = Σ₀ + Δ", symbol=Sigma),
                Parameter("n", "OS (and test) prompt length", symbol=n),
                Parameter("B", "number of OS prompts", symbol=B)),
    statement=lambda: Equation(Expectation(Err(B)),
                               ExpectedSquaredError(outcome.PretrainedInit(Sigma, n), Sigma, n, 1)
                               + os_claims.FiniteBCoefficient(Sigma, n) / B),
    evaluator=_os_data,
    proof=(
        "With k = 1 the OS loss on B prompts is 1/(2B)‖Ω + ṼΦ‖²_F (synergy:prop-6.1), a convex quadratic whose "
        "least-squares minimiser Ṽ_B = −ΩΦᵀ(ΦΦᵀ)⁻¹ gradient descent reaches. As B → ∞, ΩΦᵀ/B → E[Ŝ] = Σ and ΦΦᵀ/B → "
        "E[Ŝ²] = ΣΓ_n (base:wishart-second-moment), so Ṽ_B → −Γ_n⁻¹, the pretraining solution on Σ at length n "
        "(base:gamma-star). With test length n the post-test error is twice the population loss, stationary at "
        "−Γ_n⁻¹, so the second-order expansion of this M-estimator gives E Err(Ṽ_B) = Err(−Γ_n⁻¹) + c/B + O(B⁻²), c = "
        "tr(H⁻¹C) > 0 with H the Hessian and C the covariance of one prompt's gradient. Both terms fall with n: for Σ "
        "= diag(1, 2), Err(−Γ_n⁻¹) = d − tr(Γ_n⁻¹Σ) (base:pretraining-min-error) = 0.486, 0.278, 0.150 and c = 2.22, "
        "1.21, 0.63 at n = 10, 20, 40. Hence the error falls with B and n, as in Figs 3d, e. With the test length "
        "held fixed and only n varied, Err(−Γ_n⁻¹) is smallest at n = test length, so the n-trend then holds only "
        "while c/B dominates."),
    uses=("synergy:prop-6.1", "base:wishart-second-moment", "base:gamma-star", "base:pretraining-min-error",
          "synergy:prop-5.1"),
    derivation=(
        "k = 1: L = 1/(2B)‖Ω + ṼΦ‖²_F, an M-estimator of Ṽ_∞ = −Γ_n⁻¹ (the pretraining condition, eq. 3.7, on Σ at "
        "length n). With test length n, Err = 2L_pop, ∇Err(Ṽ_∞) = 0, so E Err(Ṽ_B) = Err(Ṽ_∞) + tr(H⁻¹C)/B + O(B⁻²), "
        "H = I ⊗ E[Ŝ²] = I ⊗ ΣΓ_n, C = E[vec g vec gᵀ] of g = (I + ṼŜ)w*w*ᵀŜ at Ṽ_∞ (Isserlis in w*, Wick engine "
        "in Ŝ, degree 4; os_claims.finite_b_coefficient). Σ = diag(1, 2): Err(Ṽ_∞) = 17/35 = 0.4857, 5/18 = 0.2778, "
        "28/187 = 0.1497 and c = 2.218, 1.205, 0.627 at n = 10, 20, 40: both fall with n, and c > 0, so the error "
        "falls with B and n (Figs 3d, e). Not in the linear model: with the test length m fixed and n varied, "
        "Err(Ṽ_∞) is smallest at n = m (the B → ∞ solution −Γ_n⁻¹ is tuned to n), so the n-trend holds there only "
        "while the c(n)/B term dominates. Check: GD (η = 1/7, 90 steps, from −Γ₀⁻¹) on B fixed prompts of the real "
        "layer (a run whose loss rises is unstable on its data set, η λ_max > 2, and counts as unfinished: about 2 "
        "in 10⁴ at n = 10, B = 64, one of which had ended at Err ≈ 1.3·10³), Err from 1000 fresh test prompts averaged exactly over w* (the d basis tasks), at (n, B) = (20, 32), "
        "(20, 64), (20, 128), (10, 64), (40, 64). The O(B⁻²) remainder, measured at --precision high (12 000 models "
        "per arm): −0.0014 ± 0.0003 at B = 32, −0.0007 ± 0.0002 at B = 64, declared as the check's bias."),
    check=MonteCarloCheck(
        quantity=OSPostTestError(tuple(partial(_data_arm, n_, B_) for n_, B_ in _DATA_ARMS),
                                 test_prompts=_TEST_PROMPTS),
        expected=_data_values,
        control=NegativeControl("no dependence on B: every arm at its B → ∞ error Err(Ṽ_∞)",
                                expected=partial(_data_values, True)),
        tolerance=0.016,   # the control lies 0.038 away (B = 32): the house wants more than bias + twice the tolerance
        bias=0.003,        # the O(B⁻²) remainder: −0.0014 ± 0.0003 at B = 32, −0.0007 ± 0.0002 at B = 64 (derivation)
        samples=120 * sum(B_ for _, B_ in _DATA_ARMS),   # 120 trained models per arm
    ),
)

RECORDS = [claim_latent_capability, claim_os_longer_k_hurts, claim_os_data]
