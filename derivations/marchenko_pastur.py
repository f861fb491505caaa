r"""Bridge from the exact finite-d CoT error to its Marchenko–Pastur limit (anchors.md A.4; 2510.03605 Prop. 3.2).

Isotropic case Σ_train = Σ_test = I_d: Γ = (1 + (d + 1)/n) I, so Γ⁻¹ = cI with c = n/(n + d + 1) and

    E‖e_k‖² = E tr (I − cS)^{2k} = Σ_{j ≤ 2k} C(2k, j) (−c)^j E tr(W^j) / m^j,      W = mS ~ Wishart_d(m, I).

Real Wishart moments (derived here by Gaussian integration by parts, E[x g(X)] = E[∂g/∂x], on W = XXᵀ, X d×m):
for p_j = tr W^j (p_0 = d) and any product p_ν of further traces,

    E[p_j p_ν] = (m + j − 1) E[p_{j−1} p_ν] + Σ_{l=1}^{j−1} E[p_l p_{j−1−l} p_ν] + Σ_{μ ∈ ν} 2μ E[p_{j+μ−1} p_{ν∖μ}],

(the (j − 1) and the factor 2 are the real, β = 1, corrections to the complex recursion). Every term lowers the total
degree by one, so E tr W^j is an exact polynomial in d and m (e.g. E tr W² = md(m + d + 1)); memoised over
partitions it runs to j = 2k = 16 at once and to d in the thousands by substitution.

Limit: d, m, n → ∞ with γ = d/m and τ = n/d fixed: c → c_∞ = τ/(1 + τ) and (1/d) E tr S^j → the MP moment
Σ_{r<j} N(j, r + 1) γ^r (Narayana numbers N(j, r) = C(j, r) C(j, r − 1)/j), so the error per dimension tends to
∫(1 − c_∞λ)^{2k} dMP_γ(λ). With m = d/γ and n = τd the exact error per dimension is a rational function of d; its
expansion in 1/d gives the gap's exact order (the exponent the figure also fits).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from derivations.validation import cot_steps
from icl_errors import InputError

d_sym, m_sym = sp.symbols("d m", positive=True)


@cache
def _trace_product_moment(parts: tuple[int, ...]) -> sp.Poly:
    """E[Π_i tr W^{parts_i}] (parts sorted, all ≥ 1) as a polynomial in d, m, W ~ Wishart_d(m, I)."""
    if not parts:
        return sp.Poly(1, d_sym, m_sym)
    j, rest = parts[-1], list(parts[:-1])

    def moment(*powers: int) -> sp.Poly:
        zeros = sum(1 for p in powers if p == 0)
        kept = tuple(sorted([p for p in powers if p > 0] + rest))
        return _trace_product_moment(kept) * sp.Poly(d_sym ** zeros, d_sym, m_sym)

    total = sp.Poly(m_sym + j - 1, d_sym, m_sym) * moment(j - 1)
    for l in range(1, j):
        total += moment(l, j - 1 - l)
    for position, mu in enumerate(rest):
        others = tuple(sorted(rest[:position] + rest[position + 1:]))
        total += 2 * mu * _trace_product_moment(tuple(sorted(others + (j + mu - 1,))))
    return total


def wishart_trace_moment(j: int) -> sp.Expr:
    """E tr(W^j) for W ~ Wishart_d(m, I), an exact polynomial in the symbols d, m (``d_sym``, ``m_sym``)."""
    j = cot_steps(j, "j")
    return _trace_product_moment((j,) if j else ()).as_expr() * (d_sym if j == 0 else 1)


def marchenko_pastur_moment(j: int, gamma: sp.Expr) -> sp.Expr:
    """∫λ^j dMP_γ(λ) = Σ_{r<j} N(j, r + 1) γ^r (the limit of (1/d) E tr S^j as d/m → γ); 1 for j = 0."""
    if j == 0:
        return sp.Integer(1)
    return sp.expand(sum(sp.binomial(j, r) * sp.binomial(j - 1, r) / (r + 1) * gamma ** r for r in range(j)))


def isotropic_error(d: int | sp.Expr, m: int | sp.Expr, c: sp.Expr, k: int) -> sp.Expr:
    """E tr(I − cS)^{2k} exactly, S the sample covariance of m draws from N(0, I_d)."""
    k = cot_steps(k)
    total = sum(sp.binomial(2 * k, j) * (-c) ** j * wishart_trace_moment(j) / m_sym ** j for j in range(2 * k + 1))
    return sp.expand(total.subs({d_sym: d, m_sym: m}))


def marchenko_pastur_error(c: sp.Expr, gamma: sp.Expr, k: int) -> sp.Expr:
    """∫(1 − cλ)^{2k} dMP_γ(λ), exact (a polynomial in c and γ)."""
    k = cot_steps(k)
    return sp.expand(sum(sp.binomial(2 * k, j) * (-c) ** j * marchenko_pastur_moment(j, gamma) for j in range(2 * k + 1)))


@dataclass(frozen=True)
class BridgeRow:
    """One dimension d of the bridge: exact error per dimension, the MP limit, and their gap."""

    d: int
    m: int
    n: int
    per_dimension: sp.Rational
    limit: sp.Rational
    gap: sp.Rational


def _sizes(d: int, gamma: sp.Rational, tau: sp.Rational) -> tuple[int, int]:
    m, n = d / gamma, tau * d
    if not (m.is_integer and n.is_integer):
        raise InputError(f"d = {d} needs integer m = d/γ and n = τd (got m = {m}, n = {n})")
    return int(m), int(n)


def bridge_rows(dims: list[int], gamma, tau, k: int) -> list[BridgeRow]:
    """The trained isotropic model (c = n/(n + d + 1), n = τd, m = d/γ) per dimension, against its MP limit."""
    gamma, tau = sp.Rational(gamma), sp.Rational(tau)
    limit = marchenko_pastur_error(tau / (1 + tau), gamma, k)
    rows = []
    for d in dims:
        m, n = _sizes(d, gamma, tau)
        value = isotropic_error(d, m, sp.Rational(n, n + d + 1), k) / d
        rows.append(BridgeRow(d, m, n, value, limit, value - limit))
    return rows


def gap_leading_order(gamma, tau, k: int) -> tuple[int, sp.Expr]:
    """(p, a) with error per dimension − MP limit = a/d^p + O(1/d^{p+1}): the gap's exact order in 1/d."""
    gamma, tau = sp.Rational(gamma), sp.Rational(tau)
    h = sp.Symbol("h", positive=True)  # h = 1/d
    d = 1 / h
    c = tau * d / (tau * d + d + 1)
    per_dimension = isotropic_error(d, d / gamma, c, k) * h
    numerator, denominator = sp.fraction(sp.together(per_dimension - marchenko_pastur_error(tau / (1 + tau), gamma, k)))
    numerator = sp.Poly(sp.expand(numerator), h)
    denominator_at_zero = sp.expand(denominator).subs(h, 0)
    if numerator.is_zero or denominator_at_zero == 0:
        raise ValueError("the gap has no finite leading order in 1/d")
    p = min(monomial[0] for monomial in numerator.monoms())
    return p, sp.nsimplify(numerator.coeff_monomial(h ** p) / denominator_at_zero)
