r"""The d → ∞ theory of CoT depth (Takanami–Pehlevan, arXiv 2606.03217) in a Marchenko–Pastur stand-in.

Source status. The paper's abstract (quoted in derivations/records/tp.py) states an exact high-dimensional formula
for the error "as a function of reasoning depth, pretraining data amount, and context length", a phase transition
"separating exponential and polynomial improvement, saturation, and overthinking" and a scaling of the optimal
depth; the formula itself was not retrievable (only the abstract and the first lines of the introduction are
stored). Everything below is the MP-integral model of anchors.md A.6 [R], derived here, *not* their statement.

Model (isotropic, JAVANMARD convention): test prompts of m examples x ~ N(0, I_d), w* ~ N(0, I_d), the layer
Ṽ = −cI, W̃ = I, k CoT steps from ŵ_0 = 0: e_k = −(I − cŜ)^k w*, E‖e_k‖² = E tr(I − cŜ)^{2k}. The pretrained
model has c = n/(n + d + 1) (Γ = (1 + (d + 1)/n) I, 2510.03605 Thm 3.1), so with n = τd, c → τ/(1 + τ).
Proportional limit d, m → ∞, γ = d/m fixed: the spectrum of Ŝ tends to MP_γ, with edges λ± = (1 ± √γ)², an atom
1 − 1/γ at 0 when γ > 1, and density √((λ₊ − λ)(λ − λ₋))/(2πγλ) (marchenko_pastur.py proves the moments). Hence

    e(k) := lim (1/d) E‖e_k‖² = ∫(1 − cλ)^{2k} dMP_γ(λ) = Σ_{j ≤ 2k} C(2k, j)(−c)^j Σ_{r<j} N(j, r + 1) γ^r.

Phases in k → ∞ (derived; ρ = max(|1 − cλ₋|, |1 − cλ₊|), the worst contraction on the support without the atom):
* overthinking  c λ₊ > 2: ρ > 1, e(k) → ∞ after a finite optimal depth k*_∞;
* saturation    γ > 1, cλ₊ ≤ 2: e(k) → 1 − 1/γ (the null space of Ŝ is never corrected);
* polynomial    γ = 1 (hard edge λ₋ = 0: e(k)·√k → 1/√(2πc)) or γ < 1 with cλ₊ = 2 (soft edge, e(k) ~ k^{−3/2});
* exponential   γ < 1, cλ₊ < 2: e(k)^{1/k} → ρ² < 1.
Optimal depth near the overthinking edge (ε = cλ₊ − 2 → 0+, γ ≠ 1): the edge term ∝ e^{2kε}(2kc)^{−3/2} dominates
the k-dependence, d/dk log = 2ε − 3/(2k) = 0, so k*_∞ = 3/(4ε) + O(1) [R, checked against the exact argmin].
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import comb

import sympy as sp

from derivations.marchenko_pastur import isotropic_error, marchenko_pastur_moment
from derivations.optimal_depth import OptimalDepth, depth_from_errors
from derivations.validation import cot_steps, exact_scalar
from icl_errors import InputError

PROFILE_STEPS_LIMIT = 200   # the exact profile costs O(k²) big-integer terms: k = 200 about 0.6 s, k = 400 about 5 s
FINITE_STEPS_LIMIT = 8      # the exact finite-d engine (Wishart trace moments) runs to j = 2k = 16 (marchenko_pastur.py)
FINITE_DIMENSION_LIMIT = 4096

PHASES = ("exponential", "polynomial", "saturation", "overthinking")


class MarchenkoPasturIntegral(sp.Expr):
    r"""∫ f(λ) dMP_γ(λ), unevaluated; ``doit()`` for a polynomial f with explicit coefficients and rational γ is the
    exact moment sum Σ_j [λ^j]f · ∫λ^j dMP_γ (``marchenko_pastur.marchenko_pastur_moment``)."""

    is_commutative = True

    def __new__(cls, integrand: sp.Expr, variable: sp.Symbol, gamma: sp.Expr):
        return sp.Expr.__new__(cls, sp.sympify(integrand), variable, sp.sympify(gamma))

    def doit(self, **hints):
        integrand, variable, gamma = (a.doit(**hints) if hints.get("deep", True) else a for a in self.args)
        if not (getattr(gamma, "is_Rational", False) and gamma > 0) or integrand.free_symbols - {variable}:
            return self.func(integrand, variable, gamma)
        polynomial = sp.Poly(sp.expand(integrand), variable)
        return sp.expand(sum(coefficient * marchenko_pastur_moment(power, gamma)
                             for (power,), coefficient in polynomial.terms()))

    def _latex(self, printer) -> str:
        integrand, variable, gamma = self.args
        return (r"\int " + printer._print(integrand) + r"\, d\mathrm{MP}_{" + printer._print(gamma) + "}("
                + printer._print(variable) + ")")


def _positive_rational(value: object, name: str) -> sp.Rational:
    x = exact_scalar(value, name)
    if not (x.is_Rational and x > 0):
        raise InputError(f"{name} must be a positive rational number, got {value!r}")
    return x


def mp_edges(gamma: object) -> tuple[sp.Expr, sp.Expr]:
    """(λ₋, λ₊) = ((1 − √γ)², (1 + √γ)²), exact."""
    g = _positive_rational(gamma, "gamma")
    return sp.expand((1 - sp.sqrt(g)) ** 2), sp.expand((1 + sp.sqrt(g)) ** 2)


def trained_scale(tau: object) -> sp.Rational:
    """c∞ = τ/(1 + τ): the limit of the pretrained n/(n + d + 1) with n = τd."""
    t = _positive_rational(tau, "tau")
    return t / (1 + t)


def mp_error_profile(c: object, gamma: object, k_max: int) -> list[sp.Rational]:
    """[e(0), …, e(k_max)] with e(k) = ∫(1 − cλ)^{2k} dMP_γ(λ), exact rationals (integer arithmetic on the moment
    sum above; ``marchenko_pastur.marchenko_pastur_error`` is the same value for one k, symbolically)."""
    c_, g_ = _positive_rational(c, "c"), _positive_rational(gamma, "gamma")
    k_max = cot_steps(k_max, "k_max", maximum=PROFILE_STEPS_LIMIT)
    a, b, p, q = int(c_.p), int(c_.q), int(g_.p), int(g_.q)
    # q^{j−1} M_j = Σ_{r<j} N(j, r + 1) p^r q^{j−1−r}, N(j, r + 1) = C(j, r) C(j, r + 1)/j
    scaled_moments = [0] + [sum(comb(j, r) * comb(j, r + 1) // j * p ** r * q ** (j - 1 - r) for r in range(j))
                            for j in range(1, 2 * k_max + 1)]
    profile = []
    for k in range(k_max + 1):
        total = (b * q) ** (2 * k)
        for j in range(1, 2 * k + 1):
            total += comb(2 * k, j) * (-a) ** j * scaled_moments[j] * b ** (2 * k - j) * q ** (2 * k - j + 1)
        value = Fraction(total, (b * q) ** (2 * k))
        profile.append(sp.Rational(value.numerator, value.denominator))
    return profile


def mp_error(c: object, gamma: object, k: int) -> sp.Rational:
    """e(k) = ∫(1 − cλ)^{2k} dMP_γ(λ), exact."""
    return mp_error_profile(c, gamma, cot_steps(k, "k", maximum=PROFILE_STEPS_LIMIT))[-1]


@dataclass(frozen=True)
class Phase:
    """The k → ∞ regime of e(k) at (c, γ): its name, lim_k e(k) (∞ when overthinking), the per-step factor ρ² of the
    geometric part, and the polynomial exponent p (e(k) − limit ~ k^{−p}) when ρ = 1."""

    name: str
    limit: sp.Expr
    rate: sp.Expr
    exponent: sp.Rational | None


def phase(c: object, gamma: object) -> Phase:
    """The regime of the depth profile at (c, γ) (exact comparisons of c(1 ± √γ)² with 0 and 2)."""
    c_, g_ = _positive_rational(c, "c"), _positive_rational(gamma, "gamma")
    lower, upper = mp_edges(g_)
    rho = sp.Max(sp.Abs(1 - c_ * lower), sp.Abs(1 - c_ * upper))
    rate = sp.nsimplify(sp.expand(rho ** 2))
    edge = sp.simplify(c_ * upper - 2)
    soft_edge_exponent = sp.Rational(1, 2) if g_ == 1 else sp.Rational(3, 2)
    if edge > 0:
        return Phase("overthinking", sp.oo, rate, None)
    if g_ > 1:
        return Phase("saturation", 1 - 1 / g_, rate, sp.Rational(3, 2) if edge == 0 else None)
    if g_ == 1 or edge == 0:
        return Phase("polynomial", sp.Integer(0), rate, soft_edge_exponent)
    return Phase("exponential", sp.Integer(0), rate, None)


def asymptotic_optimal_depth(c: object, gamma: object, cap: int = 60) -> OptimalDepth:
    """k*_∞ = argmin_{1 ≤ k ≤ cap} e(k) (None at the cap: unbounded or beyond it), exact."""
    if not (isinstance(cap, int) or getattr(cap, "is_Integer", False)) or cap < 2:
        raise InputError(f"cap must be an integer ≥ 2, got {cap!r}")
    return depth_from_errors(mp_error_profile(c, gamma, cot_steps(cap, "cap", maximum=PROFILE_STEPS_LIMIT)))


def overthinking_depth_law(c: object, gamma: object) -> sp.Expr:
    """The leading-order law k*_∞ ≈ 3/(4ε), ε = cλ₊ − 2 > 0 (valid as ε → 0+, γ ≠ 1)."""
    c_, g_ = _positive_rational(c, "c"), _positive_rational(gamma, "gamma")
    epsilon = sp.expand(c_ * mp_edges(g_)[1] - 2)
    if not epsilon > 0:
        raise InputError(f"the depth law needs overthinking, c(1 + √γ)² > 2; got c(1 + √γ)² − 2 = {epsilon}")
    if g_ == 1:
        raise InputError("the depth law 3/(4ε) needs γ ≠ 1 (at γ = 1 the hard edge changes the balance)")
    return sp.Rational(3, 4) / epsilon


def _finite_sizes(d: object, gamma: sp.Rational, tau: sp.Rational) -> tuple[int, int, int]:
    d_ = exact_scalar(d, "d")
    if not (d_.is_Integer and 1 <= d_ <= FINITE_DIMENSION_LIMIT):
        raise InputError(f"d must be an integer in 1..{FINITE_DIMENSION_LIMIT}, got {d!r}")
    m, n = d_ / gamma, tau * d_
    if not (m.is_Integer and n.is_Integer):
        raise InputError(f"d = {d_} needs integer m = d/γ and n = τd (got m = {m}, n = {n})")
    return int(d_), int(m), int(n)


def finite_error_profile(d: object, gamma: object, tau: object, k_max: int) -> list[sp.Rational]:
    """[(1/d) E‖e_k‖²]_{k ≤ k_max} of the pretrained isotropic model at finite d (m = d/γ, n = τd, c = n/(n + d + 1)),
    exact (``marchenko_pastur.isotropic_error``: Wishart trace moments, exact polynomials in d and m)."""
    g_, t_ = _positive_rational(gamma, "gamma"), _positive_rational(tau, "tau")
    d_, m, n = _finite_sizes(d, g_, t_)
    k_max = cot_steps(k_max, "k_max", maximum=FINITE_STEPS_LIMIT)
    c = sp.Rational(n, n + d_ + 1)
    return [sp.Integer(1)] + [isotropic_error(d_, m, c, k) / d_ for k in range(1, k_max + 1)]


def finite_optimal_depth(d: object, gamma: object, tau: object, cap: int = FINITE_STEPS_LIMIT) -> OptimalDepth:
    """The toolkit's exact finite-size k*(d) of the pretrained isotropic model at m = d/γ, n = τd."""
    if not (isinstance(cap, int) or getattr(cap, "is_Integer", False)) or cap < 2:
        raise InputError(f"cap must be an integer ≥ 2, got {cap!r}")
    return depth_from_errors(finite_error_profile(d, gamma, tau, cap))
