r"""Result 1 of Lu, Letey, Zavatone-Veth, Maiti and Pehlevan (PNAS 122(28) e2502599122, 2025; arXiv 2405.11751):
the asymptotic ICL error of the ridgeless reduced linear-attention model (anchors.md §A.5).

Setting (their §2, and ``verify.lu_quantities``): x ~ N(0, I_d/d), contexts of ℓ = αd examples, k = κd pretraining
tasks with ‖w‖² = d, n = τd² pretraining contexts, label noise of variance ρ, the model ŷ = ⟨Γ, H_Z⟩ with Γ fitted by
ridge regression at vanishing ridge, tested on fresh tasks w ~ N(0, I_d); d → ∞ with α, κ, τ, ρ fixed.

What is derived here and what is the paper's. **Derived**: the transform

    M_κ(x) = lim (1/d) tr (R + x I_d)⁻¹,      R = (1/k) Σ_{j≤k} w_j w_jᵀ,  w_j ~ N(0, I_d),  k = κd,

is the Stieltjes transform of the Marchenko–Pastur law (aspect ratio d/k = 1/κ) at −x, so it solves the self-consistent quadratic
(x/κ) M² + (x + 1 − 1/κ) M − 1 = 0 (``stieltjes_equation``). ``stieltjes_root`` solves it with SymPy and picks the
root: by Vieta the product of the roots is −κ/x < 0, so exactly one is positive; neither vanishes (the constant term
is −1) and the discriminant (x + 1 − 1/κ)² + 4x/κ is positive for x, κ > 0, so each root keeps its sign on that
connected domain and the positive one is found at a single point. It equals the authors' closed form
2/[(x + 1 − 1/κ) + √((x + 1 − 1/κ)² + 4x/κ)] (tests/test_lu.py). **The paper's**: the two branches of e^ICL below
(Result 1; typed in the form of the authors' ``e_ICL_theory`` in ``Linear/common.py``), with x* = (1 + ρ)/α,
m* = M_κ(x*), μ* = x* M_{κ/τ}(x*) and k* = [1 − κ (m*/(κ + m*))²]⁻¹. They rest on a deterministic equivalent of the
ridgeless estimator that is not re-derived here; the tests check them against the authors' code (a table of their
outputs), their τ, κ → ∞ limit x*/(1 + x*) + ρ (sympy.limit of these expressions, in tests/test_lu.py), and the
simulated model (``icl-theory verify lu:result-1``).
"""

from __future__ import annotations

from functools import cache

import mpmath
import sympy as sp

from derivations.validation import exact_scalar
from icl_errors import InputError

x_, kappa_, m_ = sp.symbols("x kappa m", positive=True)
DIGITS = 30   # working digits of the evaluation (SymPy's evalf raises its own precision to reach them)


def stieltjes_equation(M: sp.Expr, x: sp.Expr, kappa: sp.Expr) -> sp.Expr:
    """(x/κ) M² + (x + 1 − 1/κ) M − 1: the Marchenko–Pastur self-consistent equation at −x, aspect ratio 1/κ."""
    return x * M ** 2 / kappa + (x + 1 - 1 / kappa) * M - 1


@cache
def stieltjes_root() -> sp.Expr:
    """M_κ(x) in the symbols ``x_``, ``kappa_``: the positive root of ``stieltjes_equation`` (module docstring)."""
    roots = sp.solve(stieltjes_equation(m_, x_, kappa_), m_)
    if len(roots) != 2 or sp.simplify(roots[0] * roots[1] + kappa_ / x_) != 0:
        raise ArithmeticError("the self-consistent equation did not give two roots with product −κ/x")
    positive = [r for r in roots if r.subs({x_: 1, kappa_: 1}) > 0]
    return positive[0]


def stieltjes_transform(x: sp.Expr, kappa: sp.Expr) -> sp.Expr:
    """M_κ(x), the derived root with x and κ put in."""
    return stieltjes_root().xreplace({x_: x, kappa_: kappa})


class StieltjesTransform(sp.Expr):
    """M_κ(x), unevaluated: prints M_{κ}(x); ``doit()`` gives the derived root."""

    is_commutative = True

    def __new__(cls, x: sp.Basic, kappa: sp.Basic):
        return sp.Expr.__new__(cls, sp.sympify(x), sp.sympify(kappa))

    def doit(self, **hints):
        x, kappa = (a.doit(**hints) for a in self.args)
        return stieltjes_transform(x, kappa)

    def _latex(self, printer) -> str:
        x, kappa = self.args
        return r"M_{" + printer._print(kappa) + r"}\left(" + printer._print(x) + r"\right)"

    def _sympystr(self, printer) -> str:
        x, kappa = self.args
        return f"M_{printer._print(kappa)}({printer._print(x)})"


def noise_load(alpha: sp.Expr, rho: sp.Expr) -> sp.Expr:
    """x* = (1 + ρ)/α."""
    return (1 + rho) / alpha


def task_factor(kappa: sp.Expr, m: sp.Expr) -> sp.Expr:
    """k* = [1 − κ (m*/(κ + m*))²]⁻¹."""
    return 1 / (1 - kappa * (m / (kappa + m)) ** 2)


def error_below_threshold(tau: sp.Expr, x: sp.Expr, rho: sp.Expr, mu: sp.Expr) -> sp.Expr:
    """Result 1, τ < 1: τ(1 + x*)/(1 − τ)·[1 − τ(1 − μ*)² − (x* − ρ)/x*·μ*] − 2τ(1 − μ*) + ρ + 1."""
    return (tau * (1 + x) / (1 - tau) * (1 - tau * (1 - mu) ** 2 - (x - rho) / x * mu)
            - 2 * tau * (1 - mu) + rho + 1)


def error_above_threshold(tau: sp.Expr, x: sp.Expr, rho: sp.Expr, m: sp.Expr, k: sp.Expr) -> sp.Expr:
    """Result 1, τ > 1: (k* − 1/(τ − 1))(1 + x*)(x*m*)² + (3 − 2τ)/(τ − 1)·m*x*² + ((1 + ρ)/(τ − 1)·m* + 1)x*
    + ρm*/(τ − 1) + ρ."""
    return ((k - 1 / (tau - 1)) * (1 + x) * (x * m) ** 2 + (3 - 2 * tau) / (tau - 1) * m * x ** 2
            + ((1 + rho) / (tau - 1) * m + 1) * x + rho * m / (tau - 1) + rho)


def _number(value: object, name: str, *, zero_allowed: bool = False) -> sp.Expr:
    """An exact real number > 0 (≥ 0 when ``zero_allowed``), else InputError naming it."""
    number = exact_scalar(value, name)
    if not number.is_number or number.is_real is not True or number.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        raise InputError(f"{name} must be a finite real number, got {value!r}")
    if number < 0 or (number == 0 and not zero_allowed):
        raise InputError(f"{name} must be {'≥ 0' if zero_allowed else '> 0'}, got {value!r}")
    return number


def icl_error_exact(tau: object, alpha: object, rho: object, kappa: object,
                    task_factor_fn=task_factor) -> sp.Expr:
    """e^ICL(τ, α, ρ, κ) of Result 1 as an exact SymPy number (nested radicals), the branch chosen by τ.

    τ = 1 is the interpolation threshold n = d(d+1) ≈ d² where the ridgeless error diverges: an InputError.
    ``task_factor_fn`` replaces k* (the negative control's typo uses it)."""
    tau = _number(tau, "tau")
    alpha = _number(alpha, "alpha")
    rho = _number(rho, "rho", zero_allowed=True)
    kappa = _number(kappa, "kappa")
    if tau == 1:
        raise InputError("tau = 1 is the interpolation threshold n = d²: Result 1's ridgeless error diverges there "
                         "(the double-descent peak); take tau < 1 or tau > 1")
    x = noise_load(alpha, rho)
    if tau < 1:
        return error_below_threshold(tau, x, rho, x * stieltjes_transform(x, kappa / tau))
    m = stieltjes_transform(x, kappa)
    return error_above_threshold(tau, x, rho, m, task_factor_fn(kappa, m))


def icl_error(tau: object, alpha: object, rho: object, kappa: object, task_factor_fn=task_factor) -> mpmath.mpf:
    """e^ICL of Result 1 as an mpmath number: the exact value evaluated to ``DIGITS`` digits by SymPy's evalf (which
    raises its working precision to reach them), then rounded to an mpf (float64 precision: ≥ 15 correct digits)."""
    value = icl_error_exact(tau, alpha, rho, kappa, task_factor_fn).evalf(DIGITS)
    return mpmath.mpf(sp.Float(value, DIGITS)._mpf_)


def flipped_task_factor(kappa: sp.Expr, m: sp.Expr) -> sp.Expr:
    """A sign typo in k*: [1 + κ (m*/(κ + m*))²]⁻¹ (a plausible misprint; the negative control)."""
    return 1 / (1 + kappa * (m / (kappa + m)) ** 2)
