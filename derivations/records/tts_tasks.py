"""Task hardness, multi-task training and task selection of 2510.03605 (§4, Prop. 4.3): ids ``tts:*``."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sympy as sp

from derivations import hardness as hard
from derivations import multitask, pretraining, task_selection
from derivations.convention import JAVANMARD
from derivations.notation import Equation, FrobeniusNormSquared
from derivations.registry import MonteCarloCheck, NegativeControl, Parameter, Record, Source
from derivations.validation import cot_steps, exact_covariance, prompt_length
from derivations.weight_error import cot_weight_error
from icl_errors import InputError
from verify.quantities import CotWeightError, PromptGroup, TrainingGradient

R = sp.Rational
d, n, m, k = sp.symbols("d n m k", positive=True, integer=True)
j, ell = sp.symbols("j ell", positive=True, integer=True)
Lam = sp.MatrixSymbol(r"\Lambda", d, d)
Lam_l = sp.MatrixSymbol(r"\Lambda_{\ell}", d, d)
Sig = sp.MatrixSymbol(r"\Sigma", d, d)
pi_l, n_l = sp.Symbol(r"\pi_{\ell}"), sp.Symbol(r"n_{\ell}")
lam_j, lam_min = sp.Symbol(r"\lambda_{j}"), sp.Symbol(r"\lambda_{\min}(\Lambda)")
Hard = sp.Function(r"\operatorname{Hard}")
I = sp.Identity(d)

# --- tts:def-hardness -------------------------------------------------------------------------------------------

_H_LAMBDA = sp.diag(1, R(1, 2), R(1, 10))
_H_N, _H_M = 20, 100


def _hardness_evaluate(Lambda, n, m):
    """Per-direction errors of the model pretrained on Λ (length n), tested on Λ with m examples (m = oo: limit)."""
    Lambda, n = exact_covariance(Lambda, "Lambda"), prompt_length(n)
    if not Lambda.is_diagonal():
        raise InputError("tts:def-hardness: the per-direction errors need a diagonal Lambda (its eigenbasis)")
    return hard.direction_errors(pretraining.stationary_preconditioner(Lambda, n), Lambda, m)


def _hardness_statement():
    limit = sp.Symbol(r"\lim_{m\to\infty}\mathbb{E}(\hat{w}_1 - w^{*})_j^{2}")
    return [Equation(Hard(Lam), sp.Trace(Lam) / lam_min),
            Equation(limit, (1 + n / (1 + sp.Trace(Lam) / lam_j)) ** -2),
            Equation(sp.Symbol(r"\max_j \lim_{m\to\infty}\mathbb{E}(\hat{w}_1 - w^{*})_j^{2}"),
                        (1 + n / (1 + Hard(Lam))) ** -2)]


def_hardness = Record(
    id="tts:def-hardness",
    kind="proposition",
    title="task hardness Hard(Λ) = tr Λ/λ_min(Λ): the weakest skill is learnt worst",
    source=Source("2510.03605", "Theorem 3.3 (definition of hardness), Corollary 3.5 (rate)",
                  remark="per-direction form derived here [R]"),
    convention=JAVANMARD,
    assumptions=("training and test on the same task: x ~ N(0, Λ), w* ~ N(0, I_d), no noise",
                 "LSA at the pretrained optimum Ṽ = −Γ⁻¹ (training length n), W̃ = I, one step (k = 1)",
                 "Λ diagonal, so the coordinates are its eigen-directions (the per-direction statement)",
                 "m test examples; the statement is the m → ∞ limit, the evaluator is exact at every m"),
    parameters=(Parameter("Lambda", "diagonal task covariance Λ"), Parameter("n", "training prompt length"),
                Parameter("m", "test prompt length (sympy.oo for the limit)")),
    statement=_hardness_statement,
    evaluator=_hardness_evaluate,
    derivation=("Ṽ = −Γ⁻¹ is solved from the pretraining loss (derivations.pretraining); the one-step error operator "
                "I + ṼS comes from the derived CoT step; derivations.hardness.direction_errors takes the diagonal of "
                "E[(I + ṼS)(I + ṼS)ᵀ] with the Wick engine at test length m. Its m → ∞ limit (every 1/m pairing "
                "vanishes) is (1 − λ_j/γ_j)² with γ_j = (1 + 1/n)λ_j + tr Λ/n, i.e. (1 + n/(1 + tr Λ/λ_j))⁻² — "
                "the tests prove this for symbolic n — which increases as λ_j decreases, so the worst direction is "
                "λ_min and its contraction 1/(1 + n/(1 + Hard(Λ))) is the rate of Corollary 3.5. "
                "derivations.hardness.hardness gives Hard(Λ) exactly for any rational symmetric Λ (SymPy "
                "eigenvalues; e.g. 16 for diag(1, 1/2, 1/10)). The check: Λ = diag(1, 1/2, 1/10), n = 20, m = 100 "
                "test examples; exact per-direction errors 0.0336, 0.0588, 0.2608 (limits 0.0132, 0.0301, 0.2111)."),
    check=MonteCarloCheck(
        quantity=CotWeightError.single(_H_LAMBDA, _H_M,
                                       lambda: pretraining.stationary_preconditioner(_H_LAMBDA, _H_N),
                                       per_direction=True),
        expected=lambda: _hardness_evaluate(_H_LAMBDA, _H_N, _H_M),
        control=NegativeControl("the strongest direction learnt worst (the per-direction errors in reverse order)",
                                expected=lambda: sp.Matrix(list(reversed(_hardness_evaluate(_H_LAMBDA, _H_N,
                                                                                            _H_M))))),
        tolerance=0.02,
        samples=50_000,
    ),
)

# --- tts:multitask-optimum --------------------------------------------------------------------------------------

_MT_TASKS = (multitask.Task.of(sp.diag(4, R(1, 2), R(1, 4)), 10),
             multitask.Task.of([[1, R(1, 2), 0], [R(1, 2), 2, R(1, 3)], [0, R(1, 3), R(1, 5)]], 10))
_MT_WEIGHTS = (R(1, 3), R(2, 3))


def _tasks_from(Lambdas, ns) -> list[multitask.Task]:
    if not isinstance(Lambdas, (list, tuple)) or not isinstance(ns, (list, tuple)) or len(Lambdas) != len(ns):
        raise InputError("Lambdas and ns must be lists of the same length (one covariance and length per task)")
    return [multitask.Task.of(L, n_) for L, n_ in zip(Lambdas, ns)]


def _multitask_evaluate(Lambdas, ns, weights):
    return multitask.multitask_preconditioner(_tasks_from(Lambdas, ns), list(weights))


def _mixture_gradient(V_tilde) -> TrainingGradient:
    """The simulated per-prompt gradient at Ṽ (a zero-argument callable) on prompts of the mixture."""
    return TrainingGradient(tuple(sp.Matrix(t.Lambda) for t in _MT_TASKS), tuple(t.n for t in _MT_TASKS), V_tilde,
                            tuple(float(w) for w in _MT_WEIGHTS))


def _multitask_statement():
    mean = sp.Sum(pi_l * Lam_l, (ell, 1, sp.Symbol("L")))
    second = sp.Sum(pi_l * ((1 + 1 / n_l) * Lam_l ** 2 + sp.Trace(Lam_l) / n_l * Lam_l), (ell, 1, sp.Symbol("L")))
    V = sp.MatrixSymbol(r"\tilde{V}(\pi)", d, d)
    mean_symbol, second_symbol = sp.MatrixSymbol(r"\bar{\Lambda}", d, d), sp.MatrixSymbol(r"\bar{M}", d, d)
    return [Equation(V, -mean_symbol * sp.Inverse(second_symbol)),
            Equation(mean_symbol, mean), Equation(second_symbol, second)]


multitask_optimum = Record(
    id="tts:multitask-optimum",
    kind="proposition",
    title="the LSA trained on a task mixture: Ṽ(π) = −(Σπ_ℓΛ_ℓ)(Σπ_ℓ E_ℓ[S²])⁻¹",
    source=Source("2510.03605", "§4 (multi-task training)", remark="optimum derived here [R]; Thm 3.1 for L = 1"),
    convention=JAVANMARD,
    assumptions=("a training prompt is of task ℓ with probability π_ℓ: n_ℓ examples x ~ N(0, Λ_ℓ)",
                 "w* ~ N(0, I_d), no noise; no CoT in training, ŵ_0 = 0, W̃ = I",
                 "population loss ½ Σ_ℓ π_ℓ E_ℓ‖ŵ_1 − w*‖²; Σπ_ℓΛ_ℓ invertible"),
    parameters=(Parameter("Lambdas", "list of task covariances Λ_ℓ"), Parameter("ns", "list of prompt lengths n_ℓ"),
                Parameter("weights", "task probabilities π_ℓ (sum 1)")),
    statement=_multitask_statement,
    evaluator=_multitask_evaluate,
    derivation=("Per task, the derived pretraining gradient (derivations.pretraining.population_gradient, Wick "
                "engine) is affine in the d² entries of Ṽ; derivations.multitask reads off its Hessian H_ℓ and "
                "constant c_ℓ and solves the mixture's stationarity (Σπ_ℓH_ℓ)v = −Σπ_ℓc_ℓ exactly. The tests prove "
                "the solution equal to −Λ̄M̄⁻¹ (Ṽ multiplies M̄ from the left: ∇L = ṼM̄ + Λ̄) for commuting and "
                "non-commuting Λ_ℓ and different n_ℓ, and that it is not the single-task −Γ(Λ̄)⁻¹ unless the tasks "
                "agree. verify.mixture_training.train_on_mixture (SGD on the simulated LSA with mixed prompts) "
                "converges to it (tests/test_tasks_training.py)."),
    check=MonteCarloCheck(
        quantity=_mixture_gradient(lambda: multitask.multitask_preconditioner(_MT_TASKS, _MT_WEIGHTS)),
        expected=lambda: sp.zeros(9, 1),
        control=NegativeControl("the preconditioner −Γ(Σπ_ℓΛ_ℓ)⁻¹ of the averaged covariance (the paper's QP "
                                "surrogate's implicit assumption) is stationary",
                                quantity=_mixture_gradient(lambda: multitask.naive_preconditioner(_MT_TASKS,
                                                                                                  _MT_WEIGHTS))),
        tolerance=0.05,
        samples=200_000,
    ),
)

# --- tts:prop-4.3 -----------------------------------------------------------------------------------------------

_SEL_ALPHA = R(3, 5)   # test task of both checks: λ_i ∝ i^(−3/5), d = 5
_SEL_M = 200           # test prompt length of the simulated checks


def _selection(Sigma, k_) -> task_selection.Selection:
    return task_selection.select_tasks(sp.ImmutableMatrix(Sigma), k_)


def _selection_evaluate(Sigma, k):
    Sigma = exact_covariance(Sigma)
    if Sigma.rows != task_selection.DIMENSION:
        raise InputError(f"the experiment's tasks have d = {task_selection.DIMENSION}; "
                         f"Sigma is {Sigma.rows}×{Sigma.rows}")
    return _selection(Sigma, cot_steps(k))


def _exact_errors(weight_sets, Sigma, m_, k_) -> sp.Matrix:
    """Exact test errors (k ≤ 2 at finite m, any k at m = oo) of the models trained on each mixture."""
    tasks = task_selection.experiment_tasks(Sigma.rows)
    errors = []
    for weights in weight_sets:
        V = multitask.multitask_preconditioner(tasks, task_selection.rational_weights(weights))
        errors.append(task_selection.population_error(V, Sigma, k_) if m_ == sp.oo
                      else cot_weight_error(k_, V, sp.eye(Sigma.rows), Sigma, m_))
    return sp.Matrix(errors)


def _prop43_models() -> list[tuple[float, ...]]:
    s = _selection(sp.ImmutableMatrix(task_selection.power_law_spectrum(_SEL_ALPHA)), 1)
    return [s.true_weights, tuple(float(q) for q in s.qp_weights), s.constrained_weights]


@cache
def _prop43_expected() -> sp.Matrix:
    return _exact_errors(_prop43_models(), task_selection.power_law_spectrum(_SEL_ALPHA), _SEL_M, 1)


def _models_test_error(weight_sets: Callable[[], list], k_: int) -> CotWeightError:
    """The simulated test errors, on the same prompts of the test task, of the models trained on each mixture of
    ``weight_sets()`` (evaluated when the check runs)."""
    def models() -> tuple[sp.Matrix, ...]:
        tasks = task_selection.experiment_tasks()
        return tuple(multitask.multitask_preconditioner(tasks, task_selection.rational_weights(w))
                     for w in weight_sets())

    return CotWeightError(task_selection.power_law_spectrum(_SEL_ALPHA), (PromptGroup(_SEL_M, models, (k_,)),))


def _prop43_statement():
    F = sp.Function("F_k")
    pi = sp.Symbol(r"\pi^{*}")
    return [Equation(pi, sp.Symbol(r"\arg\min_{\pi\in\Delta}") * F(sp.Symbol(r"\pi"))),
            Equation(F(sp.Symbol(r"\pi")), FrobeniusNormSquared((I - sp.MatrixSymbol(r"\Gamma(\pi)", d, d) ** -1
                                                                 * Sig) ** k)),
            sp.GreaterThan(sp.Symbol(r"\sum_{\ell\ \mathrm{hard}}\pi^{*}_{\ell}"), R(1, 2)),
            Equation(sp.Symbol(r"\pi^{QP}"), sp.Symbol(r"\arg\min_{\pi\in\Delta}")
                     * FrobeniusNormSquared(I - Sig ** -1 * sp.MatrixSymbol(r"\sum_{\ell}\pi_{\ell}\Lambda_{\ell}",
                                                                           d, d)))]


prop_43 = Record(
    id="tts:prop-4.3",
    kind="proposition",
    title="optimal task probabilities put at least half the mass on hard tasks (when the test task is hard enough)",
    source=Source("2510.03605", "Proposition 4.3 and the task-selection quadratic program",
                  remark="side conditions not recovered; verified in the setting stated in the assumptions"),
    convention=JAVANMARD,
    assumptions=("candidates: the four task types (α, B) of the experiment, d = 5, λ_i ∝ i^(−α) normalised to "
                 "tr Λ = d (rounded to 6 decimals), B = training prompt length; hard = α = 4/5 (Hard(Λ) ≈ 9.41 vs "
                 "5.73)",
                 "the model trained on the mixture is Ṽ(π) of tts:multitask-optimum",
                 "true objective: the m → ∞ test error F_k(π) = ‖(I + Ṽ(π)Σ)^k‖²_F on the test covariance Σ, "
                 "minimised over the simplex numerically (SLSQP from the 20 points of the simplex lattice with "
                 "spacing 1/3); the simulated models use the mixtures rounded to 3 decimals",
                 "the claim holds when the test task is hard enough: for Σ = spectrum(α_test) and k = 2 the hard "
                 "mass crosses 1/2 at α_test ≈ 0.465 (it is ≈ 0 for α_test = 1/5)"),
    parameters=(Parameter("Sigma", "test covariance Σ (5×5)"), Parameter("k", "number of CoT steps at test time")),
    statement=_prop43_statement,
    evaluator=_selection_evaluate,
    derivation=("derivations.task_selection: F_k is the derived error operator evaluated at S = Σ with Ṽ(π) from "
                "the mixture's solved stationarity; it is minimised over the simplex by SLSQP from the 20 lattice "
                "points with spacing 1/3, and again under the constraint Σ_hard π ≤ 1/2. The paper's QP is a convex quadratic in π, solved exactly by "
                "enumerating supports (KKT in rationals); it cannot see prompt lengths, so equal covariances share "
                "mass equally. At α_test = 3/5, k = 1 the true optimum is (0, 0, 0.129, 0.871) (hard mass 0.87), "
                "the QP's ≈ (0.165, 0.335, 0.165, 0.335) (hard mass 0.671, total-variation distance 0.54 — half of it "
                "from the short prompts the QP cannot tell apart from long ones): the QP under-weights hard and long "
                "tasks, because the true Γ(π) = M̄Λ̄⁻¹ shrinks weak directions. Across α_test ∈ {2/5, 3/5, 4/5, 1} "
                "and k ∈ {1, 2} the distance is 0.50–0.54 and the true optimum's hard mass is ≥ the QP's. The check "
                "simulates three trained models on test prompts of 200 examples from α_test = 3/5 at k = 1: the "
                "true optimum, the QP's mixture and the best mixture with hard mass ≤ 1/2 ((0, 0, 1/2, 1/2)); exact "
                "errors 0.1748, 0.2851 and 0.2041."),
    check=MonteCarloCheck(
        quantity=_models_test_error(_prop43_models, 1),
        expected=_prop43_expected,
        control=NegativeControl("the best mixture with at most half its mass on hard tasks is as good as the "
                                "optimum (its error set to the optimum's)",
                                expected=lambda: sp.Matrix([_prop43_expected()[0], _prop43_expected()[1],
                                                            _prop43_expected()[0]])),
        tolerance=0.01,
        samples=40_000,
    ),
    errata=("Approximation of the source: the QP min‖I − Σ⁻¹Σπ_ℓΛ_ℓ‖²_F replaces Γ(π) = M̄Λ̄⁻¹ by Σπ_ℓΛ_ℓ; it is "
            "blind to prompt length and puts less mass on hard tasks than the true optimum (the check's second "
            "component: the QP's mixture has a larger simulated error).",),
)

# --- tts:claim-3 ------------------------------------------------------------------------------------------------

_CLAIM_K = 2
_UNIFORM = (0.25, 0.25, 0.25, 0.25)
_EASY_ONLY = (0.5, 0.0, 0.5, 0.0)


def _claim_models(Sigma, k_) -> list[tuple[float, ...]]:
    return [_selection(sp.ImmutableMatrix(Sigma), k_).true_weights, _UNIFORM, _EASY_ONLY]


def _claim_evaluate(Sigma, m, k):
    k_ = cot_steps(k)
    _selection_evaluate(Sigma, k_)
    Sigma = exact_covariance(Sigma)
    if m != sp.oo:
        m = prompt_length(m, "m")
        if k_ > 2:
            raise InputError("tts:claim-3: exact finite-m errors are available for k ≤ 2; use m = oo for larger k")
    return _exact_errors(_claim_models(Sigma, k_), Sigma, m, k_)


@cache
def _claim_expected() -> sp.Matrix:
    return _claim_evaluate(task_selection.power_law_spectrum(_SEL_ALPHA), _SEL_M, _CLAIM_K)


def _claim_statement():
    F = sp.Function("F_k")
    return [sp.StrictLessThan(F(sp.Symbol(r"\pi^{\mathrm{sel}}")), F(sp.Symbol(r"\pi^{\mathrm{unif}}"))),
            sp.StrictLessThan(F(sp.Symbol(r"\pi^{\mathrm{sel}}")), F(sp.Symbol(r"\pi^{\mathrm{easy}}")))]


claim_3 = Record(
    id="tts:claim-3",
    kind="claim",
    title="training on a diverse, relevant and hard task mixture is best for test-time scaling",
    source=Source("2510.03605", "abstract, claim 3; §4 task-selection experiment"),
    convention=JAVANMARD,
    assumptions=prop_43.assumptions[:3] + (
        "selected mixture π^sel = the true optimum for the test task (rounded to 3 decimals); uniform = 1/4 each; "
        "easy-only = 1/2 on Easy-Short and Easy-Long",
        "test task α_test = 3/5 (between the candidates), m = 200 test examples, k = 2 CoT steps"),
    parameters=(Parameter("Sigma", "test covariance Σ (5×5)"), Parameter("m", "test prompt length (or sympy.oo)"),
                Parameter("k", "CoT steps (≤ 2 at finite m)")),
    statement=_claim_statement,
    evaluator=_claim_evaluate,
    derivation=("For each mixture the trained Ṽ(π) is the solved multi-task optimum (tts:multitask-optimum); its "
                "exact test error at finite m is derivations.weight_error.cot_weight_error (Wick engine, k ≤ 2), "
                "and at m → ∞ the derived error operator at S = Σ. At α_test = 3/5 the selected mixture is "
                "(0, 0, 0.213, 0.787): diverse (two task types), relevant (long prompts, spectra bracketing the "
                "test's) and hard (79% on the hard type). Its exact errors at m = 200, k = 2 are 0.0114 against "
                "0.0399 (uniform) and 0.0769 (easy-only). The paper's averaged ranking (selected probability "
                "highest for Hard-Long, lowest for Easy-Short) depends on the test length in the linear model: averaged over "
                "α_test ∈ {1/5, 2/5, 3/5, 4/5, 1} with the exact k = 1 error it is reproduced strictly at m = 50 "
                "(0.05 < 0.11 < 0.37 < 0.47 for ES < HS < EL < HL); at m ≥ 200 and m → ∞ short prompts are never "
                "selected (ES and HS tie at 0, HL ≈ 0.63 highest), and at m = 20 the short types win (HS 0.54, "
                "ES 0.37): longer training prompts make Γ(π) less regularised, which pays only when the test prompt "
                "is long enough. The same pattern holds at d = 3 and d = 8 (m = 50: 0.05 < 0.11 < 0.36 < 0.48 and "
                "0.05 < 0.13 < 0.38 < 0.44; m → ∞, k = 2: Hard-Long 0.62 and 0.64). The figure `task-selection` "
                "(icl-theory figures) shows these and the error against k for the three mixtures (exact m → ∞ and "
                "simulated m = 1000)."),
    check=MonteCarloCheck(
        quantity=_models_test_error(lambda: _claim_models(task_selection.power_law_spectrum(_SEL_ALPHA), _CLAIM_K),
                                    _CLAIM_K),
        expected=_claim_expected,
        control=NegativeControl("the easy-only mixture is at least as good as the selected one (its error set to "
                                "the selected mixture's)",
                                expected=lambda: sp.Matrix([_claim_expected()[0], _claim_expected()[1],
                                                            _claim_expected()[0]])),
        tolerance=0.01,
        samples=10_000,
    ),
)

RECORDS = [def_hardness, multitask_optimum, prop_43, claim_3]
