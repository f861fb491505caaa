"""The simulated quantities of the registered results, one typed object each (``verify.quantity``).

Every quantity draws prompts, runs the real LSA layer of ``verify.simulator`` (embedding Z, the V and W blocks,
CoT by appending columns) or the sample covariance, and returns per-draw values of shape (batch, p). None of them
knows a formula from derivations/. One letter means one thing: ``m`` is the length of the simulated prompts; a
training length ``n`` appears only in quantities that train.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from icl_errors import InputError
from verify.quantity import DeterministicQuantity, Quantity, _Resolvable
from verify.sampling import covariance_root, draw_covariates, draw_gram, draw_prompts, draw_tasks, require_count
from verify.simulator import (cot_error_basis_average, cot_error_path_from_gram, cot_rollout, embed,
                              sparse_key_query_matrix, sparse_value_matrix)
from verify.training import per_prompt_value_gradient, train_lsa

DESIGNS = ("gaussian", "exact")
SAMPLERS = ("gram", "columns")


def require_exact_design_length(root: np.ndarray, m: int) -> int:
    """d = the dimension of ``root``, or InputError unless m ≥ d (a prompt of m examples can have S = m Σ only then)."""
    d = root.shape[0]
    if require_count("m", m, 1) < d:
        raise InputError(f"the exact-covariance design needs m >= d = {d}, got m = {m}")
    return d


def exact_covariance_prompts(rng: np.random.Generator, root: np.ndarray, m: int, batch: int) -> np.ndarray:
    """X (batch, d, m) with X Xᵀ/m = R Rᵀ exactly: X = √m R Qᵀ, Q (m × d) Haar-random with orthonormal columns.

    The m → ∞ design: the layer is run unchanged on a prompt whose sample covariance is exactly Σ (law of large
    numbers: S → Σ as m → ∞, which is what the m → ∞ statements use); only w* and Q are random.
    """
    d = require_exact_design_length(root, m)
    Q, R = np.linalg.qr(rng.standard_normal((batch, m, d)))
    Q = Q * np.sign(np.diagonal(R, axis1=1, axis2=2))[:, None, :]  # Haar: fix the signs of the QR factor
    return np.sqrt(m) * root @ Q.transpose(0, 2, 1)


@dataclass(frozen=True)
class PromptGroup(_Resolvable):
    """Prompts of ``m`` examples shared by several models (Ṽ blocks), each read after every depth in ``ks``."""

    m: int
    V_tildes: tuple[Any, ...]
    ks: tuple[int, ...] = (1,)

    resolved_fields = ("V_tildes",)


@dataclass(frozen=True)
class CotWeightError(Quantity):
    """‖ŵ_k − w*‖² of the sparse LSA (W̃ = I unless given), rolled out k CoT steps from ŵ_0 = 0 by appending columns.

    Test prompts: x ~ N(0, Σ) ("gaussian") or the m → ∞ design of ``exact_covariance_prompts`` ("exact");
    w* ~ N(0, I_d). Each group draws its own prompts (in group order: X, then w*) and runs every one of its models on
    them (common random numbers). Columns: group by group, model by model, k by k; with ``per_direction`` the squared
    error of each coordinate, (ŵ_k − w*)_j², in place of the norm (d columns per (model, k)). k = 0 reads ŵ_0 = 0.

    ``task_average``: instead of one task per prompt, the exact average over w* ~ N(0, I_d) given the prompt
    (``simulator.cot_error_basis_average``: the d basis tasks pushed through the same prompt; the rollout is linear in
    w* on the sparse pattern). Same mean, a smaller variance per unit of time at most sizes (benchmarks/run.py).

    ``sampler``: the layer reads a prompt only through Z_0 Z_0ᵀ, i.e. through S = X Xᵀ and w*
    (``simulator.cot_error_path_from_gram``). "gram" draws S directly (``sampling.draw_gram``: Bartlett's
    decomposition, d(d+1)/2 random numbers per prompt; S = m Σ in the exact design); "columns" draws X column by
    column (``draw_covariates``; ``exact_covariance_prompts``) and forms X Xᵀ. Same law either way.
    """

    Sigma: Any
    groups: tuple[PromptGroup, ...]
    design: str = "gaussian"
    per_direction: bool = False
    W_tilde: Any = None
    task_average: bool = False
    sampler: str = "gram"

    resolved_fields = ("Sigma", "groups", "W_tilde")

    def __post_init__(self) -> None:
        if self.design not in DESIGNS:
            raise InputError(f"design must be one of {', '.join(DESIGNS)}, got {self.design!r}")
        if self.sampler not in SAMPLERS:
            raise InputError(f"sampler must be one of {', '.join(SAMPLERS)}, got {self.sampler!r}")
        if self.task_average and self.per_direction:
            raise InputError("task_average gives the norm ‖ŵ_k − w*‖², not the per-direction errors")
        for group in self.groups:
            for k in group.ks:
                require_count("k", k, 0)

    @classmethod
    def single(cls, Sigma: Any, m: int, V_tilde: Any, k: int = 1, **options: Any) -> CotWeightError:
        """One model at one depth on prompts of m examples."""
        return cls(Sigma, (PromptGroup(m, (V_tilde,), (k,)),), **options)

    def prompt_grams(self, rng: np.random.Generator, root: np.ndarray, m: int, batch: int) -> np.ndarray:
        """S = X Xᵀ of ``batch`` test prompts of m examples, shape (batch, d, d), drawn as ``sampler`` says."""
        if self.design == "exact":
            if self.sampler == "gram":
                d = require_exact_design_length(root, m)
                return np.broadcast_to(m * (root @ root.T), (batch, d, d))
            X = exact_covariance_prompts(rng, root, m, batch)
        elif self.sampler == "gram":
            return draw_gram(rng, root, m, batch)
        else:
            X = draw_covariates(rng, root, m, batch)
        return X @ X.transpose(0, 2, 1)

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        root = covariance_root(self.Sigma)
        d = root.shape[0]
        W = sparse_key_query_matrix(np.eye(d) if self.W_tilde is None else self.W_tilde)
        columns = []
        for group in self.groups:
            m = int(group.m)
            S = self.prompt_grams(rng, root, m, batch)
            if self.task_average:
                columns += [cot_error_basis_average(S, m, sparse_value_matrix(V_tilde), W, group.ks)
                            for V_tilde in group.V_tildes]
                continue
            w_star = draw_tasks(rng, d, batch)
            for V_tilde in group.V_tildes:
                path = cot_error_path_from_gram(S, w_star, m, sparse_value_matrix(V_tilde), W, max(group.ks))
                for k in group.ks:
                    error = path[:, k - 1] if k else -w_star
                    columns.append(error ** 2 if self.per_direction else np.einsum("bd,bd->b", error, error)[:, None])
        return np.concatenate(columns, axis=1)


def sample_covariances(rng: np.random.Generator, Sigma: Any, m: int, batch: int) -> np.ndarray:
    """Ŝ = X Xᵀ/m for ``batch`` prompts of m draws from N(0, Σ), shape (batch, d, d)."""
    X = draw_covariates(rng, covariance_root(Sigma), int(m), batch)
    return X @ X.transpose(0, 2, 1) / X.shape[2]


@dataclass(frozen=True)
class SampleCovarianceFrobenius(Quantity):
    """‖I + A Ŝ‖²_F with Ŝ the sample covariance of m draws from N(0, Σ)."""

    A: Any
    Sigma: Any
    m: int

    resolved_fields = ("A", "Sigma")

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        A = np.asarray(self.A, dtype=float)
        M = np.eye(A.shape[0]) + A @ sample_covariances(rng, self.Sigma, self.m, batch)
        return np.einsum("bij,bij->b", M, M)[:, None]


@dataclass(frozen=True)
class SampleCovarianceSandwich(Quantity):
    """The entries of Ŝ B Ŝ (row-major), Ŝ the sample covariance of m draws from N(0, Σ)."""

    B: Any
    Sigma: Any
    m: int

    resolved_fields = ("B", "Sigma")

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        B = np.asarray(self.B, dtype=float)
        S = sample_covariances(rng, self.Sigma, self.m, batch)
        return (S @ B @ S).reshape(batch, -1)


@dataclass(frozen=True)
class TrainingGradient(Quantity):
    """Per-prompt gradient of ½‖f(Z)[:, −1] − (0, 0, w*, 1)‖² with respect to the Ṽ block, at the given Ṽ (W̃ = I),
    on a task mixture: each prompt is of task ℓ with probability π_ℓ, then n_ℓ examples x ~ N(0, Λ_ℓ) (one task:
    every prompt has n examples from N(0, Σ)). Its mean is the population gradient, zero at a stationary Ṽ."""

    Sigmas: tuple[Any, ...]
    ns: tuple[int, ...]
    V_tilde: Any
    weights: tuple[float, ...] | None = None

    resolved_fields = ("Sigmas", "V_tilde")

    @classmethod
    def single_task(cls, Sigma: Any, n: int, V_tilde: Any) -> TrainingGradient:
        return cls((Sigma,), (n,), V_tilde)

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        V_tilde = np.asarray(self.V_tilde, dtype=float)
        V = sparse_value_matrix(V_tilde)
        W = sparse_key_query_matrix(np.eye(V_tilde.shape[0]))
        if self.weights is None:
            prompts = draw_prompts(rng, covariance_root(self.Sigmas[0]), int(self.ns[0]), batch)
            return per_prompt_value_gradient(prompts, V, W).reshape(batch, -1)
        parts = []
        for Sigma, n, count in zip(self.Sigmas, self.ns, draw_task_counts(rng, self.weights, batch)):
            if count:
                prompts = draw_prompts(rng, covariance_root(Sigma), int(n), int(count))
                parts.append(per_prompt_value_gradient(prompts, V, W).reshape(count, -1))
        return np.concatenate(parts)


def draw_task_counts(rng: np.random.Generator, weights: Any, batch: int) -> np.ndarray:
    """How many of ``batch`` prompts belong to each task: the task of every prompt drawn i.i.d. from π."""
    pi = np.asarray(weights, dtype=float)
    if pi.ndim != 1 or np.any(pi < 0) or not np.isclose(pi.sum(), 1.0):
        raise InputError(f"weights must be a probability vector, got {pi}")
    return np.bincount(rng.choice(len(pi), size=batch, p=pi / pi.sum()), minlength=len(pi))


@dataclass(frozen=True)
class SGDTrainedPreconditioner(Quantity):
    """One row per independent SGD run of ``train_lsa`` on prompts of n examples x ~ N(0, Σ) (fresh prompts each
    step, sparse mask, Ṽ_0 = 0, W̃ = I; the rows of a batch trained side by side): the Ṽ block averaged over the
    steps ``average_from``..``steps`` (Polyak averaging), flattened to d² entries. One row costs steps × prompts_per_step Monte Carlo draws."""

    Sigma: Any
    n: int
    steps: int
    learning_rate: Any
    prompts_per_step: int
    average_from: int

    resolved_fields = ("Sigma", "learning_rate")

    def __post_init__(self) -> None:
        if not 0 <= self.average_from <= self.steps:
            raise InputError(f"average_from must lie in [0, steps], got {self.average_from}")

    @property
    def draws_per_unit(self) -> int:
        return self.steps * self.prompts_per_step

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        runs = train_lsa(rng, self.Sigma, int(self.n), steps=int(self.steps), learning_rate=float(self.learning_rate),
                         batch=int(self.prompts_per_step), runs=batch)
        V_tildes = runs.V_tildes if batch > 1 else runs.V_tildes[None]
        return V_tildes[:, runs.steps >= self.average_from].mean(axis=1).reshape(batch, -1)


@dataclass(frozen=True)
class RandomCotRollout(DeterministicQuantity):
    """A random instance (X of m examples from N(0, I), w*, random Ṽ, W̃, ŵ_0) and its k-step rollout ŵ_1..ŵ_k
    (shape (k, d)) through the full V, W of the layer."""

    d: int
    m: int
    k: int

    def instance(self, rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
        d, m, k = self.d, self.m, self.k
        X = draw_covariates(rng, np.eye(d), m, 1)[0]
        w_star = draw_tasks(rng, d, 1)[0]
        V_t, W_t = rng.standard_normal((2, d, d)) / np.sqrt(d)
        w0 = rng.standard_normal(d)
        Z0 = embed(X[None], (w_star @ X)[None], w0[None])
        _, w_hats = cot_rollout(Z0, sparse_value_matrix(V_t), sparse_key_query_matrix(W_t), m, k)
        return {"X": X, "w_star": w_star, "V_tilde": V_t, "W_tilde": W_t, "w0": w0, "k": k}, w_hats[0]


@dataclass(frozen=True)
class PseudoNewtonRollout(DeterministicQuantity):
    """A random instance (test prompt X of m examples from a random covariance, task w, preconditioner Ṽ = −G with
    G random symmetric positive definite, W̃ = I) and its k-step rollout ŵ_1..ŵ_k from ŵ_0 = 0 (shape (k, d))."""

    d: int
    m: int
    k: int

    def instance(self, rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
        d, m, k = (require_count(name, value, 1) for name, value in (("d", self.d), ("m", self.m), ("k", self.k)))
        A, B = rng.standard_normal((2, d, d))
        G = A @ A.T / d + 0.5 * np.eye(d)
        X = draw_covariates(rng, B / np.sqrt(d), m, 1)[0]
        w = draw_tasks(rng, d, 1)[0]
        Z0 = embed(X[None], (w @ X)[None])
        _, w_hats = cot_rollout(Z0, sparse_value_matrix(-G), sparse_key_query_matrix(np.eye(d)), m, k)
        return {"X": X, "w_star": w, "V_tilde": -G, "k": k}, w_hats[0]
