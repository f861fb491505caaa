"""Outcome supervision (OS) on the simulated LSA layer: the final-answer loss, its backprop gradient, its Hessian,
and GD training of the Ṽ block from a given initial point (arXiv 2603.01293 eq. 3.4, §6).

Everything runs the real layer of ``verify.simulator``: the sparse V(Ṽ) and W(W̃ = I unless given), the prompt
embedding, and k CoT steps that append whole output columns. The per-prompt OS loss is ℓ = ½‖ŵ_k − w*‖², with ŵ_k
the w rows of the last appended column. Nothing here knows a closed form of ŵ_k.

Backprop (hand-derived, through the appended columns). Step i maps Z_i (c columns, z = Z_i[:, −1]) to the new
column o = z + V a, a = Z_i u, u = Z_iᵀ W z / n. With ō the adjoint of o:

    ∂ℓ/∂V += ō aᵀ,   ā = Vᵀ ō,   Z̄_i += ā uᵀ + (W z) ūᵀ/n with ū = Z_iᵀ ā,   z̄ += ō + Wᵀ Z_i ū / n,

and the adjoints of Z_i's columns flow into the earlier steps (the appended columns are inputs of later steps).
The Ṽ gradient is the V[w, x] block of ∂ℓ/∂V. The Hessian is the central finite difference of this gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from icl_errors import InputError
from verify.quantity import DeterministicQuantity, Quantity
from verify.sampling import covariance_root, draw_covariates, draw_prompts, draw_tasks, require_count
from verify.simulator import (block_slices, cot_error_path, cot_rollout, embed, sparse_key_query_matrix,
                              sparse_value_matrix)

HESSIAN_STEP = 1e-4   # relative finite-difference step (the gradient is a polynomial: O(h²) error, ~1e-8)


def _layer(V_tilde: np.ndarray, W_tilde: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    V_tilde = np.asarray(V_tilde, dtype=float)
    d = V_tilde.shape[0]
    return sparse_value_matrix(V_tilde), sparse_key_query_matrix(np.eye(d) if W_tilde is None else W_tilde)


def final_answer_errors(X: np.ndarray, w_star: np.ndarray, V_tilde: np.ndarray, k: int,
                        W_tilde: np.ndarray | None = None) -> np.ndarray:
    """ŵ_k − w* per prompt (batch, d) after k CoT steps of the layer from ŵ_0 = 0."""
    V, W = _layer(V_tilde, W_tilde)
    return cot_error_path(X, w_star, V, W, require_count("k", k, 1))[:, -1]


def outcome_loss_and_gradient(X: np.ndarray, w_star: np.ndarray, V_tilde: np.ndarray,
                              k: int) -> tuple[np.ndarray, np.ndarray]:
    """(ℓ, ∂ℓ/∂Ṽ) per prompt, shapes (batch,) and (batch, d, d): ℓ = ½‖ŵ_k − w*‖², W̃ = I, backprop (module doc)."""
    X, w_star = np.asarray(X, dtype=float), np.asarray(w_star, dtype=float)
    k = require_count("k", k, 1)
    batch, d, n = X.shape
    V, W = _layer(V_tilde, None)
    Z0 = embed(X, np.einsum("bd,bdn->bn", w_star, X))
    Zk, w_hats = cot_rollout(Z0, V, W, n, k)
    blocks = block_slices(d)
    residual = w_hats[:, -1] - w_star
    adjoint = np.zeros_like(Zk)
    adjoint[:, blocks.w, -1] = residual
    grad_V = np.zeros((batch,) + V.shape)
    first = Z0.shape[2]
    for step in reversed(range(k)):
        column = first + step                      # the column this step appended
        Z = Zk[:, :, :column]
        z = Z[:, :, -1]
        o_bar = adjoint[:, :, column]
        Wz = z @ W.T
        u = np.einsum("bdc,bd->bc", Z, Wz) / n
        a = np.einsum("bdc,bc->bd", Z, u)
        grad_V += np.einsum("bi,bj->bij", o_bar, a)
        a_bar = o_bar @ V
        u_bar = np.einsum("bdc,bd->bc", Z, a_bar)
        adjoint[:, :, :column] += np.einsum("bd,bc->bdc", a_bar, u) + np.einsum("bd,bc->bdc", Wz, u_bar) / n
        Wz_bar = np.einsum("bdc,bc->bd", Z, u_bar) / n
        adjoint[:, :, column - 1] += o_bar + Wz_bar @ W
    return 0.5 * np.einsum("bd,bd->b", residual, residual), grad_V[:, blocks.w, blocks.x]


def outcome_hessian(X: np.ndarray, w_star: np.ndarray, V_tilde: np.ndarray, k: int,
                    relative_step: float = HESSIAN_STEP) -> np.ndarray:
    """Per-prompt Hessian of ℓ in vec(Ṽ) (row-major), shape (batch, d², d²): central differences of the backprop
    gradient on the same prompts, symmetrised."""
    V_tilde = np.asarray(V_tilde, dtype=float)
    d = V_tilde.shape[0]
    h = relative_step * max(1.0, float(np.max(np.abs(V_tilde))))
    columns = []
    for a in range(d * d):
        E = np.zeros(d * d)
        E[a] = h
        E = E.reshape(d, d)
        _, plus = outcome_loss_and_gradient(X, w_star, V_tilde + E, k)
        _, minus = outcome_loss_and_gradient(X, w_star, V_tilde - E, k)
        columns.append(((plus - minus) / (2 * h)).reshape(len(X), d * d))
    H = np.stack(columns, axis=2)
    return (H + H.transpose(0, 2, 1)) / 2


@dataclass(frozen=True, eq=False)
class OutcomeTrainingRun:
    """GD on the OS loss of fixed prompts: the losses at steps 0.. (until the end or the divergence), the final Ṽ,
    and ``diverged_at`` = the first step whose loss overflowed or exceeded ``blowup`` × the initial loss (else None)."""

    losses: np.ndarray
    V_tilde: np.ndarray
    diverged_at: int | None

    @property
    def decreased(self) -> bool:
        """The run finished and its last loss is below the initial one."""
        return self.diverged_at is None and bool(self.losses[-1] < self.losses[0])


def train_outcome(X: np.ndarray, w_star: np.ndarray, V_init: np.ndarray, k: int, step: float, steps: int,
                  blowup: float = 1e8) -> OutcomeTrainingRun:
    """Ṽ ← Ṽ − η ∇L_OS(Ṽ) on the B prompts (X, w*) (L_OS = batch mean of ℓ, W̃ = I fixed), from ``V_init``."""
    steps = require_count("steps", steps, 0)
    if not (np.isfinite(step) and step > 0):
        raise InputError(f"step must be a finite positive number, got {step!r}")
    V = np.array(V_init, dtype=float)
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps + 1):
            per_prompt, grad = outcome_loss_and_gradient(X, w_star, V, k)
            loss = float(per_prompt.mean())
            losses.append(loss)
            if not np.isfinite(loss) or loss > blowup * losses[0] or not np.all(np.isfinite(grad)):
                return OutcomeTrainingRun(np.array(losses), V, t)
            if t < steps:
                V = V - step * grad.mean(axis=0)
    return OutcomeTrainingRun(np.array(losses), V, None)


# --- quantities ---------------------------------------------------------------------------------------------------

def _random_instance_prompts(rng: np.random.Generator, d: int, m: int, prompts: int) -> tuple[np.ndarray, np.ndarray]:
    """B prompts of m examples x_i ~ N(0, R Rᵀ) for a random R, and w* ~ N(0, I)."""
    root = rng.standard_normal((d, d)) / np.sqrt(d) + np.eye(d)
    return draw_covariates(rng, root, m, prompts), draw_tasks(rng, d, prompts)


def _sample_covariances(X: np.ndarray) -> list[np.ndarray]:
    S = X @ X.transpose(0, 2, 1) / X.shape[2]
    return list((S + S.transpose(0, 2, 1)) / 2)


@dataclass(frozen=True)
class OutcomeRolloutInstance(DeterministicQuantity):
    """A random instance of B prompts (m examples, random covariance), random Ṽ and W̃, and the layer's k-step
    rollout from ŵ_0 = 0: output [ŵ_{k,1}, ..., ŵ_{k,B}, L_OS] with L_OS = 1/(2B) Σ_τ ‖ŵ_{k,τ} − w*_τ‖²."""

    d: int
    m: int
    k: int
    prompts: int

    def instance(self, rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
        d, m, k, B = (require_count(name, getattr(self, name), 1) for name in ("d", "m", "k", "prompts"))
        X, w = _random_instance_prompts(rng, d, m, B)
        V_t = -np.eye(d) / 2 + rng.standard_normal((d, d)) / (2 * d)
        W_t = np.eye(d) + rng.standard_normal((d, d)) / (4 * d)
        errors = final_answer_errors(X, w, V_t, k, W_t)
        output = np.concatenate([(errors + w).ravel(), [0.5 * np.mean(np.einsum("bd,bd->b", errors, errors))]])
        return {"V_tilde": V_t, "W_tilde": W_t, "S": _sample_covariances(X), "w_star": list(w), "k": k}, output


@dataclass(frozen=True)
class OutcomeGradientInstance(DeterministicQuantity):
    """A random instance of B prompts and a random Ṽ (W̃ = I); output: ∇_Ṽ L_OS by backprop through the layer's k
    appended columns, L_OS = 1/(2B) Σ_τ ‖ŵ_{k,τ} − w*_τ‖² (d² entries, row-major)."""

    d: int
    m: int
    k: int
    prompts: int

    def instance(self, rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
        d, m, k, B = (require_count(name, getattr(self, name), 1) for name in ("d", "m", "k", "prompts"))
        X, w = _random_instance_prompts(rng, d, m, B)
        V_t = -np.eye(d) / 2 + rng.standard_normal((d, d)) / (2 * d)
        _, grad = outcome_loss_and_gradient(X, w, V_t, k)
        return {"V_tilde": V_t, "S": _sample_covariances(X), "w_star": list(w), "k": k}, grad.mean(axis=0).ravel()


@dataclass(frozen=True)
class OutcomeCurvature(Quantity):
    """u_kᵀ Ĥ_k u_k per prompt for each k in ``ks``: Ĥ_k the finite-difference Hessian (in vec Ṽ, row-major) of the
    layer's per-prompt OS loss ½‖ŵ_k − w*‖² at Ṽ (W̃ = I), u_k = ``directions``[j] (unit d²-vectors); prompts of m
    examples x ~ N(0, Σ), w* ~ N(0, I), common to all k."""

    Sigma: Any
    m: int
    V_tilde: Any
    ks: tuple[int, ...]
    directions: Any
    resolved_fields: ClassVar[tuple[str, ...]] = ("Sigma", "V_tilde", "directions")

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        prompts = draw_prompts(rng, covariance_root(self.Sigma), self.m, batch)
        directions = np.asarray(self.directions, dtype=float).reshape(len(self.ks), -1)
        columns = []
        for k, u in zip(self.ks, directions):
            H = outcome_hessian(prompts.X, prompts.w_star, self.V_tilde, k)
            columns.append(np.einsum("i,bij,j->b", u, H, u))
        return np.stack(columns, axis=1)


@dataclass(frozen=True)
class OutcomeTrainingOutcome(Quantity):
    """One row per independent set of runs: for each case j, B fresh prompts of n examples x ~ N(0, Σ_j),
    w* ~ N(0, I), and ``steps`` GD steps of size ``step`` on their OS loss (k CoT steps, W̃ = I) from Ṽ = V_inits[j];
    the row holds, per case, [loss decreased (1/0), diverged (1/0)] (``train_outcome``)."""

    Sigmas: Any
    V_inits: Any
    n: int
    prompts: int
    k: int
    step: float
    steps: int
    resolved_fields: ClassVar[tuple[str, ...]] = ("Sigmas", "V_inits")

    @property
    def draws_per_unit(self) -> int:
        return self.prompts * len(self.Sigmas)

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        if len(self.Sigmas) != len(self.V_inits):
            raise InputError("OutcomeTrainingOutcome needs one initial Ṽ per covariance")
        roots = [covariance_root(S) for S in self.Sigmas]
        rows = np.empty((batch, 2 * len(roots)))
        for b in range(batch):
            for j, (root, V0) in enumerate(zip(roots, self.V_inits)):
                prompts = draw_prompts(rng, root, self.n, self.prompts)
                run = train_outcome(prompts.X, prompts.w_star, V0, self.k, self.step, self.steps)
                rows[b, 2 * j:2 * j + 2] = (run.decreased, run.diverged_at is not None)
        return rows
