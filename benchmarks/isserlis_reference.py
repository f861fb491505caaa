r"""The plain reference for E‖e_k‖²: brute-force Isserlis over sample-index partitions, explicit index loops.

Deliberately naive (it exists to check ``finite_cot`` at tiny sizes and to measure its speed-up, benchmarks/):

    E tr[(I − GS)^k (I − SG)^k] = Σ_{a,b ≤ k} C(k,a) C(k,b) (−1)^{a+b} E tr((GS)^a (SG)^b),

and a word with r factors S = (1/m) Σ_i x_i x_iᵀ is tr(A_1 S A_2 S ⋯ A_r S) = m^{−r} Σ_{i_1..i_r} Π_j (x_{i_{j−1}}ᵀ A_j x_{i_j})
(cyclic, i_0 = i_r). The index tuples are grouped by the set partition π of the r factors they induce (m(m−1)⋯(m−|π|+1)
tuples each); within π the vectors of different blocks are independent and Isserlis' theorem sums over the pairings of
the 2r vector slots inside each block. A pairing's value is a product of traces around the cycles it closes, each
evaluated by explicit loops over the matrix indices (pure Python integers after clearing denominators). Cost: Σ_π Π_B (2|B| − 1)!! pairings per
word, 7.2·10⁶ at r = 8.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction
from math import comb, lcm

Matrix = list[list[Fraction]]


def _mat(A) -> Matrix:
    return [[Fraction(int(x.p), int(x.q)) if hasattr(x, "p") else Fraction(x) for x in row] for row in A.tolist()]


def _mul(A: Matrix, B: Matrix) -> Matrix:
    d = len(A)
    C = [[0] * d for _ in range(d)]
    for i in range(d):
        for l in range(d):
            a = A[i][l]
            if a:
                for j in range(d):
                    C[i][j] += a * B[l][j]
    return C


def _transpose(A: Matrix) -> Matrix:
    return [list(row) for row in zip(*A)]


def set_partitions(items: Sequence[int]) -> Iterator[list[list[int]]]:
    """Every set partition of ``items`` (Bell(r) of them)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in set_partitions(rest):
        yield [[first]] + partition
        for i in range(len(partition)):
            yield partition[:i] + [[first] + partition[i]] + partition[i + 1:]


def pairings(slots: Sequence[int]) -> Iterator[list[tuple[int, int]]]:
    """Every perfect pairing of ``slots``."""
    if not slots:
        yield []
        return
    first = slots[0]
    for j in range(1, len(slots)):
        for tail in pairings(slots[1:j] + slots[j + 1:]):
            yield [(first, slots[j])] + tail


def _pairing_value(A: Sequence[Matrix], forward: Sequence[Matrix], backward: Sequence[Matrix], Sigma: Matrix,
                   partner: dict[int, int]) -> int:
    """Π over closed cycles of tr(A_{j1} Σ A_{j2}^± Σ ⋯ Σ) (integer matrices; forward[j] = Σ A_j, backward[j] = Σ A_jᵀ).

    Slot 2j: column x of factor j; 2j+1: its row xᵀ. Form j (matrix A_j) joins the row slot of factor j−1 (its left
    end) to the column slot of factor j (its right end); a pair of slots contributes Σ.
    """
    r, d = len(A), len(Sigma)
    visited = [False] * r
    value = 1
    for start in range(r):
        if visited[start]:
            continue
        visited[start] = True
        product, slot = A[start], 2 * start            # forward through form `start`, ending at its column slot
        start_slot = 2 * ((start - 1) % r) + 1
        while True:
            nxt = partner[slot]
            if nxt == start_slot:
                break
            if nxt % 2 == 0:                            # column slot of factor i: form i backwards
                form = nxt // 2
                step, slot = backward[form], 2 * ((form - 1) % r) + 1
            else:                                       # row slot of factor i: form i+1 forwards
                form = (nxt // 2 + 1) % r
                step, slot = forward[form], 2 * form
            visited[form] = True
            product = _mul(product, step)
        value *= sum(product[i][j] * Sigma[j][i] for i in range(d) for j in range(d))
        if not value:
            return 0
    return value


def word_expectation(A: Sequence[Matrix], Sigma: Matrix, m: int) -> Fraction:
    """E tr(A_1 S A_2 S ⋯ A_r S), by set partitions of the factors and Isserlis inside each block."""
    r = len(A)
    A_int = [_integral(M) for M in A]
    Sigma_int, sigma_scale = _integral(Sigma)
    scale = sigma_scale ** r
    for _, a in A_int:
        scale *= a
    mats = [M for M, _ in A_int]
    forward = [_mul(Sigma_int, M) for M in mats]
    backward = [_mul(Sigma_int, _transpose(M)) for M in mats]
    total = 0
    for partition in set_partitions(list(range(r))):
        falling = 1
        for b in range(len(partition)):
            falling *= m - b
        if falling == 0:
            continue
        block_sum = 0
        block_pairings = [list(pairings([s for j in block for s in (2 * j, 2 * j + 1)])) for block in partition]
        for choice in _product(block_pairings):
            partner = {}
            for pairs in choice:
                for a, b in pairs:
                    partner[a], partner[b] = b, a
            block_sum += _pairing_value(mats, forward, backward, Sigma_int, partner)
        total += falling * block_sum
    return Fraction(total) * scale / Fraction(m) ** r


def _integral(M: Matrix) -> tuple[list[list[int]], Fraction]:
    """M = N·c with N an integer matrix and c = 1/lcm(denominators)."""
    q = lcm(*(x.denominator for row in M for x in row))
    return [[int(x * q) for x in row] for row in M], Fraction(1, q)


def _product(lists: Sequence[list]) -> Iterator[list]:
    if not lists:
        yield []
        return
    for head in lists[0]:
        for tail in _product(lists[1:]):
            yield [head] + tail


def reference_cot_error(G, Sigma_test, m: int, k: int) -> Fraction:
    """E tr[(I − GS)^k (I − SG)^k] for explicit rational G, Σ_test and integer m, by the plain expansion above."""
    G_, Sigma = _mat(G), _mat(Sigma_test)
    d = len(G_)
    identity = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    total = Fraction(0)
    for a in range(k + 1):
        for b in range(k + 1):
            weight = comb(k, a) * comb(k, b) * (-1) ** (a + b)
            if a + b == 0:
                total += weight * d
                continue
            # (GS)^a (SG)^b = G S (G S)^{a−1} · S G (S G)^{b−1}; read cyclically as tr(A_1 S ⋯ A_r S), the matrices
            # between consecutive S's are G·G (the last G meets the first), G^{×(a−1)}, I, G^{×(b−1)}.
            if a == 0 or b == 0:
                A = [G_] * (a + b)
            else:
                A = [_mul(G_, G_)] + [G_] * (a - 1) + [identity] + [G_] * (b - 1)
            total += weight * word_expectation(A, Sigma, m)
    return total
