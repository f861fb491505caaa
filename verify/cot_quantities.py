"""Simulated quantities for the test-time results of 2510.03605 (merged into verify.quantities by name).

Nothing here knows Γ or any closed form: the trained preconditioner comes from running ``train_lsa``, and the test
errors from rolling the real LSA layer out by appending columns (``verify.simulator.cot_rollout``).

Test-prompt designs for ``lsa_cot_error_curves``:

* ``"gaussian"``: m examples x_i ~ N(0, Σ) i.i.d. (the model of the paper at finite m);
* ``"exact"``: the m → ∞ limit, simulated by a prompt whose sample covariance is exactly Σ: X = √m Σ^{1/2} Qᵀ with
  Q (m × d) a uniformly random matrix with orthonormal columns, so X Xᵀ/m = Σ. The layer is run unchanged; only
  w ~ N(0, I) and Q are random. (Law of large numbers: S → Σ as m → ∞, which is what the m → ∞ statements use.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from icl_errors import InputError
from verify.sampling import covariance_root, draw_covariates, draw_tasks, require_count
from verify.simulator import cot_error_path, cot_rollout, embed, sparse_key_query_matrix, sparse_value_matrix
from verify.training import train_lsa


def sgd_trained_preconditioner(params: Mapping[str, Any], rng: np.random.Generator, batch: int) -> np.ndarray:
    """One row per independent SGD run of ``train_lsa`` (fresh prompts each step, sparse mask, Ṽ_0 = 0, W̃ = I):
    the Ṽ block averaged over the steps ``average_from``..``steps`` (Polyak averaging), flattened to d² entries.

    params: Sigma (training covariance Λ), n (training length), steps, learning_rate, prompts_per_step,
    average_from.
    """
    steps, start = int(params["steps"]), int(params["average_from"])
    if not 0 <= start <= steps:
        raise InputError(f"average_from must lie in [0, steps], got {start}")
    rows = []
    for _ in range(batch):
        run = train_lsa(rng, params["Sigma"], int(params["n"]), steps=steps,
                        learning_rate=float(params["learning_rate"]), batch=int(params["prompts_per_step"]))
        rows.append(run.V_tildes[run.steps >= start].mean(axis=0).ravel())
    return np.array(rows)


def pseudo_newton_rollout(params: Mapping[str, Any], rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
    """A random instance (test prompt X of m examples from a random covariance, task w, preconditioner Ṽ = −G with
    G random symmetric positive definite, W̃ = I) and its k-step rollout ŵ_1..ŵ_k from ŵ_0 = 0 (shape (k, d))."""
    d, m, k = (require_count(name, int(params[name]), 1) for name in ("d", "m", "k"))
    A, B = rng.standard_normal((2, d, d))
    G = A @ A.T / d + 0.5 * np.eye(d)
    X = draw_covariates(rng, B / np.sqrt(d), m, 1)[0]
    w = draw_tasks(rng, d, 1)[0]
    Z0 = embed(X[None], (w @ X)[None])
    _, w_hats = cot_rollout(Z0, sparse_value_matrix(-G), sparse_key_query_matrix(np.eye(d)), m, k)
    return {"X": X, "w_star": w, "V_tilde": -G, "k": k}, w_hats[0]


def exact_covariance_prompts(rng: np.random.Generator, root: np.ndarray, m: int, batch: int) -> np.ndarray:
    """X (batch, d, m) with X Xᵀ/m = R Rᵀ exactly: X = √m R Qᵀ, Q (m × d) Haar-random with orthonormal columns."""
    d = root.shape[0]
    if require_count("m", m, 1) < d:
        raise InputError(f"the exact-covariance design needs m >= d = {d}, got m = {m}")
    Q, R = np.linalg.qr(rng.standard_normal((batch, m, d)))
    Q = Q * np.sign(np.diagonal(R, axis1=1, axis2=2))[:, None, :]  # Haar: fix the signs of the QR factor
    return np.sqrt(m) * root @ Q.transpose(0, 2, 1)


def lsa_cot_error_curves(params: Mapping[str, Any], rng: np.random.Generator, batch: int) -> np.ndarray:
    """‖ŵ_k − w‖² for several trained preconditioners and several k, on the same test prompts (common random
    numbers): columns ordered (preconditioner 1: k ∈ ks), (preconditioner 2: k ∈ ks), ...

    params: Sigma (test covariance), m (test length), V_tildes (the Ṽ blocks stacked vertically, shape (p·d, d)),
    ks (CoT lengths), design ("gaussian" or "exact", module docstring). W̃ = I, ŵ_0 = 0.
    """
    root = covariance_root(params["Sigma"])
    d, m = root.shape[0], int(params["m"])
    V_tildes = np.asarray(params["V_tildes"], dtype=float).reshape(-1, d, d)
    ks = [require_count("k", int(k), 1) for k in np.ravel(params["ks"])]
    design = params.get("design", "gaussian")
    if design == "gaussian":
        X = draw_covariates(rng, root, m, batch)
    elif design == "exact":
        X = exact_covariance_prompts(rng, root, m, batch)
    else:
        raise InputError(f"design must be 'gaussian' or 'exact', got {design!r}")
    w = draw_tasks(rng, d, batch)
    W = sparse_key_query_matrix(np.eye(d))
    columns = []
    for V_tilde in V_tildes:
        errors = cot_error_path(X, w, sparse_value_matrix(V_tilde), W, max(ks))
        columns += [np.einsum("bd,bd->b", errors[:, k - 1], errors[:, k - 1]) for k in ks]
    return np.stack(columns, axis=1)


MONTE_CARLO: dict = {
    "sgd_trained_preconditioner": sgd_trained_preconditioner,
    "lsa_cot_error_curves": lsa_cot_error_curves,
}
DETERMINISTIC: dict = {"pseudo_newton_rollout": pseudo_newton_rollout}
