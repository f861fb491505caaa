"""Task hardness, multi-task training and task selection of 2510.03605 (§4, Prop. 4.3): ids ``tts:*``."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sympy as sp

from derivations import hardness as hard
from derivations import multitask, pretraining, settings, task_selection, test_time
from derivations.convention import JAVANMARD
from derivations.notation import (ArgMin, Component, Defined, Eigenvalue, Equation, Expectation, ExpectedSquaredError, Family,
                                  FrobeniusNormSquared, Hardness, Maximum, MixturePreconditioner,
                                  RegularisedCovariance, Simplex, SmallestEigenvalue, TaskSum)
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
pi_l, n_l = sp.Symbol(r"\pi_{\ell}"), sp.Symbol(r"n_{\ell}", positive=True)
pi = sp.Symbol(r"\pi")   # a task mixture: a point of the simplex
L_tasks = sp.Symbol("L", positive=True, integer=True)
I = sp.Identity(d)
TRAINED = sp.MatMul(-1, sp.Inverse(RegularisedCovariance(Lam, n)), evaluate=False)   # Ṽ = −Γ⁻¹ (Thm 3.1)

# --- tts:def-hardness -------------------------------------------------------------------------------------------

_H_LAMBDA = sp.diag(1, R(1, 2), R(1, 10))
_H_N, _H_M = 20, 100


def _hardness_evaluate(Lambda, n, m):
    """Per-direction errors of the model pretrained on Λ (length n), tested on Λ with m examples (m = oo: limit)."""
    Lambda, n = exact_covariance(Lambda, "Lambda"), prompt_length(n)
    if not Lambda.is_diagonal():
        raise InputError("tts:def-hardness: the per-direction errors need a diagonal Lambda (its eigenbasis)")
    return hard.direction_errors(pretraining.trained_preconditioner(Lambda, n), Lambda, m)


def _direction_limit() -> sp.Limit:
    """lim_{m→∞} E(ŵ_1 − w*)_j², the error of coordinate direction j."""
    return sp.Limit(ExpectedSquaredError(TRAINED, Lam, m, 1, direction=j), m, sp.oo)


def _hardness_statement():
    contraction = (1 + n / (1 + sp.Trace(Lam) / Eigenvalue(Lam, j))) ** -2
    return [Equation(Family(_direction_limit(), j, d), Family(contraction, j, d)),
            Equation(Hardness(Lam), sp.Trace(Lam) / SmallestEigenvalue(Lam)),
            Equation(Maximum(_direction_limit(), j, 1, d), (1 + n / (1 + Hardness(Lam))) ** -2)]


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
    parameters=(Parameter("Lambda", "diagonal task covariance Λ", symbol=Lam),
                Parameter("n", "training prompt length", symbol=n),
                Parameter("m", "test prompt length (sympy.oo for the limit, which the statement is)")),
    statement=_hardness_statement,
    evaluator=_hardness_evaluate,
    proof=(
        "By tts:prop-3.2 with k = 1 and m → ∞ (S → Λ) the error is ‖I − Γ⁻¹Λ‖²_F; in the eigen-direction j of Λ the "
        "trained layer's error is (1 − λ_j/γ_j)², γ_j = (1 + 1/n)λ_j + tr Λ/n, that is (1 + n/(1 + tr Λ/λ_j))⁻². It increases as "
        "λ_j decreases, so the weakest skill (λ_min) is learnt worst, and its error (1 + n/(1 + Hard(Λ)))⁻² is "
        "the maximum over directions, with Hard(Λ) = tr Λ/λ_min(Λ). Hardness is scale-free (Hard(cΛ) = Hard(Λ)) "
        "and at least d, with equality iff Λ ∝ I."),
    uses=("base:gamma-star", "tts:prop-3.2"),
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
                                       lambda: pretraining.trained_preconditioner(_H_LAMBDA, _H_N),
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

_MT_TASKS = tuple(multitask.Task.of(Lambda, n_) for Lambda, n_ in settings.MULTITASK_TASKS)
_MT_WEIGHTS = settings.MULTITASK_WEIGHTS


def _tasks_from(Lambdas, ns) -> list[multitask.Task]:
    if not isinstance(Lambdas, (list, tuple)) or not isinstance(ns, (list, tuple)) or len(Lambdas) != len(ns):
        raise InputError("Lambdas and ns must be lists of the same length (one covariance and length per task)")
    return [multitask.Task.of(L, n_) for L, n_ in zip(Lambdas, ns)]


def _multitask_evaluate(Lambdas, ns, weights):
    if not isinstance(weights, (list, tuple)) or len(weights) != len(Lambdas if isinstance(Lambdas, (list, tuple))
                                                                      else ()):
        raise InputError("weights must be a list with one probability per task")
    return multitask.multitask_preconditioner(_tasks_from(Lambdas, ns), list(weights))


def _mixture_gradient(V_tilde) -> TrainingGradient:
    """The simulated per-prompt gradient at Ṽ (a zero-argument callable) on prompts of the mixture."""
    return TrainingGradient(tuple(sp.Matrix(t.Lambda) for t in _MT_TASKS), tuple(t.n for t in _MT_TASKS), V_tilde,
                            tuple(float(w) for w in _MT_WEIGHTS))


def _multitask_statement():
    S_l = sp.MatrixSymbol(r"S_{\ell}", d, d)
    second = (1 + 1 / n_l) * Lam_l ** 2 + sp.Trace(Lam_l) / n_l * Lam_l   # E_ℓ[Ŝ²]
    return [Equation(MixturePreconditioner(Lam_l, n_l, pi),
                     sp.MatMul(-1, TaskSum(pi_l * Lam_l, ell, L_tasks),
                               sp.Inverse(TaskSum(pi_l * second, ell, L_tasks)), evaluate=False)),
            Equation(Expectation(S_l ** 2, S_l, Lam_l, n_l), second)]


multitask_optimum = Record(
    id="tts:multitask-optimum",
    kind="proposition",
    title="the LSA trained on a task mixture: Ṽ(π) = −(Σπ_ℓΛ_ℓ)(Σπ_ℓ E_ℓ[S²])⁻¹",
    source=Source("2510.03605", "§4 (multi-task training)", remark="optimum derived here [R]; Thm 3.1 for L = 1"),
    convention=JAVANMARD,
    assumptions=("a training prompt is of task ℓ with probability π_ℓ: n_ℓ examples x ~ N(0, Λ_ℓ)",
                 "w* ~ N(0, I_d), no noise; no CoT in training, ŵ_0 = 0, W̃ = I",
                 "population loss ½ Σ_ℓ π_ℓ E_ℓ‖ŵ_1 − w*‖²; Σπ_ℓΛ_ℓ invertible"),
    parameters=(Parameter("Lambdas", "list of task covariances Λ_ℓ", symbol=Lam_l),
                Parameter("ns", "list of prompt lengths n_ℓ", symbol=n_l),
                Parameter("weights", "task probabilities π_ℓ (sum 1)", symbol=pi_l)),
    statement=_multitask_statement,
    evaluator=_multitask_evaluate,
    proof=(
        "With prompts drawn from task ℓ with probability π_ℓ the loss is Σ_ℓ π_ℓ L_ℓ(Ṽ), each L_ℓ the single-task "
        "loss of base:gamma-star, ½[d + 2tr(ṼΛ_ℓ) + tr(ṼE_ℓ[S²]Ṽᵀ)] with E_ℓ[S²] = (1 + 1/n_ℓ)Λ_ℓ² + "
        "tr(Λ_ℓ)Λ_ℓ/n_ℓ (the Wishart second moment). The mixture is still a strictly convex quadratic; its "
        "gradient Σπ_ℓΛ_ℓ + Ṽ Σπ_ℓE_ℓ[S²] vanishes only at Ṽ(π) = −(Σπ_ℓΛ_ℓ)(Σπ_ℓE_ℓ[S²])⁻¹. Unless the tasks "
        "agree this is not the single-task −Γ(Σπ_ℓΛ_ℓ)⁻¹: for long prompts it tends to −(Σπ_ℓΛ_ℓ)(Σπ_ℓΛ_ℓ²)⁻¹, "
        "not −(Σπ_ℓΛ_ℓ)⁻¹."),
    uses=("base:gamma-star", "base:wishart-second-moment"),
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
    if Sigma.rows != settings.DIMENSION:
        raise InputError(f"the experiment's tasks have d = {settings.DIMENSION}; "
                         f"Sigma is {Sigma.rows}×{Sigma.rows}")
    return _selection(Sigma, cot_steps(k))


def _exact_errors(weight_sets, Sigma, m_, k_) -> sp.Matrix:
    """Exact test errors (k ≤ 2 at finite m, any k at m = oo) of the models trained on each mixture."""
    tasks = settings.experiment_tasks(Sigma.rows)
    errors = []
    for weights in weight_sets:
        V = multitask.multitask_preconditioner(tasks, task_selection.rational_weights(weights))
        errors.append(test_time.population_error(V, Sigma, k_) if m_ == sp.oo
                      else cot_weight_error(k_, V, sp.eye(Sigma.rows), Sigma, m_))
    return sp.Matrix(errors)


def _prop43_models() -> list[tuple[float, ...]]:
    s = _selection(sp.ImmutableMatrix(settings.power_law_spectrum(_SEL_ALPHA)), 1)
    return [s.true_weights, tuple(float(q) for q in s.qp_weights), s.constrained_weights]


@cache
def _prop43_expected() -> sp.Matrix:
    return _exact_errors(_prop43_models(), settings.power_law_spectrum(_SEL_ALPHA), _SEL_M, 1)


def _models_test_error(weight_sets: Callable[[], list], k_: int) -> CotWeightError:
    """The simulated test errors, on the same prompts of the test task, of the models trained on each mixture of
    ``weight_sets()`` (evaluated when the check runs)."""
    def models() -> tuple[sp.Matrix, ...]:
        tasks = settings.experiment_tasks()
        return tuple(multitask.multitask_preconditioner(tasks, task_selection.rational_weights(w))
                     for w in weight_sets())

    return CotWeightError(settings.power_law_spectrum(_SEL_ALPHA), (PromptGroup(_SEL_M, models, (k_,)),),
                          task_average=True)


_EXPERIMENT = settings.experiment_tasks()
_COVARIANCES = sp.Tuple(*(sp.ImmutableMatrix(t.Lambda) for t in _EXPERIMENT))
_LENGTHS = sp.Tuple(*(t.n for t in _EXPERIMENT))


def mixture_model(weights: sp.Basic) -> MixturePreconditioner:
    """Ṽ(π) trained on the mixture π of the experiment's four task types."""
    return MixturePreconditioner(_COVARIANCES, _LENGTHS, weights)


def mixture_error(weights: sp.Basic, m_test: sp.Expr = sp.oo) -> ExpectedSquaredError:
    """E‖ŵ_k − w*‖² on the test task Σ of the model trained on π (m_test = ∞: the objective F_k(π))."""
    return ExpectedSquaredError(mixture_model(weights), Sig, m_test, k)


def _selected() -> ArgMin:
    """π* = argmin over the simplex of F_k(π)."""
    return ArgMin(mixture_error(pi), pi, Simplex(len(_EXPERIMENT)))


def _prop43_statement():
    pi_star = Defined(sp.Symbol(r"\pi^{*}"), _selected())
    hard = [i + 1 for i, t in enumerate(settings.TASK_TYPES) if t.is_hard]
    return [Equation(pi_star.args[0], _selected()),
            Equation(mixture_error(pi), FrobeniusNormSquared(sp.MatPow(I + mixture_model(pi) * Sig, k))),
            sp.GreaterThan(sp.Add(*(Component(pi_star, i) for i in hard)), R(1, 2)),
            Equation(sp.Symbol(r"\pi^{QP}"),
                     ArgMin(FrobeniusNormSquared(I - Sig ** -1 * TaskSum(pi_l * Lam_l, ell, L_tasks)), pi,
                            Simplex(len(_EXPERIMENT))))]


prop_43 = Record(
    returns=("a Selection: the true optimum π* (true_weights) and its error, the paper's QP solution, both hard "
             "masses, their total-variation distance, and the best mixture with at most half its mass on hard tasks"),
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
    parameters=(Parameter("Sigma", "test covariance Σ (5×5)", symbol=Sig),
                Parameter("k", "number of CoT steps at test time", symbol=k)),
    statement=_prop43_statement,
    evaluator=_selection_evaluate,
    proof=(
        "As m → ∞ the test error of the layer trained on the mixture π is F_k(π) = ‖(I + Ṽ(π)Σ)^k‖²_F, the "
        "argument of tts:cor-3.5 with Ṽ(π) of tts:multitask-optimum in place of −Γ⁻¹. A direction of the test "
        "covariance is contracted well only if the mixture covers it: Ṽ(π) ≈ −(Σπ_ℓΛ_ℓ)(Σπ_ℓΛ_ℓ²)⁻¹ is small in "
        "directions the tasks cover weakly, so a hard test task (weak directions) is served by hard training "
        "tasks. The paper's side conditions were not recovered: the statement is established here by minimising "
        "F_k over the simplex on the four task types and comparing with the constrained optimum (hard mass ≤ "
        "1/2). The paper's quadratic program replaces Γ(π) by Σπ_ℓΛ_ℓ and is only a surrogate of F_k."),
    uses=("tts:multitask-optimum", "tts:cor-3.5", "tts:def-hardness"),
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
        samples=8_000,
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
    return _claim_evaluate(settings.power_law_spectrum(_SEL_ALPHA), _SEL_M, _CLAIM_K)


def _claim_statement():
    selected = Defined(sp.Symbol(r"\pi^{sel}"), _selected())
    uniform = Defined(sp.Symbol(r"\pi^{unif}"), sp.ImmutableMatrix([R(1, 4)] * 4))
    easy = Defined(sp.Symbol(r"\pi^{easy}"), sp.ImmutableMatrix([R(1, 2), 0, R(1, 2), 0]))
    return [sp.StrictLessThan(mixture_error(selected, m), mixture_error(uniform, m)),
            sp.StrictLessThan(mixture_error(selected, m), mixture_error(easy, m))]


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
    parameters=(Parameter("Sigma", "test covariance Σ (5×5)", symbol=Sig),
                Parameter("m", "test prompt length (or sympy.oo)", symbol=m),
                Parameter("k", "CoT steps (≤ 2 at finite m)", symbol=k)),
    statement=_claim_statement,
    evaluator=_claim_evaluate,
    proof=(
        "Each mixture π gives the trained Ṽ(π) of tts:multitask-optimum, and its test error after k steps is "
        "computed exactly as in tts:exact-cot-error with Ṽ(π) in place of −Γ⁻¹. The selected mixture π^sel "
        "minimises the m → ∞ error (tts:prop-4.3): it is diverse (several task types), relevant (spectra "
        "bracketing the test task's) and hard (most mass on the hard type). The claim is a comparison of these "
        "exact values at the test task: π^sel has a smaller error than the uniform and the easy-only mixtures; it "
        "is not a theorem for every setting."),
    uses=("tts:multitask-optimum", "tts:prop-4.3", "tts:exact-cot-error"),
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
        quantity=_models_test_error(lambda: _claim_models(settings.power_law_spectrum(_SEL_ALPHA), _CLAIM_K),
                                    _CLAIM_K),
        expected=_claim_expected,
        control=NegativeControl("the easy-only mixture is at least as good as the selected one (its error set to "
                                "the selected mixture's)",
                                expected=lambda: sp.Matrix([_claim_expected()[0], _claim_expected()[1],
                                                            _claim_expected()[0]])),
        tolerance=0.01,
        samples=4_000,
    ),
)

RECORDS = [def_hardness, multitask_optimum, prop_43, claim_3]
