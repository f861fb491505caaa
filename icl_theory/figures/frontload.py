"""Figure of the Front-Loading Reasoning findings (arXiv 2510.03264) in the linear model of 2603.01293; see
derivations/records/frontload.py for the mapping and the verdicts.

``frontload`` (one PNG, six panels, and a CSV per panel; simulated points: means ± 2 SE over 12 runs of the real
layer, every model fine-tuned on the same prompts and post-tested on the same prompts):
* (a) finding 1: the advantage Adv after SFT vs the number of SFT prompts B (exact Adv(Π), rank Π = min(B, 4);
  derivations.frontload) for the reasoning-pretrained models π = ½, 1, and the simulated "doubling" comparison
  Err_baseline(B = 2) − Err_{π=½}(B = 1) (not exact; annotated and in the CSV);
* (b) finding 2: E_Π Adv vs B for one pretraining budget spread over 4, 2 or 1 reasoning directions;
* (c) finding 3: the latent gain Adv(after SFT) − Adv(before) over a grid of the budget fraction f moved from the
  easy to the hard reasoning directions and the mass α added on U (exact; > 0 = latent effect reproduced);
* (d) finding 4: the B → ∞ post-test error after SFT on A_HQ + r·P_U⊥ vs r (exact, Prop. 4.3 + 5.1) for both
  pretrained models, with their errors after A_HQ (dashed) and before SFT (dotted), and simulated errors at B = 48;
* (e) finding 5: Adv vs B for the model that also pretrained on the SFT distribution;
* (f) finding 6: Err after T steps of outcome supervision (population GD, exact) for both models: k = 1 and k = 2 at
  the recipe's step 1/20 (the baseline diverges: its curve stops at T = 0), k = 2 at the baseline's stable step 1/232.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy as sp

from derivations import frontload as fl
from derivations import os_claims, sft
from derivations.pretraining import trained_preconditioner
from derivations.records import frontload as rec
from icl_theory.figures.output import pyplot, save_png, write_csv
from verify.executors import Executor
from verify.frontload_experiments import PipelineContrast
from verify.sweep import sweep

R = sp.Rational
SEED = 2510
RUNS = 12
B_EXACT = tuple(range(0, 9))
B_SIM = (0, 1, 2, 8)
FRACTIONS = tuple(R(i, 4) for i in range(5))
ADDED = tuple(R(i, 4) for i in range(5))
R_GRID = (R(1, 20), R(1, 10), R(1, 8), R(1, 4), R(3, 8), R(1, 2), R(3, 4), R(1), R(3, 2), R(2))
R_SIM = (R(1, 4), R(1, 2), R(1))
T_GRID = (0, 5, 10, 20, 40, 80, 160)
RL_SETTINGS = ((1, R(1, 20)), (2, R(1, 20)), (2, R(1, 232)))


def _advantage_panel(ax, out_dir: Path, executor: Executor | None) -> Path:
    models = {"π = 1": rec._SIGMA, "π = ½": rec._HALF}
    rows = _advantage_curves(ax, models, executor, "frontload/advantage")
    doubling = PipelineContrast(inits=(rec._init(rec._BASE), rec._init(rec._HALF)), arms=((rec._A_HQ, 2), (rec._A_HQ, 1)),
                                n=rec._N, eta=float(rec._ETA), k=rec._K, Sigma_test=rec._SIGMA, n_test=rec._N,
                                contrast=False)
    point, = sweep([doubling], RUNS, seed=SEED, name="frontload/doubling", executor=executor)
    gap, gap_se = point.contrast((1, 0, 0, -1))       # Err_baseline(B = 2) − Err_{π=½}(B = 1)
    rows.append(("doubling: Err_base(B=2) - Err_half(B=1)", 2, "", gap, gap_se))
    ax.set_xlabel("SFT prompts B (dim U = 4)")
    ax.set_ylabel("advantage Err_baseline − Err_model after SFT")
    ax.annotate(f"doubling: Err_b(B=2) − Err_½(B=1) = {gap:.1f} ± {gap_se:.1f}", (0.3, 3.0), fontsize=7)
    ax.set_title("(a) finding 1: advantage left after SFT")
    ax.legend(fontsize=7)
    return write_csv(out_dir / "frontload_advantage.csv", ["model", "B", "exact", "simulated mean", "simulated SE"],
                     rows)


def _advantage_curves(ax, models: dict, executor: Executor | None, name: str, expected: bool = False) -> list[tuple]:
    """Exact (E_Π when ``expected``) Adv vs B for each model over the baseline, with simulated means ± 2 SE."""
    rows = []
    for (label, S0), colour in zip(models.items(), ("C0", "C1", "C2")):
        if expected:
            exact = [float(fl.expected_advantage_random_span(rec._BASE, S0, rec._N, rec._SIGMA, rec._N,
                                                             rec._covered(rec._M), min(B, rec._M))) for B in B_EXACT]
        else:
            exact = [float(fl.advantage_after_sft(rec._BASE, S0, rec._N, rec._SIGMA, rec._N,
                                                  rec._covered(min(B, rec._M)))) for B in B_EXACT]
        ax.plot(B_EXACT, exact, "-", color=colour, label=f"{label} (exact{', mean over spans' if expected else ''})")
        quantity = rec._contrast((rec._BASE, S0), [(rec._A_HQ, B) for B in B_SIM])
        point, = sweep([quantity], RUNS, seed=SEED, name=f"{name}/{label}", executor=executor)
        mean, se = point.mean, point.standard_error
        ax.errorbar(B_SIM, mean, yerr=2 * se, fmt="o", color=colour, mfc="none")
        rows += [(label, B, exact[B], "", "") for B in B_EXACT]
        rows += [(label, B, "", m, s) for B, m, s in zip(B_SIM, mean, se)]
    ax.set_xlabel("SFT prompts B (dim U = 4)")
    ax.set_ylabel("advantage Err_baseline − Err_model after SFT")
    return rows


def _diversity_panel(ax, out_dir: Path, executor: Executor | None) -> Path:
    models = {"diverse (½ on 4)": rec._DIVERSE, "pair (¾ on 2)": rec._PAIR, "single (5/4 on 1)": rec._SINGLE}
    rows = _advantage_curves(ax, models, executor, "frontload/diversity", expected=True)
    ax.set_title("(b) finding 2: one pretraining budget, three allocations")
    ax.legend(fontsize=7)
    return write_csv(out_dir / "frontload_diversity.csv", ["allocation", "B", "exact E Adv", "simulated mean",
                                                           "simulated SE"], rows)


def _redundancy_panel(ax, out_dir: Path, executor: Executor | None) -> Path:
    rows = _advantage_curves(ax, {"redundant (Σ_b + A)": rec._REDUNDANT}, executor, "frontload/redundancy")
    ax.set_title("(e) finding 5: the SFT data also in pretraining")
    ax.legend(fontsize=7)
    return write_csv(out_dir / "frontload_redundancy.csv", ["model", "B", "exact", "simulated mean",
                                                            "simulated SE"], rows)


def _latent_panel(ax, out_dir: Path) -> Path:
    grid = np.zeros((len(ADDED), len(FRACTIONS)))
    rows = []
    for i, alpha in enumerate(ADDED):
        for j, f in enumerate(FRACTIONS):
            hq = rec._diag([R(3, 4) - f / 2, R(3, 4) - f / 2, R(1, 4) + f / 2, R(1, 4) + f / 2]) + alpha * rec._DELTA
            before = fl.advantage_after_sft(rec._MIX, hq, rec._N, rec._SIGMA, rec._N, rec._covered(0))
            after = fl.advantage_after_sft(rec._MIX, hq, rec._N, rec._SIGMA, rec._N, rec._covered(2))
            grid[i, j] = float(after - before)
            rows.append((float(f), float(alpha), float(before), float(after), grid[i, j]))
    limit = np.max(np.abs(grid))
    image = ax.imshow(grid, origin="lower", cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto",
                      extent=(-0.125, 1.125, -0.125, 1.125))
    ax.contour(np.array(FRACTIONS, dtype=float), np.array(ADDED, dtype=float), grid, levels=[0.0], colors="k")
    pyplot().colorbar(image, ax=ax, label="Adv(after SFT) − Adv(before)")
    ax.set_xlabel("budget fraction f moved from easy to hard directions")
    ax.set_ylabel("mass α·Δ added on U")
    ax.set_title("(c) finding 3: latent gain (blue = reproduced)")
    return write_csv(out_dir / "frontload_latent.csv", ["f", "alpha", "Adv before", "Adv after", "latent gain"], rows)


def _scaling_panel(ax, out_dir: Path, executor: Executor | None) -> Path:
    rows = []
    for S0, label, colour in ((rec._BASE, "baseline", "C3"), (rec._SIGMA, "reasoning-pretrained", "C0")):
        V0 = trained_preconditioner(S0, rec._N)
        errors = [float(sft.post_test_error(rec._A_HQ + rec._diag(0, (r, r)), rec._N, rec._ETA, V0, rec._SIGMA, rec._N))
                  for r in R_GRID]
        hq = float(sft.post_test_error(rec._A_HQ, rec._N, rec._ETA, V0, rec._SIGMA, rec._N))
        pre = float(fl.pretrained_error(S0, rec._N, rec._SIGMA, rec._N))
        ax.plot([float(r) for r in R_GRID], errors, "-", color=colour, label=f"{label}: A_HQ + rP⊥, B → ∞")
        ax.axhline(hq, color=colour, ls="--", lw=0.8)
        ax.axhline(pre, color=colour, ls=":", lw=0.8)
        rows += [(label, float(r), e, "", "") for r, e in zip(R_GRID, errors)]
        rows += [(label, "A_HQ only", hq, "", ""), (label, "pretrained", pre, "", "")]
    quantity = PipelineContrast(inits=(rec._init(rec._BASE), rec._init(rec._SIGMA)),
                                arms=tuple((rec._A_HQ + rec._diag(0, (r, r)), 48) for r in R_SIM), n=rec._N,
                                eta=float(rec._ETA), k=rec._K, Sigma_test=rec._SIGMA, n_test=rec._N, contrast=False)
    point, = sweep([quantity], RUNS // 2, seed=SEED, name="frontload/scaling", executor=executor)
    mean, se = point.mean, point.standard_error
    for j, r in enumerate(R_SIM):
        for m, colour in enumerate(("C3", "C0")):
            ax.errorbar(float(r), mean[2 * j + m], yerr=2 * se[2 * j + m], fmt="s", color=colour, mfc="none")
            rows.append((("baseline", "reasoning-pretrained")[m], float(r), "", mean[2 * j + m], se[2 * j + m]))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("off-target SFT variance r on U⊥ (η·σ = 1/2 is matched)")
    ax.set_ylabel("post-test error after SFT")
    ax.set_title("(d) finding 4: diverse, mis-scaled SFT data (squares: B = 48)")
    ax.legend(fontsize=7)
    return write_csv(out_dir / "frontload_scaling.csv", ["model", "r", "exact B→inf", "simulated B=48 mean",
                                                         "simulated SE"], rows)


def _rl_panel(ax, out_dir: Path) -> Path:
    rows = []
    for (k, step), style in zip(RL_SETTINGS, ("-", "--", ":")):
        for S0, label, colour in ((rec._RL["Sigma0_base"], "baseline", "C3"),
                                  (rec._RL["Sigma0_reason"], "reasoning", "C0")):
            V0 = os_claims.pretrained_init(S0, rec._RL["n0"])
            errors = []
            for T_ in T_GRID:
                if T_ == 0:
                    error, diverged = os_claims.post_test_error(V0, rec._RL["Sigma"], rec._RL["n"]), False
                else:
                    error, diverged = os_claims.trained_post_test_error(rec._RL["Sigma"], rec._RL["n"], k, V0, step, T_,
                                                                        rec._RL["n"])
                errors.append(np.nan if diverged else float(error))
                rows.append((label, k, str(step), T_, "diverged" if diverged else float(error)))
            ax.plot([max(t, 0.5) for t in T_GRID], errors, style, color=colour, marker="o", ms=3,
                    label=f"{label}, k = {k}, η = {step}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("outcome-supervision steps T (T = 0 drawn at 0.5)")
    ax.set_ylabel("post-test error")
    ax.set_title("(f) finding 6: RL from each pretrained model (gaps = diverged)")
    ax.legend(fontsize=6)
    return write_csv(out_dir / "frontload_rl.csv", ["model", "k", "step", "T", "Err"], rows)


def frontload_figure(out_dir: Path, executor: Executor | None = None) -> list[Path]:
    """The six panels, their simulated points swept on ``executor``; returns the PNG and the CSVs."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fig, axes = pyplot().subplots(2, 3, figsize=(19, 10))
    paths = [_advantage_panel(axes[0, 0], out_dir, executor), _diversity_panel(axes[0, 1], out_dir, executor),
             _latent_panel(axes[0, 2], out_dir), _scaling_panel(axes[1, 0], out_dir, executor),
             _redundancy_panel(axes[1, 1], out_dir, executor), _rl_panel(axes[1, 2], out_dir)]
    return paths + [save_png(fig, out_dir / "frontload.png")]


FIGURES = {"frontload": frontload_figure}
ILLUSTRATES = {   # figure -> the registered results it illustrates (report and notes pages link them)
    "frontload": ("frontload:claim-reasoning-pretraining", "frontload:claim-pretraining-diversity",
        "frontload:claim-latent-effect", "frontload:claim-naive-sft-scaling", "frontload:claim-redundancy",
        "frontload:claim-rl-compounding"),
}
