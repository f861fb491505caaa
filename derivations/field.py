r"""The field's anchor results on label prediction (y-target), derived from one exact risk (anchors.md §A.1–A.3).

Setting (Zhang–Frei–Bartlett 2024, eq. 3.1–3.8; Ahn et al. 2023; Mahankali et al. 2024; Wu et al. 2024). A prompt
has N examples x_i ~ N(0, Λ), labels y_i = wᵀx_i + ε_i, ε_i ~ N(0, σ²), and a query x_q with label y_q = wᵀx_q + ε_q.
The embedding is E = [[x_1 … x_N, x_q], [y_1 … y_N, 0]] ∈ R^{(d+1)×(N+1)} and the layer

    f(E) = E + W^{PV} E (Eᵀ W^{KQ} E)/N,      ŷ = s · f(E)_{d+1, N+1}    (s = +1 ZFB, s = −1 Ahn / von Oswald).

With W^{PV} = [[0, 0], [0, c]] and W^{KQ} = [[K, 0], [0, 0]] the prediction is (``label_prediction`` derives it by
multiplying the block matrices)

    ŷ = s c · hᵀ K x_q = x_qᵀ G h,     G = s c Kᵀ,     h = (1/N) Σ_i y_i x_i            (ZFB eq. 4.2).

The risk of any preconditioner G (``label_risk``). With h = S w + e, S = (1/N) Σ x_i x_iᵀ and e = (1/N) Σ ε_i x_i
(E[e eᵀ | S] = σ² S/N), and x_q, ε_q independent of the prompt,

    E(ŷ − y_q)² = σ² + E tr(Λ (GS − I) B (GS − I)ᵀ) + (σ²/N) E tr(Λ G S Gᵀ),          B = E[w wᵀ],

integrated over S exactly by the Wick engine (``derivations.moments`` through ``SPoly``). Everything below is solved
from it: the stationary G (Wu et al.'s ((1 + 1/N)Λ + (tr Λ + σ²)/N · I)⁻¹; ZFB's Γ⁻¹ at σ = 0), Mahankali's step
η* = n/(n + d + 1 + σ²) for symbolic d, ZFB's balanced gradient-flow limit (Theorem 4.1) and Ahn et al.'s sign (Q₀ =
−Γ⁻¹ because their output is minus the entry). Ahn et al.'s Lemma 1 (L layers = L preconditioned GD steps) is the
recursion read off their masked layer (``ahn_layer``), solved against the GD step on R(w) = (1/2n)‖Xᵀw − y‖².
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from derivations.moments import MatrixLike, identity_like
from derivations.pretraining import preconditioner_symbols
from derivations.spoly import SPoly
from derivations.validation import exact_covariance, exact_matrix, exact_scalar, prompt_length
from icl_errors import InputError


# --- the layer: prediction read off the block matrices ------------------------------------------------------------


def label_embedding(X: sp.Matrix, y: sp.Matrix, x_query: sp.Matrix) -> sp.Matrix:
    """E = [[X, x_q], [yᵀ, 0]] (ZFB eq. 3.3; Ahn et al. Z₀), explicit: X is d×N, y a column of N labels."""
    top = X.row_join(x_query)
    bottom = y.T.row_join(sp.zeros(1, 1))
    return top.col_join(bottom)


def lsa_output(E: sp.Matrix, W_PV: sp.Matrix, W_KQ: sp.Matrix, N: sp.Expr, mask_query: bool = False) -> sp.Matrix:
    """f(E) = E + W^{PV} E M (Eᵀ W^{KQ} E)/N, M = I (ZFB) or the mask that drops the query column from the keys
    (Ahn et al. eq. (3), M = diag(I_N, 0))."""
    mask = sp.eye(E.cols)
    if mask_query:
        mask[E.cols - 1, E.cols - 1] = 0
    return E + W_PV * E * mask * (E.T * W_KQ * E) / N


def label_prediction(E: sp.Matrix, W_PV: sp.Matrix, W_KQ: sp.Matrix, N: sp.Expr, output_sign: int = 1,
                     mask_query: bool = False) -> sp.Expr:
    """ŷ = s · f(E)_{d+1, N+1}: the bottom-right entry of one layer, with the paper's output sign s."""
    return sp.expand(output_sign * lsa_output(E, W_PV, W_KQ, N, mask_query)[E.rows - 1, E.cols - 1])


def sparse_label_parameters(c: sp.Expr, K: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    """(W^{PV}, W^{KQ}) = ([[0, 0], [0, c]], [[K, 0], [0, 0]]) (ZFB Thm 4.1's form; Ahn et al.'s P₀, Q₀)."""
    d = K.rows
    W_PV = sp.zeros(d + 1, d + 1)
    W_PV[d, d] = c
    W_KQ = sp.zeros(d + 1, d + 1)
    W_KQ[:d, :d] = K
    return W_PV, W_KQ


# --- the exact risk of a preconditioner ----------------------------------------------------------------------------


def label_risk(G: MatrixLike, Lambda: MatrixLike, task_second_moment: MatrixLike, noise_variance: sp.Expr,
               N: sp.Expr | int) -> sp.Expr:
    """E(ŷ − y_q)² for ŷ = x_qᵀ G h on a prompt of N examples (module docstring), exact.

    ``task_second_moment`` is B = E[w wᵀ]: I for w ~ N(0, I_d), a aᵀ for a fixed task a. Explicit or abstract
    matrices (an abstract Λ = I_d gives the risk for symbolic d)."""
    identity = identity_like(Lambda)
    S = SPoly.sample_covariance(identity)
    error = G * S - identity                                     # G h − w = (GS − I) w + G e
    bias = (Lambda * error * task_second_moment * error.T).expected_trace(Lambda, N)
    variance = (Lambda * G * S * G.T).expected_trace(Lambda, N) * noise_variance / N
    return sp.expand(noise_variance + bias + variance)


def optimal_label_preconditioner(Lambda: object, N: object, noise_variance: object = 0) -> sp.Matrix:
    """G* solving ∇_G E(ŷ − y_q)² = 0 for w ~ N(0, I_d) (a linear system in the d² entries), exact.

    Wu et al. (2024) Γ* = ((1 + 1/N)H + (tr H + σ²)/N · I)⁻¹ with H = Λ; ZFB Thm 4.1's Γ⁻¹ at σ = 0."""
    Lambda, N = exact_covariance(Lambda, "Lambda"), prompt_length(N, "N")
    sigma2 = exact_scalar(noise_variance, "noise variance")
    G = preconditioner_symbols(Lambda.rows)          # the unknown d×d preconditioner G, as symbols
    risk = label_risk(G, Lambda, sp.eye(Lambda.rows), sigma2, N)
    unknowns = list(G)
    solution = sp.solve([sp.diff(risk, g) for g in unknowns], unknowns, dict=True)
    if len(solution) != 1 or set(solution[0]) != set(unknowns):
        raise InputError("Lambda is singular: the label-risk stationarity condition has no unique solution")
    return G.xreplace(solution[0]).applyfunc(sp.factor)


def optimal_label_risk(Lambda: object, N: object, noise_variance: object = 0) -> sp.Expr:
    """min_G E(ŷ − y_q)² for w ~ N(0, I_d): the risk at the solved G*."""
    Lambda, N = exact_covariance(Lambda, "Lambda"), prompt_length(N, "N")
    sigma2 = exact_scalar(noise_variance, "noise variance")
    G = optimal_label_preconditioner(Lambda, N, sigma2)
    return sp.factor(sp.simplify(label_risk(G, Lambda, sp.eye(Lambda.rows), sigma2, N)))


# --- Mahankali et al.: one GD step, isotropic, symbolic d ------------------------------------------------------------


@dataclass(frozen=True)
class OneStepDerivation:
    """Λ = I_d, G = η I with symbolic d, n, σ: the risk(η), the optimal step η* and the optimal risk."""

    d: sp.Symbol
    n: sp.Symbol
    sigma: sp.Symbol
    eta: sp.Symbol
    risk: sp.Expr
    eta_star: sp.Expr
    optimal_risk: sp.Expr


@cache
def one_step_derivation() -> OneStepDerivation:
    r"""Derive η* = n/(n + d + 1 + σ²) and the risk σ² + d(d + 1 + σ²)/(n + d + 1 + σ²) (Mahankali et al. 2024).

    The LSA readout with W^{KQ} block ηI is ŷ = η x_qᵀ (1/n) Σ y_i x_i, one GD step from 0 on the in-context least
    squares with step η; the risk is a quadratic in η (label_risk with abstract I_d), its root of the derivative η*."""
    d, n, sigma, eta = sp.symbols("d n sigma eta", positive=True)
    identity = sp.Identity(d)
    risk = sp.expand(label_risk(eta * identity, identity, identity, sigma ** 2, n))
    (eta_star,) = sp.solve(sp.diff(risk, eta), eta)
    return OneStepDerivation(d, n, sigma, eta, risk, sp.factor(eta_star), sp.factor(risk.subs(eta, eta_star)))


def _isotropic_values(d: object, n: object, sigma: object) -> dict:
    D = one_step_derivation()
    values = {D.d: prompt_length(d, "d"), D.n: prompt_length(n, "n"), D.sigma: exact_scalar(sigma, "sigma")}
    if values[D.sigma].is_number and values[D.sigma] < 0:
        raise InputError(f"sigma must be ≥ 0, got {sigma}")
    return values


def optimal_step(d: object, n: object, sigma: object) -> sp.Expr:
    """η* at (d, n, σ), exact."""
    D = one_step_derivation()
    return sp.factor(D.eta_star.subs(_isotropic_values(d, n, sigma)))


def one_step_risk(d: object, n: object, sigma: object, eta: object | None = None) -> sp.Expr:
    """E(ŷ − y_q)² of one GD step with step η (η* when not given), isotropic x, w ~ N(0, I_d), noise σ²."""
    D = one_step_derivation()
    values = _isotropic_values(d, n, sigma)
    if eta is None:
        return sp.factor(D.optimal_risk.subs(values))
    return sp.factor(D.risk.subs({**values, D.eta: exact_scalar(eta, "eta")}))


# --- Zhang–Frei–Bartlett: gradient-flow limit and prediction error -------------------------------------------------


def balanced_flow_drift(Lambda: object, N: object) -> sp.Expr:
    """d/dt (c² − ‖K‖²_F) along the gradient flow of L(c, K) = ½ E(ŷ − y_q)² (G = cKᵀ, σ = 0), from the derived
    loss's gradient: zero identically (the layers stay balanced), which with ZFB's initialisation c(0)² = σ_0² =
    σ_0²‖ΘΘᵀ‖²_F = ‖K(0)‖²_F keeps c² = ‖K‖²_F for all t (ZFB 2024, proof of Thm 4.1)."""
    Lambda, N = exact_covariance(Lambda, "Lambda"), prompt_length(N, "N")
    d = Lambda.rows
    c = sp.Symbol("c")
    K = sp.Matrix(d, d, lambda r, s: sp.Symbol(f"k_{r + 1}{s + 1}"))
    loss = label_risk(c * K.T, Lambda, sp.eye(d), 0, N) / 2
    dc = -sp.diff(loss, c)
    dK = K.applyfunc(lambda k: -sp.diff(loss, k))
    return sp.expand(2 * c * dc - 2 * sum(K[i] * dK[i] for i in range(d * d)))


def gradient_flow_limit(Lambda: object, N: object) -> tuple[sp.Expr, sp.Matrix]:
    """(c*, K*) of ZFB Thm 4.1: the stationary product c K = (G*)ᵀ (solved, σ = 0) with the balance c² = ‖K‖²_F
    conserved by the flow (``balanced_flow_drift``) and c > 0: c⁴ = ‖G*‖²_F, so c* = tr(Γ⁻²)^{1/4}, K* = Γ⁻¹/c*."""
    G = optimal_label_preconditioner(Lambda, N, 0)
    c = sp.Symbol("c", positive=True)
    (c_star,) = sp.solve(sp.Eq(c ** 4, (G.T * G).trace()), c)
    return c_star, (G.T / c_star).applyfunc(sp.radsimp)


def prediction_error(Lambda: object, N: object, M: object, task_second_moment: object | None = None,
                     noise_variance: object = 0) -> sp.Expr:
    """E(ŷ − y_q)² of the ZFB-trained layer (trained on length N, σ = 0: G = Γ_N⁻¹ solved) on test prompts of M
    examples with E[wwᵀ] = B (I unless given) and label noise σ² (ZFB Thm 4.2; the exact noiseless error at B = I)."""
    Lambda, M = exact_covariance(Lambda, "Lambda"), prompt_length(M, "M")
    B = sp.eye(Lambda.rows) if task_second_moment is None else exact_matrix(task_second_moment, "task second moment")
    G = optimal_label_preconditioner(Lambda, N, 0)
    return sp.factor(label_risk(G, Lambda, B, exact_scalar(noise_variance, "noise variance"), M))


# --- Ahn et al.: the sign convention and Lemma 1 ---------------------------------------------------------------------


def ahn_optimal_key_query(Sigma: object, n: object) -> sp.Matrix:
    """The Q₀ block of Ahn et al. Thm 1 at P₀ = [[0, 0], [0, 1]]: their output is −f(Z)_{d+1,n+1}, so G = −Kᵀ and the
    solved optimum G* gives K = −(G*)ᵀ (= −Γ⁻¹ = −U diag(1/((1 + 1/n)λ_i + Σλ_k/n)) Uᵀ)."""
    return (-optimal_label_preconditioner(Sigma, n, 0).T).applyfunc(sp.factor)


def ahn_layer(Z: sp.Matrix, P: sp.Matrix, Q: sp.Matrix, n: sp.Expr) -> sp.Matrix:
    """Z + (1/n) P Z M Zᵀ Q Z with the mask M = diag(I_n, 0) (Ahn et al. eq. (3))."""
    return lsa_output(Z, P, Q, n, mask_query=True)


def least_squares_gradient(w: sp.Matrix, X: sp.Matrix, y: sp.Matrix) -> sp.Matrix:
    """∇R(w) of R(w) = (1/2n)‖Xᵀw − y‖² (Ahn et al.'s R_{w*} for y = Xᵀw*), by differentiating R."""
    n = X.cols
    symbols = sp.symbols(f"u_1:{w.rows + 1}")
    u = sp.Matrix(symbols)
    residual = X.T * u - y
    R = (residual.T * residual)[0, 0] / (2 * n)
    gradient = sp.Matrix([sp.diff(R, s) for s in symbols])
    return gradient.xreplace(dict(zip(symbols, w)))


def preconditioned_gd(X: object, y: object, preconditioners: list) -> list[sp.Matrix]:
    """w_0 = 0, w_{ℓ+1} = w_ℓ − A_ℓ ∇R(w_ℓ) (Ahn et al. Lemma 1): the iterates w_1..w_L, exact."""
    X, y = exact_matrix(X, "X"), exact_matrix(y, "y")
    if y.shape != (X.cols, 1):
        raise InputError(f"y must be a column of {X.cols} labels, got shape {y.shape}")
    w = sp.zeros(X.rows, 1)
    iterates = []
    for A in preconditioners:
        w = (w - exact_matrix(A, "A") * least_squares_gradient(w, X, y)).applyfunc(sp.expand)
        iterates.append(w)
    return iterates


def ahn_readouts(X: object, y: object, x_query: object, preconditioners: list) -> list[sp.Expr]:
    """−[Z_ℓ]_{d+1,n+1} after ℓ = 1..L masked layers with P_ℓ = [[0, 0], [0, 1]], Q_ℓ = −[[A_ℓ, 0], [0, 0]]
    (sparsity (8)), in exact arithmetic: the quantity Lemma 1 identifies with ⟨x_q, w_ℓ^{gd}⟩."""
    X, y, x_query = exact_matrix(X, "X"), exact_matrix(y, "y"), exact_matrix(x_query, "x_query")
    Z = label_embedding(X, y, x_query)
    readouts = []
    for A in preconditioners:
        P, Q = sparse_label_parameters(1, -exact_matrix(A, "A"))
        Z = ahn_layer(Z, P, Q, X.cols).applyfunc(sp.expand)
        readouts.append(-Z[Z.rows - 1, Z.cols - 1])
    return readouts
