r"""Choosing the training-task mixture (arXiv 2510.03605 §4, Proposition 4.3 and its quadratic program).

Candidate tasks ℓ (covariance Λ_ℓ, prompt length n_ℓ) are mixed with probabilities π on the simplex Δ; training gives
Ṽ(π) (``derivations.multitask``). On a test task Σ with m → ∞ examples (S → Σ) the k-step CoT error is

    F_k(π; Σ) = E‖ŵ_k − w*‖² = ‖E_k(Σ)‖²_F,   E_k(Σ) = −(I + Ṽ(π)Σ)^k = −(I − Γ(π)⁻¹Σ)^k   (the true objective),

obtained by evaluating the derived error operator at S = Σ (``derivations.test_time.population_error``). F_k is not convex
in π in general (Ṽ(π) is a ratio of affine maps), so ``optimise_true_objective`` minimises it numerically over Δ from
several deterministic starts. The paper's tractable surrogate is the convex quadratic program

    min_{π ∈ Δ} Q(π) = ‖I − Σ⁻¹ Σ_ℓ π_ℓ Λ_ℓ‖²_F,

which pretends Γ(π) = Σ_ℓπ_ℓΛ_ℓ (n → ∞ and no spread across tasks) and cannot see prompt lengths
(``derivations.qp_surrogate``). Proposition 4.3 (the optimal π puts at least half of its mass on hard tasks) is
checked by ``hard_mass`` at the numerical optimum of F_k. The experiment's task types: ``derivations.settings``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import combinations

import numpy as np
import sympy as sp
from scipy.optimize import minimize

from derivations.moments import MatrixLike
from derivations.multitask import NumericMixture, Task
from derivations.pretraining import preconditioner_symbols
from derivations.qp_surrogate import solve_surrogate_qp
from derivations.settings import DIMENSION, HARD_MASK, TASK_TYPES, experiment_tasks, power_law_spectrum
from derivations.validation import cot_steps, exact_covariance, prompt_length
from derivations.weight_error import one_step_error
from icl_errors import InputError

# --- the true objective ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrueObjective:
    """F_k(π; Σ) for float π: Ṽ(π) from the per-task linear systems, then ‖(I + ṼΣ)^k‖²_F."""

    mixture: NumericMixture
    Sigma: np.ndarray
    k: int

    @classmethod
    def of(cls, tasks: Sequence[Task], Sigma: MatrixLike, k: int) -> TrueObjective:
        return cls(NumericMixture.of(tasks), np.array(exact_covariance(Sigma).evalf(30), dtype=float), cot_steps(k))

    def __call__(self, weights: np.ndarray) -> float:
        V = self.mixture.preconditioner(weights)
        step = np.eye(len(V)) + V @ self.Sigma
        power = np.linalg.matrix_power(step, self.k)
        return float(np.sum(power * power))


@dataclass(frozen=True)
class FiniteTestObjective:
    """The exact k = 1 test error at finite m, E‖ŵ_1 − w*‖² (Wick engine), as a function of float π.

    The error is derived once as a polynomial in the entries of Ṽ (``weight_error.one_step_error`` with a symbolic
    Ṽ) and compiled; Ṽ(π) comes from the per-task linear systems.
    """

    mixture: NumericMixture
    error: Callable[..., float]

    @classmethod
    def of(cls, tasks: Sequence[Task], Sigma: MatrixLike, m: int) -> FiniteTestObjective:
        Sigma = exact_covariance(Sigma)
        V = preconditioner_symbols(Sigma.rows)
        polynomial = one_step_error(V, Sigma, prompt_length(m, "m"))
        return cls(NumericMixture.of(tasks), sp.lambdify([list(V)], polynomial, modules="numpy"))

    def __call__(self, weights: np.ndarray) -> float:
        return float(self.error(self.mixture.preconditioner(weights).ravel()))


@dataclass(frozen=True)
class Optimum:
    weights: np.ndarray
    value: float


def simplex_lattice(count: int, denominator: int) -> list[np.ndarray]:
    """Every point of the simplex in R^count whose coordinates are multiples of 1/denominator (stars and bars)."""
    slots = denominator + count - 1
    return [(np.diff([-1, *bars, slots]) - 1) / denominator for bars in combinations(range(slots), count - 1)]


def optimise_true_objective(objective: TrueObjective | FiniteTestObjective, resolution: int = 3,
                            max_hard_mass: tuple[np.ndarray, float] | None = None) -> Optimum:
    """min F_k over the simplex by SLSQP from every point of the lattice with spacing 1/resolution (no randomness;
    20 starts for four tasks at resolution 3). With ``max_hard_mass = (hard_mask, c)`` the extra constraint
    Σ_{ℓ hard} π_ℓ ≤ c is imposed.
    """
    count = objective.mixture.constants.shape[0]
    points = simplex_lattice(count, resolution)
    constraints = [{"type": "eq", "fun": lambda p: np.sum(p) - 1.0}]
    if max_hard_mass is not None:
        mask, cap = np.asarray(max_hard_mass[0], dtype=float), float(max_hard_mass[1])
        constraints.append({"type": "ineq", "fun": lambda p: cap - mask @ p})
    best: Optimum | None = None
    for start in points:
        result = minimize(objective, start, method="SLSQP", bounds=[(0.0, 1.0)] * count, constraints=constraints,
                          options={"ftol": 1e-15, "maxiter": 500})
        weights = np.clip(result.x, 0.0, None)
        weights /= weights.sum()
        value = objective(weights)
        if best is None or value < best.value:
            best = Optimum(weights, value)
    return best


def averaged_selection(test_alphas: Sequence[object], m: int | None, k: int, resolution: int = 2,
                       d: int = DIMENSION) -> np.ndarray:
    """The experiment's selected π, averaged over the test tasks Σ = spectrum(α_test): the minimiser of the exact
    k = 1 error at m test examples, or of F_k at m → ∞ when m is None (dimension d)."""
    tasks = experiment_tasks(d)
    weights = []
    for alpha in test_alphas:
        Sigma = power_law_spectrum(alpha, d)
        if m is None:
            objective: TrueObjective | FiniteTestObjective = TrueObjective.of(tasks, Sigma, k)
        elif k == 1:
            objective = FiniteTestObjective.of(tasks, Sigma, m)
        else:
            raise InputError("the finite-m selection objective is available for k = 1 only")
        weights.append(optimise_true_objective(objective, resolution).weights)
    return np.mean(weights, axis=0)


def hard_mass(weights: Sequence[float]) -> float:
    """Σ π_ℓ over the hard task types of the experiment (α = 4/5)."""
    return float(HARD_MASK @ np.asarray(weights, dtype=float))


def rational_weights(weights: Sequence[float], digits: int = 3) -> list[sp.Rational]:
    """Float weights rounded to ``digits`` decimals as exact rationals summing to 1 (the last absorbs the rest)."""
    scale = 10 ** digits
    rounded = [sp.Rational(round(float(p) * scale), scale) for p in weights[:-1]]
    return rounded + [1 - sum(rounded)]


# --- Proposition 4.3 in the experiment's setting ---------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Task selection on a test covariance: the true optimum (numerical), the QP's exact solution, their hard mass,
    the total-variation distance between the two, and the best mixture with at most half its mass on hard tasks."""

    true_weights: tuple[float, ...]
    true_value: float
    qp_weights: tuple[sp.Rational, ...]
    true_hard_mass: float
    qp_hard_mass: sp.Rational
    total_variation: float
    constrained_weights: tuple[float, ...]
    constrained_value: float


@cache
def select_tasks(Sigma: sp.ImmutableMatrix, k: int) -> Selection:
    """Minimise F_k over the experiment's four task types (with and without the cap of 1/2 on the hard mass) and
    solve the paper's QP, for the test covariance Σ."""
    tasks = experiment_tasks(Sigma.rows)
    objective = TrueObjective.of(tasks, Sigma, k)
    best = optimise_true_objective(objective)
    capped = optimise_true_objective(objective, max_hard_mass=(HARD_MASK, 0.5))
    qp = solve_surrogate_qp([t.Lambda for t in tasks], Sigma)
    distance = 0.5 * float(np.abs(np.array([float(q) for q in qp]) - best.weights).sum())
    return Selection(tuple(best.weights), best.value, tuple(qp), hard_mass(best.weights),
                     sum(q for q, t in zip(qp, TASK_TYPES) if t.is_hard), distance, tuple(capped.weights),
                     capped.value)
