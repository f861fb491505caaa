r"""The proportional limit F(β) of the SFT post-test error (arXiv 2603.01293 App. B, Theorem B.1, Proposition B.2),
with the printed T₁₂ cross-terms of T_var and T_var,Σ corrected.

Setting (App. B). Two blocks of coordinates, k = 1 (size m = μ₁d, the range U of the shift Δ) and k = 2 (size
(1 − μ₁)d = μ₂d): Σ₀ = diag(ρ, 1), Δ = diag(1, 0), post-test Σ = Σ₀ + Δ = diag(ρ + 1, 1), post-training
A = η(P_UΣ₀P_U + Δ) + rP_U⊥ = diag(η(ρ + 1), r). Proportional regime: d, m, n, B → ∞ with B/d → β, m/d → μ₁, d/n → γ.
Every matrix below is a block scalar; its value on block k carries the index k.

Block values (B.6–B.9), derived from the definitions in ``block_values``:
* tr(Σ₀)/n → κ = γ(μ₁ρ + μ₂), so Γ₀ = (1 + 1/n)Σ₀ + tr(Σ₀)/n·I (eq. 3.7) → Σ₀ + κI;
* a_k = A_k, Σ_k = Σ blocks, Σ̄ = lim tr(Σ)/d = Σ_k μ_kΣ_k;
* D₁ = I − Γ₀⁻¹Σ → α_k; D_pre = Γ₀⁻¹ − ηA⁻¹ → δ̃_k, δ_k = δ̃_kΣ_k; −Γ₀⁻¹ → g_k;
* Σ_A = (tr(A)A + A²)/d → s_k = (Σ_l μ_la_l)a_k.

First-order error (B.5). With M = AΩ (Ω ∈ R^{d×B}, N(0, 1) entries), Π = MM† and E = Φ − M,
V_S = −ηΩM† − Γ₀⁻¹(I − Π) = −Γ₀⁻¹ + D_preΠ (because ΩM† = A⁻¹Π) and V_N = −V_S E M†. Given Ω the columns
e_τ = (S_τ − A)w*_τ of E are independent, centred, with covariance (AwwᵀA + (wᵀAw)A)/n = γΣ_A + O(1/d) in trace, so
E‖V_NΣ‖²/d = tr(M†Σ²M†ᵀ)·γ·tr(V_SΣ_AV_Sᵀ)/d, the cross term with I + V_SΣ vanishes, and tr(ṼΣ²Ṽᵀ)/(nd) → 0:

    F = lim Err(V_S + V_N) = Bias + γT_inv T_var + γΣ̄ T_var,Σ + γ²Σ̄ T_inv,Σ T_var          (B.10)

    Bias      = lim (1/d)‖D₁ + D_preΠΣ‖²_F,
    T_var     = lim (1/d) tr(V_S Σ_A V_Sᵀ),     T_var,Σ = lim (1/d) tr(V_S Σ V_Sᵀ),
    T_inv     = lim tr(Σ²(MMᵀ)†),                T_inv,Σ = lim tr(Σ(MMᵀ)†).

Random-matrix input (Lemmas C.1–C.3), derived in ``resolvent_traces`` from the Silverstein equation. For the Gram
matrix G = AΩΩᵀA/d (= MMᵀ/d) and a block-scalar shift Z = diag(z_k), the deterministic equivalent of (G + Z)⁻¹ is
T = (Z + vA²)⁻¹ with v = β/(1 + (1/d)tr(A²T)). Put z_1 = z, z_2 = z(1 + s) and v = zu: then z·T_k = 1/(1 + s_k + ua_k²)
and the equation reads

    zu + Σ_k μ_k ua_k²/(1 + s_k + ua_k²) = β.

* β < 1: G has rank B and I − Π = lim_{z→0⁺} z(G + z)⁻¹. At z = s = 0 the equation is β = Σ_k μ_k a_k²q/(1 + a_k²q)
  (q = u(0), solved by ``solve_q``), w_k = lim (1/d_k) tr Π_kk = 1 − 1/(1 + a_k²q) (Lemma C.1), so
  Σ_k μ_kw_k = β. Π is a projection, P_kl := lim (1/d) tr(Π_klΠ_lk) satisfies Σ_l P_kl = μ_kw_k, and
  T₁₂ = P₁₂ = lim z²(1/d) tr(P₁(G + z)⁻¹P₂(G + z)⁻¹) = −∂_s[μ₁/(1 + ua₁²)] at z = s = 0 (implicit differentiation of
  the equation in s; this is Lemmas C.2/C.3, = μ₁μ₂v₁v₂/(μ₁v₁ + μ₂v₂) with v_k = w_k(1 − w_k)). G† = ∂_z[z(G + z)⁻¹]
  at z = 0, so T_inv,X = (1/d) tr(X G†) = Σ_k μ_kX_k ∂_z[1/(1 + ua_k²)] at z = s = 0 (implicit differentiation in z;
  X = Σ² or Σ).
* β > 1: G is invertible, Π = I (w_k = 1, T₁₂ = 0) and G† = T(0) = (vA²)⁻¹ with v solving v(1 + 1/v) = β at z = 0,
  v = β − 1: T_inv,X = Σ_k μ_kX_k/((β − 1)a_k²). At β = 1, v = 0 and F = ∞.

The block quadratic form (``projected_quadratic``). For block scalars L, D, R, X,
lim (1/d) tr((L + DΠR) X (L + DΠR)ᵀ) = Σ_k μ_k x_k [l_k² + 2l_kD_kr_kw_k] + Σ_{k,l} D_k² r_l² x_l P_kl, using
Σ_l Π_klΠ_lk = Π_kk (Π² = Π, Πᵀ = Π): P_kk = μ_kw_k − T₁₂, P₁₂ = P₂₁ = T₁₂. Hence, with D = D_pre,

    Bias    = Q(L = D₁, R = Σ, X = I) = Σ_k μ_k[α_k²(1 − w_k) + (α_k + δ_k)²w_k] + T₁₂(δ̃₂² − δ̃₁²)(Σ₁² − Σ₂²),
    T_var   = Q(L = −Γ₀⁻¹, R = I, X = Σ_A)
            = Σ_k μ_ks_k[g_k²(1 − w_k) + (g_k + δ̃_k)²w_k] − T₁₂(δ̃₁² − δ̃₂²)(s₁ − s₂),
    T_var,Σ = Q(L = −Γ₀⁻¹, R = I, X = Σ)
            = Σ_k μ_kΣ_k[g_k²(1 − w_k) + (g_k + δ̃_k)²w_k] − T₁₂(δ̃₁² − δ̃₂²)(Σ₁ − Σ₂).

The Bias agrees with the paper. The paper prints the cross-terms of T_var and T_var,Σ as −T₁₂(δ̃₁ − δ̃₂)(δ̃₁s₁ − δ̃₂s₂)
and −T₁₂(δ̃₁ − δ̃₂)(δ̃₁Σ₁ − δ̃₂Σ₂) (``printed_limit``). Corrected minus printed is T₁₂(δ̃₁ − δ̃₂)(δ̃₁s₂ − δ̃₂s₁)
(resp. with Σ_k for s_k): zero for β > 1 (T₁₂ = 0), nonzero for 0 < β < 1, where the finite-d simulation of
synergy:thm-B.1 rejects the printed form.

Proposition B.2, derived from the branches above: F(0) = Σ_k μ_kα_k² + γΣ̄ Σ_k μ_kΣ_kg_k² (q = 0: the pretrained
model's error, ``pretrained_limit``); for β > 1, F = C₁ + C₂/(β − 1) with C₁ = F(∞) = Σ_k μ_k(α_k + δ_k)²
+ γΣ̄ Σ_k μ_kΣ_k(g_k + δ̃_k)² and C₂ = γT_var(∞)[Σ_k μ_kΣ_k²/a_k² + γΣ̄ Σ_k μ_kΣ_k/a_k²] > 0 (``large_beta_form``);
F′(0⁺) = (dF/dq)/(dβ/dq) at q = 0 (``slope_at_zero``).

Working precision: ``PRECISION`` decimal digits (mpmath); q is found by a bracketing solver on the monotone equation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import mpmath as mp
import sympy as sp

from derivations.validation import exact_scalar
from icl_errors import InputError

PRECISION = 40   # decimal digits of the mpmath working precision

# --- symbols ---------------------------------------------------------------------------------------------------------

beta, mu1, rho, eta, r, gamma = sp.symbols("beta mu_1 rho eta r gamma", positive=True)
q, u, z, s = sp.symbols("q u z s", positive=True)
_a = sp.symbols("a_1 a_2", positive=True)
_Sigma = sp.symbols("Sigma_1 Sigma_2", positive=True)
_mu = (mu1, 1 - mu1)


# --- block values (B.6–B.9) -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Blocks:
    """The block values of App. B, each a pair (block 1, block 2) of exact SymPy expressions."""

    mu: tuple[sp.Expr, sp.Expr]          # block fractions μ_k
    a: tuple[sp.Expr, sp.Expr]           # A
    Sigma: tuple[sp.Expr, sp.Expr]       # post-test Σ = Σ₀ + Δ
    kappa: sp.Expr                       # lim tr(Σ₀)/n
    alpha: tuple[sp.Expr, sp.Expr]       # D₁ = I − Γ₀⁻¹Σ
    delta_tilde: tuple[sp.Expr, sp.Expr]  # D_pre = Γ₀⁻¹ − ηA⁻¹
    delta: tuple[sp.Expr, sp.Expr]       # D_pre Σ
    g: tuple[sp.Expr, sp.Expr]           # −Γ₀⁻¹
    s: tuple[sp.Expr, sp.Expr]           # Σ_A = (tr(A)A + A²)/d
    Sigma_bar: sp.Expr                   # lim tr(Σ)/d
    gamma: sp.Expr                       # d/n


def block_values(mu_1: sp.Expr = mu1, rho_: sp.Expr = rho, eta_: sp.Expr = eta, r_: sp.Expr = r,
                 gamma_: sp.Expr = gamma) -> Blocks:
    """The block values derived from Σ₀, Δ, A and Γ₀ (eq. 3.7) in the limit 1/n → 0, tr(Σ₀)/n → κ."""
    mu = (mu_1, 1 - mu_1)
    Sigma0 = (rho_, sp.Integer(1))
    shift = (sp.Integer(1), sp.Integer(0))
    Sigma = tuple(Sigma0[k] + shift[k] for k in range(2))
    a = (eta_ * (Sigma0[0] + shift[0]), r_)                    # η(P_UΣ₀P_U + Δ) on U, r on U⊥
    kappa = sp.factor(gamma_ * sum(mu[k] * Sigma0[k] for k in range(2)))   # (d/n)·(1/d)tr Σ₀
    Gamma0 = tuple(Sigma0[k] + kappa for k in range(2))        # (1 + 1/n)Σ₀ + tr(Σ₀)/n·I, 1/n → 0
    alpha = tuple(sp.factor(1 - Sigma[k] / Gamma0[k]) for k in range(2))
    delta_tilde = tuple(sp.factor(1 / Gamma0[k] - eta_ / a[k]) for k in range(2))
    trace_A = sum(mu[k] * a[k] for k in range(2))              # (1/d) tr A; the A²/d part of Σ_A vanishes
    return Blocks(mu=mu, a=a, Sigma=Sigma, kappa=kappa, alpha=alpha, delta_tilde=delta_tilde,
                  delta=tuple(sp.factor(delta_tilde[k] * Sigma[k]) for k in range(2)),
                  g=tuple(-1 / Gamma0[k] for k in range(2)), s=tuple(trace_A * a[k] for k in range(2)),
                  Sigma_bar=sum(mu[k] * Sigma[k] for k in range(2)), gamma=gamma_)


# --- the resolvent: q, w_k, T₁₂, T_inv (Lemmas C.1–C.3) ------------------------------------------------------------

def silverstein_equation(u_: sp.Expr = u, z_: sp.Expr = z, s_: sp.Expr = s) -> sp.Expr:
    """zu + Σ_k μ_k ua_k²/(1 + s_k + ua_k²) − β (= 0): the Silverstein equation with v = zu and shift z(1, 1 + s)."""
    shifts = (0, s_)
    return z_ * u_ + sum(_mu[k] * u_ * _a[k] ** 2 / (1 + shifts[k] + u_ * _a[k] ** 2) for k in range(2)) - beta


def compressed_resolvent(k: int, u_: sp.Expr = u, s_: sp.Expr = s) -> sp.Expr:
    """lim z·T_k: the deterministic equivalent of z(G + Z)⁻¹ on block k, 1/(1 + s_k + ua_k²)."""
    return 1 / (1 + (s_ if k == 1 else 0) + u_ * _a[k] ** 2)


@dataclass(frozen=True)
class ResolventTraces:
    """The β < 1 random-matrix limits as SymPy expressions in q, μ₁, a_k, Σ_k."""

    w: tuple[sp.Expr, sp.Expr]   # lim (1/d_k) tr Π_kk
    T12: sp.Expr                 # lim (1/d) tr(Π₁₂Π₂₁)
    T_inv: sp.Expr               # lim tr(Σ²(MMᵀ)†)
    T_inv_Sigma: sp.Expr         # lim tr(Σ(MMᵀ)†)


@cache
def resolvent_traces() -> ResolventTraces:
    """w_k, T₁₂ and T_inv,X for β < 1 by implicit differentiation of the Silverstein equation at z = s = 0, u = q."""
    F = silverstein_equation()
    at_origin = {z: 0, s: 0, u: q}
    du_ds = (-sp.diff(F, s) / sp.diff(F, u)).subs(at_origin)
    du_dz = (-sp.diff(F, z) / sp.diff(F, u)).subs(at_origin)
    w = tuple(sp.factor(1 - compressed_resolvent(k, q, 0)) for k in range(2))
    T12 = sp.factor(-_mu[0] * (sp.diff(compressed_resolvent(0, u, s), u) * du_ds
                               + sp.diff(compressed_resolvent(0, u, s), s)).subs(at_origin))
    slope = [sp.diff(compressed_resolvent(k, u, 0), u).subs(u, q) * du_dz for k in range(2)]   # ∂_z z T_k at 0

    def inverse_trace(power: int) -> sp.Expr:
        return sp.factor(sum(_mu[k] * _Sigma[k] ** power * slope[k] for k in range(2)))

    return ResolventTraces(w=w, T12=T12, T_inv=inverse_trace(2), T_inv_Sigma=inverse_trace(1))


@cache
def overdetermined_v() -> sp.Expr:
    """v(0) for β > 1: the Silverstein equation at z = 0, v(1 + Σ_k μ_ka_k²/(va_k²)) = β, solved for v (= β − 1)."""
    v = sp.Symbol("v", positive=True)
    solutions = sp.solve(sp.Eq(v * (1 + sum(_mu[k] * _a[k] ** 2 / (v * _a[k] ** 2) for k in range(2))), beta), v)
    if len(solutions) != 1:
        raise ValueError(f"the z = 0 Silverstein equation has {len(solutions)} solutions")
    return sp.simplify(solutions[0])


# --- the block quadratic form ----------------------------------------------------------------------------------------

def projected_quadratic(left, coefficient, right, weight, mu, w, T12):
    """lim (1/d) tr((L + DΠR) X (L + DΠR)ᵀ) for block scalars L, D, R, X and the projection Π with block traces
    (1/d) tr Π_kk → μ_kw_k and (1/d) tr(Π₁₂Π₂₁) → T₁₂ (so (1/d) tr(Π_kkΠ_kk) → μ_kw_k − T₁₂)."""
    P = [[mu[0] * w[0] - T12, T12], [T12, mu[1] * w[1] - T12]]
    linear = sum(mu[k] * weight[k] * (left[k] ** 2 + 2 * left[k] * coefficient[k] * right[k] * w[k]) for k in range(2))
    quadratic = sum(coefficient[k] ** 2 * right[l] ** 2 * weight[l] * P[k][l] for k in range(2) for l in range(2))
    return linear + quadratic


# --- (B.10) as SymPy expressions --------------------------------------------------------------------------------------

PARAMETERS = (mu1, rho, eta, r, gamma)


def _limit_expression(blocks: Blocks, w, T12, T_inv, T_inv_Sigma) -> dict[str, sp.Expr]:
    """Bias, T_var, T_var,Σ and F of (B.10) from the block values and the random-matrix limits."""
    ones = (1, 1)
    bias = projected_quadratic(blocks.alpha, blocks.delta_tilde, blocks.Sigma, ones, blocks.mu, w, T12)
    T_var = projected_quadratic(blocks.g, blocks.delta_tilde, ones, blocks.s, blocks.mu, w, T12)
    T_var_Sigma = projected_quadratic(blocks.g, blocks.delta_tilde, ones, blocks.Sigma, blocks.mu, w, T12)
    g_, Sigma_bar = blocks.gamma, blocks.Sigma_bar
    F = bias + g_ * T_inv * T_var + g_ * Sigma_bar * T_var_Sigma + g_ ** 2 * Sigma_bar * T_inv_Sigma * T_var
    return {"bias": bias, "T_inv": T_inv, "T_inv_Sigma": T_inv_Sigma, "T_var": T_var, "T_var_Sigma": T_var_Sigma,
            "F": F}


@cache
def underdetermined_terms() -> dict[str, sp.Expr]:
    """β < 1: the terms of (B.10) (corrected) as expressions in q and (μ₁, ρ, η, r, γ); also w_k, T₁₂ and β(q)."""
    blocks = block_values()
    traces = resolvent_traces()
    values = {**dict(zip(_a, blocks.a)), **dict(zip(_Sigma, blocks.Sigma))}
    w = tuple(x.subs(values) for x in traces.w)
    T12 = traces.T12.subs(values)
    terms = _limit_expression(blocks, w, T12, traces.T_inv.subs(values), traces.T_inv_Sigma.subs(values))
    beta_of_q = sp.solve(silverstein_equation(q, 0, 0), beta)[0].subs(values)
    return {**terms, "w_1": w[0], "w_2": w[1], "T12": T12, "beta": beta_of_q}


@cache
def overdetermined_terms() -> dict[str, sp.Expr]:
    """β > 1: Π = I (w_k = 1, T₁₂ = 0), G† = (v(0)A²)⁻¹; the terms as expressions in β and (μ₁, ρ, η, r, γ)."""
    blocks = block_values()
    v = overdetermined_v()
    T_inv = sum(blocks.mu[k] * blocks.Sigma[k] ** 2 / (v * blocks.a[k] ** 2) for k in range(2))
    T_inv_Sigma = sum(blocks.mu[k] * blocks.Sigma[k] / (v * blocks.a[k] ** 2) for k in range(2))
    return _limit_expression(blocks, (1, 1), 0, T_inv, T_inv_Sigma)


@cache
def _compiled(kind: str, name: str):
    if kind == "under":
        return sp.lambdify((q, *PARAMETERS), underdetermined_terms()[name], modules="mpmath")
    return sp.lambdify((beta, *PARAMETERS), overdetermined_terms()[name], modules="mpmath")


# --- inputs ----------------------------------------------------------------------------------------------------------

def _positive(value: object, name: str) -> sp.Expr:
    number = exact_scalar(value, name)
    if not (number.is_number and number.is_real and number > 0):
        raise InputError(f"{name} must be a positive number, got {value!r}")
    return number


def limit_parameters(mu_1: object, rho_: object, eta_: object, r_: object, gamma_: object) -> tuple[sp.Expr, ...]:
    """(μ₁, ρ, η, r, γ) as exact numbers: 0 < μ₁ < 1, ρ > 0, 0 < η ≤ 1, r > 0, γ > 0; InputError otherwise."""
    mu_1 = _positive(mu_1, "mu1")
    if not mu_1 < 1:
        raise InputError(f"mu1 must lie in (0, 1), got {mu_1}")
    eta_ = _positive(eta_, "eta")
    if eta_ > 1:
        raise InputError(f"eta must lie in (0, 1], got {eta_}")
    return mu_1, _positive(rho_, "rho"), eta_, _positive(r_, "r"), _positive(gamma_, "gamma")


def sample_ratio(beta_: object) -> sp.Expr:
    """β = B/d as an exact number ≥ 0, β ≠ 1 (F diverges at the interpolation threshold)."""
    value = exact_scalar(beta_, "beta")
    if not (value.is_number and value.is_real and value >= 0):
        raise InputError(f"beta must be a number >= 0, got {beta_!r}")
    if value == 1:
        raise InputError("beta = 1 is the interpolation threshold B = d, where F diverges (Proposition B.2 (i))")
    return value


def to_mpf(value: sp.Expr) -> mp.mpf:
    """An exact SymPy number as an mpmath number at ``PRECISION`` (+ 10 guard) digits."""
    return mp.mpf(sp.N(value, PRECISION + 10))


# --- q and the limit -----------------------------------------------------------------------------------------------

def _solve_q(b: mp.mpf, params: tuple[mp.mpf, ...]) -> mp.mpf:
    """The root of β(q) = β on [0, ∞) (β(q) increases strictly from 0 to 1), bracketed by doubling."""
    if b == 0:
        return mp.mpf(0)
    beta_of_q = _compiled("under", "beta")
    f = lambda x: beta_of_q(x, *params) - b   # noqa: E731
    upper = mp.mpf(1)
    while f(upper) <= 0:
        upper *= 2
    return mp.findroot(f, (mp.mpf(0), upper), solver="anderson", tol=mp.mpf(10) ** (-PRECISION))


def solve_q(beta_: object, mu_1: object, rho_: object, eta_: object, r_: object, gamma_: object) -> mp.mpf:
    """q ≥ 0 with Σ_k μ_k a_k²q/(1 + a_k²q) = β for 0 ≤ β < 1 (Lemma C.1), at ``PRECISION`` digits.

    The equation is the Silverstein equation at z = s = 0; its left side increases strictly from 0 to 1, so the
    root is unique; it is bracketed by doubling and found by the Anderson–Björck bracketing solver."""
    b = sample_ratio(beta_)
    if b > 1:
        raise InputError(f"q is defined for beta < 1, got {b}")
    params = limit_parameters(mu_1, rho_, eta_, r_, gamma_)
    with mp.workdps(PRECISION):
        return _solve_q(to_mpf(b), tuple(to_mpf(x) for x in params))


TERM_NAMES = ("bias", "T_inv", "T_inv_Sigma", "T_var", "T_var_Sigma", "F")


def limit_terms(beta_: object, mu_1: object, rho_: object, eta_: object, r_: object,
                gamma_: object) -> dict[str, mp.mpf]:
    """The corrected terms of (B.10) at β: Bias, T_inv, T_inv,Σ, T_var, T_var,Σ, F, and w_1, w_2, T12 (and q if
    β < 1), as mpmath numbers at ``PRECISION`` digits."""
    b = sample_ratio(beta_)
    params = limit_parameters(mu_1, rho_, eta_, r_, gamma_)
    with mp.workdps(PRECISION):
        numbers = tuple(to_mpf(x) for x in params)
        if b < 1:
            q_value = _solve_q(to_mpf(b), numbers)
            names = TERM_NAMES + ("w_1", "w_2", "T12")
            return {"q": q_value, **{name: _compiled("under", name)(q_value, *numbers) for name in names}}
        terms = {name: _compiled("over", name)(to_mpf(b), *numbers) for name in TERM_NAMES}
        return {**terms, "w_1": mp.mpf(1), "w_2": mp.mpf(1), "T12": mp.mpf(0)}


def sft_limit(beta_: object, mu_1: object, rho_: object, eta_: object, r_: object, gamma_: object) -> mp.mpf:
    """F(β) = lim Err(V_S + V_N), Theorem B.1 with the T₁₂ cross-terms of T_var, T_var,Σ corrected."""
    return limit_terms(beta_, mu_1, rho_, eta_, r_, gamma_)["F"]


# --- (B.10) as printed --------------------------------------------------------------------------------------------

def printed_limit(beta_: object, mu_1: object, rho_: object, eta_: object, r_: object, gamma_: object) -> mp.mpf:
    """(B.10) exactly as printed in the paper (block values B.6–B.9, Lemmas C.1–C.2, T_inv as printed), including
    the T₁₂ cross-terms −T₁₂(δ̃₁ − δ̃₂)(δ̃₁s₁ − δ̃₂s₂) of T_var and −T₁₂(δ̃₁ − δ̃₂)(δ̃₁Σ₁ − δ̃₂Σ₂) of T_var,Σ
    (wrong for β < 1; the negative control of synergy:thm-B.1). Typed in from the paper, not derived."""
    b = sample_ratio(beta_)
    params = limit_parameters(mu_1, rho_, eta_, r_, gamma_)
    with mp.workdps(PRECISION):
        m1, rh, et, rr, gm = (to_mpf(x) for x in params)
        bb = to_mpf(b)
        mu = (m1, 1 - m1)
        a = (et * (rh + 1), rr)
        Sig = (rh + 1, mp.mpf(1))
        kappa = gm * (m1 * rh + 1 - m1)
        alpha = ((kappa - 1) / (rh + kappa), kappa / (kappa + 1))
        dt = ((1 - kappa) / ((rh + kappa) * (rh + 1)), 1 / (1 + kappa) - et / rr)
        delta = (dt[0] * Sig[0], dt[1] * Sig[1])
        g = (-1 / (rh + kappa), -1 / (1 + kappa))
        s_ = tuple((mu[0] * a[0] + mu[1] * a[1]) * a[k] for k in range(2))
        Sigma_bar = m1 * (rh + 1) + 1 - m1
        if bb < 1:
            qq = _solve_q(bb, (m1, rh, et, rr, gm))
            w = tuple(a[k] ** 2 * qq / (1 + a[k] ** 2 * qq) for k in range(2))
            v = tuple(w[k] * (1 - w[k]) for k in range(2))
            T12 = mu[0] * mu[1] * v[0] * v[1] / (mu[0] * v[0] + mu[1] * v[1]) if bb > 0 else mp.mpf(0)
            denominator = sum(mu[k] * w[k] ** 2 / a[k] ** 2 for k in range(2))
            T_inv = qq * sum(mu[k] * Sig[k] ** 2 * w[k] ** 2 / a[k] ** 2 for k in range(2)) / denominator \
                if bb > 0 else mp.mpf(0)
            T_inv_Sigma = qq * sum(mu[k] * Sig[k] * w[k] ** 2 / a[k] ** 2 for k in range(2)) / denominator \
                if bb > 0 else mp.mpf(0)
        else:
            w, T12 = (mp.mpf(1), mp.mpf(1)), mp.mpf(0)
            T_inv = sum(mu[k] * Sig[k] ** 2 / a[k] ** 2 for k in range(2)) / (bb - 1)
            T_inv_Sigma = sum(mu[k] * Sig[k] / a[k] ** 2 for k in range(2)) / (bb - 1)
        bias = sum(mu[k] * (alpha[k] ** 2 * (1 - w[k]) + (alpha[k] + delta[k]) ** 2 * w[k]) for k in range(2)) \
            + T12 * (dt[1] ** 2 - dt[0] ** 2) * (Sig[0] ** 2 - Sig[1] ** 2)

        def T_var_printed(x):
            return sum(mu[k] * x[k] * (g[k] ** 2 * (1 - w[k]) + (g[k] + dt[k]) ** 2 * w[k]) for k in range(2)) \
                - T12 * (dt[0] - dt[1]) * (dt[0] * x[0] - dt[1] * x[1])

        T_var, T_var_Sigma = T_var_printed(s_), T_var_printed(Sig)
        return (bias + gm * T_inv * T_var + gm * Sigma_bar * T_var_Sigma
                + gm ** 2 * Sigma_bar * T_inv_Sigma * T_var)


# --- Proposition B.2 ---------------------------------------------------------------------------------------------

def pretrained_error_expression() -> sp.Expr:
    """The pretrained model's error in the limit, Err(−Γ₀⁻¹) = (1/d)‖I − Γ₀⁻¹Σ‖²_F + γΣ̄ (1/d)tr(Γ₀⁻¹ΣΓ₀⁻¹)
    (the (B.5) functional at Ṽ = −Γ₀⁻¹, no SFT): Σ_k μ_kα_k² + γΣ̄ Σ_k μ_kΣ_kg_k² (Proposition B.2 (ii))."""
    blocks = block_values()
    return (sum(blocks.mu[k] * blocks.alpha[k] ** 2 for k in range(2))
            + gamma * blocks.Sigma_bar * sum(blocks.mu[k] * blocks.Sigma[k] * blocks.g[k] ** 2 for k in range(2)))


@cache
def large_beta_form() -> tuple[sp.Expr, sp.Expr]:
    """(C₁, C₂) with F(β) = C₁ + C₂/(β − 1) for β > 1 (Proposition B.2 (i)): the β > 1 branch of (B.10) in the
    variable x = 1/(β − 1) is affine, F = C₁ + C₂x (checked: d²F/dx² = 0). C₁ = F(↑∞) is the floor."""
    x = sp.Symbol("x", positive=True)
    F = overdetermined_terms()["F"].subs(beta, 1 + 1 / x)
    C2 = sp.diff(F, x)
    if sp.cancel(sp.diff(C2, x)) != 0:
        raise ValueError("the beta > 1 branch is not of the form C1 + C2/(beta - 1)")
    return F.subs(x, 0), C2


@cache
def slope_at_zero_expression() -> sp.Expr:
    """F′(0⁺) = (dF/dq)/(dβ/dq) at q = 0 (β(q) is the q-equation's left side; both are analytic at q = 0)."""
    terms = underdetermined_terms()
    return sp.diff(terms["F"], q).subs(q, 0) / sp.diff(terms["beta"], q).subs(q, 0)


@cache
def bias_slope_at_zero_expression() -> sp.Expr:
    """Bias′(0⁺) = (dBias/dq)/(dβ/dq) at q = 0."""
    terms = underdetermined_terms()
    return sp.diff(terms["bias"], q).subs(q, 0) / sp.diff(terms["beta"], q).subs(q, 0)


@cache
def _lambdified(expr: sp.Expr):
    return sp.lambdify(PARAMETERS, expr, modules="mpmath")


def _evaluate(expr: sp.Expr, params: tuple[object, ...]) -> mp.mpf:
    values = limit_parameters(*params)
    with mp.workdps(PRECISION):
        return _lambdified(expr)(*(to_mpf(x) for x in values))


def pretrained_limit(mu_1: object, rho_: object, eta_: object, r_: object, gamma_: object) -> mp.mpf:
    """F(0): the pretrained model's limiting error (Proposition B.2 (ii))."""
    return _evaluate(pretrained_error_expression(), (mu_1, rho_, eta_, r_, gamma_))


def floor_limit(mu_1: object, rho_: object, eta_: object, r_: object, gamma_: object) -> mp.mpf:
    """F(↑∞) = C₁ (Proposition B.2 (i))."""
    return _evaluate(large_beta_form()[0], (mu_1, rho_, eta_, r_, gamma_))


def blow_up_coefficient(mu_1: object, rho_: object, eta_: object, r_: object, gamma_: object) -> mp.mpf:
    """C₂ of F(β) = C₁ + C₂/(β − 1), β > 1 (Proposition B.2 (i))."""
    return _evaluate(large_beta_form()[1], (mu_1, rho_, eta_, r_, gamma_))


def slope_at_zero(mu_1: object, rho_: object, eta_: object, r_: object, gamma_: object) -> mp.mpf:
    """F′(0⁺) (Proposition B.2 (iii))."""
    return _evaluate(slope_at_zero_expression(), (mu_1, rho_, eta_, r_, gamma_))
