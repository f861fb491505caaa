r"""Exact expectations of polynomials in the entries of a Wishart matrix with diagonal covariance (python-flint).

Let T = (1/m) Σ_{i≤m} z_i z_iᵀ with z_i ~ N(0, D), D = diag(D_1..D_d). Its d(d+1)/2 free entries t_v (v = (i, j),
i ≤ j) are the variables of a python-flint ``fmpq_mpoly`` ring. The moment generating function of the entries is the
Wishart MGF (e.g. Muirhead 1982, Thm 3.2.3)

    E exp(Σ_v φ_v t_v) = E exp(tr(ΘT)) = det(I − 2ΘD/m)^{−m/2},     Θ_ii = φ_ii, Θ_ij = Θ_ji = φ_ij/2 (i ≠ j),

(tr(ΘT) counts each off-diagonal t_ij twice, hence the halves), so for a monomial t^α = Π_v t_v^{α_v}

    E[t^α] = α! · [φ^α] det(I − 2ΘD/m)^{−m/2},      α! = Π_v α_v!,

and E[f(T)] = Σ_α c_α α! [φ^α] MGF for f = Σ_α c_α t^α: a pairing of the coefficient lists of f and of the MGF.

Why this form (rather than the cumulant series Σ_j (2^{j−1}/j) m^{1−j} tr((ΘD)^j) or a Wick sum over pairings):
P(φ) := det(I − 2ΘD/m) = Σ_{j≤d} (−2/m)^j e_j(ΘD) is a polynomial of degree d only, with
e_j(ΘD) = Σ_{|I|=j} det(Θ_II) Π_{i∈I} D_i (principal minors, few terms). The homogeneous components F_r of
F = P^a (a = −m/2) follow from Euler's identity P·ΣφF_φ = a·F·ΣφP_φ, degree by degree:

    r F_r = Σ_{j=1}^{min(d, r)} (a j − (r − j)) P_j F_{r−j},      F_0 = 1,

d products of a small polynomial with a previous component per degree, and no truncation waste. With a diagonal D the
MGF is invariant under t_ij → −t_ij for a flipped index, so F_r holds only the monomials whose every index has even
degree (about 2^{1−d} of all): the pairing runs over that support. Written with u = 1/m the coefficient
(a j − r + j)(−2/m)^j = (−2)^j (−(j/2) u^{j−1} + (j − r) u^j) is a polynomial in u, so the same code gives exact
rationals for a numeric m and polynomials in 1/m for a symbolic one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import combinations
from math import factorial

import flint

Exponent = tuple[int, ...]


def entry_pairs(d: int) -> list[tuple[int, int]]:
    """The free entries (i, j), i ≤ j, of a symmetric d×d matrix, in variable order."""
    return [(i, j) for i in range(d) for j in range(i, d)]


def polynomial_ring(d: int, extras: Sequence[str] = ()) -> flint.fmpq_mpoly_ctx:
    """ℚ[t_ij (i ≤ j), *extras]: the entries of a symmetric d×d matrix first, then extra symbols (n, u, ...)."""
    names = tuple(f"t{i}{j}" for i, j in entry_pairs(d)) + tuple(extras)
    return flint.fmpq_mpoly_ctx.get(names, "degrevlex")


def symmetric_matrix(ctx: flint.fmpq_mpoly_ctx, d: int, scale_off_diagonal: flint.fmpq = flint.fmpq(1)) -> list:
    """The d×d symmetric matrix of the entry variables (off-diagonal ones multiplied by ``scale_off_diagonal``)."""
    gens = ctx.gens()
    M = [[ctx.from_dict({}) for _ in range(d)] for _ in range(d)]
    for v, (i, j) in enumerate(entry_pairs(d)):
        entry = gens[v] if i == j else gens[v] * scale_off_diagonal
        M[i][j] = M[j][i] = entry
    return M


def _principal_minor_sums(theta: list, D: Sequence[flint.fmpq], zero) -> list:
    """e_j(ΘD) = Σ_{|I|=j} det(Θ_II) Π_{i∈I} D_i for j = 0..d (Laplace expansion, memoised over row/column sets)."""
    d = len(D)

    @cache
    def minor(rows: tuple[int, ...], cols: tuple[int, ...]):
        if not rows:
            return zero + 1
        total = zero
        for position, c in enumerate(cols):
            if theta[rows[0]][c] == 0:
                continue
            sub = minor(rows[1:], cols[:position] + cols[position + 1:])
            term = theta[rows[0]][c] * sub
            total = total - term if position % 2 else total + term
        return total

    sums = []
    for j in range(d + 1):
        total = zero
        for I in combinations(range(d), j):
            weight = flint.fmpq(1)
            for i in I:
                weight *= D[i]
            total += minor(I, I) * weight
        sums.append(total)
    return sums


def parity_classes(d: int) -> list[int]:
    """For each entry variable t_ij a bit mask: the indices whose degree it changes by one (i ≠ j), 0 on the diagonal.

    The parity class of a monomial is the XOR of the masks of its odd-degree variables; under the sign flips
    t_ij → ±t_ij of a diagonal-covariance Wishart matrix only class 0 (every index of even degree) survives E[·].
    """
    return [0 if i == j else (1 << i) | (1 << j) for i, j in entry_pairs(d)]


def split_by_parity(poly, masks: Sequence[int]) -> dict[int, object]:
    """poly = Σ_c poly[c] with poly[c] the part of parity class c (see ``parity_classes``)."""
    groups: dict[int, dict[Exponent, flint.fmpq]] = {}
    for exponent, coefficient in poly.to_dict().items():
        c = 0
        for mask, a in zip(masks, exponent):
            if a & 1:
                c ^= mask
        groups.setdefault(c, {})[exponent] = coefficient
    ctx = poly.context()
    return {c: ctx.from_dict(terms) for c, terms in groups.items()}


def even_part_of_squares(parts: Sequence[dict], zero):
    """The class-0 part of Σ P² over parity-split polynomials P: Σ_c P[c]² (class c ⊕ c' = 0 iff c = c')."""
    total = zero
    for P in parts:
        for part in P.values():
            total += part ** 2
    return total


class DiagonalWishartMoments:
    """E[f(T)] for T = W/m, W ~ Wishart_d(m, diag(D)), f a polynomial in the entries t_ij (exact pairing).

    ``u`` is 1/m: an ``fmpq`` for a numeric m, or a generator of ``ctx`` for a symbolic one. Components of the MGF are
    computed on demand up to the largest degree asked for.
    """

    def __init__(self, ctx: flint.fmpq_mpoly_ctx, D: Sequence[flint.fmpq], u):
        self.ctx, self.d, self.u = ctx, len(D), u
        self.variables = self.d * (self.d + 1) // 2
        zero = ctx.from_dict({})
        theta = symmetric_matrix(ctx, self.d, flint.fmpq(1, 2))
        self._e = _principal_minor_sums(theta, [flint.fmpq(x) for x in D], zero)
        self._components = [zero + 1]
        self._supports: list[dict[Exponent, dict[Exponent, flint.fmpq]]] = []
        self._flat: dict[Exponent, flint.fmpq] = {(0,) * self.variables: flint.fmpq(1)}
        self._flat_degree = 0

    def component(self, r: int):
        """F_r, the degree-r part (in the t variables) of the MGF det(I − 2ΘD/m)^{−m/2}."""
        u = self.u
        while len(self._components) <= r:
            s = len(self._components)
            total = self.ctx.from_dict({})
            for j in range(1, min(self.d, s) + 1):
                coefficient = (-2) ** j * (flint.fmpq(-j, 2) * u ** (j - 1) + (j - s) * u ** j)
                total += coefficient * self._e[j] * self._components[s - j]
            self._components.append(total / s)
        return self._components[r]

    def _weighted_support(self, r: int) -> dict[Exponent, dict[Exponent, flint.fmpq]]:
        """α ↦ {extra exponents ↦ α!·coefficient} for the monomials of F_r (the moments E[t^α] grouped by α)."""
        while len(self._supports) <= r:
            s = len(self._supports)
            grouped: dict[Exponent, dict[Exponent, flint.fmpq]] = {}
            for exponent, coefficient in self.component(s).to_dict().items():
                alpha, extra = exponent[:self.variables], exponent[self.variables:]
                weight = 1
                for a in alpha:
                    weight *= _factorial(a)
                grouped.setdefault(alpha, {})[extra] = coefficient * weight
            self._supports.append(grouped)
        return self._supports[r]

    def _flat_moments(self, degree: int) -> dict[Exponent, flint.fmpq]:
        """α ↦ E[t^α] for every |α| ≤ degree (no extra symbols: a numeric m)."""
        while self._flat_degree < degree:
            self._flat_degree += 1
            for alpha, by_extra in self._weighted_support(self._flat_degree).items():
                self._flat[alpha] = by_extra[()]
        return self._flat

    def expectation(self, f) -> dict[Exponent, flint.fmpq]:
        """E[f(T)] as {exponents of the extra symbols ↦ coefficient} (a single key () when there are none)."""
        terms = f.to_dict()
        if self.ctx.nvars() == self.variables:
            moments = self._flat_moments(max((sum(alpha) for alpha in terms), default=0))
            total = flint.fmpq(0)
            for alpha, coefficient in terms.items():
                moment = moments.get(alpha)
                if moment is not None:
                    total += coefficient * moment
            return {(): total} if total != 0 else {}
        by_degree: dict[int, dict[Exponent, dict[Exponent, flint.fmpq]]] = {}
        for exponent, coefficient in terms.items():
            alpha, extra = exponent[:self.variables], exponent[self.variables:]
            by_degree.setdefault(sum(alpha), {}).setdefault(alpha, {})[extra] = coefficient
        result: dict[Exponent, flint.fmpq] = {}
        for degree, terms in by_degree.items():
            moments = self._weighted_support(degree)
            for alpha, f_coefficients in terms.items():
                moment = moments.get(alpha)
                if moment is None:
                    continue
                for e_f, c_f in f_coefficients.items():
                    for e_m, c_m in moment.items():
                        key = tuple(a + b for a, b in zip(e_f, e_m))
                        result[key] = result.get(key, flint.fmpq(0)) + c_f * c_m
        return {key: value for key, value in result.items() if value != 0}


@cache
def _factorial(a: int) -> int:
    return factorial(a)
