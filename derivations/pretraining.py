r"""Pretraining of the LSA on direct weight prediction: the fixed point Γ, its loss, and the gradient flow to it.

Population loss (2510.03605 §2; 2603.01293 §1.5), no CoT in training, ŵ_0 = 0:

    L(Ṽ) = ½ E‖ŵ_1 − w*‖² = ½ E tr((I + ṼS)(I + ṼS)ᵀ) = ½ [d + 2 tr(ṼΣ) + tr(Ṽ E[S²] Ṽᵀ)],

with E[S²] = (1 + 1/n)Σ² + tr(Σ)Σ/n from the Wick engine. L is a convex quadratic in Ṽ; its stationarity condition
Ṽ E[S²] = −Σ gives Ṽ* = −Γ⁻¹ with

    Γ = (1 + 1/n) Σ + tr(Σ)/n · I                    (2603.01293 eq. 3.7; 2510.03605 Thm 3.1; ZFB 2024 Thm 4.1),

and the minimal error E‖ŵ_1 − w*‖² = d − tr(Γ⁻¹Σ). For Σ = I_d this is d(d + 1)/(n + d + 1) (Huang–Wang–Lee 2025).
W̃ receives no gradient (it multiplies ŵ_0 = 0) and is kept at I, the paper's convention.

Everything below is obtained by solving the derived stationarity condition, never by typing Γ in; ``gamma_closed_form``
is the paper's statement, which the tests prove equal to the derived fixed point.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp

from derivations.moments import MatrixLike, identity_like
from derivations.validation import exact_covariance, prompt_length
from derivations.weight_error import one_step_error
from icl_errors import InputError


def preconditioner_symbols(d: int) -> sp.Matrix:
    """The unknown d×d block Ṽ as a matrix of symbols v_ij."""
    return sp.Matrix(d, d, lambda r, c: sp.Symbol(f"v_{r + 1}{c + 1}"))


def pretraining_loss(V_t: MatrixLike, Sigma: MatrixLike, n: sp.Expr | int) -> sp.Expr:
    """L(Ṽ) = ½ E‖ŵ_1 − w*‖² (the paper's ½)."""
    return one_step_error(V_t, Sigma, n) / 2


def population_gradient(Sigma: sp.Matrix, n: sp.Expr | int) -> tuple[sp.Matrix, sp.Matrix]:
    """(Ṽ as symbols, ∇_Ṽ L as a matrix of expressions linear in them), differentiating the derived loss."""
    V = preconditioner_symbols(Sigma.rows)
    loss = pretraining_loss(V, Sigma, n)
    return V, V.applyfunc(lambda v: sp.expand(sp.diff(loss, v)))


def stationary_preconditioner(Sigma: MatrixLike, n: sp.Expr | int) -> sp.Matrix:
    """Ṽ* solving ∇L(Ṽ) = 0 (a linear system in the d² entries), exact."""
    Sigma, n = exact_covariance(Sigma), prompt_length(n)
    V, grad = population_gradient(Sigma, n)
    unknowns = list(V)
    solution = sp.solve(list(grad), unknowns, dict=True)
    if len(solution) != 1 or set(solution[0]) != set(unknowns):
        raise InputError("the pretraining (training) covariance is singular: its stationarity condition has no unique "
                         "solution, so the pretrained Ṽ* is not determined")
    return V.xreplace(solution[0]).applyfunc(sp.factor)


_SYMBOLIC_N = sp.Symbol("n", positive=True, integer=True)
_SOLVED_IN_N: dict[sp.ImmutableMatrix, sp.Matrix] = {}


def solve_in_symbolic_n(Sigma: MatrixLike) -> None:
    """Solve Ṽ*(n) once for a symbolic n; later ``trained_preconditioner`` calls at any n substitute into it (a
    search over many n, such as n*(k, ε), then costs one solve)."""
    key = sp.ImmutableMatrix(exact_covariance(Sigma))
    if key not in _SOLVED_IN_N:
        _SOLVED_IN_N[key] = stationary_preconditioner(key, _SYMBOLIC_N)


def trained_preconditioner(Sigma: MatrixLike, n: sp.Expr | int) -> sp.Matrix:
    """Ṽ* = −Γ⁻¹ of the LSA pretrained on prompts of n examples from N(0, Σ) (2603.01293 eq. 3.7, 2510.03605
    Thm 3.1): the solved stationarity condition, cached per (Σ, n). The one source of the trained model for the
    records, the figures and the finite-size engine."""
    return _trained(sp.ImmutableMatrix(exact_covariance(Sigma)), prompt_length(n))


@cache
def _trained(Sigma: sp.ImmutableMatrix, n: sp.Expr) -> sp.Matrix:
    if Sigma in _SOLVED_IN_N:
        return _SOLVED_IN_N[Sigma].subs(_SYMBOLIC_N, n).applyfunc(sp.factor)
    return stationary_preconditioner(Sigma, n)


def gamma_star(Sigma: MatrixLike, n: sp.Expr | int) -> sp.Matrix:
    """Γ = −(Ṽ*)⁻¹ from the solved stationarity condition."""
    return (-trained_preconditioner(Sigma, n)).inv().applyfunc(sp.factor)


def gamma_closed_form(Sigma: MatrixLike, n: sp.Expr | int) -> MatrixLike:
    """The paper's statement Γ = (1 + 1/n)Σ + tr(Σ)/n · I (eq. 3.7), for explicit or abstract Σ."""
    identity = identity_like(Sigma)
    trace = Sigma.trace() if isinstance(Sigma, sp.MatrixBase) else sp.Trace(Sigma)
    return (1 + sp.Integer(1) / n) * Sigma + trace / n * identity


def minimal_error(Sigma: MatrixLike, n: sp.Expr | int) -> sp.Expr:
    """E‖ŵ_1 − w*‖² at Ṽ*, exact (equals d − tr(Γ⁻¹Σ))."""
    Sigma, n = exact_covariance(Sigma), prompt_length(n)
    return sp.factor(sp.simplify(one_step_error(trained_preconditioner(Sigma, n), Sigma, n)))


@dataclass(frozen=True)
class IsotropicDerivation:
    """Σ = I_d, Ṽ = −c I with symbolic d: error(c), the optimal step c*, and the minimal error."""

    d: sp.Symbol
    n: sp.Symbol
    c: sp.Symbol
    error: sp.Expr
    c_star: sp.Expr
    minimal_error: sp.Expr


def isotropic_derivation() -> IsotropicDerivation:
    r"""Derive d(d+1)/(n+d+1) (Huang–Wang–Lee 2025; Mahankali et al. η* = n/(n+d+1)) for symbolic d.

    By rotation invariance of N(0, I) the optimum is a multiple of I, so Ṽ = −cI; the error is a quadratic in c.
    """
    d, n, c = sp.symbols("d n c", positive=True)
    identity = sp.Identity(d)
    error = sp.expand(one_step_error(-c * identity, identity, n))
    (c_star,) = sp.solve(sp.diff(error, c), c)
    return IsotropicDerivation(d, n, c, error, sp.factor(c_star), sp.factor(error.subs(c, c_star)))


@dataclass(frozen=True)
class GradientFlow:
    """Numerical solution of dṼ/dt = −∇L(Ṽ) from Ṽ(0)."""

    times: np.ndarray
    trajectory: np.ndarray  # (len(times), d, d)
    fixed_point: np.ndarray

    @property
    def distance(self) -> np.ndarray:
        """‖Ṽ(t) − Ṽ*‖_F along the flow."""
        return np.linalg.norm(self.trajectory - self.fixed_point, axis=(1, 2))


def gradient_flow(Sigma: MatrixLike, n: int, t_end: float, V0: np.ndarray | None = None,
                  points: int = 50) -> GradientFlow:
    """Integrate the population gradient flow dṼ/dt = −∇L(Ṽ) (gradient derived symbolically) with solve_ivp."""
    Sigma, n = exact_covariance(Sigma), prompt_length(n)
    d = Sigma.rows
    V, grad = population_gradient(Sigma, n)
    rhs = sp.lambdify([list(V)], [-g for g in grad], modules="numpy")
    start = np.zeros((d, d)) if V0 is None else np.asarray(V0, dtype=float)
    times = np.linspace(0.0, t_end, points)
    sol = solve_ivp(lambda t, v: np.asarray(rhs(v), dtype=float), (0.0, t_end), start.ravel(),
                    t_eval=times, rtol=1e-10, atol=1e-12)
    fixed = np.array(stationary_preconditioner(Sigma, n).evalf(30), dtype=float)
    return GradientFlow(sol.t, sol.y.T.reshape(-1, d, d), fixed)
