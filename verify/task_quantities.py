"""Simulated quantities for the task results of 2510.03605 (merged into verify.quantities by name).

Every sampler builds real prompts, runs the sparse LSA layer of ``verify.simulator`` (embedding, V, W, appended CoT
columns) and returns per-prompt values of shape (batch, p); none knows a formula from derivations/.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from icl_errors import InputError
from verify.sampling import covariance_root, draw_prompts
from verify.simulator import cot_error_path as simulator_error_path
from verify.simulator import sparse_key_query_matrix, sparse_value_matrix
from verify.training import per_prompt_value_gradient


def cot_error_path(prompts, V_tilde: np.ndarray, k: int) -> np.ndarray:
    """ŵ_i − w* for i = 1..k per prompt (batch, k, d): the sparse LSA with Ṽ and W̃ = I rolled out k CoT steps
    from ŵ_0 = 0 (``verify.simulator.cot_error_path``)."""
    W = sparse_key_query_matrix(np.eye(prompts.X.shape[1]))
    return simulator_error_path(prompts.X, prompts.w_star, sparse_value_matrix(V_tilde), W, k)


def cot_errors(prompts, V_tilde: np.ndarray, k: int) -> np.ndarray:
    """ŵ_k − w* per prompt (batch, d) (ŵ_0 − w* = −w* when k = 0)."""
    if k == 0:
        return -prompts.w_star
    return cot_error_path(prompts, V_tilde, k)[:, -1, :]


def lsa_direction_errors(params: Mapping[str, Any], rng: np.random.Generator, batch: int) -> np.ndarray:
    """(ŵ_k − w*)_j² for each coordinate j (batch, d), prompts of n examples x ~ N(0, Σ), Ṽ given, W̃ = I."""
    prompts = draw_prompts(rng, covariance_root(params["Sigma"]), int(params["n"]), batch)
    return cot_errors(prompts, np.asarray(params["V_tilde"], dtype=float), int(params.get("k", 1))) ** 2


def lsa_models_test_error(params: Mapping[str, Any], rng: np.random.Generator, batch: int) -> np.ndarray:
    """‖ŵ_k − w*‖² of several trained models (``V_tildes``, shape (M, d, d)) on the same test prompts: (batch, M)."""
    prompts = draw_prompts(rng, covariance_root(params["Sigma"]), int(params["n"]), batch)
    models = np.asarray(params["V_tildes"], dtype=float)
    if models.ndim != 3:
        raise InputError(f"V_tildes must have shape (models, d, d), got {models.shape}")
    k = int(params.get("k", 1))
    return np.stack([np.sum(cot_errors(prompts, V, k) ** 2, axis=1) for V in models], axis=1)


def draw_task_counts(rng: np.random.Generator, weights: np.ndarray, batch: int) -> np.ndarray:
    """How many of ``batch`` prompts belong to each task: the task of every prompt drawn i.i.d. from π."""
    pi = np.asarray(weights, dtype=float)
    if pi.ndim != 1 or np.any(pi < 0) or not np.isclose(pi.sum(), 1.0):
        raise InputError(f"weights must be a probability vector, got {pi}")
    return np.bincount(rng.choice(len(pi), size=batch, p=pi / pi.sum()), minlength=len(pi))


def mixture_value_gradient(params: Mapping[str, Any], rng: np.random.Generator, batch: int) -> np.ndarray:
    """Per-prompt ∂ℓ/∂Ṽ (batch, d²) at Ṽ (W̃ = I) for prompts of a task mixture: task ℓ with probability π_ℓ, then
    n_ℓ examples x ~ N(0, Λ_ℓ). Params: Sigmas (L, d, d), ns (L,), weights (L,), V_tilde."""
    Sigmas, ns = np.asarray(params["Sigmas"], dtype=float), np.asarray(params["ns"]).astype(int)
    d = Sigmas.shape[1]
    V = sparse_value_matrix(np.asarray(params["V_tilde"], dtype=float))
    W = sparse_key_query_matrix(np.eye(d))
    parts = []
    for Sigma, n, count in zip(Sigmas, ns, draw_task_counts(rng, params["weights"], batch)):
        if count:
            prompts = draw_prompts(rng, covariance_root(Sigma), int(n), int(count))
            parts.append(per_prompt_value_gradient(prompts, V, W).reshape(count, -1))
    return np.concatenate(parts)


MONTE_CARLO: dict = {
    "lsa_direction_errors": lsa_direction_errors,
    "lsa_models_test_error": lsa_models_test_error,
    "mixture_value_gradient": mixture_value_gradient,
}
DETERMINISTIC: dict = {}
