r"""Gaussian moment engine: exact expectations of products of a sample covariance and fixed matrices.

Let x_1, ..., x_n be i.i.d. N(0, Σ) in R^d and S = (1/n) Σ_i x_i x_iᵀ. For fixed matrices M_0, ..., M_r this module
computes the exact expectation

    E[M_0 S M_1 S ... S M_r]                                                     (a "chain" of r S-factors)

and its trace, as exact SymPy expressions in n. The matrices may be explicit ``sympy.Matrix`` objects (rational,
symbolic entries, ...) or abstract matrix expressions (``MatrixSymbol``, ``Identity``); the same code serves both.

Derivation (Isserlis / Wick). Expanding S gives n^{-r} Σ over index tuples (i_1..i_r) of
M_0 x_{i_1} x_{i_1}ᵀ M_1 x_{i_2} x_{i_2}ᵀ ... x_{i_r}ᵀ M_r. Each S-factor j contributes two "slots" (the column
vector x and the row vector xᵀ), 2r slots in all. Wick's theorem writes the expectation of a product of jointly Gaussian
zero-mean components as the sum over perfect pairings of the slots of products of covariances; two slots of different
samples are independent, so a pairing contributes only for the index tuples that give paired slots the same sample. For
a pairing P let c(P) be the number of connected components of the factors {1..r} linked by P; the index tuples
compatible with P are the maps from these components to [n], n^{c(P)} of them. Hence

    E[M_0 S M_1 ... S M_r] = Σ_P n^{c(P) − r} · value(P),

and value(P) is read off by walking the chain: a pair of slots contracts to Σ, walking a fixed matrix backwards
transposes it, and every closed walk is a trace. There are (2r − 1)!! pairings (3 for r = 2, 105 for r = 4).

Checks: r = 2 with M_0 = M_2 = I gives E[S B S] = ΣBΣ + (ΣBᵀΣ + tr(BΣ)Σ)/n (Zhang–Frei–Bartlett's identity; the
symmetric-B form is Lemma A.2 of arXiv 2510.03605 as cited in 2603.01293 App. A).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

MatrixLike = sp.MatrixBase | MatrixExpr


def trace(M: MatrixLike) -> sp.Expr:
    """tr(M) for an explicit or an abstract matrix (the house trace: prints as \\operatorname{tr})."""
    if isinstance(M, sp.MatrixBase):
        return M.trace()
    coefficient = _identity_coefficient(M)
    if coefficient is not None:
        return coefficient * M.rows
    return sp.Trace(M)


def _identity_coefficient(M: sp.Basic) -> sp.Expr | None:
    """k when the abstract matrix expression M is k·I (sums, products and powers of scalar multiples of I)."""
    if isinstance(M, sp.Identity):
        return sp.Integer(1)
    if isinstance(M, sp.ZeroMatrix):
        return sp.Integer(0)
    if isinstance(M, (sp.MatMul, sp.MatAdd)):
        parts = [a if not a.is_Matrix else _identity_coefficient(a) for a in M.args]
        if any(p is None for p in parts):
            return None
        return sp.Mul(*parts) if isinstance(M, sp.MatMul) else sp.Add(*parts)
    if isinstance(M, sp.MatPow):
        base = _identity_coefficient(M.base)
        return None if base is None else base ** M.exp
    return None


@cache
def perfect_pairings(slots: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """All perfect pairings of ``range(slots)`` ((slots − 1)!! of them), each as a tuple of sorted pairs."""

    def pairings(rest: tuple[int, ...]) -> Iterator[tuple[tuple[int, int], ...]]:
        if not rest:
            yield ()
            return
        first, others = rest[0], rest[1:]
        for j, partner in enumerate(others):
            for tail in pairings(others[:j] + others[j + 1:]):
                yield ((first, partner),) + tail

    return tuple(pairings(tuple(range(slots))))


def _components(pairing: Sequence[tuple[int, int]], factors: int) -> int:
    """Number of S-factors' connected components when slot pairs (2j: column of factor j, 2j+1: row) link factors."""
    parent = list(range(factors))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairing:
        ra, rb = find(a // 2), find(b // 2)
        if ra != rb:
            parent[ra] = rb
    return len({find(j) for j in range(factors)})


def _pairing_value(mats: Sequence[MatrixLike], Sigma: MatrixLike, pairing: Sequence[tuple[int, int]]):
    """value(P): contract the chain M_0 [x xᵀ] M_1 [x xᵀ] ... M_r along the pairing.

    Slot 2j is the column vector of factor j (the right end of segment j, whose matrix is M_j), slot 2j+1 its row
    vector (the left end of segment j+1). Segment 0 starts at the free left index, segment r ends at the free right one.
    """
    r = len(mats) - 1
    partner = {}
    for a, b in pairing:
        partner[a], partner[b] = b, a

    def walk(segment: int, forward: bool) -> tuple[MatrixLike, int]:
        """Walk from one end of ``segment``; return the product and the slot at which the walk leaves it."""
        product = mats[segment] if forward else mats[segment].T
        exit_slot = 2 * segment if forward else 2 * segment - 1
        return product, exit_slot

    def follow(product: MatrixLike, slot: int, visited: set[int]) -> tuple[MatrixLike, int | None]:
        """Continue a walk that has reached ``slot``, until it reaches the free right end (None) or closes."""
        while True:
            nxt = partner[slot]
            # slot 2j (column of factor j) ends segment j; slot 2j+1 (row of factor j) starts segment j+1.
            segment, forward = (nxt // 2 + 1, True) if nxt % 2 else (nxt // 2, False)
            if segment in visited:
                return product, nxt
            visited.add(segment)
            step, exit_slot = walk(segment, forward)
            product = product * Sigma * step
            if forward and segment == r:
                return product, None
            slot = exit_slot

    visited = {0}
    head, slot = walk(0, True)
    if r == 0:
        return head
    value, _ = follow(head, slot, visited)
    scalar = sp.Integer(1)
    for start in range(1, r + 1):
        if start in visited:
            continue
        visited.add(start)
        loop, exit_slot = walk(start, True)
        loop, _ = follow(loop, exit_slot, visited)
        scalar *= trace(loop * Sigma)
    return scalar * value


def expected_chain(mats: Sequence[MatrixLike], Sigma: MatrixLike, n: sp.Expr | int) -> MatrixLike:
    """E[M_0 S M_1 S ... S M_r] (exact), for ``mats = [M_0, ..., M_r]`` and S the sample covariance of n draws.

    With explicit matrices the result is a ``sympy.Matrix`` whose entries are expanded polynomials in 1/n; with
    abstract ones it is a matrix expression.
    """
    if len(mats) == 0:
        raise ValueError("expected_chain needs at least one matrix")
    r = len(mats) - 1
    n = sp.sympify(n)
    total = None
    for pairing in perfect_pairings(2 * r):
        term = n ** (_components(pairing, r) - r) * _pairing_value(mats, Sigma, pairing)
        total = term if total is None else total + term
    if isinstance(total, sp.MatrixBase):
        return total.applyfunc(sp.expand)
    return total


def expected_trace(mats: Sequence[MatrixLike], Sigma: MatrixLike, n: sp.Expr | int) -> sp.Expr:
    """E tr(A_1 S A_2 S ... A_r S) for ``mats = [A_1, ..., A_r]`` (a chain closed by the trace)."""
    identity = identity_like(Sigma)
    return sp.expand(trace(expected_chain(list(mats) + [identity], Sigma, n)))


def expected_S(Sigma: MatrixLike, n: sp.Expr | int) -> MatrixLike:
    """E[S] = Σ."""
    identity = identity_like(Sigma)
    return expected_chain([identity, identity], Sigma, n)


def expected_SBS(B: MatrixLike, Sigma: MatrixLike, n: sp.Expr | int) -> MatrixLike:
    """E[S B S] = ΣBΣ + (ΣBᵀΣ + tr(BΣ)Σ)/n for any fixed B."""
    identity = identity_like(Sigma)
    return expected_chain([identity, B, identity], Sigma, n)


def identity_like(Sigma: MatrixLike) -> MatrixLike:
    if isinstance(Sigma, sp.MatrixBase):
        return sp.eye(Sigma.rows)
    return sp.Identity(Sigma.rows)
