"""The reduced linear-attention model of Lu, Letey, Zavatone-Veth, Maiti and Pehlevan (PNAS 2025, arXiv 2405.11751,
§2), simulated at finite dimension d as the authors set it up (their ``Linear/common.py``).

A prompt of ℓ examples and a query: x_i ~ N(0, I_d/d) (i = 1..ℓ+1), y_i = ⟨w, x_i⟩ + ε_i, ε_i ~ N(0, ρ). Its
sufficient statistic (the linear attention layer reduced to its d(d+1) effective parameters, eq. 6) is

    H_Z = x_{ℓ+1} [ (d/ℓ) Σ_{i≤ℓ} y_i x_iᵀ ,  (1/ℓ) Σ_{i≤ℓ} y_i² ] ∈ R^{d×(d+1)},      ŷ = ⟨Γ, H_Z⟩.

Pretraining: a task set of k vectors, each drawn N(0, I_d) and rescaled to ‖w‖² = d; each of n contexts picks one
task uniformly. Γ is the ridge estimate with vanishing ridge, the minimum-norm least-squares solution of
ŷ(Z_μ) ≈ y_{ℓ+1}^μ over the n contexts (their ``compute_Gamma_star`` pseudo-inverse; ``learn_Gamma`` at λ → 0).
ICL test: fresh prompts with w ~ N(0, I_d) (a new task per prompt) and the same x and noise laws; the error is
E(ŷ − y_{ℓ+1})², the query label's own noise included. Nothing here knows a closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from icl_errors import InputError
from verify.quantity import Quantity
from verify.sampling import require_count

MAX_PARAMETERS = 2_000      # d(d + 1) above this: the least-squares solve per row takes seconds, refused
WELL_POSED = 2              # contexts per parameter from which the fit solves the normal equations


def draw_contexts(rng: np.random.Generator, tasks: np.ndarray, ell: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """One context per row of ``tasks`` (shape (count, d)): X of shape (count, ℓ+1, d) with x_i ~ N(0, I_d/d), the
    query last, and labels y (count, ℓ+1) = ⟨w, x_i⟩ + ε_i, ε_i ~ N(0, ρ). Draw order: X, then the noise."""
    count, d = tasks.shape
    X = rng.standard_normal((count, ell + 1, d)) / np.sqrt(d)
    y = np.einsum("cid,cd->ci", X, tasks)
    if rho:
        y = y + np.sqrt(rho) * rng.standard_normal(y.shape)
    return X, y


def attention_features(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """H_Z of every context, flattened row-major to (count, d(d+1)) (module docstring; the query is the last row)."""
    count, ell_plus_one, d = X.shape
    ell = ell_plus_one - 1
    context = np.einsum("cid,ci->cd", X[:, :ell], y[:, :ell]) * (d / ell)          # (d/ℓ) Σ y_i x_i
    label_power = np.sum(y[:, :ell] ** 2, axis=1, keepdims=True) / ell            # (1/ℓ) Σ y_i²
    h = np.concatenate([context, label_power], axis=1)                             # (count, d+1)
    return np.einsum("cd,ce->cde", X[:, ell], h).reshape(count, -1)


def draw_task_set(rng: np.random.Generator, d: int, k: int) -> np.ndarray:
    """k pretraining tasks (k, d): standard normal rows rescaled to ‖w‖² = d."""
    W = rng.standard_normal((k, d))
    return W * (np.sqrt(d) / np.linalg.norm(W, axis=1, keepdims=True))


@dataclass(frozen=True)
class ReducedAttentionTestError(Quantity):
    """One row = one pretraining draw: a task set of ``k`` tasks, ``contexts`` pretraining contexts of length ``ell``
    in dimension ``d`` with noise variance ``rho``, Γ fitted by ridgeless least squares, then its ICL test error
    (ŷ − y_{ℓ+1})² averaged over ``test_prompts`` fresh prompts with w ~ N(0, I_d) (one column).

    A row costs ``contexts + test_prompts`` draws (prompts)."""

    d: int
    ell: int
    k: int
    contexts: int
    rho: float
    test_prompts: int

    def __post_init__(self) -> None:
        d = require_count("d", self.d, 2)
        require_count("ell", self.ell, 1)
        require_count("k", self.k, 1)
        require_count("contexts", self.contexts, 1)
        require_count("test_prompts", self.test_prompts, 1)
        if not (np.isfinite(self.rho) and self.rho >= 0):
            raise InputError(f"rho must be a noise variance ≥ 0, got {self.rho!r}")
        if d * (d + 1) > MAX_PARAMETERS:
            raise InputError(f"d = {d} gives d(d+1) = {d * (d + 1)} parameters, above the limit {MAX_PARAMETERS} "
                             f"of verify/lu_quantities.py")

    @property
    def draws_per_unit(self) -> int:
        return int(self.contexts) + int(self.test_prompts)

    def fit(self, rng: np.random.Generator) -> np.ndarray:
        """Γ (flattened, d(d+1)) of one pretraining draw: the minimum-norm least-squares fit (vanishing ridge).

        With at least WELL_POSED times as many contexts as parameters the design has full column rank and is well
        conditioned, and the fit is the unique solution of the normal equations (Cholesky, ~4× faster than the SVD
        at d = 24); otherwise the SVD's minimum-norm solution."""
        tasks = draw_task_set(rng, int(self.d), int(self.k))
        chosen = tasks[rng.integers(0, int(self.k), size=int(self.contexts))]
        X, y = draw_contexts(rng, chosen, int(self.ell), float(self.rho))
        H = attention_features(X, y)
        if H.shape[0] >= WELL_POSED * H.shape[1]:
            return scipy.linalg.solve(H.T @ H, H.T @ y[:, -1], assume_a="pos")
        return np.linalg.lstsq(H, y[:, -1], rcond=None)[0]

    def test_error(self, rng: np.random.Generator, gamma: np.ndarray, chunk: int = 2_000) -> float:
        """The mean of (⟨Γ, H_Z⟩ − y_{ℓ+1})² over ``test_prompts`` fresh prompts, w ~ N(0, I_d) per prompt."""
        total, done = 0.0, 0
        while done < int(self.test_prompts):
            count = min(chunk, int(self.test_prompts) - done)
            X, y = draw_contexts(rng, rng.standard_normal((count, int(self.d))), int(self.ell), float(self.rho))
            total += float(np.sum((attention_features(X, y) @ gamma - y[:, -1]) ** 2))
            done += count
        return total / int(self.test_prompts)

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        return np.array([[self.test_error(rng, self.fit(rng))] for _ in range(batch)])


@dataclass(frozen=True)
class FiniteSizeExtrapolation(Quantity):
    """Richardson extrapolation in 1/d of a quantity simulated at two dimensions: one row is one row of ``small``
    (dimension ``small.d``) and one of ``large`` (``large.d``), combined as (d₂ q₂ − d₁ q₁)/(d₂ − d₁), the value at
    1/d = 0 of the line through (1/d₁, q₁) and (1/d₂, q₂). If E q(d) = q_∞ + a/d + O(1/d²), the row's mean is
    q_∞ + O(1/(d₁d₂)): the O(1/d) finite-size bias of either size alone is removed. A numerical method, no formula."""

    small: ReducedAttentionTestError
    large: ReducedAttentionTestError

    def __post_init__(self) -> None:
        if not int(self.small.d) < int(self.large.d):
            raise InputError(f"the small dimension must be below the large one, got {self.small.d} and {self.large.d}")

    @property
    def draws_per_unit(self) -> int:
        return self.small.draws_per_unit + self.large.draws_per_unit

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        d1, d2 = int(self.small.d), int(self.large.d)
        return (d2 * self.large.draw(rng, batch) - d1 * self.small.draw(rng, batch)) / (d2 - d1)
