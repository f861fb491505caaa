r"""The optimal number of test-time CoT steps at finite size, k*(n, m, Σ_train, Σ_test) (beyond 2510.03605 Rem. 4.1).

k* = argmin_{1 ≤ k ≤ K} E‖e_k‖² with the exact errors of ``finite_cot`` (k = 1 is plain ICL, one forward pass).

Regions (derived):
* m → ∞ with Σ_test = Σ_train = Λ: S → Λ and G = Γ⁻¹ commutes with Λ, so E‖e_k‖² → Σ_j ρ_j^{2k} with
  ρ_j = 1 − λ_j/γ_j = 1/(1 + n/(1 + tr Λ/λ_j)) ∈ (0, 1) (2510.03605 Cor. 3.5): strictly decreasing in k, k* = ∞.
* Every finite m: the spectrum of GS is unbounded (S has a Gaussian factor), so P(‖I − GS‖ > 1 + ε) > 0 and
  E‖e_k‖² ≥ E Σ_i |λ_i(I − GS)|^{2k} (Schur) grows exponentially in k: k* is finite; thinking longer first helps,
  then hurts ("overthinking" with matched covariances, a finite-m effect Cor. 3.5 hides).
* k* = 1 exactly when E‖e_2‖² ≥ E‖e_1‖² (the second step already hurts): small m, where the spread of GS is largest.
When the minimum over 1..K sits at K the search cannot tell a finite k* > K from an unbounded one: ``at_cap``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from derivations.finite_cot import STEPS_LIMIT, cot_errors
from derivations.validation import cot_steps
from icl_errors import InputError


@dataclass(frozen=True)
class OptimalDepth:
    """k* (None when the minimum sits at the cap), the minimal error, and the exact errors E‖e_k‖² for k = 0..cap."""

    k_star: int | None
    minimum: sp.Rational
    errors: tuple[sp.Rational, ...]
    cap: int

    @property
    def at_cap(self) -> bool:
        return self.k_star is None

    @property
    def region(self) -> str:
        """'k*=1', 'finite' (1 < k* < cap) or 'unbounded/not found' (argmin at the cap)."""
        if self.k_star is None:
            return "unbounded/not found"
        return "k*=1" if self.k_star == 1 else "finite"


def optimal_depth(Sigma_train, n, Sigma_test, m, cap: int = 12) -> OptimalDepth:
    """k* = argmin_{1≤k≤cap} E‖e_k‖² (the smallest k on ties), exact; numeric n and m only."""
    if not (isinstance(cap, int) or getattr(cap, "is_Integer", False)) or cap < 2:
        raise InputError(f"cap must be an integer ≥ 2, got {cap!r}")
    cap = cot_steps(cap, "cap", maximum=STEPS_LIMIT)
    errors = cot_errors(Sigma_train, n, Sigma_test, m, cap)
    if not all(e.is_Rational for e in errors):
        raise InputError("optimal_depth needs numeric n and m")
    return depth_from_errors(errors)


def depth_from_errors(errors: Sequence[sp.Rational]) -> OptimalDepth:
    """k* from the exact errors E‖e_k‖², k = 0..cap (cap = len − 1): the smallest argmin over 1..cap, None at the cap."""
    cap = len(errors) - 1
    best = min(range(1, cap + 1), key=lambda k: (errors[k], k))
    return OptimalDepth(None if best == cap else best, errors[best], tuple(errors), cap)
