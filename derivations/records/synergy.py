"""Results of "Theoretical Perspectives on Data Quality and Synergistic Effects in Pre- and Post-Training Reasoning
Models" (arXiv 2603.01293): ids ``synergy:*``."""

from __future__ import annotations

import sympy as sp

from derivations import pretraining
from derivations.convention import JAVANMARD
from derivations.notation import Equation, Expectation, ExpectedSquaredError, FrobeniusNormSquared
from derivations.registry import MonteCarloCheck, NegativeControl, Parameter, Record, Source
from derivations.validation import exact_covariance, exact_matrix, prompt_length
from derivations.weight_error import frobenius_error, one_step_error
from verify.quantities import CotWeightError, SampleCovarianceFrobenius

d, n = sp.symbols("d n", positive=True, integer=True)
Sigma = sp.MatrixSymbol(r"\Sigma", d, d)
A = sp.MatrixSymbol("A", d, d)
V = sp.MatrixSymbol(r"\tilde{V}", d, d)
S_hat = sp.MatrixSymbol("S", d, d)   # the sample covariance XXᵀ/n (the paper's Σ̂)
I = sp.Identity(d)
R = sp.Rational


def post_test_statement(M: sp.MatrixExpr, coefficient: int = 1) -> sp.Expr:
    """‖I + MΣ‖²_F + (tr(MΣ²Mᵀ) + c·tr(MΣMᵀ) tr Σ)/n: Lemma A.1 with c = 1 (c = 2 is the proof's typo)."""
    return FrobeniusNormSquared(I + M * Sigma) + (
        sp.Trace(M * Sigma ** 2 * M.T) + coefficient * sp.Trace(M * Sigma * M.T) * sp.Trace(Sigma)) / n


def _statement_value(M_value, Sigma_value, n_value, coefficient: int = 1, M_symbol=A) -> sp.Expr:
    """The statement's right-hand side evaluated on explicit matrices (for negative controls)."""
    from derivations.notation import substitute

    expr = post_test_statement(M_symbol, coefficient).xreplace({n: n_value})
    return substitute(expr, {M_symbol: M_value, Sigma: Sigma_value}, d, Sigma_value.rows)


# --- synergy:lem-A.1 ---------------------------------------------------------------------------------------------

_A1_A = sp.Matrix([[-1, R(1, 2), 0], [0, R(-4, 5), R(1, 5)], [R(3, 10), 0, R(-3, 5)]])
_A1_SIGMA = sp.Matrix([[1, R(1, 4), 0], [R(1, 4), 1, 0], [0, 0, R(1, 2)]])
_A1_N = 5


def _lemma_a1(A, Sigma, n):
    return frobenius_error(exact_matrix(A, "A"), exact_covariance(Sigma), prompt_length(n))


lemma_a1 = Record(
    id="synergy:lem-A.1",
    kind="lemma",
    title="expected squared Frobenius norm of I + A Σ̂",
    source=Source("2603.01293", "Lemma A.1"),
    convention=JAVANMARD,
    assumptions=("x_1..x_n i.i.d. N(0, Σ)", "Σ̂ = (1/n) Σ x_i x_iᵀ", "A any fixed d×d matrix"),
    parameters=(Parameter("A", "fixed d×d matrix", symbol=A), Parameter("Sigma", "covariance Σ", symbol=Sigma),
                Parameter("n", "samples", symbol=n)),
    statement=lambda: Equation(Expectation(FrobeniusNormSquared(I + A * S_hat), S_hat, Sigma, n),
                               post_test_statement(A)),
    evaluator=_lemma_a1,
    proof=(
        "Expand the square (S is symmetric): ‖I + AS‖²_F = tr((I + AS)(I + SAᵀ)) = d + 2tr(AS) + tr(AS²Aᵀ). "
        "Take expectations: E[S] = Σ, and the Wishart second moment with B = I gives E[S²] = (1 + 1/n)Σ² + "
        "tr(Σ)Σ/n. So E‖I + AS‖²_F = d + 2tr(AΣ) + tr(AΣ²Aᵀ) + (tr(AΣ²Aᵀ) + tr(AΣAᵀ)tr Σ)/n, and the first three "
        "terms are ‖I + AΣ‖²_F. (The printed proof's coefficient 2 on the tr Σ term, and its sign of tr(AΣ), are "
        "typos.)"),
    uses=("base:wishart-second-moment",),
    derivation=("SPoly (I + AS)(I + AS)ᵀ, expectation by the Wick engine: d + 2tr(AΣ) + tr(A E[S²] Aᵀ) with "
                "E[S²] = (1 + 1/n)Σ² + tr(Σ)Σ/n. The tests prove it equal to the statement for a general symbolic "
                "2×2 A and Σ, and unequal to the proof's coefficient-2 line."),
    check=MonteCarloCheck(
        quantity=SampleCovarianceFrobenius(A=_A1_A, Sigma=_A1_SIGMA, m=_A1_N),
        expected=lambda: _lemma_a1(_A1_A, _A1_SIGMA, _A1_N),
        control=NegativeControl("the proof's last line: coefficient 2 on the tr(AΣAᵀ) tr Σ term",
                                expected=lambda: _statement_value(_A1_A, _A1_SIGMA, _A1_N, coefficient=2)),
        tolerance=0.05,
    ),
    errata=("The last line of the printed proof has a factor 2 on the tr(AΣAᵀ)trΣ term and the sign −2E tr(AΣ); "
            "the statement (factor 1, +2 tr(AΣ) inside ‖I + AΣ‖²_F) is right, and the check rejects the factor 2.",),
)

# --- synergy:prop-5.1 --------------------------------------------------------------------------------------------

_P51_SIGMA0 = sp.diag(1, R(1, 2), R(1, 2))        # pretraining covariance Σ₀
_P51_DELTA = sp.diag(0, 1, 0)                      # low-rank adaptation shift Δ
_P51_N0 = 20                                       # pretraining prompt length
_P51_N = 5                                         # test prompt length


def _p51_setting() -> dict:
    """The evaluate() parameters of the check: the pretrained Ṽ = −Γ₀⁻¹ tested on Σ₀ + Δ with n = 5 examples."""
    V_pre = pretraining.trained_preconditioner(_P51_SIGMA0, _P51_N0)
    return {"Sigma": _P51_SIGMA0 + _P51_DELTA, "n": _P51_N, "V_tilde": V_pre}


def _prop_51(V_tilde, Sigma, n):
    return one_step_error(exact_matrix(V_tilde, "V_tilde"), exact_covariance(Sigma), prompt_length(n))


prop_51 = Record(
    id="synergy:prop-5.1",
    kind="proposition",
    title="post-test error of a one-step LSA with W̃ = I",
    source=Source("2603.01293", "Proposition 5.1", "5.1"),
    convention=JAVANMARD,
    assumptions=("test prompts: n examples x ~ N(0, Σ), w* ~ N(0, I_d), no noise",
                 "one LSA step from ŵ_0 = 0 with W̃ = I and a fixed Ṽ (e.g. the pretrained −Γ₀⁻¹)",
                 "the 1/n is the TEST prompt length (the statement writes m for it)"),
    parameters=(Parameter("V_tilde", "the LSA block Ṽ", symbol=V), Parameter("Sigma", "test covariance Σ", symbol=Sigma),
                Parameter("n", "test prompt length", symbol=n)),
    statement=lambda: Equation(ExpectedSquaredError(V, Sigma, n, 1), post_test_statement(V)),
    evaluator=_prop_51,
    proof=(
        "With ŵ_0 = 0 and W̃ = I one CoT step gives ŵ_1 = −ṼSw* (base:lsa-cot-step), so ŵ_1 − w* = −(I + ṼS)w*. "
        "Averaging over w* ~ N(0, I_d) turns the squared norm into E‖I + ṼS‖²_F, with S the sample covariance of "
        "the n examples from N(0, Σ). Lemma A.1 with A = Ṽ evaluates this expectation, which is the statement."),
    uses=("base:lsa-cot-step", "synergy:lem-A.1"),
    derivation=("The one-step error of the LSA from the derived recursion (ŵ − w* = −(I + ṼS)w*), integrated by "
                "the Wick engine; identical to Lemma A.1 with A = Ṽ (a property test checks this)."),
    check=MonteCarloCheck(
        quantity=CotWeightError.single(_P51_SIGMA0 + _P51_DELTA, _P51_N,
                                       lambda: pretraining.trained_preconditioner(_P51_SIGMA0, _P51_N0),
                                       task_average=True),
        expected=lambda: _prop_51(**_p51_setting()),
        control=NegativeControl("the pretraining length n₀ = 20 in the 1/n term instead of the test length 5",
                                expected=lambda: _statement_value(_p51_setting()["V_tilde"], _p51_setting()["Sigma"],
                                                                  _P51_N0, M_symbol=V)),
        tolerance=0.15,
        samples=280_000,
    ),
    errata=("The statement names the test prompt length m but the formula uses n; the simulation supports the test "
            "length in the 1/n term (the control with the pretraining length is rejected).",),
)

RECORDS = [lemma_a1, prop_51]
