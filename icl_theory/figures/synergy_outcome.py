"""Figure of 2603.01293's outcome-supervision experiments (Figs 3d–f / 4d–f) in the linear model; see icl_theory.figures.

``synergy-outcome``: the one-step post-test error Err = E‖ŵ_1 − w*‖² after OS post-training, Σ = Σ₀ + Δ with Σ₀ = I:
* vs B (n = 20) and vs n (B = 64), k = 1: the exact B → ∞ error Err(−Γ_n⁻¹) and the expansion Err + c(n)/B
  (derivations.os_claims.finite_b_coefficient), with GD on B fixed prompts of the simulated layer (verify.os_experiments,
  η = 1/7, 90 steps; mean ± 2 SE over runs, 1000 fresh test prompts per run);
* vs k = 1, 2, 3 over the map ρ(M₀) (Δ = diag(0, δ)): Err after T = 40 steps of population GD at η = 1/20 and 1/100
  (derivations.os_claims.population_gd; missing = diverged), with online OS on the layer (512 fresh prompts per step)
  at two δ for η = 1/20 (open markers: the fraction of runs that finished is in the CSV).
Data: synergy_outcome_data.csv, synergy_outcome_map.csv; picture: synergy_outcome.png.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy as sp

from derivations import os_claims
from derivations.notation import ExpectedSquaredError
from derivations.outcome import pretrained_transition, spectral_radius
from icl_theory.figures.output import pyplot, save_png, write_csv
from verify.executors import Executor
from verify.os_experiments import OSArm, train_and_test

R = sp.Rational
SEED = 2603
N0 = 50
SIGMA0 = sp.eye(2)
DATA_SIGMA = sp.diag(1, 2)
DATA_N, DATA_B = 20, 64
B_GRID = (16, 32, 64, 128, 256)
N_GRID = (10, 20, 40, 80)
DATA_STEP, DATA_STEPS, DATA_RUNS = 1 / 7, 90, 24
DELTAS = (R(1, 4), R(1, 2), R(1), R(3, 2), R(2), R(3))
STEPS_MAP = (R(1, 20), R(1, 100))
KS = (1, 2, 3)
T, MAP_N, ONLINE_BATCH, K_RUNS = 40, 20, 512, 12
SIMULATED_DELTAS = (R(1, 2), R(2))
TEST_PROMPTS = 1000


def _init() -> sp.Matrix:
    return sp.diag(*os_claims.pretrained_init(SIGMA0, N0))


def _theory(n: int, B) -> tuple[float, float]:
    """(Err(Ṽ_∞), Err(Ṽ_∞) + c/B) at length n on DATA_SIGMA."""
    limit = ExpectedSquaredError(os_claims.trained_preconditioner(DATA_SIGMA, n), DATA_SIGMA, n, 1).doit()
    return float(limit), float(limit + os_claims.finite_b_coefficient(DATA_SIGMA, n) / B)


def _simulate(rng: np.random.Generator, arm: OSArm, runs: int) -> tuple[float, float, float]:
    """(fraction finished, mean Err over finished runs, its SE)."""
    results = np.array([train_and_test(rng, arm, 0, TEST_PROMPTS) for _ in range(runs)])
    finished = results[:, 0] == 1
    errors = results[finished, 1]
    se = float(errors.std(ddof=1) / np.sqrt(len(errors))) if len(errors) > 1 else float("nan")
    return float(finished.mean()), float(errors.mean()) if len(errors) else float("nan"), se


def _float_arm(Sigma: sp.Matrix, n: int, B: int, k: int, step, steps: int, fresh: bool) -> OSArm:
    return OSArm(np.array(Sigma.evalf(20).tolist(), dtype=float), np.array(_init().evalf(20).tolist(), dtype=float),
                 n, B, k, float(step), steps, fresh)


def data_rows(rng: np.random.Generator) -> list[list[object]]:
    rows = []
    for axis, grid in (("B", B_GRID), ("n", N_GRID)):
        for value in grid:
            n, B = (DATA_N, value) if axis == "B" else (value, DATA_B)
            limit, expansion = _theory(n, B)
            arm = _float_arm(DATA_SIGMA, n, B, 1, DATA_STEP, DATA_STEPS, False)
            finished, mean, se = _simulate(rng, arm, DATA_RUNS)
            rows.append([axis, n, B, limit, expansion, mean, se, finished, DATA_RUNS])
    return rows


def map_rows(rng: np.random.Generator) -> list[list[object]]:
    rows = []
    V0 = _init()
    for delta in DELTAS:
        Delta = sp.diag(0, delta)
        Sigma = SIGMA0 + Delta
        rho = float(spectral_radius(pretrained_transition(SIGMA0, N0, Delta)))
        for step in STEPS_MAP:
            for k in KS:
                error, diverged = os_claims.trained_post_test_error(Sigma, MAP_N, k, list(V0.diagonal()), step, T, MAP_N)
                simulated = ("", "", "")
                if step == STEPS_MAP[0] and delta in SIMULATED_DELTAS:
                    simulated = _simulate(rng, _float_arm(Sigma, MAP_N, ONLINE_BATCH, k, step, T, True), K_RUNS)
                rows.append([str(delta), rho, str(step), k, "" if diverged else float(error), int(diverged),
                             *simulated])
    return rows


def outcome_figure(out_dir: Path, _executor: Executor | None = None) -> list[Path]:
    """One random stream: a run's row is kept only when its training finished, which a sweep of means cannot do."""
    rng = np.random.default_rng(SEED)
    data = data_rows(rng)
    grid = map_rows(rng)
    data_csv = write_csv(out_dir / "synergy_outcome_data.csv",
                         ["axis", "n", "B", "err_B_infinity", "err_expansion", "mc_mean", "mc_se", "mc_finished",
                          "mc_runs"], data)
    map_csv = write_csv(out_dir / "synergy_outcome_map.csv",
                        ["delta", "rho_M0", "step", "k", "err_population_gd", "diverged", "mc_finished", "mc_mean",
                         "mc_se"], grid)
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, axis, label in ((axes[0], "B", "number of OS prompts B (n = 20)"),
                            (axes[1], "n", "OS prompt length n (B = 64)")):
        rows = [r for r in data if r[0] == axis]
        x = np.array([r[2] if axis == "B" else r[1] for r in rows], dtype=float)
        ax.plot(x, [r[4] for r in rows], "-", color="C0", label="exact: Err(Ṽ∞) + c/B")
        ax.plot(x, [r[3] for r in rows], "--", color="C7", label="exact: B → ∞")
        ax.errorbar(x, [r[5] for r in rows], yerr=[2 * r[6] for r in rows], fmt="o", color="C1",
                    label=f"simulated layer, {DATA_RUNS} runs (±2 SE)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(label)
        ax.set_ylabel("post-test error E‖ŵ₁ − w*‖²")
        ax.legend(fontsize=7)
    ax = axes[2]
    for s, step in enumerate(STEPS_MAP):
        for k in KS:
            rows = [r for r in grid if r[2] == str(step) and r[3] == k]
            rho = [r[1] for r in rows]
            err = [np.nan if r[5] else r[4] for r in rows]
            ax.plot(rho, err, "o-" if s == 0 else "s:", color=f"C{k - 1}", label=f"k = {k}, η = {step}")
            div = [r[1] for r in rows if r[5]]
            ax.plot(div, [0.255 - 0.003 * (k - 1) - 0.0015 * s] * len(div), "x" if s == 0 else "+",
                    color=f"C{k - 1}", markersize=7)
            simulated = [r for r in rows if r[6] != ""]
            ax.plot([r[1] for r in simulated if r[6] > 0], [r[7] for r in simulated if r[6] > 0], "D",
                    mfc="none", color=f"C{k - 1}", markersize=9)
    ax.axvline(1.0, color="k", lw=0.6)
    ax.set_xlabel("ρ(M₀) = ρ(I − Γ₀⁻¹Σ) at the pretrained init")
    ax.set_ylabel("Err after 40 GD steps (×/+ at the bottom: diverged)")
    ax.set_title("longer OS CoT k (exact B → ∞; ◇ simulated, η = 1/20)", fontsize=9)
    ax.legend(fontsize=6, ncol=2)
    fig.suptitle("2603.01293 outcome supervision in the linear model: Σ₀ = I, Σ = Σ₀ + Δ, one step at test")
    return [data_csv, map_csv, save_png(fig, out_dir / "synergy_outcome.png")]


FIGURES = {"synergy-outcome": outcome_figure}
ILLUSTRATES = {   # figure -> the registered results it illustrates (report and notes pages link them)
    "synergy-outcome": ("synergy:claim-os-data", "synergy:claim-os-longer-k-hurts", "synergy:claim-os-cases"),
}
