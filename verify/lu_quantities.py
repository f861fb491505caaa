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

How it is simulated (issue 18 item 7; the law of the fitted Γ is the authors'): a context's examples enter H_Z only
through s = (d/ℓ) Σ y_i x_i and t = (1/ℓ) Σ y_i², which are drawn from their exact joint law with 2d + 3 variates
(draw_context_statistics) instead of (ℓ + 1)(d + 1); the normal equations are formed from the symmetric pairs of
x_{ℓ+1} and h = [s, t] without the feature matrix (normal_equations); and a test prompt's query and label noise are
averaged exactly (query_averaged_error: the error is quadratic in the query), leaving Monte Carlo over w and the
context. tests/test_lu_simulation.py holds the plain definitions these are checked against.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from icl_errors import InputError
from verify.quantity import Quantity
from verify.sampling import require_count

MAX_PARAMETERS = 2_000      # d(d + 1) above this: the least-squares solve per row takes seconds, refused
WELL_POSED = 2              # contexts per parameter from which the fit solves the normal equations
CONTEXT_BLOCK = 256         # contexts per block of normal_equations


def draw_context_statistics(rng: np.random.Generator, tasks: np.ndarray, ell: int,
                            rho: float) -> tuple[np.ndarray, np.ndarray]:
    """The context part of H_Z for one context per row w of ``tasks`` (count, d): s = (d/ℓ) Σ_{i≤ℓ} y_i x_i of shape
    (count, d) and t = (1/ℓ) Σ_{i≤ℓ} y_i² of shape (count,), drawn from their exact joint law without the ℓ examples.

    With u = w/‖w‖, c = ‖w‖/√d and a_i = √d⟨u, x_i⟩ ~ N(0, 1): x_i = (a_i/√d) u + z_i, z_i ~ N(0, (I − uuᵀ)/d)
    independent of a, and y_i = c a_i + ε_i. Splitting ε along a and orthogonally to it (ν ~ N(0, 1)),

        Σ a_i² = Q ~ χ²_ℓ,   Σ a_i ε_i = √(ρQ) ν,   Σ ε_i² = ρ (ν² + χ²_{ℓ−1}),
        Σ y_i² = c²Q + 2c Σ a_i ε_i + Σ ε_i²,   Σ y_i x_i = [(cQ + Σ a_i ε_i) u + √(Σ y_i²) (I − uuᵀ) g] / √d,

    g ~ N(0, I_d), since given y the sum Σ y_i z_i is N(0, ‖y‖² (I − uuᵀ)/d). 2d + 3 variates per context instead of
    (ℓ + 1)(d + 1); the law of (s, t) is unchanged (tests/test_lu_simulation.py). Draw order: Q, ν, χ²_{ℓ−1}, g."""
    count, d = tasks.shape
    norm = np.linalg.norm(tasks, axis=1)
    u, c = tasks / norm[:, None], norm / np.sqrt(d)
    Q = 2.0 * rng.standard_gamma(ell / 2, count)
    along = rng.standard_normal(count)
    rest = 2.0 * rng.standard_gamma((ell - 1) / 2, count)
    g = rng.standard_normal((count, d))
    cross = np.sqrt(rho * Q) * along                                               # Σ a_i ε_i
    label_power = c * c * Q + 2.0 * c * cross + rho * (along * along + rest)       # Σ y_i²
    orthogonal = g - u * np.sum(u * g, axis=1, keepdims=True)                      # (I − uuᵀ) g
    moment = ((c * Q + cross)[:, None] * u + np.sqrt(label_power)[:, None] * orthogonal) / np.sqrt(d)   # Σ y_i x_i
    return moment * (d / ell), label_power / ell


def draw_queries(rng: np.random.Generator, tasks: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """One query per row w of ``tasks`` (count, d): x ~ N(0, I_d/d) (count, d) and its label ⟨w, x⟩ + ε, ε ~ N(0, ρ).
    Draw order: x, then the noise."""
    count, d = tasks.shape
    x = rng.standard_normal((count, d)) / np.sqrt(d)
    y = np.sum(x * tasks, axis=1)
    if rho:
        y = y + np.sqrt(rho) * rng.standard_normal(count)
    return x, y


def context_vector(moment: np.ndarray, label_power: np.ndarray) -> np.ndarray:
    """h = [s, t] (count, d+1), the context's factor of H_Z = x_{ℓ+1} hᵀ, from s = (d/ℓ) Σ y_i x_i (count, d) and
    t = (1/ℓ) Σ y_i² (count,)."""
    return np.concatenate([moment, label_power[:, None]], axis=1)


def draw_task_set(rng: np.random.Generator, d: int, k: int) -> np.ndarray:
    """k pretraining tasks (k, d): standard normal rows rescaled to ‖w‖² = d."""
    W = rng.standard_normal((k, d))
    return W * (np.sqrt(d) / np.linalg.norm(W, axis=1, keepdims=True))


@functools.lru_cache(maxsize=8)
def _symmetric_pair_layout(d: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Index arrays for normal_equations at dimension d: the pairs a ≤ a' of {0..d−1} and b ≤ b' of {0..d} (as row
    and column indices), and, for each entry ((a, b), (a', b')) of the d(d+1)-square Gram matrix, the flat position
    of P[pair(a, a'), pair(b, b')] in the pair-by-pair matrix P."""
    pairs_a, pairs_b = np.triu_indices(d), np.triu_indices(d + 1)
    position_a = np.zeros((d, d), dtype=np.intp)
    position_a[pairs_a] = position_a[pairs_a[::-1]] = np.arange(len(pairs_a[0]))
    position_b = np.zeros((d + 1, d + 1), dtype=np.intp)
    position_b[pairs_b] = position_b[pairs_b[::-1]] = np.arange(len(pairs_b[0]))
    gram_index = position_a[:, None, :, None] * len(pairs_b[0]) + position_b[None, :, None, :]
    return pairs_a, pairs_b, gram_index.reshape(d * (d + 1), d * (d + 1))


def normal_equations(queries: np.ndarray, h: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HᵀH and Hᵀy for the features H_c = x_c ⊗ h_c (queries x (count, d), h (count, d+1), labels y (count,)),
    without forming H: HᵀH[(a, b), (a', b')] = Σ_c x_ca x_ca' h_cb h_cb' = P[(a, a'), (b, b')] with
    P = Σ_c (x_ca x_ca')_{a≤a'} (h_cb h_cb')_{b≤b'}ᵀ, products over the symmetric pairs only (about half the
    multiply-adds of HᵀH), accumulated over blocks of CONTEXT_BLOCK contexts (small temporaries: no page faults), and
    Hᵀy = Σ_c y_c x_c ⊗ h_c = ((y x)ᵀ h) flattened row-major."""
    pairs_a, pairs_b, gram_index = _symmetric_pair_layout(queries.shape[1])
    pair_products = np.zeros((len(pairs_a[0]), len(pairs_b[0])))
    for start in range(0, len(queries), CONTEXT_BLOCK):
        x_block, h_block = queries[start:start + CONTEXT_BLOCK].T, h[start:start + CONTEXT_BLOCK].T
        pair_products += (x_block[pairs_a[0]] * x_block[pairs_a[1]]) @ (h_block[pairs_b[0]] * h_block[pairs_b[1]]).T
    return np.take(pair_products.ravel(), gram_index), ((queries * labels[:, None]).T @ h).ravel()


def least_squares_readout(queries: np.ndarray, h: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The minimum-norm least-squares Γ (flattened, d(d+1)) of ⟨Γ, x_c ⊗ h_c⟩ ≈ y_c (vanishing ridge).

    With at least WELL_POSED times as many contexts as parameters the design has full column rank and is well
    conditioned, and Γ is the unique solution of the normal equations HᵀH Γ = Hᵀy (Cholesky, ~4× faster than the SVD
    at d = 24); otherwise the SVD's minimum-norm solution."""
    count, d = queries.shape
    if count >= WELL_POSED * d * (d + 1):
        gram, moment = normal_equations(queries, h, labels)   # symmetric: gram.T is it in Fortran order, no copy
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(gram.T, overwrite_a=True), moment)
    features = (queries[:, :, None] * h[:, None, :]).reshape(count, -1)
    return np.linalg.lstsq(features, labels, rcond=None)[0]


def query_averaged_error(gamma: np.ndarray, tasks: np.ndarray, moment: np.ndarray, label_power: np.ndarray,
                         rho: float) -> np.ndarray:
    """E[(⟨Γ, H_Z⟩ − y_{ℓ+1})² | w, context] per row, the query x_{ℓ+1} ~ N(0, I_d/d) and its noise averaged exactly:
    ⟨Γ, H_Z⟩ − y_{ℓ+1} = x_{ℓ+1}ᵀ(Γh − w) − ε_{ℓ+1} with h = [s, t], so the mean is ‖Γh − w‖²/d + ρ.
    ``gamma`` is Γ flattened row-major (d(d+1)); tasks and moment (count, d), label_power (count,)."""
    d = tasks.shape[1]
    G = gamma.reshape(d, d + 1)
    residual = moment @ G[:, :d].T + label_power[:, None] * G[:, d] - tasks          # Γh − w
    return np.sum(residual * residual, axis=1) / d + rho


@dataclass(frozen=True)
class ReducedAttentionTestError(Quantity):
    """One row = one pretraining draw: a task set of ``k`` tasks, ``contexts`` pretraining contexts of length ``ell``
    in dimension ``d`` with noise variance ``rho``, Γ fitted by ridgeless least squares, then its ICL test error
    (ŷ − y_{ℓ+1})² averaged over ``test_prompts`` fresh prompts with w ~ N(0, I_d) (one column); for each test prompt
    the query and its label noise are averaged exactly (query_averaged_error), a conditional mean with the same
    expectation. Contexts are drawn through their sufficient statistic (draw_context_statistics).

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
        """Γ (flattened, d(d+1)) of one pretraining draw: tasks, each context's task, its statistic, its query."""
        tasks = draw_task_set(rng, int(self.d), int(self.k))
        chosen = tasks[rng.integers(0, int(self.k), size=int(self.contexts))]
        moment, label_power = draw_context_statistics(rng, chosen, int(self.ell), float(self.rho))
        queries, labels = draw_queries(rng, chosen, float(self.rho))
        return least_squares_readout(queries, context_vector(moment, label_power), labels)

    def test_error(self, rng: np.random.Generator, gamma: np.ndarray) -> float:
        """The mean over ``test_prompts`` fresh contexts, w ~ N(0, I_d) each, of the query-averaged squared error."""
        tasks = rng.standard_normal((int(self.test_prompts), int(self.d)))
        moment, label_power = draw_context_statistics(rng, tasks, int(self.ell), float(self.rho))
        return float(np.mean(query_averaged_error(gamma, tasks, moment, label_power, float(self.rho))))

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        return np.array([[self.test_error(rng, self.fit(rng))] for _ in range(batch)])


@dataclass(frozen=True)
class FiniteSizeExtrapolation(Quantity):
    """Richardson extrapolation in 1/d of a quantity simulated at two dimensions: one row is one row of ``large``
    (dimension ``large.d``) and the mean of ``small_rows`` rows of ``small`` (``small.d``), combined as
    (d₂ q₂ − d₁ q₁)/(d₂ − d₁), the value at 1/d = 0 of the line through (1/d₁, q₁) and (1/d₂, q₂). If
    E q(d) = q_∞ + a/d + O(1/d²), the row's mean is q_∞ + O(1/(d₁d₂)): the O(1/d) finite-size bias of either size
    alone is removed. A numerical method, no formula. Averaging several small rows (cheap: a fit costs ~d⁶) cuts the
    small arm's share of the row variance, larger at small d, without changing the row's mean."""

    small: ReducedAttentionTestError
    large: ReducedAttentionTestError
    small_rows: int = 1

    def __post_init__(self) -> None:
        require_count("small_rows", self.small_rows, 1)
        if not int(self.small.d) < int(self.large.d):
            raise InputError(f"the small dimension must be below the large one, got {self.small.d} and {self.large.d}")

    @property
    def draws_per_unit(self) -> int:
        return int(self.small_rows) * self.small.draws_per_unit + self.large.draws_per_unit

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        d1, d2, m = int(self.small.d), int(self.large.d), int(self.small_rows)
        large = self.large.draw(rng, batch)
        small = self.small.draw(rng, batch * m).reshape(batch, m, -1).mean(axis=1)
        return (d2 * large - d1 * small) / (d2 - d1)
