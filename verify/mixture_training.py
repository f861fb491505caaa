"""Training the LSA on a mixture of tasks (2510.03605 §4): SGD on the Ṽ block with prompts of mixed task types.

Every step draws ``batch`` prompts, each of task ℓ with probability π_ℓ (n_ℓ examples x ~ N(0, Λ_ℓ)), and moves
Ṽ ← Ṽ − η ∂L/∂Ṽ with the exact batch gradient of ``verify.training.loss_and_gradients`` (per task group, since the
attention scale 1/n_ℓ differs; groups weighted by their share of the batch). W̃ = I stays fixed: its gradient is zero
because it multiplies ŵ_0 = 0. The returned estimate is the Polyak average of the second half of the iterates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from verify.sampling import covariance_root, draw_prompts, require_count
from verify.simulator import block_slices, embed, sparse_key_query_matrix, sparse_value_matrix
from verify.quantities import draw_task_counts
from verify.training import loss_and_gradients, weight_target


@dataclass(frozen=True, eq=False)
class MixtureTraining:
    """The final Ṽ, its Polyak average over the second half of the steps, and the path of Ṽ (steps + 1, d, d)."""

    V_tilde: np.ndarray
    averaged: np.ndarray
    path: np.ndarray


def train_on_mixture(rng: np.random.Generator, Sigmas: Sequence[np.ndarray], ns: Sequence[int],
                     weights: Sequence[float], *, steps: int, learning_rate: float, batch: int,
                     V_init: np.ndarray | None = None) -> MixtureTraining:
    """SGD on ½ Σ_ℓ π_ℓ E_ℓ‖f(Z)[:, −1] − (0, 0, w*, 1)‖² over the Ṽ block, from Ṽ = 0 unless V_init is given."""
    roots = [covariance_root(S) for S in Sigmas]
    d = roots[0].shape[0]
    steps, batch = require_count("steps", steps, 1), require_count("batch", batch, 1)
    blocks = block_slices(d)
    W = sparse_key_query_matrix(np.eye(d))
    V_tilde = np.zeros((d, d)) if V_init is None else np.array(V_init, dtype=float)
    path = [V_tilde.copy()]
    for _ in range(steps):
        gradient = np.zeros((d, d))
        V = sparse_value_matrix(V_tilde)
        for root, n, count in zip(roots, ns, draw_task_counts(rng, np.asarray(weights, dtype=float), batch)):
            if count:
                prompts = draw_prompts(rng, root, int(n), int(count))
                _, grad_V, _ = loss_and_gradients(embed(prompts.X, prompts.y), V, W, int(n),
                                                  weight_target(prompts.w_star))
                gradient += count / batch * grad_V[blocks.w, blocks.x]
        V_tilde = V_tilde - learning_rate * gradient
        path.append(V_tilde.copy())
    path_array = np.array(path)
    return MixtureTraining(V_tilde, path_array[steps // 2 + 1:].mean(axis=0), path_array)
