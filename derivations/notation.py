r"""Compact notation objects: they print as the papers write them and ``.doit()`` expands them (ampform's pattern).

``FrobeniusNormSquared(M)`` prints \left\|M\right\|_{F}^{2} and expands to tr(M Mᵀ); ``RegularisedCovariance(Σ, n)``
prints \Gamma and expands to (1 + 1/n)Σ + tr(Σ)/n·I (2603.01293 eq. 3.7). The trace prints as \operatorname{tr},
the house macro (SymPy's own printer).
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions import MatrixExpr


class FrobeniusNormSquared(sp.Expr):
    """‖M‖²_F, unevaluated."""

    is_commutative = True

    def __new__(cls, M: MatrixExpr):
        return sp.Expr.__new__(cls, M)

    @property
    def matrix(self) -> MatrixExpr:
        return self.args[0]

    def doit(self, **hints):
        M = self.matrix.doit(**hints) if hints.get("deep", True) else self.matrix
        if isinstance(M, sp.MatrixBase):
            return sp.expand((M * M.T).trace())
        return sp.Trace(M * M.T)

    def _latex(self, printer) -> str:
        return r"\left\|" + printer._print(self.matrix) + r"\right\|_{F}^{2}"


class Expectation(sp.Expr):
    """E[·] of a scalar or matrix expression, unevaluated (a name in a statement, never expanded)."""

    def __new__(cls, inner: sp.Basic):
        return sp.Expr.__new__(cls, inner)

    def _latex(self, printer) -> str:
        return r"\mathbb{E}\left[" + printer._print(self.args[0]) + r"\right]"


class RegularisedCovariance(MatrixExpr):
    """Γ = (1 + 1/n)Σ + tr(Σ)/n · I, unevaluated (prints as Γ)."""

    def __new__(cls, Sigma: MatrixExpr, n: sp.Expr):
        return MatrixExpr.__new__(cls, Sigma, sp.sympify(n))

    @property
    def shape(self):
        return self.args[0].shape

    def doit(self, **hints):
        Sigma, n = self.args
        Sigma = Sigma.doit(**hints) if hints.get("deep", True) else Sigma
        if isinstance(Sigma, sp.MatrixBase):
            return (1 + sp.Integer(1) / n) * Sigma + Sigma.trace() / n * sp.eye(Sigma.rows)
        return (1 + sp.Integer(1) / n) * Sigma + sp.Trace(Sigma) / n * sp.Identity(Sigma.rows)

    def _entry(self, i, j, **kwargs):
        return self.doit()[i, j]

    def _latex(self, printer) -> str:
        return r"\Gamma"

    def _sympystr(self, printer) -> str:
        return "Γ"


def substitute(expr: sp.Basic, values: dict[sp.Basic, object], d: sp.Symbol, size: int) -> sp.Basic:
    """Put explicit matrices into an abstract statement (dimension symbol d := size, I_d := eye) and expand it."""
    replaced = expr.xreplace({sp.Identity(d): sp.eye(size), **values}).xreplace({d: size})
    result = replaced.doit()
    if isinstance(result, sp.MatrixBase):
        return result.applyfunc(sp.expand)
    if isinstance(result, sp.MatrixExpr):
        return sp.Matrix(result.as_explicit()).applyfunc(sp.expand)
    return sp.expand(result)


class Equation(sp.Basic):
    """lhs = rhs for display (no evaluation, no shape checks; SymPy's Eq rejects scalar = matrix names)."""

    def __new__(cls, lhs: sp.Basic, rhs: sp.Basic):
        return sp.Basic.__new__(cls, sp.sympify(lhs), sp.sympify(rhs))

    @property
    def lhs(self) -> sp.Basic:
        return self.args[0]

    @property
    def rhs(self) -> sp.Basic:
        return self.args[1]

    def _latex(self, printer) -> str:
        return printer._print(self.lhs) + " = " + printer._print(self.rhs)

    def _sympystr(self, printer) -> str:
        return printer._print(self.lhs) + " = " + printer._print(self.rhs)
