"""One layer of linear self-attention (LSA) and its chain-of-thought rollout, on the weight-prediction embedding.

Embedding (row blocks x, y, w, one of sizes d, 1, d, 1; D = 2d + 2): the prompt Z_0 ∈ R^{D×(n+1)} has columns
(x_i; y_i; 0_d; 0) for i = 1..n and last column (0_d; 0; ŵ_0; 1). The layer is

    f(Z) = Z + V Z (Zᵀ W Z) / n,        V, W ∈ R^{D×D} full matrices,

with n the number of example columns, also after CoT columns are appended. A CoT step appends the last output
column, Z_{i+1} = [Z_i, f(Z_i)[:, −1]], and reads ŵ_{i+1} = f(Z_i)[w, −1]. Arrays are batched: Z has shape
(batch, D, columns); V and W are (D, D) shared or (batch, D, D) per prompt. Nothing here knows a closed form.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from icl_errors import InputError
from verify.sampling import require_count


class BlockSlices(NamedTuple):
    """Row slices of the four embedding blocks."""

    x: slice
    y: slice
    w: slice
    one: slice


def block_slices(d: int) -> BlockSlices:
    """Rows 0..d−1 (x), d (y), d+1..2d (w), 2d+1 (one)."""
    d = require_count("d", d, 1)
    return BlockSlices(slice(0, d), slice(d, d + 1), slice(d + 1, 2 * d + 1), slice(2 * d + 1, 2 * d + 2))


def _square(name: str, M: np.ndarray) -> np.ndarray:
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] == 0:
        raise InputError(f"{name} must be a non-empty square matrix, got shape {M.shape}")
    return M


def sparse_value_matrix(V_tilde: np.ndarray) -> np.ndarray:
    """V ∈ R^{D×D} that is zero except the block V[w, x] = Ṽ."""
    V_tilde = _square("V_tilde", V_tilde)
    blocks = block_slices(V_tilde.shape[0])
    V = np.zeros((2 * V_tilde.shape[0] + 2,) * 2)
    V[blocks.w, blocks.x] = V_tilde
    return V


def sparse_key_query_matrix(W_tilde: np.ndarray) -> np.ndarray:
    """W ∈ R^{D×D} that is zero except the block W[x, w] = W̃ and the entry W[y, one] = −1."""
    W_tilde = _square("W_tilde", W_tilde)
    blocks = block_slices(W_tilde.shape[0])
    W = np.zeros((2 * W_tilde.shape[0] + 2,) * 2)
    W[blocks.x, blocks.w] = W_tilde
    W[blocks.y, blocks.one] = -1.0
    return W


def embed(X: np.ndarray, y: np.ndarray, w0: np.ndarray | None = None) -> np.ndarray:
    """Z_0 of shape (batch, 2d+2, n+1): columns (x_i; y_i; 0; 0), then (0; 0; ŵ_0; 1); ŵ_0 = 0 unless given.

    X is (batch, d, n), y is (batch, n), w0 is (batch, d) or (d,).
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if X.ndim != 3 or 0 in X.shape:
        raise InputError(f"X must have shape (batch, d, n) with all sizes >= 1, got {X.shape}")
    batch, d, n = X.shape
    if y.shape != (batch, n):
        raise InputError(f"y must have shape {(batch, n)}, got {y.shape}")
    blocks = block_slices(d)
    Z = np.zeros((batch, 2 * d + 2, n + 1))
    Z[:, blocks.x, :n] = X
    Z[:, blocks.y, :n] = y[:, None, :]
    Z[:, blocks.one, n] = 1.0
    if w0 is not None:
        w0 = np.asarray(w0, dtype=np.float64)
        if w0.shape not in ((batch, d), (d,)):
            raise InputError(f"w0 must have shape {(batch, d)} or {(d,)}, got {w0.shape}")
        Z[:, blocks.w, n] = w0
    return Z


def validate_layer(Z: np.ndarray, V: np.ndarray, W: np.ndarray,
                   n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(Z, V, W, n) as float64 arrays and an int, or InputError: Z (batch, D, columns), V, W (D, D) or (batch, D, D)."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 3 or 0 in Z.shape:
        raise InputError(f"Z must have shape (batch, D, columns) with all sizes >= 1, got {Z.shape}")
    batch, D, _ = Z.shape
    V, W = np.asarray(V, dtype=np.float64), np.asarray(W, dtype=np.float64)
    for name, M in (("V", V), ("W", W)):
        if M.shape not in ((D, D), (batch, D, D)):
            raise InputError(f"{name} must have shape {(D, D)} or {(batch, D, D)}, got {M.shape}")
    return Z, V, W, require_count("n", n, 1)


def lsa_forward(Z: np.ndarray, V: np.ndarray, W: np.ndarray, n: int) -> np.ndarray:
    """f(Z) = Z + V Z (Zᵀ W Z) / n for every prompt of the batch (the full output, all columns)."""
    Z, V, W, n = validate_layer(Z, V, W, n)
    Zt = Z.transpose(0, 2, 1)
    return Z + (V @ Z) @ (Zt @ (W @ Z)) / n


def attention_readout(Z: np.ndarray, W: np.ndarray, n: int) -> np.ndarray:
    """Z u with u = Zᵀ W z / n and z = Z[:, −1], shape (batch, D): what V multiplies in the last output column.

    Costs O(batch · D · (D + columns)); Z Zᵀ is never formed. Inputs are assumed checked.
    """
    z = Z[:, :, -1]
    Wz = (W @ z[:, :, None])[:, :, 0]
    u = np.einsum("bdc,bd->bc", Z, Wz) / n
    return np.einsum("bdc,bc->bd", Z, u)


def lsa_last_column(Z: np.ndarray, V: np.ndarray, W: np.ndarray, n: int) -> np.ndarray:
    """f(Z)[:, −1] = z + V Z (Zᵀ W z) / n, shape (batch, D), without the other columns of f(Z)."""
    Z, V, W, n = validate_layer(Z, V, W, n)
    return Z[:, :, -1] + (V @ attention_readout(Z, W, n)[:, :, None])[:, :, 0]


def cot_rollout(Z0: np.ndarray, V: np.ndarray, W: np.ndarray, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k CoT steps Z_{i+1} = [Z_i, f(Z_i)[:, −1]] (whole columns appended, nothing assumed about V, W).

    Returns Z_k of shape (batch, D, columns + k) and ŵ_1..ŵ_k = the w rows of the appended columns,
    shape (batch, k, d) with D = 2d + 2.
    """
    Z0, V, W, n = validate_layer(Z0, V, W, n)
    k = require_count("k", k, 0)
    batch, D, columns = Z0.shape
    if D % 2 or D < 4:
        raise InputError(f"the embedding has D = {D} rows; it must be 2d + 2 with d >= 1")
    Z = np.empty((batch, D, columns + k))
    Z[:, :, :columns] = Z0
    for step in range(k):
        last = columns + step
        Z[:, :, last] = lsa_last_column(Z[:, :, :last], V, W, n)
    w_hats = Z[:, block_slices((D - 2) // 2).w, columns:].transpose(0, 2, 1).copy()
    return Z, w_hats


def cot_error_path(X: np.ndarray, w_star: np.ndarray, V: np.ndarray, W: np.ndarray, k: int) -> np.ndarray:
    """ŵ_i − w* for i = 1..k per prompt, shape (batch, k, d): embed (X, y = w*ᵀX, ŵ_0 = 0), roll out k CoT steps.

    X is (batch, d, n) and w_star (batch, d); n = X.shape[2].
    """
    X, w_star = np.asarray(X, dtype=np.float64), np.asarray(w_star, dtype=np.float64)
    if X.ndim != 3:
        raise InputError(f"X must have shape (batch, d, n), got {X.shape}")
    if w_star.shape != X.shape[:2]:
        raise InputError(f"w_star must have shape {X.shape[:2]}, got {w_star.shape}")
    _, w_hats = cot_rollout(embed(X, np.einsum("bd,bdn->bn", w_star, X)), V, W, X.shape[2], k)
    return w_hats - w_star[:, None, :]


def weight_prediction_error(X: np.ndarray, w_star: np.ndarray, V: np.ndarray, W: np.ndarray, k: int) -> np.ndarray:
    """‖ŵ_k − w*‖² per prompt, shape (batch,), after k CoT steps from ŵ_0 = 0 (so ‖w*‖² when k = 0)."""
    path = cot_error_path(X, w_star, V, W, k)
    error = path[:, -1] if path.shape[1] else -np.asarray(w_star, dtype=np.float64)
    return np.einsum("bd,bd->b", error, error)
