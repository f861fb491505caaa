"""Figures of 2510.03605 (depth); see icl_theory.figures for the contract. All numbers are exact (derivations/).

* ``depth-kstar``: heat map of the optimal number of CoT steps k*(n, m) = argmin_{1≤k≤8} E‖e_k‖² at
  Λ = Σ = diag(1, ½, ¼) (``derivations.optimal_depth``), from the exact polynomials in 1/m of
  ``finite_cot.cot_error_coefficients`` (one engine pass per n, then every m by evaluation). Cells where the argmin
  sits at the cap are marked "≥ 8" (unbounded as m → ∞).
* ``depth-mp-bridge``: Σ = I, n = d, m = 2d (γ = 1/2, τ = 1): the exact error per dimension of the trained model
  against its Marchenko–Pastur limit ∫(1 − cλ)^{2k} dMP_γ (``derivations.marchenko_pastur``) for d = 4 … 512 and
  k = 1, 2, 4; the gap on log–log axes with its least-squares slope and the exact leading order a/d^p.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy as sp

from derivations import marchenko_pastur
from derivations.finite_cot import cot_error_coefficients
from derivations.optimal_depth import depth_from_errors
from derivations.settings import DEPTH_LAMBDA
from icl_theory.figures.output import pyplot, save_png, write_csv
from verify.executors import Executor

LAMBDA = DEPTH_LAMBDA
CAP = 8
TRAIN_LENGTHS = (2, 5, 10, 20, 40, 80)
TEST_LENGTHS = (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 70, 100, 150, 200)
BRIDGE_DIMS = (4, 8, 16, 32, 64, 128, 256, 512)
BRIDGE_KS = (1, 2, 4)
GAMMA, TAU = sp.Rational(1, 2), sp.Integer(1)


def optimal_depth_grid() -> np.ndarray:
    """k*(n, m) over TRAIN_LENGTHS × TEST_LENGTHS (CAP + 1 where the argmin sits at the cap)."""
    grid = np.zeros((len(TRAIN_LENGTHS), len(TEST_LENGTHS)), dtype=int)
    for a, n in enumerate(TRAIN_LENGTHS):
        coefficients = cot_error_coefficients(LAMBDA, n, LAMBDA, CAP)
        for b, m in enumerate(TEST_LENGTHS):
            errors = [sum(c * sp.Rational(1, m) ** j for j, c in enumerate(cs)) for cs in coefficients]
            k_star = depth_from_errors(errors).k_star
            grid[a, b] = CAP + 1 if k_star is None else k_star
    return grid


def kstar_figure(out_dir: Path, _executor: Executor | None = None) -> list[Path]:
    """Exact k* over a grid of (n, m) (no simulation)."""
    grid = optimal_depth_grid()
    rows = [[n, m, int(grid[a, b]) if grid[a, b] <= CAP else f">={CAP}"]
            for a, n in enumerate(TRAIN_LENGTHS) for b, m in enumerate(TEST_LENGTHS)]
    csv_path = write_csv(out_dir / "depth_kstar.csv", ["n", "m", "k_star"], rows)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", vmin=1, vmax=CAP + 1)
    for a in range(grid.shape[0]):
        for b in range(grid.shape[1]):
            label = str(grid[a, b]) if grid[a, b] <= CAP else f"≥{CAP}"
            ax.text(b, a, label, ha="center", va="center", fontsize=7, color="w" if grid[a, b] < 5 else "k")
    ax.set_xticks(range(len(TEST_LENGTHS)), [str(m) for m in TEST_LENGTHS])
    ax.set_yticks(range(len(TRAIN_LENGTHS)), [str(n) for n in TRAIN_LENGTHS])
    ax.set_xlabel("test prompt length m")
    ax.set_ylabel("training prompt length n")
    ax.set_title(r"exact $k^* = \mathrm{argmin}_{1\leq k\leq 8}\,\mathbb{E}\|e_k\|^2$, "
                 r"$\Lambda = \Sigma = \mathrm{diag}(1, 1/2, 1/4)$")
    fig.colorbar(image, ax=ax, label="k*")
    return [csv_path, save_png(fig, out_dir / "depth_kstar.png")]


def bridge_figure(out_dir: Path, _executor: Executor | None = None) -> list[Path]:
    """Exact finite-d errors against the MP limit (no simulation)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    rows = []
    for k in BRIDGE_KS:
        table = marchenko_pastur.bridge_rows(list(BRIDGE_DIMS), GAMMA, TAU, k)
        power, coefficient = marchenko_pastur.gap_leading_order(GAMMA, TAU, k)
        dims = np.array([r.d for r in table], dtype=float)
        gaps = np.array([float(r.gap) for r in table])
        slope = np.polyfit(np.log(dims[-4:]), np.log(np.abs(gaps[-4:])), 1)[0]
        rows += [[k, r.d, r.m, r.n, float(r.per_dimension), float(r.limit), float(r.gap), f"{slope:.4f}",
                  power, str(coefficient)] for r in table]
        ax.loglog(dims, np.abs(gaps), "o-", label=f"k = {k}: fitted slope {slope:.3f}, exact {float(coefficient):.4g}/d^{power}")
    csv_path = write_csv(out_dir / "depth_mp_bridge.csv",
                          ["k", "d", "m", "n", "exact_per_dimension", "mp_limit", "gap", "fitted_slope",
                           "exact_order", "exact_coefficient"], rows)
    ax.set_xlabel("dimension d  (m = 2d, n = d)")
    ax.set_ylabel(r"$|\mathbb{E}\|e_k\|^2/d - \int(1 - c\lambda)^{2k}\,dMP_{1/2}|$")
    ax.set_title("exact finite-d error → Marchenko–Pastur limit")
    ax.legend(fontsize=7)
    return [csv_path, save_png(fig, out_dir / "depth_mp_bridge.png")]


FIGURES = {"depth-kstar": kstar_figure, "depth-mp-bridge": bridge_figure}
ILLUSTRATES = {   # figure -> the registered results it illustrates (report and notes pages link them)
    "depth-kstar": ("tts:optimal-depth", "tp:optimal-depth"),
    "depth-mp-bridge": ("tts:exact-cot-error", "tp:error-limit"),
}
