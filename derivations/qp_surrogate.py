r"""The paper's task-selection surrogate (arXiv 2510.03605 §4): the convex quadratic program

    min_{π ∈ Δ} Q(π) = ‖I − Σ⁻¹ Σ_ℓ π_ℓ Λ_ℓ‖²_F,

which pretends Γ(π) = Σ_ℓπ_ℓΛ_ℓ (n → ∞ and no spread across tasks) and cannot see prompt lengths. It is solved
exactly (``solve_surrogate_qp``: KKT conditions on every support, exact rationals); ``derivations.task_selection``
sets it against the true objective.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import sympy as sp

from derivations.moments import MatrixLike
from derivations.validation import exact_covariance, exact_scalar
from icl_errors import InputError


def surrogate_objective(weights: Sequence[object], covariances: Sequence[MatrixLike], Sigma: MatrixLike) -> sp.Expr:
    """Q(π) = ‖I − Σ⁻¹ Σ_ℓ π_ℓ Λ_ℓ‖²_F, exact."""
    Sigma = exact_covariance(Sigma)
    mixed = sum((exact_scalar(p, "weight") * exact_covariance(L, "Lambda") for p, L in zip(weights, covariances)),
                sp.zeros(Sigma.rows, Sigma.rows))
    M = sp.eye(Sigma.rows) - Sigma.inv() * mixed
    return sp.expand((M * M.T).trace())


def _quadratic_form(covariances: Sequence[sp.Matrix], Sigma: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    """Q(π) = πᵀGπ − 2bᵀπ + d with G_ℓℓ' = tr(BℓBℓ'ᵀ), b_ℓ = tr(Bℓ), Bℓ = Σ⁻¹Λ_ℓ."""
    inverse = Sigma.inv()
    B = [inverse * L for L in covariances]
    G = sp.Matrix(len(B), len(B), lambda i, j: (B[i] * B[j].T).trace())
    return G, sp.Matrix([Bi.trace() for Bi in B])


def solve_surrogate_qp(covariances: Sequence[MatrixLike], Sigma: MatrixLike) -> list[sp.Rational]:
    """The exact minimiser of Q over the simplex (KKT on each support; tasks with equal Λ share their mass equally).

    The program sees only the covariances: two tasks with the same Λ_ℓ (e.g. the same α, different B) are one
    variable for it, and its solution set is a face; we return the point that splits that mass equally.
    """
    Sigma = exact_covariance(Sigma)
    covs = [exact_covariance(L, "Lambda") for L in covariances]
    if not covs:
        raise InputError("the quadratic program needs at least one candidate task")
    distinct: list[sp.Matrix] = []
    for L in covs:
        if L.shape != Sigma.shape:
            raise InputError(f"every Lambda must have the shape of Sigma {Sigma.shape}, got {L.shape}")
        if L not in distinct:
            distinct.append(L)
    G, b = _quadratic_form(distinct, Sigma)
    q = _active_set_minimiser(G, b)
    shares = [sum(1 for L in covs if L == D) for D in distinct]
    return [q[distinct.index(L)] / shares[distinct.index(L)] for L in covs]


def _active_set_minimiser(G: sp.Matrix, b: sp.Matrix) -> list[sp.Expr]:
    """argmin πᵀGπ − 2bᵀπ on the simplex: the support whose KKT point is feasible and dual feasible.

    Enumerates the 2^L − 1 supports (smallest first), so it is meant for a handful of candidate tasks.
    """
    count = G.rows
    for size in range(1, count + 1):
        for support in combinations(range(count), size):
            idx = list(support)
            kkt = sp.zeros(size + 1, size + 1)
            kkt[:size, :size] = 2 * G.extract(idx, idx)
            kkt[:size, size] = -sp.ones(size, 1)
            kkt[size, :size] = sp.ones(1, size)
            if kkt.det() == 0:
                continue
            rhs = sp.Matrix([2 * b[i] for i in idx] + [1])
            solution = kkt.LUsolve(rhs)
            if any(solution[i] < 0 for i in range(size)):
                continue
            pi = sp.zeros(count, 1)
            for i, j in enumerate(idx):
                pi[j] = solution[i]
            gradient = 2 * G * pi - 2 * b
            if all(gradient[j] >= solution[size] for j in range(count) if j not in support):
                return list(pi)
    raise ValueError("no KKT point found (the quadratic form is singular on every support)")
