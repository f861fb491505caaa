r"""Exact pieces of the SFT data-scaling claims of arXiv 2603.01293 (§5.2, Figs 1–2, §4 rows 3–6).

* ``in_parameters``: a statement written in the block notation of App. B (α_k, δ̃_k, g_k, …), with every block symbol
  replaced by its definition in (μ₁, ρ, η, r, γ) and, for β < 1, q by the positive root of its equation — so a
  statement written the way the paper writes it evaluates to a number. The β equation
  β = Σ_k μ_k a_k²q/(1 + a_k²q) is a quadratic in q (two blocks) whose constant term is −β < 0 and whose leading term
  a₁²a₂²(1 − β) is positive for β < 1, so it has exactly one positive root; ``positive_q_root`` returns it in
  closed form.

* ``noise_free_sft_error``: the exact expected post-test error of the SFT minimiser Ṽ* (eq. 4.1) at finite d when the
  SFT covariance is rank deficient, A = diag(a1_m, 0_{d−m}) with a = η(ρ + 1) (App. B with r = 0), in the limit of
  long SFT prompts (S_τ → A, so Φ = AΩ). Then ΦΦ† = diag(P, 0) with P = Ω_UΩ_U† the projector onto the span of the
  U-rows of Ω (rank p = min(B, m)), and

      Ṽ* = −ηΩΦ† − Γ₀⁻¹(I − ΦΦ†) = [[−(η/a)P − G₁(I − P), 0], [−(η/a)K, −G₂I]],   K = Ω_⊥Ω_U†,

  (G_k the blocks of Γ₀⁻¹). With Σ = diag((ρ + 1)1_m, 1_{d−m}) block scalar, the one-step error (Prop. 5.1, computed
  by ``derivations.weight_error.one_step_error``) of this Ṽ is affine in tr P = p and ‖K‖²_F (every entry of K sits
  in its own block of I + ṼΣ and of ṼXṼᵀ): it is evaluated exactly at the representative P = diag(1_p, 0),
  K = c·e₁e₁ᵀ, with c² then replaced by E‖K‖²_F. Ω_⊥ is independent of Ω_U, so
  E‖K‖²_F = (d − m)·E tr((Ω_UᵀΩ_U)⁻¹) for B < m and (d − m)·E tr((Ω_UΩ_Uᵀ)⁻¹) for B > m: the mean trace of an inverse
  Wishart matrix, B/(m − B − 1) (B ≤ m − 2) and m/(B − m − 1) (B ≥ m + 2); it is infinite for |B − m| ≤ 1. So the
  expected error is finite except at B ∈ {m − 1, m, m + 1}: the double-descent peak sits at B = rank(A) = m.
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

from derivations import sft_asymptotics as asymptotics
from derivations.pretraining import gamma_closed_form
from derivations.validation import exact_scalar, prompt_length
from derivations.weight_error import one_step_error
from icl_errors import InputError


# --- statements in the App. B block notation, evaluated ---------------------------------------------------------------

def positive_q_root() -> sp.Expr:
    """The positive root q(β, μ₁, ρ, η, r) of β = Σ_k μ_k a_k²q/(1 + a_k²q), 0 < β < 1, in closed form."""
    beta_of_q = asymptotics.underdetermined_terms()["beta"]
    c2, c1, c0 = sp.Poly(sp.numer(sp.together(beta_of_q - asymptotics.beta)), asymptotics.q).all_coeffs()
    roots = [(-c1 + sign * sp.sqrt(c1 ** 2 - 4 * c2 * c0)) / (2 * c2) for sign in (1, -1)]
    probe = {asymptotics.beta: sp.Rational(1, 3), asymptotics.mu1: sp.Rational(1, 2),
             asymptotics.rho: sp.Rational(1, 10), asymptotics.eta: sp.Rational(1, 5), asymptotics.r: sp.Rational(1, 7)}
    positive = [root for root in roots if root.subs(probe) > 0]
    if len(positive) != 1:
        raise ValueError("the q equation does not have exactly one positive root")
    return positive[0]


def resolved_definitions(equations: Iterable[object], keep: Iterable[sp.Symbol] = ()) -> dict[sp.Symbol, sp.Expr]:
    """{block symbol: its definition in the parameters} from a statement's defining equations ``lhs = rhs`` whose
    left side is a plain symbol not in ``keep`` (definitions may refer to each other)."""
    keep = set(keep)
    definitions = {eq.lhs: eq.rhs for eq in equations
                   if hasattr(eq, "lhs") and isinstance(eq.lhs, sp.Symbol) and eq.lhs not in keep}
    resolved = {}
    for symbol, value in definitions.items():
        for _ in range(len(definitions) + 1):
            if not value.free_symbols & set(definitions):
                break
            value = value.xreplace(definitions)
        else:
            raise ValueError(f"the definition of {symbol} is circular")
        resolved[symbol] = value
    return resolved


def in_parameters(expr: sp.Expr, equations: Iterable[object], keep: Iterable[sp.Symbol] = ()) -> sp.Expr:
    """``expr`` with every defined block symbol (and q, by its positive root) replaced by its value in the parameters
    (μ₁, ρ, η, r, γ, β), printed as the paper's expression with its substitutions (an unevaluated ``Subs``)."""
    definitions = resolved_definitions(equations, keep)
    used = {s: v for s, v in definitions.items() if s in expr.free_symbols}
    symbols = sorted(used, key=str)
    substituted = sp.Subs(expr, tuple(symbols), tuple(used[s] for s in symbols))
    if asymptotics.q in substituted.free_symbols:
        return sp.Subs(substituted, (asymptotics.q,), (positive_q_root(),))
    return substituted


# --- the rank-deficient SFT covariance, long SFT prompts (exact, finite d) -----------------------------------------

def inverse_wishart_trace(B: int, rank: int) -> sp.Expr:
    """E tr((Ω_UᵀΩ_U)⁻¹) (B < rank) or E tr((Ω_UΩ_Uᵀ)⁻¹) (B > rank) for a rank × B matrix Ω_U of N(0, 1) entries:
    B/(rank − B − 1), resp. rank/(B − rank − 1) (the inverse-Wishart mean), ∞ for |B − rank| ≤ 1."""
    if B < rank - 1:
        return sp.Rational(B, rank - B - 1)
    if B > rank + 1:
        return sp.Rational(rank, B - rank - 1)
    return sp.oo


DIMENSION_LIMIT = 64   # noise_free_sft_error builds a d×d matrix and integrates it exactly (d = 16: well under 1 s)


def _count(value: object, name: str, minimum: int) -> int:
    number = exact_scalar(value, name)
    if not (number.is_Integer and number >= minimum):
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(number)


def noise_free_setting(d: object, m: object, rho: object, eta: object) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    """(Σ₀, Σ = Σ₀ + Δ, A) of App. B with r = 0: Σ₀ = diag(ρ1_m, 1_{d−m}), Δ = diag(1_m, 0),
    A = diag(η(ρ + 1)1_m, 0)."""
    d, m = _count(d, "d", 2), _count(m, "m", 1)
    if m >= d:
        raise InputError(f"m must be smaller than d (the shift is low-rank), got m = {m}, d = {d}")
    rho, eta = exact_scalar(rho, "rho"), exact_scalar(eta, "eta")
    if not (rho > 0 and 0 < eta <= 1):
        raise InputError(f"need rho > 0 and 0 < eta <= 1, got rho = {rho}, eta = {eta}")
    ones, zeros = [1] * (d - m), [0] * (d - m)
    return (sp.diag(*([rho] * m + ones)), sp.diag(*([rho + 1] * m + ones)),
            sp.diag(*([eta * (rho + 1)] * m + zeros)))


def noise_free_sft_error(d: object, m: object, rho: object, eta: object, n: object, B: object,
                         pole_at: int | None = None) -> sp.Expr:
    """E‖ŵ_1 − w*‖²/d of the SFT minimiser Ṽ* (eq. 4.1) trained on B prompts with S_τ = A = diag(η(ρ + 1)1_m, 0)
    (long SFT prompts), from the pretrained −Γ₀⁻¹ (Γ₀ of eq. 3.7 at length n), tested on prompts of n examples from
    Σ = Σ₀ + Δ (Prop. 5.1). ∞ at B ∈ {m − 1, m, m + 1}. ``pole_at`` replaces the rank m in E‖K‖²_F by another rank
    (the control: a peak at B = d)."""
    if _count(d, "d", 2) > DIMENSION_LIMIT:
        raise InputError(f"d = {d} is above the limit {DIMENSION_LIMIT} of the exact error (a d×d symbolic matrix "
                         f"through the Wick engine)")
    Sigma0, Sigma, A = noise_free_setting(d, m, rho, eta)
    d, m, n, B, eta = Sigma.rows, _count(m, "m", 1), prompt_length(n), _count(B, "B", 1), exact_scalar(eta, "eta")
    G = gamma_closed_form(Sigma0, n).inv()
    a = A[0, 0]
    p = min(B, m)
    c = sp.Symbol("c", real=True)
    V = sp.zeros(d, d)
    for i in range(m):
        V[i, i] = -eta / a if i < p else -G[i, i]
    for i in range(m, d):
        V[i, i] = -G[i, i]
    V[m, 0] = -eta / a * c                     # K = c e₁e₁ᵀ (rows U⊥, columns U)
    error = sp.Poly(sp.expand(one_step_error(V, Sigma, n)), c)
    if error.degree() != 2 or error.coeff_monomial(c) != 0:
        raise AssertionError("the one-step error is not affine in ‖K‖²_F")
    spurious = (d - m) * inverse_wishart_trace(B, m if pole_at is None else pole_at)
    constant, slope = error.coeff_monomial(1), error.coeff_monomial(c ** 2)
    if spurious is sp.oo:
        return sp.oo
    return (constant + slope * spurious) / d

