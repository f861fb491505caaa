"""Figures of 2510.03605 (task selection, multi-task training); see icl_theory.figures for the contract.

``task-selection``: (a) the selected probability of each task type (α, B), averaged over test tasks
α_test ∈ {1/5, 2/5, 3/5, 4/5, 1}, for the exact k = 1 test error at m ∈ {20, 50, 200} test examples and the m → ∞
error at k = 1 and k = 2; (b) the test error against the number of CoT steps k on the test task α_test = 3/5 for the
selected, uniform and easy-only mixtures: exact m → ∞ curves (derivations/) and the simulated LSA at m = 1000
(verify/, mean ± 2 SE; above the limit at large k, a finite-m effect, with the same order of the mixtures).
The JSON also holds, per test task (k = 2), the true optimum, the paper's QP solution and their distance.

``multitask-training``: SGD on the simulated LSA with prompts of a two-task mixture (verify.mixture_training):
the distance of Ṽ to the derived multi-task optimum and to the naive −Γ(Σπ_ℓΛ_ℓ)⁻¹ along training.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import sympy as sp

from derivations import multitask, qp_surrogate, settings, task_selection
from icl_theory.figures.output import pyplot, save_png, write_csv
from verify.executors import Executor
from verify.mixture_training import train_on_mixture
from verify.quantities import CotWeightError, PromptGroup
from verify.sweep import sweep

TEST_ALPHAS = (sp.Rational(1, 5), sp.Rational(2, 5), sp.Rational(3, 5), sp.Rational(4, 5), sp.Integer(1))
SELECTION_SETTINGS = (("m=20, k=1", 20, 1), ("m=50, k=1", 50, 1), ("m=200, k=1", 200, 1),
                      ("m=inf, k=1", None, 1), ("m=inf, k=2", None, 2))
CURVE_ALPHA, CURVE_KS, SIM_M, SIM_PROMPTS, SIM_KS = sp.Rational(3, 5), range(0, 9), 1000, 4000, range(1, 9)
SEED = 20251003


def averaged_selection() -> dict[str, list[float]]:
    """Setting label -> selected probabilities of the four task types, averaged over the test tasks."""
    return {label: task_selection.averaged_selection(TEST_ALPHAS, m, k).tolist()
            for label, m, k in SELECTION_SETTINGS}


def qp_versus_true(k: int = 2) -> list[dict]:
    """Per test task: the true optimum of F_k, the QP's exact solution, hard masses and total-variation distance."""
    tasks = settings.experiment_tasks()
    rows = []
    for alpha in TEST_ALPHAS:
        Sigma = settings.power_law_spectrum(alpha)
        true = task_selection.optimise_true_objective(task_selection.TrueObjective.of(tasks, Sigma, k)).weights
        qp = np.array([float(q) for q in qp_surrogate.solve_surrogate_qp([t.Lambda for t in tasks], Sigma)])
        rows.append({"alpha_test": str(alpha), "true": true.tolist(), "qp": qp.tolist(),
                     "true_hard_mass": task_selection.hard_mass(true), "qp_hard_mass": task_selection.hard_mass(qp),
                     "total_variation": 0.5 * float(np.abs(true - qp).sum())})
    return rows


def error_curves(executor: Executor | None) -> dict[str, dict[str, list[float]]]:
    """Mixture -> exact m → ∞ errors over CURVE_KS and simulated m = SIM_M errors (mean, SE) over SIM_KS (one sweep
    over the mixtures on ``executor``)."""
    tasks = settings.experiment_tasks()
    Sigma = settings.power_law_spectrum(CURVE_ALPHA)
    selected = task_selection.optimise_true_objective(task_selection.TrueObjective.of(tasks, Sigma, 2)).weights
    mixtures = {"selected": selected, "uniform": np.full(4, 0.25), "easy-only": np.array([0.5, 0.0, 0.5, 0.0])}
    numeric = multitask.NumericMixture.of(tasks)
    Sigma_f = np.array(Sigma, dtype=float)
    quantities = [CotWeightError(Sigma_f, (PromptGroup(SIM_M, (numeric.preconditioner(weights),), tuple(SIM_KS)),))
                  for weights in mixtures.values()]
    points = sweep(quantities, SIM_PROMPTS, seed=SEED, name="task-selection", executor=executor)
    curves = {}
    for (name, weights), point in zip(mixtures.items(), points):
        objectives = [task_selection.TrueObjective(numeric, Sigma_f, k) for k in CURVE_KS]
        curves[name] = {"weights": weights.tolist(), "exact_limit": [f(weights) for f in objectives],
                        "simulated_mean": point.mean.tolist(), "simulated_se": point.standard_error.tolist()}
    return curves


def task_selection_figure(out_dir: Path, executor: Executor | None = None) -> list[Path]:
    plt = pyplot()
    selection, curves = averaged_selection(), error_curves(executor)
    names = [t.name for t in settings.TASK_TYPES]
    data_path = Path(out_dir) / "task_selection.json"
    data_path.write_text(json.dumps({
        "task_types": [{"name": t.name, "alpha": str(t.alpha), "B": t.B} for t in settings.TASK_TYPES],
        "test_alphas": [str(a) for a in TEST_ALPHAS], "averaged_selection": selection,
        "curve_test_alpha": str(CURVE_ALPHA), "curve_ks": list(CURVE_KS), "simulated_m": SIM_M,
        "simulated_ks": list(SIM_KS), "simulated_prompts": SIM_PROMPTS, "seed": SEED, "curves": curves,
        "qp_versus_true_k2": qp_versus_true(),
    }, indent=2), encoding="utf-8")

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / len(selection)
    for i, (label, weights) in enumerate(selection.items()):
        left.bar(np.arange(4) + (i - (len(selection) - 1) / 2) * width, weights, width, label=label)
    left.set_xticks(np.arange(4), names)
    left.set_ylabel("selected probability (avg over test tasks)")
    left.set_title("(a) task selection, true objective")
    left.legend(fontsize=8)
    for name, curve in curves.items():
        line, = right.semilogy(list(CURVE_KS), curve["exact_limit"], label=f"{name}: exact, m → ∞")
        right.errorbar(list(SIM_KS), curve["simulated_mean"], yerr=2 * np.array(curve["simulated_se"]), fmt="o",
                       color=line.get_color(), ms=4, label=f"{name}: simulated LSA, m = {SIM_M}")
    right.set_xlabel("CoT steps k")
    right.set_ylabel("E‖ŵ_k − w*‖²")
    right.set_title(f"(b) test error, α_test = {CURVE_ALPHA}")
    right.legend(fontsize=7)
    return [data_path, save_png(fig, Path(out_dir) / "task_selection.png")]


TRAINING_LAMBDAS = tuple(Lambda for Lambda, _ in settings.MULTITASK_TASKS)
TRAINING_LENGTHS, TRAINING_WEIGHTS = tuple(n for _, n in settings.MULTITASK_TASKS), settings.MULTITASK_WEIGHTS
TRAINING_STEPS, TRAINING_BATCH, TRAINING_RATE = 3000, 200, 0.03


def multitask_training_figure(out_dir: Path, _executor: Executor | None = None) -> list[Path]:
    """One SGD path (a single random stream: a path is not a sweep of independent points)."""
    plt = pyplot()
    tasks = [multitask.Task.of(L, n) for L, n in zip(TRAINING_LAMBDAS, TRAINING_LENGTHS)]
    derived = np.array(multitask.multitask_preconditioner(tasks, TRAINING_WEIGHTS).evalf(20), dtype=float)
    naive = np.array(multitask.naive_preconditioner(tasks, TRAINING_WEIGHTS).evalf(20), dtype=float)
    result = train_on_mixture(np.random.default_rng(SEED), [np.array(L, dtype=float) for L in TRAINING_LAMBDAS],
                              TRAINING_LENGTHS, [float(p) for p in TRAINING_WEIGHTS], steps=TRAINING_STEPS,
                              learning_rate=TRAINING_RATE, batch=TRAINING_BATCH)
    to_derived = np.linalg.norm(result.path - derived, axis=(1, 2))
    to_naive = np.linalg.norm(result.path - naive, axis=(1, 2))
    data_path = Path(out_dir) / "multitask_training.csv"
    write_csv(data_path, ["step", "distance_to_derived_optimum", "distance_to_naive"],
              zip(range(len(to_derived)), to_derived.tolist(), to_naive.tolist()))

    fig, axis = plt.subplots(figsize=(6, 4))
    axis.semilogy(to_derived, label="‖Ṽ_t − Ṽ(π)‖_F, derived multi-task optimum")
    axis.semilogy(to_naive, label="‖Ṽ_t + Γ(Σπ_ℓΛ_ℓ)⁻¹‖_F, naive")
    axis.set_xlabel("SGD step (batch 200, mixed-task prompts)")
    axis.set_ylabel("Frobenius distance")
    axis.set_title("LSA trained on a two-task mixture")
    axis.legend(fontsize=8)
    return [data_path, save_png(fig, Path(out_dir) / "multitask_training.png")]


FIGURES: dict = {"task-selection": task_selection_figure, "multitask-training": multitask_training_figure}
ILLUSTRATES = {   # figure -> the registered results it illustrates (report and notes pages link them)
    "task-selection": ("tts:prop-4.3", "tts:claim-3"),
    "multitask-training": ("tts:multitask-optimum",),
}
