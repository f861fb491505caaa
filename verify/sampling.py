"""Prompts of the in-context weight-prediction problem: x ~ N(0, Σ) in R^d, w* ~ N(0, I_d), noiseless y = ⟨w*, x⟩.

Every draw takes the caller's ``numpy.random.Generator``; nothing here touches a global random state.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from icl_errors import InputError

SYMMETRY_RTOL = 1e-10
GRAM_BLOCK = 2 ** 17   # numbers of L per block of prompts in ``draw_gram`` (1 MB)
PSD_RTOL = 1e-12


def require_count(name: str, value: int, minimum: int) -> int:
    """``value`` as a Python int, or InputError unless it is an integer ≥ ``minimum``."""
    try:
        count = operator.index(value)
    except TypeError:
        raise InputError(f"{name} must be an integer, got {value!r}") from None
    if isinstance(value, bool) or count < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return count


def covariance_root(Sigma: np.ndarray) -> np.ndarray:
    """The symmetric PSD square root R = Q Λ^{1/2} Qᵀ of Σ = Q Λ Qᵀ, so that R Rᵀ = Σ (singular Σ allowed).

    Σ must be a finite square matrix, symmetric to 1e-10 relative to max|Σ_ij|, with every eigenvalue
    ≥ −1e-12 · max|λ| (eigenvalues in that round-off band are set to 0).
    """
    S = np.asarray(Sigma, dtype=np.float64)
    if S.ndim != 2 or S.shape[0] != S.shape[1] or S.shape[0] == 0:
        raise InputError(f"Sigma must be a square matrix, got shape {S.shape}")
    if not np.all(np.isfinite(S)):
        raise InputError("Sigma has a non-finite entry")
    if np.max(np.abs(S - S.T)) > SYMMETRY_RTOL * np.max(np.abs(S)):
        raise InputError("Sigma is not symmetric")
    eigenvalues, Q = np.linalg.eigh((S + S.T) / 2)
    if eigenvalues[0] < -PSD_RTOL * np.max(np.abs(eigenvalues)):
        raise InputError(f"Sigma is not positive semi-definite (smallest eigenvalue {eigenvalues[0]:.6g})")
    R = (Q * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ Q.T
    return (R + R.T) / 2  # exactly symmetric


def _checked_draw(root: np.ndarray, n: int, batch: int) -> tuple[np.ndarray, int, int]:
    """(R, n, batch) as a float64 matrix and ints, or InputError naming the bad one."""
    R = np.asarray(root, dtype=np.float64)
    if R.ndim != 2 or 0 in R.shape:
        raise InputError(f"the covariance root must be a non-empty matrix, got shape {R.shape}")
    if not np.all(np.isfinite(R)):
        raise InputError("the covariance root has a non-finite entry")
    return R, require_count("n", n, 1), require_count("batch", batch, 1)


def draw_covariates(rng: np.random.Generator, root: np.ndarray, n: int, batch: int) -> np.ndarray:
    """X of shape (batch, d, n): columns x_i = R g_i with g_i ~ N(0, I_r) i.i.d., so x_i ~ N(0, R Rᵀ).

    ``root`` is any finite (d, r) matrix R, typically ``covariance_root(Σ)``.
    """
    R, n, batch = _checked_draw(root, n, batch)
    return apply_root(R, rng.standard_normal((batch, R.shape[1], n)))


def apply_root(R: np.ndarray, G: np.ndarray) -> np.ndarray:
    """R G for a (d, r) root and G of shape (batch, r, ·); G may be overwritten. A diagonal R scales the rows of G in
    place instead of a batched matrix product (the same numbers: each entry is R_ii G_ij plus exact zeros), and the
    identity returns G itself."""
    if R.shape[0] == R.shape[1] and np.array_equal(R, np.diag(np.diagonal(R))):
        if not np.array_equal(np.diagonal(R), np.ones(R.shape[0])):
            G *= np.diagonal(R)[:, None]
        return G
    return R @ G


def draw_gram(rng: np.random.Generator, root: np.ndarray, n: int, batch: int) -> np.ndarray:
    """S = X Xᵀ for X = ``draw_covariates(rng, root, n, batch)``, in law, shape (batch, d, d), without drawing X.

    X = R G with G (r × n) standard normal, so X Xᵀ = R (G Gᵀ) Rᵀ and G Gᵀ ~ Wishart_r(I, n). For n ≥ r, G Gᵀ is
    drawn by Bartlett's decomposition (Bartlett 1933; Anderson, An Introduction to Multivariate Statistical
    Analysis, Thm 7.2.1): G Gᵀ has the law of L Lᵀ with L lower triangular and independent entries,
    L_ii = √χ²_{n−i+1} (i = 1..r) and L_ij ~ N(0, 1) below the diagonal: r(r+1)/2 random numbers per prompt in
    place of r·n. For n < r, G is drawn and G Gᵀ formed. Prompts are drawn in blocks of about GRAM_BLOCK numbers
    of L, so that L and its product stay in cache.
    """
    R, n, batch = _checked_draw(root, n, batch)
    r = R.shape[1]
    if n < r:
        G = apply_root(R, rng.standard_normal((batch, r, n)))
        return G @ G.transpose(0, 2, 1)
    S = np.empty((batch, R.shape[0], R.shape[0]))
    below, diagonal = np.tril_indices(r, -1), np.arange(r)
    block = max(1, GRAM_BLOCK // (r * r))
    L = np.zeros((min(block, batch), r, r))      # the zeros above the diagonal are never written
    for start in range(0, batch, block):
        part = L[:min(block, batch - start)]
        part[:, below[0], below[1]] = rng.standard_normal((len(part), len(below[0])))
        part[:, diagonal, diagonal] = np.sqrt(rng.chisquare(n - diagonal, size=(len(part), r)))
        G = apply_root(R, part)                  # a diagonal R scales part in place: the next block rewrites it
        np.matmul(G, G.transpose(0, 2, 1), out=S[start:start + len(part)])
    return S


def draw_tasks(rng: np.random.Generator, d: int, batch: int) -> np.ndarray:
    """w* of shape (batch, d), each row ~ N(0, I_d)."""
    d, batch = require_count("d", d, 1), require_count("batch", batch, 1)
    return rng.standard_normal((batch, d))


@dataclass(frozen=True, eq=False)
class Prompts:
    """``batch`` prompts: X (batch, d, n) with columns x_i, w_star (batch, d), y (batch, n) with y_i = ⟨w*, x_i⟩."""

    X: np.ndarray
    w_star: np.ndarray
    y: np.ndarray


def draw_prompts(rng: np.random.Generator, root: np.ndarray, n: int, batch: int) -> Prompts:
    """``batch`` prompts of n examples, x_i ~ N(0, R Rᵀ) (R = ``root``), w* ~ N(0, I_d), y = w*ᵀ X (no noise).

    Pass ``covariance_root(Σ)`` as ``root``; hot loops compute it once. X is drawn before w*.
    """
    X = draw_covariates(rng, root, n, batch)
    w_star = draw_tasks(rng, X.shape[1], batch)
    return Prompts(X, w_star, np.einsum("bd,bdn->bn", w_star, X))
