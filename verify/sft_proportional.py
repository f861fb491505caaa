"""The post-test error of the SFT-trained LSA at finite size, for the proportional limit (arXiv 2603.01293 App. B).

One row of ``ProportionalSFTError.draw`` is one post-training run: it draws the SFT data, forms the trained value
blocks, and measures their post-test error by running the real layer. Nothing here knows the limit formula (B.10)
or the one-step error (5.1).

SFT data (App. B): B prompts τ, tasks w*_τ ~ N(0, I_d) (the columns of Ω ∈ R^{d×B}), m examples x ~ N(0, A) each
(m is the paper's n), S_τ = X_τX_τᵀ/m and Φ = [S_1w*_1, …, S_Bw*_B], each S_τw*_τ drawn in law without drawing X_τ
(``sft_features``). With M = AΩ and E = Φ − M:

* ``"first-order"``: Ṽ = V_S + V_N, V_S = −ηΩM† + Ṽ₀(I − MM†), V_N = −V_S E M† (the first-order expansion of
  App. B, whose limit Theorem B.1 states);
* ``"minimiser"``: the exact SFT minimiser closest to the initialisation, Ṽ* = −ηΩΦ† + Ṽ₀(I − ΦΦ†) (eq. 4.1).

Ṽ₀ is the pretrained block (−Γ₀⁻¹ in the paper), a given input like any trained Ṽ. Post-test: prompts with m
examples x ~ N(0, Σ), one LSA step from ŵ_0 = 0 with the sparse V (block Ṽ) and W̃ = I; the row holds the mean over
``test_prompts`` prompts of E[‖ŵ_1 − w*‖² | X]/d, the task w* ~ N(0, I_d) averaged exactly by pushing the d basis
tasks through the layer on the same prompt (the same test prompts for every column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from icl_errors import InputError
from verify.post_training import mean_post_test_error
from verify.quantity import Quantity
from verify.sampling import covariance_root, draw_gram, draw_tasks, require_count

SOLUTIONS = ("first-order", "minimiser")
CHUNK_NUMBERS = 4_000_000   # test prompts are simulated in chunks of at most this many floats (one prompt: d × d)
SINGULAR_PIVOT = 1e-10      # a Cholesky pivot² below this fraction of the largest marks a rank-deficient Gram matrix


def chunk_size(numbers_per_prompt: int) -> int:
    """Prompts per chunk so that a chunk holds at most CHUNK_NUMBERS floats (at least one prompt)."""
    return max(1, CHUNK_NUMBERS // numbers_per_prompt)


def sft_features(rng: np.random.Generator, root_A: np.ndarray, Omega: np.ndarray, m: int) -> np.ndarray:
    """Φ = [S_τ w*_τ]_τ of shape (d, B): for each column w*_τ of Ω, S_τ = X_τX_τᵀ/m over m fresh examples
    x ~ N(0, A), A = R Rᵀ (R = ``root_A``, d × r), drawn in law without drawing the r·m numbers of X_τ.

    X_τ = R G_τ with G_τ ∈ R^{r×m} standard normal, so m S_τw*_τ = R G_τG_τᵀv with v = Rᵀw*_τ. For v ≠ 0 and
    v̂ = v/‖v‖, a = G_τᵀv̂ ~ N(0, I_m) is independent of (I − v̂v̂ᵀ)G_τ (uncorrelated jointly Gaussian blocks), and
    G_τG_τᵀv̂ = G_τa = v̂‖a‖² + (I − v̂v̂ᵀ)G_τa with (I − v̂v̂ᵀ)G_τa | a ~ N(0, ‖a‖²(I − v̂v̂ᵀ)). Hence, independently
    over τ given Ω,

        m S_τw*_τ  =law  R(c v + √c ‖v‖(I − v̂v̂ᵀ)h),   c ~ χ²_m, h ~ N(0, I_r) independent,

    r + 1 random numbers per prompt (v = 0 gives 0, as does the formula read with ‖v‖(I − v̂v̂ᵀ)h = 0)."""
    B = Omega.shape[1]
    v = root_A.T @ Omega                                                    # (r, B), columns Rᵀw*_τ
    c = rng.chisquare(m, size=B)                                            # ‖a‖² per prompt
    h = rng.standard_normal((root_A.shape[1], B))
    norms = np.linalg.norm(v, axis=0)
    safe = np.where(norms > 0, norms, 1.0)
    orthogonal = norms * h - v * (np.einsum("rb,rb->b", v, h) / safe)      # ‖v‖(I − v̂v̂ᵀ)h
    return root_A @ (c * v + np.sqrt(c) * orthogonal) / m


def pseudo_inverse(M: np.ndarray) -> np.ndarray:
    """M† (B × d) of M (d × B): (MᵀM)⁻¹Mᵀ (B ≤ d) or Mᵀ(MMᵀ)⁻¹ (B > d) by a Cholesky solve when M has full rank,
    else the SVD pseudo-inverse (a rank-deficient M, e.g. Φ for a singular A: a Cholesky pivot² below
    SINGULAR_PIVOT of the largest, or no factor at all)."""
    d, B = M.shape
    tall = B <= d
    gram = M.T @ M if tall else M @ M.T
    try:
        factor = cho_factor(gram, lower=True, check_finite=False)
    except LinAlgError:
        return np.linalg.pinv(M)
    pivots = np.diagonal(factor[0]) ** 2
    if pivots.min() < SINGULAR_PIVOT * pivots.max():
        return np.linalg.pinv(M)
    return cho_solve(factor, M.T, check_finite=False) if tall else cho_solve(factor, M, check_finite=False).T


def sft_value_blocks(Omega: np.ndarray, Phi: np.ndarray, A: np.ndarray, V_pre: np.ndarray, eta: float,
                     solutions: tuple[str, ...]) -> list[np.ndarray]:
    """The trained value blocks Ṽ named by ``solutions`` (see the module docstring), from the data Ω, Φ; the
    projections are applied as Ṽ₀(I − MM†) = Ṽ₀ − (Ṽ₀M)M† (O(d²B), no d × d projection formed)."""
    blocks = []
    for solution in solutions:
        features = A @ Omega if solution == "first-order" else Phi           # M, or Φ for the minimiser
        inverse = pseudo_inverse(features)
        V = -eta * (Omega @ inverse) + V_pre - (V_pre @ features) @ inverse
        if solution == "first-order":
            V = V - (V @ (Phi - features)) @ inverse                         # V_S + V_N = V_S − V_S E M†
        blocks.append(V)
    return blocks


def post_test_error(rng: np.random.Generator, root_Sigma: np.ndarray, m: int, V_tildes: list[np.ndarray],
                    prompts: int) -> np.ndarray:
    """Mean over ``prompts`` test prompts (m examples, x ~ N(0, Σ)) of E[‖ŵ_1 − w*‖² | X]/d, w* ~ N(0, I_d), for each
    Ṽ (shared prompts): one step of the layer with the sparse V (block Ṽ) and W̃ = I from ŵ_0 = 0, the task averaged
    exactly over the d basis tasks (``verify.post_training.mean_post_test_error``). The layer reads a prompt only
    through S = X Xᵀ, drawn in law (``verify.sampling.draw_gram``)."""
    d = root_Sigma.shape[0]
    total = np.zeros(len(V_tildes))
    step = chunk_size(d * d)
    for start in range(0, prompts, step):
        batch = min(step, prompts - start)
        S = draw_gram(rng, root_Sigma, m, batch)
        for j, V_tilde in enumerate(V_tildes):
            total[j] += mean_post_test_error(S, m, V_tilde) * batch
    return total / (prompts * d)


@dataclass(frozen=True)
class ProportionalSFTError(Quantity):
    """Per row: one SFT run (B prompts of m examples from N(0, A), tasks N(0, I_d)), the trained Ṽ of each entry of
    ``solutions`` ("first-order" = V_S + V_N of App. B, "minimiser" = the exact Ṽ* of eq. 4.1) from the pretrained
    block ``V_pre``, and the post-test error per dimension E‖ŵ_1 − w*‖²/d of each, estimated on ``test_prompts``
    prompts of m examples from N(0, Σ) (w* averaged exactly) by one step of the LSA layer (W̃ = I, ŵ_0 = 0). A row
    costs B + test_prompts prompts."""

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
