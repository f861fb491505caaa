r"""Compact notation objects: they print as the papers write them and ``.doit()`` expands them (ampform's pattern).

``FrobeniusNormSquared(M)`` prints \left\|M\right\|_{F}^{2} and expands to tr(M Mᵀ); ``RegularisedCovariance(Σ, n)``
prints \Gamma and expands to (1 + 1/n)Σ + tr(Σ)/n·I (2603.01293 eq. 3.7). The trace prints as \operatorname{tr},
the house macro (SymPy's own printer).

Every statement of a record is built from these and SymPy's own objects, never from LaTeX hidden in a symbol's name,
so it both prints like the paper and evaluates: ``evaluate_at(statement, {symbol: value})`` puts explicit values in and
calls ``doit`` until nothing changes (``Record.statement_value`` does this for a record's parameters). Errors:
``ExpectedSquaredError`` (E‖ŵ_k − w*‖², per direction, the LSA's derived error operator), ``Expectation`` (over Ŝ, by
the Wick engine); optima: ``Minimum``, ``Maximum``, ``ArgMin`` (integer ranges, a matrix variable, the ``Simplex``),
``SmallestInteger`` (min{n : C(n)}); spectra: ``Eigenvalue``, ``SmallestEigenvalue``, ``Hardness``, ``SpectralRadius``,
``PositiveSemidefinite``; task mixtures: ``MixturePreconditioner`` (Ṽ(π)), ``TaskSum`` (Σ_ℓ); bookkeeping:
``Family`` ((f(j))_{j=1}^{d}), ``Component`` (v_i), ``Defined`` (a named value), ``Equivalence`` (⟺),
``EventuallyIncreasing`` (∃k₀ ∀k ≥ k₀, a name: sequences are decided by their records' criteria).
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
    """E[·] of a scalar or matrix expression in the sample covariance Ŝ of n draws from N(0, Σ), unevaluated.

    ``Expectation(inner, S, Sigma, n)``: ``doit()`` integrates Ŝ out with the Wick engine (``SPoly``) once Σ is an
    explicit matrix; ``inner`` may be a matrix polynomial in S (MatAdd, MatMul, integer MatPow, Transpose), its trace
    or its ``FrobeniusNormSquared``. Without the law (``Expectation(inner)``) it is a name and never expanded.
    """

    def __new__(cls, inner: sp.Basic, S: sp.Basic | None = None, Sigma: sp.Basic | None = None,
                n: sp.Expr | None = None):
        if S is None:
            return sp.Expr.__new__(cls, inner)
        return sp.Expr.__new__(cls, inner, S, Sigma, sp.sympify(n))

    @property
    def shape(self):
        return self.args[0].shape

    @property
    def is_Matrix(self) -> bool:
        return bool(getattr(self.args[0], "is_Matrix", False))

    def doit(self, **hints):
        if len(self.args) == 1:
            return self
        inner, S, Sigma, n = (a.doit(**hints) for a in self.args) if hints.get("deep", True) else self.args
        if not isinstance(Sigma, sp.MatrixBase):
            return self.func(inner, S, Sigma, n)
        identity = sp.eye(Sigma.rows)
        if isinstance(inner, sp.Trace):
            return _as_polynomial_in(inner.arg, S, identity).expected_trace(Sigma, n)
        if isinstance(inner, FrobeniusNormSquared):
            P = _as_polynomial_in(inner.matrix, S, identity)
            return (P * P.T).expected_trace(Sigma, n)
        return sp.ImmutableMatrix(_as_polynomial_in(inner, S, identity).expectation(Sigma, n))

    def _latex(self, printer) -> str:
        return r"\mathbb{E}\left[" + printer._print(self.args[0]) + r"\right]"


def _as_polynomial_in(expr: sp.Basic, S: sp.Basic, identity: sp.Matrix):
    """A matrix expression in the random S (explicit elsewhere) as an SPoly, ready for the Wick engine."""
    from derivations.spoly import SPoly

    if expr == S:
        return SPoly.sample_covariance(identity)
    if not expr.has(S):
        value = expr.doit()
        return SPoly.constant(sp.Matrix(value.as_explicit() if isinstance(value, MatrixExpr) else value))
    if isinstance(expr, sp.MatAdd):
        parts = [_as_polynomial_in(a, S, identity) for a in expr.args]
        return sum(parts[1:], parts[0])
    if isinstance(expr, sp.MatMul):
        scalar, product = sp.Integer(1), None
        for factor in expr.args:
            if not factor.is_Matrix:
                scalar *= factor
                continue
            value = _as_polynomial_in(factor, S, identity)
            product = value if product is None else product * value
        return product * scalar
    if isinstance(expr, sp.MatPow) and expr.exp.is_Integer and expr.exp >= 0:
        base = _as_polynomial_in(expr.base, S, identity)
        product = SPoly.constant(identity)
        for _ in range(int(expr.exp)):
            product = product * base
        return product
    if isinstance(expr, sp.Transpose):
        return _as_polynomial_in(expr.arg, S, identity).T
    raise ValueError(f"cannot integrate {expr}: not a matrix polynomial in {S}")


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
        # An abstract Σ stays Γ: SymPy calls doit() inside its own matrix arithmetic and printing (−X, X·Y), which
        # would otherwise spell Γ out in every statement. The abstract expansion is pretraining.gamma_closed_form.
        return self.func(Sigma, n)

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
    """lhs = rhs, not evaluated on construction and without shape checks (SymPy's Eq rejects scalar = matrix names);
    ``evaluate_at`` evaluates either side."""

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


class Equivalence(Equation):
    """lhs ⟺ rhs for display (two statements that hold together); evaluates like an Equation, side by side."""

    def _latex(self, printer) -> str:
        return printer._print(self.lhs) + r" \iff " + printer._print(self.rhs)

    def _sympystr(self, printer) -> str:
        return printer._print(self.lhs) + " <=> " + printer._print(self.rhs)


W_STAR = sp.Symbol("w^{*}")   # the task vector as 2603.01293 writes it (2510.03605 writes w)


class ExpectedSquaredError(sp.Expr):
    r"""E‖ŵ_k − w*‖² of the LSA with Ṽ = V, W̃ = I, ŵ_0 = 0 on test prompts of m examples x ~ N(0, Σ), w* ~ N(0, I_d)
    (2603.01293 Prop. 5.1 at k = 1; 2510.03605 Thm 3.3, Prop. 3.2); with ``direction`` j ≥ 1 the coordinate error
    E(ŵ_k − w*)_j². Prints \mathbb{E}\|\hat{w}_{k} - w^{*}\|^{2} (with the target ``w`` as the paper writes it, and
    \hat{w}_{k}(π) for a mixture-trained Ṽ(π)); for m → ∞ either ``sp.Limit(·, m, sp.oo)`` (evaluated as the limit of
    the exact finite-m error) or m = ``sp.oo`` (printed with \lim_{m \to \infty}, evaluated at S = Σ).

    ``doit()`` with explicit V, Σ and k: for rational V and Σ the exact engines of the house, ``finite_cot.
    preconditioned_errors`` (m a number or a symbol, any k) and ``test_time.population_error`` (m = ∞); otherwise
    (symbolic entries, one direction) the derived k-step error operator (``derivations.lsa.error_operator``)
    integrated over S by the Wick engine, or at S = Σ for m = ∞.
    """

    is_commutative = True

    def __new__(cls, V: sp.Basic, Sigma: sp.Basic, m: sp.Expr, k: sp.Expr, target: sp.Symbol = W_STAR,
                direction: sp.Expr = 0):
        return sp.Expr.__new__(cls, V, Sigma, sp.sympify(m), sp.sympify(k), target, sp.sympify(direction))

    def _eval_is_real(self):
        return True

    def doit(self, **hints):
        V, Sigma, m, k, target, direction = self.args
        if hints.get("deep", True):
            V, Sigma, m, k, direction = (a.doit(**hints) for a in (V, Sigma, m, k, direction))
        if isinstance(V, MatrixExpr) and not isinstance(V, sp.MatrixBase) and all(s.is_Integer for s in V.shape):
            V = V.as_explicit()
        if not (isinstance(V, sp.MatrixBase) and isinstance(Sigma, sp.MatrixBase) and k.is_Integer
                and direction.is_Integer and (m is sp.oo or m.is_Integer or m.is_Symbol)):
            return self.func(V, Sigma, m, k, target, direction)
        if direction == 0 and all(x.is_Rational for x in list(V) + list(Sigma)):
            if m is sp.oo:
                from derivations.test_time import population_error

                return population_error(V, Sigma, int(k))
            from derivations.finite_cot import preconditioned_errors

            return preconditioned_errors(V, Sigma, m, int(k))[-1]
        # symbolic entries (e.g. minimising over Ṽ) or one direction: the derived error operator and the Wick engine
        from derivations.lsa import error_operator

        identity = sp.eye(Sigma.rows)
        E = error_operator(int(k), V, identity, identity)
        if m is sp.oo:
            M = E.at(Sigma)
            second = M * M.T
        else:
            second = (E * E.T).expectation(Sigma, m)
        if direction == 0:
            return sp.factor(second.trace())
        return sp.factor(second[int(direction) - 1, int(direction) - 1])

    def _latex(self, printer) -> str:
        V, _, m, k, target, direction = self.args
        model = r"\left(" + printer._print(V.args[2]) + r"\right)" if isinstance(V, MixturePreconditioner) else ""
        difference = r"\hat{w}_{" + printer._print(k) + "}" + model + " - " + printer._print(target)
        limit = r"\lim_{m \to \infty} " if m is sp.oo else ""
        if direction == 0:
            return limit + r"\mathbb{E}\|" + difference + r"\|^{2}"
        return limit + r"\mathbb{E}(" + difference + ")_{" + printer._print(direction) + "}^{2}"

    def _sympystr(self, printer) -> str:
        _, _, _, k, target, direction = self.args
        where = "" if direction == 0 else f"_{printer._print(direction)}"
        return f"E|w_{printer._print(k)} - {printer._print(target)}|^2{where}"


class _Extremum(sp.Expr):
    """The optimum of ``expr`` over ``variable``: an integer range lower..upper, or (no range) a matrix variable."""

    _operator = ""

    def __new__(cls, expr: sp.Basic, variable: sp.Basic, lower: sp.Expr | None = None, upper: sp.Expr | None = None):
        if isinstance(lower, sp.Tuple):   # rebuilt from its args (xreplace, func(*args))
            bounds = lower
        else:
                bounds = sp.Tuple() if lower is None else sp.Tuple(lower) if upper is None else sp.Tuple(lower, upper)
        return sp.Expr.__new__(cls, expr, variable, bounds)

    @property
    def is_commutative(self) -> bool:
        return True

    def _candidates(self, **hints) -> list[tuple[sp.Basic, sp.Expr]] | None:
        """(argument, value) pairs over the integer range, or the stationary point of a quadratic in a matrix."""
        expr, variable, bounds = self.args
        if len(bounds) == 1:   # a domain: the simplex
            minimiser = _simplex_minimiser(expr, variable) if isinstance(self, ArgMin) else None
            return None if minimiser is None else [(minimiser, sp.nan)]
        if bounds:
            lower, upper = (b.doit(**hints) for b in bounds)
            if not (lower.is_Integer and upper.is_Integer):
                return None
            return [(sp.Integer(i), _evaluated(expr.xreplace({variable: i}))) for i in range(int(lower), int(upper) + 1)]
        if not isinstance(variable, sp.MatrixSymbol) or not all(s.is_Integer for s in variable.shape):
            return None
        entries = sp.Matrix(*variable.shape, lambda i, j: sp.Dummy(f"v{i}{j}"))
        value = _evaluated(expr.xreplace({variable: sp.ImmutableMatrix(entries)}))
        solution = sp.solve([sp.diff(value, e) for e in entries], list(entries), dict=True)
        if len(solution) != 1:
            return None
        return [(entries.xreplace(solution[0]), sp.factor(value.xreplace(solution[0])))]

    def _latex(self, printer) -> str:
        expr, variable, bounds = self.args
        name = (", ".join(printer._print(v) for v in variable) if isinstance(variable, sp.Tuple)   # min over (V, W)
                else printer._print(variable))
        if not bounds:
            below = name
        elif len(bounds) == 1 and isinstance(bounds[0], NormBall):
            below = r"\|" + name + r"\| \le " + printer._print(bounds[0].args[0])
        elif len(bounds) == 1:
            below = name + r" \in " + printer._print(bounds[0])
        else:
            below = printer._print(bounds[0]) + r" \le " + name + r" \le " + printer._print(bounds[1])
        return self._operator + "_{" + below + "} " + printer._print(expr)


class NormBall(sp.Expr):
    r"""The domain ‖x‖ ≤ r of an extremum: ``Maximum(f(a), a, NormBall(1))`` prints \max_{\|a\| \le 1} f(a)."""

    def __new__(cls, radius: sp.Expr):
        return sp.Expr.__new__(cls, sp.sympify(radius))


def _evaluated(expr: sp.Basic) -> sp.Basic:
    """``doit`` until nothing changes (nested notation objects evaluate from the inside out); what SymPy cannot
    evaluate (NotImplementedError, e.g. a limit in k of an error with symbolic k) stays as it is."""
    for _ in range(5):
        try:
            value = expr.doit()
        except NotImplementedError:
            return expr
        if value == expr:
            break
        expr = value
    return expr


class Minimum(_Extremum):
    r"""\min_{x} f(x), unevaluated; ``doit()`` the smallest value (integer range) or the value at the stationary point
    of a convex quadratic in a matrix variable (∇f = 0 solved exactly)."""

    _operator = r"\min"

    def doit(self, **hints):
        candidates = self._candidates(**hints)
        return self if candidates is None else min((v for _, v in candidates), key=lambda v: float(v))


class Maximum(_Extremum):
    r"""\max_{x} f(x) over an integer range, unevaluated; ``doit()`` the largest value."""

    _operator = r"\max"

    def doit(self, **hints):
        candidates = self._candidates(**hints)
        return self if candidates is None else max((v for _, v in candidates), key=lambda v: float(v))


class ArgMin(_Extremum):
    r"""\operatorname*{argmin}_{x} f(x), unevaluated; ``doit()`` the minimiser (the smallest on ties)."""

    _operator = r"\operatorname*{argmin}"

    def doit(self, **hints):
        candidates = self._candidates(**hints)
        if candidates is None:
            return self
        if len(candidates) == 1:
            return candidates[0][0]
        best = min(range(len(candidates)), key=lambda i: (candidates[i][1], i))
        return candidates[best][0]


class SmallestInteger(sp.Expr):
    r"""\min\{n : C(n)\} over the positive integers, for a condition that stays true once it holds; ``doit()`` finds it
    by an exponential search and bisection on the evaluated condition (an error past ``limit``)."""

    is_commutative = True

    def __new__(cls, variable: sp.Symbol, condition: sp.Basic, limit: int = 10 ** 6):
        return sp.Expr.__new__(cls, variable, condition, sp.Integer(limit))

    def doit(self, **hints):
        variable, condition, limit = self.args
        if (condition.free_symbols - {variable}) or any(isinstance(a, sp.MatrixSymbol) for a in condition.atoms(
                sp.MatrixSymbol)):
            return self

        def holds(value: int) -> bool:
            verdict = _evaluated(condition.xreplace({variable: value}))
            if verdict not in (sp.true, sp.false):
                raise ValueError(f"cannot decide {condition} at {variable} = {value}")
            return bool(verdict)

        high = 1
        while not holds(high):
            high *= 2
            if high > limit:
                raise ValueError(f"no {variable} ≤ {limit} satisfies {condition}")
        low = high // 2
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if holds(middle) else (middle, high)
        return sp.Integer(high)

    def _latex(self, printer) -> str:
        variable, condition, _ = self.args
        return r"\min\left\{" + printer._print(variable) + " : " + printer._print(condition) + r"\right\}"


class Family(sp.Expr):
    r"""The column (f(1), ..., f(d)) of one expression per index, printed \left(f(j)\right)_{j=1}^{d}; ``doit()`` with an
    explicit d gives the explicit column."""

    is_commutative = True

    def __new__(cls, expr: sp.Basic, index: sp.Symbol, size: sp.Expr):
        return sp.Expr.__new__(cls, expr, index, sp.sympify(size))

    def doit(self, **hints):
        expr, index, size = self.args
        size = size.doit(**hints)
        if not size.is_Integer:
            return self.func(expr, index, size)
        return sp.ImmutableMatrix([_evaluated(expr.xreplace({index: i})) for i in range(1, int(size) + 1)])

    def _latex(self, printer) -> str:
        expr, index, size = self.args
        return (r"\left(" + printer._print(expr) + r"\right)_{" + printer._print(index) + "=1}^{"
                + printer._print(size) + "}")


class Eigenvalue(sp.Expr):
    r"""λ_j(M), printed \lambda_{j}: for a diagonal M the entry M_jj (the eigenvalue of coordinate direction j),
    otherwise the j-th largest eigenvalue (with multiplicity); ``doit()`` exact for an explicit M."""

    is_commutative = True

    def __new__(cls, M: sp.Basic, index: sp.Expr):
        return sp.Expr.__new__(cls, M, sp.sympify(index))

    def _eval_is_positive(self):
        return True

    def doit(self, **hints):
        M, index = (a.doit(**hints) for a in self.args)
        if not (isinstance(M, sp.MatrixBase) and index.is_Integer):
            return self.func(M, index)
        if M.is_diagonal():
            return M[int(index) - 1, int(index) - 1]
        values = sorted((v for v, count in M.eigenvals().items() for _ in range(count)),
                        key=lambda v: -float(sp.re(v.evalf(30))))
        return values[int(index) - 1]

    def _latex(self, printer) -> str:
        return r"\lambda_{" + printer._print(self.args[1]) + "}"


class _MatrixFunction(sp.Expr):
    r"""f(M) of one matrix, unevaluated: prints ``latex_name``\left(M\right); ``doit()`` gives ``value(M)`` once M is
    an explicit matrix (a matrix expression free of matrix symbols is made explicit first)."""

    is_commutative = True
    latex_name = ""

    def __new__(cls, M: sp.Basic):
        return sp.Expr.__new__(cls, M)

    def value(self, M: sp.MatrixBase) -> sp.Expr:  # pragma: no cover - every concept defines it
        raise NotImplementedError

    def doit(self, **hints):
        M = self.args[0].doit(**hints)
        if (isinstance(M, MatrixExpr) and not isinstance(M, sp.MatrixBase) and all(s.is_Integer for s in M.shape)
                and not M.atoms(sp.MatrixSymbol)):
            M = M.as_explicit()
        if not isinstance(M, sp.MatrixBase):
            return self.func(M)
        return self.value(M)

    def _latex(self, printer) -> str:
        return self.latex_name + r"\left(" + printer._print(self.args[0]) + r"\right)"


class SmallestEigenvalue(_MatrixFunction):
    r"""λ_min(M), printed \lambda_{\min}(M); exact for an explicit M (``derivations.hardness``)."""

    latex_name = r"\lambda_{\min}"

    def _eval_is_positive(self):
        return True

    def value(self, M: sp.MatrixBase) -> sp.Expr:
        from derivations.hardness import smallest_eigenvalue

        return smallest_eigenvalue(M)


class Hardness(_MatrixFunction):
    r"""Hard(Λ) = tr Λ / λ_min(Λ) (2510.03605 Thm 3.3), printed \operatorname{Hard}(\Lambda); exact."""

    latex_name = r"\operatorname{Hard}"

    def _eval_is_positive(self):
        return True

    def value(self, M: sp.MatrixBase) -> sp.Expr:
        from derivations.hardness import hardness

        return hardness(M)


class SpectralRadius(_MatrixFunction):
    r"""ρ(M) = max |eigenvalue|, printed \rho\left(M\right); exact for an explicit M."""

    latex_name = r"\rho"

    def _eval_is_nonnegative(self):
        return True

    def value(self, M: sp.MatrixBase) -> sp.Expr:
        return sp.Max(*(sp.Abs(v) for v in M.eigenvals()))


class PositiveSemidefinite(sp.logic.boolalg.Boolean, sp.Basic):
    r"""M ⪰ 0, printed M \succeq 0 (``holds=False``: M ⋡ 0, printed M \not\succeq 0); ``doit()`` decides it exactly
    for an explicit symmetric M."""

    def __new__(cls, M: sp.Basic, holds: bool | sp.Basic = True):
        return sp.Basic.__new__(cls, M, sp.true if holds in (True, sp.true) else sp.false)

    def doit(self, **hints):
        M, holds = self.args
        M = M.doit(**hints)
        if isinstance(M, MatrixExpr) and not isinstance(M, sp.MatrixBase) and all(s.is_Integer for s in M.shape):
            M = M.as_explicit()
        if not isinstance(M, sp.MatrixBase):
            return self.func(M, holds)
        return sp.true if sp.Matrix(M).is_positive_semidefinite == bool(holds) else sp.false

    def _latex(self, printer) -> str:
        return printer._print(self.args[0]) + (r" \succeq 0" if self.args[1] else r" \not\succeq 0")


class EventuallyIncreasing(sp.logic.boolalg.Boolean, sp.Basic):
    r"""∃k₀ ∀k ≥ k₀: f(k + 1) > f(k) (more steps eventually hurt), printed with the quantifiers. A statement about
    the whole sequence: ``doit()`` keeps it (the records decide it by their criterion, e.g. ρ > 1)."""

    def __new__(cls, expr: sp.Basic, index: sp.Symbol):
        return sp.Basic.__new__(cls, expr, index)

    def doit(self, **hints):
        return self

    def _latex(self, printer) -> str:
        expr, index = self.args
        k0 = index.name + "_{0}"
        return (r"\exists " + k0 + r"\ \forall " + printer._print(index) + r" \ge " + k0 + r":\ "
                + printer._print(expr.xreplace({index: index + 1})) + " > " + printer._print(expr))


def evaluate_at(expr: sp.Basic, values: dict[sp.Basic, object]) -> sp.Basic:
    """Put explicit values in for the symbols of a statement and evaluate it: matrices for MatrixSymbols (their
    dimension symbols, e.g. d, become the sizes and I_d the identity), numbers for scalar symbols; then every notation
    object is evaluated (``doit`` until nothing changes). An explicit matrix comes back with expanded entries."""
    expr = _rename_bound(expr, set(values))
    lists = {s: list(v) for s, v in values.items() if isinstance(v, (list, tuple))}
    if lists:   # per-task values (a list per symbol): expand the sums over tasks, then bind the rest as tuples
        expr = _expand_task_sums(expr, lists)
        values = {s: (sp.Tuple(*(sp.ImmutableMatrix(x) if isinstance(x, (list, sp.MatrixBase)) else x for x in v))
                      if s in lists else v) for s, v in values.items()}
    matrices = {s: sp.ImmutableMatrix(v) for s, v in values.items() if isinstance(s, sp.MatrixSymbol)
                and not isinstance(v, sp.Tuple)}
    scalars = {s: v if isinstance(v, sp.Tuple) else sp.sympify(v) for s, v in values.items() if s not in matrices}
    sizes = {dim: sp.Integer(actual) for s, M in matrices.items() for dim, actual in zip(s.shape, M.shape)
             if dim.is_Symbol}
    sizes.update({s: v for s, v in scalars.items() if s.is_Symbol and s in sizes})
    identities = {sp.Identity(dim): sp.ImmutableMatrix(sp.eye(size)) for dim, size in {**sizes, **scalars}.items()
                  if dim.is_Symbol and getattr(size, "is_Integer", False)}
    result = _evaluated(expr.xreplace({**identities, **matrices, **scalars}).xreplace(sizes))
    if isinstance(result, MatrixExpr) and not isinstance(result, sp.MatrixBase):
        result = result.as_explicit()
    if isinstance(result, sp.MatrixBase):
        return sp.ImmutableMatrix(result.applyfunc(sp.expand))
    return result


class Component(sp.Expr):
    r"""The i-th entry v_i of a vector-valued expression (e.g. π*_ℓ of the optimal mixture), printed v_{i};
    ``doit()`` evaluates the vector and takes the entry."""

    is_commutative = True

    def __new__(cls, vector: sp.Basic, index: int | sp.Expr):
        return sp.Expr.__new__(cls, vector, sp.sympify(index))

    def doit(self, **hints):
        vector, index = self.args
        value = _evaluated(vector)
        if isinstance(value, sp.MatrixBase) and index.is_Integer:
            return value[int(index) - 1]
        return self.func(value, index)

    def _latex(self, printer) -> str:
        vector, index = self.args
        base = printer._print(vector) if isinstance(vector, (Defined, sp.Symbol)) else printer.parenthesize(vector, 1000)
        return base + "_{" + printer._print(index) + "}"


class Defined(sp.Expr):
    """A named quantity: prints its name, ``doit()`` gives its definition (e.g. π^sel := the selected mixture)."""

    is_commutative = True

    def __new__(cls, name: sp.Basic, definition: sp.Basic):
        return sp.Expr.__new__(cls, name, definition)

    def doit(self, **hints):
        return _evaluated(self.args[1])

    def _latex(self, printer) -> str:
        return printer._print(self.args[0])

    def _sympystr(self, printer) -> str:
        return printer._print(self.args[0])


class Simplex(sp.Basic):
    r"""The probability simplex Δ over L tasks (a domain for ``ArgMin``), printed \Delta."""

    def __new__(cls, size: int | sp.Expr):
        return sp.Basic.__new__(cls, sp.sympify(size))

    def _latex(self, printer) -> str:
        return r"\Delta"


class MixturePreconditioner(MatrixExpr):
    r"""Ṽ(π): the LSA block trained on the task mixture with probabilities π over tasks (Λ_ℓ, n_ℓ) (2510.03605 §4),
    printed \tilde{V}\left(\pi\right). ``doit()`` with explicit tasks and weights solves the mixture's stationarity
    exactly (``derivations.multitask.multitask_preconditioner``); float weights (a numerical optimum) are first
    rounded to 3 decimals (``task_selection.rational_weights``), as the experiment's trained models are."""

    def __new__(cls, covariances: sp.Basic, lengths: sp.Basic, weights: sp.Basic):
        return MatrixExpr.__new__(cls, covariances, lengths, weights)

    @property
    def shape(self):
        covariances = self.args[0]
        first = covariances[0] if isinstance(covariances, sp.Tuple) else covariances
        return first.shape

    def doit(self, **hints):
        covariances, lengths, weights = (_evaluated(a) for a in self.args)
        if not (isinstance(covariances, sp.Tuple) and isinstance(lengths, sp.Tuple)
                and isinstance(weights, (sp.Tuple, sp.MatrixBase)) and all(w.is_number for w in weights)):
            return self.func(covariances, lengths, weights)
        from derivations.multitask import Task, multitask_preconditioner
        from derivations.task_selection import rational_weights

        weights = list(weights)
        if any(isinstance(w, sp.Float) for w in weights):
            weights = rational_weights([float(w) for w in weights])
        tasks = [Task.of(L, n) for L, n in zip(covariances, lengths)]
        return sp.ImmutableMatrix(multitask_preconditioner(tasks, weights))

    def _entry(self, i, j, **kwargs):
        return self.doit()[i, j]

    def _latex(self, printer) -> str:
        return r"\tilde{V}\left(" + printer._print(self.args[2]) + r"\right)"


def _simplex_minimiser(objective: sp.Basic, variable: sp.Basic) -> sp.ImmutableMatrix | None:
    """argmin over the simplex of the m → ∞ error of the mixture-trained LSA, F_k(π) = ‖(I + Ṽ(π)Σ)^k‖²_F: SLSQP from
    the lattice points (``task_selection.optimise_true_objective``); None for any other objective."""
    if not isinstance(objective, ExpectedSquaredError):
        return None
    V, Sigma, m, k, _, direction = objective.args
    Sigma = _evaluated(Sigma)
    if not (isinstance(V, MixturePreconditioner) and V.args[2] == variable and m is sp.oo and direction == 0
            and isinstance(Sigma, sp.MatrixBase) and k.is_Integer):
        return None
    covariances, lengths = (_evaluated(a) for a in V.args[:2])
    if not (isinstance(covariances, sp.Tuple) and isinstance(lengths, sp.Tuple)):
        return None
    from derivations.multitask import Task
    from derivations.task_selection import TrueObjective, optimise_true_objective

    tasks = [Task.of(L, n) for L, n in zip(covariances, lengths)]
    optimum = optimise_true_objective(TrueObjective.of(tasks, Sigma, int(k)))
    return sp.ImmutableMatrix([sp.Float(float(w)) for w in optimum.weights])


def _bound_variables(expr: sp.Basic) -> list[sp.Basic]:
    """The variables a notation object (or a SymPy limit or sum) binds."""
    if isinstance(expr, sp.Limit):
        return [expr.args[1]]
    if isinstance(expr, sp.Sum):
        return [limit[0] for limit in expr.limits]
    if isinstance(expr, TaskSum):
        return [expr.args[1]]
    if isinstance(expr, (_Extremum, Family, EventuallyIncreasing)):
        return [expr.args[1]]
    if isinstance(expr, SmallestInteger):
        return [expr.args[0]]
    return []


def _rename_bound(expr: sp.Basic, names: set[sp.Basic]) -> sp.Basic:
    """Rename the bound variables that clash with ``names`` (a parameter m must not replace the m of lim_{m→∞})."""
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    args = tuple(_rename_bound(a, names) for a in expr.args)
    if args != expr.args:
        expr = expr.func(*args)
    clashes = [v for v in _bound_variables(expr) if v in names and isinstance(v, sp.Symbol)]
    if clashes:
        expr = expr.xreplace({v: sp.Dummy(v.name, **v.assumptions0) for v in clashes})
    return expr


def _expand_task_sums(expr: sp.Basic, lists: dict[sp.Basic, list]) -> sp.Basic:
    """Σ_ℓ over per-task symbols bound to lists: the explicit sum of the body at each task's values."""
    def is_task_sum(e: sp.Basic) -> bool:
        return isinstance(e, (sp.Sum, TaskSum)) and any(e.function.has(s) for s in lists)

    def expand(e: sp.Sum) -> sp.Basic:
        count = len(next(v for s, v in lists.items() if e.function.has(s)))
        terms = [evaluate_at(e.function, {s: v[i] for s, v in lists.items()}) for i in range(count)]
        return sum(terms[1:], terms[0])

    return expr.replace(is_task_sum, expand)


class TaskSum(MatrixExpr):
    r"""Σ_{ℓ=1}^{L} of a matrix expression in per-task symbols (π_ℓ, Λ_ℓ, n_ℓ), printed \sum_{\ell=1}^{L}; it
    evaluates when those symbols are given one value per task (``evaluate_at`` with lists)."""

    def __new__(cls, body: MatrixExpr, index: sp.Symbol, count: sp.Expr):
        return MatrixExpr.__new__(cls, body, index, sp.sympify(count))

    @property
    def shape(self):
        return self.args[0].shape

    @property
    def function(self) -> MatrixExpr:
        return self.args[0]

    def _latex(self, printer) -> str:
        body, index, count = self.args
        return (r"\sum_{" + printer._print(index) + "=1}^{" + printer._print(count) + "} "
                + printer.parenthesize(body, 50))


class PseudoInverse(MatrixExpr):
    """M†, unevaluated (prints M^{\\dagger}); ``doit`` gives the exact Moore–Penrose inverse of an explicit M."""

    def __new__(cls, M: sp.Basic):
        return MatrixExpr.__new__(cls, M)

    @property
    def shape(self):
        rows, cols = self.args[0].shape
        return cols, rows

    def doit(self, **hints):
        M = self.args[0].doit(**hints)
        if isinstance(M, MatrixExpr) and not isinstance(M, sp.MatrixBase):
            try:
                M = sp.Matrix(M.as_explicit())
            except (ValueError, TypeError, AttributeError):
                return PseudoInverse(M)
        return M.pinv()

    def _entry(self, r, c, **kwargs):
        return self.doit()[r, c]

    def _latex(self, printer) -> str:
        inner = printer._print(self.args[0])
        if not isinstance(self.args[0], sp.MatrixSymbol):
            inner = r"\left(" + inner + r"\right)"
        return inner + r"^{\dagger}"


class ExtremeEigenvalue(sp.Expr):
    """λ_max(M) or λ⁺_min(M) (smallest non-zero eigenvalue) of a symmetric PSD M, unevaluated."""

    def __new__(cls, M: sp.Basic, largest: bool):
        return sp.Expr.__new__(cls, M, sp.true if largest else sp.false)

    def doit(self, **hints):
        M = self.args[0].doit(**hints)
        if isinstance(M, MatrixExpr) and not isinstance(M, sp.MatrixBase):
            M = sp.Matrix(M.as_explicit())
        values = [root for root in M.charpoly().all_roots() if root != 0]   # exact, comparable (CRootOf)
        return sp.Max(*values) if self.args[1] else sp.Min(*values)

    def _latex(self, printer) -> str:
        name = r"\lambda_{\max}" if self.args[1] else r"\lambda^{+}_{\min}"
        return name + r"\left(" + printer._print(self.args[0]) + r"\right)"
