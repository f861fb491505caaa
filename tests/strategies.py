"""Hypothesis strategies for exact SPD matrices (no built-in covariance strategy exists; hypothesis #4120)."""

import sympy as sp
from hypothesis import strategies as st


@st.composite
def rational_matrices(draw, d: int, low: int = -4, high: int = 4) -> sp.Matrix:
    entries = draw(st.lists(st.fractions(min_value=low, max_value=high, max_denominator=6), min_size=d * d,
                            max_size=d * d))
    return sp.Matrix(d, d, [sp.Rational(f.numerator, f.denominator) for f in entries])


@st.composite
def rational_spd(draw, d: int) -> sp.Matrix:
    """M Mᵀ + εI with rational M and ε ∈ {1/10, 1/2, 1}: exact and positive definite."""
    M = draw(rational_matrices(d, -2, 2))
    eps = draw(st.sampled_from([sp.Rational(1, 10), sp.Rational(1, 2), sp.Integer(1)]))
    return M * M.T + eps * sp.eye(d)
