r"""The Front-Loading Reasoning findings (Akter et al., arXiv 2510.03264) in the linear model of arXiv 2603.01293.

Pipeline: pretrain on N(0, Σ₀) (Ṽ_0 = −Γ₀⁻¹, eq. 3.7, ``pretraining.trained_preconditioner``) → SFT on B prompts
x ~ N(0, A) (Ṽ* of Thm 4.1, eq. 4.1) → post-test on N(0, Σ), Σ = Σ₀ + Δ, one step, n_test examples (Prop. 5.1,
``weight_error.one_step_error``).

The one identity everything here rests on (derived, not assumed). Write Π = ΦΦ† (the projector onto the directions
the SFT data span; range Π ⊆ range A) and N = −ηΩΦ†, so (4.1) reads Ṽ* = N + Ṽ_0(I − Π) and N = NΠ (Φ†Π = Φ†).
Err(V) of (5.1) is a quadratic form in V, so for two pretrained blocks Ṽ_0, Ṽ_0' trained on the SAME SFT data

    Err(Ṽ*) − Err(Ṽ*') = Err(Ṽ_0(I − Π)) − Err(Ṽ_0'(I − Π)) + 2·X(N, (Ṽ_0 − Ṽ_0')(I − Π)),

with the cross term X(N, P) = ⟨NΣ, PΣ⟩_F + (tr(NΣ²Pᵀ) + tr(NΣPᵀ)tr Σ)/n_test (``cross_term``). If Σ commutes with Π
(Σ scalar on range A, block-diagonal), NΣ^j(I − Π) = NΠΣ^j(I − Π) = NΣ^jΠ(I − Π) = 0, so X = 0: the SFT estimate N,
the only random part of Ṽ*, cancels from the difference. Hence the pretraining advantage after SFT is

    Adv(Π) = Err(−Γ_b⁻¹(I − Π)) − Err(−Γ_r⁻¹(I − Π))                      (``advantage_after_sft``)

exactly, at every finite B, n, η, k: pretraining matters only on the directions the SFT data did not span. When
Σ, Γ_b, Γ_r are scalar on U = range A as well, Adv depends on Π only through its rank min(B, rank A)
(``covered_projector``). Err separates over the common eigenbasis (``direction_errors``), so
Adv(before SFT) − Adv(after SFT) = the advantage on the covered directions: SFT can only erase a per-direction
advantage, never create one (finding 3), and with A of full rank and B ≥ d it erases all of it (Π = I; finding 4).
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from derivations.pretraining import trained_preconditioner
from derivations.validation import exact_covariance, exact_matrix, exact_scalar, prompt_length
from derivations.weight_error import one_step_error
from icl_errors import InputError


def covered_projector(d: int, covered: Sequence[int]) -> sp.Matrix:
    """Π = Σ_{j ∈ covered} e_j e_jᵀ (0-based coordinates): the span of the SFT data when it is a coordinate subspace
    (diagonal settings; by rotation invariance any rank-c projector inside a block where Σ, Γ_b, Γ_r are scalar)."""
    if not all(0 <= j < d for j in covered) or len(set(covered)) != len(covered):
        raise InputError(f"covered coordinates must be distinct integers in 0..{d - 1}, got {tuple(covered)}")
    return sp.diag(*[int(j in covered) for j in range(d)])


def retained_block(Sigma0: object, n0: object, projector: object) -> sp.Matrix:
    """Ṽ_0(I − Π) = −Γ₀⁻¹(I − Π): the part of the SFT solution (4.1) that pretraining still sets."""
    Pi = exact_matrix(projector, "projector")
    V0 = trained_preconditioner(exact_covariance(Sigma0, "Sigma0"), prompt_length(n0, "n0"))
    if Pi.shape != V0.shape or Pi * Pi != Pi or Pi.T != Pi:
        raise InputError("projector must be a symmetric idempotent matrix of the size of Sigma0")
    return V0 * (sp.eye(Pi.rows) - Pi)


def cross_term(N: object, P: object, Sigma: object, n_test: object) -> sp.Expr:
    """X(N, P) = [Err(N + P) − Err(N) − Err(P) + Err(0)]/2, with Err the exact one-step error (Prop. 5.1)."""
    N, P = exact_matrix(N, "N"), exact_matrix(P, "P")
    Sigma, n_test = exact_covariance(Sigma, "Sigma"), prompt_length(n_test, "n_test")
    zero = sp.zeros(*N.shape)
    return sp.expand((one_step_error(N + P, Sigma, n_test) - one_step_error(N, Sigma, n_test)
                      - one_step_error(P, Sigma, n_test) + one_step_error(zero, Sigma, n_test)) / 2)


def advantage_after_sft(Sigma0_base: object, Sigma0_reason: object, n0: object, Sigma: object, n_test: object,
                        projector: object) -> sp.Expr:
    """Adv(Π) = Err(−Γ_b⁻¹(I − Π)) − Err(−Γ_r⁻¹(I − Π)) on N(0, Σ) test prompts of n_test examples (exact)."""
    Sigma, n_test = exact_covariance(Sigma, "Sigma"), prompt_length(n_test, "n_test")
    errors = [one_step_error(retained_block(S0, n0, projector), Sigma, n_test) for S0 in (Sigma0_base, Sigma0_reason)]
    return sp.nsimplify(sp.expand(errors[0] - errors[1]))


def pretrained_error(Sigma0: object, n0: object, Sigma: object, n_test: object) -> sp.Expr:
    """Err(−Γ₀⁻¹) on N(0, Σ): the pretrained model before any post-training (Prop. 5.1)."""
    return one_step_error(trained_preconditioner(exact_covariance(Sigma0, "Sigma0"), prompt_length(n0, "n0")),
                          exact_covariance(Sigma, "Sigma"), prompt_length(n_test, "n_test"))


def direction_errors(V_diagonal: Sequence[object], Sigma: object, n_test: object) -> list[sp.Expr]:
    """Per-coordinate errors e_j of a diagonal Ṽ on a diagonal Σ: Err(diag v) = Σ_j e_j, from the exact error of the
    single-coordinate blocks (Err(v_j e_je_jᵀ) − Err(0) + 1; the other coordinates contribute 1 each)."""
    Sigma, n_test = exact_covariance(Sigma, "Sigma"), prompt_length(n_test, "n_test")
    if Sigma != sp.diag(*Sigma.diagonal()) or len(V_diagonal) != Sigma.rows:
        raise InputError("direction_errors needs a diagonal Sigma and one entry of V per coordinate")
    d = Sigma.rows
    base = one_step_error(sp.zeros(d, d), Sigma, n_test)
    errors = []
    for j, v in enumerate(V_diagonal):
        single = sp.zeros(d, d)
        single[j, j] = v
        errors.append(sp.expand(one_step_error(single, Sigma, n_test) - base + 1))
    if sp.expand(sum(errors) - one_step_error(sp.diag(*V_diagonal), Sigma, n_test)) != 0:
        raise AssertionError("the one-step error does not separate over coordinates")
    return errors


def advantage_by_direction(Sigma0_base: object, Sigma0_reason: object, n0: object, Sigma: object,
                           n_test: object) -> list[sp.Expr]:
    """Per-coordinate pretraining advantage e_j(−Γ_b⁻¹) − e_j(−Γ_r⁻¹) (diagonal Σ₀'s and Σ): Adv(Π) is the sum over
    the coordinates Π does not cover."""
    V = [trained_preconditioner(exact_covariance(S0, "Sigma0"), prompt_length(n0, "n0")).diagonal()
         for S0 in (Sigma0_base, Sigma0_reason)]
    base, reason = (direction_errors(list(v), Sigma, n_test) for v in V)
    return [sp.nsimplify(a - b) for a, b in zip(base, reason)]


def expected_advantage_random_span(Sigma0_base: object, Sigma0_reason: object, n0: object, Sigma: object,
                                   n_test: object, subspace: object, covered: int) -> sp.Expr:
    """E_Π Adv(Π) over a uniformly random (Haar) rank-c projector Π inside U = range(``subspace``):

        E Adv = (1 − c/m)·Adv(0) + (c/m)·Adv(P_U),   m = dim U.

    Derivation: with Σ scalar on U (ΣΠ = ΠΣ for every Π ⊆ U), (I − Π)Σ^j(I − Π) = Σ^j(I − Π), so each Err term of
    Adv(Π) (Prop. 5.1: ‖I − G(I − Π)Σ‖²_F and tr(G(I − Π)Σ^j(I − Π)Gᵀ)) is AFFINE in Π, whatever Γ_b, Γ_r are; and
    E Π = (c/m)P_U = (1 − c/m)·0 + (c/m)·P_U by rotation invariance. This is the law of span(Φ) when A is isotropic
    on U (S w* = S P_U w* and the prompts' law is invariant under rotations of U)."""
    P = exact_matrix(subspace, "subspace")
    Sigma_ = exact_covariance(Sigma, "Sigma")
    m = P.rank()
    if P * P != P or P.T != P or m == 0:
        raise InputError("subspace must be a non-zero orthogonal projector")
    count = exact_scalar(covered, "c")
    if not (count.is_Integer and 0 <= count <= m):
        raise InputError(f"c (the dimension of the SFT span) must be an integer in 0..{m}, got {covered!r}")
    covered = int(count)
    scalar = (P * Sigma_ * P).trace() / m
    if Sigma_ * P != P * Sigma_ or P * Sigma_ * P != scalar * P:
        raise InputError("Sigma must be scalar on the subspace (the identity needs ΣΠ = ΠΣ for every Π inside it)")
    t = sp.Rational(covered, m)
    args = (Sigma0_base, Sigma0_reason, n0, Sigma_, n_test)
    zero = sp.zeros(*P.shape)
    return sp.nsimplify((1 - t) * advantage_after_sft(*args, zero) + t * advantage_after_sft(*args, P))
