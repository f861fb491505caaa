"""Simulated quantities of Huang–Wang–Lee (arXiv 2502.21212) and the random instances of ZFB Corollary 4.3.

* ``FullParameterGradient``: the per-prompt gradient of the no-CoT weight-prediction loss with respect to *every*
  entry of the full V, W ∈ R^{D×D} (not only the sparse blocks), on the real layer (``verify.training``'s hand
  derived gradients ∂ℓ/∂V = r (Z_0 u)ᵀ, ∂ℓ/∂W = Z_0 Z_0ᵀ Vᵀ r zᵀ / n, per prompt).
* ``CotTrainingRun``: gradient descent on the teacher-forced CoT objective of HWL, whose CoT columns are the GD
  iterates of the prompt's own least squares, w_{i+1} = w_i − (η/n) X (Xᵀ w_i − y), w_0 = 0 (computed here from X and
  y, not from a closed form), trained on the (Ṽ, W̃) blocks of the real layer.
* ``BoundInstance``: a random instance (rational SPD Λ, N, ε, M) for a bound that must hold on every instance.

Nothing here knows a formula from derivations/.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from verify.quantity import DeterministicQuantity, Quantity
from verify.sampling import covariance_root, draw_prompts, require_count
from verify.simulator import (attention_readout, block_slices, embed, lsa_last_column, sparse_key_query_matrix,
                              sparse_value_matrix)
from verify.training import loss_and_gradients, weight_target


@dataclass(frozen=True)
class FullParameterGradient(Quantity):
    """Per-prompt gradient of ½‖f(Z_0)[:, −1] − (0, 0, w*, 1)‖² (no CoT, ŵ_0 = 0) with respect to all entries of V and
    W (flattened V then W, 2D² columns), at the sparse point V[w, x] = Ṽ, W[x, w] = I, W[y, one] = −1; prompts of n
    examples x ~ N(0, Σ), w* ~ N(0, I_d). Its mean is the population gradient over the full parameter space."""

    Sigma: Any
    n: int
    V_tilde: Any

    resolved_fields = ("Sigma", "V_tilde")

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        V_tilde = np.asarray(self.V_tilde, dtype=float)
        d = V_tilde.shape[0]
        V, W = sparse_value_matrix(V_tilde), sparse_key_query_matrix(np.eye(d))
        n = require_count("n", self.n, 1)
        prompts = draw_prompts(rng, covariance_root(self.Sigma), n, batch)
        Z0 = embed(prompts.X, prompts.y)
        r = lsa_last_column(Z0, V, W, n) - weight_target(prompts.w_star)
        readout = attention_readout(Z0, W, n)
        back = np.einsum("bdc,bc->bd", Z0, np.einsum("bdc,bd->bc", Z0, r @ V))      # Z_0 Z_0ᵀ Vᵀ r
        grad_V = np.einsum("bi,bj->bij", r, readout)
        grad_W = np.einsum("bi,bj->bij", back, Z0[:, :, -1]) / n
        return np.concatenate([grad_V.reshape(batch, -1), grad_W.reshape(batch, -1)], axis=1)


def gd_cot_columns(X: np.ndarray, y: np.ndarray, eta: float, k: int) -> np.ndarray:
    """The CoT data of HWL: w_0 = 0 and w_{i+1} = w_i − (η/n) X (Xᵀ w_i − y) for i < k, shape (batch, k + 1, d)."""
    batch, d, n = X.shape
    w = np.zeros((batch, d))
    path = [w]
    for _ in range(k):
        residual = np.einsum("bdn,bd->bn", X, w) - y
        w = w - eta * np.einsum("bdn,bn->bd", X, residual) / n
        path.append(w)
    return np.stack(path, axis=1)


@dataclass(frozen=True)
class CotTrainingRun(DeterministicQuantity):
    """One run of gradient descent on HWL's teacher-forced CoT loss, on the real layer.

    A random instance: B prompts of n examples x ~ N(0, I_d), w* ~ N(0, I_d), y = Xᵀw*; CoT data ``gd_cot_columns``
    with step η. Stage i = 0..k−1 feeds Z_i (the prompt followed by the columns (0; 0; w_j; 1), j ≤ i) and targets
    (0; 0; w_{i+1}; 1); the loss is the sum over stages of the batch-mean ½‖f(Z_i)[:, −1] − t_i‖². GD with step
    ``learning_rate`` on the blocks (Ṽ, W̃) (the sparse pattern of HWL Lemma C.2), from Ṽ = 0, W̃ = 0, for ``steps``
    updates (FloatingPointError if it diverges). The output is the final (Ṽ, W̃), flattened (2d² entries)."""

    d: int
    n: int
    prompts: int
    eta: float
    k: int
    steps: int
    learning_rate: float

    def instance(self, rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
        d, n, k = require_count("d", self.d, 1), require_count("n", self.n, 1), require_count("k", self.k, 1)
        prompts = draw_prompts(rng, np.eye(d), n, require_count("prompts", self.prompts, 1))
        columns = gd_cot_columns(prompts.X, prompts.y, float(self.eta), k)
        blocks = block_slices(d)
        stages, Z = [], embed(prompts.X, prompts.y)
        for i in range(k):
            target = weight_target(columns[:, i + 1])
            stages.append((Z, target))
            Z = np.concatenate([Z, target[:, :, None]], axis=2)
        V_t, W_t = np.zeros((d, d)), np.zeros((d, d))
        for _ in range(require_count("steps", self.steps, 1)):
            V, W = sparse_value_matrix(V_t), sparse_key_query_matrix(W_t)
            grad_V, grad_W = np.zeros((d, d)), np.zeros((d, d))
            for Z_i, t_i in stages:
                _, gV, gW = loss_and_gradients(Z_i, V, W, n, t_i)
                grad_V += gV[blocks.w, blocks.x]
                grad_W += gW[blocks.x, blocks.w]
            V_t, W_t = V_t - self.learning_rate * grad_V, W_t - self.learning_rate * grad_W
            if not (np.all(np.isfinite(V_t)) and np.all(np.isfinite(W_t))):
                raise FloatingPointError("CoT gradient descent diverged: use a smaller learning_rate")
        return {"d": d, "n": n, "eta": self.eta, "k": k}, np.concatenate([V_t.ravel(), W_t.ravel()])


@dataclass(frozen=True)
class BoundInstance(DeterministicQuantity):
    """A random instance for a bound stated for all Λ, N and M ≥ (d + 1) tr(Λ)/ε: Λ = Q D Qᵀ with Q a rational
    rotation (Cayley transform of a random skew matrix with small integer entries) and D = diag(1, j_2/(2N), …),
    j_i in {1, …, 4} (the small directions near tr(Λ)/N, where the bias of the trained layer is largest); N in [2, n_max]; ε = u·tr(Λ)/N² with u in
    {1/100, …, 1} (ε comparable with the bias term, so that no slack in ε hides it); M = ⌈(d + 1) tr(Λ)/ε⌉ (the hypothesis with equality up to rounding). All values
    are exact (fractions). The output is 1: the claim is that the bound holds on every instance, the derivation
    side says whether it does."""

    d: int
    n_max: int

    def instance(self, rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
        d, n_max = require_count("d", self.d, 1), require_count("n_max", self.n_max, 2)
        N = int(rng.integers(2, n_max + 1))
        D = [Fraction(1)] + [Fraction(int(rng.integers(1, 5)), 2 * N) for _ in range(d - 1)]
        skew = np.triu(rng.integers(-2, 3, size=(d, d)), 1)
        A = [[Fraction(int(v)) for v in row] for row in skew - skew.T]
        Q = _cayley(A)
        Lambda = [[sum(Q[i][k] * D[k] * Q[j][k] for k in range(d)) for j in range(d)] for i in range(d)]
        trace = sum(D)
        epsilon = Fraction(int(rng.integers(1, 101)), 100) * trace / N ** 2
        M = -(-(d + 1) * trace // epsilon)           # ceiling of a fraction
        return {"Lambda": Lambda, "N": N, "M": int(M), "epsilon": epsilon}, np.ones(1)


def _cayley(A: list[list[Fraction]]) -> list[list[Fraction]]:
    """Q = (I − A)(I + A)⁻¹ for a skew-symmetric rational A: an exact rational rotation (Gauss–Jordan in fractions)."""
    d = len(A)
    I_plus = [[Fraction(int(i == j)) + A[i][j] for j in range(d)] for i in range(d)]
    I_minus = [[Fraction(int(i == j)) - A[i][j] for j in range(d)] for i in range(d)]
    # solve X (I + A) = (I − A): transpose to (I + A)ᵀ Xᵀ = (I − A)ᵀ
    left = [[I_plus[j][i] for j in range(d)] + [I_minus[j][i] for j in range(d)] for i in range(d)]
    for col in range(d):
        pivot = next(r for r in range(col, d) if left[r][col] != 0)
        left[col], left[pivot] = left[pivot], left[col]
        scale = left[col][col]
        left[col] = [v / scale for v in left[col]]
        for r in range(d):
            if r != col and left[r][col] != 0:
                factor = left[r][col]
                left[r] = [a - factor * b for a, b in zip(left[r], left[col])]
    X_t = [row[d:] for row in left]
    return [[X_t[j][i] for j in range(d)] for i in range(d)]
