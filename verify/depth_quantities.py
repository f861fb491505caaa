"""Simulated quantities for the depth results of 2510.03605 (merged into verify.quantities by name)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from icl_errors import InputError
from verify.sampling import covariance_root, draw_prompts
from verify.simulator import cot_error_path, sparse_key_query_matrix, sparse_value_matrix


def lsa_depth_profile(params: Mapping[str, Any], rng: np.random.Generator, batch: int) -> np.ndarray:
    """‖ŵ_k − w*‖² of the sparse LSA (W̃ = I) at several (test length m, depth k) points, one column per component.

    Params: ``Sigma`` (test covariance), ``V_tildes`` (p, d, d), one Ṽ per point, ``m`` (p,) test lengths, and per
    component j its point ``point`` [j] and depth ``k`` [j] ≥ 1. Each point draws its own prompts, rolls the real layer
    out to its largest requested k by appending columns, and reads ŵ_k from the appended columns.
    """
    root = covariance_root(params["Sigma"])
    d = root.shape[0]
    V_tildes = np.asarray(params["V_tildes"], dtype=float).reshape(-1, d, d)
    lengths = np.asarray(params["m"], dtype=float).ravel()
    points = np.asarray(params["point"], dtype=float).ravel()
    depths = np.asarray(params["k"], dtype=float).ravel()
    if len(lengths) != len(V_tildes) or len(points) != len(depths):
        raise InputError("lsa_depth_profile: V_tildes and m need one entry per point, point and k one per component")
    if np.any(depths < 1) or np.any(points < 0) or np.any(points >= len(lengths)):
        raise InputError("lsa_depth_profile: every k must be ≥ 1 and every point index valid")
    W = sparse_key_query_matrix(np.eye(d))
    out = np.empty((batch, len(depths)))
    for i, (V_tilde, m) in enumerate(zip(V_tildes, lengths.astype(int))):
        columns = np.flatnonzero(points == i)
        if not len(columns):
            continue
        prompts = draw_prompts(rng, root, int(m), batch)
        k_max = int(depths[columns].max())
        errors = cot_error_path(prompts.X, prompts.w_star, sparse_value_matrix(V_tilde), W, k_max)
        squared = np.einsum("bkd,bkd->bk", errors, errors)
        out[:, columns] = squared[:, depths[columns].astype(int) - 1]
    return out


MONTE_CARLO: dict = {"lsa_depth_profile": lsa_depth_profile}
DETERMINISTIC: dict = {}
