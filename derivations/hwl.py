r"""Huang–Wang–Lee (arXiv 2502.21212, ICLR 2025): the one-layer LSA with and without chain of thought.

Convention map (HUANG_WANG_LEE onto the toolkit's JAVANMARD): the same embedding (row blocks x, y, w, 1), the same
layer f(Z) = Z + V Z (Zᵀ W Z)/n with n the number of examples, the same w-target read in the w block of the last
column; x ~ N(0, I_d) (Σ = I), w* ~ N(0, I_d), no noise. HWL's CoT data are the GD iterates of the prompt's own least
squares with a fixed step η,

    w_0 = 0,    w_{i+1} = w_i − (η/n) X (Xᵀ w_i − y) = w_i − η S (w_i − w*),       S = X Xᵀ/n,

and their CoT loss feeds the prompt followed by the columns (0; 0; w_j; 1), j ≤ i (teacher forcing), with target
(0; 0; w_{i+1}; 1), summed over i < k. In the toolkit's notation the layer's step is ŵ_{i+1} = ŵ_i + ṼS(W̃ŵ_i − w*)
(``lsa.derive_cot_step``); HWL's learned layer is Ṽ = −ηI, W̃ = I and its k-step error is E‖(I − ηS)^k w*‖².

* ``learned_point``: the (Ṽ, W̃) at which the derived step equals the GD step for every S, ŵ, w* (solved, not typed in).
* ``cot_error``: E‖ŵ_k − w*‖² = E tr (I − ηS)^{2k} of that layer, exact (``finite_cot.preconditioned_errors``).
* ``no_cot_floor``: the no-CoT minimum d(d + 1)/(n + d + 1) (``pretraining.isotropic_derivation``), which HWL's lower
  bound without CoT says no one-layer (V, W) beats.
"""

from __future__ import annotations

import sympy as sp

from derivations import finite_cot, lsa, pretraining
from derivations.validation import cot_steps, exact_scalar, prompt_length
from icl_errors import InputError

LEARNED_POINT_MAX_D = 3     # the bilinear system has 2d² unknowns and d³ + 2d² equations; d = 3 solves in ~1 s


def gd_step(w: sp.Matrix, w_star: sp.Matrix, S: sp.Matrix, eta: sp.Expr) -> sp.Matrix:
    """HWL's CoT data step w − ηS(w − w*) (= w − (η/n) X(Xᵀw − y) for y = Xᵀw*)."""
    return w - eta * S * (w - w_star)


def _step_size(eta: object) -> sp.Expr:
    value = exact_scalar(eta, "eta")
    if value.is_number and not (value.is_real and 0 < value):
        raise InputError(f"eta must be a positive number, got {value}")
    return value


def learned_point(d: object, eta: object) -> tuple[sp.Matrix, sp.Matrix]:
    """(Ṽ, W̃) with zero CoT loss: the derived layer step equals the GD step identically in S (symmetric), ŵ, w*.

    Solved from the coefficients of the difference (``lsa.cot_step`` against ``gd_step``) with sympy.solve; the
    solution is unique (the ŵ_0 = 0 stage fixes Ṽ = −ηI, the later stages then W̃ = I).
    """
    size = int(prompt_length(d, "d"))
    if size > LEARNED_POINT_MAX_D:
        raise InputError(f"d = {size} is above the limit {LEARNED_POINT_MAX_D} of the exact solve "
                         f"(derivations.hwl.LEARNED_POINT_MAX_D)")
    step = _step_size(eta)
    V_t = sp.Matrix(size, size, lambda i, j: sp.Symbol(f"v{i}{j}"))
    W_t = sp.Matrix(size, size, lambda i, j: sp.Symbol(f"u{i}{j}"))
    S = sp.Matrix(size, size, lambda i, j: sp.Symbol(f"s{min(i, j)}{max(i, j)}"))
    w_hat = sp.Matrix(size, 1, lambda i, _: sp.Symbol(f"h{i}"))
    w_star = sp.Matrix(size, 1, lambda i, _: sp.Symbol(f"t{i}"))
    difference = lsa.cot_step(w_hat, w_star, V_t, W_t, S) - gd_step(w_hat, w_star, S, step)
    data = sorted(set(S) | set(w_hat) | set(w_star), key=str)
    equations = {c for entry in difference for c in sp.Poly(sp.expand(entry), *data).coeffs()}
    unknowns = list(V_t) + list(W_t)
    solutions = sp.solve(list(equations), unknowns, dict=True)
    if len(solutions) != 1:
        raise ValueError(f"expected one learned point, found {len(solutions)}")
    return V_t.subs(solutions[0]), W_t.subs(solutions[0])


def cot_error(d: object, n: object, eta: object, k: object) -> sp.Expr:
    """E‖ŵ_k − w*‖² of the layer Ṽ = −ηI, W̃ = I on prompts of n examples x ~ N(0, I_d), exact (= E tr(I − ηS)^{2k})."""
    size = int(prompt_length(d, "d"))
    step = _step_size(eta)
    if not step.is_Rational:
        raise InputError(f"eta must be a rational number for the exact engine, got {step}")
    steps = cot_steps(k, maximum=finite_cot.STEPS_LIMIT)
    return finite_cot.preconditioned_errors(-step * sp.eye(size), sp.eye(size), prompt_length(n, "n"), steps)[-1]


def no_cot_floor(d: object, n: object) -> sp.Expr:
    """min over the one-step preconditioner of E‖ŵ_1 − w*‖² at Σ = I_d: d(d + 1)/(n + d + 1) (derived, symbolic d)."""
    D = pretraining.isotropic_derivation()
    return D.minimal_error.subs({D.d: prompt_length(d, "d"), D.n: prompt_length(n)})
