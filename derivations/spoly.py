r"""Matrix polynomials in the sample covariance S, and their exact expectation.

An ``SPoly`` is a finite sum Σ_t c_t · M_{t,0} S M_{t,1} S ... S M_{t,r_t} with fixed matrices M (explicit or abstract)
and scalar coefficients c. It is closed under +, scalar ·, matrix · and transpose, which is all the model's recursion
needs: feeding SPolys into the derived CoT step (``derivations.lsa.cot_step``) yields the k-step error operator as an
SPoly, and ``expectation`` integrates S out with the Wick engine of ``derivations.moments``.
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

from derivations.moments import MatrixLike, expected_chain, trace

Term = tuple[sp.Expr, tuple[MatrixLike, ...]]


class SPoly:
    """A matrix polynomial in S (non-commutative: fixed matrices stand between the S factors)."""

    __slots__ = ("terms",)
    _op_priority = 100.0  # SymPy matrices defer to SPoly in mixed products (Matrix * SPoly -> SPoly.__rmul__)

    def __init__(self, terms: Iterable[Term]):
        self.terms: tuple[Term, ...] = tuple(terms)

    @classmethod
    def constant(cls, M: MatrixLike) -> SPoly:
        """The degree-0 polynomial M."""
        return cls([(sp.Integer(1), (M,))])

    @classmethod
    def sample_covariance(cls, identity: MatrixLike) -> SPoly:
        """The polynomial S itself (I S I)."""
        return cls([(sp.Integer(1), (identity, identity))])

    @property
    def degree(self) -> int:
        return max((len(mats) - 1 for _, mats in self.terms), default=0)

    def __add__(self, other: SPoly | MatrixLike) -> SPoly:
        other = other if isinstance(other, SPoly) else SPoly.constant(other)
        return SPoly(self.terms + other.terms)

    __radd__ = __add__

    def __neg__(self) -> SPoly:
        return SPoly((-c, mats) for c, mats in self.terms)

    def __sub__(self, other: SPoly | MatrixLike) -> SPoly:
        other = other if isinstance(other, SPoly) else SPoly.constant(other)
        return self + (-other)

    def __rsub__(self, other: MatrixLike) -> SPoly:
        return SPoly.constant(other) + (-self)

    def __mul__(self, other: SPoly | MatrixLike | sp.Expr | int) -> SPoly:
        if isinstance(other, SPoly):
            return SPoly(
                (ca * cb, ma[:-1] + (ma[-1] * mb[0],) + mb[1:])
                for ca, ma in self.terms
                for cb, mb in other.terms
            )
        if _is_scalar(other):
            return SPoly((c * other, mats) for c, mats in self.terms)
        return SPoly((c, mats[:-1] + (mats[-1] * other,)) for c, mats in self.terms)

    def __rmul__(self, other: MatrixLike | sp.Expr | int) -> SPoly:
        if _is_scalar(other):
            return self * other
        return SPoly((c, (other * mats[0],) + mats[1:]) for c, mats in self.terms)

    @property
    def T(self) -> SPoly:
        """Transpose (S is symmetric): reverse every chain and transpose its matrices."""
        return SPoly((c, tuple(M.T for M in reversed(mats))) for c, mats in self.terms)

    def at(self, S_value: sp.MatrixBase) -> sp.Matrix:
        """The polynomial evaluated at S = ``S_value`` (expanded entries).

        With S_value = Σ this is the m → ∞ limit of the expectation: only the within-factor Wick pairing survives.
        """
        total = sp.zeros(S_value.rows, S_value.rows)
        for c, mats in self.terms:
            product = mats[0]
            for M in mats[1:]:
                product = product * S_value * M
            total += c * product
        return total.applyfunc(sp.expand)

    def expectation(self, Sigma: MatrixLike, n: sp.Expr | int) -> MatrixLike:
        """E over S (n i.i.d. N(0, Σ) draws) of the polynomial, exact."""
        total = None
        for c, mats in self.terms:
            term = c * expected_chain(mats, Sigma, n)
            total = term if total is None else total + term
        if isinstance(total, sp.MatrixBase):
            return total.applyfunc(sp.expand)
        return total

    def expected_trace(self, Sigma: MatrixLike, n: sp.Expr | int) -> sp.Expr:
        """E tr(polynomial), exact."""
        return sp.expand(trace(self.expectation(Sigma, n)))

    def __repr__(self) -> str:
        return f"SPoly({len(self.terms)} terms, degree {self.degree})"


def _is_scalar(value: object) -> bool:
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, sp.Basic) and not getattr(value, "is_Matrix", False)
