"""Results both papers take from earlier work (Huang–Wang–Lee 2025, Zhang–Frei–Bartlett 2024): ids ``base:*``."""

from __future__ import annotations

import sympy as sp

from derivations import lsa, moments, pretraining
from derivations.convention import HUANG_WANG_LEE, JAVANMARD
from derivations.notation import Equation, Expectation, ExpectedSquaredError, Minimum, RegularisedCovariance
from derivations.registry import (DeterministicCheck, MonteCarloCheck, NegativeControl, Parameter, Record,
                                  Source)
from derivations.validation import exact_covariance, exact_matrix, prompt_length
from verify.quantities import CotWeightError, RandomCotRollout, SampleCovarianceSandwich, TrainingGradient

d, n = sp.symbols("d n", positive=True, integer=True)
Sigma = sp.MatrixSymbol(r"\Sigma", d, d)
B = sp.MatrixSymbol("B", d, d)
S_hat = sp.MatrixSymbol("S", d, d)   # the sample covariance XXᵀ/n (one name across the house)
V_tilde = sp.MatrixSymbol(r"\tilde{V}", d, d)
Gamma = RegularisedCovariance(Sigma, n)
half, quarter = sp.Rational(1, 2), sp.Rational(1, 4)

# --- base:lsa-cot-step -------------------------------------------------------------------------------------------


def _step_on_instance(instance, sign: int = 1):
    """Iterate the derived step k times on float instance data (S = X Xᵀ/n), sign −1 flips Ṽ (the control)."""
    X = sp.Matrix(instance["X"])
    S = X * X.T / X.cols
    V_t, W_t = sign * sp.Matrix(instance["V_tilde"]), sp.Matrix(instance["W_tilde"])
    w_star, w = sp.Matrix(instance["w_star"]), sp.Matrix(instance["w0"])
    steps = []
    for _ in range(instance["k"]):
        w = lsa.cot_step(w, w_star, V_t, W_t, S)
        steps.append([float(v) for v in w])
    return steps


def _cot_step_evaluate(V_tilde, W_tilde, S, w_star, w_hat):
    return lsa.cot_step(exact_matrix(w_hat, "w_hat"), exact_matrix(w_star, "w_star"), exact_matrix(V_tilde, "V_tilde"),
                        exact_matrix(W_tilde, "W_tilde"), exact_matrix(S, "S")).applyfunc(sp.expand)


lsa_cot_step = Record(
    id="base:lsa-cot-step",
    kind="lemma",
    title="one CoT step of the sparse LSA is a preconditioned GD step",
    source=Source("2603.01293", "App. A.1", "A.1", "layout eq. 3.2-3.3, sparsity eq. 3.8"),
    also_from=(Source("2502.21212", "Huang-Wang-Lee, CoT recursion"),),
    convention=JAVANMARD,
    assumptions=("V, W have the sparsity of eq. 3.8 (V31 = Ṽ, W13 = W̃, W24 = -1)",
                 "noiseless labels y = Xᵀw*", "attention scale 1/n, n = number of examples"),
    parameters=(Parameter("V_tilde", "d×d block V31", symbol=lsa.V_tilde),
                Parameter("W_tilde", "d×d block W13", symbol=lsa.W_tilde),
                Parameter("S", "sample covariance X Xᵀ/n", symbol=lsa.S),
                Parameter("w_star", "task vector", symbol=lsa.w_star),
                Parameter("w_hat", "current estimate ŵ_i", symbol=lsa.w_hat)),
    statement=lambda: Equation(sp.MatrixSymbol(r"\hat{w}_{i+1}", lsa.d, 1), lsa.derive_cot_step().w_next),
    evaluator=_cot_step_evaluate,
    proof=(
        "Write Z_i with row blocks (x, y, w, 1): the example columns (x_j; y_j; 0; 0), the earlier CoT columns, "
        "and the last column (0; 0; ŵ_i; 1). With the sparse V the w-row of VZ is Ṽ times the x-row, which is X "
        "on the example columns and 0 elsewhere. The entries of ZᵀWZ that pair an example column j with the last "
        "column are x_jᵀW̃ŵ_i − y_j (the −1 is W[y, 1]), and y_j = x_jᵀw*, so this column of ZᵀWZ is Xᵀ(W̃ŵ_i − "
        "w*). Multiplying, the w entry of the new last column is ŵ_i + ṼXXᵀ(W̃ŵ_i − w*)/n = ŵ_i + ṼS(W̃ŵ_i − w*), "
        "while its x and y entries stay 0 and its last entry 1. The appended column has the same form, so the "
        "step repeats."),
    derivation=("derivations.lsa.derive_cot_step builds Z_i (row blocks d,1,d,1; column blocks n, i, 1) and the sparse "
                "V, W as SymPy BlockMatrix objects with symbolic d, n, i, multiplies f(Z) = Z + VZ(ZᵀWZ)/n with "
                "block_collapse, reads the last column block by block (x and y blocks 0, last entry 1) and rewrites "
                "X Xᵀ = nS in the w block. cot_step evaluates that derived expression; nothing is typed in."),
    check=DeterministicCheck(
        quantity=RandomCotRollout(d=3, m=5, k=4),
        expected=_step_on_instance,
        control=NegativeControl("the V block with the opposite sign (ŵ_{i+1} = ŵ_i − ṼS(W̃ŵ_i − w*))",
                                expected=lambda instance: _step_on_instance(instance, sign=-1)),
    ),
)

# --- base:wishart-second-moment ----------------------------------------------------------------------------------

_SBS_SIGMA = sp.Matrix([[1, half], [half, 2]])
_SBS_B = sp.Matrix([[1, 2], [-1, 0]])
_SBS_N = 3


def _sbs_printed(B_, Sigma_, n_):
    """Lemma A.2 as printed: (n−1)/n ΣBΣ + (2ΣBΣ + tr(ΣB)Σ)/n, right only for symmetric B."""
    return (n_ - 1) / sp.Integer(n_) * Sigma_ * B_ * Sigma_ + (2 * Sigma_ * B_ * Sigma_ + (Sigma_ * B_).trace() * Sigma_) / n_


def _sbs_evaluate(B, Sigma, n):
    return moments.expected_SBS(exact_matrix(B, "B"), exact_covariance(Sigma), prompt_length(n))


wishart_second_moment = Record(
    id="base:wishart-second-moment",
    kind="lemma",
    title="second moment of the sample covariance sandwiching a fixed matrix",
    source=Source("2510.03605", "Lemma A.2", remark="as cited in 2603.01293 App. A; ZFB 2024 proof of Thm 4.2"),
    convention=JAVANMARD,
    assumptions=("x_1..x_n i.i.d. N(0, Σ)", "Ŝ = (1/n) Σ x_i x_iᵀ", "B any fixed d×d matrix (not necessarily symmetric)"),
    parameters=(Parameter("B", "fixed d×d matrix", symbol=B), Parameter("Sigma", "covariance Σ (PSD)", symbol=Sigma),
                Parameter("n", "number of samples", symbol=n)),
    statement=lambda: Equation(Expectation(S_hat * B * S_hat, S_hat, Sigma, n), moments.expected_SBS(B, Sigma, n)),
    evaluator=_sbs_evaluate,
    proof=(
        "Write S = (1/n)Σ_a x_a x_aᵀ with independent x_a ~ N(0, Σ), so E[SBS] = (1/n²)Σ_{a,b} E[x_a x_aᵀ B x_b "
        "x_bᵀ]. The n(n − 1) terms with a ≠ b factor into E[x xᵀ] B E[x xᵀ] = ΣBΣ. For the n terms with a = b, "
        "Isserlis' (Wick's) theorem splits E[x xᵀ B x xᵀ] over the three pairings of the four Gaussian factors: "
        "ΣBΣ + ΣBᵀΣ + tr(BΣ)Σ. Adding up, ((n(n − 1) + n)/n²)ΣBΣ + (ΣBᵀΣ + tr(BΣ)Σ)/n, which is the statement."),
    derivation=("derivations.moments.expected_chain: Wick's theorem over the 3 pairings of the four slots of S·B·S; "
                "a pairing that links the two S factors costs a factor 1/n. The pairing within each factor gives "
                "ΣBΣ, the crossed one ΣBᵀΣ/n (a walk backwards through B transposes it) and the one closing a loop "
                "through B gives tr(BΣ)Σ/n."),
    check=MonteCarloCheck(
        quantity=SampleCovarianceSandwich(B=_SBS_B, Sigma=_SBS_SIGMA, m=_SBS_N),
        expected=lambda: _sbs_evaluate(_SBS_B, _SBS_SIGMA, _SBS_N),
        control=NegativeControl("the printed form (n−1)/n ΣBΣ + (2ΣBΣ + tr(ΣB)Σ)/n, which holds only for symmetric B",
                                expected=lambda: _sbs_printed(_SBS_B, _SBS_SIGMA, _SBS_N)),
        tolerance=0.25,
        samples=100_000,
    ),
    errata=("The printed Lemma A.2 writes 2ΣBΣ where the general identity has ΣBΣ + ΣBᵀΣ: the two agree only "
            "for symmetric B. Every use in the papers has a symmetric B, so no printed result is affected.",),
)

# --- base:gamma-star ---------------------------------------------------------------------------------------------

_PRE_SIGMA = sp.diag(1, half, quarter)
_PRE_N = 20


def _training_gradient(V_tilde) -> TrainingGradient:
    """The simulated pretraining gradient at Ṽ (a zero-argument callable, evaluated when the check runs)."""
    return TrainingGradient.single_task(_PRE_SIGMA, _PRE_N, V_tilde)


gamma_star = Record(
    id="base:gamma-star",
    kind="theorem",
    title="the pretrained LSA preconditioner Ṽ* = −Γ⁻¹",
    source=Source("2603.01293", "§3 (pretraining)", "3.7"),
    also_from=(Source("2510.03605", "Theorem 3.1"), Source("2306.09927", "Zhang-Frei-Bartlett Theorem 4.1")),
    convention=JAVANMARD,
    assumptions=("x ~ N(0, Σ), Σ positive definite", "w* ~ N(0, I_d), no noise",
                 "one LSA step, no CoT in training, ŵ_0 = 0, W̃ = I", "population loss ½E‖ŵ_1 − w*‖²"),
    parameters=(Parameter("Sigma", "pretraining covariance Σ (positive definite)", symbol=Sigma),
                Parameter("n", "pretraining prompt length", symbol=n)),
    statement=lambda: [Equation(Gamma, pretraining.gamma_closed_form(Sigma, n)),
                       Equation(sp.MatrixSymbol(r"\tilde{V}^{*}", d, d), sp.MatMul(-1, sp.Inverse(Gamma), evaluate=False))],
    evaluator=lambda Sigma, n: pretraining.gamma_star(Sigma, n),
    proof=(
        "At ŵ_0 = 0 one step gives ŵ_1 = −ṼSw* (the CoT step with W̃ = I), so ŵ_1 − w* = −(I + ṼS)w*. Averaging "
        "over w* ~ N(0, I_d), the loss is L(Ṽ) = ½E‖I + ṼS‖²_F = ½[d + 2tr(ṼΣ) + tr(ṼE[S²]Ṽᵀ)]. By the Wishart "
        "second moment with B = I, E[S²] = (1 + 1/n)Σ² + tr(Σ)Σ/n = ΓΣ, which is positive definite. So L is a "
        "strictly convex quadratic in Ṽ with gradient Σ + ṼE[S²]; it vanishes only at Ṽ* = −Σ(ΓΣ)⁻¹ = −Γ⁻¹ (Γ is "
        "a polynomial in Σ, so they commute), the global minimum."),
    uses=("base:lsa-cot-step", "base:wishart-second-moment"),
    derivation=("The one-step error operator −(I + ṼS) comes from the derived CoT step at ŵ_0 = 0; "
                "derivations.pretraining.pretraining_loss integrates S out with the Wick engine; its gradient in the d² "
                "entries of Ṽ is solved as a linear system (sympy.solve) and Γ := −(Ṽ*)⁻¹. The tests prove "
                "Γ = (1 + 1/n)Σ + tr(Σ)/n·I for symbolic diagonal Σ, dense rational Σ with symbolic n, and random "
                "rational SPD Σ; gradient_flow integrates dṼ/dt = −∇L with solve_ivp and lands on Ṽ*."),
    check=MonteCarloCheck(
        quantity=_training_gradient(lambda: pretraining.trained_preconditioner(_PRE_SIGMA, _PRE_N)),
        expected=lambda: sp.zeros(3, 3),
        control=NegativeControl("the un-regularised preconditioner Ṽ = −Σ⁻¹ is stationary",
                                quantity=_training_gradient(lambda: -_PRE_SIGMA.inv())),
        tolerance=0.05,
        samples=20_000,
    ),
)

# --- base:pretraining-min-error ----------------------------------------------------------------------------------


def _min_error_ridge_typo(Sigma_, n_):
    """d − tr(Γ'⁻¹Σ) with Γ' = Σ + tr(Σ)/n·I (the (1 + 1/n) factor dropped)."""
    G = Sigma_ + Sigma_.trace() / sp.Integer(n_) * sp.eye(Sigma_.rows)
    return Sigma_.rows - (G.inv() * Sigma_).trace()


pretraining_min_error = Record(
    id="base:pretraining-min-error",
    kind="proposition",
    title="the minimal pretraining error d − tr(Γ⁻¹Σ)",
    source=Source("2510.03605", "Theorem 3.1 (loss at the optimum)", remark="derived in shared/theory, [R, C]"),
    convention=JAVANMARD,
    assumptions=gamma_star.assumptions,
    parameters=gamma_star.parameters,
    statement=lambda: Equation(Minimum(ExpectedSquaredError(V_tilde, Sigma, n, 1), V_tilde),
                               d - sp.Trace(sp.MatMul(sp.Inverse(Gamma), Sigma, evaluate=False))),
    evaluator=lambda Sigma, n: pretraining.minimal_error(Sigma, n),
    proof=(
        "The one-step error is 2L(Ṽ) = d + 2tr(ṼΣ) + tr(ṼE[S²]Ṽᵀ) with E[S²] = ΓΣ (base:gamma-star). At Ṽ* = −Γ⁻¹ "
        "the middle term is −2tr(Γ⁻¹Σ) and the last is tr(Γ⁻¹ΓΣΓ⁻¹) = tr(Γ⁻¹Σ). The sum is d − tr(Γ⁻¹Σ), and "
        "since the loss is a convex quadratic this stationary value is its minimum."),
    uses=("base:gamma-star",),
    derivation=("The derived one-step error evaluated at the solved stationary point Ṽ* (exact rational for rational "
                "Σ); the tests confirm it equals d − tr(Γ⁻¹Σ), e.g. 376/637 at Σ = diag(1, 1/2, 1/4), n = 20."),
    check=MonteCarloCheck(
        quantity=CotWeightError.single(_PRE_SIGMA, _PRE_N,
                                       lambda: pretraining.trained_preconditioner(_PRE_SIGMA, _PRE_N),
                                       task_average=True),
        expected=lambda: pretraining.minimal_error(_PRE_SIGMA, _PRE_N),
        control=NegativeControl("Γ without the (1 + 1/n) factor: d − tr((Σ + tr(Σ)/n·I)⁻¹Σ)",
                                expected=lambda: _min_error_ridge_typo(_PRE_SIGMA, _PRE_N)),
        tolerance=0.02,
        samples=12_000,
    ),
)

# --- base:no-cot-isotropic-error ---------------------------------------------------------------------------------

_ISO_D, _ISO_N = 4, 6


def _isotropic_value(d, n):
    D = pretraining.isotropic_derivation()
    return D.minimal_error.subs({D.d: prompt_length(d, "d"), D.n: prompt_length(n)})


def _isotropic_statement() -> Equation:
    """min over Ṽ of the one-step error at Σ = I_d, equal to the derived d(d + 1)/(n + d + 1) (in the record's d, n)."""
    D = pretraining.isotropic_derivation()
    return Equation(Minimum(ExpectedSquaredError(V_tilde, sp.Identity(d), n, 1), V_tilde),
                    D.minimal_error.xreplace({D.d: d, D.n: n}))


def _isotropic_preconditioner() -> sp.Matrix:
    """Ṽ = −c*I at the derived step c* = n/(n + d + 1)."""
    D = pretraining.isotropic_derivation()
    return -D.c_star.subs({D.d: _ISO_D, D.n: _ISO_N}) * sp.eye(_ISO_D)


no_cot_isotropic_error = Record(
    id="base:no-cot-isotropic-error",
    kind="proposition",
    title="no-CoT weight-prediction error for isotropic features, d(d+1)/(n+d+1)",
    source=Source("2502.21212", "Huang-Wang-Lee, no-CoT error floor", remark="exact form derived, anchors.md A.4"),
    also_from=(Source("2307.03576", "Mahankali et al., step n/(n+d+1)"),),
    convention=HUANG_WANG_LEE,
    assumptions=("x ~ N(0, I_d)", "w* ~ N(0, I_d), no noise", "one LSA step at the pretraining optimum"),
    parameters=(Parameter("d", "dimension", symbol=d), Parameter("n", "prompt length", symbol=n)),
    statement=_isotropic_statement,
    evaluator=_isotropic_value,
    proof=(
        "For Σ = I_d the regularised covariance is Γ = (1 + 1/n + d/n)I = ((n + d + 1)/n)I. The minimal error d − "
        "tr(Γ⁻¹Σ) of base:pretraining-min-error is then d − dn/(n + d + 1) = d(d + 1)/(n + d + 1). Directly: by "
        "rotation invariance the optimum is Ṽ = −cI, the error is d − 2cd + c²d(n + d + 1)/n, minimised at c = "
        "n/(n + d + 1)."),
    uses=("base:pretraining-min-error", "base:gamma-star"),
    derivation=("With Σ = I_d symbolic in d and Ṽ = −cI (rotation invariance), the Wick engine gives the error "
                "d − 2cd + c²d(n + d + 1)/n; its stationary point is c* = n/(n + d + 1) (Mahankali et al.) and the "
                "minimum d(d + 1)/(n + d + 1) (Huang–Wang–Lee)."),
    check=MonteCarloCheck(
        quantity=CotWeightError.single(sp.eye(_ISO_D), _ISO_N, _isotropic_preconditioner, task_average=True),
        expected=lambda: _isotropic_value(_ISO_D, _ISO_N),
        control=NegativeControl("the asymptotic form d²/n", expected=lambda: sp.Rational(_ISO_D ** 2, _ISO_N)),
        tolerance=0.05,
        samples=8_000,
    ),
)

RECORDS = [lsa_cot_step, wishart_second_moment, gamma_star, pretraining_min_error, no_cot_isotropic_error]
