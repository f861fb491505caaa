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


BLAS_BLOCK = 2 ** 17     # multiply-adds per BLAS call in ``apply_to_rows`` (OpenBLAS multithreads above 2¹⁸)
PROMPT_BLOCK = 2 ** 17   # numbers of S and of the Gram block per block of prompts in ``cot_error_path_from_gram`` (1 MB)
SMALL_MATRIX = 64        # entries up to which ``apply_to_rows`` multiplies per-prompt matrices without BLAS


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
    V, W = layer_matrices(V, W, *Z.shape[:2])
    return Z, V, W, require_count("n", n, 1)


def layer_matrices(V: np.ndarray, W: np.ndarray, batch: int, D: int) -> tuple[np.ndarray, np.ndarray]:
    """(V, W) as float64 arrays of shape (D, D) or (batch, D, D), or InputError."""
    V, W = np.asarray(V, dtype=np.float64), np.asarray(W, dtype=np.float64)
    for name, M in (("V", V), ("W", W)):
        if M.shape not in ((D, D), (batch, D, D)):
            raise InputError(f"{name} must have shape {(D, D)} or {(batch, D, D)}, got {M.shape}")
    return V, W


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
    Wz = apply_to_rows(W, z)
    u = np.einsum("bdc,bd->bc", Z, Wz) / n
    return np.einsum("bdc,bc->bd", Z, u)


def lsa_last_column(Z: np.ndarray, V: np.ndarray, W: np.ndarray, n: int) -> np.ndarray:
    """f(Z)[:, −1] = z + V Z (Zᵀ W z) / n, shape (batch, D), without the other columns of f(Z)."""
    Z, V, W, n = validate_layer(Z, V, W, n)
    return Z[:, :, -1] + apply_to_rows(V, attention_readout(Z, W, n))


def _support(M: np.ndarray, axis: int) -> np.ndarray:
    """Indices along ``axis`` (−1: columns, −2: rows) of the (D, D) or (batch, D, D) matrix M with a nonzero entry."""
    other = tuple(a for a in range(M.ndim) if a != M.ndim + axis)
    return np.flatnonzero(np.any(M != 0, axis=other))


def _index(indices: np.ndarray) -> slice | np.ndarray:
    """A slice when ``indices`` is a contiguous increasing range (a view instead of a copy), else the indices."""
    if len(indices) and indices[-1] - indices[0] + 1 == len(indices):
        return slice(int(indices[0]), int(indices[-1]) + 1)
    return indices


def apply_to_rows(M: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """M v for every row v of ``vectors`` (batch, q), M (p, q) shared or (batch, p, q): a batched matrix product.

    A shared M is applied to blocks of rows of at most BLAS_BLOCK / (p q) rows each, not as one tall product:
    OpenBLAS multithreads products above ~2¹⁸ multiply-adds, which costs milliseconds per call on a loaded machine.
    """
    if M.ndim == 3:     # per prompt: numpy's einsum loop beats one BLAS call per prompt on tiny matrices
        if M.shape[1] * M.shape[2] <= SMALL_MATRIX:
            return np.einsum("bpq,bq->bp", M, vectors)
        return (M @ vectors[:, :, None])[:, :, 0]
    out = np.empty((vectors.shape[0], M.shape[0]))
    rows = max(1, BLAS_BLOCK // max(1, M.size))
    for start in range(0, len(vectors), rows):
        np.matmul(vectors[start:start + rows], M.T, out=out[start:start + rows])
    return out


class GramSupport(NamedTuple):
    """Where V and W have nonzero entries, which is all the layer reads: V Z Zᵀ W z = V[o, c] (Z Zᵀ)[c, r] W[r, i] z[i]
    placed in the rows o, with o, c the rows and columns where V has a nonzero entry and r, i those of W (every
    other product is with an exact zero). Full V and W give o = c = r = i = all rows."""

    rows_of_V: np.ndarray
    columns_of_V: np.ndarray
    rows_of_W: np.ndarray
    columns_of_W: np.ndarray

    @classmethod
    def of(cls, V: np.ndarray, W: np.ndarray) -> GramSupport:
        return cls(_support(V, -2), _support(V, -1), _support(W, -2), _support(W, -1))


def _append_cot_columns(gram: np.ndarray, z: np.ndarray, V: np.ndarray, W: np.ndarray, support: GramSupport,
                        n: int, k: int, rows: slice = slice(None)) -> np.ndarray:
    """The k columns appended by CoT, read in ``rows`` (all by default): shape (batch, rows, k), from the Gram block
    (Z_0 Z_0ᵀ)[c, r] and z = Z_0[:, −1] (the whole column is carried from step to step).

    Step i: z_{i+1} = f(Z_i)[:, −1] = z_i + V Z_i Z_iᵀ W z_i / n, computed as z_i + V[o, c] G_i W[r, i] z_i[i] / n
    (in the rows o) with G_i = (Z_i Z_iᵀ)[c, r] (``GramSupport``); appending the column updates the Gram by the
    rank-one term z_{i+1}[c] z_{i+1}[r]ᵀ (skipped when it is exactly zero), so no step re-reads the prompt columns.
    Rows of z outside o never change, so z[c] (z[r]) is re-examined only when c (r) meets o.
    ``gram`` is updated in place.
    """
    o, c, r, i = (_index(indices) for indices in support)
    V_oc, W_ri = V[..., o, :][..., :, c] / n, W[..., r, :][..., :, i]
    c_moves, r_moves = (bool(np.intersect1d(support.rows_of_V, rows_read).size)
                        for rows_read in (support.columns_of_V, support.rows_of_W))
    c_zero, r_zero = not np.any(z[:, c]), not np.any(z[:, r])
    z = z.copy()
    appended = np.empty((k,) + z[:, rows].shape)   # step-major: each step writes one contiguous block
    for step in range(k):
        z[:, o] += apply_to_rows(V_oc, apply_to_rows(gram, apply_to_rows(W_ri, z[:, i])))   # z_i is not read again: it becomes z_{i+1}
        appended[step] = z[:, rows]
        if step + 1 == k:
            break
        c_zero = not np.any(z[:, c]) if c_moves else c_zero
        r_zero = not np.any(z[:, r]) if r_moves else r_zero
        if not (c_zero or r_zero):
            gram += z[:, c, None] * z[:, None, r]
    return appended.transpose(1, 2, 0)


def cot_rollout(Z0: np.ndarray, V: np.ndarray, W: np.ndarray, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k CoT steps Z_{i+1} = [Z_i, f(Z_i)[:, −1]] (whole columns appended, nothing assumed about V, W).

    The Gram block (Z_0 Z_0ᵀ)[c, r] that the layer reads (``GramSupport``) is formed once by a batched matrix
    product and updated by a rank-one term per appended column (``_append_cot_columns``).
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
    if k:
        support = GramSupport.of(V, W)
        c, r = _index(support.columns_of_V), _index(support.rows_of_W)
        gram = Z0[:, c, :] @ Z0[:, r, :].transpose(0, 2, 1)
        Z[:, :, columns:] = _append_cot_columns(gram, Z0[:, :, -1], V, W, support, n, k)
    w_hats = Z[:, block_slices((D - 2) // 2).w, columns:].transpose(0, 2, 1).copy()
    return Z, w_hats


def embedded_prompt_gram(S: np.ndarray, w_star: np.ndarray, z0: np.ndarray, support: GramSupport) -> np.ndarray:
    """(Z_0 Z_0ᵀ)[c, r] of Z_0 = embed(X, y = w*ᵀX) with last column z0, from S = X Xᵀ and w*, without forming Z_0.

    The example columns (x_i; y_i; 0; 0) are nonzero only in the rows x, y, so their Gram is the (d+1) × (d+1)
    matrix [[X Xᵀ, X y], [yᵀ Xᵀ, yᵀ y]] = [[S, S w*], [w*ᵀ S, w*ᵀ S w*]] placed at those rows; the last column adds
    z0[c] z0[r]ᵀ. S (batch, d, d), w_star (batch, d), z0 (batch, 2d+2).
    """
    batch, d, _ = S.shape
    c, r = support.columns_of_V, support.rows_of_W
    data_c, data_r = c[c <= d], r[r <= d]           # rows x (0..d−1) and y (d) of the example columns
    if len(data_c) and len(data_r):
        data_gram = np.empty((batch, d + 1, d + 1))
        data_gram[:, :d, :d] = S
        np.einsum("bij,bj->bi", S, w_star, out=data_gram[:, :d, d])
        data_gram[:, d, :d] = data_gram[:, :d, d]
        np.einsum("bi,bi->b", w_star, data_gram[:, :d, d], out=data_gram[:, d, d])
        data_block = data_gram[:, _index(data_c)][:, :, _index(data_r)]
    if len(data_c) == len(c) and len(data_r) == len(r) and len(c) and len(r):
        gram = data_block                            # the example columns are all the layer reads (no copy)
    else:
        gram = np.zeros((batch, len(c), len(r)))
        if len(data_c) and len(data_r):
            gram[:, :len(data_c), :len(data_r)] = data_block
    z0_c, z0_r = z0[:, c], z0[:, r]
    if np.any(z0_c) and np.any(z0_r):
        gram += z0_c[:, :, None] * z0_r[:, None, :]
    return gram


def cot_error_path(X: np.ndarray, w_star: np.ndarray, V: np.ndarray, W: np.ndarray, k: int) -> np.ndarray:
    """ŵ_i − w* for i = 1..k per prompt, shape (batch, k, d): embed (X, y = w*ᵀX, ŵ_0 = 0), roll out k CoT steps.

    X is (batch, d, n) and w_star (batch, d); n = X.shape[2]. The layer reads the prompt only through Z_0 Z_0ᵀ,
    so this is ``cot_error_path_from_gram`` of S = X Xᵀ.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or 0 in X.shape:
        raise InputError(f"X must have shape (batch, d, n) with all sizes >= 1, got {X.shape}")
    return cot_error_path_from_gram(X @ X.transpose(0, 2, 1), w_star, X.shape[2], V, W, k)


def cot_error_path_from_gram(S: np.ndarray, w_star: np.ndarray, n: int, V: np.ndarray, W: np.ndarray,
                             k: int) -> np.ndarray:
    """ŵ_i − w* for i = 1..k per prompt, shape (batch, k, d), for prompts of n examples with S = X Xᵀ (batch, d, d).

    The embedding Z_0 = [(x_i; y_i; 0; 0)_i, (0; 0; 0; 1)] with y = w*ᵀX enters the layer f(Z) = Z + V Z Zᵀ W Z / n
    only through Z_0 Z_0ᵀ, whose example part is [[S, S w*], [w*ᵀ S, w*ᵀ S w*]] (``embedded_prompt_gram``);
    ``_append_cot_columns`` appends the k output columns exactly as ``cot_rollout`` does on the materialized Z_0.
    Prompts are rolled out in blocks of about PROMPT_BLOCK numbers, so that every step finds its block in cache.
    """
    S, w_star = np.asarray(S, dtype=np.float64), np.asarray(w_star, dtype=np.float64)
    if S.ndim != 3 or 0 in S.shape or S.shape[1] != S.shape[2]:
        raise InputError(f"S must have shape (batch, d, d) with all sizes >= 1, got {S.shape}")
    if w_star.shape != S.shape[:2]:
        raise InputError(f"w_star must have shape {S.shape[:2]}, got {w_star.shape}")
    batch, d, _ = S.shape
    n, k = require_count("n", n, 1), require_count("k", k, 0)
    D = 2 * d + 2
    V, W = layer_matrices(V, W, batch, D)
    if not k:
        return np.empty((batch, 0, d))
    support = GramSupport.of(V, W)
    path = np.empty((batch, k, d))
    block = max(16, PROMPT_BLOCK // (d * (2 * d + 2)))
    for start in range(0, batch, block):
        part = slice(start, start + block)
        S_p, w_p = S[part], w_star[part]
        V_p, W_p = (M if M.ndim == 2 else M[part] for M in (V, W))
        z0 = np.zeros((len(S_p), D))
        z0[:, block_slices(d).one] = 1.0
        gram = embedded_prompt_gram(S_p, w_p, z0, support)
        w_hats = _append_cot_columns(gram, z0, V_p, W_p, support, n, k, rows=block_slices(d).w)
        path[part] = w_hats.transpose(0, 2, 1) - w_p[:, None, :]
    return path


def cot_error_basis_average(S: np.ndarray, n: int, V: np.ndarray, W: np.ndarray, ks: tuple[int, ...]) -> np.ndarray:
    """E[‖ŵ_k − w*‖² | X] over w* ~ N(0, I_d) per prompt, for every k in ``ks``, shape (batch, len(ks)): the d basis
    tasks w* = e_j pushed through the same prompt of n examples with S = X Xᵀ (batch, d, d), ŵ_0 = 0, and
    Σ_j ‖ŵ_k(e_j) − e_j‖² returned. One rollout serves every k.

    Conditional expectation, not a formula: with V, W on the sparse pattern (V nonzero only in the block [w, x], W
    only in [x, w] and [y, one]) and ŵ_0 = 0, the rolled-out ŵ_k − w* is a linear map A(X) of w* (y = w*ᵀX enters
    the layer linearly and nothing else depends on w*), so E‖A w*‖² = Σ_j ‖A e_j‖² for w* ~ N(0, I_d). Each task
    runs the layer on the embedding of (X, y_j = e_jᵀX): its last column follows z ← z + V Z Zᵀ W z / n, where on
    the pattern only the w rows move, so appended columns are zero in the x rows that V reads and (Z Zᵀ)[x, x] = S,
    (Z Zᵀ)[x, y] = X y_jᵀ = S e_j stay the prompt's. With Ṽ = V[w, x], W̃ = W[x, w], c = W[y, one] and P the d × d
    matrix whose column j is ŵ(e_j), one step for all d tasks at once is P ← P + Ṽ S (W̃ P + c I) / n, from P = 0.
    V and W are shared (D, D).
    """
    S = np.asarray(S, dtype=np.float64)
    if S.ndim != 3 or 0 in S.shape or S.shape[1] != S.shape[2]:
        raise InputError(f"S must have shape (batch, d, d) with all sizes >= 1, got {S.shape}")
    batch, d, _ = S.shape
    n = require_count("n", n, 1)
    ks = tuple(require_count("k", k, 0) for k in ks)
    D = 2 * d + 2
    V, W = layer_matrices(V, W, 1, D)
    if V.ndim != 2 or W.ndim != 2:
        raise InputError("the basis average needs V and W shared by all prompts, of shape (D, D)")
    blocks = block_slices(d)
    pattern_V, pattern_W = np.zeros((D, D), dtype=bool), np.zeros((D, D), dtype=bool)
    pattern_V[blocks.w, blocks.x] = True
    pattern_W[blocks.x, blocks.w] = pattern_W[blocks.y, blocks.one] = True
    if np.any(V[~pattern_V]) or np.any(W[~pattern_W]):
        raise InputError("the basis average needs V, W on the sparse pattern (V[w, x], W[x, w], W[y, one]): "
                         "only there is ŵ_k − w* linear in w*")
    V_tilde, W_tilde = V[blocks.w, blocks.x], W[blocks.x, blocks.w]
    label_term = W[blocks.y, blocks.one][0, 0] * np.eye(d)        # c I: the y row of W z for the d tasks
    identity_W = np.array_equal(W_tilde, np.eye(d))
    last = max(ks, default=0)
    average = np.empty((batch, len(ks)))
    block = max(16, PROMPT_BLOCK // (3 * d * d))   # prompts per block: S, Ṽ S / n and P cached
    for start in range(0, batch, block):
        A = V_tilde @ S[start:start + block] / n   # Ṽ S / n, once per prompt
        P = np.zeros_like(A)
        for step in range(last + 1):
            for column, k in enumerate(ks):
                if k == step:
                    error = P - np.eye(d)         # column j: ŵ_k(e_j) − e_j
                    average[start:start + block, column] = np.einsum("bij,bij->b", error, error)
            if step < last:
                P = P + A @ ((P if identity_W else W_tilde @ P) + label_term)
    return average


def weight_prediction_error(X: np.ndarray, w_star: np.ndarray, V: np.ndarray, W: np.ndarray, k: int) -> np.ndarray:
    """‖ŵ_k − w*‖² per prompt, shape (batch,), after k CoT steps from ŵ_0 = 0 (so ‖w*‖² when k = 0)."""
    path = cot_error_path(X, w_star, V, W, k)
    error = path[:, -1] if path.shape[1] else -np.asarray(w_star, dtype=np.float64)
    return np.einsum("bd,bd->b", error, error)
