"""The post-test error of the SFT-trained LSA at finite size, for the proportional limit (arXiv 2603.01293 App. B).

One row of ``ProportionalSFTError.draw`` is one post-training run: it draws the SFT data, forms the trained value
blocks, and measures their post-test error by running the real layer. Nothing here knows the limit formula (B.10)
or the one-step error (5.1).

SFT data (App. B): B prompts τ, tasks w*_τ ~ N(0, I_d) (the columns of Ω ∈ R^{d×B}), m examples x ~ N(0, A) each
(m is the paper's n), S_τ = X_τX_τᵀ/m and Φ = [S_1w*_1, …, S_Bw*_B] (each S_τw*_τ = X_τ(X_τᵀw*_τ)/m, never forming
S_τ). With M = AΩ and E = Φ − M:

* ``"first-order"``: Ṽ = V_S + V_N, V_S = −ηΩM† + Ṽ₀(I − MM†), V_N = −V_S E M† (the first-order expansion of
  App. B, whose limit Theorem B.1 states);
* ``"minimiser"``: the exact SFT minimiser closest to the initialisation, Ṽ* = −ηΩΦ† + Ṽ₀(I − ΦΦ†) (eq. 4.1).

Ṽ₀ is the pretrained block (−Γ₀⁻¹ in the paper), a given input like any trained Ṽ. Post-test: prompts with m
examples x ~ N(0, Σ), one LSA step from ŵ_0 = 0 with the sparse V (block Ṽ) and W̃ = I; the row holds the mean over
``test_prompts`` prompts of ‖ŵ_1 − w*‖²/d (the same test prompts for every column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from icl_errors import InputError
from verify.quantity import Quantity
from verify.sampling import covariance_root, draw_covariates, draw_prompts, draw_tasks, require_count
from verify.simulator import sparse_key_query_matrix, sparse_value_matrix, weight_prediction_error

SOLUTIONS = ("first-order", "minimiser")
CHUNK_NUMBERS = 4_000_000   # prompts are simulated in chunks of at most this many floats (one prompt: d × m, or
                            # (2d + 2) × (m + 1) once embedded)


def chunk_size(numbers_per_prompt: int) -> int:
    """Prompts per chunk so that a chunk holds at most CHUNK_NUMBERS floats (at least one prompt)."""
    return max(1, CHUNK_NUMBERS // numbers_per_prompt)


def sft_features(rng: np.random.Generator, root_A: np.ndarray, Omega: np.ndarray, m: int) -> np.ndarray:
    """Φ = [S_τ w*_τ]_τ of shape (d, B): for each column w*_τ of Ω, m fresh examples x ~ N(0, A) (A = root rootᵀ),
    S_τw*_τ = X_τ(X_τᵀw*_τ)/m."""
    d, B = Omega.shape
    Phi = np.empty((d, B))
    step = chunk_size(d * m)
    for start in range(0, B, step):
        stop = min(B, start + step)
        X = draw_covariates(rng, root_A, m, stop - start)                  # (chunk, d, m)
        y = np.einsum("bdn,db->bn", X, Omega[:, start:stop])                # y_i = ⟨w*_τ, x_i⟩
        Phi[:, start:stop] = np.einsum("bdn,bn->db", X, y) / m
    return Phi


def sft_value_blocks(Omega: np.ndarray, Phi: np.ndarray, A: np.ndarray, V_pre: np.ndarray, eta: float,
                     solutions: tuple[str, ...]) -> list[np.ndarray]:
    """The trained value blocks Ṽ named by ``solutions`` (see the module docstring), from the data Ω, Φ."""
    identity = np.eye(Omega.shape[0])
    blocks = []
    for solution in solutions:
        if solution == "first-order":
            M = A @ Omega
            M_pinv = np.linalg.pinv(M)
            V_S = -eta * Omega @ M_pinv + V_pre @ (identity - M @ M_pinv)
            blocks.append(V_S - V_S @ (Phi - M) @ M_pinv)
        else:
            Phi_pinv = np.linalg.pinv(Phi)
            blocks.append(-eta * Omega @ Phi_pinv + V_pre @ (identity - Phi @ Phi_pinv))
    return blocks


def post_test_error(rng: np.random.Generator, root_Sigma: np.ndarray, m: int, V_tildes: list[np.ndarray],
                    prompts: int) -> np.ndarray:
    """Mean over ``prompts`` test prompts (m examples, x ~ N(0, Σ)) of ‖ŵ_1 − w*‖²/d for each Ṽ (shared prompts),
    by one step of the layer with the sparse V (block Ṽ) and W̃ = I from ŵ_0 = 0."""
    d = root_Sigma.shape[0]
    W = sparse_key_query_matrix(np.eye(d))
    Vs = [sparse_value_matrix(V) for V in V_tildes]
    total = np.zeros(len(Vs))
    step = chunk_size((2 * d + 2) * (m + 1))
    for start in range(0, prompts, step):
        batch = min(step, prompts - start)
        test = draw_prompts(rng, root_Sigma, m, batch)
        for j, V in enumerate(Vs):
            total[j] += weight_prediction_error(test.X, test.w_star, V, W, k=1).sum()
    return total / (prompts * d)


@dataclass(frozen=True)
class ProportionalSFTError(Quantity):
    """Per row: one SFT run (B prompts of m examples from N(0, A), tasks N(0, I_d)), the trained Ṽ of each entry of
    ``solutions`` ("first-order" = V_S + V_N of App. B, "minimiser" = the exact Ṽ* of eq. 4.1) from the pretrained
    block ``V_pre``, and the post-test error per dimension E‖ŵ_1 − w*‖²/d of each, estimated on ``test_prompts``
    prompts of m examples from N(0, Σ) by one step of the LSA layer (W̃ = I, ŵ_0 = 0). A row costs B + test_prompts
    prompts."""

    Sigma: object          # test covariance Σ (d × d)
    A: object              # post-training covariance A (d × d, invertible)
    V_pre: object          # the pretrained value block Ṽ₀ (d × d)
    eta: float             # SFT CoT rate η
    B: int                 # number of SFT prompts
    m: int                 # examples per prompt, SFT and test (the paper's n)
    test_prompts: int      # test prompts per SFT run
    solutions: tuple[str, ...] = ("first-order",)

    resolved_fields: ClassVar[tuple[str, ...]] = ("Sigma", "A", "V_pre")

    def __post_init__(self) -> None:
        if not self.solutions or any(s not in SOLUTIONS for s in self.solutions):
            raise InputError(f"solutions must be a non-empty tuple of {SOLUTIONS}, got {self.solutions!r}")
        for name in ("B", "m", "test_prompts"):
            require_count(name, getattr(self, name), 1)

    @property
    def draws_per_unit(self) -> int:
        """A row costs B training prompts and ``test_prompts`` test prompts."""
        return self.B + self.test_prompts

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        Sigma, A, V_pre = (np.asarray(x, dtype=float) for x in (self.Sigma, self.A, self.V_pre))
        d = Sigma.shape[0]
        if A.shape != (d, d) or V_pre.shape != (d, d):
            raise InputError(f"A and V_pre must be {d}×{d} like Sigma, got {A.shape} and {V_pre.shape}")
        root_A, root_Sigma = covariance_root(A), covariance_root(Sigma)
        rows = np.empty((batch, len(self.solutions)))
        for row in range(batch):
            Omega = draw_tasks(rng, d, self.B).T                           # (d, B), columns w*_τ
            Phi = sft_features(rng, root_A, Omega, self.m)
            V_tildes = sft_value_blocks(Omega, Phi, A, V_pre, float(self.eta), self.solutions)
            rows[row] = post_test_error(rng, root_Sigma, self.m, V_tildes, self.test_prompts)
        return rows
