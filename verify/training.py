"""Training the LSA parameters (V, W) on sampled prompts, by hand-derived exact gradients (no CoT in training).

Per prompt, with z = Z_0[:, −1], u = Z_0ᵀ W z / n, output o = f(Z_0)[:, −1] = z + V Z_0 u and target
t = (0_d; 0; w*; 1), the loss is ℓ = ½‖r‖² with r = o − t. Z_0 depends on neither V nor W, so

    ∂ℓ/∂V = r (Z_0 u)ᵀ,        ∂ℓ/∂W = Z_0 Z_0ᵀ Vᵀ r zᵀ / n,

and the training loss L is the batch mean of ℓ (a Monte Carlo estimate of ½ E‖o − t‖²).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from icl_errors import InputError
from verify.sampling import Prompts, covariance_root, draw_prompts, require_count
from verify.simulator import (apply_to_rows, attention_readout, block_slices, embed, sparse_key_query_matrix,
                              sparse_value_matrix, validate_layer)


def weight_target(w_star: np.ndarray) -> np.ndarray:
    """The targets t = (0_d; 0; w*; 1), shape (batch, 2d + 2), for w_star of shape (batch, d)."""
    w_star = np.asarray(w_star, dtype=np.float64)
    if w_star.ndim != 2 or 0 in w_star.shape:
        raise InputError(f"w_star must have shape (batch, d), got {w_star.shape}")
    batch, d = w_star.shape
    blocks = block_slices(d)
    target = np.zeros((batch, 2 * d + 2))
    target[:, blocks.w] = w_star
    target[:, blocks.one] = 1.0
    return target


def _checked(Z0: np.ndarray, V: np.ndarray, W: np.ndarray, n: int,
             target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]:
    """(Z0, V, W, n, target) as arrays for shared V, W of shape (D, D), or InputError."""
    Z0, V, W, n = validate_layer(Z0, V, W, n)
    if V.ndim != 2 or W.ndim != 2:
        raise InputError("training needs V and W shared by the batch, of shape (D, D)")
    target = np.asarray(target, dtype=np.float64)
    if target.shape != Z0.shape[:2]:
        raise InputError(f"target must have shape {Z0.shape[:2]}, got {target.shape}")
    return Z0, V, W, n, target


def _residual(Z0: np.ndarray, V: np.ndarray, W: np.ndarray, n: int,
              target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(r, Z_0 u) per prompt; V, W shared (D, D) or per prompt (batch, D, D); inputs assumed checked."""
    readout = attention_readout(Z0, W, n)
    return Z0[:, :, -1] + apply_to_rows(V, readout) - target, readout


def _run_means(Z0: np.ndarray, V: np.ndarray, W: np.ndarray, n: int, target: np.ndarray,
               runs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(L, ∂L/∂V, ∂L/∂W) of each of ``runs`` runs, shapes (runs,), (runs, D, D), (runs, D, D): the prompts are
    ``runs`` consecutive equal groups, each with its own V, W (per prompt, (batch, D, D)) or all with shared (D, D)
    ones; L is the group mean of ½‖r‖², ∂L/∂V = mean r (Z_0 u)ᵀ, ∂L/∂W = mean Z_0 Z_0ᵀ Vᵀ r zᵀ / n."""
    r, readout = _residual(Z0, V, W, n, target)
    back = np.einsum("bdc,bc->bd", Z0, np.einsum("bdc,bd->bc", Z0, apply_to_rows(np.swapaxes(V, -1, -2), r)))
    group = Z0.shape[0] // runs
    r, readout, back, z = (a.reshape(runs, group, -1) for a in (r, readout, back, Z0[:, :, -1]))
    return (0.5 * np.einsum("rbd,rbd->r", r, r) / group, np.einsum("rbi,rbj->rij", r, readout) / group,
            np.einsum("rbi,rbj->rij", back, z) / (group * n))


def loss_and_gradients(Z0: np.ndarray, V: np.ndarray, W: np.ndarray, n: int,
                       target: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(L, ∂L/∂V, ∂L/∂W) with L = mean_b ½‖f(Z_0)[:, −1] − t‖² over the batch; V, W are full (D, D) matrices.

    ∂L/∂V = mean r (Z_0 u)ᵀ and ∂L/∂W = mean Z_0 Z_0ᵀ Vᵀ r zᵀ / n (module docstring); target t is (batch, D).
    """
    losses, grad_V, grad_W = _run_means(*_checked(Z0, V, W, n, target), runs=1)
    return float(losses[0]), grad_V[0], grad_W[0]


def per_prompt_value_gradient(prompts: Prompts, V: np.ndarray, W: np.ndarray) -> np.ndarray:
    """∂ℓ/∂Ṽ = (r (Z_0 u)ᵀ)[w, x] per prompt, shape (batch, d, d), at the prompts' embedding with ŵ_0 = 0."""
    r, readout = _residual(*_checked(embed(prompts.X, prompts.y), V, W, prompts.X.shape[2],
                                     weight_target(prompts.w_star)))
    blocks = block_slices(prompts.X.shape[1])
    return np.einsum("bi,bj->bij", r[:, blocks.w], readout[:, blocks.x])


@dataclass(frozen=True, eq=False)
class TrainingResult:
    """Final V, W, and the history: after ``steps[j]`` updates the batch loss was ``losses[j]`` and the
    Ṽ = V[w, x] block was ``V_tildes[j]`` (shapes (m,), (m,), (m, d, d)). Of ``train_lsa(..., runs=R)`` with R > 1,
    V, W, losses and V_tildes carry a leading axis of the R runs."""

    V: np.ndarray
    W: np.ndarray
    steps: np.ndarray
    losses: np.ndarray
    V_tildes: np.ndarray


def _initial(name: str, value: np.ndarray | None, default: np.ndarray) -> np.ndarray:
    if value is None:
        return default
    M = np.array(value, dtype=np.float64)
    if M.shape != default.shape or not np.all(np.isfinite(M)):
        raise InputError(f"{name} must be a finite matrix of shape {default.shape}, got shape {M.shape}")
    return M


def train_lsa(rng: np.random.Generator, Sigma: np.ndarray, n: int, *, steps: int, learning_rate: float, batch: int,
              V_init: np.ndarray | None = None, W_init: np.ndarray | None = None,
              mask: Literal["sparse", "full"] = "sparse", fresh_batches: bool = True,
              record_every: int = 1, runs: int = 1) -> TrainingResult:
    """Gradient descent V ← V − η M_V ⊙ ∂L/∂V, W ← W − η M_W ⊙ ∂L/∂W on prompts x ~ N(0, Σ) of n examples.

    mask="sparse": M_V, M_W keep only the Ṽ = V[w, x] and W̃ = W[x, w] blocks (W[y, one] and every other entry
    keep their initial values); mask="full": every entry moves. fresh_batches=True draws ``batch`` new prompts
    per step (SGD on the population loss); False reuses one fixed set of ``batch`` prompts (GD on its loss).
    Default initial point: Ṽ = 0, W̃ = I, W[y, one] = −1. The history holds step 0, every ``record_every``-th
    step and the last one, each with the loss of the parameters at that step on that step's batch (after the
    last update, one more batch is drawn when fresh_batches=True). Each batch is one call
    ``draw_prompts(rng, covariance_root(Σ), n, batch)``.

    ``runs`` = R > 1 trains R independent copies side by side, each on its own prompts: every batch is one call
    ``draw_prompts(rng, covariance_root(Σ), n, R · batch)``, run r taking prompts r·batch … (r+1)·batch − 1, so
    the Python loop runs once for all of them (the same law as R separate calls; other random numbers).
    """
    root = covariance_root(Sigma)
    d = root.shape[0]
    n, batch, runs = require_count("n", n, 1), require_count("batch", batch, 1), require_count("runs", runs, 1)
    steps, record_every = require_count("steps", steps, 0), require_count("record_every", record_every, 1)
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise InputError(f"learning_rate must be a finite positive number, got {learning_rate!r}")
    if mask not in ("sparse", "full"):
        raise InputError(f"mask must be 'sparse' or 'full', got {mask!r}")
    V = _initial("V_init", V_init, sparse_value_matrix(np.zeros((d, d))))
    W = _initial("W_init", W_init, sparse_key_query_matrix(np.eye(d)))
    blocks = block_slices(d)
    mask_V, mask_W = np.ones_like(V), np.ones_like(W)
    if mask == "sparse":
        mask_V, mask_W = np.zeros_like(V), np.zeros_like(W)
        mask_V[blocks.w, blocks.x] = 1.0
        mask_W[blocks.x, blocks.w] = 1.0

    def sample() -> tuple[np.ndarray, np.ndarray]:
        prompts = draw_prompts(rng, root, n, runs * batch)
        return embed(prompts.X, prompts.y), weight_target(prompts.w_star)

    V, W = np.repeat(V[None], runs, axis=0), np.repeat(W[None], runs, axis=0)
    Z0, target = sample()
    history: list[tuple[int, np.ndarray, np.ndarray]] = []
    for step in range(steps + 1):
        if fresh_batches and step > 0:
            Z0, target = sample()
        per_prompt = (V[0], W[0]) if runs == 1 else (np.repeat(V, batch, axis=0), np.repeat(W, batch, axis=0))
        losses, grad_V, grad_W = _run_means(Z0, *per_prompt, n, target, runs)
        if step % record_every == 0 or step == steps:
            history.append((step, losses, V[:, blocks.w, blocks.x].copy()))
        if step < steps:
            V = V - learning_rate * mask_V * grad_V
            W = W - learning_rate * mask_W * grad_W
    recorded_steps, losses, V_tildes = zip(*history)
    losses, V_tildes = np.stack(losses, axis=1), np.stack(V_tildes, axis=1)   # (runs, m), (runs, m, d, d)
    if runs == 1:
        return TrainingResult(V[0], W[0], np.array(recorded_steps), losses[0], V_tildes[0])
    return TrainingResult(V, W, np.array(recorded_steps), losses, V_tildes)
