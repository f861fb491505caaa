"""Figures of 2603.01293 §5.2 (SFT data scaling, Figs 1–2); see icl_theory.figures.

* ``synergy-fig1-double-descent``: post-test error against the number of SFT prompts B.
  (a) r = 0 (rank A = m): the exact expected error of the SFT minimiser Ṽ* for long SFT prompts
  (``derivations.sft_claims.noise_free_sft_error``, poles at B = m ± 1, m) at d = 16, m = 8, against the simulated
  Err(Ṽ*) (2000 examples per SFT prompt; verify/sft_experiments.py) at the B where the per-run error has finite
  variance. (b) r ≠ 0: F(β) of Theorem B.1 (corrected; peak at B = d) against the simulated first-order V_S + V_N and
  exact minimiser Ṽ* at d = 40, n = 2d.
* ``synergy-fig2-length``: F(β; γ = d/n) against n/d for a few β = B/d, against the simulated first-order solution at
  d = 40 (the pretrained Γ₀ at length n, as in App. B).

Monte Carlo points: mean ± 2 SE over ``RUNS`` SFT runs per point.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy as sp

from derivations import sft_asymptotics, sft_claims
from derivations.pretraining import gamma_closed_form
from derivations.records.synergy_asymptotics import FiniteSetting
from icl_theory.figures.output import pyplot, save_png, write_csv
from verify.executors import Executor
from verify.sft_experiments import SFTArmsError
from verify.sweep import sweep

R = sp.Rational
SEED = 2603
RUNS = 20
TEST_PROMPTS = 32
# (a) r = 0, exact finite d
RANK_SETTING = dict(d=16, m=8, rho=R(1, 10), eta=R(1, 5), n=32)
RANK_CURVE = tuple(range(1, 49))
RANK_SIMULATED = (2, 3, 4, 12, 13, 16, 20, 24, 32, 48)
SFT_LENGTH = 2000
# (b) r ≠ 0, proportional limit
LIMIT = dict(mu1=R(1, 2), rho=R(1, 10), eta=R(1, 5), r=R(1, 10), gamma=R(1, 2))
LIMIT_D = 40
LIMIT_CURVE = tuple(R(j, 100) for j in range(0, 400, 2) if j != 100)
LIMIT_SIMULATED = (R(1, 5), R(1, 2), R(4, 5), R(5, 4), R(2), R(3))
# Fig. 2
LENGTH = dict(mu1=R(1, 2), rho=R(1, 10), eta=R(1, 5), r=R(1, 100))
LENGTH_BETAS = (R(1, 8), R(3, 10), R(2))
LENGTH_CURVE = tuple(R(1, 50) * R(6, 5) ** j for j in range(0, 33))          # γ from 1/50 to ~6
LENGTH_D = 40
LENGTH_SIMULATED = (R(1), R(1, 2), R(1, 5))                                    # γ = d/n


def _mean_se(quantity: SFTArmsError, name: str, executor: Executor | None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SE over RUNS SFT runs of every arm of ``quantity`` (a B- or length-sweep, one row per run)."""
    point, = sweep([quantity], RUNS, seed=SEED, name=name, executor=executor)
    return point.mean, point.standard_error


def rank_deficient_points(executor: Executor | None) -> tuple[np.ndarray, np.ndarray]:
    """Simulated Err(Ṽ*) (mean, SE) at RANK_SIMULATED, r = 0, long SFT prompts."""
    s = RANK_SETTING
    Sigma0, Sigma, A = sft_claims.noise_free_setting(s["d"], s["m"], s["rho"], s["eta"])
    V_pre = -gamma_closed_form(Sigma0, s["n"]).inv()
    quantity = SFTArmsError(Sigma=Sigma, A=A, V_pres=(V_pre,) * len(RANK_SIMULATED), eta=float(s["eta"]),
                            Bs=RANK_SIMULATED, sft_lengths=(SFT_LENGTH,) * len(RANK_SIMULATED),
                            test_lengths=(s["n"],) * len(RANK_SIMULATED), test_prompts=TEST_PROMPTS)
    return _mean_se(quantity, "synergy-fig1-double-descent/rank", executor)


def limit_points(executor: Executor | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Simulated (first-order, minimiser) errors (mean, SE) at β of LIMIT_SIMULATED, d = LIMIT_D."""
    setting = FiniteSetting(d=LIMIT_D, beta=R(1), **LIMIT)
    n = int(LIMIT_D / LIMIT["gamma"])
    points = []
    for solution in ("first-order", "minimiser"):
        quantity = SFTArmsError(Sigma=setting.test_covariance(), A=setting.sft_covariance(),
                                V_pres=(setting.pretrained(),) * len(LIMIT_SIMULATED), eta=float(LIMIT["eta"]),
                                Bs=tuple(int(b * LIMIT_D) for b in LIMIT_SIMULATED),
                                sft_lengths=(n,) * len(LIMIT_SIMULATED), test_lengths=(n,) * len(LIMIT_SIMULATED),
                                test_prompts=TEST_PROMPTS, solution=solution)
        points.append(_mean_se(quantity, f"synergy-fig1-double-descent/{solution}", executor))
    return points


def double_descent_figure(out_dir: Path, executor: Executor | None = None) -> list[Path]:
    s = RANK_SETTING
    exact = [sft_claims.noise_free_sft_error(**s, B=B) for B in RANK_CURVE]
    exact_f = [float(e) if e != sp.oo else float("nan") for e in exact]
    rank_mean, rank_se = rank_deficient_points(executor)
    params = tuple(LIMIT[k] for k in ("mu1", "rho", "eta", "r", "gamma"))
    F = [float(sft_asymptotics.pretrained_limit(*params)) if b == 0 else float(sft_asymptotics.sft_limit(b, *params))
         for b in LIMIT_CURVE]
    (fo_mean, fo_se), (mi_mean, mi_se) = limit_points(executor)
    rows = [["r=0 exact", B, "" if e == sp.oo else float(e), "", ""] for B, e in zip(RANK_CURVE, exact)]
    rows += [["r=0 simulated minimiser", B, "", m, se] for B, m, se in zip(RANK_SIMULATED, rank_mean, rank_se)]
    rows += [["r>0 F(beta)", float(b) * LIMIT_D, f, "", ""] for b, f in zip(LIMIT_CURVE, F)]
    rows += [["r>0 simulated first-order", float(b) * LIMIT_D, "", m, se]
             for b, m, se in zip(LIMIT_SIMULATED, fo_mean, fo_se)]
    rows += [["r>0 simulated minimiser", float(b) * LIMIT_D, "", m, se]
             for b, m, se in zip(LIMIT_SIMULATED, mi_mean, mi_se)]
    csv_path = write_csv(out_dir / "synergy_fig1_double_descent.csv",
                         ["series", "B", "theory", "simulated_mean", "simulated_se"], rows)
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    left.plot(RANK_CURVE, exact_f, color="C0", lw=2, label="exact E Err(Ṽ*), long SFT prompts")
    left.errorbar(RANK_SIMULATED, rank_mean, yerr=2 * rank_se, fmt="o", color="k", ms=4, capsize=3,
                  label=f"simulated Err(Ṽ*) (n_SFT = {SFT_LENGTH})")
    left.axvline(s["m"], color="C3", lw=0.8, ls="--", label="B = m = rank A")
    left.axvline(s["d"], color="0.7", lw=0.8, ls=":", label="B = d")
    left.set_yscale("log")
    left.set_xlabel("B (SFT prompts)")
    left.set_ylabel("post-test error per dimension")
    left.set_title(f"r = 0: d = {s['d']}, m = {s['m']}, ρ = {s['rho']}, η = {s['eta']}, n = {s['n']}", fontsize=9)
    left.legend(fontsize=7)
    B_curve = np.array([float(b) * LIMIT_D for b in LIMIT_CURVE])
    F = np.array(F)
    for mask in (B_curve < LIMIT_D, B_curve > LIMIT_D):
        right.plot(B_curve[mask], F[mask], color="C0", lw=2, label="F(β) (Thm B.1, corrected)" if mask[0] else None)
    B_sim = np.array([float(b) * LIMIT_D for b in LIMIT_SIMULATED])
    right.errorbar(B_sim, fo_mean, yerr=2 * fo_se, fmt="o", color="k", ms=4, capsize=3,
                   label=f"simulated Err(V_S + V_N), d = {LIMIT_D}")
    right.errorbar(B_sim, mi_mean, yerr=2 * mi_se, fmt="s", color="0.55", ms=4, capsize=3,
                   label=f"simulated Err(Ṽ*), d = {LIMIT_D}")
    right.axvline(LIMIT_D, color="C3", lw=0.8, ls="--", label="B = d = rank A")
    right.set_yscale("log")
    right.set_xlabel("B (SFT prompts)")
    right.set_title("r = {r}: μ₁ = {mu1}, ρ = {rho}, η = {eta}, d/n = {gamma}".format(**LIMIT), fontsize=9)
    right.legend(fontsize=7)
    return [csv_path, save_png(fig, out_dir / "synergy_fig1_double_descent.png")]


def length_points(executor: Executor | None, beta: sp.Rational) -> tuple[np.ndarray, np.ndarray]:
    """Simulated first-order error (mean, SE) at γ of LENGTH_SIMULATED, B = βd, d = LENGTH_D."""
    settings = [FiniteSetting(d=LENGTH_D, beta=beta, gamma=g, **LENGTH) for g in LENGTH_SIMULATED]
    ns = tuple(int(LENGTH_D / g) for g in LENGTH_SIMULATED)
    quantity = SFTArmsError(Sigma=settings[0].test_covariance(), A=settings[0].sft_covariance(),
                            V_pres=tuple(st.pretrained() for st in settings), eta=float(LENGTH["eta"]),
                            Bs=(int(beta * LENGTH_D),) * len(ns), sft_lengths=ns, test_lengths=ns,
                            test_prompts=TEST_PROMPTS, solution="first-order")
    return _mean_se(quantity, f"synergy-fig2-length/{beta}", executor)


def length_figure(out_dir: Path, executor: Executor | None = None) -> list[Path]:
    params = tuple(LENGTH[k] for k in ("mu1", "rho", "eta", "r"))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    rows = []
    for colour, beta in enumerate(LENGTH_BETAS):
        curve = [float(sft_asymptotics.sft_limit(beta, *params, g)) for g in LENGTH_CURVE]
        lengths = [float(1 / g) for g in LENGTH_CURVE]
        mean, se = length_points(executor, beta)
        rows += [[float(beta), x, f, "", ""] for x, f in zip(lengths, curve)]
        rows += [[float(beta), float(1 / g), "", m, e] for g, m, e in zip(LENGTH_SIMULATED, mean, se)]
        ax.plot(lengths, curve, color=f"C{colour}", lw=2, label=f"F, β = B/d = {beta}")
        ax.errorbar([float(1 / g) for g in LENGTH_SIMULATED], mean, yerr=2 * se, fmt="o", color=f"C{colour}",
                    ms=4, capsize=3)
    csv_path = write_csv(out_dir / "synergy_fig2_length.csv",
                         ["beta", "n_over_d", "F", "simulated_mean", "simulated_se"], rows)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n/d (prompt length per dimension; pretraining at the same n)")
    ax.set_ylabel("post-test error per dimension")
    ax.set_title("SFT error vs prompt length: μ₁ = {mu1}, ρ = {rho}, η = {eta}, r = {r}\n"
                 "curves F(β; d/n), points: simulated V_S + V_N at d = {d}".format(d=LENGTH_D, **LENGTH), fontsize=9)
    ax.legend(fontsize=8)
    return [csv_path, save_png(fig, out_dir / "synergy_fig2_length.png")]


FIGURES = {"synergy-fig1-double-descent": double_descent_figure, "synergy-fig2-length": length_figure}
ILLUSTRATES = {   # figure -> the registered results it illustrates (report and notes pages link them)
    "synergy-fig1-double-descent": ("synergy:claim-double-descent", "synergy:claim-dilution"),
    "synergy-fig2-length": ("synergy:claim-optimal-length",),
}
