"""The quantities the simulator can estimate, by name. Each draws prompts, runs the real LSA layer (or the sample
covariance), and returns per-prompt values of shape (batch, p). None of them knows a formula from derivations/.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from icl_errors import InputError
from verify import cot_quantities, depth_quantities, task_quantities
from verify.sampling import covariance_root, draw_covariates, draw_prompts, draw_tasks
from verify.simulator import (cot_rollout, embed, sparse_key_query_matrix, sparse_value_matrix,
                              weight_prediction_error)
from verify.training import per_prompt_value_gradient

Sampler = Callable[[Mapping[str, Any], np.random.Generator, int], np.ndarray]


def lsa_weight_error(params: Mapping[str, Any], rng: np.random.Generator, batch: int) -> np.ndarray:
    """‖ŵ_k − w*‖² after k CoT steps of the sparse LSA (Ṽ, W̃ = I unless given) on prompts x ~ N(0, Σ)."""
    root = covariance_root(params["Sigma"])
    d = root.shape[0]
    V = sparse_value_matrix(params["V_tilde"])
    W = sparse_key_query_matrix(params.get("W_tilde", np.eye(d)))
    prompts = draw_prompts(rng, root, int(params["n"]), batch)
    return weight_prediction_error(prompts.X, prompts.w_star, V, W, int(params.get("k", 1)))[:, None]


def frobenius_I_plus_AS(params: Mapping[str, Any], rng: np.random.Generator, batch: int) -> np.ndarray:
    """‖I + A Ŝ‖²_F with Ŝ the sample covariance of n draws from N(0, Σ)."""
    A = np.asarray(params["A"], dtype=float)
    X = draw_covariates(rng, covariance_root(params["Sigma"]), int(params["n"]), batch)
    S = X @ X.transpose(0, 2, 1) / X.shape[2]
    M = np.eye(A.shape[0]) + A @ S
    return np.einsum("bij,bij->b", M, M)[:, None]


def sample_covariance_sandwich(params: Mapping[str, Any], rng: np.random.Generator, batch: int) -> np.ndarray:
    """The entries of Ŝ B Ŝ (row-major), Ŝ the sample covariance of n draws from N(0, Σ)."""
    B = np.asarray(params["B"], dtype=float)
    X = draw_covariates(rng, covariance_root(params["Sigma"]), int(params["n"]), batch)
    S = X @ X.transpose(0, 2, 1) / X.shape[2]
    return (S @ B @ S).reshape(batch, -1)


def pretraining_gradient(params: Mapping[str, Any], rng: np.random.Generator, batch: int) -> np.ndarray:
    """Per-prompt gradient of ½‖f(Z)[:, −1] − (0, 0, w*, 1)‖² w.r.t. the Ṽ block, at the given Ṽ (W̃ = I)."""
    root = covariance_root(params["Sigma"])
    d = root.shape[0]
    V = sparse_value_matrix(params["V_tilde"])
    W = sparse_key_query_matrix(np.eye(d))
    prompts = draw_prompts(rng, root, int(params["n"]), batch)
    return per_prompt_value_gradient(prompts, V, W).reshape(batch, -1)


def lsa_cot_rollout(params: Mapping[str, Any], rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
    """A random instance (X, w*, Ṽ, W̃, ŵ_0) of sizes d, n and its k-step rollout ŵ_1..ŵ_k (shape (k, d))."""
    d, n, k = int(params["d"]), int(params["n"]), int(params["k"])
    X = draw_covariates(rng, np.eye(d), n, 1)[0]
    w_star = draw_tasks(rng, d, 1)[0]
    V_t, W_t = rng.standard_normal((2, d, d)) / np.sqrt(d)
    w0 = rng.standard_normal(d)
    Z0 = embed(X[None], (w_star @ X)[None], w0[None])
    _, w_hats = cot_rollout(Z0, sparse_value_matrix(V_t), sparse_key_query_matrix(W_t), n, k)
    instance = {"X": X, "w_star": w_star, "V_tilde": V_t, "W_tilde": W_t, "w0": w0, "k": k}
    return instance, w_hats[0]


MONTE_CARLO: dict[str, Sampler] = {
    "lsa_weight_error": lsa_weight_error,
    "frobenius_I_plus_AS": frobenius_I_plus_AS,
    "sample_covariance_sandwich": sample_covariance_sandwich,
    "pretraining_gradient": pretraining_gradient,
}
DETERMINISTIC = {"lsa_cot_rollout": lsa_cot_rollout}
for _module in (cot_quantities, task_quantities, depth_quantities):
    MONTE_CARLO.update(_module.MONTE_CARLO)
    DETERMINISTIC.update(_module.DETERMINISTIC)


def sampler(name: str) -> Sampler:
    try:
        return MONTE_CARLO[name]
    except KeyError:
        raise InputError(f"the simulator has no quantity {name!r}; known: {', '.join(sorted(MONTE_CARLO))}") from None
