r"""Multi-task training of the LSA (arXiv 2510.03605 §4): the population optimum for a mixture of tasks.

Task ℓ = 1..L has prompts of n_ℓ examples x ~ N(0, Λ_ℓ), w* ~ N(0, I_d); a training prompt is of task ℓ with
probability π_ℓ. No CoT in training, ŵ_0 = 0, W̃ = I, so the population loss is the mixture of the per-task losses
of ``derivations.pretraining``:

    L(Ṽ) = Σ_ℓ π_ℓ L_ℓ(Ṽ),    L_ℓ(Ṽ) = ½ E_ℓ‖(I + ṼS)w*‖².

Each L_ℓ is a quadratic in the d² entries v of Ṽ, so its derived gradient (``pretraining.population_gradient``, the
Wick engine) is affine, ∇L_ℓ = H_ℓ v + c_ℓ; H_ℓ and c_ℓ are read off it, and the mixture's stationarity condition is
the single linear system (Σ_ℓ π_ℓ H_ℓ) v = −Σ_ℓ π_ℓ c_ℓ. Solving it gives Ṽ(π); the closed form [R]

    −Ṽ(π) = A(π) = Λ̄ M̄⁻¹,   Λ̄ = Σ_ℓ π_ℓ Λ_ℓ,   M̄ = Σ_ℓ π_ℓ [(1 + 1/n_ℓ) Λ_ℓ² + tr(Λ_ℓ) Λ_ℓ / n_ℓ],

(Γ(π) = A(π)⁻¹ = M̄ Λ̄⁻¹; for one task this is Theorem 3.1's Γ) is the statement, which the tests prove equal to the
solved system. It is *not* Γ(Λ̄)⁻¹, the single-task preconditioner of the averaged covariance that the paper's
task-selection quadratic program implicitly assumes (``naive_preconditioner``): the two differ by the spread of
Λ_ℓ across tasks in M̄.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from derivations.pretraining import gamma_closed_form, population_gradient
from derivations.validation import exact_covariance, exact_scalar, prompt_length
from icl_errors import InputError


@dataclass(frozen=True)
class Task:
    """A training task: feature covariance Λ_ℓ (exact, PSD) and prompt length n_ℓ."""

    Lambda: sp.ImmutableMatrix
    n: sp.Expr

    @classmethod
    def of(cls, Lambda: object, n: object) -> Task:
        return cls(sp.ImmutableMatrix(exact_covariance(Lambda, "Lambda")), prompt_length(n))


@dataclass(frozen=True)
class TaskGradient:
    """∇L_ℓ(v) = hessian · v + constant over the row-major entries v of Ṽ (exact)."""

    hessian: sp.ImmutableMatrix
    constant: sp.ImmutableMatrix


@cache
def task_gradient(task: Task) -> TaskGradient:
    """H_ℓ and c_ℓ read off the derived gradient of L_ℓ (it is affine in Ṽ: L_ℓ is a quadratic)."""
    V, grad = population_gradient(sp.Matrix(task.Lambda), task.n)
    unknowns, components = list(V), list(grad)
    hessian = sp.Matrix(components).jacobian(unknowns)
    constant = sp.Matrix(components).xreplace({v: 0 for v in unknowns})
    return TaskGradient(sp.ImmutableMatrix(hessian), sp.ImmutableMatrix(constant))


def mixture_weights(weights: Sequence[object], count: int) -> list[sp.Expr]:
    """Exact probabilities π_ℓ: ``count`` non-negative numbers summing to 1."""
    if len(weights) != count:
        raise InputError(f"weights must have {count} entries (one per task), got {len(weights)}")
    pis = [exact_scalar(p, "weight") for p in weights]
    if any(p.is_number and p < 0 for p in pis):
        raise InputError(f"weights must be non-negative, got {[str(p) for p in pis]}")
    total = sum(pis)
    if total.is_number and total != 1:
        raise InputError(f"weights must sum to 1, got {total}")
    return pis


def _tasks(tasks: Sequence[Task]) -> list[Task]:
    if not tasks:
        raise InputError("a mixture needs at least one task")
    sizes = {t.Lambda.rows for t in tasks}
    if len(sizes) != 1:
        raise InputError(f"every task covariance must have the same dimension, got {sorted(sizes)}")
    return list(tasks)


def multitask_preconditioner(tasks: Sequence[Task], weights: Sequence[object]) -> sp.Matrix:
    """Ṽ(π) solving the mixture's stationarity condition (Σπ_ℓH_ℓ)v = −Σπ_ℓc_ℓ, exact."""
    tasks = _tasks(tasks)
    pis = mixture_weights(weights, len(tasks))
    d = tasks[0].Lambda.rows
    hessian = sp.zeros(d * d, d * d)
    constant = sp.zeros(d * d, 1)
    for p, task in zip(pis, tasks):
        gradient = task_gradient(task)
        hessian += p * sp.Matrix(gradient.hessian)
        constant += p * sp.Matrix(gradient.constant)
    if hessian.det() == 0:
        raise InputError("the mixture's stationarity condition is singular (is the mixed covariance singular?)")
    solution = hessian.LUsolve(-constant)
    return sp.Matrix(d, d, list(solution)).applyfunc(sp.factor)


@dataclass(frozen=True)
class NumericMixture:
    """The per-task H_ℓ, c_ℓ as float arrays, for fast Ṽ(π) at float π (task-selection optimisation)."""

    hessians: np.ndarray   # (L, d², d²)
    constants: np.ndarray  # (L, d²)

    @classmethod
    def of(cls, tasks: Sequence[Task]) -> NumericMixture:
        gradients = [task_gradient(t) for t in _tasks(tasks)]
        return cls(np.array([np.array(g.hessian.evalf(30), dtype=float) for g in gradients]),
                   np.array([np.array(g.constant.evalf(30), dtype=float)[:, 0] for g in gradients]))

    def preconditioner(self, weights: np.ndarray) -> np.ndarray:
        """Ṽ(π) for float weights π (a d×d array)."""
        pi = np.asarray(weights, dtype=float)
        v = np.linalg.solve(np.tensordot(pi, self.hessians, axes=1), -pi @ self.constants)
        d = int(round(np.sqrt(v.size)))
        return v.reshape(d, d)


def mixture_moments(tasks: Sequence[Task], weights: Sequence[object]) -> tuple[sp.Matrix, sp.Matrix]:
    """(Λ̄, M̄) = (Σπ_ℓΛ_ℓ, Σπ_ℓ[(1 + 1/n_ℓ)Λ_ℓ² + tr(Λ_ℓ)Λ_ℓ/n_ℓ]) of the closed form."""
    tasks = _tasks(tasks)
    pis = mixture_weights(weights, len(tasks))
    d = tasks[0].Lambda.rows
    mean, second = sp.zeros(d, d), sp.zeros(d, d)
    for p, task in zip(pis, tasks):
        L = sp.Matrix(task.Lambda)
        mean += p * L
        second += p * ((1 + sp.Integer(1) / task.n) * L * L + L.trace() / task.n * L)
    return mean, second


def multitask_closed_form(tasks: Sequence[Task], weights: Sequence[object]) -> sp.Matrix:
    """The statement −Ṽ(π) = A(π) = Λ̄ M̄⁻¹, returned as Ṽ(π) = −Λ̄ M̄⁻¹."""
    mean, second = mixture_moments(tasks, weights)
    return (-mean * second.inv()).applyfunc(sp.factor)


def multitask_gamma(tasks: Sequence[Task], weights: Sequence[object]) -> sp.Matrix:
    """Γ(π) = −Ṽ(π)⁻¹ (= M̄ Λ̄⁻¹), from the solved stationarity condition."""
    return (-multitask_preconditioner(tasks, weights)).inv().applyfunc(sp.factor)


def naive_preconditioner(tasks: Sequence[Task], weights: Sequence[object]) -> sp.Matrix:
    """−Γ(Λ̄)⁻¹: Theorem 3.1's preconditioner for the averaged covariance (needs one common prompt length)."""
    tasks = _tasks(tasks)
    lengths = {t.n for t in tasks}
    if len(lengths) != 1:
        raise InputError("the naive preconditioner −Γ(Σπ_ℓΛ_ℓ)⁻¹ needs one prompt length shared by every task")
    mean, _ = mixture_moments(tasks, weights)
    return (-gamma_closed_form(mean, lengths.pop()).inv()).applyfunc(sp.factor)
