"""The Front-Loading Reasoning findings (Akter et al., arXiv 2510.03264) tested in the linear model of arXiv 2603.01293:
ids ``frontload:claim-*``. The synergy paper claims its linear theory explains them; each record states the mapping,
runs the three-stage pipeline on the simulated layer (pretrain on Σ₀ → SFT or outcome supervision → post-test on
Σ₀ + Δ) and gives the linear model's verdict, "not reproduced" included.

Shared mapping (the one the synergy paper itself uses, §1.9 of the theory note): the post-test distribution is
N(0, Σ), Σ = Σ_b + Δ; range(Δ) = U are the REASONING directions (the capability the post-test asks for). A model's
pretraining data is N(0, Σ₀) and all of pretraining is Ṽ_0 = −Γ₀⁻¹ (eq. 3.7). "Reasoning data in pretraining" =
variance of Σ₀ on U (π in Σ₀ = Σ_b + πΔ); "diversity" = the number of test directions a covariance covers (its rank
on U and on U⊥); "scale" = variance mass (pretraining, whose prompt count is infinite in the theory) or the number of
prompts B (SFT); "quality" of SFT data = alignment of A with U at the scale the SFT targets need, the paper's rule
A ≈ η(P_UΣ₀P_U + Δ) (§5.1): low quality = off-target (U⊥) or mis-scaled variance; "RL" = outcome supervision (eq.
3.4, the paper's stand-in). The mechanism behind findings 1 to 5 is one exact identity
(derivations.frontload): after SFT, Ṽ* = N + Ṽ_0(I − Π) with Π = ΦΦ† the span of the SFT data, and the
pretraining advantage is Adv(Π) = Err(−Γ_b⁻¹(I − Π)) − Err(−Γ_r⁻¹(I − Π)), exactly, at any finite B.
"""

from __future__ import annotations

from functools import partial

import sympy as sp

from derivations import frontload as fl
from derivations import os_claims, outcome
from derivations.convention import JAVANMARD
from derivations.notation import Equation, Expectation
from derivations.pretraining import gamma_closed_form, trained_preconditioner
from derivations.records.synergy_sft import post_test_statement
from derivations.registry import MonteCarloCheck, NegativeControl, Parameter, Record, Source
from derivations.sft import allocation_rule
from derivations.validation import exact_matrix
from verify.frontload_experiments import PipelineContrast
from verify.os_experiments import OSArm, OSPostTestError

d = sp.Symbol("d", positive=True, integer=True)      # the dimension symbol of synergy_sft.post_test_statement
n, n0, n_test, k, T = sp.symbols("n n_0 n_test k T", positive=True, integer=True)
eta = sp.Symbol(r"\eta", positive=True)
Sigma = sp.MatrixSymbol(r"\Sigma", d, d)
Pi = sp.MatrixSymbol(r"\Pi", d, d)
I = sp.Identity(d)
R = sp.Rational
finite, Err = sp.Function("finite"), sp.Function("Err")

_PAPER = "2510.03264"

# --- the shared setting: d = 6, reasoning directions U = coordinates 0..3 -----------------------------------------

_D, _M = 6, 4
_N = 20                                   # n₀ = n (SFT) = n_test
_ETA = R(1, 2)
_K = 1                                    # supervised CoT steps (Ṽ* does not depend on k, Remark 4.1)
_TEST_PROMPTS = 1000
_CONTRAST_TEST_PROMPTS = 250              # per run, shared by all models and arms (PipelineContrast)


def _diag(on_u, off_u=(1, 1)) -> sp.Matrix:
    values = list(on_u) if isinstance(on_u, (list, tuple)) else [on_u] * _M
    return sp.diag(*values, *off_u)


_DELTA = _diag(1, (0, 0))
_BASE = _diag(R(1, 4))                    # baseline pretraining: reasoning directions rare (variance 1/4)
_SIGMA = _BASE + _DELTA                   # post-test Σ = Σ_b + Δ; also the fully reasoning-pretrained Σ₀ (π = 1)
_HALF = _BASE + _DELTA / 2                # the weaker reasoning-pretrained model (π = 1/2)
_A_HQ = allocation_rule(_BASE, _DELTA, _ETA)          # η(P_UΣ_bP_U + Δ) = 5/8 on U: the paper's high-quality rule


def _init(Sigma0: sp.Matrix):
    return partial(trained_preconditioner, Sigma0, _N)


def _covered(count: int) -> sp.Matrix:
    return fl.covered_projector(_D, range(count))


def _advantage(Sigma0_base, Sigma0_reason, n0, Sigma, n_test, Pi):
    return fl.advantage_after_sft(Sigma0_base, Sigma0_reason, n0, Sigma, n_test, Pi)


def _advantages(models, projectors) -> sp.Matrix:
    """Per SFT arm (its projector), per contrasted model: Adv(Π) of that model over models[0]."""
    return sp.Matrix([_advantage(models[0], m, _N, _SIGMA, _N, P) for P in projectors for m in models[1:]])


def _advantage_statement(base: sp.MatrixSymbol, reason: sp.MatrixSymbol):
    """Adv(Π) = Err(−Γ_b⁻¹(I − Π)) − Err(−Γ_r⁻¹(I − Π)) with Err of Prop. 5.1 and Γ of eq. 3.7, written out."""
    def error(S0):
        return post_test_statement(-sp.Inverse(gamma_closed_form(S0, n0)) * (I - Pi), Sigma, n_test)
    return error(base) - error(reason)


def _advantage_parameters(base: sp.MatrixSymbol, reason: sp.MatrixSymbol, base_text: str, reason_text: str,
                          pi_text: str) -> tuple[Parameter, ...]:
    return (Parameter("Sigma0_base", base_text, symbol=base), Parameter("Sigma0_reason", reason_text, symbol=reason),
            Parameter("n0", "pretraining prompt length n₀", symbol=n0),
            Parameter("Sigma", "post-test covariance Σ = Σ_b + Δ", symbol=Sigma),
            Parameter("n_test", "post-test prompt length", symbol=n_test),
            Parameter("Pi", pi_text, symbol=Pi))


_ASSUMPTIONS = (
    "pretraining = the population fixed point Ṽ_0 = −Γ₀⁻¹, Γ₀ = (1 + 1/n₀)Σ₀ + tr(Σ₀)/n₀·I (eq. 3.7)",
    "SFT = GD on the teacher-forced loss (eq. 3.5) over B prompts x ~ N(0, A), W̃ = I, from Ṽ_0, to convergence: "
    "Ṽ* = −ηΩΦ† + Ṽ_0(I − Π), Π = ΦΦ† (Thm 4.1); all models fine-tuned on the SAME prompts",
    "post-test: one layer step from ŵ_0 = 0 on N(0, Σ) prompts of n_test examples (Prop. 5.1)",
    "Σ commutes with Π (here: diagonal Σ, Σ₀'s and A, Σ scalar on range A), so the SFT estimate −ηΩΦ† cancels from "
    "the difference of two models (derivations.frontload docstring)",
    "setting: d = 6, U = range Δ = first 4 coordinates, Σ_b = diag(¼·1₄, 1, 1), Δ = diag(1₄, 0, 0), "
    "n₀ = n = n_test = 20, η = 1/2, k = 1")


def _contrast(models, arms) -> PipelineContrast:
    return PipelineContrast(inits=tuple(_init(m) for m in models), arms=tuple(arms), n=_N, eta=float(_ETA), k=_K,
                            Sigma_test=_SIGMA, n_test=_N, test_prompts=_CONTRAST_TEST_PROMPTS)


# --- finding 1: reasoning data in pretraining is critical; SFT does not close the gap ------------------------------

Sigma_b, Sigma_r = sp.MatrixSymbol(r"\Sigma_{0}^{b}", d, d), sp.MatrixSymbol(r"\Sigma_{0}^{r}", d, d)
_F1_MODELS = (_BASE, _SIGMA, _HALF)
_F1_B = (0, 1, 2, 8)                      # covered dimension min(B, 4) = 0, 1, 2, 4


def _f1_expected(closed: bool = False) -> sp.Matrix:
    values = _advantages(_F1_MODELS, [_covered(min(B, _M)) for B in _F1_B])
    if closed:   # SFT closes the gap: no advantage left after any SFT
        values = sp.Matrix(list(values[:2]) + [0] * (len(values) - 2))
    return values


claim_reasoning_pretraining = Record(
    id="frontload:claim-reasoning-pretraining",
    kind="claim",
    title="reasoning data in pretraining is critical and SFT does not close the gap — only while SFT leaves "
          "reasoning directions uncovered",
    source=Source(_PAPER, "Finding 1 (Akter et al.: +19% over a baseline pretrained without reasoning data; doubling "
                  "the baseline's SFT gains 7.39% and stays below the weakest reasoning-pretrained model)",
                  remark="empirical for LLMs; tested in the linear model of 2603.01293"),
    convention=JAVANMARD,
    assumptions=_ASSUMPTIONS + (
        "mapping: 'reasoning data in pretraining' = variance on U in Σ₀ = Σ_b + πΔ (π = 0 baseline, ½ weak, 1 "
        "strong); SFT data = the paper's high-quality rule A = η(P_UΣ_bP_U + Δ) (on U, rank 4); 'more SFT' = larger "
        "B: this is the natural mapping because U is exactly what the post-test adds to the pretraining distribution",),
    parameters=_advantage_parameters(Sigma_b, Sigma_r, "baseline pretraining covariance Σ_b (little variance on U)",
                                     "reasoning-pretrained covariance Σ_b + πΔ",
                                     "projector onto the directions the SFT data span (rank min(B, rank A))"),
    statement=lambda: Equation(sp.Function("Adv")(Pi), _advantage_statement(Sigma_b, Sigma_r)),
    evaluator=_advantage,
    proof=(
        "After SFT, synergy:thm-4.1 gives Ṽ* = N + Ṽ_0(I − Π), with Π = ΦΦ† the span of the SFT data and N = −ηΩΦ† = "
        "NΠ the same for every pretrained Ṽ_0 = −Γ₀⁻¹. The post-test error of synergy:prop-5.1 is quadratic in Ṽ, and "
        "its bilinear terms between NΠ and X(I − Π) are traces of NΠΣ^p(I − Π)Xᵀ, which vanish when Σ commutes with "
        "Π. So Err(N + X) = Err(N) + Err(X) − Err(0), and for two models fine-tuned on the same prompts the "
        "difference is Adv(Π) = Err(−Γ_b⁻¹(I − Π)) − Err(−Γ_r⁻¹(I − Π)), exactly and for every draw.\n\n"
        "With Σ and the Γ's diagonal and scalar on U, Adv depends on Π only through c = min(B, 4): Adv = Adv_⊥ + (4 − "
        "c)δ_U, with δ_U = 6.90 (π = 1) and 6.63 (π = ½) per uncovered reasoning direction and Adv_⊥ = 0.040, 0.031. "
        "So the gap survives SFT only while the SFT data leave reasoning directions uncovered (B < dim U); there the "
        "doubled baseline (B = 2) still trails the weak model at B = 1 (by 18.0 ± 0.5, simulated). Once SFT spans U "
        "the gap collapses to Adv_⊥, and to exactly 0 for full-rank SFT data with B ≥ d: the finding is reproduced "
        "only in the data-limited region."),
    uses=("synergy:thm-4.1", "synergy:prop-5.1", "base:gamma-star"),
    derivation=(
        "Exact (derivations.frontload): Ṽ* = N + Ṽ_0(I − Π) with N = −ηΩΦ† = NΠ; Err is quadratic and the cross "
        "term X(N, (Ṽ_b − Ṽ_r)(I − Π)) vanishes when ΣΠ = ΠΣ, so the advantage of the reasoning-pretrained model "
        "after SFT is Adv(Π) = Err(−Γ_b⁻¹(I − Π)) − Err(−Γ_r⁻¹(I − Π)) for EVERY draw of the SFT data; with Σ, Γ "
        "scalar on U it depends on Π only through c = min(B, 4): Adv = Adv_⊥ + (4 − c)·δ_U. Here (π = 1, then ½): "
        "δ_U = 6.904, 6.632 per uncovered reasoning direction; Adv_⊥ = 0.0397, 0.0312 (the U⊥ directions: the "
        "trace term tr(Σ₀)/n₀ of Γ₀ is matched to the test only by the reasoning-pretrained model). Before SFT "
        "Adv = 27.66, 26.56 (Err 29.22 baseline, 1.564 strong); after B = 1, 2, 8 SFT prompts 20.75/19.93, "
        "13.85/13.29, 0.040/0.031. Region (figure frontload, panel a): the finding holds while the SFT data leave part of U "
        "uncovered (B < dim U = 4, or A missing part of U). There, doubling the baseline's SFT from B = 1 to 2 "
        "removes one more direction of its deficit, and the doubled baseline still trails the WEAK (π = ½) model "
        "fine-tuned on B = 1: Err_b(B = 2) − Err_½(B = 1) = 18.0 ± 0.5 (simulated, 1200 runs; heavy-tailed, ≤ 0 in "
        "0.9 % of the runs; not exact, the two SFT estimates differ), as Akter et al. report. Once SFT spans U "
        "(B ≥ 4) the gap "
        "collapses to Adv_⊥ = 0.04 (2.5 % of the strong model's error), and with SFT data of full rank and B ≥ d it is "
        "exactly 0 (Π = I: Ṽ* does not depend on Ṽ_0; frontload:claim-naive-sft-scaling). So the linear model "
        "reproduces 'SFT does not close the gap' only in the data-limited region B < dim U; it predicts that "
        "enough SFT data covering the reasoning directions closes it. Check: three pretrained models fine-tuned on "
        "the same B prompts through the real layer, all tested on the same 250 fresh prompts per run (w* averaged "
        "exactly), B = 0, 1, 2, 8."),
    check=MonteCarloCheck(
        quantity=_contrast(_F1_MODELS, [(_A_HQ, B) for B in _F1_B]),
        expected=_f1_expected,
        control=NegativeControl("SFT closes the gap: no advantage left after any SFT (B ≥ 1)",
                                expected=partial(_f1_expected, True)),
        tolerance=1.5,
        samples=40 * (sum(_F1_B) + _CONTRAST_TEST_PROMPTS),
    ),
)


# --- finding 2: asymmetric allocation — pretraining gains from diversity -------------------------------------------

P_U = sp.MatrixSymbol("P_U", d, d)
c_cov = sp.Symbol("c", integer=True, nonnegative=True)
Sigma_alloc = sp.MatrixSymbol(r"\Sigma_{0}^{a}", d, d)
_DIVERSE = _diag(R(1, 2))                                        # +¼ on each of the 4 reasoning directions
_PAIR = _diag([R(3, 4), R(3, 4), R(1, 4), R(1, 4)])             # the same mass on 2 directions
_SINGLE = _diag([R(5, 4), R(1, 4), R(1, 4), R(1, 4)])           # the same mass on 1 direction (at the test scale)
_F2_MODELS = (_BASE, _DIVERSE, _SINGLE)          # _PAIR: exact values in the derivation only
_F2_B = (0, 1, 2)


def _expected_advantage(Sigma0_base, Sigma0_reason, n0, Sigma, n_test, P_U, c):
    return fl.expected_advantage_random_span(Sigma0_base, Sigma0_reason, n0, Sigma, n_test, P_U, c)


def _f2_expected(alike: bool = False) -> sp.Matrix:
    values = []
    for B in _F2_B:
        for model in _F2_MODELS[1:]:
            chosen = _DIVERSE if alike else model
            values.append(_expected_advantage(_BASE, chosen, _N, _SIGMA, _N, _covered(_M), min(B, _M)))
    return sp.Matrix(values)


def _expected_advantage_statement():
    def advantage(projector):
        return _advantage_statement(Sigma_b, Sigma_alloc).xreplace({Pi: projector})
    fraction = c_cov / sp.Trace(P_U)
    return (1 - fraction) * advantage(sp.ZeroMatrix(d, d)) + fraction * advantage(P_U)


claim_pretraining_diversity = Record(
    id="frontload:claim-pretraining-diversity",
    kind="claim",
    title="asymmetric allocation: at a fixed pretraining budget, diversity beats concentration, and SFT keeps the "
          "ranking; SFT's own share is set by its data alone",
    source=Source(_PAPER, "Finding 2 (Akter et al.: pretraining gains most from diversity and scale, +11%; SFT from "
                  "quality, +15%)", remark="empirical for LLMs; tested in the linear model of 2603.01293"),
    convention=JAVANMARD,
    assumptions=_ASSUMPTIONS + (
        "mapping: a fixed reasoning budget (added variance 1 on U) spread over 4 directions (diverse, σ₀ = ½ each), "
        "2 directions (¾) or 1 direction (5/4, the test scale: 'scale without diversity'); SFT data isotropic on U "
        "(A_HQ), so its span is a uniformly random rank-min(B, 4) subspace of U and the claim is about E_Π",),
    parameters=(Parameter("Sigma0_base", "baseline pretraining covariance Σ_b", symbol=Sigma_b),
                Parameter("Sigma0_reason", "pretraining covariance with the reasoning budget allocated",
                          symbol=Sigma_alloc),
                Parameter("n0", "pretraining prompt length n₀", symbol=n0),
                Parameter("Sigma", "post-test covariance Σ (scalar on U)", symbol=Sigma),
                Parameter("n_test", "post-test prompt length", symbol=n_test),
                Parameter("P_U", "projector onto the reasoning directions U", symbol=P_U),
                Parameter("c", "dimension of the SFT span, min(B, rank A)", symbol=c_cov)),
    statement=lambda: Equation(Expectation(sp.Function("Adv")(Pi)), _expected_advantage_statement()),
    evaluator=_expected_advantage,
    proof=(
        "By frontload:claim-reasoning-pretraining the advantage after SFT is Adv(Π) = Err(−Γ_b⁻¹(I − Π)) − "
        "Err(−Γ_a⁻¹(I − Π)). With Σ scalar on U and commuting with Π, every term of Adv is affine in Π (Π² = Π), and "
        "the span of isotropic SFT data on U is a uniformly random rank-c subspace with mean projector (c/m)P_U, so E "
        "Adv = (1 − c/m)Adv(0) + (c/m)Adv(P_U) for any pretrained Γ's. Before SFT the gain on one direction is "
        "concave in its pretraining variance (the first ¼ removes most of the overshoot of −Γ₀⁻¹), so a fixed budget "
        "spread over all four reasoning directions beats concentrating it: Adv = 22.6, against 16.8 on two directions "
        "and 12.4 on one. SFT keeps the fraction 1 − c/4 of each U-advantage and an equal U⊥ part, so the ranking "
        "survives (16.96, 12.61, 9.34 at B = 1). The SFT side holds only as a structural fact: on its span the SFT "
        "solution −ηΩΦ† ignores pretraining, so its value is set by the alignment and scale of A "
        "(synergy:claim-allocation), and its count B buys coverage only up to rank A. Pretraining 'scale' as a data "
        "count, and the percentages, have no counterpart in the model."),
    uses=("frontload:claim-reasoning-pretraining", "synergy:thm-4.1", "synergy:prop-5.1", "synergy:claim-allocation"),
    derivation=(
        "derivations.frontload.expected_advantage_random_span: with Σ scalar on U every Err term of Adv(Π) is affine "
        "in Π (Π² = Π and ΣΠ = ΠΣ), and a Haar-random rank-c Π in U has mean (c/m)P_U, so "
        "E Adv = (1 − c/m)Adv(0) + (c/m)Adv(P_U) for ANY pretrained Γ's (tests: the average over a rational "
        "orthonormal basis of U equals it). Pretraining side, reproduced: at the same budget the diverse allocation "
        "has Adv = 22.61 before SFT, against 16.81 (2 directions) and 12.44 (1 direction at the test scale), because "
        "the per-direction gain is concave in σ₀ (the first ¼ of variance removes most of the −Γ₀⁻¹ overshoot); after "
        "B = 1, 2 SFT prompts each keeps the fraction (1 − B/4) of its U-advantage: 16.96/12.61/9.34, then "
        "11.31/8.41/6.23 — the ranking survives SFT, and the U⊥ part (0.019, equal traces) is the same for all. "
        "SFT side, reproduced as a structural fact, not as an effect size: on its span the SFT solution −ηΩΦ† does "
        "not depend on the pretrained model, so what SFT adds is fixed by its data — its alignment and scale "
        "(quality; synergy:claim-allocation, exact at B → ∞) — while its quantity B buys coverage only up to rank A "
        "(frontload:claim-naive-sft-scaling). Not in the model: pretraining 'scale' as a data count (the theory's "
        "pretraining is the population limit), and the percentages. Check: the four models fine-tuned on the same B "
        "prompts through the real layer, all tested on the same 250 fresh prompts per run (w* averaged exactly), "
        "averaged over the random SFT spans; "
        "columns per B = 0, 1, 2: Adv of diverse, single."),
    check=MonteCarloCheck(
        quantity=_contrast(_F2_MODELS, [(_A_HQ, B) for B in _F2_B]),
        expected=_f2_expected,
        control=NegativeControl("allocation does not matter: every allocation of the budget is worth the diverse one",
                                expected=partial(_f2_expected, True)),
        tolerance=2.0,     # the random SFT span spreads the concentrated model's advantage (sd ≈ 1.5 per run)
        samples=80 * (sum(_F2_B) + _CONTRAST_TEST_PROMPTS),
    ),
)


# --- finding 3: latent effect of high-quality pretraining data ----------------------------------------------------

Sigma_mix, Sigma_hq = sp.MatrixSymbol(r"\Sigma_{0}^{mix}", d, d), sp.MatrixSymbol(r"\Sigma_{0}^{hq}", d, d)
_MIX = _diag([R(3, 4), R(3, 4), R(1, 4), R(1, 4)])       # reasoning mix: easy directions 0, 1 well covered
_ADDED = _MIX + _DELTA / 2                              # HQ data ADDED on all of U
_SHIFTED = _diag([R(1, 4), R(1, 4), R(3, 4), R(3, 4)])  # HQ data at a fixed budget: mass moved to the hard 2, 3
_A_EASY = _diag([R(5, 8), R(5, 8), 0, 0], (0, 0))       # the SFT set covers the easy reasoning directions
_F3_MODELS = (_MIX, _ADDED, _SHIFTED)
_F3_B = (0, 4)                                          # B = 4 ≥ rank A = 2: Π = projector on the easy directions


def _f3_expected(unchanged: bool = False) -> sp.Matrix:
    projectors = [_covered(0), _covered(0) if unchanged else _covered(2)]
    return _advantages(_F3_MODELS, projectors)


claim_latent_effect = Record(
    id="frontload:claim-latent-effect",
    kind="claim",
    title="latent effect: high-quality pretraining data shows its gain only after SFT — only when it costs on the "
          "directions SFT covers",
    source=Source(_PAPER, "Finding 3 (Akter et al.: high-quality data added to pretraining, little immediate gain, "
                  "+4% after SFT)", remark="empirical for LLMs; tested in the linear model of 2603.01293"),
    convention=JAVANMARD,
    assumptions=_ASSUMPTIONS + (
        "mapping: a reasoning mix Σ_mix = diag(¾, ¾, ¼, ¼, 1, 1) (easy reasoning directions 0, 1 well covered, hard "
        "ones 2, 3 rare); high-quality data (a) ADDED on all of U (Σ_mix + Δ/2, more reasoning mass), or (b) at a "
        "fixed token budget, mass moved to the hard directions (diag(¼, ¼, ¾, ¾, 1, 1), same trace); 'immediate' = "
        "the pretrained model's post-test error, 'after SFT' = after SFT on the easy directions "
        "(A = diag(⅝, ⅝, 0, 0, 0, 0), B = 4 ≥ rank A, so Π = e₀e₀ᵀ + e₁e₁ᵀ exactly)",),
    parameters=_advantage_parameters(Sigma_mix, Sigma_hq, "pretraining without the high-quality data",
                                     "pretraining with the high-quality data",
                                     "projector onto the SFT-covered directions (0: before SFT)"),
    statement=lambda: Equation(sp.Function("Adv")(Pi), _advantage_statement(Sigma_mix, Sigma_hq)),
    evaluator=_advantage,
    proof=(
        "Use the identity of frontload:claim-reasoning-pretraining. Here Σ, both Σ₀'s and the SFT span Π = e₀e₀ᵀ + "
        "e₁e₁ᵀ are diagonal, so the post-test error separates over coordinates and Adv(Π) sums the per-direction "
        "advantages over the directions Π leaves uncovered; on a covered direction both models carry the same SFT "
        "solution. Hence Adv(before) − Adv(after SFT) is the advantage on the covered directions: SFT can only erase "
        "a per-direction advantage, and a latent effect (after > before) occurs iff the high-quality data cost "
        "performance on the directions SFT will cover. (a) Data added on all of U help every direction (0.351 on each "
        "easy, 4.851 on each hard one): Adv = 10.42 before, 9.72 after, no latent effect. (b) A fixed budget moved "
        "from the easy to the hard directions permutes the variances on U, where the test is isotropic: Adv = 0 "
        "before (−4.710 on each easy, +4.710 on each hard direction) and 9.42 after SFT repairs the easy ones. So the "
        "finding is reproduced in the budget reading (b), not in the natural reading (a) of Akter et al."),
    uses=("frontload:claim-reasoning-pretraining", "synergy:thm-4.1", "synergy:prop-5.1"),
    derivation=(
        "Adv(Π) of frontload:claim-reasoning-pretraining; Err separates over coordinates (frontload."
        "direction_errors), so Adv(before) − Adv(after SFT) = the advantage on the covered directions: SFT can only "
        "ERASE a per-direction advantage, never create one. The latent effect (after > before) therefore happens "
        "iff the high-quality data cost performance on the directions the SFT data later cover. (a) HQ data added "
        "(the natural reading of Akter et al.): advantage 10.42 before SFT, 9.72 after (per direction 0.351 on each "
        "easy, 4.851 on each hard, 0.0093 on each U⊥ direction): NOT reproduced, the gain shrinks by the easy part. (b) same budget, mass moved to the hard "
        "directions: Adv = 0 before SFT exactly (the two covariances are a permutation of each other on U, and the "
        "test is isotropic there; per direction −4.710 easy, +4.710 hard) and 9.42 after (the easy-direction loss is repaired by SFT, the hard-direction "
        "gain stays): reproduced. Map (figure frontload, panel b): sign of Adv(after) − Adv(before) = minus the "
        "advantage on the covered directions, over the fraction of budget moved and the covered set. Check: the "
        "three models fine-tuned on the same B = 4 prompts through the real layer, all tested on the same 250 fresh "
        "prompts per run (w* averaged exactly); columns [Adv_a, Adv_b] before SFT, then after."),
    check=MonteCarloCheck(
        quantity=_contrast(_F3_MODELS, [(_A_EASY, B) for B in _F3_B]),
        expected=_f3_expected,
        control=NegativeControl("SFT leaves the pretraining advantage unchanged (after = before)",
                                expected=partial(_f3_expected, True)),
        tolerance=1.0,
        samples=40 * (sum(_F3_B) + _CONTRAST_TEST_PROMPTS),
    ),
)


# --- finding 4: naive SFT scaling harms; a small high-quality set helps --------------------------------------------

_R_LOW = R(1, 4)
_A_LQ = _A_HQ + _diag(0, (_R_LOW, _R_LOW))             # diverse: adds off-target U⊥ variance r ≪ η, mis-scaled
_F4_MODELS = (_BASE, _SIGMA)
_F4_ARMS = ((_A_HQ, 2), (_A_HQ, 8), (_A_LQ, 12))


def _f4_expected(kept: bool = False) -> sp.Matrix:
    projectors = [_covered(2), _covered(4), _covered(2) if kept else sp.eye(_D)]
    return _advantages(_F4_MODELS, projectors)


claim_naive_sft_scaling = Record(
    id="frontload:claim-naive-sft-scaling",
    kind="claim",
    title="large, diverse, lower-quality SFT data washes out the pretraining advantage and degrades the error",
    source=Source(_PAPER, "Finding 4 (Akter et al.: naive SFT scaling with large, diverse, lower-quality data "
                  "degrades and washes out the pretraining advantage; a small high-quality long-CoT set helps)",
                  remark="empirical for LLMs; tested in the linear model of 2603.01293 (§5.2, Insight 2)"),
    convention=JAVANMARD,
    assumptions=_ASSUMPTIONS + (
        "mapping: high quality = the rule A_HQ = η(P_UΣ_bP_U + Δ) (on U only); large, diverse, lower quality = "
        "A_LQ = A_HQ + r·P_U⊥ with r = 1/4 (every direction covered, the U⊥ part at half the scale η·σ = 1/2 the SFT "
        "targets need) and B = 12 ≥ d; small = B < dim U",),
    parameters=_advantage_parameters(Sigma_b, Sigma_r, "baseline pretraining covariance Σ_b",
                                     "reasoning-pretrained covariance Σ_b + Δ",
                                     "projector onto the directions the SFT data span (I for full-rank A, B ≥ d)"),
    statement=lambda: Equation(sp.Function("Adv")(Pi), _advantage_statement(Sigma_b, Sigma_r)),
    evaluator=_advantage,
    proof=(
        "Wash-out is exact: if A has full rank and B ≥ d, then Π = ΦΦ† = I almost surely and the minimiser of "
        "synergy:thm-4.1 is −ηΩΦ†, which does not involve Ṽ_0; two pretrained models fine-tuned on the same prompts "
        "end identical and Adv = 0 for every draw (frontload:claim-reasoning-pretraining; the small high-quality sets "
        "keep 13.85 at B = 2 and 0.040 at B = 8). Degradation is read from the population limit (synergy:prop-4.3 "
        "with synergy:prop-5.1): A = A_HQ + rP_U⊥ gives on U⊥ the block −η/((1 + 1/n)r + tr(A)/n), an over-long step "
        "when r ≪ η·σ. The error is 13.06, 5.25, 2.26, 1.56, 1.86 at r = 1/20, 1/8, 1/4, 1/2, 1, against 1.56 for the "
        "reasoning-pretrained model before SFT: diverse data help only near r = η·σ = 1/2, where A = ηΣ is the "
        "test-matched allocation (synergy:claim-allocation), and degrade the error for r ≪ η. The other half holds in "
        "part: a small high-quality set helps the baseline (29.2 → 21.0 ± 1.7 at B = 2, simulated) but hurts the "
        "already test-optimal reasoning-pretrained model (1.56 → 7.2 ± 1.9) through the interpolation noise of −ηΩΦ†."),
    uses=("synergy:thm-4.1", "synergy:prop-4.3", "synergy:prop-5.1", "frontload:claim-reasoning-pretraining",
          "synergy:claim-allocation"),
    derivation=(
        "Wash-out, exact: with A of full rank and B ≥ d, Π = I and Ṽ* = −ηΩΦ† does not depend on Ṽ_0 at all, so "
        "Adv = 0 for every draw (columns: A_HQ with B = 2 keeps Adv = 13.85; B = 8 keeps Adv_⊥ = 0.040; A_LQ with "
        "B = 12: 0). Degradation (B → ∞, exact: Prop. 4.3 + 5.1, sft.post_test_error, identical for both models "
        "when A has full rank): Err(Ṽ_∞(A_HQ + rP_U⊥)) = 13.06, 5.249, 2.261, 1.564, 1.864 at r = 1/20, 1/8, 1/4, 1/2, "
        "1, (A_LQ of the check: 2.261) against 1.576 (A_HQ, reasoning-pretrained), 1.616 (A_HQ, baseline) and the reasoning-pretrained model "
        "before SFT 1.564: diverse data helps only at r ≈ η·σ = 1/2 (A = ηΣ, the test-matched allocation) and "
        "degrades for r ≪ η (the U⊥ block becomes −η/((1 + 1/n)r + tr A/n), an over-long step). At finite B the "
        "double-descent peak at B = rank A adds to it (§5.2): simulated in the figure. 'A small high-quality set "
        "gives consistent gains' (simulated, 40 runs, mean ± SE): reproduced for the baseline (Err 29.2 → 21.0 ± 1.7 "
        "at B = 2, → 1.94 ± 0.02 at B = 48) but NOT for the reasoning-pretrained model (1.558 → 7.2 ± 1.9 at B = 2: "
        "the min-norm interpolation noise −ηΩΦ† on the covered directions; 1.90 ± 0.02 at B = 48 and 1.576 at "
        "B → ∞: a small loss, because it is already test-optimal). Check: both models fine-tuned on the same prompts through the real layer, tested on "
        "the same 250 fresh prompts per run (w* averaged exactly); columns = Adv for (A_HQ, B = 2), (A_HQ, 8), "
        "(A_LQ, 12)."),
    check=MonteCarloCheck(
        quantity=_contrast(_F4_MODELS, _F4_ARMS),
        expected=_f4_expected,
        control=NegativeControl("the diverse set keeps the advantage as the small high-quality set does",
                                expected=partial(_f4_expected, True)),
        tolerance=1.5,
        samples=40 * (sum(B for _, B in _F4_ARMS) + _CONTRAST_TEST_PROMPTS),
        bias=1e-9,         # GD stops at updates < 1e-12: at B = 12 (Π = I, exact Adv 0) the two models' endpoints still
                           # differ, Adv = 2.47e-11 ± 0.05e-11 at --precision high, resolved by the shared test prompts
    ),
)


# --- finding 5: redundancy — the same high-quality data in pretraining and SFT ----------------------------------

Sigma_red = sp.MatrixSymbol(r"\Sigma_{0}^{red}", d, d)
_REDUNDANT = _BASE + _A_HQ                              # the SFT distribution also seen in pretraining
_F5_MODELS = (_BASE, _REDUNDANT)
_F5_B = (0, 2, 8)


def _f5_expected(consolidated: bool = False) -> sp.Matrix:
    projectors = [_covered(0)] + [_covered(0) if consolidated else _covered(min(B, _M)) for B in _F5_B[1:]]
    return _advantages(_F5_MODELS, projectors)


claim_redundancy = Record(
    id="frontload:claim-redundancy",
    kind="claim",
    title="seeing the SFT data also in pretraining helps only on directions the SFT data do not span",
    source=Source(_PAPER, "Finding 5 (Akter et al.: the same high-quality data in pretraining and SFT consolidates "
                  "the skill)", remark="empirical for LLMs; tested in the linear model of 2603.01293"),
    convention=JAVANMARD,
    assumptions=_ASSUMPTIONS + (
        "mapping: SFT data A = A_HQ (5/8 on U); the redundant model pretrains on Σ_b + A (the SFT distribution mixed "
        "into pretraining), the other on Σ_b; both then SFT on the same B prompts from A",),
    parameters=_advantage_parameters(Sigma_b, Sigma_red, "pretraining without the SFT data",
                                     "pretraining that also contains the SFT distribution",
                                     "projector onto the directions the SFT data span"),
    statement=lambda: Equation(sp.Function("Adv")(Pi), _advantage_statement(Sigma_b, Sigma_red)),
    evaluator=_advantage,
    proof=(
        "Use the identity of frontload:claim-reasoning-pretraining, the redundant model pretrained on Σ_b + A (the "
        "SFT distribution mixed into pretraining). On the span of the SFT data the fine-tuned solution −ηΩΦ† is the "
        "same whatever was pretrained (synergy:thm-4.1), so pretraining on the SFT distribution cannot consolidate "
        "what SFT covers: the advantage after SFT lives only on the uncovered directions. With A = A_HQ (rank 4, on "
        "U) it is 27.19 before SFT, 13.61 after B = 2 (two uncovered directions, 6.79 each) and 0.035 after B = 8 "
        "(the U⊥ trace term only). 'Consolidation' is thus reproduced only as coverage, where the SFT sample was too "
        "small to span range A; no gain on the directions both stages saw is reproduced."),
    uses=("frontload:claim-reasoning-pretraining", "synergy:thm-4.1", "synergy:prop-5.1"),
    derivation=(
        "Adv(Π) of frontload:claim-reasoning-pretraining. On span(Φ) the SFT solution −ηΩΦ† is the same whatever "
        "was pretrained, so redundancy cannot consolidate what SFT covered: the redundant model's advantage is "
        "Adv = 27.19 before SFT, 13.61 after B = 2 (two of four directions uncovered, 6.788 each), and 0.0351 after B = 8 "
        "(Adv_⊥ only). 'Consolidation' is reproduced only as coverage: the pretrained copy of the SFT data acts "
        "where the SFT sample was too small to span range A (B < rank A); with B ≥ rank A it is worth the trace "
        "term alone. Not reproduced: any gain on the directions both stages saw. Check: both models fine-tuned on "
        "the same prompts through the real layer, all tested on the same 250 fresh prompts per run (w* averaged "
        "exactly), B = 0, 2, 8."),
    check=MonteCarloCheck(
        quantity=_contrast(_F5_MODELS, [(_A_HQ, B) for B in _F5_B]),
        expected=_f5_expected,
        control=NegativeControl("consolidation: the redundant model keeps its whole pretraining advantage after SFT",
                                expected=partial(_f5_expected, True)),
        tolerance=1.5,
        samples=40 * (sum(_F5_B) + _CONTRAST_TEST_PROMPTS),
    ),
)


# --- finding 6: the pretraining advantage through RL (outcome supervision) ------------------------------------------

_RL = dict(Sigma0_base=sp.diag(1, R(1, 4)), Sigma0_reason=sp.diag(1, R(5, 4)), n0=50, Sigma=sp.diag(1, R(5, 4)), n=20,
           step=R(1, 20))
_RL_RUNS = ((1, 10), (2, 40))           # (k, T): convex one-step OS, short; two-step OS at the recipe's step
_RL_BATCH = 256                          # prompts per online OS step


def _rl(Sigma0_base, Sigma0_reason, n0, Sigma, n, k, step, steps) -> sp.Matrix:
    """[finished, Err] after T population GD steps on the k-step OS loss, from −Γ_b⁻¹ then from −Γ_r⁻¹."""
    covariances, _, lengths, k, steps = os_claims.validated_setting(
        {"Sigma0_base": Sigma0_base, "Sigma0_reason": Sigma0_reason, "Sigma": Sigma},
        sp.zeros(*exact_matrix(Sigma, "Sigma").shape), {"n0": n0, "n": n}, k, steps)
    Sigma0_base, Sigma0_reason, Sigma = covariances.values()
    n0, n, step = lengths["n0"], lengths["n"], os_claims.gd_step(step)
    values = []
    for S0 in (Sigma0_base, Sigma0_reason):
        V0 = sp.diag(*os_claims.pretrained_init(S0, n0))
        values += [os_claims.PopulationOSFinished(Sigma, V0, n, k, step, steps).doit(),
                   os_claims.PopulationOSPostTest(Sigma, V0, n, k, step, steps).doit()]
    return sp.Matrix(values)


def _rl_expected(erased: bool = False) -> sp.Matrix:
    values = []
    for k_, T_ in _RL_RUNS:
        run = list(_rl(k=k_, steps=T_, **_RL))
        values += run[2:] * 2 if erased else run
    return sp.Matrix(values)


def _rl_arm(Sigma0_: sp.Matrix, k_: int, T_: int) -> OSArm:
    return OSArm(_RL["Sigma"], sp.diag(*os_claims.pretrained_init(Sigma0_, _RL["n0"])), _RL["n"], _RL_BATCH, k_,
                 float(_RL["step"]), T_, fresh=True)


Sigma0_rl_b, Sigma0_rl_r = sp.MatrixSymbol(r"\Sigma_{0}^{b}", d, d), sp.MatrixSymbol(r"\Sigma_{0}^{r}", d, d)

claim_rl_compounding = Record(
    id="frontload:claim-rl-compounding",
    kind="claim",
    title="the pretraining advantage through RL (outcome supervision): it shrinks, and survives only through "
          "instability or a short RL budget",
    source=Source(_PAPER, "Finding 6 (Akter et al.: the pretraining advantage compounds through RL; final accuracy "
                  "set by pretraining)", remark="empirical for LLMs; RL = outcome supervision (2603.01293 eq. 3.4)"),
    convention=JAVANMARD,
    assumptions=(
        "pretraining Ṽ_0 = −Γ₀⁻¹ (eq. 3.7); RL = GD on the k-step OS loss ½‖ŵ_k − w*‖² (eq. 3.4) with ONE recipe "
        "(step η, T steps) for both models, on prompts from the post-test Σ; post-test one step (§1.8)",
        "mapping: Σ = diag(1, 5/4), reasoning direction e₂; baseline Σ_b = diag(1, ¼), reasoning-pretrained "
        "Σ_r = Σ; n₀ = 50, n = 20, η = 1/20; 'final accuracy' = Err after T steps",
        "simulation: online OS on the real layer (256 fresh prompts per step, backprop through the appended "
        "columns), Err from 1000 fresh test prompts; exact: population GD (os_claims.population_gd)"),
    parameters=(Parameter("Sigma0_base", "baseline pretraining covariance", symbol=Sigma0_rl_b),
                Parameter("Sigma0_reason", "reasoning-pretrained covariance", symbol=Sigma0_rl_r),
                Parameter("n0", "pretraining prompt length", symbol=n0),
                Parameter("Sigma", "RL and post-test covariance Σ", symbol=Sigma),
                Parameter("n", "RL and test prompt length", symbol=n), Parameter("k", "OS CoT steps", symbol=k),
                Parameter("step", "GD step η", symbol=eta), Parameter("steps", "GD steps T", symbol=T)),
    statement=lambda: Equation(sp.Matrix([f(which) for which in (sp.Symbol("b"), sp.Symbol("r"))
                                          for f in (finite, Err)]),
                               sp.Matrix([f(Sigma, outcome.PretrainedInit(S0, n0), n, k, eta, T)
                                          for S0 in (Sigma0_rl_b, Sigma0_rl_r)
                                          for f in (os_claims.PopulationOSFinished, os_claims.PopulationOSPostTest)])),
    evaluator=_rl,
    proof=(
        "RL is outcome supervision: gradient descent with one recipe (step η, T steps) on the k-step OS loss, from "
        "each model's −Γ₀⁻¹. For k = 1 the population loss is the convex pretraining loss on Σ at length n, with the "
        "unique minimiser −Γ_n⁻¹ (base:gamma-star, synergy:claim-os-data), so both models converge to the same point "
        "and the advantage shrinks to nothing (Err 2.537 vs 0.266 after 10 steps, 0.271 vs 0.263 after 40, both "
        "0.26259 after 160). For k = 2 the baseline's transition at −Γ_b⁻¹ has ρ = 3.46 (reasoning model: 0.061), so "
        "its Hessian is about 116 times sharper (synergy:claim-os-sharpness, synergy:claim-os-cases). At the recipe's "
        "step η = 1/20, stable for the reasoning model, the baseline diverges at step 3 while the reasoning model "
        "ends at 0.265; at the baseline's own stable step 1/232 it trails (0.543 vs 0.269 after 40 steps) and then "
        "catches up (0.286 vs 0.263 after 160). So 'final accuracy set by pretraining' holds only through instability "
        "(ρ(Γ_b⁻¹Δ) ≫ 1, Case 2) or a short RL budget, and the advantage never grows in these runs: compounding is "
        "not reproduced."),
    uses=("base:gamma-star", "synergy:claim-os-data", "synergy:claim-os-sharpness", "synergy:claim-os-cases",
          "synergy:os-population-loss", "synergy:prop-5.1"),
    derivation=(
        "Population GD on the exact finite-n OS loss from each pretrained block (os_claims). Before RL: Err 14.94 "
        "(baseline) vs 0.2754 (reasoning). k = 1 (convex, one optimum −Γ_n⁻¹ on Σ): after T = 10 steps 2.537 vs "
        "0.2656, after T = 40 0.2711 vs 0.2627, after 160 both 0.26259: RL ERASES the advantage given enough steps "
        "— it does not compound. k = 2 at the recipe's step η = 1/20 (stable for the reasoning model: its OS "
        "transition has ρ(M₀) < 1): the baseline's transition at −Γ_b⁻¹ has ρ = 3.46 (reasoning: 0.061) and its OS Hessian is "
        "≈ 116× sharper (stability steps 1/232 vs 1/2), so its population run diverges at step 3 (loss above 10⁸ × the initial) while the reasoning model "
        "ends at 0.2648 — 'final accuracy set by pretraining' holds, through instability; at the baseline's own "
        "stable step 1/232 it trails (0.543 vs 0.269 after 40 steps) and converges (0.286 vs 0.263 after 160). "
        "Region: the finding holds where the RL recipe is too aggressive for the baseline's sharp landscape "
        "(ρ(Γ_b⁻¹Δ) ≫ 1, §6 'Case 2') or the RL budget T is short; the advantage never grows in absolute terms. "
        "Check columns: (k = 1, T = 10) [finished, Err] baseline, reasoning; then (k = 2, T = 40). The check runs "
        "online OS (256 fresh prompts per step) against population GD; the SGD remainder, measured at --precision "
        "high (10 000 runs), is +0.003 ± 0.002 (baseline, k = 1) and +0.00013 ± 0.00005 (reasoning, k = 2), "
        "declared as the check's bias 0.01."),
    check=MonteCarloCheck(
        quantity=OSPostTestError(tuple(partial(_rl_arm, S0, k_, T_) for k_, T_ in _RL_RUNS
                                       for S0 in (_RL["Sigma0_base"], _RL["Sigma0_reason"])),
                                 test_prompts=_TEST_PROMPTS),
        expected=_rl_expected,
        control=NegativeControl("RL erases the pretraining difference: the baseline ends like the reasoning model",
                                expected=partial(_rl_expected, True)),
        tolerance=0.15,
        bias=0.01,   # online SGD (B = 256 per step) against population GD: base k = 1 +0.0031 ± 0.0019 (--precision
                     # high), +0.0087 ± 0.0034 (3000 runs); reasoning k = 2 +0.00013 ± 0.00005 — the SE at high precision
                     # resolves it; the control lies 2.27 away
        samples=100 * _RL_BATCH * 2 * sum(T_ for _, T_ in _RL_RUNS),
    ),
)

RECORDS = [claim_reasoning_pretraining, claim_pretraining_diversity, claim_latent_effect, claim_naive_sft_scaling, claim_redundancy,
           claim_rl_compounding]


# --- the teaching page notes/frontload.md ---------------------------------------------------------------------------

_VERDICTS = (
    ("1", "Reasoning data in pretraining is critical (+19%); SFT does not close the gap (doubling the baseline's SFT "
          "gains 7.39% and stays below the weakest reasoning-pretrained model).",
     "frontload:claim-reasoning-pretraining",
     "**Reproduced in part.** After SFT the advantage lives exactly on the reasoning directions the SFT data did not "
     "span: Adv = Adv_⊥ + (4 − min(B, 4))·δ_U (27.7 → 20.8 → 13.8 at B = 0, 1, 2). While B < dim U the gap stays, and "
     "the doubled baseline trails even the weak reasoning model (by 18.0 ± 0.5, simulated). Once the SFT data span the "
     "reasoning directions the gap collapses to 0.04, and to exactly 0 for full-rank SFT data with B ≥ d."),
    ("2", "Asymmetric allocation: pretraining gains most from diversity and scale (+11%), SFT from quality (+15%).",
     "frontload:claim-pretraining-diversity",
     "**Pretraining side reproduced; SFT side as a structural fact.** Take one reasoning budget. Spread over 4 "
     "directions it is worth Adv = 22.6; on 2 directions, 16.8; on 1 direction at the test scale, 12.4. The "
     "per-direction gain is concave, and the ranking survives SFT on random spans. SFT's solution on its span "
     "ignores pretraining, so its value is set by the alignment and scale of A (quality: synergy:claim-allocation). "
     "Pretraining 'scale' as a data count, and the percentages, have no counterpart."),
    ("3", "Latent effect: high-quality data added to pretraining shows little immediate gain, +4% after SFT.",
     "frontload:claim-latent-effect",
     "**Not reproduced as Akter et al. describe it; reproduced in a budget reading.** Adv(before) − Adv(after) = "
     "the advantage on the SFT-covered directions, so SFT can only erase a per-direction advantage. Added "
     "high-quality data: 10.42 before, 9.72 after (the gain shrinks). Data that move a fixed budget from the "
     "directions SFT will cover to the ones it will not: exactly 0 before and 9.42 after, a latent effect."),
    ("4", "Naive SFT scaling with large, diverse, lower-quality data harms and washes out the pretraining advantage; "
          "a small high-quality set helps.",
     "frontload:claim-naive-sft-scaling",
     "**Wash-out reproduced exactly; harm reproduced where the diverse data are mis-scaled; 'small helps' only for "
     "the weak model.** With full-rank SFT data and B ≥ d the solution forgets the initialisation (Adv = 0). At "
     "B → ∞ the error is 13.1 / 2.26 / 1.56 / 1.86 at off-target variance r = 1/20, 1/4, 1/2 (= η·σ), 1, against "
     "1.56 before SFT. A small high-quality set helps the baseline (29.2 → 21.0 ± 1.7 at B = 2, simulated) but "
     "hurts the already test-optimal reasoning model (1.56 → 7.2 ± 1.9: interpolation noise)."),
    ("5", "Redundancy: the same high-quality data in pretraining and SFT consolidates the skill.",
     "frontload:claim-redundancy",
     "**Not reproduced beyond coverage.** On the span of the SFT data the solution is the same whatever was "
     "pretrained. Having seen the SFT distribution in pretraining helps only on the directions the SFT sample "
     "failed to span: 27.2 → 13.6 → 0.035 at B = 0, 2, 8."),
    ("6", "The pretraining advantage compounds through RL; final accuracy is set by pretraining.",
     "frontload:claim-rl-compounding",
     "**Compounding not reproduced; 'set by pretraining' reproduced through instability or a short RL budget.** "
     "One-step outcome supervision is convex and erases the gap (2.54 vs 0.27 after 10 steps, equal after 160). "
     "With two-step outcome supervision at a step tuned for the reasoning model, the baseline's sharp landscape "
     "(ρ(M₀) = 3.46) makes it diverge."),
)

_CANNOT_SAY = (
    "Anything about tokens, language or trace correctness. 'Quality' here is the covariance of the data (its "
    "alignment with the reasoning directions and its scale relative to η), not whether a chain of thought is right: "
    "the model has no label noise.",
    "Pretraining data counts. The theory's pretraining is the population fixed point −Γ₀⁻¹, so pretraining 'scale' "
    "is variance mass or the prompt length n₀, never a number of documents.",
    "Percentages. The errors are squared weight errors of one linear-attention layer, so the paper's +19%, +4% and "
    "+15% have no counterpart; only signs, regions and orders of magnitude carry over.",
    "Forgetting dynamics beyond gradient descent's implicit bias. SFT runs to the interpolating solution closest to "
    "the initialisation (Thm 4.1), with no early stopping, weight decay or learning-rate schedule. A regularised "
    "or early-stopped SFT would keep more of the pretrained block.",
    "RL as practised. Outcome supervision here is regression on the final answer: no sampling, no exploration, no "
    "reward model, no KL penalty.",
    "Settings where the test covariance does not commute with the span of the SFT data. The exact advantage "
    "identity needs that; otherwise the SFT estimate does not cancel and the advantage depends on the draw.",
)


def teaching_page() -> str:
    """notes/frontload.md: the six findings, the linear model's verdict on each, what the model cannot say."""
    lines = ["# Front-Loading Reasoning in the linear model", "",
             "Akter et al. (arXiv 2510.03264) report six findings on when reasoning data should enter large language "
             "models. The synergy paper (arXiv 2603.01293) claims that its linear theory explains them. This page "
             "tests that claim in the paper's three-stage pipeline, run on the simulated one-layer linear "
             "self-attention model:", "",
             "1. pretrain on N(0, Σ₀);",
             "2. fine-tune with SFT on B prompts from N(0, A), or with outcome supervision (the paper's stand-in "
             "for RL);",
             "3. post-test on N(0, Σ₀ + Δ).", "",
             "## The mapping", "",
             "- **Reasoning directions** U = range Δ: what the post-test adds to the pretraining distribution.",
             "- **Reasoning data in pretraining**: variance of Σ₀ on U.",
             "- **Diversity**: how many test directions a covariance covers.",
             "- **Scale**: variance mass for pretraining, and the number of prompts B for SFT.",
             "- **SFT quality**: alignment of A with U at the scale the SFT targets need, A ≈ η(P_UΣ₀P_U + Δ) "
             "(§5.1 of the synergy paper).",
             "- **RL**: outcome supervision (eq. 3.4).", "",
             "## The one fact behind findings 1 to 5", "",
             "After SFT, Ṽ* = −ηΩΦ† − Γ₀⁻¹(I − Π), where Π projects onto the directions the SFT prompts span "
             "(Thm 4.1). The first term is the same whatever was pretrained. When the test covariance commutes with "
             "Π, that term cancels exactly from the difference of two models fine-tuned on the same prompts. So "
             "**pretraining matters after SFT exactly on the directions the SFT data did not span**, and "
             "Adv(after) = Adv(before) − (the advantage on the covered directions), for every draw of the SFT data "
             "(`derivations/frontload.py`; tests prove the cancellation and that it fails without the commuting "
             "assumption).", "",
             "## The six findings and the verdicts", "",
             "| # | Finding (Akter et al.) | Record | Linear-model verdict |", "|---|---|---|---|"]
    for number, finding, record_id, verdict in _VERDICTS:
        lines.append(f"| {number} | {finding} | {f'`{record_id}`' if record_id else '—'} | {verdict} |")
    lines += ["", "Every record's check trains the real layer by gradient descent, several pretrained models on "
              "the same SFT prompts. It compares the measured advantages with the exact ones and rejects a "
              "negative control. The figure `icl-theory figures frontload` maps the regions: panel (a) shows "
              "finding 1 against B; (b) the three budget allocations of finding 2; (c) the latent-effect phase map; "
              "(d) the post-SFT error against the off-target scale r; (e) the redundant model of finding 5; (f) the "
              "outcome-supervision trajectories.", "",
              "## What the linear model cannot say", ""]
    lines += [f"- {item}" for item in _CANNOT_SAY]
    lines += ["", "## Reproduce", "", "```", "icl-theory verify 'frontload:*'", "icl-theory figures frontload", "```",
              ""]
    return "\n".join(lines)


NOTES_PAGES = {"frontload.md": teaching_page}
