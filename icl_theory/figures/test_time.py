"""Figures of 2510.03605 (test-time scaling); see icl_theory.figures for the contract.

Setting (the paper's d, m and prompt counts were not recovered; these are ours, shared with the tts:* records):
training covariance Λ = diag(1, 1/2, 1/3, 1/4) (λ_i ∝ 1/i, d = 4), training lengths n ∈ {10, 20, 30}.

* ``tts-scaling-law``: test covariance Σ = Λ. (a) error against k: exact m → ∞ curves ‖(I − Γ⁻¹Λ)^k‖²_F
  (derivations/; dashed) with the simulated LSA on exact-covariance prompts (the m → ∞ design of
  verify/cot_quantities.py), and the exact finite-m error E‖e_k‖² at m = 500 (derivations.finite_cot; solid, for
  k ≤ FINITE_K) with the simulated LSA on Gaussian prompts of m = 500 examples (mean ± 2 SE over ``prompts`` test
  prompts); at n = 30, k = 6 the two exact values differ 25-fold; (b) n*(k, ε), the smallest
  training length reaching ε at depth k, for ε = the error of n = 30 at k = 1 and two smaller ε.
* ``tts-overthinking``: isotropic test covariance Σ = I (the weak training directions are under-represented).
  Exact m → ∞ and m = 500 curves for n ∈ {8, 10, 20, 30} and the simulated LSA (exact-covariance prompts, and
  Gaussian prompts with m = 500), as in (a) above.
* ``tts-training-convergence``: SGD on the sparse LSA blocks (verify.training.train_lsa, Ṽ_0 = 0, W̃ = I, η = 1/2)
  with 4, 16, 64, 256 fresh prompts per step: distance ‖Ṽ_t − Ṽ*‖_F of single runs and of their Polyak averages
  against the exact mean path E[Ṽ_t] (derivations.test_time.mean_sgd_iterate); and the final distance of the
  averaged iterate against the batch size (mean over ``runs`` runs), which falls like 1/√batch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import sympy as sp

from derivations import finite_cot, test_time
from derivations.records.tts import trained
from derivations.settings import ISOTROPIC, TRAINING
from icl_theory.figures.output import pyplot, save_png, write_csv
from verify.executors import Executor
from verify.quantities import CotWeightError, PromptGroup
from verify.runner import numeric
from verify.sweep import sweep
from verify.training import train_lsa

SEED = 20251004
LENGTHS = (10, 20, 30)
KS = tuple(range(1, 11))
GAUSSIAN_M = 500
FINITE_K = 6   # exact finite-m errors up to this k: at d = 4 about 1 s per n (k = 7: 4 s; k ≥ 8 exceeds MONOMIAL_LIMIT)
EXACT_M = 8


def simulate_curves(Sigma: sp.Matrix, lengths: tuple[int, ...], ks: tuple[int, ...], design: str, m: int,
                    prompts: int, seed: int, executor: Executor | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SE (batch means) of the simulated ‖ŵ_k − w‖², shape (len(lengths), len(ks)) each, swept on
    ``executor``."""
    quantity = CotWeightError(Sigma, (PromptGroup(m, tuple(trained(n) for n in lengths), ks),), design=design)
    point, = sweep([quantity], prompts, seed=seed, name=f"tts-curves/{design}", executor=executor)
    shape = (len(lengths), len(ks))
    return point.mean.reshape(shape), point.standard_error.reshape(shape)


def _curve_rows(Sigma: sp.Matrix, lengths: tuple[int, ...], prompts: int, seed: int,
                executor: Executor) -> list[list[object]]:
    exact = {(n, k): test_time.limit_error(TRAINING, n, Sigma, k) for n in lengths for k in KS}
    finite = {n: finite_cot.cot_errors(TRAINING, n, Sigma, GAUSSIAN_M, FINITE_K) for n in lengths}   # k = 0..FINITE_K
    ideal = simulate_curves(Sigma, lengths, KS, "exact", EXACT_M, prompts, seed, executor)
    gaussian = simulate_curves(Sigma, lengths, KS, "gaussian", GAUSSIAN_M, prompts, seed + 1, executor)
    rows = []
    for a, n in enumerate(lengths):
        for b, k in enumerate(KS):
            rows.append([n, k, str(exact[n, k]), float(exact[n, k]), ideal[0][a, b], ideal[1][a, b],
                         gaussian[0][a, b], gaussian[1][a, b], float(finite[n][k]) if k <= FINITE_K else ""])
    return rows


CURVE_HEADER = ["n", "k", "exact_limit", "exact_limit_float", "sim_exact_cov_mean", "sim_exact_cov_se",
                f"sim_gaussian_m{GAUSSIAN_M}_mean", f"sim_gaussian_m{GAUSSIAN_M}_se", f"exact_m{GAUSSIAN_M}_float"]


def _plot_curves(ax, rows: list[list[object]], lengths: tuple[int, ...]) -> None:
    """Colour = training length n; line and marker style = which theory and which simulation (legend in black)."""
    from matplotlib.lines import Line2D

    colours = ("C0", "C1", "C2", "C3")
    for n, colour in zip(lengths, colours):
        mine = [r for r in rows if r[0] == n]
        ks = [r[1] for r in mine]
        ax.semilogy(ks, [r[3] for r in mine], "--", color=colour, lw=1)
        finite = [r for r in mine if r[8] != ""]
        ax.semilogy([r[1] for r in finite], [r[8] for r in finite], "-", color=colour)
        ax.errorbar(ks, [r[4] for r in mine], yerr=[2 * r[5] for r in mine], fmt="o", color=colour, ms=4)
        ax.errorbar(ks, [r[6] for r in mine], yerr=[2 * r[7] for r in mine], fmt="x", color=colour, ms=5)
    handles = [Line2D([], [], color=c, lw=6, label=f"n = {n}") for n, c in zip(lengths, colours)]
    handles += [Line2D([], [], color="k", ls="--", lw=1, label="exact, m → ∞"),
                Line2D([], [], color="k", marker="o", ls="", ms=4, label="LSA, S = Σ exactly (m → ∞)"),
                Line2D([], [], color="k", label=f"exact, m = {GAUSSIAN_M} (k ≤ {FINITE_K})"),
                Line2D([], [], color="k", marker="x", ls="", ms=5, label=f"LSA, Gaussian m = {GAUSSIAN_M}")]
    ax.set_xlabel("test-time CoT steps k")
    ax.set_ylabel("E‖ŵ_k − w‖²")
    ax.legend(handles=handles, fontsize=7, ncol=2)


def scaling_law_figure(out_dir: Path, executor: Executor | None = None, prompts: int = 20_000) -> list[Path]:
    """Error against k for n = 10, 20, 30 (Σ = Λ) and the n*(k, ε) curves."""
    plt = pyplot()
    out = Path(out_dir)
    rows = _curve_rows(TRAINING, LENGTHS, prompts, SEED, executor)
    epsilons = [test_time.limit_error(TRAINING, 30, TRAINING, 1), sp.Rational(1, 100), sp.Rational(1, 1000)]
    n_star = {str(eps): [test_time.minimal_training_length(TRAINING, k, eps) for k in KS] for eps in epsilons}
    curve_path = write_csv(out / "tts_scaling_law.csv", CURVE_HEADER, rows)
    nstar_path = out / "tts_training_length_vs_steps.json"
    nstar_path.write_text(json.dumps({"Lambda": "diag(1, 1/2, 1/3, 1/4)", "ks": list(KS), "n_star": n_star},
                                     indent=2), encoding="utf-8")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    _plot_curves(left, rows, LENGTHS)
    left.set_title("test-time scaling law (test = training covariance)")
    for eps, curve in zip(epsilons, n_star.values()):
        right.plot(KS, curve, "o-", label=f"ε = {float(eps):.4g}")
    right.set_xlabel("test-time CoT steps k")
    right.set_ylabel("smallest training length n*(k, ε)")
    right.set_title("more steps, shorter training context")
    right.legend(fontsize=8)
    return [curve_path, nstar_path, save_png(fig, out / "tts_scaling_law.png")]


def overthinking_figure(out_dir: Path, executor: Executor | None = None, prompts: int = 20_000) -> list[Path]:
    """Error against k with skewed training (λ_i ∝ 1/i) and isotropic test covariance."""
    plt = pyplot()
    out = Path(out_dir)
    lengths = (8,) + LENGTHS
    rows = _curve_rows(ISOTROPIC, lengths, prompts, SEED + 10, executor)
    path = write_csv(out / "tts_overthinking.csv", CURVE_HEADER, rows)
    radii = {n: test_time.spectral_radius(TRAINING, n, ISOTROPIC) for n in lengths}
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    _plot_curves(ax, rows, lengths)
    ax.set_title("overthinking: training λ_i ∝ 1/i, isotropic test\n"
                 + ", ".join(f"ρ(n={n}) = {r:.3f}" for n, r in radii.items()), fontsize=9)
    return [path, save_png(fig, out / "tts_overthinking.png")]


BATCH_SIZES = (4, 16, 64, 256)
STEPS, AVERAGE_FROM, LEARNING_RATE, TRAIN_N = 300, 150, sp.Rational(1, 2), 10


def training_convergence_figure(out_dir: Path, _executor: Executor | None = None, runs: int = 8) -> list[Path]:
    """‖Ṽ_t − Ṽ*‖_F along SGD on the LSA, by batch size, with the exact mean path (SGD paths: one random stream)."""
    plt = pyplot()
    out = Path(out_dir)
    V_star = numeric(trained(TRAIN_N))
    Lambda = numeric(TRAINING)
    mean_path = [float(np.linalg.norm(numeric(test_time.mean_sgd_iterate(TRAINING, TRAIN_N, LEARNING_RATE, t))
                                      - V_star)) for t in range(0, STEPS + 1, 10)]
    rng = np.random.default_rng(SEED)
    traces, finals = {}, {}
    for batch in BATCH_SIZES:
        distances = []
        for run in range(runs):
            result = train_lsa(rng, Lambda, TRAIN_N, steps=STEPS, learning_rate=float(LEARNING_RATE), batch=batch)
            averaged = result.V_tildes[result.steps >= AVERAGE_FROM].mean(axis=0)
            distances.append(float(np.linalg.norm(averaged - V_star)))
            if run == 0:
                traces[batch] = np.linalg.norm(result.V_tildes - V_star, axis=(1, 2)).tolist()
        finals[batch] = (float(np.mean(distances)), float(np.std(distances, ddof=1) / np.sqrt(runs)))
    data = {"Lambda": "diag(1, 1/2, 1/3, 1/4)", "n": TRAIN_N, "learning_rate": str(LEARNING_RATE),
            "steps": STEPS, "average_from": AVERAGE_FROM, "runs_per_batch_size": runs,
            "V_star": V_star.tolist(), "mean_path_steps": list(range(0, STEPS + 1, 10)),
            "mean_path_distance": mean_path, "single_run_distance": {str(b): t for b, t in traces.items()},
            "averaged_final_distance": {str(b): {"mean": v[0], "se": v[1]} for b, v in finals.items()}}
    path = out / "tts_training_convergence.json"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for batch, trace in traces.items():
        left.semilogy(range(len(trace)), trace, lw=0.8, label=f"one SGD run, {batch} prompts/step")
    left.semilogy(data["mean_path_steps"], mean_path, "k--", label="exact mean path E[Ṽ_t]")
    left.set_xlabel("step t")
    left.set_ylabel("‖Ṽ_t − (−Γ⁻¹)‖_F")
    left.legend(fontsize=7)
    sizes = np.array(BATCH_SIZES, dtype=float)
    right.errorbar(sizes, [finals[b][0] for b in BATCH_SIZES], yerr=[2 * finals[b][1] for b in BATCH_SIZES], fmt="o-",
                   label=f"Polyak average of steps {AVERAGE_FROM}..{STEPS}")
    right.loglog(sizes, finals[BATCH_SIZES[0]][0] * np.sqrt(sizes[0] / sizes), "k:", label="∝ 1/√batch")
    right.set_xlabel("prompts per step")
    right.set_ylabel("‖Ṽ_avg − (−Γ⁻¹)‖_F")
    right.legend(fontsize=8)
    return [path, save_png(fig, out / "tts_training_convergence.png")]


FIGURES: dict = {
    "tts-scaling-law": scaling_law_figure,
    "tts-overthinking": overthinking_figure,
    "tts-training-convergence": training_convergence_figure,
}
ILLUSTRATES = {   # figure -> the registered results it illustrates (report and notes pages link them)
    "tts-scaling-law": ("tts:cor-3.5", "tts:claim-1", "tts:exact-cot-error"),
    "tts-overthinking": ("tts:rem-4.1", "tts:claim-2"),
    "tts-training-convergence": ("tts:thm-3.1",),
}
