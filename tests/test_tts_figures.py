"""The test-time figures write their data and a PNG, and the data say what the figures claim (small samples)."""

import csv
import json

import numpy as np
import pytest

from icl_theory.figures import figures
from icl_theory.figures.test_time import (FINITE_K, overthinking_figure, scaling_law_figure, simulate_curves,
                                          training_convergence_figure)
from derivations.settings import ISOTROPIC, TRAINING


def read_rows(path):
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_figures_are_registered():
    assert {"tts-scaling-law", "tts-overthinking", "tts-training-convergence"} <= set(figures())


def test_scaling_law_figure_data(tmp_path):
    paths = scaling_law_figure(tmp_path, prompts=400)
    assert [p.suffix for p in paths] == [".csv", ".json", ".png"] and all(p.stat().st_size > 0 for p in paths)
    rows = read_rows(paths[0])
    exact = {(int(r["n"]), int(r["k"])): float(r["exact_limit_float"]) for r in rows}
    assert exact[10, 2] < exact[30, 1]
    for r in rows:  # exact-covariance prompts reproduce the m → ∞ curve (only w is random: 400 prompts suffice)
        assert abs(float(r["sim_exact_cov_mean"]) - float(r["exact_limit_float"])) < 5 * float(r["sim_exact_cov_se"]) + 1e-12
    finite = [r for r in rows if r["exact_m500_float"]]   # Gaussian m = 500 prompts follow the exact finite-m curve,
    assert len(finite) == 3 * FINITE_K                    # and the m → ∞ line would reject them (n = 30, k ≥ 2)
    for r in finite:
        z_finite, z_limit = ((float(r["sim_gaussian_m500_mean"]) - float(r[column])) / float(r["sim_gaussian_m500_se"])
                             for column in ("exact_m500_float", "exact_limit_float"))
        assert abs(z_finite) < 4
        assert z_limit > 5 or not (r["n"] == "30" and int(r["k"]) >= 2)
    n_star = json.loads(paths[1].read_text())["n_star"]
    for curve in n_star.values():
        assert all(a >= b for a, b in zip(curve, curve[1:]))


def test_overthinking_figure_data(tmp_path):
    paths = overthinking_figure(tmp_path, prompts=400)
    rows = read_rows(paths[0])
    exact = {(int(r["n"]), int(r["k"])): float(r["exact_limit_float"]) for r in rows}
    assert exact[8, 10] < exact[8, 1]                      # ρ < 1: thinking helps
    assert exact[10, 2] < exact[10, 1] < exact[10, 10]     # falls, then rises
    assert exact[30, 5] > exact[20, 5] > exact[10, 5]      # larger n is worse


def test_training_convergence_figure_data(tmp_path):
    paths = training_convergence_figure(tmp_path, runs=2)
    data = json.loads(paths[0].read_text())
    assert data["mean_path_distance"][-1] < 1e-6 < data["mean_path_distance"][0]
    finals = [data["averaged_final_distance"][b]["mean"] for b in ("4", "256")]
    assert finals[1] < finals[0] < 1.0


def test_simulated_curves_disagree_with_a_wrong_covariance():
    mean, se = simulate_curves(ISOTROPIC, (10,), (1, 2), "exact", 8, 400, 1)
    matched, _ = simulate_curves(TRAINING, (10,), (1, 2), "exact", 8, 400, 1)
    assert np.all(np.abs(mean - matched) > 10 * se)
    with pytest.raises(Exception, match="design"):
        simulate_curves(ISOTROPIC, (10,), (1,), "uniform", 8, 40, 1)
