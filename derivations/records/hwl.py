"""Huang, Wang, Lee, "Transformers learn to implement multi-step gradient descent with chain of thought" (arXiv
2502.21212, ICLR 2025): ids ``hwl:*``.

Convention map (HUANG_WANG_LEE onto the toolkit's JAVANMARD): identical layer, embedding (row blocks x, y, w, 1),
attention scale 1/n and w-target; x ~ N(0, I_d) (Σ = I), w* ~ N(0, I_d), no noise. The CoT data are the GD iterates
w_{i+1} = w_i − ηS(w_i − w*) of the prompt's own least squares (fixed step η, w_0 = 0); the learned layer is
Ṽ = −ηI, W̃ = I in the toolkit's blocks (V[w, x] = Ṽ, W[x, w] = W̃, W[y, one] = −1), so each CoT step is
ŵ_{i+1} = ŵ_i + ṼS(W̃ŵ_i − w*) = ŵ_i − ηS(ŵ_i − w*).

What was retrieved of the paper (the full text was not available to us): the abstract; the OpenReview reviews, which
name Theorem 3.1 (the no-CoT result), Theorem 3.2 (CoT implements k GD steps, w^k), Corollary 3.1 (needs
n ≲ d log⁵ d), Assumption 4.1 (an initialisation with V_31 and W_13 sharing eigenvalues), Theorem 4.1 (gradient-flow
convergence on the CoT loss), Theorem 4.2 (out-of-distribution covariances) and the CoT step η (a reviewer:
"optimal losses can only be achieved by setting η = n/(n+d+1)"); and a summary's rates Θ(d²/n) without CoT versus
O(1/poly(d)) with CoT. The exact forms registered here are derived in ``derivations.hwl`` and marked as such.
"""

from __future__ import annotations

import sympy as sp

from derivations import hwl
from derivations.convention import HUANG_WANG_LEE
from derivations.notation import Equation, Expectation, ExpectedSquaredError, Minimum
from derivations.registry import DeterministicCheck, MonteCarloCheck, NegativeControl, Parameter, Record, Source
from verify.hwl_quantities import CotTrainingRun, FullParameterGradient
from verify.quantities import CotWeightError

PAPER = "2502.21212"
d, n, k = sp.symbols("d n k", positive=True, integer=True)
_V, _W = sp.MatrixSymbol("V", 2 * d + 2, 2 * d + 2), sp.MatrixSymbol("W", 2 * d + 2, 2 * d + 2)
_loss = sp.Function("L")   # L(V, W) = E‖ŵ_1(V, W) − w*‖² (hwl:thm-3.1's assumptions)
eta = sp.Symbol("eta", positive=True)
I_d = sp.Identity(d)
S_hat = sp.MatrixSymbol("S", d, d)   # the sample covariance XXᵀ/n (one name across the house)
RETRIEVED = "statement text not retrieved; the exact form is derived here (module docstring)"

# --- hwl:thm-3.1 -------------------------------------------------------------------------------------------------

_T31_D, _T31_N = 2, 4


def _optimal_block() -> sp.Matrix:
    """The sparse no-CoT optimum Ṽ = −c*I, c* = n/(n + d + 1), at the check's (d, n) (solved, not typed in)."""
    from derivations import pretraining

    D = pretraining.isotropic_derivation()
    return -D.c_star.subs({D.d: _T31_D, D.n: _T31_N}) * sp.eye(_T31_D)


thm_31 = Record(
    id="hwl:thm-3.1",
    kind="theorem",
    title="without CoT no one-layer LSA beats one GD step: the floor d(d+1)/(n+d+1) over all V, W",
    source=Source(PAPER, "Theorem 3.1 (lower bound without CoT)", remark=RETRIEVED),
    convention=HUANG_WANG_LEE,
    assumptions=("x ~ N(0, I_d), w* ~ N(0, I_d), no noise, n examples", "one LSA layer, no CoT, ŵ_0 = 0",
                 "V, W ∈ R^{(2d+2)×(2d+2)} arbitrary (no sparsity imposed)",
                 "L(V, W) = E‖ŵ_1(V, W) − w*‖², the error of the layer's one output"),
    parameters=(Parameter("d", "dimension", symbol=d), Parameter("n", "prompt length", symbol=n)),
    statement=lambda: Equation(Minimum(_loss(_V, _W), sp.Tuple(_V, _W)), hwl.no_cot_floor(d, n)),
    evaluator=hwl.no_cot_floor,
    derivation=("derivations.hwl.no_cot_floor reuses the derivation of base:no-cot-isotropic-error (the minimum over "
                "the sparse block Ṽ, symbolic d); what this record adds is that the minimum over ALL entries of V and "
                "W is the same number (proof), checked by the full gradient vanishing at the sparse optimum."),
    proof=("With ŵ_0 = 0 the last column is z = e_one, so the w block of f(Z_0)[:, −1] is V_w· (Z_0Z_0ᵀ/n) W_·one.\n"
           "Z_0Z_0ᵀ/n has blocks S, Sw*, w*ᵀSw* and 1/n; so ŵ_1 = A S w* + g(w*) with A = a V_wx + V_wy uᵀ (u, a the x, y\n"
           "entries of W_·one) and g even in w* (constant or quadratic terms).\n"
           "w* ~ N(0, I) is symmetric, so E⟨ASw* − w*, g(w*)⟩ = 0 and E‖ŵ_1 − w*‖² = E‖(AS − I)w*‖² + E‖g‖².\n"
           "Hence L(V, W) ≥ min_A E tr((AS − I)(AS − I)ᵀ) = d(d + 1)/(n + d + 1), at A = n/(n + d + 1)·I.\n"
           "The other rows of the output only add nonnegative terms, and the sparse point attains the floor; its full\n"
           "gradient vanishes (the W[y, one] entry through E tr(S(cS − I)) = 0 at c = n/(n + d + 1))."),
    uses=("base:no-cot-isotropic-error", "base:lsa-cot-step"),
    check=MonteCarloCheck(
        quantity=FullParameterGradient(sp.eye(_T31_D), _T31_N, _optimal_block),
        expected=lambda: sp.zeros(2 * (2 * _T31_D + 2) ** 2, 1),
        control=NegativeControl("the unregularised step Ṽ = −I (one exact GD step of size 1) is stationary",
                                quantity=FullParameterGradient(sp.eye(_T31_D), _T31_N, sp.eye(_T31_D) * -1)),
        tolerance=0.05,
        samples=400_000,
    ),
)

# --- hwl:thm-4.1 -------------------------------------------------------------------------------------------------

_T41_D, _T41_N, _T41_ETA, _T41_K = 2, 4, sp.Rational(1, 2), 3


def _learned_blocks(instance, eta_=None) -> list[float]:
    """(Ṽ, W̃) of ``hwl.learned_point`` flattened; with ``eta_`` a different step (the control's point)."""
    V_t, W_t = hwl.learned_point(instance["d"], sp.Rational(repr(instance["eta"])) if eta_ is None else eta_)
    return [float(v) for v in list(V_t) + list(W_t)]


def _no_cot_point(instance) -> list[float]:
    """The no-CoT optimum Ṽ = −n/(n + d + 1)·I with W̃ = I (what training without CoT lands on)."""
    c = sp.Rational(instance["n"], instance["n"] + instance["d"] + 1)
    return _learned_blocks(instance, eta_=c)


thm_41 = Record(
    id="hwl:thm-4.1",
    kind="theorem",
    title="trained on GD chains of thought, the layer learns Ṽ = −ηI, W̃ = I: k autoregressive GD steps",
    source=Source(PAPER, "Theorem 4.1 (convergence of gradient flow on the CoT loss) and Theorem 3.2",
                  remark=RETRIEVED + "; the paper's Assumption 4.1 initialisation is replaced by Ṽ = W̃ = 0"),
    convention=HUANG_WANG_LEE,
    assumptions=("x ~ N(0, I_d), w* ~ N(0, I_d), no noise, n examples",
                 "CoT data w_0 = 0, w_{i+1} = w_i − (η/n)X(Xᵀw_i − y), fed by teacher forcing; loss summed over i < k",
                 "V, W restricted to the blocks Ṽ = V[w, x], W̃ = W[x, w] (HWL Lemma C.2: the flow keeps them)",
                 "k ≥ 2 (with k = 1 only Ṽ is determined)"),
    parameters=(Parameter("d", "dimension (at most 3 for the exact solve)", symbol=d),
                Parameter("eta", "step η of the GD chain of thought", symbol=eta)),
    statement=lambda: [Equation(sp.MatrixSymbol(r"\tilde{V}_{\infty}", d, d), sp.MatMul(-1, eta, I_d, evaluate=False)),
                       Equation(sp.MatrixSymbol(r"\tilde{W}_{\infty}", d, d), I_d)],
    evaluator=lambda d, eta: hwl.learned_point(d, eta)[0],
    returns="the learned Ṽ block (the W̃ block, I_d, is the statement's second part)",
    derivation=("derivations.hwl.learned_point equates the derived layer step (lsa.cot_step) with the GD step "
                "w − ηS(w − w*) identically in symbolic S, ŵ, w* and solves the bilinear system: the unique solution "
                "is Ṽ = −ηI, W̃ = I, where the CoT loss is zero on every prompt (a global minimum). The check trains "
                "the real layer by gradient descent on teacher-forced GD chains and lands there."),
    proof=("The layer's step is ŵ + ṼS(W̃ŵ − w*) (base:lsa-cot-step); the data step is ŵ − ηS(ŵ − w*).\n"
           "Stage i = 0 (ŵ = 0): −ṼSw* = ηSw* for all S, w*, so Ṽ = −ηI.\n"
           "Stage i ≥ 1: −ηSW̃w_i = −ηSw_i with w_i spanning R^d, so W̃ = I.\n"
           "At (−ηI, I) every residual is zero, so the loss (a sum of squares) is at its global minimum 0.\n"
           "Teacher forcing makes the k stages independent; the learned layer then rolls out ŵ_k = (I − (I − ηS)^k)w*."),
    uses=("base:lsa-cot-step",),
    check=DeterministicCheck(
        quantity=CotTrainingRun(d=_T41_D, n=_T41_N, prompts=32, eta=float(_T41_ETA), k=_T41_K, steps=3000,
                                learning_rate=0.15),
        expected=_learned_blocks,
        control=NegativeControl("the layer learns the no-CoT optimum Ṽ = −n/(n + d + 1)·I, W̃ = I",
                                expected=_no_cot_point),
        rtol=1e-8,
        instances=10,
    ),
)

# --- hwl:cot-error -----------------------------------------------------------------------------------------------

_CE_D, _CE_N, _CE_ETA, _CE_K = 2, 8, sp.Rational(1, 2), 3


def _cot_error_statement() -> Equation:
    """E‖ŵ_k − w*‖² of the learned layer = E tr (I − ηŜ)^{2k} (Ŝ from n examples of N(0, I_d))."""
    step = sp.MatAdd(I_d, sp.MatMul(-1, eta, S_hat, evaluate=False), evaluate=False)
    return Equation(ExpectedSquaredError(sp.MatMul(-1, eta, I_d, evaluate=False), I_d, n, k),
                    Expectation(sp.Trace(sp.MatPow(step, 2 * k)), S_hat, I_d, n))


cot_error = Record(
    id="hwl:cot-error",
    kind="corollary",
    title="the k-step CoT error of the learned layer, E tr(I − ηS)^{2k}, exact at finite n",
    source=Source(PAPER, "Theorem 3.2 / Corollary 3.1 (error of k CoT steps)", remark=RETRIEVED),
    convention=HUANG_WANG_LEE,
    assumptions=("x ~ N(0, I_d), w* ~ N(0, I_d), no noise, test prompts of n examples",
                 "the learned layer Ṽ = −ηI, W̃ = I (hwl:thm-4.1), rolled out k CoT steps from ŵ_0 = 0"),
    parameters=(Parameter("d", "dimension", symbol=d), Parameter("n", "prompt length", symbol=n),
                Parameter("eta", "CoT step η (rational)", symbol=eta), Parameter("k", "CoT steps", symbol=k)),
    statement=_cot_error_statement,
    evaluator=hwl.cot_error,
    derivation=("derivations.hwl.cot_error: finite_cot.preconditioned_errors at Ṽ = −ηI, Σ = I (the Wishart "
                "moment-generating-function engine, exact rationals). Example: d = 2, n = 8, η = 1/2 gives "
                "2, 11/16, 0.3647, 0.2244 for k = 0..3, below the no-CoT floor 6/11 from k = 2 on; at n = 2d with "
                "η = n/(n+d+1) the error turns back up after k = 2 (d = 3, n = 6: 1.2, 0.84, 0.88, 1.89): the "
                "near-exact recovery needs n well above d (the paper's regime n ≍ d log⁵ d)."),
    proof=("By hwl:thm-4.1 each CoT step is ŵ_{i+1} − w* = (I − ηS)(ŵ_i − w*), so ŵ_k − w* = −(I − ηS)^k w*.\n"
           "S is symmetric, so ‖ŵ_k − w*‖² = w*ᵀ(I − ηS)^{2k}w*; w* ~ N(0, I) independent of S gives E tr(I − ηS)^{2k}.\n"
           "The engine integrates this degree-2k polynomial in S against the Wishart(n, I) law exactly.\n"
           "As n → ∞, S → I and the error tends to d(1 − η)^{2k} (population GD), the control's value."),
    uses=("hwl:thm-4.1", "base:lsa-cot-step"),
    check=MonteCarloCheck(
        quantity=CotWeightError.single(sp.eye(_CE_D), _CE_N, -_CE_ETA * sp.eye(_CE_D), _CE_K, task_average=True),
        expected=lambda: hwl.cot_error(_CE_D, _CE_N, _CE_ETA, _CE_K),
        control=NegativeControl("population GD's error d(1 − η)^{2k} (S replaced by its mean I)",
                                expected=lambda: _CE_D * (1 - _CE_ETA) ** (2 * _CE_K)),
        tolerance=0.03,
        samples=8_000,
    ),
)

RECORDS = [thm_31, thm_41, cot_error]
