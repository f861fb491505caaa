"""Figures of 2603.01293 App. B (the proportional limit of the SFT post-test error); see icl_theory.figures.

* ``synergy-fig5-limit``: F(β) of Theorem B.1, corrected (``derivations.sft_asymptotics.sft_limit``) and as printed
  (``printed_limit``), at μ₁ = 1/2, ρ = 1/10, η = 1/2, r = 1/10, γ = 1, against the simulated post-test error of the
  first-order solution V_S + V_N and of the exact minimiser Ṽ* at d = 100 (verify/sft_proportional.py: one SFT run
  per row, error measured by running the layer), mean ± 2 SE over ``RUNS`` runs per β.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy as sp

from derivations import sft_asymptotics
from derivations.records.synergy_asymptotics import FiniteSetting
from icl_theory.figures.output import pyplot, save_png, write_csv
from verify.executors import Executor
from verify.sweep import sweep

R = sp.Rational
MU1, RHO, ETA, R_INTERFERENCE, GAMMA = R(1, 2), R(1, 10), R(1, 2), R(1, 10), R(1)
D = 100
RUNS = 20
TEST_PROMPTS = 32
SIMULATED_BETAS = (R(1, 10), R(1, 5), R(3, 10), R(1, 2), R(7, 10), R(17, 20), R(6, 5), R(3, 2), R(2), R(3))
CURVE_BETAS = tuple(R(j, 100) for j in range(0, 300, 2) if j != 100)
SEED = 2603


def simulated_points(executor: Executor | None) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(β, mean, SE) of (Err(V_S + V_N), Err(Ṽ*)) over RUNS SFT runs at d = D, per β of SIMULATED_BETAS: one sweep
    (the B-sweep of App. B) on ``executor``."""
    quantities = [FiniteSetting(d=D, beta=beta, mu1=MU1, rho=RHO, eta=ETA, r=R_INTERFERENCE, gamma=GAMMA)
                  .quantity(TEST_PROMPTS, solutions=("first-order", "minimiser")) for beta in SIMULATED_BETAS]
    points = sweep(quantities, RUNS, seed=SEED, name="synergy-fig5-limit", executor=executor)
    return [(float(beta), point.mean, point.standard_error) for beta, point in zip(SIMULATED_BETAS, points)]


def limit_figure(out_dir: Path, executor: Executor | None = None) -> list[Path]:
    params = (MU1, RHO, ETA, R_INTERFERENCE, GAMMA)
    corrected = [float(sft_asymptotics.sft_limit(b, *params)) for b in CURVE_BETAS]
    printed = [float(sft_asymptotics.printed_limit(b, *params)) for b in CURVE_BETAS]
    points = simulated_points(executor)
    rows = [["limit", float(b), c, p, "", "", "", ""] for b, c, p in zip(CURVE_BETAS, corrected, printed)]
    rows += [["simulation", b, "", "", m[0], s[0], m[1], s[1]] for b, m, s in points]
    csv_path = write_csv(out_dir / "synergy_fig5_limit.csv",
                         ["kind", "beta", "F_corrected", "F_printed", "err_first_order", "se_first_order",
                          "err_minimiser", "se_minimiser"], rows)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    betas = np.array([float(b) for b in CURVE_BETAS])
    for mask in (betas < 1, betas > 1):
        ax.plot(betas[mask], np.array(corrected)[mask], color="C0", lw=2,
                label="F(β), T₁₂ terms corrected" if mask[0] else None)
        ax.plot(betas[mask], np.array(printed)[mask], color="C3", lw=1.2, ls="--",
                label="F(β) as printed (B.10)" if mask[0] else None)
    b, m, s = (np.array([p[0] for p in points]), np.array([p[1] for p in points]), np.array([p[2] for p in points]))
    ax.errorbar(b, m[:, 0], yerr=2 * s[:, 0], fmt="o", color="k", ms=4, capsize=3,
                label=f"simulated Err(V_S + V_N), d = {D}")
    ax.errorbar(b, m[:, 1], yerr=2 * s[:, 1], fmt="s", color="0.55", ms=4, capsize=3,
                label=f"simulated Err(Ṽ*) (exact minimiser), d = {D}")
    ax.axvline(1, color="0.8", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("β = B/d")
    ax.set_ylabel("post-test error per dimension")
    ax.set_title(f"SFT post-test error: μ₁ = {MU1}, ρ = {RHO}, η = {ETA}, r = {R_INTERFERENCE}, γ = d/n = {GAMMA}",
                 fontsize=9)
    ax.legend(fontsize=8)
    return [csv_path, save_png(fig, out_dir / "synergy_fig5_limit.png")]


FIGURES = {"synergy-fig5-limit": limit_figure}
ILLUSTRATES = {   # figure -> the registered results it illustrates (report and notes pages link them)
    "synergy-fig5-limit": ("synergy:thm-B.1", "synergy:prop-B.2", "synergy:claim-first-order"),
}
