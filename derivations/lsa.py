r"""The linear self-attention (LSA) model, derived with block-matrix algebra (arXiv 2603.01293 §3, eq. 3.1–3.8).

Embedding after i CoT steps, row blocks (d, 1, d, 1), column blocks (n examples, i earlier steps, current step):

    Z_i = [[X, 0, 0], [y, 0, 0], [0, Ŵ_{<i}, ŵ_i], [0, 1ᵀ, 1]],   y = w*ᵀ X,

the layer f(Z) = Z + V Z (Zᵀ W Z)/n (eq. 3.1 with λ = n), and the sparse parameters (eq. 3.8)

    V = [[0,0,0,0],[0,0,0,0],[Ṽ,0,0,0],[0,0,0,0]],   W = [[0,0,W̃,0],[0,0,0,−1],[0,0,0,0],[0,0,0,0]].

``derive_cot_step`` multiplies these block matrices with symbolic d, n and i (SymPy ``block_collapse``) and reads off
the last output column: its x and y blocks vanish, its last entry is 1, and its w block is

    ŵ_{i+1} = ŵ_i + Ṽ S (W̃ ŵ_i − w*),   S = X Xᵀ/n                               (2603.01293 eq. A.1).

``cot_step`` evaluates that *derived* expression (not a typed-in copy) on any values that support + and ·: explicit
or abstract matrices, or ``SPoly`` polynomials in S, which is how later results obtain the k-step error operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp
from sympy import BlockMatrix, MatrixSymbol, OneMatrix, ZeroMatrix, block_collapse

from derivations.spoly import SPoly
from derivations.validation import SYMBOLIC_STEPS_LIMIT, cot_steps

d, n, i = sp.symbols("d n i", positive=True, integer=True)
X = MatrixSymbol("X", d, n)
S = MatrixSymbol("S", d, d)
w_star = MatrixSymbol("w^{*}", d, 1)
w_hat = MatrixSymbol(r"\hat{w}_{i}", d, 1)
w_earlier = MatrixSymbol(r"\hat{W}_{<i}", d, i)
V_tilde = MatrixSymbol(r"\tilde{V}", d, d)
W_tilde = MatrixSymbol(r"\tilde{W}", d, d)


def embedding() -> BlockMatrix:
    """Z_i with row blocks (d, 1, d, 1) and column blocks (n, i, 1) (eq. 3.2–3.3)."""
    return BlockMatrix([
        [X, ZeroMatrix(d, i), ZeroMatrix(d, 1)],
        [w_star.T * X, ZeroMatrix(1, i), ZeroMatrix(1, 1)],
        [ZeroMatrix(d, n), w_earlier, w_hat],
        [ZeroMatrix(1, n), OneMatrix(1, i), OneMatrix(1, 1)],
    ])


def _square_blocks(entries: dict[tuple[int, int], sp.MatrixExpr]) -> BlockMatrix:
    sizes = (d, 1, d, 1)
    return BlockMatrix([
        [entries.get((r, c), ZeroMatrix(sizes[r], sizes[c])) for c in range(4)] for r in range(4)
    ])


def value_matrix() -> BlockMatrix:
    """V with the sparsity of eq. 3.8: only V₃₁ = Ṽ."""
    return _square_blocks({(2, 0): V_tilde})


def key_query_matrix() -> BlockMatrix:
    """W with the sparsity of eq. 3.8: W₁₃ = W̃ and W₂₄ = −1."""
    return _square_blocks({(0, 2): W_tilde, (1, 3): -OneMatrix(1, 1)})


@dataclass(frozen=True)
class CotStepDerivation:
    """The last column of f(Z_i), block by block, and the w block rewritten with S = X Xᵀ/n."""

    output_column: tuple[sp.MatrixExpr, sp.MatrixExpr, sp.MatrixExpr, sp.MatrixExpr]
    w_next: sp.MatrixExpr

    @property
    def appended_column_has_layout(self) -> bool:
        """True when the appended column is (0, 0, ŵ_{i+1}, 1), so the rollout keeps the embedding's layout."""
        x_block, y_block, _, one_block = self.output_column
        return _is_zero(x_block) and _is_zero(y_block) and sp.Matrix(one_block.as_explicit()) == sp.Matrix([[1]])


def _is_zero(block: sp.Basic) -> bool:
    return block == 0 or bool(getattr(block, "is_ZeroMatrix", False))


@cache
def derive_cot_step() -> CotStepDerivation:
    """Multiply out f(Z_i) = Z_i + V Z_i (Z_iᵀ W Z_i)/n by blocks and read off the appended column."""
    Z = embedding()
    attention = block_collapse(value_matrix() * Z * (Z.T * key_query_matrix() * Z) / n)
    column = tuple(sp.expand(Z.blocks[r, 2] + attention.blocks[r, 2]) for r in range(4))
    w_next = sp.expand(column[2]).subs(X * X.T, n * S)
    return CotStepDerivation(output_column=column, w_next=w_next)


def _evaluate(expr: sp.Basic, values: dict[sp.Basic, object]):
    """Evaluate a matrix expression tree on arbitrary values supporting +, · and .T (matrices, SPoly, ...)."""
    if expr in values:
        return values[expr]
    if isinstance(expr, sp.MatAdd):
        parts = [_evaluate(a, values) for a in expr.args]
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total
    if isinstance(expr, sp.MatMul):
        scalar = sp.Integer(1)
        product = None
        for factor in expr.args:
            if not factor.is_Matrix:
                scalar *= factor
                continue
            value = _evaluate(factor, values)
            product = value if product is None else product * value
        return product if scalar == 1 else scalar * product
    if isinstance(expr, sp.Transpose):
        return _evaluate(expr.arg, values).T
    raise ValueError(f"cannot evaluate {expr!r}: no value given for it")


def cot_step(w_current, w_target, V_t, W_t, S_value):
    """ŵ_{i+1} from the derived step, with values substituted for ŵ_i, w*, Ṽ, W̃ and S."""
    derived = derive_cot_step().w_next
    return _evaluate(derived, {w_hat: w_current, w_star: w_target, V_tilde: V_t, W_tilde: W_t, S: S_value})


def error_operator(k: int, V_t, W_t, identity) -> SPoly:
    r"""E_k with ŵ_k − w* = E_k w* after k CoT steps from ŵ_0 = 0, as a polynomial in S.

    Obtained by running the derived step on SPoly values (ŵ_i = P_i w*, so w* ↦ I and ŵ_0 ↦ 0); E_k = P_k − I.
    For W̃ = I this is −(I + Ṽ S)^k (2603.01293 Prop. 6.1).
    """
    k = cot_steps(k, maximum=SYMBOLIC_STEPS_LIMIT)
    P = SPoly([])
    target = SPoly.constant(identity)
    S_poly = SPoly.sample_covariance(identity)
    for _ in range(k):
        P = cot_step(P, target, V_t, W_t, S_poly)
    return P - identity
