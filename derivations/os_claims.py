r"""Exact predictions for the outcome-supervision claims of arXiv 2603.01293 (§4 rows 1, 10, 11; §6, §7, Figs 3–4).

Setting: OS prompts of n examples x ~ N(0, A) with w* ~ N(0, I), k CoT steps, W̃ = I, Ṽ trained by gradient descent
from the pretrained init −Γ₀⁻¹ (``pretraining.trained_preconditioner``); post-test = one step (k = 1 at test, §1.8)
on prompts of m examples from Σ = Σ₀ + Δ: Err(Ṽ) = E‖(I + ṼŜ_m)w*‖².

**The diagonal reduction.** For a diagonal A the population OS loss L_k(Ṽ) = ½E‖(I + ṼŜ)^k‖²_F is invariant under
Ṽ ↦ DṼD for every sign matrix D (x ↦ Dx leaves N(0, A) invariant and maps Ŝ ↦ DŜD). Its gradient at a diagonal Ṽ
is therefore diagonal, and GD from a diagonal init (−Γ₀⁻¹ for diagonal Σ₀) stays on the diagonal Ṽ = diag(v). On
that line L_k is a polynomial of total degree ≤ 2k in v_1..v_d: ``diagonal_population_error`` recovers it EXACTLY
by tensor-product Lagrange interpolation of the exact finite-n engine values (``finite_cot.preconditioned_errors``)
on the grid {0..2k}^d (a polynomial of degree ≤ 2k in each variable is fixed by 2k + 1 values per variable).

**Population GD (B → ∞).** ``population_gd`` iterates v ← v − η ∇_v L_k(v) on that exact polynomial in mpmath
(``DIGITS`` significant digits: the iterates' rational denominators would grow like (2k − 1)^t). The gradient along
the diagonal is the full gradient's diagonal (the off-diagonal part vanishes, above). A run *diverges* when its loss
exceeds ``BLOWUP`` times the initial one (the simulator's criterion, verify.outcome_supervision.train_outcome_runs).

**Finite B, k = 1 (claim os-data).** With k = 1 the OS loss over B prompts is a least-squares problem,
L = 1/(2B)‖Ω + ṼΦ‖²_F (Φ = [S_τw*_τ]); its minimiser Ṽ_B (GD's limit for B ≥ d) is an M-estimator of the population
optimum Ṽ_∞ = −Γ_n⁻¹ (Γ_n = (1 + 1/n)A + tr(A)/n·I: ∇L_1 = 0 is the pretraining condition, eq. 3.7). Its post-test
error has the classical expansion

    E Err(Ṽ_B) = Err(Ṽ_∞) + ∇Err·E[δ] + ½ tr(∇²Err · Cov δ) + O(B⁻²),  δ = Ṽ_B − Ṽ_∞,
    Cov δ = H⁻¹ C H⁻¹ / B,  H = ∇²L_1 = (A Γ_n) ⊗ I,  C = Cov(vec g),  g = (I + ṼS)w*w*ᵀS at Ṽ_∞,

and E[δ] = O(1/B); with m = n the test error is 2L_1, ∇Err(Ṽ_∞) = 0, and the 1/B coefficient is
c = tr(H⁻¹C) (``finite_b_coefficient``: E[g ⊗ g] exactly, w* by Isserlis and Ŝ by the Wick engine, degree 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import product

import mpmath
import sympy as sp

from derivations.finite_cot import preconditioned_errors
from derivations.outcome import largest_eigenvalue, population_os_hessian
from derivations.pretraining import trained_preconditioner
from derivations.spoly import SPoly
from derivations.validation import cot_steps, exact_covariance, exact_matrix, exact_scalar, prompt_length
from icl_errors import InputError

DIGITS = 30
BLOWUP = 10 ** 8


def _diagonal_covariance(A) -> sp.ImmutableMatrix:
    A_ = exact_covariance(A, "A")
    if any(A_[r, c] != 0 for r in range(A_.rows) for c in range(A_.cols) if r != c):
        raise InputError("A must be diagonal (the diagonal reduction needs the sign symmetry x ↦ Dx)")
    if not all(x.is_Rational and x > 0 for x in A_.diagonal()):
        raise InputError("A must have positive rational diagonal entries")
    return sp.ImmutableMatrix(A_)


def _length(n) -> int:
    n_ = prompt_length(n)
    if not n_.is_Integer:
        raise InputError(f"the prompt length must be a number, got {n_}")
    return int(n_)


def diagonal_symbols(d: int) -> tuple[sp.Symbol, ...]:
    """v_1..v_d: the diagonal of Ṽ."""
    return sp.symbols(f"v_1:{d + 1}")


@cache
def _diagonal_error(A: sp.ImmutableMatrix, n: int, k: int) -> sp.Poly:
    d = A.rows
    v = diagonal_symbols(d)
    nodes = [sp.Integer(-j) for j in range(2 * k + 1)]          # Ṽ = −diag(nodes): the engine's natural sign
    basis = []
    for j, node in enumerate(nodes):
        others = [x for i, x in enumerate(nodes) if i != j]
        basis.append(lambda t, node=node, others=others: sp.prod([(t - o) / (node - o) for o in others]))
    total = sp.Integer(0)
    for point in product(range(len(nodes)), repeat=d):
        value = preconditioned_errors(sp.diag(*[nodes[i] for i in point]), A, n, k)[-1]
        if value != 0:
            total += value * sp.prod([basis[i](v[axis]) for axis, i in enumerate(point)])
    return sp.Poly(sp.expand(total), *v)


def diagonal_population_error(A, n, k: int) -> sp.Poly:
    """E‖(I + diag(v)Ŝ)^k‖²_F as an exact polynomial in v = (v_1..v_d), Ŝ from n examples of N(0, A), A diagonal."""
    return _diagonal_error(_diagonal_covariance(A), _length(n), cot_steps(k, maximum=6))


def post_test_error(V, Sigma, m) -> sp.Expr:
    """Err(Ṽ) = E‖(I + ṼŜ_m)w*‖² (one step at test, m examples from N(0, Σ)) for a diagonal Ṽ given as a list of
    its diagonal entries (exact or mpmath)."""
    poly = diagonal_population_error(Sigma, m, 1)
    return poly.eval(dict(zip(poly.gens, V))) if all(isinstance(x, sp.Basic) for x in V) else \
        _evaluate(poly, list(V))


def _evaluate(poly: sp.Poly, point: list) -> mpmath.mpf:
    total = mpmath.mpf(0)
    for exponents, coefficient in poly.terms():
        term = mpmath.mpf(coefficient.p) / coefficient.q
        for x, e in zip(point, exponents):
            term *= x ** e
        total += term
    return total


@dataclass(frozen=True)
class PopulationRun:
    """Population GD on ½E‖(I + diag(v)Ŝ)^k‖²_F: the losses (½E‖·‖²) at steps 0.., the final diagonal v, and the step
    at which the loss first exceeded BLOWUP × the initial one (None: the run finished)."""

    losses: tuple[mpmath.mpf, ...]
    v: tuple[mpmath.mpf, ...]
    diverged_at: int | None


def population_gd(A, n, k: int, V_init, step, steps: int) -> PopulationRun:
    """GD with step η for ``steps`` steps on the exact B → ∞ OS loss ½E‖(I + ṼŜ)^k‖²_F from the diagonal ``V_init``."""
    poly = diagonal_population_error(A, n, k)
    init = exact_matrix(V_init, "V_init") if not isinstance(V_init, (list, tuple)) else sp.diag(*V_init)
    if init.shape != (len(poly.gens),) * 2 or any(init[r, c] != 0 for r in range(init.rows)
                                                   for c in range(init.cols) if r != c):
        raise InputError("V_init must be a diagonal matrix of the same size as A")
    eta = exact_scalar(step, "step")
    if not (eta.is_number and eta > 0):
        raise InputError(f"step must be positive, got {step!r}")
    steps = cot_steps(steps, "steps", maximum=10 ** 5)
    gradient = [poly.diff(g) for g in poly.gens]
    with mpmath.workdps(DIGITS):
        eta_ = mpmath.mpf(sp.Rational(eta).p) / sp.Rational(eta).q
        v = [mpmath.mpf(sp.Rational(x).p) / sp.Rational(x).q for x in init.diagonal()]
        losses = [_evaluate(poly, v) / 2]
        for t in range(1, steps + 1):
            v = [x - eta_ * _evaluate(g, v) / 2 for x, g in zip(v, gradient)]
            losses.append(_evaluate(poly, v) / 2)
            if not mpmath.isfinite(losses[-1]) or losses[-1] > BLOWUP * losses[0]:
                return PopulationRun(tuple(losses), tuple(v), t)
        return PopulationRun(tuple(losses), tuple(v), None)


def trained_post_test_error(Sigma, n, k: int, V_init, step, steps: int, m) -> tuple[mpmath.mpf, bool]:
    """(Err after population GD, diverged): OS prompts from Σ itself (post-training on the post-test distribution)."""
    finished, error = _trained(*_run_key(Sigma, n, k, V_init, step, steps), _length(m))
    return (error if finished else mpmath.inf), not finished


def _run_key(Sigma, n, k, V_init, step, steps) -> tuple:
    V = exact_matrix(V_init, "V_init") if not isinstance(V_init, (list, tuple)) else sp.diag(*V_init)
    return (_diagonal_covariance(Sigma), _length(n), cot_steps(k, maximum=6), sp.ImmutableMatrix(V),
            exact_scalar(step, "step"), cot_steps(steps, "steps", maximum=10 ** 5))


@cache
def _trained(Sigma, n, k, V_init, step, steps, m) -> tuple[bool, mpmath.mpf]:
    run = population_gd(Sigma, n, k, V_init, step, steps)
    if run.diverged_at is not None:
        return False, mpmath.mpf(0)
    with mpmath.workdps(DIGITS):
        return True, post_test_error(run.v, Sigma, m)


def stability_step(Sigma0, Delta, n0, n, k: int) -> sp.Rational:
    """η = 1/⌈λ_max⌉ of the exact population OS Hessian at −Γ₀⁻¹ on Σ = Σ₀ + Δ: half the linear-stability bound
    2/λ_max (rounded down to a unit fraction), the largest step of that form GD tolerates there with margin 2."""
    V0 = trained_preconditioner(_diagonal_covariance(Sigma0), n0)
    Sigma = _diagonal_covariance(exact_covariance(Sigma0, "Sigma0") + exact_covariance(Delta, "Delta"))
    return 1 / sp.ceiling(largest_eigenvalue(population_os_hessian(V0, Sigma, n, k)))


# --- notation (prints as the claim reads; ``doit`` evaluates explicit arguments) ------------------------------------

def _explicit(*args) -> bool:
    return all(isinstance(a, sp.MatrixBase) or (isinstance(a, sp.Basic) and a.is_number) for a in args)


class _PopulationOSRun(sp.Expr):
    """After T GD steps with step η on ½E‖(I + ṼŜ)^k‖²_F (Ŝ from n examples of N(0, Σ)) from Ṽ_0: see subclasses."""

    is_commutative = True

    def __new__(cls, Sigma, V_init, n, k, step, steps):
        return sp.Expr.__new__(cls, Sigma, V_init, *(sp.sympify(a) for a in (n, k, step, steps)))

    def doit(self, **hints):
        args = [a.doit(**hints) for a in self.args]
        if isinstance(args[1], sp.MatrixExpr) and not isinstance(args[1], sp.MatrixBase):
            args[1] = args[1].as_explicit() if all(s.is_Integer for s in args[1].shape) else args[1]
        if not _explicit(*args):
            return self.func(*args)
        Sigma, V_init, n, k, step, steps = args
        finished, error = _trained(*_run_key(Sigma, n, k, V_init, step, steps), _length(n))
        return self._value(finished, error)

    def _value(self, finished: bool, error: mpmath.mpf) -> sp.Expr:  # pragma: no cover - interface
        raise NotImplementedError

    def _run_latex(self, printer) -> str:
        Sigma, V_init, n, k, step, steps = (printer._print(a) for a in self.args)
        return (rf"\tilde V_{{{steps}}}\left[\mathcal{{L}}_{{OS}}^{{({k})}};\ {Sigma},\ {n},\ "
                rf"\tilde V_{{0}}={V_init},\ \eta={step}\right]")


class PopulationOSFinished(_PopulationOSRun):
    """1 if population GD stayed below BLOWUP × its initial loss for all T steps, else 0."""

    def _value(self, finished, error):
        return sp.Integer(int(finished))

    def _latex(self, printer) -> str:
        return r"\mathbb{1}\left[" + self._run_latex(printer) + r"\ \text{finite}\right]"


class PopulationOSPostTest(_PopulationOSRun):
    """Err(Ṽ_T) = E‖(I + Ṽ_TŜ_n)w*‖² (one step at test, test prompts of n examples from Σ) if the run finished, else 0."""

    def _value(self, finished, error):
        return sp.Float(error, DIGITS) if finished else sp.Integer(0)

    def _latex(self, printer) -> str:
        return (r"\mathbb{E}\|\hat{w}_{1} - w^{*}\|^{2}\Big|_{" + self._run_latex(printer) + r"}\cdot\mathbb{1}"
                r"\left[\text{finite}\right]")


class FiniteBCoefficient(sp.Expr):
    """c = tr(H⁻¹C) of the k = 1 OS least-squares solution on B prompts (n examples of N(0, Σ)), unevaluated."""

    is_commutative = True

    def __new__(cls, Sigma, n):
        return sp.Expr.__new__(cls, Sigma, sp.sympify(n))

    def doit(self, **hints):
        Sigma, n = (a.doit(**hints) for a in self.args)
        return finite_b_coefficient(Sigma, n) if _explicit(Sigma, n) else FiniteBCoefficient(Sigma, n)

    def _latex(self, printer) -> str:
        Sigma, n = (printer._print(a) for a in self.args)
        return (r"\operatorname{tr}\left(H^{-1} \operatorname{Cov}\left[\operatorname{vec}\nabla\ell\right]\right)_{"
                + Sigma + ", " + n + "}")


def pretrained_init(Sigma0, n0) -> list[sp.Rational]:
    """The diagonal of −Γ₀⁻¹ (pretrained on prompts of n₀ examples from a diagonal Σ₀)."""
    V0 = trained_preconditioner(_diagonal_covariance(Sigma0), n0)
    return list(V0.diagonal())


# --- finite B at k = 1 ---------------------------------------------------------------------------------------------

def _unit(d: int, r: int, c: int) -> sp.Matrix:
    return sp.Matrix(d, d, lambda i, j: 1 if (i, j) == (r, c) else 0)


def gradient_second_moment(V, A, n) -> sp.Matrix:
    """E[vec g vec gᵀ] (row-major vec, d²×d²) of the per-prompt k = 1 OS gradient g = (I + ṼS)w*w*ᵀS, exact.

    With a = Mw*, b = Sw*, M = I + ṼS: E_w[a_i b_j a_k b_l] = (MMᵀ)_ik(SS)_jl + (MS)_ij(MS)_kl + (MS)_il(MS)_kj
    (Isserlis, S symmetric), and E_S of each product X_pq Y_rs = (X E_qr Y)_ps by the Wick engine (SPoly)."""
    A_ = exact_covariance(A, "A")
    V_ = sp.Matrix(V)
    d = A_.rows
    S = SPoly.sample_covariance(sp.eye(d))
    M = SPoly.constant(sp.eye(d)) + SPoly.constant(V_) * S
    MM, SS, MS = M * M.T, S * S, M * S
    n_ = prompt_length(n)

    def pair(X, p, q, Y, r, s):   # E[X_pq Y_rs]
        return (X * SPoly.constant(_unit(d, q, r)) * Y).expectation(A_, n_)[p, s]

    index = [(i, j) for i in range(d) for j in range(d)]
    return sp.Matrix(d * d, d * d, lambda a, b: (
        pair(MM, index[a][0], index[b][0], SS, index[a][1], index[b][1])
        + pair(MS, index[a][0], index[a][1], MS, index[b][0], index[b][1])
        + pair(MS, index[a][0], index[b][1], MS, index[b][0], index[a][1])))


def finite_b_coefficient(A, n) -> sp.Rational:
    """c in E Err(Ṽ_B) = Err(Ṽ_∞) + c/B + O(B⁻²) at k = 1, train and test length n, A = Σ: c = tr(H⁻¹C)."""
    return _finite_b(sp.ImmutableMatrix(exact_covariance(A, "A")), prompt_length(n))


@cache
def _finite_b(A_: sp.ImmutableMatrix, n_: sp.Expr) -> sp.Rational:
    V = trained_preconditioner(A_, n_)
    d = A_.rows
    gamma = (-V).inv()
    H = sp.kronecker_product(sp.eye(d), A_ * gamma)   # ∇²L_1 in row-major vec(Ṽ): tr(ṼQṼᵀ)/2 with Q = E S² = AΓ
    C = gradient_second_moment(V, A_, n_)              # E g = 0 at the optimum: the second moment is the covariance
    return sp.simplify((H.inv() * C).trace())


# --- validated inputs of the records built on these helpers -------------------------------------------------------

OS_STEPS_LIMIT = 3        # the exact OS polynomial at k = 4 already takes ~4 s per covariance
GD_STEPS_LIMIT = 10_000   # population GD steps (mpmath, 30 digits)


def validated_setting(Sigmas: dict, Delta, lengths: dict, k, steps) -> tuple[dict, sp.Matrix, dict, int, int]:
    """Validated covariances (each plus Δ diagonal, as the exact OS helpers need), Δ, prompt lengths (numbers),
    k ≤ OS_STEPS_LIMIT and GD steps ≤ GD_STEPS_LIMIT; InputError naming the argument otherwise."""
    covariances = {name: exact_covariance(value, name) for name, value in Sigmas.items()}
    shift = exact_covariance(Delta, "Delta")
    for name, S0 in covariances.items():
        if S0.shape != shift.shape:
            raise InputError(f"{name} is {S0.rows}×{S0.cols} but Delta is {shift.rows}×{shift.cols}")
        if not (S0 + shift).is_diagonal():
            raise InputError(f"{name} + Delta must be diagonal (the exact OS loss is reduced to diagonal Ṽ)")
    numbers = {name: prompt_length(value, name) for name, value in lengths.items()}
    if not all(v.is_Integer for v in numbers.values()):
        raise InputError(f"the prompt lengths {', '.join(numbers)} must be numbers")
    if cot_steps(k, maximum=OS_STEPS_LIMIT) < 1:
        raise InputError("k must be at least 1: outcome supervision rolls out at least one step")
    return (covariances, shift, numbers, cot_steps(k, maximum=OS_STEPS_LIMIT),
            cot_steps(steps, "steps", maximum=GD_STEPS_LIMIT))


def gd_step(step) -> sp.Expr:
    """A GD step size: a finite positive number."""
    value = exact_scalar(step, "step")
    if not (value.is_number and value.is_finite and value.is_positive):
        raise InputError(f"step must be a finite positive number, got {step!r}")
    return value
