"""Outcome supervision (OS) on the simulated LSA layer: the final-answer loss, its backprop gradient, its curvature,
and GD training of the Ṽ block from a given initial point (arXiv 2603.01293 eq. 3.4, §6).

Everything runs the real layer of ``verify.simulator``: the sparse V(Ṽ) and W(W̃ = I unless given), the prompt
embedding, and k CoT steps that append whole output columns. The per-prompt OS loss is ℓ = ½‖ŵ_k − w*‖², with ŵ_k
the w rows of the last appended column. Nothing here knows a closed form of ŵ_k.

Backprop (hand-derived, through the appended columns). Step i maps Z_i (c columns, z = Z_i[:, −1]) to the new
column o = z + V a, a = Z_i u, u = Z_iᵀ W z / n. With ō the adjoint of o:

    ∂ℓ/∂V += ō aᵀ,   ā = Vᵀ ō,   Z̄_i += ā uᵀ + (W z) ūᵀ/n with ū = Z_iᵀ ā,   z̄ += ō + Wᵀ Z_i ū / n,

and the adjoints of Z_i's columns flow into the earlier steps (the appended columns are inputs of later steps).
The Ṽ gradient is the V[w, x] block of ∂ℓ/∂V. The curvature along a direction is the central difference of this
gradient.

Batched runs (``outcome_runs_loss_and_gradient``, ``train_outcome_runs``) carry the same layer in Gram form: the
layer reads Z_i only through G_i = Z_i Z_iᵀ (G_0 from ``embedded_prompt_gram``), so step i is a_i = G_i W z_i / n,
z_{i+1} = z_i + V a_i, G_{i+1} = G_i + z_{i+1} z_{i+1}ᵀ, and the backprop reads, from z̄_k = (0; 0; ŵ_k − w*; 0) and
Ḡ = 0, for i = k−1, …, 0:

    z̄_{i+1} += (Ḡ + Ḡᵀ) z_{i+1} (i + 1 < k),  ∂ℓ/∂V += z̄_{i+1} a_iᵀ,  ā = Vᵀ z̄_{i+1},  Ḡ += ā (W z_i)ᵀ / n,
    z̄_i = z̄_{i+1} + Wᵀ G_i ā / n,

the same adjoints as above with the prompt columns summed out; G and Ḡ are kept only in the rows c and columns r the
layer reads (``trained_support``). Arrays carry a leading axis of runs (each its own Ṽ) and one of the B prompts of
a run, so one call trains every run of a batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from icl_errors import InputError
from verify.quantity import DeterministicQuantity, Quantity
from verify.sampling import covariance_root, draw_covariates, draw_tasks, require_count
from verify.simulator import (GramSupport, block_slices, cot_error_path, cot_rollout, embed, embedded_prompt_gram,
                              sparse_key_query_matrix, sparse_value_matrix)

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


def outcome_curvature(X: np.ndarray, V_tilde: np.ndarray, k: int, direction: np.ndarray,
                      relative_step: float = HESSIAN_STEP) -> np.ndarray:
    """E[uᵀ ∇²ℓ u | X] per prompt over w* ~ N(0, I_d), shape (batch,): ℓ = ½‖ŵ_k − w*‖² of the layer (W̃ = I) as a
    function of vec Ṽ (row-major) at ``V_tilde``, u = ``direction`` (a d²-vector), X (batch, d, n). The curvature is
    the central difference of the backprop gradient along u, uᵀ(∇ℓ(Ṽ + hU) − ∇ℓ(Ṽ − hU))/(2h) (U = u as a d × d
    matrix; the gradient is a polynomial, so the error is O(h²)), and the average over w* pushes the d basis tasks
    through the prompt (ℓ is quadratic in w* and E[w* w*ᵀ] = I)."""
    X, V_tilde = np.asarray(X, dtype=float), np.asarray(V_tilde, dtype=float)
    batch, d, n = X.shape
    U = np.asarray(direction, dtype=float).reshape(d, d)
    h = relative_step * max(1.0, float(np.max(np.abs(V_tilde))))
    tasks = np.broadcast_to(np.eye(d), (2 * batch, d, d))
    grams = prompt_grams(np.broadcast_to(X[:, None], (batch, d, d, n)), tasks[:batch])
    V = np.concatenate([np.broadcast_to(V_tilde + sign * h * U, (batch, d, d)) for sign in (1, -1)])
    _, grad = outcome_runs_loss_and_gradient(np.concatenate([grams, grams]), tasks, V, n, require_count("k", k, 1))
    return d * np.einsum("bij,ij->b", grad[:batch] - grad[batch:], U) / (2 * h)


def trained_support(d: int) -> GramSupport:
    """Where the layer reads V and W when V is zero outside the trained block V[w, x] = Ṽ and W = W(W̃ = I): the rows
    o = w, c = x of the block and the support r, i of W (``GramSupport``)."""
    return GramSupport.of(sparse_value_matrix(np.ones((d, d))), sparse_key_query_matrix(np.eye(d)))


def prompt_grams(X: np.ndarray, w_star: np.ndarray) -> np.ndarray:
    """The Gram block (Z_0 Z_0ᵀ)[c, r] of the embedded prompts (ŵ_0 = 0) that the layer reads (``trained_support``),
    shape (..., |c|, |r|), for X (..., d, n) and w* (..., d) with any leading axes (``embedded_prompt_gram``)."""
    X, w_star = np.asarray(X, dtype=float), np.asarray(w_star, dtype=float)
    d, n = X.shape[-2:]
    X_flat, w_flat = X.reshape(-1, d, n), w_star.reshape(-1, d)
    z0 = np.zeros((len(X_flat), 2 * d + 2))
    z0[:, block_slices(d).one] = 1.0
    support = trained_support(d)
    gram = embedded_prompt_gram(X_flat @ X_flat.transpose(0, 2, 1), w_flat, z0, support)
    return gram.reshape(X.shape[:-2] + gram.shape[1:])


def outcome_runs_loss_and_gradient(grams: np.ndarray, w_star: np.ndarray, V_tilde: np.ndarray, n: int,
                                   k: int) -> tuple[np.ndarray, np.ndarray]:
    """(L_r, ∇_Ṽ L_r) per run r, shapes (runs,) and (runs, d, d): L_r = mean over the run's B prompts of
    ½‖ŵ_k − w*‖² on the layer with block Ṽ_r (W̃ = I), the prompts given by their Gram blocks (runs, B, |c|, |r|)
    (``prompt_grams``) and tasks (runs, B, d); Gram-form forward pass and backprop (module doc), every product
    restricted to the rows and columns where V and W can be nonzero (``trained_support``)."""
    runs, prompts, d = w_star.shape
    blocks = block_slices(d)
    o, c, r, i = trained_support(d)
    V = np.zeros((runs, 2 * d + 2, 2 * d + 2))
    V[:, blocks.w, blocks.x] = V_tilde
    V_oc, W_ri = V[:, o][:, :, c], sparse_key_query_matrix(np.eye(d))[np.ix_(r, i)]
    z = np.zeros((runs, prompts, 2 * d + 2))
    z[:, :, blocks.one] = 1.0
    states = []                                    # (G_i, W z_i, a_i, z_{i+1}) per step, G restricted to [c, r]
    G = grams
    for step in range(k):
        Wz = z[:, :, i] @ W_ri.T
        a = np.einsum("rbcs,rbs->rbc", G, Wz) / n
        z = z.copy()
        z[:, :, o] += a @ V_oc.transpose(0, 2, 1)
        states.append((G, Wz, a, z))
        if step + 1 < k:
            G = G + z[:, :, c, None] * z[:, :, None, r]
    residual = z[:, :, blocks.w] - w_star
    z_bar = np.zeros_like(z)
    z_bar[:, :, blocks.w] = residual
    G_bar = None
    grad_oc = np.zeros(V_oc.shape)
    for G, Wz, a, z_next in reversed(states):
        if G_bar is not None:
            z_bar[:, :, c] += np.einsum("rbcs,rbs->rbc", G_bar, z_next[:, :, r])
            z_bar[:, :, r] += np.einsum("rbcs,rbc->rbs", G_bar, z_next[:, :, c])
        grad_oc += np.einsum("rbo,rbc->roc", z_bar[:, :, o], a)
        a_bar = z_bar[:, :, o] @ V_oc
        outer = a_bar[:, :, :, None] * Wz[:, :, None, :] / n
        G_bar = outer if G_bar is None else G_bar + outer
        z_bar[:, :, i] += (np.einsum("rbcs,rbc->rbs", G, a_bar) / n) @ W_ri
    grad = np.zeros(V.shape)
    grad[:, o[:, None], c] = grad_oc
    return (0.5 * np.einsum("rbd,rbd->r", residual, residual) / prompts,
            grad[:, blocks.w, blocks.x] / prompts)


@dataclass(frozen=True, eq=False)
class OutcomeTrainingRuns:
    """GD on the OS loss of several runs at once: ``losses`` (runs, steps + 1), NaN after a run's divergence; the
    final Ṽ per run (runs, d, d); ``diverged_at`` (runs,) = the first step whose loss overflowed or exceeded
    ``blowup`` × the run's first loss, −1 for a run that finished."""

    losses: np.ndarray
    V_tilde: np.ndarray
    diverged_at: np.ndarray

    @property
    def finished(self) -> np.ndarray:
        return self.diverged_at < 0

    @property
    def decreased(self) -> np.ndarray:
        """Per run: it finished and its last loss is below its initial one."""
        return self.finished & (self.losses[:, -1] < self.losses[:, 0])


PromptSource = Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray]]


def train_outcome_runs(prompts_at: PromptSource, V_init: np.ndarray, runs: int, n: int, k: int, step: float,
                       steps: int, blowup: float = 1e8, last_loss: bool = True) -> OutcomeTrainingRuns:
    """``runs`` independent GD runs Ṽ ← Ṽ − η ∇L(Ṽ) from ``V_init`` (W̃ = I, k CoT steps, n examples per prompt),
    L the mean OS loss of the run's prompts at that step: ``prompts_at(t, live)`` gives (Gram blocks (len(live), B,
    |c|, |r|) (``prompt_grams``), tasks (len(live), B, d)) for the runs ``live`` (indices, increasing) still training
    at step t — the same prompts at every step (a data set) or fresh ones (online OS). A run stops at its first step
    whose loss is not finite, or above ``blowup`` × its step-0 loss, or whose gradient is not finite
    (``diverged_at``). The losses are taken at t = 0..steps; without ``last_loss`` (online OS: each loss is that of
    the step's fresh batch) only at the updated t = 0..steps−1, and a run whose final Ṽ is not finite counts as
    diverged at ``steps``."""
    steps, k = require_count("steps", steps, 0), require_count("k", k, 1)
    if not (np.isfinite(step) and step > 0):
        raise InputError(f"step must be a finite positive number, got {step!r}")
    V_init = np.asarray(V_init, dtype=float)
    V = np.repeat(V_init[None], runs, axis=0)
    losses = np.full((runs, steps + 1), np.nan)
    diverged_at = np.full(runs, -1)
    live = np.arange(runs)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps + 1 if last_loss else steps):
            grams, w_star = prompts_at(t, live)
            loss, grad = outcome_runs_loss_and_gradient(grams, w_star, V[live], n, k)
            losses[live, t] = loss
            bad = ~np.isfinite(loss) | (loss > blowup * losses[live, 0]) | ~np.all(np.isfinite(grad), axis=(1, 2))
            diverged_at[live[bad]] = t
            if t < steps:
                V[live[~bad]] -= step * grad[~bad]
            live = live[~bad]
            if not len(live):
                break
    diverged_at[live[~np.all(np.isfinite(V[live]), axis=(1, 2))]] = steps
    return OutcomeTrainingRuns(losses, V, diverged_at)


def draw_training_prompts(rng: np.random.Generator, root: np.ndarray, n: int, prompts: int,
                          runs: int) -> tuple[np.ndarray, np.ndarray]:
    """B = ``prompts`` prompts of n examples x ~ N(0, R Rᵀ), w* ~ N(0, I), for each of ``runs`` runs (X for every run,
    then w*), as (Gram blocks (runs, B, |c|, |r|), tasks (runs, B, d)) (``prompt_grams``)."""
    d = root.shape[0]
    X = draw_covariates(rng, root, n, runs * prompts).reshape(runs, prompts, d, n)
    w_star = draw_tasks(rng, d, runs * prompts).reshape(runs, prompts, d)
    return prompt_grams(X, w_star), w_star


def fixed_prompts(grams: np.ndarray, w_star: np.ndarray) -> PromptSource:
    """The prompt source of a data set: run r sees its own (grams[r], w_star[r]) at every step."""
    return lambda _, live: (grams[live], w_star[live])


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
    """E[u_kᵀ Ĥ_k u_k | X] per prompt for each k in ``ks``: Ĥ_k the finite-difference Hessian (in vec Ṽ, row-major) of
    the layer's per-prompt OS loss ½‖ŵ_k − w*‖² at Ṽ (W̃ = I), u_k = ``directions``[j] (unit d²-vectors), averaged
    exactly over w* ~ N(0, I) (``outcome_curvature``); prompts of m examples x ~ N(0, Σ), common to all k."""

    Sigma: Any
    m: int
    V_tilde: Any
    ks: tuple[int, ...]
    directions: Any
    resolved_fields: ClassVar[tuple[str, ...]] = ("Sigma", "V_tilde", "directions")

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        X = draw_covariates(rng, covariance_root(self.Sigma), self.m, batch)
        directions = np.asarray(self.directions, dtype=float).reshape(len(self.ks), -1)
        return np.stack([outcome_curvature(X, self.V_tilde, k, u) for k, u in zip(self.ks, directions)], axis=1)


@dataclass(frozen=True)
class OutcomeTrainingOutcome(Quantity):
    """One row per independent set of runs: for each case j, B fresh prompts of n examples x ~ N(0, Σ_j),
    w* ~ N(0, I), and ``steps`` GD steps of size ``step`` on their OS loss (k CoT steps, W̃ = I) from Ṽ = V_inits[j];
    the row holds, per case, [loss decreased (1/0), diverged (1/0)] (``train_outcome_runs``, every row at once)."""

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
        columns = []
        for Sigma, V0 in zip(self.Sigmas, self.V_inits):
            data = draw_training_prompts(rng, covariance_root(Sigma), self.n, self.prompts, batch)
            runs = train_outcome_runs(fixed_prompts(*data), V0, batch, self.n, self.k, self.step, self.steps)
            columns += [runs.decreased, ~runs.finished]
        return np.stack(columns, axis=1).astype(float)
