r"""The exact finite-size test error of the pretrained LSA after k CoT steps (2510.03605 Prop. 3.2, beyond Cor. 3.5).

Setting (JAVANMARD convention). Training on prompts of length n with features N(0, Σ_train) gives Ṽ = −Γ⁻¹, W̃ = I
with Γ = (1 + 1/n)Σ_train + tr(Σ_train)/n·I (2510.03605 Thm 3.1; 2603.01293 eq. 3.7, ``pretraining.gamma_closed_form``).
At test time, with S = (1/m) Σ_{i≤m} x_i x_iᵀ, x_i ~ N(0, Σ_test), the k CoT steps give e_k = ŵ_k − w* =
−(I − GS)^k w*, G = Γ⁻¹ (Prop. 3.2; ``weight_error.cot_weight_error``), and for w* ~ N(0, I_d)

    E‖e_k‖² = E_S tr[(I − GS)^k (I − SG)^k],
    E‖e_k‖⁴ = E_S [2 tr((A_kᵀA_k)²) + (tr A_kᵀA_k)²],  A_k = (I − GS)^k   (E(wᵀQw)² = 2trQ² + (trQ)², w ~ N(0, I)).

Algorithm. (1) Whitening with a rational factorisation: Σ_test = L D Lᵀ (LDLᵀ, L unit lower triangular, D diagonal)
writes S = L T Lᵀ with T = W/m, W ~ Wishart(m, D). Then (I − GS)^k = L^{−T} M_k Lᵀ with M_k = (I − HT)^k,
H = LᵀGL, so ‖e_k‖² integrates to ‖A_k‖²_F = Σ_ac (A_k)²_ac and tr((A_kᵀA_k)²) = Σ_ab Q²_ab with Q = A_kᵀA_k. (2) M_k
is built by k products with the linear matrix I − HT in ℚ[t_ij] (python-flint ``fmpq_mpoly``): entries have
degree ≤ k, the error polynomial degree ≤ 2k in d(d+1)/2 variables; A_k = L^{−T}M_kLᵀ is a rational recombination,
and only squares of polynomials are formed (cheaper than general products), one per parity class. (3) E over T pairs the coefficients with those
of the Wishart MGF (``wishart_mgf``; the diagonal D makes the MGF a small-determinant power and restricts the
pairing to even monomials). Every error up to k_max comes from one pass (M_0, M_1, ... share the work).

Why not the Wick engine: its sum over (4k − 1)!! pairings is 2·10⁶ terms at k = 4 and 6·10³¹ at k = 8; the
polynomial route costs a few products of polynomials with ≤ C(2k + d(d+1)/2, 2k) terms. Symbolic m enters through
u = 1/m in the MGF (polynomial coefficients); symbolic n through G = Ĝ(n)/δ(n), δ the common denominator of Γ⁻¹:
(I − GS) = (δI − ĜS)/δ with polynomial entries in n, and the error is a polynomial in (n, 1/m) over δ^{2k}.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from math import comb

import flint
import sympy as sp

from derivations.wishart_mgf import (DiagonalWishartMoments, even_part_of_squares, parity_classes,
                                      polynomial_ring, split_by_parity, symmetric_matrix)
from derivations.pretraining import trained_preconditioner

from derivations.validation import cot_steps, exact_covariance, exact_matrix, prompt_length
from icl_errors import InputError

@dataclass(frozen=True)
class CotErrorProblem:
    """Validated inputs: the preconditioner G (each step is e ↦ (I − GS)e, G = −Ṽ), exact Σ_test, the number or
    symbol n that G's entries may depend on, and m (a positive integer or a positive symbol)."""

    preconditioner: sp.Matrix
    n: sp.Expr
    Sigma_test: sp.Matrix
    m: sp.Expr

    @property
    def d(self) -> int:
        return self.Sigma_test.rows

def cot_problem(Sigma_train, n, Sigma_test, m) -> CotErrorProblem:
    """Check and convert the inputs (InputError naming the problem otherwise)."""
    train = exact_covariance(Sigma_train, "Sigma_train")
    test = exact_covariance(Sigma_test, "Sigma_test")
    if train.shape != test.shape:
        raise InputError(f"Sigma_train is {train.rows}×{train.cols} but Sigma_test is {test.rows}×{test.cols}")
    for name, M in (("Sigma_train", train), ("Sigma_test", test)):
        if not all(x.is_Rational for x in M):
            raise InputError(f"{name} must have rational entries")
    if train.trace() == 0:
        raise InputError("Sigma_train must not be zero")
    n_, m_ = prompt_length(n, "n"), prompt_length(m, "m")
    for name, value in (("n", n_), ("m", m_)):
        if not value.is_number and not isinstance(value, sp.Symbol):
            raise InputError(f"{name} must be a positive integer or a single symbol, got {value}")
    return CotErrorProblem(-trained_preconditioner(train, n_), n_, test, m_)

def preconditioner_problem(V_tilde, Sigma_test, m) -> CotErrorProblem:
    """The problem for any rational Ṽ (not only the pretrained one): steps e ↦ (I + ṼS)e."""
    V = exact_matrix(V_tilde, "V_tilde")
    test = exact_covariance(Sigma_test, "Sigma_test")
    if V.shape != test.shape or not all(x.is_Rational for x in list(V) + list(test)):
        raise InputError(f"V_tilde ({V.rows}×{V.cols}) and Sigma_test ({test.rows}×{test.cols}) must be rational "
                         f"matrices of the same shape")
    m_ = prompt_length(m, "m")
    if not m_.is_number and not isinstance(m_, sp.Symbol):
        raise InputError(f"m must be a positive integer or a single symbol, got {m_}")
    return CotErrorProblem(-V, sp.Integer(1), test, m_)

def _ldl(Sigma: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    """Σ = L D Lᵀ with L unit lower triangular and D diagonal, exact; InputError unless Σ is positive definite."""
    try:
        L, D = Sigma.LDLdecomposition(hermitian=False)
    except ValueError:
        raise InputError("Sigma_test must be positive definite") from None
    if any(D[i, i] <= 0 for i in range(D.rows)):
        raise InputError("Sigma_test must be positive definite")
    return L, D

def _to_fmpq(x: sp.Expr) -> flint.fmpq:
    x = sp.Rational(x)
    return flint.fmpq(int(x.p), int(x.q))

def _polynomial_in(expr: sp.Expr, symbol: sp.Symbol | None, ctx, generator):
    """A SymPy polynomial in ``symbol`` (or a rational number) as an element of ``ctx``."""
    if symbol is None or not expr.has(symbol):
        return ctx.from_dict({}) + _to_fmpq(expr)
    coefficients = sp.Poly(expr, symbol).all_coeffs()[::-1]
    return reduce(lambda acc, item: acc + _to_fmpq(item[1]) * generator ** item[0], enumerate(coefficients),
                  ctx.from_dict({}))

class _Engine:
    """Everything shared by the errors at several k for one problem: rings, whitened matrices, the Wishart pairing."""

    def __init__(self, problem: CotErrorProblem):
        self.problem = problem
        d = problem.d
        self.n_symbol = None if problem.n.is_number else problem.n
        self.m_symbol = None if problem.m.is_number else problem.m
        extras = (["n"] if self.n_symbol is not None else []) + (["u"] if self.m_symbol is not None else [])
        self.ctx = ring = polynomial_ring(d, extras)
        gens = ring.gens()
        n_gen = gens[d * (d + 1) // 2] if self.n_symbol is not None else None
        u = gens[-1] if self.m_symbol is not None else flint.fmpq(1) / _to_fmpq(problem.m)

        L, D = _ldl(problem.Sigma_test)
        G = problem.preconditioner
        H = (L.T * G * L).applyfunc(sp.cancel)
        self.delta = sp.lcm([sp.fraction(sp.together(h))[1] for h in H])
        H_numerator = (H * self.delta).applyfunc(sp.cancel)
        self.L_T = None if L == sp.eye(d) else [[_to_fmpq(x) for x in row] for row in L.T.tolist()]
        self.L_inv_T = None if L == sp.eye(d) else [[_to_fmpq(x) for x in row] for row in L.T.inv().tolist()]

        T = symmetric_matrix(ring, d)
        Hn = [[_polynomial_in(H_numerator[i, j], self.n_symbol, ring, n_gen) for j in range(d)] for i in range(d)]
        delta = _polynomial_in(self.delta, self.n_symbol, ring, n_gen)
        # One step δ(I − HT) = δI − Ĥ T, linear in the entries of T.
        self.step = [[(delta if i == j else 0) - sum((Hn[i][l] * T[l][j] for l in range(d)), ring.from_dict({}))
                      for j in range(d)] for i in range(d)]
        self.masks = parity_classes(d)
        self.moments = DiagonalWishartMoments(ring, [_to_fmpq(D[i, i]) for i in range(d)], u)

    def powers(self, k_max: int):
        """M_0 = I, M_1, ..., M_{k_max} with M_k = δ^k (I − HT)^k (polynomial entries)."""
        d, ring = self.problem.d, self.ctx
        M = [[ring.from_dict({}) + (1 if i == j else 0) for j in range(d)] for i in range(d)]
        yield M
        for _ in range(k_max):
            M = [[sum((M[i][l] * self.step[l][j] for l in range(d)), ring.from_dict({})) for j in range(d)]
                 for i in range(d)]
            yield M

    def _unwhitened(self, M):
        """A = L^{−T} M Lᵀ (rational recombinations of the entries of M)."""
        d, zero = self.problem.d, self.ctx.from_dict({})
        if self.L_T is None:
            return M
        left, right = self.L_inv_T, self.L_T
        LM = [[sum((M[l][j] * left[i][l] for l in range(d) if left[i][l] != 0), zero) for j in range(d)]
              for i in range(d)]
        return [[sum((LM[i][l] * right[l][j] for l in range(d) if right[l][j] != 0), zero) for j in range(d)]
                for i in range(d)]

    def squared_norm(self, M):
        """The even part of ‖A‖²_F = Σ_ac A²_ac, A = L^{−T}ML^T: what E_T sees of δ^{2k}‖(I − GS)^k‖²_F."""
        A = self._unwhitened(M)
        return even_part_of_squares([split_by_parity(entry, self.masks) for row in A for entry in row],
                                    self.ctx.from_dict({}))

    def fourth_moment_integrand(self, M):
        """The even part of 2 tr(Q²) + (tr Q)² with Q = AᵀA symmetric, A = L^{−T}MLᵀ (δ^{4k} E_w‖e_k‖⁴ in T)."""
        d, zero = self.problem.d, self.ctx.from_dict({})
        A = self._unwhitened(M)
        Q = {(i, j): sum((A[l][i] * A[l][j] for l in range(d)), zero) for i in range(d) for j in range(i, d)}
        trace_Q = split_by_parity(sum((Q[i, i] for i in range(d)), zero), self.masks)
        diagonal = even_part_of_squares([split_by_parity(Q[i, i], self.masks) for i in range(d)], zero)
        off_diagonal = even_part_of_squares([split_by_parity(Q[i, j], self.masks) for i, j in Q if i < j], zero)
        return 2 * diagonal + 4 * off_diagonal + even_part_of_squares([trace_Q], zero)

    def expectation(self, f, power: int) -> sp.Expr:
        """E_T[f] / δ^power as a SymPy number or expression in the user's n and m."""
        total = sp.Integer(0)
        n_symbol, m_symbol = self.n_symbol, self.m_symbol
        for exponents, coefficient in self.moments.expectation(f).items():
            term = sp.Rational(int(coefficient.p), int(coefficient.q))
            position = 0
            if n_symbol is not None:
                term *= n_symbol ** exponents[position]
                position += 1
            if m_symbol is not None:
                term *= m_symbol ** (-exponents[position])
            total += term
        return total / self.delta ** power

    def inverse_m_coefficients(self, f, power: int) -> list[sp.Rational]:
        """[c_0, c_1, ...] with E_T[f]/δ^power = Σ_j c_j m^{−j} (numeric n, symbolic m)."""
        raw = self.moments.expectation(f)
        coefficients = [sp.Integer(0)] * (max((e[-1] for e in raw), default=0) + 1)
        for (j,), c in raw.items():
            coefficients[j] = sp.Rational(int(c.p), int(c.q)) / self.delta ** power
        return coefficients

MONOMIAL_LIMIT = 5_000_000   # polynomials in the d(d+1)/2 entries of T of degree ≤ 2k (4k for the variance)
STEPS_LIMIT = 40             # and the degree itself: k = 40 at d = 2 (9·10⁴ monomials of degree 80) takes 15 s

def affordable(d: int, degree: int, name: str, k: int) -> None:
    """InputError unless the degree-``degree`` polynomial in the d(d+1)/2 entries of T has at most MONOMIAL_LIMIT
    monomials, C(d(d+1)/2 + degree, degree): the engine's time and memory grow with that count (measured: 0.6·10⁶ at
    d = 4, k = 6 took 13 s; 4.3·10⁶ at d = 6, k = 4 took 27 s)."""
    count = comb(d * (d + 1) // 2 + degree, degree)
    if count > MONOMIAL_LIMIT:
        raise InputError(f"{name} = {k} at d = {d} needs polynomials with {count:,} monomials, above the limit "
                         f"{MONOMIAL_LIMIT:,} (derivations.finite_cot.MONOMIAL_LIMIT); use a smaller {name} or d")

def cot_errors(Sigma_train, n, Sigma_test, m, k_max: int) -> list[sp.Expr]:
    """[E‖e_0‖², ..., E‖e_{k_max}‖²] exact (rationals for numeric n, m; expressions for symbolic ones)."""
    return _errors(cot_problem(Sigma_train, n, Sigma_test, m), k_max)


def preconditioned_errors(V_tilde, Sigma_test, m, k_max: int) -> list[sp.Expr]:
    """[E‖(I + ṼŜ)^k w*‖²]_{k = 0..k_max} for any rational Ṽ (Ŝ from m examples of N(0, Σ_test)), exact."""
    return _errors(preconditioner_problem(V_tilde, Sigma_test, m), k_max)


def _errors(problem: CotErrorProblem, k_max: int) -> list[sp.Expr]:
    k_max = cot_steps(k_max, "k_max", maximum=STEPS_LIMIT)
    affordable(problem.d, 2 * k_max, "k_max", k_max)
    engine = _Engine(problem)
    return [_simplified(engine.expectation(engine.squared_norm(M), 2 * k))
            for k, M in enumerate(engine.powers(k_max))]

def cot_error_coefficients(Sigma_train, n, Sigma_test, k_max: int) -> list[list[sp.Rational]]:
    """For k = 0..k_max the exact coefficients c_{k,j} of E‖e_k‖² = Σ_{j<2k} c_{k,j} m^{−j} (numeric n).

    The error is a polynomial in 1/m (the Wishart MGF's coefficients are); c_{k,0} is the m → ∞ value.
    """
    k_max = cot_steps(k_max, "k_max", maximum=STEPS_LIMIT)
    problem = cot_problem(Sigma_train, n, Sigma_test, sp.Dummy("m", positive=True))
    affordable(problem.d, 2 * k_max, "k_max", k_max)
    if not problem.n.is_number:
        raise InputError("cot_error_coefficients needs a numeric n")
    engine = _Engine(problem)
    return [engine.inverse_m_coefficients(engine.squared_norm(M), 2 * k) for k, M in enumerate(engine.powers(k_max))]

def cot_error(Sigma_train, n, Sigma_test, m, k: int) -> sp.Expr:
    """E‖e_k‖² = E tr[(I − Γ⁻¹S)^k (I − SΓ⁻¹)^k], exact."""
    return cot_errors(Sigma_train, n, Sigma_test, m, cot_steps(k, maximum=STEPS_LIMIT))[-1]

def cot_error_second_moment(Sigma_train, n, Sigma_test, m, k: int) -> sp.Expr:
    """E‖e_k‖⁴ (over S and w*), exact: a degree-4k moment of S."""
    k = cot_steps(k, maximum=STEPS_LIMIT)
    problem = cot_problem(Sigma_train, n, Sigma_test, m)
    affordable(problem.d, 4 * k, "k", k)
    engine = _Engine(problem)
    *_, M = engine.powers(k)
    return _simplified(engine.expectation(engine.fourth_moment_integrand(M), 4 * k))

def cot_error_variance(Sigma_train, n, Sigma_test, m, k: int) -> sp.Expr:
    """Var ‖e_k‖² = E‖e_k‖⁴ − (E‖e_k‖²)², exact."""
    second = cot_error_second_moment(Sigma_train, n, Sigma_test, m, k)   # first: it refuses a size it cannot afford
    mean = cot_error(Sigma_train, n, Sigma_test, m, k)
    return _simplified(second - mean ** 2)

def monte_carlo_samples(Sigma_train, n, Sigma_test, m, k: int, standard_error) -> int:
    """Prompts N so that the plain mean of ‖e_k‖² has standard error ≤ ``standard_error``: N = ⌈Var/SE²⌉ (exact Var)."""
    se = sp.Rational(standard_error) if not isinstance(standard_error, float) else sp.Rational(repr(standard_error))
    if not se > 0:
        raise InputError(f"standard_error must be positive, got {standard_error!r}")
    return max(1, int(sp.ceiling(cot_error_variance(Sigma_train, n, Sigma_test, m, k) / se ** 2)))

def _simplified(value: sp.Expr) -> sp.Expr:
    """Exact numbers as they are; expressions in n, m as one factored fraction."""
    return value if value.is_Rational else sp.factor(sp.together(value))
